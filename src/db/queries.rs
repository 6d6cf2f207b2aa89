//! The queries, written once for both backends.
//!
//! Writes replace whole physicians (delete, then insert) rather than using
//! `ON CONFLICT`, which a `MultiConnection` cannot express; inside one
//! transaction the effect is the same upsert by NPI.

use diesel::prelude::*;

use super::DbConnection;
use super::models::{LocationRow, NewAuditEntry, PhysicianRow};
use super::schema::{
    audit_log, cursor_key, directory_changes, directory_stamps, directory_version, locations, physicians,
};
use crate::directory::{Head, Physician};
use crate::error::Error;

/// Rows per statement: well under SQLite's 32,766 and PostgreSQL's 65,535 bind
/// parameters for the widest table.
pub const CHUNK: usize = 1_000;

pub fn version(conn: &mut DbConnection) -> QueryResult<i64> {
    directory_version::table.select(directory_version::version).first(conn)
}

/// The directory's version, the stamp of the write that made it, and the
/// number of physicians that write recorded.
pub fn head(conn: &mut DbConnection) -> QueryResult<Head> {
    let (version, stamp) = directory_version::table
        .select((directory_version::version, directory_version::stamp))
        .first(conn)?;
    let physicians = recorded(conn, version)?.and_then(|(_, physicians)| physicians);
    Ok(Head { version, stamp, physicians })
}

/// How many physicians the directory holds now.
pub fn physician_count(conn: &mut DbConnection) -> QueryResult<u64> {
    let counted: i64 = physicians::table.count().get_result(conn)?;
    Ok(counted.unsigned_abs())
}

/// What the commit of `version` recorded, if the history has it: its stamp,
/// and how many physicians the directory then held (unknown for versions
/// before the count was kept).
pub fn recorded(conn: &mut DbConnection, version: i64) -> QueryResult<Option<(String, Option<u64>)>> {
    let row: Option<(String, Option<i64>)> = directory_stamps::table
        .filter(directory_stamps::version.eq(version))
        .select((directory_stamps::stamp, directory_stamps::physicians))
        .first(conn)
        .optional()?;
    Ok(row.map(|(stamp, physicians)| (stamp, physicians.and_then(|n| u64::try_from(n).ok()))))
}

/// 128 random bits, in hex: a write's stamp. Drawn from the operating
/// system, so no two databases, nor two histories of one, share one.
fn new_stamp() -> Result<String, Error> {
    let mut bits = [0u8; 16];
    getrandom::fill(&mut bits)
        .map_err(|e| Error::Internal(format!("no randomness for a version stamp: {e}")))?;
    Ok(bits.iter().map(|b| format!("{b:02x}")).collect())
}

/// The secret paging cursors are signed with (made by the migration that
/// created its table).
pub fn cursor_key(conn: &mut DbConnection) -> QueryResult<Vec<u8>> {
    cursor_key::table.select(cursor_key::secret).first(conn)
}

/// Above this many changed physicians a version is recorded as "reload
/// everything": listing them would cost more than the reload saves.
const MAX_LISTED_CHANGES: usize = 50_000;
/// The `directory_changes` entry that means every physician may have changed.
const EVERYTHING: &str = "*";

/// Ends a write: bumps the directory version under a new stamp, records
/// how many physicians the directory now holds and which it changed (every
/// write does all of it, in its transaction). Returns the new version.
///
/// The count is a `count(*)`, a scan of the physicians' key (4 to 8 ms
/// on PostgreSQL at 60,000; it grows with the directory): what lets an
/// instance tell a directory restored table by table from a whole one.
pub fn commit_version(conn: &mut DbConnection, changed: &[String]) -> Result<i64, Error> {
    let stamp = new_stamp()?;
    let physicians = physician_count(conn)?;
    // A write that changes these physicians moves the count by at most as
    // many: more, and the directory was not what its version recorded when
    // the write began (a restore committing table by table, rows changed
    // outside the service). Recording this count would make a half
    // directory look whole.
    let previous = version(conn)?;
    if let Some(before) = recorded(conn, previous)?.and_then(|(_, physicians)| physicians)
        && !changed.is_empty()
        && physicians.abs_diff(before) > changed.len() as u64
    {
        return Err(Error::Degraded(format!(
            "the directory of record holds {physicians} physicians where version {previous} recorded \
             {before}, more than this write's {} changes explain: a restore under way, or rows changed \
             outside the service; nothing was written. {}",
            changed.len(),
            super::RECOUNT_ADVICE
        )));
    }
    diesel::update(directory_version::table)
        .set((
            directory_version::version.eq(directory_version::version + 1),
            directory_version::updated_at.eq(crate::clock::now_rfc3339()),
            directory_version::stamp.eq(&stamp),
        ))
        .execute(conn)?;
    let version = version(conn)?;
    // A history restored apart from the version row may hold this number
    // already, made by another write: that stamp is no longer the truth.
    diesel::delete(directory_stamps::table.filter(directory_stamps::version.ge(version))).execute(conn)?;
    diesel::insert_into(directory_stamps::table)
        .values((
            directory_stamps::version.eq(version),
            directory_stamps::stamp.eq(&stamp),
            directory_stamps::physicians.eq(i64::try_from(physicians).expect("fewer than 2^63 physicians")),
        ))
        .execute(conn)?;
    let everything = [EVERYTHING.to_owned()];
    let listed = if changed.len() > MAX_LISTED_CHANGES { &everything[..] } else { changed };
    for chunk in listed.chunks(CHUNK) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|npi| (directory_changes::version.eq(version), directory_changes::npi.eq(npi)))
            .collect();
        match conn {
            DbConnection::Sqlite(c) => {
                diesel::insert_into(directory_changes::table).values(&rows).execute(c)?
            }
            DbConnection::Postgres(c) => {
                diesel::insert_into(directory_changes::table).values(&rows).execute(c)?
            }
        };
    }
    Ok(version)
}

/// What changed after one version, up to another.
#[derive(Debug, PartialEq, Eq)]
pub enum Changes {
    /// These NPIs (added, replaced or removed).
    Listed(Vec<String>),
    /// Too many to list, or history not kept: reload everything.
    Everything,
}

/// The physicians changed by versions in `(after, upto]`.
pub fn changes_between(conn: &mut DbConnection, after: i64, upto: i64) -> QueryResult<Changes> {
    let npis: Vec<String> = directory_changes::table
        .filter(directory_changes::version.gt(after).and(directory_changes::version.le(upto)))
        .select(directory_changes::npi)
        .distinct()
        .load(conn)?;
    if after == 0 || npis.iter().any(|n| n == EVERYTHING) {
        Ok(Changes::Everything)
    } else {
        Ok(Changes::Listed(npis))
    }
}

pub fn audit(conn: &mut DbConnection, actor: &str, action: &str, npi: Option<String>) -> QueryResult<()> {
    let entry = NewAuditEntry { at: crate::clock::now_rfc3339(), actor, action, npi };
    diesel::insert_into(audit_log::table).values(&entry).execute(conn).map(drop)
}

/// Assembles physicians from their rows (locations in NPI, ordinal order)
/// into `into`; each physician whose rows fail the directory's check adds a
/// line to `invalid` instead.
fn assemble(
    rows: Vec<PhysicianRow>,
    locations: Vec<LocationRow>,
    into: &mut Vec<Physician>,
    invalid: &mut Invalid,
) {
    let mut locations = locations.into_iter().peekable();
    for row in rows {
        let mut own = Vec::new();
        while let Some(l) = locations.next_if(|l| l.npi <= row.npi) {
            if l.npi == row.npi {
                own.push(l);
            }
        }
        let npi = row.npi.clone();
        match Physician::check(row.input(own)) {
            Ok(physician) => into.push(physician),
            Err(e) => invalid.add(format!("physician {npi}: {}: {}", e.field, e.message)),
        }
    }
}

/// The physicians a load found invalid in the database: every one counted,
/// the first few named, so that an operator repairing rows written by an
/// older version (or behind the service's back) sees them all at once.
#[derive(Default)]
struct Invalid {
    count: usize,
    named: Vec<String>,
}

impl Invalid {
    const NAMED: usize = 10;

    fn add(&mut self, what: String) {
        self.count += 1;
        if self.named.len() < Self::NAMED {
            self.named.push(what);
        }
    }

    /// `loaded`, if nothing was invalid.
    fn or(self, loaded: Vec<Physician>) -> Result<Vec<Physician>, Error> {
        if self.count == 0 {
            return Ok(loaded);
        }
        let more = self.count - self.named.len();
        let more = if more > 0 { format!("; and {more} more") } else { String::new() };
        Err(Error::Database(format!(
            "{} physicians are invalid in the database: {}{more}",
            self.count,
            self.named.join("; ")
        )))
    }
}

/// Every physician, by NPI.
///
/// Read in NPI order, `LOAD_CHUNK` physicians at a time, so that only one
/// chunk's rows are in memory beside the result: a million physicians' rows
/// at once would double the peak. Call inside a transaction that sees one
/// state throughout ([`read_one_state`]).
pub fn load_all(conn: &mut DbConnection) -> Result<Vec<Physician>, Error> {
    const LOAD_CHUNK: i64 = 20_000;
    let mut all = Vec::new();
    let mut invalid = Invalid::default();
    let mut after = String::new();
    loop {
        let rows = physicians::table
            .filter(physicians::npi.gt(&after))
            .order(physicians::npi)
            .limit(LOAD_CHUNK)
            .select(PhysicianRow::as_select())
            .load(conn)?;
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return invalid.or(all);
        };
        let locations = locations::table
            .filter(locations::npi.between(&first.npi, &last.npi))
            .order((locations::npi, locations::ordinal))
            .select(LocationRow::as_select())
            .load(conn)?;
        after = last.npi.clone();
        assemble(rows, locations, &mut all, &mut invalid);
    }
}

/// Makes the current transaction read one state of the database throughout.
/// SQLite's transactions already do; PostgreSQL's default (read committed)
/// lets each statement see newer commits.
pub fn read_one_state(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(_) => Ok(()),
        DbConnection::Postgres(_) => {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(conn).map(drop)
        }
    }
}

/// The physicians among `npis` that exist, by NPI.
pub fn load_some(conn: &mut DbConnection, npis: &[String]) -> Result<Vec<Physician>, Error> {
    let mut sorted = npis.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut physicians = Vec::new();
    let mut invalid = Invalid::default();
    for chunk in sorted.chunks(CHUNK) {
        let rows = physicians::table
            .filter(physicians::npi.eq_any(chunk))
            .order(physicians::npi)
            .select(PhysicianRow::as_select())
            .load(conn)?;
        let locations = locations::table
            .filter(locations::npi.eq_any(chunk))
            .order((locations::npi, locations::ordinal))
            .select(LocationRow::as_select())
            .load(conn)?;
        assemble(rows, locations, &mut physicians, &mut invalid);
    }
    invalid.or(physicians)
}

/// Every NPI in the directory.
pub fn all_npis(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    physicians::table.select(physicians::npi).order(physicians::npi).load(conn)
}

/// Deletes physicians (and their locations); returns how many existed.
pub fn delete(conn: &mut DbConnection, npis: &[String]) -> QueryResult<usize> {
    let mut deleted = 0;
    for chunk in npis.chunks(CHUNK) {
        diesel::delete(locations::table.filter(locations::npi.eq_any(chunk))).execute(conn)?;
        deleted += diesel::delete(physicians::table.filter(physicians::npi.eq_any(chunk))).execute(conn)?;
    }
    Ok(deleted)
}

macro_rules! insert_rows_for {
    ($name:ident, $connection:ty) => {
        fn $name(
            conn: &mut $connection,
            rows: &[PhysicianRow],
            locations: &[LocationRow],
        ) -> QueryResult<()> {
            diesel::insert_into(physicians::table).values(rows).execute(conn)?;
            for part in locations.chunks(CHUNK) {
                diesel::insert_into(locations::table).values(part).execute(conn)?;
            }
            Ok(())
        }
    };
}

insert_rows_for!(insert_rows_sqlite, diesel::sqlite::SqliteConnection);
insert_rows_for!(insert_rows_postgres, diesel::pg::PgConnection);

/// Inserts or replaces physicians by NPI with all their locations. Call it
/// inside a transaction: it deletes before it inserts.
pub fn replace(conn: &mut DbConnection, physicians: &[Physician]) -> QueryResult<()> {
    let npis: Vec<String> = physicians.iter().map(|p| p.npi.to_string()).collect();
    delete(conn, &npis)?;
    insert(conn, physicians)
}

/// Inserts physicians known not to be in the directory.
pub fn insert(conn: &mut DbConnection, physicians: &[Physician]) -> QueryResult<()> {
    for chunk in physicians.chunks(CHUNK / 4) {
        let (rows, locations): (Vec<PhysicianRow>, Vec<Vec<LocationRow>>) =
            chunk.iter().map(PhysicianRow::store).unzip();
        let locations: Vec<LocationRow> = locations.into_iter().flatten().collect();
        // Multi-row INSERT is the one statement `MultiConnection` cannot express
        // for SQLite, so it is spelled out per backend (the same code twice).
        match conn {
            DbConnection::Sqlite(c) => insert_rows_sqlite(c, &rows, &locations)?,
            DbConnection::Postgres(c) => insert_rows_postgres(c, &rows, &locations)?,
        }
    }
    Ok(())
}

/// Refreshes the PostgreSQL planner's statistics. Without any, it assumes a
/// fixed selectivity per `= ANY(...)` element, so a batch of 250 NPIs looks
/// like the whole table and every batch of an import into a new database would
/// scan it. One `ANALYZE` after the first batch (inside the transaction, which
/// it sees) fixes the estimate for the rest. SQLite needs nothing.
pub fn refresh_statistics(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Postgres(c) = conn {
        diesel::sql_query("ANALYZE physicians, locations").execute(c)?;
    }
    Ok(())
}
