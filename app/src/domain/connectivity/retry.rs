//! Retries: whether to try again after an attempt, how long to wait, and the Retry-After header.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Observation;

/// How often, and after how long, to try again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Most attempts in total, including the first.
    pub max_attempts: u32,
    /// Wait after attempt 1, 2, ...; the last entry repeats.
    pub backoff: Vec<Duration>,
    /// Longest wait a Retry-After header can ask for.
    pub retry_after_cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            backoff: vec![Duration::from_secs(2), Duration::from_secs(8)],
            retry_after_cap: Duration::from_secs(60),
        }
    }
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Stop,
    RetryAfter(Duration),
}

/// Decides whether to try again after `attempts_made` attempts, the last of
/// which saw `obs`.
pub fn next_step(policy: &RetryPolicy, attempts_made: u32, obs: &Observation) -> Step {
    if attempts_made >= policy.max_attempts {
        return Step::Stop;
    }
    let backoff = backoff_for(policy, attempts_made);
    match obs {
        Observation::ConnectRefused
        | Observation::ConnectTimeout
        | Observation::Timeout
        | Observation::ConnectionDropped
        | Observation::Answered {
            status: 502..=504, ..
        } => Step::RetryAfter(backoff),
        Observation::Answered {
            status: 429,
            retry_after,
        } => Step::RetryAfter(match retry_after {
            Some(wait) => (*wait).min(policy.retry_after_cap),
            None => backoff,
        }),
        _ => Step::Stop,
    }
}

fn backoff_for(policy: &RetryPolicy, attempts_made: u32) -> Duration {
    let index = usize::try_from(attempts_made.saturating_sub(1)).unwrap_or(usize::MAX);
    policy
        .backoff
        .get(index)
        .or_else(|| policy.backoff.last())
        .copied()
        .unwrap_or(Duration::ZERO)
}

/// Reads a Retry-After header: delta-seconds ("120") or an HTTP-date
/// ("Wed, 21 Oct 2026 07:28:00 GMT"). A date in the past gives zero.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    let when = parse_http_date(value)?;
    Some((when - now).to_std().unwrap_or(Duration::ZERO))
}

fn parse_http_date(value: &str) -> Option<DateTime<Utc>> {
    // Preferred form: "Sun, 06 Nov 1994 08:49:37 GMT".
    if let Ok(dt) = DateTime::parse_from_rfc2822(value) {
        return Some(dt.with_timezone(&Utc));
    }
    // Obsolete forms HTTP still asks recipients to accept.
    const OLD_FORMS: [&str; 2] = ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"];
    OLD_FORMS
        .iter()
        .find_map(|form| NaiveDateTime::parse_from_str(value, form).ok())
        .map(|naive| naive.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::connectivity::test_support::{answered, at, secs};

    #[test]
    fn retry_default_policy() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_attempts, 3);
        assert_eq!(p.backoff, vec![secs(2), secs(8)]);
        assert_eq!(p.retry_after_cap, secs(60));
    }

    #[test]
    fn retry_schedule_2_then_8_then_stop() {
        let p = RetryPolicy::default();
        let obs = answered(503);
        assert_eq!(next_step(&p, 1, &obs), Step::RetryAfter(secs(2)));
        assert_eq!(next_step(&p, 2, &obs), Step::RetryAfter(secs(8)));
        assert_eq!(next_step(&p, 3, &obs), Step::Stop);
        assert_eq!(next_step(&p, 4, &obs), Step::Stop);
    }

    #[test]
    fn retry_last_backoff_repeats() {
        let p = RetryPolicy {
            max_attempts: 5,
            ..RetryPolicy::default()
        };
        let obs = Observation::Timeout;
        assert_eq!(next_step(&p, 3, &obs), Step::RetryAfter(secs(8)));
        assert_eq!(next_step(&p, 4, &obs), Step::RetryAfter(secs(8)));
        assert_eq!(next_step(&p, 5, &obs), Step::Stop);
    }

    #[test]
    fn retry_empty_backoff_means_no_wait() {
        let p = RetryPolicy {
            backoff: Vec::new(),
            ..RetryPolicy::default()
        };
        assert_eq!(
            next_step(&p, 1, &Observation::ConnectRefused),
            Step::RetryAfter(Duration::ZERO)
        );
    }

    #[test]
    fn retry_on_transient_problems() {
        let p = RetryPolicy::default();
        for obs in [
            Observation::ConnectRefused,
            Observation::ConnectTimeout,
            Observation::Timeout,
            Observation::ConnectionDropped,
            answered(502),
            answered(503),
            answered(504),
        ] {
            assert_eq!(next_step(&p, 1, &obs), Step::RetryAfter(secs(2)), "{obs:?}");
        }
    }

    #[test]
    fn retry_429_uses_retry_after() {
        let p = RetryPolicy::default();
        let obs = Observation::Answered {
            status: 429,
            retry_after: Some(secs(5)),
        };
        assert_eq!(next_step(&p, 1, &obs), Step::RetryAfter(secs(5)));
    }

    #[test]
    fn retry_429_without_retry_after_uses_backoff() {
        let p = RetryPolicy::default();
        assert_eq!(next_step(&p, 1, &answered(429)), Step::RetryAfter(secs(2)));
        assert_eq!(next_step(&p, 2, &answered(429)), Step::RetryAfter(secs(8)));
        assert_eq!(next_step(&p, 3, &answered(429)), Step::Stop);
    }

    #[test]
    fn retry_429_retry_after_is_capped() {
        let p = RetryPolicy::default();
        let obs = Observation::Answered {
            status: 429,
            retry_after: Some(secs(3600)),
        };
        assert_eq!(next_step(&p, 1, &obs), Step::RetryAfter(secs(60)));
        assert_eq!(next_step(&p, 3, &obs), Step::Stop);
    }

    #[test]
    fn retry_never_after_202() {
        let p = RetryPolicy::default();
        assert_eq!(next_step(&p, 1, &answered(202)), Step::Stop);
        let obs = Observation::Answered {
            status: 202,
            retry_after: Some(secs(1)),
        };
        assert_eq!(next_step(&p, 1, &obs), Step::Stop);
    }

    #[test]
    fn retry_not_on_other_outcomes() {
        let p = RetryPolicy::default();
        for obs in [
            answered(400),
            answered(401),
            answered(403),
            answered(404),
            answered(500),
            answered(200),
            answered(301),
            Observation::NameNotResolved,
            Observation::AddressRefused {
                reason: "a private network address".into(),
            },
            Observation::ServerCertificateInvalid {
                detail: "expired".into(),
            },
            Observation::ClientCertificateRejected,
            Observation::TlsHandshakeFailed {
                detail: "no shared version".into(),
            },
        ] {
            assert_eq!(next_step(&p, 1, &obs), Step::Stop, "{obs:?}");
        }
    }

    #[test]
    fn retry_after_delta_seconds() {
        let now = at(2026, 10, 21, 7, 0, 0);
        assert_eq!(parse_retry_after("120", now), Some(secs(120)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("1.5", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("99999999999999999999999", now), None);
    }

    #[test]
    fn retry_after_http_date() {
        let now = at(2026, 10, 21, 7, 0, 0);
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now),
            Some(secs(28 * 60))
        );
        assert_eq!(
            parse_retry_after("Wednesday, 21-Oct-26 07:28:00 GMT", now),
            Some(secs(28 * 60))
        );
        assert_eq!(
            parse_retry_after("Wed Oct 21 07:28:00 2026", now),
            Some(secs(28 * 60))
        );
    }

    #[test]
    fn retry_after_date_in_past_is_zero() {
        let now = at(2026, 10, 21, 8, 0, 0);
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now),
            Some(Duration::ZERO)
        );
    }
}
