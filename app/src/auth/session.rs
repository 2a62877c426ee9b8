//! The session as the portal uses it: who is signed in (user id, session epoch, when they signed
//! in, when they were last seen), one-shot form state for post/redirect/get, and flash banners.
//! Kept small: no drafts, no roles (those are read from the database on every request).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use tower_sessions::Session;

use super::CurrentUser;
use crate::{
    forms::FormState,
    services::Services,
    store::{
        users::{self, SessionLookup},
        StoreError,
    },
};

const USER_KEY: &str = "user";
const FLASH_KEY: &str = "flash";
const PENDING_KEY: &str = "pending_sign_in";
const ENROLMENT_KEY: &str = "second_factor_enrolment";
/// A half-finished sign-in (password right, code not yet given) lasts this long.
pub const PENDING_MINUTES: i64 = 5;

/// Where the session store leaves the user it read with the session, as they are in the
/// database at that moment. The store drops it again whenever it saves the session, so it only
/// ever lives for one request.
pub const WHO_KEY: &str = "portal.who";

/// The id of the user a session's data signs in, if any (the store keeps it beside the data).
pub fn user_id_of(data: &std::collections::HashMap<String, serde_json::Value>) -> Option<i64> {
    SessionUser::deserialize(data.get(USER_KEY)?)
        .ok()
        .map(|u| u.user_id)
}

/// Session lifetimes and the account lock rule.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Signed out after this long without a request.
    pub idle_timeout: Duration,
    /// Signed out this long after signing in, however active.
    pub absolute_timeout: Duration,
    /// Failed sign-ins in a row that lock an account.
    pub lock_after_failures: i32,
    /// How long a locked account stays locked.
    pub lock_duration: Duration,
    /// Programme staff and admins must sign in with a second factor (production always).
    pub staff_second_factor: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(12 * 60 * 60),
            lock_after_failures: 10,
            lock_duration: Duration::from_secs(15 * 60),
            staff_second_factor: true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionUser {
    pub user_id: i64,
    pub epoch: i64,
    pub authenticated_at: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// Signed in with a second factor, not with the password alone.
    #[serde(default)]
    pub second_factor: bool,
}

/// Password accepted, code not yet: the user is not signed in until they give one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub user_id: i64,
    pub epoch: i64,
    pub started_at: DateTime<Utc>,
    pub wrong_codes: u32,
    pub next: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("session store error: {0}")]
    Session(#[from] tower_sessions::session::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A typed view of the tower-sessions session.
#[derive(Debug, Clone)]
pub struct PortalSession(pub Session);

/// The session of the request being handled (the server's session layer provides it).
pub async fn request_session() -> Result<PortalSession, crate::error::AppError> {
    use crate::error::Context;
    let s = leptos_axum::extract::<Session>()
        .await
        .context("session missing")?;
    Ok(PortalSession(s))
}

impl PortalSession {
    pub async fn user(&self) -> Result<Option<SessionUser>, SessionError> {
        Ok(self.0.get::<SessionUser>(USER_KEY).await?)
    }

    /// Signs in: a new session id (the old one is deleted, so a planted id is useless), then the
    /// user. Anything the anonymous session held is dropped.
    pub async fn sign_in(
        &self,
        user_id: i64,
        epoch: i64,
        now: DateTime<Utc>,
        second_factor: bool,
    ) -> Result<(), SessionError> {
        self.0.clear().await;
        self.0.cycle_id().await?;
        self.0
            .insert(
                USER_KEY,
                SessionUser {
                    user_id,
                    epoch,
                    authenticated_at: now,
                    last_seen: now,
                    second_factor,
                },
            )
            .await?;
        Ok(())
    }

    /// After the password of a user with a second factor: a new session id that signs nobody
    /// in yet, holding who is half-way through.
    pub async fn begin_second_step(&self, pending: &PendingSignIn) -> Result<(), SessionError> {
        self.0.clear().await;
        self.0.cycle_id().await?;
        self.0.insert(PENDING_KEY, pending).await?;
        Ok(())
    }

    pub async fn pending_sign_in(&self) -> Result<Option<PendingSignIn>, SessionError> {
        Ok(self.0.get::<PendingSignIn>(PENDING_KEY).await?)
    }

    pub async fn set_pending_sign_in(&self, pending: &PendingSignIn) -> Result<(), SessionError> {
        self.0.insert(PENDING_KEY, pending).await?;
        Ok(())
    }

    /// The secret being set up (shown as a QR code until a code from it is confirmed).
    pub async fn enrolment_secret(&self) -> Result<Option<String>, SessionError> {
        Ok(self.0.get::<String>(ENROLMENT_KEY).await?)
    }

    pub async fn set_enrolment_secret(&self, secret_base32: &str) -> Result<(), SessionError> {
        self.0.insert(ENROLMENT_KEY, secret_base32).await?;
        Ok(())
    }

    /// Deletes the session server-side and clears the cookie.
    pub async fn sign_out(&self) -> Result<(), SessionError> {
        self.0.flush().await?;
        Ok(())
    }

    pub async fn save_form(&self, form: &str, state: &FormState) -> Result<(), SessionError> {
        self.0.insert(&format!("form:{form}"), state).await?;
        Ok(())
    }

    pub async fn take_form(&self, form: &str) -> Result<Option<FormState>, SessionError> {
        self.take(&format!("form:{form}")).await
    }

    /// Post/redirect/get after a form with problems: keeps what was typed and what was wrong
    /// for `page`, and sends the browser back there.
    pub async fn back_to_form(
        &self,
        form: &str,
        state: &FormState,
        page: &str,
    ) -> Result<(), SessionError> {
        self.save_form(form, state).await?;
        leptos_axum::redirect(page);
        Ok(())
    }

    pub async fn set_flash(&self, message: &str) -> Result<(), SessionError> {
        self.0.insert(FLASH_KEY, message).await?;
        Ok(())
    }

    pub async fn take_flash(&self) -> Result<Option<String>, SessionError> {
        self.take(FLASH_KEY).await
    }

    /// Keeps a value for the next page (post/redirect/get of something bigger than a form).
    pub async fn put<T: serde::Serialize>(&self, key: &str, value: &T) -> Result<(), SessionError> {
        self.0.insert(key, value).await?;
        Ok(())
    }

    /// Takes a value [`Self::put`] kept, once.
    pub async fn take<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionError> {
        // Reading first avoids marking an untouched session as modified.
        if self.0.get_value(key).await?.is_none() {
            return Ok(None);
        }
        Ok(self.0.remove::<T>(key).await?)
    }
}

/// Works out who is signed in for one request: checks the absolute lifetime, that the account is
/// still active and that nothing has ended its sessions since (password change, deactivation:
/// both bump the user's session epoch). Any failed check deletes the session. Activity is
/// recorded at most once a minute, which also renews the idle timer.
pub async fn resolve(
    session: &PortalSession,
    services: &Services,
) -> Result<Option<CurrentUser>, SessionError> {
    let Some(mut su) = session.user().await? else {
        return Ok(None);
    };
    let now = services.clock.now();
    let settings = &services.auth;
    let age = now.signed_duration_since(su.authenticated_at);
    let too_old = age
        .to_std()
        .map(|a| a > settings.absolute_timeout)
        .unwrap_or(false);
    // Normally read with the session, in the same query; a session whose row does not name its
    // user yet (saved by an earlier version) costs one more query.
    let read_with_session = session
        .0
        .get::<SessionLookup>(WHO_KEY)
        .await
        .ok()
        .flatten()
        .filter(|who| who.current.id == su.user_id);
    let user = match read_with_session {
        Some(who) => Some(who),
        None => users::find_for_session(&services.db, su.user_id).await?,
    };
    // A password-only session of a user who has a second factor is not theirs to keep.
    let valid = match &user {
        Some(u) => {
            u.active
                && u.session_epoch == su.epoch
                && !too_old
                && (su.second_factor || !u.current.second_factor_enrolled)
        }
        None => false,
    };
    if !valid {
        session.sign_out().await?;
        return Ok(None);
    }
    let touch_every = (settings.idle_timeout / 2).min(Duration::from_secs(60));
    let since_seen = now
        .signed_duration_since(su.last_seen)
        .to_std()
        .unwrap_or_default();
    if since_seen >= touch_every {
        su.last_seen = now;
        session.0.insert(USER_KEY, &su).await?;
    }
    Ok(user.map(|u| CurrentUser {
        second_factor_passed: su.second_factor,
        ..u.current
    }))
}
