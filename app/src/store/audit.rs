//! The audit trail: one row per security-relevant event, written in the same transaction as the
//! change it records.

use chrono::{DateTime, Utc};

use super::{Db, StoreError, Tx};
use crate::{on_db, on_tx};

pub use crate::domain::audit::AuditAction;

/// One event to record.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub action: AuditAction,
    pub actor_user_id: Option<i64>,
    pub target_user_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    pub detail: String,
}

pub async fn record(tx: &mut Tx, at: DateTime<Utc>, e: &NewAuditEvent) -> Result<(), StoreError> {
    const SQL: &str =
        "INSERT INTO audit_events (occurred_at, action, actor_user_id, target_user_id, \
         organisation_id, client_ip, request_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_tx!(tx, conn => sqlx::query(SQL)
        .bind(at)
        .bind(e.action.code())
        .bind(e.actor_user_id)
        .bind(e.target_user_id)
        .bind(e.organisation_id)
        .bind(e.client_ip.as_deref())
        .bind(e.request_id.as_deref())
        .bind(&e.detail)
        .execute(&mut **conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Records an event that goes with no other change (a refused sign-in, a sign-out) in a write
/// transaction of its own.
pub async fn record_alone(db: &Db, at: DateTime<Utc>, e: &NewAuditEvent) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    record(&mut tx, at, e).await?;
    tx.commit().await
}

/// An event as listed for staff.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub action: String,
    pub actor_email: Option<String>,
    pub target_email: Option<String>,
    pub organisation_name: Option<String>,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    pub detail: String,
}

/// Filters for the audit list. Every field optional; results newest first, `before_id` pages.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<AuditAction>,
    /// Matches the actor's or the target's email address, ignoring case.
    pub email: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub before_id: Option<i64>,
}

pub async fn list(db: &Db, f: &AuditFilter, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
    // One text for both databases: each filter is "($n IS NULL OR condition)".
    const SQL: &str =
        "SELECT e.id, e.occurred_at, e.action, a.email AS actor_email, t.email AS target_email, \
         o.name AS organisation_name, e.client_ip, e.request_id, e.detail \
         FROM audit_events e \
         LEFT JOIN users a ON a.id = e.actor_user_id \
         LEFT JOIN users t ON t.id = e.target_user_id \
         LEFT JOIN organisations o ON o.id = e.organisation_id \
         WHERE ($1 IS NULL OR e.action = $1) \
           AND ($2 IS NULL OR lower(a.email) = $2 OR lower(t.email) = $2) \
           AND ($3 IS NULL OR e.occurred_at >= $3) \
           AND ($4 IS NULL OR e.occurred_at < $4) \
           AND ($5 IS NULL OR e.id < $5) \
         ORDER BY e.id DESC LIMIT $6";
    let action = f.action.map(|a| a.code());
    let email = f.email.as_ref().map(|e| e.trim().to_lowercase());
    Ok(on_db!(db, pool => sqlx::query_as(SQL)
        .bind(action)
        .bind(email)
        .bind(f.from)
        .bind(f.to)
        .bind(f.before_id)
        .bind(limit)
        .fetch_all(pool)
        .await)?)
}

/// How many events of one kind there are (tests and monitoring).
pub async fn count(db: &Db, action: AuditAction) -> Result<i64, StoreError> {
    const SQL: &str = "SELECT COUNT(*) FROM audit_events WHERE action = $1";
    Ok(on_db!(db, pool => sqlx::query_scalar(SQL).bind(action.code()).fetch_one(pool).await)?)
}
