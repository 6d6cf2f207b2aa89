//! The immutable in-memory directory every request reads.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::SystemTime;

use rstar::RTree;
use rstar::primitives::GeomWithData;

use crate::directory::Physician;
use crate::domain::text::fold;
use crate::domain::vocabulary::{ConditionKind, Kind, ServiceKind, SpecialtyKind, Term};
use crate::domain::{Condition, Npi, Service, Specialty};

/// A practice location in the spatial index: its unit vector, tagged with the
/// physician's index and the location's index within that physician.
pub(super) type IndexedLocation = GeomWithData<[f64; 3], (u32, u8)>;

/// Name keys precomputed for matching and ordering.
#[derive(Debug)]
pub(super) struct Names {
    /// Folded "given family", what `q` matches against.
    pub full: String,
    pub family: String,
    pub given: String,
}

/// A physician with the keys the search needs. Shared between snapshots:
/// a new version reuses every entry it did not change.
#[derive(Debug)]
pub(super) struct Entry {
    pub physician: Physician,
    pub names: Names,
}

impl Entry {
    fn new(physician: Physician) -> Arc<Self> {
        let names = Names {
            full: fold(&format!("{} {}", physician.given_name, physician.family_name)),
            family: fold(&physician.family_name),
            given: fold(&physician.given_name),
        };
        Arc::new(Entry { physician, names })
    }
}

/// One version of the directory, with its indexes. Built once, then shared
/// read-only by every request until a newer one replaces it.
pub struct Snapshot {
    version: i64,
    built_at: SystemTime,
    /// Sorted by NPI.
    pub(super) entries: Vec<Arc<Entry>>,
    /// Entry indexes ordered by (family, given, NPI) folded: the list order.
    pub(super) by_name: Vec<u32>,
    pub(super) tree: RTree<IndexedLocation>,
    specialty_counts: Vec<usize>,
    condition_counts: Vec<usize>,
    service_counts: Vec<usize>,
}

fn counts<K: Kind>(terms: impl Iterator<Item = Term<K>>) -> Vec<usize> {
    let mut counts = vec![0; Term::<K>::all().count()];
    for term in terms {
        counts[term.index()] += 1;
    }
    counts
}

impl Snapshot {
    /// Indexes a directory. `version` is the database's directory version.
    pub fn build(version: i64, physicians: Vec<Physician>) -> Self {
        let mut entries: Vec<Arc<Entry>> = physicians.into_iter().map(Entry::new).collect();
        entries.sort_by_key(|e| e.physician.npi);
        entries.dedup_by_key(|e| e.physician.npi);
        Snapshot::index(version, entries)
    }

    /// The next version: this one with the physicians named in `changed`
    /// replaced by those of them in `fresh`, the rest of `changed` removed.
    /// Unchanged entries are shared, not copied or re-folded.
    pub fn with_changes(&self, version: i64, changed: &[Npi], fresh: Vec<Physician>) -> Self {
        let changed: HashSet<Npi> = changed.iter().copied().chain(fresh.iter().map(|p| p.npi)).collect();
        let mut fresh: Vec<Arc<Entry>> = fresh.into_iter().map(Entry::new).collect();
        fresh.sort_by_key(|e| e.physician.npi);
        fresh.dedup_by_key(|e| e.physician.npi);
        let kept = self.entries.iter().filter(|e| !changed.contains(&e.physician.npi)).cloned();
        let mut entries = Vec::with_capacity(self.entries.len() + fresh.len());
        let mut fresh = fresh.into_iter().peekable();
        for entry in kept {
            while let Some(f) = fresh.next_if(|f| f.physician.npi < entry.physician.npi) {
                entries.push(f);
            }
            entries.push(entry);
        }
        entries.extend(fresh);
        Snapshot::index(version, entries)
    }

    fn index(version: i64, entries: Vec<Arc<Entry>>) -> Self {
        let mut by_name: Vec<u32> = (0..entries.len() as u32).collect();
        by_name.sort_by(|&a, &b| {
            let (x, y) = (&entries[a as usize], &entries[b as usize]);
            (&x.names.family, &x.names.given, x.physician.npi).cmp(&(
                &y.names.family,
                &y.names.given,
                y.physician.npi,
            ))
        });
        let locations = entries
            .iter()
            .enumerate()
            .flat_map(|(i, e)| {
                e.physician
                    .locations
                    .iter()
                    .enumerate()
                    .map(move |(j, l)| GeomWithData::new(l.point.unit_vector(), (i as u32, j as u8)))
            })
            .collect();
        let physicians = || entries.iter().map(|e| &e.physician);
        let specialty_counts =
            counts::<SpecialtyKind>(physicians().flat_map(|p| p.specialties.iter().copied()));
        let condition_counts =
            counts::<ConditionKind>(physicians().flat_map(|p| p.conditions.iter().copied()));
        // A physician counts once per service however many locations offer it.
        let service_counts = counts::<ServiceKind>(physicians().flat_map(|p| {
            let mut services: Vec<Service> =
                p.locations.iter().flat_map(|l| l.services.iter().copied()).collect();
            services.sort();
            services.dedup();
            services
        }));
        Snapshot {
            version,
            built_at: SystemTime::now(),
            tree: RTree::bulk_load(locations),
            entries,
            by_name,
            specialty_counts,
            condition_counts,
            service_counts,
        }
    }

    pub fn version(&self) -> i64 {
        self.version
    }

    pub fn built_at(&self) -> SystemTime {
        self.built_at
    }

    pub fn physician_count(&self) -> usize {
        self.entries.len()
    }

    pub fn location_count(&self) -> usize {
        self.tree.size()
    }

    /// One physician by NPI.
    pub fn physician(&self, npi: Npi) -> Option<&Physician> {
        self.entries.binary_search_by(|e| e.physician.npi.cmp(&npi)).ok().map(|i| &self.entries[i].physician)
    }

    /// How many physicians list each specialty, in vocabulary order.
    pub fn specialty_counts(&self) -> impl Iterator<Item = (Specialty, usize)> + '_ {
        Specialty::all().zip(self.specialty_counts.iter().copied())
    }

    /// How many physicians treat each condition, in vocabulary order.
    pub fn condition_counts(&self) -> impl Iterator<Item = (Condition, usize)> + '_ {
        Condition::all().zip(self.condition_counts.iter().copied())
    }

    /// How many physicians offer each service at some location.
    pub fn service_counts(&self) -> impl Iterator<Item = (Service, usize)> + '_ {
        Service::all().zip(self.service_counts.iter().copied())
    }

    /// The list-order key of physician `i`.
    pub(super) fn name_key(&self, i: u32) -> (&str, &str, Npi) {
        let names = &self.entries[i as usize].names;
        (&names.family, &names.given, self.entries[i as usize].physician.npi)
    }
}

/// Total order on (distance, NPI), the ranking with origin.
pub(super) fn by_distance(a: (f64, Npi), b: (f64, Npi)) -> Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::csv;
    use crate::domain::{GeoPoint, Radius, Unit};
    use crate::search::{Filters, SearchQuery};

    fn answers(snapshot: &Snapshot) -> Vec<(String, Option<u64>)> {
        let near = Some((GeoPoint::new(40.75, -73.99).unwrap(), Radius::new(400.0, Unit::Mi).unwrap()));
        let mut out = Vec::new();
        for near in [near, None] {
            let query = SearchQuery { near, filters: Filters::default() };
            let page = snapshot.search(&query, 100_000, None);
            out.extend(
                page.hits.iter().map(|h| (h.physician.npi.to_string(), h.nearest.map(|n| n.1.to_bits()))),
            );
        }
        out
    }

    #[test]
    fn a_changed_snapshot_equals_one_built_from_scratch() {
        let seed = csv::read(crate::db::SEED_CSV.as_bytes()).unwrap();
        let base = Snapshot::build(1, seed.clone());
        // Remove every tenth physician, rename every seventh, add two new ones.
        let removed: Vec<Npi> = seed.iter().step_by(10).map(|p| p.npi).collect();
        let mut renamed: Vec<Physician> =
            seed.iter().skip(3).step_by(7).filter(|p| !removed.contains(&p.npi)).cloned().collect();
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
