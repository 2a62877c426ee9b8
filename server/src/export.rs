//! Staff's CSV files: `GET /staff/requests.csv`, the queue with the same filters as the page
//! (every matching request, not one page), and `GET /staff/upcoming.csv`, the weeks ahead as the
//! "Upcoming" page shows them. The path guard lets only programme staff in; each checks again.

use app::{
    auth::Authenticated,
    domain::review::{Cursor, Direction, QueueFilter, QueueQuery},
    store::review,
};
use axum::{
    extract::{Path, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};

use crate::startup::AppState;

/// Rows fetched per query while writing the file.
const CHUNK: i64 = 1000;
/// The most rows one file holds.
const MAX_ROWS: usize = 200_000;

/// One CSV cell: quoted when needed, and never read as a formula by a spreadsheet (a leading
/// `=`, `+`, `-`, `@`, tab or carriage return gets a `'` in front).
pub fn cell(raw: &str) -> String {
    let guarded = if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{raw}")
    } else {
        raw.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

const CSV: &str = "text/csv; charset=utf-8";

/// A file to download: its type and name, never kept in a cache.
pub fn download(content_type: &str, file_name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// The status a refusal or failure answers a download with.
pub fn status_of(e: &app::error::AppError) -> StatusCode {
    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

pub async fn requests_csv(
    State(state): State<AppState>,
    Extension(Authenticated(user)): Extension<Authenticated>,
    Query(query): Query<QueueQuery>,
) -> Response {
    if !user.as_ref().is_some_and(|u| u.is_staff()) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let (mut filter, errors) = QueueFilter::parse(&query);
    if let Some(e) = errors.first() {
        return (StatusCode::BAD_REQUEST, e.message.clone()).into_response();
    }
    filter.page = None;
    let mut out = String::from(
        "Reference,Organisation,Scheme,Status,Connection date,Go-live date,Sent,Date change waiting\r\n",
    );
    let mut written = 0usize;
    loop {
        let (rows, more) = match review::queue(&state.services.db, &filter, CHUNK).await {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(error = %e, "could not export requests");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        };
        for r in &rows {
            let line = [
                cell(r.reference.as_deref().unwrap_or("")),
                cell(&r.organisation_name),
                cell(&r.scheme_name),
                cell(r.status.label()),
                r.connection_date.to_string(),
                r.go_live_date.map(|d| d.to_string()).unwrap_or_default(),
                r.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                if r.date_change_waiting { "Yes" } else { "No" }.to_string(),
            ]
            .join(",");
            out.push_str(&line);
            out.push_str("\r\n");
        }
        written += rows.len();
        match rows.last() {
            Some(last) if more && written < MAX_ROWS => {
                filter.page = Some(Direction::After(Cursor {
                    connection_date: last.connection_date,
                    id: last.id,
                }));
            }
            _ => break,
        }
    }
    tracing::info!(rows = written, "requests exported as CSV");
    download(CSV, "oat-requests.csv", out)
}

#[derive(serde::Deserialize)]
pub struct WeeksQuery {
    #[serde(default)]
    weeks: String,
}

pub async fn upcoming_csv(
    State(state): State<AppState>,
    Extension(Authenticated(user)): Extension<Authenticated>,
    Query(query): Query<WeeksQuery>,
) -> Response {
    if !user.as_ref().is_some_and(|u| u.is_staff()) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let page = match app::api::review::weeks_ahead(&state.services, &query.weeks).await {
        Ok(page) => page,
        Err(app::error::AppError::Invalid(message)) => {
            return (StatusCode::BAD_REQUEST, message).into_response()
        }
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let mut out =
        String::from("Week starting,Date,Time (UK),What,Reference,Organisation,Scheme\r\n");
    let mut written = 0usize;
    for week in &page.list {
        for e in &week.entries {
            let line = [
                week.starts.to_string(),
                e.date.to_string(),
                e.time
                    .map(|t| t.format("%H:%M").to_string())
                    .unwrap_or_default(),
                cell(&e.booking.words()),
                cell(&e.reference),
                cell(&e.organisation),
                cell(&e.scheme),
            ]
            .join(",");
            out.push_str(&line);
            out.push_str("\r\n");
            written += 1;
        }
    }
    tracing::info!(
        rows = written,
        weeks = page.weeks,
        "upcoming bookings exported as CSV"
    );
    download(CSV, "oat-upcoming.csv", out)
}

/// `GET /requests/{id}/calendar/{file}` and `/staff/requests/{id}/calendar/{file}`: the booked
/// test (`test.ics`) or the confirmed go-live date (`go-live.ics`) as a calendar file. The path
/// guard admits organisation users to the first and staff to the second; the request must be
/// the user's organisation's unless they are staff, and the event must exist (404 otherwise).
pub async fn request_calendar(
    State(state): State<AppState>,
    Extension(Authenticated(user)): Extension<Authenticated>,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    let Some(user) = user else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match app::api::review::calendar::request_file(&state.services, &user, &id, &file).await {
        Ok(f) => download("text/calendar; charset=utf-8", &f.name, f.ics),
        Err(e) => status_of(&e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_quoted_and_never_formulas() {
        assert_eq!(cell("Plain"), "Plain");
        assert_eq!(cell("A, B"), "\"A, B\"");
        assert_eq!(cell("Say \"hi\""), "\"Say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(cell("-1,2"), "\"'-1,2\"");
        assert_eq!(cell("line\nbreak"), "\"line\nbreak\"");
    }
}
