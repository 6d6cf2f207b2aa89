//! ZIP code and city/state to a point, on the `zipcodes` crate's gazetteer
//! (ZIP centroids, compiled into the binary: no network at run time).
//!
//! The crate's own look-ups scan every entry; this indexes them once.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::text::fold;
use crate::domain::{GeoPoint, UsState, ZipCode};

/// What kind of delivery area a ZIP code is (USPS).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ZipKind {
    /// An ordinary delivery area.
    Standard,
    /// Post-office boxes only: the point is the post office's area centroid.
    PoBox,
    /// A single organisation's ZIP.
    Unique,
}

/// One ZIP code of the gazetteer.
#[derive(Clone, Debug)]
pub struct ZipPlace {
    pub zip: ZipCode,
    pub point: GeoPoint,
    pub city: String,
    pub state: UsState,
    pub kind: ZipKind,
    /// Telephone area codes serving the ZIP (used by the data generator).
    pub area_codes: Vec<String>,
}

/// How a search origin was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OriginSource {
    Point,
    Zip,
    City,
}

/// A resolved search origin: the point a search measures from and a label.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Origin {
    #[serde(flatten)]
    pub point: GeoPoint,
    /// Human-readable place, e.g. "New York, NY 10001".
    #[schema(example = "New York, NY 10001")]
    pub label: String,
    pub source: OriginSource,
    /// Postal code of the state or territory it lies in, from its ZIP code or
    /// city (where a telehealth visit would need a license); null for coordinates.
    #[schema(example = "NY")]
    pub state: Option<&'static str>,
}

/// The indexed gazetteer.
pub struct Gazetteer {
    zips: HashMap<ZipCode, ZipPlace>,
    cities: HashMap<(String, UsState), (String, GeoPoint)>,
}

impl Gazetteer {
    /// The gazetteer, built on first use (about 40,000 ZIP codes).
    pub fn get() -> &'static Gazetteer {
        static GAZETTEER: LazyLock<Gazetteer> = LazyLock::new(Gazetteer::build);
        &GAZETTEER
    }

    fn build() -> Self {
        let zips: HashMap<ZipCode, ZipPlace> = zipcodes::database()
            .iter()
            .filter_map(|z| {
                let kind = match z.zip_code_type.as_str() {
                    "STANDARD" => ZipKind::Standard,
                    "PO BOX" => ZipKind::PoBox,
                    "UNIQUE" => ZipKind::Unique,
                    _ => return None, // military mail has no fixed place
                };
                let point = GeoPoint::new(z.lat.parse().ok()?, z.long.parse().ok()?).ok()?;
                Some(ZipPlace {
                    zip: ZipCode::parse(&z.zip_code).ok()?,
                    point,
                    city: z.city.clone(),
                    state: UsState::parse(&z.state).ok()?,
                    kind,
                    area_codes: z.area_codes.clone(),
                })
            })
            .map(|place| (place.zip, place))
            .collect();

        let mut members: HashMap<(String, UsState), (String, Vec<GeoPoint>)> = HashMap::new();
        let raw = zipcodes::database().iter().filter_map(|z| {
            let place = zips.get(&ZipCode::parse(&z.zip_code).ok()?)?;
            Some((place, std::iter::once(&z.city).chain(&z.acceptable_cities)))
        });
        for (place, names) in raw {
            for name in names {
                let entry =
                    members.entry((fold(name), place.state)).or_insert_with(|| (name.clone(), Vec::new()));
                if !entry.1.contains(&place.point) {
                    entry.1.push(place.point);
                }
            }
        }
        let cities = members
            .into_iter()
            .filter_map(|(key, (name, points))| Some((key, (name, GeoPoint::centroid(points)?))))
            .collect();
        Gazetteer { zips, cities }
    }

    pub fn zip(&self, zip: ZipCode) -> Option<&ZipPlace> {
        self.zips.get(&zip)
    }

    /// Every located ZIP code, in no particular order.
    pub fn zips(&self) -> impl Iterator<Item = &ZipPlace> {
        self.zips.values()
    }

    /// Resolves a ZIP code; the error says why it cannot be used.
    pub fn locate_zip(&self, zip: ZipCode) -> Result<Origin, String> {
        let place = self
            .zip(zip)
            .ok_or_else(|| format!("ZIP code {zip} is not a known US ZIP code with a location"))?;
        Ok(Origin {
            point: place.point,
            label: format!("{}, {} {}", place.city, place.state, zip),
            source: OriginSource::Zip,
            state: Some(place.state.code()),
        })
    }

    /// Resolves a city within a state (case- and accent-insensitive) to the
    /// centroid of its ZIP codes.
    pub fn locate_city(&self, city: &str, state: UsState) -> Result<Origin, String> {
        let (name, point) = self
            .cities
            .get(&(fold(city.trim()), state))
            .ok_or_else(|| format!("no city named {city:?} in {}", state.name()))?;
        Ok(Origin {
            point: *point,
            label: format!("{name}, {state}"),
            source: OriginSource::City,
            state: Some(state.code()),
        })
    }
}

impl Origin {
    /// An origin given directly as coordinates.
    pub fn at(point: GeoPoint) -> Self {
        Origin {
            point,
            label: format!("{:.4}, {:.4}", point.lat(), point.lng()),
            source: OriginSource::Point,
            state: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip(s: &str) -> ZipCode {
        ZipCode::parse(s).unwrap()
    }

    #[test]
    fn locates_standard_po_box_and_territory_zips() {
        let g = Gazetteer::get();
        let ny = g.locate_zip(zip("10001")).unwrap();
        assert_eq!(ny.label, "New York, NY 10001");
        assert!((ny.point.lat() - 40.75).abs() < 0.05);
        let adak = g.zip(zip("99546")).unwrap();
        assert_eq!(adak.kind, ZipKind::PoBox);
        assert!(adak.point.lng() < -176.0);
        assert_eq!(g.zip(zip("00601")).unwrap().state.code(), "PR");
        assert_eq!(g.zip(zip("96910")).unwrap().state.code(), "GU");
        assert!(g.zip(zip("00000")).is_none());
        assert!(g.zip(zip("09001")).is_none(), "military mail ZIPs have no place");
    }

    #[test]
    fn locates_cities_ignoring_case_and_accents() {
        let g = Gazetteer::get();
        let ny = UsState::parse("NY").unwrap();
        let a = g.locate_city("new york", ny).unwrap();
        assert_eq!(a.label, "New York, NY");
        let pr = UsState::parse("PR").unwrap();
        assert!(g.locate_city("San Juan", pr).is_ok());
        assert!(g.locate_city("Atlantis", ny).is_err());
    }
}
