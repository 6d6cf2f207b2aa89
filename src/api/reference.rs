//! What a client needs to build a search form: the vocabularies with counts,
//! and the geocoder a search uses.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::params::{NoParams, Query};
use super::{AppState, caching, location};
use crate::domain::vocabulary::{Kind, Term};
use crate::domain::{UsState, ZipCode};
use crate::error::{Error, Problem};
use crate::geocode::Origin;
use crate::search::Snapshot;

/// A specialty and how many physicians in the directory hold it.
#[derive(Serialize, ToSchema)]
pub struct SpecialtyCount {
    /// NUCC taxonomy code (accepted by the `specialty` filter too).
    #[schema(example = "2084N0008X")]
    pub code: String,
    #[schema(example = "neuromuscular-medicine")]
    pub slug: String,
    #[schema(example = "Neuromuscular Medicine (Psychiatry & Neurology)")]
    pub name: String,
    /// NUCC grouping.
    #[schema(example = "Psychiatry & Neurology")]
    pub group: String,
    /// Physicians listing it, as primary or secondary specialty.
    #[schema(example = 341)]
    pub physicians: usize,
}

/// The specialties a search can filter on.
#[derive(Serialize, ToSchema)]
pub struct SpecialtyList {
    pub specialties: Vec<SpecialtyCount>,
}

/// A condition or service and how many physicians in the directory have it.
#[derive(Serialize, ToSchema)]
pub struct TermCount {
    #[schema(example = "lems")]
    pub slug: String,
    #[schema(example = "Lambert-Eaton myasthenic syndrome")]
    pub name: String,
    #[schema(example = 287)]
    pub physicians: usize,
}

/// Conditions or services a search can filter on, with counts.
#[derive(Serialize, ToSchema)]
pub struct TermList {
    pub items: Vec<TermCount>,
}

fn term_list<K: Kind>(counts: impl Iterator<Item = (Term<K>, usize)>) -> TermList {
    let items = counts
        .map(|(term, physicians)| TermCount {
            slug: term.slug().to_owned(),
            name: term.entry().name.clone(),
            physicians,
        })
        .collect();
    TermList { items }
}

/// Every specialty the directory knows, with how many physicians hold each.
#[utoipa::path(
    tag = "reference",
    params(NoParams),
    responses(
        (status = 200, description = "The specialties, with counts", body = SpecialtyList),
        (status = 304, description = "Not modified: `If-None-Match` names the answer's current `ETag`"),
    )
)]
#[get("/specialties")]
pub async fn specialties(
    state: web::Data<AppState>,
    req: HttpRequest,
    _none: NoParams,
) -> Result<HttpResponse, Error> {
    let snapshot = state.snapshot();
    caching::cacheable(&req, state.cache_max_age(), snapshot.head(), "application/json", || {
        Ok(HttpResponse::Ok().json(specialty_list(&snapshot)))
    })
}

fn specialty_list(snapshot: &Snapshot) -> SpecialtyList {
    let counts = snapshot
        .specialty_counts()
        .map(|(s, physicians)| {
            let e = s.entry();
            SpecialtyCount {
                code: e.code.clone().unwrap_or_default(),
                slug: e.slug.clone(),
                name: e.name.clone(),
                group: e.group.clone().unwrap_or_default(),
                physicians,
            }
        })
        .collect();
    SpecialtyList { specialties: counts }
}

/// Every condition the `condition` filter accepts, with how many physicians treat each.
#[utoipa::path(
    tag = "reference",
    params(NoParams),
    responses(
        (status = 200, description = "The conditions, with counts", body = TermList),
        (status = 304, description = "Not modified: `If-None-Match` names the answer's current `ETag`"),
    )
)]
#[get("/conditions")]
pub async fn conditions(
    state: web::Data<AppState>,
    req: HttpRequest,
    _none: NoParams,
) -> Result<HttpResponse, Error> {
    let snapshot = state.snapshot();
    caching::cacheable(&req, state.cache_max_age(), snapshot.head(), "application/json", || {
        Ok(HttpResponse::Ok().json(term_list(snapshot.condition_counts())))
    })
}

/// Every service the `service` filter accepts, with how many physicians offer
/// each at one or more locations.
#[utoipa::path(
    tag = "reference",
    params(NoParams),
    responses(
        (status = 200, description = "The services, with counts", body = TermList),
        (status = 304, description = "Not modified: `If-None-Match` names the answer's current `ETag`"),
    )
)]
#[get("/services")]
pub async fn services(
    state: web::Data<AppState>,
    req: HttpRequest,
    _none: NoParams,
) -> Result<HttpResponse, Error> {
    let snapshot = state.snapshot();
    caching::cacheable(&req, state.cache_max_age(), snapshot.head(), "application/json", || {
        Ok(HttpResponse::Ok().json(term_list(snapshot.service_counts())))
    })
}

/// What the directory being served is.
#[derive(Serialize, ToSchema)]
pub struct DirectoryInfo {
    /// Directory version: every write bumps it.
    #[schema(example = 12)]
    pub version: i64,
    #[schema(example = 3000)]
    pub physicians: usize,
    #[schema(example = 4650)]
    pub locations: usize,
    /// True for demonstration data, such as the seed: every physician in it
    /// is reachable only at phone numbers reserved for fiction (555-0100 to
    /// 555-0199). Show `notice` wherever its results are shown.
    pub fictional: bool,
    /// What to tell people about the data, in one sentence.
    #[schema(
        example = "This directory is fictional demonstration data: no person, practice or phone number in it is real."
    )]
    pub notice: &'static str,
}

/// About the directory: its version, size, and whether it is fictional
/// demonstration data, so a frontend can say so.
#[utoipa::path(
    tag = "reference",
    params(NoParams),
    responses(
        (status = 200, description = "What the directory is", body = DirectoryInfo),
        (status = 304, description = "Not modified: `If-None-Match` names the answer's current `ETag`"),
    )
)]
#[get("/directory")]
pub async fn directory(
    state: web::Data<AppState>,
    req: HttpRequest,
    _none: NoParams,
) -> Result<HttpResponse, Error> {
    let snapshot = state.snapshot();
    let fictional = snapshot.is_fictional();
    caching::cacheable(&req, state.cache_max_age(), snapshot.head(), "application/json", || {
        Ok(HttpResponse::Ok().json(DirectoryInfo {
            version: snapshot.version(),
            physicians: snapshot.physician_count(),
            locations: snapshot.location_count(),
            fictional,
            notice: if fictional {
                "This directory is fictional demonstration data: no person, practice or phone number in it is real."
            } else {
                "Listings come from the directory's maintainers and may change: call the office to confirm."
            },
        }))
    })
}

/// A place to geocode: `zip`, or `city` and `state`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GeocodeParams {
    /// ZIP code: 5 digits or ZIP+4.
    #[param(value_type = Option<String>, example = "99546", pattern = r"^[0-9]{5}(-[0-9]{4})?$")]
    zip: Option<ZipCode>,
    /// City name (case- and accent-insensitive), such as Anchorage; needs `state`.
    #[param(min_length = 1)]
    city: Option<String>,
    /// Two-letter state or territory code, such as AK; needs `city`.
    #[param(value_type = Option<String>, pattern = "^[A-Za-z]{2}$")]
    state: Option<UsState>,
}

/// The point and label a search would use for a ZIP code or a city.
#[utoipa::path(
    tag = "reference",
    params(GeocodeParams),
    responses(
        (status = 200, description = "The point and its label", body = Origin),
        (status = 400, description = "No place given, or an unknown or malformed one", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/geocode")]
pub async fn geocode(Query(params, mut faults): Query<GeocodeParams>) -> Result<HttpResponse, Error> {
    let GeocodeParams { zip, city, state } = params;
    let place = location::Place { lat: None, lng: None, zip, city, state };
    let origin = location::resolve(place, &mut faults, true);
    let origin = faults.finish(origin)?;
    origin
        .map(|o| HttpResponse::Ok().json(o))
        .ok_or_else(|| Error::Internal("geocode resolved nothing".into()))
}
