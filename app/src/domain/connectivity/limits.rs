//! The two limits on a test: how often an organisation may start a dry run, and how much of a
//! response body is kept.

use chrono::{DateTime, TimeDelta, Utc};

use super::{DRY_RUNS_PER_HOUR, DRY_RUN_MIN_GAP_SECS, ENDPOINT_CHANGES_PER_HOUR};

// ---------------------------------------------------------------------------
// Dry-run rate limit
// ---------------------------------------------------------------------------

/// The times of the last hour (after `now - 1 hour`), oldest first.
fn last_hour(times: &[DateTime<Utc>], now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let window_start = now - TimeDelta::hours(1);
    let mut in_window: Vec<DateTime<Utc>> = times
        .iter()
        .copied()
        .filter(|t| *t > window_start)
        .collect();
    in_window.sort_unstable();
    in_window
}

/// When `per_hour` events in any hour would allow one more: `None` while fewer than that
/// happened in the hour before `now`, otherwise the moment enough of them have left it.
fn hourly_limit_frees_at(in_window: &[DateTime<Utc>], per_hour: usize) -> Option<DateTime<Utc>> {
    let index = in_window.len().checked_sub(per_hour)?;
    in_window.get(index).map(|t| *t + TimeDelta::hours(1))
}

/// Whether an organisation may start another dry run now. `Err` holds the
/// earliest time it may.
pub fn dry_run_allowed(
    recent_starts: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Result<(), DateTime<Utc>> {
    let in_window = last_hour(recent_starts, now);
    let gap_ends = in_window
        .last()
        .map(|latest| *latest + TimeDelta::seconds(DRY_RUN_MIN_GAP_SECS))
        .filter(|ends| now < *ends);
    match (
        gap_ends,
        hourly_limit_frees_at(&in_window, DRY_RUNS_PER_HOUR),
    ) {
        (None, None) => Ok(()),
        (Some(t), None) | (None, Some(t)) => Err(t),
        (Some(a), Some(b)) => Err(a.max(b)),
    }
}

/// Whether an organisation may change its find endpoint now, given when it changed it before.
/// `Err` holds the earliest time it may: when the oldest change in the hour leaves it.
pub fn endpoint_change_allowed(
    recent_changes: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Result<(), DateTime<Utc>> {
    match hourly_limit_frees_at(&last_hour(recent_changes, now), ENDPOINT_CHANGES_PER_HOUR) {
        Some(t) => Err(t),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// Body excerpt
// ---------------------------------------------------------------------------

/// Lossy UTF-8 text of at most `limit` bytes of `body`, cut so no character
/// is split, and whether anything was cut off.
pub fn excerpt(body: &[u8], limit: usize) -> (String, bool) {
    if body.len() <= limit {
        return (String::from_utf8_lossy(body).into_owned(), false);
    }
    let cut = char_boundary_at_or_before(body, limit);
    let kept = body.get(..cut).unwrap_or_default();
    (String::from_utf8_lossy(kept).into_owned(), true)
}

/// Moves `limit` back to the start of a UTF-8 sequence that would otherwise
/// be split. Invalid bytes are left for the lossy conversion.
fn char_boundary_at_or_before(body: &[u8], limit: usize) -> usize {
    let is_continuation = |b: u8| b & 0xC0 == 0x80;
    if !body.get(limit).is_some_and(|b| is_continuation(*b)) {
        return limit;
    }
    let mut start = limit;
    while start > 0 && limit - start < 3 {
        start -= 1;
        let Some(&b) = body.get(start) else {
            return limit;
        };
        if is_continuation(b) {
            continue;
        }
        let len = match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        };
        return if start + len > limit { start } else { limit };
    }
    limit
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::connectivity::{test_support::at, EXCERPT_LIMIT};

    // --- dry-run rate limit ----------------------------------------------

    #[test]
    fn the_eleventh_endpoint_change_in_an_hour_waits_for_the_first_to_leave_it() {
        let base = at(2026, 5, 1, 9, 0, 0);
        let changes: Vec<_> = (0..10).map(|i| base + TimeDelta::minutes(i)).collect();
        let now = base + TimeDelta::minutes(20);
        assert_eq!(endpoint_change_allowed(&changes[..9], now), Ok(()));
        assert_eq!(
            endpoint_change_allowed(&changes, now),
            Err(base + TimeDelta::hours(1))
        );
        // An hour after the first change, the tenth is the oldest of nine.
        let later = base + TimeDelta::hours(1) + TimeDelta::seconds(1);
        assert_eq!(endpoint_change_allowed(&changes, later), Ok(()));
        // Order does not matter.
        let mut shuffled = changes.clone();
        shuffled.reverse();
        assert_eq!(
            endpoint_change_allowed(&shuffled, now),
            Err(base + TimeDelta::hours(1))
        );
    }

    #[test]
    fn dry_run_first_is_allowed() {
        assert_eq!(dry_run_allowed(&[], at(2026, 5, 1, 9, 0, 0)), Ok(()));
    }

    #[test]
    fn dry_run_eleventh_in_an_hour_refused() {
        let base = at(2026, 5, 1, 9, 0, 0);
        let starts: Vec<_> = (0..10).map(|i| base + TimeDelta::minutes(5 * i)).collect();
        let now = base + TimeDelta::minutes(50);
        assert_eq!(dry_run_allowed(&starts[..9], now), Ok(()));
        let now = base + TimeDelta::minutes(46);
        assert_eq!(
            dry_run_allowed(&starts, now),
            Err(base + TimeDelta::hours(1))
        );
    }

    #[test]
    fn dry_run_window_slides() {
        let base = at(2026, 5, 1, 9, 0, 0);
        let starts: Vec<_> = (0..10).map(|i| base + TimeDelta::minutes(i)).collect();
        let limit_lifts = base + TimeDelta::hours(1);
        assert_eq!(
            dry_run_allowed(&starts, limit_lifts - TimeDelta::seconds(1)),
            Err(limit_lifts)
        );
        assert_eq!(dry_run_allowed(&starts, limit_lifts), Ok(()));
        // Twelve starts: the third oldest has to leave before another run.
        let mut more = starts.clone();
        more.push(base + TimeDelta::minutes(20));
        more.push(base + TimeDelta::minutes(21));
        assert_eq!(
            dry_run_allowed(&more, base + TimeDelta::minutes(30)),
            Err(base + TimeDelta::minutes(62))
        );
    }

    #[test]
    fn dry_run_ten_second_gap() {
        let last = at(2026, 5, 1, 9, 0, 0);
        assert_eq!(
            dry_run_allowed(&[last], last + TimeDelta::seconds(9)),
            Err(last + TimeDelta::seconds(10))
        );
        assert_eq!(
            dry_run_allowed(&[last], last + TimeDelta::seconds(10)),
            Ok(())
        );
        assert_eq!(
            dry_run_allowed(&[last], last),
            Err(last + TimeDelta::seconds(10))
        );
    }

    #[test]
    fn dry_run_order_of_starts_does_not_matter() {
        let base = at(2026, 5, 1, 9, 0, 0);
        let starts = [
            base + TimeDelta::seconds(30),
            base,
            base + TimeDelta::seconds(15),
        ];
        assert_eq!(
            dry_run_allowed(&starts, base + TimeDelta::seconds(35)),
            Err(base + TimeDelta::seconds(40))
        );
    }

    #[test]
    fn dry_run_old_starts_ignored() {
        let now = at(2026, 5, 1, 12, 0, 0);
        let starts: Vec<_> = (0..20)
            .map(|i| now - TimeDelta::hours(2) + TimeDelta::minutes(i))
            .collect();
        assert_eq!(dry_run_allowed(&starts, now), Ok(()));
    }

    #[test]
    fn dry_run_both_limits_gives_later_time() {
        let base = at(2026, 5, 1, 9, 0, 0);
        // Ten starts, the last 3 seconds ago; the hour limit lifts later than the gap.
        let mut starts: Vec<_> = (0..9).map(|i| base + TimeDelta::minutes(i)).collect();
        let now = base + TimeDelta::minutes(30);
        starts.push(now - TimeDelta::seconds(3));
        assert_eq!(
            dry_run_allowed(&starts, now),
            Err(base + TimeDelta::hours(1))
        );
    }

    // --- excerpt ---------------------------------------------------------

    #[test]
    fn excerpt_short_body_kept_whole() {
        assert_eq!(excerpt(b"accepted", 4096), ("accepted".to_owned(), false));
        assert_eq!(excerpt(b"", 4096), (String::new(), false));
        assert_eq!(excerpt(b"abcd", 4), ("abcd".to_owned(), false));
    }

    #[test]
    fn excerpt_cuts_long_body() {
        let body = vec![b'x'; 5000];
        let (text, cut) = excerpt(&body, EXCERPT_LIMIT);
        assert_eq!(text.len(), 4096);
        assert!(cut);
    }

    #[test]
    fn excerpt_does_not_split_a_character() {
        let body = "ab£€😀".as_bytes(); // a b (1) (1) £ (2) € (3) 😀 (4)
        assert_eq!(excerpt(body, 3), ("ab".to_owned(), true));
        assert_eq!(excerpt(body, 4), ("ab£".to_owned(), true));
        assert_eq!(excerpt(body, 5), ("ab£".to_owned(), true));
        assert_eq!(excerpt(body, 6), ("ab£".to_owned(), true));
        assert_eq!(excerpt(body, 7), ("ab£€".to_owned(), true));
        assert_eq!(excerpt(body, 10), ("ab£€".to_owned(), true));
        assert_eq!(excerpt(body, 11), ("ab£€😀".to_owned(), false));
        assert_eq!(excerpt(body, 0), (String::new(), true));
    }

    #[test]
    fn excerpt_invalid_bytes_are_replaced() {
        let body = [b'o', b'k', 0xFF, 0x80, 0x80, 0x80, 0x80, b'z'];
        let (text, cut) = excerpt(&body, 6);
        assert!(cut);
        assert!(text.starts_with("ok\u{FFFD}"));
    }
}
