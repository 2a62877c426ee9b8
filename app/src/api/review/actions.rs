//! The staff actions on a request: schedule the test, record its outcome, confirm the go-live
//! date, record a failure, and decide on a change of connection date.

use leptos::prelude::*;

use crate::error::AppError;

/// Books (or moves) the connectivity test: a date and time in the UK and an optional note.
#[server(prefix = "/api", endpoint = "staff/requests/schedule")]
pub async fn schedule_test(
    id: String,
    version: String,
    test_date: Option<String>,
    test_time: Option<String>,
    note: Option<String>,
) -> Result<(), AppError> {
    use super::ssr::*;
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
    use super::ssr::*;
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
    use super::ssr::*;
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
    let reference = r.reference.clone().unwrap_or_default();
    let link = request_link(&services, r.id);
    let letter = |name: &str| {
        Letter::new(
            format!("Operational acceptance testing passed ({reference})"),
            name,
        )
        .para(format!(
            "{} has passed operational acceptance testing: your live find endpoint acknowledged our synthetic find request with 202 Accepted.",
            r.scheme_name
        ))
        .facts(&[("Reference", reference.clone())])
        .para("Next: we will email you to confirm the date your vouching scheme goes live. You can now add further pension providers and schemes in the portal.")
        .link("See your request", link.clone())
    };
    let step = Step {
        action: Action::RecordPass,
        change: Change::Pass,
        go_live: None,
        form: "outcome",
        audit: AuditAction::OatPassed,
        title: "Connectivity test passed",
        detail: "Your endpoint acknowledged the synthetic find request with 202 Accepted",
        email: Some(("passed", &letter)),
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
    use super::ssr::*;
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
        .para("Your vouching scheme will go live on that date. Your organisation has passed operational acceptance testing, so you can now add further pension providers and schemes in the portal.")
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
    use super::ssr::*;
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
    use super::ssr::*;
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
