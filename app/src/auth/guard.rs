//! Access checks that every server function and page makes before anything else.

use http::request::Parts;
use leptos::prelude::*;

use super::CurrentUser;
use crate::{domain::Role, error::AppError, services::Services};

/// Put into each request's extensions by the server's authentication middleware.
#[derive(Debug, Clone, Default)]
pub struct Authenticated(pub Option<CurrentUser>);

/// The signed-in user for this request, if any.
pub fn current_user() -> Option<CurrentUser> {
    use_context::<Parts>()?
        .extensions
        .get::<Authenticated>()?
        .0
        .clone()
}

/// The server's shared services (database, clock, hasher).
pub fn services() -> Result<Services, AppError> {
    use_context::<Services>()
        .ok_or_else(|| AppError::internal("services", "the server did not provide its services"))
}

/// 401 unless someone is signed in.
pub fn require_user() -> Result<CurrentUser, AppError> {
    current_user().ok_or_else(AppError::unauthorized)
}

/// 403 unless the user works for the programme (staff or admin).
pub fn require_staff() -> Result<CurrentUser, AppError> {
    let user = require_user()?;
    if user.is_staff() {
        Ok(user)
    } else {
        tracing::warn!(user_id = user.id, "refused: programme staff only");
        Err(AppError::forbidden())
    }
}

/// 403 unless the user is a programme admin.
pub fn require_admin() -> Result<CurrentUser, AppError> {
    let user = require_user()?;
    if user.is_admin() {
        Ok(user)
    } else {
        tracing::warn!(user_id = user.id, "refused: programme admin only");
        Err(AppError::forbidden())
    }
}

/// The user and their organisation's id; 403 for programme users, who have none.
pub fn require_organisation_user() -> Result<(CurrentUser, i64), AppError> {
    let user = require_user()?;
    match user.organisation_id {
        Some(org) => Ok((user, org)),
        None => Err(AppError::forbidden()),
    }
}

/// 403 unless the organisation user holds `role`.
pub fn require_organisation_role(role: Role) -> Result<(CurrentUser, i64), AppError> {
    let (user, org) = require_organisation_user()?;
    if user.has_role(role) {
        Ok((user, org))
    } else {
        Err(AppError::forbidden())
    }
}

/// The request's client address and id, for audit rows (set by the server's middleware).
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
}

pub fn request_meta() -> RequestMeta {
    use_context::<Parts>()
        .and_then(|p| p.extensions.get::<RequestMeta>().cloned())
        .unwrap_or_default()
}
