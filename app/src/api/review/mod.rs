//! Programme staff's review of OAT requests (the queue, a request, and the actions on it), and
//! the service manager's request to change a connection date. Each action is one transaction:
//! the request's new state, its timeline entry, the scheme's status, the audit row and the
//! emails. Each names the version of the request the user saw; if it has changed since, nothing
//! is applied and the user is shown its current state.
//!
//! Split by who acts: `queue` (the staff queue and a request's page for staff), `actions` (the
//! staff actions on a request, including the decision on a date change) and `date_change` (the
//! service manager asking to change the connection date). Everything is used from here, as
//! `review::X`; `ssr` holds what their server functions share.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

mod actions;
mod date_change;
mod queue;

pub use actions::{
    confirm_go_live, decide_date_change, record_failure, record_outcome, schedule_test,
    ConfirmGoLive, DecideDateChange, RecordFailure, RecordOutcome, ScheduleTest,
};
pub use date_change::{ask_date_change, AskDateChange};
pub use queue::{
    staff_queue, staff_request, EmailLine, QueueItem, QueuePage, StaffQueue, StaffRequest,
    StaffRequestView, QUEUE_PAGE_SIZE,
};

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
