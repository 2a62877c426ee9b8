//! Sessions: each row is a tower-sessions record (encoded by the session store in the server
//! crate), when it expires in Unix milliseconds, and which user it signs in, if any. Reading a
//! session reads that user with it (their organisation and roles too) in the same query, since
//! every signed-in request needs both.

use std::sync::LazyLock;

use super::{
    users::{lookup_from_rows, LookupRow, SessionLookup, LOOKUP_COLUMNS},
    Db, StoreError, Tx,
};
use crate::{on_db, on_tx};

/// A session as stored, with its user as they are now (`None` for a session without a user, or
/// with a user the row does not name).
#[derive(Debug)]
pub struct StoredSession {
    pub data: Vec<u8>,
    pub expires_at_ms: i64,
    pub user: Option<SessionLookup>,
}

#[derive(sqlx::FromRow)]
struct Row {
    data: Vec<u8>,
    expires_at_ms: i64,
    #[sqlx(flatten)]
    who: LookupRow,
}

/// The session with this id, unless it has expired by `now` (Unix milliseconds).
pub async fn load(db: &Db, id: &str, now: i64) -> Result<Option<StoredSession>, StoreError> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT s.data, s.expires_at_ms, {LOOKUP_COLUMNS} FROM sessions s \
             LEFT JOIN users u ON u.id = s.user_id \
             LEFT JOIN organisations o ON o.id = u.organisation_id \
             LEFT JOIN user_roles r ON r.user_id = u.id \
             WHERE s.id = $1 AND s.expires_at_ms > $2 ORDER BY r.role"
        )
    });
    let rows: Vec<Row> =
        on_db!(db, pool => sqlx::query_as(SQL.as_str()).bind(id).bind(now).fetch_all(pool).await)?;
    // A row per role of the user: the session's own columns are the same in each.
    let mut rows = rows.into_iter();
    let Some(Row {
        data,
        expires_at_ms,
        who,
    }) = rows.next()
    else {
        return Ok(None);
    };
    let who = std::iter::once(who).chain(rows.map(|r| r.who)).collect();
    Ok(Some(StoredSession {
        data,
        expires_at_ms,
        user: lookup_from_rows(who)?,
    }))
}

/// A session to store.
#[derive(Debug)]
pub struct SessionRow {
    pub id: String,
    pub data: Vec<u8>,
    pub expires_at_ms: i64,
    pub user_id: Option<i64>,
}

const INSERT: &str =
    "INSERT INTO sessions (id, data, expires_at_ms, user_id) VALUES ($1, $2, $3, $4) ";

/// A new session; `false` (and nothing stored) if the id is already taken.
pub async fn insert(tx: &mut Tx, row: &SessionRow) -> Result<bool, StoreError> {
    static SQL: LazyLock<String> =
        LazyLock::new(|| format!("{INSERT} ON CONFLICT (id) DO NOTHING"));
    let done = on_tx!(tx, conn => sqlx::query(SQL.as_str()).bind(&row.id).bind(&row.data)
        .bind(row.expires_at_ms).bind(row.user_id).execute(&mut **conn).await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Stores the session, new or not.
pub async fn save(tx: &mut Tx, row: &SessionRow) -> Result<(), StoreError> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "{INSERT} ON CONFLICT (id) DO UPDATE SET data = excluded.data, \
             expires_at_ms = excluded.expires_at_ms, user_id = excluded.user_id"
        )
    });
    on_tx!(tx, conn => sqlx::query(SQL.as_str()).bind(&row.id).bind(&row.data)
        .bind(row.expires_at_ms).bind(row.user_id).execute(&mut **conn).await.map(|_| ()))?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, id: &str) -> Result<(), StoreError> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id)
        .execute(&mut **conn).await.map(|_| ()))?;
    Ok(())
}

/// Deletes the sessions expired by `now` (Unix milliseconds); how many.
pub async fn delete_expired(tx: &mut Tx, now: i64) -> Result<u64, StoreError> {
    let done = on_tx!(tx, conn => sqlx::query("DELETE FROM sessions WHERE expires_at_ms <= $1")
        .bind(now).execute(&mut **conn).await.map(|r| r.rows_affected()))?;
    Ok(done)
}

/// How many sessions are stored, expired or not.
pub async fn count(db: &Db) -> Result<i64, StoreError> {
    Ok(
        on_db!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(pool).await)?,
    )
}
