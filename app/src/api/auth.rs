//! Signing in and out, and the small reads every page makes (who am I, form state, banner).

use leptos::prelude::*;

use crate::error::AppError;

use crate::{auth::CurrentUser, forms::FormState};

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    pub use crate::error::{AppError, Context};
    pub use crate::{
        auth::{
            current_user, request_meta, safe_next_path, services,
            session::{PendingSignIn, SessionError},
        },
        domain::EmailAddress,
        store::{
            audit::{self, AuditAction, NewAuditEvent},
            users,
        },
    };

    pub use crate::auth::session::request_session as session;

    pub fn session_error(e: SessionError) -> AppError {
        AppError::internal("session error", e)
    }

    pub fn event(
        action: AuditAction,
        actor: Option<i64>,
        target: Option<i64>,
        org: Option<i64>,
        detail: &str,
    ) -> NewAuditEvent {
        let meta = request_meta();
        NewAuditEvent {
            action,
            actor_user_id: actor,
            target_user_id: target,
            organisation_id: org,
            client_ip: meta.client_ip,
            request_id: meta.request_id,
            detail: detail.to_string(),
        }
    }
}

/// The one message for every failed sign-in, whatever the reason.
pub const SIGN_IN_FAILED: &str = "Enter a correct email address and password";

/// Signs in with email and password. Every failure (unknown email, wrong password, locked or
/// deactivated account) gives the same message after the same work.
#[server(prefix = "/api", endpoint = "auth/sign-in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    let services = services()?;
    let session = session().await?;
    let now = services.clock.now();
    let next = safe_next_path(next.as_deref());
    let back = match &next {
        Some(n) => format!("/sign-in?next={}", urlencode(n)),
        None => "/sign-in".to_string(),
    };
    let fail = |detail: &'static str| {
        let session = session.clone();
        let email = email.clone();
        let back = back.clone();
        async move {
            tracing::info!(detail, "sign-in failed");
            let form = FormState::default()
                .with_value("email", &email)
                .with_error("email", SIGN_IN_FAILED);
            session
                .save_form("sign-in", &form)
                .await
                .map_err(session_error)?;
            leptos_axum::redirect(&back);
            Ok::<(), AppError>(())
        }
    };

    let creds = match EmailAddress::parse(&email) {
        Ok(e) => users::credentials_by_email(&services.db, &e)
            .await
            .context("loading credentials")?,
        Err(_) => None,
    };
    // Always verify (against a dummy when there is no account), so timing says nothing.
    let matches = services
        .hasher
        .verify(
            &password,
            creds.as_ref().and_then(|c| c.password_hash.as_deref()),
        )
        .await
        .context("verifying a password")?;

    let Some(creds) = creds else {
        audit::record_alone(
            &services.db,
            now,
            &event(
                AuditAction::SignInFailed,
                None,
                None,
                None,
                "unknown email address",
            ),
        )
        .await
        .context("audit")?;
        return fail("unknown email").await;
    };
    let org = creds.organisation_id;
    let locked = creds.locked_until.is_some_and(|until| until > now);
    if locked || !creds.active {
        let detail = if locked {
            "account locked"
        } else {
            "account deactivated"
        };
        audit::record_alone(
            &services.db,
            now,
            &event(AuditAction::SignInFailed, None, Some(creds.id), org, detail),
        )
        .await
        .context("audit")?;
        return fail(detail).await;
    }
    if !matches {
        let settings = &services.auth;
        let lock_until = now
            + chrono::Duration::from_std(settings.lock_duration)
                .unwrap_or(chrono::Duration::minutes(15));
        let mut tx = services.db.begin_write().await.context("begin")?;
        let (_, will_lock) = users::record_failure(
            &mut tx,
            creds.id,
            now,
            settings.lock_after_failures,
            lock_until,
        )
        .await
        .context("recording a failure")?;
        audit::record(
            &mut tx,
            now,
            &event(
                AuditAction::SignInFailed,
                None,
                Some(creds.id),
                org,
                "wrong password",
            ),
        )
        .await
        .context("audit")?;
        if will_lock {
            audit::record(
                &mut tx,
                now,
                &event(
                    AuditAction::AccountLocked,
                    None,
                    Some(creds.id),
                    org,
                    "too many failed sign-ins",
                ),
            )
            .await
            .context("audit")?;
        }
        tx.commit().await.context("commit")?;
        return fail("wrong password").await;
    }

    if creds.second_factor {
        // The password was right: the count of failures starts again, but nobody is signed in
        // until the code page has a code (see `second_factor::sign_in_code`).
        let mut tx = services.db.begin_write().await.context("begin")?;
        users::record_success(&mut tx, creds.id)
            .await
            .context("recording success")?;
        tx.commit().await.context("commit")?;
        let pending = PendingSignIn {
            user_id: creds.id,
            epoch: creds.session_epoch,
            started_at: now,
            wrong_codes: 0,
            next,
        };
        session
            .begin_second_step(&pending)
            .await
            .map_err(session_error)?;
        tracing::info!(user_id = creds.id, "password accepted; asking for a code");
        leptos_axum::redirect(CODE_PAGE);
        return Ok(());
    }
    complete_sign_in(&services, &session, &creds, false, "", next.as_deref()).await
}

/// Where a user with a second factor gives their code after the password.
pub const CODE_PAGE: &str = "/sign-in/code";

/// Signs the user in (password alone, or password and a code), audits it and sends them on.
#[cfg(feature = "ssr")]
pub async fn complete_sign_in(
    services: &crate::services::Services,
    session: &crate::auth::session::PortalSession,
    creds: &crate::store::users::Credentials,
    second_factor: bool,
    detail: &str,
    next: Option<&str>,
) -> Result<(), AppError> {
    use self::ssr::{audit, event, session_error, users, AuditAction, Context};
    let now = services.clock.now();
    let org = creds.organisation_id;
    let mut tx = services.db.begin_write().await.context("begin")?;
    users::record_success(&mut tx, creds.id)
        .await
        .context("recording success")?;
    audit::record(
        &mut tx,
        now,
        &event(
            AuditAction::SignInSucceeded,
            Some(creds.id),
            Some(creds.id),
            org,
            detail,
        ),
    )
    .await
    .context("audit")?;
    tx.commit().await.context("commit")?;
    session
        .sign_in(creds.id, creds.session_epoch, now, second_factor)
        .await
        .map_err(session_error)?;
    let user = users::find_for_session(&services.db, creds.id)
        .await
        .context("loading the user")?;
    let home = match &user {
        // Staff who must set up a second factor go straight to it.
        Some(u) if services.auth.staff_second_factor && u.current.is_staff() && !second_factor => {
            SET_UP_PAGE
        }
        Some(u) => u.current.home_path(),
        None => "/",
    };
    tracing::info!(user_id = creds.id, second_factor, "signed in");
    let go_to = if home == SET_UP_PAGE {
        home
    } else {
        next.unwrap_or(home)
    };
    leptos_axum::redirect(go_to);
    Ok(())
}

/// Where a user sets up (or changes) their second factor.
pub const SET_UP_PAGE: &str = "/account/second-factor";

/// Signs out: the session is deleted on the server and the cookie cleared.
#[server(prefix = "/api", endpoint = "auth/sign-out")]
pub async fn sign_out() -> Result<(), AppError> {
    use self::ssr::*;
    let services = services()?;
    let session = session().await?;
    if let Some(user) = current_user() {
        audit::record_alone(
            &services.db,
            services.clock.now(),
            &event(
                AuditAction::SignedOut,
                Some(user.id),
                Some(user.id),
                user.organisation_id,
                "",
            ),
        )
        .await
        .context("audit")?;
        tracing::info!(user_id = user.id, "signed out");
    }
    session.sign_out().await.map_err(session_error)?;
    leptos_axum::redirect("/signed-out");
    Ok(())
}

/// Who is signed in (None for visitors).
#[server(prefix = "/api", endpoint = "auth/whoami")]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    Ok(crate::auth::current_user())
}

/// The saved state of one form, removed as it is read.
#[server(prefix = "/api", endpoint = "forms/take")]
pub async fn take_form_state(form: String) -> Result<Option<FormState>, AppError> {
    use self::ssr::*;
    if form.len() > 64 {
        return Err(AppError::invalid("Unknown form"));
    }
    session()
        .await?
        .take_form(&form)
        .await
        .map_err(session_error)
}

/// The success message from the last action, removed as it is read.
#[server(prefix = "/api", endpoint = "forms/flash")]
pub async fn take_flash() -> Result<Option<String>, AppError> {
    use self::ssr::*;
    session().await?.take_flash().await.map_err(session_error)
}

/// Percent-encodes a path for use in a query string.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
