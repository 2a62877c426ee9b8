//! OAT requests, their timeline, and the answers kept while a request is being filled in.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Db, StoreError, Tx};
use crate::{domain::status::RequestStatus, on_db, on_tx};

/// Answers in progress for one scheme: kept between pages and across sign-out until sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Draft {
    pub scheme_id: i64,
    pub crypto_deployed: Option<String>,
    pub connection_ready: Option<String>,
    pub ready_for_live: Option<String>,
    pub date_day: String,
    pub date_month: String,
    pub date_year: String,
    pub connection_date: Option<NaiveDate>,
    /// Sent with "Send request": the same key twice makes one request.
    pub submission_key: String,
}

const DRAFT_COLUMNS: &str =
    "scheme_id, crypto_deployed, connection_ready, ready_for_live, date_day, date_month, \
     date_year, connection_date, submission_key";

pub async fn draft(db: &Db, scheme_id: i64) -> Result<Option<Draft>, StoreError> {
    let sql = format!("SELECT {DRAFT_COLUMNS} FROM oat_drafts WHERE scheme_id = $1");
    Ok(on_db!(db, pool => sqlx::query_as(&sql).bind(scheme_id).fetch_optional(pool).await)?)
}

pub async fn save_draft(
    tx: &mut Tx,
    d: &Draft,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO oat_drafts (scheme_id, crypto_deployed, connection_ready, ready_for_live, \
         date_day, date_month, date_year, connection_date, submission_key, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (scheme_id) DO UPDATE SET crypto_deployed = excluded.crypto_deployed, \
         connection_ready = excluded.connection_ready, ready_for_live = excluded.ready_for_live, \
         date_day = excluded.date_day, date_month = excluded.date_month, date_year = excluded.date_year, \
         connection_date = excluded.connection_date, updated_by = excluded.updated_by, updated_at = excluded.updated_at";
    on_tx!(tx, conn => sqlx::query(SQL)
        .bind(d.scheme_id)
        .bind(d.crypto_deployed.as_deref())
        .bind(d.connection_ready.as_deref())
        .bind(d.ready_for_live.as_deref())
        .bind(&d.date_day)
        .bind(&d.date_month)
        .bind(&d.date_year)
        .bind(d.connection_date)
        .bind(&d.submission_key)
        .bind(user_id)
        .bind(now)
        .execute(&mut **conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

pub async fn delete_draft(tx: &mut Tx, scheme_id: i64) -> Result<(), StoreError> {
    const SQL: &str = "DELETE FROM oat_drafts WHERE scheme_id = $1";
    on_tx!(tx, conn => sqlx::query(SQL).bind(scheme_id).execute(&mut **conn).await.map(|_| ()))?;
    Ok(())
}

/// A request as its pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct OatRequest {
    pub id: i64,
    pub reference: Option<String>,
    pub organisation_id: i64,
    pub scheme_id: i64,
    pub scheme_name: String,
    pub submitted_by_name: String,
    pub connection_date: NaiveDate,
    #[sqlx(try_from = "String")]
    pub status: RequestStatus,
    pub go_live_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

const REQUEST_SQL: &str = "SELECT r.id, r.reference, r.organisation_id, r.scheme_id, s.name AS scheme_name, \
     u.name AS submitted_by_name, r.connection_date, r.status, r.go_live_date, r.created_at \
     FROM oat_requests r JOIN schemes s ON s.id = r.scheme_id JOIN users u ON u.id = r.submitted_by";

/// A request, only if it belongs to the organisation.
pub async fn get_in_organisation(
    db: &Db,
    organisation_id: i64,
    id: i64,
) -> Result<Option<OatRequest>, StoreError> {
    let sql = format!("{REQUEST_SQL} WHERE r.id = $1 AND r.organisation_id = $2");
    Ok(
        on_db!(db, pool => sqlx::query_as(&sql).bind(id).bind(organisation_id).fetch_optional(pool).await)?,
    )
}

/// The newest request for a scheme.
pub async fn latest_for_scheme(db: &Db, scheme_id: i64) -> Result<Option<OatRequest>, StoreError> {
    let sql = format!("{REQUEST_SQL} WHERE r.scheme_id = $1 ORDER BY r.id DESC LIMIT 1");
    Ok(on_db!(db, pool => sqlx::query_as(&sql).bind(scheme_id).fetch_optional(pool).await)?)
}

/// The scheme's open request (requested or test scheduled), if any.
pub async fn open_for_scheme(db: &Db, scheme_id: i64) -> Result<Option<i64>, StoreError> {
    const SQL: &str = "SELECT id FROM oat_requests WHERE scheme_id = $1 AND status IN ('requested', 'test_scheduled')";
    Ok(on_db!(db, pool => sqlx::query_scalar(SQL).bind(scheme_id).fetch_optional(pool).await)?)
}

pub async fn find_by_key(
    db: &Db,
    organisation_id: i64,
    key: &str,
) -> Result<Option<i64>, StoreError> {
    const SQL: &str =
        "SELECT id FROM oat_requests WHERE organisation_id = $1 AND idempotency_key = $2";
    Ok(
        on_db!(db, pool => sqlx::query_scalar(SQL).bind(organisation_id).bind(key).fetch_optional(pool).await)?,
    )
}

/// "OAT-2026-000042".
pub fn reference_for(id: i64, year: i32) -> String {
    format!("OAT-{year}-{id:06}")
}

/// Records a sent request (all three answers yes) and gives it its reference. A second request
/// with the same key, or while the scheme has an open one, is [`StoreError::Duplicate`].
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    tx: &mut Tx,
    organisation_id: i64,
    scheme_id: i64,
    user_id: i64,
    connection_date: NaiveDate,
    key: &str,
    retest_of: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(i64, String), StoreError> {
    const SQL: &str = "INSERT INTO oat_requests (organisation_id, scheme_id, submitted_by, crypto_deployed, \
         connection_ready, ready_for_live, connection_date, idempotency_key, created_at, updated_at, retest_of) \
         VALUES ($1, $2, $3, TRUE, TRUE, TRUE, $4, $5, $6, $6, $7) RETURNING id";
    const REF: &str = "UPDATE oat_requests SET reference = $1 WHERE id = $2";
    let id: i64 = on_tx!(tx, conn => sqlx::query_scalar(SQL)
        .bind(organisation_id)
        .bind(scheme_id)
        .bind(user_id)
        .bind(connection_date)
        .bind(key)
        .bind(now)
        .bind(retest_of)
        .fetch_one(&mut **conn)
        .await)
    .map_err(|e| StoreError::on_unique(e, "request"))?;
    let reference = reference_for(id, now.year());
    on_tx!(tx, conn => sqlx::query(REF).bind(&reference).bind(id).execute(&mut **conn).await.map(|_| ()))?;
    Ok((id, reference))
}

/// One entry in a request's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Event {
    pub occurred_at: DateTime<Utc>,
    pub event: String,
    pub detail: String,
    pub actor_name: Option<String>,
}

pub async fn add_event(
    tx: &mut Tx,
    request_id: i64,
    now: DateTime<Utc>,
    actor: Option<i64>,
    event: &str,
    detail: &str,
) -> Result<(), StoreError> {
    const SQL: &str =
        "INSERT INTO oat_request_events (request_id, occurred_at, actor_user_id, event, detail) \
         VALUES ($1, $2, $3, $4, $5)";
    on_tx!(tx, conn => sqlx::query(SQL)
        .bind(request_id)
        .bind(now)
        .bind(actor)
        .bind(event)
        .bind(detail)
        .execute(&mut **conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// A request's timeline, newest first (as caseworking tools show it).
pub async fn events(db: &Db, request_id: i64) -> Result<Vec<Event>, StoreError> {
    const SQL: &str =
        "SELECT e.occurred_at, e.event, e.detail, u.name AS actor_name FROM oat_request_events e \
         LEFT JOIN users u ON u.id = e.actor_user_id WHERE e.request_id = $1 ORDER BY e.id DESC";
    Ok(on_db!(db, pool => sqlx::query_as(SQL).bind(request_id).fetch_all(pool).await)?)
}

/// How many requests an organisation has (tests check "exactly one").
pub async fn count_for_organisation(db: &Db, organisation_id: i64) -> Result<i64, StoreError> {
    const SQL: &str = "SELECT COUNT(*) FROM oat_requests WHERE organisation_id = $1";
    Ok(on_db!(db, pool => sqlx::query_scalar(SQL).bind(organisation_id).fetch_one(pool).await)?)
}
