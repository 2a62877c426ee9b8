//! Access checks that every server function and page makes before anything else.

use http::{request::Parts, StatusCode};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use super::CurrentUser;
use crate::{domain::Role, services::Services};

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
pub fn services() -> Result<Services, ServerFnError> {
    use_context::<Services>()
        .ok_or_else(|| ServerFnError::new("Something went wrong (services missing)"))
}

fn refuse(status: StatusCode, message: &str) -> ServerFnError {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(status);
    }
    ServerFnError::new(message)
}

/// 401 unless someone is signed in.
pub fn require_user() -> Result<CurrentUser, ServerFnError> {
    current_user().ok_or_else(|| refuse(StatusCode::UNAUTHORIZED, "You need to sign in"))
}

/// 403 unless the user works for the programme (staff or admin).
pub fn require_staff() -> Result<CurrentUser, ServerFnError> {
    let user = require_user()?;
    if user.is_staff() {
        Ok(user)
    } else {
        tracing::warn!(user_id = user.id, "refused: programme staff only");
        Err(refuse(
            StatusCode::FORBIDDEN,
            "You do not have permission to do this",
        ))
    }
}

/// 403 unless the user is a programme admin.
pub fn require_admin() -> Result<CurrentUser, ServerFnError> {
    let user = require_user()?;
    if user.is_admin() {
        Ok(user)
    } else {
        tracing::warn!(user_id = user.id, "refused: programme admin only");
        Err(refuse(
            StatusCode::FORBIDDEN,
            "You do not have permission to do this",
        ))
    }
}

/// The user and their organisation's id; 403 for programme users, who have none.
pub fn require_organisation_user() -> Result<(CurrentUser, i64), ServerFnError> {
    let user = require_user()?;
    match user.organisation_id {
        Some(org) => Ok((user, org)),
        None => Err(refuse(
            StatusCode::FORBIDDEN,
            "This page is for organisation users",
        )),
    }
}

/// 403 unless the organisation user holds `role`.
pub fn require_organisation_role(role: Role) -> Result<(CurrentUser, i64), ServerFnError> {
    let (user, org) = require_organisation_user()?;
    if user.has_role(role) {
        Ok((user, org))
    } else {
        Err(refuse(
            StatusCode::FORBIDDEN,
            "You do not have permission to do this",
        ))
    }
}

/// 403 for a signed-in user who may not do this.
pub fn forbidden() -> ServerFnError {
    refuse(
        StatusCode::FORBIDDEN,
        "You do not have permission to do this",
    )
}

/// 404 for anything the user may not know exists (another organisation's data).
pub fn not_found() -> ServerFnError {
    refuse(StatusCode::NOT_FOUND, "Not found")
}

/// 422 with a plain message for input that cannot be used.
pub fn bad_input(message: &str) -> ServerFnError {
    refuse(StatusCode::UNPROCESSABLE_ENTITY, message)
}

/// Logs an unexpected error in full and gives the user a reference instead of internals.
pub fn internal(context: &str, err: impl std::fmt::Display) -> ServerFnError {
    let reference = uuid::Uuid::new_v4().simple().to_string()[..8].to_uppercase();
    tracing::error!(%reference, error = %err, "{context}");
    refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        &format!("Sorry, there is a problem with the service (reference {reference})"),
    )
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
