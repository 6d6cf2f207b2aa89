//! Search against an independent brute-force oracle: every location of every
//! physician, its geodesic distance computed directly, filters applied by hand,
//! sorted by (distance, NPI). No R-tree, no sphere, no cursor.

use geo::{Distance, Geodesic, Point};
use serde_json::Value;

use crate::helpers::{Backend, both_backends};
use crate::helpers::{Lcg, spawn_app};
use physician_locator::directory::Physician;
use physician_locator::domain::Specialty;

struct Query {
    lat: f64,
    lng: f64,
    radius: f64,
    km: bool,
    /// Any of these (none: any specialty).
    specialties: Vec<&'static str>,
    conditions: Vec<&'static str>,
    service: Option<&'static str>,
    accepting: Option<bool>,
}

impl Query {
    fn uri(&self, limit: usize) -> String {
        let mut uri = format!(
            "/v1/physicians?lat={}&lng={}&radius={}&unit={}&limit={limit}",
            self.lat,
            self.lng,
            self.radius,
            if self.km { "km" } else { "mi" }
        );
        let terms = self
            .specialties
            .iter()
            .map(|v| ("specialty", v))
            .chain(self.conditions.iter().map(|v| ("condition", v)));
        for (name, value) in terms.chain(self.service.iter().map(|v| ("service", v))) {
            uri.push_str(&format!("&{name}={value}"));
        }
        if let Some(a) = self.accepting {
            uri.push_str(&format!("&accepting_new_patients={a}"));
        }
        uri
    }

    /// (npi, distance in the unit, location id), sorted.
    fn brute_force(&self, physicians: &[Physician]) -> Vec<(String, f64, String)> {
        let unit = if self.km { 1000.0 } else { 1609.344 };
        let origin = Point::new(self.lng, self.lat);
        let mut out: Vec<(String, f64, String)> = physicians
            .iter()
            .filter(|p| {
                let slugs = |x: &Specialty| [Some(x.slug()), x.entry().code.as_deref()];
                self.specialties.is_empty()
                    || p.specialties.iter().flat_map(slugs).flatten().any(|s| self.specialties.contains(&s))
            })
            .filter(|p| {
                self.conditions.is_empty() || p.conditions.iter().any(|x| self.conditions.contains(&x.slug()))
            })
            .filter(|p| self.accepting.is_none_or(|a| p.accepting_new_patients == a))
            .filter_map(|p| {
                p.locations
                    .iter()
                    .filter(|l| self.service.is_none_or(|s| l.services.iter().any(|x| x.slug() == s)))
                    .map(|l| (Geodesic.distance(origin, Point::new(l.point.lng(), l.point.lat())), l.ordinal))
                    .filter(|&(metres, _)| metres <= self.radius * unit)
                    .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
                    .map(|(metres, ordinal)| {
                        (p.npi.to_string(), metres / unit, format!("{}-{ordinal}", p.npi))
                    })
            })
            .collect();
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out
    }
}

fn seen(results: &[Value]) -> Vec<(String, f64, String)> {
    results
        .iter()
        .map(|r| {
            (
                r["physician"]["npi"].as_str().unwrap().to_owned(),
                r["distance"].as_f64().unwrap(),
                r["nearest_location_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn assert_matches_oracle(query: &Query, got: &[(String, f64, String)], want: &[(String, f64, String)]) {
    let uri = query.uri(0);
    assert_eq!(got.len(), want.len(), "{uri}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.0, w.0, "order differs for {uri}");
        assert_eq!(g.2, w.2, "nearest location differs for {uri}");
        assert!((g.1 - w.1).abs() <= 1e-9 * w.1.max(1.0), "distance {} vs {} for {uri}", g.1, w.1);
    }
}

/// Common and rare (own index) terms; one by NUCC code.
const SPECIALTIES: [&str; 6] = [
    "neurology",
    "neuromuscular-medicine",
    "electrodiagnostic-medicine",
    "2084N0600X",
    "pmr-neuromuscular-medicine",
    "2084A2900X",
];
const CONDITIONS: [&str; 5] = [
    "lems",
    "myasthenia-gravis",
    "small-cell-lung-cancer",
    "spinal-muscular-atrophy",
    "paraneoplastic-syndromes",
];
const SERVICES: [&str; 3] = ["emg", "infusion", "plasma-exchange"];

async fn random_searches_equal_the_brute_force_oracle(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut rng = Lcg(20261124);
    let locations: Vec<(f64, f64)> =
        app.physicians.iter().flat_map(|p| &p.locations).map(|l| (l.point.lat(), l.point.lng())).collect();
    // Fixed hard places: the far western Aleutians (east of 180), Adak's own
    // point, both poles, the equator at the antimeridian, Guam, Puerto Rico.
    let mut points = vec![
        (52.84, 173.18),
        (51.8549, -177.0888),
        (90.0, 0.0),
        (-90.0, 45.0),
        (0.0, 180.0),
        (0.0, -180.0),
        (13.47, 144.75),
        (18.2, -66.5),
    ];
    for _ in 0..60 {
        // Near a real practice, so that results are not empty...
        let (lat, lng) = locations[rng.below(locations.len())];
        points.push((
            (lat + rng.unit() - 0.5).clamp(-90.0, 90.0),
            (lng + rng.unit() - 0.5).clamp(-180.0, 180.0),
        ));
    }
    for _ in 0..12 {
        // ...and anywhere on Earth.
        points.push((rng.unit() * 180.0 - 90.0, rng.unit() * 360.0 - 180.0));
    }
    let mut nonempty = 0;
    for (i, &(lat, lng)) in points.iter().enumerate() {
        let pick =
            |rng: &mut Lcg, items: &[&'static str]| (rng.unit() < 0.3).then(|| items[rng.below(items.len())]);
        // None, one, or (so that several rare terms' indexes are walked together) two.
        let some = |rng: &mut Lcg, items: &[&'static str]| -> Vec<&'static str> {
            let mut chosen: Vec<&'static str> = pick(rng, items).into_iter().collect();
            if !chosen.is_empty() && rng.unit() < 0.4 {
                chosen.push(items[rng.below(items.len())]);
            }
            chosen
        };
        let query = Query {
            lat,
            lng,
            radius: if i < 8 { 1000.0 } else { [5.0, 25.0, 50.0, 200.0, 1000.0][rng.below(5)] },
            km: rng.unit() < 0.3,
            specialties: some(&mut rng, &SPECIALTIES),
            conditions: some(&mut rng, &CONDITIONS),
            service: pick(&mut rng, &SERVICES),
            accepting: (rng.unit() < 0.3).then(|| rng.unit() < 0.5),
        };
        let want = query.brute_force(&app.physicians);
        let limit = [1, 7, 20, 100][rng.below(4)];
        let limit = if want.len() > 400 { 100 } else { limit };
        let got = seen(&app.all_pages(&query.uri(limit)).await);
        assert_matches_oracle(&query, &got, &want);
        nonempty += usize::from(!want.is_empty());
    }
    assert!(nonempty > 40, "the oracle test must exercise real results, got {nonempty}");
}

async fn the_far_western_aleutians_reach_adak_across_the_antimeridian(backend: Backend) {
    let app = spawn_app(backend).await;
    // Attu Island, east of the 180th meridian; Adak is west of it.
    let query = Query {
        lat: 52.84,
        lng: 173.18,
        radius: 1000.0,
        km: false,
        specialties: vec![],
        conditions: vec!["lems"],
        service: None,
        accepting: None,
    };
    let got = seen(&app.all_pages(&query.uri(20)).await);
    assert!(!got.is_empty(), "nothing found across the antimeridian");
    let adak = app
        .physicians
        .iter()
        .find(|p| p.locations.iter().any(|l| l.zip.as_str() == "99546"))
        .expect("the seed has a practice on Adak");
    let first = &got[0];
    assert_eq!(first.0, adak.npi.to_string());
    // Attu to Adak is about 435 miles by geodesic.
    assert!((400.0..470.0).contains(&first.1), "{first:?}");
    assert_matches_oracle(&query, &got, &query.brute_force(&app.physicians));
}

both_backends!(
    random_searches_equal_the_brute_force_oracle,
    the_far_western_aleutians_reach_adak_across_the_antimeridian,
);
