//! Answering a search from a snapshot: filters, geodesic ranking, paging.

use std::collections::{BTreeSet, HashMap};

use super::cursor::{Cursor, Position, fnv1a};
use super::snapshot::{Entry, Snapshot, by_distance};
use crate::directory::{Location, Physician};
use crate::domain::geo::{MEAN_EARTH_RADIUS_M, SPHERE_SLACK, sphere_m_from_chord2};
use crate::domain::{Condition, Gender, GeoPoint, Language, Npi, Radius, Service, Specialty};

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
}

impl Filters {
    fn accepts(&self, physician: &Physician, folded_name: &str) -> bool {
        let any = |wanted_empty: bool, found: bool| wanted_empty || found;
        any(self.specialties.is_empty(), physician.specialties.iter().any(|s| self.specialties.contains(s)))
            && any(
                self.conditions.is_empty(),
                physician.conditions.iter().any(|c| self.conditions.contains(c)),
            )
            && self.accepting_new_patients.is_none_or(|v| v == physician.accepting_new_patients)
            && self.telehealth.is_none_or(|v| v == physician.telehealth)
            && self.language.is_none_or(|l| physician.languages.contains(&l))
            && self.gender.is_none_or(|g| g == physician.gender)
            && self.name.as_deref().is_none_or(|q| folded_name.contains(q))
    }

    fn accepts_location(&self, location: &Location) -> bool {
        self.services.is_empty() || location.services.iter().any(|s| self.services.contains(s))
    }
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

/// A physician's matching locations: (spherical distance, location index).
type SphereDistances = Vec<(f64, u8)>;

/// A physician within the radius while a ranked page is assembled.
struct Member<'a> {
    entry: &'a Entry,
    /// Bounds on the distance to the nearest matching location.
    low: f64,
    high: f64,
    /// Matching locations, nearest on the sphere first.
    locations: SphereDistances,
    exact: Option<(f64, u8)>,
}

impl Member<'_> {
    /// The exact nearest matching location and its geodesic distance: the
    /// minimum over the locations whose lower bound does not exceed the best
    /// found so far.
    fn nearest(&mut self, geodesic: &impl Fn(&Entry, u8) -> f64) -> (f64, u8) {
        if let Some(exact) = self.exact {
            return exact;
        }
        let mut best = (f64::INFINITY, u8::MAX);
        for &(s, l) in &self.locations {
            if s * (1.0 - SPHERE_SLACK) - 1e-3 > best.0 {
                break;
            }
            let d = geodesic(self.entry, l);
            if (d, l) < best {
                best = (d, l);
            }
        }
        self.exact = Some(best);
        best
    }
}

/// One result: a physician, and with an origin, their nearest matching location
/// and its geodesic distance in metres.
#[derive(Debug)]
pub struct Hit<'a> {
    pub physician: &'a Physician,
    pub nearest: Option<(&'a Location, f64)>,
}

/// One page of results.
#[derive(Debug)]
pub struct Page<'a> {
    /// How many physicians match in all (within the radius, with an origin).
    pub total: usize,
    pub hits: Vec<Hit<'a>>,
    /// Present when more results follow.
    pub next: Option<Cursor>,
}

impl Snapshot {
    /// Answers `query`, returning at most `limit` results after `after`.
    pub fn search(&self, query: &SearchQuery, limit: usize, after: Option<&Position>) -> Page<'_> {
        match query.near {
            Some((origin, radius)) => self.ranked(query, origin, radius, limit, after),
            None => self.listed(query, limit, after),
        }
    }

    /// Every physician within `radius` at their nearest matching location,
    /// ordered by (geodesic distance, NPI).
    ///
    /// The sphere does the bulk of the work and the ellipsoid decides. A
    /// geodesic distance `g` and the spherical distance `s` of the same pair
    /// satisfy `s(1-e) - m <= g <= s(1+e) + m` (`e` = [`SPHERE_SLACK`], `m` a
    /// millimetre for rounding), so: the R-tree returns every location with `s`
    /// up to `(r + m) / (1 - e)`; a location with `s` below `(r - m) / (1 + e)`
    /// is inside without a geodesic; only the thin band between needs one to
    /// decide membership. The exact distances that order the page are then
    /// computed lazily, in order of their lower bound, until no unexamined
    /// physician could still enter the page.
    fn ranked(
        &self,
        query: &SearchQuery,
        origin: GeoPoint,
        radius: Radius,
        limit: usize,
        after: Option<&Position>,
    ) -> Page<'_> {
        const MM: f64 = 1e-3;
        let radius_m = radius.metres();
        let (sure_inside, outer) =
            ((radius_m - MM) / (1.0 + SPHERE_SLACK), (radius_m + MM) / (1.0 - SPHERE_SLACK));
        let half_angle = (outer / (2.0 * MEAN_EARTH_RADIUS_M)).min(std::f64::consts::FRAC_PI_2);
        let chord2 = (2.0 * half_angle.sin()).powi(2) * (1.0 + 1e-12);
        let centre = origin.unit_vector();
        let lower = |s: f64| s * (1.0 - SPHERE_SLACK) - MM;
        let upper = |s: f64| s * (1.0 + SPHERE_SLACK) + MM;

        // Per physician: the filter verdict, then its matching locations with
        // their spherical distances.
        let mut verdicts: HashMap<Npi, bool> = HashMap::new();
        let mut groups: HashMap<Npi, (&Entry, SphereDistances)> = HashMap::new();
        for slot in self.tree.locate_within_distance(centre, chord2) {
            let (entry, l) = (&*slot.data.entry, slot.data.location);
            let physician = &entry.physician;
            let accepted = *verdicts
                .entry(physician.npi)
                .or_insert_with(|| query.filters.accepts(physician, &entry.names.full));
            if !accepted || !query.filters.accepts_location(&physician.locations[usize::from(l)]) {
                continue;
            }
            let v = slot.geom();
            let chord = (0..3).map(|i| (v[i] - centre[i]).powi(2)).sum::<f64>();
            groups
                .entry(physician.npi)
                .or_insert_with(|| (entry, Vec::new()))
                .1
                .push((sphere_m_from_chord2(chord), l));
        }

        let geodesic =
            |entry: &Entry, l: u8| origin.geodesic_m(entry.physician.locations[usize::from(l)].point);
        // The members, each with bounds on its distance (or the exact one).
        let mut members: Vec<Member<'_>> = Vec::with_capacity(groups.len());
        for (entry, mut locations) in groups.into_values() {
            locations.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let (nearest_s, _) = locations[0];
            let inside = nearest_s <= sure_inside
                || locations
                    .iter()
                    .take_while(|(s, _)| lower(*s) <= radius_m)
                    .any(|&(_, l)| geodesic(entry, l) <= radius_m);
            if inside {
                members.push(Member {
                    entry,
                    low: lower(nearest_s),
                    high: upper(nearest_s),
                    locations,
                    exact: None,
                });
            }
        }
        let total = members.len();

        // Skip what surely precedes the cursor; examine the rest by lower bound.
        let cursor = match after {
            Some(Position::Distance { metres, npi }) => Some((*metres, *npi)),
            _ => None,
        };
        members.retain(|m| cursor.is_none_or(|(d, _)| m.high >= d));
        members.sort_by(|a, b| a.low.total_cmp(&b.low));
        let mut page: Vec<(f64, u8, &Entry)> = Vec::new();
        for member in &mut members {
            // The page holds limit + 1 (to know whether more follow); once the
            // worst of them is nearer than this lower bound, nothing later enters.
            if page.len() > limit && page[limit].0 < member.low {
                break;
            }
            let (metres, l) = member.nearest(&geodesic);
            let key = (metres, member.entry.physician.npi);
            if cursor.is_some_and(|c| by_distance(key, c).is_le()) {
                continue;
            }
            let at = page.partition_point(|p| by_distance((p.0, p.2.physician.npi), key).is_lt());
            page.insert(at, (metres, l, member.entry));
            page.truncate(limit + 1);
        }
        let more = page.len() > limit;
        page.truncate(limit);
        let next = page.last().filter(|_| more).map(|&(metres, _, entry)| Cursor {
            fingerprint: query.fingerprint(),
            position: Position::Distance { metres, npi: entry.physician.npi },
        });
        let hits = page
            .into_iter()
            .map(|(metres, l, entry)| {
                let physician = &entry.physician;
                Hit { physician, nearest: Some((&physician.locations[usize::from(l)], metres)) }
            })
            .collect();
        Page { total, hits, next }
    }

    /// Every matching physician in name order.
    fn listed(&self, query: &SearchQuery, limit: usize, after: Option<&Position>) -> Page<'_> {
        let matches = |entry: &Entry| {
            let physician = &entry.physician;
            query.filters.accepts(physician, &entry.names.full)
                && physician.locations.iter().any(|l| query.filters.accepts_location(l))
        };
        let start = match after {
            Some(Position::Name { family, given, npi }) => {
                self.by_name.partition_point(|e| e.name_key() <= (family.as_str(), given.as_str(), *npi))
            }
            _ => 0,
        };
        let mut total = 0;
        let mut page: Vec<&Entry> = Vec::new();
        let mut more = false;
        for (i, entry) in self.by_name.iter().enumerate() {
            if !matches(entry) {
                continue;
            }
            total += 1;
            if i < start {
                continue;
            }
            if page.len() < limit {
                page.push(entry);
            } else {
                more = true;
            }
        }
        let next = page.last().filter(|_| more).map(|entry| {
            let (family, given, npi) = entry.name_key();
            Cursor {
                fingerprint: query.fingerprint(),
                position: Position::Name { family: family.to_owned(), given: given.to_owned(), npi },
            }
        });
        let hits = page.into_iter().map(|entry| Hit { physician: &entry.physician, nearest: None }).collect();
        Page { total, hits, next }
    }
}
