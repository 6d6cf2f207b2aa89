//! CSV records, each with the line of the file it starts on.

use std::collections::VecDeque;
use std::io::{self, Read};

use super::RowError;

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
