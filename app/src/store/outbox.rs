//! Email outbox: messages written in the same transaction as the change that causes them, and
//! delivered afterwards by a background worker. The idempotency key makes each message once-only.

use chrono::{DateTime, Utc};

use super::{Db, StoreError, Tx};
use crate::{on_db, on_tx};

#[derive(Debug, Clone)]
pub struct NewEmail {
    /// Unique per message, e.g. `invitation:42`. A second enqueue with the same key is ignored.
    pub idempotency_key: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// A calendar file to attach: its name and iCalendar text.
    pub calendar: Option<crate::calendar::CalendarFile>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub idempotency_key: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub calendar_name: Option<String>,
    pub calendar_ics: Option<String>,
}

const COLUMNS: &str =
    "id, created_at, idempotency_key, recipient, subject, body_text, body_html, status, \
     attempts, next_attempt_at, sent_at, last_error, calendar_name, calendar_ics";

pub async fn enqueue(tx: &mut Tx, email: &NewEmail, now: DateTime<Utc>) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO outbox (created_at, idempotency_key, recipient, subject, body_text, body_html, \
         next_attempt_at, calendar_name, calendar_ics) VALUES ($1, $2, $3, $4, $5, $6, $1, $7, $8) \
         ON CONFLICT (idempotency_key) DO NOTHING";
    on_tx!(tx, conn => sqlx::query(SQL)
        .bind(now)
        .bind(&email.idempotency_key)
        .bind(&email.recipient)
        .bind(&email.subject)
        .bind(&email.body_text)
        .bind(&email.body_html)
        .bind(email.calendar.as_ref().map(|c| c.name.as_str()))
        .bind(email.calendar.as_ref().map(|c| c.ics.as_str()))
        .execute(&mut **conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Pending messages whose next attempt is due, oldest first.
pub async fn due(db: &Db, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
         AND (claimed_until IS NULL OR claimed_until <= $1) ORDER BY id LIMIT $2"
    );
    Ok(on_db!(db, pool => sqlx::query_as(&sql).bind(now).bind(limit).fetch_all(pool).await)?)
}

/// Claims a due message for one send until `until`: false when it is no longer as the caller
/// read it (sent, failed, or tried again since: `attempts` changed), not due yet, or another
/// worker holds an unexpired claim on it. Only the claimer sends it.
pub async fn claim(
    db: &Db,
    id: i64,
    attempts: i32,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE outbox SET claimed_until = $1 WHERE id = $2 AND status = 'pending' \
         AND attempts = $3 AND next_attempt_at <= $4 AND (claimed_until IS NULL OR claimed_until <= $4)";
    let mut tx = db.begin_write().await?;
    let n = on_tx!(&mut tx, conn => sqlx::query(SQL).bind(until).bind(id).bind(attempts).bind(now).execute(&mut **conn).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(n == 1)
}

/// Marks a message sent. Only a pending message changes, so two workers cannot both count it.
pub async fn mark_sent(db: &Db, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, last_error = NULL, claimed_until = NULL \
         WHERE id = $2 AND status = 'pending'";
    let mut tx = db.begin_write().await?;
    let n = on_tx!(&mut tx, conn => sqlx::query(SQL).bind(now).bind(id).execute(&mut **conn).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(n == 1)
}

/// Records a failed attempt: retried at `retry_at`, or given up on when that is `None`.
pub async fn mark_attempt_failed(
    db: &Db,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    const RETRY: &str =
        "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, claimed_until = NULL \
         WHERE id = $3 AND status = 'pending'";
    const GIVE_UP: &str =
        "UPDATE outbox SET attempts = attempts + 1, last_error = $1, status = 'failed', claimed_until = NULL \
         WHERE id = $2 AND status = 'pending'";
    let mut tx = db.begin_write().await?;
    match retry_at {
        Some(at) => {
            on_tx!(&mut tx, conn => sqlx::query(RETRY).bind(error).bind(at).bind(id).execute(&mut **conn).await.map(|_| ()))?
        }
        None => {
            on_tx!(&mut tx, conn => sqlx::query(GIVE_UP).bind(error).bind(id).execute(&mut **conn).await.map(|_| ()))?
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The newest messages, for the staff page in dev and demo mode.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM outbox ORDER BY id DESC LIMIT $1");
    Ok(on_db!(db, pool => sqlx::query_as(&sql).bind(limit).fetch_all(pool).await)?)
}

/// Emails waiting to be sent, and when the oldest of them was queued (for the operators'
/// metrics).
pub async fn backlog(db: &Db) -> Result<(i64, Option<DateTime<Utc>>), StoreError> {
    const COUNT: &str = "SELECT COUNT(*) FROM outbox WHERE status = 'pending'";
    const OLDEST: &str =
        "SELECT created_at FROM outbox WHERE status = 'pending' ORDER BY id LIMIT 1";
    let count: i64 = on_db!(db, pool => sqlx::query_scalar(COUNT).fetch_one(pool).await)?;
    let oldest: Option<DateTime<Utc>> =
        on_db!(db, pool => sqlx::query_scalar(OLDEST).fetch_optional(pool).await)?;
    Ok((count, oldest))
}
