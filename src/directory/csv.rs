//! The directory's CSV layout: a header row, then one row per practice location
//! with the physician's fields repeated (rows of one NPI must agree on them).
//! Multi-valued fields are `;`-separated; the first specialty is the primary.
//! This is what `generate` writes, what the seed is, and what imports read.

use std::io;

use serde::{Deserialize, Serialize};

use super::{FieldError, Physician};
use crate::db::models::{LocationRow, PhysicianRow};
use crate::domain::{GeocodePrecision, ZipCode};
use crate::geocode::Gazetteer;

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

fn parse_bool(field: &'static str, value: &str) -> Result<bool, FieldError> {
    match value.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(FieldError::new(field, format!("{other:?} is not true or false"))),
    }
}

fn parse_degrees(field: &'static str, value: &str) -> Result<f64, FieldError> {
    value.trim().parse().map_err(|_| FieldError::new(field, format!("{value:?} is not a number")))
}

/// A location's coordinates: as given, or, when both are blank, its ZIP code's
/// centroid, labelled as such.
pub fn coordinates(lat: &str, lng: &str, zip: &str) -> Result<(f64, f64, GeocodePrecision), FieldError> {
    if lat.trim().is_empty() && lng.trim().is_empty() {
        let place =
            ZipCode::parse(zip.trim()).ok().and_then(|z| Gazetteer::get().zip(z)).ok_or_else(|| {
                FieldError::new(
                    "zip",
                    format!("{zip:?} is not a known US ZIP code, and no lat/lng were given"),
                )
            })?;
        return Ok((place.point.lat(), place.point.lng(), GeocodePrecision::Zip));
    }
    Ok((parse_degrees("lat", lat)?, parse_degrees("lng", lng)?, GeocodePrecision::Address))
}

impl CsvRow {
    pub(crate) fn split(&self) -> Result<(PhysicianRow, LocationRow), FieldError> {
        let (lat, lng, precision) = coordinates(&self.lat, &self.lng, &self.zip)?;
        let physician = PhysicianRow {
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
        };
        let location = LocationRow {
            npi: physician.npi.clone(),
            ordinal: 0, // assigned by position when the physician is assembled
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

    fn join(physician: &PhysicianRow, location: &LocationRow) -> Self {
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
        let (row, locations) = physician.to_rows();
        for location in &locations {
            self.0.serialize(CsvRow::join(&row, location)).map_err(io::Error::other)?;
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
pub fn read<R: io::Read>(input: R) -> Result<Vec<Physician>, Vec<RowError>> {
    let (records, errors): (Vec<_>, Vec<_>) =
        crate::import::source::CsvSource::new(input).partition(Result::is_ok);
    if errors.is_empty() {
        Ok(records.into_iter().filter_map(Result::ok).map(|r| r.physician).collect())
    } else {
        Err(errors.into_iter().filter_map(Result::err).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_read_round_trips() {
        let (row, locations) = crate::directory::tests::sample_rows();
        let physician = Physician::from_rows(&row, &locations).unwrap();
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
        let (row, locations) = crate::directory::tests::sample_rows();
        let physician = Physician::from_rows(&row, &locations).unwrap();
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
}
