//! Liveness and readiness for orchestrators and load balancers. Plain text, no versions, no
//! cookies, no database call in liveness.

use std::time::Duration;

use axum::{extract::State, http::StatusCode, response::IntoResponse};

use crate::startup::AppState;

/// The process is up and answering.
pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok\n")
}

/// Ready to take traffic: not shutting down, database reachable within 2 seconds, every
/// migration applied.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.lifecycle.is_shutting_down() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n");
    }
    let db = &state.services.db;
    match tokio::time::timeout(Duration::from_secs(2), db.is_migrated()).await {
        Ok(Ok(true)) => (StatusCode::OK, "ready\n"),
        Ok(Ok(false)) => (StatusCode::SERVICE_UNAVAILABLE, "database not migrated\n"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check: database error");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
        Err(_) => {
            tracing::warn!("readiness check: database did not answer within 2 seconds");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}
