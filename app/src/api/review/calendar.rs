//! A request's calendar files, as its pages link them: the booked test while it is booked, and
//! the go-live date once confirmed. Staff may have any request's; organisation users their own
//! organisation's (anything else is not found).

use crate::{
    auth::CurrentUser,
    calendar::{file, CalendarEvent, CalendarFile, EventRequest},
    domain::review::RequestStatus,
    error::{AppError, Context},
    services::Services,
    store::review::{self, StaffRequest},
};

/// The event a request has now under a file name (`test.ics`, `go-live.ics`), if any.
pub fn event_of(r: &StaffRequest, name: &str) -> Option<CalendarEvent> {
    match name {
        "test.ics" => match (r.status, r.test_at) {
            (RequestStatus::TestScheduled, Some(at)) => Some(CalendarEvent::Test {
                at,
                round: r.test_round,
            }),
            _ => None,
        },
        "go-live.ics" => match (r.status, r.go_live_date) {
            (RequestStatus::GoLiveConfirmed | RequestStatus::Live, Some(date)) => {
                Some(CalendarEvent::GoLive { date })
            }
            _ => None,
        },
        _ => None,
    }
}

/// The calendar files a request has now: a link's words and the file's name.
pub fn files_of(r: &StaffRequest) -> Vec<(String, String)> {
    [
        ("test.ics", "Add the connectivity test to your calendar"),
        ("go-live.ics", "Add the go-live date to your calendar"),
    ]
    .into_iter()
    .filter(|(name, _)| event_of(r, name).is_some())
    .map(|(name, words)| (words.to_string(), name.to_string()))
    .collect()
}

/// The calendar file for an event of `r`, at the request's version `version`.
pub fn for_event(
    services: &Services,
    r: &StaffRequest,
    event: CalendarEvent,
    version: i32,
) -> CalendarFile {
    build(services, r, event, version, false)
}

/// The same event, cancelled: a calendar that holds it marks it so (the request was withdrawn
/// with its test booked).
pub fn cancelled(
    services: &Services,
    r: &StaffRequest,
    event: CalendarEvent,
    version: i32,
) -> CalendarFile {
    build(services, r, event, version, true)
}

fn build(
    services: &Services,
    r: &StaffRequest,
    event: CalendarEvent,
    version: i32,
    cancelled: bool,
) -> CalendarFile {
    file(
        event,
        &EventRequest {
            id: r.id,
            reference: r.reference.as_deref().unwrap_or(""),
            scheme: &r.scheme_name,
            version,
            cancelled,
        },
        &services.public_origin,
        services.clock.now(),
    )
}

/// The file `name` of request `id` for `user`.
pub async fn request_file(
    services: &Services,
    user: &CurrentUser,
    id: &str,
    name: &str,
) -> Result<CalendarFile, AppError> {
    let id = super::ssr::parse_id(id)?;
    let r = if user.is_staff() {
        review::get(&services.db, id).await
    } else if let Some(org) = user.organisation_id {
        review::get_in_organisation(&services.db, org, id).await
    } else {
        return Err(AppError::not_found());
    }
    .context("loading a request")?
    .ok_or_else(AppError::not_found)?;
    let event = event_of(&r, name).ok_or_else(AppError::not_found)?;
    Ok(for_event(services, &r, event, r.version))
}
