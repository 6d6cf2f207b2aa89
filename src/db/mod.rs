//! The directory of record: connection, embedded migrations, reads and the
//! idempotent seed upsert.
//!
//! Diesel is synchronous: callers on the async side run these functions inside
//! `web::block` (or before the server starts), never on an actix worker.

pub mod models;
pub mod schema;

use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use self::models::{LocationRow, PhysicianRow};
use crate::directory::Physician;
use crate::error::Error;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The seeded directory, compiled in so the binary runs from any directory.
pub const SEED_CSV: &str = include_str!("../../data/directory.csv");

/// Where the directory lives, parsed from a `DATABASE_URL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://PATH` (relative to the working directory, or `sqlite:///abs`).
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, Error> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(Error::Config(format!("database URL {url:?} names no file: use sqlite://PATH")));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        let scheme = url.split_once("://").map_or("", |(s, _)| s);
        let hint = if matches!(scheme, "postgres" | "postgresql") {
            "PostgreSQL is not supported by this build yet"
        } else {
            "expected sqlite://PATH"
        };
        Err(Error::Config(format!("unsupported database URL {url:?}: {hint}")))
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

    /// Opens a connection with the settings every use needs: WAL so readers
    /// never wait for a writer, a busy timeout instead of instant lock errors,
    /// and enforced foreign keys.
    pub fn connect(&self) -> Result<SqliteConnection, Error> {
        let DatabaseUrl::Sqlite(path) = &self.url;
        let unusable = |e: &dyn std::fmt::Display| {
            Error::Config(format!("cannot use database file {}: {e}", path.display()))
        };
        if path.is_dir() {
            return Err(unusable(&"it is a directory"));
        }
        let mut conn = SqliteConnection::establish(&path.to_string_lossy()).map_err(|e| unusable(&e))?;
        conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .map_err(|e| unusable(&e))?;
        Ok(conn)
    }

    /// Creates or upgrades the schema, then loads the seed if the directory has
    /// never been written. Returns the directory version.
    pub fn prepare(&self) -> Result<i64, Error> {
        let mut conn = self.connect()?;
        conn.run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| Error::Config(format!("cannot migrate the database: {e}")))?;
        let version = current_version(&mut conn)?;
        if version > 0 {
            return Ok(version);
        }
        let seed = crate::directory::csv::read(SEED_CSV.as_bytes())
            .map_err(|errors| Error::Internal(format!("the embedded seed is invalid: {}", errors[0])))?;
        upsert(&mut conn, &seed)
    }

    /// Every physician with their locations.
    pub fn load(&self) -> Result<(i64, Vec<Physician>), Error> {
        let mut conn = self.connect()?;
        conn.transaction(|conn| {
            let version = current_version(conn)?;
            let rows: Vec<PhysicianRow> = schema::physicians::table
                .order(schema::physicians::npi)
                .select(PhysicianRow::as_select())
                .load(conn)?;
            let locations: Vec<LocationRow> = schema::locations::table
                .order((schema::locations::npi, schema::locations::ordinal))
                .select(LocationRow::as_select())
                .load(conn)?;
            let mut locations = locations.into_iter().peekable();
            let physicians = rows
                .iter()
                .map(|row| {
                    let mut own = Vec::new();
                    while let Some(l) = locations.next_if(|l| l.npi == row.npi) {
                        own.push(l);
                    }
                    Physician::from_rows(row, &own).map_err(|e| {
                        Error::Database(format!(
                            "physician {} is invalid in the database: {}: {}",
                            row.npi, e.field, e.message
                        ))
                    })
                })
                .collect::<Result<Vec<_>, Error>>()?;
            Ok((version, physicians))
        })
    }

    /// The directory version: 0 until the first write.
    pub fn version(&self) -> Result<i64, Error> {
        current_version(&mut self.connect()?)
    }
}

fn current_version(conn: &mut SqliteConnection) -> Result<i64, Error> {
    use schema::directory_version::dsl;
    Ok(dsl::directory_version.select(dsl::version).first(conn)?)
}

/// Inserts or replaces physicians (and all their locations) by NPI in one
/// transaction and bumps the directory version. Running it twice with the same
/// input leaves the same directory.
pub fn upsert(conn: &mut SqliteConnection, physicians: &[Physician]) -> Result<i64, Error> {
    use schema::{directory_version, locations, physicians as ph};
    conn.transaction(|conn| {
        for physician in physicians {
            let (row, rows) = physician.to_rows();
            diesel::insert_into(ph::table)
                .values(&row)
                .on_conflict(ph::npi)
                .do_update()
                .set(&row)
                .execute(conn)?;
            diesel::delete(locations::table.filter(locations::npi.eq(&row.npi))).execute(conn)?;
            diesel::insert_into(locations::table).values(&rows).execute(conn)?;
        }
        let now = crate::clock::now_rfc3339();
        diesel::update(directory_version::table)
            .set((
                directory_version::version.eq(directory_version::version + 1),
                directory_version::updated_at.eq(now),
            ))
            .execute(conn)?;
        current_version(conn)
    })
}
