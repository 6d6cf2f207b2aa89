//! Security headers on every answer, and the longest URL and headers accepted.
//!
//! The API answers JSON that no browser should render, sniff or frame; the
//! widget is a page made to be framed, that loads only its own script and
//! style and talks only to this origin; the documentation likewise loads only
//! its own files. No answer names the server or its version.

use actix_web::ResponseError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

use crate::error::Error;

/// The longest request target (path and query) accepted: a search fits in a
/// few hundred bytes, and a long query string costs parsing for nothing.
pub const MAX_URL_BYTES: usize = 8 * 1024;

/// The most header bytes (names and values) accepted: browsers send a few
/// hundred, and a proxy's cookies a few thousand. (Past 128 KiB the HTTP
/// layer itself answers a bare 431 and closes the connection.)
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The widget: its own files and its own API; framed by any page, or with a
/// partner's key only by the partner's pages ([`embed_policy`]).
const EMBED_SOURCES: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                             connect-src 'self'; base-uri 'none'; form-action 'self'";

/// The widget's policy, framed by `ancestors` (a CSP source list).
pub fn embed_policy(ancestors: &str) -> String {
    format!("{EMBED_SOURCES}; frame-ancestors {ancestors}")
}
/// Swagger UI: its own files; it sets some styles inline and draws icons from data URLs.
const DOCS_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                           img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
                           frame-ancestors 'none'";
/// Everything else is data, not a page.
const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

pub async fn secure(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    let framed = req.path() == "/embed" || req.path().starts_with("/embed/");
    let docs = req.path() == "/docs" || req.path().starts_with("/docs/");
    let header_bytes: usize =
        req.headers().iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    let refusal = if target > MAX_URL_BYTES {
        Some(Error::UrlTooLong(MAX_URL_BYTES))
    } else if header_bytes > MAX_HEADER_BYTES {
        Some(Error::HeadersTooLarge(MAX_HEADER_BYTES))
    } else {
        None
    };
    let mut response = match refusal {
        Some(refusal) => req.into_response(refusal.error_response()),
        None => next.call(req).await?.map_into_boxed_body(),
    };
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // A handler that set its own policy (the widget for a partner) keeps it.
    // Only the widget's is built per request; the others are static.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = if framed {
            HeaderValue::from_str(&embed_policy("*")).ok()
        } else if docs {
            Some(HeaderValue::from_static(DOCS_POLICY))
        } else {
            Some(HeaderValue::from_static(API_POLICY))
        };
        if let Some(policy) = policy {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    if !framed {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    headers.remove(header::SERVER);
    Ok(response)
}
