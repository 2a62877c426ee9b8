//! One-time invitation links. Only a SHA-256 of the token is stored, so a database copy gives no
//! working links.

use chrono::{DateTime, Utc};

use super::{Db, StoreError, Tx};
use crate::{on_db, on_tx};

pub async fn create(
    tx: &mut Tx,
    user_id: i64,
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<i64, StoreError> {
    const SQL: &str = "INSERT INTO invitations (user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4) RETURNING id";
    Ok(on_tx!(tx, conn => sqlx::query_scalar(SQL)
        .bind(user_id)
        .bind(token_hash)
        .bind(now)
        .bind(expires_at)
        .fetch_one(&mut **conn)
        .await)?)
}

/// The invitation and its user, if the token is unused and unexpired.
pub async fn find_valid(
    db: &Db,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(i64, i64)>, StoreError> {
    const SQL: &str = "SELECT id, user_id FROM invitations WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2";
    Ok(
        on_db!(db, pool => sqlx::query_as(SQL).bind(token_hash).bind(now).fetch_optional(pool).await)?,
    )
}

/// Uses the invitation up. False when it was already used (a double submit, or two tabs).
pub async fn mark_used(tx: &mut Tx, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE invitations SET used_at = $1 WHERE id = $2 AND used_at IS NULL";
    let n = on_tx!(tx, conn => sqlx::query(SQL).bind(now).bind(id).execute(&mut **conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
