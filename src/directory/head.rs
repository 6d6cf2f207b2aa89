//! Which state of the directory an answer comes from.

/// The directory's version, and the stamp of the write that made it.
///
/// A version number alone can come back with other content: a database
/// restored to version 36 and written again is at 37 a second time. A head
/// never does, since every write draws a new random stamp; so answers are
/// tagged by the head, and a snapshot follows the directory by its changes
/// only from a head the directory's history made.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Head {
    /// Bumped by every write: 0 until the first.
    pub version: i64,
    /// 128 random bits in hex, drawn at the commit.
    pub stamp: String,
    /// How many physicians the directory held at this version, as its
    /// commit recorded it (unknown for versions written before the count
    /// was kept). A snapshot that holds another number was read while the
    /// directory was being restored table by table, and is not served.
    pub physicians: Option<u64>,
}

/// A bare version is a head with no stamp: a snapshot built outside the
/// directory of record (the tests' and benchmarks').
impl From<i64> for Head {
    fn from(version: i64) -> Self {
        Head { version, stamp: String::new(), physicians: None }
    }
}
