//! Each physician's JSON (and each location's, as a summary shows it),
//! written once and kept for the answers that follow.
//!
//! A search answer is twenty physicians with every location, some 25 KB of
//! JSON, and escaping and copying those strings afresh cost more than the
//! search. A physician's JSON does not depend on the query (the distance and
//! the nearest location are beside it), so it is written on a physician's
//! first appearance and copied after that; so is a summary's location.
//!
//! The cache is keyed by the address of the part (the physician's record in
//! the snapshot, or a location within it) and holds a [`Pin`] on the
//! physician's record: records are never changed in place (a changed
//! physician is a new record, at another address), and the pin keeps the
//! address from being reused, so a key can never name another physician, or
//! an old version of this one. Memory stays within a budget
//! whatever the traffic (a crawler walking every NPI only cycles it), and the
//! budget is split among shards, each under its own lock, so the workers
//! rarely wait on one another.
//!
//! What is kept tells how fast an answer comes back: a search near a place
//! someone searched recently is faster. So a kept part is reused only for
//! the answers' max-age after it was written, as the compressed answers are
//! (see `compression`): how fast a search comes back tells no more about
//! others' searches than a shared cache in front of the server would, which
//! keeps the answer itself that long.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Serialize, Serializer};
use serde_json::value::{RawValue, to_raw_value};

use super::dto::PhysicianView;
use super::summary::LocationSummary;
use crate::directory::{Location, Physician};
use crate::search::{Hit, Pin};

/// A part of an answer: its view to write, or the JSON written from it for
/// an earlier answer (the same bytes). The view is boxed: a page's results
/// would otherwise each take a physician view's 224 bytes.
pub enum Fragment<V> {
    View(Box<V>),
    Json(Arc<RawValue>),
}

/// A physician in a full answer.
pub type PhysicianJson<'a> = Fragment<PhysicianView<'a>>;

impl<V: Serialize> Serialize for Fragment<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Fragment::View(view) => view.serialize(serializer),
            Fragment::Json(json) => json.serialize(serializer),
        }
    }
}

/// Shards of the cache: enough that two workers seldom want the same lock.
const SHARDS: usize = 16;

/// What a kept physician costs besides their JSON: the pinned record, the
/// slot, the JSON's reference counts and the index entry (with its slack).
const KEPT_OVERHEAD: usize =
    Pin::RETAINED_BYTES + size_of::<Kept>() + 2 * size_of::<usize>() + 2 * size_of::<(usize, usize)>();

/// The physicians' JSON kept within a memory budget.
pub struct JsonCache {
    shards: Box<[Mutex<Shard>]>,
    /// Each shard's part of the budget, in bytes.
    shard_budget: usize,
    /// How long after it was written a part is reused.
    fresh_for: Duration,
}

/// A part of the cache: the kept JSON in a ring that a clock hand sweeps to
/// choose what to drop (CLOCK, a cheap approximation of least recently used:
/// a hit sets a bit; the hand spares a kept physician once per bit).
#[derive(Default)]
struct Shard {
    /// By record address: the slot in `ring`.
    slots: HashMap<usize, usize>,
    ring: Vec<Kept>,
    hand: usize,
    /// What the kept physicians cost, by [`cost`].
    bytes: usize,
}

struct Kept {
    address: usize,
    json: Arc<RawValue>,
    pin: Pin,
    /// When it was written: past the cache's `fresh_for`, it is dropped
    /// rather than reused.
    written_at: Instant,
    /// Asked for since the hand last passed.
    referenced: bool,
}

/// What keeping `json` costs, in bytes.
fn cost(json: &RawValue) -> usize {
    json.get().len() + KEPT_OVERHEAD
}

/// What the cache holds, for tests. Not in `/metrics`: whether a search's
/// physicians were kept would tell anyone whether another had searched there.
#[cfg(test)]
#[derive(Debug)]
pub struct Usage {
    pub bytes: usize,
    pub entries: usize,
}

impl JsonCache {
    /// A cache of at most about `budget` bytes, each part reused for
    /// `fresh_for` after it was written; a budget of 0 keeps nothing, and
    /// every answer is written from the views, as it was before this cache.
    pub fn new(budget: usize, fresh_for: Duration) -> Self {
        let shards = if budget == 0 { 0 } else { SHARDS };
        JsonCache {
            shards: (0..shards).map(|_| Mutex::default()).collect(),
            shard_budget: budget / SHARDS,
            fresh_for,
        }
    }

    /// The memory it may take, in bytes.
    pub fn budget(&self) -> usize {
        self.shard_budget * self.shards.len()
    }

    /// A search result's physician as an answer shows them.
    pub fn hit<'a>(&self, hit: &Hit<'a>) -> PhysicianJson<'a> {
        self.physician(hit.physician, || Some(hit.pin()))
    }

    /// `physician` as an answer shows them; `pin` pins their record (if it is
    /// a snapshot's), called only when new JSON is to be kept.
    pub fn physician<'a>(
        &self,
        physician: &'a Physician,
        pin: impl FnOnce() -> Option<Pin>,
    ) -> PhysicianJson<'a> {
        self.written(physician, pin, || PhysicianView::from(physician))
    }

    /// `location`, one of the hit's physician's, as a summary shows it. Kept
    /// beside the physicians, by the location's own address: it lives in the
    /// physician's record, so their pin keeps it too.
    pub fn location<'a>(&self, hit: &Hit<'a>, location: &'a Location) -> Fragment<LocationSummary<'a>> {
        self.written(location, || Some(hit.pin()), || LocationSummary::new(hit.physician, location))
    }

    /// The JSON of `view()` for `part` (of the record `pin` pins): kept, or
    /// written now and kept; the view itself without a budget, or if it
    /// fails to serialize (the answer's own serialization then reports it).
    fn written<T, V: Serialize>(
        &self,
        part: &T,
        pin: impl FnOnce() -> Option<Pin>,
        view: impl FnOnce() -> V,
    ) -> Fragment<V> {
        let address = std::ptr::from_ref(part) as usize;
        let Some(shard) = self.shard(address) else {
            return Fragment::View(Box::new(view()));
        };
        if let Some(json) = lock(shard).get(address, self.fresh_for) {
            return Fragment::Json(json);
        }
        let view = view();
        let Ok(json) = to_raw_value(&view) else {
            return Fragment::View(Box::new(view));
        };
        let json: Arc<RawValue> = json.into();
        if let Some(pin) = pin() {
            lock(shard).keep(address, json.clone(), pin, self.shard_budget);
        }
        Fragment::Json(json)
    }

    fn shard(&self, address: usize) -> Option<&Mutex<Shard>> {
        // Records are 16-byte aligned; Fibonacci hashing spreads the rest
        // into the top bits, which pick the shard.
        let mixed = (address as u64 >> 4).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.shards.get((mixed >> (u64::BITS - SHARDS.ilog2())) as usize)
    }

    #[cfg(test)]
    pub fn usage(&self) -> Usage {
        let mut usage = Usage { bytes: 0, entries: 0 };
        for shard in &self.shards {
            let shard = lock(shard);
            usage.bytes += shard.bytes;
            usage.entries += shard.ring.len();
        }
        usage
    }
}

fn lock(shard: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    // A shard holds no invariant a panicking holder could break halfway that
    // would make an answer wrong: at worst a miscounted byte total.
    shard.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shard {
    /// The JSON kept for `address`, if written within `fresh_for`; older,
    /// it is dropped, to be written and kept afresh.
    fn get(&mut self, address: usize, fresh_for: Duration) -> Option<Arc<RawValue>> {
        let &slot = self.slots.get(&address)?;
        let kept = &mut self.ring[slot];
        if kept.written_at.elapsed() > fresh_for {
            self.drop_slot(slot);
            return None;
        }
        kept.referenced = true;
        Some(kept.json.clone())
    }

    /// Keeps `json` for the record at `address`, dropping what the hand
    /// chooses until it fits in `budget`.
    fn keep(&mut self, address: usize, json: Arc<RawValue>, pin: Pin, budget: usize) {
        let cost = cost(&json);
        // Another worker may have written the same physician meanwhile.
        if cost > budget || self.slots.contains_key(&address) {
            return;
        }
        while self.bytes + cost > budget {
            let hand = self.hand % self.ring.len();
            let kept = &mut self.ring[hand];
            if kept.referenced && kept.pin.is_held() {
                kept.referenced = false;
                self.hand = hand + 1;
            } else {
                self.drop_slot(hand);
                self.hand = hand;
            }
        }
        self.slots.insert(address, self.ring.len());
        self.ring.push(Kept { address, json, pin, written_at: Instant::now(), referenced: false });
        self.bytes += cost;
    }

    /// Drops a slot, moving the last one into its place.
    fn drop_slot(&mut self, slot: usize) {
        let dropped = self.ring.swap_remove(slot);
        self.slots.remove(&dropped.address);
        self.bytes -= cost(&dropped.json);
        if let Some(moved) = self.ring.get(slot) {
            self.slots.insert(moved.address, slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::formats::csv;
    use crate::search::Snapshot;

    fn written(json: PhysicianJson<'_>) -> String {
        serde_json::to_string(&json).unwrap()
    }

    const MINUTE: Duration = Duration::from_secs(60);

    fn view(p: &Physician) -> String {
        serde_json::to_string(&PhysicianView::from(p)).unwrap()
    }

    #[test]
    fn a_walk_of_every_physician_stays_within_the_budget() {
        let seed = csv::read(crate::db::SEED_CSV.as_bytes()).unwrap();
        let snapshot = Snapshot::build(1, seed.clone());
        let budget = 256 << 10;
        let cache = JsonCache::new(budget, MINUTE);
        for round in 0..3 {
            for p in &seed {
                let p = snapshot.physician(p.npi).unwrap();
                assert_eq!(written(cache.physician(p, || snapshot.pin(p))), view(p));
                let usage = cache.usage();
                assert!(usage.bytes <= budget, "round {round}: {usage:?}");
            }
        }
        let usage = cache.usage();
        let all = seed.iter().map(|p| view(p).len() + KEPT_OVERHEAD).sum::<usize>();
        assert!(all > 4 * budget, "the walk must overflow the budget: {all}");
        assert!(usage.bytes > budget / 2, "the budget is used: {usage:?}");
    }

    #[test]
    fn a_changed_physician_is_written_afresh() {
        let seed = csv::read(crate::db::SEED_CSV.as_bytes()).unwrap();
        let before = Snapshot::build(1, seed.clone());
        let cache = JsonCache::new(64 << 20, MINUTE);
        let npi = seed[10].npi;
        let old_record = before.physician(npi).unwrap();
        let old = written(cache.physician(old_record, || before.pin(old_record)));
        let mut changed = seed[10].clone();
        changed.family_name = "Changed".into();
        let after = before.with_changes(2, &[npi], vec![changed]);
        drop(before);
        let fresh = after.physician(npi).unwrap();
        assert_eq!(written(cache.physician(fresh, || after.pin(fresh))), view(fresh));
        assert_ne!(written(cache.physician(fresh, || after.pin(fresh))), old);
        // The old record is no snapshot's, so the hand drops it at its first pass.
        let kept = cache.shards.iter().map(|s| lock(s).ring.iter().filter(|k| !k.pin.is_held()).count());
        assert_eq!(kept.sum::<usize>(), 1);
    }

    #[test]
    fn no_budget_writes_the_views() {
        let seed = csv::read(crate::db::SEED_CSV.as_bytes()).unwrap();
        let snapshot = Snapshot::build(1, seed.clone());
        let cache = JsonCache::new(0, MINUTE);
        let p = snapshot.physician(seed[0].npi).unwrap();
        assert!(matches!(cache.physician(p, || snapshot.pin(p)), Fragment::View(_)));
        assert_eq!(cache.usage().entries, 0);
    }

    /// Finding 7 of the second outside review: a part kept past the
    /// max-age is written afresh, not reused, so that how fast it comes
    /// back tells nothing of a search made longer ago.
    #[test]
    fn a_part_is_reused_only_within_the_max_age() {
        let seed = csv::read(crate::db::SEED_CSV.as_bytes()).unwrap();
        let snapshot = Snapshot::build(1, seed.clone());
        let cache = JsonCache::new(64 << 20, MINUTE);
        let p = snapshot.physician(seed[3].npi).unwrap();
        let first = cache.physician(p, || snapshot.pin(p));
        let Fragment::Json(first) = first else { panic!("written and kept") };
        let address = std::ptr::from_ref(p) as usize;
        let shard = cache.shard(address).unwrap();
        let Fragment::Json(again) = cache.physician(p, || snapshot.pin(p)) else { panic!("kept") };
        assert!(Arc::ptr_eq(&first, &again), "within the max-age, the kept JSON is reused");

        // Written just over a minute ago.
        let slot = lock(shard).slots[&address];
        let long_ago = Instant::now().checked_sub(MINUTE + Duration::from_secs(1)).unwrap();
        lock(shard).ring[slot].written_at = long_ago;
        let Fragment::Json(later) = cache.physician(p, || snapshot.pin(p)) else { panic!("kept again") };
        assert!(!Arc::ptr_eq(&first, &later), "past the max-age, it is written afresh");
        assert_eq!(later.get(), first.get());
        let slot = lock(shard).slots[&address];
        assert!(lock(shard).ring[slot].written_at > long_ago, "and kept from now");
        assert_eq!(cache.usage().entries, 1);
    }
}
