//! Sessions in the portal's own database, through tower-sessions' sqlx store: one store type
//! that is SQLite or Postgres like the pool it sits on.

use app::store::Db;
use async_trait::async_trait;
use tower_sessions::{
    session::{Id, Record},
    session_store::{self, ExpiredDeletion},
    SessionStore,
};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

#[derive(Debug, Clone)]
pub enum PortalStore {
    /// Reads through the sqlx store on the read pool; writes as the portal's own write
    /// transactions, so they queue (and commit in groups) with every other write.
    Sqlite {
        read: SqliteStore,
        db: Db,
    },
    Postgres(PostgresStore),
}

impl PortalStore {
    /// The store on the same database as everything else, its table created if missing.
    pub async fn new(db: &Db) -> Result<Self, sqlx::Error> {
        Ok(match db {
            Db::Sqlite(sqlite) => {
                SqliteStore::new(sqlite.writer.pool().clone())
                    .migrate()
                    .await?;
                Self::Sqlite {
                    read: SqliteStore::new(sqlite.pool.clone()),
                    db: db.clone(),
                }
            }
            Db::Postgres(pool) => {
                let store = PostgresStore::new(pool.clone());
                store.migrate().await?;
                Self::Postgres(store)
            }
        })
    }
}

#[async_trait]
impl SessionStore for PortalStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite { db, .. } => sqlite_writes::create(db, record).await,
            Self::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite { db, .. } => sqlite_writes::save(db, record).await,
            Self::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite { read, .. } => read.load(id).await,
            Self::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite { db, .. } => sqlite_writes::delete(db, id).await,
            Self::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for PortalStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Self::Sqlite { db, .. } => sqlite_writes::delete_expired(db).await,
            Self::Postgres(s) => s.delete_expired().await,
        }
    }
}

/// How many stored sessions there are (tests check deletion).
pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    match db {
        Db::Sqlite(s) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM tower_sessions")
                .fetch_one(&s.pool)
                .await
        }
        Db::Postgres(p) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM tower_sessions.session")
                .fetch_one(p)
                .await
        }
    }
}

/// SQLite session writes, as write transactions of the portal's own writer (so they join its
/// group commits and queue fairly with every other write). The statements are the sqlx store's,
/// on its table; reads stay with the store.
mod sqlite_writes {
    use app::store::{Db, Tx};
    use tower_sessions::{
        session::{Id, Record},
        session_store,
    };

    const TABLE_CREATE: &str =
        "INSERT OR ABORT INTO tower_sessions (id, data, expiry_date) VALUES ($1, $2, $3)";
    const TABLE_SAVE: &str =
        "INSERT INTO tower_sessions (id, data, expiry_date) VALUES ($1, $2, $3) \
         ON CONFLICT(id) DO UPDATE SET data = excluded.data, expiry_date = excluded.expiry_date";
    const TABLE_DELETE: &str = "DELETE FROM tower_sessions WHERE id = $1";
    const TABLE_DELETE_EXPIRED: &str = "DELETE FROM tower_sessions WHERE expiry_date < $1";

    fn backend(e: impl std::fmt::Display) -> session_store::Error {
        session_store::Error::Backend(e.to_string())
    }

    fn encode(record: &Record) -> session_store::Result<Vec<u8>> {
        rmp_serde::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))
    }

    async fn begin(db: &Db) -> session_store::Result<app::store::WriteTx> {
        match db.begin_write().await.map_err(backend)? {
            Tx::Sqlite(tx) => Ok(tx),
            Tx::Postgres(_) => Err(backend("not a SQLite database")),
        }
    }

    /// A new session; a clash of ids (vanishingly unlikely) draws a new one.
    pub async fn create(db: &Db, record: &mut Record) -> session_store::Result<()> {
        let mut tx = begin(db).await?;
        loop {
            let inserted = sqlx::query(TABLE_CREATE)
                .bind(record.id.to_string())
                .bind(encode(record)?)
                .bind(record.expiry_date)
                .execute(&mut *tx)
                .await;
            match inserted {
                Ok(_) => break,
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    record.id = Id::default();
                }
                Err(e) => return Err(backend(e)),
            }
        }
        tx.commit().await.map_err(backend)
    }

    pub async fn save(db: &Db, record: &Record) -> session_store::Result<()> {
        let mut tx = begin(db).await?;
        sqlx::query(TABLE_SAVE)
            .bind(record.id.to_string())
            .bind(encode(record)?)
            .bind(record.expiry_date)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    pub async fn delete(db: &Db, id: &Id) -> session_store::Result<()> {
        let mut tx = begin(db).await?;
        sqlx::query(TABLE_DELETE)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    pub async fn delete_expired(db: &Db) -> session_store::Result<()> {
        let mut tx = begin(db).await?;
        sqlx::query(TABLE_DELETE_EXPIRED)
            .bind(time::OffsetDateTime::now_utc())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }
}
