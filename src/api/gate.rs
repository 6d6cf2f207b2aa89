//! The gate in front of the public API: who is calling (`X-Api-Key` or
//! address), whether a partner's key is used from one of its origins, the
//! rate limit, and CORS.
//!
//! It wraps the `/v1` scope (see [`super::routes`]), so the router decides
//! what it guards: every request a public `/v1` route serves passes it,
//! however its path is spelled (`/v1/%70hysicians` is routed, so gated, as
//! `/v1/physicians`). The admin routes have a scope and a door of their own
//! ([`super::auth::authorize`]).
//!
//! Every answer that passes the gate, refused or not, carries `RateLimit-*`
//! headers and, for an allowed origin, the CORS headers, so a page can read
//! a 429 and its `Retry-After`. Credentials are never allowed cross-origin:
//! keys travel in a header, not in cookies.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};

use super::AppState;
use super::partners::{Caller, Origins};
use super::rate_limit::Decision;
use crate::error::Error;

/// Headers a cross-origin page may read besides the CORS-safelisted ones.
const EXPOSED: &str = "ETag, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy, X-Request-Id";
/// Seconds a browser may cache a preflight answer.
const PREFLIGHT_MAX_AGE: &str = "600";

pub async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let access = state.access();
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    // A page on this same origin (the embedded widget) needs no CORS. Which
    // origin that is comes from configuration or a trusted proxy, never from
    // what the client says (`Host`, a forwarding header): else any page could
    // claim to be ours and spend a partner's key.
    let origin = origin.filter(|o| !o.eq_ignore_ascii_case(state.public_url(req.request()).origin()));

    if req.method() == Method::OPTIONS && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
        let response = preflight(origin.as_deref().filter(|o| access.any_allows(o)), &req);
        return Ok(req.into_response(response));
    }

    let caller = match access.identify(req.request()) {
        Ok(caller) => caller,
        Err(e) => {
            let mut response = e.error_response();
            cors(response.headers_mut(), origin.as_deref(), access.default_origins());
            return Ok(req.into_response(response));
        }
    };
    let origins = access.origins(caller);
    if let (Caller::Partner(_), Some(origin)) = (caller, &origin)
        && !origins.allows(origin)
    {
        return Ok(req.into_response(Error::OriginNotAllowed(origin.clone()).error_response()));
    }
    let decision = state.limiter().check(caller);
    super::sweep_limits_if_due(&state);
    let mut response = if decision.allowed {
        next.call(req).await?.map_into_boxed_body()
    } else {
        state.metrics().rate_limited(caller.name());
        let refusal = Error::RateLimited { limit: decision.limit, retry_after: decision.retry_after_seconds };
        req.into_response(refusal.error_response())
    };
    let headers = response.headers_mut();
    rate_limit_headers(headers, decision);
    cors(headers, origin.as_deref(), origins);
    Ok(response)
}

/// The answer to a CORS preflight: 204 naming the origin when some caller may
/// call from it (browsers send preflights without the key), else 403.
fn preflight(allowed_origin: Option<&str>, req: &ServiceRequest) -> HttpResponse {
    let Some(origin) = allowed_origin else {
        let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).unwrap_or("(none)");
        return Error::OriginNotAllowed(origin.to_owned()).error_response();
    };
    let mut response = HttpResponse::NoContent().finish();
    let headers = response.headers_mut();
    cors(headers, Some(origin), &Origins::Any);
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, HEAD"));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("X-Api-Key, If-None-Match, Accept, X-Request-Id"),
    );
    headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(PREFLIGHT_MAX_AGE));
    response
}

/// Adds the CORS headers when `origins` allow `origin`: the origin itself,
/// never `*` with credentials (credentials are never allowed at all).
fn cors(headers: &mut HeaderMap, origin: Option<&str>, origins: &Origins) {
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    let Some(origin) = origin.filter(|o| origins.allows(o)) else { return };
    let Ok(value) = HeaderValue::from_str(origin) else { return };
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED));
}

/// The `RateLimit-*` fields (IETF httpapi-ratelimit-headers): the limit a
/// minute, what is left, seconds until the bucket is full.
fn rate_limit_headers(headers: &mut HeaderMap, decision: Decision) {
    let fields = [
        ("ratelimit-limit", decision.limit.to_string()),
        ("ratelimit-remaining", decision.remaining.to_string()),
        ("ratelimit-reset", decision.reset_seconds.to_string()),
        ("ratelimit-policy", format!("{};w=60", decision.limit)),
    ];
    for (name, value) in fields {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
}
