//! The staff actions on a request: schedule the test, record its outcome, confirm the go-live
//! date, record a failure, and decide on a change of connection date.

use leptos::prelude::*;

use crate::error::AppError;

/// Books (or moves) the connectivity test: a date and time in the UK and an optional note.
/// Booked after a failure, it is the next round of testing on the same request.
#[server(prefix = "/api", endpoint = "staff/requests/schedule")]
pub async fn schedule_test(
    id: String,
    version: String,
    test_date: Option<String>,
    test_time: Option<String>,
    note: Option<String>,
) -> Result<(), AppError> {
    use super::ssr::*;
    use crate::domain::review::round_after_scheduling;
    let Opened(staff, services, r, version, form_page) = open(&id, &version, "schedule").await?;
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
    let when = form.check_any(future_uk_time(&date_raw, &time_raw, "test", "test", now));
    let note = form
        .check("note", optional_text(&note_raw, "Note"))
        .unwrap_or_default();
    let Some(at) = when.filter(|_| !form.has_errors()) else {
        return back_to_form("schedule", &form, &form_page).await;
    };
    let round = round_after_scheduling(r.status, r.test_round);
    let moved = r.status == RequestStatus::TestScheduled;
    let when_text = london_long(at);
    let link = request_link(&services, r.id);
    let reference = r.reference.clone().unwrap_or_default();
    let event = CalendarEvent::Test { at, round };
    let calendar = super::calendar::for_event(&services, &r, event, r.version + 1);
    let letter = |name: &str| {
        let subject = if moved {
            format!("Your connectivity test has moved ({reference})")
        } else if round > 1 {
            format!("Your re-test is booked ({reference})")
        } else {
            format!("Your connectivity test is booked ({reference})")
        };
        Letter::new(subject, name)
            .para(if round > 1 {
                format!(
                    "We have booked test {round} of {}, the re-test after the last one failed.",
                    r.scheme_name
                )
            } else {
                format!(
                    "We have booked the connectivity test for {}. It is the last step of operational acceptance testing.",
                    r.scheme_name
                )
            })
            .facts(&[
                ("Reference", reference.clone()),
                ("Test", when_text.clone()),
                ("Note", note.clone()),
            ])
            .para("At that time we will send a synthetic find request to your live find endpoint. Your endpoint must acknowledge it with HTTP 202 Accepted. Make sure your live cryptographic material is deployed and your endpoint is running.")
            .para("The test is attached as a calendar file. If you added an earlier one, this one updates it.")
            .link("Follow your request", link.clone())
            .calendar(calendar.clone())
    };
    let title = if moved {
        format!("Connectivity test {round} moved")
    } else {
        format!("Connectivity test {round} scheduled")
    };
    let what = format!("test-{round}-scheduled-v{version}");
    let step = Step {
        action: Action::ScheduleTest,
        change: Change::ScheduleTest { at, note: &note },
        go_live: None,
        form: "schedule",
        form_page: &form_page,
        audit: AuditAction::OatTestScheduled,
        title: &title,
        detail: &format!("Test {round} booked for {when_text}"),
        notices: vec![Notice::managers(&what, &letter)],
    };
    if !apply_action(&services, &staff, &r, version, step).await? {
        return Ok(());
    }
    tracing::info!(request_id = r.id, round, "connectivity test scheduled");
    let message = if round > 1 {
        format!("Re-test (test {round}) scheduled for {when_text}")
    } else {
        format!("Connectivity test scheduled for {when_text}")
    };
    finish(&r, &message).await
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
    let Opened(staff, services, r, version, form_page) = open(&id, &version, "outcome").await?;
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
    // The pass rests on the request's latest official run when that run passed; otherwise
    // staff record it on something outside the portal, and no page or email claims a 202.
    let run = crate::store::connectivity::for_request(&services.db, r.id, 1)
        .await
        .context("loading the request's runs")?
        .into_iter()
        .next()
        .filter(|run| run.status == "passed");
    let (result, detail) = match &run {
        Some(run) => (
            ": your live find endpoint acknowledged our synthetic find request with 202 Accepted.",
            format!(
                "Your endpoint acknowledged the synthetic find request with 202 Accepted in connectivity run {} ({}). Recorded by {}.",
                run.id,
                crate::clock::london_long(run.created_at),
                staff.name
            ),
        ),
        None => (
            ".",
            format!(
                "Recorded as passed by {} without a connectivity run in this portal.",
                staff.name
            ),
        ),
    };
    let letter = |name: &str| {
        Letter::new(
            format!("Operational acceptance testing passed ({reference})"),
            name,
        )
        .para(format!(
            "{} has passed operational acceptance testing{result}",
            r.scheme_name
        ))
        .facts(&[("Reference", reference.clone())])
        .para("Next: we will email you to confirm the date your vouching scheme goes live. You can now add further pension providers and schemes in the portal.")
        .link("See your request", link.clone())
    };
    let title = format!("Connectivity test {} passed", r.test_round);
    let step = Step {
        action: Action::RecordPass,
        change: Change::Pass,
        go_live: None,
        form: "outcome",
        form_page: &form_page,
        audit: AuditAction::OatPassed,
        title: &title,
        detail: &detail,
        notices: vec![Notice::managers("passed", &letter)],
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
    let Opened(staff, services, r, version, form_page) = open(&id, &version, "go-live").await?;
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
    let calendar =
        super::calendar::for_event(&services, &r, CalendarEvent::GoLive { date }, r.version + 1);
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
        .para("The go-live date is attached as a calendar file.")
        .link("See your request", link.clone())
        .calendar(calendar.clone())
    };
    let detail = if reason_text.is_empty() {
        format!("Go-live date {}", long_date(date))
    } else {
        format!("Go-live date {} ({reason_text})", long_date(date))
    };
    let step = Step {
        action: Action::ConfirmGoLive,
        change: Change::GoLive {
            date,
            reason: &reason_text,
        },
        go_live: Some(date),
        form: "go-live",
        form_page: &form_page,
        audit: AuditAction::GoLiveDateConfirmed,
        title: "Go-live date confirmed",
        detail: &detail,
        notices: vec![Notice::managers("go-live-confirmed", &letter)],
    };
    if !apply_action(&services, &staff, &r, version, step).await? {
        return Ok(());
    }
    tracing::info!(request_id = r.id, %date, "go-live date confirmed");
    finish(&r, &format!("Go-live date confirmed: {}", long_date(date))).await
}

/// Records a failed test: a reason (required) and optionally a support session offered (date,
/// time and how to join). The request stays open: the service manager tells PDP when they are
/// ready for a re-test, or asks for a support session, on the same request.
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
    let Opened(staff, services, r, version, form_page) = open(&id, &version, "failure").await?;
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
    let reason = form
        .check(
            "reason",
            required_text(&reason_raw, "Reason", "Enter why the test failed"),
        )
        .unwrap_or_default();
    let any_support = [&sd, &st, &sj].iter().any(|v| !v.trim().is_empty());
    let support = if any_support {
        support_session(&mut form, &sd, &st, &sj, services.clock.now())
    } else {
        None
    };
    if form.has_errors() {
        return back_to_form("failure", &form, &form_page).await;
    }
    let (support_at, join) = support.unzip();
    let join = join.unwrap_or_default();
    let round = r.test_round;
    let reference = r.reference.clone().unwrap_or_default();
    let link = request_link(&services, r.id);
    let support_text = support_at.map(london_long).unwrap_or_default();
    let letter = |name: &str| {
        let l = Letter::new(
            format!("Operational acceptance testing did not pass ({reference})"),
            name,
        )
        .para(format!(
            "The connectivity test for {} did not pass (test {round}).",
            r.scheme_name
        ))
        .facts(&[("Reference", reference.clone()), ("Why", reason.clone())]);
        let l = if support_text.is_empty() {
            l.para("If you need more details on why the test failed, ask us for a support session from your request page and we will arrange one with you.")
        } else {
            l.para("We have arranged a support session to help you with this.")
                .facts(&[
                    ("When", support_text.clone()),
                    ("How to join", join.clone()),
                ])
        };
        l.para("Once you have resolved the issues, tell us from your request page that you are ready for a re-test, and we will run the test again. Your request and connection date stay as they are.")
            .link("See your request", link.clone())
    };
    let detail = if support_text.is_empty() {
        reason.clone()
    } else {
        format!("{reason}. Support session {support_text}")
    };
    let title = format!("Connectivity test {round} failed");
    let what = format!("test-{round}-failed");
    let step = Step {
        action: Action::RecordFailure,
        change: Change::Failure {
            reason: &reason,
            support_at,
            support_join: &join,
        },
        go_live: None,
        form: "failure",
        form_page: &form_page,
        audit: AuditAction::OatFailed,
        title: &title,
        detail: &detail,
        notices: vec![Notice::managers(&what, &letter)],
    };
    if !apply_action(&services, &staff, &r, version, step).await? {
        return Ok(());
    }
    tracing::info!(request_id = r.id, round, "OAT failed");
    finish(&r, "Outcome recorded: the test failed").await
}

/// A support session's date, time (UK) and how to join, all needed; errors go on `form`.
#[cfg(feature = "ssr")]
fn support_session(
    form: &mut crate::forms::FormState,
    date: &str,
    time: &str,
    join: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<(chrono::DateTime<chrono::Utc>, String)> {
    use super::ssr::*;
    let at = form.check_any(future_uk_time(
        date,
        time,
        "support session",
        "support",
        now,
    ));
    let join = form.check(
        "support_join",
        required_text(
            join,
            "How to join",
            "Enter how to join the support session, for example a video call link",
        ),
    );
    at.zip(join)
}

/// Books a support session (one the service manager asked for, or one staff offer) and emails
/// the organisation when and how to join.
#[server(prefix = "/api", endpoint = "staff/requests/support")]
pub async fn arrange_support(
    id: String,
    version: String,
    support_date: Option<String>,
    support_time: Option<String>,
    support_join: Option<String>,
) -> Result<(), AppError> {
    use super::ssr::*;
    let Opened(staff, services, r, version, form_page) = open(&id, &version, "support").await?;
    let (sd, st, sj) = (
        support_date.unwrap_or_default(),
        support_time.unwrap_or_default(),
        support_join.unwrap_or_default(),
    );
    let mut form = FormState::default()
        .with_value("support_date", sd.trim())
        .with_value("support_time", st.trim())
        .with_value("support_join", sj.trim());
    let Some((at, join)) = support_session(&mut form, &sd, &st, &sj, services.clock.now()) else {
        return back_to_form("support", &form, &form_page).await;
    };
    let when = london_long(at);
    let reference = r.reference.clone().unwrap_or_default();
    let link = request_link(&services, r.id);
    let letter = |name: &str| {
        Letter::new(
            format!("Your support session is booked ({reference})"),
            name,
        )
        .para(format!(
            "We have arranged a support session about the connectivity test for {}.",
            r.scheme_name
        ))
        .facts(&[
            ("Reference", reference.clone()),
            ("When", when.clone()),
            ("How to join", join.clone()),
        ])
        .link("See your request", link.clone())
    };
    let what = format!("support-v{version}");
    let step = Step {
        action: Action::ArrangeSupport,
        change: Change::Support { at, join: &join },
        go_live: r.go_live_date,
        form: "support",
        form_page: &form_page,
        audit: AuditAction::SupportArranged,
        title: "Support session arranged",
        detail: &format!("{when}. How to join: {join}"),
        notices: vec![Notice::managers(&what, &letter)],
    };
    if !apply_action(&services, &staff, &r, version, step).await? {
        return Ok(());
    }
    tracing::info!(request_id = r.id, "support session arranged");
    finish(&r, &format!("Support session arranged for {when}")).await
}

/// Moves a confirmed go-live date (PDP's own decision, for example while its infrastructure is
/// updated), with a reason the organisation sees; the go-live job follows the new date.
#[server(prefix = "/api", endpoint = "staff/requests/move-go-live")]
pub async fn move_go_live(
    id: String,
    version: String,
    new_date: Option<String>,
    reason: Option<String>,
) -> Result<(), AppError> {
    use super::ssr::*;
    let Opened(staff, services, r, version, form_page) =
        open(&id, &version, "move-go-live").await?;
    let (date_raw, reason_raw) = (new_date.unwrap_or_default(), reason.unwrap_or_default());
    let mut form = FormState::default()
        .with_value("new_date", date_raw.trim())
        .with_value("reason", reason_raw.trim());
    let today = london_today(services.clock.now());
    let date = form.check(
        "new_date",
        crate::domain::review::moved_go_live(&date_raw, r.go_live_date, today),
    );
    let reason = form.check(
        "reason",
        required_text(
            &reason_raw,
            "Reason",
            "Enter why the go-live date is moving",
        ),
    );
    let (Some(date), Some(reason)) = (date, reason) else {
        return back_to_form("move-go-live", &form, &form_page).await;
    };
    let was = r.go_live_date.map(long_date).unwrap_or_default();
    let reference = r.reference.clone().unwrap_or_default();
    let link = request_link(&services, r.id);
    let calendar =
        super::calendar::for_event(&services, &r, CalendarEvent::GoLive { date }, r.version + 1);
    let letter = |name: &str| {
        Letter::new(
            format!(
                "Your go-live date has moved to {} ({reference})",
                long_date(date)
            ),
            name,
        )
        .para(format!(
            "The Pensions Dashboards Programme has moved the go-live date of {}.",
            r.scheme_name
        ))
        .facts(&[
            ("Reference", reference.clone()),
            ("New go-live date", long_date(date)),
            ("Was", was.clone()),
            ("Why", reason.clone()),
        ])
        .para("The new date is attached as a calendar file. If you added the earlier one, this one updates it.")
        .link("See your request", link.clone())
        .calendar(calendar.clone())
    };
    let what = format!("go-live-moved-v{version}");
    let detail = format!("From {was} to {}: {reason}", long_date(date));
    let step = Step {
        action: Action::MoveGoLive,
        change: Change::GoLive {
            date,
            reason: &reason,
        },
        go_live: Some(date),
        form: "move-go-live",
        form_page: &form_page,
        audit: AuditAction::GoLiveDateMoved,
        title: "Go-live date moved",
        detail: &detail,
        notices: vec![Notice::managers(&what, &letter)],
    };
    if !apply_action(&services, &staff, &r, version, step).await? {
        return Ok(());
    }
    tracing::info!(request_id = r.id, %date, "go-live date moved");
    finish(&r, &format!("Go-live date moved to {}", long_date(date))).await
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
    let Opened(staff, services, r, version, form_page) = open(&id, &version, "date-change").await?;
    let change_id = parse_id(&change)?;
    let changes = review::date_changes(&services.db, r.id)
        .await
        .context("loading date changes")?;
    let Some(c) = changes.into_iter().find(|c| c.id == change_id) else {
        return Err(AppError::not_found());
    };
    if c.status != "pending" || r.superseded {
        return changed_under_us(&services, r.id, "date-change", &form_page).await;
    }
    let reason_raw = reason.unwrap_or_default();
    let mut form = FormState::default()
        .with_value("decision", decision.as_deref().unwrap_or("").trim())
        .with_value("reason", reason_raw.trim());
    let reason_text = form
        .check("reason", optional_text(&reason_raw, "Reason"))
        .unwrap_or_default();
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
    // A confirmed go-live date moves with the connection date: its calendar entry too.
    let calendar = (approved && r.status == RequestStatus::GoLiveConfirmed).then(|| {
        super::calendar::for_event(
            &services,
            &r,
            CalendarEvent::GoLive { date: c.new_date },
            r.version + 1,
        )
    });
    let letter = |name: &str| {
        if approved {
            let letter = Letter::new(
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
            ]);
            let letter = match &calendar {
                Some(file) => letter
                    .para("Your go-live date moves to the same day. The calendar file attached updates it.")
                    .calendar(file.clone()),
                None => letter,
            };
            letter.link("See your request", link.clone())
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
        &[Notice::managers(&key, &letter)],
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
