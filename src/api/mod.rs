//! The HTTP API: handlers, response views, the OpenAPI document.
//!
//! Requests parse into domain types, are answered from the current snapshot,
//! and render as views. Every route is registered through `utoipa-actix-web`, so
//! the served OpenAPI document cannot miss one.

pub mod dto;
pub mod health;
mod location;
pub mod params;
pub mod physicians;
pub mod reference;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Logger;
use actix_web::{App, HttpRequest, HttpResponse, web};
use arc_swap::ArcSwap;
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, UtoipaApp};
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{ParamError, Problem};
use crate::search::Snapshot;

/// Shared state: the current snapshot, replaced atomically when the directory
/// changes; readers never lock.
pub struct AppState {
    snapshot: ArcSwap<Snapshot>,
}

impl AppState {
    pub fn new(snapshot: Snapshot) -> Self {
        AppState { snapshot: ArcSwap::from_pointee(snapshot) }
    }

    /// The snapshot to answer the current request from.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// Installs a newer snapshot; requests in flight keep the one they hold.
    pub fn replace(&self, snapshot: Snapshot) {
        self.snapshot.store(Arc::new(snapshot));
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
parameters are refused.",
        license(name = "MIT", identifier = "MIT"),
    ),
    tags(
        (name = "physicians", description = "Search the directory and read one physician"),
        (name = "reference", description = "Vocabularies for search forms, and the geocoder"),
        (name = "operations", description = "Health probes"),
    ),
    components(schemas(Problem, ParamError))
)]
struct ApiDoc;

fn routes<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.openapi(ApiDoc::openapi())
        .service(physicians::search)
        .service(physicians::detail)
        .service(reference::specialties)
        .service(reference::conditions)
        .service(reference::services)
        .service(reference::geocode)
        .service(health::healthz)
        .service(health::readyz)
}

/// The OpenAPI document, as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes(App::new().into_utoipa_app()).split_for_parts().1
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    // The path only: a query string may locate a patient.
    Problem::new(StatusCode::NOT_FOUND, format!("no resource at {}", req.path()), Vec::new()).response()
}

/// The application: API routes, `/openapi.json`, Swagger UI at `/docs/`, and
/// problem+json for unknown paths. The access log names the route pattern, never
/// the query string or path parameters.
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
    let (app, api) = routes(App::new().into_utoipa_app()).split_for_parts();
    app.app_data(state)
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api))
        .default_service(web::to(not_found))
        .wrap(
            Logger::new("%{route}xi %s %Dms")
                .custom_request_replace("route", |req| {
                    format!(
                        "{} {}",
                        req.method(),
                        req.match_pattern().unwrap_or_else(|| "(unmatched)".into())
                    )
                })
                .log_target("access"),
        )
}
