//! The brute-force answer to a search: every physician, every location, the
//! WGS84 geodesic (`geo`, Karney) computed directly, filters applied by hand.
//! No R-tree, no sphere, no bounds, no cursor.

use physician_locator::directory::{Location, Physician};
use physician_locator::domain::Npi;
use physician_locator::domain::geo::KERNEL_BOUND_M;
use physician_locator::domain::text::fold;
use physician_locator::search::{Filters, Hit, SearchQuery};

use crate::arb::geodesic_m;

/// One result of a ranked search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ranked {
    pub npi: Npi,
    /// Geodesic metres to the nearest matching location.
    pub metres: f64,
    /// That location's ordinal (the lowest among equally near ones).
    pub ordinal: u8,
}

/// One result of a listing: the order key, folded family and given names and NPI.
pub type Listed = (String, String, Npi);

/// Whether the physician passes the physician-level filters.
pub fn physician_matches(f: &Filters, p: &Physician) -> bool {
    (f.specialties.is_empty() || p.specialties.iter().any(|s| f.specialties.contains(s)))
        && (f.conditions.is_empty() || p.conditions.iter().any(|c| f.conditions.contains(c)))
        && f.accepting_new_patients.is_none_or(|v| v == p.accepting_new_patients)
        && f.telehealth.is_none_or(|v| v == p.telehealth)
        && f.language.is_none_or(|l| p.languages.contains(&l))
        && f.gender.is_none_or(|g| g == p.gender)
        && f.name
            .as_deref()
            .is_none_or(|q| format!("{} {}", fold(&p.given_name), fold(&p.family_name)).contains(q))
        && (f.licensed_in.is_empty() || p.licensed_states.iter().any(|s| f.licensed_in.contains(s)))
}

/// Whether a location passes the location-level filter (`service`).
pub fn location_matches(f: &Filters, l: &Location) -> bool {
    f.services.is_empty() || l.services.iter().any(|s| f.services.contains(s))
}

/// Every physician with a matching location anywhere, nearest first, ties
/// on NPI: the unbounded ranking.
pub fn ranking(directory: &[Physician], query: &SearchQuery) -> Vec<Ranked> {
    let (origin, _) = query.near.expect("a ranked query");
    let mut out: Vec<Ranked> = directory
        .iter()
        .filter(|p| physician_matches(&query.filters, p))
        .filter_map(|p| {
            p.locations
                .iter()
                .filter(|l| location_matches(&query.filters, l))
                .map(|l| (geodesic_m(origin, l.point), l.ordinal))
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
                .map(|(metres, ordinal)| Ranked { npi: p.npi, metres, ordinal })
        })
        .collect();
    out.sort_by(|a, b| a.metres.total_cmp(&b.metres).then(a.npi.cmp(&b.npi)));
    out
}

/// The ranking's physicians within the radius.
pub fn ranked(directory: &[Physician], query: &SearchQuery) -> Vec<Ranked> {
    let radius_m = query.near.expect("a ranked query").1.metres();
    ranking(directory, query).into_iter().filter(|r| r.metres <= radius_m).collect()
}

pub fn listed_key(p: &Physician) -> Listed {
    (fold(&p.family_name), fold(&p.given_name), p.npi)
}

/// Every physician with a matching location, by folded family name, given
/// name, then NPI.
pub fn listed(directory: &[Physician], query: &SearchQuery) -> Vec<Listed> {
    let f = &query.filters;
    let mut out: Vec<Listed> = directory
        .iter()
        .filter(|p| physician_matches(f, p) && p.locations.iter().any(|l| location_matches(f, l)))
        .map(listed_key)
        .collect();
    out.sort();
    out
}

/// A ranked hit as the oracle states it.
pub fn ranked_hit(hit: &Hit<'_>) -> Ranked {
    let (location, metres) = hit.nearest.expect("a ranked hit has a distance");
    Ranked { npi: hit.physician.npi, metres, ordinal: location.ordinal }
}

/// Whether a distance is so close to the radius that rounding in how the
/// radius itself was stated may decide it.
pub fn on_boundary(metres: f64, radius_m: f64) -> bool {
    (metres - radius_m).abs() <= 1e-9 * radius_m
}

/// Whether a reported distance is within the kernel's bound of Karney's.
pub fn same_distance(reported: f64, karney: f64) -> bool {
    (reported - karney).abs() <= KERNEL_BOUND_M
}

/// Karney's distance from the query's origin to a hit's nearest location.
pub fn karney_m(query: &SearchQuery, hit: &Hit<'_>) -> f64 {
    let (origin, _) = query.near.expect("a ranked query");
    geodesic_m(origin, hit.nearest.expect("a ranked hit has a distance").0.point)
}
