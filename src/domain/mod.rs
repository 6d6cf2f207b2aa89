//! Validated value types. Each is built by a `parse`/`new` that refuses invalid
//! input, so the rest of the program never re-checks them. No HTTP, no SQL.

pub mod geo;
pub mod npi;
pub mod person;
pub mod place;
pub mod text;
pub mod vocabulary;

pub use self::geo::{GeoPoint, GeocodePrecision, Radius, Unit};
pub use self::npi::Npi;
pub use self::person::{Credential, Gender, Language};
pub use self::place::{Date, Phone, UsState, ZipCode};
pub use self::vocabulary::{Condition, Service, Specialty};
