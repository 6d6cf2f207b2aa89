//! The spatial indexes: one R-tree over every practice location, and one per
//! rare specialty or condition over the locations of the physicians who hold it.
//!
//! A nearest-first walk over the whole tree passes about `1/share` locations
//! per match of a filter held by `share` of the physicians: cheap for a common
//! term, a thousand locations for a 0.1% one. A rare term's own tree holds
//! only matches, so its walk passes none. The whole tree is an `rstar` tree,
//! patched in place; a term's tree is packed flat (`packed.rs`), a third of
//! the memory, so that terms held by up to a quarter of the physicians can
//! have one.

use std::iter::Peekable;
use std::sync::Arc;

use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::packed::{PackedTree, Spot};
use super::snapshot::{Counts, Entry};
use crate::domain::vocabulary::{ConditionKind, Kind, SpecialtyKind, Term, TermSet};

/// What the spatial index points at: an entry and one of its locations, with
/// the entry's [`Traits`] beside them so that a walk rejects most
/// non-matches without reading the entry (a cache miss each).
#[derive(Clone, Debug)]
pub(super) struct Slot {
    pub entry: Arc<Entry>,
    pub traits: Traits,
    pub location: u8,
}

/// The filterable facts of a physician that fit in a few bytes.
#[derive(Clone, Copy, Debug)]
pub(super) struct Traits {
    pub specialties: TermSet<SpecialtyKind>,
    pub conditions: TermSet<ConditionKind>,
    pub accepting_new_patients: bool,
    pub telehealth: bool,
}

impl PartialEq for Slot {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.entry, &other.entry) && self.location == other.location
    }
}

/// A practice location in the spatial index, as a unit vector in single
/// precision: a tree node is then 48 bytes instead of 72, a third less memory
/// for millions of locations. The rounding moves a point by at most 0.7 m on
/// the Earth, which the search's bounds allow for (see `Disc`).
pub(super) type IndexedLocation = GeomWithData<[f32; 3], Slot>;

/// A unit vector as the index stores it.
pub(super) fn stored(v: [f64; 3]) -> [f32; 3] {
    v.map(|x| x as f32)
}

/// A term held by at most `1/RARE` of the physicians gets its own tree: then
/// a walk over the whole tree passes at most about `RARE` locations per match.
/// At a quarter, `lems` (13%) and the other middling terms have one too; their
/// packed trees (see [`PackedTree`]) cost less than the `rstar` trees of the
/// rarer terms alone did.
const RARE: usize = 4;

type Tree = RTree<IndexedLocation>;

/// Every location, and the trees of the rare terms.
///
/// Which terms have a tree is decided when the indexes are built from
/// scratch; a patched version keeps the same ones, even where the counts have
/// since crossed `1/RARE`. Either way the answers are the same (a tree holds
/// exactly its term's holders); only the cost of a walk differs, and a patch
/// changes under a tenth of the directory.
pub(super) struct Indexes {
    all: Tree,
    /// By term index; `None` for a common term.
    specialties: Vec<Option<PackedTree>>,
    conditions: Vec<Option<PackedTree>>,
}

fn slots(entry: &Arc<Entry>) -> impl Iterator<Item = IndexedLocation> + '_ {
    entry.physician.locations.iter().zip(0u8..).map(|(l, location)| {
        GeomWithData::new(
            stored(l.point.unit_vector()),
            Slot { entry: entry.clone(), traits: entry.traits, location },
        )
    })
}

/// The spots of the entry at `index`.
fn spots(entry: &Entry, index: u32) -> impl Iterator<Item = Spot> + '_ {
    (0u8..).zip(&entry.physician.locations).map(move |(location, l)| Spot {
        point: stored(l.point.unit_vector()),
        entry: index,
        location,
    })
}

fn entry_index(i: usize) -> u32 {
    u32::try_from(i).expect("a directory holds fewer than 4 billion physicians")
}

/// The spots of the entries (from `first` on) that hold `term`.
fn holders<'e, K: Kind>(
    entries: impl Iterator<Item = (u32, &'e Arc<Entry>)>,
    term: Term<K>,
    holds: impl Fn(&Entry) -> TermSet<K>,
) -> Vec<Spot> {
    entries.filter(|(_, e)| holds(e).contains(term)).flat_map(|(i, e)| spots(e, i)).collect()
}

fn rare_trees<K: Kind>(
    entries: &[Arc<Entry>],
    counts: &[usize],
    holds: impl Fn(&Entry) -> TermSet<K> + Copy,
) -> Vec<Option<PackedTree>> {
    Term::<K>::all()
        .map(|term| {
            (counts[term.index()] * RARE <= entries.len()).then(|| {
                let indexed = entries.iter().enumerate().map(|(i, e)| (entry_index(i), e));
                PackedTree::new(holders(indexed, term, holds))
            })
        })
        .collect()
}

/// The trees of the next version: `remap` takes an old entry index to its
/// new one (`None` if removed), `fresh` lists the new entries and their indexes.
fn patched_trees<K: Kind>(
    trees: &[Option<PackedTree>],
    remap: &[Option<u32>],
    fresh: &[(u32, &Arc<Entry>)],
    holds: impl Fn(&Entry) -> TermSet<K> + Copy,
) -> Vec<Option<PackedTree>> {
    trees
        .iter()
        .zip(Term::<K>::all())
        .map(|(tree, term)| {
            let tree = tree.as_ref()?;
            Some(tree.remapped(remap, holders(fresh.iter().copied(), term, holds)))
        })
        .collect()
}

impl Indexes {
    /// Builds the whole tree and the rare terms' trees side by side.
    pub(super) fn build(entries: &[Arc<Entry>], counts: &Counts) -> Self {
        std::thread::scope(|scope| {
            let specialties =
                scope.spawn(|| rare_trees(entries, &counts.specialties, |e| e.traits.specialties));
            let conditions = rare_trees(entries, &counts.conditions, |e| e.traits.conditions);
            let all = Tree::bulk_load(entries.iter().flat_map(slots).collect());
            Indexes { all, specialties: specialties.join().expect("indexing does not panic"), conditions }
        })
    }

    /// The indexes of the next version, whose entries are `entries`: `old`
    /// (entries of this version) are gone, `fresh` (of the next) are new, and
    /// the entries are both versions' sorted by NPI.
    pub(super) fn patched(
        &self,
        before: &[Arc<Entry>],
        entries: &[Arc<Entry>],
        old: &[&Arc<Entry>],
        fresh: &[Arc<Entry>],
    ) -> Self {
        let mut all = self.all.clone();
        for entry in old {
            for slot in slots(entry) {
                all.remove(&slot);
            }
        }
        for entry in fresh {
            slots(entry).for_each(|slot| all.insert(slot));
        }
        // Both lists are sorted by NPI, and the entries kept are shared.
        let mut remap = Vec::with_capacity(before.len());
        let mut at = 0;
        for entry in before {
            while at < entries.len() && entries[at].physician.npi < entry.physician.npi {
                at += 1;
            }
            let kept = entries.get(at).filter(|e| Arc::ptr_eq(e, entry));
            remap.push(kept.map(|_| entry_index(at)));
        }
        let fresh: Vec<(u32, &Arc<Entry>)> = fresh
            .iter()
            .map(|f| {
                let at = entries.partition_point(|e| e.physician.npi < f.physician.npi);
                (entry_index(at), f)
            })
            .collect();
        Indexes {
            all,
            specialties: patched_trees(&self.specialties, &remap, &fresh, |e| e.traits.specialties),
            conditions: patched_trees(&self.conditions, &remap, &fresh, |e| e.traits.conditions),
        }
    }

    pub(super) fn location_count(&self) -> usize {
        self.all.size()
    }

    /// The trees to walk for a search requiring any of `specialties` (if not
    /// empty) and any of `conditions` (if not empty): the rare terms' trees of
    /// whichever requirement has fewer holders, or the whole tree.
    pub(super) fn sources<'a>(
        &'a self,
        entries: &'a [Arc<Entry>],
        counts: &Counts,
        specialties: TermSet<SpecialtyKind>,
        conditions: TermSet<ConditionKind>,
    ) -> Vec<Source<'a>> {
        fn rare<'t, K: Kind>(
            trees: &'t [Option<PackedTree>],
            counts: &[usize],
            wanted: TermSet<K>,
        ) -> Option<(usize, Vec<&'t PackedTree>)> {
            if wanted.is_empty() {
                return None;
            }
            let found: Option<Vec<&PackedTree>> = wanted.iter().map(|t| trees[t.index()].as_ref()).collect();
            Some((wanted.iter().map(|t| counts[t.index()]).sum(), found?))
        }
        let by_specialty = rare(&self.specialties, &counts.specialties, specialties);
        let by_condition = rare(&self.conditions, &counts.conditions, conditions);
        let specialty_first = match (&by_specialty, &by_condition) {
            (Some((s, _)), Some((c, _))) => s <= c,
            (found, _) => found.is_some(),
        };
        let term = |tree, seen| Source { tree: Walked::Term(tree, entries), seen };
        // An entry holding two of the wanted terms is in both their trees: it is
        // taken from the first and skipped in the later ones.
        match (specialty_first, by_specialty, by_condition) {
            (true, Some((_, trees)), _) => trees
                .into_iter()
                .zip(specialties.iter())
                .map(|(tree, t)| {
                    term(tree, Seen::Specialties(specialties.iter().take_while(|s| *s != t).collect()))
                })
                .collect(),
            (false, _, Some((_, trees))) => trees
                .into_iter()
                .zip(conditions.iter())
                .map(|(tree, t)| {
                    term(tree, Seen::Conditions(conditions.iter().take_while(|c| *c != t).collect()))
                })
                .collect(),
            _ => vec![Source { tree: Walked::All(&self.all), seen: Seen::Nothing }],
        }
    }
}

/// Entries an earlier source already yielded.
#[derive(Clone, Copy)]
enum Seen {
    Nothing,
    Specialties(TermSet<SpecialtyKind>),
    Conditions(TermSet<ConditionKind>),
}

/// The tree a source walks: the whole one, or a term's with the entries its
/// spots index.
#[derive(Clone, Copy)]
enum Walked<'a> {
    All(&'a Tree),
    Term(&'a PackedTree, &'a [Arc<Entry>]),
}

/// One tree to walk for a search.
pub(super) struct Source<'a> {
    tree: Walked<'a>,
    seen: Seen,
}

/// A location a walk passes: where it is, whose, and the physician's
/// [`Traits`].
#[derive(Clone, Copy, Debug)]
pub(super) struct Found<'a> {
    pub point: [f32; 3],
    pub entry: &'a Arc<Entry>,
    pub traits: Traits,
    pub location: u8,
}

impl<'a> Found<'a> {
    fn slot(l: &'a IndexedLocation) -> Self {
        Found { point: *l.geom(), entry: &l.data.entry, traits: l.data.traits, location: l.data.location }
    }

    fn spot(s: &Spot, entries: &'a [Arc<Entry>]) -> Self {
        let entry = &entries[s.entry as usize];
        Found { point: s.point, entry, traits: entry.traits, location: s.location }
    }
}

impl Seen {
    fn fresh(self, found: &Found<'_>) -> bool {
        let traits = &found.traits;
        match self {
            Seen::Nothing => true,
            Seen::Specialties(seen) => !traits.specialties.intersects(seen),
            Seen::Conditions(seen) => !traits.conditions.intersects(seen),
        }
    }
}

/// Every location of `sources` within the squared chord `chord2` of `centre`
/// (computed in single precision: allow for it), each once.
pub(super) fn within<'a>(
    sources: &[Source<'a>],
    centre: [f32; 3],
    chord2: f32,
) -> impl Iterator<Item = Found<'a>> {
    sources.iter().map(|s| (s.tree, s.seen)).flat_map(move |(tree, seen)| {
        let found: Box<dyn Iterator<Item = Found<'a>>> = match tree {
            Walked::All(tree) => Box::new(tree.locate_within_distance(centre, chord2).map(Found::slot)),
            Walked::Term(tree, entries) => {
                Box::new(tree.within(centre, chord2).map(move |spot| Found::spot(spot, entries)))
            }
        };
        found.filter(move |f| seen.fresh(f))
    })
}

/// Every location of `sources`, each once, nearest to `centre` first (as
/// single precision orders them).
pub(super) fn nearest<'a>(sources: &[Source<'a>], centre: [f32; 3]) -> impl Iterator<Item = Found<'a>> {
    let heads = sources.iter().map(|s| {
        let walk: Box<dyn Iterator<Item = (Found<'a>, f32)>> = match s.tree {
            Walked::All(tree) => Box::new(
                tree.nearest_neighbor_iter_with_distance_2(centre).map(|(l, d2)| (Found::slot(l), d2)),
            ),
            Walked::Term(tree, entries) => {
                Box::new(tree.nearest(centre).map(move |(spot, d2)| (Found::spot(spot, entries), d2)))
            }
        };
        let seen = s.seen;
        walk.filter(move |(f, _)| seen.fresh(f))
    });
    Merge { heads: heads.map(Iterator::peekable).collect() }.map(|(found, _)| found)
}

/// Merges walks that are each nearest first into one.
struct Merge<I: Iterator> {
    heads: Vec<Peekable<I>>,
}

impl<'a, I: Iterator<Item = (Found<'a>, f32)>> Iterator for Merge<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        if let [only] = self.heads.as_mut_slice() {
            return only.next();
        }
        let (nearest, _) = self
            .heads
            .iter_mut()
            .enumerate()
            .filter_map(|(i, head)| head.peek().map(|&(_, d2)| (i, d2)))
            .min_by(|a, b| a.1.total_cmp(&b.1))?;
        self.heads[nearest].next()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::directory::Physician;
    use crate::directory::formats::csv;
    use crate::domain::geo::KERNEL_BOUND_M;
    use crate::domain::{Condition, GeoPoint, Npi, Radius, Specialty, Unit};
    use crate::search::{Filters, SearchQuery, Snapshot};

    /// Every physician matching `filters` within `miles` of `origin`, by
    /// (geodesic distance to their nearest location, NPI): the search's
    /// answer computed by brute force.
    fn brute_force(
        physicians: &[Physician],
        origin: GeoPoint,
        miles: f64,
        filters: &Filters,
    ) -> Vec<(Npi, f64)> {
        let radius_m = Radius::new(miles, Unit::Mi).unwrap().metres();
        let mut found: Vec<(f64, Npi)> = physicians
            .iter()
            .filter(|p| {
                (filters.specialties.is_empty()
                    || p.specialties.iter().any(|s| filters.specialties.contains(s)))
                    && (filters.conditions.is_empty()
                        || p.conditions.iter().any(|c| filters.conditions.contains(c)))
                    && filters.accepting_new_patients.is_none_or(|a| a == p.accepting_new_patients)
            })
            .map(|p| {
                (p.locations.iter().map(|l| origin.geodesic_m(l.point)).fold(f64::INFINITY, f64::min), p.npi)
            })
            .filter(|(metres, _)| *metres <= radius_m)
            .collect();
        found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        found.into_iter().map(|(metres, npi)| (npi, metres)).collect()
    }

    /// The same physicians in the same order, each distance within the
    /// kernel's bound of Karney's.
    fn assert_same(found: &[(Npi, f64)], expected: &[(Npi, f64)], filters: &Filters) {
        let npis = |hits: &[(Npi, f64)]| hits.iter().map(|h| h.0).collect::<Vec<_>>();
        assert_eq!(npis(found), npis(expected), "{filters:?}");
        for (f, e) in found.iter().zip(expected) {
            assert!((f.1 - e.1).abs() <= KERNEL_BOUND_M, "{filters:?}: {} m against {} m", f.1, e.1);
        }
    }

    fn searched(snapshot: &Snapshot, origin: GeoPoint, miles: f64, filters: &Filters) -> Vec<(Npi, f64)> {
        let query = SearchQuery {
            near: Some((origin, Radius::new(miles, Unit::Mi).unwrap())),
            filters: filters.clone(),
        };
        let page = snapshot.search(&query, 100_000, None, false, 0);
        page.hits.iter().map(|h| (h.physician.npi, h.nearest.unwrap().1)).collect()
    }

    fn has_tree(snapshot: &Snapshot, filters: &Filters) -> bool {
        let indexes = &snapshot.indexes;
        let specialties = filters.specialties.iter().all(|s| indexes.specialties[s.index()].is_some());
        let conditions = filters.conditions.iter().all(|c| indexes.conditions[c.index()].is_some());
        specialties && conditions
    }

    #[test]
    fn middling_terms_have_a_tree_that_answers_as_brute_force_even_once_patched_across_the_threshold() {
        let seed = csv::read(crate::db::SEED_CSV.as_bytes()).unwrap();
        let base = Snapshot::build(1, seed.clone());
        let neuromuscular = Specialty::parse("neuromuscular-medicine").unwrap();
        let guillain_barre = Condition::parse("guillain-barre-syndrome").unwrap();
        let lems = Condition::parse("lems").unwrap();
        let share = |snapshot: &Snapshot, count: usize| count as f64 / snapshot.physician_count() as f64;
        let nm_count = |s: &Snapshot| s.counts.specialties[neuromuscular.index()];
        let gbs_count = |s: &Snapshot| s.counts.conditions[guillain_barre.index()];
        let by_specialty = Filters { specialties: [neuromuscular].into(), ..Filters::default() };
        let by_condition = Filters { conditions: [guillain_barre].into(), ..Filters::default() };
        let lems_accepting =
            Filters { conditions: [lems].into(), accepting_new_patients: Some(true), ..Filters::default() };
        let both =
            Filters { specialties: [neuromuscular].into(), conditions: [lems].into(), ..Filters::default() };
        // In the seed, as at a million: neuromuscular medicine (17%) and LEMS
        // (13%) are middling and have a tree; Guillain-Barré (26%) has none.
        assert!((0.125..0.25).contains(&share(&base, nm_count(&base))));
        assert!(share(&base, gbs_count(&base)) > 0.25);
        assert!(has_tree(&base, &by_specialty) && has_tree(&base, &lems_accepting));
        assert!(!has_tree(&base, &by_condition));

        // A patch of a tenth of the directory: Guillain-Barré specialists
        // become neuromuscular ones, so both terms cross a quarter.
        let mut fresh: Vec<Physician> = seed
            .iter()
            .filter(|p| p.conditions.contains(&guillain_barre) && !p.specialties.contains(&neuromuscular))
            .take(base.physician_count() / 10 - 1)
            .cloned()
            .collect();
        for p in &mut fresh {
            p.conditions.retain(|c| *c != guillain_barre);
            p.specialties.push(neuromuscular);
        }
        let changed: Vec<Npi> = fresh.iter().map(|p| p.npi).collect();
        let patched = base.with_changes(2, &changed, fresh.clone());
        let mut directory: Vec<Physician> = seed.into_iter().filter(|p| !changed.contains(&p.npi)).collect();
        directory.extend(fresh);
        let scratch = Snapshot::build(2, directory.clone());
        assert!(share(&patched, nm_count(&patched)) > 0.25 && share(&patched, gbs_count(&patched)) < 0.25);
        // The patch keeps the trees the base chose; a build from scratch chooses again.
        assert!(has_tree(&patched, &by_specialty) && !has_tree(&patched, &by_condition));
        assert!(!has_tree(&scratch, &by_specialty) && has_tree(&scratch, &by_condition));

        let origins: BTreeSet<(u64, u64)> = directory
            .iter()
            .step_by(97)
            .map(|p| (p.locations[0].point.lat().to_bits(), p.locations[0].point.lng().to_bits()))
            .collect();
        for (lat, lng) in origins {
            let origin = GeoPoint::new(f64::from_bits(lat), f64::from_bits(lng)).unwrap();
            for filters in [&by_specialty, &by_condition, &lems_accepting, &both] {
                let expected = brute_force(&directory, origin, 300.0, filters);
                assert_same(&searched(&patched, origin, 300.0, filters), &expected, filters);
                assert_same(&searched(&scratch, origin, 300.0, filters), &expected, filters);
            }
        }
    }
}
