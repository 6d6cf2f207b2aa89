//! Validated value types. Each is built by a `parse`/`new` that refuses invalid
//! input, so the rest of the program never re-checks them. No HTTP, no SQL.
//! The types a query parameter may hold deserialize from their text through
//! that same `parse`, so its message is the one a client reads.

pub mod geo;
pub mod npi;
pub mod person;
pub mod place;
pub mod text;
pub mod vocabulary;

pub use self::geo::{Distance, GeoPoint, GeocodePrecision, Radius, Ruler, Unit};
pub use self::npi::Npi;
pub use self::person::{Credential, Gender, Language};
pub use self::place::{Date, Phone, UsState, ZipCode};
pub use self::vocabulary::{Condition, Service, Specialty};

/// `serde::Deserialize` from a string through the type's own `parse`, whose
/// message becomes the error's.
macro_rules! deserialize_by_parse {
    ($(impl$(<$k:ident: $bound:path>)? for $ty:ty;)*) => {$(
        impl<'de, $($k: $bound)?> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    )*};
}

deserialize_by_parse! {
    impl for Unit;
    impl for Gender;
    impl for Language;
    impl for UsState;
    impl for ZipCode;
    impl<K: vocabulary::Kind> for vocabulary::Term<K>;
}
