//! `spawn_app()`: a fresh SQLite database per test, migrated and seeded the way
//! the server does it, and the real application in front of it.

use std::num::NonZeroU32;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::{Connection, PgConnection, RunQueryDsl};

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;
use futures_util::future::LocalBoxFuture;
use serde_json::Value;
use tempfile::TempDir;

use physician_locator::api;
use physician_locator::api::auth::AdminTokens;
use physician_locator::api::partners::{Access, Origins};
use physician_locator::application::{Application, Settings};
use physician_locator::db::Database;
use physician_locator::directory::Physician;

type Call = Box<dyn Fn(actix_http::Request) -> LocalBoxFuture<'static, ServiceResponse<BoxBody>>>;

pub struct TestApp {
    call: Call,
    /// The metrics listener's application.
    metrics: Call,
    pub db: Database,
    /// The directory as loaded from the database: the oracle's data.
    pub physicians: Vec<Physician>,
    /// Keeps the test's database until the test ends.
    _database: TestDatabase,
}

/// Which directory-of-record backend a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests may create databases on: a URL whose user can
/// `CREATE DATABASE` (`.ci/run` sets it).
pub const POSTGRES_ENV: &str = "LOCATOR_TEST_POSTGRES_URL";

impl Backend {
    /// Whether the PostgreSQL half runs; says once, on the terminal, if not.
    pub fn postgres_enabled() -> bool {
        static SAID: std::sync::Once = std::sync::Once::new();
        let enabled = std::env::var(POSTGRES_ENV).is_ok_and(|v| !v.is_empty());
        if !enabled {
            SAID.call_once(|| {
                // Written to the stream directly: the test harness captures print!.
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "note: PostgreSQL tests skipped; set {POSTGRES_ENV}=postgres://USER:PASSWORD@HOST/postgres to run them"
                );
            });
        }
        enabled
    }
}

/// A database of its own for one test, removed when the test ends.
pub struct TestDatabase {
    pub url: String,
    _dir: TempDir,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub fn new(backend: Backend) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("test.sqlite3").display());
                TestDatabase { url, _dir: dir, postgres: None }
            }
            Backend::Postgres => {
                let admin = std::env::var(POSTGRES_ENV).expect("PostgreSQL URL");
                let name =
                    format!("locator_test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
                let mut conn =
                    PgConnection::establish(&admin).expect("connect to the test PostgreSQL server");
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}"))
                    .execute(&mut conn)
                    .expect("drop");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create database");
                let (base, query) =
                    admin.split_once('?').map_or((admin.as_str(), None), |(b, q)| (b, Some(q)));
                let prefix = &base[..base.rfind('/').expect("URL has a path")];
                let url = format!("{prefix}/{name}{}", query.map(|q| format!("?{q}")).unwrap_or_default());
                TestDatabase { url, _dir: dir, postgres: Some((admin, name)) }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.postgres
            && let Ok(mut conn) = PgConnection::establish(admin)
        {
            let _ =
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn);
        }
    }
}

/// Runs each named `async fn(Backend)` once on SQLite and once on PostgreSQL
/// (when enabled), as `sqlite::NAME` and `postgres::NAME`.
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[actix_web::test]
            async fn $name() {
                super::$name(crate::helpers::Backend::Sqlite).await
            })+
        }
        mod postgres {
            $(#[actix_web::test]
            async fn $name() {
                if crate::helpers::Backend::postgres_enabled() {
                    super::$name(crate::helpers::Backend::Postgres).await
                }
            })+
        }
    };
}
pub(crate) use both_backends;

/// What a request got back.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
    /// The body as sent (compressed, if it was).
    pub raw: Vec<u8>,
    pub headers: actix_web::http::header::HeaderMap,
}

impl Reply {
    /// A header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The admin token every test app accepts (named `tests` in the audit log).
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &format!("tests:{ADMIN_TOKEN}")).await
}

/// An app with the given admin token configuration (empty: admin API off).
pub async fn spawn_app_with(backend: Backend, admin_tokens: &str) -> TestApp {
    spawn_app_configured(backend, admin_tokens, |settings| settings).await
}

/// No partners and no anonymous limit to speak of: tests that page through
/// whole directories are not what the rate limit is about.
pub fn unlimited() -> Access {
    Access::new(Vec::new(), NonZeroU32::MAX, Origins::Listed(Vec::new()))
}

/// An app with the given admin tokens, configured further by `configure`
/// (which starts from no rate limit to speak of), built as `serve` builds it.
pub async fn spawn_app_configured(
    backend: Backend,
    admin_tokens: &str,
    configure: impl FnOnce(Settings) -> Settings,
) -> TestApp {
    let database = TestDatabase::new(backend);
    let settings = Settings {
        admin: AdminTokens::parse(admin_tokens).expect("tokens"),
        access: unlimited(),
        ..Settings::new(&database.url)
    };
    let application = Application::build(configure(settings)).expect("build the application");
    let state = application.state();
    let db = state.store().database().clone();
    let (_, physicians) = db.load().expect("load");
    let metrics = Rc::new(test::init_service(api::metrics::app(state.clone())).await);
    let service = Rc::new(test::init_service(api::app(state)).await);
    let call: Call = Box::new(move |req| {
        let service = service.clone();
        Box::pin(async move { service.call(req).await.expect("service").map_into_boxed_body() })
    });
    let metrics: Call = Box::new(move |req| {
        let metrics = metrics.clone();
        Box::pin(async move { metrics.call(req).await.expect("service").map_into_boxed_body() })
    });
    TestApp { call, metrics, db, physicians, _database: database }
}

impl TestApp {
    pub async fn get(&self, uri: &str) -> Reply {
        self.request(test::TestRequest::get().uri(uri)).await
    }

    pub async fn request(&self, request: test::TestRequest) -> Reply {
        Self::reply((self.call)(request.to_request()).await).await
    }

    /// `/metrics`, from the metrics listener.
    pub async fn metrics(&self) -> String {
        let reply =
            Self::reply((self.metrics)(test::TestRequest::get().uri("/metrics").to_request()).await).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        String::from_utf8(reply.raw).expect("text")
    }

    async fn reply(response: ServiceResponse<BoxBody>) -> Reply {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let raw = test::read_body(response).await.to_vec();
        let body = serde_json::from_slice(&raw)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&raw).into()));
        Reply { status, content_type, body, raw, headers }
    }

    /// A request that must succeed with JSON.
    pub async fn ok(&self, uri: &str) -> Value {
        let reply = self.get(uri).await;
        assert_eq!(reply.status, 200, "{uri}: {:?}", reply.body);
        assert_eq!(reply.content_type, "application/json", "{uri}");
        reply.body
    }

    /// Follows `next_cursor` from `uri` to the end, returning every result;
    /// checks that the first page's `total` (asked for) counts them all.
    pub async fn all_pages(&self, uri: &str) -> Vec<Value> {
        let mut results = Vec::new();
        let mut next = self.ok(&format!("{uri}&include_total=true")).await;
        let total = next["total"].as_u64().expect("total") as usize;
        loop {
            results.extend(next["results"].as_array().expect("results").iter().cloned());
            match next["next_cursor"].as_str() {
                Some(cursor) => {
                    assert!(results.len() < total, "a cursor after the last result");
                    let cursor = cursor.to_owned();
                    next = self.ok(&format!("{uri}&cursor={cursor}")).await;
                    assert!(next["total"].is_null(), "total counted without being asked");
                }
                None => {
                    assert_eq!(results.len(), total, "total counts every result of {uri}");
                    return results;
                }
            }
        }
    }
}

/// PUT `body` (a physician as the detail returns it) back to its NPI, as
/// an admin.
pub fn put_request(body: &Value) -> test::TestRequest {
    test::TestRequest::default()
        .method(actix_web::http::Method::PUT)
        .uri(&format!("/v1/admin/physicians/{}", body["npi"].as_str().unwrap()))
        .insert_header(("Authorization", format!("Bearer {ADMIN_TOKEN}")))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body.to_string())
}

/// A 400 problem+json naming `parameter`.
pub fn assert_problem(reply: &Reply, status: u16, parameter: Option<&str>) {
    assert_eq!(reply.status, status, "{:?}", reply.body);
    assert_eq!(reply.content_type, "application/problem+json");
    let body = &reply.body;
    assert_eq!(body["status"], status);
    for field in ["type", "title", "detail"] {
        assert!(body[field].is_string(), "{field} in {body}");
    }
    let errors = body["errors"].as_array().expect("errors array");
    if let Some(parameter) = parameter {
        assert!(
            errors
                .iter()
                .any(|e| e["parameter"] == parameter && e["message"].as_str().is_some_and(|m| !m.is_empty())),
            "expected an error for {parameter}: {body}"
        );
    }
}

/// Deterministic pseudo-random numbers for test inputs.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n
    }
}

/// The directory's tables, parents first.
pub const TABLES: [&str; 6] =
    ["physicians", "locations", "directory_version", "directory_changes", "directory_stamps", "audit_log"];

/// Keeps a copy of every table beside it, as a dump would: what
/// [`restore_backup`] brings back.
pub fn take_backup(conn: &mut physician_locator::db::DbConnection) {
    for table in TABLES {
        diesel::sql_query(format!("CREATE TABLE backup_{table} AS SELECT * FROM {table}"))
            .execute(conn)
            .unwrap();
    }
}

/// Puts `tables` back as [`take_backup`] found them, in one transaction,
/// behind the service's back: with every table, a restore as an operator
/// does it (`pg_restore --clean --single-transaction`, a copied SQLite
/// file); with some, one step of a restore that commits table by table.
pub fn restore_backup(conn: &mut physician_locator::db::DbConnection, tables: &[&str]) {
    conn.transaction(|conn| {
        for table in tables.iter().rev() {
            diesel::sql_query(format!("DELETE FROM {table}")).execute(conn)?;
        }
        for table in tables {
            diesel::sql_query(format!("INSERT INTO {table} SELECT * FROM backup_{table}")).execute(conn)?;
        }
        diesel::QueryResult::Ok(())
    })
    .unwrap();
}
