//! Points on the Earth, distance units and the search radius.
//!
//! Distances are geodesic on the WGS84 ellipsoid (Karney's method through the
//! `geo` crate). The unit sphere is only a fast way to find candidates: see
//! [`SPHERE_SLACK`].

use geo::{Distance, Geodesic, Point};
use serde::Serialize;
use utoipa::ToSchema;

/// Mean Earth radius (IUGG R1) in metres: the sphere the spatial index uses.
pub const MEAN_EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Bound on how far a geodesic distance on WGS84 can differ from the distance on
/// the mean-radius sphere, relative to it. The true spread is under 0.6% (the
/// ellipsoid's radii of curvature run from 6,335 km to 6,400 km); the margin
/// keeps the candidate walk conservative.
pub const SPHERE_SLACK: f64 = 0.007;

const METRES_PER_MILE: f64 = 1_609.344;
const METRES_PER_KM: f64 = 1_000.0;

/// The largest search radius: 1,000 miles (or 1,609.344 km).
pub const MAX_RADIUS_M: f64 = 1_000.0 * METRES_PER_MILE;

/// A latitude/longitude pair in decimal degrees, both finite and in range.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, ToSchema)]
pub struct GeoPoint {
    /// Latitude, -90 to 90.
    #[schema(example = 40.7484)]
    lat: f64,
    /// Longitude, -180 to 180.
    #[schema(example = -73.9967)]
    lng: f64,
}

/// Why a coordinate is unusable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CoordinateError {
    #[error("must be a finite number of degrees between -90 and 90")]
    Latitude,
    #[error("must be a finite number of degrees between -180 and 180")]
    Longitude,
}

impl GeoPoint {
    /// A point from degrees; NaN, infinities and out-of-range values are refused.
    pub fn new(lat: f64, lng: f64) -> Result<Self, CoordinateError> {
        if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
            return Err(CoordinateError::Latitude);
        }
        if !(lng.is_finite() && (-180.0..=180.0).contains(&lng)) {
            return Err(CoordinateError::Longitude);
        }
        Ok(GeoPoint { lat, lng })
    }

    pub fn lat(self) -> f64 {
        self.lat
    }

    pub fn lng(self) -> f64 {
        self.lng
    }

    /// Geodesic distance on the WGS84 ellipsoid, in metres.
    pub fn geodesic_m(self, other: GeoPoint) -> f64 {
        Geodesic.distance(Point::new(self.lng, self.lat), Point::new(other.lng, other.lat))
    }

    /// The point as a 3-D unit vector: chord length between two such vectors
    /// orders points exactly as great-circle distance does, with no special
    /// case at the antimeridian or the poles.
    pub fn unit_vector(self) -> [f64; 3] {
        let (lat, lng) = (self.lat.to_radians(), self.lng.to_radians());
        [lat.cos() * lng.cos(), lat.cos() * lng.sin(), lat.sin()]
    }

    /// The normalised mean of several points (their centroid on the sphere),
    /// or `None` for no points or points that cancel out.
    pub fn centroid(points: impl IntoIterator<Item = GeoPoint>) -> Option<GeoPoint> {
        let sum = points.into_iter().fold([0.0; 3], |acc, p| {
            let v = p.unit_vector();
            [acc[0] + v[0], acc[1] + v[1], acc[2] + v[2]]
        });
        let norm = (sum[0] * sum[0] + sum[1] * sum[1] + sum[2] * sum[2]).sqrt();
        if norm < 1e-9 {
            return None;
        }
        let lat = (sum[2] / norm).clamp(-1.0, 1.0).asin().to_degrees();
        let lng = sum[1].atan2(sum[0]).to_degrees();
        GeoPoint::new(lat, lng).ok()
    }
}

/// Great-circle distance on the mean sphere (metres) for a squared chord length
/// between unit vectors.
pub fn sphere_m_from_chord2(chord2: f64) -> f64 {
    2.0 * MEAN_EARTH_RADIUS_M * (chord2.sqrt() / 2.0).min(1.0).asin()
}

/// How a location's coordinates were obtained.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GeocodePrecision {
    /// Given with the record: the practice's own position.
    #[default]
    Address,
    /// The record had none: the centroid of its ZIP code.
    Zip,
}

impl GeocodePrecision {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "address" => Ok(GeocodePrecision::Address),
            "zip" => Ok(GeocodePrecision::Zip),
            _ => Err(format!("unknown geocode precision {s:?}; valid values: address, zip")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GeocodePrecision::Address => "address",
            GeocodePrecision::Zip => "zip",
        }
    }
}

/// The unit in which a client states its radius and reads distances.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Statute miles.
    #[default]
    Mi,
    /// Kilometres.
    Km,
}

impl Unit {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "mi" => Ok(Unit::Mi),
            "km" => Ok(Unit::Km),
            _ => Err(format!("unknown unit {s:?}; valid values: mi, km")),
        }
    }

    pub fn metres(self) -> f64 {
        match self {
            Unit::Mi => METRES_PER_MILE,
            Unit::Km => METRES_PER_KM,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Mi => "mi",
            Unit::Km => "km",
        }
    }
}

/// A search radius: greater than zero and at most [`MAX_RADIUS_M`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Radius {
    value: f64,
    unit: Unit,
}

impl Radius {
    /// The default radius: 50 in the given unit.
    pub const DEFAULT_VALUE: f64 = 50.0;

    pub fn new(value: f64, unit: Unit) -> Result<Self, String> {
        let max = MAX_RADIUS_M / unit.metres();
        if !value.is_finite() || value <= 0.0 || value > max {
            return Err(format!("must be a number greater than 0 and at most {max} {}", unit.as_str()));
        }
        Ok(Radius { value, unit })
    }

    pub fn value(self) -> f64 {
        self.value
    }

    pub fn unit(self) -> Unit {
        self.unit
    }

    pub fn metres(self) -> f64 {
        self.value * self.unit.metres()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, lng: f64) -> GeoPoint {
        GeoPoint::new(lat, lng).unwrap()
    }

    #[test]
    fn rejects_non_finite_and_out_of_range_coordinates() {
        for lat in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 90.0001, -91.0] {
            assert_eq!(GeoPoint::new(lat, 0.0), Err(CoordinateError::Latitude));
        }
        for lng in [f64::NAN, f64::INFINITY, 180.5, -181.0] {
            assert_eq!(GeoPoint::new(0.0, lng), Err(CoordinateError::Longitude));
        }
        assert!(GeoPoint::new(90.0, -180.0).is_ok());
    }

    #[test]
    fn geodesic_matches_published_values() {
        // One degree of latitude at the equator is 110,574.389 m on WGS84 and one
        // degree of longitude there is 111,319.491 m (the equatorial radius).
        assert!((p(0.0, 0.0).geodesic_m(p(1.0, 0.0)) - 110_574.389).abs() < 0.01);
        assert!((p(0.0, 0.0).geodesic_m(p(0.0, 1.0)) - 111_319.491).abs() < 0.01);
        // Across the antimeridian the short way round is taken.
        let across = p(52.0, 179.5).geodesic_m(p(52.0, -179.5));
        assert!(across < 70_000.0, "{across}");
    }

    #[test]
    fn sphere_and_ellipsoid_stay_within_the_slack() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..2000 {
            let a = p(next() * 180.0 - 90.0, next() * 360.0 - 180.0);
            let b = p(
                (a.lat() + next() * 30.0 - 15.0).clamp(-90.0, 90.0),
                (a.lng() + next() * 30.0 - 15.0 + 540.0) % 360.0 - 180.0,
            );
            let (u, v) = (a.unit_vector(), b.unit_vector());
            let chord2: f64 = (0..3).map(|i| (u[i] - v[i]).powi(2)).sum();
            let sphere = sphere_m_from_chord2(chord2);
            let geodesic = a.geodesic_m(b);
            if sphere > 1.0 {
                let ratio = geodesic / sphere;
                assert!((ratio - 1.0).abs() < SPHERE_SLACK, "{a:?} {b:?} {ratio}");
            }
        }
    }

    #[test]
    fn radius_bounds_follow_the_unit() {
        assert!(Radius::new(1000.0, Unit::Mi).is_ok());
        assert!(Radius::new(1000.001, Unit::Mi).is_err());
        assert!(Radius::new(1609.344, Unit::Km).is_ok());
        assert!(Radius::new(1609.35, Unit::Km).is_err());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(Radius::new(bad, Unit::Km).is_err());
        }
    }

    #[test]
    fn centroid_of_points_across_the_antimeridian_stays_there() {
        let c = GeoPoint::centroid([p(51.0, 179.0), p(51.0, -179.0)]).unwrap();
        assert!(c.lng().abs() > 179.9, "{c:?}");
    }
}
