//! `GET /v1/physicians` (search or list) and `GET /v1/physicians/{npi}`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, web};
use std::borrow::Cow;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::{IntoParams, ToSchema};

use super::dto::{self, PhysicianView};
use super::geojson::{self, FeatureCollection, FeatureCollectionType};
use super::params::{Faults, NoParams, Query};
use super::physician_json::{Fragment, JsonCache, PhysicianJson};
use super::summary::{LocationSummary, PhysicianSummary, SearchAnswer, SearchSummaryResponse};
use super::{AppState, caching, location};
use crate::directory::{Location, Physician};
use crate::domain::text::fold;
use crate::domain::{Condition, Gender, Language, Npi, Radius, Service, Specialty, Unit, UsState, ZipCode};
use crate::error::{Error, Problem};
use crate::geocode::Origin;
use crate::search::{Cursor, CursorKey, Filters, Hit, Page, Position, SearchQuery, Snapshot};

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;
const MAX_NAME_QUERY: usize = 100;
const DEFAULT_BEYOND: usize = 3;
const MAX_BEYOND: usize = 10;

/// Search parameters. Give at most one location form (`lat`+`lng`, `zip`, or
/// `city`+`state`); with one, results are ranked by distance within `radius`,
/// without one, every match is listed by family name then given name.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Latitude of the search origin in decimal degrees (-90 to 90), such as
    /// 40.7484; needs `lng`.
    lat: Option<f64>,
    /// Longitude of the search origin in decimal degrees (-180 to 180), such as
    /// -73.9967; needs `lat`.
    lng: Option<f64>,
    /// ZIP code of the search origin: 5 digits or ZIP+4.
    #[param(value_type = Option<String>, example = "10001", pattern = r"^[0-9]{5}(-[0-9]{4})?$")]
    zip: Option<ZipCode>,
    /// City of the search origin (case- and accent-insensitive), such as San
    /// Juan; needs `state`.
    #[param(min_length = 1)]
    city: Option<String>,
    /// Two-letter state or territory code for `city`, such as PR.
    #[param(value_type = Option<String>, pattern = "^[A-Za-z]{2}$")]
    state: Option<UsState>,
    /// Search radius, greater than 0 and at most 1000 mi (1609.344 km). Default 50.
    #[param(example = 50, exclusive_minimum = 0, maximum = 1609.344)]
    radius: Option<f64>,
    /// Unit of `radius` and of the distances returned.
    #[param(value_type = Option<Unit>, example = "mi")]
    unit: Option<Unit>,
    /// Specialty slug or NUCC taxonomy code; repeat for any of several.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>, example = json!(["neuromuscular-medicine"]), min_length = 1)]
    specialty: Vec<Specialty>,
    /// Condition treated (slug, see `/v1/conditions`); repeat for any of several.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>, example = json!(["lems"]), min_length = 1)]
    condition: Vec<Condition>,
    /// Service offered at a location (slug, see `/v1/services`); repeat for any
    /// of several. The nearest location offering one is the one reported.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>, example = json!(["emg"]), min_length = 1)]
    service: Vec<Service>,
    /// Only physicians accepting (true) or not accepting (false) new patients.
    #[param(example = true)]
    accepting_new_patients: Option<bool>,
    /// Only physicians offering (true) or not offering (false) telehealth.
    telehealth: Option<bool>,
    /// Licensed in this state or territory (postal code), such as `WY`, so
    /// able to see a patient there by telehealth; repeat for any of several.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>, example = json!(["NY"]), pattern = "^[A-Za-z]{2}$")]
    licensed_in: Vec<UsState>,
    /// A language spoken, as an ISO 639-1 code, such as `es`.
    #[param(value_type = Option<String>, example = "en", pattern = "^[a-z]{2}$")]
    language: Option<Language>,
    /// Physician gender.
    #[param(value_type = Option<Gender>)]
    gender: Option<Gender>,
    /// Text the physician's name contains (case- and accent-insensitive, 1 to
    /// 100 characters), such as `nunez` for Núñez.
    #[param(min_length = 1, max_length = 100)]
    q: Option<String>,
    /// Results per page, 1 to 100. Default 20.
    #[param(value_type = Option<u32>, example = 20, minimum = 1, maximum = 100)]
    limit: Option<Limit>,
    /// With an origin: how many of the nearest matches outside the radius the
    /// last page adds in `beyond_radius` (0 to 10, default 3), wherever they
    /// are, so that an empty radius still names someone.
    #[param(value_type = Option<u32>, example = 3, minimum = 0, maximum = 10)]
    beyond: Option<Beyond>,
    /// `next_cursor` from the previous page of the same query.
    #[param(min_length = 1)]
    cursor: Option<String>,
    /// Also count every match (`total`). Counting visits every match in the
    /// radius, a page only its own, so ask on the first page only, and only
    /// when the number will be shown. Default false.
    #[param(example = true)]
    include_total: Option<bool>,
    /// `full` (default): each result with the whole physician record.
    /// `summary`: what a list row or a map marker shows (name, primary
    /// specialty, the reported location, distance), answered as a
    /// `SearchSummaryResponse`; `/v1/physicians/{npi}` has the rest. JSON only:
    /// a GeoJSON feature is already a summary.
    #[param(value_type = Option<View>)]
    view: Option<View>,
    /// `json` (default) or `geojson`: an RFC 7946 FeatureCollection, one
    /// Point per result location, as `Accept: application/geo+json` also asks.
    /// Deprecated: `/v1/physicians.geojson` answers GeoJSON alone, which a
    /// generated client can type.
    #[deprecated]
    #[param(value_type = Option<String>, pattern = "^(json|geojson)$")]
    format: Option<ResponseFormat>,
}

/// The search's parameters less `format` and `view`: the GeoJSON search has
/// one format, and one view (a feature holds what a marker shows), so either
/// is refused there as unknown.
#[derive(Deserialize)]
#[serde(transparent)]
pub struct GeoJsonSearchParams(SearchParams);

impl IntoParams for GeoJsonSearchParams {
    fn into_params(parameter_in: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut params = SearchParams::into_params(parameter_in);
        params.retain(|p| !["format", "view"].contains(&p.name.as_str()));
        params
    }
}

/// A whole number from `MIN` to `MAX`.
struct Bounded<const MIN: usize, const MAX: usize>(usize);

/// Results per page.
type Limit = Bounded<1, MAX_LIMIT>;
/// Matches beyond the radius on the last page.
type Beyond = Bounded<0, MAX_BEYOND>;

impl<'de, const MIN: usize, const MAX: usize> Deserialize<'de> for Bounded<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = <Cow<'de, str>>::deserialize(deserializer)?;
        match v.parse::<usize>() {
            Ok(n) if (MIN..=MAX).contains(&n) => Ok(Bounded(n)),
            _ => Err(de::Error::custom(format!("{v:?} is not a whole number from {MIN} to {MAX}"))),
        }
    }
}

/// The `format` parameter: whether to answer GeoJSON.
struct ResponseFormat(bool);

impl<'de> Deserialize<'de> for ResponseFormat {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match &*<Cow<'de, str>>::deserialize(deserializer)? {
            "json" => Ok(ResponseFormat(false)),
            "geojson" => Ok(ResponseFormat(true)),
            f => Err(de::Error::custom(format!("unknown format {f:?}; valid values: json, geojson"))),
        }
    }
}

/// How much of each result a JSON search answers (AIP-157's view).
#[derive(Clone, Copy, Default, PartialEq, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum View {
    /// The whole physician record: a `SearchResponse`.
    #[default]
    Full,
    /// What a list row or a map marker shows: a `SearchSummaryResponse`.
    Summary,
}

impl<'de> Deserialize<'de> for View {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match &*<Cow<'de, str>>::deserialize(deserializer)? {
            "full" => Ok(View::Full),
            "summary" => Ok(View::Summary),
            v => Err(de::Error::custom(format!("unknown view {v:?}; valid values: summary, full"))),
        }
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
    #[schema(value_type = PhysicianView)]
    pub physician: PhysicianJson<'a>,
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
    /// With an origin, on the last page: up to `beyond` nearest matches
    /// outside the radius (anywhere), nearest first, shaped as `results`;
    /// empty on the other pages. Null without an origin.
    pub beyond_radius: Option<Vec<SearchResult<'a>>>,
}

/// A validated request: the query, its resolved origin, paging.
struct SearchRequest {
    query: SearchQuery,
    origin: Option<Origin>,
    limit: usize,
    after: Option<Position>,
    include_total: bool,
    beyond: usize,
    geojson: bool,
    /// Of the JSON answer.
    view: View,
}

impl SearchRequest {
    /// The page it asks for from `snapshot`.
    fn page<'a>(&self, snapshot: &'a Snapshot) -> Page<'a> {
        snapshot.search(&self.query, self.limit, self.after.as_ref(), self.include_total, self.beyond)
    }
}

/// The GeoJSON media type.
const GEO_JSON: &str = "application/geo+json";

/// Checks a search across its parameters (the location, the radius it needs,
/// the cursor's signature under `key`, its query and kind) and adds the
/// faults to those of each parameter on its own; without `format`, `accept`
/// decides between JSON and GeoJSON.
fn check_search(
    params: SearchParams,
    mut faults: Faults,
    accept: &str,
    key: &CursorKey,
) -> Result<SearchRequest, Error> {
    let place = location::Place {
        lat: params.lat,
        lng: params.lng,
        zip: params.zip,
        city: params.city,
        state: params.state,
    };
    let origin = location::resolve(place, &mut faults, false);
    let radius = match origin {
        Some(_) => {
            Radius::new(params.radius.unwrap_or(Radius::DEFAULT_VALUE), params.unit.unwrap_or_default())
                .map_err(|message| faults.reject("radius", message))
                .ok()
        }
        None => {
            if let Some(name) = ["radius", "unit", "beyond"].into_iter().find(|name| faults.given(name)) {
                faults.reject(name, "needs a location: lat and lng, zip, or city and state");
            }
            None
        }
    };
    let name = params.q.map(|q| fold(q.trim()));
    if name.as_ref().is_some_and(|q| q.chars().count() > MAX_NAME_QUERY) {
        faults.reject("q", format!("must be at most {MAX_NAME_QUERY} characters"));
    }
    let filters = Filters {
        specialties: params.specialty.into_iter().collect(),
        conditions: params.condition.into_iter().collect(),
        services: params.service.into_iter().collect(),
        accepting_new_patients: params.accepting_new_patients,
        telehealth: params.telehealth,
        language: params.language,
        gender: params.gender,
        name,
        licensed_in: params.licensed_in.into_iter().collect(),
    };
    let near = origin.as_ref().zip(radius).map(|(o, r)| (o.point, r));
    let query = SearchQuery { near, filters };
    let after = params.cursor.and_then(|text| {
        let ranked = near.is_some();
        match Cursor::decode(&text, query.fingerprint(), key) {
            // A ranked search resumes by distance, a listing by name.
            Ok(Cursor { position, .. })
                if matches!(
                    (&position, ranked),
                    (Position::Distance { .. }, true) | (Position::Name { .. }, false)
                ) =>
            {
                Some(position)
            }
            Ok(_) => {
                faults.reject("cursor", "belongs to a different query");
                None
            }
            Err(e) => {
                faults.reject("cursor", e.to_string());
                None
            }
        }
    });
    #[allow(deprecated)] // still answered
    let format = params.format;
    let geojson = format.map_or_else(|| accept.contains(GEO_JSON), |ResponseFormat(geojson)| geojson);
    if geojson && params.view.is_some() {
        faults.reject("view", "applies to JSON answers only: a GeoJSON feature is already a summary");
    }
    let request = SearchRequest {
        query,
        origin,
        limit: params.limit.map_or(DEFAULT_LIMIT, |Bounded(n)| n),
        after,
        include_total: params.include_total.unwrap_or(false),
        beyond: params.beyond.map_or(DEFAULT_BEYOND, |Bounded(n)| n),
        geojson,
        view: params.view.unwrap_or_default(),
    };
    faults.finish(request)
}

/// Search for physicians near a place, or list them by name.
///
/// For GeoJSON, call `GET /v1/physicians.geojson`: its one media type lets a
/// generated client type the answer.
#[utoipa::path(
    tag = "physicians",
    params(SearchParams),
    responses(
        (status = 200, description = "A page of results: the full view, or the summary with `view=summary`", content(
            (inline(SearchAnswer) = "application/json"),
            (FeatureCollection = "application/geo+json"),
        )),
        (status = 304, description = "Not modified: `If-None-Match` names the answer's current `ETag`"),
        (status = 400, description = "A parameter is unknown, malformed or out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/physicians")]
pub async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
    Query(params, faults): Query<SearchParams>,
) -> Result<HttpResponse, Error> {
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let request = check_search(params, faults, accept, &state.store().cursor_key())?;
    answer_search(&state, &req, &request)
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
pub async fn search_geojson(
    state: web::Data<AppState>,
    req: HttpRequest,
    Query(GeoJsonSearchParams(params), faults): Query<GeoJsonSearchParams>,
) -> Result<HttpResponse, Error> {
    let request = check_search(params, faults, GEO_JSON, &state.store().cursor_key())?;
    answer_search(&state, &req, &request)
}

/// Answers a checked search from the current snapshot.
fn answer_search(
    state: &AppState,
    req: &HttpRequest,
    request: &SearchRequest,
) -> Result<HttpResponse, Error> {
    let snapshot = state.snapshot();
    let variant = if request.geojson { GEO_JSON } else { "application/json" };
    caching::cacheable(req, state.cache_max_age(), snapshot.head(), variant, || {
        search_page(&snapshot, request, state.physician_json(), &state.store().cursor_key())
    })
}

/// The page `request` asks for, as JSON (full or summary) or GeoJSON, its
/// next cursor signed with `key`.
fn search_page(
    snapshot: &Snapshot,
    request: &SearchRequest,
    json: &JsonCache,
    key: &CursorKey,
) -> Result<HttpResponse, Error> {
    let unit = request.query.near.map(|(_, r)| r.unit()).unwrap_or_default();
    let page = request.page(snapshot);
    let next = page.next.as_ref().map(|cursor| cursor.encode(key));
    if request.geojson {
        return geojson_page(request, &page, unit, next);
    }
    // Each hit is one result, on the page or beyond the radius.
    let shown = page.hits.len() + page.beyond.as_ref().map_or(0, Vec::len);
    if request.view == View::Summary {
        let response = summary_response(request, &page, unit, next, |hit, l| json.location(hit, l))?;
        return dto::json(StatusCode::OK, &response, 512 * shown);
    }
    let response = full_response(request, &page, unit, next, |hit| json.hit(hit));
    dto::json(StatusCode::OK, &response, 2048 * shown)
}

/// The page as the full view, each hit's physician as `physician` writes them.
fn full_response<'a>(
    request: &SearchRequest,
    page: &Page<'a>,
    unit: Unit,
    next_cursor: Option<String>,
    physician: impl Fn(&Hit<'a>) -> PhysicianJson<'a>,
) -> SearchResponse<'a> {
    let results = |hits: &[Hit<'a>]| -> Vec<SearchResult<'a>> {
        hits.iter()
            .map(|hit| SearchResult {
                physician: physician(hit),
                distance: hit.nearest.map(|(_, metres)| metres / unit.metres()),
                nearest_location_id: hit.nearest.map(|(l, _)| l.id(hit.physician.npi)),
            })
            .collect()
    };
    SearchResponse {
        origin: request.origin.clone(),
        radius: request.query.near.map(|(_, r)| RadiusView { value: r.value(), unit: r.unit() }),
        total: page.total,
        results: results(&page.hits),
        next_cursor,
        beyond_radius: page.beyond.as_deref().map(results),
    }
}

/// The page as GeoJSON: with an origin, each result at its nearest matching
/// location, then those beyond the radius, marked; without, each result at
/// every location that matches.
fn geojson_page(
    request: &SearchRequest,
    page: &Page<'_>,
    unit: Unit,
    next_cursor: Option<String>,
) -> Result<HttpResponse, Error> {
    let beyond = page.beyond.as_deref().unwrap_or_default();
    let marked = page.hits.iter().map(|hit| (hit, false)).chain(beyond.iter().map(|hit| (hit, true)));
    let features = marked
        .flat_map(|(hit, beyond_radius)| {
            let p = hit.physician;
            let located: Vec<_> = match hit.nearest {
                Some((location, metres)) => vec![(location, Some(metres / unit.metres()))],
                None => matching_locations(request, p).map(|l| (l, None)).collect(),
            };
            located
                .into_iter()
                .map(move |(location, distance)| geojson::feature(p, location, distance, beyond_radius))
        })
        .collect();
    let collection = FeatureCollection {
        r#type: FeatureCollectionType::FeatureCollection,
        features,
        origin: request.origin.clone(),
        radius: request.query.near.map(|(_, r)| RadiusView { value: r.value(), unit: r.unit() }),
        total: page.total,
        next_cursor,
    };
    let mut response = dto::json(StatusCode::OK, &collection, 1024 * collection.features.len())?;
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(GEO_JSON));
    Ok(response)
}

/// The locations of `physician` that pass the `service` filter, which a
/// listing without an origin reports (a ranked search reports the nearest).
fn matching_locations<'a>(
    request: &SearchRequest,
    physician: &'a Physician,
) -> impl Iterator<Item = &'a Location> {
    let services = &request.query.filters.services;
    physician
        .locations
        .iter()
        .filter(|l| services.is_empty() || l.services.iter().any(|s| services.contains(s)))
}

/// The page in the summary view: each result at the location the search
/// reports (the nearest matching; without an origin, the first matching, as
/// GeoJSON's first feature of it), as `written` writes it.
fn summary_response<'a>(
    request: &SearchRequest,
    page: &Page<'a>,
    unit: Unit,
    next_cursor: Option<String>,
    written: impl Fn(&Hit<'a>, &'a Location) -> Fragment<LocationSummary<'a>>,
) -> Result<SearchSummaryResponse<'a>, Error> {
    let results = |hits: &[Hit<'a>]| -> Result<Vec<PhysicianSummary<'a>>, Error> {
        hits.iter()
            .map(|hit| {
                let (location, distance) = match hit.nearest {
                    Some((location, metres)) => (location, Some(metres / unit.metres())),
                    None => {
                        let location =
                            matching_locations(request, hit.physician).next().ok_or_else(|| {
                                Error::Internal(format!(
                                    "{} matched without a matching location",
                                    hit.physician.npi
                                ))
                            })?;
                        (location, None)
                    }
                };
                Ok(PhysicianSummary::new(hit.physician, written(hit, location), distance))
            })
            .collect()
    };
    Ok(SearchSummaryResponse {
        origin: request.origin.clone(),
        radius: request.query.near.map(|(_, r)| RadiusView { value: r.value(), unit: r.unit() }),
        total: page.total,
        results: results(&page.hits)?,
        next_cursor,
        beyond_radius: page.beyond.as_deref().map(results).transpose()?,
    })
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
    _none: NoParams,
) -> Result<HttpResponse, Error> {
    let npi = Npi::parse(&npi).map_err(|e| Error::param("npi", e.to_string()))?;
    let snapshot = state.snapshot();
    let physician = snapshot
        .physician(npi)
        .ok_or_else(|| Error::NotFound(format!("no physician with NPI {npi} in the directory")))?;
    caching::cacheable(&req, state.cache_max_age(), snapshot.head(), "application/json", || {
        dto::json(
            StatusCode::OK,
            &state.physician_json().physician(physician, || snapshot.pin(physician)),
            2048,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::formats::csv;
    use crate::search::Snapshot;
    use std::time::Duration;

    /// A small deterministic generator (xorshift64*), so a failure replays.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
        }

        fn chance(&mut self, percent: usize) -> bool {
            self.below(100) < percent
        }

        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len())]
        }
    }

    /// The seed, with strings that need escaping (quotes, backslashes,
    /// control characters, line separators, astral characters) in some names
    /// and addresses.
    fn directory() -> Vec<Physician> {
        let mut physicians = csv::read(crate::db::SEED_CSV.as_bytes()).unwrap();
        let odd = [
            "O\"Brien",
            "Back\\slash",
            "Bell\u{7}e",
            "Line\u{2028}Sep",
            "Emoji 🧠",
            "</script>",
            "Tab\there",
        ];
        for (i, p) in physicians.iter_mut().step_by(7).enumerate() {
            let text = odd[i % odd.len()];
            p.family_name = format!("{}{text}", p.family_name);
            let at = i % p.locations.len();
            let location = &mut p.locations[at];
            location.practice_name = format!("{text} {}", location.practice_name).into();
            location.street = format!("{} {text}", location.street).into();
        }
        physicians
    }

    /// A search query string: an origin (a point, a ZIP code, a city, or none
    /// for the name list) somewhere a physician practises (every state and
    /// territory) or anywhere on Earth, and filters, paging and `beyond` at
    /// random.
    fn query(rng: &mut Rng, physicians: &[Physician]) -> String {
        let p = rng.pick(physicians);
        let l = rng.pick(&p.locations);
        let mut params: Vec<(&str, String)> = Vec::new();
        let origin = rng.below(5);
        match origin {
            0 => {
                let jitter = |rng: &mut Rng| (rng.below(1001) as f64 - 500.0) / 1000.0;
                params.push(("lat", (l.point.lat() + jitter(rng)).clamp(-90.0, 90.0).to_string()));
                params.push(("lng", (l.point.lng() + jitter(rng)).clamp(-180.0, 180.0).to_string()));
            }
            1 => params.push(("zip", l.zip.as_str().to_owned())),
            2 => {
                params.push(("city", l.city.to_string()));
                params.push(("state", l.state.code().to_owned()));
            }
            3 => {
                params.push(("lat", (rng.below(1501) as f64 / 10.0 - 75.0).to_string()));
                params.push(("lng", (rng.below(3601) as f64 / 10.0 - 180.0).to_string()));
            }
            _ => {}
        }
        if origin < 4 {
            if rng.chance(60) {
                params.push(("radius", rng.pick(&["1", "5", "25", "50", "100", "1000"]).to_string()));
            }
            if rng.chance(20) {
                params.push(("unit", "km".to_owned()));
            }
            if rng.chance(40) {
                params.push(("beyond", rng.below(11).to_string()));
            }
        }
        let slugs = |terms: Vec<&'static str>, rng: &mut Rng| *rng.pick(&terms);
        if rng.chance(30) {
            params.push(("specialty", slugs(Specialty::all().map(|t| t.slug()).collect(), rng).to_owned()));
        }
        if rng.chance(25) {
            params.push(("condition", slugs(Condition::all().map(|t| t.slug()).collect(), rng).to_owned()));
        }
        if rng.chance(20) {
            params.push(("service", slugs(Service::all().map(|t| t.slug()).collect(), rng).to_owned()));
        }
        for name in ["accepting_new_patients", "telehealth", "include_total"] {
            if rng.chance(20) {
                params.push((name, rng.chance(50).to_string()));
            }
        }
        if rng.chance(15) {
            params.push(("licensed_in", rng.pick(&p.licensed_states).code().to_owned()));
        }
        if rng.chance(10) {
            params.push(("language", rng.pick(&p.languages).as_str().to_owned()));
        }
        if rng.chance(10) {
            params.push(("gender", p.gender.as_str().to_owned()));
        }
        if rng.chance(15) {
            let name: Vec<char> = p.family_name.chars().collect();
            let start = rng.below(name.len());
            params.push(("q", name[start..(start + 3).min(name.len())].iter().collect()));
        }
        if rng.chance(50) {
            params.push(("limit", (1 + rng.below(100)).to_string()));
        }
        form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish()
    }

    /// The answer's bytes in both views, each physician and each summary's
    /// location as `json` writes them.
    fn answer(request: &SearchRequest, page: &Page<'_>, json: &JsonCache) -> [Vec<u8>; 2] {
        let unit = request.query.near.map(|(_, r)| r.unit()).unwrap_or_default();
        let next = || page.next.as_ref().map(|cursor| cursor.encode(&CursorKey::new([1; 32])));
        let full = full_response(request, page, unit, next(), |hit| json.hit(hit));
        let summary = summary_response(request, page, unit, next(), |hit, l| json.location(hit, l)).unwrap();
        [serde_json::to_vec(&full).unwrap(), serde_json::to_vec(&summary).unwrap()]
    }

    #[test]
    fn kept_json_answers_the_bytes_the_views_write_in_both_views() {
        let physicians = directory();
        let snapshot = Snapshot::build(1, physicians.clone());
        let views = JsonCache::new(0, Duration::from_secs(60));
        // One that keeps everything, one that keeps a few and drops often.
        let caches = [
            JsonCache::new(64 << 20, Duration::from_secs(60)),
            JsonCache::new(64 << 10, Duration::from_secs(60)),
        ];
        let mut rng = Rng(0x5EED_F00D);
        let (mut answers, mut pages_with_escapes) = (0, 0);
        while answers < 1200 {
            let text = query(&mut rng, &physicians);
            let Ok(Query(params, faults)) = Query::<SearchParams>::parse(&text) else { continue };
            let key = CursorKey::new([1; 32]);
            let Ok(mut request) = check_search(params, faults, "", &key) else { continue };
            // This page and up to two after it, through the cursor.
            for _ in 0..3 {
                let page = request.page(&snapshot);
                let expected = answer(&request, &page, &views);
                for cache in &caches {
                    for _ in 0..2 {
                        assert!(answer(&request, &page, cache) == expected, "{text}");
                    }
                }
                answers += 1;
                let escaped = |bytes: &Vec<u8>| bytes.windows(2).any(|w| w[0] == b'\\');
                pages_with_escapes += usize::from(expected.iter().all(escaped));
                let Some(next) = page.next.as_ref() else { break };
                request.after = Some(next.position.clone());
            }
        }
        let [all, few] = caches.map(|c| c.usage());
        // Each answer is written twice from each cache: `all` served the second from what it kept.
        assert!(all.entries > 0 && few.entries < all.entries, "{few:?} {all:?}");
        assert!(pages_with_escapes > 100, "only {pages_with_escapes} pages had escapes");
    }
}
