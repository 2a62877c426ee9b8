//! `POST /organisation/schemes/upload`: a CSV file of further providers and schemes, sent from
//! a plain multipart form so it works with JavaScript off. The file is checked row by row; one
//! bad row rejects the whole file (the page says so), and the report is kept in the session for
//! the upload page to show after the redirect. A good file adds every row, waiting for approval.

use app::{
    api::schemes::{
        ssr::{check_registered, may_add_schemes, submit, SubmitError, REPORT_KEY, UPLOAD_PAGE},
        UploadReport,
    },
    auth::{session::PortalSession, Authenticated, RequestMeta},
    domain::schemes::{check_csv, Availability, MAX_CSV_BYTES},
};
use axum::{
    extract::{multipart::Field, Multipart, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    Extension,
};
use tower_sessions::Session;

use crate::{error_page, startup::AppState};

/// The largest request the upload accepts: the file plus the multipart framing around it.
pub const UPLOAD_BODY_LIMIT: usize = MAX_CSV_BYTES + 64 * 1024;

pub async fn upload_schemes(
    State(state): State<AppState>,
    Extension(Authenticated(user)): Extension<Authenticated>,
    meta: Option<Extension<RequestMeta>>,
    session: Session,
    multipart: Multipart,
) -> Response {
    let Some((user, org)) = user.and_then(|u| u.organisation_id.map(|o| (u, o))) else {
        return StatusCode::FORBIDDEN.into_response();
    };
    if !may_add_schemes(&user) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let services = &state.services;
    let session = PortalSession(session);
    let (availability, rule) = match app::api::schemes::ssr::availability(services, org).await {
        Ok(v) => v,
        Err(e) => return service_error(&state, "checking availability", e),
    };
    if availability != Availability::Available {
        return Redirect::to(UPLOAD_PAGE).into_response();
    }
    let (file_name, bytes) = match read_file(multipart).await {
        Ok(v) => v,
        Err(message) => {
            return report(
                &state,
                &session,
                UploadReport::file_problem(String::new(), message.to_string(), 0),
            )
            .await
        }
    };
    let mut check = match check_csv(&bytes, &rule) {
        Ok(c) => c,
        Err(e) => {
            return report(
                &state,
                &session,
                UploadReport::file_problem(file_name, e.to_string(), 0),
            )
            .await
        }
    };
    if check.accepted() {
        if let Err(e) = check_registered(services, org, &mut check).await {
            return service_error(&state, "checking registered numbers", e);
        }
    }
    if !check.accepted() {
        let rows_checked = check.rows.len();
        let rows_in_error = check.rows_in_error();
        return report(
            &state,
            &session,
            UploadReport {
                file_name,
                file_error: None,
                rows_checked,
                rows_in_error,
                rows: check
                    .rows
                    .into_iter()
                    .filter(|r| !r.errors.is_empty())
                    .take(app::api::schemes::MAX_REPORTED_ROWS)
                    .collect(),
            },
        )
        .await;
    }
    let meta = meta.map(|Extension(m)| m).unwrap_or_default();
    match submit(services, &user, org, &check.schemes, &meta).await {
        Ok(ids) => {
            let message = match ids.len() {
                1 => "1 pension provider or scheme sent to the Pensions Dashboards Programme for approval".to_string(),
                n => format!("{n} pension providers and schemes sent to the Pensions Dashboards Programme for approval"),
            };
            if let Err(e) = session.set_flash(&message).await {
                return service_error(&state, "session", e);
            }
            Redirect::to("/organisation").into_response()
        }
        Err(e @ SubmitError::Duplicate(..)) => {
            report(
                &state,
                &session,
                UploadReport::file_problem(
                    file_name,
                    format!("{e}. Nothing in the file was added."),
                    check.rows.len(),
                ),
            )
            .await
        }
        Err(SubmitError::Store(e)) => service_error(&state, "adding schemes", e),
    }
}

/// The `file` field's name and contents, read up to the size limit.
async fn read_file(mut multipart: Multipart) -> Result<(String, Vec<u8>), &'static str> {
    const UNREADABLE: &str = "The selected file could not be read. Try again";
    while let Some(field) = multipart.next_field().await.map_err(|_| UNREADABLE)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field
            .file_name()
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        return Ok((name, read_limited(field).await?));
    }
    Err("Select a CSV file to upload")
}

async fn read_limited(mut field: Field<'_>) -> Result<Vec<u8>, &'static str> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|_| "The selected file could not be read. Try again")?
    {
        if bytes.len() + chunk.len() > MAX_CSV_BYTES {
            return Err("The selected file must be smaller than 1 MB");
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Keeps the report for the upload page and goes back to it.
async fn report(state: &AppState, session: &PortalSession, report: UploadReport) -> Response {
    tracing::info!(
        rows_in_error = report.rows_in_error,
        file_error = report.file_error.as_deref().unwrap_or(""),
        "scheme upload not accepted"
    );
    match session.put(REPORT_KEY, &report).await {
        Ok(()) => Redirect::to(UPLOAD_PAGE).into_response(),
        Err(e) => service_error(state, "session", e),
    }
}

/// The service's error page with a reference that is also in the log.
fn service_error(state: &AppState, context: &str, e: impl std::fmt::Display) -> Response {
    let reference = error_page::new_reference();
    tracing::error!(%reference, error = %e, "{context}");
    error_page::service_error_response(&state.page_assets.css, &reference)
}
