//! Calendar files (iCalendar, RFC 5545) for a request's booked connectivity test and its
//! confirmed go-live date: downloaded from the request's page and attached to the emails that
//! announce them.
//!
//! Each event has a UID that stays the same when its date moves (a test's names its request and
//! round; a go-live's names its request), and a SEQUENCE taken from the request's version, which
//! grows with every change: a calendar that already holds the event updates it instead of
//! adding a second one.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use icalendar::{Calendar, Component, EventLike, EventStatus};

use crate::{clock::london_long, domain::oat::long_date};

/// How long a test's event blocks out. A test is booked for a start time only: the hour is this
/// portal's choice, so calendars show a block rather than an instant.
pub const TEST_EVENT_LENGTH: Duration = Duration::hours(1);

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarEvent {
    /// A connectivity test booked for a time (UK), in a round of testing.
    Test { at: DateTime<Utc>, round: i32 },
    /// The confirmed go-live date: a whole day.
    GoLive { date: NaiveDate },
}

impl CalendarEvent {
    /// The file's name, also the last part of its address.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Test { .. } => "test.ics",
            Self::GoLive { .. } => "go-live.ics",
        }
    }
}

/// The request an event belongs to.
#[derive(Debug, Clone)]
pub struct EventRequest<'a> {
    pub id: i64,
    pub reference: &'a str,
    pub scheme: &'a str,
    /// The request's version once the change the event shows is made.
    pub version: i32,
    /// Whether the booking was withdrawn: the event is sent as cancelled.
    pub cancelled: bool,
}

/// A calendar file, ready to serve or attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarFile {
    pub name: String,
    pub ics: String,
}

/// The event's UID: the same for every version of the event, unique to this portal's host.
pub fn uid(event: CalendarEvent, request_id: i64, host: &str) -> String {
    match event {
        CalendarEvent::Test { round, .. } => {
            format!("oat-request-{request_id}-test-{round}@{host}")
        }
        CalendarEvent::GoLive { .. } => format!("oat-request-{request_id}-go-live@{host}"),
    }
}

/// The host part of the portal's public origin, for UIDs.
pub fn host_of(origin: &str) -> &str {
    let rest = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// One event as an iCalendar file. `stamp` is when the file was written; `origin` the portal's
/// public origin (for the UID and the link to the request).
pub fn file(
    event: CalendarEvent,
    request: &EventRequest<'_>,
    origin: &str,
    stamp: DateTime<Utc>,
) -> CalendarFile {
    let link = format!("{origin}/requests/{}", request.id);
    let mut e = icalendar::Event::new();
    e.uid(&uid(event, request.id, host_of(origin)))
        .sequence(u32::try_from(request.version).unwrap_or(0))
        .timestamp(stamp)
        .url(&link);
    match event {
        CalendarEvent::Test { at, round } => {
            let what = if round > 1 {
                format!("Re-test (test {round})")
            } else {
                "Connectivity test".to_string()
            };
            e.summary(&format!("{what}: {} ({})", request.scheme, request.reference))
                .description(&format!(
                    "Pensions Dashboards Programme connectivity test for {} ({}), booked for {} (UK time). \
                     PDP will send a synthetic find request to your live find endpoint, which must answer 202 Accepted. \
                     This entry lasts an hour so that it shows in calendars: the test is booked for its start time.\n\n\
                     Follow your request: {link}",
                    request.scheme,
                    request.reference,
                    london_long(at),
                ))
                .starts(at)
                .ends(at + TEST_EVENT_LENGTH);
        }
        CalendarEvent::GoLive { date } => {
            e.summary(&format!("Go-live: {} ({})", request.scheme, request.reference))
                .description(&format!(
                    "{} ({}) goes live in the pensions dashboards ecosystem on {}.\n\nSee your request: {link}",
                    request.scheme,
                    request.reference,
                    long_date(date),
                ))
                .starts(date)
                .ends(date.succ_opt().unwrap_or(date))
                .add_property("TRANSP", "TRANSPARENT");
        }
    }
    if request.cancelled {
        e.status(EventStatus::Cancelled);
    } else {
        e.status(EventStatus::Confirmed);
    }
    let mut calendar = Calendar::empty();
    calendar
        .append_property(("VERSION", "2.0"))
        .append_property((
            "PRODID",
            "-//Pensions dashboards connection portal//OAT//EN",
        ))
        .append_property(("CALSCALE", "GREGORIAN"))
        .append_property(("METHOD", "PUBLISH"))
        .name("Pensions dashboards connection")
        .push(e.done());
    CalendarFile {
        name: event.file_name().to_string(),
        ics: calendar.done().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn request(version: i32) -> EventRequest<'static> {
        EventRequest {
            id: 42,
            reference: "OAT-2026-000042",
            scheme: "Demo Scheme, with; odd \\ characters",
            version,
            cancelled: false,
        }
    }

    fn line<'a>(ics: &'a str, key: &str) -> Option<&'a str> {
        ics.lines().find(|l| l.starts_with(key))
    }

    #[test]
    fn a_test_is_a_timed_event_with_a_stable_uid_and_a_growing_sequence() {
        let at = Utc.with_ymd_and_hms(2026, 12, 10, 14, 30, 0).unwrap();
        let stamp = Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap();
        let first = file(
            CalendarEvent::Test { at, round: 1 },
            &request(2),
            "https://portal.example:8443",
            stamp,
        );
        assert_eq!(first.name, "test.ics");
        let ics = &first.ics;
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
        assert!(ics.trim_end().ends_with("END:VCALENDAR"));
        assert_eq!(
            line(ics, "UID:"),
            Some("UID:oat-request-42-test-1@portal.example:8443")
        );
        assert_eq!(line(ics, "SEQUENCE:"), Some("SEQUENCE:2"));
        assert_eq!(line(ics, "DTSTART"), Some("DTSTART:20261210T143000Z"));
        assert_eq!(line(ics, "DTEND"), Some("DTEND:20261210T153000Z"));
        assert_eq!(line(ics, "DTSTAMP:"), Some("DTSTAMP:20261206T090000Z"));
        assert_eq!(line(ics, "METHOD:"), Some("METHOD:PUBLISH"));
        assert_eq!(line(ics, "STATUS:"), Some("STATUS:CONFIRMED"));
        // Text is escaped as RFC 5545 asks (commas, semicolons, backslashes).
        assert!(
            ics.contains(r"Demo Scheme\, with\; odd \\ characters"),
            "{ics}"
        );
        // Moved: the same UID with a higher sequence, so calendars update the event.
        let later = Utc.with_ymd_and_hms(2026, 12, 11, 10, 0, 0).unwrap();
        let moved = file(
            CalendarEvent::Test {
                at: later,
                round: 1,
            },
            &request(3),
            "https://portal.example:8443",
            stamp,
        );
        assert_eq!(line(&moved.ics, "UID:"), line(ics, "UID:"));
        assert_eq!(line(&moved.ics, "SEQUENCE:"), Some("SEQUENCE:3"));
        // A re-test is an event of its own.
        let retest = file(
            CalendarEvent::Test {
                at: later,
                round: 2,
            },
            &request(5),
            "https://portal.example:8443",
            stamp,
        );
        assert_eq!(
            line(&retest.ics, "UID:"),
            Some("UID:oat-request-42-test-2@portal.example:8443")
        );
        assert!(retest.ics.contains("SUMMARY:Re-test (test 2)"));
    }

    #[test]
    fn a_go_live_is_a_whole_day_that_does_not_block_time() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let f = file(
            CalendarEvent::GoLive { date },
            &EventRequest {
                cancelled: true,
                ..request(4)
            },
            "http://127.0.0.1:3000",
            Utc::now(),
        );
        assert_eq!(f.name, "go-live.ics");
        assert_eq!(
            line(&f.ics, "UID:"),
            Some("UID:oat-request-42-go-live@127.0.0.1:3000")
        );
        assert_eq!(line(&f.ics, "DTSTART"), Some("DTSTART;VALUE=DATE:20261231"));
        assert_eq!(line(&f.ics, "DTEND"), Some("DTEND;VALUE=DATE:20270101"));
        assert_eq!(line(&f.ics, "TRANSP:"), Some("TRANSP:TRANSPARENT"));
        assert_eq!(line(&f.ics, "STATUS:"), Some("STATUS:CANCELLED"));
    }

    #[test]
    fn the_host_comes_from_the_origin() {
        assert_eq!(host_of("https://portal.example"), "portal.example");
        assert_eq!(host_of("http://127.0.0.1:3000/"), "127.0.0.1:3000");
        assert_eq!(host_of("portal.example"), "portal.example");
    }
}
