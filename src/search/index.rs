//! The spatial indexes: one R-tree over every practice location, and one per
//! rare specialty or condition over the locations of the physicians who hold it.
//!
//! A nearest-first walk over the whole tree passes about `1/share` locations
//! per match of a filter held by `share` of the physicians: cheap for a common
//! term, a thousand locations for a 0.1% one. A rare term's own tree holds
//! only matches, so its walk passes none.

use std::iter::Peekable;
use std::sync::Arc;

use rstar::RTree;
use rstar::primitives::GeomWithData;

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
const RARE: usize = 8;

type Tree = RTree<IndexedLocation>;

/// Every location, and the trees of the rare terms.
#[derive(Clone)]
pub(super) struct Indexes {
    all: Tree,
    /// By term index; `None` for a common term.
    specialties: Vec<Option<Tree>>,
    conditions: Vec<Option<Tree>>,
}

fn slots(entry: &Arc<Entry>) -> impl Iterator<Item = IndexedLocation> + '_ {
    entry.physician.locations.iter().zip(0u8..).map(|(l, location)| {
        GeomWithData::new(
            stored(l.point.unit_vector()),
            Slot { entry: entry.clone(), traits: entry.traits, location },
        )
    })
}

fn rare_trees<K: Kind>(
    entries: &[Arc<Entry>],
    counts: &[usize],
    holds: impl Fn(&Entry) -> TermSet<K>,
) -> Vec<Option<Tree>> {
    Term::<K>::all()
        .map(|term| {
            (counts[term.index()] * RARE <= entries.len()).then(|| {
                Tree::bulk_load(entries.iter().filter(|e| holds(e).contains(term)).flat_map(slots).collect())
            })
        })
        .collect()
}

/// The trees of `entry`'s terms that have one.
fn trees_of<K: Kind>(trees: &mut [Option<Tree>], held: TermSet<K>) -> impl Iterator<Item = &mut Tree> {
    trees
        .iter_mut()
        .zip(Term::<K>::all())
        .filter(move |(_, t)| held.contains(*t))
        .filter_map(|(tree, _)| tree.as_mut())
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

    /// The trees that hold `entry`'s locations.
    fn trees_for(&mut self, entry: &Entry) -> impl Iterator<Item = &mut Tree> {
        std::iter::once(&mut self.all)
            .chain(trees_of(&mut self.specialties, entry.traits.specialties))
            .chain(trees_of(&mut self.conditions, entry.traits.conditions))
    }

    pub(super) fn insert(&mut self, entry: &Arc<Entry>) {
        for tree in self.trees_for(entry) {
            slots(entry).for_each(|slot| tree.insert(slot));
        }
    }

    pub(super) fn remove(&mut self, entry: &Arc<Entry>) {
        for tree in self.trees_for(entry) {
            for slot in slots(entry) {
                tree.remove(&slot);
            }
        }
    }

    pub(super) fn location_count(&self) -> usize {
        self.all.size()
    }

    /// The trees to walk for a search requiring any of `specialties` (if not
    /// empty) and any of `conditions` (if not empty): the rare terms' trees of
    /// whichever requirement has fewer holders, or the whole tree.
    pub(super) fn sources(
        &self,
        counts: &Counts,
        specialties: TermSet<SpecialtyKind>,
        conditions: TermSet<ConditionKind>,
    ) -> Vec<Source<'_>> {
        fn rare<'t, K: Kind>(
            trees: &'t [Option<Tree>],
            counts: &[usize],
            wanted: TermSet<K>,
        ) -> Option<(usize, Vec<&'t Tree>)> {
            if wanted.is_empty() {
                return None;
            }
            let found: Option<Vec<&Tree>> = wanted.iter().map(|t| trees[t.index()].as_ref()).collect();
            Some((wanted.iter().map(|t| counts[t.index()]).sum(), found?))
        }
        let by_specialty = rare(&self.specialties, &counts.specialties, specialties);
        let by_condition = rare(&self.conditions, &counts.conditions, conditions);
        let specialty_first = match (&by_specialty, &by_condition) {
            (Some((s, _)), Some((c, _))) => s <= c,
            (found, _) => found.is_some(),
        };
        // An entry holding two of the wanted terms is in both their trees: it is
        // taken from the first and skipped in the later ones.
        match (specialty_first, by_specialty, by_condition) {
            (true, Some((_, trees)), _) => trees
                .into_iter()
                .zip(specialties.iter())
                .map(|(tree, term)| Source {
                    tree,
                    seen: Seen::Specialties(specialties.iter().take_while(|t| *t != term).collect()),
                })
                .collect(),
            (false, _, Some((_, trees))) => trees
                .into_iter()
                .zip(conditions.iter())
                .map(|(tree, term)| Source {
                    tree,
                    seen: Seen::Conditions(conditions.iter().take_while(|t| *t != term).collect()),
                })
                .collect(),
            _ => vec![Source { tree: &self.all, seen: Seen::Nothing }],
        }
    }
}

/// Entries an earlier source already yielded.
enum Seen {
    Nothing,
    Specialties(TermSet<SpecialtyKind>),
    Conditions(TermSet<ConditionKind>),
}

/// One tree to walk for a search.
pub(super) struct Source<'a> {
    tree: &'a Tree,
    seen: Seen,
}

impl Source<'_> {
    fn fresh(&self, slot: &IndexedLocation) -> bool {
        let traits = &slot.data.traits;
        match self.seen {
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
) -> impl Iterator<Item = &'a IndexedLocation> {
    sources.iter().flat_map(move |s| {
        let tree: &'a Tree = s.tree;
        tree.locate_within_distance(centre, chord2).filter(|l| s.fresh(l))
    })
}

/// Every location of `sources`, each once, nearest to `centre` first (as
/// single precision orders them).
pub(super) fn nearest<'a>(
    sources: &[Source<'a>],
    centre: [f32; 3],
) -> impl Iterator<Item = &'a IndexedLocation> {
    let heads = sources.iter().map(|s| {
        let tree: &'a Tree = s.tree;
        tree.nearest_neighbor_iter_with_distance_2(centre).filter(|l| s.fresh(l.0))
    });
    Merge { heads: heads.map(Iterator::peekable).collect() }.map(|(location, _)| location)
}

/// Merges walks that are each nearest first into one.
struct Merge<I: Iterator> {
    heads: Vec<Peekable<I>>,
}

impl<'a, I: Iterator<Item = (&'a IndexedLocation, f32)>> Iterator for Merge<I> {
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
