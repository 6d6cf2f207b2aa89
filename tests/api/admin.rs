//! The admin API: tokens, replace, delete, imports over HTTP, audit, versions.

use actix_web::http::Method;
use actix_web::http::header::HeaderValue;
use actix_web::test::TestRequest;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_TOKEN, Backend, Reply, TestApp, assert_problem, both_backends, spawn_app, spawn_app_configured,
    spawn_app_with, unlimited,
};
use physician_locator::api::client::TrustedProxies;
use physician_locator::application::Settings;
use physician_locator::db::schema::audit_log;

pub(crate) fn authorised(method: Method, uri: &str, body: impl Into<Vec<u8>>) -> TestRequest {
    TestRequest::default()
        .method(method)
        .uri(uri)
        .insert_header(("Authorization", format!("Bearer {ADMIN_TOKEN}")))
        .set_payload(body.into())
}

pub(crate) async fn put(app: &TestApp, npi: &str, body: &Value) -> Reply {
    let uri = format!("/v1/admin/physicians/{npi}");
    app.request(
        authorised(Method::PUT, &uri, body.to_string()).insert_header(("Content-Type", "application/json")),
    )
    .await
}

fn audit_rows(app: &TestApp) -> Vec<(String, String, Option<String>)> {
    let mut conn = app.db.connect().unwrap();
    audit_log::table
        .order(audit_log::id)
        .select((audit_log::actor, audit_log::action, audit_log::npi))
        .load(&mut *conn)
        .unwrap()
}

async fn tokens_are_required_and_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let npi = app.physicians[0].npi.to_string();
    let uri = format!("/v1/admin/physicians/{npi}");
    for header in [None, Some("Bearer wrong-token-0123456789"), Some("Basic dGVzdDp0ZXN0"), Some("Bearer ")] {
        let mut request = TestRequest::delete().uri(&uri);
        if let Some(h) = header {
            request = request.insert_header(("Authorization", h));
        }
        let reply = app.request(request).await;
        assert_problem(&reply, 401, None);
    }
    assert_eq!(app.get(&uri.replace("/admin", "")).await.status, 200, "nothing was deleted");

    // The scheme's name is case-insensitive.
    let reply = app
        .request(
            authorised(Method::DELETE, &uri, "")
                .insert_header(("Authorization", format!("bearer {ADMIN_TOKEN}"))),
        )
        .await;
    assert_eq!(reply.status, 204, "{:?}", reply.body);

    // With the admin API off, every admin request is a 404, whatever its method.
    let off = spawn_app_with(backend, "").await;
    for method in [Method::DELETE, Method::PATCH, Method::GET] {
        let reply = off.request(authorised(method.clone(), &uri, "")).await;
        assert_problem(&reply, 404, None);
    }
}

async fn repeated_failed_authentications_lock_the_network_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let uri = format!("/v1/admin/physicians/{}", app.physicians[0].npi);
    let from = |last: u8| std::net::SocketAddr::from(([192, 0, 2, last], 40000));
    let guess = |last: u8| {
        TestRequest::delete()
            .uri(&uri)
            .peer_addr(from(last))
            .insert_header(("Authorization", "Bearer guess-0123456789abc"))
    };
    for _ in 0..10 {
        assert_problem(&app.request(guess(1)).await, 401, None);
    }
    let locked = app.request(guess(1)).await;
    assert_problem(&locked, 429, None);
    assert_eq!(locked.header("retry-after"), Some("60"));
    // Locked out, even the right token is not compared.
    let right = app.request(authorised(Method::DELETE, &uri, "").peer_addr(from(1))).await;
    assert_problem(&right, 429, None);
    assert_eq!(app.get(&uri.replace("/admin", "")).await.status, 200, "nothing was deleted");
    // Another network is not locked out, and the right token works there.
    assert_problem(&app.request(guess(2)).await, 401, None);
    assert_eq!(app.request(authorised(Method::DELETE, &uri, "").peer_addr(from(2))).await.status, 204);
}

async fn a_byte_a_client_forwards_never_locks_out_its_proxy(backend: Backend) {
    let app = spawn_app_configured(backend, &format!("tests:{ADMIN_TOKEN}"), |settings| Settings {
        access: unlimited().with_trusted_proxies(TrustedProxies::parse("10.0.0.0/8").unwrap()),
        ..settings
    })
    .await;
    let uri = format!("/v1/admin/physicians/{}", app.physicians[0].npi);
    let proxy = std::net::SocketAddr::from(([10, 0, 0, 1], 40000));
    // The client wrote two bytes that are no text; the proxy appended the
    // client's address after them.
    let forwarded = HeaderValue::from_bytes(b"\x80\x81, 198.51.100.77").unwrap();
    for attempt in 1..=11 {
        let guess = TestRequest::delete()
            .uri(&uri)
            .peer_addr(proxy)
            .insert_header(("X-Forwarded-For", forwarded.clone()))
            .insert_header(("Authorization", "Bearer guess-0123456789abc"));
        assert_problem(&app.request(guess).await, if attempt <= 10 { 401 } else { 429 }, None);
    }
    // The client is locked out; the proxy's own address is not.
    let right = app.request(authorised(Method::DELETE, &uri, "").peer_addr(proxy)).await;
    assert_eq!(right.status, 204, "{:?}", right.body);
}

async fn a_physician_round_trips_through_put(backend: Backend) {
    let app = spawn_app(backend).await;
    let npi = app.physicians[0].npi.to_string();
    let mut body = app.ok(&format!("/v1/physicians/{npi}")).await;
    let version = app.ok("/readyz").await["version"].as_i64().unwrap();

    // The GET body as it is: accepted, nothing changes.
    let reply = put(&app, &npi, &body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body, body);
    assert_eq!(app.ok("/readyz").await["version"], version);

    // A change is stored, audited, versioned and searchable at once.
    let accepting = body["accepting_new_patients"].as_bool().unwrap();
    body["accepting_new_patients"] = json!(!accepting);
    body["family_name"] = json!("Zzyzx-Núñez");
    let display = format!(
        "{} Zzyzx-Núñez, {}",
        body["given_name"].as_str().unwrap(),
        body["credentials"].as_str().unwrap()
    );
    body["display_name"] = json!(display);
    let reply = put(&app, &npi, &body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(app.ok(&format!("/v1/physicians/{npi}")).await, body);
    assert_eq!(app.ok("/readyz").await["version"], version + 1);
    let found = app.ok("/v1/physicians?q=zzyzx").await;
    assert_eq!(found["results"].as_array().unwrap().len(), 1);
    assert_eq!(audit_rows(&app).last().unwrap(), &("tests".into(), "replace".into(), Some(npi.clone())));
    let (_, stored) = app.db.load().unwrap();
    assert_eq!(stored.iter().find(|p| p.npi.to_string() == npi).unwrap().family_name, "Zzyzx-Núñez");
}

/// Answers reuse each physician's JSON (a cache keyed by the snapshot's
/// record): a change must show at once in both the detail and a search that
/// showed the physician before.
async fn a_changed_physician_is_never_served_stale(backend: Backend) {
    let app = spawn_app(backend).await;
    let npi = app.physicians[5].npi.to_string();
    let detail = format!("/v1/physicians/{npi}");
    let mut body = app.ok(&detail).await;
    let (lat, lng) = (&body["locations"][0]["lat"], &body["locations"][0]["lng"]);
    let search = format!("/v1/physicians?lat={lat}&lng={lng}&radius=1&limit=100");
    let shown = |page: &Value| {
        page["results"].as_array().unwrap().iter().find(|r| r["physician"]["npi"] == npi.as_str()).cloned()
    };
    for _ in 0..2 {
        assert_eq!(app.ok(&detail).await, body);
        assert_eq!(shown(&app.ok(&search).await).unwrap()["physician"], body);
    }

    body["locations"][0]["practice_name"] = json!("Renamed \"Quoted\" Clinic");
    body["telehealth"] = json!(!body["telehealth"].as_bool().unwrap());
    let reply = put(&app, &npi, &body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(app.ok(&detail).await, body);
    assert_eq!(shown(&app.ok(&search).await).unwrap()["physician"], body);

    let metrics = app.metrics().await;
    assert!(!metrics.contains("physician_json"), "what is kept would tell who was searched for: {metrics}");
}

async fn create_then_delete(backend: Backend) {
    let app = spawn_app(backend).await;
    let npi = "1234567893";
    let body = json!({
        "npi": npi, "given_name": "Ada", "family_name": "Example", "credentials": "MD", "gender": "female",
        "specialties": ["neurology", {"slug": "neuromuscular-medicine", "primary": true}],
        "conditions": ["lems"], "languages": ["en", "es"],
        "accepting_new_patients": true, "telehealth": true, "last_updated": "2026-11-01",
        "locations": [{
            "practice_name": "Example Clinic", "phone": "907-555-0101",
            "address": {"street": "1 Example Way", "city": "Adak", "state": "AK", "zip": "99546"},
            "services": ["emg"]
        }]
    });
    let reply = put(&app, npi, &body).await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    let stored = app.ok(&format!("/v1/physicians/{npi}")).await;
    assert_eq!(stored["specialties"][0]["slug"], "neuromuscular-medicine", "the primary comes first");
    let location = &stored["locations"][0];
    assert_eq!(location["geocode_precision"], "zip", "no coordinates: the ZIP centroid, labelled");
    assert_eq!(location["lat"], 51.8549);
    let near = app.ok("/v1/physicians?zip=99546&condition=lems&radius=5").await;
    assert!(near["results"].as_array().unwrap().iter().any(|r| r["physician"]["npi"] == npi));

    let uri = format!("/v1/admin/physicians/{npi}");
    assert_eq!(app.request(authorised(Method::DELETE, &uri, "")).await.status, 204);
    assert_problem(&app.get(&format!("/v1/physicians/{npi}")).await, 404, None);
    assert_problem(&app.request(authorised(Method::DELETE, &uri, "")).await, 404, None);
    let actions: Vec<String> = audit_rows(&app).into_iter().map(|r| r.1).collect();
    assert_eq!(&actions[actions.len() - 2..], ["create", "delete"]);
}

async fn bad_bodies_are_400_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let npi = app.physicians[0].npi.to_string();
    let good = app.ok(&format!("/v1/physicians/{npi}")).await;
    let spoil = |f: fn(&mut Value)| {
        let mut body = good.clone();
        f(&mut body);
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (spoil(|b| b["npi"] = json!("1234567893")), "body.npi"),
        (spoil(|b| b["credentials"] = json!("RN")), "body.credentials"),
        (spoil(|b| b["locations"] = json!([])), "body.locations"),
        (spoil(|b| b["locations"][0]["address"]["zip"] = json!("00000")), "body.zip"),
        (spoil(|b| b["locations"][0]["address"]["zip"] = json!("99546")), "body.zip"),
        (spoil(|b| b["locations"][0]["phone"] = json!("555-0100")), "body.phone"),
        (spoil(|b| b["locations"][0]["lat"] = json!(91.0)), "body.lat"),
        (spoil(|b| b["conditions"] = json!(["flu"])), "body.conditions"),
        (spoil(|b| b["surprise"] = json!(1)), "body.json"),
        (json!("not an object"), "body.json"),
    ];
    for (body, parameter) in cases {
        assert_problem(&put(&app, &npi, &body).await, 400, Some(parameter));
    }
    let reply =
        app.request(authorised(Method::PUT, &format!("/v1/admin/physicians/{npi}"), vec![0xff, 0xfe])).await;
    assert_problem(&reply, 400, Some("body"));
    assert_problem(&put(&app, "123", &good).await, 400, Some("npi"));
    assert_eq!(app.ok(&format!("/v1/physicians/{npi}")).await, good);
    assert_eq!(audit_rows(&app).len(), 1, "only the seed is in the audit log");
}

fn seed_csv_with(app: &TestApp, edit: impl Fn(&str) -> String) -> String {
    let mut out = Vec::new();
    physician_locator::directory::formats::csv::write(&mut out, &app.physicians[..50]).unwrap();
    edit(&String::from_utf8(out).unwrap())
}

pub(crate) async fn import(app: &TestApp, query: &str, content_type: &str, body: String) -> Reply {
    let uri = format!("/v1/admin/imports?{query}");
    app.request(authorised(Method::POST, &uri, body).insert_header(("Content-Type", content_type))).await
}

async fn imports_over_http_are_all_or_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let version = app.ok("/readyz").await["version"].as_i64().unwrap();
    // Unchanged rows change nothing.
    let same = seed_csv_with(&app, str::to_owned);
    let reply = import(&app, "", "text/csv", same.clone()).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!((reply.body["unchanged"].as_u64(), reply.body["added"].as_u64()), (Some(50), Some(0)));
    assert_eq!(app.ok("/readyz").await["version"], version);

    // One bad row: 422, its line named, nothing applied.
    let first_npi = app.physicians[0].npi.to_string();
    let renamed = same.replacen(&app.physicians[0].family_name, "Renamed", 1);
    // Spoil the credentials of a physician with a single row (line = index + 1).
    let mut lines: Vec<String> = renamed.lines().map(str::to_owned).collect();
    let npi_of = |l: &str| l.split(',').next().unwrap().to_owned();
    let single = (5..lines.len() - 1)
        .find(|&i| npi_of(&lines[i]) != npi_of(&lines[i - 1]) && npi_of(&lines[i]) != npi_of(&lines[i + 1]))
        .unwrap();
    lines[single] = lines[single].replace(",MD,", ",XX,").replace(",DO,", ",XX,");
    let bad = lines.join("\n") + "\n";
    let bad_line = format!("body line {}: credentials", single + 1);
    let reply = import(&app, "", "text/csv", bad.clone()).await;
    assert_problem(&reply, 422, Some(&bad_line));
    assert_eq!(reply.body["report"]["invalid"], 1);
    assert_eq!(reply.body["report"]["applied"], false);
    assert_ne!(app.ok(&format!("/v1/physicians/{first_npi}")).await["family_name"], "Renamed");

    // A dry run reports without writing; skip_invalid applies the rest.
    let reply = import(&app, "dry_run=true&skip_invalid=true", "text/csv", bad.clone()).await;
    assert_eq!(reply.status, 200);
    assert_eq!((reply.body["updated"].as_u64(), reply.body["applied"].as_bool()), (Some(1), Some(false)));
    assert_ne!(app.ok(&format!("/v1/physicians/{first_npi}")).await["family_name"], "Renamed");
    let reply = import(&app, "skip_invalid=true", "text/csv", bad).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["applied"], true);
    assert_eq!(app.ok(&format!("/v1/physicians/{first_npi}")).await["family_name"], "Renamed");

    // Prune keeps only the file's physicians (forced: the rest is over 10%).
    let reply = import(&app, "prune=true&force_prune=true&dry_run=true", "text/csv", same).await;
    assert_eq!(reply.body["removed"].as_u64(), Some(app.physicians.len() as u64 - 50));
    assert_eq!(app.ok("/readyz").await["physicians"], app.physicians.len());

    // NDJSON of GET bodies.
    let mut ndjson = String::new();
    for p in &app.physicians[100..103] {
        let mut body = app.ok(&format!("/v1/physicians/{}", p.npi)).await;
        body["telehealth"] = json!(!p.telehealth);
        ndjson.push_str(&format!("{body}\n\n"));
    }
    let reply = import(&app, "", "application/x-ndjson", ndjson).await;
    assert_eq!(reply.body["updated"], 3, "{:?}", reply.body);
    assert_eq!(
        app.ok(&format!("/v1/physicians/{}", app.physicians[100].npi)).await["telehealth"],
        !app.physicians[100].telehealth
    );

    assert_problem(&import(&app, "format=xml", "text/csv", String::new()).await, 400, Some("format"));
    assert_problem(&import(&app, "force=1", "text/csv", String::new()).await, 400, Some("force"));
}

async fn an_oversized_or_headless_body_is_refused_whole(backend: Backend) {
    let app = spawn_app_configured(backend, &format!("tests:{ADMIN_TOKEN}"), |settings| Settings {
        max_body_bytes: 4096,
        ..settings
    })
    .await;
    let version = app.ok("/readyz").await["version"].clone();
    let reply = import(&app, "", "text/csv", seed_csv_with(&app, str::to_owned)).await;
    assert_problem(&reply, 413, None);
    // A body without the layout's header is not an empty import.
    for body in ["a".repeat(4000), "npi,given_name\n1234567893,Ada\n".to_owned(), String::new()] {
        let reply = import(&app, "", "text/csv", body.clone()).await;
        assert_problem(&reply, 422, Some("body line 1: header"));
        assert_eq!(reply.body["report"]["applied"], false, "{body:?}");
        assert!(reply.raw.len() < 2000, "a long value is not echoed whole: {} bytes", reply.raw.len());
    }
    assert_eq!(app.ok("/readyz").await["version"], version, "nothing written");
}

both_backends!(
    a_changed_physician_is_never_served_stale,
    repeated_failed_authentications_lock_the_network_out,
    a_byte_a_client_forwards_never_locks_out_its_proxy,
    an_oversized_or_headless_body_is_refused_whole,
    tokens_are_required_and_checked,
    a_physician_round_trips_through_put,
    create_then_delete,
    bad_bodies_are_400_and_change_nothing,
    imports_over_http_are_all_or_nothing,
);
