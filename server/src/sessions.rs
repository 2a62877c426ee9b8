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
    /// Reads on the read pool; writes on the single writer connection, so session writes queue
    /// with the portal's other writes instead of meeting them as lock errors.
    Sqlite {
        read: SqliteStore,
        write: SqliteStore,
    },
    Postgres(PostgresStore),
}

impl PortalStore {
    /// The store on the same database as everything else, its table created if missing.
    pub async fn new(db: &Db) -> Result<Self, sqlx::Error> {
        Ok(match db {
            Db::Sqlite(sqlite) => {
                let write = SqliteStore::new(sqlite.writer.clone());
                write.migrate().await?;
                Self::Sqlite {
                    read: SqliteStore::new(sqlite.pool.clone()),
                    write,
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
            Self::Sqlite { write, .. } => write.create(record).await,
            Self::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite { write, .. } => write.save(record).await,
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
            Self::Sqlite { write, .. } => write.delete(id).await,
            Self::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for PortalStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Self::Sqlite { write, .. } => write.delete_expired().await,
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
