//! The summary view (`view=summary`): each result is the full view's, in
//! brief, at the location the search reports; the envelope, paging, cursors and
//! `beyond` are the full view's.

use actix_web::test::TestRequest;
use serde_json::{Value, json};

use crate::helpers::{Backend, assert_problem, both_backends, spawn_app};

/// What the summary of a full result must be, worked out from the full
/// result alone: with an origin, the location `nearest_location_id` names;
/// without, the first offering one of `services` (any, when none is asked).
fn expected_summary(full: &Value, services: &[&str]) -> Value {
    let p = &full["physician"];
    let locations = p["locations"].as_array().unwrap();
    let location = match full["nearest_location_id"].as_str() {
        Some(id) => locations.iter().find(|l| l["id"] == id).unwrap(),
        None => locations
            .iter()
            .find(|l| {
                services.is_empty()
                    || l["services"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|s| services.contains(&s["slug"].as_str().unwrap()))
            })
            .unwrap(),
    };
    let primary: Vec<&Value> =
        p["specialties"].as_array().unwrap().iter().filter(|s| s["primary"] == true).collect();
    assert_eq!(primary.len(), 1, "one primary specialty");
    let mut location = location.clone();
    location.as_object_mut().unwrap().remove("services");
    json!({
        "npi": p["npi"],
        "display_name": p["display_name"],
        "primary_specialty": {"code": primary[0]["code"], "slug": primary[0]["slug"], "name": primary[0]["name"]},
        "accepting_new_patients": p["accepting_new_patients"],
        "telehealth": p["telehealth"],
        "location": location,
        "distance": full["distance"],
    })
}

/// Pages through `query` in both views, each following its own cursors, and
/// checks that every summary page is the full page in brief. Returns how
/// many results (in and beyond the radius) were compared.
async fn compare_views(app: &crate::helpers::TestApp, query: &str, services: &[&str]) -> usize {
    let mut compared = 0;
    let (mut full_uri, mut summary_uri) =
        (format!("/v1/physicians?{query}"), format!("/v1/physicians?{query}&view=summary"));
    loop {
        let full = app.ok(&full_uri).await;
        let summary = app.ok(&summary_uri).await;
        for key in ["origin", "radius", "total", "next_cursor"] {
            assert_eq!(summary[key], full[key], "{key} of {summary_uri}");
        }
        for key in ["results", "beyond_radius"] {
            if full[key].is_null() {
                assert!(summary[key].is_null(), "{key} of {summary_uri}");
                continue;
            }
            let (full, brief) = (full[key].as_array().unwrap(), summary[key].as_array().unwrap());
            assert_eq!(brief.len(), full.len(), "{key} of {summary_uri}");
            for (f, s) in full.iter().zip(brief) {
                assert_eq!(s, &expected_summary(f, services), "{key} of {summary_uri}");
            }
            compared += full.len();
        }
        let Some(cursor) = full["next_cursor"].as_str() else { return compared };
        full_uri = format!("/v1/physicians?{query}&cursor={cursor}");
        summary_uri = format!("/v1/physicians?{query}&view=summary&cursor={cursor}");
    }
}

async fn a_summary_is_the_full_result_in_brief_on_every_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let queries: [(&str, &[&str]); 12] = [
        ("zip=10001&limit=7&include_total=true", &[]),
        ("zip=10001&radius=120&limit=100", &[]),
        ("zip=10001&radius=300&service=plasma-exchange&limit=20", &["plasma-exchange"]),
        (
            "zip=60601&radius=100&unit=km&service=emg&service=nerve-conduction&limit=9",
            &["emg", "nerve-conduction"],
        ),
        ("zip=99546&condition=lems&radius=1000&limit=3", &[]),
        ("lat=52.84&lng=173.18&radius=500&condition=lems", &[]),
        ("city=San%20Juan&state=PR&radius=30&unit=km&language=es", &[]),
        ("zip=82190&condition=lems", &[]),
        ("zip=82190&condition=lems&radius=200&beyond=10&limit=1", &[]),
        ("zip=82190&telehealth=true&licensed_in=WY&radius=500&beyond=0", &[]),
        ("q=a&limit=50&include_total=true", &[]),
        ("service=emg&accepting_new_patients=true&limit=40", &["emg"]),
    ];
    for (query, services) in queries {
        let compared = compare_views(&app, query, services).await;
        assert!(compared > 0, "{query} compares some results");
    }
}

/// A summary carries what a list or a marker shows and nothing more.
async fn a_summary_holds_only_what_a_marker_needs(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.ok("/v1/physicians?zip=10001&limit=3&view=summary").await;
    let keys = |v: &Value| {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&page), ["beyond_radius", "next_cursor", "origin", "radius", "results", "total"]);
    let result = &page["results"][0];
    assert_eq!(
        keys(result),
        [
            "accepting_new_patients",
            "display_name",
            "distance",
            "location",
            "npi",
            "primary_specialty",
            "telehealth"
        ]
    );
    assert_eq!(keys(&result["primary_specialty"]), ["code", "name", "slug"]);
    assert_eq!(
        keys(&result["location"]),
        ["address", "geocode_precision", "id", "lat", "lng", "phone", "practice_name"]
    );
    let full = app.get("/v1/physicians?zip=10001&limit=3").await.raw.len();
    let brief = app.get("/v1/physicians?zip=10001&limit=3&view=summary").await.raw.len();
    assert!(brief * 2 < full, "a summary page ({brief} B) is well under half the full one ({full} B)");
    let explicit = app.get("/v1/physicians?zip=10001&limit=3&view=full").await;
    assert_eq!(explicit.raw, app.get("/v1/physicians?zip=10001&limit=3").await.raw, "full is the default");
}

async fn a_bad_view_and_a_view_of_geojson_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    for view in ["brief", "SUMMARY", ""] {
        let reply = app.get(&format!("/v1/physicians?zip=10001&view={view}")).await;
        assert_problem(&reply, 400, Some("view"));
        if !view.is_empty() {
            let message = reply.body["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains("valid values: summary, full"), "{message}");
        }
    }
    let twice = app.get("/v1/physicians?zip=10001&view=summary&view=full").await;
    assert_problem(&twice, 400, Some("view"));
    // GeoJSON has one view: unknown on its own route, refused when asked for otherwise.
    let typed = app.get("/v1/physicians.geojson?zip=10001&view=summary").await;
    assert_problem(&typed, 400, Some("view"));
    assert!(typed.body["errors"][0]["message"].as_str().unwrap().starts_with("unknown parameter"));
    for view in ["summary", "full"] {
        let formatted = app.get(&format!("/v1/physicians?zip=10001&format=geojson&view={view}")).await;
        assert_problem(&formatted, 400, Some("view"));
        let accepted = app
            .request(
                TestRequest::get()
                    .uri(&format!("/v1/physicians?zip=10001&view={view}"))
                    .insert_header(("Accept", "application/geo+json")),
            )
            .await;
        assert_problem(&accepted, 400, Some("view"));
        assert_eq!(
            accepted.body["errors"].as_array().map(Vec::len),
            Some(1),
            "one fault: {:?}",
            accepted.body
        );
    }
}

async fn a_summary_and_a_full_answer_have_different_tags(backend: Backend) {
    let app = spawn_app(backend).await;
    let uri = "/v1/physicians?zip=10001&limit=5";
    let full = app.get(uri).await;
    let summary = app.get(&format!("{uri}&view=summary")).await;
    let (full_tag, summary_tag) = (full.header("etag").unwrap(), summary.header("etag").unwrap());
    assert_ne!(full_tag, summary_tag);
    let held =
        TestRequest::get().uri(&format!("{uri}&view=summary")).insert_header(("If-None-Match", summary_tag));
    assert_eq!(app.request(held).await.status, 304);
    let crossed = TestRequest::get().uri(uri).insert_header(("If-None-Match", summary_tag));
    assert_eq!(app.request(crossed).await.status, 200, "a summary's tag does not stand for the full answer");
}

#[test]
fn the_readme_documents_the_view() {
    let readme = include_str!("../../README.md");
    assert!(readme.lines().any(|l| l.starts_with("| `view` |")), "a row in the search parameters");
    assert!(readme.contains("&view=summary'"), "a curl example, which readme.rs runs");
}

both_backends!(
    a_summary_is_the_full_result_in_brief_on_every_page,
    a_summary_holds_only_what_a_marker_needs,
    a_bad_view_and_a_view_of_geojson_are_refused,
    a_summary_and_a_full_answer_have_different_tags,
);
