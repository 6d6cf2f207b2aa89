//! `import` and `serve` as processes on both backends: NPPES, exit codes, a
//! killed import, two instances on one database.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::binary::{BIN, Server, http, http_get, run, serve};
use crate::helpers::{ADMIN_TOKEN, Backend, TestDatabase, both_backends};
use physician_locator::db::{Database, DatabaseUrl};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/npidata_pfile_fictional.csv");

fn database(backend: Backend) -> (TestDatabase, Database) {
    let test_db = TestDatabase::new(backend);
    let db = Database::new(DatabaseUrl::parse(&test_db.url).unwrap());
    db.prepare().unwrap();
    (test_db, db)
}

async fn nppes_rows_map_to_physicians(backend: Backend) {
    let (test_db, db) = database(backend);
    let dir = tempfile::tempdir().unwrap();
    let url = test_db.url.as_str();
    let (ok, stderr) = run(dir.path(), &["import", FIXTURE, "--database-url", url], &[]);
    assert!(!ok, "an invalid row stops the import: {stderr}");
    assert!(stderr.contains("line 6: Provider Credential Text: \"NP\" is neither MD nor DO"), "{stderr}");
    assert_eq!(db.version().unwrap(), 1, "nothing applied");

    let (ok, stderr) = run(dir.path(), &["import", FIXTURE, "--skip-invalid", "--database-url", url], &[]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("2 added, 0 updated, 0 removed, 0 unchanged, 1 invalid, 2 skipped"), "{stderr}");
    let (_, physicians) = db.load().unwrap();
    let find = |npi: &str| physicians.iter().find(|p| p.npi.to_string() == npi).unwrap();
    let rosalind = find("1900000013");
    assert_eq!(rosalind.specialties.iter().map(|s| s.slug()).collect::<Vec<_>>(), ["neuromuscular-medicine"]);
    assert_eq!(rosalind.credentials.as_str(), "MD");
    let place = &rosalind.locations[0];
    assert_eq!(
        (&*place.street, &*place.city, place.zip.as_str()),
        ("350 EXAMPLE AVENUE, SUITE 4", "NEW YORK", "10001")
    );
    assert_eq!(place.phone.as_str(), "212-555-0142");
    assert_eq!(place.precision.as_str(), "zip");
    let licensed: Vec<&str> = rosalind.licensed_states.iter().map(|s| s.code()).collect();
    assert_eq!(licensed, ["NJ", "NY"], "the kept taxonomy's license, and the practice's state");
    let lucia = find("1900000047");
    let slugs: Vec<&str> = lucia.specialties.iter().map(|s| s.slug()).collect();
    assert_eq!(slugs, ["clinical-neurophysiology", "neurology"], "the switched taxonomy is primary");
    assert_eq!(lucia.credentials.as_str(), "DO");
    assert_eq!(lucia.last_updated.as_str(), "2025-10-31");
    assert!(
        physicians
            .iter()
            .all(|p| !["1900000021", "1900000039", "1900000054"].contains(&p.npi.to_string().as_str()))
    );
}

async fn a_killed_import_leaves_the_directory_as_it_was(backend: Backend) {
    let (test_db, db) = database(backend);
    let before = db.load().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.csv");
    let (ok, stderr) =
        run(dir.path(), &["generate", "--count", "60000", "--seed", "9", "--out", "big.csv"], &[]);
    assert!(ok, "{stderr}");
    let mut child = Server(
        Command::new(BIN)
            .args(["import", file.to_str().unwrap(), "--prune", "--database-url", &test_db.url])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // Wait for the first progress line: the import is under way, mid-transaction.
    let stderr = child.0.stderr.take().unwrap();
    // (The pipe stays open until the kill: a closed one would end the import first.)
    let mut lines = BufReader::new(stderr).lines();
    let line = lines.by_ref().map_while(Result::ok).find(|l| l.starts_with("import: "));
    assert!(line.is_some(), "no progress line before the import ended");
    // Reads go on during the import, and see the directory as it was.
    assert_eq!(db.load().unwrap(), before, "a read during the import saw part of it");
    child.0.kill().unwrap(); // SIGKILL
    child.0.wait().unwrap();
    assert_eq!(db.load().unwrap(), before, "the directory changed");
}

async fn two_instances_share_one_directory(backend: Backend) {
    let (test_db, _db) = database(backend);
    let dir = tempfile::tempdir().unwrap();
    let tokens = format!("writer:{ADMIN_TOKEN}");
    let env = [("DATABASE_URL", test_db.url.as_str()), ("LOCATOR_ADMIN_TOKENS", tokens.as_str())];
    let (_a, port_a) = serve(dir.path(), &env);
    let (_b, port_b) = serve(dir.path(), &env);

    let (_, listing) = http_get(port_a, "/v1/physicians?limit=1").unwrap();
    let listing: serde_json::Value = serde_json::from_str(&listing).unwrap();
    let npi = listing["results"][0]["physician"]["npi"].as_str().unwrap().to_owned();
    // The instances share the key cursors are signed with: a page A began
    // goes on at B (behind a load balancer, the next request may land there).
    let cursor = listing["next_cursor"].as_str().unwrap();
    let (status, page) = http_get(port_b, &format!("/v1/physicians?limit=1&cursor={cursor}")).unwrap();
    assert_eq!(status, 200, "{page}");
    let (_, body) = http_get(port_a, &format!("/v1/physicians/{npi}")).unwrap();
    let mut body: serde_json::Value = serde_json::from_str(&body).unwrap();
    body["family_name"] = "Written-Through-A".into();
    let auth = format!("Authorization: Bearer {ADMIN_TOKEN}");
    let path = format!("/v1/admin/physicians/{npi}");
    let (status, reply) =
        http(port_a, "PUT", &path, &[&auth, "Content-Type: application/json"], &body.to_string()).unwrap();
    assert_eq!(status, 200, "{reply}");

    // B polls the version every second; it must see the write without a restart.
    let started = Instant::now();
    loop {
        let (_, seen) = http_get(port_b, &format!("/v1/physicians/{npi}")).unwrap();
        if seen.contains("Written-Through-A") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "instance B never saw the write");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (_, ready) = http_get(port_b, "/readyz").unwrap();
    assert!(ready.contains("\"version\":2"), "{ready}");
}

async fn a_prune_that_cannot_read_a_rows_npi_is_refused(backend: Backend) {
    let (test_db, db) = database(backend);
    let dir = tempfile::tempdir().unwrap();
    let (_, physicians) = db.load().unwrap();
    let mut out = Vec::new();
    physician_locator::directory::formats::csv::write(&mut out, &physicians[..3]).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let last = lines.len() - 1;
    lines[last] = &lines[last][..lines[last].rfind(',').unwrap()];
    std::fs::write(dir.path().join("short.csv"), lines.join("\n")).unwrap();
    let args = ["import", "short.csv", "--prune", "--skip-invalid", "--database-url", &test_db.url];
    let (ok, stderr) = run(dir.path(), &args, &[]);
    assert!(!ok, "{stderr}");
    let expected =
        format!("line {}: npi: prune needs every row's NPI, and this row's cannot be read", last + 1);
    assert!(stderr.contains(&expected), "{stderr}");
    assert_eq!(db.version().unwrap(), 1, "nothing applied");
}

/// `--prune` may remove at most `--max-prune-percent` (default 10) of the
/// directory unless `--force-prune`; a dry run says it would be refused.
async fn a_prune_over_the_limit_is_refused_unless_forced(backend: Backend) {
    let (test_db, db) = database(backend);
    let dir = tempfile::tempdir().unwrap();
    let (_, physicians) = db.load().unwrap();
    let mut out = Vec::new();
    physician_locator::directory::formats::csv::write(&mut out, &physicians[..3]).unwrap();
    std::fs::write(dir.path().join("three.csv"), out).unwrap();
    let url = test_db.url.as_str();
    let import = |extra: &[&str]| {
        run(dir.path(), &[&["import", "three.csv", "--database-url", url], extra].concat(), &[])
    };
    let expected = format!(
        "would remove {} of the directory's {} physicians, more than the limit of 10%",
        physicians.len() - 3,
        physicians.len()
    );
    for extra in [&["--prune", "--dry-run"][..], &["--prune"]] {
        let (ok, stderr) = import(extra);
        assert!(!ok, "{stderr}");
        assert!(stderr.contains(&expected) && stderr.contains("--force-prune"), "{stderr}");
    }
    assert_eq!(db.version().unwrap(), 1, "nothing applied");
    let (ok, stderr) = import(&["--force-prune"]);
    assert!(!ok && stderr.contains("--prune"), "--force-prune alone: {stderr}");
    let (ok, stderr) = import(&["--prune", "--max-prune-percent", "100", "--dry-run"]);
    assert!(ok, "{stderr}");
    let (ok, stderr) = import(&["--prune", "--force-prune"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains(&format!("{} removed", physicians.len() - 3)), "{stderr}");
    assert_eq!(db.load().unwrap().1.len(), 3);
}

/// The CLI refuses a row with a control character by its line (PostgreSQL
/// failed the whole import on a NUL, with no line), or skips it.
async fn a_control_character_is_refused_by_line(backend: Backend) {
    let (test_db, db) = database(backend);
    let dir = tempfile::tempdir().unwrap();
    let (_, physicians) = db.load().unwrap();
    let mut out = Vec::new();
    physician_locator::directory::formats::csv::write(&mut out, &physicians[..3]).unwrap();
    let city = physicians[1].locations[0].city.to_string();
    let text = String::from_utf8(out).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let line = 1 + lines[1..].iter().position(|l| l.contains(&city)).unwrap();
    lines[line] = lines[line].replacen(&city, &format!("{city}\u{0}"), 1);
    std::fs::write(dir.path().join("nul.csv"), lines.join("\n")).unwrap();
    let args = ["import", "nul.csv", "--database-url", &test_db.url];
    let (ok, stderr) = run(dir.path(), &args, &[]);
    assert!(!ok, "{stderr}");
    let expected = format!("line {}: city: holds the control character U+0000", line + 1);
    assert!(stderr.contains(&expected), "{stderr}");
    let (ok, stderr) = run(dir.path(), &[&args[..], &["--skip-invalid"]].concat(), &[]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("1 invalid"), "{stderr}");
    assert_eq!(db.version().unwrap(), 1, "the other rows were unchanged: nothing written");
}

both_backends!(
    a_control_character_is_refused_by_line,
    a_prune_over_the_limit_is_refused_unless_forced,
    a_prune_that_cannot_read_a_rows_npi_is_refused,
    nppes_rows_map_to_physicians,
    a_killed_import_leaves_the_directory_as_it_was,
    two_instances_share_one_directory,
);
