//! The one error type. Over HTTP every error is an RFC 9457
//! `application/problem+json` document; on the command line, one line.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// A parameter that was refused, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ParamError {
    /// The query parameter, path segment or field at fault.
    #[schema(example = "radius")]
    pub parameter: String,
    /// What is wrong with it and what is accepted instead.
    #[schema(example = "must be a number greater than 0 and at most 1000 mi")]
    pub message: String,
}

impl ParamError {
    pub fn new(parameter: impl Into<String>, message: impl Into<String>) -> Self {
        ParamError { parameter: parameter.into(), message: message.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request's parameters are wrong (400); each fault is listed.
    #[error("invalid request: {}", summary(.0))]
    InvalidParams(Vec<ParamError>),
    /// Nothing at this address (404).
    #[error("{0}")]
    NotFound(String),
    /// No valid admin token (401).
    #[error("a valid admin bearer token is required")]
    Unauthorized,
    /// An `X-Api-Key` that no partner holds (401).
    #[error("unknown API key")]
    UnknownApiKey,
    /// A partner's key sent from a page of an origin the partner does not list (403).
    #[error("this API key may not be used from {0}")]
    OriginNotAllowed(String),
    /// Over the caller's rate limit (429).
    #[error("too many requests: at most {limit} a minute; retry after {retry_after} s")]
    RateLimited { limit: u32, retry_after: u64 },
    /// Too many failed admin authentications from the client's network (429).
    #[error("too many failed authentications from this network; retry after {retry_after} s")]
    LockedOut { retry_after: u64 },
    /// The request body is larger than the server reads (413), and what to do
    /// instead.
    #[error("the body is larger than {limit} bytes, the most this server reads here; {advice}")]
    BodyTooLarge { limit: usize, advice: &'static str },
    /// The request target is longer than the server reads (414).
    #[error("the URL is longer than {0} bytes")]
    UrlTooLong(usize),
    /// The request's headers are larger than the server reads (431).
    #[error("the request headers are larger than {0} bytes")]
    HeadersTooLarge(usize),
    /// The request body is unusable (400 for malformed, 422 for invalid rows).
    #[error("{}", .0.detail)]
    Rejected(Box<Problem>),
    /// Unusable configuration: a bad URL, an unusable file, a taken port.
    #[error("{0}")]
    Config(String),
    /// The service runs but cannot do all it should (503); the reason is shown.
    #[error("{0}")]
    Degraded(String),
    /// The database failed.
    #[error("database: {0}")]
    Database(String),
    /// A bug or an unexpected failure (500).
    #[error("internal error: {0}")]
    Internal(String),
}

fn summary(errors: &[ParamError]) -> String {
    let parts: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.parameter, e.message)).collect();
    parts.join("; ")
}

impl Error {
    /// A single-parameter 400.
    pub fn param(parameter: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidParams(vec![ParamError::new(parameter, message)])
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        Error::Database(e.to_string())
    }
}

impl From<diesel::ConnectionError> for Error {
    fn from(e: diesel::ConnectionError) -> Self {
        Error::Database(e.to_string())
    }
}

/// RFC 9457 problem details, as every 4xx and 5xx answer carries them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference identifying the problem type; `about:blank` means the
    /// HTTP status says it all.
    #[schema(example = "about:blank")]
    pub r#type: String,
    /// Short summary of the problem type.
    #[schema(example = "Bad Request")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 400)]
    pub status: u16,
    /// What went wrong with this request, in words.
    #[schema(example = "radius: must be a number greater than 0 and at most 1000 mi")]
    pub detail: String,
    /// Per-parameter faults (empty unless the request itself was invalid).
    pub errors: Vec<ParamError>,
    /// Extension members (RFC 9457, section 3.2), beside the standard ones:
    /// what a particular answer adds, described where that answer is.
    #[serde(flatten)]
    #[schema(ignore)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>, errors: Vec<ParamError>) -> Self {
        Problem {
            r#type: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail: detail.into(),
            errors,
            extensions: serde_json::Map::new(),
        }
    }

    pub fn response(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        HttpResponse::build(status).content_type(PROBLEM_JSON).json(self)
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Error::InvalidParams(_) => StatusCode::BAD_REQUEST,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Unauthorized | Error::UnknownApiKey => StatusCode::UNAUTHORIZED,
            Error::OriginNotAllowed(_) => StatusCode::FORBIDDEN,
            Error::UrlTooLong(_) => StatusCode::URI_TOO_LONG,
            Error::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Error::RateLimited { .. } | Error::LockedOut { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Rejected(problem) => {
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
            }
            Error::Database(_) | Error::Degraded(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Config(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (detail, errors) = match self {
            Error::InvalidParams(errors) => (summary(errors), errors.clone()),
            Error::NotFound(what) | Error::Degraded(what) => (what.clone(), Vec::new()),
            Error::Unauthorized
            | Error::UrlTooLong(_)
            | Error::HeadersTooLarge(_)
            | Error::RateLimited { .. }
            | Error::LockedOut { .. }
            | Error::BodyTooLarge { .. } => (self.to_string(), Vec::new()),
            Error::UnknownApiKey => (
                self.to_string(),
                vec![ParamError::new(
                    "X-Api-Key",
                    "no partner holds this key: check it, or call without one",
                )],
            ),
            Error::OriginNotAllowed(origin) => (
                self.to_string(),
                vec![ParamError::new("Origin", format!("{origin} is not an allowed origin for this caller"))],
            ),
            Error::Rejected(problem) => return problem.response(),
            // Internals stay in the server log, not in the answer.
            Error::Database(_) | Error::Config(_) | Error::Internal(_) => {
                tracing::error!("{self}");
                ("the server could not complete the request".to_owned(), Vec::new())
            }
        };
        let mut response = Problem::new(status, detail, errors).response();
        // What a client needs to act on the error: how to authenticate, when to retry.
        let advice = match self {
            Error::Unauthorized => Some((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))),
            Error::RateLimited { retry_after, .. } | Error::LockedOut { retry_after } => {
                Some((header::RETRY_AFTER, HeaderValue::from(*retry_after)))
            }
            _ => None,
        };
        if let Some((name, value)) = advice {
            response.headers_mut().insert(name, value);
        }
        response
    }
}
