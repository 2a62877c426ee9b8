//! Pension providers and schemes, and each organisation's technical connection date.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Db, StoreError, Tx};
use crate::{domain::schemes::NewScheme, on_db, on_tx};

/// A provider or scheme as the overview shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Scheme {
    pub id: i64,
    pub organisation_id: i64,
    pub name: String,
    pub regulator: String,
    pub regulator_number: String,
    pub is_vouching: bool,
    pub status: String,
    pub go_live_on: Option<NaiveDate>,
    /// "approved", or for a further scheme the organisation added: "pending" or "rejected".
    pub approval: String,
    /// The connection date asked for when the organisation added the scheme.
    pub requested_connection_on: Option<NaiveDate>,
    pub rejection_reason: String,
}

const COLUMNS: &str =
    "id, organisation_id, name, regulator, regulator_number, is_vouching, status, go_live_on, \
     approval, requested_connection_on, rejection_reason";

/// A scheme with the id and go-live date of its newest OAT request, if it has one.
#[derive(Debug, Clone, PartialEq, Deserialize, sqlx::FromRow)]
pub struct SchemeWithLatest {
    #[sqlx(flatten)]
    pub scheme: Scheme,
    pub latest_request_id: Option<i64>,
    pub latest_go_live_date: Option<NaiveDate>,
}

/// The newest request of each of the organisation's schemes, grouped once for the organisation
/// (a correlated subquery per scheme in the join made Postgres scan every request: 6.7 ms
/// against 0.5 ms with 10 000 requests).
const LATEST_JOIN: &str = "FROM schemes s \
     LEFT JOIN (SELECT scheme_id, MAX(id) AS id FROM oat_requests \
                WHERE organisation_id = $1 GROUP BY scheme_id) latest ON latest.scheme_id = s.id \
     LEFT JOIN oat_requests r ON r.id = latest.id \
     WHERE s.organisation_id = $1";

/// The overview's order: the vouching scheme first, then by name.
const OVERVIEW_ORDER: &str = "s.is_vouching DESC, lower(s.name), s.id";

/// An organisation's schemes, the vouching scheme first, each with its newest request: one
/// query for the overview, the busiest signed-in page.
///
/// SQLite returns the whole list as one JSON array in one row. Fifty rows read one by one cost
/// about 11 µs each there (sqlx copies each value and hands each row from the connection's
/// thread to the request's task); one array costs a fraction of that.
pub async fn list_with_latest_request(
    db: &Db,
    organisation_id: i64,
) -> Result<Vec<SchemeWithLatest>, StoreError> {
    static SQLITE: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT json_group_array(json_object('scheme', json_object(\
                 'id', s.id, 'organisation_id', s.organisation_id, 'name', s.name, \
                 'regulator', s.regulator, 'regulator_number', s.regulator_number, \
                 'is_vouching', CASE WHEN s.is_vouching THEN json('true') ELSE json('false') END, \
                 'status', s.status, 'go_live_on', s.go_live_on, 'approval', s.approval, \
                 'requested_connection_on', s.requested_connection_on, \
                 'rejection_reason', s.rejection_reason), \
                 'latest_request_id', r.id, 'latest_go_live_date', r.go_live_date) \
                 ORDER BY {OVERVIEW_ORDER}) {LATEST_JOIN}"
        )
    });
    static POSTGRES: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT s.id, s.organisation_id, s.name, s.regulator, s.regulator_number, \
             s.is_vouching, s.status, s.go_live_on, s.approval, s.requested_connection_on, \
             s.rejection_reason, r.id AS latest_request_id, r.go_live_date AS latest_go_live_date \
             {LATEST_JOIN} ORDER BY {OVERVIEW_ORDER}"
        )
    });
    Ok(match db {
        Db::Sqlite(super::SqliteDb { pool, .. }) => {
            let json: String = sqlx::query_scalar(SQLITE.as_str())
                .bind(organisation_id)
                .fetch_one(pool)
                .await?;
            serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                what: "scheme list",
                value: e.to_string(),
            })?
        }
        // sqlx reads Postgres rows on the request's own task, so there is nothing to save, and
        // building the JSON would only give Postgres more work.
        Db::Postgres(pool) => {
            sqlx::query_as(POSTGRES.as_str())
                .bind(organisation_id)
                .fetch_all(pool)
                .await?
        }
    })
}

/// An organisation's schemes, the vouching scheme first.
pub async fn list_for_organisation(
    db: &Db,
    organisation_id: i64,
) -> Result<Vec<Scheme>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM schemes WHERE organisation_id = $1 ORDER BY is_vouching DESC, lower(name), id"
    );
    Ok(on_db!(db, pool => sqlx::query_as(&sql).bind(organisation_id).fetch_all(pool).await)?)
}

/// One scheme, only if it belongs to the organisation (anything else is "not found").
pub async fn get_in_organisation(
    db: &Db,
    organisation_id: i64,
    id: i64,
) -> Result<Option<Scheme>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM schemes WHERE id = $1 AND organisation_id = $2");
    Ok(
        on_db!(db, pool => sqlx::query_as(&sql).bind(id).bind(organisation_id).fetch_optional(pool).await)?,
    )
}

pub async fn insert(
    tx: &mut Tx,
    organisation_id: i64,
    name: &str,
    regulator: &str,
    regulator_number: &str,
    is_vouching: bool,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    const SQL: &str = "INSERT INTO schemes (organisation_id, name, regulator, regulator_number, is_vouching, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    on_tx!(tx, conn => sqlx::query_scalar(SQL)
        .bind(organisation_id)
        .bind(name)
        .bind(regulator)
        .bind(regulator_number)
        .bind(is_vouching)
        .bind(now)
        .fetch_one(&mut **conn)
        .await)
    .map_err(|e| StoreError::on_unique(e, "vouching scheme"))
}

/// Moves a scheme to `to` only from one of the statuses in `from`; false when it was in another.
pub async fn move_status(
    tx: &mut Tx,
    id: i64,
    from: &[&str],
    to: &str,
) -> Result<bool, StoreError> {
    const SQL: &str =
        "UPDATE schemes SET status = $1 WHERE id = $2 AND (status = $3 OR status = $4)";
    let first = from.first().copied().unwrap_or("");
    let second = from.get(1).copied().unwrap_or(first);
    let n = on_tx!(tx, conn => sqlx::query(SQL)
        .bind(to)
        .bind(id)
        .bind(first)
        .bind(second)
        .execute(&mut **conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The date the organisation completes (or completed) its technical connection journey.
pub async fn technical_connection_on(
    db: &Db,
    organisation_id: i64,
) -> Result<Option<NaiveDate>, StoreError> {
    const SQL: &str = "SELECT technical_connection_on FROM organisations WHERE id = $1";
    let d: Option<Option<NaiveDate>> = on_db!(db, pool => sqlx::query_scalar(SQL).bind(organisation_id).fetch_optional(pool).await)?;
    Ok(d.flatten())
}

pub async fn set_technical_connection_on(
    tx: &mut Tx,
    organisation_id: i64,
    date: Option<NaiveDate>,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE organisations SET technical_connection_on = $1 WHERE id = $2";
    on_tx!(tx, conn => sqlx::query(SQL).bind(date).bind(organisation_id).execute(&mut **conn).await.map(|_| ()))?;
    Ok(())
}

/// The testing status of the organisation's vouching scheme, if it has one.
pub async fn vouching_status(db: &Db, organisation_id: i64) -> Result<Option<String>, StoreError> {
    const SQL: &str = "SELECT status FROM schemes WHERE organisation_id = $1 AND is_vouching";
    Ok(
        on_db!(db, pool => sqlx::query_scalar(SQL).bind(organisation_id).fetch_optional(pool).await)?,
    )
}

/// The regulator numbers already registered for the organisation (not counting rejected
/// schemes), as (regulator, number in capitals).
pub async fn registered_numbers(
    db: &Db,
    organisation_id: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    const SQL: &str = "SELECT regulator, upper(regulator_number) FROM schemes \
         WHERE organisation_id = $1 AND approval <> 'rejected'";
    Ok(on_db!(db, pool => sqlx::query_as(SQL).bind(organisation_id).fetch_all(pool).await)?)
}

/// Adds a further provider or scheme, waiting for programme staff's approval.
pub async fn insert_pending(
    tx: &mut Tx,
    organisation_id: i64,
    scheme: &NewScheme,
    submitted_by: i64,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    const SQL: &str =
        "INSERT INTO schemes (organisation_id, name, regulator, regulator_number, is_vouching, \
         approval, requested_connection_on, submitted_by, created_at) \
         VALUES ($1, $2, $3, $4, FALSE, 'pending', $5, $6, $7) RETURNING id";
    on_tx!(tx, conn => sqlx::query_scalar(SQL)
        .bind(organisation_id)
        .bind(&scheme.name)
        .bind(scheme.regulator.code())
        .bind(&scheme.regulator_number)
        .bind(scheme.connection_date)
        .bind(submitted_by)
        .bind(now)
        .fetch_one(&mut **conn)
        .await)
    .map_err(|e| StoreError::on_unique(e, "regulator number"))
}

/// A further scheme as programme staff see it when deciding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct PendingScheme {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub name: String,
    pub regulator: String,
    pub regulator_number: String,
    pub requested_connection_on: Option<NaiveDate>,
    pub submitted_by_name: Option<String>,
    pub submitted_by_email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub approval: String,
    pub rejection_reason: String,
}

const PENDING_SQL: &str = "SELECT s.id, s.organisation_id, o.name AS organisation_name, s.name, s.regulator, \
     s.regulator_number, s.requested_connection_on, u.name AS submitted_by_name, u.email AS submitted_by_email, \
     s.created_at, s.approval, s.rejection_reason \
     FROM schemes s JOIN organisations o ON o.id = s.organisation_id LEFT JOIN users u ON u.id = s.submitted_by";

/// Further schemes waiting for approval, oldest first, at most `limit`.
pub async fn pending(db: &Db, limit: i64) -> Result<Vec<PendingScheme>, StoreError> {
    let sql =
        format!("{PENDING_SQL} WHERE s.approval = 'pending' ORDER BY s.created_at, s.id LIMIT $1");
    Ok(on_db!(db, pool => sqlx::query_as(&sql).bind(limit).fetch_all(pool).await)?)
}

/// How many further schemes are waiting for approval.
pub async fn count_pending(db: &Db) -> Result<i64, StoreError> {
    const SQL: &str = "SELECT COUNT(*) FROM schemes WHERE approval = 'pending'";
    Ok(on_db!(db, pool => sqlx::query_scalar(SQL).fetch_one(pool).await)?)
}

/// One further scheme (any approval state) with its organisation, for staff.
pub async fn get_submitted(db: &Db, id: i64) -> Result<Option<PendingScheme>, StoreError> {
    let sql = format!("{PENDING_SQL} WHERE s.id = $1 AND s.submitted_by IS NOT NULL");
    Ok(on_db!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?)
}

/// Approves a scheme still waiting: its go-live date is the connection date asked for, and the
/// go-live job makes it live on that day. False when it was decided already.
pub async fn approve(
    tx: &mut Tx,
    id: i64,
    staff: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE schemes SET approval = 'approved', status = 'go_live_confirmed', \
         go_live_on = requested_connection_on, decided_by = $1, decided_at = $2 \
         WHERE id = $3 AND approval = 'pending'";
    let n = on_tx!(tx, conn => sqlx::query(SQL).bind(staff).bind(now).bind(id)
        .execute(&mut **conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Rejects a scheme still waiting, with the reason the organisation will see. False when it was
/// decided already.
pub async fn reject(
    tx: &mut Tx,
    id: i64,
    staff: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    const SQL: &str =
        "UPDATE schemes SET approval = 'rejected', rejection_reason = $1, decided_by = $2, \
         decided_at = $3 WHERE id = $4 AND approval = 'pending'";
    let n = on_tx!(tx, conn => sqlx::query(SQL).bind(reason).bind(staff).bind(now).bind(id)
        .execute(&mut **conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Marks a scheme live since `on` (demo data: a scheme that connected before the portal).
pub async fn mark_live(tx: &mut Tx, id: i64, on: NaiveDate) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE schemes SET status = 'live', go_live_on = $1 WHERE id = $2";
    on_tx!(tx, conn => sqlx::query(SQL).bind(on).bind(id).execute(&mut **conn).await.map(|_| ()))?;
    Ok(())
}
