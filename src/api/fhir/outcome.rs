//! Errors on `/fhir` as FHIR clients read them: an `OperationOutcome` with
//! the HTTP status, one issue per fault. The answers the layers around the
//! handlers give (the partner gate's 401, 403 and 429, the router's 404) are
//! rewritten into the same form by [`as_outcomes`].

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde_json::{Value, json};

use crate::error::PROBLEM_JSON;

pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

/// One fault: its FHIR issue type, what went wrong, and the parameter at fault.
#[derive(Debug)]
pub struct Issue {
    pub code: &'static str,
    pub diagnostics: String,
    pub parameter: Option<String>,
}

/// A refused request.
#[derive(Debug)]
pub struct Outcome {
    pub status: StatusCode,
    pub issues: Vec<Issue>,
}

impl Outcome {
    /// A 400 naming each bad parameter.
    pub fn invalid(faults: Vec<(String, String)>) -> Self {
        let issues = faults
            .into_iter()
            .map(|(parameter, message)| Issue {
                code: "invalid",
                diagnostics: format!("{parameter}: {message}"),
                parameter: Some(parameter),
            })
            .collect();
        Outcome { status: StatusCode::BAD_REQUEST, issues }
    }

    pub fn not_found(diagnostics: String) -> Self {
        Outcome::single(StatusCode::NOT_FOUND, diagnostics)
    }

    /// An outcome whose issue type follows from the status.
    pub fn single(status: StatusCode, diagnostics: String) -> Self {
        let code = match status.as_u16() {
            400 => "invalid",
            401 => "login",
            403 => "forbidden",
            404 => "not-found",
            405 | 406 => "not-supported",
            413 | 414 | 431 => "too-long",
            429 => "throttled",
            500.. => "exception",
            _ => "processing",
        };
        Outcome { status, issues: vec![Issue { code, diagnostics, parameter: None }] }
    }

    pub fn resource(&self) -> Value {
        let issues: Vec<Value> = self
            .issues
            .iter()
            .map(|issue| {
                let mut value =
                    json!({ "severity": "error", "code": issue.code, "diagnostics": issue.diagnostics });
                if let Some(parameter) = &issue.parameter {
                    value["expression"] = json!([parameter]);
                }
                value
            })
            .collect();
        json!({ "resourceType": "OperationOutcome", "issue": issues })
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<&str> = self.issues.iter().map(|i| i.diagnostics.as_str()).collect();
        write!(f, "{}", parts.join("; "))
    }
}

impl ResponseError for Outcome {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        resource_response(self.status, &self.resource())
    }
}

/// A FHIR JSON answer.
pub fn resource_response(status: StatusCode, resource: &Value) -> HttpResponse {
    HttpResponse::build(status).insert_header((CONTENT_TYPE, FHIR_JSON)).body(resource.to_string())
}

/// Rewrites a problem+json answer from the layers around the handlers into
/// an `OperationOutcome`, keeping its status and headers.
pub async fn as_outcomes(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = next.call(req).await?.map_into_boxed_body();
    let is_problem =
        response.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    if !is_problem {
        return Ok(response);
    }
    let (req, mut res) = response.into_parts();
    let status = res.status();
    let headers = res.headers().clone();
    // A problem document is a few hundred bytes; a limit keeps it so.
    let bytes = body::to_bytes_limited(res.into_body(), 64 * 1024).await.ok().and_then(Result::ok);
    let detail = bytes
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v.get("detail").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    res = Outcome::single(status, detail).error_response();
    for (name, value) in headers.iter().filter(|(name, _)| *name != CONTENT_TYPE) {
        res.headers_mut().append(name.clone(), value.clone());
    }
    Ok(ServiceResponse::new(req, res))
}

/// The answer for a path or method under `/fhir` that no route takes.
pub async fn unrouted(req: HttpRequest) -> HttpResponse {
    if req.method() == Method::GET || req.method() == Method::HEAD {
        return Outcome::not_found(format!("no resource at {}", req.path())).error_response();
    }
    let message = format!("{} is not supported: this FHIR view is read and search only", req.method());
    let mut response = Outcome::single(StatusCode::METHOD_NOT_ALLOWED, message).error_response();
    response.headers_mut().insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

/// Whether a response is a FHIR answer (left as it is by the application's
/// problem+json rewriting).
pub fn is_fhir(content_type: Option<&HeaderValue>) -> bool {
    content_type.is_some_and(|v| v.as_bytes().starts_with(b"application/fhir+json"))
}
