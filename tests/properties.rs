//! Property tests (proptest) of the library's own API, in-process:
//!
//! 1. a snapshot answers every search as a brute-force oracle does
//!    (`properties/search.rs`), built from scratch or patched;
//! 2. the pages of a search, followed by cursor, are exactly its whole
//!    answer (`properties/search.rs`);
//! 3. the cursor decoder and the search query string never panic and never
//!    answer 500 on untrusted input, and an altered cursor is refused
//!    (`properties/parsing.rs`);
//! 4. the CSV and JSON layouts round-trip every valid physician
//!    (`properties/roundtrip.rs`);
//! 5. the distance kernel stays within its bound of Karney over the whole
//!    Earth, and orders as Karney does (`properties/kernel.rs`).
//!
//! Inputs over-weight the hard places of the globe (poles, antimeridian,
//! equator, many physicians at one address): see `properties/arb.rs`.
//! Failures are kept beside each module as `*.proptest-regressions` and
//! replayed first on the next run.

#[path = "properties/arb.rs"]
mod arb;
#[path = "properties/kernel.rs"]
mod kernel;
#[path = "properties/oracle.rs"]
mod oracle;
#[path = "properties/parsing.rs"]
mod parsing;
#[path = "properties/roundtrip.rs"]
mod roundtrip;
#[path = "properties/search.rs"]
mod search;

use proptest::test_runner::{Config, FileFailurePersistence};

/// `cases` cases (times `PROPERTIES_SCALE`, default 1, for a longer hunt:
/// `PROPERTIES_SCALE=50 cargo test --release --test properties`), failures
/// persisted beside the test's source file.
pub fn config(cases: u32) -> Config {
    let scale: u32 = std::env::var("PROPERTIES_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    Config {
        cases: cases.saturating_mul(scale.max(1)),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..Config::default()
    }
}
