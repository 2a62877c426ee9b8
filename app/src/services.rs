//! What server functions and pages get from the server: the database, the clock, the password
//! hasher and the account settings.

use std::sync::Arc;

use crate::{
    auth::{password::PasswordHasher, session::AuthSettings},
    clock::Clock,
    store::Db,
};

/// Provided as Leptos context on every request (see `server::startup`).
#[derive(Clone, Debug)]
pub struct Services {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub hasher: PasswordHasher,
    pub auth: Arc<AuthSettings>,
    /// Where users reach the portal (for links in emails), e.g. `https://connect.example.org`.
    pub public_origin: Arc<str>,
    /// Dev and demo mode: emails are logged and listed for staff instead of sent.
    pub show_emails: bool,
}
