//! The partner gate: API keys, rate limits per key and per address, CORS.

use std::net::SocketAddr;
use std::num::NonZeroU32;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use sha2::{Digest, Sha256};

use physician_locator::api::client::TrustedProxies;
use physician_locator::api::partners::{Access, Origins};
use physician_locator::api::public_url::PublicUrl;
use physician_locator::application::Settings;

use crate::helpers::{Backend, Reply, TestApp, assert_problem, both_backends, spawn_app_configured};

const SEARCH: &str = "/v1/physicians?zip=10001&limit=2";
const PARTNER_KEY: &str = "partner-key-0123456789";
const PARTNER_ORIGIN: &str = "https://partner.example";
const CLINIC_ORIGIN: &str = "https://clinic.example";

/// A partners file with one partner of `per_minute` requests a minute.
fn partners_toml(per_minute: u32) -> String {
    let hash: String = Sha256::digest(PARTNER_KEY).iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "[[partner]]\nname = \"lems-foundation\"\nkey_sha256 = \"{hash}\"\n\
         requests_per_minute = {per_minute}\nallowed_origins = [\"{PARTNER_ORIGIN}\"]\n"
    )
}

async fn app(backend: Backend, partner_per_minute: u32, anonymous_per_minute: u32) -> TestApp {
    let partners = Access::parse_partners(&partners_toml(partner_per_minute)).expect("partners");
    let anonymous = NonZeroU32::new(anonymous_per_minute).expect("not zero");
    let origins = Origins::parse_list(CLINIC_ORIGIN).expect("origins");
    spawn_app_configured(backend, "", |settings| Settings {
        access: Access::new(partners, anonymous, origins),
        ..settings
    })
    .await
}

fn from(address: [u8; 4]) -> SocketAddr {
    SocketAddr::from((address, 40000))
}

async fn with_key(app: &TestApp, key: &str) -> Reply {
    app.request(TestRequest::get().uri(SEARCH).insert_header(("X-Api-Key", key))).await
}

async fn a_partner_over_its_limit_gets_429_with_retry_after(backend: Backend) {
    let app = app(backend, 3, 1000).await;
    for remaining in ["2", "1", "0"] {
        let reply = with_key(&app, PARTNER_KEY).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        assert_eq!(reply.header("ratelimit-limit"), Some("3"));
        assert_eq!(reply.header("ratelimit-remaining"), Some(remaining));
        assert_eq!(reply.header("ratelimit-policy"), Some("3;w=60"));
    }
    let refused = with_key(&app, PARTNER_KEY).await;
    assert_problem(&refused, 429, None);
    // Three a minute: the next request is allowed twenty seconds later.
    assert_eq!(refused.header("retry-after"), Some("20"));
    assert_eq!(refused.header("ratelimit-remaining"), Some("0"));
    assert_eq!(refused.header("ratelimit-reset"), Some("60"));
    assert!(refused.body["detail"].as_str().unwrap().contains("at most 3 a minute"), "{:?}", refused.body);
    assert!(refused.header("etag").is_none());
    // The GeoJSON search is gated alike and draws from the same bucket.
    let geojson =
        TestRequest::get().uri("/v1/physicians.geojson?zip=10001").insert_header(("X-Api-Key", PARTNER_KEY));
    assert_problem(&app.request(geojson).await, 429, None);

    // Other callers have buckets of their own.
    assert_eq!(app.get(SEARCH).await.status, 200, "anonymous callers are not the partner");
    let metrics = app.metrics().await;
    assert!(metrics.contains("locator_rate_limited_total{partner=\"lems-foundation\"} 2"), "{metrics}");
}

async fn anonymous_callers_are_limited_per_address(backend: Backend) {
    let app = app(backend, 100, 2).await;
    let get = |address| app.request(TestRequest::get().uri(SEARCH).peer_addr(from(address)));
    assert_eq!(get([192, 0, 2, 1]).await.status, 200);
    assert_eq!(get([192, 0, 2, 1]).await.status, 200);
    let refused = get([192, 0, 2, 1]).await;
    assert_problem(&refused, 429, None);
    assert_eq!(refused.header("retry-after"), Some("30"));
    assert_eq!(get([192, 0, 2, 2]).await.status, 200, "another address, another bucket");
    // Probes and documentation are not limited.
    for uri in ["/healthz", "/readyz", "/openapi.json"] {
        let reply = app.request(TestRequest::get().uri(uri).peer_addr(from([192, 0, 2, 1]))).await;
        assert_eq!(reply.status, 200, "{uri}");
    }
    let metrics = app.metrics().await;
    assert!(metrics.contains("locator_rate_limited_total{partner=\"anonymous\"} 1"));
}

async fn an_unknown_key_is_401_naming_the_header(backend: Backend) {
    let app = app(backend, 100, 100).await;
    for key in ["not-a-partner-key", "", &PARTNER_KEY[1..]] {
        let reply = with_key(&app, key).await;
        assert_problem(&reply, 401, Some("X-Api-Key"));
    }
}

async fn cors_follows_the_callers_origins(backend: Backend) {
    let app = app(backend, 100, 100).await;
    let preflight = |origin: &str| {
        TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri(SEARCH)
            .insert_header(("Origin", origin.to_owned()))
            .insert_header(("Access-Control-Request-Method", "GET"))
            .insert_header(("Access-Control-Request-Headers", "x-api-key"))
    };
    for origin in [PARTNER_ORIGIN, CLINIC_ORIGIN] {
        let reply = app.request(preflight(origin)).await;
        assert_eq!(reply.status, 204, "{origin}");
        assert_eq!(reply.header("access-control-allow-origin"), Some(origin));
        assert!(reply.header("access-control-allow-headers").unwrap().contains("X-Api-Key"));
        assert_eq!(reply.header("access-control-allow-methods"), Some("GET, HEAD"));
        assert!(reply.header("access-control-max-age").is_some());
    }
    let refused = app.request(preflight("https://elsewhere.example")).await;
    assert_problem(&refused, 403, Some("Origin"));
    assert!(refused.header("access-control-allow-origin").is_none());

    let get = |origin: &str, key: Option<&str>| {
        let request = TestRequest::get().uri(SEARCH).insert_header(("Origin", origin.to_owned()));
        app.request(match key {
            Some(key) => request.insert_header(("X-Api-Key", key.to_owned())),
            None => request,
        })
    };
    let partner = get(PARTNER_ORIGIN, Some(PARTNER_KEY)).await;
    assert_eq!(partner.status, 200);
    assert_eq!(partner.header("access-control-allow-origin"), Some(PARTNER_ORIGIN));
    assert!(partner.header("access-control-expose-headers").unwrap().contains("Retry-After"));
    let vary: Vec<&str> = partner.headers.get_all("vary").filter_map(|v| v.to_str().ok()).collect();
    assert!(vary.iter().any(|v| v.contains("Origin")), "{vary:?}");
    // A partner's key from a page the partner does not list: refused.
    assert_problem(&get(CLINIC_ORIGIN, Some(PARTNER_KEY)).await, 403, Some("Origin"));
    // Without a key, the default origins.
    let clinic = get(CLINIC_ORIGIN, None).await;
    assert_eq!(clinic.header("access-control-allow-origin"), Some(CLINIC_ORIGIN));
    let elsewhere = get("https://elsewhere.example", None).await;
    assert_eq!(elsewhere.status, 200, "a server does not refuse; the browser withholds the answer");
    assert!(elsewhere.header("access-control-allow-origin").is_none());
    // An unknown key's 401 is readable by an allowed page.
    let unknown = get(CLINIC_ORIGIN, Some("not-a-partner-key")).await;
    assert_eq!(unknown.status, 401);
    assert_eq!(unknown.header("access-control-allow-origin"), Some(CLINIC_ORIGIN));
    // The widget's own origin (the public URL's; here the bind address's)
    // is not cross-origin.
    let same = get("http://127.0.0.1:8080", Some(PARTNER_KEY)).await;
    assert_eq!(same.status, 200, "{:?}", same.body);
    for reply in [&partner, &clinic, &unknown] {
        assert!(reply.header("access-control-allow-credentials").is_none(), "never credentials");
    }
}

async fn a_partners_widget_is_framed_only_by_the_partners_pages(backend: Backend) {
    let app = app(backend, 100, 100).await;
    let policy = |reply: &Reply| reply.header("content-security-policy").unwrap_or_default().to_owned();
    let open = app.get("/embed?zip=99546").await;
    assert_eq!(open.status, 200);
    assert!(policy(&open).ends_with("frame-ancestors *"), "{}", policy(&open));
    let keyed = app.get(&format!("/embed?zip=99546&key={PARTNER_KEY}")).await;
    assert_eq!(keyed.status, 200);
    assert!(policy(&keyed).ends_with(&format!("frame-ancestors {PARTNER_ORIGIN}")), "{}", policy(&keyed));
    assert!(policy(&keyed).starts_with("default-src 'none'; script-src 'self'"), "{}", policy(&keyed));
    assert!(keyed.header("x-frame-options").is_none());
    assert_problem(&app.get("/embed?key=not-a-partner-key").await, 400, Some("key"));
    // The radius preset is a radius in miles, as the search takes it.
    for bad in ["AAA", "-5", "0", "1001", "NaN"] {
        assert_problem(&app.get(&format!("/embed?radius={bad}")).await, 400, Some("radius"));
    }
    assert_eq!(app.get("/embed?radius=1000").await.status, 200);
}

async fn every_spelling_of_a_public_route_passes_the_gate(backend: Backend) {
    // The router decodes percent-escapes; the gate must see what it serves.
    let app = app(backend, 100, 1000).await;
    let npi = app.physicians[0].npi.to_string();
    let escaped_digit = format!("%3{}{}", &npi[..1], &npi[1..]);
    let spellings = [
        "/v1/physicians?zip=10001".to_owned(),
        "/v1/%70hysicians?zip=10001".to_owned(),
        "/%761/physicians?zip=10001".to_owned(),
        "/v1/physician%73?zip=10001".to_owned(),
        "/%76%31/%70%68%79%73%69%63%69%61%6e%73?zip=10001".to_owned(),
        "/v1/%73pecialties".to_owned(),
        format!("/v1/physicians/{npi}"),
        format!("/v1/%70hysicians/{npi}"),
        format!("/v1/physicians/{escaped_digit}"),
        format!("/%76%31/physicians/{npi}"),
    ];
    for uri in &spellings {
        let served = app.request(TestRequest::get().uri(uri).peer_addr(from([192, 0, 2, 1]))).await;
        assert_eq!(served.status, 200, "{uri} is routed: {:?}", served.body);
        assert!(served.header("ratelimit-remaining").is_some(), "{uri} is counted");
        let unknown =
            app.request(TestRequest::get().uri(uri).insert_header(("X-Api-Key", "not-a-partner-key"))).await;
        assert_problem(&unknown, 401, Some("X-Api-Key"));
    }
    // What the gate counted says so, even when no route answers.
    for (method, uri) in [(Method::GET, "/v1/nothing"), (Method::POST, "/v1/physicians")] {
        let reply = app.request(TestRequest::default().method(method).uri(uri)).await;
        assert!(matches!(reply.status, 404 | 405), "{uri}: {}", reply.status);
        assert!(reply.header("ratelimit-remaining").is_some(), "{uri}: {:?}", reply.headers);
    }
    // Every spelling draws from the one bucket of the one caller.
    let limited = self::app(backend, 100, spellings.len() as u32).await;
    for uri in &spellings {
        let reply = limited.request(TestRequest::get().uri(uri).peer_addr(from([192, 0, 2, 9]))).await;
        assert_eq!(reply.status, 200, "{uri}");
    }
    for uri in &spellings {
        let reply = limited.request(TestRequest::get().uri(uri).peer_addr(from([192, 0, 2, 9]))).await;
        assert_problem(&reply, 429, None);
    }
}

/// The app behind a trusted proxy at 10.0.0.1, one request a minute per client.
async fn behind_proxy(backend: Backend) -> TestApp {
    let proxies = TrustedProxies::parse("10.0.0.0/8").expect("proxies");
    let access = Access::new(Vec::new(), NonZeroU32::new(1).expect("not zero"), Origins::Listed(Vec::new()))
        .with_trusted_proxies(proxies);
    spawn_app_configured(backend, "", |settings| Settings { access, ..settings }).await
}

fn via(peer: [u8; 4], header: (&'static str, &'static str)) -> TestRequest {
    TestRequest::get().uri(SEARCH).peer_addr(from(peer)).insert_header(header)
}

async fn behind_a_trusted_proxy_each_client_has_its_own_bucket(backend: Backend) {
    let app = behind_proxy(backend).await;
    for client in ["203.0.113.1", "203.0.113.2", "2001:db8:1::1"] {
        assert_eq!(
            app.request(via([10, 0, 0, 1], ("X-Forwarded-For", client))).await.status,
            200,
            "{client}"
        );
    }
    let again = app.request(via([10, 0, 0, 2], ("X-Forwarded-For", "203.0.113.1"))).await;
    assert_problem(&again, 429, None);
    // What the client wrote left of its real address is not believed.
    let spoofed = app.request(via([10, 0, 0, 1], ("X-Forwarded-For", "198.51.100.7, 203.0.113.2"))).await;
    assert_problem(&spoofed, 429, None);
    // RFC 7239 names the same client.
    let forwarded = app.request(via([10, 0, 0, 1], ("Forwarded", "for=\"[2001:db8:1::99]:4711\""))).await;
    assert_problem(&forwarded, 429, None);
    assert_eq!(app.request(via([10, 0, 0, 1], ("Forwarded", "for=203.0.113.3"))).await.status, 200);
    // The addresses decide buckets, and appear nowhere in the metrics.
    let metrics = app.metrics().await;
    for address in ["203.0.113", "2001:db8", "10.0.0"] {
        assert!(!metrics.contains(address), "{address} in /metrics");
    }
}

async fn forwarding_headers_from_an_untrusted_peer_change_nothing(backend: Backend) {
    let app = behind_proxy(backend).await;
    assert_eq!(app.request(via([192, 0, 2, 1], ("X-Forwarded-For", "203.0.113.1"))).await.status, 200);
    for header in [("X-Forwarded-For", "203.0.113.2"), ("Forwarded", "for=203.0.113.3")] {
        let spoofed = app.request(via([192, 0, 2, 1], header)).await;
        assert_problem(&spoofed, 429, None);
    }
    // A trusted proxy's request whose two headers disagree: one was written
    // by the client, and which cannot be told; refused, not counted as the
    // proxy's own (which would hand such clients the proxy's bucket).
    let both = |client: &'static str| {
        via([10, 0, 0, 5], ("Forwarded", "for=203.0.113.4")).insert_header(("X-Forwarded-For", client))
    };
    assert_problem(&app.request(both("203.0.113.5")).await, 400, Some("Forwarded"));
    assert_eq!(app.request(both("203.0.113.4")).await.status, 200, "agreeing headers name the client");
}

/// A partner's key from a page of `origin`, with `headers` saying where the
/// request was sent, from `peer`.
fn keyed_from(origin: &str, peer: [u8; 4], headers: &[(&'static str, &'static str)]) -> TestRequest {
    let mut request = TestRequest::get()
        .uri(SEARCH)
        .peer_addr(from(peer))
        .insert_header(("Origin", origin.to_owned()))
        .insert_header(("X-Api-Key", PARTNER_KEY));
    for header in headers {
        request = request.insert_header(*header);
    }
    request
}

async fn the_origin_check_never_takes_the_requests_word_for_where_it_was_sent(backend: Backend) {
    let evil = "https://evil.example";
    let claims: [&[(&str, &str)]; 4] = [
        &[("X-Forwarded-Host", "evil.example"), ("X-Forwarded-Proto", "https")],
        &[("X-Forwarded-Host", "evil.example")],
        &[("Forwarded", "host=\"evil.example\";proto=https")],
        &[("Host", "evil.example")],
    ];
    let app = app(backend, 100, 100).await;
    for claim in claims {
        let reply = app.request(keyed_from(evil, [192, 0, 2, 1], claim)).await;
        assert_problem(&reply, 403, Some("Origin"));
        let reply = app.request(keyed_from("http://evil.example", [192, 0, 2, 1], claim)).await;
        assert_problem(&reply, 403, Some("Origin"));
    }
    assert_eq!(app.request(keyed_from("http://127.0.0.1:8080", [192, 0, 2, 1], claims[0])).await.status, 200);

    // Behind a trusted proxy with a public URL: the public URL's origin, the
    // proxy's word or not.
    let partners = Access::parse_partners(&partners_toml(100)).expect("partners");
    let proxied = spawn_app_configured(backend, "", |settings| Settings {
        access: Access::new(partners, NonZeroU32::new(100).expect("not zero"), Origins::Listed(Vec::new()))
            .with_trusted_proxies(TrustedProxies::parse("10.0.0.0/8").expect("proxies")),
        public_url: Some(PublicUrl::parse("https://directory.example.org").expect("public URL")),
        ..settings
    })
    .await;
    for claim in claims {
        let reply = proxied.request(keyed_from(evil, [10, 0, 0, 1], claim)).await;
        assert_problem(&reply, 403, Some("Origin"));
        let reply = proxied.request(keyed_from("https://directory.example.org", [10, 0, 0, 1], claim)).await;
        assert_eq!(reply.status, 200, "{claim:?}: {:?}", reply.body);
    }
}

both_backends!(
    the_origin_check_never_takes_the_requests_word_for_where_it_was_sent,
    every_spelling_of_a_public_route_passes_the_gate,
    behind_a_trusted_proxy_each_client_has_its_own_bucket,
    forwarding_headers_from_an_untrusted_peer_change_nothing,
    a_partners_widget_is_framed_only_by_the_partners_pages,
    a_partner_over_its_limit_gets_429_with_retry_after,
    anonymous_callers_are_limited_per_address,
    an_unknown_key_is_401_naming_the_header,
    cors_follows_the_callers_origins,
);
