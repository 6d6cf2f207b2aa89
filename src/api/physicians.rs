//! `GET /v1/physicians` (search or list) and `GET /v1/physicians/{npi}`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::{IntoParams, ToSchema};

use super::dto::{self, PhysicianView};
use super::geojson::{self, FeatureCollection, FeatureCollectionType};
use super::params::{NoParams, QueryParams};
use super::{AppState, caching, location};
use crate::domain::text::fold;
use crate::domain::{Condition, Gender, Language, Npi, Radius, Service, Specialty, Unit};
use crate::error::{Error, Problem};
use crate::geocode::Origin;
use crate::search::{Cursor, Filters, Page, Position, SearchQuery, Snapshot};

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;
const MAX_NAME_QUERY: usize = 100;

/// Search parameters. Give at most one location form (`lat`+`lng`, `zip`, or
/// `city`+`state`); with one, results are ranked by distance within `radius`,
/// without one, every match is listed by family name then given name.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // a declaration: read by utoipa and by the strict parser
pub struct SearchParams {
    /// Latitude of the search origin in decimal degrees (-90 to 90), such as
    /// 40.7484; needs `lng`.
    lat: Option<f64>,
    /// Longitude of the search origin in decimal degrees (-180 to 180), such as
    /// -73.9967; needs `lat`.
    lng: Option<f64>,
    /// ZIP code of the search origin: 5 digits or ZIP+4.
    #[param(example = "10001", pattern = r"^[0-9]{5}(-[0-9]{4})?$")]
    zip: Option<String>,
    /// City of the search origin (case- and accent-insensitive), such as San
    /// Juan; needs `state`.
    #[param(min_length = 1)]
    city: Option<String>,
    /// Two-letter state or territory code for `city`, such as PR.
    #[param(pattern = "^[A-Za-z]{2}$")]
    state: Option<String>,
    /// Search radius, greater than 0 and at most 1000 mi (1609.344 km). Default 50.
    #[param(example = 50, exclusive_minimum = 0, maximum = 1609.344)]
    radius: Option<f64>,
    /// Unit of `radius` and of the distances returned.
    #[param(value_type = Option<Unit>, example = "mi")]
    unit: Option<String>,
    /// Specialty slug or NUCC taxonomy code; repeat for any of several.
    #[param(example = json!(["neuromuscular-medicine"]), min_length = 1)]
    specialty: Option<Vec<String>>,
    /// Condition treated (slug, see `/v1/conditions`); repeat for any of several.
    #[param(example = json!(["lems"]), min_length = 1)]
    condition: Option<Vec<String>>,
    /// Service offered at a location (slug, see `/v1/services`); repeat for any
    /// of several. The nearest location offering one is the one reported.
    #[param(example = json!(["emg"]), min_length = 1)]
    service: Option<Vec<String>>,
    /// Only physicians accepting (true) or not accepting (false) new patients.
    #[param(example = true)]
    accepting_new_patients: Option<bool>,
    /// Only physicians offering (true) or not offering (false) telehealth.
    telehealth: Option<bool>,
    /// A language spoken, as an ISO 639-1 code, such as `es`.
    #[param(example = "en", pattern = "^[a-z]{2}$")]
    language: Option<String>,
    /// Physician gender.
    #[param(value_type = Option<Gender>)]
    gender: Option<String>,
    /// Text the physician's name contains (case- and accent-insensitive, 1 to
    /// 100 characters), such as `nunez` for Núñez.
    #[param(min_length = 1, max_length = 100)]
    q: Option<String>,
    /// Results per page, 1 to 100. Default 20.
    #[param(example = 20, minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// `next_cursor` from the previous page of the same query.
    #[param(min_length = 1)]
    cursor: Option<String>,
    /// Also count every match (`total`). Counting visits every match in the
    /// radius, a page only its own, so ask on the first page only, and only
    /// when the number will be shown. Default false.
    #[param(example = true)]
    include_total: Option<bool>,
    /// `json` (default) or `geojson`: an RFC 7946 FeatureCollection, one
    /// Point per result location, as `Accept: application/geo+json` also asks.
    /// Deprecated: `/v1/physicians.geojson` answers GeoJSON alone, which a
    /// generated client can type.
    #[deprecated]
    #[param(pattern = "^(json|geojson)$")]
    format: Option<String>,
}

/// The search's parameters less `format`: the GeoJSON search has one format.
pub struct GeoJsonSearchParams;

impl IntoParams for GeoJsonSearchParams {
    fn into_params(parameter_in: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut params = SearchParams::into_params(parameter_in);
        params.retain(|p| p.name != "format");
        params
    }
}

/// The radius a ranked search used.
#[derive(Serialize, ToSchema)]
pub struct RadiusView {
    #[schema(example = 50.0)]
    pub value: f64,
    pub unit: Unit,
}

/// One search result.
#[derive(Serialize, ToSchema)]
pub struct SearchResult<'a> {
    pub physician: PhysicianView<'a>,
    /// Geodesic distance (WGS84) from the origin to the nearest matching
    /// location, in the request's unit, unrounded; null without an origin.
    #[schema(example = 1.8342)]
    pub distance: Option<f64>,
    /// The `id` of that location among `physician.locations`; null without an origin.
    #[schema(example = "1234567893-1")]
    pub nearest_location_id: Option<String>,
}

/// A page of search results.
#[derive(Serialize, ToSchema)]
pub struct SearchResponse<'a> {
    /// The point distances are measured from; null when listing by name.
    pub origin: Option<Origin>,
    /// The radius searched; null when listing by name.
    pub radius: Option<RadiusView>,
    /// How many physicians match in all (within the radius, with an origin);
    /// null unless `include_total=true` was asked.
    #[schema(example = 42)]
    pub total: Option<usize>,
    /// This page, nearest first (or by name).
    pub results: Vec<SearchResult<'a>>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A validated request: the query, its resolved origin, paging.
struct SearchRequest {
    query: SearchQuery,
    origin: Option<Origin>,
    limit: usize,
    after: Option<Position>,
    include_total: bool,
    geojson: bool,
}

/// The GeoJSON media type.
const GEO_JSON: &str = "application/geo+json";

/// Parses a search whose parameters `P` declares; without `format`, `accept`
/// decides between JSON and GeoJSON.
fn parse_search<P: IntoParams>(query_string: &str, accept: &str) -> Result<SearchRequest, Error> {
    let mut params = QueryParams::parse::<P>(query_string);
    let origin = location::parse_origin(&mut params, false);
    let unit = params.parsed("unit", |u| {
        Unit::parse(u).ok_or_else(|| format!("unknown unit {u:?}; valid values: mi, km"))
    });
    let unit = unit.unwrap_or_default();
    let radius_value = params.number("radius");
    let radius = match origin {
        Some(_) => Radius::new(radius_value.unwrap_or(Radius::DEFAULT_VALUE), unit)
            .map_err(|message| params.reject("radius", message))
            .ok(),
        None => {
            if params.has("radius") || params.has("unit") {
                let name = if params.has("radius") { "radius" } else { "unit" };
                params.reject(name, "needs a location: lat and lng, zip, or city and state");
            }
            None
        }
    };
    let name = params.text("q").map(|q| fold(q.trim()));
    if name.as_ref().is_some_and(|q| q.chars().count() > MAX_NAME_QUERY) {
        params.reject("q", format!("must be at most {MAX_NAME_QUERY} characters"));
    }
    let filters = Filters {
        specialties: params.list("specialty", Specialty::parse).into_iter().collect(),
        conditions: params.list("condition", Condition::parse).into_iter().collect(),
        services: params.list("service", Service::parse).into_iter().collect(),
        accepting_new_patients: params.boolean("accepting_new_patients"),
        telehealth: params.boolean("telehealth"),
        language: params.parsed("language", Language::parse),
        gender: params.parsed("gender", Gender::parse),
        name,
    };
    let limit = params
        .parsed("limit", |v| match v.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(format!("{v:?} is not a whole number from 1 to {MAX_LIMIT}")),
        })
        .unwrap_or(DEFAULT_LIMIT);
    let near = origin.as_ref().zip(radius).map(|(o, r)| (o.point, r));
    let query = SearchQuery { near, filters };
    let after = params.text("cursor").and_then(|text| {
        let ranked = near.is_some();
        match Cursor::decode(&text, query.fingerprint()) {
            Ok(Cursor { position, .. }) if matches!(position, Position::Distance { .. }) == ranked => {
                Some(position)
            }
            Ok(_) => {
                params.reject("cursor", "belongs to a different query");
                None
            }
            Err(e) => {
                params.reject("cursor", e.to_string());
                None
            }
        }
    });
    let include_total = params.boolean("include_total").unwrap_or(false);
    let geojson = params
        .parsed("format", |f| match f {
            "json" => Ok(false),
            "geojson" => Ok(true),
            _ => Err(format!("unknown format {f:?}; valid values: json, geojson")),
        })
        .unwrap_or_else(|| accept.contains(GEO_JSON));
    params.finish(SearchRequest { query, origin, limit, after, include_total, geojson })
}

/// Search for physicians near a place, or list them by name.
///
/// For GeoJSON, call `GET /v1/physicians.geojson`: its one media type lets a
/// generated client type the answer.
#[utoipa::path(
    tag = "physicians",
    params(SearchParams),
    responses(
        (status = 200, description = "A page of results", content(
            (SearchResponse = "application/json"),
            (FeatureCollection = "application/geo+json"),
        )),
        (status = 304, description = "Not modified: `If-None-Match` names the answer's current `ETag`"),
        (status = 400, description = "A parameter is unknown, malformed or out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/physicians")]
pub async fn search(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, Error> {
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    answer_search::<SearchParams>(&state, &req, accept)
}

/// Search as `GET /v1/physicians` does, answering a GeoJSON FeatureCollection.
///
/// The same parameters, less `format`; one Point feature per result location.
#[utoipa::path(
    tag = "physicians",
    params(GeoJsonSearchParams),
    responses(
        (status = 200, description = "A page of results", body = FeatureCollection, content_type = "application/geo+json"),
        (status = 304, description = "Not modified: `If-None-Match` names the answer's current `ETag`"),
        (status = 400, description = "A parameter is unknown, malformed or out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/physicians.geojson")]
pub async fn search_geojson(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, Error> {
    answer_search::<GeoJsonSearchParams>(&state, &req, GEO_JSON)
}

/// Answers a search declared by `P`, from the current snapshot.
fn answer_search<P: IntoParams>(
    state: &AppState,
    req: &HttpRequest,
    accept: &str,
) -> Result<HttpResponse, Error> {
    let request = parse_search::<P>(req.query_string(), accept)?;
    let snapshot = state.snapshot();
    let variant = if request.geojson { GEO_JSON } else { "application/json" };
    caching::cacheable(req, state.cache_max_age(), snapshot.version(), variant, || {
        search_page(&snapshot, &request)
    })
}

/// The page `request` asks for, as JSON or GeoJSON.
fn search_page(snapshot: &Snapshot, request: &SearchRequest) -> Result<HttpResponse, Error> {
    let unit = request.query.near.map(|(_, r)| r.unit()).unwrap_or_default();
    let page = snapshot.search(&request.query, request.limit, request.after.as_ref(), request.include_total);
    if request.geojson {
        return geojson_page(request, &page, unit);
    }
    let response = SearchResponse {
        origin: request.origin.clone(),
        radius: request.query.near.map(|(_, r)| RadiusView { value: r.value(), unit: r.unit() }),
        total: page.total,
        results: page
            .hits
            .iter()
            .map(|hit| SearchResult {
                physician: hit.physician.into(),
                distance: hit.nearest.map(|(_, metres)| metres / unit.metres()),
                nearest_location_id: hit.nearest.map(|(l, _)| l.id(hit.physician.npi)),
            })
            .collect(),
        next_cursor: page.next.map(|c| c.encode()),
    };
    dto::json(StatusCode::OK, &response, 2048 * response.results.len())
}

/// The page as GeoJSON: with an origin, each result at its nearest matching
/// location; without, each result at every location that matches.
fn geojson_page(request: &SearchRequest, page: &Page<'_>, unit: Unit) -> Result<HttpResponse, Error> {
    let services = &request.query.filters.services;
    let features = page
        .hits
        .iter()
        .flat_map(|hit| {
            let p = hit.physician;
            let located: Vec<_> = match hit.nearest {
                Some((location, metres)) => vec![(location, Some(metres / unit.metres()))],
                None => p
                    .locations
                    .iter()
                    .filter(|l| services.is_empty() || l.services.iter().any(|s| services.contains(s)))
                    .map(|l| (l, None))
                    .collect(),
            };
            located.into_iter().map(move |(location, distance)| geojson::feature(p, location, distance))
        })
        .collect();
    let collection = FeatureCollection {
        r#type: FeatureCollectionType::FeatureCollection,
        features,
        origin: request.origin.clone(),
        radius: request.query.near.map(|(_, r)| RadiusView { value: r.value(), unit: r.unit() }),
        total: page.total,
        next_cursor: page.next.as_ref().map(Cursor::encode),
    };
    let mut response = dto::json(StatusCode::OK, &collection, 1024 * page.hits.len())?;
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(GEO_JSON));
    Ok(response)
}

/// One physician with every practice location.
#[utoipa::path(
    tag = "physicians",
    params(("npi" = String, Path, description = "National Provider Identifier: 10 digits with a valid check digit", example = "2547347346", pattern = "^[0-9]{10}$")),
    responses(
        (status = 200, description = "The physician", body = PhysicianView),
        (status = 304, description = "Not modified: `If-None-Match` names the answer's current `ETag`"),
        (status = 400, description = "Not an NPI (format or check digit)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No physician with this NPI in the directory", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/physicians/{npi}")]
pub async fn detail(
    state: web::Data<AppState>,
    npi: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, Error> {
    QueryParams::parse::<NoParams>(req.query_string()).finish(())?;
    let npi = Npi::parse(&npi).map_err(|e| Error::param("npi", e.to_string()))?;
    let snapshot = state.snapshot();
    let physician = snapshot
        .physician(npi)
        .ok_or_else(|| Error::NotFound(format!("no physician with NPI {npi} in the directory")))?;
    caching::cacheable(&req, state.cache_max_age(), snapshot.version(), "application/json", || {
        dto::json(StatusCode::OK, &PhysicianView::from(physician), 2048)
    })
}
