//! Programme staff's review of OAT requests (the queue, a request, and the actions on it), and
//! the service manager's request to change a connection date. Each action is one transaction:
//! the request's new state, its timeline entry, the scheme's status, the audit row and the
//! emails. Each names the version of the request the user saw; if it has changed since, nothing
//! is applied and the user is shown its current state.
//!
//! Split by who acts: `queue` (the staff queue and a request's page for staff), `actions` (the
//! staff actions on a request, including the decision on a date change), `date_change` (the
//! service manager asking to change the connection date) and `manager` (the service manager's
//! other actions after sending: ready for a re-test, a support session, withdrawal). Everything
//! is used from here, as `review::X`; `ssr` holds what their server functions share.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

mod actions;
#[cfg(feature = "ssr")]
pub mod calendar;
mod date_change;
mod manager;
mod queue;
mod upcoming;

pub use actions::{
    arrange_support, confirm_go_live, decide_date_change, move_go_live, record_failure,
    record_outcome, schedule_test, ArrangeSupport, ConfirmGoLive, DecideDateChange, MoveGoLive,
    RecordFailure, RecordOutcome, ScheduleTest,
};
pub use date_change::{ask_date_change, AskDateChange};
pub use manager::{ask_support, ready_for_retest, withdraw, AskSupport, ReadyForRetest, Withdraw};
pub use queue::{
    staff_queue, staff_request, EmailLine, QueueItem, QueuePage, StaffQueue, StaffRequest,
    StaffRequestView, QUEUE_PAGE_SIZE,
};
#[cfg(feature = "ssr")]
pub use upcoming::ssr::weeks_ahead;
pub use upcoming::{staff_upcoming, StaffUpcoming, UpcomingPage, MAX_BOOKINGS};

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

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    pub use crate::error::{AppError, Context};
    pub use crate::{
        api::{
            admin::ssr::{event, session},
            oat::ssr::timeline,
        },
        auth::{require_organisation_role, require_staff, services, CurrentUser},
        calendar::CalendarEvent,
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

    /// What every staff action starts from: the member of staff, the services, the request,
    /// the version of it they saw and the action's own form page.
    pub struct Opened(
        pub CurrentUser,
        pub Services,
        pub StaffRequest,
        pub i32,
        pub String,
    );

    /// Opens a staff action on a request: staff only, the request must exist (404 otherwise),
    /// and the form must carry the version seen (400 otherwise).
    pub async fn open(id: &str, version: &str, form: &str) -> Result<Opened, AppError> {
        let staff = require_staff()?;
        let services = services()?;
        let r = load(&services, parse_id(id)?).await?;
        let version = parse_version(version)?;
        let form_page = format!("{}/{form}", page_of(r.id));
        Ok(Opened(staff, services, r, version, form_page))
    }

    /// A date and time typed in UK time that must be in the future (a test, a support session):
    /// the instant, or the field (`{prefix}_date` or `{prefix}_time`) and what is wrong with it.
    pub fn future_uk_time(
        date: &str,
        time: &str,
        what: &str,
        prefix: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<chrono::DateTime<chrono::Utc>, (String, String)> {
        let local = parse_date_time(date, time, what)
            .map_err(|e| (format!("{prefix}_{}", e.field), e.message))?;
        match london_to_utc(local) {
            Some(at) if at > now => Ok(at),
            Some(_) => Err((
                format!("{prefix}_date"),
                format!("The {what} must be in the future"),
            )),
            None => Err((
                format!("{prefix}_time"),
                "That time does not exist in the UK on that date, because the clocks go forward: enter another time".into(),
            )),
        }
    }

    /// Free text that must be given: the text, or the message to show.
    pub fn required_text(raw: &str, label: &str, missing: &str) -> Result<String, String> {
        match parse_text(raw, MAX_TEXT, label) {
            Ok(Some(t)) => Ok(t),
            Ok(None) => Err(missing.to_string()),
            Err(e) => Err(e),
        }
    }

    /// Free text that may be left out: the text (empty if none), or the message to show.
    pub fn optional_text(raw: &str, label: &str) -> Result<String, String> {
        parse_text(raw, MAX_TEXT, label).map(Option::unwrap_or_default)
    }

    /// One free-text field of a form: its name, its label in messages, and the message when it
    /// is left empty (`None`: it may be).
    pub struct TextField<'a> {
        pub name: &'a str,
        pub label: &'a str,
        pub missing: Option<&'a str>,
    }

    impl<'a> TextField<'a> {
        pub fn required(name: &'a str, label: &'a str, missing: &'a str) -> Self {
            Self {
                name,
                label,
                missing: Some(missing),
            }
        }

        pub fn optional(name: &'a str, label: &'a str) -> Self {
            Self {
                name,
                label,
                missing: None,
            }
        }
    }

    /// Reads a form of one free-text field. `Ok(None)`: it was wrong, and the user has been
    /// sent back to `page` with what they typed and why.
    pub async fn read_text_form(
        raw: Option<String>,
        field: TextField<'_>,
        form: &str,
        page: &str,
    ) -> Result<Option<String>, AppError> {
        let raw = raw.unwrap_or_default();
        let mut state = FormState::default().with_value(field.name, raw.trim());
        let parsed = match field.missing {
            Some(missing) => required_text(&raw, field.label, missing),
            None => optional_text(&raw, field.label),
        };
        match state.check(field.name, parsed) {
            Some(text) => Ok(Some(text)),
            None => {
                back_to_form(form, &state, page).await?;
                Ok(None)
            }
        }
    }

    /// When something was asked for and what was said, as pages show it.
    pub fn asked(
        at: Option<chrono::DateTime<chrono::Utc>>,
        text: &str,
    ) -> Option<(String, String)> {
        at.map(|at| (london_long(at), text.to_string()))
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

    /// Who an email about a request goes to.
    #[derive(Clone, Copy)]
    pub enum Audience {
        /// Every active service manager of the organisation.
        ServiceManagers,
        /// Every active member of programme staff.
        Staff,
    }

    /// One email about an action: a key unique to the action (`passed`, `test-2-failed`), who
    /// gets it, and the letter for each recipient by name.
    pub struct Notice<'a> {
        pub what: &'a str,
        pub to: Audience,
        pub letter: LetterFor<'a>,
    }

    impl<'a> Notice<'a> {
        pub fn managers(what: &'a str, letter: LetterFor<'a>) -> Self {
            Self {
                what,
                to: Audience::ServiceManagers,
                letter,
            }
        }

        pub fn staff(what: &'a str, letter: LetterFor<'a>) -> Self {
            Self {
                what,
                to: Audience::Staff,
                letter,
            }
        }
    }

    /// One action on a request: what it changes and what it writes about the change.
    pub struct Step<'a> {
        pub action: Action,
        pub change: Change<'a>,
        /// The scheme's go-live date afterwards.
        pub go_live: Option<chrono::NaiveDate>,
        /// The action's form: its name (where its state is kept) and its page, where a stale
        /// attempt returns.
        pub form: &'a str,
        pub form_page: &'a str,
        pub audit: AuditAction,
        pub title: &'a str,
        pub detail: &'a str,
        pub notices: Vec<Notice<'a>>,
    }

    /// Applies an action in one transaction: the request's change, only while it is still at
    /// the version the user saw and in a state the action allows; the scheme's status from the
    /// action table; the timeline entry, audit row and emails. `Ok(false)`: the request changed
    /// meanwhile, nothing was applied, and the user is sent back to the form.
    pub async fn apply_action(
        services: &Services,
        actor: &CurrentUser,
        r: &StaffRequest,
        version: i32,
        step: Step<'_>,
    ) -> Result<bool, AppError> {
        let now = services.clock.now();
        let (to, scheme_to) = step.action.next(r.status);
        if r.superseded {
            changed_under_us(services, r.id, step.form, step.form_page).await?;
            return Ok(false);
        }
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
            changed_under_us(services, r.id, step.form, step.form_page).await?;
            return Ok(false);
        }
        review::sync_scheme(&mut tx, r.scheme_id, scheme_to, step.go_live)
            .await
            .context("scheme status")?;
        record_action(
            &mut tx,
            services,
            actor,
            r,
            step.audit,
            step.title,
            step.detail,
            &step.notices,
        )
        .await?;
        tx.commit().await.context("commit")?;
        services.forget_queue_counts();
        Ok(true)
    }

    /// The timeline entry, audit row and emails that go with an action, in its transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_action(
        tx: &mut Tx,
        services: &Services,
        actor: &CurrentUser,
        r: &StaffRequest,
        action: AuditAction,
        event_title: &str,
        detail: &str,
        notices: &[Notice<'_>],
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
        let prefix = review::email_prefix(r.id);
        for notice in notices {
            send_notice(tx, services, r.organisation_id, &prefix, notice).await?;
        }
        Ok(())
    }

    /// Queues one email per recipient of a notice, each with its own idempotency key
    /// (`{prefix}:{what}:{address}`).
    pub async fn send_notice(
        tx: &mut Tx,
        services: &Services,
        organisation_id: i64,
        prefix: &str,
        notice: &Notice<'_>,
    ) -> Result<(), AppError> {
        let now = services.clock.now();
        let recipients = match notice.to {
            Audience::ServiceManagers => {
                review::service_manager_emails(&services.db, organisation_id).await
            }
            Audience::Staff => review::staff_emails(&services.db).await,
        }
        .context("finding who to email")?;
        for (name, address) in recipients {
            let key = format!("{prefix}:{}:{}", notice.what, address.to_lowercase());
            let mail = (notice.letter)(&name).to(key, &address);
            outbox::enqueue(tx, &mail, now)
                .await
                .context("queueing an email")?;
        }
        Ok(())
    }

    /// The link to a request for staff, in emails.
    pub fn staff_link(services: &Services, id: i64) -> String {
        format!("{}/staff/requests/{id}", services.public_origin)
    }

    /// The link to a request in emails.
    pub fn request_link(services: &Services, id: i64) -> String {
        format!("{}/requests/{id}", services.public_origin)
    }
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
