//! The current time, injected so tests can fix it.

use chrono::{DateTime, Utc};
use std::sync::{Arc, RwLock};

/// Today's date in the UK (Europe/London), whatever the server's time zone: the calendar date
/// every business rule about dates uses.
#[cfg(feature = "ssr")]
pub fn london_today(now: DateTime<Utc>) -> chrono::NaiveDate {
    now.with_timezone(&chrono_tz::Europe::London).date_naive()
}

/// A UK local date and time as an instant. In the autumn hour that happens twice, the first
/// (summer time) is meant; a time inside the spring gap does not exist and is `None`.
#[cfg(feature = "ssr")]
pub fn london_to_utc(local: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    chrono_tz::Europe::London
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// An instant as UK local time in GOV.UK style: "1 December 2026 at 2:30pm".
#[cfg(feature = "ssr")]
pub fn london_long(instant: DateTime<Utc>) -> String {
    let local = instant
        .with_timezone(&chrono_tz::Europe::London)
        .naive_local();
    format!(
        "{} at {}",
        crate::domain::oat::long_date(local.date()),
        crate::domain::review::short_time(local.time())
    )
}

/// Where "now" comes from. Production uses [`SystemClock`]; tests use [`FixedClock`].
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The system clock moved by a fixed amount: for trying date-driven jobs (going live) by hand or in
/// the browser tests. The server accepts an offset only outside production mode.
#[derive(Debug, Clone, Copy)]
pub struct OffsetClock(pub chrono::Duration);

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.0
    }
}

/// A clock that stays where it is put until moved.
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<RwLock<DateTime<Utc>>>);

impl FixedClock {
    pub fn at(instant: DateTime<Utc>) -> Self {
        Self(Arc::new(RwLock::new(instant)))
    }

    /// The instant the clock shows (same as `Clock::now`, without importing the trait).
    pub fn now_for_tests(&self) -> DateTime<Utc> {
        self.now()
    }

    pub fn set(&self, instant: DateTime<Utc>) {
        let mut guard = self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *guard = instant;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[cfg(feature = "ssr")]
    #[test]
    fn london_dates_across_midnight_and_both_clock_changes() {
        let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let at = |y, m, d, h, mi| Utc.with_ymd_and_hms(y, m, d, h, mi, 0).unwrap();
        // Winter (GMT): London equals UTC.
        assert_eq!(london_today(at(2026, 1, 15, 23, 59)), date(2026, 1, 15));
        // Summer (BST): 23:30 UTC is already tomorrow in London.
        assert_eq!(london_today(at(2026, 7, 1, 23, 30)), date(2026, 7, 2));
        // Clocks go forward 29 March 2026 01:00 UTC.
        assert_eq!(london_today(at(2026, 3, 28, 23, 30)), date(2026, 3, 28));
        assert_eq!(london_today(at(2026, 3, 29, 0, 30)), date(2026, 3, 29));
        assert_eq!(london_today(at(2026, 3, 29, 1, 30)), date(2026, 3, 29));
        // Clocks go back 25 October 2026 01:00 UTC: 23:30 UTC on the 24th is the 25th in London.
        assert_eq!(london_today(at(2026, 10, 24, 23, 30)), date(2026, 10, 25));
        assert_eq!(london_today(at(2026, 10, 25, 0, 30)), date(2026, 10, 25));
        assert_eq!(london_today(at(2026, 10, 25, 1, 30)), date(2026, 10, 25));
        // Year end in winter.
        assert_eq!(london_today(at(2026, 12, 31, 23, 59)), date(2026, 12, 31));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn uk_local_times_become_instants_across_both_clock_changes() {
        let local = |y, m, d, h, mi| {
            chrono::NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(h, mi, 0)
                .unwrap()
        };
        let at = |y, m, d, h, mi| Utc.with_ymd_and_hms(y, m, d, h, mi, 0).unwrap();
        assert_eq!(
            london_to_utc(local(2026, 1, 15, 14, 0)),
            Some(at(2026, 1, 15, 14, 0))
        );
        assert_eq!(
            london_to_utc(local(2026, 7, 1, 14, 0)),
            Some(at(2026, 7, 1, 13, 0))
        );
        // 01:30 on 29 March 2026 does not exist in the UK.
        assert_eq!(london_to_utc(local(2026, 3, 29, 1, 30)), None);
        // 01:30 on 25 October 2026 happens twice: the first (BST) is meant.
        assert_eq!(
            london_to_utc(local(2026, 10, 25, 1, 30)),
            Some(at(2026, 10, 25, 0, 30))
        );
        assert_eq!(london_long(at(2026, 7, 1, 13, 30)), "1 July 2026 at 2:30pm");
        assert_eq!(london_long(at(2026, 12, 1, 9, 0)), "1 December 2026 at 9am");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn seven_days_counts_from_the_london_date_not_utc_hours() {
        use crate::domain::oat::DateRule;
        // 23:30 UTC on 1 July is 2 July in London: the earliest date is 9 July, not 8 July.
        let now = Utc.with_ymd_and_hms(2026, 7, 1, 23, 30, 0).unwrap();
        let rule = DateRule::new(london_today(now), None);
        assert_eq!(
            rule.earliest,
            chrono::NaiveDate::from_ymd_opt(2026, 7, 9).unwrap()
        );
    }

    #[test]
    fn fixed_clock_moves_only_when_set() {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0).unwrap();
        let clock = FixedClock::at(t0);
        assert_eq!(clock.now(), t0);
        let t1 = Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap();
        clock.set(t1);
        assert_eq!(clock.now(), t1);
    }
}
