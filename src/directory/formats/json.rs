//! The directory's JSON layout: a physician exactly as `GET /v1/physicians/{npi}`
//! returns it. `PUT /v1/admin/physicians/{npi}` takes it, and an NDJSON import is
//! one per line. Derived fields (`display_name`, names of terms, location `id`)
//! may be sent back as received; they are not read. A location sent back with
//! `"geocode_precision": "zip"` stays at the centroid of its ZIP code, so a
//! physician read and written back unchanged is unchanged.

use serde::Deserialize;

use super::{FieldError, Physician};
use crate::directory::input::{LIST_SEPARATOR, LocationInput, PhysicianInput, coordinates};
use crate::domain::GeocodePrecision;

/// A specialty: a slug or code, or the object the API returns.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SpecialtyJson {
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
enum TermJson {
    Plain(String),
    Object {
        slug: String,
        #[serde(default, rename = "name")]
        _name: Option<String>,
    },
}

impl TermJson {
    fn slug(&self) -> &str {
        match self {
            TermJson::Plain(s) | TermJson::Object { slug: s, .. } => s,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddressJson {
    street: String,
    city: String,
    state: String,
    zip: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationJson {
    #[serde(default, rename = "id")]
    _id: Option<String>,
    practice_name: String,
    address: AddressJson,
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
    services: Vec<TermJson>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PhysicianJson {
    npi: String,
    given_name: String,
    family_name: String,
    #[serde(default, rename = "display_name")]
    _display_name: Option<String>,
    credentials: String,
    gender: String,
    specialties: Vec<SpecialtyJson>,
    #[serde(default)]
    conditions: Vec<TermJson>,
    #[serde(default)]
    languages: Vec<String>,
    accepting_new_patients: bool,
    telehealth: bool,
    /// Postal codes; the locations' states are implied.
    #[serde(default)]
    licensed_states: Vec<String>,
    last_updated: String,
    locations: Vec<LocationJson>,
}

fn joined<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(&LIST_SEPARATOR.to_string())
}

/// Parses and checks one physician in the JSON layout. The field of a
/// malformed document is `json`.
pub fn parse(text: &str) -> Result<Physician, FieldError> {
    let document: PhysicianJson =
        serde_json::from_str(text).map_err(|e| FieldError::new("json", e.to_string()))?;
    let mut specialties: Vec<(bool, String)> = Vec::new();
    for s in &document.specialties {
        let (primary, value) = match s {
            SpecialtyJson::Plain(v) => (false, v.clone()),
            SpecialtyJson::Object { code, slug, primary, .. } => {
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
    let locations = document
        .locations
        .iter()
        .map(|l| {
            let precision = l.geocode_precision.as_deref().map(GeocodePrecision::parse).transpose();
            let precision = precision.map_err(|message| FieldError::new("geocode_precision", message))?;
            let (lat, lng) = match precision {
                Some(GeocodePrecision::Zip) => (None, None),
                _ => (l.lat.map(|v| v.to_string()), l.lng.map(|v| v.to_string())),
            };
            let (lat, lng, precision) =
                coordinates(lat.as_deref().unwrap_or(""), lng.as_deref().unwrap_or(""), &l.address.zip)?;
            Ok(LocationInput {
                practice_name: l.practice_name.clone(),
                street: l.address.street.clone(),
                city: l.address.city.clone(),
                state: l.address.state.clone(),
                zip: l.address.zip.clone(),
                phone: l.phone.clone(),
                lat,
                lng,
                services: joined(l.services.iter().map(TermJson::slug)),
                geocode_precision: precision.as_str().to_owned(),
            })
        })
        .collect::<Result<Vec<_>, FieldError>>()?;
    Physician::check(PhysicianInput {
        npi: document.npi,
        given_name: document.given_name,
        family_name: document.family_name,
        credentials: document.credentials,
        gender: document.gender,
        specialties: joined(specialties.iter().map(|s| s.1.as_str())),
        conditions: joined(document.conditions.iter().map(TermJson::slug)),
        languages: joined(document.languages.iter().map(String::as_str)),
        accepting_new_patients: document.accepting_new_patients,
        telehealth: document.telehealth,
        last_updated: document.last_updated,
        licensed_states: joined(document.licensed_states.iter().map(String::as_str)),
        locations,
    })
}
