//! A signed-in user's own account: what it holds, and changing the password (the current
//! password and, with a second factor, a code first).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The account page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountDetails {
    pub name: String,
    pub email: String,
    pub second_factor: bool,
}

#[server(prefix = "/api", endpoint = "account/summary")]
pub async fn account_summary() -> Result<AccountDetails, AppError> {
    let user = crate::auth::require_user()?;
    Ok(AccountDetails {
        name: user.name,
        email: user.email,
        second_factor: user.second_factor_enrolled,
    })
}

/// Changes the user's password. Asks for the current password and, when the user has a second
/// factor, a code: a stolen session alone cannot take the account over. Ends every other
/// session and emails the user.
#[server(prefix = "/api", endpoint = "account/password")]
pub async fn change_password(
    current_password: String,
    code: Option<String>,
    password: String,
) -> Result<(), AppError> {
    use crate::api::second_factor::ssr::*;
    use crate::{
        auth::password::is_guessable,
        domain::{NewPassword, PasswordContext},
    };
    const PAGE: &str = "/account/password";
    let user = require_user()?;
    let services = services()?;
    let session = session().await?;
    let now = services.clock.now();
    let code = code.unwrap_or_default();
    let mut form = FormState::default();
    if current_password.is_empty() {
        form = form.with_error("current_password", "Enter your current password");
    }
    if user.second_factor_enrolled && code.trim().is_empty() {
        form = form.with_error(
            "code",
            "Enter the 6-digit code your authenticator app shows now, or one of your recovery codes",
        );
    }
    let context = PasswordContext {
        name: &user.name,
        email: &user.email,
        organisation: user.organisation_name.as_deref(),
    };
    let new_password = match NewPassword::parse(&password, &context, is_guessable) {
        Ok(p) => Some(p),
        Err(e) => {
            form = form.with_error("password", e.to_string());
            None
        }
    };
    let Some(new_password) = new_password.filter(|_| !form.has_errors()) else {
        return session
            .back_to_form("change-password", &form, PAGE)
            .await
            .map_err(session_error);
    };
    let message = if user.second_factor_enrolled {
        "Enter your current password and a code that is right now"
    } else {
        "Enter your current password correctly"
    };
    let refusal = Refusal {
        form: "change-password",
        page: PAGE,
        field: "current_password",
        message,
        wrong_password: "password not changed: wrong current password",
        wrong_code: "password not changed: wrong code",
    };
    let Some((mut tx, _)) = confirm_identity_first(
        &services,
        &session,
        &user,
        &current_password,
        &code,
        now,
        refusal,
    )
    .await?
    else {
        return Ok(());
    };
    let hash = services
        .hasher
        .hash(&new_password)
        .await
        .context("hashing a password")?;
    users::set_password(&mut tx, user.id, &hash)
        .await
        .context("saving the password")?;
    audit_own(
        &mut tx,
        now,
        &user,
        AuditAction::PasswordSet,
        "changed by the user; other sessions ended",
    )
    .await?;
    let letter = crate::emails::Letter::new(
        "Your password for the connection portal was changed",
        &user.name,
    )
    .para("The password of your account was changed, and you were signed out everywhere else.")
    .para("If you did not change it, tell the Pensions Dashboards Programme at once.");
    let key = format!("password-changed:{}:{}", user.id, now.timestamp_millis());
    outbox::enqueue(&mut tx, &letter.to(key, &user.email), now)
        .await
        .context("queuing the email")?;
    tx.commit().await.context("commit")?;
    let epoch = users::credentials_by_id(&services.db, user.id)
        .await
        .context("loading credentials")?
        .map(|c| c.session_epoch)
        .ok_or_else(AppError::unauthorized)?;
    session
        .sign_in(user.id, epoch, now, user.second_factor_passed)
        .await
        .map_err(session_error)?;
    session
        .set_flash("Your password has been changed")
        .await
        .map_err(session_error)?;
    tracing::info!(user_id = user.id, "password changed");
    leptos_axum::redirect("/account");
    Ok(())
}
