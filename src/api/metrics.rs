//! `/metrics` in the Prometheus text format (version 0.0.4): request counts
//! and latency histograms per route, method and status; rate-limit refusals
//! per partner; the snapshot's size, version and age.
//!
//! Labels hold route *patterns* (`/v1/physicians/{npi}`), never a path or a
//! query, so no label can locate a patient and their number stays bounded.
//!
//! They are served on a listener of their own (`--metrics-bind`), not the
//! API's: what they count (partners refused, networks calling, failed admin
//! logins, the database pool) is the operator's business, so only a
//! network the operator chooses reaches it.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{App, HttpResponse, get, web};

use super::params::NoParams;
use super::{AppState, security};
use crate::error::Error;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Observations at most each bound (not cumulative; summed when rendered).
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// A route, method and status: one series of the request histogram.
type Series = (String, &'static str, u16);

#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<Series, Histogram>>,
    rate_limited: Mutex<BTreeMap<String, u64>>,
}

/// Methods outside this list are counted as `OTHER`, so an invented method
/// cannot add a series.
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"];

impl Metrics {
    /// Records one answered request.
    pub fn observe(&self, route: String, method: &str, status: u16, elapsed: Duration) {
        let method = METHODS.into_iter().find(|m| *m == method).unwrap_or("OTHER");
        let seconds = elapsed.as_secs_f64();
        let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let histogram = requests.entry((route, method, status)).or_default();
        if let Some(bucket) = BUCKETS.iter().position(|&bound| seconds <= bound) {
            histogram.counts[bucket] += 1;
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// Records a request refused by the rate limit of `caller` (a partner's
    /// name, or `anonymous`).
    pub fn rate_limited(&self, caller: &str) {
        *self.rate_limited.lock().unwrap_or_else(|p| p.into_inner()).entry(caller.to_owned()).or_default() +=
            1;
    }

    /// The exposition text, with the snapshot gauges of `state`.
    fn render(&self, state: &AppState) -> String {
        let mut out = String::with_capacity(8192);
        let requests = self.requests.lock().unwrap_or_else(|p| p.into_inner()).clone();
        header(
            &mut out,
            "locator_http_request_duration_seconds",
            "histogram",
            "Time to answer a request, by route pattern, method and status.",
        );
        for ((route, method, status), h) in &requests {
            let labels = format!("route=\"{}\",method=\"{method}\",status=\"{status}\"", escape(route));
            let mut cumulative = 0;
            for (bound, count) in BUCKETS.iter().zip(h.counts) {
                cumulative += count;
                let _ = writeln!(
                    out,
                    "locator_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "locator_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(out, "locator_http_request_duration_seconds_sum{{{labels}}} {}", h.sum);
            let _ = writeln!(out, "locator_http_request_duration_seconds_count{{{labels}}} {}", h.count);
        }
        header(
            &mut out,
            "locator_rate_limited_total",
            "counter",
            "Requests refused with 429, by partner (or anonymous).",
        );
        for (caller, n) in self.rate_limited.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(out, "locator_rate_limited_total{{partner=\"{}\"}} {n}", escape(caller));
        }
        let snapshot = state.snapshot();
        let pool = state.store().database().pool_state();
        header(
            &mut out,
            "locator_db_pool_waits_total",
            "counter",
            "Database checkouts that found every pooled connection in use (an estimate: the pool looked full just before).",
        );
        let _ = writeln!(out, "locator_db_pool_waits_total {}", pool.waits);
        let gauges: [(&str, &str, f64); 9] = [
            ("locator_db_pool_size", "Connections the database pool keeps at most.", f64::from(pool.size)),
            ("locator_db_pool_open", "Connections the database pool holds open.", f64::from(pool.open)),
            ("locator_db_pool_in_use", "Pooled database connections in use.", f64::from(pool.in_use)),
            (
                "locator_snapshot_stale",
                "1 while the snapshot cannot follow the directory of record (unreachable, or a refresh failed).",
                if state.store().fault().is_some() { 1.0 } else { 0.0 },
            ),
            (
                "locator_rate_limit_networks",
                "Anonymous client networks holding a rate-limit bucket (idle ones are swept).",
                state.limiter().anonymous_networks() as f64,
            ),
            (
                "locator_snapshot_physicians",
                "Physicians in the snapshot being served.",
                snapshot.physician_count() as f64,
            ),
            (
                "locator_snapshot_locations",
                "Practice locations in the snapshot being served.",
                snapshot.location_count() as f64,
            ),
            (
                "locator_snapshot_version",
                "Directory version the snapshot was built from.",
                snapshot.version() as f64,
            ),
            ("locator_snapshot_age_seconds", "Seconds since the snapshot was built.", snapshot.age_seconds()),
        ];
        for (name, help, value) in gauges {
            header(&mut out, name, "gauge", help);
            let _ = writeln!(out, "{name} {value}");
        }
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A label value as the text format wants it: `\`, `"` and new lines escaped.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Prometheus metrics: requests and latency per route, rate-limit refusals
/// per partner, the snapshot's size, version and age.
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>, _none: NoParams) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics().render(&state)))
}

/// The metrics listener's application: `/metrics`, and problem+json for
/// anything else, under the same security headers as the API.
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
    App::new()
        .app_data(state)
        .service(metrics)
        .wrap(ErrorHandlers::new().default_handler(super::bare_errors_as_problems))
        .wrap(from_fn(security::secure))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_bounded_in_methods() {
        let recorded = Metrics::default();
        recorded.observe("/a".into(), "GET", 200, Duration::from_micros(300));
        recorded.observe("/a".into(), "GET", 200, Duration::from_millis(30));
        recorded.observe("/a".into(), "GET", 200, Duration::from_secs(9));
        recorded.observe("/a".into(), "BREW", 405, Duration::from_millis(1));
        let requests = recorded.requests.lock().unwrap();
        let h = &requests[&("/a".to_owned(), "GET", 200)];
        assert_eq!(h.count, 3);
        assert_eq!(h.counts.iter().sum::<u64>(), 2, "9 s is only in +Inf");
        assert!(requests.contains_key(&("/a".to_owned(), "OTHER", 405)));
    }

    #[test]
    fn escapes_label_values() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
