//! The immutable in-memory directory every request reads.

use std::collections::HashSet;
use std::sync::{Arc, Weak};
use std::time::SystemTime;

use super::index::{Indexes, Traits};
use crate::directory::{Head, Physician};
use crate::domain::text::fold;
use crate::domain::vocabulary::{Kind, ServiceKind, Term, TermSet};
use crate::domain::{Condition, Npi, Service, Specialty};

/// Text keys precomputed for matching and ordering, folded (case and
/// accents): the "given family" name, what `q` matches against, whose two
/// parts are the list order's keys; then each location's city, for the
/// FHIR address search. Folded once per record, not per request; and in one
/// allocation, not one per key: a million of them add up.
#[derive(Debug)]
pub(super) struct Names {
    /// `given family`, then `\ncity` per location (no text in the directory
    /// holds a control character).
    text: Box<str>,
    /// Where the given name ends (the space before the family name), and
    /// where the family name does. `u32`s keep an entry within mimalloc's
    /// 224-byte size class.
    given_end: u32,
    name_end: u32,
}

impl Names {
    fn new(physician: &Physician) -> Self {
        let given = fold(&physician.given_name);
        let mut text = format!("{given} {}", fold(&physician.family_name));
        let offset = |at: usize| u32::try_from(at).expect("a record is far shorter than 4 GB");
        let (given_end, name_end) = (offset(given.len()), offset(text.len()));
        for location in &physician.locations {
            text.push('\n');
            text.push_str(&fold(&location.city));
        }
        Names { text: text.into(), given_end, name_end }
    }

    pub fn full(&self) -> &str {
        &self.text[..self.name_end as usize]
    }

    pub fn given(&self) -> &str {
        &self.text[..self.given_end as usize]
    }

    pub fn family(&self) -> &str {
        &self.text[self.given_end as usize + 1..self.name_end as usize]
    }

    /// The folded city of the physician's location at index `at`.
    pub fn city(&self, at: usize) -> Option<&str> {
        self.text[self.name_end as usize..].split('\n').nth(at + 1)
    }
}

/// A physician with the keys the search needs. Shared between snapshots:
/// a new version reuses every entry it did not change.
#[derive(Debug)]
pub(super) struct Entry {
    pub physician: Physician,
    pub names: Names,
    pub traits: Traits,
}

impl Entry {
    fn new(physician: Physician) -> Arc<Self> {
        let names = Names::new(&physician);
        let traits = Traits {
            specialties: physician.specialties.iter().copied().collect(),
            conditions: physician.conditions.iter().copied().collect(),
            accepting_new_patients: physician.accepting_new_patients,
            telehealth: physician.telehealth,
        };
        Arc::new(Entry { physician, names, traits })
    }

    /// The list-order key: folded family and given names, then NPI.
    pub(super) fn name_key(&self) -> (&str, &str, Npi) {
        (self.names.family(), self.names.given(), self.physician.npi)
    }
}

/// A hold on a physician's record that outlives the snapshots. While a pin
/// lives, the record's memory is not given back (the physician's own fields
/// are freed with the last snapshot holding it, the record itself is not), so
/// no other record can take its address: the address names this one record,
/// and what is derived from it (its JSON) can be kept by address without ever
/// being served for a changed physician, whose record is a new one.
pub struct Pin(Weak<Entry>);

impl Pin {
    /// What a pin keeps allocated once its record is dropped: the record and
    /// its two reference counts.
    pub const RETAINED_BYTES: usize = size_of::<Entry>() + 2 * size_of::<usize>();

    pub(super) fn of(entry: &Arc<Entry>) -> Self {
        Pin(Arc::downgrade(entry))
    }

    /// Whether some snapshot still holds the record.
    pub fn is_held(&self) -> bool {
        self.0.strong_count() > 0
    }
}

/// How many physicians hold each term of the three vocabularies, and how
/// many can only be reached at fictional phone numbers.
#[derive(Clone)]
pub(super) struct Counts {
    pub specialties: Vec<usize>,
    pub conditions: Vec<usize>,
    pub services: Vec<usize>,
    pub fictional: usize,
}

fn tally<K: Kind>(counts: &mut [usize], terms: impl Iterator<Item = Term<K>>, add: bool) {
    for term in terms {
        let count = &mut counts[term.index()];
        *count = if add { *count + 1 } else { count.saturating_sub(1) };
    }
}

impl Counts {
    fn new() -> Self {
        Counts {
            specialties: vec![0; Specialty::all().count()],
            conditions: vec![0; Condition::all().count()],
            services: vec![0; Service::all().count()],
            fictional: 0,
        }
    }

    /// Counts (`add`) or uncounts a physician. A service counts once however
    /// many of the physician's locations offer it.
    fn tally(&mut self, physician: &Physician, add: bool) {
        tally(&mut self.specialties, physician.specialties.iter().copied(), add);
        tally(&mut self.conditions, physician.conditions.iter().copied(), add);
        let services: TermSet<ServiceKind> =
            physician.locations.iter().flat_map(|l| l.services.iter().copied()).collect();
        tally(&mut self.services, services.iter(), add);
        if physician.locations.iter().all(|l| l.phone.is_fictional()) {
            self.fictional = if add { self.fictional + 1 } else { self.fictional.saturating_sub(1) };
        }
    }
}

/// Changes above this share of the directory rebuild the indexes from scratch
/// rather than patching them.
const PATCH_LIMIT: usize = 10;

/// One version of the directory, with its indexes. Built once, then shared
/// read-only by every request until a newer one replaces it.
pub struct Snapshot {
    head: Head,
    built_at: SystemTime,
    /// Sorted by NPI.
    pub(super) entries: Vec<Arc<Entry>>,
    /// Sorted by [`Entry::name_key`]: the list order.
    pub(super) by_name: Vec<Arc<Entry>>,
    pub(super) indexes: Indexes,
    pub(super) counts: Counts,
}

impl Snapshot {
    /// Indexes a directory, at the database's `head`.
    ///
    /// The independent steps (folding names, ordering by name, the spatial
    /// trees) run on two threads: a million physicians take seconds, and the
    /// machines this runs on have at least two cores.
    pub fn build(head: impl Into<Head>, mut physicians: Vec<Physician>) -> Self {
        let second_half = physicians.split_off(physicians.len() / 2);
        let mut entries: Vec<Arc<Entry>> = std::thread::scope(|scope| {
            let second = scope.spawn(|| second_half.into_iter().map(Entry::new).collect::<Vec<_>>());
            let mut entries: Vec<Arc<Entry>> = physicians.into_iter().map(Entry::new).collect();
            entries.extend(second.join().expect("folding names does not panic"));
            entries
        });
        entries.sort_by_key(|e| e.physician.npi);
        entries.dedup_by_key(|e| e.physician.npi);
        Snapshot::index(head.into(), entries)
    }

    fn index(head: Head, entries: Vec<Arc<Entry>>) -> Self {
        let mut counts = Counts::new();
        for e in &entries {
            counts.tally(&e.physician, true);
        }
        let (by_name, indexes) = std::thread::scope(|scope| {
            let by_name = scope.spawn(|| {
                let mut by_name = entries.clone();
                by_name.sort_by(|a, b| a.name_key().cmp(&b.name_key()));
                by_name
            });
            let indexes = Indexes::build(&entries, &counts);
            (by_name.join().expect("sorting does not panic"), indexes)
        });
        Snapshot { head, built_at: SystemTime::now(), entries, by_name, indexes, counts }
    }

    /// The next version: this one with the physicians named in `changed`
    /// replaced by those of them in `fresh`, the rest of `changed` removed.
    /// Unchanged entries are shared, not copied or re-folded, and for a small
    /// change the name order and the spatial index are patched, not rebuilt.
    pub fn with_changes(&self, head: impl Into<Head>, changed: &[Npi], fresh: Vec<Physician>) -> Self {
        let head = head.into();
        let changed: HashSet<Npi> = changed.iter().copied().chain(fresh.iter().map(|p| p.npi)).collect();
        let mut fresh: Vec<Arc<Entry>> = fresh.into_iter().map(Entry::new).collect();
        fresh.sort_by_key(|e| e.physician.npi);
        fresh.dedup_by_key(|e| e.physician.npi);
        let (old, kept): (Vec<&Arc<Entry>>, Vec<&Arc<Entry>>) =
            self.entries.iter().partition(|e| changed.contains(&e.physician.npi));
        let mut entries = Vec::with_capacity(kept.len() + fresh.len());
        let mut incoming = fresh.iter().peekable();
        for entry in kept {
            while let Some(f) = incoming.next_if(|f| f.physician.npi < entry.physician.npi) {
                entries.push(f.clone());
            }
            entries.push(entry.clone());
        }
        entries.extend(incoming.cloned());
        if changed.len() * PATCH_LIMIT > self.entries.len() {
            return Snapshot::index(head, entries);
        }

        let mut by_name: Vec<Arc<Entry>> =
            self.by_name.iter().filter(|e| !changed.contains(&e.physician.npi)).cloned().collect();
        for entry in &fresh {
            let at = by_name.partition_point(|e| e.name_key() < entry.name_key());
            by_name.insert(at, entry.clone());
        }
        let indexes = self.indexes.patched(&self.entries, &entries, &old, &fresh);
        let mut counts = self.counts.clone();
        for entry in old {
            counts.tally(&entry.physician, false);
        }
        for entry in &fresh {
            counts.tally(&entry.physician, true);
        }
        Snapshot { head, built_at: SystemTime::now(), entries, by_name, indexes, counts }
    }

    pub fn version(&self) -> i64 {
        self.head.version
    }

    /// The directory's state it was built from: what answers are tagged by.
    pub fn head(&self) -> &Head {
        &self.head
    }

    pub fn built_at(&self) -> SystemTime {
        self.built_at
    }

    /// Seconds since it was built (0 if the clock went back).
    pub fn age_seconds(&self) -> f64 {
        SystemTime::now().duration_since(self.built_at).map_or(0.0, |d| d.as_secs_f64())
    }

    pub fn physician_count(&self) -> usize {
        self.entries.len()
    }

    pub fn location_count(&self) -> usize {
        self.indexes.location_count()
    }

    /// One physician by NPI.
    pub fn physician(&self, npi: Npi) -> Option<&Physician> {
        self.entries.binary_search_by(|e| e.physician.npi.cmp(&npi)).ok().map(|i| &self.entries[i].physician)
    }

    /// A pin on `physician`'s record, if `physician` is this snapshot's.
    pub fn pin(&self, physician: &Physician) -> Option<Pin> {
        let at = self.entries.binary_search_by(|e| e.physician.npi.cmp(&physician.npi)).ok()?;
        let entry = &self.entries[at];
        std::ptr::eq(&entry.physician, physician).then(|| Pin::of(entry))
    }

    /// Whether the directory is demonstration data: every physician in it is
    /// reachable only at phone numbers reserved for fiction (555-0100 to
    /// 555-0199), as in the seed. A real directory never is.
    pub fn is_fictional(&self) -> bool {
        !self.entries.is_empty() && self.counts.fictional == self.entries.len()
    }

    /// How many physicians list each specialty, in vocabulary order.
    pub fn specialty_counts(&self) -> impl Iterator<Item = (Specialty, usize)> + '_ {
        Specialty::all().zip(self.counts.specialties.iter().copied())
    }

    /// How many physicians treat each condition, in vocabulary order.
    pub fn condition_counts(&self) -> impl Iterator<Item = (Condition, usize)> + '_ {
        Condition::all().zip(self.counts.conditions.iter().copied())
    }

    /// How many physicians offer each service at some location.
    pub fn service_counts(&self) -> impl Iterator<Item = (Service, usize)> + '_ {
        Service::all().zip(self.counts.services.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::formats::csv;
    use crate::domain::{GeoPoint, Radius, Unit};
    use crate::search::{Filters, SearchQuery};

    fn answers(snapshot: &Snapshot) -> Vec<(String, Option<u64>)> {
        let near = Some((GeoPoint::new(40.75, -73.99).unwrap(), Radius::new(400.0, Unit::Mi).unwrap()));
        let mut out = Vec::new();
        for near in [near, None] {
            let query = SearchQuery { near, filters: Filters::default() };
            let page = snapshot.search(&query, 100_000, None, false, 0);
            out.extend(
                page.hits.iter().map(|h| (h.physician.npi.to_string(), h.nearest.map(|n| n.1.to_bits()))),
            );
        }
        out
    }

    #[test]
    fn a_patched_snapshot_equals_one_built_from_scratch() {
        // A few changes (the indexes are patched) and many (they are rebuilt).
        changed_snapshot_equals_one_built_from_scratch(600, 500);
        changed_snapshot_equals_one_built_from_scratch(10, 7);
    }

    fn changed_snapshot_equals_one_built_from_scratch(remove_every: usize, rename_every: usize) {
        let seed = csv::read(crate::db::SEED_CSV.as_bytes()).unwrap();
        let base = Snapshot::build(1, seed.clone());
        // Remove some physicians, rename (and so re-sort) others, add two new ones.
        let removed: Vec<Npi> = seed.iter().step_by(remove_every).map(|p| p.npi).collect();
        let mut renamed: Vec<Physician> = seed
            .iter()
            .skip(3)
            .step_by(rename_every)
            .filter(|p| !removed.contains(&p.npi))
            .cloned()
            .collect();
        for p in &mut renamed {
            p.family_name = format!("Aaron-{}", p.family_name);
        }
        let mut added: Vec<Physician> = seed[..2].to_vec();
        added[0].npi = Npi::from_base(123456789);
        added[1].npi = Npi::from_base(999999999);
        let mut fresh = renamed.clone();
        fresh.extend(added.iter().cloned());
        let changed: Vec<Npi> = removed.iter().copied().chain(fresh.iter().map(|p| p.npi)).collect();
        let patched = base.with_changes(2, &changed, fresh.clone());

        let mut expected: Vec<Physician> = seed.into_iter().filter(|p| !changed.contains(&p.npi)).collect();
        expected.extend(fresh);
        let scratch = Snapshot::build(2, expected);
        assert_eq!(patched.physician_count(), scratch.physician_count());
        assert_eq!(patched.location_count(), scratch.location_count());
        assert_eq!(answers(&patched), answers(&scratch));
        assert_eq!(
            patched.specialty_counts().collect::<Vec<_>>(),
            scratch.specialty_counts().collect::<Vec<_>>()
        );
        assert!(patched.physician(removed[1]).is_none());
        assert_eq!(patched.physician(added[1].npi), Some(&added[1]));
        assert!(patched.physician(renamed[0].npi).unwrap().family_name.starts_with("Aaron-"));
    }
}
