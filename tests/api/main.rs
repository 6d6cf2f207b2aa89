//! Integration tests: the real application on a real SQLite database per test.

mod admin;
mod binary;
mod caching;
mod cli;
mod cursors;
mod directory;
mod errors;
mod faults;
mod fhir;
mod fhir_answers;
mod gate;
mod helpers;
mod imports;
mod licenses;
mod observability;
mod oracle;
mod readme;
mod reference;
mod search;
mod store;
mod summary;
