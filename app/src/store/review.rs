//! Programme staff's side of OAT requests: the queue (keyset pages over an index, so a page
//! costs the same with 100,000 requests as with ten), a request with everything staff need,
//! each action as one guarded update, changes of connection date, and the go-live job's work.
//!
//! Every action's update names the version the member of staff saw and the states the action
//! is allowed from: when two act at once, the second update matches no row and nothing is
//! applied twice.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Db, StoreError, Tx};
use crate::{
    domain::review::{Direction, QueueFilter, RequestStatus, SchemeStatus, Sort, StatusFilter},
    on_db, on_tx,
};

/// A row of the staff queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct QueueRow {
    pub id: i64,
    pub reference: Option<String>,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub scheme_name: String,
    #[sqlx(try_from = "String")]
    pub status: RequestStatus,
    pub connection_date: NaiveDate,
    pub go_live_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub date_change_waiting: bool,
    pub retest_asked: bool,
    pub retest_asked_at: Option<DateTime<Utc>>,
    pub support_asked: bool,
    pub query_open: bool,
}

const DATE_CHANGE_WAITING: &str =
    "EXISTS (SELECT 1 FROM date_change_requests c WHERE c.request_id = r.id AND c.status = 'pending')";
const QUERY_OPEN: &str =
    "EXISTS (SELECT 1 FROM queries qo WHERE qo.request_id = r.id AND qo.answered_at IS NULL)";

/// A value bound into a query built at run time.
enum Param {
    Text(String),
    Date(NaiveDate),
    Int(i64),
}

/// One page of the queue (`limit` rows at most, in the sort's order) and whether there are
/// more rows beyond each end of it.
pub async fn queue(
    db: &Db,
    filter: &QueueFilter,
    limit: i64,
) -> Result<(Vec<QueueRow>, bool), StoreError> {
    let mut conditions: Vec<String> = Vec::new();
    let mut params: Vec<Param> = Vec::new();
    let mut with_clause = String::new();
    let next = |p: Param, params: &mut Vec<Param>| {
        params.push(p);
        format!("${}", params.len())
    };
    match filter.status {
        Some(StatusFilter::Status(s)) => {
            let n = next(Param::Text(s.code().into()), &mut params);
            conditions.push(format!("r.status = {n}"));
        }
        Some(StatusFilter::DateChangeWaiting) => conditions.push(DATE_CHANGE_WAITING.into()),
        Some(StatusFilter::ReadyForRetest) => {
            conditions.push("r.retest_asked_at IS NOT NULL".into())
        }
        Some(StatusFilter::SupportAsked) => {
            conditions.push("r.support_asked_at IS NOT NULL".into())
        }
        Some(StatusFilter::QueryOpen) => conditions.push(QUERY_OPEN.into()),
        None => {}
    }
    if let Some(d) = filter.from {
        let n = next(Param::Date(d), &mut params);
        conditions.push(format!("r.connection_date >= {n}"));
    }
    if let Some(d) = filter.to {
        let n = next(Param::Date(d), &mut params);
        conditions.push(format!("r.connection_date <= {n}"));
    }
    if !filter.text.is_empty() {
        let escaped = filter
            .text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let like = next(Param::Text(format!("%{escaped}%")), &mut params);
        let exact = next(Param::Text(filter.text.to_uppercase()), &mut params);
        // The matching schemes first (by their own name or their organisation's), worked out
        // once, then their requests through the scheme index: a search that matches little or
        // nothing costs one pass over the names, not a walk of every request in date order.
        // SQLite's LIKE already ignores case as its lower() does (ASCII letters), so it compares
        // the names as they are; Postgres compares lower(name), which its trigram indexes cover.
        let name = |table: &str| match db.backend() {
            super::Backend::Sqlite => format!("{table}.name"),
            super::Backend::Postgres => format!("lower({table}.name)"),
        };
        let (scheme_name, organisation_name) = (name("ms"), name("mo"));
        with_clause = format!(
            "WITH matching(id) AS MATERIALIZED (\
             SELECT ms.id FROM schemes ms WHERE {scheme_name} LIKE {like} ESCAPE '\\' \
             UNION SELECT os.id FROM schemes os WHERE os.organisation_id IN \
             (SELECT mo.id FROM organisations mo WHERE {organisation_name} LIKE {like} ESCAPE '\\')) "
        );
        conditions.push(format!(
            "(r.scheme_id IN (SELECT id FROM matching) OR r.reference = {exact})"
        ));
    }
    // Keyset: the page starts after (or ends before) the cursor in the sort's order. Going
    // backwards runs the order the other way and the rows are reversed afterwards.
    let backwards = matches!(filter.page, Some(Direction::Before(_)));
    let ascending = matches!(filter.sort, Sort::ConnectionDate) != backwards;
    if let Some(Direction::After(c) | Direction::Before(c)) = filter.page {
        let op = if ascending { ">" } else { "<" };
        match filter.sort {
            Sort::Newest => {
                let n = next(Param::Int(c.id), &mut params);
                conditions.push(format!("r.id {op} {n}"));
            }
            _ => {
                let d = next(Param::Date(c.connection_date), &mut params);
                let i = next(Param::Int(c.id), &mut params);
                // A row-value comparison: both databases walk the (connection_date, id) index
                // from the cursor instead of filtering.
                conditions.push(format!("(r.connection_date, r.id) {op} ({d}, {i})"));
            }
        }
    }
    let dir = if ascending { "ASC" } else { "DESC" };
    let order = match filter.sort {
        Sort::Newest => format!("r.id {dir}"),
        _ => format!("r.connection_date {dir}, r.id {dir}"),
    };
    // The limit is written into the statement, not bound: Postgres plans a statement with a
    // bound limit afresh on every call (its generic plan cannot know how few rows are wanted),
    // and planning cost more than running the query.
    let limit = limit.clamp(0, 1000);
    let lim = limit + 1;
    let where_clause = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let sql = format!(
        "{with_clause}SELECT r.id, r.reference, r.organisation_id, o.name AS organisation_name, s.name AS scheme_name, \
         r.status, r.connection_date, r.go_live_date, r.created_at, \
         {DATE_CHANGE_WAITING} AS date_change_waiting, \
         r.retest_asked_at IS NOT NULL AS retest_asked, r.retest_asked_at, r.support_asked_at IS NOT NULL AS support_asked, \
         {QUERY_OPEN} AS query_open \
         FROM oat_requests r JOIN schemes s ON s.id = r.scheme_id \
         JOIN organisations o ON o.id = r.organisation_id \
         {where_clause} ORDER BY {order} LIMIT {lim}"
    );
    let mut rows: Vec<QueueRow> = on_db!(db, pool => {
        let mut q = sqlx::query_as(&sql);
        for p in &params {
            q = match p {
                Param::Text(t) => q.bind(t.as_str()),
                Param::Date(d) => q.bind(*d),
                Param::Int(i) => q.bind(*i),
            };
        }
        q.fetch_all(pool).await
    })?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    if backwards {
        rows.reverse();
    }
    Ok((rows, more))
}

/// A booking on the way, as the store keeps it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct UpcomingRow {
    pub id: i64,
    pub reference: Option<String>,
    pub organisation_name: String,
    pub scheme_name: String,
    #[sqlx(try_from = "String")]
    pub status: RequestStatus,
    pub test_at: Option<DateTime<Utc>>,
    pub test_round: i32,
    pub go_live_date: Option<NaiveDate>,
}

/// Tests booked from `from` (inclusive) to `to` (exclusive), and go-live dates confirmed from
/// `from_date` to `to_date` (exclusive), across organisations: the requests whose status holds
/// such a booking now, at most `limit`.
pub async fn upcoming(
    db: &Db,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    (from_date, to_date): (NaiveDate, NaiveDate),
    limit: i64,
) -> Result<Vec<UpcomingRow>, StoreError> {
    const SQL: &str =
        "SELECT r.id, r.reference, o.name AS organisation_name, s.name AS scheme_name, \
         r.status, r.test_at, r.test_round, r.go_live_date \
         FROM oat_requests r JOIN schemes s ON s.id = r.scheme_id \
         JOIN organisations o ON o.id = r.organisation_id \
         WHERE (r.status = 'test_scheduled' AND r.test_at >= $1 AND r.test_at < $2) \
         OR (r.status = 'go_live_confirmed' AND r.go_live_date >= $3 AND r.go_live_date < $4) \
         ORDER BY r.id LIMIT $5";
    Ok(on_db!(db, pool => sqlx::query_as(SQL)
        .bind(from)
        .bind(to)
        .bind(from_date)
        .bind(to_date)
        .bind(limit)
        .fetch_all(pool)
        .await)?)
}

/// How many requests are in each status, and how many wait for staff in each other way.
pub async fn counts(db: &Db) -> Result<(Vec<(String, i64)>, Vec<(StatusFilter, i64)>), StoreError> {
    const BY_STATUS: &str = "SELECT status, COUNT(*) AS n FROM oat_requests GROUP BY status";
    const WAITING: &str = "SELECT \
         (SELECT COUNT(*) FROM oat_requests WHERE retest_asked_at IS NOT NULL), \
         (SELECT COUNT(*) FROM oat_requests WHERE support_asked_at IS NOT NULL), \
         (SELECT COUNT(DISTINCT request_id) FROM queries WHERE answered_at IS NULL AND request_id IS NOT NULL), \
         (SELECT COUNT(*) FROM date_change_requests WHERE status = 'pending')";
    let by_status: Vec<(String, i64)> =
        on_db!(db, pool => sqlx::query_as(BY_STATUS).fetch_all(pool).await)?;
    let (retest, support, queries, dates): (i64, i64, i64, i64) =
        on_db!(db, pool => sqlx::query_as(WAITING).fetch_one(pool).await)?;
    let waiting = StatusFilter::WAITING
        .into_iter()
        .zip([retest, support, queries, dates])
        .collect();
    Ok((by_status, waiting))
}

/// A request as staff see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct StaffRequest {
    pub id: i64,
    pub reference: Option<String>,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub technical_connection_on: Option<NaiveDate>,
    pub scheme_id: i64,
    pub scheme_name: String,
    pub submitted_by: i64,
    pub submitted_by_name: String,
    pub submitted_by_email: String,
    pub crypto_deployed: bool,
    pub connection_ready: bool,
    pub ready_for_live: bool,
    pub connection_date: NaiveDate,
    #[sqlx(try_from = "String")]
    pub status: RequestStatus,
    pub go_live_date: Option<NaiveDate>,
    pub go_live_reason: String,
    pub test_at: Option<DateTime<Utc>>,
    pub test_note: String,
    pub failure_reason: String,
    pub support_at: Option<DateTime<Utc>>,
    pub support_join: String,
    pub retest_of: Option<i64>,
    pub retest_of_reference: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    /// Which round of testing the request is in (1 until a re-test is booked).
    pub test_round: i32,
    /// When the service manager said they are ready for a re-test (cleared once it is booked).
    pub retest_asked_at: Option<DateTime<Utc>>,
    pub retest_note: String,
    /// When the service manager asked for a support session (cleared once one is booked).
    pub support_asked_at: Option<DateTime<Utc>>,
    pub support_request: String,
    pub withdrawn_reason: String,
    /// A later request for the same scheme exists (a re-test sent as a new request, as the
    /// portal once did): this one takes no more actions.
    pub superseded: bool,
}

const STAFF_REQUEST_SQL: &str = "SELECT r.id, r.reference, r.organisation_id, o.name AS organisation_name, \
     o.technical_connection_on, r.scheme_id, s.name AS scheme_name, r.submitted_by, \
     u.name AS submitted_by_name, u.email AS submitted_by_email, r.crypto_deployed, r.connection_ready, \
     r.ready_for_live, r.connection_date, r.status, r.go_live_date, r.go_live_reason, r.test_at, r.test_note, \
     r.failure_reason, r.support_at, r.support_join, r.retest_of, p.reference AS retest_of_reference, \
     r.version, r.created_at, r.test_round, r.retest_asked_at, r.retest_note, r.support_asked_at, \
     r.support_request, r.withdrawn_reason, \
     EXISTS (SELECT 1 FROM oat_requests n WHERE n.scheme_id = r.scheme_id AND n.id > r.id) AS superseded \
     FROM oat_requests r JOIN schemes s ON s.id = r.scheme_id \
     JOIN organisations o ON o.id = r.organisation_id JOIN users u ON u.id = r.submitted_by \
     LEFT JOIN oat_requests p ON p.id = r.retest_of";

/// Any request (staff see every organisation's).
pub async fn get(db: &Db, id: i64) -> Result<Option<StaffRequest>, StoreError> {
    let sql = format!("{STAFF_REQUEST_SQL} WHERE r.id = $1");
    Ok(on_db!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?)
}

/// A request, only if it belongs to the organisation.
pub async fn get_in_organisation(
    db: &Db,
    organisation_id: i64,
    id: i64,
) -> Result<Option<StaffRequest>, StoreError> {
    let sql = format!("{STAFF_REQUEST_SQL} WHERE r.id = $1 AND r.organisation_id = $2");
    Ok(
        on_db!(db, pool => sqlx::query_as(&sql).bind(id).bind(organisation_id).fetch_optional(pool).await)?,
    )
}

/// `status IN ('a', 'b')` for statuses known at compile time (never user input).
fn status_in(from: &[RequestStatus]) -> String {
    let list: Vec<String> = from.iter().map(|s| format!("'{}'", s.code())).collect();
    format!("status IN ({})", list.join(", "))
}

/// What an action changes besides the status.
pub enum Change<'a> {
    /// Books or moves the test; booking after a failure starts the next round.
    ScheduleTest {
        at: DateTime<Utc>,
        note: &'a str,
    },
    Pass,
    /// A failed test; a support session offered with it replaces any asked for.
    Failure {
        reason: &'a str,
        support_at: Option<DateTime<Utc>>,
        support_join: &'a str,
    },
    /// A go-live date confirmed, or moved.
    GoLive {
        date: NaiveDate,
        reason: &'a str,
    },
    /// An approved change of connection date (and of the go-live date, once confirmed).
    ConnectionDate(NaiveDate),
    Live,
    /// The service manager is ready for a re-test.
    RetestAsked {
        note: &'a str,
    },
    /// The service manager asks for a support session.
    SupportAsked {
        request: &'a str,
    },
    /// Staff book a support session.
    Support {
        at: DateTime<Utc>,
        join: &'a str,
    },
    Withdraw {
        reason: &'a str,
    },
}

/// Applies an action if the request is still at `version` and in one of `from`; false (and
/// nothing changed) otherwise. Every `SET` reads the row as it was before the update.
pub async fn apply(
    tx: &mut Tx,
    id: i64,
    version: i32,
    from: &[RequestStatus],
    to: RequestStatus,
    change: Change<'_>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let guard = format!("WHERE id = $1 AND version = $2 AND {}", status_in(from));
    let head = "UPDATE oat_requests SET status = $3, updated_at = $4, version = version + 1";
    macro_rules! run {
        ($set:expr $(, $bind:expr)*) => {{
            let sql = format!("{head}{} {guard}", $set);
            on_tx!(tx, conn => sqlx::query(&sql).bind(id).bind(version).bind(to.code()).bind(now)
                $(.bind($bind))*.execute(&mut **conn).await.map(|r| r.rows_affected()))?
        }};
    }
    let n = match change {
        Change::ScheduleTest { at, note } => run!(
            ", test_at = $5, test_note = $6, retest_asked_at = NULL, \
             test_round = test_round + CASE WHEN status = 'failed' THEN 1 ELSE 0 END",
            at,
            note
        ),
        Change::Pass | Change::Live => run!(""),
        Change::Failure {
            reason,
            support_at,
            support_join,
        } => run!(
            ", failure_reason = $5, support_at = COALESCE($6, support_at), \
             support_join = CASE WHEN $6 IS NULL THEN support_join ELSE $7 END, \
             support_asked_at = CASE WHEN $6 IS NULL THEN support_asked_at ELSE NULL END",
            reason,
            support_at,
            support_join
        ),
        Change::GoLive { date, reason } => {
            run!(", go_live_date = $5, go_live_reason = $6", date, reason)
        }
        Change::ConnectionDate(date) => run!(
            ", connection_date = $5, \
             go_live_date = CASE WHEN go_live_date IS NULL THEN NULL ELSE $5 END",
            date
        ),
        Change::RetestAsked { note } => {
            run!(", retest_asked_at = $4, retest_note = $5", note)
        }
        Change::SupportAsked { request } => {
            run!(", support_asked_at = $4, support_request = $5", request)
        }
        Change::Support { at, join } => run!(
            ", support_at = $5, support_join = $6, support_asked_at = NULL",
            at,
            join
        ),
        Change::Withdraw { reason } => {
            let n = run!(
                ", withdrawn_reason = $5, retest_asked_at = NULL, support_asked_at = NULL",
                reason
            );
            if n == 1 {
                // A change of date asked for on a withdrawn request no longer waits for anyone.
                const CLOSE: &str = "UPDATE date_change_requests SET status = 'rejected', \
                     decided_at = $2, decision_reason = 'The request was withdrawn' \
                     WHERE request_id = $1 AND status = 'pending'";
                on_tx!(tx, conn => sqlx::query(CLOSE).bind(id).bind(now)
                    .execute(&mut **conn).await.map(|_| ()))?;
            }
            n
        }
    };
    Ok(n == 1)
}

/// Sets a scheme's status and go-live date to go with its request's.
pub async fn sync_scheme(
    tx: &mut Tx,
    scheme_id: i64,
    status: SchemeStatus,
    go_live_on: Option<NaiveDate>,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE schemes SET status = $1, go_live_on = $2 WHERE id = $3";
    on_tx!(tx, conn => sqlx::query(SQL).bind(status.code()).bind(go_live_on).bind(scheme_id)
        .execute(&mut **conn).await.map(|_| ()))?;
    Ok(())
}

/// A change of connection date asked for by a service manager.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct DateChange {
    pub id: i64,
    pub request_id: i64,
    pub requested_by_name: String,
    pub new_date: NaiveDate,
    pub reason: String,
    pub status: String,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: String,
    pub created_at: DateTime<Utc>,
}

const DATE_CHANGE_SQL: &str =
    "SELECT c.id, c.request_id, u.name AS requested_by_name, c.new_date, c.reason, \
     c.status, d.name AS decided_by_name, c.decided_at, c.decision_reason, c.created_at \
     FROM date_change_requests c JOIN users u ON u.id = c.requested_by \
     LEFT JOIN users d ON d.id = c.decided_by";

/// Every date change asked for on a request, oldest first.
pub async fn date_changes(db: &Db, request_id: i64) -> Result<Vec<DateChange>, StoreError> {
    let sql = format!("{DATE_CHANGE_SQL} WHERE c.request_id = $1 ORDER BY c.id");
    Ok(on_db!(db, pool => sqlx::query_as(&sql).bind(request_id).fetch_all(pool).await)?)
}

/// Records a change of date asked for; [`StoreError::Duplicate`] while another is waiting.
pub async fn ask_date_change(
    tx: &mut Tx,
    request_id: i64,
    user_id: i64,
    new_date: NaiveDate,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    const SQL: &str = "INSERT INTO date_change_requests (request_id, requested_by, new_date, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id";
    on_tx!(tx, conn => sqlx::query_scalar(SQL).bind(request_id).bind(user_id).bind(new_date)
        .bind(reason).bind(now).fetch_one(&mut **conn).await)
    .map_err(|e| StoreError::on_unique(e, "date change waiting for a decision"))
}

/// Decides a waiting change of date; false when it was no longer waiting.
pub async fn decide_date_change(
    tx: &mut Tx,
    id: i64,
    approved: bool,
    by: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    const SQL: &str =
        "UPDATE date_change_requests SET status = $1, decided_by = $2, decided_at = $3, \
         decision_reason = $4 WHERE id = $5 AND status = 'pending'";
    let status = if approved { "approved" } else { "rejected" };
    let n = on_tx!(tx, conn => sqlx::query(SQL).bind(status).bind(by).bind(now).bind(reason).bind(id)
        .execute(&mut **conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Active programme staff: who hears of withdrawals and queries.
pub async fn staff_emails(db: &Db) -> Result<Vec<(String, String)>, StoreError> {
    const SQL: &str = "SELECT u.name, u.email FROM users u JOIN user_roles r ON r.user_id = u.id \
         WHERE u.organisation_id IS NULL AND u.active AND r.role = 'programme_staff' ORDER BY u.id";
    Ok(on_db!(db, pool => sqlx::query_as(SQL).fetch_all(pool).await)?)
}

/// Active service managers of an organisation: who OAT emails go to.
pub async fn service_manager_emails(
    db: &Db,
    organisation_id: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    const SQL: &str = "SELECT u.name, u.email FROM users u JOIN user_roles r ON r.user_id = u.id \
         WHERE u.organisation_id = $1 AND u.active AND r.role = 'service_manager' ORDER BY u.id";
    Ok(on_db!(db, pool => sqlx::query_as(SQL).bind(organisation_id).fetch_all(pool).await)?)
}

/// An email sent (or waiting to be sent) about a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct EmailSent {
    pub created_at: DateTime<Utc>,
    pub recipient: String,
    pub subject: String,
    pub status: String,
}

/// The idempotency key of an email about a request: `oat:42:passed:manager@example.org`.
pub fn email_key(request_id: i64, what: &str, recipient: &str) -> String {
    format!(
        "{}:{what}:{}",
        email_prefix(request_id),
        recipient.to_lowercase()
    )
}

/// What every email key about a request starts with: the staff page lists them by it.
pub fn email_prefix(request_id: i64) -> String {
    format!("oat:{request_id}")
}

pub async fn emails_for(db: &Db, request_id: i64) -> Result<Vec<EmailSent>, StoreError> {
    const SQL: &str = "SELECT created_at, recipient, subject, status FROM outbox \
         WHERE idempotency_key = $1 OR idempotency_key LIKE $2 ORDER BY id";
    Ok(on_db!(db, pool => sqlx::query_as(SQL)
        .bind(format!("oat-requested:{request_id}"))
        .bind(format!("oat:{request_id}:%"))
        .fetch_all(pool).await)?)
}

/// A scheme whose confirmed go-live date has come, with its request.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DueToGoLive {
    pub scheme_id: i64,
    pub organisation_id: i64,
    pub scheme_name: String,
    pub go_live_on: NaiveDate,
    pub request_id: Option<i64>,
    pub request_version: Option<i32>,
    pub request_reference: Option<String>,
}

/// Schemes confirmed to go live on or before `today` and not yet live, oldest date first.
pub async fn due_to_go_live(
    db: &Db,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<DueToGoLive>, StoreError> {
    const SQL: &str = "SELECT s.id AS scheme_id, s.organisation_id, s.name AS scheme_name, s.go_live_on, \
         r.id AS request_id, r.version AS request_version, r.reference AS request_reference \
         FROM schemes s LEFT JOIN oat_requests r ON r.scheme_id = s.id AND r.status = 'go_live_confirmed' \
         WHERE s.status = 'go_live_confirmed' AND s.go_live_on IS NOT NULL AND s.go_live_on <= $1 \
         ORDER BY s.go_live_on, s.id LIMIT $2";
    Ok(on_db!(db, pool => sqlx::query_as(SQL).bind(today).bind(limit).fetch_all(pool).await)?)
}

/// Makes a scheme live if it is still waiting to; false when something else got there first.
pub async fn scheme_goes_live(tx: &mut Tx, scheme_id: i64) -> Result<bool, StoreError> {
    const SQL: &str =
        "UPDATE schemes SET status = 'live' WHERE id = $1 AND status = 'go_live_confirmed'";
    let n = on_tx!(tx, conn => sqlx::query(SQL).bind(scheme_id).execute(&mut **conn).await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
