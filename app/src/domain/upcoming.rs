//! The weeks ahead for programme staff (tests booked and go-lives confirmed, grouped by UK week
//! from Monday) and how long a request has waited for staff. Pure and tested.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::status::RequestStatus;

/// The weeks the "Upcoming" page shows unless asked for another number.
pub const DEFAULT_WEEKS: u32 = 12;
/// The most weeks one page or file covers.
pub const MAX_WEEKS: u32 = 52;

/// How many weeks to show, from the `weeks` parameter (empty means the default).
pub fn parse_weeks(raw: &str) -> Result<u32, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(DEFAULT_WEEKS);
    }
    raw.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_WEEKS).contains(n))
        .ok_or_else(|| format!("Weeks must be a whole number from 1 to {MAX_WEEKS}"))
}

/// The Monday of the week a date falls in.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// What is booked on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Booking {
    /// A connectivity test (with its round: 2 and above are re-tests).
    Test { round: i32 },
    /// A confirmed go-live date.
    GoLive,
}

impl Booking {
    pub fn words(self) -> String {
        match self {
            Self::Test { round } if round > 1 => format!("Re-test (test {round})"),
            Self::Test { .. } => "Connectivity test".to_string(),
            Self::GoLive => "Go-live".to_string(),
        }
    }
}

/// One booking on the way, as the page and the CSV file show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpcomingEntry {
    pub date: NaiveDate,
    /// UK local time of a test; none for a go-live.
    pub time: Option<NaiveTime>,
    pub booking: Booking,
    pub request_id: i64,
    pub reference: String,
    pub organisation: String,
    pub scheme: String,
}

/// A week of bookings, with its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpcomingWeek {
    pub starts: NaiveDate,
    pub tests: usize,
    pub go_lives: usize,
    pub entries: Vec<UpcomingEntry>,
}

/// The `weeks` weeks from the one holding `today`, each with its bookings in date order (a
/// test's time breaks ties; tests come before go-lives on the same day). Weeks with nothing
/// booked are kept, so a quiet week shows as one. Entries outside the weeks are left out.
pub fn by_week(today: NaiveDate, weeks: u32, mut entries: Vec<UpcomingEntry>) -> Vec<UpcomingWeek> {
    let first = week_start(today);
    entries.sort_by(|a, b| {
        let key = |e: &UpcomingEntry| {
            (
                e.date,
                matches!(e.booking, Booking::GoLive),
                e.time,
                e.request_id,
            )
        };
        key(a).cmp(&key(b))
    });
    let mut out: Vec<UpcomingWeek> = (0..weeks)
        .map(|i| UpcomingWeek {
            starts: first + Duration::weeks(i64::from(i)),
            tests: 0,
            go_lives: 0,
            entries: Vec::new(),
        })
        .collect();
    for e in entries {
        let index = (week_start(e.date) - first).num_weeks();
        let Some(week) = usize::try_from(index).ok().and_then(|i| out.get_mut(i)) else {
            continue;
        };
        match e.booking {
            Booking::Test { .. } => week.tests += 1,
            Booking::GoLive => week.go_lives += 1,
        }
        week.entries.push(e);
    }
    out
}

/// The first day after the weeks shown (the end of the range, exclusive).
pub fn end_of(today: NaiveDate, weeks: u32) -> NaiveDate {
    week_start(today) + Duration::weeks(i64::from(weeks))
}

/// Counts in words: "2 tests, 1 go-live", "Nothing booked".
pub fn count_words(tests: usize, go_lives: usize) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (tests, go_lives) {
        (0, 0) => "Nothing booked".to_string(),
        (t, 0) => plural(t, "test", "tests"),
        (0, g) => plural(g, "go-live", "go-lives"),
        (t, g) => format!(
            "{}, {}",
            plural(t, "test", "tests"),
            plural(g, "go-live", "go-lives")
        ),
    }
}

/// Where a request's wait for programme staff began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WaitingSince {
    /// The request was sent and has no outcome yet.
    Sent,
    /// After a failure, the organisation said it is ready for a re-test.
    ReadyForRetest,
}

/// How long a request has waited for programme staff, and since what; none when it waits for
/// nobody at PDP (it passed, went live, was withdrawn, or failed with no re-test asked for).
pub fn waiting(
    status: RequestStatus,
    sent_at: DateTime<Utc>,
    retest_asked_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<(WaitingSince, String)> {
    let (since, from) = match (status, retest_asked_at) {
        (RequestStatus::Failed, Some(at)) => (WaitingSince::ReadyForRetest, at),
        (RequestStatus::Requested | RequestStatus::TestScheduled, _) => {
            (WaitingSince::Sent, sent_at)
        }
        _ => return None,
    };
    let how_long = duration_words(now - from);
    let words = match since {
        WaitingSince::Sent => format!("Waiting {how_long} since sent"),
        WaitingSince::ReadyForRetest => format!("Waiting {how_long} since ready for re-test"),
    };
    Some((since, words))
}

/// A wait in words: under an hour, whole hours under two days, then whole days.
pub fn duration_words(d: Duration) -> String {
    let hours = d.num_hours().max(0);
    if hours < 1 {
        "under an hour".to_string()
    } else if hours < 48 {
        format!("{hours} hour{}", if hours == 1 { "" } else { "s" })
    } else {
        format!("{} days", d.num_days())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn entry(date: NaiveDate, booking: Booking, id: i64) -> UpcomingEntry {
        UpcomingEntry {
            date,
            time: matches!(booking, Booking::Test { .. })
                .then(|| NaiveTime::from_hms_opt(10, 0, 0).unwrap()),
            booking,
            request_id: id,
            reference: format!("OAT-2026-{id:06}"),
            organisation: "Org".into(),
            scheme: "Scheme".into(),
        }
    }

    #[test]
    fn weeks_start_on_monday() {
        // Sunday 6 December 2026 belongs to the week from Monday 30 November.
        assert_eq!(week_start(d(2026, 12, 6)), d(2026, 11, 30));
        assert_eq!(week_start(d(2026, 12, 7)), d(2026, 12, 7));
        assert_eq!(week_start(d(2027, 1, 1)), d(2026, 12, 28));
        assert_eq!(end_of(d(2026, 12, 6), 2), d(2026, 12, 14));
    }

    #[test]
    fn the_number_of_weeks_is_a_whole_number_within_bounds() {
        assert_eq!(parse_weeks(""), Ok(DEFAULT_WEEKS));
        assert_eq!(parse_weeks(" 4 "), Ok(4));
        assert_eq!(parse_weeks("52"), Ok(52));
        for bad in ["0", "53", "-1", "four", "1.5", "99999999999"] {
            assert_eq!(
                parse_weeks(bad),
                Err("Weeks must be a whole number from 1 to 52".to_string()),
                "{bad}"
            );
        }
    }

    #[test]
    fn bookings_fall_into_their_weeks_with_counts_and_quiet_weeks_kept() {
        let today = d(2026, 12, 9); // a Wednesday
        let weeks = by_week(
            today,
            3,
            vec![
                entry(d(2026, 12, 15), Booking::GoLive, 3),
                entry(d(2026, 12, 7), Booking::Test { round: 1 }, 1),
                entry(d(2026, 12, 15), Booking::Test { round: 2 }, 2),
                // Outside the three weeks: left out.
                entry(d(2026, 12, 28), Booking::GoLive, 4),
                entry(d(2026, 12, 6), Booking::GoLive, 5),
            ],
        );
        let starts: Vec<_> = weeks.iter().map(|w| w.starts).collect();
        assert_eq!(starts, [d(2026, 12, 7), d(2026, 12, 14), d(2026, 12, 21)]);
        assert_eq!((weeks[0].tests, weeks[0].go_lives), (1, 0));
        assert_eq!((weeks[1].tests, weeks[1].go_lives), (1, 1));
        // Same day: the test first.
        let ids: Vec<_> = weeks[1].entries.iter().map(|e| e.request_id).collect();
        assert_eq!(ids, [2, 3]);
        assert!(weeks[2].entries.is_empty());
        assert_eq!(
            count_words(weeks[2].tests, weeks[2].go_lives),
            "Nothing booked"
        );
    }

    #[test]
    fn counts_and_bookings_read_as_words() {
        assert_eq!(count_words(1, 0), "1 test");
        assert_eq!(count_words(0, 2), "2 go-lives");
        assert_eq!(count_words(2, 1), "2 tests, 1 go-live");
        assert_eq!(Booking::Test { round: 1 }.words(), "Connectivity test");
        assert_eq!(Booking::Test { round: 3 }.words(), "Re-test (test 3)");
        assert_eq!(Booking::GoLive.words(), "Go-live");
    }

    #[test]
    fn a_wait_counts_from_sending_or_from_ready_for_retest() {
        let sent = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 9, 30, 0).unwrap();
        assert_eq!(
            waiting(RequestStatus::Requested, sent, None, now),
            Some((WaitingSince::Sent, "Waiting 5 days since sent".into()))
        );
        assert_eq!(
            waiting(RequestStatus::TestScheduled, sent, None, now).map(|w| w.0),
            Some(WaitingSince::Sent)
        );
        let ready = Utc.with_ymd_and_hms(2026, 12, 6, 6, 0, 0).unwrap();
        assert_eq!(
            waiting(RequestStatus::Failed, sent, Some(ready), now),
            Some((
                WaitingSince::ReadyForRetest,
                "Waiting 3 hours since ready for re-test".into()
            ))
        );
        // Nobody at PDP is waited on.
        for s in [
            RequestStatus::Failed,
            RequestStatus::Passed,
            RequestStatus::GoLiveConfirmed,
            RequestStatus::Live,
            RequestStatus::Withdrawn,
        ] {
            assert_eq!(waiting(s, sent, None, now), None, "{s:?}");
        }
    }

    #[test]
    fn waits_read_in_hours_then_days() {
        assert_eq!(duration_words(Duration::minutes(59)), "under an hour");
        assert_eq!(duration_words(Duration::minutes(-5)), "under an hour");
        assert_eq!(duration_words(Duration::hours(1)), "1 hour");
        assert_eq!(duration_words(Duration::hours(47)), "47 hours");
        assert_eq!(duration_words(Duration::hours(49)), "2 days");
    }
}
