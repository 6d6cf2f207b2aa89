//! Answering a search from a snapshot: filters, geodesic ranking, paging.

use std::collections::{BTreeSet, HashMap};

use super::cursor::{Cursor, Position, fnv1a};
use super::snapshot::{Entry, Snapshot, by_distance};
use crate::directory::{Location, Physician};
use crate::domain::geo::{MEAN_EARTH_RADIUS_M, SPHERE_SLACK};
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
    /// The sphere finds candidates: a geodesic distance within the radius is a
    /// spherical distance within `radius / (1 - SPHERE_SLACK)`, a chord bound the
    /// R-tree answers directly. The ellipsoid then decides membership and order.
    fn ranked(
        &self,
        query: &SearchQuery,
        origin: GeoPoint,
        radius: Radius,
        limit: usize,
        after: Option<&Position>,
    ) -> Page<'_> {
        let radius_m = radius.metres();
        let sphere_bound = radius_m / (1.0 - SPHERE_SLACK);
        let half_angle = (sphere_bound / (2.0 * MEAN_EARTH_RADIUS_M)).min(std::f64::consts::FRAC_PI_2);
        let chord2 = (2.0 * half_angle.sin()).powi(2) * (1.0 + 1e-12);
        let centre = origin.unit_vector();

        // Per physician: the filter verdict, and the nearest matching location.
        let mut verdicts: HashMap<Npi, bool> = HashMap::new();
        let mut best: HashMap<Npi, (f64, u8, &Entry)> = HashMap::new();
        for slot in self.tree.locate_within_distance(centre, chord2) {
            let (entry, l) = (&*slot.data.entry, slot.data.location);
            let physician = &entry.physician;
            let location = &physician.locations[usize::from(l)];
            let accepted = *verdicts
                .entry(physician.npi)
                .or_insert_with(|| query.filters.accepts(physician, &entry.names.full));
            if !accepted || !query.filters.accepts_location(location) {
                continue;
            }
            let metres = origin.geodesic_m(location.point);
            if metres > radius_m {
                continue;
            }
            best.entry(physician.npi)
                .and_modify(|b| {
                    if (metres, l) < (b.0, b.1) {
                        *b = (metres, l, entry);
                    }
                })
                .or_insert((metres, l, entry));
        }

        let total = best.len();
        let key = |hit: &(f64, u8, &Entry)| (hit.0, hit.2.physician.npi);
        let mut rest: Vec<(f64, u8, &Entry)> = best
            .into_values()
            .filter(|hit| match after {
                Some(Position::Distance { metres, npi }) => by_distance(key(hit), (*metres, *npi)).is_gt(),
                _ => true,
            })
            .collect();
        let more = rest.len() > limit;
        if more {
            rest.select_nth_unstable_by(limit, |a, b| by_distance(key(a), key(b)));
            rest.truncate(limit);
        }
        rest.sort_unstable_by(|a, b| by_distance(key(a), key(b)));
        let next = rest.last().filter(|_| more).map(|&(metres, _, entry)| Cursor {
            fingerprint: query.fingerprint(),
            position: Position::Distance { metres, npi: entry.physician.npi },
        });
        let hits = rest
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
