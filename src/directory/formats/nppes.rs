//! The public NPPES monthly dissemination file (`npidata_pfile_*.csv`): one row
//! per provider, practice location address, and up to 15 taxonomy codes with a
//! primary switch. Individual providers (entity type 1) whose taxonomy codes
//! include one of the directory's specialties are kept; everyone else is skipped
//! (counted, not an error). NPPES has no coordinates, conditions, languages or
//! availability: locations are placed at their ZIP centroid (`geocode_precision:
//! zip`), lists are empty and the booleans false until the directory says more.

use std::collections::HashMap;
use std::io::Read;

use super::lines::CsvRecords;
use super::{FieldError, Item, Physician, Record, RowError, row_error};
use crate::directory::input::{LocationInput, PhysicianInput, coordinates};
use crate::domain::Specialty;

const NPI: &str = "NPI";
const ENTITY: &str = "Entity Type Code";
const FAMILY: &str = "Provider Last Name (Legal Name)";
const GIVEN: &str = "Provider First Name";
const CREDENTIAL: &str = "Provider Credential Text";
const ORGANIZATION: &str = "Provider Organization Name (Legal Business Name)";
const STREET_1: &str = "Provider First Line Business Practice Location Address";
const STREET_2: &str = "Provider Second Line Business Practice Location Address";
const CITY: &str = "Provider Business Practice Location Address City Name";
const STATE: &str = "Provider Business Practice Location Address State Name";
const POSTAL: &str = "Provider Business Practice Location Address Postal Code";
const PHONE: &str = "Provider Business Practice Location Address Telephone Number";
const UPDATED: &str = "Last Update Date";
const GENDER: &str = "Provider Gender Code";
const REQUIRED: [&str; 12] =
    [NPI, ENTITY, FAMILY, GIVEN, CREDENTIAL, STREET_1, CITY, STATE, POSTAL, PHONE, UPDATED, GENDER];

/// `M.D.`, `MD, PhD`, `D.O.` and the like.
fn credential(text: &str) -> Result<&'static str, FieldError> {
    let cleaned = text.to_ascii_uppercase().replace('.', "");
    let tokens: Vec<&str> = cleaned.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    if tokens.contains(&"DO") {
        Ok("DO")
    } else if tokens.contains(&"MD") {
        Ok("MD")
    } else {
        Err(FieldError::new(CREDENTIAL, format!("{text:?} is neither MD nor DO")))
    }
}

/// `MM/DD/YYYY` to `YYYY-MM-DD`.
fn date(text: &str) -> Result<String, FieldError> {
    match text.split('/').collect::<Vec<_>>()[..] {
        [m, d, y] if m.len() == 2 && d.len() == 2 && y.len() == 4 => Ok(format!("{y}-{m}-{d}")),
        _ => Err(FieldError::new(UPDATED, format!("{text:?} is not a date (MM/DD/YYYY)"))),
    }
}

/// Ten digits to `NNN-NNN-NNNN`.
fn phone(text: &str) -> Result<String, FieldError> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.strip_prefix('1').filter(|d| d.len() == 10).unwrap_or(&digits);
    if digits.len() != 10 {
        return Err(FieldError::new(PHONE, format!("{text:?} is not a 10-digit phone number")));
    }
    Ok(format!("{}-{}-{}", &digits[..3], &digits[3..6], &digits[6..]))
}

/// Reads an NPPES file; `skipped` counts the providers left out on purpose.
pub struct NppesSource<R: Read> {
    records: CsvRecords<R>,
    columns: HashMap<String, usize>,
    pub skipped: usize,
    failed: Option<RowError>,
}

impl<R: Read> NppesSource<R> {
    pub fn new(input: R) -> Self {
        let mut records = CsvRecords::new(input);
        let (columns, failed) = match records.headers() {
            Ok(h) => {
                let columns: HashMap<String, usize> =
                    h.iter().enumerate().map(|(i, n)| (n.to_owned(), i)).collect();
                let missing: Vec<&str> =
                    REQUIRED.iter().copied().filter(|c| !columns.contains_key(*c)).collect();
                let failed = (!missing.is_empty()).then(|| RowError {
                    line: 1,
                    field: "header".into(),
                    message: format!("not an NPPES file: missing columns {}", missing.join(", ")),
                    npi: None,
                });
                (columns, failed)
            }
            Err(e) => (
                HashMap::new(),
                Some(RowError { line: 1, field: "header".into(), message: e.to_string(), npi: None }),
            ),
        };
        NppesSource { records, columns, skipped: 0, failed }
    }

    fn physician(&self, record: &::csv::StringRecord) -> Result<Option<Physician>, FieldError> {
        let get = |name: &str| self.columns.get(name).and_then(|&i| record.get(i)).unwrap_or("").trim();
        if get(ENTITY) != "1" {
            return Ok(None);
        }
        // Each kept taxonomy with the state of the license it was granted under.
        let kept: Vec<(bool, &str, &str)> = (1..=15)
            .filter_map(|i| {
                let code = get(&format!("Healthcare Provider Taxonomy Code_{i}"));
                let primary = get(&format!("Healthcare Provider Primary Taxonomy Switch_{i}")) == "Y";
                let state = get(&format!("Provider License Number State Code_{i}"));
                Specialty::parse(code)
                    .ok()
                    .map(|s| (primary, s.entry().code.as_deref().unwrap_or(code), state))
            })
            .collect();
        let licensed_states = kept.iter().map(|k| k.2).collect::<Vec<_>>().join(";");
        let mut specialties: Vec<(bool, &str)> = kept.into_iter().map(|(p, code, _)| (p, code)).collect();
        if specialties.is_empty() {
            return Ok(None);
        }
        // NPPES repeats a code for each license state; `check` keeps one.
        specialties.sort_by_key(|s| !s.0);
        let npi = get(NPI).to_owned();
        let credentials = credential(get(CREDENTIAL))?;
        let gender = match get(GENDER) {
            "F" => "female",
            "M" => "male",
            other => return Err(FieldError::new(GENDER, format!("{other:?} is not F or M"))),
        };
        let given_name = get(GIVEN).to_owned();
        let family_name = get(FAMILY).to_owned();
        let last_updated = date(get(UPDATED))?;
        let zip: String = get(POSTAL).chars().take(5).collect();
        let (lat, lng, precision) = coordinates("", "", &zip)?;
        let street = [get(STREET_1), get(STREET_2)]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        let organization = get(ORGANIZATION);
        let practice_name = if organization.is_empty() {
            format!("{given_name} {family_name}, {credentials}")
        } else {
            organization.to_owned()
        };
        let location = LocationInput {
            practice_name,
            street,
            city: get(CITY).to_owned(),
            state: get(STATE).to_owned(),
            zip,
            phone: phone(get(PHONE))?,
            lat,
            lng,
            services: String::new(),
            geocode_precision: precision.as_str().to_owned(),
        };
        Physician::check(PhysicianInput {
            npi,
            given_name,
            family_name,
            credentials: credentials.to_owned(),
            gender: gender.to_owned(),
            specialties: specialties.iter().map(|s| s.1).collect::<Vec<_>>().join(";"),
            conditions: String::new(),
            languages: String::new(),
            accepting_new_patients: false,
            telehealth: false,
            last_updated,
            licensed_states,
            locations: vec![location],
        })
        .map(Some)
    }
}

impl<R: Read> Iterator for NppesSource<R> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        if let Some(error) = self.failed.take() {
            // A file that is not NPPES at all stops here.
            self.columns.clear();
            return Some(Err(error));
        }
        if self.columns.is_empty() {
            return None;
        }
        let mut record = ::csv::StringRecord::new();
        loop {
            let line = match self.records.read(&mut record)? {
                Ok(line) => line,
                Err(error) => return Some(Err(error)),
            };
            match self.physician(&record) {
                Ok(Some(physician)) => return Some(Ok(Record { line, physician })),
                Ok(None) => self.skipped += 1,
                Err(e) => {
                    let npi = self.columns.get(NPI).and_then(|&i| record.get(i)).map(str::trim);
                    return Some(Err(row_error(line, npi, e)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_nppes_fields() {
        assert_eq!(credential("M.D.").unwrap(), "MD");
        assert_eq!(credential("MD, PhD").unwrap(), "MD");
        assert_eq!(credential("D.O., FAAN").unwrap(), "DO");
        assert!(credential("NP").is_err());
        assert!(credential("MDIV").is_err());
        assert_eq!(date("07/04/2026").unwrap(), "2026-07-04");
        assert!(date("2026-07-04").is_err());
        assert_eq!(phone("2125550147").unwrap(), "212-555-0147");
        assert_eq!(phone("1-212-555-0147").unwrap(), "212-555-0147");
        assert!(phone("555-0147").is_err());
    }
}
