//! Readers that turn a file in one of the import formats into a stream of
//! checked physicians and row errors, one physician at a time, so a file of a
//! million rows never has to fit in memory.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, Read};

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

/// The rows of one physician, gathered until the NPI changes.
struct Group {
    line: u64,
    physician: PhysicianRow,
    locations: Vec<LocationRow>,
    /// A row of this physician failed (and was reported): the physician is not
    /// imported at all rather than imported without that location.
    bad: bool,
}

impl Group {
    fn finish(self) -> Option<Item> {
        if self.bad {
            return None;
        }
        Some(
            Physician::from_rows(&self.physician, &self.locations)
                .map(|physician| Record { line: self.line, physician })
                .map_err(|e| row_error(self.line, Some(&self.physician.npi), e)),
        )
    }
}

/// The project's CSV layout: one row per location, a physician's rows consecutive.
pub struct CsvSource<R: Read> {
    reader: ::csv::Reader<R>,
    headers: Option<::csv::StringRecord>,
    group: Option<Group>,
    /// Every NPI met, with its first line: a repeat after other rows is refused.
    seen: HashMap<String, u64>,
    queue: VecDeque<Item>,
    done: bool,
}

impl<R: Read> CsvSource<R> {
    pub fn new(input: R) -> Self {
        let mut reader = ::csv::Reader::from_reader(input);
        let mut queue = VecDeque::new();
        // The header row, read as a row of itself, is a `CsvRow` exactly when it
        // names every column and no other: a file without the header, or
        // another layout, is refused instead of read as no rows at all.
        let headers = match reader.headers().and_then(|h| h.deserialize::<CsvRow>(Some(h)).map(|_| h)) {
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
        CsvSource { reader, headers, group: None, seen: HashMap::new(), queue, done }
    }

    fn finish_group(&mut self) {
        if let Some(item) = self.group.take().and_then(Group::finish) {
            self.queue.push_back(item);
        }
    }

    fn step(&mut self) {
        let mut record = ::csv::StringRecord::new();
        let line = match self.reader.read_record(&mut record) {
            Ok(false) => {
                self.done = true;
                return self.finish_group();
            }
            Ok(true) => record.position().map_or(0, |p| p.line()),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                self.queue.push_back(Err(RowError {
                    line,
                    field: "row".into(),
                    message: e.to_string(),
                    npi: None,
                }));
                return;
            }
        };
        let row: CsvRow = match record.deserialize(self.headers.as_ref()) {
            Ok(row) => row,
            Err(e) => {
                let npi = record.get(0).map(str::trim);
                self.queue.push_back(Err(RowError {
                    line,
                    field: "row".into(),
                    message: e.to_string(),
                    npi: npi.map(Into::into),
                }));
                return;
            }
        };
        let npi = row.npi.trim().to_owned();
        let split = row.split();
        if let Some(group) = self.group.as_mut().filter(|g| g.physician.npi == npi) {
            match split {
                Ok((physician, location)) if physician == group.physician => group.locations.push(location),
                Ok(_) => {
                    let message =
                        format!("physician fields differ from line {} for the same NPI", group.line);
                    group.bad = true;
                    self.queue.push_back(Err(row_error(
                        line,
                        Some(&npi),
                        FieldError { field: "npi", message },
                    )));
                }
                Err(e) => {
                    group.bad = true;
                    self.queue.push_back(Err(row_error(line, Some(&npi), e)));
                }
            }
            return;
        }
        self.finish_group();
        if let Some(first) = self.seen.get(&npi) {
            let message =
                format!("NPI already given at line {first}: a physician's rows must be consecutive");
            self.queue.push_back(Err(row_error(line, Some(&npi), FieldError { field: "npi", message })));
            return;
        }
        self.seen.insert(npi.clone(), line);
        match split {
            Ok((physician, location)) => {
                self.group = Some(Group { line, physician, locations: vec![location], bad: false });
            }
            Err(e) => self.queue.push_back(Err(row_error(line, Some(&npi), e))),
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
        Some(json::parse(&text).map(|physician| Record { line: number, physician }).map_err(|e| {
            let npi = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("npi").and_then(|n| n.as_str()).map(str::to_owned));
            row_error(number, npi.as_deref(), e)
        }))
    })
}
