//! Properties 1 and 2: a snapshot's answers equal the brute-force oracle's,
//! and its pages, followed by cursor, make up exactly the whole answer.

use std::collections::{BTreeMap, HashSet};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

use physician_locator::directory::Physician;
use physician_locator::domain::Npi;
use physician_locator::domain::geo::MAX_RADIUS_M;
use physician_locator::search::{Cursor, CursorKey, Hit, Page, Position, SearchQuery, Snapshot};

use crate::arb::{self, Detail, QuerySpec};
use crate::config;
use crate::oracle::{self, Listed, Ranked, karney_m, listed_key, on_boundary, ranked_hit, same_distance};

/// What identifies a hit: the physician, and with an origin the nearest
/// location's ordinal. (Its reported distance may be the kernel's or
/// Karney's, depending on its neighbours on the page: [`page_distances`]
/// holds it to Karney's.)
type Key = (Npi, Option<u8>);

fn key(hit: &Hit<'_>) -> Key {
    (hit.physician.npi, hit.nearest.map(|(l, _)| l.ordinal))
}

fn keys(hits: &[Hit<'_>]) -> Vec<Key> {
    hits.iter().map(key).collect()
}

/// A page's reported distances, against Karney's computed directly: each
/// within the kernel's bound, and (with NPIs) read in strictly increasing
/// order, results then those beyond the radius.
fn page_distances(query: &SearchQuery, page: &Page<'_>) -> Result<(), TestCaseError> {
    let hits: Vec<&Hit<'_>> = page.hits.iter().chain(page.beyond.iter().flatten()).collect();
    for hit in &hits {
        let (reported, karney) = (ranked_hit(hit).metres, karney_m(query, hit));
        prop_assert!(
            same_distance(reported, karney),
            "{:?}: reported {reported} m, Karney {karney} m",
            key(hit)
        );
    }
    for pair in hits.windows(2) {
        let (a, b) = (ranked_hit(pair[0]), ranked_hit(pair[1]));
        prop_assert!(
            a.metres.total_cmp(&b.metres).then(a.npi.cmp(&b.npi)).is_lt(),
            "a page reads out of order: {a:?} {b:?}"
        );
    }
    Ok(())
}

/// A limit that holds any answer over `directory` in one page.
fn everything(directory: &[Physician]) -> usize {
    directory.len() + 1
}

/// `got` (the search) against `want` (the oracle). Exact, except that a
/// physician whose distance is within 1e-9 (relative) of the radius may be
/// missing: how the radius was stated may decide it.
fn same_ranking(got: &[Ranked], want: &[Ranked], radius_m: f64) -> Result<(), TestCaseError> {
    for pair in got.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        prop_assert!(
            a.metres.total_cmp(&b.metres).then(a.npi.cmp(&b.npi)).is_lt(),
            "out of order: {a:?} {b:?}"
        );
    }
    for g in got {
        prop_assert!(g.metres <= radius_m, "{g:?} is beyond the radius of {radius_m} m");
        let Some(w) = want.iter().find(|w| w.npi == g.npi) else {
            return Err(TestCaseError::fail(format!("{g:?} is not in the oracle's answer {want:?}")));
        };
        prop_assert!(same_distance(g.metres, w.metres), "distance: search {g:?}, oracle {w:?}");
        prop_assert_eq!(g.ordinal, w.ordinal, "nearest location of {:?}", g.npi);
    }
    let missing: Vec<&Ranked> = want.iter().filter(|w| !got.iter().any(|g| g.npi == w.npi)).collect();
    prop_assert!(
        missing.iter().all(|w| on_boundary(w.metres, radius_m)),
        "missing from the search (radius {} m): {:?}; search found {} of {}",
        radius_m,
        missing,
        got.len(),
        want.len()
    );
    let got_npis: Vec<Npi> = got.iter().map(|g| g.npi).collect();
    let want_npis: Vec<Npi> = want.iter().filter(|w| got_npis.contains(&w.npi)).map(|w| w.npi).collect();
    prop_assert_eq!(got_npis, want_npis, "order");
    Ok(())
}

/// A ranked answer's results inside the radius (`inside` of them) and then
/// its `beyond_radius` (`beyond` asked): the start of the unbounded ranking,
/// `beyond` further than the radius holds. The radius decides only where
/// the results split, so this holds exactly even on its boundary.
fn prefix_of_the_ranking(
    got: &[Ranked],
    inside: usize,
    beyond: usize,
    ranking: &[Ranked],
) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.len(), (inside + beyond).min(ranking.len()), "{:?} of {:?}", got, ranking);
    for (g, w) in got.iter().zip(ranking) {
        prop_assert_eq!((g.npi, g.ordinal), (w.npi, w.ordinal), "search {:?}, oracle {:?}", got, ranking);
        prop_assert!(same_distance(g.metres, w.metres), "distance: search {g:?}, oracle {w:?}");
    }
    Ok(())
}

/// The whole answer, a first page and the count, against the oracle.
fn check_query(snapshot: &Snapshot, directory: &[Physician], spec: &QuerySpec) -> Result<(), TestCaseError> {
    let query = spec.resolve(directory);
    let full = snapshot.search(&query, everything(directory), None, true, spec.beyond);
    prop_assert!(full.next.is_none(), "a cursor after a page that holds everything");
    prop_assert_eq!(full.total, Some(full.hits.len()), "total counts the results");
    for hit in &full.hits {
        prop_assert_eq!(Some(hit.physician), directory.iter().find(|p| p.npi == hit.physician.npi));
    }
    match query.near {
        Some((_, radius)) => {
            prop_assert!(full.hits.iter().all(|h| h.nearest.is_some()));
            let got: Vec<Ranked> = full.hits.iter().map(ranked_hit).collect();
            same_ranking(&got, &oracle::ranked(directory, &query), radius.metres())?;
            let beyond: Vec<Ranked> =
                full.beyond.as_deref().unwrap_or_default().iter().map(ranked_hit).collect();
            prop_assert!(beyond.iter().all(|b| b.metres > radius.metres()), "inside the radius: {beyond:?}");
            let union: Vec<Ranked> = got.iter().chain(&beyond).copied().collect();
            prefix_of_the_ranking(&union, got.len(), spec.beyond, &oracle::ranking(directory, &query))?;
        }
        None => {
            prop_assert!(full.beyond.is_none(), "beyond_radius without an origin");
            prop_assert!(full.hits.iter().all(|h| h.nearest.is_none()));
            let got: Vec<Listed> = full.hits.iter().map(|h| listed_key(h.physician)).collect();
            prop_assert_eq!(got, oracle::listed(directory, &query));
        }
    }
    // A page is the start of the whole answer, and says whether more follow;
    // only the last carries the matches beyond the radius.
    let page = snapshot.search(&query, spec.limit, None, false, spec.beyond);
    prop_assert_eq!(page.total, None, "total counted without being asked");
    let n = spec.limit.min(full.hits.len());
    prop_assert_eq!(keys(&page.hits), keys(&full.hits[..n]));
    if query.near.is_some() {
        page_distances(&query, &page)?;
    }
    prop_assert_eq!(page.next.is_some(), full.hits.len() > spec.limit);
    let beyond = |page: &Page<'_>| page.beyond.as_deref().map(keys);
    let last_beyond = if page.next.is_some() { Some(Vec::new()) } else { beyond(&full) };
    prop_assert_eq!(beyond(&page), last_beyond.filter(|_| query.near.is_some()));
    Ok(())
}

/// Follows the cursor from the first page to the last, the limit changing
/// from page to page, and checks the pages add up to the whole answer and,
/// ranked, that they and the last page's `beyond` matches outside the radius
/// are the start of the unbounded ranking.
fn check_paging(
    snapshot: &Snapshot,
    directory: &[Physician],
    query: &SearchQuery,
    limits: &[usize],
    beyond: usize,
) -> Result<(), TestCaseError> {
    let full = keys(&snapshot.search(query, everything(directory), None, false, 0).hits);
    let distinct: HashSet<Npi> = full.iter().map(|k| k.0).collect();
    prop_assert_eq!(distinct.len(), full.len(), "a physician listed twice");
    let fingerprint = query.fingerprint();
    let mut seen: Vec<Key> = Vec::new();
    let mut ranked: Vec<Ranked> = Vec::new();
    let mut after: Option<Position> = None;
    for round in 0.. {
        prop_assert!(round <= full.len(), "paging does not end");
        let limit = limits[round % limits.len()];
        let page = snapshot.search(query, limit, after.as_ref(), false, beyond);
        prop_assert!(page.hits.len() <= limit);
        seen.extend(keys(&page.hits));
        if query.near.is_some() {
            page_distances(query, &page)?;
            ranked.extend(page.hits.iter().map(ranked_hit));
        }
        let Some(cursor) = page.next else {
            if query.near.is_some() {
                let inside = ranked.len();
                ranked.extend(page.beyond.as_deref().unwrap_or_default().iter().map(ranked_hit));
                prefix_of_the_ranking(&ranked, inside, beyond, &oracle::ranking(directory, query))?;
            }
            break;
        };
        prop_assert!(page.beyond.as_ref().is_none_or(Vec::is_empty), "beyond before the last page");
        prop_assert_eq!(page.hits.len(), limit, "a short page before the last");
        prop_assert_eq!(cursor.fingerprint, fingerprint);
        let last = page.hits.last().expect("a full page");
        // Ranked, the cursor holds Karney's distance, whatever was reported.
        let position = match last.nearest {
            Some(_) => Position::Distance { metres: karney_m(query, last), npi: last.physician.npi },
            None => {
                let (family, given, npi) = listed_key(last.physician);
                Position::Name { family, given, npi }
            }
        };
        prop_assert_eq!(&cursor.position, &position, "the cursor holds the last result's key");
        let key = CursorKey::new([3; 32]);
        let decoded = Cursor::decode(&cursor.encode(&key), fingerprint, &key);
        prop_assert_eq!(decoded.as_ref(), Ok(&cursor), "the cursor survives its text form");
        after = Some(cursor.position);
    }
    prop_assert_eq!(seen, full, "pages differ from the whole answer");
    Ok(())
}

proptest! {
    #![proptest_config(config(96))]

    /// Property 1: any query (ranked or listed, any filters) over any
    /// directory is answered as the brute-force oracle answers it.
    #[test]
    fn search_equals_the_brute_force_oracle(
        directory in arb::directory(1..=200, Detail::Search),
        queries in prop::collection::vec(arb::query(), 1..=6),
    ) {
        let snapshot = Snapshot::build(7, directory.clone());
        prop_assert_eq!(snapshot.physician_count(), directory.len());
        let locations: usize = directory.iter().map(|p| p.locations.len()).sum();
        prop_assert_eq!(snapshot.location_count(), locations);
        for spec in &queries {
            check_query(&snapshot, &directory, spec)?;
        }
    }
}

/// The directory after removing `removed`, replacing `modified` (by index
/// into `base`, kept NPI) and adding `added`: what `with_changes` is given
/// (changed NPIs, fresh records) and the directory it must amount to.
fn apply_changes(
    base: &[Physician],
    removed: &[Index],
    modified: Vec<(Index, Physician)>,
    added: Vec<Physician>,
) -> (Vec<Npi>, Vec<Physician>, Vec<Physician>) {
    let mut changed: Vec<Npi> = removed.iter().map(|i| base[i.index(base.len())].npi).collect();
    let mut fresh: Vec<Physician> = modified
        .into_iter()
        .map(|(i, mut p)| {
            p.npi = base[i.index(base.len())].npi;
            p
        })
        .chain(added)
        .collect();
    fresh = arb::unique(fresh);
    changed.extend(fresh.iter().map(|p| p.npi));
    let mut result: BTreeMap<Npi, Physician> = base.iter().map(|p| (p.npi, p.clone())).collect();
    for npi in &changed {
        result.remove(npi);
    }
    result.extend(fresh.iter().map(|p| (p.npi, p.clone())));
    (changed, fresh, result.into_values().collect())
}

proptest! {
    #![proptest_config(config(48))]

    /// Property 1, on a snapshot patched by `with_changes` (a few changes:
    /// the indexes are patched; many: rebuilt), as every instance serves
    /// after a write.
    #[test]
    fn a_patched_snapshot_equals_the_brute_force_oracle(
        base in arb::directory(10..=150, Detail::Search),
        removed in prop::collection::vec(any::<Index>(), 0..=4),
        modified in prop::collection::vec((any::<Index>(), arb::physician(Detail::Search)), 0..=4),
        added in prop::collection::vec(arb::physician(Detail::Search), 0..=4),
        queries in prop::collection::vec(arb::query(), 1..=4),
    ) {
        let (changed, fresh, directory) = apply_changes(&base, &removed, modified, added);
        let patched = Snapshot::build(1, base.clone()).with_changes(2, &changed, fresh);
        let scratch = Snapshot::build(2, directory.clone());
        prop_assert_eq!(patched.version(), 2);
        prop_assert_eq!(patched.physician_count(), directory.len());
        prop_assert_eq!(patched.location_count(), scratch.location_count());
        prop_assert_eq!(patched.specialty_counts().collect::<Vec<_>>(), scratch.specialty_counts().collect::<Vec<_>>());
        prop_assert_eq!(patched.condition_counts().collect::<Vec<_>>(), scratch.condition_counts().collect::<Vec<_>>());
        prop_assert_eq!(patched.service_counts().collect::<Vec<_>>(), scratch.service_counts().collect::<Vec<_>>());
        for npi in &changed {
            prop_assert_eq!(patched.physician(*npi), directory.iter().find(|p| p.npi == *npi));
        }
        for spec in &queries {
            check_query(&patched, &directory, spec)?;
        }
    }
}

/// Where an arbitrary cursor position is, relative to a whole answer: on a
/// hit's geodesic (Karney's) or a hair either side, on its reported distance
/// (within a millimetre of the geodesic, either side), or anywhere.
#[derive(Clone, Debug)]
enum Metres {
    Same,
    Reported,
    NextUp,
    NextDown,
    Zero,
    Value(f64),
    Huge,
}

#[derive(Clone, Debug)]
struct PositionSpec {
    /// The hit the position is taken from, if any.
    hit: Option<Index>,
    metres: Metres,
    /// Another NPI than the hit's.
    npi: Option<Npi>,
    family: Option<String>,
    given: Option<String>,
}

fn position_spec() -> impl Strategy<Value = PositionSpec> {
    let metres = prop_oneof![
        4 => Just(Metres::Same),
        2 => Just(Metres::Reported),
        1 => Just(Metres::NextUp),
        1 => Just(Metres::NextDown),
        1 => Just(Metres::Zero),
        2 => (0.0..=2.0 * MAX_RADIUS_M).prop_map(Metres::Value),
        1 => Just(Metres::Huge),
    ];
    let name = || {
        prop::option::weighted(
            0.3,
            prop_oneof![Just(String::new()), "[a-z ]{0,6}", Just("\u{10ffff}".to_owned()), "\\PC{0,6}",],
        )
    };
    (
        prop::option::weighted(0.9, any::<Index>()),
        metres,
        prop::option::weighted(0.3, arb::npi()),
        name(),
        name(),
    )
        .prop_map(|(hit, metres, npi, family, given)| PositionSpec { hit, metres, npi, family, given })
}

impl PositionSpec {
    fn position(&self, query: &SearchQuery, hits: &[Hit<'_>]) -> Position {
        let hit = self.hit.filter(|_| !hits.is_empty()).map(|i| &hits[i.index(hits.len())]);
        let npi = self.npi.or(hit.map(|h| h.physician.npi)).unwrap_or(Npi::from_base(100_000_000));
        if query.near.is_some() {
            let base = hit.map_or(0.0, |h| karney_m(query, h));
            let metres = match self.metres {
                Metres::Same => base,
                Metres::Reported => hit.map_or(0.0, |h| ranked_hit(h).metres),
                Metres::NextUp => base.next_up(),
                Metres::NextDown => base.next_down().max(0.0),
                Metres::Zero => 0.0,
                Metres::Value(v) => v,
                Metres::Huge => f64::MAX,
            };
            Position::Distance { metres, npi }
        } else {
            let (family, given) =
                hit.map(|h| listed_key(h.physician)).map(|k| (k.0, k.1)).unwrap_or_default();
            Position::Name {
                family: self.family.clone().unwrap_or(family),
                given: self.given.clone().unwrap_or(given),
                npi,
            }
        }
    }
}

/// The brute-force oracle's answer strictly after a position: ranked by
/// Karney's distance then NPI, or listed by name.
fn oracle_after(directory: &[Physician], query: &SearchQuery, position: &Position) -> Vec<Key> {
    match position {
        Position::Distance { metres, npi } => oracle::ranked(directory, query)
            .into_iter()
            .filter(|r| r.metres.total_cmp(metres).then(r.npi.cmp(npi)).is_gt())
            .map(|r| (r.npi, Some(r.ordinal)))
            .collect(),
        Position::Name { family, given, npi } => oracle::listed(directory, query)
            .into_iter()
            .filter(|(f, g, n)| (f.as_str(), g.as_str(), *n) > (family.as_str(), given.as_str(), *npi))
            .map(|(_, _, n)| (n, None))
            .collect(),
        Position::Place { .. } => unreachable!("positions are made for their kind of query"),
    }
}

proptest! {
    #![proptest_config(config(96))]

    /// Property 2: the pages of a query, followed by cursor with changing
    /// limits, are the whole answer in order: nothing repeated or skipped.
    /// Ranked and listed (no origin) alike.
    #[test]
    fn pages_concatenate_to_the_whole_answer(
        directory in arb::directory(1..=120, Detail::Search),
        queries in prop::collection::vec(arb::query(), 1..=4),
        limits in prop::collection::vec(1usize..=12, 1..=6),
    ) {
        let snapshot = Snapshot::build(1, directory.clone());
        for spec in &queries {
            let query = spec.resolve(&directory);
            check_paging(&snapshot, &directory, &query, &limits, spec.beyond)?;
            // The same query listed by name.
            let listed = SearchQuery { near: None, ..query };
            check_paging(&snapshot, &directory, &listed, &limits, spec.beyond)?;
        }
    }

    /// A page resumes strictly after any position, not only those the search
    /// issued (the directory may have changed since), exactly as the oracle
    /// orders Karney's distances: on a result's geodesic, a hair either side,
    /// on its reported distance, another NPI, other names, before or beyond
    /// everything.
    #[test]
    fn a_page_resumes_strictly_after_any_position(
        directory in arb::directory(1..=120, Detail::Search),
        spec in arb::query(),
        positions in prop::collection::vec(position_spec(), 1..=6),
    ) {
        let snapshot = Snapshot::build(1, directory.clone());
        let query = spec.resolve(&directory);
        let full = snapshot.search(&query, everything(&directory), None, false, 0);
        for p in &positions {
            let position = p.position(&query, &full.hits);
            let rest = oracle_after(&directory, &query, &position);
            let page = snapshot.search(&query, spec.limit, Some(&position), false, 0);
            prop_assert_eq!(keys(&page.hits), &rest[..rest.len().min(spec.limit)], "after {:?}", position);
            prop_assert_eq!(page.next.is_some(), rest.len() > spec.limit, "after {:?}", position);
            if query.near.is_some() {
                page_distances(&query, &page)?;
            }
        }
    }
}
