//! Answering a search from a snapshot: filters, geodesic ranking, paging.
//!
//! The order and the radius are exactly those of Karney's geodesic, but a
//! ranked page rarely computes one: a [`Ruler`] measures each candidate with a
//! cheaper formula within a millimetre of it and compares as Karney would,
//! calling Karney only when two distances (or a distance and the radius or
//! the cursor) are closer than that. Results report the cheap value, except
//! where Karney's is needed to read in order or on the right side of the
//! radius; the cursor carries the last result's geodesic, so that paging
//! resumes exactly: one Karney call for a page that has a next, and one on
//! the next page, whose walk meets that result again a hair from the cursor.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::sync::Arc;

use super::cursor::{Cursor, Position, fnv1a};
use super::index::{self, Found, Traits};
use super::snapshot::{Entry, Pin, Snapshot};
use crate::directory::{Location, Physician};
use crate::domain::geo::{MEAN_EARTH_RADIUS_M, SPHERE_SLACK, sphere_m_from_chord2};
use crate::domain::vocabulary::{ConditionKind, ServiceKind, SpecialtyKind, TermSet};
use crate::domain::{
    Condition, Distance, Gender, GeoPoint, Language, Npi, Radius, Ruler, Service, Specialty, UsState,
};

/// What a physician must satisfy. Empty sets and `None` mean "any".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters {
    /// Any of these specialties (primary or not).
    pub specialties: BTreeSet<Specialty>,
    /// Treats any of these conditions.
    pub conditions: BTreeSet<Condition>,
    /// A location offering any of these; it then decides the nearest location.
    pub services: BTreeSet<Service>,
    pub accepting_new_patients: Option<bool>,
    pub telehealth: Option<bool>,
    pub language: Option<Language>,
    pub gender: Option<Gender>,
    /// Folded text the folded "given family" name must contain.
    pub name: Option<String>,
    /// Licensed in any of these states (who may see a patient there by telehealth).
    pub licensed_in: BTreeSet<UsState>,
}

/// A validated search.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchQuery {
    /// With an origin, results within the radius ranked by distance; without,
    /// every match listed by family then given name.
    pub near: Option<(GeoPoint, Radius)>,
    pub filters: Filters,
}

impl SearchQuery {
    /// Identifies the query (not the page) so a cursor is only honoured for the
    /// query that issued it.
    pub fn fingerprint(&self) -> u64 {
        let near =
            self.near.map(|(p, r)| (p.lat().to_bits(), p.lng().to_bits(), r.value().to_bits(), r.unit()));
        fnv1a(format!("{near:?}|{:?}", self.filters).as_bytes())
    }
}

/// A query's filters in the form the search tests them: the vocabulary sets
/// as bit masks.
pub(super) struct Matcher<'q> {
    filters: &'q Filters,
    pub specialties: TermSet<SpecialtyKind>,
    pub conditions: TermSet<ConditionKind>,
    services: TermSet<ServiceKind>,
}

impl<'q> Matcher<'q> {
    pub(super) fn new(filters: &'q Filters) -> Self {
        Matcher {
            filters,
            specialties: filters.specialties.iter().copied().collect(),
            conditions: filters.conditions.iter().copied().collect(),
            services: filters.services.iter().copied().collect(),
        }
    }

    /// Whether a physician with these traits may qualify: the test a walk
    /// makes on every location it passes, without reading the entry.
    fn admits(&self, traits: &Traits) -> bool {
        let f = self.filters;
        (self.specialties.is_empty() || self.specialties.intersects(traits.specialties))
            && (self.conditions.is_empty() || self.conditions.intersects(traits.conditions))
            && f.accepting_new_patients.is_none_or(|v| v == traits.accepting_new_patients)
            && f.telehealth.is_none_or(|v| v == traits.telehealth)
    }

    /// Whether the physician qualifies, whatever the location.
    pub(super) fn accepts(&self, entry: &Entry) -> bool {
        let (f, physician) = (self.filters, &entry.physician);
        self.admits(&entry.traits)
            && f.language.is_none_or(|l| physician.languages.contains(&l))
            && f.gender.is_none_or(|g| g == physician.gender)
            && f.name.as_deref().is_none_or(|q| entry.names.full().contains(q))
            && (f.licensed_in.is_empty()
                || physician.licensed_states.iter().any(|s| f.licensed_in.contains(s)))
    }

    /// Whether the location of `slot` qualifies with its physician.
    pub(super) fn accepts_slot(&self, slot: &Found<'_>) -> bool {
        let entry = slot.entry;
        self.admits(&slot.traits)
            && self.accepts(entry)
            && self.accepts_location(&entry.physician.locations[usize::from(slot.location)])
    }

    /// Whether the location qualifies (the `service` filter).
    pub(super) fn accepts_location(&self, location: &Location) -> bool {
        self.services.is_empty() || location.services.iter().any(|s| self.services.contains(*s))
    }

    /// The physician's qualifying locations, by index.
    fn locations<'e>(&self, entry: &'e Entry) -> impl Iterator<Item = (u8, &'e Location)> {
        (0u8..).zip(&entry.physician.locations).filter(|(_, l)| self.accepts_location(l))
    }
}

/// Squared chord between a stored unit vector and the (exact) centre: orders
/// points as the great circle does.
pub(super) fn chord2(a: [f32; 3], b: [f64; 3]) -> f64 {
    (f64::from(a[0]) - b[0]).powi(2) + (f64::from(a[1]) - b[1]).powi(2) + (f64::from(a[2]) - b[2]).powi(2)
}

/// Metres the sphere's bounds allow for rounding. A stored point, and the
/// centre as the index sees it, are each within 0.7 m of the true ones (single
/// precision), and the index computes its distances in single precision (under
/// 0.2 m at 1,000 miles). The walk's order can therefore put a location up to
/// 2 × (0.7 + 0.2) m nearer than one already passed, and a location's own
/// distance is off by up to 0.7 m: 2.5 m in all, 4 m allowed.
const ALLOWANCE: f64 = 4.0;

/// Metres by which the index's single-precision order may put a location
/// nearer than one already passed, `chord2` away: a relative error of about
/// 3e-7 in the squared chord, bounded here by 1e-6. Within 1,000 miles that is
/// inside [`ALLOWANCE`]; the walk beyond the radius may cross the Earth, where
/// the same error grows to kilometres near the antipode (the chord barely
/// changes there).
fn order_slack(chord2: f64) -> f64 {
    sphere_m_from_chord2((chord2 * (1.0 + 1e-6)).min(4.0)) - sphere_m_from_chord2(chord2)
}

/// The search disc around an origin, and the bounds that let the sphere do
/// most of the ellipsoid's work.
///
/// A geodesic distance `g` and the spherical distance `s` of the same pair
/// satisfy `s(1-e) - m <= g <= s(1+e) + m` (`e` = [`SPHERE_SLACK`], `m` =
/// [`ALLOWANCE`] for rounding). So a location with `s` up to `(r - m) / (1 + e)`
/// is inside without a geodesic, one with `s` beyond `(r + m) / (1 - e)` is
/// outside, and only the thin band between needs measuring to decide.
pub(super) struct Disc {
    /// Measures from the origin, and orders as Karney does.
    pub ruler: Ruler,
    pub centre: [f64; 3],
    /// As the index compares it.
    pub stored_centre: [f32; 3],
    pub radius_m: f64,
    pub sure_inside: f64,
    /// Squared chord enclosing every location that may be inside.
    pub outer_chord2: f32,
}

impl Disc {
    fn new(origin: GeoPoint, radius: Radius) -> Self {
        Disc::around(origin, radius.metres())
    }

    /// The disc of `radius_m` metres around `origin`; an infinite radius
    /// holds the whole Earth.
    pub(super) fn around(origin: GeoPoint, radius_m: f64) -> Self {
        let outer = (radius_m + ALLOWANCE) / (1.0 - SPHERE_SLACK);
        let half_angle = (outer / (2.0 * MEAN_EARTH_RADIUS_M)).min(std::f64::consts::FRAC_PI_2);
        Disc {
            ruler: Ruler::new(origin),
            centre: origin.unit_vector(),
            stored_centre: index::stored(origin.unit_vector()),
            radius_m,
            sure_inside: (radius_m - ALLOWANCE) / (1.0 + SPHERE_SLACK),
            outer_chord2: ((2.0 * half_angle.sin()).powi(2) * (1.0 + 1e-6)) as f32,
        }
    }

    /// The least geodesic distance a location `s` metres away on the sphere can have.
    pub(super) fn lower(s: f64) -> f64 {
        s * (1.0 - SPHERE_SLACK) - ALLOWANCE
    }

    /// The greatest.
    pub(super) fn upper(s: f64) -> f64 {
        s * (1.0 + SPHERE_SLACK) + ALLOWANCE
    }

    /// The least geodesic distance of any location a nearest-first walk
    /// yields after one `chord2` away: where the walk may stop.
    pub(super) fn ahead(chord2: f64) -> f64 {
        Disc::lower(sphere_m_from_chord2(chord2)) - order_slack(chord2)
    }

    /// Whether `slot` is its physician's nearest qualifying location on the
    /// sphere (ties to the lower index): the one place a walk over locations
    /// takes each physician from, so each is taken once.
    fn designated(&self, matcher: &Matcher<'_>, slot: &Found<'_>) -> bool {
        let (entry, at) = (slot.entry, slot.location);
        if entry.physician.locations.len() == 1 {
            return true;
        }
        let own = (chord2(slot.point, self.centre), at);
        matcher.locations(entry).all(|(l, loc)| {
            l == at || own <= (chord2(index::stored(loc.point.unit_vector()), self.centre), l)
        })
    }

    /// The physician's nearest qualifying location (ties to the lower index)
    /// and its distance, measuring only locations whose lower bound does not
    /// exceed the farthest the best found so far may be.
    fn nearest(&self, matcher: &Matcher<'_>, entry: &Entry) -> (Distance, u8) {
        let measure = |location: &Location| self.ruler.measure(location.point);
        if let [only] = entry.physician.locations.as_slice() {
            return (measure(only), 0);
        }
        let mut by_sphere: Vec<(f64, u8, &Location)> = matcher
            .locations(entry)
            .map(|(l, loc)| {
                (sphere_m_from_chord2(chord2(index::stored(loc.point.unit_vector()), self.centre)), l, loc)
            })
            .collect();
        by_sphere.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut best: Option<(Distance, u8)> = None;
        for (s, l, location) in by_sphere {
            if best.is_some_and(|(d, _)| Disc::lower(s) > Disc::farthest(d)) {
                break;
            }
            let candidate = (measure(location), l);
            if best.is_none_or(|b| self.by_distance(candidate, b).is_lt()) {
                best = Some(candidate);
            }
        }
        best.expect("a qualifying physician has a qualifying location")
    }

    /// Whether a distance's geodesic is within the radius.
    fn holds(&self, d: Distance) -> bool {
        self.ruler.cmp_metres(d, self.radius_m).is_le()
    }

    /// The most a distance's geodesic may be.
    fn farthest(d: Distance) -> f64 {
        d.metres() + d.bound()
    }

    /// The order of two (distance, tie-breaker) keys: the geodesic's
    /// (Karney's, deciding whenever the bounds do not), then the tie-breaker.
    fn by_distance<T: Ord>(&self, a: (Distance, T), b: (Distance, T)) -> Ordering {
        self.ruler.cmp(a.0, b.0).then(a.1.cmp(&b.1))
    }
}

/// One result: a physician, and with an origin, their nearest matching location
/// and its distance in metres: within [`crate::domain::geo::KERNEL_BOUND_M`]
/// of the geodesic, on the same side of the radius, and never out of order on
/// its page (see [`Ruler::settle`]).
#[derive(Debug)]
pub struct Hit<'a> {
    pub physician: &'a Physician,
    pub nearest: Option<(&'a Location, f64)>,
    entry: &'a Arc<Entry>,
}

impl Hit<'_> {
    fn new(entry: &Arc<Entry>, nearest: Option<(u8, f64)>) -> Hit<'_> {
        let physician = &entry.physician;
        Hit {
            physician,
            nearest: nearest.map(|(l, metres)| (&physician.locations[usize::from(l)], metres)),
            entry,
        }
    }

    /// A pin on the physician's record, with no lookup: the walk holds it.
    pub fn pin(&self) -> Pin {
        Pin::of(self.entry)
    }
}

/// One page of results.
#[derive(Debug)]
pub struct Page<'a> {
    /// How many physicians match in all (within the radius, with an origin),
    /// when asked for: counting visits every match, a page only its own.
    pub total: Option<usize>,
    pub hits: Vec<Hit<'a>>,
    /// Present when more results follow.
    pub next: Option<Cursor>,
    /// With an origin, on the last page (no `next`): the nearest matches
    /// outside the radius, so that an empty or thin radius is no dead end;
    /// empty on the other pages. `None` without an origin.
    pub beyond: Option<Vec<Hit<'a>>>,
}

impl Snapshot {
    /// Answers `query`, returning at most `limit` results after `after`, the
    /// number of matches in all if `count` is set and, on the last page of a
    /// ranked answer, up to `beyond` matches outside the radius.
    pub fn search(
        &self,
        query: &SearchQuery,
        limit: usize,
        after: Option<&Position>,
        count: bool,
        beyond: usize,
    ) -> Page<'_> {
        let matcher = Matcher::new(&query.filters);
        let Some((origin, radius)) = query.near else {
            return self.listed(query, &matcher, limit, after, count);
        };
        let disc = Disc::new(origin, radius);
        let sources =
            self.indexes.sources(&self.entries, &self.counts, matcher.specialties, matcher.conditions);
        let total = count.then(|| self.count_within(&matcher, &disc, &sources));
        let cursor = match after {
            Some(Position::Distance { metres, npi }) => Some((*metres, *npi)),
            _ => None,
        };
        // One ranking serves both: a page and one more tell whether another
        // page follows; on the last page, the matches beyond the radius come
        // next in it, so the walk goes on past the radius for `beyond` more.
        let until = if beyond == 0 { disc.radius_m } else { f64::INFINITY };
        let mut ranked = self.nearest(&matcher, &disc, &sources, limit + beyond.max(1), cursor, until);
        disc.ruler.settle(&mut ranked, |r| &mut r.0);
        // Each distance reads on the side of the radius it is judged on.
        let inside = ranked.partition_point(|r| r.0.metres() <= disc.radius_m);
        let more = inside > limit;
        // The cursor holds the last result's geodesic, so that the next page
        // begins exactly where the ranking says, whatever was reported.
        let next = ranked[..inside.min(limit)].last().filter(|_| more).map(|last| Cursor {
            fingerprint: query.fingerprint(),
            position: Position::Distance { metres: disc.ruler.exact(last.0), npi: last.2.physician.npi },
        });
        let mut ranked = ranked.into_iter().map(|(d, l, entry)| Hit::new(entry, Some((l, d.metres()))));
        let hits: Vec<Hit<'_>> = ranked.by_ref().take(inside.min(limit)).collect();
        let beyond = if more { Vec::new() } else { ranked.take(beyond).collect() };
        Page { total, hits, next, beyond: Some(beyond) }
    }

    /// The first `take` physicians within `until` metres after `cursor` in
    /// (geodesic distance, NPI) order, with their nearest qualifying location
    /// and its distance, decided against the radius.
    ///
    /// Locations come nearest first on the sphere; each physician is taken at
    /// its designated location and measured. The walk ends when the next
    /// location's lower bound is beyond `until`, or beyond the farthest the
    /// last of `take` found may be: nothing after it can enter.
    fn nearest<'s>(
        &'s self,
        matcher: &Matcher<'_>,
        disc: &Disc,
        sources: &[index::Source<'s>],
        take: usize,
        cursor: Option<(f64, Npi)>,
        until: f64,
    ) -> Vec<(Distance, u8, &'s Arc<Entry>)> {
        let mut page: Vec<(Distance, u8, &Arc<Entry>)> = Vec::with_capacity(take + 1);
        for slot in index::nearest(sources, disc.stored_centre) {
            let d2 = chord2(slot.point, disc.centre);
            let s = sphere_m_from_chord2(d2);
            let least = Disc::ahead(d2);
            if least > until || page.len() >= take && least > Disc::farthest(page[take - 1].0) {
                break;
            }
            let entry = slot.entry;
            let qualifies = matcher.accepts_slot(&slot) && disc.designated(matcher, &slot);
            // Whatever is surely nearer than the cursor was on an earlier page.
            if !qualifies || cursor.is_some_and(|(d, _)| Disc::upper(s) < d) {
                continue;
            }
            let (d, l) = disc.nearest(matcher, entry);
            let d = disc.ruler.decided(d, disc.radius_m);
            let key = (d, entry.physician.npi);
            let vs_cursor =
                |(metres, npi): (f64, Npi)| disc.ruler.cmp_metres(d, metres).then(key.1.cmp(&npi));
            if d.metres() > until || cursor.is_some_and(|c| vs_cursor(c).is_le()) {
                continue;
            }
            let at = page.partition_point(|p| disc.by_distance((p.0, p.2.physician.npi), key).is_lt());
            if at < take {
                page.insert(at, (d, l, entry));
                page.truncate(take);
            }
        }
        page
    }

    /// How many physicians have a qualifying location within the disc.
    fn count_within(&self, matcher: &Matcher<'_>, disc: &Disc, sources: &[index::Source<'_>]) -> usize {
        index::within(sources, disc.stored_centre, disc.outer_chord2)
            .filter(|slot| {
                matcher.accepts_slot(slot)
                    && disc.designated(matcher, slot)
                    && (sphere_m_from_chord2(chord2(slot.point, disc.centre)) <= disc.sure_inside
                        || disc.holds(disc.nearest(matcher, slot.entry).0))
            })
            .count()
    }

    /// Every matching physician in name order.
    fn listed(
        &self,
        query: &SearchQuery,
        matcher: &Matcher<'_>,
        limit: usize,
        after: Option<&Position>,
        count: bool,
    ) -> Page<'_> {
        let matches =
            |entry: &&Arc<Entry>| matcher.accepts(entry) && matcher.locations(entry).next().is_some();
        let start = match after {
            Some(Position::Name { family, given, npi }) => {
                self.by_name.partition_point(|e| e.name_key() <= (family.as_str(), given.as_str(), *npi))
            }
            _ => 0,
        };
        let total = count.then(|| self.by_name.iter().filter(matches).count());
        let mut page: Vec<&Arc<Entry>> =
            self.by_name[start..].iter().filter(matches).take(limit + 1).collect();
        let more = page.len() > limit;
        page.truncate(limit);
        let next = page.last().filter(|_| more).map(|entry| {
            let (family, given, npi) = entry.name_key();
            Cursor {
                fingerprint: query.fingerprint(),
                position: Position::Name { family: family.to_owned(), given: given.to_owned(), npi },
            }
        });
        let hits = page.into_iter().map(|entry| Hit::new(entry, None)).collect();
        Page { total, hits, next, beyond: None }
    }
}
