//! The directory as the service holds it: the directory of record (the
//! database) and the in-memory snapshot every search is answered from, kept
//! in step.
//!
//! Readers take the current snapshot and never lock; it is replaced
//! atomically when the directory changes. Writes go through
//! [`Store::write`], which writes through [`Database::write`] (transaction,
//! audit row, version bump) and then brings this instance's snapshot up to
//! date; other instances notice the new version at their next poll
//! ([`Store::watch`]).

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

use crate::db::{Database, DbConnection, Outcome, Update, Written};
use crate::directory::Head;
use crate::error::Error;
use crate::search::{CursorKey, Snapshot};

pub struct Store {
    database: Database,
    snapshot: ArcSwap<Snapshot>,
    /// Why the snapshot could not follow the directory of record at the last
    /// attempt, if it could not: searches go on from the snapshot, `/readyz`
    /// says degraded, and the next poll tries again.
    fault: Mutex<Option<Fault>>,
    /// One refresh at a time: after a burst of writes, each writer's refresh
    /// would otherwise reload the same changes at once, on a pooled
    /// connection each, and starve the pool. The ones that wait find the
    /// snapshot already current. It holds the head whose directory was
    /// last refused as not whole (see [`whole`]), if any.
    refreshing: Mutex<Option<Head>>,
    /// What the directory's paging cursors are signed with: the database
    /// keeps it for every instance and for the next start. Read again with
    /// every whole reload, since a restore may bring another database's.
    cursor_key: ArcSwap<CursorKey>,
}

impl Store {
    /// Loads the directory and builds the first snapshot (blocking).
    pub fn open(database: Database) -> Result<Self, Error> {
        let cursor_key = ArcSwap::from_pointee(CursorKey::new(database.cursor_key()?));
        let started = Instant::now();
        let (head, physicians) = database.load()?;
        let loaded = started.elapsed();
        let snapshot = Snapshot::build(head, physicians);
        whole(&snapshot)?;
        let snapshot = ArcSwap::from_pointee(snapshot);
        tracing::info!(
            "directory loaded in {loaded:.2?}, snapshot built in {:.2?}",
            started.elapsed() - loaded
        );
        Ok(Store { database, snapshot, fault: Mutex::default(), refreshing: Mutex::default(), cursor_key })
    }

    /// The snapshot to answer the current request from.
    pub fn current(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// The key to sign and check paging cursors with.
    pub fn cursor_key(&self) -> Arc<CursorKey> {
        self.cursor_key.load_full()
    }

    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Writes through [`Database::write`], then brings the snapshot up to
    /// date (blocking: call it off the request path). A write that committed
    /// has happened, whatever follows: if the snapshot cannot follow now, the
    /// write still succeeds, the fault shows in `/readyz` and `/metrics`, and
    /// the watcher tries again.
    pub fn write<T>(
        &self,
        actor: &str,
        job: impl FnOnce(&mut DbConnection) -> Result<Outcome<T>, Error>,
    ) -> Result<Written<T>, Error> {
        let written = self.database.write(actor, job)?;
        if written.changed {
            self.record(self.refresh().err().map(Fault::cannot_follow));
        }
        Ok(written)
    }

    /// Brings the snapshot up to the directory's head (blocking): only the
    /// physicians changed since are reloaded, the rest of the snapshot is
    /// shared; unless the directory is no longer the history the snapshot
    /// came from (a restore, a copied file), when everything is. Refreshes
    /// take turns; and a snapshot never replaces a newer one, so they cannot
    /// go back in time. Returns the version served.
    pub fn refresh(&self) -> Result<i64, Error> {
        let mut refused = self.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        // A directory refused as not whole is read again only once its
        // count has moved to what its head recorded (a restore finishing,
        // a repair): one count a poll, not a whole reload, while it lasts.
        if let Some(head) = refused.as_ref()
            && let Some(recorded) = head.physicians
            && self.database.head()? == *head
        {
            let counted = self.database.physician_count()?;
            if counted != recorded {
                return Err(not_whole(head, counted));
            }
        }
        let current = self.current();
        let started = Instant::now();
        let mut key = None;
        let mut update = self.database.update_since(current.head())?;
        let next = loop {
            match update {
                Update::Current => return Ok(current.version()),
                Update::Full { head, physicians } => {
                    // A whole reload follows a restore, perhaps of another
                    // database, with its own key.
                    key = Some(CursorKey::new(self.database.cursor_key()?));
                    break Snapshot::build(head, physicians);
                }
                Update::Partial { head, changed, fresh } => {
                    let patched = current.with_changes(head, &changed, fresh);
                    if whole(&patched).is_ok() {
                        break patched;
                    }
                    // Patched from a snapshot that was not the directory
                    // (rows changed outside the service): from no head,
                    // the update is the whole directory.
                    update = self.database.update_since(&Head::default())?;
                }
            }
        };
        if let Err(e) = whole(&next) {
            *refused = Some(next.head().clone());
            return Err(e);
        }
        *refused = None;
        let next = Arc::new(next);
        if let Some(key) = key {
            self.cursor_key.store(Arc::new(key));
        }
        tracing::info!("snapshot {} -> {} in {:.2?}", current.version(), next.version(), started.elapsed());
        // A concurrent refresh may have installed a newer snapshot meanwhile:
        // keep it. But if the snapshot is still the one this refresh started
        // from, the database is the truth, even behind it or beside it (a
        // restore).
        self.snapshot.rcu(|now| {
            if Arc::ptr_eq(now, &current) || now.version() <= next.version() {
                next.clone()
            } else {
                now.clone()
            }
        });
        Ok(self.current().version())
    }

    /// Polls the directory version every `interval` on a thread of its own
    /// and refreshes when it moved: how each instance sees the others'
    /// writes, and how a refresh that failed is retried. The thread holds
    /// the store weakly and ends with it.
    pub fn watch(self: &Arc<Self>, interval: Duration) {
        let store: Weak<Self> = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("snapshot-refresh".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(interval);
                    let Some(store) = store.upgrade() else { return };
                    store.poll();
                }
            })
            .expect("spawn the snapshot refresh thread");
    }

    /// One poll: refresh if the directory's head moved (its version, or
    /// with a restore only its stamp), and record whether the snapshot could
    /// follow it.
    fn poll(&self) {
        let fault = match self.database.head() {
            Err(e) => Some(Fault { what: UNREACHABLE, cause: e.to_string() }),
            Ok(head) if head == *self.current().head() => None,
            Ok(_) => self.refresh().err().map(Fault::cannot_follow),
        };
        self.record(fault);
    }

    fn record(&self, fault: Option<Fault>) {
        let mut recorded = self.fault.lock().unwrap_or_else(|p| p.into_inner());
        match (&*recorded, &fault) {
            (None, Some(e)) => tracing::warn!("serving the snapshot as it is: {e}"),
            (Some(_), None) => tracing::info!("the snapshot follows the directory of record again"),
            _ => {}
        }
        *recorded = fault;
    }

    /// Why the snapshot could not follow the directory at the last attempt.
    pub fn fault(&self) -> Option<Fault> {
        self.fault.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Whether `snapshot` holds as many physicians as its version recorded:
/// else it was read from a directory being restored table by table (one
/// `pg_restore` without `--single-transaction` commits each table apart),
/// and serving it would put another directory under its version's tags.
/// The refresh fails instead, the fault shows, and the next poll tries again.
fn whole(snapshot: &Snapshot) -> Result<(), Error> {
    let head = snapshot.head();
    let read = snapshot.physician_count() as u64;
    match head.physicians {
        Some(recorded) if recorded != read => Err(not_whole(head, read)),
        _ => Ok(()),
    }
}

/// Why the directory at `head`, holding `held` physicians, is not served.
fn not_whole(head: &Head, held: u64) -> Error {
    Error::Database(format!(
        "version {} of the directory of record records {} physicians, but it holds {held}: a restore \
         under way, or rows changed outside the service; not served. {}",
        head.version,
        head.physicians.unwrap_or_default(),
        crate::db::RECOUNT_ADVICE
    ))
}

const UNREACHABLE: &str = "the directory of record is unreachable";
const CANNOT_FOLLOW: &str = "the snapshot cannot follow the directory of record";

/// Why the snapshot cannot follow the directory of record: what may be said
/// to anyone, and the cause, for the operator's log only (a database's
/// address, user and server messages are nobody else's business).
#[derive(Clone, Debug)]
pub struct Fault {
    what: &'static str,
    cause: String,
}

impl Fault {
    fn cannot_follow(cause: Error) -> Self {
        Fault { what: CANNOT_FOLLOW, cause: cause.to_string() }
    }

    /// What went wrong, without its cause.
    pub fn public(&self) -> &'static str {
        self.what
    }
}

/// The whole of it, cause included: for the log.
impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.what, self.cause)
    }
}
