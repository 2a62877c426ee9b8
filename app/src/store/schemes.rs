//! Pension providers and schemes, and each organisation's technical connection date.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Db, StoreError, Tx};
use crate::{on_db, on_tx};

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
}

const COLUMNS: &str =
    "id, organisation_id, name, regulator, regulator_number, is_vouching, status, go_live_on";

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
