//! Readers that turn a file in one of the import formats into a stream of
//! checked physicians and row errors, one physician at a time, so a file of a
//! million rows never has to fit in memory.

use std::collections::{HashMap, VecDeque};
use std::io::{self, BufRead, Read};

use crate::db::models::{LocationRow, PhysicianRow};
use crate::directory::csv::{CsvRow, RowError};
use crate::directory::{FieldError, Physician, json};

/// One item of an import: a checked physician, or a row that failed.
pub type Item = Result<Record, RowError>;

/// A checked physician and the line it starts on.
#[derive(Debug)]
pub struct Record {
    pub line: u64,
    pub physician: Physician,
}

pub(super) fn row_error(line: u64, npi: Option<&str>, e: FieldError) -> RowError {
    RowError { line, field: e.field.into(), message: e.message, npi: npi.map(str::to_owned) }
}

/// The input of a CSV reader, kept from the start of the record being read on,
/// so that a record can be placed at the line where it starts.
struct Tape<R> {
    input: R,
    /// The byte offset of `bytes[0]`, and its line.
    offset: u64,
    line: u64,
    bytes: VecDeque<u8>,
}

impl<R: Read> Read for Tape<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.input.read(buf)?;
        self.bytes.extend(&buf[..n]);
        Ok(n)
    }
}

impl<R> Tape<R> {
    /// The line of the first byte at or after `offset` that is not a line end,
    /// forgetting what comes before it. A reader that has just read a record
    /// stands before the `\n` of its CRLF, and before any blank lines.
    fn line_at(&mut self, offset: u64) -> u64 {
        let skip = usize::try_from(offset.saturating_sub(self.offset)).unwrap_or(usize::MAX);
        let ends = self.bytes.iter().skip(skip).take_while(|&&b| b == b'\r' || b == b'\n').count();
        let passed = (skip + ends).min(self.bytes.len());
        self.line += self.bytes.drain(..passed).filter(|&b| b == b'\n').count() as u64;
        self.offset += passed as u64;
        self.line
    }
}

/// A CSV file read record by record, each with the file line it starts on (the
/// header is line 1, as an editor shows it). The csv crate's own
/// `Position::line` is one short after each CRLF and counts blank lines after
/// the record they precede.
pub(super) struct CsvRecords<R: Read> {
    reader: ::csv::Reader<Tape<R>>,
}

impl<R: Read> CsvRecords<R> {
    pub(super) fn new(input: R) -> Self {
        let tape = Tape { input, offset: 0, line: 1, bytes: VecDeque::new() };
        CsvRecords { reader: ::csv::Reader::from_reader(tape) }
    }

    pub(super) fn headers(&mut self) -> ::csv::Result<&::csv::StringRecord> {
        self.reader.headers()
    }

    /// Reads the next record into `record` and says on which line it starts;
    /// a record that cannot be read is an error at its line. `None` at the end.
    pub(super) fn read(&mut self, record: &mut ::csv::StringRecord) -> Option<Result<u64, RowError>> {
        let outcome = self.reader.read_record(record);
        let start = match &outcome {
            Ok(_) => record.position(),
            Err(e) => e.position(),
        };
        let start = start.unwrap_or(self.reader.position()).byte();
        let line = self.reader.get_mut().line_at(start);
        match outcome {
            Ok(more) => more.then_some(Ok(line)),
            Err(e) => Some(Err(RowError { line, field: "row".into(), message: unreadable(&e), npi: None })),
        }
    }
}

/// Why a record cannot be read, without the csv crate's own line number.
fn unreadable(e: &::csv::Error) -> String {
    match e.kind() {
        ::csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("has {len} fields; the header has {expected_len}")
        }
        ::csv::ErrorKind::Utf8 { err, .. } => format!("field {} is not UTF-8", err.field() + 1),
        _ => e.to_string(),
    }
}

/// The rows of one physician, gathered until the NPI changes.
struct Group {
    npi: String,
    /// The line of the first row that could be read and its physician fields,
    /// which every other row of the physician must repeat.
    first: Option<(u64, PhysicianRow)>,
    /// Each location with the line of its row.
    locations: Vec<(u64, LocationRow)>,
    /// A row of this physician failed (and was reported): the physician is not
    /// imported at all rather than imported without that location.
    bad: bool,
}

impl Group {
    fn new(npi: String) -> Self {
        Group { npi, first: None, locations: Vec::new(), bad: false }
    }

    /// Adds a row; a bad row is reported once, at its line, and spoils the group.
    fn add(&mut self, line: u64, row: Result<(PhysicianRow, LocationRow), FieldError>) -> Option<RowError> {
        let location = row.and_then(|(physician, location)| match &self.first {
            None => {
                self.first = Some((line, physician));
                Ok(location)
            }
            Some((_, fields)) if *fields == physician => Ok(location),
            Some((first, _)) => Err(FieldError::new(
                "npi",
                format!("physician fields differ from line {first} for the same NPI"),
            )),
        });
        match location {
            Ok(location) => self.locations.push((line, location)),
            Err(e) => {
                self.bad = true;
                return Some(row_error(line, Some(&self.npi), e));
            }
        }
        None
    }

    /// The physician, or the error of a field at the line of the row holding it.
    fn finish(self) -> Option<Item> {
        let (line, physician) = self.first.filter(|_| !self.bad)?;
        let (lines, locations): (Vec<u64>, Vec<LocationRow>) = self.locations.into_iter().unzip();
        Some(
            Physician::from_rows(&physician, &locations).map(|physician| Record { line, physician }).map_err(
                |e| {
                    let line = e.location.map_or(line, |i| lines[i]);
                    row_error(line, Some(&self.npi), e)
                },
            ),
        )
    }
}

/// The project's CSV layout: one row per location, a physician's rows consecutive.
pub struct CsvSource<R: Read> {
    records: CsvRecords<R>,
    headers: Option<::csv::StringRecord>,
    group: Option<Group>,
    /// Every NPI met, with its first line: a repeat after other rows is refused.
    seen: HashMap<String, u64>,
    queue: VecDeque<Item>,
    done: bool,
}

impl<R: Read> CsvSource<R> {
    pub fn new(input: R) -> Self {
        let mut records = CsvRecords::new(input);
        let mut queue = VecDeque::new();
        // The header row, read as a row of itself, is a `CsvRow` exactly when it
        // names every column and no other: a file without the header, or
        // another layout, is refused instead of read as no rows at all.
        let headers = match records.headers().and_then(|h| h.deserialize::<CsvRow>(Some(h)).map(|_| h)) {
            Ok(h) => Some(h.clone()),
            Err(e) => {
                queue.push_back(Err(RowError {
                    line: 1,
                    field: "header".into(),
                    message: e.to_string(),
                    npi: None,
                }));
                None
            }
        };
        let done = headers.is_none();
        CsvSource { records, headers, group: None, seen: HashMap::new(), queue, done }
    }

    fn finish_group(&mut self) {
        if let Some(item) = self.group.take().and_then(Group::finish) {
            self.queue.push_back(item);
        }
    }

    fn step(&mut self) {
        let mut record = ::csv::StringRecord::new();
        let line = match self.records.read(&mut record) {
            None => {
                self.done = true;
                return self.finish_group();
            }
            Some(Ok(line)) => line,
            Some(Err(error)) => return self.queue.push_back(Err(error)),
        };
        // Columns are read by their header names, the NPI too, wherever it
        // stands. (The header names exactly the layout's columns and the reader
        // refuses a row of another length, so this is not expected to fail.)
        let row: CsvRow = match record.deserialize(self.headers.as_ref()) {
            Ok(row) => row,
            Err(e) => {
                let error = RowError { line, field: "row".into(), message: e.to_string(), npi: None };
                return self.queue.push_back(Err(error));
            }
        };
        let npi = row.npi.trim().to_owned();
        if self.group.as_ref().is_none_or(|g| g.npi != npi) {
            self.finish_group();
            if let Some(first) = self.seen.get(&npi) {
                let message =
                    format!("NPI already given at line {first}: a physician's rows must be consecutive");
                let error = row_error(line, Some(&npi), FieldError::new("npi", message));
                return self.queue.push_back(Err(error));
            }
            self.seen.insert(npi.clone(), line);
            self.group = Some(Group::new(npi));
        }
        let group = self.group.as_mut().expect("a group for this NPI");
        if let Some(error) = group.add(line, row.split()) {
            self.queue.push_back(Err(error));
        }
    }
}

impl<R: Read> Iterator for CsvSource<R> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            self.step();
        }
    }
}

/// The `npi` of a JSON line that is JSON at all, as written: a string, or a
/// number (`1234567893`) that says the same.
fn written_npi(text: &str) -> Option<String> {
    match serde_json::from_str::<serde_json::Value>(text).ok()?.get("npi")? {
        serde_json::Value::String(npi) => Some(npi.clone()),
        serde_json::Value::Number(npi) => Some(npi.to_string()),
        _ => None,
    }
}

/// NDJSON: one physician per line in the JSON layout; blank lines are skipped.
pub fn ndjson<R: BufRead>(input: R) -> impl Iterator<Item = Item> {
    input.lines().enumerate().filter_map(|(i, line)| {
        let number = i as u64 + 1;
        let text = match line {
            Ok(text) => text,
            Err(e) => {
                return Some(Err(RowError {
                    line: number,
                    field: "line".into(),
                    message: e.to_string(),
                    npi: None,
                }));
            }
        };
        if text.trim().is_empty() {
            return None;
        }
        Some(
            json::parse(&text)
                .map(|physician| Record { line: number, physician })
                .map_err(|e| row_error(number, written_npi(&text).as_deref(), e)),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Npi;

    /// Three physicians in the CSV layout, as lines: the header (line 1), the
    /// first physician's two locations (2, 3), the second (4), the third (5).
    fn lines() -> Vec<String> {
        let (row, locations) = crate::directory::tests::sample_rows();
        let two = [locations[0].clone(), locations[0].clone()];
        let first = Physician::from_rows(&row, &two).unwrap();
        let mut single = Physician::from_rows(&row, &locations).unwrap();
        let others = (1..3).map(|i| {
            single.npi = Npi::from_base(100_000_000 + i);
            single.clone()
        });
        let physicians: Vec<Physician> = std::iter::once(first).chain(others).collect();
        let mut out = Vec::new();
        crate::directory::csv::write(&mut out, &physicians).unwrap();
        String::from_utf8(out).unwrap().lines().map(str::to_owned).collect()
    }

    /// The line and field of each error reading `lines`.
    fn errors(lines: &[String]) -> Vec<(u64, String)> {
        let mut found = Vec::new();
        for terminator in ["\n", "\r\n"] {
            let text: String = lines.iter().map(|l| format!("{l}{terminator}")).collect();
            let errors = CsvSource::new(text.as_bytes()).filter_map(Result::err);
            let errors: Vec<(u64, String)> = errors.map(|e| (e.line, e.field)).collect();
            if terminator == "\n" {
                found = errors;
            } else {
                assert_eq!(errors, found, "CRLF reads as LF");
            }
        }
        found
    }

    fn spoil(line: &mut String, from: &str, to: &str) {
        assert!(line.contains(from), "{line}");
        *line = line.replacen(from, to, 1);
    }

    #[test]
    fn each_error_names_the_line_that_holds_the_bad_value() {
        let at = |n: u64, field: &str| vec![(n, field.to_owned())];
        let good = lines();
        assert_eq!(errors(&good), []);

        let mut bad_npi = good.clone();
        let npi = Npi::from_base(100_000_001).to_string();
        spoil(&mut bad_npi[3], &npi, &format!("{}{}", &npi[..9], (npi.as_bytes()[9] - b'0' + 1) % 10));
        assert_eq!(errors(&bad_npi), at(4, "npi"));

        let mut second_row = good.clone();
        spoil(&mut second_row[2], "212-555-0100", "2125550100");
        assert_eq!(errors(&second_row), at(3, "phone"), "a location's field, at its row");

        let mut first_row = good.clone();
        spoil(&mut first_row[1], ",40.75,", ",north,");
        assert_eq!(errors(&first_row), at(2, "lat"), "one bad row, one error");

        let mut spanning = bad_npi.clone();
        spoil(&mut spanning[1], "Example Neuromuscular Clinic", "\"Example\nNeuromuscular Clinic\"");
        assert_eq!(errors(&spanning), at(5, "npi"), "a quoted line break is a line");

        let mut blank = bad_npi.clone();
        blank.insert(3, String::new());
        blank.insert(3, String::new());
        assert_eq!(errors(&blank), at(6, "npi"), "blank lines are lines");

        let mut short = good.clone();
        spoil(&mut short[4], ",emg;infusion", "");
        assert_eq!(errors(&short), at(5, "row"));
    }
}
