//! The real binary, as a user runs it: a real port, a real file, clear failures.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_physician-locator");

/// Kills the server when the test ends, however it ends.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A plain HTTP/1.1 GET; returns (status, body).
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    http(port, "GET", path, &[], "")
}

/// A plain HTTP/1.1 request with extra header lines and a body.
pub fn http(port: u16, method: &str, path: &str, headers: &[&str], body: &str) -> Option<(u16, String)> {
    let (status, _, body) = http_raw(port, method, path, headers, body)?;
    Some((status, String::from_utf8(body).ok()?))
}

/// [`http`], returning the status, the head's text and the body's bytes as
/// sent (compressed, if they were).
pub fn http_raw(
    port: u16,
    method: &str,
    path: &str,
    headers: &[&str],
    body: &str,
) -> Option<(u16, String, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n{extra}\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let end = response.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8(response[..end].to_vec()).ok()?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, head, response[end + 4..].to_vec()))
}

fn wait_ready(port: u16, server: &mut Server) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if let Some((200, _)) = http_get(port, "/readyz") {
            return;
        }
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("server exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("server not ready within 60 s");
}

/// Runs the binary to completion with `args`; returns (exit ok, stderr).
pub fn run(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let output = Command::new(BIN)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("LOCATOR_BIND")
        .env("LOCATOR_METRICS_BIND", "")
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Starts `serve` on a free port in `dir` with `env` (and no inherited
/// `DATABASE_URL`), and waits until it is ready.
pub fn serve(dir: &std::path::Path, env: &[(&str, &str)]) -> (Server, u16) {
    serve_logging_to(dir, env, Stdio::null())
}

/// [`serve`], with the server's log (standard error) going to `log`.
pub fn serve_logging_to(dir: &std::path::Path, env: &[(&str, &str)], log: impl Into<Stdio>) -> (Server, u16) {
    let port = free_port();
    let mut server = Server(
        Command::new(BIN)
            .env_remove("DATABASE_URL")
            .env("LOCATOR_BIND", format!("127.0.0.1:{port}"))
            // No metrics listener unless a test asks: tests run at once.
            .env("LOCATOR_METRICS_BIND", "")
            .envs(env.iter().copied())
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    wait_ready(port, &mut server);
    (server, port)
}

#[test]
fn serves_from_any_directory_with_the_default_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, port) = serve(dir.path(), &[]);
    assert!(dir.path().join("physician-locator.sqlite3").exists(), "default sqlite file created");
    let (status, body) = http_get(port, "/v1/physicians?zip=10001&specialty=neuromuscular-medicine").unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"distance\""), "{body}");

    // The same port again is a clear, non-zero failure.
    let bind = format!("127.0.0.1:{port}");
    let (ok, stderr) =
        run(dir.path(), &["serve", "--bind", &bind, "--database-url", "sqlite://other.sqlite3"], &[]);
    assert!(!ok);
    assert!(stderr.contains(&format!("cannot listen on {bind}")), "{stderr}");
}

/// Finding 6 of the second outside review: `/metrics` (partners refused,
/// networks calling, failed admin logins) is served only on the operator's
/// listener, never on the API's.
#[test]
fn metrics_are_served_on_their_own_listener_only() {
    let dir = tempfile::tempdir().unwrap();
    let metrics_port = free_port();
    let bind = format!("127.0.0.1:{metrics_port}");
    let (_server, port) = serve(dir.path(), &[("LOCATOR_METRICS_BIND", &bind)]);
    assert_eq!(http_get(port, "/v1/specialties").unwrap().0, 200);
    let (status, body) = http_get(port, "/metrics").unwrap();
    assert_eq!(status, 404, "not on the API's listener: {body}");
    assert!(body.contains("\"status\":404"), "problem+json: {body}");
    let (status, text) = http_get(metrics_port, "/metrics").unwrap();
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("locator_http_request_duration_seconds_count{route=\"/v1/specialties\""), "{text}");
    let (status, body) = http_get(metrics_port, "/v1/specialties").unwrap();
    assert_eq!(status, 404, "only metrics there: {body}");
}

#[test]
fn bad_configuration_fails_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a database, just text ".repeat(200)).unwrap();
    std::fs::create_dir(dir.path().join("folder")).unwrap();
    let cases: [(&str, &str); 5] = [
        ("mysql://localhost/x", "unsupported database URL"),
        ("sqlite://", "names no file"),
        ("sqlite://folder", "is a directory"),
        ("sqlite://notes.txt", "cannot"),
        ("sqlite://missing/dir/x.sqlite3", "cannot use database file"),
    ];
    for (url, expected) in cases {
        let (ok, stderr) = run(dir.path(), &["migrate", "--database-url", url], &[]);
        assert!(!ok, "{url} should fail");
        let error_lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
        assert_eq!(error_lines.len(), 1, "{url}: {stderr}");
        assert!(error_lines[0].contains(expected), "{url}: {stderr}");
    }
    // The text file was left untouched.
    let text = std::fs::read_to_string(dir.path().join("notes.txt")).unwrap();
    assert!(text.starts_with("not a database"));
    // DATABASE_URL from the environment is honoured too.
    let unreachable = "postgres://someone:hunter2@127.0.0.1:1/x";
    let (ok, stderr) = run(dir.path(), &["migrate"], &[("DATABASE_URL", unreachable)]);
    assert!(!ok && stderr.contains("cannot connect to postgres://someone:***@127.0.0.1:1/x"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "the password is never shown: {stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error: ")).count(), 1, "{stderr}");
}

#[test]
fn generate_writes_the_documented_csv_layout() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stderr) = run(dir.path(), &["generate", "--count", "25", "--seed", "7", "--out", "d.csv"], &[]);
    assert!(ok, "{stderr}");
    let text = std::fs::read_to_string(dir.path().join("d.csv")).unwrap();
    assert!(text.starts_with("npi,"));
    let physicians = physician_locator::directory::formats::csv::read(text.as_bytes()).unwrap();
    assert_eq!(physicians.len(), 25);
}

#[test]
fn logs_are_json_lines_with_request_ids_and_nothing_that_locates_a_patient() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let env = [("RUST_LOG", "info"), ("LOCATOR_TRUSTED_PROXIES", "127.0.0.1")];
    let (server, port) = serve_logging_to(dir.path(), &env, log);
    let requests = [
        ("/v1/physicians?zip=99546&condition=lems&radius=1000", 200),
        ("/v1/physicians?lat=52.8412&lng=173.1834&radius=500", 200),
        ("/v1/physicians?q=nunez", 200),
        ("/v1/geocode?zip=00601", 200),
        ("/v1/physicians?zip=99546-12&radius=7", 400),
    ];
    for (i, (path, status)) in requests.iter().enumerate() {
        let id = format!("X-Request-Id: privacy-{i}");
        let client = "X-Forwarded-For: 203.0.113.77";
        assert_eq!(http(port, "GET", path, &[&id, client], "").map(|r| r.0), Some(*status), "{path}");
    }
    drop(server);
    let text = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}"))).collect();
    for (i, (_, status)) in requests.iter().enumerate() {
        let id = format!("privacy-{i}");
        let access = lines
            .iter()
            .find(|l| l["target"] == "access" && l["span"]["request_id"] == id.as_str())
            .unwrap_or_else(|| panic!("no access line for {id}: {text}"));
        assert_eq!(access["fields"]["status"], *status);
        assert_eq!(access["fields"]["method"], "GET");
        assert!(access["fields"]["route"].as_str().unwrap().starts_with("/v1/"));
    }
    // (A three-digit ZIP prefix or a coordinate to one decimal would be
    // allowed; none is logged at all.) Timings and timestamps are left out of
    // the search: their digits may spell anything.
    let logged: Vec<String> = lines
        .into_iter()
        .map(|mut line| {
            line.as_object_mut().unwrap().remove("timestamp");
            if let Some(fields) = line["fields"].as_object_mut() {
                fields.remove("duration_ms");
            }
            line.to_string()
        })
        .collect();
    for private in ["99546", "52.8412", "173.1834", "nunez", "00601", "zip=", "lat=", "?", "203.0.113"] {
        assert!(logged.iter().all(|l| !l.contains(private)), "{private:?} in the log:\n{text}");
    }
}

#[test]
fn a_partners_limit_holds_under_concurrent_load() {
    let dir = tempfile::tempdir().unwrap();
    let key = "concurrent-partner-key-0123";
    let hash: String =
        <sha2::Sha256 as sha2::Digest>::digest(key).iter().map(|b| format!("{b:02x}")).collect();
    let per_minute = 40;
    let partners = format!(
        "[[partner]]\nname = \"load\"\nkey_sha256 = \"{hash}\"\nrequests_per_minute = {per_minute}\n"
    );
    std::fs::write(dir.path().join("partners.toml"), partners).unwrap();
    let (_server, port) = serve(dir.path(), &[("LOCATOR_PARTNERS_FILE", "partners.toml")]);
    let header = format!("X-Api-Key: {key}");
    let started = Instant::now();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    (0..15)
                        .map(|_| {
                            http(port, "GET", "/v1/physicians?zip=10001&limit=1", &[&header], "").unwrap().0
                        })
                        .collect::<Vec<u16>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let allowed = statuses.iter().filter(|&&s| s == 200).count();
    assert_eq!(allowed + statuses.iter().filter(|&&s| s == 429).count(), statuses.len(), "{statuses:?}");
    // The burst, plus whatever refilled while the requests ran: never more.
    let refilled = (elapsed * f64::from(per_minute) / 60.0).ceil() as usize;
    assert!(
        (per_minute as usize..=per_minute as usize + refilled).contains(&allowed),
        "{allowed} allowed of {} in {elapsed:.2} s",
        statuses.len()
    );
}

/// Every absolute URL a FHIR answer holds: links, `fullUrl`s, `implementation.url`.
fn fhir_urls(port: u16, path: &str, headers: &[&str]) -> Vec<String> {
    let (status, body) = http(port, "GET", path, headers, "").unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    let mut urls: Vec<&serde_json::Value> =
        body["link"].as_array().into_iter().flatten().map(|l| &l["url"]).collect();
    urls.extend(body["entry"].as_array().into_iter().flatten().map(|e| &e["fullUrl"]));
    urls.push(&body["implementation"]["url"]);
    urls.into_iter().filter_map(|u| u.as_str()).map(str::to_owned).collect()
}

#[test]
fn fhir_urls_and_the_origin_check_follow_the_public_url_not_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let key = "origin-partner-key-0123456789";
    let hash: String =
        <sha2::Sha256 as sha2::Digest>::digest(key).iter().map(|b| format!("{b:02x}")).collect();
    let partners = format!(
        "[[partner]]\nname = \"p\"\nkey_sha256 = \"{hash}\"\nrequests_per_minute = 1000\n\
         allowed_origins = [\"https://partner.example\"]\n"
    );
    std::fs::write(dir.path().join("partners.toml"), partners).unwrap();
    let hostile = [
        "Forwarded: host=\"evil.example\";proto=javascript",
        "X-Forwarded-Host: evil.example:1@attacker.example",
        "X-Forwarded-Proto: javascript",
    ];
    let key_header = format!("X-Api-Key: {key}");
    let from_evil = [
        key_header.as_str(),
        "Origin: https://evil.example",
        "X-Forwarded-Host: evil.example",
        "X-Forwarded-Proto: https",
    ];
    let evil_origin_status =
        |port| http(port, "GET", "/v1/physicians?zip=10001&limit=1", &from_evil, "").unwrap().0;
    let searches =
        ["/fhir/metadata", "/fhir/Practitioner?_count=1", "/fhir/PractitionerRole?_count=2&condition=lems"];

    // Without --public-url and from a peer not trusted: the bind address,
    // whatever `Host` (here `localhost`) and the forwarding headers say.
    let (server, port) = serve(dir.path(), &[("LOCATOR_PARTNERS_FILE", "partners.toml")]);
    let bind = format!("http://127.0.0.1:{port}/fhir");
    for path in searches {
        let urls = fhir_urls(port, path, &hostile);
        assert!(!urls.is_empty() && urls.iter().all(|u| u.starts_with(&bind)), "{path}: {urls:?}");
    }
    // The condition system is one fixed URI, whatever the host.
    let canonical = "https://physician-locator.example/fhir/CodeSystem/conditions";
    let total = |path: String| {
        let (status, body) = http(port, "GET", &path, &hostile, "").unwrap();
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["total"].as_u64().unwrap()
    };
    let lems = total(format!("/fhir/PractitionerRole?condition={canonical}%7Clems&_total=accurate"));
    assert!(lems > 0);
    assert_eq!(lems, total("/fhir/PractitionerRole?condition=lems&_total=accurate".into()));
    // A system under the host, as 1.x wrote it, is refused naming the canonical.
    let by_host = format!("http://localhost:{port}/fhir/CodeSystem/conditions");
    let path = format!("/fhir/PractitionerRole?condition={by_host}%7Clems&_total=accurate");
    let (status, body) = http(port, "GET", &path, &hostile, "").unwrap();
    assert_eq!(status, 400, "{path}: {body}");
    assert!(body.contains("OperationOutcome") && body.contains(canonical), "{body}");
    // A partner's key from another site that says it was sent there: 403.
    assert_eq!(evil_origin_status(port), 403);
    drop(server);

    // With a public URL (from the environment), the public URL, even from a
    // trusted proxy (here the test itself) that forwards another host.
    let env = [
        ("LOCATOR_PARTNERS_FILE", "partners.toml"),
        ("LOCATOR_PUBLIC_URL", "https://Directory.Example.org/locator/"),
        ("LOCATOR_TRUSTED_PROXIES", "127.0.0.1"),
    ];
    let (_server, port) = serve(dir.path(), &env);
    for path in searches {
        let urls = fhir_urls(port, path, &hostile);
        let public = "https://directory.example.org/locator/fhir";
        assert!(!urls.is_empty() && urls.iter().all(|u| u.starts_with(public)), "{path}: {urls:?}");
    }
    assert_eq!(evil_origin_status(port), 403);
    let own = ["Origin: https://directory.example.org", &key_header];
    assert_eq!(
        http(port, "GET", "/v1/physicians?zip=10001&limit=1", &own, "").unwrap().0,
        200,
        "the widget's own origin"
    );

    // A public URL that is not one stops the server before it starts.
    for bad in [
        "ftp://directory.example.org",
        "directory.example.org",
        "https://user:secret@directory.example.org",
        "https://evil.example:1@attacker.example",
        "https://directory.example.org/?a=1",
        "https://directory.example.org/#top",
        "https://directory.example.org:99999",
        "https://",
    ] {
        // (Were it accepted, the missing database would stop the server.)
        let flag = ["serve", "--public-url", bad, "--database-url", "sqlite://missing/dir/x.sqlite3"];
        let env = [("LOCATOR_PUBLIC_URL", bad)];
        for (args, env) in [(&flag[..], &[][..]), (&[&flag[..1], &flag[3..]].concat()[..], &env[..])] {
            let (ok, stderr) = run(dir.path(), args, env);
            assert!(!ok, "{bad} accepted");
            assert!(
                stderr.contains("--public-url") && stderr.contains("is not a public URL"),
                "{bad}: {stderr}"
            );
        }
    }
}
