//! The HTTP API: handlers, response views, the OpenAPI document.
//!
//! Requests parse into domain types, are answered from the current snapshot,
//! and render as views. Every route is registered through `utoipa-actix-web`, so
//! the served OpenAPI document cannot miss one.

pub mod admin;
pub mod auth;
pub mod caching;
pub mod client;
mod compression;
mod contract;
pub mod dto;
pub mod embed;
mod fhir;
mod forwarded;
mod gate;
pub mod geojson;
pub mod health;
mod location;
pub mod metrics;
mod observe;
pub mod params;
pub mod partners;
pub mod physician_json;
pub mod physicians;
pub mod public_url;
mod rate_limit;
pub mod reference;
mod security;
pub mod summary;
mod unread;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers, from_fn};
use actix_web::web::Redirect;
use actix_web::{App, web};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::{AppExt, UtoipaApp, scope};
use utoipa_swagger_ui::SwaggerUi;

use self::auth::AdminTokens;
use self::contract::Contract;
use self::metrics::Metrics;
use self::partners::Access;
use self::physician_json::JsonCache;
use self::public_url::{PublicBase, PublicUrl};
use self::rate_limit::RateLimiter;
use crate::error::{PROBLEM_JSON, ParamError, Problem};
use crate::search::Snapshot;
use crate::store::Store;

/// What the handlers share: the directory (a [`Store`]) and the HTTP policy
/// around it: who may write, who may call and how much, caching, limits,
/// metrics.
pub struct AppState {
    store: Arc<Store>,
    admin: AdminTokens,
    /// `Cache-Control: max-age` of the read answers, in seconds.
    cache_max_age: u32,
    access: Access,
    limiter: RateLimiter,
    metrics: Metrics,
    /// The largest request body read (an admin import), in bytes.
    max_body_bytes: usize,
    /// The most of the directory an import's prune may remove unless forced,
    /// in percent.
    max_prune_percent: u8,
    /// Compressed answers, kept by entity tag.
    compressed: compression::Compressed,
    physician_json: JsonCache,
    /// Where the service is reached, for the absolute URLs it writes.
    public: PublicBase,
}

/// How long clients and proxies may reuse a read answer unless configured.
pub const DEFAULT_CACHE_MAX_AGE: u32 = 60;

/// The memory kept for physicians' JSON unless configured, in MiB: some
/// 25,000 physicians, the nearest ones of every busy place (a benchmark's 256
/// places show 5,000), while a million-physician server stays near 1 GiB.
pub const DEFAULT_PHYSICIAN_JSON_MIB: u32 = 32;

impl AppState {
    /// The HTTP side of `store`, reached at `public`, with the default
    /// policy: no partners, the default limits.
    pub fn new(store: Arc<Store>, admin: AdminTokens, public: PublicBase) -> Self {
        AppState {
            store,
            admin,
            cache_max_age: DEFAULT_CACHE_MAX_AGE,
            access: Access::default(),
            limiter: RateLimiter::new(&Access::default()),
            metrics: Metrics::default(),
            max_body_bytes: admin::MAX_IMPORT_BYTES,
            max_prune_percent: crate::import::DEFAULT_MAX_PRUNE_PERCENT,
            compressed: compression::Compressed::default(),
            physician_json: JsonCache::new(
                DEFAULT_PHYSICIAN_JSON_MIB as usize * 1024 * 1024,
                Duration::from_secs(DEFAULT_CACHE_MAX_AGE.into()),
            ),
            public,
        }
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The snapshot to answer the current request from.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.store.current()
    }

    pub fn admin(&self) -> &AdminTokens {
        &self.admin
    }

    /// Sets how long read answers may be reused (`Cache-Control: max-age`),
    /// and so the parts of them kept (see `physician_json`).
    pub fn with_cache_max_age(self, seconds: u32) -> Self {
        let physician_json =
            JsonCache::new(self.physician_json.budget(), Duration::from_secs(seconds.into()));
        AppState { cache_max_age: seconds, physician_json, ..self }
    }

    pub fn cache_max_age(&self) -> u32 {
        self.cache_max_age
    }

    /// Sets the partners, the anonymous rate limit, the default CORS origins
    /// and the trusted proxies, with fresh buckets for them.
    pub fn with_access(self, access: Access) -> Self {
        AppState { limiter: RateLimiter::new(&access), access, ..self }
    }

    /// Sets the largest request body read (an admin import), in bytes.
    pub fn with_max_body_bytes(self, max_body_bytes: usize) -> Self {
        AppState { max_body_bytes, ..self }
    }

    /// Sets the most of the directory an import's prune may remove unless
    /// forced, in percent.
    pub fn with_max_prune_percent(self, max_prune_percent: u8) -> Self {
        AppState { max_prune_percent, ..self }
    }

    /// Sets the memory kept for physicians' JSON, in bytes (0 keeps none).
    pub fn with_physician_json_bytes(self, budget: usize) -> Self {
        let fresh_for = Duration::from_secs(self.cache_max_age.into());
        AppState { physician_json: JsonCache::new(budget, fresh_for), ..self }
    }

    pub fn physician_json(&self) -> &JsonCache {
        &self.physician_json
    }

    /// The public URL `req` was sent to (see [`public_url`]).
    pub fn public_url(&self, req: &actix_web::HttpRequest) -> std::borrow::Cow<'_, PublicUrl> {
        self.public.of(req, self.access.trusted_proxies())
    }

    pub fn access(&self) -> &Access {
        &self.access
    }

    fn limiter(&self) -> &RateLimiter {
        &self.limiter
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// Drops idle rate-limit buckets, lockouts and failure counts when a sweep is
/// due, on a blocking thread: the gate and the admin door both ask, so
/// either kind of traffic keeps the limiter's memory to recent callers.
fn sweep_limits_if_due(state: &web::Data<AppState>) {
    if state.limiter().sweep_due() {
        let state = state.clone();
        actix_web::rt::task::spawn_blocking(move || state.limiter().sweep());
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "physician-locator",
        description = "Finds neurologists and neuromuscular specialists near a place, ranked by geodesic \
distance on the WGS84 ellipsoid. The first directory it serves is for Lambert-Eaton myasthenic syndrome \
(LEMS). The seeded directory is entirely fictional: no person, practice, phone number or NPI in it is real.\n\n\
Every error is an RFC 9457 `application/problem+json` document naming each bad parameter; unknown query \
parameters are refused. A method a path does not take is answered 405, with `Allow` listing those it does.\n\n\
Healthcare integrators: the same directory is served as HL7 FHIR R4 (Da Vinci PDex Plan-Net) at `/fhir`, \
with an exact, ordered `near` search and a distance on every match; its CapabilityStatement is \
`GET /fhir/metadata`.",
        license(name = "MIT", identifier = "MIT"),
        version = "2.0.0",
    ),
    tags(
        (name = "physicians", description = "Search the directory and read one physician"),
        (name = "reference", description = "Vocabularies for search forms, and the geocoder"),
        (name = "operations", description = "Health probes"),
        (name = "embed", description = "The search widget partner sites embed in an iframe"),
        (name = "admin", description = "Writes to the directory (bearer token; off unless tokens are configured)"),
    ),
    components(schemas(Problem, ParamError, crate::import::Format, physicians::View))
)]
struct ApiDoc;

/// The scope of the admin routes, behind their tokens.
const ADMIN_SCOPE: &str = "/v1/admin";
/// The scope of the public API, behind the partner gate.
const PUBLIC_SCOPE: &str = "/v1";

/// Whether a route path sits in the public scope, behind the partner gate:
/// how the document tells which operations the gate answers for.
pub(crate) fn gated(path: &str) -> bool {
    let within =
        |scope: &str| path.strip_prefix(scope).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    within(PUBLIC_SCOPE) && !within(ADMIN_SCOPE)
}

/// The routes, and the document that describes them: what each annotation
/// says, completed by the [`Contract`] once every route is in (a modifier on
/// `ApiDoc` would run before).
///
/// The `/v1` routes sit in two scopes (their handlers' paths are relative to
/// them), each behind its own door, so that the router, which decodes the
/// path, decides which door a request passes: the admin scope, first since
/// `/v1` would hold it too, behind its tokens; the public API behind the
/// partner gate.
fn routes<T>(app: UtoipaApp<T>) -> (App<T>, utoipa::openapi::OpenApi)
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    let (app, mut api) = app
        .openapi(ApiDoc::openapi())
        .service(
            scope(ADMIN_SCOPE)
                .wrap(from_fn(auth::authorize))
                .service(admin::put_physician)
                .service(admin::delete_physician)
                .service(admin::post_import),
        )
        .service(
            scope(PUBLIC_SCOPE)
                .wrap(from_fn(gate::gate))
                .service(physicians::search)
                .service(physicians::search_geojson)
                .service(physicians::detail)
                .service(reference::specialties)
                .service(reference::conditions)
                .service(reference::services)
                .service(reference::geocode)
                .service(reference::directory),
        )
        .service(
            scope(fhir::SCOPE)
                .wrap(from_fn(gate::gate))
                .wrap(from_fn(fhir::outcome::as_outcomes))
                .configure(fhir::routes),
        )
        .service(health::healthz)
        .service(health::readyz)
        .service(embed::page)
        .service(embed::script)
        .service(embed::style)
        .split_for_parts();
    Contract.modify(&mut api);
    (app, api)
}

/// The OpenAPI document, as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes(App::new().into_utoipa_app()).1
}

/// Turns every error answer that is not already problem+json (an unknown path,
/// a method a route does not take, a failure inside actix itself) into one, so
/// clients only ever parse one error format.
fn bare_errors_as_problems<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let status = res.status();
    let content_type = res.headers().get(CONTENT_TYPE);
    let is_problem = content_type.is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    if is_problem || fhir::outcome::is_fhir(content_type) {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let (req, original) = res.into_parts();
    // A path that exists, asked with a method it does not take: actix's
    // method-guarded routes fall through to 404, but the answer is 405.
    let allowed = route_pattern(&req)
        .filter(|_| status == StatusCode::NOT_FOUND)
        .and_then(|pattern| methods_of(&pattern));
    let status = if allowed.is_some() { StatusCode::METHOD_NOT_ALLOWED } else { status };
    // The path only: a query string may locate a patient.
    let detail = match status {
        StatusCode::NOT_FOUND => format!("no resource at {}", req.path()),
        StatusCode::METHOD_NOT_ALLOWED => format!("{} is not allowed on {}", req.method(), req.path()),
        _ => status.canonical_reason().unwrap_or("error").to_owned(),
    };
    let mut response = Problem::new(status, detail, Vec::new()).response();
    // What the layers inside added (the gate's `RateLimit-*` and CORS
    // headers) still holds; only the body and what describes it change.
    for (name, value) in original.headers() {
        if ![CONTENT_TYPE, CONTENT_LENGTH, CONTENT_ENCODING].contains(name) {
            response.headers_mut().append(name.clone(), value.clone());
        }
    }
    if let Some(allowed) = allowed.and_then(|a| HeaderValue::from_str(&a).ok()) {
        response.headers_mut().insert(ALLOW, allowed);
    }
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response).map_into_right_body()))
}

/// The route pattern (`/v1/physicians/{npi}`) a request's path names, as the
/// router reads the path: percent-decoded, so that every spelling of a path
/// has the pattern it is routed to. (`HttpRequest::match_pattern` reads the
/// raw path when no route took the request, as when the method was wrong.)
pub(crate) fn route_pattern(req: &actix_web::HttpRequest) -> Option<String> {
    req.resource_map().match_pattern(req.match_info().as_str())
}

/// Whether a route takes the request: its path names a route, and that
/// route answers its method.
fn is_routed(req: &actix_web::HttpRequest) -> bool {
    let allowed = route_pattern(req).and_then(|pattern| methods_of(&pattern));
    allowed.is_some_and(|methods| methods.split(", ").any(|m| m == req.method().as_str()))
}

/// The methods the API answers on a route pattern, as an `Allow` value (HEAD
/// wherever GET), read once from the OpenAPI document, which lists every
/// route.
fn methods_of(pattern: &str) -> Option<String> {
    static METHODS: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
        openapi()
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods: Vec<&str> = Vec::new();
                for (method, name) in [
                    (&item.get, "GET, HEAD"),
                    (&item.put, "PUT"),
                    (&item.post, "POST"),
                    (&item.delete, "DELETE"),
                ] {
                    if method.is_some() {
                        methods.push(name);
                    }
                }
                (path.clone(), methods.join(", "))
            })
            .collect()
    });
    METHODS.get(pattern).cloned()
}

/// The application: API routes (the public ones behind the partner gate:
/// keys, rate limits, CORS; the admin ones behind their tokens),
/// `/openapi.json`, Swagger UI at `/docs/`, and problem+json for unknown
/// paths; behind compression, security headers, and the request id, access
/// log and metrics.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, api) = routes(App::new().into_utoipa_app());
    app.app_data(state)
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api))
        .route("/docs", web::get().to(|| async { Redirect::to("/docs/").permanent() }))
        .wrap(ErrorHandlers::new().default_handler(bare_errors_as_problems))
        .wrap(from_fn(compression::compress))
        .wrap(from_fn(security::secure))
        .wrap(from_fn(observe::observe))
        // Outermost, so that every answer, the refusals of the layers above
        // included (414, 431), holds its request's unread body.
        .wrap(from_fn(unread::close_unread))
}
