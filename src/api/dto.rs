//! What the API returns: serializable views of directory records, kept apart
//! from the records themselves so the wire format can evolve on its own.

use serde::Serialize;
use utoipa::ToSchema;

use crate::directory::{Location, Physician};
use crate::domain::vocabulary::{Kind, Term};
use crate::domain::{Credential, Gender, GeocodePrecision, Npi};

/// A specialty held by a physician.
#[derive(Serialize, ToSchema)]
pub struct SpecialtyView {
    /// NUCC taxonomy code.
    #[schema(example = "2084N0008X")]
    pub code: String,
    #[schema(example = "neuromuscular-medicine")]
    pub slug: String,
    #[schema(example = "Neuromuscular Medicine (Psychiatry & Neurology)")]
    pub name: String,
    /// The physician's primary specialty (exactly one is).
    pub primary: bool,
}

/// A condition or service: its slug and display name.
#[derive(Serialize, ToSchema)]
pub struct TermView {
    #[schema(example = "lems")]
    pub slug: String,
    #[schema(example = "Lambert-Eaton myasthenic syndrome")]
    pub name: String,
}

impl<K: Kind> From<Term<K>> for TermView {
    fn from(term: Term<K>) -> Self {
        let entry = term.entry();
        TermView { slug: entry.slug.clone(), name: entry.name.clone() }
    }
}

/// A postal address.
#[derive(Serialize, ToSchema)]
pub struct Address {
    #[schema(example = "120 Kelhaven Avenue")]
    pub street: String,
    #[schema(example = "New York")]
    pub city: String,
    /// Two-letter postal code of the state or territory.
    #[schema(example = "NY")]
    pub state: String,
    #[schema(example = "10001")]
    pub zip: String,
}

/// A practice location.
#[derive(Serialize, ToSchema)]
pub struct LocationView {
    /// Stable identifier: `{npi}-{ordinal}`.
    #[schema(example = "1234567893-1")]
    pub id: String,
    #[schema(example = "Kelhaven Neuromuscular Center")]
    pub practice_name: String,
    pub address: Address,
    /// Telephone, `NNN-NNN-NNNN` (ready for a `tel:` link).
    #[schema(example = "212-555-0147")]
    pub phone: String,
    #[schema(example = 40.7512)]
    pub lat: f64,
    #[schema(example = -73.9931)]
    pub lng: f64,
    /// `address` when the coordinates are the practice's own, `zip` when they
    /// are its ZIP code's centroid (the record had none).
    pub geocode_precision: GeocodePrecision,
    /// Services offered here.
    pub services: Vec<TermView>,
}

/// A physician with every practice location.
#[derive(Serialize, ToSchema)]
pub struct PhysicianView {
    /// National Provider Identifier (10 digits).
    #[schema(example = "1234567893")]
    pub npi: String,
    #[schema(example = "Ada")]
    pub given_name: String,
    #[schema(example = "Núñez")]
    pub family_name: String,
    /// Name as a patient would read it, e.g. "Ada Núñez, MD".
    #[schema(example = "Ada Núñez, MD")]
    pub display_name: String,
    pub credentials: Credential,
    pub gender: Gender,
    /// Primary first.
    pub specialties: Vec<SpecialtyView>,
    /// Conditions the physician treats.
    pub conditions: Vec<TermView>,
    /// ISO 639-1 codes of the languages spoken.
    #[schema(example = json!(["en", "es"]))]
    pub languages: Vec<String>,
    pub accepting_new_patients: bool,
    pub telehealth: bool,
    /// Date the record was last confirmed (YYYY-MM-DD).
    #[schema(example = "2026-10-01")]
    pub last_updated: String,
    pub locations: Vec<LocationView>,
}

fn location_view(npi: Npi, l: &Location) -> LocationView {
    LocationView {
        id: l.id(npi),
        practice_name: l.practice_name.to_string(),
        address: Address {
            street: l.street.to_string(),
            city: l.city.to_string(),
            state: l.state.code().to_owned(),
            zip: l.zip.to_string(),
        },
        phone: l.phone.as_str().to_owned(),
        lat: l.point.lat(),
        lng: l.point.lng(),
        geocode_precision: l.precision,
        services: l.services.iter().map(|&s| s.into()).collect(),
    }
}

impl From<&Physician> for PhysicianView {
    fn from(p: &Physician) -> Self {
        PhysicianView {
            npi: p.npi.to_string(),
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
            display_name: format!("{} {}, {}", p.given_name, p.family_name, p.credentials.as_str()),
            credentials: p.credentials,
            gender: p.gender,
            specialties: p
                .specialties
                .iter()
                .enumerate()
                .map(|(i, s)| SpecialtyView {
                    code: s.entry().code.clone().unwrap_or_default(),
                    slug: s.slug().to_owned(),
                    name: s.entry().name.clone(),
                    primary: i == 0,
                })
                .collect(),
            conditions: p.conditions.iter().map(|&c| c.into()).collect(),
            languages: p.languages.iter().map(|l| l.as_str().to_owned()).collect(),
            accepting_new_patients: p.accepting_new_patients,
            telehealth: p.telehealth,
            last_updated: p.last_updated.as_str().to_owned(),
            locations: p.locations.iter().map(|l| location_view(p.npi, l)).collect(),
        }
    }
}
