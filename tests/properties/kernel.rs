//! Property 5: the distance kernel (`Ruler`) against geographiclib (Karney,
//! through `geo`) over the whole Earth: within `KERNEL_BOUND_M` everywhere,
//! and its comparisons exactly Karney's.

use geo::{Destination, Geodesic, Point};
use proptest::prelude::*;

use physician_locator::domain::geo::KERNEL_BOUND_M;
use physician_locator::domain::{Distance, GeoPoint, Ruler};

use crate::arb::{self, geodesic_m};
use crate::config;

/// The longest line the kernel measures itself (its domain reaches about
/// 2,100 km); longer ones are Karney's own.
const DOMAIN_M: f64 = 2_050_000.0;

/// A point on Earth, the hard places over-weighted: anywhere, near a pole,
/// at the antimeridian, near the equator.
fn origin() -> impl Strategy<Value = GeoPoint> {
    prop_oneof![
        2 => (-90.0..=90.0f64, -180.0..=180.0f64),
        1 => (89.9..=90.0f64, -180.0..=180.0f64),
        1 => (-90.0..=-89.9f64, -180.0..=180.0f64),
        1 => (-90.0..=90.0f64, prop_oneof![179.9..=180.0f64, -180.0..=-179.9f64]),
        1 => (-1e-6..=1e-6f64, -180.0..=180.0f64),
    ]
    .prop_map(|(lat, lng)| GeoPoint::new(lat, lng).expect("in range"))
}

/// A line's length: up to the domain, very short (under a metre), zero.
fn length() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 0.0..=DOMAIN_M,
        2 => 0.0..=1.0f64,
        1 => Just(0.0),
        1 => DOMAIN_M..=19_000_000.0,
    ]
}

/// A bearing: any, or along a meridian, or along a parallel.
fn bearing() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => -180.0..=180.0f64,
        1 => prop_oneof![Just(0.0), Just(180.0), -1e-7..=1e-7f64, (180.0 - 1e-7)..=180.0f64],
        1 => prop_oneof![Just(90.0), Just(-90.0)],
    ]
}

/// The point `metres` from `from` on the geodesic leaving at `bearing`.
fn towards(from: GeoPoint, bearing: f64, metres: f64) -> GeoPoint {
    let to = Geodesic.destination(Point::new(from.lng(), from.lat()), bearing, metres);
    let lng = if to.x() > 180.0 {
        to.x() - 360.0
    } else if to.x() < -180.0 {
        to.x() + 360.0
    } else {
        to.x()
    };
    GeoPoint::new(to.y().clamp(-90.0, 90.0), lng).expect("in range")
}

proptest! {
    #![proptest_config(config(4096))]

    /// Within the bound of Karney everywhere: uniform points, the poles, the
    /// antimeridian, the equator, meridians, lines under a metre, duplicates,
    /// and beyond the domain (where the value is Karney's).
    #[test]
    fn the_kernel_is_within_its_bound_of_karney(
        from in origin(), bearing in bearing(), metres in length(), to in arb::point(),
    ) {
        let ruler = Ruler::new(from);
        for to in [towards(from, bearing, metres), to, from] {
            let d = ruler.measure(to);
            let karney = geodesic_m(from, to);
            prop_assert!(d.bound() == 0.0 || d.bound() == KERNEL_BOUND_M);
            prop_assert!((d.metres() - karney).abs() <= d.bound(),
                "{from:?} -> {to:?}: kernel {} m, Karney {karney} m", d.metres());
            if karney <= DOMAIN_M {
                prop_assert!(d.bound() > 0.0, "{from:?} -> {to:?}: {karney} m is inside the domain");
            }
        }
    }

    /// Two points at nearly the same distance (down to a hair apart) and a
    /// radius through one of them: the ruler orders them as Karney does.
    #[test]
    fn the_rulers_comparisons_are_karneys(
        from in origin(), bearing in bearing(), metres in length(),
        nudge in prop_oneof![Just(0.0), -1e-3..=1e-3f64, -1e-8..=1e-8f64], turn in -1.0..=1.0f64,
    ) {
        let ruler = Ruler::new(from);
        let a = towards(from, bearing, metres);
        let b = towards(from, bearing + turn, (metres + nudge).max(0.0));
        let (da, db) = (ruler.measure(a), ruler.measure(b));
        let (ka, kb) = (geodesic_m(from, a), geodesic_m(from, b));
        let want = if a == b { std::cmp::Ordering::Equal } else { ka.total_cmp(&kb) };
        prop_assert_eq!(ruler.cmp(da, db), want, "{:?} {:?}", a, b);
        for radius in [kb, kb.next_up(), kb.next_down(), kb + 1e-4, kb - 1e-4] {
            prop_assert_eq!(ruler.cmp_metres(da, radius), ka.total_cmp(&radius));
        }
    }

    /// Lines of nearly one length in many directions (different points a
    /// hair apart in distance, or equally far), put in Karney's order: once
    /// settled, their values read in that order, each within its bound.
    #[test]
    fn settled_distances_read_in_karneys_order(
        from in origin(), metres in length(),
        lines in prop::collection::vec(
            (bearing(), prop_oneof![Just(0.0), -1e-5..=1e-5f64, -1e-8..=1e-8f64]), 1..=12),
    ) {
        let ruler = Ruler::new(from);
        let mut ranked: Vec<(f64, Distance)> = lines
            .iter()
            .map(|&(bearing, nudge)| {
                let to = towards(from, bearing, (metres + nudge).max(0.0));
                (geodesic_m(from, to), ruler.measure(to))
            })
            .collect();
        ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
        ruler.settle(&mut ranked, |r| &mut r.1);
        for (karney, d) in &ranked {
            prop_assert!((d.metres() - karney).abs() <= d.bound(), "{} m, Karney {karney} m", d.metres());
        }
        for pair in ranked.windows(2) {
            prop_assert!(pair[0].1.metres() <= pair[1].1.metres(), "out of order: {:?}", pair);
        }
    }
}
