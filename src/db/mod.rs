//! The directory of record: one connection type over SQLite and PostgreSQL
//! (Diesel `MultiConnection`, backend from the URL scheme) behind a bounded
//! pool, embedded migrations per backend, the queries the service and imports
//! run, and [`Database::write`], the one way anything writes.
//!
//! Diesel is synchronous: callers on the async side run these functions inside
//! `web::block` or on a thread of their own, never on an actix worker.

pub mod models;
pub mod queries;
pub mod schema;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::migration::MigrationSource;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::directory::{Head, Physician};
use crate::domain::Npi;
use crate::error::Error;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The seeded directory, compiled in so the binary runs from any directory.
pub const SEED_CSV: &str = include_str!("../../data/directory.csv");

/// A connection to either backend; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// Where the directory lives, parsed from a `DATABASE_URL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://PATH` (relative to the working directory, or `sqlite:///abs`).
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`, passed to libpq as given.
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, Error> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(Error::Config(format!("database URL {url:?} names no file: use sqlite://PATH")));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        let shown = redact(url);
        Err(Error::Config(format!(
            "unsupported database URL {shown:?}: expected sqlite://PATH or postgres://…"
        )))
    }

    /// The URL for messages, without a password.
    pub fn display(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => redact(url),
        }
    }
}

/// Hides the password part of `scheme://user:password@host`.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The way out when the physician count a version recorded disagrees with
/// the directory, and no restore is under way: rows removed or added by
/// hand (a repair the start asked for, say).
pub const RECOUNT_ADVICE: &str = "If rows were removed or added by hand and no restore is under way, \
     record the count anew: UPDATE directory_stamps SET physicians = (SELECT count(*) FROM physicians) \
     WHERE version = (SELECT version FROM directory_version)";

/// Connections the pool keeps at most unless configured.
pub const DEFAULT_POOL_SIZE: u32 = 8;
/// How long a use waits for a free connection before it fails.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens, checks and recycles the pool's connections.
#[derive(Debug)]
pub struct Connector {
    url: DatabaseUrl,
}

impl r2d2::ManageConnection for Connector {
    type Connection = DbConnection;
    type Error = Error;

    fn connect(&self) -> Result<DbConnection, Error> {
        open(&self.url, Create::No)
    }

    /// Run on every checkout, so a connection that a database restart or a
    /// cut network broke is replaced rather than handed out.
    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Error> {
        // An open SQLite handle keeps reading a file that was moved away;
        // the directory of record is whatever the path names now.
        if let DatabaseUrl::Sqlite(path) = &self.url
            && !path.is_file()
        {
            return Err(Error::Database(format!("database file {} is gone", path.display())));
        }
        conn.batch_execute("SELECT 1").map_err(Error::from)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

/// Handle to the directory of record: a bounded pool of connections, opened
/// as they are needed. Clones share the pool.
#[derive(Clone)]
pub struct Database {
    url: DatabaseUrl,
    pool: r2d2::Pool<Connector>,
    /// Checkouts that found every connection in use and had to wait
    /// (counted when the pool looked full just before: an estimate).
    waits: std::sync::Arc<AtomicU64>,
    /// Writers queue here, before they take a connection: a writer waiting
    /// for the database's write lock would otherwise hold a pooled
    /// connection meanwhile, and a few of them would starve reads, the
    /// watcher and the refresh after each write.
    writer: std::sync::Arc<std::sync::Mutex<()>>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("url", &self.url.display()).finish_non_exhaustive()
    }
}

/// A connection from the pool, returned to it when dropped.
pub type PooledConnection = r2d2::PooledConnection<Connector>;

/// How the pool stands, for `/metrics`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolState {
    pub size: u32,
    pub open: u32,
    pub in_use: u32,
    pub waits: u64,
}

impl Database {
    /// A handle with a pool of at most [`DEFAULT_POOL_SIZE`] connections.
    pub fn new(url: DatabaseUrl) -> Self {
        Self::with_pool_size(url, DEFAULT_POOL_SIZE)
    }

    /// A handle whose pool holds at most `size` connections. Nothing is
    /// opened yet: a bad URL or an unreachable server shows at first use.
    pub fn with_pool_size(url: DatabaseUrl, size: u32) -> Self {
        let pool = r2d2::Pool::builder()
            .max_size(size.max(1))
            .min_idle(Some(0))
            .connection_timeout(CHECKOUT_TIMEOUT)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(Connector { url: url.clone() });
        Database { url, pool, waits: Default::default(), writer: Default::default() }
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// A connection from the pool, waiting up to five seconds for one; the
    /// error says why none could be had (the last connection error).
    pub fn connect(&self) -> Result<PooledConnection, Error> {
        let state = self.pool.state();
        if state.idle_connections == 0 && state.connections >= self.pool.max_size() {
            self.waits.fetch_add(1, Ordering::Relaxed);
        }
        self.pool.get().map_err(|e| Error::Database(e.to_string()))
    }

    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            size: self.pool.max_size(),
            open: state.connections,
            in_use: state.connections - state.idle_connections,
            waits: self.waits.load(Ordering::Relaxed),
        }
    }
}

/// Opens a connection with what every use needs. SQLite: WAL so readers
/// never wait for a writer, a busy timeout so writers queue instead of
/// failing at once, enforced foreign keys.
/// Whether opening a SQLite database may create its file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Create {
    /// Only migrating does: a pooled connection to a file that was moved
    /// away must fail, not start an empty database in its place (which
    /// would also take over, and reset, the moved file's `-wal`).
    Yes,
    No,
}

fn open(url: &DatabaseUrl, create: Create) -> Result<DbConnection, Error> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let unusable = |e: &dyn std::fmt::Display| {
                Error::Database(format!("cannot use database file {}: {e}", path.display()))
            };
            if path.is_dir() {
                return Err(unusable(&"it is a directory"));
            }
            let path_text = path.to_string_lossy();
            let target = match create {
                Create::Yes => path_text.into_owned(),
                // A URI opened read-write without create: SQLite refuses a missing file.
                Create::No => {
                    let escaped = path_text.replace('%', "%25").replace('?', "%3f").replace('#', "%23");
                    // An absolute path after an empty authority: `file:` and a
                    // path starting `//` would name a host.
                    let authority = if escaped.starts_with('/') { "//" } else { "" };
                    format!("file:{authority}{escaped}?mode=rw")
                }
            };
            let mut conn = SqliteConnection::establish(&target).map_err(|e| unusable(&e))?;
            conn.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
            )
            .map_err(|e| unusable(&e))?;
            Ok(DbConnection::Sqlite(conn))
        }
        DatabaseUrl::Postgres(url) => {
            let mut conn = PgConnection::establish(url).map_err(|e| {
                Error::Database(format!("cannot connect to {}: {}", redact(url), one_line(&e.to_string())))
            })?;
            // Diesel caches prepared statements, and a generic plan made while
            // an import's tables were still small (a sequential scan) would be
            // kept as they grow to millions of rows: plan every execution.
            conn.batch_execute("SET plan_cache_mode = force_custom_plan")?;
            Ok(DbConnection::Postgres(conn))
        }
    }
}

impl Database {
    /// Creates or upgrades the schema. Returns the directory version.
    ///
    /// Refuses, touching nothing, a database that holds another application's
    /// tables (a wrong URL must not grow our tables inside someone else's
    /// data) or a schema newer than this binary knows (an older binary must
    /// not serve, or write to, a directory it does not understand).
    pub fn migrate(&self) -> Result<i64, Error> {
        // Its own connection, the one that may create the SQLite file.
        let mut conn = open(&self.url, Create::Yes)?;
        match &mut conn {
            DbConnection::Sqlite(c) => upgrade(
                c,
                SQLITE_MIGRATIONS,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'",
            ),
            DbConnection::Postgres(c) => upgrade(
                c,
                POSTGRES_MIGRATIONS,
                "SELECT table_name::text AS name FROM information_schema.tables \
                 WHERE table_schema = current_schema()",
            ),
        }?;
        Ok(queries::version(&mut conn)?)
    }

    /// Migrates, then loads the fictional seed if the directory has never been
    /// written (what `serve` does on first start). Returns the directory version.
    pub fn prepare(&self) -> Result<i64, Error> {
        let version = self.migrate()?;
        if version > 0 {
            return Ok(version);
        }
        let seed = crate::directory::formats::csv::read(SEED_CSV.as_bytes())
            .map_err(|errors| Error::Internal(format!("the embedded seed is invalid: {}", errors[0])))?;
        let written = self.write("seed", |conn| {
            // Two instances starting on one new database: the second finds it seeded.
            if queries::version(conn)? > 0 {
                return Ok(Outcome::Unchanged(()));
            }
            queries::replace(conn, &seed)?;
            Ok(Outcome::Changed { value: (), action: "seed".into(), npi: None, changed: Vec::new() })
        })?;
        Ok(written.version)
    }

    /// The one way anything writes to the directory: `job` runs in a
    /// transaction that holds the write lock from its start (SQLite's
    /// `BEGIN IMMEDIATE`, so concurrent writers queue within the busy timeout
    /// instead of failing when a read turns into a write). If the job says it
    /// changed something, the change is recorded in the audit log as `actor`'s
    /// and the directory version bumped, listing the physicians it changed,
    /// in the same transaction; if not, or if it fails, nothing is kept.
    pub fn write<T>(
        &self,
        actor: &str,
        job: impl FnOnce(&mut DbConnection) -> Result<Outcome<T>, Error>,
    ) -> Result<Written<T>, Error> {
        let _turn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let mut conn = self.connect()?;
        let outcome = conn.write_transaction(|conn| match job(conn)? {
            Outcome::Changed { value, action, npi, changed } => {
                queries::audit(conn, actor, &action, npi)?;
                let version = queries::commit_version(conn, &changed)?;
                Ok(Written { value, version, changed: true })
            }
            Outcome::Unchanged(value) => {
                let version = queries::version(conn)?;
                Err(Kept::Unchanged(Written { value, version, changed: false }))
            }
        });
        match outcome {
            Ok(written) | Err(Kept::Unchanged(written)) => Ok(written),
            Err(Kept::Failed(e)) => Err(e),
        }
    }

    /// Every physician with their locations, and the head they are at.
    pub fn load(&self) -> Result<(Head, Vec<Physician>), Error> {
        let mut conn = self.connect()?;
        conn.transaction(|conn| {
            queries::read_one_state(conn)?;
            let head = queries::head(conn)?;
            Ok((head, queries::load_all(conn)?))
        })
    }

    /// What a snapshot at `from` needs to reach the directory's current head,
    /// read consistently: the head first, then the changes up to it (rows
    /// read may be newer still; the next update re-applies them).
    ///
    /// Changes are followed only from a version this history made: if the
    /// database went back (a restore), or the snapshot's version was made by
    /// another write than the one this history records (a restore written
    /// past, a copied file, another database), everything is reloaded.
    pub fn update_since(&self, from: &Head) -> Result<Update, Error> {
        let mut conn = self.connect()?;
        conn.transaction(|conn| {
            queries::read_one_state(conn)?;
            let head = queries::head(conn)?;
            if head == *from {
                return Ok(Update::Current);
            }
            let same_history = head.version > from.version
                && queries::recorded(conn, from.version)?.is_some_and(|(stamp, _)| stamp == from.stamp);
            let changes = if same_history {
                queries::changes_between(conn, from.version, head.version)?
            } else {
                queries::Changes::Everything
            };
            Ok(match changes {
                queries::Changes::Everything => Update::Full { head, physicians: queries::load_all(conn)? },
                queries::Changes::Listed(npis) => Update::Partial {
                    head,
                    fresh: queries::load_some(conn, &npis)?,
                    changed: npis.iter().filter_map(|n| Npi::parse(n).ok()).collect(),
                },
            })
        })
    }

    /// The secret this directory's paging cursors are signed with, shared by
    /// every instance that serves it.
    pub fn cursor_key(&self) -> Result<[u8; 32], Error> {
        let secret = queries::cursor_key(&mut *self.connect()?)?;
        secret.try_into().map_err(|s: Vec<u8>| {
            Error::Database(format!("the cursor key is {} bytes long, not 32", s.len()))
        })
    }

    /// The directory version: 0 until the first write.
    pub fn version(&self) -> Result<i64, Error> {
        Ok(queries::version(&mut *self.connect()?)?)
    }

    /// How many physicians the directory holds now (a `count(*)`).
    pub fn physician_count(&self) -> Result<u64, Error> {
        Ok(queries::physician_count(&mut *self.connect()?)?)
    }

    /// The directory's head. Cheap enough to poll.
    pub fn head(&self) -> Result<Head, Error> {
        Ok(queries::head(&mut *self.connect()?)?)
    }
}

/// The PostgreSQL advisory lock every write holds for its transaction
/// (an arbitrary key: "PLOC" in ASCII).
const WRITE_LOCK: i64 = 0x504c_4f43;

/// What a write's job did.
#[derive(Debug)]
pub enum Outcome<T> {
    /// Keep it: audited as `action` (about `npi`, if about one physician),
    /// the version bumped listing the `changed` NPIs (empty: everything may
    /// have changed).
    Changed { value: T, action: String, npi: Option<String>, changed: Vec<String> },
    /// Nothing to keep (nothing differed, a dry run, a refused import): it
    /// is all rolled back.
    Unchanged(T),
}

/// What a write returns: the job's value, and the directory version after it.
#[derive(Debug)]
pub struct Written<T> {
    pub value: T,
    pub version: i64,
    /// Whether it committed a change (and bumped the version).
    pub changed: bool,
}

/// Why a write transaction ended without committing.
enum Kept<T> {
    /// The job changed nothing; its value is returned all the same.
    Unchanged(Written<T>),
    Failed(Error),
}

impl<T, E: Into<Error>> From<E> for Kept<T> {
    fn from(e: E) -> Self {
        Kept::Failed(e.into())
    }
}

impl DbConnection {
    /// Runs `f` in a transaction that takes the directory's write lock at
    /// once, so that writers, of this instance or any other, queue instead of
    /// failing. On SQLite, `BEGIN IMMEDIATE` (a deferred transaction that
    /// reads, then writes, fails at once in WAL mode when another writer went
    /// first). On PostgreSQL, a transaction-scoped advisory lock: row locks
    /// are not enough, since a write deletes a physician and inserts it again,
    /// and a second writer of the same physician would then fail on its key.
    fn write_transaction<T, E: From<diesel::result::Error>>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        let DbConnection::Sqlite(sqlite) = self else {
            return self.transaction(|conn| {
                diesel::sql_query(format!("SELECT pg_advisory_xact_lock({WRITE_LOCK})")).execute(conn)?;
                f(conn)
            });
        };
        AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
        let result = f(self);
        // The transaction state lives in the inner connection, so the
        // `MultiConnection` saw this transaction as its own (nested ones are
        // savepoints); it is ended the same way it began.
        let DbConnection::Sqlite(sqlite) = self else { unreachable!("the connection stays SQLite") };
        match result {
            Ok(value) => AnsiTransactionManager::commit_transaction(sqlite).map(|()| value).map_err(E::from),
            Err(e) => {
                // The job's error is the one to report; a connection whose
                // rollback failed is broken, and the pool drops it.
                if let Err(rollback) = AnsiTransactionManager::rollback_transaction(sqlite) {
                    tracing::warn!("rolling back a failed write: {rollback}");
                }
                Err(e)
            }
        }
    }
}

/// How to bring a snapshot up to date.
#[derive(Debug)]
pub enum Update {
    /// It is.
    Current,
    /// Rebuild from every physician.
    Full { head: Head, physicians: Vec<Physician> },
    /// Replace the `changed` physicians by those of them in `fresh` (the others
    /// were removed).
    Partial { head: Head, changed: Vec<Npi>, fresh: Vec<Physician> },
}

/// A table's name, as the catalogue queries list them.
#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// Where Diesel records the migrations it applied.
const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

/// Checks that `conn` holds an empty database or one of ours at a schema
/// this binary knows (`tables_sql` lists its tables), then applies what is
/// pending.
fn upgrade<C>(conn: &mut C, migrations: EmbeddedMigrations, tables_sql: &str) -> Result<(), Error>
where
    C: Connection + MigrationHarness<C::Backend>,
    EmbeddedMigrations: MigrationSource<C::Backend>,
    for<'a> diesel::query_builder::SqlQuery: diesel::query_dsl::LoadQuery<'a, C, TableName>,
{
    let failed = |e: &dyn std::fmt::Display| {
        Error::Config(format!("cannot migrate the database: {}", one_line(&e.to_string())))
    };
    let tables: Vec<String> =
        diesel::sql_query(tables_sql).load::<TableName>(conn)?.into_iter().map(|t| t.name).collect();
    if !tables.is_empty() && !tables.iter().any(|t| t == MIGRATIONS_TABLE) {
        return Err(Error::Config(format!(
            "the database holds other tables ({}) and none of physician-locator's: \
             not a directory database; left untouched",
            tables.join(", ")
        )));
    }
    if !tables.is_empty() {
        let known: Vec<String> = MigrationSource::<C::Backend>::migrations(&migrations)
            .map_err(|e| failed(&e))?
            .iter()
            .map(|m| m.name().version().to_string())
            .collect();
        let applied = conn.applied_migrations().map_err(|e| failed(&e))?;
        if let Some(newer) = applied.iter().map(ToString::to_string).find(|v| !known.contains(v)) {
            return Err(Error::Config(format!(
                "the database schema is newer than this binary knows (migration {newer}): \
                 run a newer physician-locator; left untouched"
            )));
        }
    }
    conn.run_pending_migrations(migrations).map(drop).map_err(|e| failed(&e))
}

/// Error texts from libpq span lines; a CLI error is one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend_and_hide_passwords() {
        assert_eq!(DatabaseUrl::parse("sqlite://a.db").unwrap(), DatabaseUrl::Sqlite("a.db".into()));
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/a.db").unwrap(),
            DatabaseUrl::Sqlite("/tmp/a.db".into())
        );
        let pg = DatabaseUrl::parse("postgres://me:secret@db:5432/locator").unwrap();
        assert_eq!(pg.display(), "postgres://me:***@db:5432/locator");
        let Err(Error::Config(message)) = DatabaseUrl::parse("mysql://me:secret@db/x") else { panic!() };
        assert!(!message.contains("secret"), "{message}");
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }
}
