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
    /// Figures that are costly to work out and may be a few seconds old.
    pub caches: Arc<Caches>,
    /// The connectivity test's settings, and the bell that wakes its worker.
    pub connectivity: Arc<ConnectivitySettings>,
}

/// What pages and server functions need of the connectivity test (the engine itself runs in
/// the server's worker).
#[derive(Debug, Default)]
pub struct ConnectivitySettings {
    /// Rung when a run is queued, so the worker starts it at once.
    pub wake: tokio::sync::Notify,
    /// What the readiness checks on "check your answers" do: advise (the default), block or off.
    pub readiness: crate::domain::connectivity::ReadinessMode,
    /// The name of the find request body template in use.
    pub profile: String,
    /// Which addresses an endpoint may resolve to.
    pub policy: crate::domain::endpoint::AddressPolicy,
    /// The CA certificate organisations may trust for the portal's test traffic (PEM).
    pub client_ca_pem: String,
    /// The issuer of the test user tokens.
    pub issuer: String,
    /// Set when the tokens claim to come from PDP's own issuer (an operator's choice).
    pub impersonating_pdp: bool,
}

/// The staff queue's counts per status (one pass over every request) are kept for a few
/// seconds, and forgotten at once when this instance changes a request. One request at a time
/// works them out again: while it does, the others use the figures just gone stale rather than
/// all running the same count at once.
#[derive(Debug, Default)]
pub struct Caches {
    queue_counts: std::sync::Mutex<Option<(std::time::Instant, QueueCounts)>>,
    refreshing: tokio::sync::Mutex<()>,
}

/// Requests per status, and how many wait for staff in each other way.
pub type QueueCounts = (
    Vec<(String, i64)>,
    Vec<(crate::domain::review::StatusFilter, i64)>,
);

/// How long the queue's counts are kept.
pub const QUEUE_COUNTS_TTL: std::time::Duration = std::time::Duration::from_secs(5);

impl Services {
    pub async fn queue_counts(&self) -> Result<QueueCounts, crate::store::StoreError> {
        let cached = |fresh_only: bool| {
            let c = self
                .caches
                .queue_counts
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            c.as_ref()
                .filter(|(at, _)| !fresh_only || at.elapsed() < QUEUE_COUNTS_TTL)
                .map(|(_, counts)| counts.clone())
        };
        if let Some(counts) = cached(true) {
            return Ok(counts);
        }
        let _refresh = match self.caches.refreshing.try_lock() {
            Ok(guard) => guard,
            // Someone is counting already: stale figures now beat waiting, if there are any.
            Err(_) => match cached(false) {
                Some(stale) => return Ok(stale),
                None => self.caches.refreshing.lock().await,
            },
        };
        // Whoever held the lock before us may have just counted.
        if let Some(counts) = cached(true) {
            return Ok(counts);
        }
        let counts = crate::store::review::counts(&self.db).await?;
        *self
            .caches
            .queue_counts
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some((std::time::Instant::now(), counts.clone()));
        Ok(counts)
    }

    pub fn forget_queue_counts(&self) {
        *self
            .caches
            .queue_counts
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = None;
    }
}
