//! Search against an independent brute-force oracle: every location of every
//! physician, its geodesic distance computed directly, filters applied by hand,
//! sorted by (distance, NPI). No R-tree, no sphere, no cursor.

use geo::{Distance, Geodesic, Point};
use serde_json::Value;

use crate::helpers::{Backend, both_backends};
use crate::helpers::{Lcg, TestApp, spawn_app};
use physician_locator::directory::Physician;
use physician_locator::domain::Specialty;

#[derive(Clone)]
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

    fn unit_m(&self) -> f64 {
        if self.km { 1000.0 } else { 1609.344 }
    }

    /// (npi, distance in the unit, location id) within the radius, sorted.
    fn brute_force(&self, physicians: &[Physician]) -> Vec<(String, f64, String)> {
        self.within(physicians, self.radius * self.unit_m())
    }

    /// (npi, distance in the unit, location id) within `limit_m` metres, sorted.
    fn within(&self, physicians: &[Physician], limit_m: f64) -> Vec<(String, f64, String)> {
        let unit = self.unit_m();
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
                    .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
                    .filter(|&(metres, _)| metres <= limit_m)
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

/// Follows `next_cursor` from `uri` to the last page: the results of every
/// page, and the last page's `beyond_radius` (every other page's is empty).
async fn pages_and_beyond(app: &TestApp, uri: &str) -> (Vec<Value>, Vec<Value>) {
    let mut results = Vec::new();
    let mut page = app.ok(uri).await;
    loop {
        results.extend(page["results"].as_array().expect("results").iter().cloned());
        let beyond = page["beyond_radius"].as_array().expect("beyond_radius with an origin").clone();
        let Some(cursor) = page["next_cursor"].as_str() else { return (results, beyond) };
        assert!(beyond.is_empty(), "beyond_radius before the last page of {uri}");
        page = app.ok(&format!("{uri}&cursor={cursor}")).await;
    }
}

async fn the_nearest_beyond_the_radius_equal_the_brute_force_oracle(backend: Backend) {
    let app = spawn_app(backend).await;
    // Yellowstone (ZIP 82190); Adak and Attu, either side of the antimeridian;
    // the mid-Pacific, more than 1000 mi from anyone.
    let origins = [(44.5677, -110.4413), (51.8549, -177.0888), (52.84, 173.18), (0.0, -140.0)];
    // No filter; LEMS; rare terms with their own indexes; a rare service and
    // the accepting filter on top.
    let any = Query {
        lat: 0.0,
        lng: 0.0,
        radius: 50.0,
        km: false,
        specialties: vec![],
        conditions: vec![],
        service: None,
        accepting: None,
    };
    let filters = [
        any.clone(),
        Query { conditions: vec!["lems"], ..any.clone() },
        Query { specialties: vec!["pmr-neuromuscular-medicine", "2084A2900X"], km: true, ..any.clone() },
        Query {
            conditions: vec!["paraneoplastic-syndromes"],
            service: Some("plasma-exchange"),
            accepting: Some(true),
            ..any.clone()
        },
    ];
    let mut beyond_seen = 0;
    for (i, &(lat, lng)) in origins.iter().enumerate() {
        for (j, filter) in filters.iter().enumerate() {
            let radius = [5.0, 50.0, 1000.0][(i + j) % 3];
            let query = Query { lat, lng, radius, ..filter.clone() };
            let beyond = [1, 3, 10][(i + 2 * j) % 3];
            let limit = if radius < 1000.0 { 7 } else { 100 };
            let uri = format!("{}&beyond={beyond}", query.uri(limit));
            let (results, beyond_radius) = pages_and_beyond(&app, &uri).await;
            let inside = query.brute_force(&app.physicians);
            assert_matches_oracle(&query, &seen(&results), &inside);
            let outside: Vec<_> = query
                .within(&app.physicians, f64::INFINITY)
                .into_iter()
                .skip(inside.len())
                .take(beyond)
                .collect();
            assert!(outside.iter().all(|o| o.1 > radius), "{uri}");
            assert_matches_oracle(&query, &seen(&beyond_radius), &outside);
            beyond_seen += beyond_radius.len();
        }
    }
    assert!(beyond_seen > 40, "the test must exercise beyond_radius, got {beyond_seen}");
    // Nobody within 1000 mi of the mid-Pacific: the first page is the last,
    // and names the nearest anyway; without an origin there is no beyond_radius.
    let page = app.ok("/v1/physicians?lat=0&lng=-140&radius=1000").await;
    assert_eq!(page["results"], serde_json::json!([]));
    assert_eq!(page["beyond_radius"].as_array().map(Vec::len), Some(3));
    assert!(app.ok("/v1/physicians?q=a&limit=1").await["beyond_radius"].is_null());
}

both_backends!(
    random_searches_equal_the_brute_force_oracle,
    the_far_western_aleutians_reach_adak_across_the_antimeridian,
    the_nearest_beyond_the_radius_equal_the_brute_force_oracle,
);
