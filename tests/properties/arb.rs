//! Strategies: points that over-weight the hard places of the globe, valid
//! physicians, directories, filters and queries.

use std::collections::{BTreeSet, HashSet};
use std::sync::LazyLock;

use geo::{Distance, Geodesic, Point};
use proptest::prelude::*;
use proptest::sample::{Index, select};

use physician_locator::directory::{Location, Physician, distinct};
use physician_locator::domain::geo::MAX_RADIUS_M;
use physician_locator::domain::text::fold;
use physician_locator::domain::vocabulary::{ConditionKind, Kind, ServiceKind, SpecialtyKind, Term};
use physician_locator::domain::{
    Credential, Date, Gender, GeoPoint, GeocodePrecision, Language, Npi, Phone, Radius, Unit, UsState,
    ZipCode,
};
use physician_locator::geocode::Gazetteer;
use physician_locator::search::{Filters, SearchQuery};

use crate::oracle;

/// Places where spherical and planar intuitions break: both poles (reached
/// at several longitudes, one physical point each), just off them, the
/// equator at the antimeridian from both sides, null island, the Aleutians
/// either side of 180, and two ordinary cities.
const HUBS: &[(f64, f64)] = &[
    (90.0, 0.0),
    (90.0, 135.0),
    (-90.0, 0.0),
    (-90.0, -180.0),
    (89.9999, 180.0),
    (89.9999, -45.0),
    (-89.9999, -179.9999),
    (0.0, 0.0),
    (0.0, 180.0),
    (0.0, -180.0),
    (0.0, 179.9999),
    (0.0, -179.9999),
    (52.84, 173.18),
    (51.8549, -177.0888),
    (40.7484, -73.9967),
    (-33.87, 151.21),
];

const SPECIAL_LATS: &[f64] = &[90.0, -90.0, 89.9999, -89.9999, 0.0, 45.0, -45.0];
const SPECIAL_LNGS: &[f64] = &[180.0, -180.0, 179.9999, -179.9999, 0.0, 90.0, -90.0];

/// How far from a hub a point strays, in degrees: not at all (a cluster at
/// one address), by rounding noise, a street, a town, a state, a continent.
const SCALES: &[f64] = &[0.0, 1e-9, 1e-7, 1e-4, 0.01, 0.5, 3.0, 12.0];

fn wrap_lng(lng: f64) -> f64 {
    if lng > 180.0 {
        lng - 360.0
    } else if lng < -180.0 {
        lng + 360.0
    } else {
        lng
    }
}

fn at(lat: f64, lng: f64) -> GeoPoint {
    GeoPoint::new(lat.clamp(-90.0, 90.0), wrap_lng(lng)).expect("clamped and wrapped into range")
}

/// A point anywhere on Earth, mostly at or near the hard places.
pub fn point() -> impl Strategy<Value = GeoPoint> {
    let hub = select(HUBS);
    prop_oneof![
        3 => hub.clone().prop_map(|(lat, lng)| at(lat, lng)),
        5 => (hub, select(SCALES), -1.0..=1.0f64, -1.0..=1.0f64)
            .prop_map(|((lat, lng), scale, a, b)| at(lat + scale * a, lng + scale * b)),
        2 => (select(SPECIAL_LATS), select(SPECIAL_LNGS)).prop_map(|(lat, lng)| at(lat, lng)),
        2 => (-90.0..=90.0f64, -180.0..=180.0f64).prop_map(|(lat, lng)| at(lat, lng)),
    ]
}

/// A sample of real ZIP codes with their state and centroid, in a fixed order.
/// States a license may name: big and small, far-flung, and territories.
const STATES: &[&str] = &["WY", "NY", "CA", "AK", "HI", "PR", "GU", "TX", "VT", "DC"];

pub static ZIPS: LazyLock<Vec<(ZipCode, UsState, GeoPoint)>> = LazyLock::new(|| {
    let mut all: Vec<_> = Gazetteer::get().zips().map(|z| (z.zip, z.state, z.point)).collect();
    all.sort_by_key(|z| z.0);
    all.into_iter().step_by(211).collect()
});

fn term<K: Kind>(i: usize) -> Term<K> {
    Term::<K>::all().nth(i).expect("index within the vocabulary")
}

fn terms<K: Kind>() -> usize {
    Term::<K>::all().count()
}

/// A term, skewed towards the first few so that the rest are rare (held by
/// at most an eighth of a directory): those get their own index.
pub fn skewed_term<K: Kind>() -> impl Strategy<Value = Term<K>> {
    let n = terms::<K>();
    prop_oneof![3 => 0..3usize, 1 => 0..n].prop_map(term::<K>)
}

/// Any term, uniformly.
pub fn any_term<K: Kind>() -> impl Strategy<Value = Term<K>> {
    (0..terms::<K>()).prop_map(term::<K>)
}

/// Names whose folded forms collide ("Núñez", "NUNEZ") or need folding.
const GIVEN: &[&str] =
    &["Ada", "ada", "ADA", "Zoë", "Zoe", "Łukasz", "José", "Jose", "ǅemal", "Ng", "İlker", "Ω"];
const FAMILY: &[&str] = &[
    "Núñez",
    "Nunez",
    "NUNEZ",
    "O'Brien",
    "Smith",
    "smith",
    "Ávila-Ruiz",
    "van der Berg",
    "Straße",
    "Ng",
    "Łęcki",
    "Zhang",
];
/// Text a CSV writer must quote, or that looks like a list, a comment or a
/// line break (no field holds a control character: a real line break or tab
/// is refused, Unicode's line separator is text).
const AWKWARD: &[&str] =
    &["a,b", "\"quoted\"", "line\u{2028}separator", "no\u{a0}break", "semi;colon", "'", "#1"];

/// Non-blank text with no surrounding white space (what every reader keeps).
fn free_text() -> impl Strategy<Value = String> {
    // Compiled once here: a `&str` strategy compiles its regex on every draw.
    let printable = proptest::string::string_regex("\\PC{1,14}").expect("a valid regex");
    printable.prop_filter_map("blank", |s| {
        let t = s.trim();
        (!t.is_empty()).then(|| t.to_owned())
    })
}

fn text(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(pool).prop_map(str::to_owned),
        1 => select(AWKWARD).prop_map(str::to_owned),
        2 => free_text(),
    ]
}

pub const LANGUAGES: &[&str] = &["en", "es", "fr", "zh", "vi", "ht"];

fn phone() -> impl Strategy<Value = Phone> {
    (0u32..1000, 0u32..1000, 0u32..10000)
        .prop_map(|(a, b, c)| Phone::parse(&format!("{a:03}-{b:03}-{c:04}")).expect("phone shape"))
}

fn date() -> impl Strategy<Value = Date> {
    (0u32..=9999, 1u32..=12, 1u32..=31)
        .prop_map(|(y, m, d)| Date::parse(&format!("{y:04}-{m:02}-{d:02}")).expect("date shape"))
}

/// A valid NPI (check digit computed).
pub fn npi() -> impl Strategy<Value = Npi> {
    (100_000_000u32..=299_999_999).prop_map(Npi::from_base)
}

/// How much of a record to vary. A search reads names, terms, flags and
/// points: the rest stays plain, which makes large directories cheap to draw
/// (proptest is unoptimised in a debug build).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// What a search reads; names from the pools only.
    Search,
    /// Every field, with text a CSV writer must quote and any printable text.
    Records,
}

/// A practice location (ordinal 0: set by [`physician`]). A ZIP-precision
/// location sits exactly on its ZIP's centroid, as every reader places it.
fn location(detail: Detail) -> impl Strategy<Value = Location> {
    let texts = match detail {
        Detail::Search => Just(("Clinic".to_owned(), "1 Main Street".to_owned(), "Town".to_owned())).boxed(),
        Detail::Records => (text(FAMILY), free_text(), text(GIVEN)).boxed(),
    };
    let fixed = match detail {
        Detail::Search => Just((0, Phone::parse("212-555-0100").expect("phone shape"), false)).boxed(),
        Detail::Records => (0..ZIPS.len(), phone(), prop::bool::weighted(0.15)).boxed(),
    };
    let services = prop_oneof![2 => Just(Vec::new()), 3 => prop::collection::vec(skewed_term(), 1..=3).prop_map(distinct)];
    (texts, fixed, point(), services).prop_map(
        |((practice, street, city), (zip, phone, at_zip), point, services)| {
            let (zip, state, centroid) = ZIPS[zip];
            Location {
                ordinal: 0,
                practice_name: practice.into(),
                street: street.into(),
                city: city.into(),
                state,
                zip,
                phone,
                point: if at_zip { centroid } else { point },
                precision: if at_zip { GeocodePrecision::Zip } else { GeocodePrecision::Address },
                services,
            }
        },
    )
}

/// A valid physician: what `Physician::check` would accept and build.
pub fn physician(detail: Detail) -> impl Strategy<Value = Physician> {
    let names = match detail {
        Detail::Search => {
            (select(GIVEN).prop_map(str::to_owned), select(FAMILY).prop_map(str::to_owned)).boxed()
        }
        Detail::Records => (text(GIVEN), text(FAMILY)).boxed(),
    };
    let who = (npi(), names, any::<bool>(), any::<bool>());
    let terms = (
        prop::collection::vec(skewed_term::<SpecialtyKind>(), 1..=3).prop_map(distinct),
        prop::collection::vec(skewed_term::<ConditionKind>(), 0..=4).prop_map(distinct),
        prop::collection::vec(select(LANGUAGES), 0..=3).prop_map(distinct),
    );
    let flags = (any::<bool>(), any::<bool>(), date(), prop::collection::vec(select(STATES), 0..=3));
    let locations = prop_oneof![
        5 => prop::collection::vec(location(detail), 1..=1),
        3 => prop::collection::vec(location(detail), 2..=4),
        1 => prop::collection::vec(location(detail), 5..=10),
    ];
    // Sometimes two locations of one physician at the same coordinates.
    let twin = prop::option::weighted(0.2, (any::<Index>(), any::<Index>()));
    (who, terms, flags, locations, twin).prop_map(
        |(
            (npi, (given, family), md, female),
            (specialties, conditions, languages),
            flags,
            mut locations,
            twin,
        )| {
            let (accepting_new_patients, telehealth, last_updated, licensed) = flags;
            // As `from_rows` makes it: the listed states and the locations', sorted, once each.
            let mut licensed_states: Vec<UsState> = licensed
                .into_iter()
                .map(|s| UsState::parse(s).expect("a state"))
                .chain(locations.iter().map(|l| l.state))
                .collect();
            licensed_states.sort_by_key(|s| s.code());
            licensed_states.dedup();
            if let Some((a, b)) = twin {
                let point = locations[a.index(locations.len())].point;
                let at = b.index(locations.len());
                locations[at].point = point;
                locations[at].precision = GeocodePrecision::Address;
            }
            for (location, ordinal) in locations.iter_mut().zip(1u8..) {
                location.ordinal = ordinal;
            }
            Physician {
                npi,
                given_name: given,
                family_name: family,
                credentials: if md { Credential::Md } else { Credential::Do },
                gender: if female { Gender::Female } else { Gender::Male },
                specialties,
                conditions,
                languages: languages.into_iter().map(|l| Language::parse(l).expect("ISO 639-1")).collect(),
                accepting_new_patients,
                telehealth,
                last_updated,
                licensed_states,
                locations,
            }
        },
    )
}

/// Keeps the first physician of each NPI (as a directory holds one each).
pub fn unique(physicians: Vec<Physician>) -> Vec<Physician> {
    let mut seen = HashSet::new();
    physicians.into_iter().filter(|p| seen.insert(p.npi)).collect()
}

/// A directory of distinct physicians; in half of them a crowd, a share of
/// the physicians practising at one and the same point (a hospital), so
/// that many results tie on distance and only the NPI orders them.
pub fn directory(
    size: std::ops::RangeInclusive<usize>,
    detail: Detail,
) -> impl Strategy<Value = Vec<Physician>> {
    let crowd = prop::option::of((point(), 0.0..=1.0f64));
    (prop::collection::vec(physician(detail), size), crowd).prop_map(|(physicians, crowd)| {
        let mut physicians = unique(physicians);
        if let Some((point, share)) = crowd {
            let n = (share * physicians.len() as f64).ceil() as usize;
            for p in physicians.iter_mut().take(n) {
                p.locations[0].point = point;
                p.locations[0].precision = GeocodePrecision::Address;
            }
        }
        physicians
    })
}

/// Folded name fragments: prefixes, inner parts, across the given/family
/// space, and ones nobody has.
const NAME_QUERIES: &[&str] =
    &["a", "ada", "nunez", "nu", "smith", "a n", "o'b", "ng", "łu", "strasse", "zzz"];

/// Mostly no filter; else one or two terms.
fn term_set<K: Kind>() -> impl Strategy<Value = BTreeSet<Term<K>>> {
    prop_oneof![4 => Just(BTreeSet::new()), 1 => prop::collection::btree_set(any_term::<K>(), 1..=2)]
}

pub fn filters() -> impl Strategy<Value = Filters> {
    let sets = (term_set::<SpecialtyKind>(), term_set::<ConditionKind>(), term_set::<ServiceKind>());
    let flags = (
        prop::option::weighted(0.15, any::<bool>()),
        prop::option::weighted(0.15, any::<bool>()),
        prop::option::weighted(0.1, select(LANGUAGES)),
        prop::option::weighted(0.1, any::<bool>()),
        prop::option::weighted(
            0.1,
            prop_oneof![3 => select(NAME_QUERIES).prop_map(str::to_owned), 1 => free_text().prop_map(|s| fold(&s))],
        ),
    );
    let licensed_in = prop_oneof![
        4 => Just(BTreeSet::new()),
        1 => prop::collection::btree_set(select(STATES).prop_map(|s| UsState::parse(s).expect("a state")), 1..=2),
    ];
    (sets, flags, licensed_in).prop_map(
        |(
            (specialties, conditions, services),
            (accepting, telehealth, language, female, name),
            licensed_in,
        )| Filters {
            specialties,
            conditions,
            services,
            accepting_new_patients: accepting,
            telehealth,
            language: language.map(|l| Language::parse(l).expect("ISO 639-1")),
            gender: female.map(|f| if f { Gender::Female } else { Gender::Male }),
            name,
            licensed_in,
        },
    )
}

/// How a query's radius is chosen.
#[derive(Clone, Debug)]
pub enum RadiusChoice {
    /// This share of the largest radius, in (0, 1].
    Share(f64),
    /// Exactly the geodesic distance from the origin to one of the
    /// directory's locations: a result on the boundary.
    Through(Index),
}

/// Where a ranked query's origin is.
#[derive(Clone, Debug)]
pub enum OriginChoice {
    /// Anywhere, the hard places over-weighted.
    At(GeoPoint),
    /// Off one of the directory's locations by up to `scale` degrees (a
    /// query that finds something).
    Near(Index, f64, f64, f64),
}

/// A query before it meets a directory.
#[derive(Clone, Debug)]
pub struct QuerySpec {
    /// `None`: listed by name.
    pub origin: Option<OriginChoice>,
    pub radius: RadiusChoice,
    pub km: bool,
    pub filters: Filters,
    pub limit: usize,
    /// How many matches beyond the radius the last page adds.
    pub beyond: usize,
}

pub fn query() -> impl Strategy<Value = QuerySpec> {
    let origin = prop_oneof![
        1 => point().prop_map(OriginChoice::At),
        2 => (any::<Index>(), select(SCALES), -1.0..=1.0f64, -1.0..=1.0f64)
            .prop_map(|(i, scale, a, b)| OriginChoice::Near(i, scale, a, b)),
    ];
    let radius = prop_oneof![
        2 => Just(RadiusChoice::Share(1.0)),
        4 => (1e-6..=1.0f64).prop_map(RadiusChoice::Share),
        1 => (1e-12..=1e-6f64).prop_map(RadiusChoice::Share),
        3 => any::<Index>().prop_map(RadiusChoice::Through),
    ];
    (prop::option::weighted(0.85, origin), radius, any::<bool>(), filters(), 1usize..=25, 0usize..=10)
        .prop_map(|(origin, radius, km, filters, limit, beyond)| QuerySpec {
            origin,
            radius,
            km,
            filters,
            limit,
            beyond,
        })
}

pub fn geodesic_m(a: GeoPoint, b: GeoPoint) -> f64 {
    Geodesic.distance(Point::new(a.lng(), a.lat()), Point::new(b.lng(), b.lat()))
}

impl QuerySpec {
    /// The search this stands for over `directory`.
    pub fn resolve(&self, directory: &[Physician]) -> SearchQuery {
        let unit = if self.km { Unit::Km } else { Unit::Mi };
        let max = MAX_RADIUS_M / unit.metres();
        let points: Vec<GeoPoint> = directory.iter().flat_map(|p| &p.locations).map(|l| l.point).collect();
        let near = self.origin.as_ref().map(|origin| {
            let origin = match *origin {
                OriginChoice::At(point) => point,
                OriginChoice::Near(i, scale, a, b) => {
                    let p = points[i.index(points.len())];
                    at(p.lat() + scale * a, p.lng() + scale * b)
                }
            };
            let value = match &self.radius {
                RadiusChoice::Share(share) => max * share,
                RadiusChoice::Through(index) => {
                    // Through a location that the filters let in, if one is in reach.
                    let f = &self.filters;
                    let reach = |metres: &f64| *metres <= MAX_RADIUS_M;
                    let matching: Vec<f64> = directory
                        .iter()
                        .filter(|p| oracle::physician_matches(f, p))
                        .flat_map(|p| &p.locations)
                        .filter(|l| oracle::location_matches(f, l))
                        .map(|l| geodesic_m(origin, l.point))
                        .filter(reach)
                        .collect();
                    let any: Vec<f64> = points.iter().map(|&p| geodesic_m(origin, p)).filter(reach).collect();
                    let metres =
                        [matching, any].into_iter().find(|m| !m.is_empty()).map(|m| m[index.index(m.len())]);
                    metres.map_or(max, |m| (m / unit.metres()).max(1e-9))
                }
            };
            (origin, Radius::new(value.min(max), unit).expect("radius within range"))
        });
        SearchQuery { near, filters: self.filters.clone() }
    }
}
