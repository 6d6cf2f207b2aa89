//! The directory's records: a physician with their practice locations, checked.
//!
//! The same fields travel as database rows ([`crate::db::models`]) and CSV rows
//! ([`csv`]); both become a [`Physician`] only through [`Physician::from_rows`],
//! so every path into the directory applies the same validation.

pub mod csv;
pub mod json;

use crate::db::models::{LocationRow, PhysicianRow};
use crate::domain::{
    Condition, Credential, Date, Gender, GeoPoint, GeocodePrecision, Language, Npi, Phone, Service,
    Specialty, UsState, ZipCode,
};
use crate::geocode::Gazetteer;

/// Separator of multi-valued fields in rows (`neurology;neuromuscular-medicine`).
pub const LIST_SEPARATOR: char = ';';

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

/// A field that failed validation, named as in the row layout.
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
    /// Checks a physician row and its location rows (in ordinal order).
    pub fn from_rows(row: &PhysicianRow, locations: &[LocationRow]) -> Result<Self, FieldError> {
        let npi = Npi::parse(row.npi.trim()).map_err(|e| field_error("npi")(e.to_string()))?;
        let specialties = list("specialties", &row.specialties, Specialty::parse)?;
        if specialties.is_empty() {
            return Err(field_error("specialties")("at least one specialty is required".into()));
        }
        if locations.is_empty() {
            return Err(field_error("locations")("at least one practice location is required".into()));
        }
        if locations.len() > usize::from(u8::MAX) {
            return Err(field_error("locations")("at most 255 locations per physician".into()));
        }
        let locations = exactly_sized(locations.iter().zip(1u8..).enumerate().map(|(i, (l, ordinal))| {
            Location::from_row(l, ordinal).map_err(|e| FieldError { location: Some(i), ..e })
        }))?;
        Ok(Physician {
            npi,
            licensed_states: licensed(&row.licensed_states, &locations)?,
            given_name: required("given_name", &row.given_name)?,
            family_name: required("family_name", &row.family_name)?,
            credentials: Credential::parse(row.credentials.trim()).map_err(field_error("credentials"))?,
            gender: Gender::parse(row.gender.trim()).map_err(field_error("gender"))?,
            specialties,
            conditions: list("conditions", &row.conditions, Condition::parse)?,
            languages: list("languages", &row.languages, Language::parse)?,
            accepting_new_patients: row.accepting_new_patients,
            telehealth: row.telehealth,
            last_updated: Date::parse(row.last_updated.trim()).map_err(field_error("last_updated"))?,
            locations,
        })
    }

    /// The rows that store this physician.
    pub fn to_rows(&self) -> (PhysicianRow, Vec<LocationRow>) {
        let npi = self.npi.to_string();
        let row = PhysicianRow {
            npi: npi.clone(),
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
        };
        let locations = self
            .locations
            .iter()
            .map(|l| LocationRow {
                npi: npi.clone(),
                ordinal: i32::from(l.ordinal),
                practice_name: l.practice_name.to_string(),
                street: l.street.to_string(),
                city: l.city.to_string(),
                state: l.state.code().to_owned(),
                zip: l.zip.to_string(),
                phone: l.phone.as_str().to_owned(),
                lat: l.point.lat(),
                lng: l.point.lng(),
                services: join(&l.services, |s| s.slug()),
                geocode_precision: l.precision.as_str().to_owned(),
            })
            .collect();
        (row, locations)
    }
}

impl Location {
    fn from_row(row: &LocationRow, ordinal: u8) -> Result<Self, FieldError> {
        let point = GeoPoint::new(row.lat, row.lng).map_err(|e| {
            let field = match e {
                crate::domain::geo::CoordinateError::Latitude => "lat",
                crate::domain::geo::CoordinateError::Longitude => "lng",
            };
            field_error(field)(e.to_string())
        })?;
        let state = UsState::parse(row.state.trim()).map_err(field_error("state"))?;
        let zip = ZipCode::parse(row.zip.trim()).map_err(field_error("zip"))?;
        match Gazetteer::get().zip(zip) {
            None => return Err(field_error("zip")(format!("{zip} is not a known US ZIP code"))),
            Some(place) if place.state != state => {
                return Err(field_error("zip")(format!("ZIP code {zip} is in {}, not {state}", place.state)));
            }
            Some(_) => {}
        }
        Ok(Location {
            ordinal,
            practice_name: required("practice_name", &row.practice_name)?,
            street: required("street", &row.street)?,
            city: required("city", &row.city)?,
            state,
            zip,
            phone: Phone::parse(row.phone.trim()).map_err(field_error("phone"))?,
            point,
            precision: GeocodePrecision::parse(&row.geocode_precision)
                .map_err(field_error("geocode_precision"))?,
            services: list("services", &row.services, Service::parse)?,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample_rows() -> (PhysicianRow, Vec<LocationRow>) {
        let physician = PhysicianRow {
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
        };
        let location = LocationRow {
            npi: "1234567893".into(),
            ordinal: 1,
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
        (physician, vec![location])
    }

    #[test]
    fn rows_round_trip_through_the_checked_form() {
        let (row, locations) = sample_rows();
        let physician = Physician::from_rows(&row, &locations).unwrap();
        assert_eq!(physician.specialties[0].slug(), "neuromuscular-medicine");
        let (row2, locations2) = physician.to_rows();
        assert_eq!(Physician::from_rows(&row2, &locations2).unwrap(), physician);
        assert_eq!(locations2, locations);
    }

    #[test]
    fn practising_in_a_state_implies_a_license_there() {
        let (mut row, locations) = sample_rows();
        row.licensed_states = "wy; nj;WY".into();
        let physician = Physician::from_rows(&row, &locations).unwrap();
        let codes: Vec<&str> = physician.licensed_states.iter().map(|s| s.code()).collect();
        assert_eq!(codes, ["NJ", "NY", "WY"]);
    }

    #[test]
    fn each_bad_field_is_named() {
        type Spoil = fn(&mut PhysicianRow, &mut LocationRow);
        let cases: [(&str, Spoil); 9] = [
            ("npi", |p, _| p.npi = "1234567890".into()),
            ("specialties", |p, _| p.specialties = "".into()),
            ("conditions", |p, _| p.conditions = "lems;flu".into()),
            ("last_updated", |p, _| p.last_updated = "2026-13-01".into()),
            ("phone", |_, l| l.phone = "2125550100".into()),
            ("lat", |_, l| l.lat = f64::NAN),
            ("state", |_, l| l.state = "ZZ".into()),
            ("given_name", |p, _| p.given_name = "  ".into()),
            ("licensed_states", |p, _| p.licensed_states = "NY;XX".into()),
        ];
        for (field, spoil) in cases {
            let (mut row, mut locations) = sample_rows();
            spoil(&mut row, &mut locations[0]);
            let error = Physician::from_rows(&row, &locations).unwrap_err();
            assert_eq!(error.field, field, "{error:?}");
        }
    }
}
