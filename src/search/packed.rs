//! A read-only R-tree packed into flat arrays, for the locations of the
//! physicians holding one term.
//!
//! An `rstar` node is 48 bytes whatever it holds, and a tree costs about 65
//! bytes per location once its parents and allocation slack are counted. A
//! term's tree only needs the point, which physician (an index into the
//! snapshot's entries) and which location: 20 bytes, and its boxes add under
//! 2 more. That is what lets terms held by up to a quarter of the physicians
//! have a tree within the memory target. It cannot be patched in place; a new
//! snapshot version builds it again from its predecessor's points (see
//! [`PackedTree::remapped`]), which is linear in the term's holders.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// A location in a term's tree.
#[derive(Clone, Copy, Debug)]
pub(super) struct Spot {
    pub point: [f32; 3],
    /// Index into the snapshot's entries.
    pub entry: u32,
    pub location: u8,
}

/// Children per node: wide nodes keep the boxes few and the walk's memory
/// contiguous.
const FANOUT: usize = 16;

/// An axis-aligned box, in the index's single precision.
#[derive(Clone, Copy, Debug)]
struct Bounds {
    lower: [f32; 3],
    upper: [f32; 3],
}

impl Bounds {
    fn around(points: impl Iterator<Item = Bounds>) -> Bounds {
        points.fold(Bounds { lower: [f32::INFINITY; 3], upper: [f32::NEG_INFINITY; 3] }, |a, b| Bounds {
            lower: [0, 1, 2].map(|i| a.lower[i].min(b.lower[i])),
            upper: [0, 1, 2].map(|i| a.upper[i].max(b.upper[i])),
        })
    }

    fn of(point: [f32; 3]) -> Bounds {
        Bounds { lower: point, upper: point }
    }

    /// The least squared distance from `p` to the box.
    fn distance_2(&self, p: [f32; 3]) -> f32 {
        (0..3).map(|i| (self.lower[i] - p[i]).max(p[i] - self.upper[i]).max(0.0).powi(2)).sum()
    }
}

/// Squared distance, computed as `rstar` computes it for a point.
fn distance_2(a: [f32; 3], b: [f32; 3]) -> f32 {
    (0..3).map(|i| (a[i] - b[i]) * (a[i] - b[i])).sum()
}

/// A static R-tree: the spots in an order that keeps neighbours together
/// (`pack_order`), then each level of boxes, from the boxes of `FANOUT`
/// consecutive spots up to the root.
#[derive(Debug)]
pub(super) struct PackedTree {
    spots: Vec<Spot>,
    /// `levels[0][i]` bounds `spots[i * FANOUT..]`; `levels[k + 1][i]` bounds
    /// `levels[k][i * FANOUT..]`; the last level is the root alone.
    levels: Vec<Vec<Bounds>>,
}

impl PackedTree {
    pub(super) fn new(mut spots: Vec<Spot>) -> Self {
        spots.shrink_to_fit();
        pack_order(&mut spots);
        let mut levels: Vec<Vec<Bounds>> = Vec::new();
        let mut below: Vec<Bounds> = spots.iter().map(|s| Bounds::of(s.point)).collect();
        while below.len() > 1 || levels.is_empty() && !below.is_empty() {
            let level: Vec<Bounds> =
                below.chunks(FANOUT).map(|c| Bounds::around(c.iter().copied())).collect();
            below = level.clone();
            levels.push(level);
        }
        PackedTree { spots, levels }
    }

    /// The same tree for the next snapshot version: each spot's entry index
    /// passed through `remap` (`None` for a physician removed), and `added`
    /// joining. Untouched, it keeps its boxes; otherwise it is packed again.
    pub(super) fn remapped(&self, remap: &[Option<u32>], added: Vec<Spot>) -> Self {
        let kept = self.spots.iter().filter_map(|s| Some(Spot { entry: remap[s.entry as usize]?, ..*s }));
        if added.is_empty() && self.spots.iter().all(|s| remap[s.entry as usize].is_some()) {
            return PackedTree { spots: kept.collect(), levels: self.levels.clone() };
        }
        PackedTree::new(kept.chain(added).collect())
    }

    /// Every spot within squared distance `max_2` of `centre`.
    pub(super) fn within(&self, centre: [f32; 3], max_2: f32) -> impl Iterator<Item = &Spot> {
        let mut stack: Vec<(usize, usize)> =
            self.levels.len().checked_sub(1).map(|top| (top, 0)).into_iter().collect();
        let mut spots: &[Spot] = &[];
        std::iter::from_fn(move || {
            loop {
                if let Some((first, rest)) = spots.split_first() {
                    spots = rest;
                    if distance_2(first.point, centre) <= max_2 {
                        return Some(first);
                    }
                    continue;
                }
                let (level, i) = stack.pop()?;
                if self.levels[level][i].distance_2(centre) > max_2 {
                    continue;
                }
                let children = i * FANOUT..((i + 1) * FANOUT);
                if level == 0 {
                    spots = &self.spots[children.start..children.end.min(self.spots.len())];
                } else {
                    stack.extend(
                        children.take_while(|&c| c < self.levels[level - 1].len()).map(|c| (level - 1, c)),
                    );
                }
            }
        })
    }

    /// Every spot nearest to `centre` first, with its squared distance.
    pub(super) fn nearest(&self, centre: [f32; 3]) -> Nearest<'_> {
        let mut queue = BinaryHeap::new();
        if let Some(top) = self.levels.len().checked_sub(1) {
            queue.push(Reverse(Queued { distance_2: 0.0, item: Item::Node { level: top, index: 0 } }));
        }
        Nearest { tree: self, centre, queue }
    }
}

/// Orders `spots` so that each run of `FANOUT` (and of `FANOUT` runs, and so
/// on) is compact: halves along the widest axis, recursively, each cut at a
/// whole number of runs. The points lie on a sphere, a surface: tiling the
/// three axes alike (sort-tile-recursive) would cut the surface into long
/// strips, which a nearest-first walk crosses by the dozen.
fn pack_order(spots: &mut [Spot]) {
    if spots.len() <= FANOUT {
        return;
    }
    let bounds = Bounds::around(spots.iter().map(|s| Bounds::of(s.point)));
    let axis = (0..3)
        .max_by(|&a, &b| (bounds.upper[a] - bounds.lower[a]).total_cmp(&(bounds.upper[b] - bounds.lower[b])));
    let axis = axis.expect("three axes");
    let cut = spots.len().div_ceil(FANOUT) / 2 * FANOUT;
    spots.select_nth_unstable_by(cut, |a, b| a.point[axis].total_cmp(&b.point[axis]));
    let (near, far) = spots.split_at_mut(cut);
    pack_order(near);
    pack_order(far);
}

#[derive(Clone, Copy, Debug)]
enum Item {
    Node { level: usize, index: usize },
    Spot(usize),
}

#[derive(Debug)]
struct Queued {
    distance_2: f32,
    item: Item,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    /// By distance; at equal distances a spot before a box, so that a spot is
    /// yielded as soon as nothing can be nearer.
    fn cmp(&self, other: &Self) -> Ordering {
        let spot = |q: &Queued| matches!(q.item, Item::Node { .. });
        self.distance_2.total_cmp(&other.distance_2).then(spot(self).cmp(&spot(other)))
    }
}

/// A nearest-first walk: a queue of boxes and spots by distance.
pub(super) struct Nearest<'t> {
    tree: &'t PackedTree,
    centre: [f32; 3],
    queue: BinaryHeap<Reverse<Queued>>,
}

impl<'t> Iterator for Nearest<'t> {
    type Item = (&'t Spot, f32);

    fn next(&mut self) -> Option<Self::Item> {
        let tree = self.tree;
        while let Some(Reverse(Queued { distance_2: d2, item })) = self.queue.pop() {
            let (level, index) = match item {
                Item::Spot(i) => return Some((&tree.spots[i], d2)),
                Item::Node { level, index } => (level, index),
            };
            let first = index * FANOUT;
            if level == 0 {
                for (i, spot) in tree.spots.iter().enumerate().skip(first).take(FANOUT) {
                    let distance_2 = distance_2(spot.point, self.centre);
                    self.queue.push(Reverse(Queued { distance_2, item: Item::Spot(i) }));
                }
            } else {
                for (i, bounds) in tree.levels[level - 1].iter().enumerate().skip(first).take(FANOUT) {
                    let distance_2 = bounds.distance_2(self.centre);
                    self.queue.push(Reverse(Queued {
                        distance_2,
                        item: Item::Node { level: level - 1, index: i },
                    }));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spots(n: u32) -> Vec<Spot> {
        // A spiral of points over the unit sphere.
        (0..n)
            .map(|i| {
                let z = 1.0 - 2.0 * (f64::from(i) + 0.5) / f64::from(n);
                let (r, a) = ((1.0 - z * z).sqrt(), f64::from(i) * 2.399_963);
                Spot { point: [r * a.cos(), r * a.sin(), z].map(|x| x as f32), entry: i, location: 0 }
            })
            .collect()
    }

    #[test]
    fn walks_every_spot_nearest_first_and_finds_those_within_a_distance() {
        for n in [0, 1, 15, 16, 17, 300, 5000] {
            let tree = PackedTree::new(spots(n));
            for centre in [[1.0, 0.0, 0.0], [0.0, 0.6, 0.8], [-0.3, -0.3, 0.9]] {
                let mut brute: Vec<(f32, u32)> =
                    spots(n).iter().map(|s| (distance_2(s.point, centre), s.entry)).collect();
                brute.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let walked: Vec<(f32, u32)> = tree.nearest(centre).map(|(s, d2)| (d2, s.entry)).collect();
                assert_eq!(walked.len(), brute.len());
                assert!(walked.windows(2).all(|w| w[0].0 <= w[1].0), "nearest first");
                let mut sorted = walked.clone();
                sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                assert_eq!(sorted, brute);
                for max_2 in [0.0, 0.01, 0.5, 4.0] {
                    let mut within: Vec<u32> = tree.within(centre, max_2).map(|s| s.entry).collect();
                    within.sort_unstable();
                    let mut expected: Vec<u32> = brute.iter().filter(|b| b.0 <= max_2).map(|b| b.1).collect();
                    expected.sort_unstable();
                    assert_eq!(within, expected);
                }
            }
        }
    }
}
