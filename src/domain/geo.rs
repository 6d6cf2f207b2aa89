//! Points on the Earth, distance units and the search radius.
//!
//! Distances are geodesic on the WGS84 ellipsoid: Karney's method through the
//! `geo` crate is the judge, and a [`Ruler`] measures lines within reach of a
//! search with a cheaper formula whose error has a proven bound, deferring to
//! Karney whenever that bound leaves an order undecided. The unit sphere is only
//! a fast way to find candidates: see [`SPHERE_SLACK`].

use std::cmp::Ordering;

use geo::{Distance as _, Geodesic, Point};
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

/// WGS84: equatorial radius (m), flattening, polar radius and second eccentricity squared.
const WGS84_A: f64 = 6_378_137.0;
const WGS84_F: f64 = 1.0 / 298.257_223_563;
const WGS84_B: f64 = WGS84_A * (1.0 - WGS84_F);
const WGS84_EP2: f64 = (WGS84_A * WGS84_A - WGS84_B * WGS84_B) / (WGS84_B * WGS84_B);

/// The longest arc on the auxiliary sphere (radians) the kernel measures:
/// about 2,100 km on the ellipsoid, past the largest radius (1,609 km) with a
/// margin for the walk's candidates just outside it. Longer lines, which the
/// walk beyond the radius may meet up to the antipode, go to Karney.
const KERNEL_MAX_SIGMA: f64 = 0.33;

/// How far [`Ruler::measure`] may be from the WGS84 geodesic within its domain:
/// 1 mm (the API's tolerance is 0.01% + 0.01 mi).
///
/// The kernel is Vincenty's inverse formula (T. Vincenty, "Direct and inverse
/// solutions of geodesics on the ellipsoid with application of nested
/// equations", Survey Review 23(176), 1975, eqs. 13–18 and 3–6), which solves
/// for the longitude `λ` on Bessel's auxiliary sphere by iteration, then sums
/// Helmert's series for the distance. Its error has three parts:
///
/// 1. *Truncation.* Vincenty keeps the longitude integral
///    `λ − L = f sin α ∫ (…) dσ` to order f³ (the integrand to f²) and the
///    distance series to u⁸ (`u² = e'² cos² α ≤ e'² ≈ 2f`). The dropped terms
///    are tails of the expansions of `1/(1 + (1−f)√(1 + k² sin² σ))` and
///    `√(1 + u² sin² σ)`, whose coefficients are all below 1/2 in magnitude
///    (Karney, "Algorithms for geodesics", J. Geodesy 87, 2013, eqs. 15–25: A3,
///    C3, A1, C1), so the longitude is off by at most `f⁴ σ ≤ 1.27e-10 × 0.33 = 4.2e-11` rad and the
///    distance by at most `a · 4.2e-11 = 0.27 mm` from it (the distance changes
///    with the auxiliary longitude at most at rate `a`: `ds/dσ ≤ b√(1+e'²) = a`,
///    `|dσ/dλ| ≤ 1`); the distance series' tail, `b (u²/4)⁴ σ`, adds under
///    0.02 mm. Over every line on Earth Vincenty's error stays under 0.5 mm;
///    the property test against Karney finds 11 µm within the domain.
/// 2. *Iteration.* Each step moves `λ` by the residual `r = g(λ) − λ` of the
///    fixed-point map `g` (divided by `1 − f cos β₁ cos β₂`, Newton's step with
///    `g`'s leading slope), and `|g'| ≤ 1.1 f`, so the `λ` used is within
///    `|r| / (1 − 1.1 f) ≤ 1.01e-13` rad of the fixed point once `|r| ≤ 1e-13`:
///    at most 0.65 µm. No line in the domain needs more than a few steps; one
///    that did not settle within `KERNEL_STEPS` would go to Karney.
/// 3. *Rounding.* About a hundred double-precision operations on quantities of
///    order one: well under 1 µm on 2,100 km.
///
/// 0.27 + 0.02 + 0.001 + 0.001 mm < 1 mm.
pub const KERNEL_BOUND_M: f64 = 0.001;

/// The most iterations the kernel spends before deferring to Karney.
const KERNEL_STEPS: usize = 10;

/// The residual on the auxiliary longitude (radians) at which the iteration stops.
const KERNEL_TOLERANCE: f64 = 1e-13;

/// Sine and cosine of the reduced latitude `β`, `tan β = (1 − f) tan φ`,
/// normalised so the poles need no special case.
fn reduced_latitude(point: GeoPoint) -> (f64, f64) {
    let (sin, cos) = point.lat.to_radians().sin_cos();
    let sin = (1.0 - WGS84_F) * sin;
    let norm = sin.hypot(cos);
    (sin / norm, cos / norm)
}

/// A distance measured by a [`Ruler`]: within [`Distance::bound`] metres of
/// the WGS84 geodesic to the point it names.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Distance {
    metres: f64,
    /// [`KERNEL_BOUND_M`], or 0 for a distance that is Karney's.
    bound: f64,
    to: GeoPoint,
}

impl Distance {
    /// The distance in metres, within [`Distance::bound`] of the geodesic.
    pub fn metres(self) -> f64 {
        self.metres
    }

    pub fn bound(self) -> f64 {
        self.bound
    }
}

/// Distances from one origin, prepared once for the many a search measures.
///
/// Its comparisons are exactly those of Karney's distances: the kernel's
/// values decide when they are further apart than their bounds allow, and
/// Karney decides the rest, so callers never handle an error margin.
#[derive(Clone, Copy, Debug)]
pub struct Ruler {
    origin: GeoPoint,
    reduced: (f64, f64),
}

impl Ruler {
    pub fn new(origin: GeoPoint) -> Self {
        Ruler { origin, reduced: reduced_latitude(origin) }
    }

    pub fn origin(&self) -> GeoPoint {
        self.origin
    }

    /// The distance to `to`: the kernel's within its domain, Karney's beyond.
    pub fn measure(&self, to: GeoPoint) -> Distance {
        match self.kernel(to) {
            Some(metres) => Distance { metres, bound: KERNEL_BOUND_M, to },
            None => Distance { metres: self.origin.geodesic_m(to), bound: 0.0, to },
        }
    }

    /// Karney's distance for a measured one.
    pub fn exact(&self, d: Distance) -> f64 {
        if d.bound == 0.0 { d.metres } else { self.origin.geodesic_m(d.to) }
    }

    /// `d` with Karney's value, and no bound.
    fn exactly(&self, d: Distance) -> Distance {
        Distance { metres: self.exact(d), bound: 0.0, to: d.to }
    }

    /// `d`, or Karney's value for it when its bound leaves undecided on which
    /// side of `metres` the geodesic lies: the value then reads on the side
    /// it is judged on, so a result inside a radius never reads beyond it.
    pub fn decided(&self, d: Distance, metres: f64) -> Distance {
        if (d.metres - metres).abs() > d.bound { d } else { self.exactly(d) }
    }

    /// Makes distances in ranking order (Karney's) read in that order. A run
    /// of neighbours closer than their bounds, whose values the kernel may
    /// have swapped, takes Karney's values, unless it is one point measured
    /// alike (equal values); runs further apart than their bounds already
    /// read in order, whichever value each ends with.
    pub fn settle<T>(&self, ranked: &mut [T], distance: impl Fn(&mut T) -> &mut Distance) {
        let mut start = 0;
        for end in 1..=ranked.len() {
            if end < ranked.len() {
                let (a, b) = (*distance(&mut ranked[end - 1]), *distance(&mut ranked[end]));
                if (b.metres - a.metres).abs() <= a.bound + b.bound {
                    continue;
                }
            }
            let run = &mut ranked[start..end];
            let first = *distance(&mut run[0]);
            if run.iter_mut().any(|t| (distance(t).to, distance(t).metres) != (first.to, first.metres)) {
                for t in run {
                    let d = distance(t);
                    *d = self.exactly(*d);
                }
            }
            start = end;
        }
    }

    /// The order of two distances' geodesics (equal points are equally far).
    pub fn cmp(&self, a: Distance, b: Distance) -> Ordering {
        if a.to == b.to {
            Ordering::Equal
        } else if (a.metres - b.metres).abs() > a.bound + b.bound {
            a.metres.total_cmp(&b.metres)
        } else {
            self.exact(a).total_cmp(&self.exact(b))
        }
    }

    /// The order of a distance's geodesic and `metres` (a radius, or a
    /// cursor's exact distance).
    pub fn cmp_metres(&self, a: Distance, metres: f64) -> Ordering {
        self.decided(a, metres).metres.total_cmp(&metres)
    }

    /// Vincenty's inverse formula (see [`KERNEL_BOUND_M`]), or `None` for a
    /// line outside its domain.
    fn kernel(&self, to: GeoPoint) -> Option<f64> {
        let (sb1, cb1) = self.reduced;
        let (sb2, cb2) = reduced_latitude(to);
        let mut dl = to.lng - self.origin.lng;
        if dl > 180.0 {
            dl -= 360.0;
        } else if dl < -180.0 {
            dl += 360.0;
        }
        let l = dl.to_radians();
        // On the auxiliary sphere `λ − L ≈ f cos β₁ cos β₂ λ` for short lines:
        // the leading slope starts `λ` near its root and scales each step.
        let slope = WGS84_F * cb1 * cb2;
        let mut lambda = l / (1.0 - slope);
        for _ in 0..KERNEL_STEPS {
            let (sin_l, cos_l) = lambda.sin_cos();
            let sin_s = (cb2 * sin_l).hypot(cb1 * sb2 - sb1 * cb2 * cos_l);
            if sin_s == 0.0 {
                return Some(0.0);
            }
            let cos_s = sb1 * sb2 + cb1 * cb2 * cos_l;
            let sigma = sin_s.atan2(cos_s);
            if sigma > KERNEL_MAX_SIGMA {
                return None;
            }
            let sin_a = cb1 * cb2 * sin_l / sin_s;
            let cos2_a = 1.0 - sin_a * sin_a;
            // cos 2σm, a cosine: rounding on an equatorial line (cos² α and
            // sin β₁ sin β₂ both near 0) must not push it out of range; every
            // term it enters is then multiplied by cos² α.
            let cos_2sm =
                if cos2_a == 0.0 { 0.0 } else { (cos_s - 2.0 * sb1 * sb2 / cos2_a).clamp(-1.0, 1.0) };
            let c = WGS84_F / 16.0 * cos2_a * (4.0 + WGS84_F * (4.0 - 3.0 * cos2_a));
            let residual = l
                + (1.0 - c)
                    * WGS84_F
                    * sin_a
                    * (sigma + c * sin_s * (cos_2sm + c * cos_s * (2.0 * cos_2sm * cos_2sm - 1.0)))
                - lambda;
            if residual.abs() <= KERNEL_TOLERANCE {
                let u2 = cos2_a * WGS84_EP2;
                let a = 1.0 + u2 / 16384.0 * (4096.0 + u2 * (-768.0 + u2 * (320.0 - 175.0 * u2)));
                let b = u2 / 1024.0 * (256.0 + u2 * (-128.0 + u2 * (74.0 - 47.0 * u2)));
                let delta_sigma = b
                    * sin_s
                    * (cos_2sm
                        + b / 4.0
                            * (cos_s * (2.0 * cos_2sm * cos_2sm - 1.0)
                                - b / 6.0
                                    * cos_2sm
                                    * (4.0 * sin_s * sin_s - 3.0)
                                    * (4.0 * cos_2sm * cos_2sm - 3.0)));
                return Some(WGS84_B * a * (sigma - delta_sigma));
            }
            lambda += residual / (1.0 - slope);
        }
        None
    }
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
