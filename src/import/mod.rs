//! Imports: a file in the CSV, NDJSON or NPPES layout applied to the directory
//! of record as one transaction.
//!
//! Every row is checked first by the same code that checks every other path
//! into the directory. If any row is bad, nothing is applied unless
//! `skip_invalid` says to apply the good ones. `dry_run` performs the whole
//! import inside the transaction and rolls it back, so its report is exactly
//! what a real run would do. Physicians are replaced by NPI; `prune` also
//! removes those the file does not mention at all. A physician whose row is
//! invalid is mentioned all the same, so a row whose NPI cannot be read could
//! be anyone's: with `prune`, such a file is refused whole. And a prune may
//! remove at most a set share of the directory (`max_prune_percent`, 10 by
//! default) unless forced: one wrong file (a sample, the first page of an
//! export) would otherwise empty it.

pub mod progress;

use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Read};

use serde::Serialize;
use utoipa::ToSchema;

use self::progress::Progress;
use crate::db::{DbConnection, Outcome, Written, queries};
use crate::directory::Physician;
use crate::directory::formats::csv::CsvSource;
use crate::directory::formats::nppes::NppesSource;
use crate::directory::formats::{Item, RowError, ndjson};
use crate::domain::Npi;
use crate::error::Error;

/// Physicians compared and written per round trip.
const BATCH: usize = 250;
/// Row errors listed in a report; the count covers them all.
pub const MAX_LISTED_ERRORS: usize = 1_000;

/// The layout of an import file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The project's CSV layout (`data/README.md`).
    Csv,
    /// One physician per line, as `GET /v1/physicians/{npi}` returns them.
    Ndjson,
    /// The NPPES monthly dissemination CSV.
    Nppes,
}

impl Format {
    /// Guesses from a file name: `.ndjson`/`.jsonl` are NDJSON, NPPES files are
    /// named `npidata_pfile_*`, anything else is the project's CSV.
    pub fn from_path(path: &std::path::Path) -> Self {
        let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
        if name.ends_with(".ndjson") || name.ends_with(".jsonl") {
            Format::Ndjson
        } else if name.starts_with("npidata") {
            Format::Nppes
        } else {
            Format::Csv
        }
    }
}

/// The share of the directory a prune may remove unless told otherwise, in
/// percent.
pub const DEFAULT_MAX_PRUNE_PERCENT: u8 = 10;

/// How to apply an import.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Report what would change; write nothing.
    pub dry_run: bool,
    /// Also remove physicians the file does not mention, valid rows or not;
    /// a row whose NPI cannot be read refuses the import.
    pub prune: bool,
    /// Apply the valid rows even if some are invalid.
    pub skip_invalid: bool,
    /// The most a prune may remove, in percent of the physicians the
    /// directory held before; more refuses the import. `None` (forced): no
    /// limit.
    pub max_prune_percent: Option<u8>,
}

impl Default for Options {
    /// No dry run, no prune, no invalid row skipped, and the default limit
    /// on a prune, which a caller must lift on purpose.
    fn default() -> Self {
        Options {
            dry_run: false,
            prune: false,
            skip_invalid: false,
            max_prune_percent: Some(DEFAULT_MAX_PRUNE_PERCENT),
        }
    }
}

/// A prune refused for its size: how much it would remove, and the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct PruneOverLimit {
    /// Physicians the prune would remove.
    #[schema(example = 59_999)]
    pub would_remove: usize,
    /// Physicians in the directory before the import.
    #[schema(example = 60_000)]
    pub directory: usize,
    /// The most a prune may remove, in percent of the directory.
    #[schema(example = 10)]
    pub max_percent: u8,
}

impl std::fmt::Display for PruneOverLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "would remove {} of the directory's {} physicians, more than the limit of {}%",
            self.would_remove, self.directory, self.max_percent
        )
    }
}

/// A rejected row, as reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowProblem {
    /// Line in the file (the header is line 1).
    #[schema(example = 42)]
    pub line: u64,
    /// The column or field at fault.
    #[schema(example = "npi")]
    pub field: String,
    #[schema(example = "the NPI check digit is wrong")]
    pub message: String,
}

/// What an import did, or with `dry_run`, would do.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportReport {
    /// Whether the changes were committed.
    pub applied: bool,
    /// Whether the file was refused: invalid rows (without `skip_invalid`),
    /// no valid physician at all, or with `prune`, a row whose NPI cannot be
    /// read or removals over the limit. Nothing was, or in a dry run would
    /// be, applied.
    pub refused: bool,
    /// With `prune`, when it was refused for removing more of the directory
    /// than the limit allows (nothing was removed): how much, and the limit.
    pub prune_over_limit: Option<PruneOverLimit>,
    pub dry_run: bool,
    /// Valid physicians read from the file.
    pub physicians: usize,
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// Rows rejected.
    pub invalid: usize,
    /// Rows left out on purpose (NPPES: organisations and other specialties).
    pub skipped: usize,
    /// The first rejected rows (at most 1,000), by line; and if a prune was
    /// refused, the line whose NPI could not be read.
    pub errors: Vec<RowProblem>,
    /// The directory version afterwards.
    #[schema(example = 7)]
    pub version: i64,
}

impl ImportReport {
    fn reject(&mut self, error: RowError) {
        self.invalid += 1;
        if self.errors.len() < MAX_LISTED_ERRORS {
            let message = brief(error.message);
            self.errors.push(RowProblem { line: error.line, field: brief(error.field), message });
        }
    }

    /// Says why a prune is refused: the row on `line` names no NPI for sure.
    /// The row was rejected already; this is not another invalid row.
    fn refuse_prune(&mut self, line: u64) {
        let message = "prune needs every row's NPI, and this row's cannot be read: nothing was applied";
        self.errors.push(RowProblem { line, field: "npi".into(), message: message.into() });
    }

    fn changes(&self) -> usize {
        self.added + self.updated + self.removed
    }
}

/// The longest error text reported: messages quote the offending value, and
/// a file's value may be megabytes long.
const MAX_MESSAGE_CHARS: usize = 300;

/// `text`, cut to [`MAX_MESSAGE_CHARS`] with an ellipsis.
fn brief(text: String) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

/// The NPI a rejected row names for sure: its text, trimmed, is a valid NPI.
/// Any other text could be a mistyped NPI of a physician in the directory.
fn named_npi(error: &RowError) -> Option<String> {
    let npi = Npi::parse(error.npi.as_deref()?.trim()).ok()?;
    Some(npi.to_string())
}

/// Reads `input` in `format` and applies it: a job for a directory write
/// ([`crate::db::Database::write`]), which audits it and bumps the version
/// if it changed anything, and keeps nothing if not (a dry run, a refused
/// file). Pass the write's outcome to [`report`].
pub fn import<R: Read>(
    conn: &mut DbConnection,
    input: R,
    format: Format,
    options: Options,
    progress: &mut Progress,
) -> Result<Outcome<ImportReport>, Error> {
    match format {
        Format::Csv => apply(conn, CsvSource::new(input), options, progress),
        Format::Ndjson => apply(conn, ndjson::source(BufReader::new(input)), options, progress),
        Format::Nppes => {
            let mut source = NppesSource::new(input);
            let items: &mut dyn Iterator<Item = Item> = &mut source;
            let mut outcome = apply(conn, items, options, progress)?;
            let (Outcome::Changed { value: report, .. } | Outcome::Unchanged(report)) = &mut outcome;
            report.skipped = source.skipped;
            Ok(outcome)
        }
    }
}

/// The report of an import once written: at the directory's version after it.
pub fn report(written: Written<ImportReport>) -> ImportReport {
    ImportReport { version: written.version, ..written.value }
}

/// Applies a stream of checked physicians (a write's job, see [`import`]).
pub fn apply(
    conn: &mut DbConnection,
    items: impl Iterator<Item = Item>,
    options: Options,
    progress: &mut Progress,
) -> Result<Outcome<ImportReport>, Error> {
    let mut report = ImportReport { dry_run: options.dry_run, ..ImportReport::default() };
    // NPIs met in the file, valid or not: with prune, an invalid row must not
    // remove its physician; nor may a row whose NPI cannot be read.
    let mut mentioned: HashSet<String> = HashSet::new();
    let mut unreadable: Option<u64> = None;
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut batch: Vec<Physician> = Vec::with_capacity(BATCH);
    let mut changed: Vec<String> = Vec::new();
    for item in items {
        match item {
            Ok(record) => {
                let npi = record.physician.npi.to_string();
                if let Some(first) = first_line.get(&npi) {
                    let message = format!("NPI already given at line {first}");
                    report.reject(RowError {
                        line: record.line,
                        field: "npi".into(),
                        message,
                        npi: Some(npi),
                    });
                    continue;
                }
                first_line.insert(npi.clone(), record.line);
                mentioned.insert(npi);
                batch.push(record.physician);
                if batch.len() == BATCH {
                    write_batch(conn, &mut batch, &mut report, &mut changed)?;
                    if report.physicians == BATCH {
                        queries::refresh_statistics(conn)?;
                    }
                }
            }
            Err(error) => {
                if let Some(npi) = named_npi(&error) {
                    mentioned.insert(npi);
                } else {
                    unreadable.get_or_insert(error.line);
                }
                report.reject(error);
            }
        }
        progress.update(report.physicians + report.invalid);
    }
    write_batch(conn, &mut batch, &mut report, &mut changed)?;
    progress.finish();
    // A file with no valid physician is a mistake (an empty body, the
    // wrong file), never an instruction: with prune it would remove
    // every physician.
    if report.physicians == 0 && report.invalid == 0 {
        report.reject(RowError {
            line: 1,
            field: "file".into(),
            message: "holds no physician: nothing to import".into(),
            npi: None,
        });
    }
    let mut rejected = report.physicians == 0 || (report.invalid > 0 && !options.skip_invalid);
    if options.prune
        && !rejected
        && let Some(line) = unreadable
    {
        report.refuse_prune(line);
        rejected = true;
    }
    report.refused = rejected;
    if options.prune && !rejected {
        let all = queries::all_npis(conn)?;
        // The physicians added by this import are in it already.
        let directory = all.len() - report.added;
        let absent: Vec<String> = all.into_iter().filter(|npi| !mentioned.contains(npi)).collect();
        match options.max_prune_percent {
            Some(max_percent) if absent.len() * 100 > directory * usize::from(max_percent) => {
                let over = PruneOverLimit { would_remove: absent.len(), directory, max_percent };
                report.prune_over_limit = Some(over);
                report.refused = true;
                rejected = true;
            }
            _ => {
                report.removed = queries::delete(conn, &absent)?;
                changed.extend(absent);
            }
        }
    }
    if rejected || options.dry_run {
        return Ok(Outcome::Unchanged(report));
    }
    report.applied = true;
    if report.changes() == 0 {
        return Ok(Outcome::Unchanged(report));
    }
    let action =
        format!("import: {} added, {} updated, {} removed", report.added, report.updated, report.removed);
    Ok(Outcome::Changed { value: report, action, npi: None, changed })
}

/// Compares a batch with what the directory holds and writes what differs.
fn write_batch(
    conn: &mut DbConnection,
    batch: &mut Vec<Physician>,
    report: &mut ImportReport,
    changed_npis: &mut Vec<String>,
) -> Result<(), Error> {
    if batch.is_empty() {
        return Ok(());
    }
    let npis: Vec<String> = batch.iter().map(|p| p.npi.to_string()).collect();
    let existing: HashMap<_, Physician> =
        queries::load_some(conn, &npis)?.into_iter().map(|p| (p.npi, p)).collect();
    let (mut added, mut updated) = (Vec::new(), Vec::new());
    for physician in batch.drain(..) {
        report.physicians += 1;
        match existing.get(&physician.npi) {
            None => added.push(physician),
            Some(old) if *old == physician => report.unchanged += 1,
            Some(_) => updated.push(physician),
        }
    }
    report.added += added.len();
    report.updated += updated.len();
    queries::replace(conn, &updated)?;
    queries::insert(conn, &added)?;
    changed_npis.extend(added.iter().chain(&updated).map(|p| p.npi.to_string()));
    Ok(())
}
