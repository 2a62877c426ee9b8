//! Online backups. SQLite: `VACUUM INTO` a new file while the portal runs (it reads one
//! consistent snapshot, so everything committed before it started is in the copy and nothing
//! half-written is), then `PRAGMA integrity_check` on the copy. Postgres is backed up with
//! `pg_dump` (docs/operations.md).

use std::path::Path;

use sqlx::{sqlite::SqliteConnectOptions, Connection, SqliteConnection};

use super::{Db, StoreError};

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub bytes: u64,
}

/// Copies the live database to `path`, which must not exist yet, and checks the copy.
pub async fn backup(db: &Db, path: &Path) -> Result<BackupReport, StoreError> {
    let Db::Sqlite(sqlite) = db else {
        return Err(StoreError::Backup(
            "a Postgres database is backed up with pg_dump: see docs/operations.md".into(),
        ));
    };
    if path.exists() {
        return Err(StoreError::Backup(format!(
            "{} already exists: choose a new file",
            path.display()
        )));
    }
    let target = path
        .to_str()
        .ok_or_else(|| StoreError::Backup("the backup path must be valid UTF-8".into()))?;
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&sqlite.pool)
        .await?;
    check(path).await?;
    let bytes = std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| StoreError::Backup(format!("{}: {e}", path.display())))?;
    Ok(BackupReport { bytes })
}

/// `PRAGMA integrity_check` on a database file, opened read-only: Ok when SQLite says "ok".
pub async fn check(path: &Path) -> Result<(), StoreError> {
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    let mut conn = SqliteConnection::connect_with(&options).await?;
    let result: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await?;
    conn.close().await?;
    if result == ["ok"] {
        Ok(())
    } else {
        Err(StoreError::Backup(format!(
            "the copy at {} failed its integrity check: {}",
            path.display(),
            result.join("; ")
        )))
    }
}
