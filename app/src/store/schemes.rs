//! Pension providers and schemes, and each organisation's technical connection date.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Db, StoreError, Tx};
use crate::{
    domain::{schemes::NewScheme, status::SchemeStatus},
    on_db, on_tx,
};

/// A provider or scheme as the overview shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Scheme {
    pub id: i64,
    pub organisation_id: i64,
    pub name: String,
    pub regulator: String,
    pub regulator_number: String,
    pub is_vouching: bool,
    #[sqlx(try_from = "String")]
    pub status: SchemeStatus,
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
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SchemeWithLatest {
    pub scheme: Scheme,
    pub latest_request_id: Option<i64>,
    pub latest_go_live_date: Option<NaiveDate>,
    /// The newest request's connection date and booked test, shown until a go-live date is.
    pub latest_connection_date: Option<NaiveDate>,
    pub latest_test_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The newest request of each of the organisation's schemes, grouped once for the organisation
/// (a correlated subquery per scheme in the join made Postgres scan every request).
const LATEST_JOIN: &str = "FROM schemes s \
     LEFT JOIN (SELECT scheme_id, MAX(id) AS id FROM oat_requests \
                WHERE organisation_id = $1 GROUP BY scheme_id) latest ON latest.scheme_id = s.id \
     LEFT JOIN oat_requests r ON r.id = latest.id \
     WHERE s.organisation_id = $1";

/// The order every list of an organisation's schemes is shown in: the vouching scheme first,
/// then by name ignoring case, then oldest first. Lists are sorted here rather than in SQL:
/// lowering and sorting names was a large part of the overview query's time in Postgres, and
/// SQLite's `lower` only knows ASCII, so the two databases did not agree on an order.
/// Names are compared in Unicode lower case, character by character, so "Édouard" comes after
/// "Zed" on both; Postgres used to follow its cluster's collation, which may fold accents.
pub fn sort_for_display<T>(rows: &mut [T], scheme: impl Fn(&T) -> &Scheme) {
    rows.sort_by_cached_key(|row| {
        let s = scheme(row);
        (!s.is_vouching, s.name.to_lowercase(), s.id)
    });
}

/// An organisation's schemes, the vouching scheme first, each with its newest request: one
/// query for the overview, the busiest signed-in page.
///
/// SQLite returns the whole list as one JSON array in one row: read row by row, sqlx copies each
/// value and hands each row from the connection's thread to the request's task, which one array
/// avoids.
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
                 'latest_request_id', r.id, 'latest_go_live_date', r.go_live_date, \
                 'latest_connection_date', r.connection_date, \
                 'latest_test_at', strftime('%Y-%m-%dT%H:%M:%SZ', r.test_at))) {LATEST_JOIN}"
        )
    });
    // The columns in the order `scheme_with_latest_from_pg` reads them.
    static POSTGRES: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT s.id, s.organisation_id, s.name, s.regulator, s.regulator_number, \
             s.is_vouching, s.status, s.go_live_on, s.approval, s.requested_connection_on, \
             s.rejection_reason, r.id AS latest_request_id, r.go_live_date AS latest_go_live_date, \
             r.connection_date AS latest_connection_date, r.test_at AS latest_test_at \
             {LATEST_JOIN}"
        )
    });
    let mut rows: Vec<SchemeWithLatest> = match db {
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
            sqlx::query(POSTGRES.as_str())
                .bind(organisation_id)
                .try_map(|row: sqlx::postgres::PgRow| scheme_with_latest_from_pg(&row))
                .fetch_all(pool)
                .await?
        }
    };
    sort_for_display(&mut rows, |row| &row.scheme);
    Ok(rows)
}

/// One row of the Postgres overview query, read by position: fifty rows of thirteen columns
/// looked up by name cost the page a column-name hash lookup for every value.
fn scheme_with_latest_from_pg(
    row: &sqlx::postgres::PgRow,
) -> Result<SchemeWithLatest, sqlx::Error> {
    use sqlx::Row;
    Ok(SchemeWithLatest {
        scheme: Scheme {
            id: row.try_get(0)?,
            organisation_id: row.try_get(1)?,
            name: row.try_get(2)?,
            regulator: row.try_get(3)?,
            regulator_number: row.try_get(4)?,
            is_vouching: row.try_get(5)?,
            status: row
                .try_get::<String, _>(6)?
                .try_into()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            go_live_on: row.try_get(7)?,
            approval: row.try_get(8)?,
            requested_connection_on: row.try_get(9)?,
            rejection_reason: row.try_get(10)?,
        },
        latest_request_id: row.try_get(11)?,
        latest_go_live_date: row.try_get(12)?,
        latest_connection_date: row.try_get(13)?,
        latest_test_at: row.try_get(14)?,
    })
}

/// An organisation's schemes, in the order of [`sort_for_display`].
pub async fn list_for_organisation(
    db: &Db,
    organisation_id: i64,
) -> Result<Vec<Scheme>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM schemes WHERE organisation_id = $1");
    let mut rows: Vec<Scheme> =
        on_db!(db, pool => sqlx::query_as(&sql).bind(organisation_id).fetch_all(pool).await)?;
    sort_for_display(&mut rows, |s| s);
    Ok(rows)
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
    from: &[SchemeStatus],
    to: SchemeStatus,
) -> Result<bool, StoreError> {
    const SQL: &str =
        "UPDATE schemes SET status = $1 WHERE id = $2 AND (status = $3 OR status = $4)";
    let first = from.first().map(|s| s.code()).unwrap_or("");
    let second = from.get(1).map(|s| s.code()).unwrap_or(first);
    let n = on_tx!(tx, conn => sqlx::query(SQL)
        .bind(to.code())
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
pub async fn vouching_status(
    db: &Db,
    organisation_id: i64,
) -> Result<Option<SchemeStatus>, StoreError> {
    const SQL: &str = "SELECT status FROM schemes WHERE organisation_id = $1 AND is_vouching";
    let code: Option<String> = on_db!(db, pool => sqlx::query_scalar(SQL).bind(organisation_id).fetch_optional(pool).await)?;
    code.map(|c| {
        SchemeStatus::parse(&c).ok_or(StoreError::Corrupt {
            what: "scheme status",
            value: c,
        })
    })
    .transpose()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn scheme(id: i64, name: &str, is_vouching: bool) -> Scheme {
        Scheme {
            id,
            organisation_id: 1,
            name: name.into(),
            regulator: "TPR".into(),
            regulator_number: "10000000".into(),
            is_vouching,
            status: SchemeStatus::NotRequested,
            go_live_on: None,
            approval: "approved".into(),
            requested_connection_on: None,
            rejection_reason: String::new(),
        }
    }

    fn sorted(mut rows: Vec<Scheme>) -> Vec<i64> {
        sort_for_display(&mut rows, |s| s);
        rows.into_iter().map(|s| s.id).collect()
    }

    #[test]
    fn the_vouching_scheme_comes_first_whatever_its_name() {
        let rows = vec![
            scheme(1, "Alpha", false),
            scheme(2, "Zeta", true),
            scheme(3, "Beta", false),
        ];
        assert_eq!(sorted(rows), vec![2, 1, 3]);
    }

    #[test]
    fn names_are_ordered_ignoring_case_including_letters_beyond_ascii() {
        let rows = vec![
            scheme(1, "beta", false),
            scheme(2, "Alpha", false),
            scheme(3, "ÉCLAIR", false),
            scheme(4, "édouard", false),
            scheme(5, "Zed", false),
        ];
        // "é" sorts after every ASCII letter, in upper case or lower.
        assert_eq!(sorted(rows), vec![2, 1, 5, 3, 4]);
    }

    #[test]
    fn equal_names_keep_the_oldest_first() {
        let rows = vec![
            scheme(9, "Same", false),
            scheme(4, "same", false),
            scheme(6, "SAME", false),
        ];
        assert_eq!(sorted(rows), vec![4, 6, 9]);
    }
}
