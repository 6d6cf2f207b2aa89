//! The admin API: replace or delete one physician, and imports over HTTP.
//! Bearer tokens from configuration, checked at the scope's door
//! ([`super::auth::authorize`]) before any body is read; off (404) when none
//! is configured. Every write is audited with the token's name and bumps the
//! directory version; the instance that wrote rebuilds its snapshot before
//! answering, the others notice within their poll interval.

use std::borrow::Cow;
use std::io::{Seek, Write};

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, delete, post, put, web};
use futures_util::StreamExt;
use serde::Deserialize;
use serde::de::{self, Deserializer};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Actor;
use super::dto::{self, PhysicianView};
use super::params::{NoParams, Query};
use crate::db::{DbConnection, Outcome, Written, queries};
use crate::directory::formats::json;
use crate::domain::Npi;
use crate::error::{Error, ParamError, Problem};
use crate::import::{self, Format, ImportReport, Options, progress::Progress};

/// The largest import body accepted over HTTP unless configured; larger files
/// go through the CLI.
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;
/// The largest physician a PUT reads: 255 locations fit many times over.
const MAX_PHYSICIAN_BYTES: usize = 1024 * 1024;
/// What a 413 advises, for a physician and for an import.
const PHYSICIAN_ADVICE: &str = "one physician is far smaller";
const IMPORT_ADVICE: &str = "the limit is --max-body-mib; import larger files with the import command";
/// How much of an import body is gathered before it is written to disk.
const SPOOL_CHUNK: usize = 1024 * 1024;

/// Runs a directory write ([`crate::store::Store::write`]) off the actix
/// workers, as `actor`.
async fn write<T: Send + 'static>(
    state: &web::Data<AppState>,
    actor: String,
    job: impl FnOnce(&mut DbConnection) -> Result<Outcome<T>, Error> + Send + 'static,
) -> Result<Written<T>, Error> {
    let store = state.store().clone();
    web::block(move || store.write(&actor, job)).await.map_err(|e| Error::Internal(e.to_string()))?
}

/// Refuses a body whose declared length is over `limit` before reading any
/// of it.
fn check_declared_length(req: &HttpRequest, limit: usize, advice: &'static str) -> Result<(), Error> {
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    match declared {
        Some(length) if length > limit as u64 => Err(Error::BodyTooLarge { limit, advice }),
        _ => Ok(()),
    }
}

/// A body the client stopped sending, or sent broken.
fn unreadable(e: impl std::fmt::Display) -> Error {
    Error::param("body", format!("could not be read: {e}"))
}

/// Copies an import body to an anonymous temporary file, a chunk at a time,
/// so that memory stays bounded whatever its size and however many arrive at
/// once; the import then reads the file at disk speed, and a slow upload
/// never holds the directory's write lock. Past `limit` bytes the body is
/// refused (413) and the file is gone with its handle.
async fn spool(mut payload: web::Payload, limit: usize) -> Result<std::fs::File, Error> {
    let io = |e: std::io::Error| Error::Internal(format!("spooling an import body: {e}"));
    let mut file = tempfile::tempfile().map_err(io)?;
    let mut size = 0;
    let mut chunk = Vec::with_capacity(SPOOL_CHUNK);
    loop {
        let next = payload.next().await.transpose().map_err(unreadable)?;
        if let Some(bytes) = &next {
            size += bytes.len();
            if size > limit {
                return Err(Error::BodyTooLarge { limit, advice: IMPORT_ADVICE });
            }
            chunk.extend_from_slice(bytes);
        }
        if chunk.len() >= SPOOL_CHUNK || (next.is_none() && !chunk.is_empty()) {
            (file, chunk) = web::block(move || file.write_all(&chunk).map(|()| (file, chunk)))
                .await
                .map_err(|e| Error::Internal(e.to_string()))?
                .map_err(io)?;
            chunk.clear();
        }
        if next.is_none() {
            file.rewind().map_err(io)?;
            return Ok(file);
        }
    }
}

fn parse_npi(npi: &str) -> Result<Npi, Error> {
    Npi::parse(npi).map_err(|e| Error::param("npi", e.to_string()))
}

/// Creates or replaces one physician with all locations. The body is the
/// physician as `GET /v1/physicians/{npi}` returns it.
#[utoipa::path(
    tag = "admin",
    params(("npi" = String, Path, description = "National Provider Identifier: 10 digits with a valid check digit", example = "2547347346", pattern = "^[0-9]{10}$")),
    request_body(
        content = PhysicianView,
        description = "The physician, as GET /v1/physicians/{npi} returns it; `display_name`, term names, location ids and `geocode_precision` are ignored, and a location without lat/lng is placed at its ZIP centroid",
        example = json!({
            "npi": "2547347346", "given_name": "Dana", "family_name": "Albright", "display_name": "Dana Albright, MD",
            "credentials": "MD", "gender": "female",
            "specialties": [{"code": "2084N0008X", "slug": "neuromuscular-medicine", "name": "Neuromuscular Medicine (Psychiatry & Neurology)", "primary": true}],
            "conditions": [{"slug": "lems", "name": "Lambert-Eaton myasthenic syndrome"}],
            "languages": ["en", "es"], "accepting_new_patients": true, "telehealth": true,
            "licensed_states": ["AL", "FL", "GA", "TN"], "last_updated": "2026-10-01",
            "locations": [{
                "id": "2547347346-1", "practice_name": "Galvale Neuromuscular Associates",
                "address": {"street": "392 Ivormore Boulevard", "city": "Franklin", "state": "AL", "zip": "36444"},
                "phone": "251-555-0142", "lat": 31.72538, "lng": -87.442803, "geocode_precision": "address",
                "services": [{"slug": "emg", "name": "Electromyography (EMG)"}]
            }]
        })
    ),
    responses(
        (status = 200, description = "Replaced (or unchanged)", body = PhysicianView),
        (status = 201, description = "Created", body = PhysicianView),
        (status = 400, description = "Malformed NPI or body, or a field fails validation", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The admin API is not enabled", body = Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []))
)]
#[put("/physicians/{npi}")]
pub async fn put_physician(
    state: web::Data<AppState>,
    npi: web::Path<String>,
    req: HttpRequest,
    actor: web::ReqData<Actor>,
    body: web::Payload,
    _none: NoParams,
) -> Result<HttpResponse, Error> {
    let Actor(actor) = actor.into_inner();
    let npi = parse_npi(&npi)?;
    check_declared_length(&req, MAX_PHYSICIAN_BYTES, PHYSICIAN_ADVICE)?;
    let body = body
        .to_bytes_limited(MAX_PHYSICIAN_BYTES)
        .await
        .map_err(|_| Error::BodyTooLarge { limit: MAX_PHYSICIAN_BYTES, advice: PHYSICIAN_ADVICE })?
        .map_err(unreadable)?;
    let text = std::str::from_utf8(&body).map_err(|_| Error::param("body", "is not UTF-8 text"))?;
    let physician = json::parse(text).map_err(|e| Error::param(format!("body.{}", e.field), e.message))?;
    if physician.npi != npi {
        return Err(Error::param(
            "body.npi",
            format!("{} does not match the NPI in the path, {npi}", physician.npi),
        ));
    }
    let stored = physician.clone();
    let written = write(&state, actor, move |conn| {
        let key = npi.to_string();
        let existing = queries::load_some(conn, std::slice::from_ref(&key))?.pop();
        if existing.as_ref() == Some(&stored) {
            return Ok(Outcome::Unchanged(false));
        }
        queries::replace(conn, std::slice::from_ref(&stored))?;
        let action = if existing.is_some() { "replace" } else { "create" };
        Ok(Outcome::Changed {
            value: existing.is_none(),
            action: action.into(),
            npi: Some(key.clone()),
            changed: vec![key],
        })
    })
    .await?;
    let status = if written.value { StatusCode::CREATED } else { StatusCode::OK };
    dto::json(status, &PhysicianView::from(&physician), 2048)
}

/// Removes one physician and all their locations.
#[utoipa::path(
    tag = "admin",
    params(("npi" = String, Path, description = "National Provider Identifier", example = "2547347346", pattern = "^[0-9]{10}$")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed NPI", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such physician, or the admin API is not enabled", body = Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []))
)]
#[delete("/physicians/{npi}")]
pub async fn delete_physician(
    state: web::Data<AppState>,
    npi: web::Path<String>,
    actor: web::ReqData<Actor>,
    _none: NoParams,
) -> Result<HttpResponse, Error> {
    let Actor(actor) = actor.into_inner();
    let npi = parse_npi(&npi)?;
    write(&state, actor, move |conn| {
        let key = npi.to_string();
        if queries::delete(conn, std::slice::from_ref(&key))? == 0 {
            return Err(Error::NotFound(format!("no physician with NPI {npi} in the directory")));
        }
        Ok(Outcome::Changed {
            value: (),
            action: "delete".into(),
            npi: Some(key.clone()),
            changed: vec![key],
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// How to apply an import posted over HTTP.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `csv` (the project's layout), `ndjson` or `nppes`; by default from the
    /// Content-Type (`application/x-ndjson` is NDJSON, anything else CSV).
    #[param(value_type = Option<Format>, example = "csv")]
    #[serde(default, deserialize_with = "import_format")]
    format: Option<Format>,
    /// Report what would change without writing.
    #[param(example = true)]
    dry_run: Option<bool>,
    /// Also remove physicians the body does not mention; a row whose NPI
    /// cannot be read refuses the import.
    #[param(example = false)]
    prune: Option<bool>,
    /// Apply the valid rows even if some are invalid.
    #[param(example = false)]
    skip_invalid: Option<bool>,
    /// With `prune`, remove however many physicians the body leaves out:
    /// without it, a prune that would remove more of the directory than the
    /// serving instance's `--max-prune-percent` (default 10) is refused (409).
    #[param(example = false)]
    force_prune: Option<bool>,
}

/// The `format` of an import, by its name.
fn import_format<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Format>, D::Error> {
    match &*<Cow<'de, str>>::deserialize(deserializer)? {
        "csv" => Ok(Some(Format::Csv)),
        "ndjson" => Ok(Some(Format::Ndjson)),
        "nppes" => Ok(Some(Format::Nppes)),
        f => Err(de::Error::custom(format!("unknown format {f:?}; valid values: csv, ndjson, nppes"))),
    }
}

/// An import file, as bytes: generated clients send it as a file.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct ImportFile(pub Vec<u8>);

// The error type, knowing no feature, carries the report untyped among a
// problem's extension members; this type only describes the answer in the API
// document.
/// A refused import: the problem, and what the import found in the file.
#[derive(serde::Serialize, ToSchema)]
pub struct ImportProblem {
    #[serde(flatten)]
    pub problem: Problem,
    /// What the import found; nothing was applied.
    pub report: ImportReport,
}

/// Imports a CSV, NDJSON or NPPES body: every row validated, all-or-nothing
/// (unless `skip_invalid`), one transaction.
#[utoipa::path(
    tag = "admin",
    params(ImportParams),
    request_body(content = ImportFile, description = "The file's bytes: CSV (the project's layout), NDJSON when the Content-Type is application/x-ndjson, or as `format` says", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "Applied, or with dry_run, what would change", body = ImportReport),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The admin API is not enabled", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The prune would remove more of the directory than the limit allows: nothing was applied; `report.prune_over_limit` says how much", body = ImportProblem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid rows: nothing was applied; `report` lists them", body = ImportProblem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []))
)]
#[post("/imports")]
pub async fn post_import(
    state: web::Data<AppState>,
    req: HttpRequest,
    actor: web::ReqData<Actor>,
    body: web::Payload,
    Query(params, mut faults): Query<ImportParams>,
) -> Result<HttpResponse, Error> {
    let Actor(actor) = actor.into_inner();
    let prune = params.prune.unwrap_or(false);
    let force_prune = params.force_prune.unwrap_or(false);
    if force_prune && !prune {
        faults.reject("force_prune", "applies only with prune=true");
    }
    let params = faults.finish(params)?;
    let options = Options {
        dry_run: params.dry_run.unwrap_or(false),
        prune,
        skip_invalid: params.skip_invalid.unwrap_or(false),
        max_prune_percent: (!force_prune).then_some(state.max_prune_percent),
    };
    let ndjson = req.content_type().ends_with("ndjson");
    let format = params.format.unwrap_or(if ndjson { Format::Ndjson } else { Format::Csv });
    check_declared_length(&req, state.max_body_bytes, IMPORT_ADVICE)?;
    let body = spool(body, state.max_body_bytes).await?;
    let written =
        write(&state, actor, move |conn| import::import(conn, body, format, options, &mut Progress::Silent))
            .await?;
    let report = import::report(written);
    if let Some(over) = report.prune_over_limit {
        let message = format!(
            "{over} (--max-prune-percent): nothing was applied; check the file, or pass force_prune=true"
        );
        let detail = format!("the prune {over}: nothing was applied");
        let problem = Problem::new(StatusCode::CONFLICT, detail, vec![ParamError::new("prune", message)]);
        return Err(refused(problem, report));
    }
    if report.refused {
        let errors = report
            .errors
            .iter()
            .map(|e| ParamError::new(format!("body line {}: {}", e.line, e.field), e.message.clone()))
            .collect();
        let detail = format!("{} invalid rows: nothing was applied", report.invalid);
        let problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, detail, errors);
        return Err(refused(problem, report));
    }
    Ok(HttpResponse::Ok().json(report))
}

/// A refused import's answer: the problem, with the report beside it.
fn refused(mut problem: Problem, report: ImportReport) -> Error {
    match serde_json::to_value(report) {
        Ok(report) => {
            problem.extensions.insert("report".into(), report);
            Error::Rejected(Box::new(problem))
        }
        Err(e) => Error::Internal(e.to_string()),
    }
}
