//! A physician, at one of their locations or at none, as a filter the
//! search does not know sees it: the record, and the folded text the
//! snapshot keeps with it, so that no filter folds text per request.

use super::snapshot::Entry;
use crate::directory::{Location, Physician};

#[derive(Clone, Copy)]
pub struct Candidate<'s> {
    entry: &'s Entry,
    /// The location's index among the physician's, if at one.
    at: Option<usize>,
}

impl<'s> Candidate<'s> {
    pub(super) fn new(entry: &'s Entry, at: Option<usize>) -> Self {
        Candidate { entry, at }
    }

    pub fn physician(&self) -> &'s Physician {
        &self.entry.physician
    }

    pub fn location(&self) -> Option<&'s Location> {
        self.at.map(|at| &self.entry.physician.locations[at])
    }

    /// The given name, lower-cased and without accents.
    pub fn folded_given(&self) -> &'s str {
        self.entry.names.given()
    }

    /// The family name, lower-cased and without accents.
    pub fn folded_family(&self) -> &'s str {
        self.entry.names.family()
    }

    /// The location's city, lower-cased and without accents.
    pub fn folded_city(&self) -> Option<&'s str> {
        self.at.and_then(|at| self.entry.names.city(at))
    }
}
