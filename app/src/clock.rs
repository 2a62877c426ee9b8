//! The current time, injected so tests can fix it.

use chrono::{DateTime, Utc};
use std::sync::{Arc, RwLock};

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
