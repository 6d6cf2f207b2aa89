//! `/fhir`: the directory as a FHIR R4 (4.0.1) provider directory, shaped by
//! Da Vinci PDex Plan-Net, read and search only, answered from the same
//! snapshot as `/v1` and behind the same partner gate.
//!
//! `near` (on `Location`) and `location.near` (on `PractitionerRole`) use the
//! snapshot's exact search: geodesic on WGS84, nearest first, each match's
//! distance in its `search.extension`. Every error is an `OperationOutcome`.

mod bundle;
mod capability;
pub(crate) mod outcome;
mod params;
mod resources;
mod vocabulary;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, guard, web};
use serde_json::Value;
use utoipa_actix_web::service_config::ServiceConfig;

use self::outcome::{Outcome, resource_response};
use self::params::SEARCHABLE;
use self::resources::Id;
use super::AppState;
use crate::search::Snapshot;

/// Where the FHIR view is served.
pub const SCOPE: &str = "/fhir";

/// The routes, relative to [`SCOPE`]: the CapabilityStatement, a search, a
/// read; anything else is a 404 (or 405) OperationOutcome.
pub fn routes(config: &mut ServiceConfig) {
    let get = || web::route().guard(guard::Any(guard::Get()).or(guard::Head()));
    config
        .route("/metadata", get().to(metadata))
        .route("/{kind}", get().to(search))
        .route("/{kind}/{id}", get().to(read))
        .default_service(web::to(outcome::unrouted));
}

/// The FHIR base the request was sent to, under the service's public URL
/// (never the request's `Host`: [`crate::api::public_url`]): links and
/// `fullUrl`s are under it. Our canonical URLs are not: they are fixed
/// ([`vocabulary`]).
fn base(state: &AppState, req: &HttpRequest) -> String {
    state.public_url(req).join(SCOPE)
}

/// Whether the request asks for lenient handling of unknown parameters.
fn lenient(req: &HttpRequest) -> bool {
    req.headers().get_all("prefer").filter_map(|v| v.to_str().ok()).flat_map(|v| v.split([',', ';'])).any(
        |p| {
            p.split_once('=')
                .is_some_and(|(k, v)| k.trim() == "handling" && v.trim().trim_matches('"') == "lenient")
        },
    )
}

fn ok(resource: &Value) -> HttpResponse {
    let mut response = resource_response(StatusCode::OK, resource);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

async fn metadata(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    ok(&capability::statement(&base(&state, &req)))
}

async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
    kind: web::Path<String>,
) -> Result<HttpResponse, Outcome> {
    let searchable = SEARCHABLE
        .iter()
        .find(|s| s.resource == kind.as_str())
        .ok_or_else(|| Outcome::not_found(format!("{kind} is not searched here; see /fhir/metadata")))?;
    let key = state.store().cursor_key();
    let request = params::parse(searchable, req.query_string(), lenient(&req), &key)?;
    Ok(ok(&bundle::search(&state.snapshot(), searchable, &request, &base(&state, &req), &key)))
}

async fn read(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Outcome> {
    let (kind, id) = path.into_inner();
    let missing = || Outcome::not_found(format!("no {kind} with id {id:?}"));
    let resource = match kind.as_str() {
        "CodeSystem" => vocabulary::CODE_SYSTEMS.iter().find(|c| c.id == id).map(|c| c.resource()),
        "SearchParameter" => (id == vocabulary::CONDITION_PARAMETER).then(vocabulary::condition_parameter),
        _ => directory_resource(&state.snapshot(), &kind, &id),
    };
    resource.map(|r| ok(&r)).ok_or_else(missing)
}

/// A directory record's resource by type and id.
fn directory_resource(snapshot: &Snapshot, kind: &str, id: &str) -> Option<Value> {
    let parsed = Id::parse(id)?;
    let (npi, ordinal) = match parsed {
        Id::Physician(npi) => (npi, None),
        Id::Location(npi, ordinal) => (npi, Some(ordinal)),
        Id::Service(npi, ordinal, _) => (npi, Some(ordinal)),
    };
    let p = snapshot.physician(npi)?;
    let l = ordinal.and_then(|o| p.locations.get(usize::from(o) - 1));
    match (kind, parsed, l) {
        ("Practitioner", Id::Physician(_), _) => Some(resources::practitioner(p)),
        ("Location", Id::Location(..), Some(l)) => Some(resources::location(p, l)),
        ("Organization", Id::Location(..), Some(l)) => Some(resources::organization(p, l)),
        ("PractitionerRole", Id::Location(..), Some(l)) => Some(resources::practitioner_role(p, l)),
        ("HealthcareService", Id::Service(_, _, service), Some(l)) => {
            resources::services(p, l).contains(&service).then(|| resources::healthcare_service(p, l, service))
        }
        _ => None,
    }
}
