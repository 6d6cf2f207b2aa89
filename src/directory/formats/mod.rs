//! The directory's file layouts, each read into a stream of checked
//! physicians and row errors, one physician at a time, so a file of a million
//! rows never has to fit in memory: [`csv`] (the project's own, which
//! `generate` writes and the seed is), [`ndjson`] (one physician per line in
//! the [`json`] layout the API shows) and [`nppes`] (the registry's monthly
//! file). Imports read them; they know nothing of where the physicians go.

pub mod csv;
pub mod json;
mod lines;
pub mod ndjson;
pub mod nppes;

use super::{FieldError, Physician};

/// One item read from a file: a checked physician, or a row that failed.
pub type Item = Result<Record, RowError>;

/// A checked physician and the line it starts on.
#[derive(Debug)]
pub struct Record {
    pub line: u64,
    pub physician: Physician,
}

/// The error of a field at `line`, of the physician whose NPI is written `npi`.
fn row_error(line: u64, npi: Option<&str>, e: FieldError) -> RowError {
    RowError { line, field: e.field.into(), message: e.message, npi: npi.map(str::to_owned) }
}

/// A rejected row: its line in the file (the header is line 1), field and reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub field: String,
    pub message: String,
    /// The row's NPI as written, when it has one: an import with `--prune`
    /// must not remove a physician just because their row was invalid. `None`
    /// when the row could not be read that far: then a prune is refused.
    pub npi: Option<String>,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.message)
    }
}
