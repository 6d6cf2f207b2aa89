//! The FHIR view: `Location?near` against a brute-force oracle in every
//! unit, paging, `PractitionerRole?location.near` against `/v1`, and each
//! refusal as an OperationOutcome with its status.

use geo::{Distance, Geodesic, Point};
use serde_json::Value;

use physician_locator::api::client::TrustedProxies;
use physician_locator::api::public_url::PublicUrl;
use physician_locator::application::Settings;
use physician_locator::directory::Physician;
use physician_locator::domain::text::fold;

use crate::helpers::{Backend, Lcg, TestApp, spawn_app, spawn_app_configured, unlimited};

const UNITS: [(&str, f64); 4] =
    [("km", 1000.0), ("m", 1.0), ("[mi_i]", 1609.344), ("[mi_us]", 5280.0 * 1200.0 / 3937.0)];

/// The path and query of a link (links are absolute).
fn path_of(url: &str) -> &str {
    &url[url.find("/fhir/").expect("a link under /fhir")..]
}

fn link<'b>(bundle: &'b Value, relation: &str) -> Option<&'b str> {
    bundle["link"].as_array()?.iter().find(|l| l["relation"] == relation)?["url"].as_str()
}

/// Every match of a search, following `next` to the end: (id, distance).
async fn crawl(app: &TestApp, uri: &str) -> Vec<(String, Option<f64>, Value)> {
    let mut out = Vec::new();
    let mut next = Some(uri.to_owned());
    while let Some(uri) = next {
        let reply = app.get(&uri).await;
        assert_eq!(reply.status, 200, "{uri}: {:?}", reply.body);
        assert_eq!(reply.content_type, "application/fhir+json; charset=utf-8");
        for entry in reply.body["entry"].as_array().unwrap() {
            if entry["search"]["mode"] != "match" {
                continue;
            }
            let distance = entry["search"]["extension"][0]["valueDistance"].clone();
            out.push((
                entry["resource"]["id"].as_str().unwrap().to_owned(),
                distance["value"].as_f64(),
                distance,
            ));
        }
        next = link(&reply.body, "next").map(|u| path_of(u).to_owned());
    }
    out
}

/// (location id, metres) of every location within `within_m`, nearest
/// first, ties by NPI then ordinal.
fn brute_force(app: &TestApp, lat: f64, lng: f64, within_m: f64) -> Vec<(String, f64)> {
    let origin = Point::new(lng, lat);
    let mut all: Vec<(f64, String, u8, String)> = app
        .physicians
        .iter()
        .flat_map(|p| p.locations.iter().map(move |l| (p, l)))
        .map(|(p, l)| {
            let metres = Geodesic.distance(origin, Point::new(l.point.lng(), l.point.lat()));
            (metres, p.npi.to_string(), l.ordinal, l.id(p.npi))
        })
        .filter(|x| x.0 <= within_m)
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    all.into_iter().map(|(m, _, _, id)| (id, m)).collect()
}

#[actix_web::test]
async fn location_near_equals_the_brute_force_oracle_in_every_unit() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut rng = Lcg(16);
    let locations: Vec<(f64, f64)> =
        app.physicians.iter().flat_map(|p| &p.locations).map(|l| (l.point.lat(), l.point.lng())).collect();
    // Adak and Attu (either side of the antimeridian), a pole, then near practices.
    let mut points = vec![(51.88, -176.66), (52.84, 173.18), (90.0, 0.0)];
    for _ in 0..6 {
        let (lat, lng) = locations[rng.below(locations.len())];
        points.push((
            (lat + rng.unit() - 0.5).clamp(-90.0, 90.0),
            (lng + rng.unit() - 0.5).clamp(-180.0, 180.0),
        ));
    }
    for (i, &(lat, lng)) in points.iter().enumerate() {
        let (unit, metres) = UNITS[i % UNITS.len()];
        let distance = [30.0, 300.0, 2500.0][i % 3] * 1000.0 / metres;
        let uri = format!("/fhir/Location?near={lat}|{lng}|{distance}|{unit}&_count=7");
        let uri = uri.replace('|', "%7C").replace('[', "%5B").replace(']', "%5D");
        let got = crawl(&app, &uri).await;
        let want = brute_force(&app, lat, lng, distance * metres);
        assert_eq!(got.len(), want.len(), "{uri}");
        for ((id, value, distance), (want_id, want_m)) in got.iter().zip(&want) {
            assert_eq!(id, want_id, "order differs for {uri}");
            let want = want_m / metres;
            let value = value.expect("a distance on every match");
            assert!((value - want).abs() <= 1e-9 * want.max(1e-9), "{value} vs {want} for {uri}");
            assert_eq!(distance["code"], unit);
            assert_eq!(distance["system"], "http://unitsofmeasure.org");
        }
    }
    // Without a distance: the nearest _count, however far.
    let bundle = app.get("/fhir/Location?near=51.88%7C-176.66&_count=5").await.body;
    let ids: Vec<&str> =
        bundle["entry"].as_array().unwrap().iter().map(|e| e["resource"]["id"].as_str().unwrap()).collect();
    let want = brute_force(&app, 51.88, -176.66, f64::INFINITY);
    assert_eq!(ids, want[..5].iter().map(|w| w.0.as_str()).collect::<Vec<_>>());
}

#[actix_web::test]
async fn roles_near_adak_page_without_gaps_and_agree_with_v1() {
    let app = spawn_app(Backend::Sqlite).await;
    let uri = "/fhir/PractitionerRole?location.near=51.88%7C-176.66%7C1000%7C%5Bmi_i%5D\
               &specialty=http://nucc.org/provider-taxonomy%7C2084N0008X\
               &_include=PractitionerRole:practitioner&_count=3&_total=accurate";
    let first = app.get(uri).await.body;
    let got = crawl(&app, uri).await;
    assert!(!got.is_empty());
    assert_eq!(first["total"].as_u64(), Some(got.len() as u64));
    let mut ids: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), got.len(), "a role twice");
    assert!(got.windows(2).all(|w| w[0].1 <= w[1].1), "distances decrease");
    assert!(
        first["entry"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["search"]["mode"] == "include" && e["resource"]["resourceType"] == "Practitioner")
    );
    // Each physician's nearest role is at the distance /v1 reports for it.
    let v1 = app.ok("/v1/physicians?lat=51.88&lng=-176.66&radius=1000&specialty=2084N0008X&limit=100").await;
    let results = v1["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        let id = result["nearest_location_id"].as_str().unwrap();
        let want = result["distance"].as_f64().unwrap();
        let role = got.iter().find(|g| g.0 == id).unwrap_or_else(|| panic!("no role {id}"));
        let value = role.1.unwrap();
        assert!((value - want).abs() <= 1e-9 * want, "{id}: {value} vs {want}");
    }
}

#[actix_web::test]
async fn refusals_are_operation_outcomes() {
    let app = spawn_app(Backend::Sqlite).await;
    let cases: [(&str, u16, &str); 23] = [
        ("/fhir/Location?color=blue", 400, "color"),
        ("/fhir/Location?_sort=near", 400, "_sort"),
        ("/fhir/Location?near=91%7C0", 400, "near"),
        ("/fhir/Location?near=40%7C-200", 400, "near"),
        ("/fhir/Location?near=40%7C-74%7C-5", 400, "near"),
        ("/fhir/Location?near=40%7C-74%7C5%7Cfurlong", 400, "near"),
        ("/fhir/Location?near=40%7C-74&near=41%7C-74", 400, "near"),
        ("/fhir/Location?_count=many", 400, "_count"),
        ("/fhir/Location?_total=maybe", 400, "_total"),
        ("/fhir/Location?cursor=AAAA", 400, "cursor"),
        ("/fhir/PractitionerRole?_include=PractitionerRole:endpoint", 400, "_include"),
        ("/fhir/PractitionerRole?_lastUpdated=yesterday", 400, "_lastUpdated"),
        // A conditions system saved from 1.x, under the serving host.
        (
            "/fhir/PractitionerRole?condition=http://127.0.0.1:8080/fhir/CodeSystem/conditions%7Clems",
            400,
            "condition",
        ),
        ("/fhir/PractitionerRole?practitioner=Location/1", 400, "practitioner"),
        ("/fhir/Practitioner?name:contains=ada", 400, "name:contains"),
        // Finding 2 of the second outside review: values are bounded.
        (&format!("/fhir/Location?address-city={}", vec!["z"; 101].join(",")), 400, "address-city"),
        (&format!("/fhir/Practitioner?name={}", "z".repeat(101)), 400, "name"),
        (&format!("/fhir/Practitioner?{}", vec!["family=z"; 101].join("&")), 400, "family"),
        (
            &format!("/fhir/PractitionerRole?_id={}&practitioner=1", vec!["1-1"; 100].join(",")),
            400,
            "practitioner",
        ),
        ("/fhir/Patient", 404, ""),
        ("/fhir/Practitioner/1234567890", 404, ""),
        ("/fhir/Location/2547347346-9", 404, ""),
        ("/fhir/nowhere/at/all", 404, ""),
    ];
    for (uri, status, parameter) in cases {
        let reply = app.get(uri).await;
        assert_eq!(reply.status, status, "{uri}: {:?}", reply.body);
        assert_eq!(reply.body["resourceType"], "OperationOutcome", "{uri}");
        if !parameter.is_empty() {
            assert_eq!(reply.body["issue"][0]["expression"][0], parameter, "{uri}");
        }
    }
    // At the bounds, accepted: 100 values, 100 characters (accents are one each).
    let at_bounds = [
        format!("/fhir/Location?address-city={}&_count=100&_total=accurate", vec!["z"; 100].join(",")),
        format!("/fhir/Practitioner?name={}", urlencode(&"é".repeat(100))),
        format!("/fhir/Practitioner?{}", vec!["family=z"; 100].join("&")),
    ];
    for uri in at_bounds {
        let reply = app.get(&uri).await;
        assert_eq!(reply.status, 200, "{uri}: {:?}", reply.body);
    }
    let post = app.request(actix_web::test::TestRequest::post().uri("/fhir/Location")).await;
    assert_eq!((post.status, post.body["resourceType"].as_str()), (405, Some("OperationOutcome")));

    // Lenient: the unknown parameter is ignored and left out of `self`.
    let lenient = actix_web::test::TestRequest::get()
        .uri("/fhir/Location?color=blue&address-state=AK")
        .insert_header(("Prefer", "handling=lenient"));
    let reply = app.request(lenient).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert!(path_of(link(&reply.body, "self").unwrap()).ends_with("/fhir/Location?address-state=AK"));
}

#[actix_web::test]
async fn a_practitioners_degree_is_valid_where_they_hold_a_license() {
    let app = spawn_app(Backend::Sqlite).await;
    let physician =
        app.physicians.iter().find(|p| p.licensed_states.len() > 1).expect("a multi-state license");
    let reply = app.get(&format!("/fhir/Practitioner/{}", physician.npi)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let practitioner = reply.body;
    let extension = &practitioner["qualification"][0]["extension"][0];
    assert_eq!(
        extension["url"],
        "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/practitioner-qualification"
    );
    let parts = extension["extension"].as_array().unwrap();
    assert_eq!(parts[0], serde_json::json!({ "url": "status", "valueCode": "active" }));
    let states: Vec<&str> = parts[1..]
        .iter()
        .map(|p| {
            assert_eq!(p["url"], "whereValid");
            assert_eq!(p["valueCodeableConcept"]["coding"][0]["system"], "https://www.usps.com/");
            p["valueCodeableConcept"]["coding"][0]["code"].as_str().unwrap()
        })
        .collect();
    let want: Vec<&str> = physician.licensed_states.iter().map(|s| s.code()).collect();
    assert_eq!(states, want);
}

/// String parameters against an oracle that folds the stored text itself:
/// names and cities match by folded prefix (case and accents aside), codes
/// ignoring case, `:exact` as stored; a comma list is any of its values.
/// The server compares with the keys its snapshot folded once.
#[actix_web::test]
async fn string_parameters_equal_a_folding_oracle() {
    let app = spawn_app(Backend::Sqlite).await;
    let accented: Vec<&str> =
        app.physicians.iter().map(|p| &*p.family_name).filter(|name| !name.is_ascii()).take(3).collect();
    assert!(!accented.is_empty(), "the seed has accented names");
    let first_chars = |text: &str, n: usize| text.chars().take(n).collect::<String>();
    let mut names: Vec<String> = accented.iter().map(|n| first_chars(n, 3).to_uppercase()).collect();
    names.push(first_chars(&fold(accented[0]), 2));
    names.push(format!("{},{}", first_chars(accented[1], 2), first_chars(&app.physicians[0].given_name, 2)));
    for value in &names {
        let wanted: Vec<String> = value.split(',').map(fold).collect();
        for parameter in ["name", "family", "given"] {
            let texts = |p: &Physician| match parameter {
                "name" => vec![p.given_name.clone(), p.family_name.clone()],
                "family" => vec![p.family_name.clone()],
                _ => vec![p.given_name.clone()],
            };
            let mut expected: Vec<String> = app
                .physicians
                .iter()
                .filter(|p| texts(p).iter().any(|t| wanted.iter().any(|w| fold(t).starts_with(w.as_str()))))
                .map(|p| p.npi.to_string())
                .collect();
            expected.sort();
            let uri = format!("/fhir/Practitioner?{parameter}={}&_count=100", urlencode(value));
            let found: Vec<String> = crawl(&app, &uri).await.into_iter().map(|(id, _, _)| id).collect();
            assert_eq!(found, expected, "{uri}");
        }
    }

    let city = &app.physicians[5].locations[0].city;
    let state = app.physicians[5].locations[0].state.code();
    let zip = app.physicians[5].locations[0].zip.as_str();
    let cases: Vec<(&str, String)> = vec![
        ("address-city", first_chars(city, 3).to_lowercase()),
        ("address-city", first_chars(city, 4).to_uppercase()),
        ("address-city:exact", city.to_string()),
        ("address-city:exact", city.to_uppercase()),
        ("address-state", state.to_lowercase()),
        ("address-postalcode", first_chars(zip, 3)),
        (
            "address-city",
            format!("{},{}", first_chars(city, 2), first_chars(&app.physicians[9].locations[0].city, 2)),
        ),
    ];
    for (parameter, value) in cases {
        let exact = parameter.ends_with(":exact");
        let mut expected: Vec<String> = app
            .physicians
            .iter()
            .flat_map(|p| p.locations.iter().map(move |l| (p, l)))
            .filter(|(_, l)| {
                let text = match parameter.trim_end_matches(":exact") {
                    "address-city" => l.city.to_string(),
                    "address-state" => l.state.code().to_owned(),
                    _ => l.zip.as_str().to_owned(),
                };
                value.split(',').any(|v| if exact { text == v } else { fold(&text).starts_with(&fold(v)) })
            })
            .map(|(p, l)| l.id(p.npi))
            .collect();
        expected.sort();
        let uri = format!("/fhir/Location?{parameter}={}&_count=100", urlencode(&value));
        let mut found: Vec<String> = crawl(&app, &uri).await.into_iter().map(|(id, _, _)| id).collect();
        found.sort();
        assert!(!expected.is_empty() || parameter.ends_with(":exact"), "{uri}: the oracle finds something");
        assert_eq!(found, expected, "{uri}");
    }
}

fn urlencode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Every absolute URL of a FHIR answer: links, `fullUrl`s,
/// `implementation.url`.
fn absolute_urls(body: &Value) -> Vec<String> {
    let mut urls: Vec<String> =
        body["link"].as_array().into_iter().flatten().map(|l| l["url"].to_string()).collect();
    urls.extend(body["entry"].as_array().into_iter().flatten().map(|e| e["fullUrl"].to_string()));
    urls.extend(body["implementation"]["url"].as_str().map(str::to_owned));
    urls.iter().map(|u| u.trim_matches('"').to_owned()).collect()
}

/// Headers a client sends to put its own host and scheme into our links.
const HOSTILE: [(&str, &str); 4] = [
    ("Host", "evil.example:1@attacker.example"),
    ("Forwarded", "host=\"evil.example\";proto=javascript"),
    ("X-Forwarded-Host", "evil.example"),
    ("X-Forwarded-Proto", "javascript"),
];

async fn urls_of(app: &TestApp, peer: [u8; 4], headers: &[(&str, &str)]) -> Vec<String> {
    let mut urls = Vec::new();
    for uri in
        ["/fhir/metadata", "/fhir/Practitioner?_count=1", "/fhir/PractitionerRole?_count=2&condition=lems"]
    {
        let mut request =
            actix_web::test::TestRequest::get().uri(uri).peer_addr(std::net::SocketAddr::from((peer, 4000)));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let reply = app.request(request).await;
        assert_eq!(reply.status, 200, "{uri}: {:?}", reply.body);
        urls.extend(absolute_urls(&reply.body));
    }
    assert!(urls.len() >= 6, "{urls:?}");
    urls
}

#[actix_web::test]
async fn fhir_urls_follow_the_public_url_never_the_requests_headers() {
    let all_under = |urls: Vec<String>, base: &str| {
        assert!(urls.iter().all(|u| u.starts_with(&format!("{base}/")) || *u == base), "{base}: {urls:?}");
    };
    // Without --public-url: the bind address, whatever the client says.
    let app = spawn_app(Backend::Sqlite).await;
    all_under(urls_of(&app, [203, 0, 113, 9], &HOSTILE).await, "http://127.0.0.1:8080/fhir");

    // Configured: the public URL, even over a trusted proxy's word.
    let configured = spawn_app_configured(Backend::Sqlite, "", |settings| Settings {
        public_url: Some(PublicUrl::parse("https://Directory.Example.org:443/locator/").unwrap()),
        access: unlimited().with_trusted_proxies(TrustedProxies::parse("10.0.0.0/8").unwrap()),
        ..settings
    })
    .await;
    let proxy = [("Forwarded", "for=203.0.113.9;host=evil.example;proto=https")];
    all_under(
        urls_of(&configured, [10, 0, 0, 1], &proxy).await,
        "https://directory.example.org/locator/fhir",
    );
    all_under(
        urls_of(&configured, [203, 0, 113, 9], &HOSTILE).await,
        "https://directory.example.org/locator/fhir",
    );

    // Not configured: a trusted proxy's host and scheme, when valid; the
    // same headers from anyone else, or invalid, change nothing.
    let proxied = spawn_app_configured(Backend::Sqlite, "", |settings| Settings {
        access: unlimited().with_trusted_proxies(TrustedProxies::parse("10.0.0.0/8").unwrap()),
        ..settings
    })
    .await;
    let forwarded = [("Forwarded", "for=203.0.113.9;host=\"Directory.Example.org\";proto=https")];
    all_under(urls_of(&proxied, [10, 0, 0, 1], &forwarded).await, "https://directory.example.org/fhir");
    let x_forwarded = [("X-Forwarded-Host", "directory.example.org:8443"), ("X-Forwarded-Proto", "https")];
    all_under(
        urls_of(&proxied, [10, 0, 0, 1], &x_forwarded).await,
        "https://directory.example.org:8443/fhir",
    );
    all_under(urls_of(&proxied, [203, 0, 113, 9], &forwarded).await, "http://127.0.0.1:8080/fhir");
    for bad in [
        "host=\"evil.example\";proto=javascript",
        "host=\"evil.example:1@attacker.example\"",
        "host=directory.example.org, host=\"unclosed",
    ] {
        all_under(
            urls_of(&proxied, [10, 0, 0, 1], &[("Forwarded", bad)]).await,
            "http://127.0.0.1:8080/fhir",
        );
    }
}

/// `total` of a search that must succeed, sent with `headers`.
async fn total(app: &TestApp, uri: &str, headers: &[(&str, &str)]) -> u64 {
    let mut request = actix_web::test::TestRequest::get().uri(uri);
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    let reply = app.request(request).await;
    assert_eq!(reply.status, 200, "{uri}: {:?}", reply.body);
    reply.body["total"].as_u64().unwrap()
}

#[actix_web::test]
async fn our_code_systems_have_one_canonical_url_whatever_the_host() {
    let app = spawn_app(Backend::Sqlite).await;
    let canonical = "https://physician-locator.example/fhir/CodeSystem/conditions";
    let by_code = total(&app, "/fhir/PractitionerRole?condition=lems&_total=accurate", &[]).await;
    assert!(by_code > 0);
    for headers in [&[][..], &HOSTILE[..], &[("Host", "localhost:8301")][..]] {
        let uri = format!("/fhir/PractitionerRole?condition={canonical}%7Clems&_total=accurate");
        assert_eq!(total(&app, &uri, headers).await, by_code, "{headers:?}");
        let mut request = actix_web::test::TestRequest::get().uri("/fhir/CodeSystem/conditions");
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        assert_eq!(app.request(request).await.body["url"], canonical, "{headers:?}");
    }
    // The codings name the same system, and the extension a fixed URL.
    let roles = app.get("/fhir/PractitionerRole?condition=lems&_count=1").await.body;
    let extension = roles["entry"][0]["resource"]["extension"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        extension["url"],
        "https://physician-locator.example/fhir/StructureDefinition/condition-expertise"
    );
    assert_eq!(extension["valueCodeableConcept"]["coding"][0]["system"], canonical);
    // Another system matches nothing, as FHIR says; but one under the address
    // the server happened to be reached at is what 1.x wrote, and a client
    // that saved it is told the canonical instead of finding no one.
    let other = "/fhir/PractitionerRole?condition=http://snomed.info/sct%7C193178008&_total=accurate";
    assert_eq!(total(&app, other, &[]).await, 0);
    for system in [
        "http://localhost:8301/fhir/CodeSystem/conditions",
        "http://127.0.0.1:8080/fhir/CodeSystem/conditions",
    ] {
        let reply = app.get(&format!("/fhir/PractitionerRole?condition={system}%7Clems")).await;
        assert_eq!(reply.status, 400, "{system}: {:?}", reply.body);
        assert_eq!(reply.body["issue"][0]["expression"][0], "condition");
        assert!(
            reply.body["issue"][0]["diagnostics"].as_str().unwrap().contains(canonical),
            "{:?}",
            reply.body
        );
    }
    let parameter = app.get("/fhir/SearchParameter/practitionerrole-condition").await.body;
    assert_eq!(
        parameter["url"],
        "https://physician-locator.example/fhir/SearchParameter/practitionerrole-condition"
    );
    let metadata = app.get("/fhir/metadata").await.body;
    assert!(metadata.to_string().contains(&format!("\"definition\":{}", parameter["url"])));
}
