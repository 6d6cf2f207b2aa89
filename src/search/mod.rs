//! The search engine: an immutable [`Snapshot`] of the directory with its
//! spatial index, and the queries it answers. No HTTP, no database.

mod candidate;
pub mod cursor;
mod index;
mod packed;
mod places;
mod query;
mod snapshot;

pub use self::candidate::Candidate;
pub use self::cursor::{Cursor, CursorError, CursorKey, Position};
pub use self::places::{Near, Place, PlaceKey, PlaceQuery, Places};
pub use self::query::{Filters, Hit, Page, SearchQuery};
pub use self::snapshot::{Pin, Snapshot};
