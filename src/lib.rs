//! physician-locator: a REST API that finds neurologists and neuromuscular
//! specialists near a place. `docs/ARCHITECTURE.md` describes how it is built
//! (layers, the flow of a search and of a write, what must not depend on
//! what); the README how to use it.
//!
//! Data flows one way: a request is parsed into [`domain`] types, answered by
//! [`search`] from the current snapshot of the [`store`], and rendered by
//! [`api`]. The [`db`] is the directory of record the snapshot follows, and
//! every write goes through its one write protocol.
//!
//! Every physician, whatever brings it (a file in one of the
//! [`directory::formats`], an admin request, the database's rows), becomes a
//! [`directory::Physician`] only through the [`directory`]'s one check, which
//! knows none of those sources.

pub mod api;
pub mod application;
pub mod clock;
pub mod config;
pub mod db;
pub mod directory;
pub mod domain;
pub mod error;
pub mod generate;
pub mod geocode;
pub mod import;
pub mod search;
pub mod store;

pub use error::Error;
