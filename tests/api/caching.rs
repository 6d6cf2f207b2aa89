//! HTTP caching: ETag from the directory's head (version and stamp) and the
//! normalised request, Cache-Control, 304 on a matching If-None-Match; and no
//! answer of a replaced history served after a restore.

use std::io::Read;
use std::time::{Duration, Instant};

use actix_web::test::TestRequest;
use diesel::{Connection, RunQueryDsl};
use serde_json::{Value, json};

use physician_locator::db::{Database, DatabaseUrl, Outcome, queries};
use physician_locator::search::{Cursor, CursorError, CursorKey};

use crate::binary::{http, http_raw, serve};
use crate::helpers::{
    ADMIN_TOKEN, Backend, TABLES, TestApp, assert_problem, both_backends, put_request, restore_backup,
    spawn_app, take_backup,
};

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

/// The search the restore tests ask, as a browser does: gzip.
const SEARCH: &str = "/v1/physicians?zip=60601&limit=5";

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes).read_to_string(&mut text).expect("gzip");
    text
}

/// The search's tag and decompressed body, from the app.
async fn gzipped(app: &TestApp, if_none_match: Option<&str>) -> (u16, String, String) {
    let mut request = TestRequest::get().uri(SEARCH).insert_header(("Accept-Encoding", "gzip"));
    if let Some(tag) = if_none_match {
        request = request.insert_header(("If-None-Match", tag));
    }
    let reply = app.request(request).await;
    let body = if reply.status == 200 { gunzip(&reply.raw) } else { String::new() };
    (reply.status, reply.header("etag").unwrap_or_default().to_owned(), body)
}

/// An app whose directory was backed up at version 1 and then written: the
/// first physician of [`SEARCH`] renamed "BeforeRestore" (version 2).
async fn written_after_a_backup(backend: Backend) -> (TestApp, Value) {
    let app = spawn_app(backend).await;
    take_backup(&mut app.db.connect().unwrap());
    let mut physician = app.ok(SEARCH).await["results"][0]["physician"].clone();
    physician["family_name"] = json!("BeforeRestore");
    assert_eq!(app.request(put_request(&physician)).await.status, 200);
    (app, physician)
}

/// Finding 1 of the second outside review: a restore takes the directory
/// back to version 1, and another instance writes version 2 again with other
/// content. This instance, which served the first version 2, learns of it
/// only by polling; the version number it sees is the one it has. It must
/// still follow, and no tag or kept compressed answer of the first version 2
/// may be served again.
async fn a_restored_directory_never_replays_old_answers(backend: Backend) {
    let (app, physician) = written_after_a_backup(backend).await;
    let npi = physician["npi"].as_str().unwrap().to_owned();
    let (_, before_tag, before) = gzipped(&app, None).await;
    assert!(before.contains("BeforeRestore"), "{before}");
    assert!(before_tag.starts_with("W/\"2-"), "{before_tag}");

    restore_backup(&mut app.db.connect().unwrap(), &TABLES);
    let mut other = app.physicians.iter().find(|p| p.npi.to_string() == npi).unwrap().clone();
    other.family_name = "AfterRestore".into();
    let written = app
        .db
        .write("another instance", |conn| {
            queries::replace(conn, std::slice::from_ref(&other))?;
            Ok(Outcome::Changed {
                value: (),
                action: "put".into(),
                npi: Some(npi.clone()),
                changed: vec![npi.clone()],
            })
        })
        .unwrap();
    assert_eq!(written.version, 2, "the version number comes back");

    let started = Instant::now();
    while app.ok(&format!("/v1/physicians/{npi}")).await["family_name"] != "AfterRestore" {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the snapshot never followed the restored directory"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, after_tag, after) = gzipped(&app, None).await;
    assert_eq!(status, 200);
    assert!(after.contains("AfterRestore") && !after.contains("BeforeRestore"), "{after}");
    assert!(after_tag.starts_with("W/\"2-"), "{after_tag}");
    assert_ne!(after_tag, before_tag, "a tag is never reused for other content");
    let (status, _, revalidated) = gzipped(&app, Some(&before_tag)).await;
    assert_eq!(status, 200, "the old tag no longer matches");
    assert!(revalidated.contains("AfterRestore"), "{revalidated}");
}

/// The review of the fixes: `pg_restore --clean` without
/// `--single-transaction` empties every table, then commits each table's
/// rows apart, the version tables before the physicians. An instance that
/// polled in between reloaded an empty directory under the restored
/// version's tag, called itself ready, and never reloaded again. The
/// snapshot must not follow a directory that holds fewer physicians than
/// its version recorded: the old one is served, degraded, until the restore
/// is whole.
async fn a_directory_restored_table_by_table_is_not_served_half_done(backend: Backend) {
    let (app, physician) = written_after_a_backup(backend).await;
    let written = app.ok(SEARCH).await["results"].clone();

    let mut conn = app.db.connect().unwrap();
    conn.transaction(|conn| {
        for table in TABLES.iter().rev() {
            diesel::sql_query(format!("DELETE FROM {table}")).execute(conn)?;
        }
        diesel::QueryResult::Ok(())
    })
    .unwrap();
    restore_backup(&mut conn, &["directory_version", "directory_changes", "directory_stamps", "audit_log"]);
    // A write in the gap would record the half directory as whole (the
    // second review): it is refused, and nothing is written.
    let mut newcomer = physician.clone();
    newcomer["npi"] = json!("1999999992");
    let put = put_request(&newcomer);
    let refused = app.request(put).await;
    assert_problem(&refused, 503, None);
    assert!(refused.body["detail"].as_str().unwrap().contains("a restore under way"), "{:?}", refused.body);
    let started = Instant::now();
    loop {
        let ready = app.get("/readyz").await;
        if ready.status == 503 && ready.body["detail"].as_str().unwrap().contains("cannot follow") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the half-restored directory was taken: {:?}",
            ready.body
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.ok(SEARCH).await["results"],
        written,
        "the snapshot before the restore is served meanwhile"
    );

    restore_backup(&mut conn, &["physicians", "locations"]);
    let started = Instant::now();
    while app.get("/readyz").await.status != 200 {
        assert!(started.elapsed() < Duration::from_secs(20), "the whole restored directory was never taken");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let restored = app.ok(&format!("{SEARCH}&include_total=true")).await;
    assert!(!restored.to_string().contains("BeforeRestore"), "{restored}");
    assert_eq!(app.ok("/readyz").await["physicians"].as_u64(), Some(app.physicians.len() as u64));
}

/// The review of the fixes: the cursor key was read once, at start, so
/// after a restore of another database (which brings its own key) an
/// instance kept signing with the old one, and instances started since
/// refused its cursors. A whole reload reads the key again.
async fn after_a_restore_cursors_are_signed_with_the_restored_key(backend: Backend) {
    let (app, _) = written_after_a_backup(backend).await;
    let before = app.ok(SEARCH).await["next_cursor"].as_str().unwrap().to_owned();

    // Another database's key, and its directory: the backup of this one.
    let other = [7u8; 32];
    let hex: String = other.iter().map(|b| format!("{b:02x}")).collect();
    let set_key = match backend {
        Backend::Sqlite => format!("UPDATE cursor_key SET secret = X'{hex}'"),
        Backend::Postgres => format!("UPDATE cursor_key SET secret = '\\x{hex}'::bytea"),
    };
    diesel::sql_query(set_key).execute(&mut *app.db.connect().unwrap()).unwrap();
    restore_backup(&mut app.db.connect().unwrap(), &TABLES);
    let started = Instant::now();
    while app.ok("/readyz").await["version"] != 1 {
        assert!(started.elapsed() < Duration::from_secs(20), "the restore was never taken");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let stale = app.get(&format!("{SEARCH}&cursor={before}")).await;
    assert_problem(&stale, 400, Some("cursor"));
    let page = app.ok(SEARCH).await;
    let cursor = page["next_cursor"].as_str().unwrap();
    assert_eq!(app.db.cursor_key().unwrap(), other);
    let restored_key = CursorKey::new(other);
    assert!(
        !matches!(Cursor::decode(cursor, 0, &restored_key), Err(CursorError::Malformed)),
        "signed with the restored database's key"
    );
    assert_eq!(app.get(&format!("{SEARCH}&cursor={cursor}")).await.status, 200);
}

both_backends!(
    after_a_restore_cursors_are_signed_with_the_restored_key,
    a_repeated_search_gets_304_and_the_tag_follows_the_request,
    detail_and_vocabularies_are_cacheable,
    a_restored_directory_never_replays_old_answers,
    a_directory_restored_table_by_table_is_not_served_half_done
);

/// Finding 1 through the real binary, as the review reproduced it: a
/// restore under a serving instance, then a write through it.
#[test]
fn a_restored_database_file_never_replays_old_answers_from_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = format!("tests:{ADMIN_TOKEN}");
    let (_server, port) = serve(dir.path(), &[("LOCATOR_ADMIN_TOKENS", &tokens)]);
    let file = dir.path().join("physician-locator.sqlite3");
    let database = Database::new(DatabaseUrl::Sqlite(file));
    take_backup(&mut database.connect().unwrap());

    let (status, page) = http(port, "GET", SEARCH, &[], "").unwrap();
    assert_eq!(status, 200, "{page}");
    let mut physician = serde_json::from_str::<Value>(&page).unwrap()["results"][0]["physician"].clone();
    let path = format!("/v1/admin/physicians/{}", physician["npi"].as_str().unwrap());
    let auth = format!("Authorization: Bearer {ADMIN_TOKEN}");
    let put = |physician: &Value| {
        let reply =
            http(port, "PUT", &path, &[&auth, "Content-Type: application/json"], &physician.to_string());
        assert_eq!(reply.map(|(status, _)| status), Some(200));
    };
    let search = |if_none_match: &str| {
        let (status, head, body) =
            http_raw(port, "GET", SEARCH, &["Accept-Encoding: gzip", if_none_match], "").unwrap();
        let tag = head.lines().find_map(|l| l.strip_prefix("etag: ")).unwrap_or_default().to_owned();
        (status, tag, if status == 200 { gunzip(&body) } else { String::new() })
    };

    physician["family_name"] = json!("BeforeRestore");
    put(&physician);
    let (_, before_tag, before) = search("X-Nothing: 0");
    assert!(before.contains("BeforeRestore"), "{before}");

    restore_backup(&mut database.connect().unwrap(), &TABLES);
    physician["family_name"] = json!("AfterRestore");
    put(&physician);
    let (status, after_tag, after) = search("X-Nothing: 0");
    assert_eq!(status, 200);
    assert!(after.contains("AfterRestore") && !after.contains("BeforeRestore"), "{after}");
    assert_ne!(after_tag, before_tag, "a tag is never reused for other content");
    let (status, _, _) = search(&format!("If-None-Match: {before_tag}"));
    assert_eq!(status, 200, "the old tag no longer matches");
}
