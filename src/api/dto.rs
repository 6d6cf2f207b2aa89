//! What the API returns: serializable views of directory records, kept apart
//! from the records themselves so the wire format can evolve on its own. The
//! views borrow from the records: a page of twenty physicians would otherwise
//! copy some six hundred strings only to write them out once.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use std::any::TypeId;
use std::sync::LazyLock;

use serde::{Serialize, Serializer};
use serde_json::value::{RawValue, to_raw_value};
use utoipa::ToSchema;

use crate::directory::{Location, Physician};
use crate::domain::vocabulary::{ConditionKind, Kind, ServiceKind, Term};
use crate::domain::{Credential, Gender, GeocodePrecision, Npi, Specialty};
use crate::error::Error;

/// A JSON answer written into a buffer of about the size it will take:
/// growing one from empty copies a 25 KB page several times over.
pub fn json(
    status: StatusCode,
    value: &impl Serialize,
    expected_bytes: usize,
) -> Result<HttpResponse, Error> {
    let mut body = Vec::with_capacity(expected_bytes);
    serde_json::to_writer(&mut body, value)
        .map_err(|e| Error::Internal(format!("serializing an answer: {e}")))?;
    Ok(HttpResponse::build(status).content_type(ContentType::json()).body(body))
}

/// A specialty held by a physician.
#[derive(ToSchema)]
pub struct SpecialtyView {
    /// NUCC taxonomy code.
    #[schema(example = "2084N0008X")]
    pub code: &'static str,
    #[schema(example = "neuromuscular-medicine")]
    pub slug: &'static str,
    #[schema(example = "Neuromuscular Medicine (Psychiatry & Neurology)")]
    pub name: &'static str,
    /// The physician's primary specialty (exactly one is).
    pub primary: bool,
    #[schema(ignore)]
    json: &'static RawValue,
}

/// A physician's primary specialty, as a summary names it: a specialty view
/// less `primary`, which would always be true.
#[derive(ToSchema)]
pub struct PrimarySpecialtyView {
    /// NUCC taxonomy code.
    #[schema(example = "2084N0008X")]
    pub code: &'static str,
    #[schema(example = "neuromuscular-medicine")]
    pub slug: &'static str,
    #[schema(example = "Neuromuscular Medicine (Psychiatry & Neurology)")]
    pub name: &'static str,
    #[schema(ignore)]
    json: &'static RawValue,
}

/// A condition or service: its slug and display name.
#[derive(ToSchema)]
pub struct TermView {
    #[schema(example = "lems")]
    pub slug: &'static str,
    #[schema(example = "Lambert-Eaton myasthenic syndrome")]
    pub name: &'static str,
    #[schema(ignore)]
    json: &'static RawValue,
}

/// The JSON of every term view, written once. A page of twenty physicians
/// repeats the same few terms and their long names some two hundred times;
/// escaping them afresh each time was the largest cost of a search answer.
struct TermJson {
    /// By specialty index: as a secondary, then as the primary specialty.
    specialties: Vec<[Box<RawValue>; 2]>,
    /// By specialty index: as a summary names the primary one (no `primary`).
    summary_specialties: Vec<Box<RawValue>>,
    /// By [`vocabulary_slot`], then term index.
    terms: [Vec<Box<RawValue>>; 2],
}

/// The fields of a term view, in the order they are written.
#[derive(Serialize)]
struct TermFields<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    slug: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary: Option<bool>,
}

static TERM_JSON: LazyLock<TermJson> = LazyLock::new(|| {
    let raw = |fields: TermFields<'_>| to_raw_value(&fields).expect("strings and booleans serialize");
    fn plain<K: Kind>(raw: impl Fn(TermFields<'_>) -> Box<RawValue>) -> Vec<Box<RawValue>> {
        let fields =
            |t: Term<K>| TermFields { code: None, slug: t.slug(), name: &t.entry().name, primary: None };
        Term::<K>::all().map(|t| raw(fields(t))).collect()
    }
    let specialty = |s: Specialty, primary: Option<bool>| {
        let entry = s.entry();
        let code = Some(entry.code.as_deref().unwrap_or_default());
        raw(TermFields { code, slug: &entry.slug, name: &entry.name, primary })
    };
    TermJson {
        specialties: Specialty::all()
            .map(|s| [specialty(s, Some(false)), specialty(s, Some(true))])
            .collect(),
        summary_specialties: Specialty::all().map(|s| specialty(s, None)).collect(),
        terms: [plain::<ConditionKind>(&raw), plain::<ServiceKind>(&raw)],
    }
});

/// Where a vocabulary's term views are in [`TermJson::terms`].
fn vocabulary_slot<K: Kind>() -> usize {
    [TypeId::of::<ConditionKind>(), TypeId::of::<ServiceKind>()]
        .iter()
        .position(|&kind| kind == TypeId::of::<K>())
        .expect("conditions and services are the vocabularies shown as term views")
}

impl SpecialtyView {
    fn new(specialty: Specialty, primary: bool) -> Self {
        let entry = specialty.entry();
        SpecialtyView {
            code: entry.code.as_deref().unwrap_or_default(),
            slug: &entry.slug,
            name: &entry.name,
            primary,
            json: &TERM_JSON.specialties[specialty.index()][usize::from(primary)],
        }
    }
}

impl PrimarySpecialtyView {
    /// The primary specialty of `physician`, who has at least one (the directory's check).
    pub fn of(physician: &Physician) -> Self {
        let specialty = physician.specialties[0];
        let entry = specialty.entry();
        PrimarySpecialtyView {
            code: entry.code.as_deref().unwrap_or_default(),
            slug: &entry.slug,
            name: &entry.name,
            json: &TERM_JSON.summary_specialties[specialty.index()],
        }
    }
}

impl<K: Kind> From<Term<K>> for TermView {
    fn from(term: Term<K>) -> Self {
        let entry = term.entry();
        TermView {
            slug: &entry.slug,
            name: &entry.name,
            json: &TERM_JSON.terms[vocabulary_slot::<K>()][term.index()],
        }
    }
}

/// Serialises each term view as its JSON from [`TERM_JSON`].
macro_rules! serialize_written {
    ($($view:ty),+) => {$(
        impl Serialize for $view {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.json.serialize(serializer)
            }
        }
    )+};
}

serialize_written!(SpecialtyView, PrimarySpecialtyView, TermView);

/// A postal address.
#[derive(Serialize, ToSchema)]
pub struct Address<'a> {
    #[schema(example = "120 Kelhaven Avenue")]
    pub street: &'a str,
    #[schema(example = "New York")]
    pub city: &'a str,
    /// Two-letter postal code of the state or territory.
    #[schema(example = "NY")]
    pub state: &'static str,
    #[schema(example = "10001")]
    pub zip: &'a str,
}

impl<'a> Address<'a> {
    pub fn of(l: &'a Location) -> Self {
        Address { street: &l.street, city: &l.city, state: l.state.code(), zip: l.zip.as_str() }
    }
}

/// The name as a patient reads it: "Ada Núñez, MD".
pub fn display_name(p: &Physician) -> String {
    format!("{} {}, {}", p.given_name, p.family_name, p.credentials.as_str())
}

/// A practice location.
#[derive(Serialize, ToSchema)]
pub struct LocationView<'a> {
    /// Stable identifier: `{npi}-{ordinal}`.
    #[schema(example = "1234567893-1")]
    pub id: String,
    #[schema(example = "Kelhaven Neuromuscular Center")]
    pub practice_name: &'a str,
    pub address: Address<'a>,
    /// Telephone, `NNN-NNN-NNNN` (ready for a `tel:` link).
    #[schema(example = "212-555-0147")]
    pub phone: &'a str,
    #[schema(example = 40.7512)]
    pub lat: f64,
    #[schema(example = -73.9931)]
    pub lng: f64,
    /// `address` when the coordinates are the practice's own, `zip` when they
    /// are its ZIP code's centroid (the record had none).
    pub geocode_precision: GeocodePrecision,
    /// Services offered here.
    #[schema(example = json!([{"slug": "emg", "name": "Electromyography (EMG)"}]))]
    pub services: Vec<TermView>,
}

/// A physician with every practice location.
#[derive(Serialize, ToSchema)]
pub struct PhysicianView<'a> {
    /// National Provider Identifier (10 digits).
    #[schema(example = "1234567893")]
    pub npi: String,
    #[schema(example = "Ada")]
    pub given_name: &'a str,
    #[schema(example = "Núñez")]
    pub family_name: &'a str,
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
    pub languages: Vec<&'a str>,
    pub accepting_new_patients: bool,
    pub telehealth: bool,
    /// Postal codes of the states and territories where the physician holds
    /// a license (so may see a patient there by telehealth): every location's
    /// state and any others, sorted.
    #[schema(example = json!(["NJ", "NY", "WY"]))]
    pub licensed_states: Vec<&'static str>,
    /// Date the record was last confirmed (YYYY-MM-DD).
    #[schema(example = "2026-10-01")]
    pub last_updated: &'a str,
    pub locations: Vec<LocationView<'a>>,
}

fn location_view(npi: Npi, l: &Location) -> LocationView<'_> {
    LocationView {
        id: l.id(npi),
        practice_name: &l.practice_name,
        address: Address::of(l),
        phone: l.phone.as_str(),
        lat: l.point.lat(),
        lng: l.point.lng(),
        geocode_precision: l.precision,
        services: l.services.iter().map(|&s| s.into()).collect(),
    }
}

impl<'a> From<&'a Physician> for PhysicianView<'a> {
    fn from(p: &'a Physician) -> Self {
        PhysicianView {
            npi: p.npi.to_string(),
            given_name: &p.given_name,
            family_name: &p.family_name,
            display_name: display_name(p),
            credentials: p.credentials,
            gender: p.gender,
            specialties: p
                .specialties
                .iter()
                .enumerate()
                .map(|(i, &s)| SpecialtyView::new(s, i == 0))
                .collect(),
            conditions: p.conditions.iter().map(|&c| c.into()).collect(),
            languages: p.languages.iter().map(|l| l.as_str()).collect(),
            accepting_new_patients: p.accepting_new_patients,
            telehealth: p.telehealth,
            licensed_states: p.licensed_states.iter().map(|s| s.code()).collect(),
            last_updated: p.last_updated.as_str(),
            locations: p.locations.iter().map(|l| location_view(p.npi, l)).collect(),
        }
    }
}
