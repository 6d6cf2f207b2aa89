//! A physician as given, before any check: the fields as a file, a request
//! body or the database holds them. Every reader builds one, and only
//! [`super::Physician::check`] turns it into a record, so every path into the
//! directory applies the same validation. The directory owns this form, so it
//! depends on no reader and no store: they convert to and from it.

use super::FieldError;
use crate::domain::{GeocodePrecision, ZipCode};
use crate::geocode::Gazetteer;

/// Separator of multi-valued fields (`neurology;neuromuscular-medicine`).
pub const LIST_SEPARATOR: char = ';';

/// A physician's fields, unchecked. Lists of terms are `;`-separated; the first
/// specialty is the primary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PhysicianInput {
    pub npi: String,
    pub given_name: String,
    pub family_name: String,
    pub credentials: String,
    pub gender: String,
    pub specialties: String,
    pub conditions: String,
    pub languages: String,
    pub accepting_new_patients: bool,
    pub telehealth: bool,
    pub last_updated: String,
    /// Postal codes of the states where a license is held; each location's
    /// state is implied, so may be left out.
    pub licensed_states: String,
    /// In order: the first is ordinal 1.
    pub locations: Vec<LocationInput>,
}

impl PhysicianInput {
    /// The physician's own text fields, by the names errors give them (a
    /// location's are [`LocationInput::texts`]). Every field is named, so a
    /// field added to the input is added here or fails to compile.
    pub fn texts(&self) -> [(&'static str, &str); 10] {
        let PhysicianInput {
            npi,
            given_name,
            family_name,
            credentials,
            gender,
            specialties,
            conditions,
            languages,
            accepting_new_patients: _,
            telehealth: _,
            last_updated,
            licensed_states,
            locations: _,
        } = self;
        [
            ("npi", npi),
            ("given_name", given_name),
            ("family_name", family_name),
            ("credentials", credentials),
            ("gender", gender),
            ("specialties", specialties),
            ("conditions", conditions),
            ("languages", languages),
            ("last_updated", last_updated),
            ("licensed_states", licensed_states),
        ]
    }
}

/// A practice location's fields, unchecked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LocationInput {
    pub practice_name: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub phone: String,
    /// Degrees; see [`coordinates`] for a location given without them.
    pub lat: f64,
    pub lng: f64,
    pub services: String,
    pub geocode_precision: String,
}

impl LocationInput {
    /// The location's text fields, by the names errors give them (every
    /// field named, as in [`PhysicianInput::texts`]).
    pub fn texts(&self) -> [(&'static str, &str); 8] {
        let LocationInput {
            practice_name,
            street,
            city,
            state,
            zip,
            phone,
            lat: _,
            lng: _,
            services,
            geocode_precision,
        } = self;
        [
            ("practice_name", practice_name),
            ("street", street),
            ("city", city),
            ("state", state),
            ("zip", zip),
            ("phone", phone),
            ("services", services),
            ("geocode_precision", geocode_precision),
        ]
    }
}

/// A location's coordinates from their text: as given, or, when both are
/// blank, its ZIP code's centroid, labelled as such.
pub fn coordinates(lat: &str, lng: &str, zip: &str) -> Result<(f64, f64, GeocodePrecision), FieldError> {
    if lat.trim().is_empty() && lng.trim().is_empty() {
        let place =
            ZipCode::parse(zip.trim()).ok().and_then(|z| Gazetteer::get().zip(z)).ok_or_else(|| {
                FieldError::new(
                    "zip",
                    format!("{zip:?} is not a known US ZIP code, and no lat/lng were given"),
                )
            })?;
        return Ok((place.point.lat(), place.point.lng(), GeocodePrecision::Zip));
    }
    Ok((degrees("lat", lat)?, degrees("lng", lng)?, GeocodePrecision::Address))
}

fn degrees(field: &'static str, value: &str) -> Result<f64, FieldError> {
    value.trim().parse().map_err(|_| FieldError::new(field, format!("{value:?} is not a number")))
}
