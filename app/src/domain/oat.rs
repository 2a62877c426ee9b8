//! The rules of an operational acceptance testing (OAT) request: the three yes/no answers and
//! the connection date (CoCo 3.1.13).

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// One of the three readiness questions, in the guidance's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Question {
    CryptoDeployed,
    ConnectionReady,
    ReadyForLive,
}

impl Question {
    pub const ALL: [Question; 3] = [
        Self::CryptoDeployed,
        Self::ConnectionReady,
        Self::ReadyForLive,
    ];

    /// The form field (and URL segment) for the question.
    pub fn field(self) -> &'static str {
        match self {
            Self::CryptoDeployed => "crypto-deployed",
            Self::ConnectionReady => "connection-ready",
            Self::ReadyForLive => "ready-for-live",
        }
    }

    pub fn from_field(field: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.field() == field)
    }

    pub fn text(self) -> &'static str {
        match self {
            Self::CryptoDeployed => "Has your crypto material been deployed?",
            Self::ConnectionReady => "Is your connection ready to be tested?",
            Self::ReadyForLive => {
                "Is your organisation ready to transition into the live environment?"
            }
        }
    }

    /// GOV.UK's wording when nothing is chosen: "Select yes if …".
    pub fn missing_message(self) -> &'static str {
        match self {
            Self::CryptoDeployed => "Select yes if your crypto material has been deployed",
            Self::ConnectionReady => "Select yes if your connection is ready to be tested",
            Self::ReadyForLive => {
                "Select yes if your organisation is ready to transition into the live environment"
            }
        }
    }

    /// The question after this one, if any.
    pub fn next(self) -> Option<Self> {
        match self {
            Self::CryptoDeployed => Some(Self::ConnectionReady),
            Self::ConnectionReady => Some(Self::ReadyForLive),
            Self::ReadyForLive => None,
        }
    }
}

/// A yes or no. Answering no is not an error: it ends the journey for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Answer {
    Yes,
    No,
}

impl Answer {
    /// From a posted radio value; `None` when nothing (or something else) was sent.
    pub fn parse(raw: Option<&str>) -> Option<Self> {
        match raw.map(str::trim) {
            Some("yes") => Some(Self::Yes),
            Some("no") => Some(Self::No),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Yes => "Yes",
            Self::No => "No",
        }
    }
}

/// Why a typed connection date cannot be used, worded as GOV.UK words date errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("Enter the connection date")]
    Empty,
    #[error("Connection date must include a {0}")]
    Incomplete(&'static str),
    #[error("Connection date must be a real date")]
    NotReal,
    #[error("Connection date must be the same as or after {}", long_date(*.0))]
    TooEarly(NaiveDate),
    #[error("This portal accepts connection dates up to {}: enter that date or an earlier one", long_date(*.0))]
    TooLate(NaiveDate),
}

impl DateError {
    /// Which of the three boxes to mark: day, month, year, or all of them (`None`).
    pub fn part(&self) -> Option<&'static str> {
        match self {
            Self::Incomplete(p) if !p.contains(" and ") => Some(p),
            _ => None,
        }
    }
}

/// "1 December 2026".
pub fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn month_number(raw: &str) -> Option<u32> {
    if let Ok(n) = raw.parse::<u32>() {
        return Some(n);
    }
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let lower = raw.to_lowercase();
    if lower.len() < 3 {
        return None;
    }
    NAMES
        .iter()
        .position(|name| {
            name.starts_with(&lower)
                || (lower.len() == 4 && lower == "sept" && *name == "september")
        })
        .map(|i| i as u32 + 1)
}

/// Reads the three boxes of a GOV.UK date input. Spaces around values are ignored; months may
/// be numbers or names ("jan", "January"); years have four digits.
pub fn parse_date_parts(day: &str, month: &str, year: &str) -> Result<NaiveDate, DateError> {
    let (day, month, year) = (day.trim(), month.trim(), year.trim());
    let missing: Vec<&str> = [("day", day), ("month", month), ("year", year)]
        .into_iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(n, _)| n)
        .collect();
    match missing.len() {
        3 => return Err(DateError::Empty),
        2 => {
            return Err(DateError::Incomplete(match (missing[0], missing[1]) {
                ("day", "month") => "day and month",
                ("day", "year") => "day and year",
                _ => "month and year",
            }))
        }
        1 => return Err(DateError::Incomplete(missing[0])),
        _ => {}
    }
    let d: u32 = day.parse().map_err(|_| DateError::NotReal)?;
    let m = month_number(month).ok_or(DateError::NotReal)?;
    if year.len() != 4 {
        return Err(DateError::NotReal);
    }
    let y: i32 = year.parse().map_err(|_| DateError::NotReal)?;
    NaiveDate::from_ymd_opt(y, m, d).ok_or(DateError::NotReal)
}

/// Reads a date field: what a browser's date input posts (`YYYY-MM-DD`), or what a person types
/// where the browser shows a plain text box instead (`1/12/2026`, `1 12 2026`, `1 December
/// 2026`). A date with a part missing is "incomplete" and says which part, as GOV.UK words it.
pub fn parse_iso_date(raw: &str) -> Result<NaiveDate, DateError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(DateError::Empty);
    }
    if raw.contains('-') {
        let parts: Vec<&str> = raw.split('-').collect();
        return match parts.as_slice() {
            [y, rest @ ..] if y.trim().len() == 4 && rest.len() <= 2 => parse_date_parts(
                rest.get(1).copied().unwrap_or(""),
                rest.first().copied().unwrap_or(""),
                y,
            ),
            _ => Err(DateError::NotReal),
        };
    }
    let parts: Vec<&str> = if raw.contains('/') {
        raw.split('/').collect()
    } else {
        raw.split_whitespace().collect()
    };
    match parts.as_slice() {
        [d, rest @ ..] if d.chars().all(|c| c.is_ascii_digit()) && rest.len() <= 2 => {
            parse_date_parts(
                d,
                rest.first().copied().unwrap_or(""),
                rest.get(1).copied().unwrap_or(""),
            )
        }
        _ => Err(DateError::NotReal),
    }
}

#[cfg(test)]
mod typed_date_tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn browser_and_typed_dates_are_read() {
        for raw in [
            "2026-12-01",
            " 2026-12-1 ",
            "1/12/2026",
            "01/12/2026",
            "1 12 2026",
            "1 December 2026",
            "1 dec 2026",
        ] {
            assert_eq!(parse_iso_date(raw), Ok(d(2026, 12, 1)), "{raw}");
        }
    }

    #[test]
    fn missing_parts_are_named_and_nonsense_is_not_a_real_date() {
        assert_eq!(parse_iso_date(""), Err(DateError::Empty));
        assert_eq!(parse_iso_date("2026-12"), Err(DateError::Incomplete("day")));
        assert_eq!(
            parse_iso_date("2026--01"),
            Err(DateError::Incomplete("month"))
        );
        assert_eq!(parse_iso_date("1/12"), Err(DateError::Incomplete("year")));
        assert_eq!(parse_iso_date("December 2026"), Err(DateError::NotReal));
        assert_eq!(parse_iso_date("2026-02-30"), Err(DateError::NotReal));
        assert_eq!(parse_iso_date("not a date"), Err(DateError::NotReal));
        assert_eq!(parse_iso_date("26-12-01"), Err(DateError::NotReal));
        assert_eq!(parse_iso_date("1/2/3/4"), Err(DateError::NotReal));
    }
}

/// Why the earliest allowed date is what it is (the hint says so).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EarliestReason {
    /// Seven calendar days after today.
    SevenDays,
    /// The day after the organisation completes its technical connection journey.
    TechnicalConnection(NaiveDate),
}

/// The dates a connection date may take, worked out from today (a UK calendar date) and the
/// organisation's technical connection completion date, where one is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRule {
    pub earliest: NaiveDate,
    pub latest: NaiveDate,
    pub reason: EarliestReason,
}

/// Days between today and the earliest connection date.
pub const MIN_NOTICE_DAYS: u64 = 7;
/// How far ahead this portal accepts a connection date: its own limit, not PDP's, worded as such.
pub const MAX_YEARS_AHEAD: u32 = 2;

impl DateRule {
    pub fn new(today: NaiveDate, technical_completion: Option<NaiveDate>) -> Self {
        let seven = today + Days::new(MIN_NOTICE_DAYS);
        let (earliest, reason) =
            match technical_completion.and_then(|d| d.checked_add_days(Days::new(1))) {
                Some(after) if after > seven => (
                    after,
                    EarliestReason::TechnicalConnection(after - Days::new(1)),
                ),
                _ => (seven, EarliestReason::SevenDays),
            };
        // 29 February plus two years is 28 February (chrono clamps to the month's end).
        let latest = today
            .checked_add_months(Months::new(12 * MAX_YEARS_AHEAD))
            .unwrap_or(NaiveDate::MAX);
        // When the technical connection date is two years away or more, no date is allowed:
        // every date is refused, and staff are the ones to talk to.
        Self {
            earliest,
            latest,
            reason,
        }
    }

    pub fn check(&self, date: NaiveDate) -> Result<NaiveDate, DateError> {
        if date < self.earliest {
            Err(DateError::TooEarly(self.earliest))
        } else if date > self.latest {
            Err(DateError::TooLate(self.latest))
        } else {
            Ok(date)
        }
    }

    /// The hint under the date field.
    pub fn hint(&self) -> String {
        let why = match self.reason {
            EarliestReason::SevenDays => "Your connection date must be at least 7 calendar days from today.".to_string(),
            EarliestReason::TechnicalConnection(done) => format!(
                "Your connection date must be after {}, when your organisation completes its technical connection journey.",
                long_date(done)
            ),
        };
        let example = self.earliest + Days::new(if self.earliest.day() <= 15 { 14 } else { 0 });
        format!(
            "{why} The earliest date you can choose is {}. For example, {} {} {}",
            long_date(self.earliest),
            example.day(),
            example.month(),
            example.year()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn answers_parse_only_yes_and_no() {
        assert_eq!(Answer::parse(Some("yes")), Some(Answer::Yes));
        assert_eq!(Answer::parse(Some(" no ")), Some(Answer::No));
        for other in [None, Some(""), Some("on"), Some("true"), Some("Yes ")] {
            assert!(other != Some("Yes ") || Answer::parse(other).is_none());
        }
        assert_eq!(Answer::parse(Some("on")), None);
        assert_eq!(Answer::parse(None), None);
    }

    #[test]
    fn questions_are_worded_as_the_guidance_words_them() {
        assert_eq!(
            Question::CryptoDeployed.text(),
            "Has your crypto material been deployed?"
        );
        assert_eq!(
            Question::ConnectionReady.text(),
            "Is your connection ready to be tested?"
        );
        assert_eq!(
            Question::ReadyForLive.text(),
            "Is your organisation ready to transition into the live environment?"
        );
        for q in Question::ALL {
            assert_eq!(Question::from_field(q.field()), Some(q));
            assert!(q.missing_message().starts_with("Select yes if"));
        }
    }

    #[test]
    fn date_parts_follow_the_gov_uk_error_order() {
        assert_eq!(parse_date_parts("", " ", ""), Err(DateError::Empty));
        assert_eq!(
            parse_date_parts("1", "", "2027"),
            Err(DateError::Incomplete("month"))
        );
        assert_eq!(
            parse_date_parts("", "", "2027").unwrap_err().to_string(),
            "Connection date must include a day and month"
        );
        assert_eq!(parse_date_parts("30", "2", "2027"), Err(DateError::NotReal));
        assert_eq!(
            parse_date_parts("thirteen", "2", "2027"),
            Err(DateError::NotReal)
        );
        assert_eq!(parse_date_parts("1", "2", "27"), Err(DateError::NotReal));
        assert_eq!(
            parse_date_parts(" 1 ", " jan ", " 2027 "),
            Ok(d(2027, 1, 1))
        );
        assert_eq!(
            parse_date_parts("1", "December", "2026"),
            Ok(d(2026, 12, 1))
        );
        assert_eq!(parse_date_parts("29", "2", "2028"), Ok(d(2028, 2, 29)));
        assert_eq!(parse_date_parts("29", "2", "2027"), Err(DateError::NotReal));
    }

    #[test]
    fn the_earliest_date_is_seven_days_ahead_and_inclusive() {
        let rule = DateRule::new(d(2026, 11, 23), None);
        assert_eq!(rule.earliest, d(2026, 11, 30));
        assert_eq!(rule.check(d(2026, 11, 30)), Ok(d(2026, 11, 30)));
        let err = rule.check(d(2026, 11, 29)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Connection date must be the same as or after 30 November 2026"
        );
    }

    #[test]
    fn year_ends_and_leap_days() {
        assert_eq!(DateRule::new(d(2026, 12, 28), None).earliest, d(2027, 1, 4));
        assert_eq!(DateRule::new(d(2028, 2, 22), None).earliest, d(2028, 2, 29));
        let leap = DateRule::new(d(2028, 2, 29), None);
        assert_eq!(leap.latest, d(2030, 2, 28));
        assert!(leap.check(d(2030, 3, 1)).is_err());
    }

    #[test]
    fn a_later_technical_connection_date_moves_the_earliest_date() {
        let rule = DateRule::new(d(2026, 11, 23), Some(d(2026, 12, 10)));
        assert_eq!(rule.earliest, d(2026, 12, 11), "after the completion date");
        assert_eq!(
            rule.reason,
            EarliestReason::TechnicalConnection(d(2026, 12, 10))
        );
        assert!(rule.check(d(2026, 12, 10)).is_err());
        assert!(rule.hint().contains("after 10 December 2026"));
        assert!(rule
            .hint()
            .contains("The earliest date you can choose is 11 December 2026"));
        // An earlier completion date changes nothing.
        assert_eq!(
            DateRule::new(d(2026, 11, 23), Some(d(2026, 11, 1))).earliest,
            d(2026, 11, 30)
        );
    }

    #[test]
    fn no_more_than_two_years_ahead() {
        let rule = DateRule::new(d(2026, 11, 23), None);
        assert_eq!(rule.latest, d(2028, 11, 23));
        assert_eq!(
            rule.check(d(2028, 11, 24)).unwrap_err().to_string(),
            "This portal accepts connection dates up to 23 November 2028: enter that date or an earlier one"
        );
    }

    proptest! {
        #[test]
        fn accepted_exactly_when_between_earliest_and_latest(
            today_offset in 0i64..7000, candidate_offset in -30i64..800, tc_offset in proptest::option::of(-30i64..60)
        ) {
            let today = d(2020, 1, 1) + chrono::Duration::days(today_offset);
            let candidate = today + chrono::Duration::days(candidate_offset);
            let tc = tc_offset.map(|o| today + chrono::Duration::days(o));
            let rule = DateRule::new(today, tc);
            let ok = rule.check(candidate).is_ok();
            let after_tc = tc.map(|t| candidate > t).unwrap_or(true);
            let expected = candidate >= today + chrono::Duration::days(7) && after_tc && candidate <= rule.latest;
            prop_assert_eq!(ok, expected);
        }
    }
}
