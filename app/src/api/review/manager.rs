//! What a service manager does on a request after sending it, besides changing the date: tell
//! PDP they are ready for a re-test, ask for a support session, or withdraw the request. Each
//! names the version of the request the manager saw, as staff actions do.

use leptos::prelude::*;

use crate::error::AppError;

#[cfg(feature = "ssr")]
mod open {
    use super::super::ssr::*;

    /// A service manager's action on one of their organisation's requests: the manager, the
    /// services, the request, the version they saw and the action's form page.
    pub struct OwnRequest(
        pub CurrentUser,
        pub Services,
        pub StaffRequest,
        pub i32,
        pub String,
    );

    /// Service managers only; another organisation's request is "not found".
    pub async fn open_own(id: &str, version: &str, form: &str) -> Result<OwnRequest, AppError> {
        let (user, org) = require_organisation_role(Role::ServiceManager)?;
        let services = services()?;
        let r = review::get_in_organisation(&services.db, org, parse_id(id)?)
            .await
            .context("loading a request")?
            .ok_or_else(AppError::not_found)?;
        let version = parse_version(version)?;
        let form_page = format!("/requests/{}/{form}", r.id);
        Ok(OwnRequest(user, services, r, version, form_page))
    }

    /// Back to the request with a message.
    pub async fn done(id: i64, message: &str) -> Result<(), AppError> {
        session()
            .await?
            .set_flash(message)
            .await
            .context("session")?;
        leptos_axum::redirect(&format!("/requests/{id}"));
        Ok(())
    }
}

/// After a failed test: the service manager tells PDP the problems are fixed (with an optional
/// note of what changed), and staff book the next round on the same request.
#[server(prefix = "/api", endpoint = "oat/ready-for-retest")]
pub async fn ready_for_retest(
    id: String,
    version: String,
    note: Option<String>,
) -> Result<(), AppError> {
    use super::ssr::*;
    use open::*;
    let OwnRequest(user, services, r, version, form_page) =
        open_own(&id, &version, "ready-for-retest").await?;
    let field = TextField::optional("note", "What you fixed");
    let Some(note) = read_text_form(note, field, "ready-for-retest", &form_page).await? else {
        return Ok(());
    };
    let reference = r.reference.clone().unwrap_or_default();
    let staff_page = staff_link(&services, r.id);
    let letter = |name: &str| {
        Letter::new(format!("Ready for re-test: {reference}"), name)
            .para(format!(
                "{} of {} says the problems found in test {} of {} are fixed and it is ready for a re-test.",
                user.name, r.organisation_name, r.test_round, r.scheme_name
            ))
            .facts(&[("Reference", reference.clone()), ("What they fixed", note.clone())])
            .link("Book the re-test", staff_page.clone())
    };
    let what = format!("retest-asked-{}-v{version}", r.test_round);
    let detail = if note.is_empty() {
        "The service manager says the problems are fixed".to_string()
    } else {
        format!("What was fixed: {note}")
    };
    let step = Step {
        action: Action::ReadyForRetest,
        change: Change::RetestAsked { note: &note },
        go_live: None,
        form: "ready-for-retest",
        form_page: &form_page,
        audit: AuditAction::RetestAsked,
        title: "Ready for re-test",
        detail: &detail,
        notices: vec![Notice::staff(&what, &letter)],
    };
    if !apply_action(&services, &user, &r, version, step).await? {
        return Ok(());
    }
    tracing::info!(request_id = r.id, "ready for re-test");
    done(
        r.id,
        "You have told the Pensions Dashboards Programme you are ready for a re-test",
    )
    .await
}

/// After a failed test: the service manager asks for a support session (what they need, when
/// they are free); staff book it and the organisation is emailed.
#[server(prefix = "/api", endpoint = "oat/support")]
pub async fn ask_support(
    id: String,
    version: String,
    needs: Option<String>,
) -> Result<(), AppError> {
    use super::ssr::*;
    use open::*;
    let OwnRequest(user, services, r, version, form_page) =
        open_own(&id, &version, "support").await?;
    let field = TextField::required(
        "needs",
        "What you need",
        "Enter what you need from the support session and when you are free",
    );
    let Some(text) = read_text_form(needs, field, "support", &form_page).await? else {
        return Ok(());
    };
    let reference = r.reference.clone().unwrap_or_default();
    let staff_page = staff_link(&services, r.id);
    let letter = |name: &str| {
        Letter::new(format!("Support session asked for: {reference}"), name)
            .para(format!(
                "{} of {} asks for a support session about the failed connectivity test of {}.",
                user.name, r.organisation_name, r.scheme_name
            ))
            .facts(&[
                ("Reference", reference.clone()),
                ("What they need", text.clone()),
            ])
            .link("Arrange the session", staff_page.clone())
    };
    let what = format!("support-asked-v{version}");
    let step = Step {
        action: Action::AskSupport,
        change: Change::SupportAsked { request: &text },
        go_live: None,
        form: "support",
        form_page: &form_page,
        audit: AuditAction::SupportAsked,
        title: "Support session asked for",
        detail: &text,
        notices: vec![Notice::staff(&what, &letter)],
    };
    if !apply_action(&services, &user, &r, version, step).await? {
        return Ok(());
    }
    tracing::info!(request_id = r.id, "support session asked for");
    done(
        r.id,
        "You have asked for a support session: we will email you when it is booked",
    )
    .await
}

/// Withdraws a request that has not passed, with a reason. The scheme is "Not requested" again,
/// so a new request can be sent; staff and the organisation's service managers are emailed.
#[server(prefix = "/api", endpoint = "oat/withdraw")]
pub async fn withdraw(id: String, version: String, reason: Option<String>) -> Result<(), AppError> {
    use super::ssr::*;
    use open::*;
    let OwnRequest(user, services, r, version, form_page) =
        open_own(&id, &version, "withdraw").await?;
    let field = TextField::required(
        "reason",
        "Reason",
        "Enter why you are withdrawing the request",
    );
    let Some(reason) = read_text_form(reason, field, "withdraw", &form_page).await? else {
        return Ok(());
    };
    let reference = r.reference.clone().unwrap_or_default();
    let staff_page = staff_link(&services, r.id);
    let link = request_link(&services, r.id);
    // A booked test comes off calendars: the same event, cancelled.
    let cancelled = super::calendar::event_of(&r, "test.ics")
        .map(|event| super::calendar::cancelled(&services, &r, event, r.version + 1));
    let with_cancelled = |letter: Letter| {
        match &cancelled {
        Some(file) => letter
            .para("The booked connectivity test is cancelled: the calendar file attached removes it from calendars that have it.")
            .calendar(file.clone()),
        None => letter,
    }
    };
    let to_staff = |name: &str| {
        with_cancelled(
            Letter::new(format!("Request withdrawn: {reference}"), name)
                .para(format!(
                    "{} of {} has withdrawn the request for operational acceptance testing of {}.",
                    user.name, r.organisation_name, r.scheme_name
                ))
                .facts(&[("Reference", reference.clone()), ("Why", reason.clone())]),
        )
        .link("See the request", staff_page.clone())
    };
    let to_managers = |name: &str| {
        let letter = Letter::new(
            format!("Your request for operational acceptance testing is withdrawn ({reference})"),
            name,
        )
        .para(format!(
            "{} withdrew the request for operational acceptance testing of {}.",
            user.name, r.scheme_name
        ))
        .facts(&[("Reference", reference.clone()), ("Why", reason.clone())]);
        with_cancelled(letter)
            .para("You can send a new request for the scheme when you are ready.")
            .link("See the request", link.clone())
    };
    let step = Step {
        action: Action::Withdraw,
        change: Change::Withdraw { reason: &reason },
        go_live: None,
        form: "withdraw",
        form_page: &form_page,
        audit: AuditAction::OatWithdrawn,
        title: "Request withdrawn",
        detail: &reason,
        notices: vec![
            Notice::staff("withdrawn", &to_staff),
            Notice::managers("withdrawn", &to_managers),
        ],
    };
    if !apply_action(&services, &user, &r, version, step).await? {
        return Ok(());
    }
    tracing::info!(request_id = r.id, "request withdrawn");
    done(r.id, "Request withdrawn").await
}
