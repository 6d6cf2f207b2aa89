//! Faults: the directory of record goes away and comes back, SIGTERM, a
//! database that is not ours or is newer than the binary, bodies and URLs
//! that are too large. Each on the real binary.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::{Connection, RunQueryDsl, SqliteConnection};

use crate::binary::{http, http_get, run, serve, serve_logging_to};
use crate::helpers::{ADMIN_TOKEN, Backend, TestDatabase, both_backends};
use physician_locator::db::{Database, DatabaseUrl};

/// Polls `path` until it answers `status`, for up to 20 s.
fn wait_for(port: u16, path: &str, status: u16) -> String {
    let start = Instant::now();
    loop {
        match http_get(port, path) {
            Some((s, body)) if s == status => return body,
            other if start.elapsed() > Duration::from_secs(20) => {
                panic!("{path} never answered {status}: {other:?}")
            }
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// A TCP relay to PostgreSQL that can be cut and restored: the server sees
/// exactly what a stopped database looks like (refused connections, broken
/// sessions) while other tests go on using the real server.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
}

impl Relay {
    fn to(target: &str) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (flag, target) = (up.clone(), target.to_owned());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Some(server) =
                    flag.load(Ordering::SeqCst).then(|| TcpStream::connect(&target).ok()).flatten()
                else {
                    continue; // dropped: the client sees the connection closed
                };
                for (mut from, mut to) in
                    [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)]
                {
                    let flag = flag.clone();
                    std::thread::spawn(move || {
                        let mut buffer = [0u8; 16384];
                        from.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
                        while flag.load(Ordering::SeqCst) {
                            match from.read(&mut buffer) {
                                Ok(0) => break,
                                Ok(n) if to.write_all(&buffer[..n]).is_ok() => {}
                                Ok(_) => break,
                                Err(e)
                                    if e.kind() == std::io::ErrorKind::WouldBlock
                                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                                Err(_) => break,
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Relay { port, up }
    }
}

async fn searches_survive_an_unreachable_database_and_it_recovers(backend: Backend) {
    let test_db = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    // How to make the database unreachable and bring it back.
    let relay;
    type Switch = Box<dyn Fn()>;
    let (url, cut, restore): (String, Switch, Switch) = match backend {
        Backend::Sqlite => {
            // Root reads any file whatever its mode, so the file is moved away
            // and a directory stands in its place.
            let DatabaseUrl::Sqlite(path) = DatabaseUrl::parse(&test_db.url).unwrap() else { unreachable!() };
            let aside = path.with_extension("aside");
            let (p1, a1, p2, a2) = (path.clone(), aside.clone(), path.clone(), aside);
            let cut = move || {
                std::fs::rename(&p1, &a1).unwrap();
                std::fs::create_dir(&p1).unwrap();
            };
            let restore = move || {
                std::fs::remove_dir(&p2).unwrap();
                std::fs::rename(&a2, &p2).unwrap();
            };
            (test_db.url.clone(), Box::new(cut), Box::new(restore))
        }
        Backend::Postgres => {
            let (prefix, rest) = test_db.url.split_once('@').unwrap();
            let (host, db) = rest.split_once('/').unwrap();
            relay = Relay::to(host);
            let url = format!("{prefix}@127.0.0.1:{}/{db}", relay.port);
            let (up1, up2) = (relay.up.clone(), relay.up.clone());
            (
                url,
                Box::new(move || up1.store(false, Ordering::SeqCst)),
                Box::new(move || up2.store(true, Ordering::SeqCst)),
            )
        }
    };
    let tokens = format!("tests:{ADMIN_TOKEN}");
    let env = [("DATABASE_URL", url.as_str()), ("LOCATOR_POLL_MS", "100"), ("LOCATOR_ADMIN_TOKENS", &tokens)];
    let log = dir.path().join("server.log");
    let (_server, port) = serve_logging_to(dir.path(), &env, std::fs::File::create(&log).unwrap());
    let search = "/v1/physicians?zip=10001&limit=5";
    let before = http_get(port, search).unwrap();
    assert_eq!(before.0, 200);

    cut();
    let degraded = wait_for(port, "/readyz", 503);
    assert!(degraded.contains("degraded") && degraded.contains("unreachable"), "{degraded}");
    // The world learns what failed, not where the database is or what it said
    // (finding 6 of the second outside review); the operator's log has it.
    let (address, database) = (url.rsplit('@').next().unwrap(), url.rsplit('/').next().unwrap());
    for private in [address, database, "postgres", "sqlite", "connect", "gone"] {
        assert!(!degraded.contains(private), "{private} in {degraded}");
    }
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("unreachable") && logged.contains(database), "{logged}");
    assert_eq!(http_get(port, search).unwrap(), before, "searches go on from the snapshot");
    let auth = format!("Authorization: Bearer {ADMIN_TOKEN}");
    let npi = before.1.split("\"npi\":\"").nth(1).unwrap()[..10].to_owned();
    let (status, body) = http(port, "DELETE", &format!("/v1/admin/physicians/{npi}"), &[&auth], "").unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"status\":503"), "problem+json: {body}");

    restore();
    wait_for(port, "/readyz", 200);
    let (status, body) = http(port, "DELETE", &format!("/v1/admin/physicians/{npi}"), &[&auth], "").unwrap();
    assert_eq!(status, 204, "writes work again: {body}");
    assert_ne!(http_get(port, search).unwrap(), before, "and are served");
}

async fn a_database_of_another_kind_or_a_newer_schema_is_refused_untouched(backend: Backend) {
    let test_db = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::new(DatabaseUrl::parse(&test_db.url).unwrap());
    db.prepare().unwrap();
    let mut conn = db.connect().unwrap();
    diesel::sql_query("INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231000000')")
        .execute(&mut *conn)
        .unwrap();
    let before = db.load().unwrap();
    for args in [&["migrate"][..], &["serve", "--bind", "127.0.0.1:0"]] {
        let (ok, stderr) = run(dir.path(), args, &[("DATABASE_URL", &test_db.url)]);
        assert!(!ok, "{args:?}");
        assert!(stderr.contains("newer than this binary knows (migration 29991231000000)"), "{stderr}");
    }
    assert_eq!(format!("{:?}", db.load().unwrap()), format!("{before:?}"), "left untouched");
}

#[test]
fn a_foreign_sqlite_file_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.sqlite3");
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    diesel::sql_query("CREATE TABLE notes (body TEXT)").execute(&mut conn).unwrap();
    diesel::sql_query("INSERT INTO notes VALUES ('keep me')").execute(&mut conn).unwrap();
    drop(conn);
    let (ok, stderr) = run(dir.path(), &["serve", "--database-url", "sqlite://notes.sqlite3"], &[]);
    assert!(!ok);
    assert!(stderr.contains("holds other tables (notes)"), "{stderr}");
    // Its data is as it was: one table, one row (opening it may have switched
    // its journal to WAL, which changes the header, not the data).
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    let tables: Vec<String> = diesel::sql_query("SELECT name FROM sqlite_master")
        .load::<Name>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect();
    assert_eq!(tables, ["notes"]);
    let rows: Vec<String> = diesel::sql_query("SELECT body AS name FROM notes")
        .load::<Name>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect();
    assert_eq!(rows, ["keep me"]);
}

#[test]
fn sigterm_lets_in_flight_requests_finish_refuses_new_ones_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, port) = serve(
        dir.path(),
        &[("LOCATOR_SHUTDOWN_GRACE_SECS", "10"), ("LOCATOR_ADMIN_TOKENS", &format!("tests:{ADMIN_TOKEN}"))],
    );
    // An import whose body arrives slowly is in flight when the signal comes.
    let body = "npi,given_name\n";
    let mut slow = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        slow,
        "POST /v1/admin/imports?dry_run=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\
         Content-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        &body[..4]
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    assert!(Command::new("kill").args(["-TERM", &server.0.id().to_string()]).status().unwrap().success());
    // New connections are refused once the signal is handled.
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(start.elapsed() < Duration::from_secs(5), "still accepting connections after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The in-flight request completes.
    slow.write_all(&body.as_bytes()[4..]).unwrap();
    let mut answer = String::new();
    slow.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 422") && answer.contains("\"dry_run\":true"), "{answer}");
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(signalled.elapsed() < Duration::from_secs(15), "not stopped within the grace period");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
}

/// Sends a request's head declaring a `length`-byte body, and none of the
/// body; returns the status line, or None if no answer came within 10 s
/// (the server waiting for the body it should not read).
fn head_only(port: u16, method: &str, path: &str, headers: &[&str], length: usize) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    write!(stream, "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {length}\r\n{extra}\r\n")
        .unwrap();
    let mut answer = [0u8; 512];
    let read = stream.read(&mut answer).ok().filter(|n| *n > 0)?;
    String::from_utf8_lossy(&answer[..read]).lines().next().map(str::to_owned)
}

#[test]
fn admin_requests_are_refused_from_their_headers_before_any_body_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = format!("tests:{ADMIN_TOKEN}");
    let (_server, port) = serve(dir.path(), &[("LOCATOR_ADMIN_TOKENS", &tokens)]);
    let big = 60 * 1024 * 1024;
    let wrong = "Authorization: Bearer wrong-token-0123456789";
    for (method, path) in [("PUT", "/v1/admin/physicians/1234567893"), ("POST", "/v1/admin/imports")] {
        for headers in [&[][..], &[wrong][..]] {
            let status = head_only(port, method, path, headers, big);
            assert_eq!(status.as_deref(), Some("HTTP/1.1 401 Unauthorized"), "{method} {path} {headers:?}");
        }
    }
    // Authorized, a body declared over the limit is refused before it is read too.
    let auth = format!("Authorization: Bearer {ADMIN_TOKEN}");
    let status = head_only(port, "POST", "/v1/admin/imports", &[&auth], 65 * 1024 * 1024);
    assert_eq!(status.as_deref(), Some("HTTP/1.1 413 Payload Too Large"));
    let status = head_only(port, "PUT", "/v1/admin/physicians/1234567893", &[&auth], 2 * 1024 * 1024);
    assert_eq!(status.as_deref(), Some("HTTP/1.1 413 Payload Too Large"));

    let off_dir = tempfile::tempdir().unwrap();
    let (_off, off_port) = serve(off_dir.path(), &[]);
    let status = head_only(off_port, "POST", "/v1/admin/imports", &[&auth], big);
    assert_eq!(status.as_deref(), Some("HTTP/1.1 404 Not Found"), "the admin API is off");
}

#[test]
fn a_body_nobody_reads_ends_its_connection_instead_of_holding_it() {
    // A chunked body left unread used to be drained for as long as the
    // client kept sending, or kept silent: one address could hold every socket.
    let dir = tempfile::tempdir().unwrap();
    let tokens = format!("tests:{ADMIN_TOKEN}");
    let (_server, port) = serve(dir.path(), &[("LOCATOR_ADMIN_TOKENS", &tokens)]);
    let long = format!("GET /v1/specialties?q={}", "a".repeat(9000));
    for head in ["GET /v1/specialties", "POST /v1/admin/imports", "GET /healthz", &long] {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            stream,
            "{head} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
        )
        .unwrap();
        let started = Instant::now();
        let mut answer = Vec::new();
        // Read to the end: the server must close the connection itself.
        let closed = stream.read_to_end(&mut answer).is_ok();
        let answer = String::from_utf8_lossy(&answer);
        let head = &head[..head.len().min(40)];
        assert!(closed, "{head}: still open after {:?}: {answer}", started.elapsed());
        assert!(answer.starts_with("HTTP/1.1 "), "{head}: {answer}");
        assert!(answer.to_ascii_lowercase().contains("connection: close"), "{head}: {answer}");
    }
}

#[test]
fn a_sqlite_path_spelled_with_extra_slashes_and_odd_characters_serves() {
    // Pooled connections open the file by URI: `//` must not read as a host,
    // nor `%`, `?`, `#` as escapes, a query or a fragment.
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("we%ird ?dir#");
    std::fs::create_dir(&odd).unwrap();
    let url = format!("sqlite:///{}", odd.join("x.sqlite3").display());
    let (_server, port) = serve(dir.path(), &[("DATABASE_URL", url.as_str())]);
    let (status, body) = http_get(port, "/readyz").unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(odd.join("x.sqlite3").is_file());
}

#[test]
fn a_sqlite_file_moved_away_is_missed_not_replaced_by_an_empty_one() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, port) = serve(dir.path(), &[("LOCATOR_POLL_MS", "100")]);
    let file = dir.path().join("physician-locator.sqlite3");
    let away = tempfile::tempdir().unwrap();
    let parts = ["", "-wal", "-shm"];
    let physicians = |port| {
        let (_, body) = http_get(port, "/readyz").unwrap();
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["physicians"].clone()
    };
    let before = physicians(port);
    // The whole database, then the main file alone (its recent commits stay in `-wal`).
    for moved in [&parts[..], &parts[..1]] {
        for part in moved {
            let name = format!("physician-locator.sqlite3{part}");
            if dir.path().join(&name).exists() {
                std::fs::rename(dir.path().join(&name), away.path().join(&name)).unwrap();
            }
        }
        wait_for(port, "/readyz", 503);
        assert!(!file.exists(), "no empty database was created in its place");
        for part in moved {
            let name = format!("physician-locator.sqlite3{part}");
            if away.path().join(&name).exists() {
                std::fs::rename(away.path().join(&name), dir.path().join(&name)).unwrap();
            }
        }
        wait_for(port, "/readyz", 200);
        assert_eq!(physicians(port), before, "the directory is whole again");
    }
}

/// The server's peak resident memory so far, in KiB (`VmHWM`).
fn peak_resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn an_authorized_import_body_is_streamed_not_held_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = format!("tests:{ADMIN_TOKEN}");
    let (server, port) = serve(dir.path(), &[("LOCATOR_ADMIN_TOKENS", &tokens)]);
    let before = peak_resident_kib(server.0.id());
    // 48 MiB that the importer refuses at its first line, so only the
    // body's passage through the server is measured.
    let body = format!("not,the,layout\n{}", "x".repeat(48 * 1024 * 1024));
    let auth = format!("Authorization: Bearer {ADMIN_TOKEN}");
    let (status, answer) =
        http(port, "POST", "/v1/admin/imports", &[&auth, "Content-Type: text/csv"], &body).unwrap();
    assert_eq!(status, 422, "{answer}");
    let grown_mib = (peak_resident_kib(server.0.id()) - before) / 1024;
    assert!(grown_mib < 16, "a 48 MiB body raised the peak resident memory by {grown_mib} MiB");
}

#[test]
fn oversized_bodies_and_urls_get_problems_not_dropped_connections() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = format!("tests:{ADMIN_TOKEN}");
    let (_server, port) =
        serve(dir.path(), &[("LOCATOR_MAX_BODY_MIB", "1"), ("LOCATOR_ADMIN_TOKENS", &tokens)]);
    let auth = format!("Authorization: Bearer {ADMIN_TOKEN}");
    let body = "x".repeat(3 * 1024 * 1024);
    let (status, answer) =
        http(port, "POST", "/v1/admin/imports", &[&auth, "Content-Type: text/csv"], &body).unwrap();
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("\"status\":413") && answer.contains("--max-body-mib"), "{answer}");
    let long = format!("/v1/physicians?q={}", "a".repeat(9000));
    let (status, answer) = http_get(port, &long).unwrap();
    assert_eq!(status, 414, "{answer}");
    assert!(answer.contains("\"status\":414"), "{answer}");
    let big = format!("X-Padding: {}", "a".repeat(20 * 1024));
    let (status, answer) = http(port, "GET", "/v1/specialties", &[&big], "").unwrap();
    assert_eq!(status, 431, "{answer}");
    assert!(answer.contains("\"status\":431"), "problem+json: {answer}");
    // A client that never finishes its headers is disconnected, not kept.
    let mut idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut rest = String::new();
    let _ = idle.read_to_string(&mut rest);
    assert!(rest.is_empty() || rest.starts_with("HTTP/1.1 408"), "{rest}");
}

async fn a_server_killed_during_an_admin_import_leaves_the_directory_as_it_was(backend: Backend) {
    let test_db = TestDatabase::new(backend);
    let db = Database::new(DatabaseUrl::parse(&test_db.url).unwrap());
    db.prepare().unwrap();
    let before = db.load().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (ok, stderr) =
        run(dir.path(), &["generate", "--count", "60000", "--seed", "9", "--out", "big.csv"], &[]);
    assert!(ok, "{stderr}");
    let body = std::fs::read_to_string(dir.path().join("big.csv")).unwrap();
    let tokens = format!("tests:{ADMIN_TOKEN}");
    let (mut server, port) =
        serve(dir.path(), &[("DATABASE_URL", test_db.url.as_str()), ("LOCATOR_ADMIN_TOKENS", &tokens)]);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST /v1/admin/imports?prune=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\
         Content-Type: text/csv\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    // Sixty thousand physicians take seconds to apply: half a second after
    // the body is in, the import is mid-transaction.
    std::thread::sleep(Duration::from_millis(500));
    server.0.kill().unwrap(); // SIGKILL
    server.0.wait().unwrap();
    assert_eq!(db.load().unwrap(), before, "the directory changed");
}

both_backends!(
    a_server_killed_during_an_admin_import_leaves_the_directory_as_it_was,
    searches_survive_an_unreachable_database_and_it_recovers,
    a_database_of_another_kind_or_a_newer_schema_is_refused_untouched,
);
