//! The directory of record: one connection type over SQLite and PostgreSQL
//! (Diesel `MultiConnection`, backend from the URL scheme), embedded migrations
//! per backend, and the queries the service and imports run.
//!
//! Diesel is synchronous: callers on the async side run these functions inside
//! `web::block` or on a thread of their own, never on an actix worker.

pub mod models;
pub mod queries;
pub mod schema;

use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::directory::Physician;
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

/// Handle to the directory of record; opens a connection per use.
#[derive(Clone, Debug)]
pub struct Database {
    url: DatabaseUrl,
}

impl Database {
    pub fn new(url: DatabaseUrl) -> Self {
        Database { url }
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Opens a connection. SQLite gets what every use needs: WAL so readers
    /// never wait for a writer, a busy timeout instead of instant lock errors,
    /// and enforced foreign keys.
    pub fn connect(&self) -> Result<DbConnection, Error> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                let unusable = |e: &dyn std::fmt::Display| {
                    Error::Database(format!("cannot use database file {}: {e}", path.display()))
                };
                if path.is_dir() {
                    return Err(unusable(&"it is a directory"));
                }
                let mut conn =
                    SqliteConnection::establish(&path.to_string_lossy()).map_err(|e| unusable(&e))?;
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                )
                .map_err(|e| unusable(&e))?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(url).map_err(|e| {
                    Error::Database(format!(
                        "cannot connect to {}: {}",
                        redact(url),
                        one_line(&e.to_string())
                    ))
                })?;
                // Diesel caches prepared statements, and a generic plan made while
                // an import's tables were still small (a sequential scan) would be
                // kept as they grow to millions of rows: plan every execution.
                conn.batch_execute("SET plan_cache_mode = force_custom_plan")?;
                Ok(DbConnection::Postgres(conn))
            }
        }
    }

    /// Creates or upgrades the schema. Returns the directory version.
    ///
    /// Refuses, touching nothing, a database that holds another application's
    /// tables (a wrong URL must not grow our tables inside someone else's
    /// data) or a schema newer than this binary knows (an older binary must
    /// not serve, or write to, a directory it does not understand).
    pub fn migrate(&self) -> Result<i64, Error> {
        let mut conn = self.connect()?;
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
        self.connect()?.transaction::<_, Error, _>(|conn| {
            queries::replace(conn, &seed)?;
            queries::audit(conn, "seed", "seed", None)?;
            Ok(queries::commit_version(conn, &[])?)
        })
    }

    /// Every physician with their locations, and the version they are at.
    pub fn load(&self) -> Result<(i64, Vec<Physician>), Error> {
        let mut conn = self.connect()?;
        conn.transaction(|conn| {
            queries::read_one_state(conn)?;
            let version = queries::version(conn)?;
            Ok((version, queries::load_all(conn)?))
        })
    }

    /// What a snapshot at version `after` needs to reach the directory's
    /// current version, read consistently: the version first, then the changes
    /// up to it (rows read may be newer still; the next update re-applies them).
    pub fn update_since(&self, after: i64) -> Result<Update, Error> {
        let mut conn = self.connect()?;
        conn.transaction(|conn| {
            queries::read_one_state(conn)?;
            let version = queries::version(conn)?;
            if version == after {
                return Ok(Update::Current);
            }
            let changes = if version < after {
                // The database went back (a restore): start again from it.
                queries::Changes::Everything
            } else {
                queries::changes_between(conn, after, version)?
            };
            Ok(match changes {
                queries::Changes::Everything => {
                    Update::Full { version, physicians: queries::load_all(conn)? }
                }
                queries::Changes::Listed(npis) => Update::Partial {
                    version,
                    fresh: queries::load_some(conn, &npis)?,
                    changed: npis.iter().filter_map(|n| Npi::parse(n).ok()).collect(),
                },
            })
        })
    }

    /// The directory version: 0 until the first write. Cheap enough to poll.
    pub fn version(&self) -> Result<i64, Error> {
        Ok(queries::version(&mut self.connect()?)?)
    }
}

/// How to bring a snapshot up to date.
#[derive(Debug)]
pub enum Update {
    /// It is.
    Current,
    /// Rebuild from every physician.
    Full { version: i64, physicians: Vec<Physician> },
    /// Replace the `changed` physicians by those of them in `fresh` (the others
    /// were removed).
    Partial { version: i64, changed: Vec<Npi>, fresh: Vec<Physician> },
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
