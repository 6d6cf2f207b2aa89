//! Search behaviour: ranking, paging, listing, filters, places.

use std::collections::HashSet;

use serde_json::Value;

use crate::helpers::spawn_app;
use crate::helpers::{Backend, both_backends};
use physician_locator::domain::text::fold;

fn npis(results: &[Value]) -> Vec<String> {
    results.iter().map(|r| r["physician"]["npi"].as_str().unwrap().to_owned()).collect()
}

fn distances(results: &[Value]) -> Vec<f64> {
    results.iter().map(|r| r["distance"].as_f64().unwrap()).collect()
}

async fn neuromuscular_specialists_near_10001_come_in_distance_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = app.ok("/v1/physicians?zip=10001&specialty=neuromuscular-medicine").await;
    assert_eq!(body["origin"]["label"], "New York, NY 10001");
    assert_eq!(body["origin"]["source"], "zip");
    assert_eq!(body["radius"], serde_json::json!({"value": 50.0, "unit": "mi"}));
    let results = body["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let d = distances(results);
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    assert!(d.iter().all(|&x| (0.0..=50.0).contains(&x)));
    for r in results {
        let specialties = r["physician"]["specialties"].as_array().unwrap();
        assert!(specialties.iter().any(|s| s["slug"] == "neuromuscular-medicine"));
        assert_eq!(specialties.iter().filter(|s| s["primary"] == true).count(), 1);
        let id = r["nearest_location_id"].as_str().unwrap();
        assert!(r["physician"]["locations"].as_array().unwrap().iter().any(|l| l["id"] == id));
    }
}

async fn paging_with_every_limit_gives_each_physician_exactly_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let base = "/v1/physicians?zip=10001&radius=120";
    let whole = app.ok(&format!("{base}&limit=100&include_total=true")).await;
    let total = whole["total"].as_u64().unwrap() as usize;
    assert!(total > 100, "needs more than one page: {total}");
    let mut reference: Option<Vec<String>> = None;
    for limit in [1, 2, 3, 7, 20, 33, 99, 100] {
        let results = app.all_pages(&format!("{base}&limit={limit}")).await;
        let ids = npis(&results);
        assert_eq!(ids.len(), total, "limit {limit}");
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), total, "a duplicate with limit {limit}");
        let d = distances(&results);
        assert!(d.windows(2).all(|w| w[0] <= w[1]), "distances decrease with limit {limit}");
        match &reference {
            Some(r) => assert_eq!(r, &ids, "order differs with limit {limit}"),
            None => reference = Some(ids),
        }
    }
}

async fn without_a_location_everyone_is_listed_by_family_then_given_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let results = app.all_pages("/v1/physicians?limit=100").await;
    assert_eq!(results.len(), app.physicians.len());
    let keys: Vec<(String, String, String)> = results
        .iter()
        .map(|r| {
            let p = &r["physician"];
            assert!(r["distance"].is_null() && r["nearest_location_id"].is_null());
            (
                fold(p["family_name"].as_str().unwrap()),
                fold(p["given_name"].as_str().unwrap()),
                p["npi"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "not in name order");
    let body = app.ok("/v1/physicians?limit=5").await;
    assert!(body["origin"].is_null() && body["radius"].is_null() && body["total"].is_null());
    let body = app.ok("/v1/physicians?limit=5&include_total=true").await;
    assert_eq!(body["total"], app.physicians.len());
}

async fn name_search_ignores_case_and_accents(backend: Backend) {
    let app = spawn_app(backend).await;
    let expected = app.physicians.iter().filter(|p| p.family_name == "Núñez").count();
    assert!(expected > 0, "the seed has a Núñez");
    // "nunez", "NÚÑEZ" (precomposed) and "Núñez" (decomposed), percent-encoded.
    for q in ["nunez", "N%C3%9A%C3%91EZ", "Nu%CC%81n%CC%83ez"] {
        let results = app.all_pages(&format!("/v1/physicians?q={q}&limit=100")).await;
        let found = results.iter().filter(|r| r["physician"]["family_name"] == "Núñez").count();
        assert_eq!(found, expected, "q={q}");
    }
}

async fn every_filter_holds_on_every_result(backend: Backend) {
    let app = spawn_app(backend).await;
    let uri = "/v1/physicians?zip=60601&radius=500&condition=lems&condition=myasthenia-gravis\
               &accepting_new_patients=true&telehealth=false&language=en&gender=female&limit=100";
    let results = app.all_pages(uri).await;
    assert!(!results.is_empty());
    for r in &results {
        let p = &r["physician"];
        let conditions: Vec<&str> =
            p["conditions"].as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap()).collect();
        assert!(conditions.contains(&"lems") || conditions.contains(&"myasthenia-gravis"));
        assert_eq!(p["accepting_new_patients"], true);
        assert_eq!(p["telehealth"], false);
        assert_eq!(p["gender"], "female");
        assert!(p["languages"].as_array().unwrap().iter().any(|l| l == "en"));
    }
}

async fn a_service_filter_decides_the_nearest_location(backend: Backend) {
    let app = spawn_app(backend).await;
    let results = app.all_pages("/v1/physicians?zip=10001&radius=300&service=plasma-exchange&limit=50").await;
    assert!(!results.is_empty());
    for r in &results {
        let id = r["nearest_location_id"].as_str().unwrap();
        let location =
            r["physician"]["locations"].as_array().unwrap().iter().find(|l| l["id"] == id).unwrap();
        assert!(
            location["services"].as_array().unwrap().iter().any(|s| s["slug"] == "plasma-exchange"),
            "{id}"
        );
    }
}

async fn zip_plus_four_po_box_and_territory_zips_are_searchable(backend: Backend) {
    let app = spawn_app(backend).await;
    let plain = app.ok("/v1/physicians?zip=10001").await;
    let plus4 = app.ok("/v1/physicians?zip=10001-2062").await;
    assert_eq!(plain["origin"], plus4["origin"]);
    assert_eq!(npis(plain["results"].as_array().unwrap()), npis(plus4["results"].as_array().unwrap()));

    // Adak, Alaska: a PO-box ZIP; the seed has a LEMS-aware practice there.
    let adak = app.ok("/v1/physicians?zip=99546&condition=lems").await;
    assert_eq!(adak["origin"]["label"], "Adak, AK 99546");
    assert!(!adak["results"].as_array().unwrap().is_empty());

    let pr = app.ok("/v1/physicians?zip=00601&radius=100").await;
    assert!(!pr["results"].as_array().unwrap().is_empty(), "Puerto Rico has practices");
    assert!(
        pr["results"][0]["physician"]["locations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["address"]["state"] == "PR")
    );

    let gu = app.ok("/v1/physicians?zip=96910&radius=20").await;
    assert!(!gu["results"].as_array().unwrap().is_empty(), "Guam has a practice");
}

async fn city_and_state_search_from_the_city_centroid(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = app.ok("/v1/physicians?city=san%20juan&state=pr&radius=30&unit=km").await;
    assert_eq!(body["origin"]["label"], "San Juan, PR");
    assert_eq!(body["origin"]["source"], "city");
    assert_eq!(body["radius"]["unit"], "km");
    let d = distances(body["results"].as_array().unwrap());
    assert!(d.iter().all(|&x| x <= 30.0));
}

async fn kilometres_and_miles_agree(backend: Backend) {
    let app = spawn_app(backend).await;
    let mi = app.ok("/v1/physicians?lat=41.88&lng=-87.63&radius=10&limit=100&include_total=true").await;
    let km = app
        .ok("/v1/physicians?lat=41.88&lng=-87.63&radius=16.09344&unit=km&limit=100&include_total=true")
        .await;
    assert_eq!(mi["total"], km["total"]);
    let (a, b) = (distances(mi["results"].as_array().unwrap()), distances(km["results"].as_array().unwrap()));
    for (m, k) in a.iter().zip(&b) {
        assert!((m * 1.609344 - k).abs() < 1e-9, "{m} mi vs {k} km");
    }
}

/// GeoJSON (by its own route, by parameter or by Accept) is the same page as JSON: one Point per
/// result at its nearest matching location, [lng, lat], the same distances, and a
/// cursor that continues the same query.
async fn geojson_pages_are_feature_collections_of_the_same_results(backend: Backend) {
    let app = spawn_app(backend).await;
    let base = "/v1/physicians?zip=99546&condition=lems&radius=1000&limit=1";
    let json = app.ok(base).await;
    let reply = app.get(&format!("{base}&format=geojson")).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.content_type, "application/geo+json");
    let geo = reply.body;
    let by_accept = app
        .request(
            actix_web::test::TestRequest::get().uri(base).insert_header(("Accept", "application/geo+json")),
        )
        .await;
    assert_eq!((by_accept.content_type.as_str(), &by_accept.body), ("application/geo+json", &geo));
    // The GeoJSON route: the same page, whatever `Accept` says, and no `format`.
    let typed = app.get(&base.replace("/v1/physicians?", "/v1/physicians.geojson?")).await;
    assert_eq!((typed.content_type.as_str(), &typed.body), ("application/geo+json", &geo));
    let formatted = app.get("/v1/physicians.geojson?zip=99546&format=geojson").await;
    crate::helpers::assert_problem(&formatted, 400, Some("format"));

    assert_eq!(geo["type"], "FeatureCollection");
    assert_eq!(geo["origin"], json["origin"]);
    assert_eq!(geo["next_cursor"], json["next_cursor"]);
    let results = json["results"].as_array().unwrap();
    let features = geo["features"].as_array().unwrap();
    assert_eq!(features.len(), results.len());
    assert!(!features.is_empty(), "Adak's search crosses the antimeridian and finds LEMS specialists");
    for (feature, result) in features.iter().zip(results) {
        let id = result["nearest_location_id"].as_str().unwrap();
        let location =
            result["physician"]["locations"].as_array().unwrap().iter().find(|l| l["id"] == id).unwrap();
        assert_eq!(feature["type"], "Feature");
        assert_eq!(feature["id"], id);
        assert_eq!(feature["geometry"]["type"], "Point");
        assert_eq!(feature["geometry"]["coordinates"], serde_json::json!([location["lng"], location["lat"]]));
        assert_eq!(feature["properties"]["npi"], result["physician"]["npi"]);
        assert_eq!(feature["properties"]["distance"], result["distance"]);
        assert!(feature["properties"]["conditions"].as_array().unwrap().iter().any(|c| c == "lems"));
    }
    let cursor = geo["next_cursor"].as_str().expect("more than one result");
    let next = app.ok(&format!("{base}&cursor={cursor}")).await;
    assert_ne!(npis(next["results"].as_array().unwrap()), npis(results));

    let listed = app.get("/v1/physicians?q=a&limit=3&service=emg&format=geojson").await;
    for feature in listed.body["features"].as_array().unwrap() {
        assert!(feature["properties"]["distance"].is_null());
        assert!(feature["properties"]["services"].as_array().unwrap().iter().any(|s| s == "emg"));
    }
    let bad = app.get(&format!("{base}&format=kml")).await;
    crate::helpers::assert_problem(&bad, 400, Some("format"));
}

both_backends!(
    geojson_pages_are_feature_collections_of_the_same_results,
    neuromuscular_specialists_near_10001_come_in_distance_order,
    paging_with_every_limit_gives_each_physician_exactly_once,
    without_a_location_everyone_is_listed_by_family_then_given_name,
    name_search_ignores_case_and_accents,
    every_filter_holds_on_every_result,
    a_service_filter_decides_the_nearest_location,
    zip_plus_four_po_box_and_territory_zips_are_searchable,
    city_and_state_search_from_the_city_centroid,
    kilometres_and_miles_agree,
);
