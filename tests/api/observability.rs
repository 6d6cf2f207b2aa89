//! What operators see: `/metrics`, request ids, compression.

use actix_web::test::TestRequest;

use crate::helpers::{Backend, assert_problem, both_backends, spawn_app};

/// Checks `text` against the Prometheus text format 0.0.4 (every sample of a
/// declared family, well-formed labels and values, cumulative buckets ending
/// in `+Inf` equal to `_count`) and returns its samples as (name with labels, value).
pub fn parse_prometheus(text: &str) -> Vec<(String, f64)> {
    let mut families: Vec<(String, String)> = Vec::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            families.push((name.to_owned(), kind.to_owned()));
            continue;
        }
        if line.starts_with("# HELP ") || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value: {line}"));
        let name = series.split('{').next().unwrap();
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{line}");
        if let Some(labels) = series.strip_prefix(name).filter(|l| !l.is_empty()) {
            let inner = labels.strip_prefix('{').and_then(|l| l.strip_suffix('}')).expect("braces");
            for pair in inner.split("\",").map(|p| p.trim_end_matches('"')) {
                let (key, quoted) = pair.split_once("=\"").unwrap_or_else(|| panic!("label: {line}"));
                assert!(key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{line}");
                assert!(!quoted.contains('\n'));
            }
        }
        let family = families.iter().find(|(f, kind)| {
            name == f
                || (kind == "histogram"
                    && ["_bucket", "_sum", "_count"].iter().any(|s| name == format!("{f}{s}")))
        });
        assert!(family.is_some(), "a sample of an undeclared family: {line}");
        samples.push((series.to_owned(), value));
    }
    for (series, count) in samples.iter().filter(|(s, _)| s.contains("_count{")) {
        let labels = &series[series.find('{').unwrap() + 1..series.len() - 1];
        let buckets: Vec<f64> = samples
            .iter()
            .filter(|(s, _)| s.contains("_bucket{") && s.contains(labels))
            .map(|(_, v)| *v)
            .collect();
        assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "cumulative buckets: {series}");
        assert_eq!(buckets.last(), Some(count), "+Inf equals _count: {series}");
    }
    samples
}

async fn metrics_count_requests_per_route_and_status(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..3 {
        app.ok("/v1/physicians?zip=10001&limit=1").await;
    }
    app.get("/v1/physicians?zip=1").await;
    let npi = app.physicians[0].npi;
    app.ok(&format!("/v1/physicians/{npi}")).await;
    app.get("/no/such/path?zip=10001").await;
    let text = app.metrics().await;
    let on_the_api = app.get("/metrics").await;
    assert_problem(&on_the_api, 404, None);
    let samples = parse_prometheus(&text);
    let value = |series: &str| samples.iter().find(|(s, _)| s == series).map(|(_, v)| *v);
    let search = "route=\"/v1/physicians\",method=\"GET\"";
    assert_eq!(
        value(&format!("locator_http_request_duration_seconds_count{{{search},status=\"200\"}}")),
        Some(3.0)
    );
    assert_eq!(
        value(&format!("locator_http_request_duration_seconds_count{{{search},status=\"400\"}}")),
        Some(1.0)
    );
    let detail = "route=\"/v1/physicians/{npi}\",method=\"GET\",status=\"200\"";
    assert_eq!(value(&format!("locator_http_request_duration_seconds_count{{{detail}}}")), Some(1.0));
    assert!(text.contains("route=\"(unmatched)\""), "unknown paths share one series");
    assert_eq!(value("locator_snapshot_physicians"), Some(app.physicians.len() as f64));
    let version = app.ok("/readyz").await["version"].as_f64();
    assert_eq!(value("locator_snapshot_version"), version);
    assert!(value("locator_snapshot_locations").unwrap() >= app.physicians.len() as f64);
    assert!(value("locator_snapshot_age_seconds").unwrap() >= 0.0);
    // Labels hold patterns, never what a request asked for.
    for private in ["10001", &npi.to_string(), "zip"] {
        assert!(!text.contains(private), "{private} in the metrics");
    }
}

async fn every_answer_has_a_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.get("/v1/specialties").await;
    let second = app.get("/v1/physicians?zip=1").await;
    let (a, b) = (first.header("x-request-id").unwrap(), second.header("x-request-id").unwrap());
    assert_ne!(a, b);
    assert!(a.len() == 16 && a.bytes().all(|c| c.is_ascii_hexdigit()), "{a}");
    let echoed =
        app.request(TestRequest::get().uri("/healthz").insert_header(("X-Request-Id", "edge-42"))).await;
    assert_eq!(echoed.header("x-request-id"), Some("edge-42"), "a proxy's id is kept");
}

async fn answers_are_compressed_as_the_client_accepts(backend: Backend) {
    let app = spawn_app(backend).await;
    let uri = "/v1/physicians?zip=10001&limit=20";
    let plain = app.get(uri).await;
    assert!(plain.header("content-encoding").is_none());
    let with = |encoding: &'static str| {
        app.request(TestRequest::get().uri(uri).insert_header(("Accept-Encoding", encoding)))
    };
    for (asked, chosen) in [
        ("br", "br"),
        ("gzip", "gzip"),
        ("gzip, deflate, br, zstd", "gzip"),
        ("br;q=0.5, gzip", "gzip"),
        ("br, gzip;q=0.9", "br"),
        ("BR", "br"),
        ("zstd, *;q=0.1", "gzip"),
        ("*;q=0.5, gzip;q=0", "br"),
    ] {
        let reply = with(asked).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-encoding"), Some(chosen), "{asked}");
        assert!(
            reply.raw.len() * 3 < plain.raw.len(),
            "{asked}: {} of {} bytes",
            reply.raw.len(),
            plain.raw.len()
        );
        assert_eq!(decoded(chosen, &reply.raw), plain.raw, "{asked}: the same bytes once decoded");
        assert_eq!(reply.header("etag"), plain.header("etag"), "a weak tag names the content, any encoding");
        let vary: Vec<&str> = reply.headers.get_all("vary").filter_map(|v| v.to_str().ok()).collect();
        assert!(vary.iter().any(|v| v.eq_ignore_ascii_case("accept-encoding")), "{vary:?}");
        assert!(vary.iter().any(|v| v.eq_ignore_ascii_case("accept")), "caching's Vary is kept: {vary:?}");
    }
    // Nothing offered is acceptable, or the header is unreadable: the answer
    // goes unencoded rather than refused.
    for asked in ["identity", "zstd", "br;q=0, gzip;q=0", "*;q=0", "gzip;q=x;;", ""] {
        let reply = with(asked).await;
        assert_eq!(reply.status, 200, "{asked}");
        assert!(reply.header("content-encoding").is_none(), "{asked}");
        assert_eq!(reply.raw, plain.raw, "{asked}");
    }
    assert!(plain.header("etag").unwrap().starts_with("W/\""));
}

/// `raw` decoded from `coding` by the codecs' own decoders.
fn decoded(coding: &str, raw: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    match coding {
        "br" => brotli::Decompressor::new(raw, 4096).read_to_end(&mut out),
        "gzip" => flate2::read::GzDecoder::new(raw).read_to_end(&mut out),
        _ => unreachable!("{coding}"),
    }
    .expect("a well-formed stream");
    out
}

async fn a_kept_compressed_answer_follows_the_directory(backend: Backend) {
    let app = spawn_app(backend).await;
    let npi = app.physicians[0].npi.to_string();
    // Every physician of that family name: more than 1 KiB, and theirs among them.
    let uri = format!("/v1/physicians?q={}&limit=100", app.physicians[0].family_name);
    let gzipped = || app.request(TestRequest::get().uri(&uri).insert_header(("Accept-Encoding", "gzip")));
    let before = gzipped().await;
    assert_eq!(before.header("content-encoding"), Some("gzip"));
    assert_eq!(gzipped().await.raw, before.raw, "kept, the same bytes");
    let metrics = app.metrics().await;
    assert!(!metrics.contains("compressed"), "what is kept would tell whether a search was asked: {metrics}");

    let mut body = app.ok(&format!("/v1/physicians/{npi}")).await;
    body["accepting_new_patients"] = serde_json::json!(!body["accepting_new_patients"].as_bool().unwrap());
    assert_eq!(crate::admin::put(&app, &npi, &body).await.status, 200);
    let after = gzipped().await;
    assert_ne!(after.header("etag"), before.header("etag"));
    assert_eq!(decoded("gzip", &after.raw), app.get(&uri).await.raw, "the new answer, not the kept one");
    assert_ne!(decoded("gzip", &after.raw), decoded("gzip", &before.raw));
}

/// Two searches that a 64-bit FNV-1a of the normalised request, the entity
/// tag before, could not tell apart: a client chose the radius's digits (a
/// rho search over them found these). The compressed answers are kept by tag,
/// so with the old tag the second search got the first one's bytes.
async fn searches_with_a_crafted_collision_keep_their_own_answers(backend: Backend) {
    let app = spawn_app(backend).await;
    let radii = ["50.05488826226844191063", "50.04375758361041390339"];
    let old_tag = |radius: &str| {
        let normalised = format!(
            "/v1/physicians|[(\"lat\", \"34.0500\"), (\"lng\", \"-118.2400\"), (\"radius\", \"{radius}\")]|application/json"
        );
        physician_locator::search::cursor::fnv1a(normalised.as_bytes())
    };
    assert_eq!(old_tag(radii[0]), old_tag(radii[1]), "the pair collides under the old tag");
    let uris = radii.map(|radius| format!("/v1/physicians?lat=34.0500&lng=-118.2400&radius={radius}"));
    let gzipped =
        |uri: &str| app.request(TestRequest::get().uri(uri).insert_header(("Accept-Encoding", "gzip")));
    let first = gzipped(&uris[0]).await;
    assert_eq!(first.header("content-encoding"), Some("gzip"), "kept: over 1 KiB and tagged");
    let second = gzipped(&uris[1]).await;
    assert_ne!(first.header("etag"), second.header("etag"));
    let plain = app.get(&uris[1]).await;
    assert_eq!(plain.status, 200);
    assert_eq!(decoded("gzip", &second.raw), plain.raw, "its own answer, not the first one's");
    assert_ne!(decoded("gzip", &second.raw), decoded("gzip", &first.raw));
}

async fn small_answers_and_304s_go_unencoded(backend: Backend) {
    let app = spawn_app(backend).await;
    // Under 1 KiB: a health answer and a problem.
    for uri in ["/healthz", "/v1/physicians?zip=1", "/v1/physicians/123"] {
        let reply =
            app.request(TestRequest::get().uri(uri).insert_header(("Accept-Encoding", "br, gzip"))).await;
        assert!(reply.raw.len() < 1024, "{uri}: {} bytes", reply.raw.len());
        assert!(reply.header("content-encoding").is_none(), "{uri}");
        let vary: Vec<&str> = reply.headers.get_all("vary").filter_map(|v| v.to_str().ok()).collect();
        assert!(!vary.iter().any(|v| v.eq_ignore_ascii_case("accept-encoding")), "{uri}: {vary:?}");
    }
    // A 304 carries no body to encode.
    let uri = "/v1/physicians?zip=10001";
    let tag = app.get(uri).await.header("etag").unwrap().to_owned();
    let reply = app
        .request(
            TestRequest::get()
                .uri(uri)
                .insert_header(("Accept-Encoding", "br"))
                .insert_header(("If-None-Match", tag)),
        )
        .await;
    assert_eq!(reply.status, 304);
    assert!(reply.header("content-encoding").is_none());
    let vary: Vec<&str> = reply.headers.get_all("vary").filter_map(|v| v.to_str().ok()).collect();
    assert!(
        vary.iter().any(|v| v.eq_ignore_ascii_case("accept-encoding")) && vary.contains(&"Accept"),
        "a 304 carries its 200's Vary: {vary:?}"
    );
}

async fn every_answer_carries_security_headers_and_no_server_banner(backend: Backend) {
    let app = spawn_app(backend).await;
    for (uri, framed, scripts) in [
        ("/v1/physicians?zip=10001", false, None),
        ("/v1/physicians?zip=1", false, None),
        ("/no/such/path", false, None),
        ("/embed?zip=99546", true, Some("script-src 'self'")),
        ("/docs/", false, Some("script-src 'self'")),
    ] {
        let reply = app.get(uri).await;
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{uri}");
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"), "{uri}");
        let policy = reply.header("content-security-policy").unwrap_or_else(|| panic!("{uri}: no CSP"));
        assert!(policy.starts_with("default-src 'none'"), "{uri}: {policy}");
        assert!(!policy.contains("unsafe-eval") && !policy.contains("script-src *"), "{uri}: {policy}");
        if let Some(scripts) = scripts {
            assert!(policy.contains(scripts), "{uri}: {policy}");
        }
        assert_eq!(reply.header("x-frame-options").is_none(), framed, "{uri}: only the widget may be framed");
        assert!(reply.header("server").is_none(), "{uri}");
    }
    let long = format!("/v1/physicians?q={}", "a".repeat(9000));
    let reply = app.get(&long).await;
    assert_eq!(reply.status, 414);
    assert_eq!(reply.content_type, "application/problem+json");
}

both_backends!(
    every_answer_carries_security_headers_and_no_server_banner,
    metrics_count_requests_per_route_and_status,
    every_answer_has_a_request_id,
    answers_are_compressed_as_the_client_accepts,
    small_answers_and_304s_go_unencoded,
    searches_with_a_crafted_collision_keep_their_own_answers,
    a_kept_compressed_answer_follows_the_directory,
);
