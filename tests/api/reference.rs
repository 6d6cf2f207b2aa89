//! Vocabularies with counts, the geocoder, probes and the OpenAPI document.

use sha2::{Digest, Sha256};

use crate::helpers::spawn_app;
use crate::helpers::{Backend, both_backends};

async fn vocabulary_counts_match_the_directory(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = app.ok("/v1/specialties").await;
    let specialties = body["specialties"].as_array().unwrap();
    assert_eq!(specialties.len(), 12);
    for s in specialties {
        let slug = s["slug"].as_str().unwrap();
        let expected =
            app.physicians.iter().filter(|p| p.specialties.iter().any(|x| x.slug() == slug)).count();
        assert_eq!(s["physicians"], expected, "{slug}");
        assert!(s["code"].as_str().unwrap().ends_with('X'));
    }
    let body = app.ok("/v1/conditions").await;
    let lems = body["items"].as_array().unwrap().iter().find(|c| c["slug"] == "lems").unwrap();
    let expected = app.physicians.iter().filter(|p| p.conditions.iter().any(|c| c.slug() == "lems")).count();
    assert_eq!(lems["physicians"], expected);
    assert!(expected * 20 < app.physicians.len() * 4, "LEMS is a minority: {expected}");
    let body = app.ok("/v1/services").await;
    let emg = body["items"].as_array().unwrap().iter().find(|c| c["slug"] == "emg").unwrap();
    let expected = app
        .physicians
        .iter()
        .filter(|p| p.locations.iter().any(|l| l.services.iter().any(|s| s.slug() == "emg")))
        .count();
    assert_eq!(emg["physicians"], expected);
}

async fn geocode_gives_the_point_a_search_uses(backend: Backend) {
    let app = spawn_app(backend).await;
    let g = app.ok("/v1/geocode?zip=99546").await;
    assert_eq!(g["label"], "Adak, AK 99546");
    let search = app.ok("/v1/physicians?zip=99546").await;
    assert_eq!(search["origin"], g);
    let city = app.ok("/v1/geocode?city=Hag%C3%A5t%C3%B1a&state=GU").await;
    assert_eq!(city["source"], "city");
    let city = app.ok("/v1/geocode?city=hagatna&state=gu").await;
    assert!((city["lat"].as_f64().unwrap() - 13.47).abs() < 0.1);
}

async fn probes_report_the_snapshot(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.ok("/healthz").await["status"], "ok");
    let ready = app.ok("/readyz").await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["version"], 1);
    assert_eq!(ready["physicians"], app.physicians.len());
    let locations: usize = app.physicians.iter().map(|p| p.locations.len()).sum();
    assert_eq!(ready["locations"], locations);
    assert!(ready["age_seconds"].as_f64().unwrap() >= 0.0);
}

async fn the_served_openapi_document_is_the_committed_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let served = app.ok("/openapi.json").await;
    let committed: serde_json::Value =
        serde_json::from_str(include_str!("../../openapi/openapi.json")).expect("committed spec is JSON");
    assert!(
        served == committed,
        "openapi/openapi.json is stale: run `cargo run -- openapi --out openapi/openapi.json`"
    );
    assert_eq!(served["openapi"], "3.1.0");
    let paths = served["paths"].as_object().unwrap();
    for path in [
        "/v1/physicians",
        "/v1/physicians/{npi}",
        "/v1/specialties",
        "/v1/conditions",
        "/v1/services",
        "/v1/geocode",
        "/healthz",
        "/readyz",
    ] {
        assert!(paths.contains_key(path), "{path} missing from the spec");
    }
    // Every parameter carries a description and an example or schema.
    for (path, item) in paths {
        for parameter in item["get"]["parameters"].as_array().into_iter().flatten() {
            assert!(parameter["description"].is_string(), "{path} {}", parameter["name"]);
        }
    }
}

/// The recorded versions of the contract: `version fingerprint` lines.
const VERSIONS: &str = include_str!("../../openapi/versions.txt");

/// The fingerprint of what clients are generated from: the paths and the
/// components (first 16 hex digits of the SHA-256 of their JSON).
fn fingerprint(document: &serde_json::Value) -> String {
    let contract = serde_json::json!({"paths": document["paths"], "components": document["components"]});
    let digest = Sha256::digest(contract.to_string());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// `info.version` moves whenever the paths or components do, so that a
/// client generated from one version can trust that the same version means
/// the same contract.
async fn the_version_moves_with_the_contract(backend: Backend) {
    let app = spawn_app(backend).await;
    let served = app.ok("/openapi.json").await;
    let version = served["info"]["version"].as_str().expect("info.version");
    let fingerprint = fingerprint(&served);
    let recorded: Vec<(&str, &str)> = VERSIONS
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| line.split_once(' ').expect("`version fingerprint`"))
        .collect();
    let &(last_version, last_fingerprint) = recorded.last().expect("a recorded version");
    assert!(
        fingerprint == last_fingerprint || version != last_version,
        "the OpenAPI paths or components changed, but info.version is still {version}: raise it in \
         src/api/mod.rs (semver: major if a client of {version} can break, such as a path, parameter, \
         field or value removed or renamed, or a parameter made required; minor for an addition; patch \
         for wording), append `NEW_VERSION {fingerprint}` to openapi/versions.txt, and regenerate \
         openapi/openapi.json"
    );
    assert!(
        (version, fingerprint.as_str()) == (last_version, last_fingerprint),
        "info.version is {version}: append `{version} {fingerprint}` to openapi/versions.txt"
    );
    let semver = version.split('.').map(str::parse::<u32>).collect::<Result<Vec<_>, _>>();
    assert!(semver.is_ok_and(|parts| parts.len() == 3), "{version} is not MAJOR.MINOR.PATCH");
    let versions: Vec<&str> = recorded.iter().map(|(v, _)| *v).collect();
    assert!(
        versions.iter().filter(|v| **v == version).count() == 1,
        "{version} is recorded twice: {versions:?}"
    );
}

/// What Swagger UI's "Try it out" sends for an operation: each parameter's
/// example (a list's items repeated), path parameters in place.
fn example_request(path: &str, operation: &serde_json::Value) -> String {
    let mut uri = path.to_owned();
    let mut query = form_urlencoded::Serializer::new(String::new());
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        let name = parameter["name"].as_str().unwrap();
        let text = |v: &serde_json::Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        match (&parameter["example"], parameter["in"].as_str()) {
            (serde_json::Value::Null, _) => {}
            (example, Some("path")) => uri = uri.replace(&format!("{{{name}}}"), &text(example)),
            (serde_json::Value::Array(items), _) => {
                for item in items {
                    query.append_pair(name, &text(item));
                }
            }
            (example, _) => {
                query.append_pair(name, &text(example));
            }
        }
    }
    let query = query.finish();
    if query.is_empty() { uri } else { format!("{uri}?{query}") }
}

/// Every read operation's examples, sent together as Swagger UI's "Try it
/// out" sends them, are answered 200 from the seeded directory, and the
/// searches find someone.
async fn every_read_answers_its_examples(backend: Backend) {
    let app = spawn_app(backend).await;
    let served = app.ok("/openapi.json").await;
    for (path, item) in served["paths"].as_object().unwrap() {
        let Some(operation) = item.get("get") else { continue };
        let uri = example_request(path, operation);
        let reply = app.get(&uri).await;
        assert_eq!(reply.status, 200, "{uri}: {:?}", reply.body);
        let found = reply.body.get("results").or(reply.body.get("features"));
        assert!(found.is_none_or(|f| !f.as_array().unwrap().is_empty()), "{uri} finds no one");
    }
}

/// The admin operations' examples work too: the replacement's body is a
/// physician of the seed, the deletion's path the same physician.
async fn the_admin_examples_replace_then_delete(backend: Backend) {
    let app = spawn_app(backend).await;
    let served = app.ok("/openapi.json").await;
    let path = "/v1/admin/physicians/{npi}";
    let bearer = ("Authorization", format!("Bearer {}", crate::helpers::ADMIN_TOKEN));
    let put = &served["paths"][path]["put"];
    let body = &put["requestBody"]["content"]["application/json"]["example"];
    let put = actix_web::test::TestRequest::put()
        .uri(&example_request(path, put))
        .insert_header(bearer.clone())
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body.to_string());
    let reply = app.request(put).await;
    assert_eq!((reply.status, &reply.body["npi"]), (200, &body["npi"]), "{:?}", reply.body);
    let delete = example_request(path, &served["paths"][path]["delete"]);
    let reply = app.request(actix_web::test::TestRequest::delete().uri(&delete).insert_header(bearer)).await;
    assert_eq!(reply.status, 204);
}

async fn swagger_ui_is_served_from_the_binary(backend: Backend) {
    let app = spawn_app(backend).await;
    let reply = app.get("/docs/").await;
    assert_eq!(reply.status, 200);
    assert!(reply.content_type.starts_with("text/html"));
    let reply = app.get("/docs/swagger-ui.css").await;
    assert_eq!(reply.status, 200);
    assert_eq!(app.get("/docs").await.status, 308, "/docs redirects to /docs/");
}

async fn detail_returns_every_location(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = app.physicians.iter().find(|p| p.locations.len() == 3).expect("someone with three locations");
    let body = app.ok(&format!("/v1/physicians/{}", p.npi)).await;
    assert_eq!(body["npi"], p.npi.to_string());
    assert_eq!(body["locations"].as_array().unwrap().len(), 3);
    assert_eq!(body["locations"][2]["id"], format!("{}-3", p.npi));
    let phone = body["locations"][0]["phone"].as_str().unwrap();
    assert!(phone.ends_with(&phone[phone.len() - 4..]) && phone[4..].starts_with("555-01"), "{phone}");
}

async fn the_directory_says_when_it_is_fictional(backend: Backend) {
    let app = spawn_app(backend).await;
    let about = app.ok("/v1/directory").await;
    assert_eq!(about["fictional"], true, "the seed: {about}");
    assert!(about["notice"].as_str().unwrap().contains("fictional"));
    assert_eq!(about["physicians"], app.physicians.len());
    // One physician at a real-looking number: no longer all fiction.
    let npi = app.physicians[0].npi;
    let mut body = app.ok(&format!("/v1/physicians/{npi}")).await;
    body["locations"][0]["phone"] = serde_json::json!("907-592-0174");
    let put = actix_web::test::TestRequest::put()
        .uri(&format!("/v1/admin/physicians/{npi}"))
        .insert_header(("Authorization", format!("Bearer {}", crate::helpers::ADMIN_TOKEN)))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body.to_string());
    assert_eq!(app.request(put).await.status, 200);
    let about = app.ok("/v1/directory").await;
    assert_eq!(about["fictional"], false, "{about}");
    assert!(!about["notice"].as_str().unwrap().contains("fictional"));
}

both_backends!(
    the_directory_says_when_it_is_fictional,
    vocabulary_counts_match_the_directory,
    geocode_gives_the_point_a_search_uses,
    probes_report_the_snapshot,
    the_served_openapi_document_is_the_committed_one,
    the_version_moves_with_the_contract,
    every_read_answers_its_examples,
    the_admin_examples_replace_then_delete,
    swagger_ui_is_served_from_the_binary,
    detail_returns_every_location,
);
