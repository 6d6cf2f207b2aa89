//! Searching practice locations rather than physicians: every qualifying
//! location is its own result, ranked by its own geodesic distance.
//!
//! A physician search reports each physician once, at their nearest location;
//! a directory that lists locations (and the roles practised at them) needs
//! each of them, in the same exact order, with the same paging guarantees.

use std::cmp::Ordering;

use super::candidate::Candidate;
use super::cursor::Position;
use super::index;
use super::query::{Disc, Matcher, chord2};
use super::snapshot::{Entry, Snapshot};
use crate::directory::{Location, Physician};
use crate::domain::geo::sphere_m_from_chord2;
use crate::domain::{GeoPoint, Npi};
use crate::search::Filters;

/// Where a place search is centred and how far it reaches.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Near {
    pub origin: GeoPoint,
    /// In metres; `None` reaches the whole Earth (the nearest, however far).
    pub within_m: Option<f64>,
}

/// A search of practice locations: the physician filters, an optional
/// origin, and a further test on each physician at a location, for what the
/// filters do not say (identifiers, addresses, dates).
pub struct PlaceQuery<'q> {
    pub near: Option<Near>,
    pub filters: Filters,
    pub keep: &'q dyn Fn(&Candidate<'_>) -> bool,
}

/// The sort key of a place: its distance (0 without an origin), then NPI and
/// ordinal, so the order is total and a page resumes exactly after the last.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlaceKey {
    pub metres: f64,
    pub npi: Npi,
    pub ordinal: u8,
}

impl PlaceKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.metres
            .total_cmp(&other.metres)
            .then(self.npi.cmp(&other.npi))
            .then(self.ordinal.cmp(&other.ordinal))
    }

    /// The cursor position that resumes after this place.
    pub fn position(self) -> Position {
        Position::Place { metres: self.metres, npi: self.npi, ordinal: self.ordinal }
    }

    /// The key a cursor position resumes after, if it is a place's.
    pub fn after(position: &Position) -> Option<Self> {
        match *position {
            Position::Place { metres, npi, ordinal } => Some(PlaceKey { metres, npi, ordinal }),
            _ => None,
        }
    }
}

/// One result: a location of a physician, with its geodesic distance in
/// metres when the search has an origin.
#[derive(Debug)]
pub struct Place<'a> {
    pub physician: &'a Physician,
    pub location: &'a Location,
    pub metres: Option<f64>,
}

impl Place<'_> {
    pub fn key(&self) -> PlaceKey {
        PlaceKey {
            metres: self.metres.unwrap_or(0.0),
            npi: self.physician.npi,
            ordinal: self.location.ordinal,
        }
    }
}

/// One page of places.
#[derive(Debug)]
pub struct Places<'a> {
    /// How many places match in all, when asked for.
    pub total: Option<usize>,
    pub places: Vec<Place<'a>>,
    /// Whether more follow the last one.
    pub more: bool,
}

impl Snapshot {
    /// At most `limit` places matching `query` after `after` in key order,
    /// and the number of matches in all if `count` is set.
    pub fn places(
        &self,
        query: &PlaceQuery<'_>,
        limit: usize,
        after: Option<PlaceKey>,
        count: bool,
    ) -> Places<'_> {
        let matcher = Matcher::new(&query.filters);
        let mut found: Vec<(PlaceKey, &Entry, u8)> = match query.near {
            Some(near) => self.nearest_places(query, &matcher, near, limit, after),
            None => self.listed_places(query, &matcher, limit, after),
        };
        let total = count.then(|| self.count_places(query, &matcher));
        let more = found.len() > limit;
        found.truncate(limit);
        let places = found
            .into_iter()
            .map(|(key, entry, at)| Place {
                physician: &entry.physician,
                location: &entry.physician.locations[usize::from(at)],
                metres: query.near.map(|_| key.metres),
            })
            .collect();
        Places { total, places, more }
    }

    /// The physicians in NPI order from `first` on, each at no location.
    pub fn physicians_from(&self, first: Option<Npi>) -> impl Iterator<Item = Candidate<'_>> {
        let start = first.map_or(0, |npi| self.entries.partition_point(|e| e.physician.npi < npi));
        self.entries[start..].iter().map(|e| Candidate::new(e, None))
    }

    /// The first `limit + 1` places after `after` nearest first: the index
    /// walks locations nearest first on the sphere, each qualifying one gets
    /// its geodesic distance, and the walk stops when nothing further can
    /// enter the page (the same bounds as the physician search).
    fn nearest_places<'s>(
        &'s self,
        query: &PlaceQuery<'_>,
        matcher: &Matcher<'_>,
        near: Near,
        limit: usize,
        after: Option<PlaceKey>,
    ) -> Vec<(PlaceKey, &'s Entry, u8)> {
        let disc = Disc::around(near.origin, near.within_m.unwrap_or(f64::INFINITY));
        let sources =
            self.indexes.sources(&self.entries, &self.counts, matcher.specialties, matcher.conditions);
        let mut page: Vec<(PlaceKey, &Entry, u8)> = Vec::with_capacity(limit + 1);
        for slot in index::nearest(&sources, disc.stored_centre) {
            let d2 = chord2(slot.point, disc.centre);
            let s = sphere_m_from_chord2(d2);
            let least = Disc::ahead(d2);
            if least > disc.radius_m || page.len() > limit && least > page[limit].0.metres {
                break;
            }
            if after.is_some_and(|a| Disc::upper(s) < a.metres) {
                continue;
            }
            let (entry, at) = (slot.entry, slot.location);
            let location = &entry.physician.locations[usize::from(at)];
            if !matcher.accepts_slot(&slot) || !(query.keep)(&Candidate::new(entry, Some(usize::from(at)))) {
                continue;
            }
            let metres = near.origin.geodesic_m(location.point);
            let key = PlaceKey { metres, npi: entry.physician.npi, ordinal: location.ordinal };
            if metres > disc.radius_m || after.is_some_and(|a| key.cmp(&a).is_le()) {
                continue;
            }
            let at_page = page.partition_point(|p| p.0.cmp(&key).is_lt());
            if at_page <= limit {
                page.insert(at_page, (key, entry, at));
                page.truncate(limit + 1);
            }
        }
        page
    }

    /// The first `limit + 1` places after `after` in (NPI, ordinal) order.
    fn listed_places<'s>(
        &'s self,
        query: &PlaceQuery<'_>,
        matcher: &Matcher<'_>,
        limit: usize,
        after: Option<PlaceKey>,
    ) -> Vec<(PlaceKey, &'s Entry, u8)> {
        let start = after.map_or(0, |a| self.entries.partition_point(|e| e.physician.npi < a.npi));
        self.entries[start..]
            .iter()
            .filter(|entry| matcher.accepts(entry))
            .flat_map(|entry| (0u8..).zip(&entry.physician.locations).map(move |(at, l)| (&**entry, at, l)))
            .filter(|(entry, at, location)| {
                matcher.accepts_location(location)
                    && (query.keep)(&Candidate::new(entry, Some(usize::from(*at))))
            })
            .map(|(entry, at, location)| {
                (PlaceKey { metres: 0.0, npi: entry.physician.npi, ordinal: location.ordinal }, entry, at)
            })
            .filter(|(key, _, _)| after.is_none_or(|a| key.cmp(&a).is_gt()))
            .take(limit + 1)
            .collect()
    }

    /// How many places match in all.
    fn count_places(&self, query: &PlaceQuery<'_>, matcher: &Matcher<'_>) -> usize {
        let Some(near) = query.near else {
            return self
                .entries
                .iter()
                .filter(|entry| matcher.accepts(entry))
                .flat_map(|entry| {
                    entry.physician.locations.iter().enumerate().map(move |(at, l)| (&**entry, at, l))
                })
                .filter(|(entry, at, l)| {
                    matcher.accepts_location(l) && (query.keep)(&Candidate::new(entry, Some(*at)))
                })
                .count();
        };
        let disc = Disc::around(near.origin, near.within_m.unwrap_or(f64::INFINITY));
        let sources =
            self.indexes.sources(&self.entries, &self.counts, matcher.specialties, matcher.conditions);
        index::within(&sources, disc.stored_centre, disc.outer_chord2)
            .filter(|slot| {
                let physician = &slot.entry.physician;
                let location = &physician.locations[usize::from(slot.location)];
                matcher.accepts_slot(slot)
                    && (query.keep)(&Candidate::new(slot.entry, Some(usize::from(slot.location))))
                    && (sphere_m_from_chord2(chord2(slot.point, disc.centre)) <= disc.sure_inside
                        || near.origin.geodesic_m(location.point) <= disc.radius_m)
            })
            .count()
    }
}
