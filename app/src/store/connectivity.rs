//! Connectivity tests: each organisation's live find endpoint, and the durable job table of test
//! runs with the attempts each made. A run is queued by a page, claimed by one worker for a
//! lease, and finished with a verdict; a run whose worker vanished is marked interrupted.

use chrono::{DateTime, Utc};

use super::{Db, StoreError, Tx};
use crate::{on_db, on_tx};

/// What a run is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RunKind {
    /// TLS checks before a service manager sends their OAT request (no find request is sent).
    Readiness,
    /// The service manager's own rehearsal of the find request.
    DryRun,
    /// Programme staff's test of an OAT request.
    Official,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Readiness => "readiness",
            Self::DryRun => "dry_run",
            Self::Official => "official",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "readiness" => Some(Self::Readiness),
            "dry_run" => Some(Self::DryRun),
            "official" => Some(Self::Official),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct RunRow {
    pub id: i64,
    pub organisation_id: i64,
    pub request_id: Option<i64>,
    pub kind: String,
    pub target_url: String,
    pub profile: String,
    /// queued, running, passed, failed or interrupted.
    pub status: String,
    pub requested_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub code: Option<String>,
    pub summary: String,
    pub cause: String,
    pub fix: String,
    /// Readiness runs: the checks as JSON.
    pub checks: String,
}

impl RunRow {
    pub fn is_open(&self) -> bool {
        self.status == "queued" || self.status == "running"
    }
}

const RUN_COLUMNS: &str =
    "id, organisation_id, request_id, kind, target_url, profile, status, requested_by, \
     created_at, started_at, finished_at, code, summary, cause, fix, checks";

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct AttemptRow {
    pub run_id: i64,
    pub attempt_no: i32,
    pub sent_at: DateTime<Utc>,
    pub target_url: String,
    pub x_request_id: String,
    pub http_status: Option<i32>,
    pub latency_ms: i64,
    pub tls_protocol: Option<String>,
    pub server_subject: Option<String>,
    pub server_not_after: Option<DateTime<Utc>>,
    /// The address connected to, like "203.0.113.7:443".
    pub peer_address: Option<String>,
    pub tls_cipher: Option<String>,
    pub server_issuer: Option<String>,
    /// pass or fail.
    pub verdict: String,
    pub code: String,
    pub cause: String,
    pub response_headers: String,
    pub body_excerpt: String,
}

const ATTEMPT_COLUMNS: &str = "run_id, attempt_no, sent_at, target_url, x_request_id, http_status, latency_ms, \
     tls_protocol, server_subject, server_not_after, verdict, code, cause, response_headers, body_excerpt, \
     peer_address, tls_cipher, server_issuer";

/// The organisation's live find endpoint and when it was last changed.
pub async fn endpoint(
    db: &Db,
    organisation_id: i64,
) -> Result<Option<(String, Option<DateTime<Utc>>)>, StoreError> {
    const SQL: &str =
        "SELECT find_endpoint_url, find_endpoint_updated_at FROM organisations WHERE id = $1";
    let row: Option<(Option<String>, Option<DateTime<Utc>>)> =
        on_db!(db, pool => sqlx::query_as(SQL).bind(organisation_id).fetch_optional(pool).await)?;
    Ok(row.and_then(|(url, at)| url.map(|u| (u, at))))
}

/// Records the endpoint (the caller audits the change in the same transaction).
pub async fn set_endpoint(
    tx: &mut Tx,
    organisation_id: i64,
    url: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    const SQL: &str =
        "UPDATE organisations SET find_endpoint_url = $1, find_endpoint_updated_at = $2 WHERE id = $3";
    on_tx!(tx, conn => sqlx::query(SQL).bind(url).bind(now).bind(organisation_id).execute(&mut **conn).await.map(|_| ()))?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    pub organisation_id: i64,
    pub request_id: Option<i64>,
    pub kind: RunKind,
    pub target_url: &'a str,
    pub profile: &'a str,
    pub requested_by: Option<i64>,
}

pub async fn insert(tx: &mut Tx, run: &NewRun<'_>, now: DateTime<Utc>) -> Result<i64, StoreError> {
    const SQL: &str =
        "INSERT INTO connectivity_runs (organisation_id, request_id, kind, target_url, profile, \
         requested_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
    let id: i64 = on_tx!(tx, conn => sqlx::query_scalar(SQL)
        .bind(run.organisation_id)
        .bind(run.request_id)
        .bind(run.kind.as_str())
        .bind(run.target_url)
        .bind(run.profile)
        .bind(run.requested_by)
        .bind(now)
        .fetch_one(&mut **conn)
        .await)?;
    Ok(id)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<RunRow>, StoreError> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM connectivity_runs WHERE id = $1");
    Ok(on_db!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?)
}

/// The organisation's newest runs of one kind, newest first.
pub async fn recent(
    db: &Db,
    organisation_id: i64,
    kind: RunKind,
    limit: i64,
) -> Result<Vec<RunRow>, StoreError> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM connectivity_runs WHERE organisation_id = $1 AND kind = $2 \
         ORDER BY id DESC LIMIT $3"
    );
    Ok(
        on_db!(db, pool => sqlx::query_as(&sql).bind(organisation_id).bind(kind.as_str()).bind(limit).fetch_all(pool).await)?,
    )
}

const STARTS_SINCE: &str =
    "SELECT created_at FROM connectivity_runs WHERE organisation_id = $1 AND kind = $2 \
     AND created_at >= $3 ORDER BY id";

/// When the organisation's runs of one kind since `since` were queued (for the rate limit).
pub async fn starts_since(
    db: &Db,
    organisation_id: i64,
    kind: RunKind,
    since: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, StoreError> {
    Ok(
        on_db!(db, pool => sqlx::query_scalar(STARTS_SINCE).bind(organisation_id).bind(kind.as_str()).bind(since).fetch_all(pool).await)?,
    )
}

/// Holds the organisation's row until the transaction ends, so that decisions about its runs and
/// its endpoint (one open readiness check, the dry-run and endpoint-change limits) are taken one
/// at a time and parallel requests cannot all pass a check before any of them writes. SQLite has
/// one writer anyway; on Postgres this takes the row lock.
pub async fn lock_organisation(tx: &mut Tx, organisation_id: i64) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE organisations SET name = name WHERE id = $1";
    on_tx!(tx, conn => sqlx::query(SQL).bind(organisation_id).execute(&mut **conn).await.map(|_| ()))?;
    Ok(())
}

/// The organisation's queued or running run of one kind, inside a transaction that holds
/// [`lock_organisation`].
pub async fn open_run(
    tx: &mut Tx,
    organisation_id: i64,
    kind: RunKind,
) -> Result<Option<i64>, StoreError> {
    const SQL: &str = "SELECT id FROM connectivity_runs WHERE organisation_id = $1 AND kind = $2 \
         AND status IN ('queued', 'running') ORDER BY id DESC LIMIT 1";
    Ok(
        on_tx!(tx, conn => sqlx::query_scalar(SQL).bind(organisation_id).bind(kind.as_str()).fetch_optional(&mut **conn).await)?,
    )
}

/// [`starts_since`] inside a transaction that holds [`lock_organisation`].
pub async fn starts_since_locked(
    tx: &mut Tx,
    organisation_id: i64,
    kind: RunKind,
    since: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, StoreError> {
    Ok(
        on_tx!(tx, conn => sqlx::query_scalar(STARTS_SINCE).bind(organisation_id).bind(kind.as_str()).bind(since).fetch_all(&mut **conn).await)?,
    )
}

/// When the organisation's endpoint was changed since `since` (for the limit on changes), inside
/// a transaction that holds [`lock_organisation`].
pub async fn endpoint_changes_since(
    tx: &mut Tx,
    organisation_id: i64,
    since: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, StoreError> {
    const SQL: &str = "SELECT occurred_at FROM audit_events WHERE organisation_id = $1 \
         AND action = $2 AND occurred_at >= $3 ORDER BY id";
    Ok(on_tx!(tx, conn => sqlx::query_scalar(SQL)
        .bind(organisation_id)
        .bind(crate::store::audit::AuditAction::FindEndpointChanged.code())
        .bind(since)
        .fetch_all(&mut **conn)
        .await)?)
}

/// The official runs for one OAT request, newest first.
pub async fn for_request(db: &Db, request_id: i64, limit: i64) -> Result<Vec<RunRow>, StoreError> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM connectivity_runs WHERE request_id = $1 ORDER BY id DESC LIMIT $2"
    );
    Ok(on_db!(db, pool => sqlx::query_as(&sql).bind(request_id).bind(limit).fetch_all(pool).await)?)
}

pub async fn attempts(db: &Db, run_id: i64) -> Result<Vec<AttemptRow>, StoreError> {
    let sql = format!(
        "SELECT {ATTEMPT_COLUMNS} FROM connectivity_attempts WHERE run_id = $1 ORDER BY attempt_no"
    );
    Ok(on_db!(db, pool => sqlx::query_as(&sql).bind(run_id).fetch_all(pool).await)?)
}

/// Queued runs, staff's official tests first, then oldest first (the worker claims each before
/// running it): no number of organisations' own checks can hold up a test staff are waiting for.
pub async fn queued(db: &Db, limit: i64) -> Result<Vec<RunRow>, StoreError> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM connectivity_runs WHERE status = 'queued' \
         ORDER BY CASE kind WHEN 'official' THEN 0 ELSE 1 END, id LIMIT $1"
    );
    Ok(on_db!(db, pool => sqlx::query_as(&sql).bind(limit).fetch_all(pool).await)?)
}

/// Takes a queued run for this worker until `until`: false when another worker took it first.
pub async fn claim(
    db: &Db,
    id: i64,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    const SQL: &str =
        "UPDATE connectivity_runs SET status = 'running', started_at = $1, claimed_until = $2 \
         WHERE id = $3 AND status = 'queued'";
    let mut tx = db.begin_write().await?;
    let n = on_tx!(&mut tx, conn => sqlx::query(SQL).bind(now).bind(until).bind(id).execute(&mut **conn).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(n == 1)
}

/// Records one attempt of a running run.
pub async fn record_attempt(db: &Db, a: &AttemptRow) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO connectivity_attempts ({ATTEMPT_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
    );
    let mut tx = db.begin_write().await?;
    on_tx!(&mut tx, conn => sqlx::query(&sql)
        .bind(a.run_id)
        .bind(a.attempt_no)
        .bind(a.sent_at)
        .bind(&a.target_url)
        .bind(&a.x_request_id)
        .bind(a.http_status)
        .bind(a.latency_ms)
        .bind(&a.tls_protocol)
        .bind(&a.server_subject)
        .bind(a.server_not_after)
        .bind(&a.verdict)
        .bind(&a.code)
        .bind(&a.cause)
        .bind(&a.response_headers)
        .bind(&a.body_excerpt)
        .bind(&a.peer_address)
        .bind(&a.tls_cipher)
        .bind(&a.server_issuer)
        .execute(&mut **conn)
        .await
        .map(|_| ()))?;
    tx.commit().await?;
    Ok(())
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct Finish<'a> {
    pub passed: bool,
    pub code: &'a str,
    pub summary: &'a str,
    pub cause: &'a str,
    pub fix: &'a str,
    pub checks: &'a str,
}

/// Finishes a running run; false when it was not running (already finished or interrupted).
pub async fn finish(
    db: &Db,
    id: i64,
    f: &Finish<'_>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    const SQL: &str =
        "UPDATE connectivity_runs SET status = $1, code = $2, summary = $3, cause = $4, fix = $5, \
         checks = $6, finished_at = $7, claimed_until = NULL WHERE id = $8 AND status = 'running'";
    let status = if f.passed { "passed" } else { "failed" };
    let mut tx = db.begin_write().await?;
    let n = on_tx!(&mut tx, conn => sqlx::query(SQL)
        .bind(status)
        .bind(f.code)
        .bind(f.summary)
        .bind(f.cause)
        .bind(f.fix)
        .bind(f.checks)
        .bind(now)
        .bind(id)
        .execute(&mut **conn)
        .await
        .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(n == 1)
}

/// Records that a claimed run's first find request is about to leave. Until then, a run whose
/// worker stops has sent nothing and can safely be run again. False when the run is no longer
/// this worker's (it is not running any more).
pub async fn mark_sending(db: &Db, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE connectivity_runs SET sending_since = $1 \
         WHERE id = $2 AND status = 'running' AND sending_since IS NULL";
    let mut tx = db.begin_write().await?;
    let n = on_tx!(&mut tx, conn => sqlx::query(SQL).bind(now).bind(id).execute(&mut **conn).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(n == 1)
}

/// Runs whose worker stopped (a crash or restart) before finishing: their claim ran out. One
/// that had sent nothing yet (readiness checks send no find request) is queued again, and the
/// next worker runs it from the start. One whose find request may have left is marked
/// interrupted, never sent again unasked, so nobody reads a half-made run as a result and the
/// endpoint never gets a second request it was not asked about. Returns (queued again,
/// interrupted).
pub async fn release_abandoned(db: &Db, now: DateTime<Utc>) -> Result<(u64, u64), StoreError> {
    const REQUEUE: &str = "UPDATE connectivity_runs SET status = 'queued', started_at = NULL, \
         claimed_until = NULL WHERE status = 'running' AND claimed_until < $1 AND sending_since IS NULL";
    const INTERRUPT: &str =
        "UPDATE connectivity_runs SET status = 'interrupted', code = 'interrupted', \
         summary = 'The test was interrupted', \
         cause = 'The portal stopped while this test was running, so it has no result.', \
         fix = 'Run the test again.', finished_at = $1, claimed_until = NULL \
         WHERE status = 'running' AND claimed_until < $1";
    let mut tx = db.begin_write().await?;
    let requeued = on_tx!(&mut tx, conn => sqlx::query(REQUEUE).bind(now).execute(&mut **conn).await.map(|r| r.rows_affected()))?;
    let interrupted = on_tx!(&mut tx, conn => sqlx::query(INTERRUPT).bind(now).execute(&mut **conn).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok((requeued, interrupted))
}

/// Extends the claims of runs this worker is still running.
pub async fn renew(db: &Db, ids: &[i64], until: DateTime<Utc>) -> Result<(), StoreError> {
    const SQL: &str =
        "UPDATE connectivity_runs SET claimed_until = $1 WHERE id = $2 AND status = 'running'";
    let mut tx = db.begin_write().await?;
    for id in ids {
        on_tx!(&mut tx, conn => sqlx::query(SQL).bind(until).bind(id).execute(&mut **conn).await.map(|_| ()))?;
    }
    tx.commit().await?;
    Ok(())
}

/// How many runs there are in each status (queued, running and each verdict), for the
/// operators' metrics.
pub async fn counts_by_status(db: &Db) -> Result<Vec<(String, i64)>, StoreError> {
    const SQL: &str =
        "SELECT status, COUNT(*) FROM connectivity_runs GROUP BY status ORDER BY status";
    Ok(on_db!(db, pool => sqlx::query_as(SQL).fetch_all(pool).await)?)
}
