//! The directory's records: a physician with their practice locations, checked.
//!
//! The same fields arrive unchecked as an [`input::PhysicianInput`], whatever
//! their source (a file in one of the [`formats`], a request body, the
//! database's rows), and become a [`Physician`] only through
//! [`Physician::check`], so every path into the directory applies the same
//! validation. The directory knows none of its sources: they convert to and
//! from its input form.

pub mod formats;
mod head;
pub mod input;

pub use self::head::Head;

use self::input::{LIST_SEPARATOR, LocationInput, PhysicianInput};
use crate::domain::{
    Condition, Credential, Date, Gender, GeoPoint, GeocodePrecision, Language, Npi, Phone, Service,
    Specialty, UsState, ZipCode,
};
use crate::geocode::Gazetteer;

/// A physician and where they practise.
#[derive(Clone, Debug, PartialEq)]
pub struct Physician {
    pub npi: Npi,
    pub given_name: String,
    pub family_name: String,
    pub credentials: Credential,
    pub gender: Gender,
    /// Never empty; the first is the primary specialty. Like every list of
    /// terms, a set: no term twice.
    pub specialties: Vec<Specialty>,
    pub conditions: Vec<Condition>,
    pub languages: Vec<Language>,
    pub accepting_new_patients: bool,
    pub telehealth: bool,
    /// The date the record was last confirmed.
    pub last_updated: Date,
    /// Where they hold a license to practise, so may see a patient by
    /// telehealth: every location's state and any others. Sorted, a set.
    pub licensed_states: Vec<UsState>,
    /// Never empty; `locations[i].ordinal == i + 1`.
    pub locations: Vec<Location>,
}

/// Collects with no spare capacity. `collect` into a `Result` cannot see the
/// length and leaves room for four locations (600 bytes) however many there
/// are; a snapshot keeps a million of these lists for its life.
fn exactly_sized<T, E>(items: impl Iterator<Item = Result<T, E>>) -> Result<Vec<T>, E> {
    let mut out = Vec::with_capacity(items.size_hint().0);
    for item in items {
        out.push(item?);
    }
    Ok(out)
}

/// One practice location.
#[derive(Clone, Debug, PartialEq)]
pub struct Location {
    /// 1-based position among the physician's locations: with the NPI, the
    /// location's stable identity.
    pub ordinal: u8,
    // Boxed rather than `String`: fixed once built, and eight bytes less
    // each keeps a location within 128 bytes (mimalloc's size class).
    pub practice_name: Box<str>,
    pub street: Box<str>,
    pub city: Box<str>,
    pub state: UsState,
    pub zip: ZipCode,
    pub phone: Phone,
    pub point: GeoPoint,
    pub precision: GeocodePrecision,
    pub services: Vec<Service>,
}

impl Location {
    /// The public identifier, `{npi}-{ordinal}`.
    pub fn id(&self, npi: Npi) -> String {
        format!("{npi}-{}", self.ordinal)
    }
}

/// A field that failed validation, named as in the CSV layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
    /// The index of the location whose field it is, if a location's: a file
    /// with a row per location reports the error at that location's row.
    pub location: Option<usize>,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        FieldError { field, message: message.into(), location: None }
    }
}

fn field_error(field: &'static str) -> impl Fn(String) -> FieldError {
    move |message| FieldError::new(field, message)
}

/// Refuses a control character anywhere in these text fields: Unicode's
/// `Cc`, that is C0 (U+0000 to U+001F, tab and line breaks among them), DEL
/// (U+007F) and C1 (U+0080 to U+009F). No field of the directory may hold
/// one: a name, an address or a term is one line of printable text, and what
/// a field holds reaches every view, export and log line as given.
/// PostgreSQL cannot store a NUL at all, so without this rule the same row
/// would be stored on SQLite and fail the write on PostgreSQL.
fn printable<'a>(texts: impl IntoIterator<Item = (&'static str, &'a str)>) -> Result<(), FieldError> {
    for (field, value) in texts {
        if let Some((at, c)) = value.chars().enumerate().find(|(_, c)| c.is_control()) {
            let code = u32::from(c);
            let message = format!(
                "holds the control character U+{code:04X} at character {}; no field may hold control characters",
                at + 1
            );
            return Err(FieldError::new(field, message));
        }
    }
    Ok(())
}

fn required<T: for<'a> From<&'a str>>(field: &'static str, value: &str) -> Result<T, FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(field_error(field)("is required".into()));
    }
    Ok(trimmed.into())
}

/// A multi-valued field, read as a set (see [`distinct`]).
fn list<T: PartialEq>(
    field: &'static str,
    value: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, FieldError> {
    let items: Vec<T> = value
        .split(LIST_SEPARATOR)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse(s).map_err(field_error(field)))
        .collect::<Result<_, _>>()?;
    Ok(distinct(items))
}

/// `items` without repeats, each where it first appears. Lists of terms are
/// sets: a term given twice (a specialty once by slug, once by code) is stored
/// and counted once, and the primary specialty stays first.
pub fn distinct<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut out = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn join<T>(items: &[T], show: impl Fn(&T) -> &str) -> String {
    let parts: Vec<&str> = items.iter().map(show).collect();
    parts.join(&LIST_SEPARATOR.to_string())
}

/// The states of a physician's licenses: those listed, and each location's,
/// which practising there implies (so an import need not repeat them).
fn licensed(listed: &str, locations: &[Location]) -> Result<Vec<UsState>, FieldError> {
    let mut states = list("licensed_states", listed, UsState::parse)?;
    states.extend(locations.iter().map(|l| l.state));
    states.sort_by_key(|s| s.code());
    states.dedup();
    Ok(states)
}

impl Physician {
    /// Checks a physician given with their locations (in ordinal order).
    pub fn check(input: PhysicianInput) -> Result<Self, FieldError> {
        printable(input.texts())?;
        let npi = Npi::parse(input.npi.trim()).map_err(|e| field_error("npi")(e.to_string()))?;
        let specialties = list("specialties", &input.specialties, Specialty::parse)?;
        if specialties.is_empty() {
            return Err(field_error("specialties")("at least one specialty is required".into()));
        }
        if input.locations.is_empty() {
            return Err(field_error("locations")("at least one practice location is required".into()));
        }
        if input.locations.len() > usize::from(u8::MAX) {
            return Err(field_error("locations")("at most 255 locations per physician".into()));
        }
        let locations =
            exactly_sized(input.locations.iter().zip(1u8..).enumerate().map(|(i, (l, ordinal))| {
                Location::check(l, ordinal).map_err(|e| FieldError { location: Some(i), ..e })
            }))?;
        Ok(Physician {
            npi,
            licensed_states: licensed(&input.licensed_states, &locations)?,
            given_name: required("given_name", &input.given_name)?,
            family_name: required("family_name", &input.family_name)?,
            credentials: Credential::parse(input.credentials.trim()).map_err(field_error("credentials"))?,
            gender: Gender::parse(input.gender.trim()).map_err(field_error("gender"))?,
            specialties,
            conditions: list("conditions", &input.conditions, Condition::parse)?,
            languages: list("languages", &input.languages, Language::parse)?,
            accepting_new_patients: input.accepting_new_patients,
            telehealth: input.telehealth,
            last_updated: Date::parse(input.last_updated.trim()).map_err(field_error("last_updated"))?,
            locations,
        })
    }

    /// This physician's fields as given: what [`Physician::check`] reads back
    /// as this physician, and what every writer of the directory writes.
    pub fn to_input(&self) -> PhysicianInput {
        PhysicianInput {
            npi: self.npi.to_string(),
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            credentials: self.credentials.as_str().to_owned(),
            gender: self.gender.as_str().to_owned(),
            specialties: join(&self.specialties, |s| s.entry().code.as_deref().unwrap_or(s.slug())),
            conditions: join(&self.conditions, |c| c.slug()),
            languages: join(&self.languages, Language::as_str),
            accepting_new_patients: self.accepting_new_patients,
            telehealth: self.telehealth,
            last_updated: self.last_updated.as_str().to_owned(),
            licensed_states: join(&self.licensed_states, |s| s.code()),
            locations: self.locations.iter().map(Location::to_input).collect(),
        }
    }
}

impl Location {
    fn check(input: &LocationInput, ordinal: u8) -> Result<Self, FieldError> {
        printable(input.texts())?;
        let point = GeoPoint::new(input.lat, input.lng).map_err(|e| {
            let field = match e {
                crate::domain::geo::CoordinateError::Latitude => "lat",
                crate::domain::geo::CoordinateError::Longitude => "lng",
            };
            field_error(field)(e.to_string())
        })?;
        let state = UsState::parse(input.state.trim()).map_err(field_error("state"))?;
        let zip = ZipCode::parse(input.zip.trim()).map_err(field_error("zip"))?;
        match Gazetteer::get().zip(zip) {
            None => return Err(field_error("zip")(format!("{zip} is not a known US ZIP code"))),
            Some(place) if place.state != state => {
                return Err(field_error("zip")(format!("ZIP code {zip} is in {}, not {state}", place.state)));
            }
            Some(_) => {}
        }
        Ok(Location {
            ordinal,
            practice_name: required("practice_name", &input.practice_name)?,
            street: required("street", &input.street)?,
            city: required("city", &input.city)?,
            state,
            zip,
            phone: Phone::parse(input.phone.trim()).map_err(field_error("phone"))?,
            point,
            precision: GeocodePrecision::parse(&input.geocode_precision)
                .map_err(field_error("geocode_precision"))?,
            services: list("services", &input.services, Service::parse)?,
        })
    }

    fn to_input(&self) -> LocationInput {
        LocationInput {
            practice_name: self.practice_name.to_string(),
            street: self.street.to_string(),
            city: self.city.to_string(),
            state: self.state.code().to_owned(),
            zip: self.zip.to_string(),
            phone: self.phone.as_str().to_owned(),
            lat: self.point.lat(),
            lng: self.point.lng(),
            services: join(&self.services, |s| s.slug()),
            geocode_precision: self.precision.as_str().to_owned(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample_input() -> PhysicianInput {
        let location = LocationInput {
            practice_name: "Example Neuromuscular Clinic".into(),
            street: "1 Example Way".into(),
            city: "New York".into(),
            state: "NY".into(),
            zip: "10001".into(),
            phone: "212-555-0100".into(),
            lat: 40.75,
            lng: -73.99,
            services: "emg;infusion".into(),
            geocode_precision: "address".into(),
        };
        PhysicianInput {
            npi: "1234567893".into(),
            given_name: "Ada".into(),
            family_name: "Núñez".into(),
            credentials: "MD".into(),
            gender: "female".into(),
            specialties: "2084N0008X;neurology".into(),
            conditions: "lems;myasthenia-gravis".into(),
            languages: "en;es".into(),
            accepting_new_patients: true,
            telehealth: false,
            last_updated: "2026-10-01".into(),
            licensed_states: "NJ;NY".into(),
            locations: vec![location],
        }
    }

    /// The sample, checked.
    pub(crate) fn sample() -> Physician {
        Physician::check(sample_input()).unwrap()
    }

    #[test]
    fn input_round_trips_through_the_checked_form() {
        let input = sample_input();
        let physician = Physician::check(input.clone()).unwrap();
        assert_eq!(physician.specialties[0].slug(), "neuromuscular-medicine");
        let again = physician.to_input();
        assert_eq!(again.locations, input.locations);
        assert_eq!(Physician::check(again).unwrap(), physician);
    }

    #[test]
    fn practising_in_a_state_implies_a_license_there() {
        let mut input = sample_input();
        input.licensed_states = "wy; nj;WY".into();
        let codes: Vec<&str> =
            Physician::check(input).unwrap().licensed_states.iter().map(|s| s.code()).collect();
        assert_eq!(codes, ["NJ", "NY", "WY"]);
    }

    #[test]
    fn no_text_field_holds_a_control_character() {
        let fields = sample_input().texts().map(|(name, _)| name);
        let location_fields = sample_input().locations[0].texts().map(|(name, _)| name);
        // A text field of the physician's, or of their location's, by name.
        fn field<'a>(input: &'a mut PhysicianInput, name: &str) -> &'a mut String {
            match name {
                "npi" => &mut input.npi,
                "given_name" => &mut input.given_name,
                "family_name" => &mut input.family_name,
                "credentials" => &mut input.credentials,
                "gender" => &mut input.gender,
                "specialties" => &mut input.specialties,
                "conditions" => &mut input.conditions,
                "languages" => &mut input.languages,
                "last_updated" => &mut input.last_updated,
                "licensed_states" => &mut input.licensed_states,
                "practice_name" => &mut input.locations[0].practice_name,
                "street" => &mut input.locations[0].street,
                "city" => &mut input.locations[0].city,
                "state" => &mut input.locations[0].state,
                "zip" => &mut input.locations[0].zip,
                "phone" => &mut input.locations[0].phone,
                "services" => &mut input.locations[0].services,
                "geocode_precision" => &mut input.locations[0].geocode_precision,
                _ => unreachable!("{name}"),
            }
        }
        for name in fields.into_iter().chain(location_fields) {
            for control in ['\0', '\t', '\n', '\r', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}'] {
                for at_end in [false, true] {
                    let mut input = sample_input();
                    let value = field(&mut input, name);
                    if at_end {
                        value.push(control)
                    } else {
                        value.insert(1, control)
                    }
                    let error = Physician::check(input).unwrap_err();
                    assert_eq!(error.field, name, "{control:?}: {error:?}");
                    assert!(error.message.contains("control character"), "{error:?}");
                }
            }
        }
        let mut input = sample_input();
        input.given_name = "Zo\u{eb}\u{a0}\u{200d}Ann".into();
        assert!(Physician::check(input).is_ok(), "printable characters beyond ASCII are text");
    }

    #[test]
    fn each_bad_field_is_named() {
        type Spoil = fn(&mut PhysicianInput);
        let cases: [(&str, Spoil); 9] = [
            ("npi", |p| p.npi = "1234567890".into()),
            ("specialties", |p| p.specialties = "".into()),
            ("conditions", |p| p.conditions = "lems;flu".into()),
            ("last_updated", |p| p.last_updated = "2026-13-01".into()),
            ("phone", |p| p.locations[0].phone = "2125550100".into()),
            ("lat", |p| p.locations[0].lat = f64::NAN),
            ("state", |p| p.locations[0].state = "ZZ".into()),
            ("given_name", |p| p.given_name = "  ".into()),
            ("licensed_states", |p| p.licensed_states = "NY;XX".into()),
        ];
        for (field, spoil) in cases {
            let mut input = sample_input();
            spoil(&mut input);
            let error = Physician::check(input).unwrap_err();
            assert_eq!(error.field, field, "{error:?}");
        }
    }
}
