//! Queries: a short message from an organisation to programme staff, about a request or about
//! the organisation before it has one, and staff's answer. An answer closes the query.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Db, StoreError, Tx};
use crate::{on_db, on_tx};

/// A query with its answer, if it has one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Query {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub request_id: Option<i64>,
    pub request_reference: Option<String>,
    pub scheme_name: Option<String>,
    pub asked_by_name: String,
    pub question: String,
    pub asked_at: DateTime<Utc>,
    pub answer: String,
    pub answered_by_name: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
}

const QUERY_SQL: &str =
    "SELECT q.id, q.organisation_id, o.name AS organisation_name, q.request_id, \
     r.reference AS request_reference, s.name AS scheme_name, a.name AS asked_by_name, q.question, q.asked_at, q.answer, \
     b.name AS answered_by_name, q.answered_at \
     FROM queries q JOIN organisations o ON o.id = q.organisation_id \
     JOIN users a ON a.id = q.asked_by LEFT JOIN users b ON b.id = q.answered_by \
     LEFT JOIN oat_requests r ON r.id = q.request_id LEFT JOIN schemes s ON s.id = r.scheme_id";

/// Records a query; its id.
pub async fn insert(
    tx: &mut Tx,
    organisation_id: i64,
    request_id: Option<i64>,
    asked_by: i64,
    question: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    const SQL: &str =
        "INSERT INTO queries (organisation_id, request_id, asked_by, question, asked_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id";
    Ok(
        on_tx!(tx, conn => sqlx::query_scalar(SQL).bind(organisation_id).bind(request_id)
        .bind(asked_by).bind(question).bind(now).fetch_one(&mut **conn).await)?,
    )
}

/// Answers a query that is still open; false when someone answered it first.
pub async fn answer(
    tx: &mut Tx,
    id: i64,
    by: i64,
    answer: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE queries SET answer = $1, answered_by = $2, answered_at = $3 \
         WHERE id = $4 AND answered_at IS NULL";
    let n = on_tx!(tx, conn => sqlx::query(SQL).bind(answer).bind(by).bind(now).bind(id)
        .execute(&mut **conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Query>, StoreError> {
    let sql = format!("{QUERY_SQL} WHERE q.id = $1");
    Ok(on_db!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?)
}

/// An organisation's queries, newest first.
pub async fn for_organisation(db: &Db, organisation_id: i64) -> Result<Vec<Query>, StoreError> {
    let sql = format!("{QUERY_SQL} WHERE q.organisation_id = $1 ORDER BY q.id DESC");
    Ok(on_db!(db, pool => sqlx::query_as(&sql).bind(organisation_id).fetch_all(pool).await)?)
}

/// The queries about a request, oldest first.
pub async fn for_request(db: &Db, request_id: i64) -> Result<Vec<Query>, StoreError> {
    let sql = format!("{QUERY_SQL} WHERE q.request_id = $1 ORDER BY q.id");
    Ok(on_db!(db, pool => sqlx::query_as(&sql).bind(request_id).fetch_all(pool).await)?)
}

/// Queries waiting for an answer, oldest first, then the latest answered (up to `limit` each).
pub async fn for_staff(db: &Db, limit: i64) -> Result<(Vec<Query>, Vec<Query>), StoreError> {
    let open = format!("{QUERY_SQL} WHERE q.answered_at IS NULL ORDER BY q.id LIMIT $1");
    let answered =
        format!("{QUERY_SQL} WHERE q.answered_at IS NOT NULL ORDER BY q.answered_at DESC, q.id DESC LIMIT $1");
    let open: Vec<Query> =
        on_db!(db, pool => sqlx::query_as(&open).bind(limit).fetch_all(pool).await)?;
    let answered: Vec<Query> =
        on_db!(db, pool => sqlx::query_as(&answered).bind(limit).fetch_all(pool).await)?;
    Ok((open, answered))
}

/// How many queries wait for an answer.
pub async fn open_count(db: &Db) -> Result<i64, StoreError> {
    const SQL: &str = "SELECT COUNT(*) FROM queries WHERE answered_at IS NULL";
    Ok(on_db!(db, pool => sqlx::query_scalar(SQL).fetch_one(pool).await)?)
}
