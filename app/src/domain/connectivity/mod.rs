//! Rules for the live find endpoint connectivity test.
//!
//! The network code lives elsewhere. This module only decides: whether a URL
//! is acceptable, what an attempt's outcome means, whether to retry, whether
//! an endpoint looks ready, and whether another dry run may start.
//!
//! One file per topic: `endpoint_url` (the URL), `verdict` (observations and
//! judgements), `retry`, `readiness`, and `limits` (the dry-run rate limit and
//! the body excerpt). Everything is used from here, as `connectivity::X`.

mod endpoint_url;
mod evidence;
mod limits;
mod readiness;
mod retry;
#[cfg(test)]
mod test_support;
mod verdict;

pub use endpoint_url::{EndpointUrlError, FindEndpointUrl};
pub use evidence::{first_bytes, AttemptEvidence, CertificateEvidence, Evidence, FIRST_BYTES};
pub use limits::{dry_run_allowed, endpoint_change_allowed, excerpt};
pub use readiness::{
    judge_readiness, readiness_passed, ReadinessCheck, ReadinessMode, TlsFacts, CHECK_CERTIFICATE,
    CHECK_NAME_RESOLVES, CHECK_TLS_VERSION,
};
pub use retry::{next_step, parse_retry_after, RetryPolicy, Step};
pub use verdict::{judge, reason_phrase, Judgement, Observation, Verdict};

/// Longest URL we accept, in characters.
pub const MAX_URL_CHARS: usize = 2000;
/// Time allowed to open a connection, in seconds.
pub const CONNECT_TIMEOUT_SECS: u64 = 10;
/// Time allowed for a whole attempt, in seconds.
pub const TOTAL_TIMEOUT_SECS: u64 = 30;
/// Minimum days a server certificate must still be valid for.
pub const CERT_MIN_DAYS_LEFT: i64 = 30;
/// Bytes of a response body the engine keeps.
pub const EXCERPT_LIMIT: usize = 4096;
/// Dry runs one organisation may start in any hour.
pub const DRY_RUNS_PER_HOUR: usize = 10;
/// Minimum seconds between two dry runs of one organisation.
pub const DRY_RUN_MIN_GAP_SECS: i64 = 10;
/// Changes of its find endpoint one organisation may make in any hour (each queues new checks).
pub const ENDPOINT_CHANGES_PER_HOUR: usize = 10;
