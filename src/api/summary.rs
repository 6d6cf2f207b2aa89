//! The summary view of a search (`view=summary`, a partial response as in
//! AIP-157): what a list row or a map marker shows, and nothing more. A full
//! result carries the whole record (every specialty, condition, language and
//! location, about 1 KB a physician); a summary carries one location, the one
//! the search reports, and the physician in brief. `GET /v1/physicians/{npi}`
//! has the rest when a result is opened.
//!
//! Like the full view, it borrows from the snapshot, writes the specialty
//! from JSON serialised once, and copies each location's JSON from the cache
//! of written parts (`physician_json`) after its first answer.

use serde::Serialize;
use utoipa::openapi::schema::{AnyOfBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::dto::{Address, PrimarySpecialtyView, display_name};
use super::physician_json::Fragment;
use super::physicians::{RadiusView, SearchResponse};
use crate::directory::{Location, Physician};
use crate::domain::{GeocodePrecision, Npi};
use crate::geocode::Origin;

/// One search result in brief, at the location the search reports.
#[derive(Serialize, ToSchema)]
pub struct PhysicianSummary<'a> {
    /// National Provider Identifier (10 digits).
    #[schema(value_type = String, example = "1234567893")]
    pub npi: Npi,
    /// Name as a patient would read it, e.g. "Ada Núñez, MD".
    #[schema(example = "Ada Núñez, MD")]
    pub display_name: String,
    pub primary_specialty: PrimarySpecialtyView,
    pub accepting_new_patients: bool,
    pub telehealth: bool,
    /// With an origin, the nearest location that matches the filters (the
    /// full view's `nearest_location_id`); without, the first that offers a
    /// `service` asked for, or the first of all.
    #[schema(value_type = LocationSummary)]
    pub location: Fragment<LocationSummary<'a>>,
    /// Geodesic distance (WGS84) from the origin to `location`, in the
    /// request's unit, unrounded; null without an origin.
    #[schema(example = 1.8342)]
    pub distance: Option<f64>,
}

/// The location a summary reports: where to go and whom to call.
#[derive(Serialize, ToSchema)]
pub struct LocationSummary<'a> {
    /// Stable identifier: `{npi}-{ordinal}`, as among the physician's `locations`.
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
    /// are its ZIP code's centroid.
    pub geocode_precision: GeocodePrecision,
}

impl<'a> PhysicianSummary<'a> {
    /// `physician` at one of their locations (as [`LocationSummary::new`]
    /// writes it), `distance` away in the request's unit.
    pub fn new(
        physician: &'a Physician,
        location: Fragment<LocationSummary<'a>>,
        distance: Option<f64>,
    ) -> Self {
        PhysicianSummary {
            npi: physician.npi,
            display_name: display_name(physician),
            primary_specialty: PrimarySpecialtyView::of(physician),
            accepting_new_patients: physician.accepting_new_patients,
            telehealth: physician.telehealth,
            location,
            distance,
        }
    }
}

impl<'a> LocationSummary<'a> {
    /// `location`, one of `physician`'s. It depends on no query, so its JSON
    /// is kept (`physician_json`) and copied into later answers.
    pub fn new(physician: &Physician, location: &'a Location) -> Self {
        LocationSummary {
            id: location.id(physician.npi),
            practice_name: &location.practice_name,
            address: Address::of(location),
            phone: location.phone.as_str(),
            lat: location.point.lat(),
            lng: location.point.lng(),
            geocode_precision: location.precision,
        }
    }
}

/// A page of search results in the summary view: the envelope of
/// `SearchResponse`, so paging, cursors and `beyond` work alike.
#[derive(Serialize, ToSchema)]
pub struct SearchSummaryResponse<'a> {
    /// The point distances are measured from; null when listing by name.
    pub origin: Option<Origin>,
    /// The radius searched; null when listing by name.
    pub radius: Option<RadiusView>,
    /// How many physicians match in all; null unless `include_total=true`.
    #[schema(example = 42)]
    pub total: Option<usize>,
    /// This page, nearest first (or by name).
    pub results: Vec<PhysicianSummary<'a>>,
    /// Pass as `cursor` for the next page, in either view; null on the last page.
    pub next_cursor: Option<String>,
    /// With an origin, on the last page: the nearest matches outside the
    /// radius, as in `SearchResponse`, in brief. Null without an origin.
    pub beyond_radius: Option<Vec<PhysicianSummary<'a>>>,
}

/// The JSON answer of `GET /v1/physicians`: a `SearchResponse` or, with
/// `view=summary`, a `SearchSummaryResponse`. Only its schema exists.
///
/// Why one operation whose 200 is `anyOf` the two:
/// - the view is a parameter of the same search (AIP-157), sharing its
///   parameters, cursors and cache; OpenAPI cannot key two operations on a
///   query parameter, and a second path would split one search in two;
/// - `anyOf`, not `oneOf`: the envelopes are alike, so an empty page is valid
///   under both, which `oneOf` forbids (a validating client would refuse it);
///   and no discriminator can tell them apart without a new member in the
///   full view, whose bytes do not change;
/// - generated clients type it as a union: openapi-typescript as
///   `SearchResponse | SearchSummaryResponse` (a result's `physician` or
///   `location` narrows it), openapi-python-client by trying the full model
///   first, which a summary's results refuse (no `physician`; an empty page
///   may come back as either, with nothing in it to mistype). The caller
///   knows which view it asked for.
pub struct SearchAnswer;

impl PartialSchema for SearchAnswer {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .item(Ref::from_schema_name(SearchResponse::name()))
            .item(Ref::from_schema_name(SearchSummaryResponse::name()))
            .description(Some("`SearchResponse`, or `SearchSummaryResponse` with `view=summary`"))
            .into()
    }
}

impl ToSchema for SearchAnswer {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((SearchResponse::name().into(), SearchResponse::schema()));
        <SearchResponse as ToSchema>::schemas(schemas);
        schemas.push((SearchSummaryResponse::name().into(), SearchSummaryResponse::schema()));
        <SearchSummaryResponse as ToSchema>::schemas(schemas);
    }
}
