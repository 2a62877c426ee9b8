//! Where a request and a scheme are, as types: the codes the database keeps, the words people
//! read, and which scheme status goes with which request status. Pure and tested.

use serde::{Deserialize, Serialize};

/// A code read from the database that names no known status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} code {code:?}")]
pub struct UnknownCode {
    pub what: &'static str,
    pub code: String,
}

/// Where an OAT request is. Withdrawn requests are kept for the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Requested,
    TestScheduled,
    Passed,
    Failed,
    GoLiveConfirmed,
    Live,
    Withdrawn,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 7] = [
        Self::Requested,
        Self::TestScheduled,
        Self::Passed,
        Self::Failed,
        Self::GoLiveConfirmed,
        Self::Live,
        Self::Withdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::TestScheduled => "test_scheduled",
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::GoLiveConfirmed => "go_live_confirmed",
            Self::Live => "live",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The words people read: the same as the scheme's, except that a withdrawn request says so.
    pub fn label(self) -> &'static str {
        self.shown_as().label()
    }

    /// The scheme status whose words and tag show this request's status.
    pub fn shown_as(self) -> SchemeStatus {
        match self {
            Self::Withdrawn => SchemeStatus::Withdrawn,
            other => SchemeStatus::from(other),
        }
    }

    /// Still to be decided: the test has not passed yet (a failed request waits for a re-test).
    pub fn awaiting_outcome(self) -> bool {
        matches!(self, Self::Requested | Self::TestScheduled)
    }
}

impl TryFrom<String> for RequestStatus {
    type Error = UnknownCode;
    fn try_from(code: String) -> Result<Self, UnknownCode> {
        Self::parse(&code).ok_or(UnknownCode {
            what: "request status",
            code,
        })
    }
}

/// A scheme's testing status: its vouching request's, or for a further scheme the organisation
/// added, where programme staff's approval stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemeStatus {
    NotRequested,
    Requested,
    TestScheduled,
    Passed,
    Failed,
    GoLiveConfirmed,
    Live,
    Withdrawn,
    /// A further scheme the organisation added, waiting for programme staff.
    AwaitingApproval,
    /// A further scheme programme staff did not approve.
    Rejected,
}

impl SchemeStatus {
    pub const ALL: [SchemeStatus; 10] = [
        Self::NotRequested,
        Self::Requested,
        Self::TestScheduled,
        Self::Passed,
        Self::Failed,
        Self::GoLiveConfirmed,
        Self::Live,
        Self::Withdrawn,
        Self::AwaitingApproval,
        Self::Rejected,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::NotRequested => "not_requested",
            Self::Requested => "requested",
            Self::TestScheduled => "test_scheduled",
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::GoLiveConfirmed => "go_live_confirmed",
            Self::Live => "live",
            Self::Withdrawn => "withdrawn",
            Self::AwaitingApproval => "awaiting_approval",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The words people read (the tag's colour only repeats them).
    pub fn label(self) -> &'static str {
        match self {
            Self::NotRequested => "Not requested",
            Self::Requested => "Requested",
            Self::TestScheduled => "Test scheduled",
            Self::Passed => "Passed",
            Self::Failed => "Failed",
            Self::GoLiveConfirmed => "Go-live date confirmed",
            Self::Live => "Live",
            Self::Withdrawn => "Withdrawn",
            Self::AwaitingApproval => "Awaiting approval",
            Self::Rejected => "Not approved",
        }
    }

    /// A vouching scheme from which a request can be sent: never requested, or its request was
    /// withdrawn. A failed request stays open for a re-test on the same request.
    pub fn may_request(self) -> bool {
        self == Self::NotRequested
    }
}

/// The scheme's status that goes with its request's: a withdrawn request leaves the scheme not
/// requested; otherwise they are the same.
impl From<RequestStatus> for SchemeStatus {
    fn from(status: RequestStatus) -> Self {
        match status {
            RequestStatus::Requested => Self::Requested,
            RequestStatus::TestScheduled => Self::TestScheduled,
            RequestStatus::Passed => Self::Passed,
            RequestStatus::Failed => Self::Failed,
            RequestStatus::GoLiveConfirmed => Self::GoLiveConfirmed,
            RequestStatus::Live => Self::Live,
            RequestStatus::Withdrawn => Self::NotRequested,
        }
    }
}

impl TryFrom<String> for SchemeStatus {
    type Error = UnknownCode;
    fn try_from(code: String) -> Result<Self, UnknownCode> {
        Self::parse(&code).ok_or(UnknownCode {
            what: "scheme status",
            code,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_go_there_and_back() {
        for s in RequestStatus::ALL {
            assert_eq!(RequestStatus::parse(s.code()), Some(s));
            assert_eq!(RequestStatus::try_from(s.code().to_string()), Ok(s));
        }
        for s in SchemeStatus::ALL {
            assert_eq!(SchemeStatus::parse(s.code()), Some(s));
            assert_eq!(SchemeStatus::try_from(s.code().to_string()), Ok(s));
        }
    }

    #[test]
    fn serialized_as_their_codes() {
        for s in SchemeStatus::ALL {
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.code())
            );
        }
        for s in RequestStatus::ALL {
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.code())
            );
        }
    }

    #[test]
    fn an_unknown_code_is_an_error_not_a_status() {
        let e = SchemeStatus::try_from("go_live".to_string()).unwrap_err();
        assert_eq!(e.to_string(), "unknown scheme status code \"go_live\"");
        assert!(RequestStatus::try_from(String::new()).is_err());
    }

    #[test]
    fn labels_are_distinct_words() {
        let labels: std::collections::HashSet<_> =
            SchemeStatus::ALL.iter().map(|s| s.label()).collect();
        assert_eq!(labels.len(), SchemeStatus::ALL.len());
    }

    #[test]
    fn a_scheme_follows_its_request_except_after_a_withdrawal() {
        for r in RequestStatus::ALL {
            let s = SchemeStatus::from(r);
            if r == RequestStatus::Withdrawn {
                assert_eq!(s, SchemeStatus::NotRequested);
                assert_eq!(
                    r.label(),
                    "Withdrawn",
                    "the request still says what happened"
                );
            } else {
                assert_eq!(s.code(), r.code());
                assert_eq!(r.label(), s.label());
            }
        }
    }
}
