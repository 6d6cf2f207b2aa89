//! The HTTP API: handlers, response views, the OpenAPI document.
//!
//! Requests parse into domain types, are answered from the current snapshot,
//! and render as views. Every route is registered through `utoipa-actix-web`, so
//! the served OpenAPI document cannot miss one.

pub mod admin;
pub mod auth;
pub mod caching;
mod contract;
pub mod dto;
pub mod embed;
mod gate;
pub mod geojson;
pub mod health;
mod location;
pub mod metrics;
mod observe;
pub mod params;
pub mod partners;
pub mod physicians;
mod rate_limit;
pub mod reference;
mod security;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use actix_web::middleware::{Compress, ErrorHandlerResponse, ErrorHandlers, from_fn};
use actix_web::web::Redirect;
use actix_web::{App, web};
use arc_swap::ArcSwap;
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::{AppExt, UtoipaApp};
use utoipa_swagger_ui::SwaggerUi;

use self::auth::AdminTokens;
use self::contract::Contract;
use self::metrics::Metrics;
use self::partners::Access;
use self::rate_limit::RateLimiter;
use crate::db::{Database, Update};
use crate::error::{Error, PROBLEM_JSON, ParamError, Problem};
use crate::search::Snapshot;

/// Shared state: the current snapshot, replaced atomically when the directory
/// changes (readers never lock), the directory of record, who may call and how
/// much, and the metrics.
pub struct AppState {
    snapshot: ArcSwap<Snapshot>,
    database: Database,
    admin: AdminTokens,
    /// `Cache-Control: max-age` of the read answers, in seconds.
    cache_max_age: u32,
    access: Access,
    limiter: RateLimiter,
    metrics: Metrics,
    /// The largest request body read (an admin import), in bytes.
    max_body_bytes: usize,
    /// Why the directory of record could not be read at the last poll, if it
    /// could not: searches go on from the snapshot, `/readyz` says degraded.
    database_fault: std::sync::Mutex<Option<String>>,
}

/// How long clients and proxies may reuse a read answer unless configured.
pub const DEFAULT_CACHE_MAX_AGE: u32 = 60;

impl AppState {
    /// Loads the directory and builds the first snapshot (blocking).
    pub fn load(database: Database, admin: AdminTokens) -> Result<Self, Error> {
        let started = std::time::Instant::now();
        let (version, physicians) = database.load()?;
        let loaded = started.elapsed();
        let snapshot = ArcSwap::from_pointee(Snapshot::build(version, physicians));
        tracing::info!(
            "directory loaded in {loaded:.2?}, snapshot built in {:.2?}",
            started.elapsed() - loaded
        );
        Ok(AppState {
            snapshot,
            database,
            admin,
            cache_max_age: DEFAULT_CACHE_MAX_AGE,
            access: Access::default(),
            limiter: RateLimiter::default(),
            metrics: Metrics::default(),
            database_fault: Default::default(),
            max_body_bytes: admin::MAX_IMPORT_BYTES,
        })
    }

    /// The snapshot to answer the current request from.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    pub fn database(&self) -> &Database {
        &self.database
    }

    pub fn admin(&self) -> &AdminTokens {
        &self.admin
    }

    /// Sets how long read answers may be reused (`Cache-Control: max-age`).
    pub fn with_cache_max_age(self, seconds: u32) -> Self {
        AppState { cache_max_age: seconds, ..self }
    }

    pub fn cache_max_age(&self) -> u32 {
        self.cache_max_age
    }

    /// Sets the partners, the anonymous rate limit and the default CORS origins.
    pub fn with_access(self, access: Access) -> Self {
        AppState { access, ..self }
    }

    /// Sets the largest request body read (an admin import), in bytes.
    pub fn with_max_body_bytes(self, max_body_bytes: usize) -> Self {
        AppState { max_body_bytes, ..self }
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

    /// Brings the snapshot up to the directory's version (blocking: call it off
    /// the request path): only the physicians changed since are reloaded, the
    /// rest of the snapshot is shared. A snapshot never replaces a newer one, so
    /// concurrent refreshes cannot go back in time. Returns the version served.
    pub fn refresh(&self) -> Result<i64, Error> {
        let current = self.snapshot();
        let started = std::time::Instant::now();
        let next = match self.database.update_since(current.version())? {
            Update::Current => return Ok(current.version()),
            Update::Full { version, physicians } => Snapshot::build(version, physicians),
            Update::Partial { version, changed, fresh } => current.with_changes(version, &changed, fresh),
        };
        let next = Arc::new(next);
        tracing::info!("snapshot {} -> {} in {:.2?}", current.version(), next.version(), started.elapsed());
        // A concurrent refresh may have installed a newer snapshot meanwhile:
        // keep it. But if the snapshot is still the one this refresh started
        // from, the database is the truth, even behind it (a restore).
        self.snapshot.rcu(|now| {
            if Arc::ptr_eq(now, &current) || now.version() <= next.version() {
                next.clone()
            } else {
                now.clone()
            }
        });
        Ok(self.snapshot().version())
    }

    /// Polls the directory version every `interval` on a thread of its own and
    /// rebuilds when it moved: how each instance sees the others' writes.
    /// Failures are recorded for `/readyz` and retried; the current snapshot
    /// keeps serving, and the first poll that succeeds clears them.
    pub fn watch(self: Arc<Self>, interval: Duration) {
        std::thread::Builder::new()
            .name("snapshot-refresh".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(interval);
                    self.poll();
                }
            })
            .expect("spawn the snapshot refresh thread");
    }

    /// One poll: refresh if the directory moved, and record whether it could
    /// be read.
    fn poll(&self) {
        let current = self.snapshot().version();
        let outcome = match self.database.version() {
            Ok(version) if version != current => self.refresh().map(drop),
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        };
        let fault = outcome.err().map(|e| e.to_string());
        let mut recorded = self.database_fault.lock().unwrap_or_else(|p| p.into_inner());
        match (&*recorded, &fault) {
            (None, Some(e)) => tracing::warn!("directory of record unreachable, serving the snapshot: {e}"),
            (Some(_), None) => tracing::info!("directory of record reachable again"),
            _ => {}
        }
        *recorded = fault;
    }

    /// Why the directory of record could not be read at the last poll.
    pub fn database_fault(&self) -> Option<String> {
        self.database_fault.lock().unwrap_or_else(|p| p.into_inner()).clone()
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
parameters are refused. A method a path does not take is answered 405, with `Allow` listing those it does.",
        license(name = "MIT", identifier = "MIT"),
        version = "1.0.0",
    ),
    tags(
        (name = "physicians", description = "Search the directory and read one physician"),
        (name = "reference", description = "Vocabularies for search forms, and the geocoder"),
        (name = "operations", description = "Health probes"),
        (name = "embed", description = "The search widget partner sites embed in an iframe"),
        (name = "admin", description = "Writes to the directory (bearer token; off unless tokens are configured)"),
    ),
    components(schemas(Problem, ParamError, crate::import::Format))
)]
struct ApiDoc;

/// The routes, and the document that describes them: what each annotation
/// says, completed by the [`Contract`] once every route is in (a modifier on
/// `ApiDoc` would run before).
fn routes<T>(app: UtoipaApp<T>) -> (App<T>, utoipa::openapi::OpenApi)
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    let (app, mut api) = app
        .openapi(ApiDoc::openapi())
        .service(physicians::search)
        .service(physicians::search_geojson)
        .service(physicians::detail)
        .service(reference::specialties)
        .service(reference::conditions)
        .service(reference::services)
        .service(reference::geocode)
        .service(reference::directory)
        .service(health::healthz)
        .service(health::readyz)
        .service(metrics::metrics)
        .service(admin::put_physician)
        .service(admin::delete_physician)
        .service(admin::post_import)
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
    let is_problem = res.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let (req, _) = res.into_parts();
    // A path that exists, asked with a method it does not take: actix's
    // method-guarded routes fall through to 404, but the answer is 405.
    let allowed = req
        .match_pattern()
        .filter(|_| status == StatusCode::NOT_FOUND)
        .and_then(|pattern| methods_of(&pattern));
    let status = if allowed.is_some() { StatusCode::METHOD_NOT_ALLOWED } else { status };
    // The path only: a query string may locate a patient.
    let detail = match status {
        StatusCode::NOT_FOUND => format!("no resource at {}", req.path()),
        StatusCode::METHOD_NOT_ALLOWED => format!("{} is not allowed on {}", req.method(), req.path()),
        StatusCode::PAYLOAD_TOO_LARGE => "the body is larger than this server reads (--max-body-mib); \
                                          import larger files with the import command"
            .to_owned(),
        _ => status.canonical_reason().unwrap_or("error").to_owned(),
    };
    let mut response = Problem::new(status, detail, Vec::new()).response();
    if let Some(allowed) = allowed.and_then(|a| HeaderValue::from_str(&a).ok()) {
        response.headers_mut().insert(ALLOW, allowed);
    }
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response).map_into_right_body()))
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

/// The application: API routes, `/openapi.json`, Swagger UI at `/docs/`, and
/// problem+json for unknown paths; behind the partner gate (keys, rate limits,
/// CORS), compression, security headers, and the request id, access log and
/// metrics.
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
    let max_body_bytes = state.max_body_bytes;
    app.app_data(state)
        .app_data(web::PayloadConfig::new(max_body_bytes))
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api))
        .route("/docs", web::get().to(|| async { Redirect::to("/docs/").permanent() }))
        .wrap(ErrorHandlers::new().default_handler(bare_errors_as_problems))
        .wrap(from_fn(gate::gate))
        .wrap(Compress::default())
        .wrap(from_fn(security::secure))
        .wrap(from_fn(observe::observe))
}
