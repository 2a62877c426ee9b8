//! Programme staff's review of OAT requests (the queue, a request, and the actions on it), and
//! the service manager's request to change a connection date. Each action is one transaction:
//! the request's new state, its timeline entry, the scheme's status, the audit row and the
//! emails. Each names the version of the request the user saw; if it has changed since, nothing
//! is applied and the user is shown its current state.

use chrono::NaiveDate;
use leptos::prelude::*;

use crate::error::AppError;
use serde::{Deserialize, Serialize};

use super::oat::TimelineEntry;
use crate::domain::status::RequestStatus;

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
    pub date_change_waiting: bool,
}

/// One page of the queue, with the filters as understood and links to the pages either side.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueuePage {
    pub items: Vec<QueueItem>,
    /// Status code, label, count; then "date_change" with the number waiting.
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

/// A change of connection date, as shown on a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DateChangeView {
    pub id: i64,
    pub new_date: NaiveDate,
    pub reason: String,
    pub requested_by: String,
    pub requested_on: String,
    pub status: String,
    pub decided_by: Option<String>,
    pub decision_reason: String,
}

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
    pub test_date: String,
    pub test_time: String,
    pub test_note: String,
    pub failure_reason: String,
    pub support_at: Option<String>,
    pub support_join: String,
    pub retest_of: Option<(i64, String)>,
    pub version: i32,
    pub timeline: Vec<TimelineEntry>,
    pub emails: Vec<EmailLine>,
    pub date_changes: Vec<DateChangeView>,
    pub pending_change: Option<DateChangeView>,
    /// Action codes allowed now: schedule, outcome, go-live, date-change.
    pub allowed: Vec<String>,
    /// The earliest and latest go-live dates staff may confirm other than the requested one.
    pub earliest_go_live: NaiveDate,
    pub latest_go_live: NaiveDate,
    /// The official connectivity test runs on this request, newest first.
    pub runs: Vec<super::connectivity::RunSummary>,
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    pub use crate::error::{AppError, Context};
    pub use crate::{
        api::{
            admin::ssr::{event, session},
            oat::ssr::timeline,
        },
        auth::{require_organisation_role, require_staff, services, CurrentUser},
        clock::{london_long, london_to_utc, london_today},
        domain::{
            oat::{long_date, parse_iso_date, DateRule},
            review::{
                parse_date_time, parse_text, urgency, Action, GoLiveChoice, QueueFilter,
                QueueQuery, RequestStatus, StatusFilter,
            },
            Role,
        },
        emails::Letter,
        forms::FormState,
        services::Services,
        store::{
            audit::{self, AuditAction},
            oat, outbox,
            review::{self, Change, StaffRequest},
            Tx,
        },
    };

    /// Writes an action's email for one recipient (by name).
    pub type LetterFor<'a> = &'a (dyn Fn(&str) -> Letter + Sync);

    pub use crate::domain::review::{date_message, MAX_TEXT};

    pub fn parse_id(raw: &str) -> Result<i64, AppError> {
        raw.trim()
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(AppError::not_found)
    }

    pub fn parse_version(raw: &str) -> Result<i32, AppError> {
        raw.trim().parse::<i32>().map_err(|_| {
            AppError::invalid("That form was not complete: reload the page and try again")
        })
    }

    pub async fn load(services: &Services, id: i64) -> Result<StaffRequest, AppError> {
        review::get(&services.db, id)
            .await
            .context("loading a request")?
            .ok_or_else(AppError::not_found)
    }

    /// The request page for staff, where every action returns to.
    pub fn page_of(id: i64) -> String {
        format!("/staff/requests/{id}")
    }

    /// Post/redirect/get back to a form with what was typed and what was wrong.
    pub async fn back_to_form(form: &str, state: &FormState, page: &str) -> Result<(), AppError> {
        session()
            .await?
            .back_to_form(form, state, page)
            .await
            .context("session")
    }

    /// Sends the user back to the action's form with a message: the request changed (another
    /// member of staff acted first) or the action is not available in its state now. The
    /// request is read again, so the message names its state as it is now.
    pub async fn changed_under_us(
        services: &Services,
        id: i64,
        form: &str,
        page: &str,
    ) -> Result<(), AppError> {
        let current = review::get(&services.db, id).await.ok().flatten();
        let now = current
            .map(|r| format!(": it is now {}", r.status.label()))
            .unwrap_or_default();
        let state = FormState::default().with_error(
            "request",
            format!(
                "This request has changed since you opened this page{now}. Nothing was applied. Check its current state and try again if you still need to."
            ),
        );
        back_to_form(form, &state, page).await
    }

    /// One staff action: what it changes and what it writes about the change.
    pub struct Step<'a> {
        pub action: Action,
        pub change: Change<'a>,
        /// The scheme's go-live date afterwards.
        pub go_live: Option<chrono::NaiveDate>,
        /// The action's form (`/staff/requests/{id}/{form}`), where a stale attempt returns.
        pub form: &'a str,
        pub audit: AuditAction,
        pub title: &'a str,
        pub detail: &'a str,
        pub email: Option<(&'a str, LetterFor<'a>)>,
    }

    /// Applies a staff action in one transaction: the request's change, only while it is still
    /// at the version the member of staff saw and in a state the action allows; the scheme's
    /// status from the action table; the timeline entry, audit row and emails. `Ok(false)`: the
    /// request changed meanwhile, nothing was applied, and the user is sent back to the form.
    pub async fn apply_action(
        services: &Services,
        staff: &CurrentUser,
        r: &StaffRequest,
        version: i32,
        step: Step<'_>,
    ) -> Result<bool, AppError> {
        let now = services.clock.now();
        let (to, scheme_to) = step.action.next(r.status);
        let mut tx = services.db.begin_write().await.context("begin")?;
        let applied = review::apply(
            &mut tx,
            r.id,
            version,
            step.action.allowed_from(),
            to,
            step.change,
            now,
        )
        .await
        .context(step.title)?;
        if !applied {
            tx.rollback().await;
            let form_page = format!("{}/{}", page_of(r.id), step.form);
            changed_under_us(services, r.id, step.form, &form_page).await?;
            return Ok(false);
        }
        review::sync_scheme(&mut tx, r.scheme_id, scheme_to, step.go_live)
            .await
            .context("scheme status")?;
        record_action(
            &mut tx,
            services,
            staff,
            r,
            step.audit,
            step.title,
            step.detail,
            step.email,
        )
        .await?;
        tx.commit().await.context("commit")?;
        services.forget_queue_counts();
        Ok(true)
    }

    /// The timeline entry, audit row and an email to each of the organisation's service managers
    /// that go with an action, in the action's transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_action(
        tx: &mut Tx,
        services: &Services,
        actor: &CurrentUser,
        r: &StaffRequest,
        action: AuditAction,
        event_title: &str,
        detail: &str,
        email: Option<(&str, LetterFor<'_>)>,
    ) -> Result<(), AppError> {
        let now = services.clock.now();
        oat::add_event(tx, r.id, now, Some(actor.id), event_title, detail)
            .await
            .context("timeline")?;
        let reference = r.reference.clone().unwrap_or_default();
        audit::record(
            tx,
            now,
            &event(
                action,
                actor.id,
                None,
                Some(r.organisation_id),
                format!("{reference}: {detail}"),
            ),
        )
        .await
        .context("audit")?;
        if let Some((what, letter)) = email {
            let recipients = review::service_manager_emails(&services.db, r.organisation_id)
                .await
                .context("finding service managers")?;
            for (name, address) in recipients {
                let mail = letter(&name).to(review::email_key(r.id, what, &address), &address);
                outbox::enqueue(tx, &mail, now)
                    .await
                    .context("queueing an email")?;
            }
        }
        Ok(())
    }

    /// The link to a request in emails.
    pub fn request_link(services: &Services, id: i64) -> String {
        format!("{}/requests/{id}", services.public_origin)
    }
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
    use self::ssr::*;
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
    let today = london_today(services.clock.now());
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
    counts.push((
        StatusFilter::DateChangeWaiting.code().to_string(),
        "Date change waiting".to_string(),
        waiting,
    ));
    let items = rows
        .into_iter()
        .map(|r| QueueItem {
            urgency: urgency(r.status, r.connection_date, today).words(),
            id: r.id,
            reference: r.reference.unwrap_or_default(),
            organisation: r.organisation_name,
            scheme: r.scheme_name,
            status: r.status,
            connection_date: r.connection_date,
            go_live_date: r.go_live_date,
            date_change_waiting: r.date_change_waiting,
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
    use self::ssr::*;
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
    let now = services.clock.now();
    let today = london_today(now);
    let rule = DateRule::new(today, r.technical_connection_on);
    let changes: Vec<DateChangeView> = changes.into_iter().map(date_change_view).collect();
    let pending_change = changes.iter().find(|c| c.status == "pending").cloned();
    let mut allowed = Vec::new();
    if Action::ScheduleTest.allowed(status) {
        allowed.push("schedule".to_string());
    }
    if Action::RecordPass.allowed(status) {
        allowed.push("outcome".to_string());
    }
    if Action::ConfirmGoLive.allowed(status) {
        allowed.push("go-live".to_string());
    }
    if pending_change.is_some() && Action::ChangeDate.allowed(status) {
        allowed.push("date-change".to_string());
    }
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
        timeline: timeline(events),
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
    })
}

#[cfg(feature = "ssr")]
pub(crate) fn date_change_view(c: crate::store::review::DateChange) -> DateChangeView {
    DateChangeView {
        id: c.id,
        new_date: c.new_date,
        reason: c.reason,
        requested_by: c.requested_by_name,
        requested_on: crate::clock::london_long(c.created_at),
        status: c.status,
        decided_by: c.decided_by_name,
        decision_reason: c.decision_reason,
    }
}

/// Books (or moves) the connectivity test: a date and time in the UK and an optional note.
#[server(prefix = "/api", endpoint = "staff/requests/schedule")]
pub async fn schedule_test(
    id: String,
    version: String,
    test_date: Option<String>,
    test_time: Option<String>,
    note: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    let staff = require_staff()?;
    let services = services()?;
    let r = load(&services, parse_id(&id)?).await?;
    let version = parse_version(&version)?;
    let form_page = format!("{}/schedule", page_of(r.id));
    let (date_raw, time_raw, note_raw) = (
        test_date.unwrap_or_default(),
        test_time.unwrap_or_default(),
        note.unwrap_or_default(),
    );
    let mut form = FormState::default()
        .with_value("test_date", date_raw.trim())
        .with_value("test_time", time_raw.trim())
        .with_value("note", note_raw.trim());
    let now = services.clock.now();
    let when = match parse_date_time(&date_raw, &time_raw, "test") {
        Ok(local) => match london_to_utc(local) {
            Some(at) if at > now => Some(at),
            Some(_) => {
                form = form.with_error("test_date", "The test must be in the future");
                None
            }
            None => {
                form = form.with_error(
                    "test_time",
                    "That time does not exist in the UK on that date, because the clocks go forward: enter another time",
                );
                None
            }
        },
        Err(e) => {
            form = form.with_error(&format!("test_{}", e.field), e.message);
            None
        }
    };
    let note = match parse_text(&note_raw, MAX_TEXT, "Note") {
        Ok(n) => n.unwrap_or_default(),
        Err(e) => {
            form = form.with_error("note", e);
            String::new()
        }
    };
    let Some(at) = when.filter(|_| !form.has_errors()) else {
        return back_to_form("schedule", &form, &form_page).await;
    };
    let when_text = london_long(at);
    let link = request_link(&services, r.id);
    let reference = r.reference.clone().unwrap_or_default();
    let letter = |name: &str| {
        Letter::new(
            format!("Your connectivity test is booked ({reference})"),
            name,
        )
        .para(format!(
            "We have booked the connectivity test for {}. It is the last step of operational acceptance testing.",
            r.scheme_name
        ))
        .facts(&[
            ("Reference", reference.clone()),
            ("Test", when_text.clone()),
            ("Note", note.clone()),
        ])
        .para("At that time we will send a synthetic find request to your live find endpoint. Your endpoint must acknowledge it with HTTP 202 Accepted. Make sure your live cryptographic material is deployed and your endpoint is running.")
        .link("Follow your request", link.clone())
    };
    let step = Step {
        action: Action::ScheduleTest,
        change: Change::ScheduleTest { at, note: &note },
        go_live: None,
        form: "schedule",
        audit: AuditAction::OatTestScheduled,
        title: "Connectivity test scheduled",
        detail: &format!("Test booked for {when_text}"),
        email: Some((&format!("test-scheduled-v{version}"), &letter)),
    };
    if !apply_action(&services, &staff, &r, version, step).await? {
        return Ok(());
    }
    tracing::info!(request_id = r.id, "connectivity test scheduled");
    finish(&r, &format!("Connectivity test scheduled for {when_text}")).await
}

#[cfg(feature = "ssr")]
async fn finish(r: &crate::store::review::StaffRequest, message: &str) -> Result<(), AppError> {
    use self::ssr::*;
    session()
        .await?
        .set_flash(message)
        .await
        .context("session")?;
    leptos_axum::redirect(&page_of(r.id));
    Ok(())
}

/// Records the test's outcome. Passed: the request is "Passed" and staff go on to confirm the
/// go-live date. Failed: staff go on to the failure form (nothing changes until it is sent).
#[server(prefix = "/api", endpoint = "staff/requests/outcome")]
pub async fn record_outcome(
    id: String,
    version: String,
    outcome: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    let staff = require_staff()?;
    let services = services()?;
    let r = load(&services, parse_id(&id)?).await?;
    let version = parse_version(&version)?;
    let form_page = format!("{}/outcome", page_of(r.id));
    match outcome.as_deref().map(str::trim) {
        Some("passed") => {}
        Some("failed") => {
            if !Action::RecordFailure.allowed(r.status) || r.version != version {
                return changed_under_us(&services, r.id, "outcome", &form_page).await;
            }
            leptos_axum::redirect(&format!("{}/failure", page_of(r.id)));
            return Ok(());
        }
        _ => {
            let form = FormState::default()
                .with_error("outcome", "Select whether the test passed or failed");
            return back_to_form("outcome", &form, &form_page).await;
        }
    }
    let step = Step {
        action: Action::RecordPass,
        change: Change::Pass,
        go_live: None,
        form: "outcome",
        audit: AuditAction::OatPassed,
        title: "Connectivity test passed",
        detail: "Your endpoint acknowledged the synthetic find request with 202 Accepted",
        email: None,
    };
    if !apply_action(&services, &staff, &r, version, step).await? {
        return Ok(());
    }
    tracing::info!(request_id = r.id, "OAT passed");
    leptos_axum::redirect(&format!("{}/go-live", page_of(r.id)));
    Ok(())
}

/// Confirms the go-live date after a pass: the requested connection date, or another date with
/// a reason (that date obeys the connection date rules).
#[server(prefix = "/api", endpoint = "staff/requests/go-live")]
pub async fn confirm_go_live(
    id: String,
    version: String,
    which: Option<String>,
    other_date: Option<String>,
    reason: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    let staff = require_staff()?;
    let services = services()?;
    let r = load(&services, parse_id(&id)?).await?;
    let version = parse_version(&version)?;
    let form_page = format!("{}/go-live", page_of(r.id));
    let (other_raw, reason_raw) = (other_date.unwrap_or_default(), reason.unwrap_or_default());
    let mut form = FormState::default()
        .with_value("which", which.as_deref().unwrap_or("").trim())
        .with_value("other_date", other_raw.trim())
        .with_value("reason", reason_raw.trim());
    let now = services.clock.now();
    let today = london_today(now);
    let rule = DateRule::new(today, r.technical_connection_on);
    let choice = GoLiveChoice::parse(
        which.as_deref(),
        &other_raw,
        &reason_raw,
        r.connection_date,
        &rule,
        today,
    );
    let GoLiveChoice {
        date,
        reason: reason_text,
    } = match choice {
        Ok(choice) => choice,
        Err(errors) => {
            for (field, message) in errors {
                form = form.with_error(field, message);
            }
            return back_to_form("go-live", &form, &form_page).await;
        }
    };
    let reference = r.reference.clone().unwrap_or_default();
    let link = request_link(&services, r.id);
    let letter = |name: &str| {
        Letter::new(
            format!("Operational acceptance testing passed: go-live date {} ({reference})", long_date(date)),
            name,
        )
        .para(format!(
            "{} has passed operational acceptance testing: your live find endpoint acknowledged our synthetic find request with 202 Accepted.",
            r.scheme_name
        ))
        .facts(&[
            ("Reference", reference.clone()),
            ("Go-live date", long_date(date)),
            ("Why this date", reason_text.clone()),
        ])
        .para("Your vouching scheme will go live on that date. After that, you can add further pension providers and schemes in the portal.")
        .link("See your request", link.clone())
    };
    let detail = if reason_text.is_empty() {
        format!("Go-live date {}", long_date(date))
    } else {
        format!("Go-live date {} ({reason_text})", long_date(date))
    };
    let step = Step {
        action: Action::ConfirmGoLive,
        change: Change::ConfirmGoLive {
            date,
            reason: &reason_text,
        },
        go_live: Some(date),
        form: "go-live",
        audit: AuditAction::GoLiveDateConfirmed,
        title: "Go-live date confirmed",
        detail: &detail,
        email: Some(("go-live-confirmed", &letter)),
    };
    if !apply_action(&services, &staff, &r, version, step).await? {
        return Ok(());
    }
    tracing::info!(request_id = r.id, %date, "go-live date confirmed");
    finish(&r, &format!("Go-live date confirmed: {}", long_date(date))).await
}

/// Records a failed test: a reason (required) and optionally a support session (date, time and
/// how to join). The service manager can then send a re-test request.
#[server(prefix = "/api", endpoint = "staff/requests/failure")]
pub async fn record_failure(
    id: String,
    version: String,
    reason: Option<String>,
    support_date: Option<String>,
    support_time: Option<String>,
    support_join: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    let staff = require_staff()?;
    let services = services()?;
    let r = load(&services, parse_id(&id)?).await?;
    let version = parse_version(&version)?;
    let form_page = format!("{}/failure", page_of(r.id));
    let (reason_raw, sd, st, sj) = (
        reason.unwrap_or_default(),
        support_date.unwrap_or_default(),
        support_time.unwrap_or_default(),
        support_join.unwrap_or_default(),
    );
    let mut form = FormState::default()
        .with_value("reason", reason_raw.trim())
        .with_value("support_date", sd.trim())
        .with_value("support_time", st.trim())
        .with_value("support_join", sj.trim());
    let reason = match parse_text(&reason_raw, MAX_TEXT, "Reason") {
        Ok(Some(t)) => t,
        Ok(None) => {
            form = form.with_error("reason", "Enter why the test failed");
            String::new()
        }
        Err(e) => {
            form = form.with_error("reason", e);
            String::new()
        }
    };
    let join = match parse_text(&sj, MAX_TEXT, "How to join") {
        Ok(t) => t.unwrap_or_default(),
        Err(e) => {
            form = form.with_error("support_join", e);
            String::new()
        }
    };
    let now = services.clock.now();
    let any_support = !(sd.trim().is_empty() && st.trim().is_empty() && join.is_empty());
    let support_at = if any_support {
        match parse_date_time(&sd, &st, "support session") {
            Ok(local) => match london_to_utc(local) {
                Some(at) if at > now => Some(at),
                Some(_) => {
                    form = form
                        .with_error("support_date", "The support session must be in the future");
                    None
                }
                None => {
                    form = form.with_error(
                        "support_time",
                        "That time does not exist in the UK on that date, because the clocks go forward: enter another time",
                    );
                    None
                }
            },
            Err(e) => {
                form = form.with_error(&format!("support_{}", e.field), e.message);
                None
            }
        }
    } else {
        None
    };
    if any_support && join.is_empty() && !form.has_errors() {
        form = form.with_error(
            "support_join",
            "Enter how to join the support session, for example a video call link",
        );
    }
    if form.has_errors() {
        return back_to_form("failure", &form, &form_page).await;
    }
    let reference = r.reference.clone().unwrap_or_default();
    let link = request_link(&services, r.id);
    let support_text = support_at.map(london_long).unwrap_or_default();
    let letter = |name: &str| {
        let mut l = Letter::new(
            format!("Operational acceptance testing did not pass ({reference})"),
            name,
        )
        .para(format!(
            "The connectivity test for {} did not pass.",
            r.scheme_name
        ))
        .facts(&[("Reference", reference.clone()), ("Why", reason.clone())]);
        if !support_text.is_empty() {
            l = l
                .para("We have arranged a support session to help you fix this.")
                .facts(&[
                    ("When", support_text.clone()),
                    ("How to join", join.clone()),
                ]);
        }
        l.para("When you have fixed the problem, send a re-test request from your request page: you will answer the questions and choose a connection date again.")
            .link("See your request", link.clone())
    };
    let detail = if support_text.is_empty() {
        reason.clone()
    } else {
        format!("{reason}. Support session {support_text}")
    };
    let step = Step {
        action: Action::RecordFailure,
        change: Change::Failure {
            reason: &reason,
            support_at,
            support_join: &join,
        },
        go_live: None,
        form: "failure",
        audit: AuditAction::OatFailed,
        title: "Connectivity test failed",
        detail: &detail,
        email: Some(("failed", &letter)),
    };
    if !apply_action(&services, &staff, &r, version, step).await? {
        return Ok(());
    }
    tracing::info!(request_id = r.id, "OAT failed");
    finish(&r, "Outcome recorded: the test failed").await
}

/// Approves or rejects a change of connection date a service manager asked for. Approval checks
/// the new date against the rules again, as of today.
#[server(prefix = "/api", endpoint = "staff/requests/date-change")]
pub async fn decide_date_change(
    id: String,
    version: String,
    change: String,
    decision: Option<String>,
    reason: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    let staff = require_staff()?;
    let services = services()?;
    let r = load(&services, parse_id(&id)?).await?;
    let version = parse_version(&version)?;
    let change_id = parse_id(&change)?;
    let form_page = format!("{}/date-change", page_of(r.id));
    let changes = review::date_changes(&services.db, r.id)
        .await
        .context("loading date changes")?;
    let Some(c) = changes.into_iter().find(|c| c.id == change_id) else {
        return Err(AppError::not_found());
    };
    if c.status != "pending" {
        return changed_under_us(&services, r.id, "date-change", &form_page).await;
    }
    let reason_raw = reason.unwrap_or_default();
    let mut form = FormState::default()
        .with_value("decision", decision.as_deref().unwrap_or("").trim())
        .with_value("reason", reason_raw.trim());
    let reason_text = match parse_text(&reason_raw, MAX_TEXT, "Reason") {
        Ok(t) => t.unwrap_or_default(),
        Err(e) => {
            form = form.with_error("reason", e);
            String::new()
        }
    };
    let now = services.clock.now();
    let approved = match decision.as_deref().map(str::trim) {
        Some("approve") => {
            let rule = DateRule::new(london_today(now), r.technical_connection_on);
            if let Err(e) = rule.check(c.new_date) {
                form = form.with_error(
                    "decision",
                    format!(
                        "You cannot approve this change because {} no longer meets the rules ({}). Reject it so the service manager can ask for another date.",
                        long_date(c.new_date),
                        date_message(&e, "The new connection date")
                    ),
                );
            }
            true
        }
        Some("reject") => {
            if reason_text.is_empty() && !form.has_errors() {
                form = form.with_error("reason", "Enter why the change is rejected");
            }
            false
        }
        _ => {
            form = form.with_error("decision", "Select whether to approve or reject the change");
            false
        }
    };
    if form.has_errors() {
        return back_to_form("date-change", &form, &form_page).await;
    }
    let status = r.status;
    let mut tx = services.db.begin_write().await.context("begin")?;
    let decided = review::decide_date_change(&mut tx, c.id, approved, staff.id, &reason_text, now)
        .await
        .context("deciding the date change")?;
    let applied = decided
        && if approved {
            review::apply(
                &mut tx,
                r.id,
                version,
                Action::ChangeDate.allowed_from(),
                status,
                Change::ConnectionDate(c.new_date),
                now,
            )
            .await
            .context("changing the date")?
        } else {
            true
        };
    if !applied {
        tx.rollback().await;
        return changed_under_us(&services, r.id, "date-change", &form_page).await;
    }
    if approved && r.go_live_date.is_some() {
        review::sync_scheme(&mut tx, r.scheme_id, r.status.into(), Some(c.new_date))
            .await
            .context("scheme go-live date")?;
    }
    let reference = r.reference.clone().unwrap_or_default();
    let link = request_link(&services, r.id);
    let new_date = long_date(c.new_date);
    let letter = |name: &str| {
        if approved {
            Letter::new(
                format!("Your change of connection date is approved ({reference})"),
                name,
            )
            .para(format!(
                "We have approved your change of connection date for {}.",
                r.scheme_name
            ))
            .facts(&[
                ("Reference", reference.clone()),
                ("New connection date", new_date.clone()),
                ("Note", reason_text.clone()),
            ])
            .link("See your request", link.clone())
        } else {
            Letter::new(
                format!("Your change of connection date was not approved ({reference})"),
                name,
            )
            .para(format!(
                "We could not approve your change of connection date for {} to {new_date}. Your connection date stays {}.",
                r.scheme_name,
                long_date(r.connection_date)
            ))
            .facts(&[("Reference", reference.clone()), ("Why", reason_text.clone())])
            .link("See your request", link.clone())
        }
    };
    let (action, title, key) = if approved {
        (
            AuditAction::DateChangeApproved,
            "Change of connection date approved",
            format!("date-change-{}-approved", c.id),
        )
    } else {
        (
            AuditAction::DateChangeRejected,
            "Change of connection date rejected",
            format!("date-change-{}-rejected", c.id),
        )
    };
    let detail = if reason_text.is_empty() {
        format!("New date {new_date}")
    } else {
        format!("New date {new_date}: {reason_text}")
    };
    record_action(
        &mut tx,
        &services,
        &staff,
        &r,
        action,
        title,
        &detail,
        Some((&key, &letter)),
    )
    .await?;
    tx.commit().await.context("commit")?;
    services.forget_queue_counts();
    finish(
        &r,
        &if approved {
            format!("Change approved: the connection date is now {new_date}")
        } else {
            "Change rejected: the connection date stays as it was".to_string()
        },
    )
    .await
}

/// A service manager asks to change the connection date (with a reason); staff decide.
#[server(prefix = "/api", endpoint = "oat/date-change")]
pub async fn ask_date_change(
    id: String,
    new_date: Option<String>,
    reason: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    use crate::store::StoreError;
    let (user, org) = require_organisation_role(Role::ServiceManager)?;
    let services = services()?;
    let r = review::get_in_organisation(&services.db, org, parse_id(&id)?)
        .await
        .context("loading a request")?
        .ok_or_else(AppError::not_found)?;
    let status = r.status;
    let form_page = format!("/requests/{}/change-date", r.id);
    let back = format!("/requests/{}", r.id);
    if !Action::ChangeDate.allowed(status) {
        leptos_axum::redirect(&back);
        return Ok(());
    }
    let (date_raw, reason_raw) = (new_date.unwrap_or_default(), reason.unwrap_or_default());
    let mut form = FormState::default()
        .with_value("new_date", date_raw.trim())
        .with_value("reason", reason_raw.trim());
    let now = services.clock.now();
    let rule = DateRule::new(london_today(now), r.technical_connection_on);
    let date = match parse_iso_date(&date_raw).and_then(|d| rule.check(d)) {
        Ok(d) if d == r.connection_date => {
            form = form.with_error(
                "new_date",
                format!(
                    "The new connection date must be different from the current one, {}",
                    long_date(d)
                ),
            );
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            form = form.with_error("new_date", date_message(&e, "New connection date"));
            None
        }
    };
    let reason = match parse_text(&reason_raw, MAX_TEXT, "Reason") {
        Ok(Some(t)) => t,
        Ok(None) => {
            form = form.with_error("reason", "Enter why you need to change the connection date");
            String::new()
        }
        Err(e) => {
            form = form.with_error("reason", e);
            String::new()
        }
    };
    let Some(date) = date.filter(|_| !form.has_errors()) else {
        return back_to_form("change-date", &form, &form_page).await;
    };
    let mut tx = services.db.begin_write().await.context("begin")?;
    let change_id = match review::ask_date_change(&mut tx, r.id, user.id, date, &reason, now).await
    {
        Ok(id) => id,
        Err(StoreError::Duplicate(_)) => {
            tx.rollback().await;
            let form = FormState::default().with_error(
                "new_date",
                "You have already asked to change the connection date: wait for the Pensions Dashboards Programme to decide on that request first",
            );
            return back_to_form("change-date", &form, &form_page).await;
        }
        Err(e) => return Err(AppError::internal("recording the date change", e)),
    };
    let reference = r.reference.clone().unwrap_or_default();
    let link = request_link(&services, r.id);
    let new_date = long_date(date);
    let letter = |name: &str| {
        Letter::new(
            format!("We have your request to change the connection date ({reference})"),
            name,
        )
        .para(format!(
            "We have your request to change the connection date for {} to {new_date}. The Pensions Dashboards Programme will review it, usually within 5 working days, and email you the decision.",
            r.scheme_name
        ))
        .facts(&[("Reference", reference.clone()), ("Reason", reason.clone())])
        .link("See your request", link.clone())
    };
    let key = format!("date-change-{change_id}-asked");
    record_action(
        &mut tx,
        &services,
        &user,
        &r,
        AuditAction::DateChangeRequested,
        "Change of connection date requested",
        &format!("New date {new_date}: {reason}"),
        Some((&key, &letter)),
    )
    .await?;
    tx.commit().await.context("commit")?;
    services.forget_queue_counts();
    session()
        .await?
        .set_flash("Your request to change the connection date has been sent")
        .await
        .context("session")?;
    leptos_axum::redirect(&back);
    Ok(())
}
