//! The second factor: the code page after the password, setting up an authenticator app (QR
//! code drawn here as SVG, the secret as text, recovery codes shown once), confirming who you are
//! before changing or removing it, and an admin's reset.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What the set-up page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorStatus {
    pub email: String,
    pub enrolled: bool,
    /// When it was set up, in UK time.
    pub enrolled_on: Option<String>,
    /// Programme staff and admins may not be without one.
    pub required: bool,
    pub recovery_codes_left: i64,
    /// A new secret to set up: shown before enrolment, or after confirming identity to change it.
    pub setup: Option<Setup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Setup {
    /// An `<svg>` element (the QR code of the `otpauth://` address), drawn on the server.
    pub qr_svg: String,
    /// The secret in groups of four, for typing into an app.
    pub secret: String,
}

/// Why the user is confirming who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Purpose {
    Change,
    Remove,
}

impl Purpose {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "change" => Some(Self::Change),
            "remove" => Some(Self::Remove),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Change => "change",
            Self::Remove => "remove",
        }
    }
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use chrono::{DateTime, Utc};

    pub use crate::api::auth::ssr::{event, session, session_error};
    pub use crate::error::{AppError, Context};
    pub use crate::{
        api::auth::{complete_sign_in, CODE_PAGE, SET_UP_PAGE},
        auth::{require_admin, require_user, services, session::PortalSession},
        domain::second_factor::{
            check_code, new_recovery_codes, recovery_code_hash, six_digits, CodeCheck, TotpSecret,
            MAX_WRONG_CODES,
        },
        forms::FormState,
        services::Services,
        store::{
            audit::{self, AuditAction},
            outbox, users,
        },
    };

    /// Where recovery codes wait in the session for the one page that shows them.
    pub const RECOVERY_KEY: &str = "recovery_codes";
    /// Until when a user who confirmed their password and a code may change or remove their
    /// second factor.
    pub const CONFIRMED_KEY: &str = "second_factor_confirmed_until";
    /// Wrong attempts at confirming identity before the session ends.
    pub const CONFIRM_WRONG_KEY: &str = "second_factor_confirm_wrong";
    /// Minutes a confirmation lasts.
    pub const CONFIRMED_MINUTES: i64 = 10;
    /// The name authenticator apps show for the account.
    pub const ISSUER: &str = "Connection portal";

    /// The QR code of `text` as an `<svg>` element a screen reader announces as an image.
    pub fn qr_svg(text: &str) -> Result<String, AppError> {
        use qrcode::{render::svg, EcLevel, QrCode};
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
            .context("drawing the QR code")?;
        let image = code
            .render::<svg::Color>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .build();
        // The renderer starts with an XML declaration, which HTML does not want.
        let start = image.find("<svg").unwrap_or(0);
        Ok(image[start..].replacen(
            "<svg ",
            "<svg role=\"img\" aria-label=\"QR code to scan with your authenticator app\" focusable=\"false\" ",
            1,
        ))
    }

    /// What a code (or recovery code) typed by `user_id` turned out to be; an accepted one is
    /// used up in `tx` (a code works once).
    pub enum Outcome {
        Code,
        RecoveryCode,
        /// The user has no second factor, so no code was asked for.
        NotNeeded,
        Replayed,
        Wrong,
    }

    impl Outcome {
        pub fn accepted(&self) -> bool {
            matches!(self, Self::Code | Self::RecoveryCode | Self::NotNeeded)
        }
    }

    /// How a failed confirmation of who the user is gets answered: the form it came from, the
    /// field and message shown there, and the audit detail for each way it failed.
    pub struct Refusal<'a> {
        pub form: &'a str,
        pub page: &'a str,
        pub field: &'a str,
        pub message: &'a str,
        pub wrong_password: &'a str,
        pub wrong_code: &'a str,
    }

    /// Confirms who the user is before a change: `password` must be theirs and, when they have
    /// a second factor, `code` right now. Confirmed: the open write transaction (any code is used
    /// up in it) and what the code was, for the caller to finish. Not: the failure is audited,
    /// the try counted (the fifth signs the session out) and the user sent back to `refusal`'s
    /// form; `None`.
    pub async fn confirm_identity_first(
        services: &Services,
        session: &PortalSession,
        user: &crate::auth::CurrentUser,
        password: &str,
        code: &str,
        now: DateTime<Utc>,
        refusal: Refusal<'_>,
    ) -> Result<Option<(crate::store::Tx, Outcome)>, AppError> {
        let creds = users::credentials_by_id(&services.db, user.id)
            .await
            .context("loading credentials")?
            .ok_or_else(AppError::unauthorized)?;
        let password_ok = services
            .hasher
            .verify(password, creds.password_hash.as_deref())
            .await
            .context("verifying a password")?;
        let mut tx = services.db.begin_write().await.context("begin")?;
        let outcome = if !password_ok {
            Outcome::Wrong
        } else if user.second_factor_enrolled {
            use_code(services, &mut tx, user.id, code, now).await?
        } else {
            Outcome::NotNeeded
        };
        if outcome.accepted() {
            return Ok(Some((tx, outcome)));
        }
        let detail = if password_ok {
            refusal.wrong_code
        } else {
            refusal.wrong_password
        };
        audit_own(&mut tx, now, user, AuditAction::SecondFactorFailed, detail).await?;
        tx.commit().await.context("commit")?;
        if wrong_try(session).await? {
            tracing::warn!(
                user_id = user.id,
                form = refusal.form,
                "5 wrong tries: signed out"
            );
            leptos_axum::redirect("/signed-out");
            return Ok(None);
        }
        let form = FormState::default().with_error(refusal.field, refusal.message);
        session
            .back_to_form(refusal.form, &form, refusal.page)
            .await
            .map_err(session_error)?;
        Ok(None)
    }

    pub async fn use_code(
        services: &Services,
        tx: &mut crate::store::Tx,
        user_id: i64,
        typed: &str,
        now: DateTime<Utc>,
    ) -> Result<Outcome, AppError> {
        let factor = users::second_factor(&services.db, user_id)
            .await
            .context("loading the second factor")?;
        let Some(secret) = factor
            .as_ref()
            .and_then(|f| f.totp_secret.as_deref())
            .and_then(TotpSecret::from_base32)
        else {
            return Ok(Outcome::Wrong);
        };
        if six_digits(typed).is_some() {
            let last = factor.and_then(|f| f.totp_last_step);
            return Ok(match check_code(&secret, typed, now.timestamp(), last) {
                CodeCheck::Accepted { step } => {
                    if users::accept_step(tx, user_id, step)
                        .await
                        .context("using the code")?
                    {
                        Outcome::Code
                    } else {
                        Outcome::Replayed
                    }
                }
                CodeCheck::Replayed => Outcome::Replayed,
                CodeCheck::Wrong => Outcome::Wrong,
            });
        }
        match recovery_code_hash(typed) {
            Some(hash) => Ok(
                if users::use_recovery_code(tx, user_id, &hash, now)
                    .await
                    .context("using a recovery code")?
                {
                    Outcome::RecoveryCode
                } else {
                    Outcome::Wrong
                },
            ),
            None => Ok(Outcome::Wrong),
        }
    }

    /// The message for a code that was not accepted.
    pub fn refusal(outcome: &Outcome) -> &'static str {
        match outcome {
            Outcome::Replayed => {
                "That code has already been used. Wait for your app to show a new code, then enter it"
            }
            _ => "Enter the 6-digit code your authenticator app shows now, or one of your recovery codes",
        }
    }

    /// Audits something a user did to their own second factor, in `tx`.
    pub async fn audit_own(
        tx: &mut crate::store::Tx,
        now: DateTime<Utc>,
        user: &crate::auth::CurrentUser,
        action: AuditAction,
        detail: &str,
    ) -> Result<(), AppError> {
        audit::record(
            tx,
            now,
            &event(
                action,
                Some(user.id),
                Some(user.id),
                user.organisation_id,
                detail,
            ),
        )
        .await
        .context("audit")
    }

    /// Counts a wrong try at confirming who the user is (before changing the second factor or
    /// the password); the fifth signs the session out (true).
    pub async fn wrong_try(session: &PortalSession) -> Result<bool, AppError> {
        let wrong: u32 = session
            .0
            .get::<u32>(CONFIRM_WRONG_KEY)
            .await
            .ok()
            .flatten()
            .unwrap_or(0)
            + 1;
        if wrong >= MAX_WRONG_CODES {
            session.sign_out().await.map_err(session_error)?;
            return Ok(true);
        }
        session
            .put(CONFIRM_WRONG_KEY, &wrong)
            .await
            .map_err(session_error)?;
        Ok(false)
    }

    /// Whether the user confirmed who they are (password and code) in the last few minutes, and
    /// may now change their second factor.
    pub async fn may_change(session: &PortalSession, now: DateTime<Utc>) -> bool {
        session
            .0
            .get::<DateTime<Utc>>(CONFIRMED_KEY)
            .await
            .ok()
            .flatten()
            .is_some_and(|until| until > now)
    }
}

/// The code page after the password: is a sign-in waiting for its code?
#[server(prefix = "/api", endpoint = "auth/code-pending")]
pub async fn sign_in_code_pending() -> Result<bool, AppError> {
    use self::ssr::*;
    let session = session().await?;
    Ok(session
        .pending_sign_in()
        .await
        .map_err(session_error)?
        .is_some())
}

/// The second step of signing in: a code from the app, or a recovery code. A code works once;
/// five wrong codes end the half-signed-in session. Every success and failure is audited.
#[server(prefix = "/api", endpoint = "auth/code")]
pub async fn sign_in_code(code: String) -> Result<(), AppError> {
    use self::ssr::*;
    let services = services()?;
    let session = session().await?;
    let now = services.clock.now();
    let restart = |message: &'static str| {
        let session = session.clone();
        async move {
            session.0.clear().await;
            session
                .0
                .cycle_id()
                .await
                .map_err(|e| session_error(e.into()))?;
            let form = FormState::default().with_error("email", message);
            session
                .back_to_form("sign-in", &form, "/sign-in")
                .await
                .map_err(session_error)
        }
    };
    let Some(mut pending) = session.pending_sign_in().await.map_err(session_error)? else {
        // Nobody half-way through: whoever is (or is not) signed in stays as they are.
        leptos_axum::redirect("/sign-in");
        return Ok(());
    };
    let expired =
        now - pending.started_at > chrono::Duration::minutes(crate::auth::session::PENDING_MINUTES);
    let creds = users::credentials_by_id(&services.db, pending.user_id)
        .await
        .context("loading credentials")?;
    let Some(creds) = creds.filter(|c| {
        c.active
            && c.session_epoch == pending.epoch
            && c.locked_until.is_none_or(|until| until <= now)
    }) else {
        return restart("Sign in again").await;
    };
    if expired {
        return restart("Your sign-in timed out. Sign in again").await;
    }
    let org = creds.organisation_id;
    let mut tx = services.db.begin_write().await.context("begin")?;
    let outcome = use_code(&services, &mut tx, creds.id, &code, now).await?;
    let (action, detail) = match outcome {
        Outcome::Code | Outcome::NotNeeded => {
            (AuditAction::SecondFactorPassed, "authenticator code")
        }
        Outcome::RecoveryCode => (AuditAction::RecoveryCodeUsed, "recovery code at sign-in"),
        Outcome::Replayed => (AuditAction::SecondFactorFailed, "code already used"),
        Outcome::Wrong => (AuditAction::SecondFactorFailed, "wrong code"),
    };
    let accepted = outcome.accepted();
    pending.wrong_codes += u32::from(!accepted);
    let ended = !accepted && pending.wrong_codes >= MAX_WRONG_CODES;
    let detail = if ended {
        format!("{detail}; {MAX_WRONG_CODES} wrong codes ended the sign-in")
    } else {
        detail.to_string()
    };
    audit::record(
        &mut tx,
        now,
        &event(action, Some(creds.id), Some(creds.id), org, &detail),
    )
    .await
    .context("audit")?;
    tx.commit().await.context("commit")?;
    if accepted {
        let how = if matches!(outcome, Outcome::RecoveryCode) {
            "with a recovery code"
        } else {
            "with an authenticator code"
        };
        return complete_sign_in(
            &services,
            &session,
            &creds,
            true,
            how,
            pending.next.as_deref(),
        )
        .await;
    }
    tracing::info!(
        user_id = creds.id,
        wrong = pending.wrong_codes,
        "second factor refused"
    );
    if ended {
        return restart("You entered a wrong code 5 times. Sign in again").await;
    }
    session
        .set_pending_sign_in(&pending)
        .await
        .map_err(session_error)?;
    let form = FormState::default().with_error("code", refusal(&outcome));
    session
        .back_to_form("sign-in-code", &form, CODE_PAGE)
        .await
        .map_err(session_error)
}

/// The set-up page: the user's second factor, and a new secret to scan when they have none (or
/// have just confirmed who they are in order to change it).
#[server(prefix = "/api", endpoint = "account/second-factor/info")]
pub async fn second_factor_info() -> Result<FactorStatus, AppError> {
    use self::ssr::*;
    let user = require_user()?;
    let services = services()?;
    let session = session().await?;
    let now = services.clock.now();
    let factor = users::second_factor(&services.db, user.id)
        .await
        .context("loading the second factor")?;
    let enrolled_at = factor.as_ref().and_then(|f| {
        f.totp_secret.as_ref()?;
        f.totp_enrolled_at
    });
    let enrolled = factor.is_some_and(|f| f.totp_secret.is_some());
    let setup = if !enrolled || may_change(&session, now).await {
        let secret = match session
            .enrolment_secret()
            .await
            .map_err(session_error)?
            .and_then(|s| TotpSecret::from_base32(&s))
        {
            Some(s) => s,
            None => {
                let s = TotpSecret::generate();
                session
                    .set_enrolment_secret(&s.to_base32())
                    .await
                    .map_err(session_error)?;
                s
            }
        };
        Some(Setup {
            qr_svg: qr_svg(&secret.otpauth_uri(ISSUER, &user.email))?,
            secret: secret.grouped(),
        })
    } else {
        None
    };
    let recovery_codes_left = if enrolled {
        users::recovery_codes_left(&services.db, user.id)
            .await
            .context("counting recovery codes")?
    } else {
        0
    };
    Ok(FactorStatus {
        email: user.email.clone(),
        enrolled,
        enrolled_on: enrolled_at.map(crate::clock::london_long),
        required: user.is_staff() && services.auth.staff_second_factor,
        recovery_codes_left,
        setup,
    })
}

/// Confirms the app is set up: a code from the new secret saves it, makes 10 recovery codes
/// (shown once, stored hashed) and ends the user's other sessions.
#[server(prefix = "/api", endpoint = "account/second-factor/confirm")]
pub async fn confirm_second_factor(code: String) -> Result<(), AppError> {
    use self::ssr::*;
    let user = require_user()?;
    let services = services()?;
    let session = session().await?;
    let now = services.clock.now();
    let enrolled = user.second_factor_enrolled;
    if enrolled && !may_change(&session, now).await {
        let form = FormState::default().with_error(
            "code",
            "Confirm your password and a code before you change your second factor",
        );
        return session
            .back_to_form("second-factor", &form, SET_UP_PAGE)
            .await
            .map_err(session_error);
    }
    let secret = session
        .enrolment_secret()
        .await
        .map_err(session_error)?
        .and_then(|s| TotpSecret::from_base32(&s));
    let Some(secret) = secret else {
        leptos_axum::redirect(SET_UP_PAGE);
        return Ok(());
    };
    let step = match check_code(&secret, &code, now.timestamp(), None) {
        CodeCheck::Accepted { step } => step,
        _ => {
            let message = if code.trim().is_empty() {
                "Enter the 6-digit code your authenticator app shows"
            } else {
                "The code does not match. Check the app shows the account you just added, then enter the code it shows now"
            };
            let form = FormState::default().with_error("code", message);
            return session
                .back_to_form("second-factor", &form, SET_UP_PAGE)
                .await
                .map_err(session_error);
        }
    };
    let codes = new_recovery_codes();
    let hashes: Vec<String> = codes.iter().filter_map(|c| recovery_code_hash(c)).collect();
    let mut tx = services.db.begin_write().await.context("begin")?;
    let epoch =
        users::enrol_second_factor(&mut tx, user.id, &secret.to_base32(), step, &hashes, now)
            .await
            .context("saving the second factor")?;
    let detail = if enrolled {
        "changed; other sessions ended"
    } else {
        "set up; other sessions ended"
    };
    audit_own(&mut tx, now, &user, AuditAction::SecondFactorSet, detail).await?;
    tx.commit().await.context("commit")?;
    // This session stays signed in (with the new epoch, which ended every other one).
    session
        .sign_in(user.id, epoch, now, true)
        .await
        .map_err(session_error)?;
    session
        .put(RECOVERY_KEY, &codes)
        .await
        .map_err(session_error)?;
    tracing::info!(user_id = user.id, "second factor set up");
    leptos_axum::redirect(&format!("{SET_UP_PAGE}/recovery-codes"));
    Ok(())
}

/// The recovery codes, once (empty when they have been shown already), and where the user
/// goes next.
#[server(prefix = "/api", endpoint = "account/second-factor/recovery-codes")]
pub async fn take_recovery_codes() -> Result<(Vec<String>, String), AppError> {
    use self::ssr::*;
    let user = require_user()?;
    let session = session().await?;
    let codes = session
        .take::<Vec<String>>(RECOVERY_KEY)
        .await
        .map_err(session_error)?
        .unwrap_or_default();
    Ok((codes, user.home_path().to_string()))
}

/// Before changing or removing a second factor: the password and a code (or recovery code)
/// again. Five wrong tries end the session.
#[server(prefix = "/api", endpoint = "account/second-factor/verify")]
pub async fn confirm_identity(
    purpose: String,
    password: String,
    code: String,
) -> Result<(), AppError> {
    use self::ssr::*;
    let user = require_user()?;
    let services = services()?;
    let session = session().await?;
    let now = services.clock.now();
    let purpose = Purpose::parse(&purpose).ok_or_else(|| AppError::invalid("Unknown purpose"))?;
    let page = format!("{SET_UP_PAGE}/confirm?purpose={}", purpose.code());
    if !user.second_factor_enrolled {
        leptos_axum::redirect(SET_UP_PAGE);
        return Ok(());
    }
    let mut form = FormState::default();
    if password.is_empty() {
        form = form.with_error("password", "Enter your password");
    }
    if code.trim().is_empty() {
        form = form.with_error("code", "Enter the 6-digit code your authenticator app shows now, or one of your recovery codes");
    }
    if form.has_errors() {
        return session
            .back_to_form("second-factor-confirm", &form, &page)
            .await
            .map_err(session_error);
    }
    let refusal = Refusal {
        form: "second-factor-confirm",
        page: &page,
        field: "password",
        message: "Enter your password and a code that is right now",
        wrong_password: "identity not confirmed: wrong password",
        wrong_code: "identity not confirmed: wrong code",
    };
    let Some((mut tx, outcome)) =
        confirm_identity_first(&services, &session, &user, &password, &code, now, refusal).await?
    else {
        return Ok(());
    };
    let action = match outcome {
        Outcome::RecoveryCode => AuditAction::RecoveryCodeUsed,
        _ => AuditAction::SecondFactorPassed,
    };
    audit_own(&mut tx, now, &user, action, "identity confirmed").await?;
    tx.commit().await.context("commit")?;
    let _ = session.take::<u32>(CONFIRM_WRONG_KEY).await;
    match purpose {
        Purpose::Change => {
            let until = now + chrono::Duration::minutes(CONFIRMED_MINUTES);
            session
                .put(CONFIRMED_KEY, &until)
                .await
                .map_err(session_error)?;
            // A new secret for the page to show.
            session
                .set_enrolment_secret(&TotpSecret::generate().to_base32())
                .await
                .map_err(session_error)?;
            leptos_axum::redirect(SET_UP_PAGE);
            Ok(())
        }
        Purpose::Remove => {
            if user.is_staff() && services.auth.staff_second_factor {
                return Err(AppError::invalid(
                    "Programme staff and admins must keep a second factor",
                ));
            }
            let mut tx = services.db.begin_write().await.context("begin")?;
            users::remove_second_factor(&mut tx, user.id)
                .await
                .context("removing the second factor")?;
            audit_own(
                &mut tx,
                now,
                &user,
                AuditAction::SecondFactorRemoved,
                "turned off by the user; other sessions ended",
            )
            .await?;
            tx.commit().await.context("commit")?;
            let creds = users::credentials_by_id(&services.db, user.id)
                .await
                .context("loading credentials")?
                .ok_or_else(AppError::unauthorized)?;
            session
                .sign_in(user.id, creds.session_epoch, now, false)
                .await
                .map_err(session_error)?;
            session
                .set_flash("Your second factor has been turned off")
                .await
                .map_err(session_error)?;
            leptos_axum::redirect(SET_UP_PAGE);
            Ok(())
        }
    }
}

/// A programme admin removes a user's second factor (a lost phone and lost recovery codes):
/// their sessions end, they are emailed, and they set up a new one when they next sign in.
#[server(prefix = "/api", endpoint = "admin/users/reset-second-factor")]
pub async fn reset_second_factor(user: String) -> Result<(), AppError> {
    use self::ssr::*;
    let admin = require_admin()?;
    let services = services()?;
    let session = session().await?;
    let id: i64 = user.trim().parse().map_err(|_| AppError::not_found())?;
    let target = users::get(&services.db, id)
        .await
        .context("loading a user")?
        .ok_or_else(AppError::not_found)?;
    let page = format!("/admin/users/{id}");
    if !target.second_factor {
        session
            .set_flash(&format!("{} has no second factor to reset", target.name))
            .await
            .map_err(session_error)?;
        leptos_axum::redirect(&page);
        return Ok(());
    }
    let now = services.clock.now();
    let mut tx = services.db.begin_write().await.context("begin")?;
    users::remove_second_factor(&mut tx, id)
        .await
        .context("resetting the second factor")?;
    audit::record(
        &mut tx,
        now,
        &event(
            AuditAction::SecondFactorReset,
            Some(admin.id),
            Some(id),
            target.organisation_id,
            "reset by an admin; sessions ended",
        ),
    )
    .await
    .context("audit")?;
    let letter = crate::emails::Letter::new(
        "Your second factor for the connection portal was reset",
        &target.name,
    )
    .para(format!(
        "{} reset the second factor on your account, and you were signed out.",
        admin.name
    ))
    .para("When you next sign in, you will be asked to set up an authenticator app again.")
    .para("If you did not ask for this, tell the Pensions Dashboards Programme at once.");
    let key = format!("second-factor-reset:{id}:{}", now.timestamp_millis());
    outbox::enqueue(&mut tx, &letter.to(key, &target.email), now)
        .await
        .context("queuing the email")?;
    tx.commit().await.context("commit")?;
    tracing::info!(admin = admin.id, user_id = id, "second factor reset");
    session
        .set_flash(&format!(
            "{}'s second factor has been reset and they have been signed out",
            target.name
        ))
        .await
        .map_err(session_error)?;
    leptos_axum::redirect(&page);
    Ok(())
}
