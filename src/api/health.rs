//! Liveness and readiness probes.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::params::NoParams;
use crate::clock::rfc3339;
use crate::error::{Error, Problem};

/// The process is up.
#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}

/// The snapshot the service answers from.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    pub status: String,
    /// Directory version the snapshot was built from.
    #[schema(example = 1)]
    pub version: i64,
    #[schema(example = 3000)]
    pub physicians: usize,
    #[schema(example = 4650)]
    pub locations: usize,
    /// When the snapshot was built (UTC).
    #[schema(example = "2026-11-24T12:00:00Z")]
    pub built_at: String,
    /// Seconds since it was built.
    #[schema(example = 12.5)]
    pub age_seconds: f64,
}

/// Liveness: answers while the process runs.
#[utoipa::path(tag = "operations", params(NoParams), responses((status = 200, description = "The process is up", body = Health)))]
#[get("/healthz")]
pub async fn healthz(_none: NoParams) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok().json(Health { status: "ok".into() }))
}

/// Readiness: the directory snapshot is loaded; its version, size and age.
/// 503 (degraded) while the snapshot cannot follow the directory of record
/// (unreachable, or a refresh failed): searches are still answered from the
/// snapshot; writes are refused while the database is unreachable.
#[utoipa::path(
    tag = "operations",
    params(NoParams),
    responses(
        (status = 200, description = "Ready: the snapshot answered from", body = Readiness),
        (status = 503, description = "Degraded: the snapshot cannot follow the directory of record (unreachable, or a refresh failed); the reason", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>, _none: NoParams) -> Result<HttpResponse, Error> {
    let snapshot = state.snapshot();
    if let Some(fault) = state.store().fault() {
        // The cause (a database's address, user, server message) went to
        // the log when the fault began; the world learns only what failed.
        return Err(Error::Degraded(format!(
            "degraded: {}; searches are answered from snapshot version {}",
            fault.public(),
            snapshot.version()
        )));
    }
    let built_at = snapshot.built_at();
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready".into(),
        version: snapshot.version(),
        physicians: snapshot.physician_count(),
        locations: snapshot.location_count(),
        built_at: rfc3339(built_at),
        age_seconds: snapshot.age_seconds(),
    }))
}
