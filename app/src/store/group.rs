//! SQLite's one writer, with group commit.
//!
//! SQLite lets one transaction write at a time, and with `synchronous=FULL` every COMMIT waits
//! for the disk (fsync). Committing each write transaction on its own made writers queue behind
//! each other's disk waits. Here a write transaction is a savepoint inside an outer transaction
//! that stays open while other writers are queued: `commit` releases the savepoint, lets the
//! queued writers do their work, and returns only once the outer transaction has committed. One
//! fsync covers the group; nothing is reported committed before it is on disk; a transaction
//! that rolls back undoes only its own savepoint.
//!
//! The writer is a fair (first come, first served) lock around the one connection. A writer that
//! has released its savepoint queues for the lock again; whoever gets the lock while the group
//! it belongs to is still open commits the group. So a group ends when the writers that were
//! queued behind its members have had their turn, and a writer whose request is abandoned
//! halfway never leaves a group open for long: the next writer ends it.

use std::{
    collections::VecDeque,
    future::Future,
    ops::{Deref, DerefMut},
    pin::Pin,
    sync::Arc,
};

use sqlx::{pool::PoolConnection, Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Runs control statements (one or more, separated by `;`: SQLite runs each in turn) on the
/// writer connection. Boxed so the futures holding it stay `Send` (sqlx's executor lifetimes
/// otherwise defeat the check).
fn exec(
    conn: &mut Option<PoolConnection<Sqlite>>,
    sql: String,
) -> Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        match conn.as_mut() {
            Some(conn) => sqlx::query(&sql).execute(&mut **conn).await.map(|_| ()),
            None => Err(sqlx::Error::PoolClosed),
        }
    })
}

/// How many finished groups' failures are remembered for members still to collect them.
const FAILURES_KEPT: usize = 64;

#[derive(Debug, Clone)]
pub struct GroupWriter {
    pool: SqlitePool,
    slot: Arc<Mutex<Slot>>,
}

#[derive(Debug, Default)]
struct Slot {
    /// The writer connection, held while a group is open.
    conn: Option<PoolConnection<Sqlite>>,
    /// The open group's number, if one is open.
    open: Option<u64>,
    /// The last number given to a group.
    last: u64,
    /// Groups that did not commit, with why, newest last.
    failed: VecDeque<(u64, String)>,
    /// How many savepoints have been made (their names must differ only within a group).
    savepoints: u64,
    /// A group was being opened when its writer went away: the connection may be inside a
    /// transaction nobody owns.
    unsure: bool,
}

impl Slot {
    /// What became of a finished group.
    fn outcome(&self, group: u64) -> Result<(), sqlx::Error> {
        match self.failed.iter().find(|(g, _)| *g == group) {
            Some((_, why)) => Err(sqlx::Error::Protocol(format!(
                "the write was not saved: {why}"
            ))),
            None => Ok(()),
        }
    }

    /// Commits the open group (one fsync) and hands the connection back to the pool.
    async fn end_group(&mut self) -> Result<(), sqlx::Error> {
        let Some(group) = self.open.take() else {
            return Ok(());
        };
        let result = exec(&mut self.conn, "COMMIT".into()).await;
        if let Err(e) = &result {
            tracing::error!(error = %e, group, "a group of SQLite writes could not be committed");
            // Leave no half-finished transaction on the connection.
            let _ = exec(&mut self.conn, "ROLLBACK".into()).await;
            self.remember_failure(group, e.to_string());
        }
        self.conn = None;
        result
    }

    /// Marks the open group as failed without committing it (its outer transaction is gone).
    async fn abandon_group(&mut self, why: String) {
        if let Some(group) = self.open.take() {
            let _ = exec(&mut self.conn, "ROLLBACK".into()).await;
            self.remember_failure(group, why);
        }
        self.conn = None;
    }

    /// Keeps why a group failed, for its members still to collect it (the oldest are dropped).
    fn remember_failure(&mut self, group: u64, why: String) {
        self.failed.push_back((group, why));
        while self.failed.len() > FAILURES_KEPT {
            self.failed.pop_front();
        }
    }
}

impl GroupWriter {
    pub fn new(pool: SqlitePool) -> Self {
        Self {
            pool,
            slot: Arc::new(Mutex::new(Slot::default())),
        }
    }

    /// The pool behind the writer, for work outside transactions (migrations, checkpoints).
    /// Call [`Self::flush`] first so no group holds the connection.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Starts a write transaction: waits for the writer, joins (or opens) the current group and
    /// makes a savepoint.
    pub async fn begin(&self) -> Result<WriteTx, sqlx::Error> {
        let mut slot = self.slot.clone().lock_owned().await;
        slot.savepoints += 1;
        let savepoint = format!("w{}", slot.savepoints);
        let opening = slot.open.is_none();
        if opening && slot.conn.is_none() {
            slot.conn = Some(self.pool.acquire().await?);
        }
        if opening && slot.unsure {
            // A start abandoned halfway (its request went away) may have left a transaction
            // open; if it did not, this ROLLBACK fails harmlessly.
            let _ = exec(&mut slot.conn, "ROLLBACK".into()).await;
        }
        let sql = if opening {
            format!("BEGIN IMMEDIATE; SAVEPOINT {savepoint}")
        } else {
            format!("SAVEPOINT {savepoint}")
        };
        slot.unsure = opening;
        let made = exec(&mut slot.conn, sql).await;
        if let Err(e) = made {
            if opening {
                // BEGIN or SAVEPOINT failed: hand the connection back in a known state.
                let _ = exec(&mut slot.conn, "ROLLBACK".into()).await;
                slot.unsure = false;
                slot.conn = None;
            } else {
                slot.abandon_group(e.to_string()).await;
            }
            return Err(e);
        }
        slot.unsure = false;
        if opening {
            slot.last += 1;
            slot.open = Some(slot.last);
        }
        let group = slot.last;
        Ok(WriteTx {
            guard: Some(slot),
            slot: self.slot.clone(),
            group,
            savepoint,
        })
    }

    /// Commits any open group now (before a checkpoint or shutdown).
    pub async fn flush(&self) -> Result<(), sqlx::Error> {
        self.slot.lock().await.end_group().await
    }
}

/// One write transaction: a savepoint in the current group, holding the writer until it ends.
pub struct WriteTx {
    guard: Option<OwnedMutexGuard<Slot>>,
    slot: Arc<Mutex<Slot>>,
    group: u64,
    savepoint: String,
}

impl std::fmt::Debug for WriteTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTx")
            .field("group", &self.group)
            .field("savepoint", &self.savepoint)
            .finish_non_exhaustive()
    }
}

/// Undoes a savepoint's work and removes it, leaving the outer transaction as it was.
fn undo(savepoint: &str) -> String {
    format!("ROLLBACK TO {savepoint}; RELEASE {savepoint}")
}

const HELD: &str = "a write transaction holds the writer connection until it ends";

impl Deref for WriteTx {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        self.guard
            .as_ref()
            .and_then(|s| s.conn.as_deref())
            .expect(HELD)
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.guard
            .as_mut()
            .and_then(|s| s.conn.as_deref_mut())
            .expect(HELD)
    }
}

impl WriteTx {
    /// Releases the savepoint, then returns once the group holding it has been committed.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        let sql = format!("RELEASE {}", self.savepoint);
        self.end(sql).await
    }

    /// Undoes this transaction's savepoint, then waits for the group it joined to finish, so
    /// that reads made afterwards (on other connections) see what this transaction saw.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        let sql = undo(&self.savepoint);
        self.end(sql).await
    }

    /// Ends the savepoint with `sql`, lets the writers queued meanwhile add to the group, then
    /// comes back for the lock and waits for the group to commit.
    async fn end(mut self, sql: String) -> Result<(), sqlx::Error> {
        let Some(mut slot) = self.guard.take() else {
            return Err(sqlx::Error::PoolClosed);
        };
        if let Err(e) = exec(&mut slot.conn, sql).await {
            // The savepoint is gone: SQLite rolled the whole outer transaction back (a full
            // disk, an I/O error). Every member of the group learns it was not saved.
            slot.abandon_group(e.to_string()).await;
            return Err(e);
        }
        drop(slot);
        let finish = Finish {
            slot: self.slot.clone(),
            group: self.group,
            done: false,
        };
        finish.wait().await
    }
}

impl Drop for WriteTx {
    /// Not committed: undo this transaction's savepoint only, in the background (dropping
    /// cannot wait), still holding the writer so nothing runs in between.
    fn drop(&mut self) {
        let Some(mut slot) = self.guard.take() else {
            return;
        };
        let savepoint = std::mem::take(&mut self.savepoint);
        let undo = async move {
            let undone = exec(&mut slot.conn, undo(&savepoint)).await;
            match undone {
                // Commit what the group's other members released: they are waiting for it,
                // and this writer may have been the last in the queue.
                Ok(()) => {
                    let _ = slot.end_group().await;
                }
                Err(e) => slot.abandon_group(e.to_string()).await,
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(undo);
            }
            Err(_) => tracing::error!("a SQLite write transaction was dropped outside the runtime"),
        }
    }
}

/// The second half of a commit: wait for the lock, then commit the group if nobody has yet.
/// Dropped before it finishes (the request was abandoned), it finishes in the background, so
/// a group is never left open with nobody to commit it.
struct Finish {
    slot: Arc<Mutex<Slot>>,
    group: u64,
    done: bool,
}

impl Finish {
    async fn wait(mut self) -> Result<(), sqlx::Error> {
        let result = finish(&self.slot, self.group).await;
        self.done = true;
        result
    }
}

async fn finish(slot: &Mutex<Slot>, group: u64) -> Result<(), sqlx::Error> {
    let mut slot = slot.lock().await;
    if slot.open == Some(group) {
        slot.end_group().await
    } else {
        slot.outcome(group)
    }
}

impl Drop for Finish {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let (slot, group) = (self.slot.clone(), self.group);
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                let _ = finish(&slot, group).await;
            });
        }
    }
}
