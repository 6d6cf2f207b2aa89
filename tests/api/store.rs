//! The store: concurrent writers queue, a write that committed is a success
//! whatever the snapshot does next, the pool shows in the metrics, and an
//! import beside a serving instance waits its turn.

use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::binary::{http, run, serve};
use crate::helpers::{ADMIN_TOKEN, Backend, Reply, TestApp, both_backends, put_request, spawn_app};
use crate::observability::parse_prometheus;

/// Physician `i`'s detail with its `accepting_new_patients` flipped.
async fn changed(app: &TestApp, i: usize) -> Value {
    let mut body = app.ok(&format!("/v1/physicians/{}", app.physicians[i].npi)).await;
    body["accepting_new_patients"] = json!(!body["accepting_new_patients"].as_bool().unwrap());
    body
}

async fn metric(app: &TestApp, name: &str) -> Option<f64> {
    let text = app.metrics().await;
    parse_prometheus(&text).into_iter().find(|(series, _)| series == name).map(|(_, value)| value)
}

async fn concurrent_writes_queue_instead_of_failing(backend: Backend) {
    let app = spawn_app(backend).await;
    let version = app.ok("/readyz").await["version"].as_i64().unwrap();
    let mut bodies = Vec::new();
    for i in 0..24 {
        bodies.push(changed(&app, i).await);
    }
    let replies: Vec<Reply> = join_all(bodies.iter().map(|body| app.request(put_request(body)))).await;
    for (reply, body) in replies.iter().zip(&bodies) {
        assert_eq!(reply.status, 200, "{}: {:?}", body["npi"], reply.body);
    }
    assert_eq!(app.ok("/readyz").await["version"].as_i64().unwrap(), version + 24, "one version per write");
    // Writers of the same physician queue too (each write deletes and
    // inserts it again: without the write lock, PostgreSQL failed on the key).
    let same: Vec<Value> = (0..12)
        .map(|i| {
            let mut body = bodies[0].clone();
            body["given_name"] = json!(format!("Queued{i}"));
            body
        })
        .collect();
    let replies: Vec<Reply> = join_all(same.iter().map(|body| app.request(put_request(body)))).await;
    for reply in &replies {
        assert_eq!(reply.status, 200, "{:?}", reply.body);
    }
    for body in &bodies {
        let stored = app.ok(&format!("/v1/physicians/{}", body["npi"].as_str().unwrap())).await;
        assert_eq!(stored["accepting_new_patients"], body["accepting_new_patients"]);
    }
    // The pool: bounded, and every connection back in it.
    assert_eq!(metric(&app, "locator_db_pool_size").await, Some(8.0));
    assert_eq!(metric(&app, "locator_db_pool_in_use").await, Some(0.0));
    assert!(metric(&app, "locator_db_pool_open").await.is_some_and(|open| (1.0..=8.0).contains(&open)));
    assert!(metric(&app, "locator_db_pool_waits_total").await.is_some());
}

/// Writes behind the service's back, as another writer that does not check
/// its rows would: physician `npi`'s specialties become `specialties`, and the
/// version moves, listing it as changed.
fn tamper(app: &TestApp, npi: &str, specialties: &str) {
    let mut conn = app.db.connect().unwrap();
    for statement in [
        format!("UPDATE physicians SET specialties = '{specialties}' WHERE npi = '{npi}'"),
        "UPDATE directory_version SET version = version + 1".to_owned(),
        format!(
            "INSERT INTO directory_changes (version, npi) SELECT version, '{npi}' FROM directory_version"
        ),
    ] {
        diesel::sql_query(statement).execute(&mut *conn).unwrap();
    }
}

async fn a_committed_write_succeeds_though_the_snapshot_cannot_follow(backend: Backend) {
    let app = spawn_app(backend).await;
    let spoiled = app.physicians[1].npi.to_string();
    let good = app.physicians[1].specialties.iter().map(|s| s.slug()).collect::<Vec<_>>().join(";");
    tamper(&app, &spoiled, "not-a-specialty");
    // The write commits; the refresh after it meets the spoiled row and fails.
    let body = changed(&app, 0).await;
    let reply = app.request(put_request(&body)).await;
    assert_eq!(reply.status, 200, "a committed write is a success: {:?}", reply.body);
    let readyz = app.get("/readyz").await;
    assert_eq!(readyz.status, 503, "{:?}", readyz.body);
    assert!(readyz.body["detail"].as_str().unwrap().contains("cannot follow"), "{:?}", readyz.body);
    assert_eq!(metric(&app, "locator_snapshot_stale").await, Some(1.0));
    // Retrying the write is harmless: it is already there.
    assert_eq!(app.request(put_request(&body)).await.status, 200);
    // Once the row is repaired, the watcher's next poll catches up.
    tamper(&app, &spoiled, &good);
    let started = Instant::now();
    while app.get("/readyz").await.status != 200 {
        assert!(started.elapsed() < Duration::from_secs(20), "the snapshot never caught up");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let stored = app.ok(&format!("/v1/physicians/{}", body["npi"].as_str().unwrap())).await;
    assert_eq!(stored["accepting_new_patients"], body["accepting_new_patients"]);
    assert_eq!(metric(&app, "locator_snapshot_stale").await, Some(0.0));
}

/// Rows the directory's check refuses (written by an older version, or
/// behind the service's back) are all counted when the directory is loaded,
/// the first ones named: an operator repairs them at once, not one restart
/// at a time (the review of issue 21).
async fn every_invalid_physician_in_the_database_is_reported_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let spoiled: Vec<String> = app.physicians[2..4].iter().map(|p| p.npi.to_string()).collect();
    for npi in &spoiled {
        tamper(&app, npi, "not-a-specialty");
    }
    let Err(error) = app.db.load() else { panic!("a directory with invalid rows loaded") };
    let message = error.to_string();
    assert!(message.contains("2 physicians are invalid in the database"), "{message}");
    for npi in &spoiled {
        assert!(message.contains(npi.as_str()), "{npi} in {message}");
    }
}

/// A physician inserted behind the service's back (no version moved) is
/// not in the snapshot; the next write records the directory's true count,
/// and the snapshot, patched by that write's changes, would hold one fewer.
/// It reloads whole instead of staying degraded (the second review).
async fn rows_added_outside_the_service_are_taken_at_the_next_write(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut outsider = app.physicians[0].clone();
    outsider.npi = physician_locator::domain::Npi::parse("1999999992").unwrap();
    physician_locator::db::queries::insert(&mut app.db.connect().unwrap(), &[outsider]).unwrap();
    let body = changed(&app, 1).await;
    assert_eq!(app.request(put_request(&body)).await.status, 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 200, "{:?}", ready.body);
    assert_eq!(ready.body["physicians"].as_u64(), Some(app.physicians.len() as u64 + 1));
    assert_eq!(app.get("/v1/physicians/1999999992").await.status, 200);
}

/// Rows removed by hand (the repair the start asks for when an older
/// version stored rows the check refuses) leave the directory short of the
/// count its version recorded: writes are refused, saying how to record
/// the count anew; done so, the service writes and follows again (the
/// third review).
async fn rows_removed_by_hand_are_recounted_as_the_refusal_says(backend: Backend) {
    let app = spawn_app(backend).await;
    let removed: Vec<String> = app.physicians[4..6].iter().map(|p| p.npi.to_string()).collect();
    physician_locator::db::queries::delete(&mut app.db.connect().unwrap(), &removed).unwrap();
    let body = changed(&app, 1).await;
    let refused = app.request(put_request(&body)).await;
    assert_eq!(refused.status, 503, "{:?}", refused.body);
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(detail.contains("record the count anew"), "{detail}");
    let advice = physician_locator::db::RECOUNT_ADVICE;
    let sql = &advice[advice.find("UPDATE").unwrap()..];
    diesel::sql_query(sql).execute(&mut *app.db.connect().unwrap()).unwrap();
    assert_eq!(app.request(put_request(&body)).await.status, 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 200, "{:?}", ready.body);
    assert_eq!(ready.body["physicians"].as_u64(), Some(app.physicians.len() as u64 - 2));
}

both_backends!(
    rows_removed_by_hand_are_recounted_as_the_refusal_says,
    rows_added_outside_the_service_are_taken_at_the_next_write,
    every_invalid_physician_in_the_database_is_reported_at_once,
    concurrent_writes_queue_instead_of_failing,
    a_committed_write_succeeds_though_the_snapshot_cannot_follow
);

#[test]
fn an_import_beside_a_serving_instance_waits_its_turn() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = format!("tests:{ADMIN_TOKEN}");
    let (_server, port) = serve(dir.path(), &[("LOCATOR_ADMIN_TOKENS", &tokens)]);
    // The seed's first 500 rows with their last-updated dates moved: a few
    // hundred updates, an import that holds the write lock for a moment (the
    // writer's PUTs wait for it within the 10 s busy timeout, however loaded
    // the machine running the test).
    let rows: Vec<&str> = physician_locator::db::SEED_CSV.lines().take(501).collect();
    let update = rows.join("\n").replace(",2026-", ",2025-");
    std::fs::write(dir.path().join("update.csv"), update).unwrap();
    let auth = format!("Authorization: Bearer {ADMIN_TOKEN}");
    let (status, detail) = http(port, "GET", "/v1/physicians?limit=1", &[], "").unwrap();
    assert_eq!(status, 200, "{detail}");
    let first: Value = serde_json::from_str(&detail).unwrap();
    let mut physician = first["results"][0]["physician"].clone();
    let path = format!("/v1/admin/physicians/{}", physician["npi"].as_str().unwrap());
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut statuses = Vec::new();
            for i in 0..20 {
                physician["family_name"] = json!(format!("Writer{i}"));
                let body = physician.to_string();
                let reply = http(port, "PUT", &path, &[&auth, "Content-Type: application/json"], &body);
                statuses.push(reply.map(|(status, _)| status));
            }
            statuses
        });
        let (ok, stderr) = run(dir.path(), &["import", "update.csv"], &[]);
        assert!(ok, "the import beside the server: {stderr}");
        assert!(stderr.contains("applied"), "{stderr}");
        let statuses = writer.join().unwrap();
        assert!(statuses.iter().all(|s| matches!(s, Some(200 | 201))), "{statuses:?}");
    });
}
