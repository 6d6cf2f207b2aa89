//! The directory's JSON layout: a physician exactly as `GET /v1/physicians/{npi}`
//! returns it. `PUT /v1/admin/physicians/{npi}` takes it, and an NDJSON import is
//! one per line. Derived fields (`display_name`, names of terms, location `id`)
//! may be sent back as received; they are not read. A location sent back with
//! `"geocode_precision": "zip"` stays at the centroid of its ZIP code, so a
//! physician read and written back unchanged is unchanged.

use serde::Deserialize;

use super::{FieldError, Physician};
use crate::db::models::{LocationRow, PhysicianRow};
use crate::domain::GeocodePrecision;

/// A specialty: a slug or code, or the object the API returns.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SpecialtyInput {
    Plain(String),
    Object {
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        slug: Option<String>,
        #[serde(default, rename = "name")]
        _name: Option<String>,
        #[serde(default)]
        primary: bool,
    },
}

/// A condition or service: a slug, or the `{slug, name}` object the API returns.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum TermInput {
    Plain(String),
    Object {
        slug: String,
        #[serde(default, rename = "name")]
        _name: Option<String>,
    },
}

impl TermInput {
    fn slug(&self) -> &str {
        match self {
            TermInput::Plain(s) | TermInput::Object { slug: s, .. } => s,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddressInput {
    street: String,
    city: String,
    state: String,
    zip: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationInput {
    #[serde(default, rename = "id")]
    _id: Option<String>,
    practice_name: String,
    address: AddressInput,
    phone: String,
    /// With `lng`; both absent (or null) places the location at its ZIP centroid.
    #[serde(default)]
    lat: Option<f64>,
    #[serde(default)]
    lng: Option<f64>,
    /// `zip`: at the ZIP centroid whatever `lat`/`lng` say (they are the
    /// centroid as the API showed it); `address` or absent: at `lat`/`lng`.
    #[serde(default)]
    geocode_precision: Option<String>,
    #[serde(default)]
    services: Vec<TermInput>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PhysicianInput {
    npi: String,
    given_name: String,
    family_name: String,
    #[serde(default, rename = "display_name")]
    _display_name: Option<String>,
    credentials: String,
    gender: String,
    specialties: Vec<SpecialtyInput>,
    #[serde(default)]
    conditions: Vec<TermInput>,
    #[serde(default)]
    languages: Vec<String>,
    accepting_new_patients: bool,
    telehealth: bool,
    /// Postal codes; the locations' states are implied.
    #[serde(default)]
    licensed_states: Vec<String>,
    last_updated: String,
    locations: Vec<LocationInput>,
}

fn joined<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(&super::LIST_SEPARATOR.to_string())
}

/// Parses and checks one physician in the JSON layout. The field of a
/// malformed document is `json`.
pub fn parse(text: &str) -> Result<Physician, FieldError> {
    let input: PhysicianInput =
        serde_json::from_str(text).map_err(|e| FieldError::new("json", e.to_string()))?;
    let mut specialties: Vec<(bool, String)> = Vec::new();
    for s in &input.specialties {
        let (primary, value) = match s {
            SpecialtyInput::Plain(v) => (false, v.clone()),
            SpecialtyInput::Object { code, slug, primary, .. } => {
                let value = code.clone().or_else(|| slug.clone());
                (
                    *primary,
                    value.ok_or_else(|| {
                        FieldError::new("specialties", "each specialty needs a code or a slug")
                    })?,
                )
            }
        };
        specialties.push((primary, value));
    }
    match specialties.iter().filter(|s| s.0).count() {
        0 => {}
        1 => specialties.sort_by_key(|s| !s.0), // the primary first, the rest in order
        _ => return Err(FieldError::new("specialties", "only one specialty can be primary")),
    }
    let row = PhysicianRow {
        npi: input.npi,
        given_name: input.given_name,
        family_name: input.family_name,
        credentials: input.credentials,
        gender: input.gender,
        specialties: joined(specialties.iter().map(|s| s.1.as_str())),
        conditions: joined(input.conditions.iter().map(TermInput::slug)),
        languages: joined(input.languages.iter().map(String::as_str)),
        accepting_new_patients: input.accepting_new_patients,
        telehealth: input.telehealth,
        last_updated: input.last_updated,
        licensed_states: joined(input.licensed_states.iter().map(String::as_str)),
    };
    let locations = input
        .locations
        .iter()
        .zip(1..)
        .map(|(l, ordinal)| {
            let precision = l.geocode_precision.as_deref().map(GeocodePrecision::parse).transpose();
            let precision = precision.map_err(|message| FieldError::new("geocode_precision", message))?;
            let (lat, lng) = match precision {
                Some(GeocodePrecision::Zip) => (None, None),
                _ => (l.lat.map(|v| v.to_string()), l.lng.map(|v| v.to_string())),
            };
            let (lat, lng, precision) = super::csv::coordinates(
                lat.as_deref().unwrap_or(""),
                lng.as_deref().unwrap_or(""),
                &l.address.zip,
            )?;
            Ok(LocationRow {
                npi: row.npi.clone(),
                ordinal,
                practice_name: l.practice_name.clone(),
                street: l.address.street.clone(),
                city: l.address.city.clone(),
                state: l.address.state.clone(),
                zip: l.address.zip.clone(),
                phone: l.phone.clone(),
                lat,
                lng,
                services: joined(l.services.iter().map(TermInput::slug)),
                geocode_precision: precision.as_str().to_owned(),
            })
        })
        .collect::<Result<Vec<_>, FieldError>>()?;
    Physician::from_rows(&row, &locations)
}
