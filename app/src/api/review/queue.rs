//! The staff queue and a request's page for staff (programme staff only).

use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::DateChangeView;
use crate::api::oat::TimelineEntry;
use crate::domain::status::RequestStatus;
use crate::error::AppError;

/// A row of the staff queue, ready to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueItem {
    pub id: i64,
    pub reference: String,
    pub organisation: String,
    pub scheme: String,
    pub status: RequestStatus,
    pub connection_date: NaiveDate,
    pub go_live_date: Option<NaiveDate>,
    /// "Due in 3 days", "Overdue by 2 days": requests that have not passed and are near or past
    /// their date.
    pub urgency: Option<String>,
    /// What waits for staff besides the status: "Ready for re-test", "Open query" and so on.
    pub waiting: Vec<String>,
    /// How long it has waited for staff: "Waiting 3 days since sent".
    pub waited: Option<String>,
}

/// One page of the queue, with the filters as understood and links to the pages either side.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueuePage {
    pub items: Vec<QueueItem>,
    /// Status code, label, count; then each other thing staff wait on ("ready_for_retest", ...).
    pub counts: Vec<(String, String, i64)>,
    pub total: i64,
    /// The query string of the filters (no page), for links and the CSV download.
    pub filter_query: String,
    pub status: String,
    pub from: String,
    pub to: String,
    pub q: String,
    pub sort: String,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub errors: Vec<(String, String)>,
}

pub const QUEUE_PAGE_SIZE: i64 = 25;

/// An email about a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailLine {
    pub when: String,
    pub recipient: String,
    pub subject: String,
    pub status: String,
}

/// Everything staff see about a request, and what they may do to it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffRequestView {
    pub id: i64,
    pub reference: String,
    pub organisation_id: i64,
    pub organisation: String,
    pub technical_connection_on: Option<NaiveDate>,
    pub scheme: String,
    pub submitted_by: String,
    pub submitted_by_email: String,
    pub submitted_on: String,
    pub answers: Vec<(String, String)>,
    pub connection_date: NaiveDate,
    pub urgency: Option<String>,
    pub status: RequestStatus,
    pub go_live_date: Option<NaiveDate>,
    pub go_live_reason: String,
    pub test_at: Option<String>,
    /// Calendar files for what is booked: a link's words and the file's name.
    pub calendar_files: Vec<(String, String)>,
    pub test_date: String,
    pub test_time: String,
    pub test_note: String,
    pub failure_reason: String,
    pub support_at: Option<String>,
    pub support_join: String,
    pub retest_of: Option<(i64, String)>,
    pub version: i32,
    /// The round of testing (1 until a re-test is booked).
    pub test_round: i32,
    /// When the service manager said they are ready for a re-test, and their note.
    pub retest_asked: Option<(String, String)>,
    /// When the service manager asked for a support session, and what they need.
    pub support_asked: Option<(String, String)>,
    pub withdrawn_reason: String,
    pub queries: Vec<crate::api::queries::QueryView>,
    pub timeline: Vec<TimelineEntry>,
    pub emails: Vec<EmailLine>,
    pub date_changes: Vec<DateChangeView>,
    pub pending_change: Option<DateChangeView>,
    /// Action codes allowed now: schedule, outcome, go-live, move-go-live, support, date-change.
    pub allowed: Vec<String>,
    /// The earliest and latest go-live dates staff may confirm other than the requested one.
    pub earliest_go_live: NaiveDate,
    pub latest_go_live: NaiveDate,
    /// The official connectivity test runs on this request, newest first.
    pub runs: Vec<crate::api::connectivity::RunSummary>,
    /// The organisation's latest readiness checks of its endpoint, if any were run.
    pub readiness: Option<crate::api::connectivity::RunSummary>,
}

/// The queue of OAT requests (programme staff): filters, sort, keyset pages, counts.
#[server(prefix = "/api", endpoint = "staff/queue")]
pub async fn staff_queue(
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    after: Option<String>,
    before: Option<String>,
) -> Result<QueuePage, AppError> {
    use super::ssr::*;
    use crate::domain::review::{Cursor, Direction, Sort, MAX_SEARCH_LEN};
    require_staff()?;
    let services = services()?;
    let cap = |s: Option<String>| {
        let s = s.unwrap_or_default();
        // Anything far longer than a filter can be is cut before it is looked at.
        s.chars().take(MAX_SEARCH_LEN * 4).collect::<String>()
    };
    let query = QueueQuery {
        status: cap(status),
        from: cap(from),
        to: cap(to),
        q: cap(q),
        sort: cap(sort),
        after: cap(after),
        before: cap(before),
    };
    let (filter, errors) = QueueFilter::parse(&query);
    let (rows, more) = review::queue(&services.db, &filter, QUEUE_PAGE_SIZE)
        .await
        .context("listing requests")?;
    let (by_status, waiting) = services.queue_counts().await.context("counting requests")?;
    let now = services.clock.now();
    let today = london_today(now);
    let key = |r: &review::QueueRow| Cursor {
        connection_date: r.connection_date,
        id: r.id,
    };
    let filter_query = filter.query_string();
    let link = |dir: &str, c: Cursor| {
        let sep = if filter_query.is_empty() { "" } else { "&" };
        format!("/staff?{filter_query}{sep}{dir}={}", c.encode())
    };
    // There is a previous page when this one was reached by paging forward (or backward with
    // more rows before it); a next page when there are more rows after it.
    let (has_previous, has_next) = match filter.page {
        None => (false, more),
        Some(Direction::After(_)) => (true, more),
        Some(Direction::Before(_)) => (more, true),
    };
    let previous = rows
        .first()
        .filter(|_| has_previous)
        .map(|r| link("before", key(r)));
    let next = rows
        .last()
        .filter(|_| has_next)
        .map(|r| link("after", key(r)));
    let mut counts: Vec<(String, String, i64)> = RequestStatus::ALL
        .into_iter()
        .map(|s| {
            let n = by_status
                .iter()
                .find(|(code, _)| code == s.code())
                .map(|(_, n)| *n)
                .unwrap_or(0);
            (s.code().to_string(), s.label().to_string(), n)
        })
        .collect();
    let total = counts.iter().map(|(_, _, n)| n).sum();
    counts.extend(
        waiting
            .into_iter()
            .map(|(f, n)| (f.code().to_string(), f.label().to_string(), n)),
    );
    let items = rows
        .into_iter()
        .map(|r| QueueItem {
            waiting: [
                (r.retest_asked, StatusFilter::ReadyForRetest),
                (r.support_asked, StatusFilter::SupportAsked),
                (r.query_open, StatusFilter::QueryOpen),
                (r.date_change_waiting, StatusFilter::DateChangeWaiting),
            ]
            .into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, f)| f.label().to_string())
            .collect(),
            urgency: urgency(r.status, r.connection_date, today).words(),
            waited: crate::domain::upcoming::waiting(
                r.status,
                r.created_at,
                r.retest_asked_at,
                now,
            )
            .map(|(_, words)| words),
            id: r.id,
            reference: r.reference.unwrap_or_default(),
            organisation: r.organisation_name,
            scheme: r.scheme_name,
            status: r.status,
            connection_date: r.connection_date,
            go_live_date: r.go_live_date,
        })
        .collect();
    Ok(QueuePage {
        items,
        counts,
        total,
        filter_query,
        status: filter
            .status
            .map(|s| s.code().to_string())
            .unwrap_or_default(),
        from: filter.from.map(|d| d.to_string()).unwrap_or_default(),
        to: filter.to.map(|d| d.to_string()).unwrap_or_default(),
        q: filter.text.clone(),
        sort: if filter.sort == Sort::default() {
            String::new()
        } else {
            filter.sort.code().to_string()
        },
        previous,
        next,
        errors: errors
            .into_iter()
            .map(|e| (e.field.to_string(), e.message))
            .collect(),
    })
}

/// A request with everything staff need (programme staff).
#[server(prefix = "/api", endpoint = "staff/request")]
pub async fn staff_request(id: String) -> Result<StaffRequestView, AppError> {
    use super::ssr::*;
    require_staff()?;
    let services = services()?;
    let r = load(&services, parse_id(&id)?).await?;
    let status = r.status;
    let events = oat::events(&services.db, r.id)
        .await
        .context("loading the timeline")?;
    let emails = review::emails_for(&services.db, r.id)
        .await
        .context("loading emails")?;
    let changes = review::date_changes(&services.db, r.id)
        .await
        .context("loading date changes")?;
    let runs = crate::store::connectivity::for_request(&services.db, r.id, 20)
        .await
        .context("loading connectivity runs")?;
    let readiness = crate::store::connectivity::recent(
        &services.db,
        r.organisation_id,
        crate::store::connectivity::RunKind::Readiness,
        1,
    )
    .await
    .context("loading readiness checks")?
    .into_iter()
    .next()
    .map(crate::api::connectivity::ssr::summary);
    let now = services.clock.now();
    let today = london_today(now);
    let rule = DateRule::new(today, r.technical_connection_on);
    let changes: Vec<DateChangeView> = changes.into_iter().map(super::date_change_view).collect();
    let pending_change = changes.iter().find(|c| c.status == "pending").cloned();
    let available = |a: Action| a.available(status, r.superseded);
    let allowed = [
        ("schedule", available(Action::ScheduleTest)),
        ("outcome", available(Action::RecordPass)),
        ("go-live", available(Action::ConfirmGoLive)),
        ("move-go-live", available(Action::MoveGoLive)),
        // A session is offered with a failure, or booked when the organisation asks for one.
        (
            "support",
            available(Action::ArrangeSupport)
                && (status == RequestStatus::Failed || r.support_asked_at.is_some()),
        ),
        (
            "date-change",
            pending_change.is_some() && available(Action::ChangeDate),
        ),
    ]
    .into_iter()
    .filter(|(_, ok)| *ok)
    .map(|(code, _)| code.to_string())
    .collect();
    let raised = crate::store::queries::for_request(&services.db, r.id)
        .await
        .context("loading queries")?;
    let local_test = r
        .test_at
        .map(|t| t.with_timezone(&chrono_tz::Europe::London).naive_local());
    Ok(StaffRequestView {
        id: r.id,
        reference: r.reference.clone().unwrap_or_default(),
        organisation_id: r.organisation_id,
        organisation: r.organisation_name.clone(),
        technical_connection_on: r.technical_connection_on,
        scheme: r.scheme_name.clone(),
        submitted_by: r.submitted_by_name.clone(),
        submitted_by_email: r.submitted_by_email.clone(),
        submitted_on: london_long(r.created_at),
        answers: crate::domain::oat::Question::ALL
            .into_iter()
            .zip([r.crypto_deployed, r.connection_ready, r.ready_for_live])
            .map(|(q, a)| {
                (
                    q.text().to_string(),
                    if a { "Yes" } else { "No" }.to_string(),
                )
            })
            .collect(),
        connection_date: r.connection_date,
        urgency: urgency(status, r.connection_date, today).words(),
        status: r.status,
        go_live_date: r.go_live_date,
        go_live_reason: r.go_live_reason.clone(),
        test_at: r.test_at.map(london_long),
        calendar_files: super::calendar::files_of(&r),
        test_date: local_test.map(|t| t.date().to_string()).unwrap_or_default(),
        test_time: local_test
            .map(|t| t.time().format("%H:%M").to_string())
            .unwrap_or_default(),
        test_note: r.test_note.clone(),
        failure_reason: r.failure_reason.clone(),
        support_at: r.support_at.map(london_long),
        support_join: r.support_join.clone(),
        retest_of: r
            .retest_of
            .map(|id| (id, r.retest_of_reference.clone().unwrap_or_default())),
        version: r.version,
        test_round: r.test_round,
        retest_asked: asked(r.retest_asked_at, &r.retest_note),
        support_asked: asked(r.support_asked_at, &r.support_request),
        withdrawn_reason: r.withdrawn_reason.clone(),
        queries: raised
            .into_iter()
            .map(crate::api::queries::ssr::view)
            .collect(),
        timeline: timeline(events, &runs),
        emails: emails
            .into_iter()
            .map(|e| EmailLine {
                when: london_long(e.created_at),
                recipient: e.recipient,
                subject: e.subject,
                status: e.status,
            })
            .collect(),
        date_changes: changes,
        pending_change,
        allowed,
        earliest_go_live: rule.earliest,
        latest_go_live: rule.latest,
        runs: runs
            .into_iter()
            .map(crate::api::connectivity::ssr::summary)
            .collect(),
        readiness,
    })
}
