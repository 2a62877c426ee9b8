//! Users and their roles.

use chrono::{DateTime, Utc};

use super::{Db, StoreError, Tx};
use crate::{
    auth::CurrentUser,
    domain::{EmailAddress, PersonName, Role},
    on_db, on_tx,
};

/// What sign-in needs to know about an account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    pub organisation_id: Option<i64>,
    pub name: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub active: bool,
    pub failed_attempts: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub session_epoch: i64,
    /// Has set up a second factor (so the password alone does not sign in).
    pub second_factor: bool,
}

/// A user as listed on admin pages.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UserSummary {
    pub id: i64,
    pub organisation_id: Option<i64>,
    pub organisation_name: Option<String>,
    pub name: String,
    pub email: String,
    pub active: bool,
    pub invited: bool,
    pub roles: Vec<Role>,
    /// Has set up a second factor.
    pub second_factor: bool,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    organisation_id: Option<i64>,
    organisation_name: Option<String>,
    name: String,
    email: String,
    active: bool,
    password_hash: Option<String>,
    second_factor: bool,
}

/// What each request needs to decide whether a session is still good.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SessionLookup {
    pub active: bool,
    pub session_epoch: i64,
    pub current: CurrentUser,
}

const SUMMARY_SQL: &str =
    "SELECT u.id, u.organisation_id, o.name AS organisation_name, u.name, u.email, \
     u.active, u.password_hash, (u.totp_secret IS NOT NULL) AS second_factor \
     FROM users u LEFT JOIN organisations o ON o.id = u.organisation_id";

async fn roles_of(db: &Db, user_id: i64) -> Result<Vec<Role>, StoreError> {
    const SQL: &str = "SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role";
    let codes: Vec<String> =
        on_db!(db, pool => sqlx::query_scalar(SQL).bind(user_id).fetch_all(pool).await)?;
    codes
        .into_iter()
        .map(|c| {
            Role::from_code(&c).ok_or(StoreError::Corrupt {
                what: "role",
                value: c,
            })
        })
        .collect()
}

async fn summarise(db: &Db, row: SummaryRow) -> Result<UserSummary, StoreError> {
    Ok(UserSummary {
        roles: roles_of(db, row.id).await?,
        id: row.id,
        organisation_id: row.organisation_id,
        organisation_name: row.organisation_name,
        name: row.name,
        email: row.email,
        active: row.active,
        invited: row.password_hash.is_none(),
        second_factor: row.second_factor,
    })
}

/// The columns [`LookupRow`] reads, for a query that joins `users u`, `organisations o` and
/// `user_roles r` (the sessions table reads them with its own row).
pub(crate) const LOOKUP_COLUMNS: &str =
    "u.id AS user_id, u.organisation_id, o.name AS organisation_name, u.name AS user_name, \
     u.email, u.active, u.session_epoch, (u.totp_secret IS NOT NULL) AS totp_enrolled, r.role";

/// One row of a user lookup: a row per role, or one row without a role. Every column can be
/// null, because the sessions table reads them through a left join.
#[derive(sqlx::FromRow)]
pub(crate) struct LookupRow {
    user_id: Option<i64>,
    organisation_id: Option<i64>,
    organisation_name: Option<String>,
    user_name: Option<String>,
    email: Option<String>,
    active: Option<bool>,
    session_epoch: Option<i64>,
    totp_enrolled: Option<bool>,
    role: Option<String>,
}

/// The user the rows describe, or `None` when they name none.
pub(crate) fn lookup_from_rows(rows: Vec<LookupRow>) -> Result<Option<SessionLookup>, StoreError> {
    let mut roles = Vec::with_capacity(rows.len());
    for code in rows.iter().filter_map(|r| r.role.as_deref()) {
        roles.push(Role::from_code(code).ok_or_else(|| StoreError::Corrupt {
            what: "role",
            value: code.to_string(),
        })?);
    }
    let Some(LookupRow {
        user_id: Some(id),
        organisation_id,
        organisation_name,
        user_name: Some(name),
        email: Some(email),
        active: Some(active),
        session_epoch: Some(session_epoch),
        totp_enrolled,
        ..
    }) = rows.into_iter().next()
    else {
        return Ok(None);
    };
    Ok(Some(SessionLookup {
        active,
        session_epoch,
        current: CurrentUser {
            roles,
            id,
            name,
            email,
            organisation_id,
            organisation_name,
            second_factor_enrolled: totp_enrolled.unwrap_or(false),
            second_factor_passed: false,
        },
    }))
}

/// Who a session's user is now, for a session read without them (one saved before its row
/// named its user) and for sign-in.
pub async fn find_for_session(db: &Db, id: i64) -> Result<Option<SessionLookup>, StoreError> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT {LOOKUP_COLUMNS} FROM users u \
             LEFT JOIN organisations o ON o.id = u.organisation_id \
             LEFT JOIN user_roles r ON r.user_id = u.id WHERE u.id = $1 ORDER BY r.role"
        )
    });
    let rows: Vec<LookupRow> =
        on_db!(db, pool => sqlx::query_as(SQL.as_str()).bind(id).fetch_all(pool).await)?;
    lookup_from_rows(rows)
}

pub async fn credentials_by_email(
    db: &Db,
    email: &EmailAddress,
) -> Result<Option<Credentials>, StoreError> {
    const SQL: &str =
        "SELECT id, organisation_id, name, email, password_hash, active, failed_attempts, \
         locked_until, session_epoch, (totp_secret IS NOT NULL) AS second_factor \
         FROM users WHERE lower(email) = $1";
    Ok(on_db!(db, pool => sqlx::query_as(SQL).bind(email.normalized()).fetch_optional(pool).await)?)
}

pub async fn credentials_by_id(db: &Db, id: i64) -> Result<Option<Credentials>, StoreError> {
    const SQL: &str =
        "SELECT id, organisation_id, name, email, password_hash, active, failed_attempts, \
         locked_until, session_epoch, (totp_secret IS NOT NULL) AS second_factor \
         FROM users WHERE id = $1";
    Ok(on_db!(db, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)?)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<UserSummary>, StoreError> {
    let sql = format!("{SUMMARY_SQL} WHERE u.id = $1");
    let row: Option<SummaryRow> =
        on_db!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?;
    match row {
        Some(r) => Ok(Some(summarise(db, r).await?)),
        None => Ok(None),
    }
}

/// Users of one organisation, or (with `None`) programme users.
pub async fn list(db: &Db, organisation_id: Option<i64>) -> Result<Vec<UserSummary>, StoreError> {
    let rows: Vec<SummaryRow> = match organisation_id {
        Some(org) => {
            let sql =
                format!("{SUMMARY_SQL} WHERE u.organisation_id = $1 ORDER BY lower(u.name), u.id");
            on_db!(db, pool => sqlx::query_as(&sql).bind(org).fetch_all(pool).await)?
        }
        None => {
            let sql = format!(
                "{SUMMARY_SQL} WHERE u.organisation_id IS NULL ORDER BY lower(u.name), u.id"
            );
            on_db!(db, pool => sqlx::query_as(&sql).fetch_all(pool).await)?
        }
    };
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(summarise(db, row).await?);
    }
    Ok(out)
}

/// Adds a user with no password yet (they set one from their invitation).
pub async fn insert(
    tx: &mut Tx,
    organisation_id: Option<i64>,
    name: &PersonName,
    email: &EmailAddress,
    roles: &[Role],
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    const SQL: &str = "INSERT INTO users (organisation_id, name, email, created_at) VALUES ($1, $2, $3, $4) RETURNING id";
    let id: i64 = on_tx!(tx, conn => sqlx::query_scalar(SQL)
        .bind(organisation_id)
        .bind(name.as_str())
        .bind(email.as_str())
        .bind(now)
        .fetch_one(&mut **conn)
        .await)
    .map_err(|e| StoreError::on_unique(e, "email address"))?;
    set_roles(tx, id, roles).await?;
    Ok(id)
}

pub async fn set_roles(tx: &mut Tx, user_id: i64, roles: &[Role]) -> Result<(), StoreError> {
    const DELETE: &str = "DELETE FROM user_roles WHERE user_id = $1";
    const INSERT: &str = "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)";
    on_tx!(tx, conn => sqlx::query(DELETE).bind(user_id).execute(&mut **conn).await.map(|_| ()))?;
    for role in roles {
        on_tx!(tx, conn => sqlx::query(INSERT).bind(user_id).bind(role.code()).execute(&mut **conn).await.map(|_| ()))?;
    }
    Ok(())
}

/// Sets a new password hash, clears failures and locks, and ends every existing session.
pub async fn set_password(tx: &mut Tx, user_id: i64, hash: &str) -> Result<(), StoreError> {
    const SQL: &str =
        "UPDATE users SET password_hash = $1, failed_attempts = 0, locked_until = NULL, \
         session_epoch = session_epoch + 1 WHERE id = $2";
    on_tx!(tx, conn => sqlx::query(SQL).bind(hash).bind(user_id).execute(&mut **conn).await.map(|_| ()))?;
    Ok(())
}

/// Activates or deactivates; either way every existing session ends.
pub async fn set_active(tx: &mut Tx, user_id: i64, active: bool) -> Result<(), StoreError> {
    const SQL: &str =
        "UPDATE users SET active = $1, session_epoch = session_epoch + 1, failed_attempts = 0, \
         locked_until = NULL WHERE id = $2";
    on_tx!(tx, conn => sqlx::query(SQL).bind(active).bind(user_id).execute(&mut **conn).await.map(|_| ()))?;
    Ok(())
}

/// Counts a failed sign-in and, when it makes `lock_after` failures in a row, locks the account
/// until `lock_until`. Decided in one statement, so parallel guesses cannot slip past the limit;
/// a lock that has run out starts the count again. Returns the count and whether this failure
/// locked the account.
pub async fn record_failure(
    tx: &mut Tx,
    user_id: i64,
    now: DateTime<Utc>,
    lock_after: i32,
    lock_until: DateTime<Utc>,
) -> Result<(i32, bool), StoreError> {
    // SET expressions all see the row as it was: `expired` and the new count are computed once
    // per expression from the old values.
    const SQL: &str = "UPDATE users SET \
         failed_attempts = CASE WHEN locked_until IS NOT NULL AND locked_until <= $1 THEN 1 ELSE failed_attempts + 1 END, \
         locked_until = CASE \
             WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= $1 THEN 1 ELSE failed_attempts + 1 END) >= $2 \
                  AND (locked_until IS NULL OR locked_until <= $1) THEN $3 \
             ELSE locked_until END \
         WHERE id = $4 RETURNING failed_attempts, locked_until";
    let (count, locked): (i32, Option<DateTime<Utc>>) = on_tx!(tx, conn => sqlx::query_as(SQL)
        .bind(now)
        .bind(lock_after)
        .bind(lock_until)
        .bind(user_id)
        .fetch_one(&mut **conn)
        .await)?;
    // Newly locked only by the failure that reached the limit; later ones find it locked already.
    Ok((count, count == lock_after && locked == Some(lock_until)))
}

pub async fn record_success(tx: &mut Tx, user_id: i64) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = $1";
    on_tx!(tx, conn => sqlx::query(SQL).bind(user_id).execute(&mut **conn).await.map(|_| ()))?;
    Ok(())
}

/// A user's second factor as sign-in checks it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SecondFactor {
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub totp_enrolled_at: Option<DateTime<Utc>>,
}

pub async fn second_factor(db: &Db, id: i64) -> Result<Option<SecondFactor>, StoreError> {
    const SQL: &str =
        "SELECT totp_secret, totp_last_step, totp_enrolled_at FROM users WHERE id = $1";
    Ok(on_db!(db, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)?)
}

/// Records `step` as the last accepted one, unless that step (or a later one) was already used:
/// false then, and the code must be refused. One statement, so two requests with the same code
/// cannot both pass.
pub async fn accept_step(tx: &mut Tx, id: i64, step: i64) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE users SET totp_last_step = $1 WHERE id = $2 \
         AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $1)";
    let n = on_tx!(tx, conn => sqlx::query(SQL).bind(step).bind(id).execute(&mut **conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Marks an unused recovery code of the user's as used: false when there is none with that hash.
pub async fn use_recovery_code(
    tx: &mut Tx,
    id: i64,
    code_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE recovery_codes SET used_at = $1 \
         WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL";
    let n = on_tx!(tx, conn => sqlx::query(SQL).bind(now).bind(id).bind(code_hash).execute(&mut **conn).await.map(|r| r.rows_affected()))?;
    Ok(n >= 1)
}

/// Unused recovery codes the user has left.
pub async fn recovery_codes_left(db: &Db, id: i64) -> Result<i64, StoreError> {
    const SQL: &str = "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL";
    Ok(on_db!(db, pool => sqlx::query_scalar(SQL).bind(id).fetch_one(pool).await)?)
}

/// Sets up a confirmed second factor: the secret, the step its confirming code used, and new
/// recovery codes (any earlier ones are deleted). Ends every other session of the user (the
/// caller signs the current one in again with the new epoch, returned).
pub async fn enrol_second_factor(
    tx: &mut Tx,
    id: i64,
    secret_base32: &str,
    step: i64,
    recovery_hashes: &[String],
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    const SET: &str = "UPDATE users SET totp_secret = $1, totp_last_step = $2, \
         totp_enrolled_at = $3, session_epoch = session_epoch + 1 WHERE id = $4 RETURNING session_epoch";
    let epoch: i64 = on_tx!(tx, conn => sqlx::query_scalar(SET).bind(secret_base32).bind(step).bind(now).bind(id).fetch_one(&mut **conn).await)?;
    replace_recovery_codes(tx, id, recovery_hashes).await?;
    Ok(epoch)
}

/// Removes the user's second factor and recovery codes and ends all their sessions (an admin's
/// reset, or the user turning it off).
pub async fn remove_second_factor(tx: &mut Tx, id: i64) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE users SET totp_secret = NULL, totp_last_step = NULL, \
         totp_enrolled_at = NULL, session_epoch = session_epoch + 1 WHERE id = $1";
    let n = on_tx!(tx, conn => sqlx::query(SQL).bind(id).execute(&mut **conn).await.map(|r| r.rows_affected()))?;
    replace_recovery_codes(tx, id, &[]).await?;
    Ok(n == 1)
}

async fn replace_recovery_codes(tx: &mut Tx, id: i64, hashes: &[String]) -> Result<(), StoreError> {
    const DELETE: &str = "DELETE FROM recovery_codes WHERE user_id = $1";
    const INSERT: &str = "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)";
    on_tx!(tx, conn => sqlx::query(DELETE).bind(id).execute(&mut **conn).await.map(|_| ()))?;
    for hash in hashes {
        on_tx!(tx, conn => sqlx::query(INSERT).bind(id).bind(hash).execute(&mut **conn).await.map(|_| ()))?;
    }
    Ok(())
}
