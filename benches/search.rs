//! In-process search benchmarks: the snapshot answering k = 20 searches at
//! several directory sizes, its build time and memory, and beside it the naive
//! design (SQLite computing haversine over a bounding box) on the same data.
//!
//! `cargo bench --bench search` runs every size (10k, 100k, 1M);
//! `LOCATOR_BENCH_SIZES=10000,100000` picks others. Query points are 64 of the
//! directory's own practice locations (so, like the physicians, spread by
//! population), taken in turn. Resident memory is measured on the server
//! (benches/http.sh): in one process beside its inputs it cannot be told apart.
//! See BENCHMARKS.md for figures.

use std::convert::Infallible;
use std::hint::black_box;
use std::time::Instant;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Double, Text};
use physician_locator::directory::Physician;
use physician_locator::domain::{Condition, GeoPoint, Radius, Ruler, Specialty, Unit};
use physician_locator::generate::generate;
use physician_locator::geocode::Gazetteer;
use physician_locator::search::{Filters, Position, SearchQuery, Snapshot};

/// The server's allocator, so that time and memory are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const K: usize = 20;
/// Held by about 1% of physicians.
const RARE_SPECIALTY: &str = "electrodiagnostic-medicine";
/// Held by about 41%.
const COMMON_SPECIALTY: &str = "neurology";

fn sizes() -> Vec<usize> {
    std::env::var("LOCATOR_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("LOCATOR_BENCH_SIZES: comma-separated counts"))
        .collect()
}

fn directory(count: usize) -> Vec<Physician> {
    let mut physicians = Vec::with_capacity(count);
    generate(count, 1, |p| {
        physicians.push(p);
        Ok::<_, Infallible>(())
    })
    .expect("generation cannot fail");
    physicians
}

fn query_points(physicians: &[Physician]) -> Vec<GeoPoint> {
    let locations: Vec<GeoPoint> = physicians.iter().flat_map(|p| &p.locations).map(|l| l.point).collect();
    (0..64).map(|i| locations[i * locations.len() / 64]).collect()
}

/// Cycles through the query points, one per iteration.
struct Points {
    points: Vec<GeoPoint>,
    next: usize,
}

impl Points {
    fn take(&mut self) -> (usize, GeoPoint) {
        let i = self.next % self.points.len();
        self.next += 1;
        (i, self.points[i])
    }
}

fn miles(value: f64) -> Radius {
    Radius::new(value, Unit::Mi).expect("valid radius")
}

fn specialty(slug: &str) -> Filters {
    Filters { specialties: [Specialty::parse(slug).expect("known")].into(), ..Filters::default() }
}

fn lems_accepting() -> Filters {
    Filters {
        conditions: [Condition::parse("lems").expect("known")].into(),
        accepting_new_patients: Some(true),
        ..Filters::default()
    }
}

fn near(point: GeoPoint, radius: f64, filters: Filters) -> SearchQuery {
    SearchQuery { near: Some((point, miles(radius))), filters }
}

/// A benchmark: its name, the radius in miles, the filters.
type Case = (&'static str, f64, fn() -> Filters);

fn search_benches(c: &mut Criterion) {
    for size in sizes() {
        let physicians = directory(size);
        let points = query_points(&physicians);
        let mut naive = NaiveSqlite::load(&physicians);

        let started = Instant::now();
        let snapshot = Snapshot::build(1, physicians.clone());
        eprintln!(
            "first snapshot of {size} physicians ({} locations) built in {:.2} s",
            snapshot.location_count(),
            started.elapsed().as_secs_f64()
        );

        let mut group = c.benchmark_group(format!("search/{size}"));
        let mut points = Points { points, next: 0 };
        let cases: [Case; 8] = [
            ("no_filter_r50", 50.0, Filters::default),
            ("common_specialty_r50", 50.0, || specialty(COMMON_SPECIALTY)),
            ("rare_specialty_r50", 50.0, || specialty(RARE_SPECIALTY)),
            ("lems_accepting_r50", 50.0, lems_accepting),
            ("no_filter_r25", 25.0, Filters::default),
            ("no_filter_r100", 100.0, Filters::default),
            ("no_filter_r1000", 1000.0, Filters::default),
            ("rare_specialty_r1000", 1000.0, || specialty(RARE_SPECIALTY)),
        ];
        for (name, radius, filters) in cases {
            let filters = filters();
            group.bench_function(name, |b| {
                b.iter(|| {
                    let query = near(points.take().1, radius, filters.clone());
                    black_box(snapshot.search(&query, K, None, false, 0).hits.len())
                })
            });
        }

        // A patient far from every match: ZIP centroids (every 50th) with no
        // holder of the rare specialty within 50 mi. The page is empty and
        // the walk goes on past the radius for the 3 nearest beyond it, what
        // the server does by default (`beyond=3`).
        let remote: Vec<GeoPoint> = Gazetteer::get()
            .zips()
            .step_by(50)
            .map(|z| z.point)
            .filter(|&p| {
                snapshot.search(&near(p, 50.0, specialty(RARE_SPECIALTY)), K, None, false, 0).hits.is_empty()
            })
            .collect();
        eprintln!("{} of the sampled ZIP codes have no rare specialist within 50 mi", remote.len());
        if !remote.is_empty() {
            let mut remote = Points { points: remote, next: 0 };
            group.bench_function("rare_specialty_r50_empty_beyond3", |b| {
                b.iter(|| {
                    let query = near(remote.take().1, 50.0, specialty(RARE_SPECIALTY));
                    black_box(snapshot.search(&query, K, None, false, 3).beyond.map(|b| b.len()))
                })
            });
        }

        // The second page: the first page's cursor position for each point
        // that has more than one page.
        let seconds: Vec<(SearchQuery, Position)> = points
            .points
            .iter()
            .filter_map(|&p| {
                let query = near(p, 50.0, Filters::default());
                let next = snapshot.search(&query, K, None, false, 0).next?;
                Some((query, next.position))
            })
            .collect();
        group.bench_function("no_filter_r50_page2", |b| {
            b.iter(|| {
                let (query, after) = &seconds[points.take().0 % seconds.len()];
                black_box(snapshot.search(query, K, Some(after), false, 0).hits.len())
            })
        });
        group.bench_function("no_filter_r50_with_total", |b| {
            b.iter(|| {
                let query = near(points.take().1, 50.0, Filters::default());
                black_box(snapshot.search(&query, K, None, true, 0).total)
            })
        });
        group.bench_function("name_list", |b| {
            let query = SearchQuery { near: None, filters: Filters::default() };
            b.iter(|| black_box(snapshot.search(&query, K, None, false, 0).hits.len()))
        });
        group.bench_function("name_list_rare_specialty", |b| {
            let query = SearchQuery { near: None, filters: specialty(RARE_SPECIALTY) };
            b.iter(|| black_box(snapshot.search(&query, K, None, false, 0).hits.len()))
        });

        for (name, filter) in
            [("naive_sqlite_no_filter_r50", ""), ("naive_sqlite_rare_specialty_r50", "204R00000X")]
        {
            group.bench_function(name, |b| {
                b.iter(|| black_box(naive.nearest(points.take().1, 50.0, filter).len()))
            });
        }
        // The unit of a page's cost: one WGS84 geodesic (Karney), which each
        // result needs for its distance; here over about 11 km, north-east
        // (a meridian would take a shortcut).
        group.bench_function("one_geodesic", |b| {
            b.iter(|| {
                let from = points.take().1;
                let to = GeoPoint::new((from.lat() + 0.07).min(90.0), (from.lng() + 0.09).min(180.0))
                    .expect("valid");
                black_box(from.geodesic_m(to))
            })
        });
        // The same line measured by the kernel (`Ruler`, Vincenty's formula
        // within a proven bound of Karney), the origin prepared each time.
        group.bench_function("one_kernel_distance", |b| {
            b.iter(|| {
                let from = points.take().1;
                let to = GeoPoint::new((from.lat() + 0.07).min(90.0), (from.lng() + 0.09).min(180.0))
                    .expect("valid");
                black_box(Ruler::new(from).measure(to).metres())
            })
        });
        group.finish();

        let mut group = c.benchmark_group(format!("build/{size}"));
        group.sample_size(10);
        group.bench_function("snapshot", |b| {
            b.iter_batched(|| physicians.clone(), |p| Snapshot::build(1, p), BatchSize::LargeInput)
        });
        group.finish();
    }
}

#[diesel::declare_sql_function]
extern "SQL" {
    /// Great-circle distance in metres on a 6,371,008.8 m sphere.
    fn haversine_m(lat1: Double, lng1: Double, lat2: Double, lng2: Double) -> Double;
}

fn haversine(lat1: f64, lng1: f64, lat2: f64, lng2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let (dp, dl) = ((lat2 - lat1).to_radians(), (lng2 - lng1).to_radians());
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.sqrt().min(1.0).asin()
}

#[derive(QueryableByName)]
struct Near {
    #[diesel(sql_type = Text)]
    #[allow(dead_code)] // read by Diesel; the benchmark only counts rows
    npi: String,
}

/// What most locators ship: one row per location in SQLite, an index on
/// (lat, lng), a bounding box to prefilter and haversine to rank, one row per
/// physician at its nearest location.
struct NaiveSqlite {
    connection: SqliteConnection,
}

impl NaiveSqlite {
    fn load(physicians: &[Physician]) -> Self {
        let mut connection = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        haversine_m_utils::register_impl(&mut connection, haversine).expect("register haversine");
        connection
            .batch_execute(
                "CREATE TABLE locations (npi TEXT NOT NULL, lat REAL NOT NULL, lng REAL NOT NULL,
                     specialties TEXT NOT NULL);
                 BEGIN;",
            )
            .expect("schema");
        for p in physicians {
            let specialties: Vec<&str> =
                p.specialties.iter().filter_map(|s| s.entry().code.as_deref()).collect();
            for l in &p.locations {
                diesel::sql_query("INSERT INTO locations VALUES (?, ?, ?, ?)")
                    .bind::<Text, _>(p.npi.to_string())
                    .bind::<Double, _>(l.point.lat())
                    .bind::<Double, _>(l.point.lng())
                    .bind::<Text, _>(specialties.join(";"))
                    .execute(&mut connection)
                    .expect("insert");
            }
        }
        connection
            .batch_execute("COMMIT; CREATE INDEX locations_lat_lng ON locations (lat, lng); ANALYZE;")
            .expect("index");
        NaiveSqlite { connection }
    }

    /// The `K` nearest physicians within `radius_mi` holding `specialty` (a
    /// NUCC code; empty for any).
    fn nearest(&mut self, origin: GeoPoint, radius_mi: f64, specialty: &str) -> Vec<Near> {
        let radius_m = radius_mi * 1609.344;
        // A degree of latitude is at least 110.5 km.
        let dlat = radius_m / 110_500.0;
        let dlng = dlat / origin.lat().to_radians().cos().max(0.01);
        diesel::sql_query(
            "SELECT npi, MIN(haversine_m(?, ?, lat, lng)) AS d FROM locations
             WHERE lat BETWEEN ? AND ? AND lng BETWEEN ? AND ? AND instr(specialties, ?) > 0
             GROUP BY npi HAVING d <= ? ORDER BY d, npi LIMIT ?",
        )
        .bind::<Double, _>(origin.lat())
        .bind::<Double, _>(origin.lng())
        .bind::<Double, _>(origin.lat() - dlat)
        .bind::<Double, _>(origin.lat() + dlat)
        .bind::<Double, _>(origin.lng() - dlng)
        .bind::<Double, _>(origin.lng() + dlng)
        .bind::<Text, _>(specialty)
        .bind::<Double, _>(radius_m)
        .bind::<diesel::sql_types::BigInt, _>(K as i64)
        .load(&mut self.connection)
        .expect("naive query")
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = search_benches
}
criterion_main!(benches);
