//! Invitations: the link an admin's invitation emails, checking it, and setting a password
//! from it, once.

use leptos::prelude::*;

use crate::error::AppError;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use crate::{
        emails::Letter,
        error::{AppError, Context},
        services::Services,
        store::{invitations, outbox, Tx},
    };

    /// A random 256-bit token for a link, and the SHA-256 we store instead of it.
    pub fn new_token() -> (String, String) {
        use rand::RngCore;
        use sha2::Digest;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        let hash = hex::encode(sha2::Sha256::digest(token.as_bytes()));
        (token, hash)
    }

    pub fn hash_token(token: &str) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(token.as_bytes()))
    }

    /// Makes a week-long invitation for a new user and queues its email, in the caller's
    /// transaction.
    pub async fn issue(
        tx: &mut Tx,
        services: &Services,
        user_id: i64,
        person: &str,
        address: &str,
        organisation: Option<&str>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), AppError> {
        let (token, hash) = new_token();
        let invitation_id =
            invitations::create(tx, user_id, &hash, now, now + chrono::Duration::days(7))
                .await
                .context("creating an invitation")?;
        let link = format!("{}/invitation/{token}", services.public_origin);
        let org_line = organisation
            .map(|o| format!(" for {o}"))
            .unwrap_or_default();
        let letter = Letter::new(
            "Your account for the pensions dashboards connection portal",
            person,
        )
        .para(format!(
            "An account has been made for you{org_line} on the pensions dashboards connection portal."
        ))
        .link("Set your password and sign in (within 7 days)", link)
        .para("If you were not expecting this email, you can ignore it.");
        outbox::enqueue(
            tx,
            &letter.to(format!("invitation:{invitation_id}"), address),
            now,
        )
        .await
        .context("queueing the invitation email")?;
        Ok(())
    }
}

/// Whether an invitation link can still be used, and for whom.
#[server(prefix = "/api", endpoint = "invitation/check")]
pub async fn check_invitation(token: String) -> Result<Option<String>, AppError> {
    use self::ssr::*;
    use crate::api::admin::ssr::*;
    let services = services()?;
    if token.len() != 64 {
        return Ok(None);
    }
    let found = invitations::find_valid(&services.db, &hash_token(&token), services.clock.now())
        .await
        .context("checking an invitation")?;
    match found {
        Some((_, user_id)) => Ok(users::get(&services.db, user_id)
            .await
            .context("loading a user")?
            .map(|u| u.email)),
        None => Ok(None),
    }
}

/// Sets the password from an invitation link, once. The user then signs in.
#[server(prefix = "/api", endpoint = "invitation/accept")]
pub async fn accept_invitation(token: String, password: String) -> Result<(), AppError> {
    use self::ssr::*;
    use crate::api::admin::ssr::*;
    use crate::{
        auth::password::is_guessable,
        domain::{NewPassword, PasswordContext},
    };
    let services = services()?;
    let session = session().await?;
    let page = format!("/invitation/{}", urlencode(&token));
    let now = services.clock.now();
    let found = if token.len() == 64 {
        invitations::find_valid(&services.db, &hash_token(&token), now)
            .await
            .context("checking an invitation")?
    } else {
        None
    };
    let Some((invitation_id, user_id)) = found else {
        leptos_axum::redirect(&page);
        return Ok(());
    };
    let user = users::get(&services.db, user_id)
        .await
        .context("loading a user")?
        .ok_or_else(AppError::not_found)?;
    let context = PasswordContext {
        name: &user.name,
        email: &user.email,
        organisation: user.organisation_name.as_deref(),
    };
    let new_password = match NewPassword::parse(&password, &context, is_guessable) {
        Ok(p) => p,
        Err(e) => {
            let form = FormState::default().with_error("password", e.to_string());
            return session
                .back_to_form("invitation", &form, &page)
                .await
                .context("session");
        }
    };
    let hash = services
        .hasher
        .hash(&new_password)
        .await
        .context("hashing a password")?;
    let mut tx = services.db.begin_write().await.context("begin")?;
    if !invitations::mark_used(&mut tx, invitation_id, now)
        .await
        .context("using an invitation")?
    {
        // Used by a second tab or a double submit in the meantime: nothing to do.
        leptos_axum::redirect("/sign-in");
        return Ok(());
    }
    users::set_password(&mut tx, user_id, &hash)
        .await
        .context("setting a password")?;
    audit::record(
        &mut tx,
        now,
        &event(
            AuditAction::PasswordSet,
            user_id,
            Some(user_id),
            user.organisation_id,
            "from invitation".into(),
        ),
    )
    .await
    .context("audit")?;
    tx.commit().await.context("commit")?;
    session
        .set_flash("Your password has been set. Sign in to continue")
        .await
        .context("session")?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}
