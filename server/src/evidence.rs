//! `GET /connectivity/runs/{id}/evidence.jws`: a finished connectivity run's evidence, signed
//! with the portal's token key as a compact JWS. Anyone can check it against the keys published
//! at `/.well-known/jwks.json` (the command is in `docs/operations.md` and on the evidence page).

use app::{auth::Authenticated, domain::connectivity::Evidence};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Extension,
};

use crate::{
    export::{download, status_of},
    startup::AppState,
};

pub async fn signed_evidence(
    State(state): State<AppState>,
    Extension(Authenticated(user)): Extension<Authenticated>,
    Path(id): Path<String>,
) -> Response {
    let Some(user) = user else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let evidence = match app::api::evidence::ssr::load(&state.services, &user, &id).await {
        Ok(e) => e,
        Err(e) => return status_of(&e).into_response(),
    };
    let claims = evidence.claims(state.services.clock.now());
    let token = match state.engine.sign(&claims) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, run_id = evidence.run_id, "could not sign evidence");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    tracing::info!(
        run_id = evidence.run_id,
        user_id = user.id,
        "signed evidence downloaded"
    );
    download(
        "application/jose",
        &Evidence::file_name(evidence.run_id),
        token,
    )
}
