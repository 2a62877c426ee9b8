//! The one error type of the application: what a server function, and so a page, can fail with.
//!
//! What is the user's doing (nothing there, not allowed, not signed in, input that cannot be
//! used) says so; what is ours is logged in full on the server, with a short reference that the
//! user sees on "Sorry, there is a problem with the service". On the server each constructor
//! also sets the response's status, so a server function's caller gets 404, 403, 401, 422, 400
//! or 500 to match.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Nothing there, or nothing this user may know is there (another organisation's data).
    #[error("Not found")]
    NotFound,
    /// Signed in, but not allowed to do this.
    #[error("You do not have permission to do this")]
    Forbidden,
    /// Not signed in.
    #[error("You need to sign in")]
    Unauthorized,
    /// Input that cannot be used, with the message to show.
    #[error("{0}")]
    Invalid(String),
    /// Our failure; the details are in the log under `reference`.
    #[error("Sorry, there is a problem with the service (reference {reference})")]
    Internal { reference: String },
}

/// What the caller of a server function sent could not be decoded (a missing field, a number
/// that is not one): the caller's mistake, answered with 400.
pub const MALFORMED_CALL: &str = "The request was missing something or had something it should not";

impl AppError {
    /// The HTTP status that goes with the error.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::Forbidden => 403,
            Self::Unauthorized => 401,
            Self::Invalid(m) if m == MALFORMED_CALL => 400,
            Self::Invalid(_) => 422,
            Self::Internal { .. } => 500,
        }
    }

    pub fn not_found() -> Self {
        Self::NotFound.answered()
    }

    pub fn forbidden() -> Self {
        Self::Forbidden.answered()
    }

    pub fn unauthorized() -> Self {
        Self::Unauthorized.answered()
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into()).answered()
    }

    /// Logs an unexpected failure in full, with what was being done, and gives the user only a
    /// reference to quote.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        let reference = new_reference();
        #[cfg(feature = "ssr")]
        tracing::error!(%reference, error = %err, "{context}");
        #[cfg(not(feature = "ssr"))]
        let _ = (context, err);
        Self::Internal { reference }.answered()
    }

    /// Sets this error's status on the response being built, when there is one.
    fn answered(self) -> Self {
        #[cfg(feature = "ssr")]
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(status) = http::StatusCode::from_u16(self.status()) {
                response.set_status(status);
            }
        }
        self
    }
}

/// Eight characters, easy to read out over the phone.
fn new_reference() -> String {
    #[cfg(feature = "ssr")]
    {
        uuid::Uuid::new_v4().simple().to_string()[..8].to_uppercase()
    }
    #[cfg(not(feature = "ssr"))]
    {
        "BROWSER".to_string()
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_) => Self::invalid(MALFORMED_CALL),
            other => Self::internal("server function", other),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::internal("database", e)
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        Self::internal("database", e)
    }
}

/// `.context("loading a run")?`: an unexpected failure becomes [`AppError::Internal`], logged
/// with what was being done.
pub trait Context<T> {
    fn context(self, what: &str) -> Result<T, AppError>;
}

impl<T, E: std::fmt::Display> Context<T> for Result<T, E> {
    fn context(self, what: &str) -> Result<T, AppError> {
        self.map_err(|e| AppError::internal(what, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_its_status() {
        assert_eq!(AppError::not_found().status(), 404);
        assert_eq!(AppError::forbidden().status(), 403);
        assert_eq!(AppError::unauthorized().status(), 401);
        assert_eq!(AppError::invalid("Enter a date").status(), 422);
        assert_eq!(AppError::invalid(MALFORMED_CALL).status(), 400);
        assert_eq!(AppError::internal("testing", "boom").status(), 500);
    }

    #[test]
    fn an_internal_error_shows_a_reference_and_nothing_of_the_cause() {
        let e = Err::<(), _>("password=hunter2 at db.internal:5432")
            .context("loading a run")
            .unwrap_err();
        let AppError::Internal { reference } = &e else {
            panic!("expected Internal, got {e:?}")
        };
        assert_eq!(reference.len(), 8);
        let shown = e.to_string();
        assert!(shown.contains(reference.as_str()));
        assert!(!shown.contains("hunter2"));
    }

    #[test]
    fn malformed_arguments_are_the_callers_mistake() {
        let e = AppError::from_server_fn_error(ServerFnErrorErr::Args("id: invalid digit".into()));
        assert_eq!(e, AppError::Invalid(MALFORMED_CALL.to_string()));
        let e = AppError::from_server_fn_error(ServerFnErrorErr::Response("oops".into()));
        assert!(matches!(e, AppError::Internal { .. }));
    }

    #[test]
    fn errors_survive_the_trip_to_the_browser() {
        for e in [
            AppError::NotFound,
            AppError::Forbidden,
            AppError::Unauthorized,
            AppError::Invalid("Enter a date".into()),
            AppError::Internal {
                reference: "AB12CD34".into(),
            },
        ] {
            assert_eq!(AppError::de(e.ser()), e);
        }
    }
}
