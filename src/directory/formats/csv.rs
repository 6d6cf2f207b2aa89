//! The directory's CSV layout: a header row, then one row per practice location
//! with the physician's fields repeated (rows of one NPI must agree on them).
//! Multi-valued fields are `;`-separated; the first specialty is the primary.
//! This is what `generate` writes, what the seed is, and what imports read.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read};

use serde::{Deserialize, Serialize};

use super::lines::CsvRecords;
use super::{FieldError, Item, Physician, Record, RowError, row_error};
use crate::directory::input::{LocationInput, PhysicianInput, coordinates};
use crate::domain::GeocodePrecision;

/// One CSV row, in column order.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvRow {
    pub npi: String,
    pub given_name: String,
    pub family_name: String,
    pub credentials: String,
    pub gender: String,
    pub specialties: String,
    pub conditions: String,
    pub languages: String,
    pub accepting_new_patients: String,
    pub telehealth: String,
    /// Optional in a file: the locations' states are implied.
    #[serde(default)]
    pub licensed_states: String,
    pub last_updated: String,
    pub practice_name: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub phone: String,
    pub lat: String,
    pub lng: String,
    pub services: String,
}

fn parse_bool(field: &'static str, value: &str) -> Result<bool, FieldError> {
    match value.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(FieldError::new(field, format!("{other:?} is not true or false"))),
    }
}

impl CsvRow {
    /// The row's physician fields (without locations) and its location.
    fn split(&self) -> Result<(PhysicianInput, LocationInput), FieldError> {
        let (lat, lng, precision) = coordinates(&self.lat, &self.lng, &self.zip)?;
        let physician = PhysicianInput {
            npi: self.npi.trim().to_owned(),
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            credentials: self.credentials.clone(),
            gender: self.gender.clone(),
            specialties: self.specialties.clone(),
            conditions: self.conditions.clone(),
            languages: self.languages.clone(),
            accepting_new_patients: parse_bool("accepting_new_patients", &self.accepting_new_patients)?,
            telehealth: parse_bool("telehealth", &self.telehealth)?,
            last_updated: self.last_updated.clone(),
            licensed_states: self.licensed_states.clone(),
            locations: Vec::new(),
        };
        let location = LocationInput {
            practice_name: self.practice_name.clone(),
            street: self.street.clone(),
            city: self.city.clone(),
            state: self.state.clone(),
            zip: self.zip.clone(),
            phone: self.phone.clone(),
            lat,
            lng,
            services: self.services.clone(),
            geocode_precision: precision.as_str().to_owned(),
        };
        Ok((physician, location))
    }

    fn join(physician: &PhysicianInput, location: &LocationInput) -> Self {
        let zip_precision = location.geocode_precision == GeocodePrecision::Zip.as_str();
        CsvRow {
            npi: physician.npi.clone(),
            given_name: physician.given_name.clone(),
            family_name: physician.family_name.clone(),
            credentials: physician.credentials.clone(),
            gender: physician.gender.clone(),
            specialties: physician.specialties.clone(),
            conditions: physician.conditions.clone(),
            languages: physician.languages.clone(),
            accepting_new_patients: physician.accepting_new_patients.to_string(),
            telehealth: physician.telehealth.to_string(),
            licensed_states: physician.licensed_states.clone(),
            last_updated: physician.last_updated.clone(),
            practice_name: location.practice_name.clone(),
            street: location.street.clone(),
            city: location.city.clone(),
            state: location.state.clone(),
            zip: location.zip.clone(),
            phone: location.phone.clone(),
            // A ZIP centroid is not a coordinate of the record: leave it out, so
            // that reading the file back places it (and labels it) the same way.
            lat: if zip_precision { String::new() } else { location.lat.to_string() },
            lng: if zip_precision { String::new() } else { location.lng.to_string() },
            services: location.services.clone(),
        }
    }
}

/// Streams physicians out in the CSV layout, header first.
pub struct Writer<W: io::Write>(::csv::Writer<W>);

impl<W: io::Write> Writer<W> {
    pub fn new(out: W) -> Self {
        Writer(::csv::Writer::from_writer(out))
    }

    pub fn write(&mut self, physician: &Physician) -> io::Result<()> {
        let input = physician.to_input();
        for location in &input.locations {
            self.0.serialize(CsvRow::join(&input, location)).map_err(io::Error::other)?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Writes physicians in the CSV layout.
pub fn write<W: io::Write>(out: W, physicians: &[Physician]) -> io::Result<()> {
    let mut writer = Writer::new(out);
    for physician in physicians {
        writer.write(physician)?;
    }
    writer.finish()
}

/// Reads a whole CSV file. Either every row is valid and the physicians come
/// back in file order, or every bad row is reported.
pub fn read<R: Read>(input: R) -> Result<Vec<Physician>, Vec<RowError>> {
    let (records, errors): (Vec<_>, Vec<_>) = CsvSource::new(input).partition(Result::is_ok);
    if errors.is_empty() {
        Ok(records.into_iter().filter_map(Result::ok).map(|r| r.physician).collect())
    } else {
        Err(errors.into_iter().filter_map(Result::err).collect())
    }
}

/// The rows of one physician, gathered until the NPI changes.
struct Group {
    npi: String,
    /// The line of the first row that could be read and its physician fields,
    /// which every other row of the physician must repeat.
    first: Option<(u64, PhysicianInput)>,
    /// Each location with the line of its row.
    locations: Vec<(u64, LocationInput)>,
    /// A row of this physician failed (and was reported): the physician is not
    /// imported at all rather than imported without that location.
    bad: bool,
}

impl Group {
    fn new(npi: String) -> Self {
        Group { npi, first: None, locations: Vec::new(), bad: false }
    }

    /// Adds a row; a bad row is reported once, at its line, and spoils the group.
    fn add(
        &mut self,
        line: u64,
        row: Result<(PhysicianInput, LocationInput), FieldError>,
    ) -> Option<RowError> {
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
        let (lines, locations): (Vec<u64>, Vec<LocationInput>) = self.locations.into_iter().unzip();
        let input = PhysicianInput { locations, ..physician };
        Some(Physician::check(input).map(|physician| Record { line, physician }).map_err(|e| {
            let line = e.location.map_or(line, |i| lines[i]);
            row_error(line, Some(&self.npi), e)
        }))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Npi;

    #[test]
    fn write_then_read_round_trips() {
        let physician = crate::directory::tests::sample();
        let mut second = physician.clone();
        second.locations.push(second.locations[0].clone());
        second.locations[1].ordinal = 2;
        let mut out = Vec::new();
        write(&mut out, std::slice::from_ref(&second)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("npi,given_name,"), "{text}");
        assert_eq!(read(text.as_bytes()).unwrap(), vec![second]);
    }

    #[test]
    fn reports_every_bad_row_with_its_line() {
        let physician = crate::directory::tests::sample();
        let mut out = Vec::new();
        write(&mut out, &[physician]).unwrap();
        let good = String::from_utf8(out).unwrap();
        let data_line = good.lines().nth(1).unwrap();
        let bad_bool = data_line.replace(",true,false,", ",yes,false,");
        let bad_npi = data_line.replace("1234567893", "1234567890");
        let text = format!("{good}{bad_bool}\n{bad_npi}\n");
        let errors = read(text.as_bytes()).unwrap_err();
        let seen: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(seen, vec![(3, "accepting_new_patients"), (4, "npi")]);
    }

    /// Three physicians in the CSV layout, as lines: the header (line 1), the
    /// first physician's two locations (2, 3), the second (4), the third (5).
    fn lines() -> Vec<String> {
        let mut input = crate::directory::tests::sample_input();
        let mut single = Physician::check(input.clone()).unwrap();
        input.locations.push(input.locations[0].clone());
        let first = Physician::check(input).unwrap();
        let others = (1..3).map(|i| {
            single.npi = Npi::from_base(100_000_000 + i);
            single.clone()
        });
        let physicians: Vec<Physician> = std::iter::once(first).chain(others).collect();
        let mut out = Vec::new();
        write(&mut out, &physicians).unwrap();
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
        assert_eq!(
            errors(&spanning),
            [(2, "practice_name".to_owned()), (5, "npi".to_owned())],
            "a quoted line break is a line, and no field holds one"
        );

        let mut blank = bad_npi.clone();
        blank.insert(3, String::new());
        blank.insert(3, String::new());
        assert_eq!(errors(&blank), at(6, "npi"), "blank lines are lines");

        let mut short = good.clone();
        spoil(&mut short[4], ",emg;infusion", "");
        assert_eq!(errors(&short), at(5, "row"));
    }
}
