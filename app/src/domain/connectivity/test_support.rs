//! Helpers shared by the tests of the connectivity rules.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use super::Observation;

pub(super) fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

pub(super) fn answered(status: u16) -> Observation {
    Observation::Answered {
        status,
        retry_after: None,
    }
}

pub(super) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}
