//! Programme staff's review of OAT requests: which action is allowed in which state, the staff
//! queue's filters and keyset cursor, and the times and reasons staff type. Pure and tested.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use super::oat::{long_date, parse_iso_date, DateError, DateRule};
pub use super::status::{RequestStatus, SchemeStatus};

/// Something that can be done to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Staff: book (or move) the connectivity test; after a failure, the next round's.
    ScheduleTest,
    /// Staff: the test passed.
    RecordPass,
    /// Staff: the test failed, with a reason and maybe a support session.
    RecordFailure,
    /// Staff: confirm the go-live date after a pass.
    ConfirmGoLive,
    /// Staff: move a confirmed go-live date, with a reason.
    MoveGoLive,
    /// Service manager: ask to change the connection date; staff: approve or reject it.
    ChangeDate,
    /// Service manager: tell PDP the problems are fixed and the test can run again.
    ReadyForRetest,
    /// Service manager: ask for a support session after a failure.
    AskSupport,
    /// Staff: book a support session (asked for or offered).
    ArrangeSupport,
    /// Service manager: withdraw a request that has not passed.
    Withdraw,
}

impl Action {
    /// The states in which the action makes sense.
    pub fn allowed_from(self) -> &'static [RequestStatus] {
        use RequestStatus::*;
        match self {
            Self::ScheduleTest => &[Requested, TestScheduled, Failed],
            Self::RecordPass | Self::RecordFailure => &[Requested, TestScheduled],
            Self::ConfirmGoLive => &[Passed],
            Self::MoveGoLive => &[GoLiveConfirmed],
            Self::ChangeDate => &[Requested, TestScheduled, Failed, Passed, GoLiveConfirmed],
            Self::ReadyForRetest | Self::AskSupport => &[Failed],
            Self::ArrangeSupport => &[Failed, TestScheduled],
            Self::Withdraw => &[Requested, TestScheduled, Failed],
        }
    }

    pub fn allowed(self, status: RequestStatus) -> bool {
        self.allowed_from().contains(&status)
    }

    /// Whether the action can be taken on a request now. A request that a later one replaced
    /// (a re-test sent as a new request, before re-tests ran on the same request) takes none.
    pub fn available(self, status: RequestStatus, superseded: bool) -> bool {
        !superseded && self.allowed(status)
    }

    /// The status the request has afterwards (most actions keep it).
    pub fn result(self, from: RequestStatus) -> RequestStatus {
        match self {
            Self::ScheduleTest => RequestStatus::TestScheduled,
            Self::RecordPass => RequestStatus::Passed,
            Self::RecordFailure => RequestStatus::Failed,
            Self::ConfirmGoLive => RequestStatus::GoLiveConfirmed,
            Self::Withdraw => RequestStatus::Withdrawn,
            Self::MoveGoLive
            | Self::ChangeDate
            | Self::ReadyForRetest
            | Self::AskSupport
            | Self::ArrangeSupport => from,
        }
    }

    /// The request's status and its scheme's after the action, from the request's before.
    pub fn next(self, from: RequestStatus) -> (RequestStatus, SchemeStatus) {
        let to = self.result(from);
        (to, SchemeStatus::from(to))
    }
}

/// The round of testing a scheduled test belongs to: scheduling after a failure starts the next
/// round; moving a booked test keeps its round.
pub fn round_after_scheduling(status: RequestStatus, round: i32) -> i32 {
    if status == RequestStatus::Failed {
        round + 1
    } else {
        round
    }
}

/// A confirmed go-live date that PDP moves: a real date after today, different from the
/// current one. The connection date rules are the organisation's; PDP sets this date itself.
pub fn moved_go_live(
    raw: &str,
    current: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<NaiveDate, String> {
    let date = parse_iso_date(raw).map_err(|e| date_message(&e, "New go-live date"))?;
    if date <= today {
        return Err(format!(
            "The new go-live date must be after today, {}",
            long_date(today)
        ));
    }
    if Some(date) == current {
        return Err(format!(
            "The new go-live date must be different from the current one, {}",
            long_date(date)
        ));
    }
    Ok(date)
}

/// How a connection date compares with today, for the staff queue: requests whose test has not
/// passed and whose date is near or gone stand out (with words, not colour alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Urgency {
    Normal,
    /// Under 10 days away (0–9 days).
    DueSoon(i64),
    /// The date has gone and the test has not passed.
    Overdue(i64),
}

/// Requests due within this many days stand out.
pub const DUE_SOON_DAYS: i64 = 10;

pub fn urgency(status: RequestStatus, connection_date: NaiveDate, today: NaiveDate) -> Urgency {
    if !matches!(
        status,
        RequestStatus::Requested | RequestStatus::TestScheduled | RequestStatus::Failed
    ) {
        return Urgency::Normal;
    }
    let days = (connection_date - today).num_days();
    if days < 0 {
        Urgency::Overdue(-days)
    } else if days < DUE_SOON_DAYS {
        Urgency::DueSoon(days)
    } else {
        Urgency::Normal
    }
}

impl Urgency {
    /// The words shown next to the date, if any.
    pub fn words(self) -> Option<String> {
        match self {
            Self::Normal => None,
            Self::DueSoon(0) => Some("Due today".into()),
            Self::DueSoon(1) => Some("Due in 1 day".into()),
            Self::DueSoon(n) => Some(format!("Due in {n} days")),
            Self::Overdue(1) => Some("Overdue by 1 day".into()),
            Self::Overdue(n) => Some(format!("Overdue by {n} days")),
        }
    }
}

/// The order of the staff queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Sort {
    /// Soonest connection date first (the default).
    #[default]
    ConnectionDate,
    /// Latest connection date first.
    ConnectionDateDesc,
    /// Most recently sent first.
    Newest,
}

impl Sort {
    pub const ALL: [Sort; 3] = [Self::ConnectionDate, Self::ConnectionDateDesc, Self::Newest];

    pub fn code(self) -> &'static str {
        match self {
            Self::ConnectionDate => "soonest",
            Self::ConnectionDateDesc => "latest",
            Self::Newest => "newest",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ConnectionDate => "Connection date, soonest first",
            Self::ConnectionDateDesc => "Connection date, latest first",
            Self::Newest => "Most recently sent first",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == raw)
    }
}

/// A position in the queue: the last (or first) row of a page, by the sort's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub connection_date: NaiveDate,
    pub id: i64,
}

impl Cursor {
    /// `2026-12-01.42`, safe in a URL.
    pub fn encode(self) -> String {
        format!("{}.{}", self.connection_date.format("%Y-%m-%d"), self.id)
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let (date, id) = raw.trim().split_once('.')?;
        let connection_date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
        let id = id.parse::<i64>().ok().filter(|id| *id > 0)?;
        Some(Self {
            connection_date,
            id,
        })
    }
}

/// Which way from the cursor a page goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    After(Cursor),
    Before(Cursor),
}

/// A status filter: one request status, or requests waiting for staff in some other way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatusFilter {
    Status(RequestStatus),
    /// A change of connection date waits for a decision.
    DateChangeWaiting,
    /// The service manager says the problems are fixed and a re-test can be booked.
    ReadyForRetest,
    /// The service manager asked for a support session that is not booked yet.
    SupportAsked,
    /// A query about the request waits for an answer.
    QueryOpen,
}

impl StatusFilter {
    /// The filters other than a plain status, in the order the queue lists them.
    pub const WAITING: [StatusFilter; 4] = [
        Self::ReadyForRetest,
        Self::SupportAsked,
        Self::QueryOpen,
        Self::DateChangeWaiting,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Status(s) => s.code(),
            Self::DateChangeWaiting => "date_change",
            Self::ReadyForRetest => "ready_for_retest",
            Self::SupportAsked => "support_asked",
            Self::QueryOpen => "query_open",
        }
    }

    /// The words staff read.
    pub fn label(self) -> &'static str {
        match self {
            Self::Status(s) => s.label(),
            Self::DateChangeWaiting => "Date change waiting",
            Self::ReadyForRetest => "Ready for re-test",
            Self::SupportAsked => "Support session asked for",
            Self::QueryOpen => "Open query",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::WAITING
            .into_iter()
            .find(|f| f.code() == raw)
            .or_else(|| RequestStatus::parse(raw).map(Self::Status))
    }
}

/// The staff queue's filters, as typed in the query string, checked.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QueueFilter {
    pub status: Option<StatusFilter>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Part of an organisation's or scheme's name, or a reference (lower case, trimmed).
    pub text: String,
    pub sort: Sort,
    pub page: Option<Direction>,
}

/// The queue's raw query parameters, as a form sends them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueQuery {
    pub status: String,
    pub from: String,
    pub to: String,
    pub q: String,
    pub sort: String,
    pub after: String,
    pub before: String,
}

/// A filter that could not be used: which field and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterError {
    pub field: &'static str,
    pub message: String,
}

/// Longest search text accepted.
pub const MAX_SEARCH_LEN: usize = 100;

impl QueueFilter {
    /// Checks the query. Errors name the field; everything else about the query is still used
    /// (an unusable part is dropped), so the page always shows a queue.
    pub fn parse(q: &QueueQuery) -> (Self, Vec<FilterError>) {
        let mut errors = Vec::new();
        let mut date = |field: &'static str, label: &str, raw: &str| -> Option<NaiveDate> {
            match parse_iso_date(raw) {
                Ok(d) => Some(d),
                Err(DateError::Empty) => None,
                Err(_) => {
                    errors.push(FilterError {
                        field,
                        message: format!("{label} must be a real date"),
                    });
                    None
                }
            }
        };
        let from = date("from", "Connection date from", &q.from);
        let mut to = date("to", "Connection date to", &q.to);
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                errors.push(FilterError {
                    field: "to",
                    message: format!(
                        "Connection date to must be the same as or after {}",
                        long_date(f)
                    ),
                });
                to = None;
            }
        }
        let status = match q.status.trim() {
            "" | "all" => None,
            raw => {
                let s = StatusFilter::parse(raw);
                if s.is_none() {
                    errors.push(FilterError {
                        field: "status",
                        message: "Select a status from the list".into(),
                    });
                }
                s
            }
        };
        let text: String = q.q.trim().chars().filter(|c| !c.is_control()).collect();
        let text = if text.chars().count() > MAX_SEARCH_LEN {
            errors.push(FilterError {
                field: "q",
                message: format!("Search must be {MAX_SEARCH_LEN} characters or fewer"),
            });
            String::new()
        } else {
            text.to_lowercase()
        };
        let sort = Sort::parse(q.sort.trim()).unwrap_or_default();
        let page = match (Cursor::decode(&q.after), Cursor::decode(&q.before)) {
            (Some(c), _) => Some(Direction::After(c)),
            (None, Some(c)) => Some(Direction::Before(c)),
            _ => None,
        };
        (
            Self {
                status,
                from,
                to,
                text,
                sort,
                page,
            },
            errors,
        )
    }

    /// The query string for these filters (without the page), for links and the CSV download.
    pub fn query_string(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.status {
            parts.push(format!("status={}", s.code()));
        }
        if let Some(d) = self.from {
            parts.push(format!("from={}", d.format("%Y-%m-%d")));
        }
        if let Some(d) = self.to {
            parts.push(format!("to={}", d.format("%Y-%m-%d")));
        }
        if !self.text.is_empty() {
            parts.push(format!("q={}", url_encode(&self.text)));
        }
        if self.sort != Sort::default() {
            parts.push(format!("sort={}", self.sort.code()));
        }
        parts.join("&")
    }
}

/// Percent-encodes a query-string value.
pub fn url_encode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A free-text reason or note: trimmed, at most `max` characters, no control characters other
/// than line breaks. `Ok(None)` when empty.
pub fn parse_text(raw: &str, max: usize, label: &str) -> Result<Option<String>, String> {
    let text = raw.trim().replace("\r\n", "\n");
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(format!("{label} must not contain control characters"));
    }
    if text.chars().count() > max {
        return Err(format!("{label} must be {max} characters or fewer"));
    }
    Ok((!text.is_empty()).then_some(text))
}

/// Reads a time of day as people type it: "14:30", "14.30", "2:30pm", "2pm", "9am", "12pm"
/// (noon), "12am" (midnight).
pub fn parse_time(raw: &str) -> Option<NaiveTime> {
    let s: String = raw
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let (body, meridiem) = if let Some(b) = s.strip_suffix("am") {
        (b, Some(false))
    } else if let Some(b) = s.strip_suffix("pm") {
        (b, Some(true))
    } else {
        (s.as_str(), None)
    };
    let (h, m) = match body.split_once([':', '.']) {
        Some((h, m)) if m.len() == 2 => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        Some(_) => return None,
        None if meridiem.is_some() => (body.parse::<u32>().ok()?, 0),
        None => return None,
    };
    let h = match meridiem {
        Some(pm) => {
            if !(1..=12).contains(&h) {
                return None;
            }
            (h % 12) + if pm { 12 } else { 0 }
        }
        None => h,
    };
    NaiveTime::from_hms_opt(h, m, 0)
}

/// A date and time typed in two fields (the date as `YYYY-MM-DD` from a date input), as UK
/// local time. Errors are worded for the field they belong to.
pub fn parse_date_time(date: &str, time: &str, label: &str) -> Result<NaiveDateTime, FilterError> {
    let d = parse_iso_date(date).map_err(|e| FilterError {
        field: "date",
        message: match e {
            DateError::Empty => format!("Enter the date of the {label}"),
            _ => format!("The date of the {label} must be a real date"),
        },
    })?;
    if time.trim().is_empty() {
        return Err(FilterError {
            field: "time",
            message: format!("Enter the time of the {label}"),
        });
    }
    let t = parse_time(time).ok_or_else(|| FilterError {
        field: "time",
        message: format!("Enter the time of the {label} as a time of day, like 14:30 or 2:30pm"),
    })?;
    Ok(d.and_time(t))
}

/// "2:30pm", as GOV.UK writes times.
pub fn short_time(t: NaiveTime) -> String {
    use chrono::Timelike;
    let (pm, h) = t.hour12();
    let suffix = if pm { "pm" } else { "am" };
    match (t.hour(), t.minute()) {
        (12, 0) => "midday".into(),
        (0, 0) => "midnight".into(),
        (_, 0) => format!("{h}{suffix}"),
        (_, m) => format!("{h}:{m:02}{suffix}"),
    }
}

/// A date error reworded for the field it is about ("Go-live date must be …").
pub fn date_message(e: &DateError, label: &str) -> String {
    match e {
        DateError::Empty => format!("Enter the {}", label.to_lowercase()),
        DateError::TooEarly(d) => {
            format!("{label} must be the same as or after {}", long_date(*d))
        }
        DateError::TooLate(d) => {
            format!(
                "This portal accepts dates up to {}: enter that date or an earlier one",
                long_date(*d)
            )
        }
        _ => format!("{label} must be a real date"),
    }
}

/// Staff's choice of go-live date after a pass: the requested connection date (while it has
/// not passed), or another date within the date rules with the reason it differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoLiveChoice {
    pub date: NaiveDate,
    /// Empty when the date is the requested one.
    pub reason: String,
}

impl GoLiveChoice {
    /// From the form: `which` is "requested" or "other". Errors are (field, message) pairs in
    /// page order.
    pub fn parse(
        which: Option<&str>,
        other_date: &str,
        reason: &str,
        requested: NaiveDate,
        rule: &DateRule,
        today: NaiveDate,
    ) -> Result<Self, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let reason = match parse_text(reason, MAX_TEXT, "Reason") {
            Ok(r) => r,
            Err(e) => {
                errors.push(("reason", e));
                None
            }
        };
        let date = match which.map(str::trim) {
            Some("requested") if requested < today => {
                errors.push((
                    "which",
                    format!(
                        "The requested connection date, {}, has passed: choose another date",
                        long_date(requested)
                    ),
                ));
                None
            }
            Some("requested") => Some(requested),
            Some("other") => match parse_iso_date(other_date).and_then(|d| rule.check(d)) {
                Ok(d) => {
                    if reason.is_none() && errors.is_empty() {
                        errors.push((
                            "reason",
                            "Enter why the go-live date differs from the requested connection date"
                                .to_string(),
                        ));
                    }
                    Some(d)
                }
                Err(e) => {
                    errors.push(("other_date", date_message(&e, "Go-live date")));
                    None
                }
            },
            _ => {
                errors.push(("which", "Select the go-live date".to_string()));
                None
            }
        };
        match date {
            Some(date) if errors.is_empty() => Ok(Self {
                date,
                reason: if date == requested {
                    String::new()
                } else {
                    reason.unwrap_or_default()
                },
            }),
            _ => Err(errors),
        }
    }
}

/// The longest reason, note or joining instructions accepted.
pub const MAX_TEXT: usize = 1000;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn actions_are_allowed_only_where_they_make_sense() {
        use RequestStatus::*;
        let table: &[(Action, &[RequestStatus])] = &[
            (Action::ScheduleTest, &[Requested, TestScheduled, Failed]),
            (Action::RecordPass, &[Requested, TestScheduled]),
            (Action::RecordFailure, &[Requested, TestScheduled]),
            (Action::ConfirmGoLive, &[Passed]),
            (Action::MoveGoLive, &[GoLiveConfirmed]),
            (
                Action::ChangeDate,
                &[Requested, TestScheduled, Failed, Passed, GoLiveConfirmed],
            ),
            (Action::ReadyForRetest, &[Failed]),
            (Action::AskSupport, &[Failed]),
            (Action::ArrangeSupport, &[Failed, TestScheduled]),
            (Action::Withdraw, &[Requested, TestScheduled, Failed]),
        ];
        for (action, allowed) in table {
            for status in RequestStatus::ALL {
                assert_eq!(
                    action.allowed(status),
                    allowed.contains(&status),
                    "{action:?} from {status:?}"
                );
            }
        }
        assert_eq!(Action::RecordPass.result(Requested), Passed);
        assert_eq!(Action::ChangeDate.result(GoLiveConfirmed), GoLiveConfirmed);
        assert_eq!(
            Action::ConfirmGoLive.next(Passed),
            (GoLiveConfirmed, SchemeStatus::GoLiveConfirmed)
        );
        assert_eq!(
            Action::ScheduleTest.next(Requested),
            (TestScheduled, SchemeStatus::TestScheduled)
        );
        assert_eq!(
            Action::RecordFailure.next(TestScheduled),
            (Failed, SchemeStatus::Failed)
        );
        // A re-test runs on the same request; a withdrawal frees the scheme for a new one.
        assert_eq!(
            Action::ScheduleTest.next(Failed),
            (TestScheduled, SchemeStatus::TestScheduled)
        );
        assert_eq!(
            Action::ReadyForRetest.next(Failed),
            (Failed, SchemeStatus::Failed)
        );
        assert_eq!(
            Action::Withdraw.next(Failed),
            (Withdrawn, SchemeStatus::NotRequested)
        );
        assert_eq!(Action::MoveGoLive.result(GoLiveConfirmed), GoLiveConfirmed);
        // A request a later one replaced takes no action at all.
        assert!(Action::ReadyForRetest.available(Failed, false));
        assert!(!Action::ReadyForRetest.available(Failed, true));
        assert!(!Action::Withdraw.available(Requested, true));
    }

    #[test]
    fn a_moved_go_live_date_is_a_real_later_different_date() {
        let today = d(2026, 11, 23);
        let current = Some(d(2026, 12, 1));
        assert_eq!(
            moved_go_live("2026-12-08", current, today),
            Ok(d(2026, 12, 8))
        );
        // Tomorrow is fine: PDP sets this date, not the 7-day rule.
        assert_eq!(
            moved_go_live("2026-11-24", current, today),
            Ok(d(2026, 11, 24))
        );
        assert_eq!(
            moved_go_live("", current, today).unwrap_err(),
            "Enter the new go-live date"
        );
        assert!(moved_go_live("2026-02-30", current, today)
            .unwrap_err()
            .contains("real date"));
        assert_eq!(
            moved_go_live("2026-11-23", current, today).unwrap_err(),
            "The new go-live date must be after today, 23 November 2026"
        );
        assert!(moved_go_live("2026-12-01", current, today)
            .unwrap_err()
            .contains("different from the current one"));
    }

    #[test]
    fn scheduling_after_a_failure_starts_the_next_round() {
        assert_eq!(round_after_scheduling(RequestStatus::Requested, 1), 1);
        assert_eq!(round_after_scheduling(RequestStatus::TestScheduled, 2), 2);
        assert_eq!(round_after_scheduling(RequestStatus::Failed, 1), 2);
        assert_eq!(round_after_scheduling(RequestStatus::Failed, 2), 3);
    }

    #[test]
    fn statuses_round_trip() {
        for s in RequestStatus::ALL {
            assert_eq!(RequestStatus::parse(s.code()), Some(s));
        }
        assert_eq!(RequestStatus::parse("Requested"), None);
    }

    #[test]
    fn urgency_marks_near_and_past_dates_until_the_test_passes() {
        let today = d(2026, 11, 23);
        use RequestStatus::*;
        assert_eq!(
            urgency(Requested, d(2026, 12, 2), today),
            Urgency::DueSoon(9)
        );
        assert_eq!(urgency(Requested, d(2026, 12, 3), today), Urgency::Normal);
        assert_eq!(urgency(TestScheduled, today, today), Urgency::DueSoon(0));
        assert_eq!(urgency(Failed, d(2026, 11, 20), today), Urgency::Overdue(3));
        assert_eq!(urgency(Passed, d(2026, 11, 24), today), Urgency::Normal);
        assert_eq!(
            urgency(GoLiveConfirmed, d(2026, 11, 20), today),
            Urgency::Normal
        );
        assert_eq!(Urgency::DueSoon(1).words().as_deref(), Some("Due in 1 day"));
        assert_eq!(
            Urgency::Overdue(2).words().as_deref(),
            Some("Overdue by 2 days")
        );
        assert_eq!(Urgency::Normal.words(), None);
    }

    #[test]
    fn filters_are_checked_and_bad_parts_dropped() {
        let (f, errors) = QueueFilter::parse(&QueueQuery {
            status: "failed".into(),
            from: "2026-12-01".into(),
            to: "2026-11-01".into(),
            q: "  Demo PENSIONS ".into(),
            sort: "latest".into(),
            ..QueueQuery::default()
        });
        assert_eq!(f.status, Some(StatusFilter::Status(RequestStatus::Failed)));
        assert_eq!(f.from, Some(d(2026, 12, 1)));
        assert_eq!(f.to, None);
        assert_eq!(f.text, "demo pensions");
        assert_eq!(f.sort, Sort::ConnectionDateDesc);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "to");
        assert_eq!(
            errors[0].message,
            "Connection date to must be the same as or after 1 December 2026"
        );

        let (f, errors) = QueueFilter::parse(&QueueQuery {
            status: "nonsense".into(),
            from: "2026-02-30".into(),
            q: "x".repeat(101),
            ..QueueQuery::default()
        });
        assert_eq!(f, QueueFilter::default());
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["from", "status", "q"]);
    }

    #[test]
    fn query_string_round_trips_through_parse() {
        let (f, _) = QueueFilter::parse(&QueueQuery {
            status: "date_change".into(),
            from: "2026-12-01".into(),
            q: "o'brien & co".into(),
            sort: "newest".into(),
            ..QueueQuery::default()
        });
        assert_eq!(
            f.query_string(),
            "status=date_change&from=2026-12-01&q=o%27brien+%26+co&sort=newest"
        );
        assert_eq!(QueueFilter::default().query_string(), "");
    }

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let c = Cursor {
            connection_date: d(2026, 12, 1),
            id: 42,
        };
        assert_eq!(c.encode(), "2026-12-01.42");
        assert_eq!(Cursor::decode("2026-12-01.42"), Some(c));
        for junk in [
            "",
            "2026-12-01",
            "2026-13-01.4",
            "2026-12-01.-4",
            "x.1",
            "2026-12-01.0",
        ] {
            assert_eq!(Cursor::decode(junk), None, "{junk}");
        }
    }

    #[test]
    fn times_are_read_as_people_type_them() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0);
        assert_eq!(parse_time("14:30"), t(14, 30));
        assert_eq!(parse_time(" 9.05 "), t(9, 5));
        assert_eq!(parse_time("2:30pm"), t(14, 30));
        assert_eq!(parse_time("2 PM"), t(14, 0));
        assert_eq!(parse_time("12pm"), t(12, 0));
        assert_eq!(parse_time("12am"), t(0, 0));
        for bad in ["", "25:00", "13pm", "0am", "9", "9:5", "noonish", "14:60"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert_eq!(
            short_time(NaiveTime::from_hms_opt(14, 30, 0).unwrap()),
            "2:30pm"
        );
        assert_eq!(short_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap()), "9am");
        assert_eq!(
            short_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap()),
            "midday"
        );
    }

    #[test]
    fn date_and_time_errors_name_their_field() {
        let e = parse_date_time("", "14:00", "test").unwrap_err();
        assert_eq!(
            (e.field, e.message.as_str()),
            ("date", "Enter the date of the test")
        );
        let e = parse_date_time("2026-12-01", "", "test").unwrap_err();
        assert_eq!(
            (e.field, e.message.as_str()),
            ("time", "Enter the time of the test")
        );
        let e = parse_date_time("2026-12-01", "teatime", "support session").unwrap_err();
        assert_eq!(e.field, "time");
        assert!(e.message.contains("like 14:30"));
        assert_eq!(
            parse_date_time("2026-12-01", "2pm", "test").unwrap(),
            d(2026, 12, 1).and_hms_opt(14, 0, 0).unwrap()
        );
    }

    #[test]
    fn text_is_trimmed_limited_and_clean() {
        assert_eq!(parse_text("  ", 10, "Reason"), Ok(None));
        assert_eq!(
            parse_text(" ok\r\nfine ", 10, "Reason"),
            Ok(Some("ok\nfine".into()))
        );
        assert_eq!(
            parse_text("x".repeat(11).as_str(), 10, "Reason"),
            Err("Reason must be 10 characters or fewer".into())
        );
        assert_eq!(
            parse_text("bell\u{7}", 10, "Reason"),
            Err("Reason must not contain control characters".into())
        );
    }

    proptest! {
        #[test]
        fn any_cursor_round_trips(days in 0i64..3000, id in 1i64..i64::MAX) {
            let c = Cursor { connection_date: d(2025, 1, 1) + chrono::Days::new(days as u64), id };
            prop_assert_eq!(Cursor::decode(&c.encode()), Some(c));
        }

        #[test]
        fn filter_parsing_never_panics(status in ".{0,20}", from in ".{0,20}", q in ".{0,200}", after in ".{0,30}") {
            let (f, _) = QueueFilter::parse(&QueueQuery { status, from, q, after, ..QueueQuery::default() });
            prop_assert!(f.text.chars().count() <= MAX_SEARCH_LEN);
        }
    }

    mod go_live_choice {
        use super::super::*;
        use chrono::NaiveDate;

        fn d(y: i32, m: u32, day: u32) -> NaiveDate {
            NaiveDate::from_ymd_opt(y, m, day).unwrap()
        }
        const TODAY: (i32, u32, u32) = (2026, 12, 5);
        fn today() -> NaiveDate {
            d(TODAY.0, TODAY.1, TODAY.2)
        }
        fn rule() -> DateRule {
            DateRule::new(today(), None)
        }

        #[test]
        fn the_requested_date_needs_no_reason() {
            let c =
                GoLiveChoice::parse(Some("requested"), "", "", d(2026, 12, 20), &rule(), today());
            assert_eq!(
                c,
                Ok(GoLiveChoice {
                    date: d(2026, 12, 20),
                    reason: String::new()
                })
            );
        }

        #[test]
        fn a_requested_date_that_has_passed_is_refused() {
            let c =
                GoLiveChoice::parse(Some("requested"), "", "", d(2026, 12, 1), &rule(), today());
            assert_eq!(
                c,
                Err(vec![("which", "The requested connection date, 1 December 2026, has passed: choose another date".to_string())])
            );
        }

        #[test]
        fn another_date_needs_a_reason_and_keeps_it() {
            let c = GoLiveChoice::parse(
                Some("other"),
                "2027-01-15",
                " ",
                d(2026, 12, 20),
                &rule(),
                today(),
            );
            assert_eq!(c.unwrap_err()[0].0, "reason");
            let c = GoLiveChoice::parse(
                Some("other"),
                "2027-01-15",
                "PDP maintenance",
                d(2026, 12, 20),
                &rule(),
                today(),
            );
            assert_eq!(
                c,
                Ok(GoLiveChoice {
                    date: d(2027, 1, 15),
                    reason: "PDP maintenance".into()
                })
            );
        }

        #[test]
        fn another_date_follows_the_date_rules() {
            let c = GoLiveChoice::parse(
                Some("other"),
                "2026-12-08",
                "why",
                d(2026, 12, 20),
                &rule(),
                today(),
            );
            assert_eq!(
                c,
                Err(vec![(
                    "other_date",
                    "Go-live date must be the same as or after 12 December 2026".to_string()
                )])
            );
            let c = GoLiveChoice::parse(
                Some("other"),
                "2026-02-30",
                "why",
                d(2026, 12, 20),
                &rule(),
                today(),
            );
            assert_eq!(
                c.unwrap_err()[0],
                ("other_date", "Go-live date must be a real date".to_string())
            );
        }

        #[test]
        fn nothing_chosen_is_an_error() {
            for which in [None, Some(""), Some("tomorrow")] {
                let c = GoLiveChoice::parse(which, "", "", d(2026, 12, 20), &rule(), today());
                assert_eq!(
                    c,
                    Err(vec![("which", "Select the go-live date".to_string())])
                );
            }
        }
    }
}
