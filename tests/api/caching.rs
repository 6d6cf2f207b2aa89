//! HTTP caching: ETag from the directory version and the normalised request,
//! Cache-Control, 304 on a matching If-None-Match.

use actix_web::test::TestRequest;

use crate::helpers::{Backend, assert_problem, both_backends, spawn_app};

async fn a_repeated_search_gets_304_and_the_tag_follows_the_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let version = app.ok("/readyz").await["version"].as_i64().unwrap();
    let uri = "/v1/physicians?zip=10001&specialty=neurology&limit=5";
    let first = app.get(uri).await;
    let tag = first.header("etag").expect("an ETag").to_owned();
    assert!(tag.starts_with(&format!("W/\"{version}-")), "{tag} names the directory version");
    assert_eq!(first.header("cache-control"), Some("public, max-age=60"));
    let vary: Vec<&str> = first.headers.get_all("vary").filter_map(|v| v.to_str().ok()).collect();
    assert!(vary.contains(&"Accept"), "{vary:?}");
    assert_eq!(app.get(uri).await.header("etag"), Some(tag.as_str()), "the same request, the same tag");

    let again = app.request(TestRequest::get().uri(uri).insert_header(("If-None-Match", tag.as_str()))).await;
    assert_eq!(again.status, 304);
    assert_eq!(again.body, serde_json::json!(""), "no body");
    assert_eq!(again.header("etag"), Some(tag.as_str()));
    let strong = tag.trim_start_matches("W/");
    let weak = format!("\"other\", {strong}");
    let listed = app.request(TestRequest::get().uri(uri).insert_header(("If-None-Match", weak))).await;
    assert_eq!(listed.status, 304, "a strong or listed tag matches too (weak comparison)");
    let stale = app.request(TestRequest::get().uri(uri).insert_header(("If-None-Match", "\"0-0\""))).await;
    assert_eq!(stale.status, 200);
    let any = app.request(TestRequest::get().uri(uri).insert_header(("If-None-Match", " * "))).await;
    assert_eq!(any.status, 304, "* alone matches any current answer");
    let listed_any =
        app.request(TestRequest::get().uri(uri).insert_header(("If-None-Match", "\"0-0\", *"))).await;
    assert_eq!(listed_any.status, 200, "* in a list is no tag (RFC 9110 13.1.2)");
    let two_lines = app
        .request(
            TestRequest::get()
                .uri(uri)
                .append_header(("If-None-Match", "\"0-0\""))
                .append_header(("If-None-Match", "*")),
        )
        .await;
    assert_eq!(two_lines.status, 200, "a list over two lines is one list");

    let reordered = app.get("/v1/physicians?limit=5&specialty=neurology&zip=10001").await;
    assert_eq!(reordered.header("etag"), Some(tag.as_str()), "parameter order does not matter");
    let other = app.get("/v1/physicians?zip=10001&specialty=neurology&limit=6").await;
    assert_ne!(other.header("etag"), Some(tag.as_str()));
    let beyond = app.get(&format!("{uri}&beyond=5")).await;
    assert_ne!(beyond.header("etag"), Some(tag.as_str()), "beyond changes the last page");
    let geojson = app.get(&format!("{uri}&format=geojson")).await;
    let by_accept =
        app.request(TestRequest::get().uri(uri).insert_header(("Accept", "application/geo+json"))).await;
    assert_ne!(by_accept.header("etag"), Some(tag.as_str()), "another representation, another tag");
    assert!(geojson.header("etag").is_some() && by_accept.header("etag").is_some());

    let bad = app.get("/v1/physicians?zip=1000").await;
    assert_problem(&bad, 400, Some("zip"));
    assert!(bad.header("etag").is_none(), "errors are not cacheable");
}

async fn detail_and_vocabularies_are_cacheable(backend: Backend) {
    let app = spawn_app(backend).await;
    let npi = app.physicians[0].npi.to_string();
    let vocabularies = ["/v1/specialties", "/v1/conditions", "/v1/services"].map(String::from);
    for uri in std::iter::once(format!("/v1/physicians/{npi}")).chain(vocabularies) {
        let reply = app.get(&uri).await;
        let tag = reply.header("etag").unwrap_or_else(|| panic!("{uri}: an ETag")).to_owned();
        let again = app.request(TestRequest::get().uri(&uri).insert_header(("If-None-Match", tag))).await;
        assert_eq!(again.status, 304, "{uri}");
    }
    let missing = app.get("/v1/physicians/1234567893").await;
    assert_eq!(missing.status, 404);
    assert!(missing.header("etag").is_none());
}

both_backends!(
    a_repeated_search_gets_304_and_the_tag_follows_the_request,
    detail_and_vocabularies_are_cacheable
);
