//! The immutable in-memory directory every request reads.

use std::cmp::Ordering;
use std::time::SystemTime;

use rstar::RTree;
use rstar::primitives::GeomWithData;

use crate::directory::Physician;
use crate::domain::text::fold;
use crate::domain::vocabulary::{Kind, Term};
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

/// One version of the directory, with its indexes. Built once, then shared
/// read-only by every request until a newer one replaces it.
pub struct Snapshot {
    version: i64,
    built_at: SystemTime,
    /// Sorted by NPI.
    pub(super) physicians: Vec<Physician>,
    pub(super) names: Vec<Names>,
    /// Physician indexes ordered by (family, given, NPI) folded: the list order.
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
    pub fn build(version: i64, mut physicians: Vec<Physician>) -> Self {
        physicians.sort_by_key(|p| p.npi);
        physicians.dedup_by_key(|p| p.npi);
        let names: Vec<Names> = physicians
            .iter()
            .map(|p| Names {
                full: fold(&format!("{} {}", p.given_name, p.family_name)),
                family: fold(&p.family_name),
                given: fold(&p.given_name),
            })
            .collect();
        let mut by_name: Vec<u32> = (0..physicians.len() as u32).collect();
        by_name.sort_by(|&a, &b| {
            let (x, y) = (&names[a as usize], &names[b as usize]);
            (&x.family, &x.given, physicians[a as usize].npi).cmp(&(
                &y.family,
                &y.given,
                physicians[b as usize].npi,
            ))
        });
        let entries = physicians
            .iter()
            .enumerate()
            .flat_map(|(i, p)| {
                p.locations
                    .iter()
                    .enumerate()
                    .map(move |(j, l)| GeomWithData::new(l.point.unit_vector(), (i as u32, j as u8)))
            })
            .collect();
        let specialty_counts = counts::<crate::domain::vocabulary::SpecialtyKind>(
            physicians.iter().flat_map(|p| p.specialties.iter().copied()),
        );
        let condition_counts = counts::<crate::domain::vocabulary::ConditionKind>(
            physicians.iter().flat_map(|p| p.conditions.iter().copied()),
        );
        // A physician counts once per service however many locations offer it.
        let service_counts =
            counts::<crate::domain::vocabulary::ServiceKind>(physicians.iter().flat_map(|p| {
                let mut services: Vec<Service> =
                    p.locations.iter().flat_map(|l| l.services.iter().copied()).collect();
                services.sort();
                services.dedup();
                services
            }));
        Snapshot {
            version,
            built_at: SystemTime::now(),
            physicians,
            names,
            by_name,
            tree: RTree::bulk_load(entries),
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
        self.physicians.len()
    }

    pub fn location_count(&self) -> usize {
        self.tree.size()
    }

    /// One physician by NPI.
    pub fn physician(&self, npi: Npi) -> Option<&Physician> {
        self.physicians.binary_search_by(|p| p.npi.cmp(&npi)).ok().map(|i| &self.physicians[i])
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
        let names = &self.names[i as usize];
        (&names.family, &names.given, self.physicians[i as usize].npi)
    }
}

/// Total order on (distance, NPI), the ranking with origin.
pub(super) fn by_distance(a: (f64, Npi), b: (f64, Npi)) -> Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}
