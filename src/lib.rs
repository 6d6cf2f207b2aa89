//! physician-locator: a REST API that finds neurologists and neuromuscular
//! specialists near a place. See `ARCHITECTURE.md` in the shared design notes
//! and the README.
//!
//! Data flows one way: a request is parsed into [`domain`] types, answered by
//! [`search`] from the in-memory [`search::Snapshot`], and rendered by [`api`].
//! The [`db`] is the directory of record the snapshot is built from.
//!
//! Every physician, whatever brings it (a file in one of the
//! [`directory::formats`], an admin request, the database's rows), arrives as
//! the [`directory`]'s unchecked input and becomes a [`directory::Physician`]
//! only through its check. Nothing below knows what is above it: the
//! directory knows neither the [`db`] that stores its records nor the
//! [`import`] that applies files of them, and the [`error`] type knows no
//! feature.

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
