//! What every request leaves behind: a request id (returned in `X-Request-Id`
//! and on every log line the request causes), one access-log line, and its
//! latency in the metrics.
//!
//! Privacy: a search reveals that someone near a place may have a rare
//! disease, so the access log holds the method, the route *pattern*
//! (`/v1/physicians/{npi}`), the status and the duration: never the path's
//! values, the query string, a coordinate or a ZIP code.

use std::hash::BuildHasher;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use tracing::Instrument;

use super::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id: the caller's own `X-Request-Id` when it is a plain token
/// (so one id follows a request through a proxy), else a new one.
fn request_id(req: &ServiceRequest) -> String {
    let given = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok());
    match given {
        Some(id)
            if (1..=64).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) =>
        {
            id.to_owned()
        }
        _ => new_id(),
    }
}

/// 16 hex digits, unique within the process and unpredictable across
/// processes (a counter through a randomly keyed hash).
fn new_id() -> String {
    static KEY: LazyLock<std::collections::hash_map::RandomState> = LazyLock::new(Default::default);
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{:016x}", KEY.hash_one(NEXT.fetch_add(1, Ordering::Relaxed)))
}

pub async fn observe(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().to_string();
    // HEAD is GET without the body: routed as GET, and the HTTP layer sends
    // no body for a HEAD request whatever the handler writes.
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.call(req).instrument(span.clone()).await?;
    let route = super::route_pattern(response.request()).unwrap_or_else(|| "(unmatched)".into());
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(state) = state {
        state.metrics().observe(route.clone(), &method, status, elapsed);
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    span.in_scope(|| {
        tracing::info!(
            target: "access",
            method = %method,
            route = %route,
            status,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            "answered"
        );
    });
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn keeps_a_plain_caller_id_and_replaces_anything_else() {
        let with = |id: &str| {
            request_id(&TestRequest::default().insert_header(("X-Request-Id", id)).to_srv_request())
        };
        assert_eq!(with("abc-123_x.y"), "abc-123_x.y");
        for bad in ["", "has space", "a\"b", &"x".repeat(65)] {
            let id = with(bad);
            assert_eq!(id.len(), 16, "{bad:?} gave {id}");
        }
        assert_ne!(new_id(), new_id());
    }
}
