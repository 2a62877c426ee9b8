use std::{str::FromStr, time::Duration};

use sqlx::{
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    PgPool, Postgres, SqlitePool, Transaction,
};

use super::{
    group::{GroupWriter, WriteTx},
    StoreError,
};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// Runs the same expression against whichever pool a [`Db`] holds: `on_db!(db, pool => query.fetch_all(pool).await)`.
/// Each call is counted while it runs (see [`calls_in_flight`]).
#[macro_export]
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {{
        let _in_flight = $crate::store::InFlight::start();
        match $db {
            $crate::store::Db::Sqlite($crate::store::SqliteDb { pool: $pool, .. }) => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    }};
}

/// Database calls running now in this process: each holds a pool connection or waits for one.
static IN_FLIGHT: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Counts one database call while it lives.
#[must_use]
pub struct InFlight(());

impl InFlight {
    pub fn start() -> Self {
        IN_FLIGHT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self(())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Database calls running now in this process (reads, and on Postgres opening a transaction).
pub fn calls_in_flight() -> i64 {
    IN_FLIGHT.load(std::sync::atomic::Ordering::Relaxed)
}

/// Calls waiting for a pool connection: those running beyond the connections in use. sqlx does
/// not count its waiters, so this is worked out from the calls this process has in flight.
pub fn waiting_for_connection(in_flight: i64, size: u32, idle: usize) -> i64 {
    let in_use = i64::from(size) - i64::try_from(idle).unwrap_or(i64::MAX);
    (in_flight - in_use.max(0)).max(0)
}

/// Runs the same expression inside whichever transaction a [`Tx`] holds:
/// `on_tx!(tx, conn => query.execute(&mut **conn).await)`.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite($conn) => $body,
            $crate::store::Tx::Postgres($conn) => $body,
        }
    };
}

/// Which database engine a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Chooses the backend from a database URL.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// A pooled Postgres connection idle at least this long is checked (one round trip to the
/// server) before it is handed out, so one that the server or the network closed meanwhile (a
/// restart, a failover, an idle timeout) is replaced instead of failing a request. A connection
/// in steady use is not: sqlx already checks each one as it goes back to the pool.
pub const CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Pool tuning that applies to both backends.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    /// [`default_pool_size`] connections for the CPUs this process may use; a 5 s wait for one.
    fn default() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Self {
            max_connections: default_pool_size(cpus),
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// The pool size when none is set: four connections per CPU the process may use, between 8
/// and 32.
///
/// The portal's reads are short and CPU-bound on both sides of the connection, so many more
/// queries in flight than CPUs only queue inside the database. But a write holds its connection
/// while its commit waits for the disk, and with too few connections the reads queue behind the
/// writes. docs/performance.md has the measurements behind four per CPU.
pub fn default_pool_size(cpus: usize) -> u32 {
    u32::try_from(cpus.saturating_mul(4)).map_or(32, |n| n.clamp(8, 32))
}

/// The portal's connection pool: SQLite (the embedded default) or Postgres (production).
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqliteDb),
    Postgres(PgPool),
}

/// SQLite has one writer at a time. Write transactions take turns on the single connection of
/// `writer` (first come, first served, without holding a connection while they wait), commit
/// in groups (see [`GroupWriter`]) and never starve the readers in `pool`.
#[derive(Debug, Clone)]
pub struct SqliteDb {
    pub pool: SqlitePool,
    pub writer: GroupWriter,
}

/// A write transaction on either backend. On SQLite it is a savepoint in the writer's current
/// group, which holds the write lock (`BEGIN IMMEDIATE`), so writers queue instead of failing.
pub enum Tx {
    Sqlite(WriteTx),
    Postgres(Transaction<'static, Postgres>),
}

impl Db {
    /// Connects to the database the URL names. A SQLite file (and its folder) is created if
    /// missing, with WAL, `synchronous=FULL`, foreign keys and a busy timeout.
    pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        match Backend::from_url(url)? {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    // Room for a page of rows (the overview's 50 schemes) without the
                    // connection's thread waiting for the reader half-way.
                    .row_buffer_size(256);
                if let Some(dir) = options.get_filename().parent() {
                    if !dir.as_os_str().is_empty() {
                        std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                            path: dir.display().to_string(),
                            source,
                        })?;
                    }
                }
                // Two processes opening a new file at once can meet SQLITE_BUSY while one
                // switches it to WAL (before the busy timeout applies): try again shortly.
                let mut attempt = 0;
                // No check as a connection leaves the pool: an embedded connection cannot be
                // cut off like a network one, and sqlx's check is a round trip to the
                // connection's thread.
                let pool_of = |size: u32, acquire_timeout: Duration| {
                    SqlitePoolOptions::new()
                        .max_connections(size)
                        .acquire_timeout(acquire_timeout)
                        .test_before_acquire(false)
                };
                let (writer, pool) = loop {
                    let opened = async {
                        let writer = pool_of(1, settings.acquire_timeout * 3)
                            .connect_with(options.clone())
                            .await?;
                        let pool = pool_of(settings.max_connections, settings.acquire_timeout)
                            .connect_with(options.clone())
                            .await?;
                        Ok::<_, sqlx::Error>((writer, pool))
                    }
                    .await;
                    match opened {
                        Ok(pools) => break pools,
                        Err(e) if attempt < 5 => {
                            attempt += 1;
                            tracing::warn!(error = %e, attempt, "opening the SQLite database failed; retrying");
                            tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                        }
                        Err(e) => return Err(e.into()),
                    }
                };
                Ok(Self::Sqlite(SqliteDb {
                    pool,
                    writer: GroupWriter::new(writer),
                }))
            }
            Backend::Postgres => {
                let options =
                    PgConnectOptions::from_str(url)?.application_name("connection-portal");
                let pool = PgPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(settings.acquire_timeout)
                    .max_lifetime(Duration::from_secs(30 * 60))
                    // sqlx checks every connection it takes from the pool with a round trip
                    // to the server (on the overview, about 7% of the portal's CPU and a round
                    // trip for Postgres per query). Only a connection that has sat idle is
                    // checked now: one in steady use was just checked when it went back.
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for >= CHECK_AFTER_IDLE {
                                sqlx::Connection::ping(conn).await?;
                            }
                            Ok(true)
                        })
                    })
                    .connect_with(options)
                    .await?;
                Ok(Self::Postgres(pool))
            }
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self {
            Self::Sqlite(_) => &SQLITE_MIGRATIONS,
            Self::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies any migrations not yet applied. On Postgres the migrator holds an advisory lock,
    /// so several instances starting together apply each migration once.
    #[tracing::instrument(skip(self), fields(backend = self.backend().name()))]
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Self::Postgres(pool) => self.migrator().run(pool).await?,
            // SQLite's migrator takes no lock: when two processes start on one file together,
            // the loser of the race fails on a table the winner just made. Each migration is
            // its own transaction, so trying again after a moment finds it applied.
            Self::Sqlite(db) => {
                let mut attempt = 0;
                loop {
                    match self.migrator().run(db.writer.pool()).await {
                        Ok(()) => break,
                        Err(e) if attempt < 5 => {
                            attempt += 1;
                            tracing::warn!(error = %e, attempt, "migration clashed with another instance; retrying");
                            tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        Ok(())
    }

    /// True when every migration this build knows has been applied successfully.
    pub async fn is_migrated(&self) -> Result<bool, StoreError> {
        const SQL: &str = "SELECT version FROM _sqlx_migrations WHERE success = TRUE";
        let applied: Vec<i64> = match on_db!(self, pool => sqlx::query_scalar(SQL).fetch_all(pool).await)
        {
            Ok(v) => v,
            // No migrations table yet: nothing applied.
            Err(sqlx::Error::Database(_)) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        Ok(self
            .migrator()
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .all(|m| applied.contains(&m.version)))
    }

    /// A cheap round trip to the database.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Starts a write transaction (see [`Tx`]).
    pub async fn begin_write(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Self::Sqlite(db) => Tx::Sqlite(db.writer.begin().await?),
            Self::Postgres(pool) => {
                let _waiting = InFlight::start();
                Tx::Postgres(pool.begin().await?)
            }
        })
    }

    /// Closes the pool after the last request. On SQLite the WAL is checkpointed into the main
    /// file first, so a copy of `portal.db` alone is complete.
    pub async fn close(&self) {
        match self {
            Self::Sqlite(db) => {
                // Readers first: a truncating checkpoint waits for every open reader.
                db.pool.close().await;
                if let Err(e) = db.writer.flush().await {
                    tracing::warn!(error = %e, "the last group of writes failed at shutdown");
                }
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(db.writer.pool())
                    .await
                {
                    tracing::warn!(error = %e, "WAL checkpoint at shutdown failed");
                }
                db.writer.pool().close().await;
            }
            Self::Postgres(pool) => pool.close().await,
        }
    }
}

impl Db {
    /// Connections the pool holds and how many of them are idle (for the operators' metrics).
    /// On SQLite these are the readers; the one writer is not counted.
    pub fn pool_stats(&self) -> (u32, usize) {
        on_db!(self, pool => (pool.size(), pool.num_idle()))
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        on_tx!(self, tx => tx.commit().await)?;
        Ok(())
    }

    /// Gives the transaction up, and returns once what it saw of other writers' work is
    /// committed, so a page read next shows it (on SQLite those writers may still be waiting
    /// for their group to commit). A failure is logged: there is nothing left to undo.
    pub async fn rollback(self) {
        if let Err(e) = on_tx!(self, tx => tx.rollback().await) {
            tracing::warn!(error = %e, "rolling back a write transaction failed");
        }
    }
}

/// A database URL fit for an error message or a log line: any password is replaced.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_is_the_calls_beyond_the_connections_in_use() {
        // 5 connections, 1 idle: 4 in use.
        assert_eq!(waiting_for_connection(4, 5, 1), 0);
        assert_eq!(waiting_for_connection(7, 5, 1), 3);
        // Never negative, whatever the counts.
        assert_eq!(waiting_for_connection(0, 5, 5), 0);
        assert_eq!(waiting_for_connection(1, 0, 3), 1);
    }

    #[test]
    fn the_default_pool_is_four_per_cpu_between_8_and_32() {
        assert_eq!(default_pool_size(0), 8);
        assert_eq!(default_pool_size(1), 8);
        assert_eq!(default_pool_size(2), 8);
        assert_eq!(default_pool_size(3), 12);
        assert_eq!(default_pool_size(8), 32);
        assert_eq!(default_pool_size(16), 32);
        assert_eq!(default_pool_size(64), 32);
        assert_eq!(default_pool_size(usize::MAX), 32);
    }

    #[test]
    fn backend_follows_the_url_scheme() {
        assert_eq!(
            Backend::from_url("sqlite://data/portal.db").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("sqlite::memory:").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert!(matches!(
            Backend::from_url("mysql://root@localhost/db"),
            Err(StoreError::UnsupportedUrl(_))
        ));
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_url("postgres://portal:s3cret@db:5432/portal"),
            "postgres://portal:***@db:5432/portal"
        );
        assert_eq!(
            redact_url("postgres://portal@db/portal"),
            "postgres://portal@db/portal"
        );
        assert_eq!(
            redact_url("sqlite://data/portal.db"),
            "sqlite://data/portal.db"
        );
    }

    #[test]
    fn unsupported_url_error_does_not_leak_the_password() {
        let err = Backend::from_url("mysql://root:hunter2@localhost/db").unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
    }
}
