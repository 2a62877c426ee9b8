//! Organisations: the tenants of the portal.

use chrono::{DateTime, Utc};

use super::{Db, StoreError, Tx};
use crate::domain::{OrganisationKind, OrganisationName};
use crate::{on_db, on_tx};

/// An organisation as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Organisation {
    pub id: i64,
    pub name: OrganisationName,
    pub kind: OrganisationKind,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    kind: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<Row> for Organisation {
    type Error = StoreError;

    fn try_from(row: Row) -> Result<Self, StoreError> {
        let name = OrganisationName::parse(&row.name).map_err(|_| StoreError::Corrupt {
            what: "organisation name",
            value: row.name.clone(),
        })?;
        let kind = OrganisationKind::from_code(&row.kind).ok_or(StoreError::Corrupt {
            what: "organisation kind",
            value: row.kind.clone(),
        })?;
        Ok(Self {
            id: row.id,
            name,
            kind,
            created_at: row.created_at,
        })
    }
}

const COLUMNS: &str = "id, name, kind, created_at";

/// Adds an organisation. Names are unique regardless of case.
#[tracing::instrument(skip(tx))]
pub async fn insert(
    tx: &mut Tx,
    name: &OrganisationName,
    kind: OrganisationKind,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    const SQL: &str =
        "INSERT INTO organisations (name, kind, created_at) VALUES ($1, $2, $3) RETURNING id";
    on_tx!(tx, conn => sqlx::query_scalar(SQL)
        .bind(name.as_str())
        .bind(kind.code())
        .bind(now)
        .fetch_one(&mut **conn)
        .await)
    .map_err(|e| StoreError::on_unique(e, "organisation name"))
}

/// One organisation by id.
pub async fn get(db: &Db, id: i64) -> Result<Option<Organisation>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM organisations WHERE id = $1");
    let row: Option<Row> =
        on_db!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?;
    row.map(Organisation::try_from).transpose()
}

/// One organisation by name, ignoring case.
pub async fn find_by_name(
    db: &Db,
    name: &OrganisationName,
) -> Result<Option<Organisation>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM organisations WHERE lower(name) = lower($1)");
    let row: Option<Row> =
        on_db!(db, pool => sqlx::query_as(&sql).bind(name.as_str()).fetch_optional(pool).await)?;
    row.map(Organisation::try_from).transpose()
}

/// Every organisation, by name.
pub async fn list(db: &Db) -> Result<Vec<Organisation>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM organisations ORDER BY lower(name), id");
    let rows: Vec<Row> = on_db!(db, pool => sqlx::query_as(&sql).fetch_all(pool).await)?;
    rows.into_iter().map(Organisation::try_from).collect()
}

/// How many organisations there are.
pub async fn count(db: &Db) -> Result<i64, StoreError> {
    const SQL: &str = "SELECT COUNT(*) FROM organisations";
    Ok(on_db!(db, pool => sqlx::query_scalar(SQL).fetch_one(pool).await)?)
}
