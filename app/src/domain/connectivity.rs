//! Rules for the live find endpoint connectivity test.
//!
//! The network code lives elsewhere. This module only decides: whether a URL
//! is acceptable, what an attempt's outcome means, whether to retry, whether
//! an endpoint looks ready, and whether another dry run may start.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

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

// ---------------------------------------------------------------------------
// Endpoint URL
// ---------------------------------------------------------------------------

/// Why a live find endpoint URL was refused. Display gives the message shown
/// beside the form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EndpointUrlError {
    #[error("Enter your live find endpoint URL")]
    Empty,
    #[error("Enter a URL that starts with https://")]
    NotHttps,
    #[error("Remove the user name and password from the URL")]
    Credentials,
    #[error("Enter a URL with a valid host name, like https://pensions.example.com/find-requests")]
    NoHost,
    #[error("Enter a URL with a valid host name, like https://pensions.example.com/find-requests")]
    BadHost,
    #[error("Enter a port number between 1 and 65535, or leave the port out")]
    BadPort,
    #[error("Remove the part of the URL from # onwards")]
    Fragment,
    #[error("Remove the spaces from the URL")]
    Whitespace,
    #[error("The URL must be 2,000 characters or fewer")]
    TooLong,
}

/// A checked https URL for an organisation's live find endpoint.
///
/// `as_str` gives the URL exactly as typed (after trimming). The other
/// accessors give parts worked out when it was parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FindEndpointUrl {
    raw: String,
    host: String,
    port: u16,
    target: String,
    ip_literal: bool,
}

impl FindEndpointUrl {
    /// Checks a URL as typed by a user.
    pub fn parse(raw: &str) -> Result<Self, EndpointUrlError> {
        let url = raw.trim();
        if url.is_empty() {
            return Err(EndpointUrlError::Empty);
        }
        if url.chars().count() > MAX_URL_CHARS {
            return Err(EndpointUrlError::TooLong);
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EndpointUrlError::Whitespace);
        }
        let (scheme, rest) = url.split_once("://").ok_or(EndpointUrlError::NotHttps)?;
        if !scheme.eq_ignore_ascii_case("https") {
            return Err(EndpointUrlError::NotHttps);
        }
        if rest.contains('#') {
            return Err(EndpointUrlError::Fragment);
        }
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(authority_end);
        if authority.contains('@') {
            return Err(EndpointUrlError::Credentials);
        }
        if authority.is_empty() {
            return Err(EndpointUrlError::NoHost);
        }

        let (host, ip_literal, port_text) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (inside, after) = bracketed.split_once(']').ok_or(EndpointUrlError::BadHost)?;
            if inside.parse::<Ipv6Addr>().is_err() {
                return Err(EndpointUrlError::BadHost);
            }
            let port_text = if after.is_empty() {
                None
            } else {
                Some(after.strip_prefix(':').ok_or(EndpointUrlError::BadHost)?)
            };
            (inside, true, port_text)
        } else {
            let (host, port_text) = match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            };
            if host.is_empty() {
                return Err(EndpointUrlError::NoHost);
            }
            let ip_literal = check_host_name(host)?;
            (host, ip_literal, port_text)
        };

        let port = match port_text {
            None => 443,
            Some(p) => parse_port(p)?,
        };

        let target = if target.is_empty() {
            "/".to_owned()
        } else if target.starts_with('?') {
            format!("/{target}")
        } else {
            target.to_owned()
        };

        Ok(Self {
            raw: url.to_owned(),
            host: host.to_ascii_lowercase(),
            port,
            target,
            ip_literal,
        })
    }

    /// The URL as typed, without surrounding whitespace.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Lower-case host name or IP address, without IPv6 brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Port to connect to; 443 when the URL has none.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Path and query for the request line; "/" when the URL has no path.
    pub fn path_and_query(&self) -> &str {
        &self.target
    }

    /// True when the host is an IPv4 or IPv6 address rather than a name.
    pub fn is_ip_literal(&self) -> bool {
        self.ip_literal
    }
}

/// Checks an unbracketed host. Returns true for an IPv4 literal.
fn check_host_name(host: &str) -> Result<bool, EndpointUrlError> {
    if host.len() > 253 {
        return Err(EndpointUrlError::BadHost);
    }
    let last_label = host.rsplit('.').next().unwrap_or(host);
    if !last_label.is_empty() && last_label.bytes().all(|b| b.is_ascii_digit()) {
        // A numeric last label can only be a dotted IPv4 address.
        return match host.parse::<Ipv4Addr>() {
            Ok(_) => Ok(true),
            Err(_) => Err(EndpointUrlError::BadHost),
        };
    }
    for label in host.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(EndpointUrlError::BadHost);
        }
    }
    Ok(false)
}

fn parse_port(text: &str) -> Result<u16, EndpointUrlError> {
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EndpointUrlError::BadPort);
    }
    match text.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => {
            u16::try_from(n).map_err(|_| EndpointUrlError::BadPort)
        }
        _ => Err(EndpointUrlError::BadPort),
    }
}

impl fmt::Display for FindEndpointUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl AsRef<str> for FindEndpointUrl {
    fn as_ref(&self) -> &str {
        &self.raw
    }
}

impl FromStr for FindEndpointUrl {
    type Err = EndpointUrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for FindEndpointUrl {
    type Error = EndpointUrlError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<FindEndpointUrl> for String {
    fn from(value: FindEndpointUrl) -> Self {
        value.raw
    }
}

// ---------------------------------------------------------------------------
// Observations and judgements
// ---------------------------------------------------------------------------

/// What one attempt to send a find request saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Observation {
    /// The endpoint sent an HTTP answer.
    Answered {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// The host name did not resolve.
    NameNotResolved,
    /// The portal's address guard refused the address. `reason` is a phrase
    /// such as "a private network address".
    AddressRefused { reason: String },
    /// The connection was refused or the address was unreachable.
    ConnectRefused,
    /// No connection within the connect time limit.
    ConnectTimeout,
    /// The portal could not verify the endpoint's certificate.
    ServerCertificateInvalid { detail: String },
    /// The endpoint refused the portal's client certificate.
    ClientCertificateRejected,
    /// Any other TLS failure.
    TlsHandshakeFailed { detail: String },
    /// No answer within the total time limit.
    Timeout,
    /// The connection closed before an HTTP answer.
    ConnectionDropped,
}

/// Whether an attempt passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    Pass,
    Fail,
}

/// The meaning of an observation, in plain English. `code` is a stable
/// machine string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Judgement {
    pub verdict: Verdict,
    pub code: &'static str,
    pub summary: String,
    pub cause: String,
    pub fix: String,
}

/// Standard reason phrase for common HTTP status codes, or "".
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// "500 Internal Server Error", or just "599" when there is no phrase.
fn status_text(status: u16) -> String {
    match reason_phrase(status) {
        "" => status.to_string(),
        phrase => format!("{status} {phrase}"),
    }
}

/// Appends ": detail" when a detail is given.
fn with_detail(base: &str, detail: &str) -> String {
    let detail = detail.trim().trim_end_matches('.').trim_end();
    if detail.is_empty() {
        format!("{base}.")
    } else {
        format!("{base}: {detail}.")
    }
}

fn fail(code: &'static str, summary: &str, cause: String, fix: &str) -> Judgement {
    Judgement {
        verdict: Verdict::Fail,
        code,
        summary: summary.to_owned(),
        cause,
        fix: fix.to_owned(),
    }
}

/// Explains what an observation means for the organisation.
pub fn judge(obs: &Observation) -> Judgement {
    match obs {
        Observation::Answered {
            status,
            retry_after,
        } => judge_status(*status, *retry_after),
        Observation::NameNotResolved => fail(
            "name_not_resolved",
            "Your endpoint's host name did not resolve",
            "Your endpoint's host name did not resolve to an address.".to_owned(),
            "Check the spelling of the host name in the URL. Check that the name has a public DNS record.",
        ),
        Observation::AddressRefused { reason } => {
            let reason = reason.trim().trim_end_matches('.').trim_end();
            let cause = if reason.is_empty() {
                "Your endpoint's address is not on the public internet. The portal only connects to public addresses.".to_owned()
            } else {
                format!(
                    "Your endpoint's address is {reason}. The portal only connects to addresses on the public internet."
                )
            };
            fail(
                "address_refused",
                "The portal will not connect to your endpoint's address",
                cause,
                "Use an endpoint that is on the public internet. If you need to test an endpoint in another address range, ask a portal operator to allow that range.",
            )
        }
        Observation::ConnectRefused => fail(
            "connection_refused",
            "Your endpoint refused the connection",
            "Your endpoint's address refused the connection, or could not be reached.".to_owned(),
            "Check that your endpoint is running and listens on the port in the URL. Check that your firewall accepts connections from the portal.",
        ),
        Observation::ConnectTimeout => fail(
            "connect_timeout",
            "Your endpoint did not accept a connection in time",
            format!(
                "There was no connection to your endpoint within {CONNECT_TIMEOUT_SECS} seconds."
            ),
            "Check that your endpoint is running. Check that your firewall does not silently drop connections from the portal.",
        ),
        Observation::Timeout => fail(
            "timeout",
            "Your endpoint did not answer in time",
            format!("Your endpoint sent no answer within {TOTAL_TIMEOUT_SECS} seconds."),
            "Answer a find request with 202 Accepted at once. Do your matching afterwards.",
        ),
        Observation::ConnectionDropped => fail(
            "connection_dropped",
            "Your endpoint closed the connection without answering",
            "Your endpoint closed the connection before it sent an answer.".to_owned(),
            "Check the logs of your endpoint, and of any load balancer or proxy in front of it, for errors at the time of the test.",
        ),
        Observation::ServerCertificateInvalid { detail } => fail(
            "server_certificate",
            "The portal could not verify your endpoint's certificate",
            with_detail(
                "The portal could not verify your endpoint's certificate",
                detail,
            ),
            "Use a certificate that is in date, matches the host name in the URL and comes from a trusted certificate authority. Send any intermediate certificates with it.",
        ),
        Observation::ClientCertificateRejected => fail(
            "client_certificate_rejected",
            "Your endpoint did not accept the portal's client certificate",
            "The TLS handshake failed: your server did not accept our client certificate."
                .to_owned(),
            "Add the portal's client CA certificate to the CAs your endpoint trusts for test traffic.",
        ),
        Observation::TlsHandshakeFailed { detail } => fail(
            "tls_handshake",
            "The secure connection to your endpoint failed",
            with_detail("The TLS handshake with your endpoint failed", detail),
            "Make sure your endpoint supports TLS 1.2 or later with a current cipher suite.",
        ),
    }
}

fn judge_status(status: u16, retry_after: Option<Duration>) -> Judgement {
    let seen = status_text(status);
    match status {
        202 => Judgement {
            verdict: Verdict::Pass,
            code: "acknowledged",
            summary: "Your endpoint acknowledged the find request with 202 Accepted".to_owned(),
            cause: "Your endpoint answered 202 Accepted, as PDP expects.".to_owned(),
            fix: "Nothing to fix.".to_owned(),
        },
        200..=299 => fail(
            "wrong_success_code",
            "Your endpoint answered with the wrong success code",
            format!("Your endpoint answered {seen}. PDP expects 202 Accepted."),
            "Answer a find request with 202 Accepted as soon as you have received it, then do your matching.",
        ),
        300..=399 => fail(
            "redirected",
            "Your endpoint redirected the find request",
            format!(
                "Your endpoint answered {seen}, which is a redirect. The portal never follows redirects."
            ),
            "Register the final URL, so that find requests reach your endpoint without a redirect.",
        ),
        400 | 415 | 422 => fail(
            "rejected_format",
            "Your endpoint rejected the format of the find request",
            format!(
                "Your endpoint answered {seen}. The body of the portal's test request follows a proposed shape, because PDP's find request schema is not public."
            ),
            "Check your endpoint's logs to see whether it rejected the shape of the body. If it did, your endpoint may still accept PDP's own find requests. If it rejected something else, fix that and test again.",
        ),
        401 | 403 => fail(
            "not_trusted",
            "Your endpoint did not accept the portal's credentials",
            format!(
                "Your endpoint answered {seen}. It is reachable, but it did not accept our client certificate or our signed user token."
            ),
            "Set your endpoint to trust the portal's test client CA and the keys in the portal's JWKS. If you cannot, only PDP's own test can pass.",
        ),
        404 | 405 => fail(
            "wrong_url",
            "Your endpoint did not accept find requests at this URL",
            format!(
                "Your endpoint answered {seen}. The URL may be wrong, or the endpoint may not accept POST requests at this address."
            ),
            "Check that you registered the URL of your live find endpoint, with its full path, and that it accepts POST requests.",
        ),
        429 => {
            let mut cause = format!(
                "Your endpoint answered {seen}. It refused the request because it has had too many."
            );
            if let Some(wait) = retry_after {
                cause.push_str(&format!(" It asked us to wait {}.", seconds_text(wait)));
            }
            fail(
                "rate_limited",
                "Your endpoint limited the number of requests",
                cause,
                "Wait a few minutes, then test again. Make sure your rate limits let find requests from PDP through.",
            )
        }
        400..=499 => fail(
            "rejected",
            "Your endpoint rejected the find request",
            format!("Your endpoint answered {seen}."),
            "Check your endpoint's logs to see why it rejected the request. Fix the problem, then test again.",
        ),
        500..=599 => fail(
            "unavailable",
            "Your endpoint had a server error",
            format!(
                "Your endpoint answered {seen}. Something went wrong on your server, or it is not available."
            ),
            "Check your server's logs for errors at the time of the test. Fix the problem, then test again.",
        ),
        _ => fail(
            "unexpected_status",
            "Your endpoint sent an answer the portal did not understand",
            format!(
                "Your endpoint answered with status {status}, which is not a valid final HTTP status."
            ),
            "Answer a find request with 202 Accepted as soon as you have received it, then do your matching.",
        ),
    }
}

fn seconds_text(d: Duration) -> String {
    match d.as_secs() {
        1 => "1 second".to_owned(),
        n => format!("{n} seconds"),
    }
}

// ---------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Readiness
// ---------------------------------------------------------------------------

/// What a TLS-only probe of the endpoint saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsFacts {
    /// For example "TLSv1.3".
    pub protocol: String,
    pub server_subject: String,
    pub server_not_after: DateTime<Utc>,
}

/// One check shown before an OAT request is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadinessCheck {
    pub name: String,
    pub passed: bool,
    /// What we saw, or the cause and fix when the check failed.
    pub detail: String,
}

/// Name of the first readiness check.
pub const CHECK_NAME_RESOLVES: &str = "Your endpoint's name resolves";
/// Name of the second readiness check.
pub const CHECK_TLS_VERSION: &str = "It accepts TLS 1.2 or later";
/// Name of the third readiness check.
pub const CHECK_CERTIFICATE: &str = "Its certificate is valid for at least 30 more days";

fn check(name: &str, passed: bool, detail: impl Into<String>) -> ReadinessCheck {
    ReadinessCheck {
        name: name.to_owned(),
        passed,
        detail: detail.into(),
    }
}

fn cause_and_fix(obs: &Observation) -> String {
    let j = judge(obs);
    format!("{} {}", j.cause, j.fix)
}

/// Turns a probe result into the three readiness checks, in order.
pub fn judge_readiness(
    probe: &Result<TlsFacts, Observation>,
    now: DateTime<Utc>,
) -> Vec<ReadinessCheck> {
    let resolved = "Your endpoint's host name resolved to an address the portal can reach.";
    let facts = match probe {
        Ok(facts) => facts,
        Err(obs) => return readiness_from_failure(obs, resolved),
    };

    let tls = match tls_version_label(&facts.protocol) {
        Some(label) => check(
            CHECK_TLS_VERSION,
            true,
            format!("Your endpoint agreed to use {label}."),
        ),
        None => {
            let seen = match facts.protocol.trim() {
                "" => "an unknown TLS version".to_owned(),
                p => p.to_owned(),
            };
            check(
                CHECK_TLS_VERSION,
                false,
                format!(
                    "Your endpoint agreed to use {seen}. PDP needs TLS 1.2 or later. Turn on TLS 1.2 or TLS 1.3 on your endpoint."
                ),
            )
        }
    };

    let expiry = format_long_date(facts.server_not_after);
    let left = facts.server_not_after - now;
    let cert = if left >= TimeDelta::days(CERT_MIN_DAYS_LEFT) {
        check(
            CHECK_CERTIFICATE,
            true,
            format!("Your endpoint's certificate is valid until {expiry}."),
        )
    } else if left <= TimeDelta::zero() {
        check(
            CHECK_CERTIFICATE,
            false,
            format!("Your endpoint's certificate expired on {expiry}. Renew it, then check again."),
        )
    } else {
        let days = left.num_days();
        let days_text = if days == 1 {
            "1 day".to_owned()
        } else {
            format!("{days} days")
        };
        let when = if days == 0 {
            "in less than a day".to_owned()
        } else {
            format!("in {days_text}")
        };
        check(
            CHECK_CERTIFICATE,
            false,
            format!(
                "Your endpoint's certificate expires on {expiry}, {when}. Renew it before you send your OAT request."
            ),
        )
    };

    vec![check(CHECK_NAME_RESOLVES, true, resolved), tls, cert]
}

fn readiness_from_failure(obs: &Observation, resolved: &str) -> Vec<ReadinessCheck> {
    match obs {
        Observation::NameNotResolved | Observation::AddressRefused { .. } => {
            let why = if matches!(obs, Observation::NameNotResolved) {
                "Not checked: your endpoint's host name did not resolve."
            } else {
                "Not checked: the portal will not connect to your endpoint's address."
            };
            vec![
                check(CHECK_NAME_RESOLVES, false, cause_and_fix(obs)),
                check(CHECK_TLS_VERSION, false, why),
                check(CHECK_CERTIFICATE, false, why),
            ]
        }
        Observation::ServerCertificateInvalid { .. } => vec![
            check(CHECK_NAME_RESOLVES, true, resolved),
            check(
                CHECK_TLS_VERSION,
                true,
                "Your endpoint agreed to use TLS 1.2 or later before the certificate check.",
            ),
            check(CHECK_CERTIFICATE, false, cause_and_fix(obs)),
        ],
        Observation::Answered { .. } => vec![
            check(CHECK_NAME_RESOLVES, true, resolved),
            check(
                CHECK_TLS_VERSION,
                true,
                "Your endpoint answered over a secure connection.",
            ),
            check(
                CHECK_CERTIFICATE,
                false,
                "Not checked: the portal did not get the details of your endpoint's certificate. Check again.",
            ),
        ],
        _ => {
            let why = match obs {
                Observation::TlsHandshakeFailed { .. } | Observation::ClientCertificateRejected => {
                    "Not checked: the TLS handshake with your endpoint failed."
                }
                _ => "Not checked: the portal could not make a connection to your endpoint.",
            };
            vec![
                check(CHECK_NAME_RESOLVES, true, resolved),
                check(CHECK_TLS_VERSION, false, cause_and_fix(obs)),
                check(CHECK_CERTIFICATE, false, why),
            ]
        }
    }
}

/// "TLS 1.2" or "TLS 1.3" for those versions, otherwise None.
fn tls_version_label(protocol: &str) -> Option<&'static str> {
    let squashed: String = protocol
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .collect::<String>()
        .to_ascii_uppercase();
    match squashed.as_str() {
        "TLSV1.2" | "TLS1.2" | "TLSV12" | "TLS12" => Some("TLS 1.2"),
        "TLSV1.3" | "TLS1.3" | "TLSV13" | "TLS13" => Some("TLS 1.3"),
        _ => None,
    }
}

/// "1 December 2026".
fn format_long_date(t: DateTime<Utc>) -> String {
    t.format("%-d %B %Y").to_string()
}

/// True when there is at least one check and every check passed.
pub fn readiness_passed(checks: &[ReadinessCheck]) -> bool {
    !checks.is_empty() && checks.iter().all(|c| c.passed)
}

// ---------------------------------------------------------------------------
// Dry-run rate limit
// ---------------------------------------------------------------------------

/// Whether an organisation may start another dry run now. `Err` holds the
/// earliest time it may.
pub fn dry_run_allowed(
    recent_starts: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Result<(), DateTime<Utc>> {
    let window_start = now - TimeDelta::hours(1);
    let mut in_window: Vec<DateTime<Utc>> = recent_starts
        .iter()
        .copied()
        .filter(|t| *t > window_start)
        .collect();
    in_window.sort_unstable();

    let mut earliest: Option<DateTime<Utc>> = None;

    if let Some(latest) = in_window.last() {
        let gap_ends = *latest + TimeDelta::seconds(DRY_RUN_MIN_GAP_SECS);
        if now < gap_ends {
            earliest = Some(gap_ends);
        }
    }

    if in_window.len() >= DRY_RUNS_PER_HOUR {
        // Once this start leaves the window, fewer than the limit remain.
        let index = in_window.len() - DRY_RUNS_PER_HOUR;
        if let Some(start) = in_window.get(index) {
            let frees_at = *start + TimeDelta::hours(1);
            earliest = Some(earliest.map_or(frees_at, |e| e.max(frees_at)));
        }
    }

    match earliest {
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
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn answered(status: u16) -> Observation {
        Observation::Answered {
            status,
            retry_after: None,
        }
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    // --- URL -------------------------------------------------------------

    #[test]
    fn url_simple_https() {
        let u = FindEndpointUrl::parse("https://pensions.example.com/find-requests").unwrap();
        assert_eq!(u.as_str(), "https://pensions.example.com/find-requests");
        assert_eq!(u.host(), "pensions.example.com");
        assert_eq!(u.port(), 443);
        assert_eq!(u.path_and_query(), "/find-requests");
        assert!(!u.is_ip_literal());
    }

    #[test]
    fn url_uppercase_scheme_accepted_and_kept() {
        let u = FindEndpointUrl::parse("HTTPS://Pensions.Example.COM/Find").unwrap();
        assert_eq!(u.as_str(), "HTTPS://Pensions.Example.COM/Find");
        assert_eq!(u.host(), "pensions.example.com");
        assert_eq!(u.path_and_query(), "/Find");
    }

    #[test]
    fn url_http_refused() {
        assert_eq!(
            FindEndpointUrl::parse("http://example.com/find"),
            Err(EndpointUrlError::NotHttps)
        );
    }

    #[test]
    fn url_other_or_missing_scheme_refused() {
        for raw in [
            "ftp://example.com/",
            "example.com/find",
            "https:/example.com",
            "//example.com/x",
            "httpss://example.com",
        ] {
            assert_eq!(
                FindEndpointUrl::parse(raw),
                Err(EndpointUrlError::NotHttps),
                "{raw}"
            );
        }
    }

    #[test]
    fn url_userinfo_refused() {
        assert_eq!(
            FindEndpointUrl::parse("https://user:pass@example.com/find"),
            Err(EndpointUrlError::Credentials)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://user@example.com"),
            Err(EndpointUrlError::Credentials)
        );
    }

    #[test]
    fn url_at_sign_in_path_is_fine() {
        let u = FindEndpointUrl::parse("https://example.com/a@b").unwrap();
        assert_eq!(u.path_and_query(), "/a@b");
    }

    #[test]
    fn url_ipv6_literal_with_port() {
        let u = FindEndpointUrl::parse("https://[2001:DB8::1]:8443/find").unwrap();
        assert_eq!(u.host(), "2001:db8::1");
        assert_eq!(u.port(), 8443);
        assert_eq!(u.path_and_query(), "/find");
        assert!(u.is_ip_literal());
        assert_eq!(u.as_str(), "https://[2001:DB8::1]:8443/find");
    }

    #[test]
    fn url_ipv6_without_port() {
        let u = FindEndpointUrl::parse("https://[::1]").unwrap();
        assert_eq!(u.host(), "::1");
        assert_eq!(u.port(), 443);
        assert_eq!(u.path_and_query(), "/");
    }

    #[test]
    fn url_bad_ipv6_refused() {
        assert_eq!(
            FindEndpointUrl::parse("https://[zz::1]/"),
            Err(EndpointUrlError::BadHost)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://[::1/"),
            Err(EndpointUrlError::BadHost)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://[::1]x/"),
            Err(EndpointUrlError::BadHost)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://2001:db8::1/"),
            Err(EndpointUrlError::BadHost)
        );
    }

    #[test]
    fn url_ipv4_literal() {
        let u = FindEndpointUrl::parse("https://203.0.113.7:9443/find").unwrap();
        assert_eq!(u.host(), "203.0.113.7");
        assert_eq!(u.port(), 9443);
        assert!(u.is_ip_literal());
    }

    #[test]
    fn url_bad_ipv4_refused() {
        for raw in [
            "https://999.1.1.1/",
            "https://1.2.3/",
            "https://1234/",
            "https://01.2.3.4/",
        ] {
            assert_eq!(
                FindEndpointUrl::parse(raw),
                Err(EndpointUrlError::BadHost),
                "{raw}"
            );
        }
    }

    #[test]
    fn url_trailing_slash_kept() {
        let u = FindEndpointUrl::parse("https://example.com/find/").unwrap();
        assert_eq!(u.as_str(), "https://example.com/find/");
        assert_eq!(u.path_and_query(), "/find/");
    }

    #[test]
    fn url_no_path_is_not_changed() {
        let u = FindEndpointUrl::parse("https://example.com").unwrap();
        assert_eq!(u.as_str(), "https://example.com");
        assert_eq!(u.path_and_query(), "/");
    }

    #[test]
    fn url_query_kept() {
        let u = FindEndpointUrl::parse("https://example.com/find?env=test&x=1").unwrap();
        assert_eq!(u.path_and_query(), "/find?env=test&x=1");
        assert_eq!(u.as_str(), "https://example.com/find?env=test&x=1");
    }

    #[test]
    fn url_query_without_path() {
        let u = FindEndpointUrl::parse("https://example.com:444?a=1").unwrap();
        assert_eq!(u.port(), 444);
        assert_eq!(u.path_and_query(), "/?a=1");
        assert_eq!(u.as_str(), "https://example.com:444?a=1");
    }

    #[test]
    fn url_port_limits() {
        assert_eq!(
            FindEndpointUrl::parse("https://example.com:0/"),
            Err(EndpointUrlError::BadPort)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://example.com:70000/"),
            Err(EndpointUrlError::BadPort)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://example.com:65536/"),
            Err(EndpointUrlError::BadPort)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://example.com:/"),
            Err(EndpointUrlError::BadPort)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://example.com:44a/"),
            Err(EndpointUrlError::BadPort)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://example.com:-1/"),
            Err(EndpointUrlError::BadPort)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://example.com:1")
                .unwrap()
                .port(),
            1
        );
        assert_eq!(
            FindEndpointUrl::parse("https://example.com:65535")
                .unwrap()
                .port(),
            65535
        );
    }

    #[test]
    fn url_spaces_refused() {
        assert_eq!(
            FindEndpointUrl::parse("https://example.com/find requests"),
            Err(EndpointUrlError::Whitespace)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://exa mple.com/"),
            Err(EndpointUrlError::Whitespace)
        );
    }

    #[test]
    fn url_control_characters_refused() {
        assert_eq!(
            FindEndpointUrl::parse("https://example.com/a\tb"),
            Err(EndpointUrlError::Whitespace)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://example.com/a\u{0}b"),
            Err(EndpointUrlError::Whitespace)
        );
    }

    #[test]
    fn url_surrounding_whitespace_trimmed() {
        let u = FindEndpointUrl::parse("  https://example.com/find \n").unwrap();
        assert_eq!(u.as_str(), "https://example.com/find");
    }

    #[test]
    fn url_fragment_refused() {
        assert_eq!(
            FindEndpointUrl::parse("https://example.com/find#top"),
            Err(EndpointUrlError::Fragment)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://example.com#"),
            Err(EndpointUrlError::Fragment)
        );
    }

    #[test]
    fn url_empty_refused() {
        assert_eq!(FindEndpointUrl::parse(""), Err(EndpointUrlError::Empty));
        assert_eq!(
            FindEndpointUrl::parse("   \t"),
            Err(EndpointUrlError::Empty)
        );
    }

    #[test]
    fn url_length_limit() {
        let base = "https://example.com/";
        let ok = format!("{base}{}", "a".repeat(MAX_URL_CHARS - base.len()));
        assert_eq!(ok.chars().count(), 2000);
        assert!(FindEndpointUrl::parse(&ok).is_ok());
        let long = format!("{ok}a");
        assert_eq!(long.chars().count(), 2001);
        assert_eq!(
            FindEndpointUrl::parse(&long),
            Err(EndpointUrlError::TooLong)
        );
    }

    #[test]
    fn url_missing_host_refused() {
        assert_eq!(
            FindEndpointUrl::parse("https://"),
            Err(EndpointUrlError::NoHost)
        );
        assert_eq!(
            FindEndpointUrl::parse("https:///find"),
            Err(EndpointUrlError::NoHost)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://:443/find"),
            Err(EndpointUrlError::NoHost)
        );
        assert_eq!(
            FindEndpointUrl::parse("https://?q=1"),
            Err(EndpointUrlError::NoHost)
        );
    }

    #[test]
    fn url_bad_host_names_refused() {
        let long_label = format!("https://{}.example.com/", "a".repeat(64));
        let long_host = format!("https://{}com/", "abcdefghi.".repeat(26));
        for raw in [
            "https://-pensions.example.com/",
            "https://pensions-.example.com/",
            "https://pen_sions.example.com/",
            "https://a..example.com/",
            "https://.example.com/",
            "https://example.com./",
            "https://pénsions.example.com/",
            "https://exa%6dple.com/",
            long_label.as_str(),
            long_host.as_str(),
        ] {
            assert_eq!(
                FindEndpointUrl::parse(raw),
                Err(EndpointUrlError::BadHost),
                "{raw}"
            );
        }
    }

    #[test]
    fn url_good_host_names_accepted() {
        let max_label = format!("https://{}.example.com/", "a".repeat(63));
        for raw in [
            "https://localhost",
            "https://a-b.c-d.example",
            "https://123abc.example.com",
            "https://x1.2y",
            max_label.as_str(),
        ] {
            assert!(FindEndpointUrl::parse(raw).is_ok(), "{raw}");
        }
    }

    #[test]
    fn url_error_messages() {
        let host_msg =
            "Enter a URL with a valid host name, like https://pensions.example.com/find-requests";
        let cases = [
            (EndpointUrlError::Empty, "Enter your live find endpoint URL"),
            (
                EndpointUrlError::NotHttps,
                "Enter a URL that starts with https://",
            ),
            (
                EndpointUrlError::Credentials,
                "Remove the user name and password from the URL",
            ),
            (EndpointUrlError::NoHost, host_msg),
            (EndpointUrlError::BadHost, host_msg),
            (
                EndpointUrlError::BadPort,
                "Enter a port number between 1 and 65535, or leave the port out",
            ),
            (
                EndpointUrlError::Fragment,
                "Remove the part of the URL from # onwards",
            ),
            (
                EndpointUrlError::Whitespace,
                "Remove the spaces from the URL",
            ),
            (
                EndpointUrlError::TooLong,
                "The URL must be 2,000 characters or fewer",
            ),
        ];
        for (err, msg) in cases {
            assert_eq!(err.to_string(), msg);
        }
    }

    #[test]
    fn url_serde_round_trip_revalidates() {
        use serde::de::value::{Error as DeError, StrDeserializer};
        use serde::de::IntoDeserializer;

        let de: StrDeserializer<'_, DeError> = "HTTPS://Example.com/find/".into_deserializer();
        let u = FindEndpointUrl::deserialize(de).unwrap();
        assert_eq!(u.host(), "example.com");
        assert_eq!(String::from(u.clone()), "HTTPS://Example.com/find/");

        let bad: StrDeserializer<'_, DeError> = "http://example.com".into_deserializer();
        let err = FindEndpointUrl::deserialize(bad).unwrap_err();
        assert!(err.to_string().contains("https://"));
    }

    #[test]
    fn url_from_str_and_display() {
        let u: FindEndpointUrl = "https://example.com/x".parse().unwrap();
        assert_eq!(u.to_string(), "https://example.com/x");
        assert_eq!(
            u,
            FindEndpointUrl::parse(" https://example.com/x ").unwrap()
        );
    }

    // --- judge -----------------------------------------------------------

    #[test]
    fn judge_202_passes() {
        let j = judge(&answered(202));
        assert_eq!(j.verdict, Verdict::Pass);
        assert_eq!(j.code, "acknowledged");
        assert_eq!(
            j.summary,
            "Your endpoint acknowledged the find request with 202 Accepted"
        );
    }

    #[test]
    fn judge_other_success_codes() {
        for (status, seen) in [
            (200, "200 OK"),
            (201, "201 Created"),
            (204, "204 No Content"),
            (299, "299"),
        ] {
            let j = judge(&answered(status));
            assert_eq!(j.verdict, Verdict::Fail);
            assert_eq!(j.code, "wrong_success_code");
            assert_eq!(
                j.cause,
                format!("Your endpoint answered {seen}. PDP expects 202 Accepted.")
            );
            assert_eq!(
                j.fix,
                "Answer a find request with 202 Accepted as soon as you have received it, then do your matching."
            );
        }
    }

    #[test]
    fn judge_redirects() {
        for status in [301, 302, 303, 307, 308, 300] {
            let j = judge(&answered(status));
            assert_eq!(j.verdict, Verdict::Fail);
            assert_eq!(j.code, "redirected");
            assert!(j.cause.contains("never follows redirects"));
            assert!(j.fix.contains("final URL"));
        }
        assert!(judge(&answered(308))
            .cause
            .contains("308 Permanent Redirect"));
    }

    #[test]
    fn judge_rejected_format() {
        for status in [400, 415, 422] {
            let j = judge(&answered(status));
            assert_eq!(j.code, "rejected_format");
            assert!(j.cause.contains("proposed shape"));
            assert!(j.cause.contains("not public"));
            assert!(j.fix.contains("shape of the body"));
        }
        assert!(judge(&answered(422))
            .cause
            .contains("422 Unprocessable Content"));
    }

    #[test]
    fn judge_not_trusted() {
        for status in [401, 403] {
            let j = judge(&answered(status));
            assert_eq!(j.code, "not_trusted");
            assert!(j.cause.contains("reachable"));
            assert!(j.cause.contains("client certificate"));
            assert!(j.cause.contains("signed user token"));
            assert!(j.fix.contains("JWKS"));
            assert!(j.fix.contains("only PDP's own test can pass"));
        }
        assert!(judge(&answered(401)).cause.contains("401 Unauthorized"));
    }

    #[test]
    fn judge_wrong_url() {
        for (status, seen) in [(404, "404 Not Found"), (405, "405 Method Not Allowed")] {
            let j = judge(&answered(status));
            assert_eq!(j.code, "wrong_url");
            assert!(j.cause.contains(seen));
        }
    }

    #[test]
    fn judge_rate_limited() {
        let j = judge(&answered(429));
        assert_eq!(j.code, "rate_limited");
        assert!(j.cause.contains("429 Too Many Requests"));
        assert!(!j.cause.contains("wait"));
        let j = judge(&Observation::Answered {
            status: 429,
            retry_after: Some(secs(120)),
        });
        assert!(j.cause.contains("wait 120 seconds"));
    }

    #[test]
    fn judge_server_errors_name_the_status() {
        for (status, seen) in [
            (500, "500 Internal Server Error"),
            (502, "502 Bad Gateway"),
            (503, "503 Service Unavailable"),
            (504, "504 Gateway Timeout"),
            (599, "599"),
        ] {
            let j = judge(&answered(status));
            assert_eq!(j.code, "unavailable");
            assert!(
                j.cause
                    .starts_with(&format!("Your endpoint answered {seen}.")),
                "{}",
                j.cause
            );
        }
    }

    #[test]
    fn judge_other_client_errors() {
        for status in [402, 406, 409, 410, 418, 499] {
            let j = judge(&answered(status));
            assert_eq!(j.code, "rejected", "{status}");
        }
    }

    #[test]
    fn judge_invalid_status() {
        for status in [0, 100, 101, 600, 999] {
            let j = judge(&answered(status));
            assert_eq!(j.code, "unexpected_status", "{status}");
            assert_eq!(j.verdict, Verdict::Fail);
        }
    }

    #[test]
    fn judge_name_not_resolved() {
        let j = judge(&Observation::NameNotResolved);
        assert_eq!(j.code, "name_not_resolved");
        assert_eq!(
            j.cause,
            "Your endpoint's host name did not resolve to an address."
        );
        assert!(j.fix.contains("spelling"));
        assert!(j.fix.contains("public DNS record"));
    }

    #[test]
    fn judge_address_refused() {
        let j = judge(&Observation::AddressRefused {
            reason: "a private network address".into(),
        });
        assert_eq!(j.code, "address_refused");
        assert!(j.cause.contains("is a private network address."));
        assert!(j.fix.contains("public internet"));
        assert!(j.fix.contains("operator"));
        let j = judge(&Observation::AddressRefused { reason: " ".into() });
        assert!(j.cause.contains("not on the public internet"));
    }

    #[test]
    fn judge_connection_problems() {
        let cases = [
            (
                Observation::ConnectRefused,
                "connection_refused",
                "refused the connection",
            ),
            (
                Observation::ConnectTimeout,
                "connect_timeout",
                "no connection to your endpoint within 10 seconds",
            ),
            (
                Observation::Timeout,
                "timeout",
                "no answer within 30 seconds",
            ),
            (
                Observation::ConnectionDropped,
                "connection_dropped",
                "closed the connection",
            ),
        ];
        for (obs, code, text) in cases {
            let j = judge(&obs);
            assert_eq!(j.verdict, Verdict::Fail);
            assert_eq!(j.code, code);
            assert!(j.cause.contains(text), "{}", j.cause);
        }
        assert!(judge(&Observation::Timeout).fix.contains("at once"));
        assert!(judge(&Observation::Timeout).fix.contains("afterwards"));
    }

    #[test]
    fn judge_server_certificate() {
        let j = judge(&Observation::ServerCertificateInvalid {
            detail: "certificate expired".into(),
        });
        assert_eq!(j.code, "server_certificate");
        assert_eq!(
            j.cause,
            "The portal could not verify your endpoint's certificate: certificate expired."
        );
        let j = judge(&Observation::ServerCertificateInvalid {
            detail: String::new(),
        });
        assert_eq!(
            j.cause,
            "The portal could not verify your endpoint's certificate."
        );
    }

    #[test]
    fn judge_client_certificate_rejected() {
        let j = judge(&Observation::ClientCertificateRejected);
        assert_eq!(j.code, "client_certificate_rejected");
        assert_eq!(
            j.cause,
            "The TLS handshake failed: your server did not accept our client certificate."
        );
        assert_eq!(
            j.fix,
            "Add the portal's client CA certificate to the CAs your endpoint trusts for test traffic."
        );
    }

    #[test]
    fn judge_tls_handshake() {
        let j = judge(&Observation::TlsHandshakeFailed {
            detail: "protocol version not supported.".into(),
        });
        assert_eq!(j.code, "tls_handshake");
        assert_eq!(
            j.cause,
            "The TLS handshake with your endpoint failed: protocol version not supported."
        );
        assert!(j.fix.contains("TLS 1.2 or later"));
    }

    #[test]
    fn judge_texts_are_never_empty() {
        let all = [
            answered(202),
            answered(200),
            answered(302),
            answered(400),
            answered(401),
            answered(404),
            answered(429),
            answered(418),
            answered(500),
            answered(42),
            Observation::NameNotResolved,
            Observation::AddressRefused {
                reason: "a loopback address".into(),
            },
            Observation::ConnectRefused,
            Observation::ConnectTimeout,
            Observation::ServerCertificateInvalid {
                detail: "unknown issuer".into(),
            },
            Observation::ClientCertificateRejected,
            Observation::TlsHandshakeFailed { detail: "x".into() },
            Observation::Timeout,
            Observation::ConnectionDropped,
        ];
        for obs in all {
            let j = judge(&obs);
            assert!(
                !j.code.is_empty()
                    && !j.summary.is_empty()
                    && !j.cause.is_empty()
                    && !j.fix.is_empty()
            );
            assert!(!j.summary.ends_with('.'), "{}", j.summary);
            assert!(j.cause.ends_with('.') && j.fix.ends_with('.'), "{obs:?}");
        }
    }

    #[test]
    fn reason_phrases() {
        let cases = [
            (200, "OK"),
            (201, "Created"),
            (202, "Accepted"),
            (204, "No Content"),
            (301, "Moved Permanently"),
            (302, "Found"),
            (303, "See Other"),
            (307, "Temporary Redirect"),
            (308, "Permanent Redirect"),
            (400, "Bad Request"),
            (401, "Unauthorized"),
            (403, "Forbidden"),
            (404, "Not Found"),
            (405, "Method Not Allowed"),
            (415, "Unsupported Media Type"),
            (422, "Unprocessable Content"),
            (429, "Too Many Requests"),
            (500, "Internal Server Error"),
            (502, "Bad Gateway"),
            (503, "Service Unavailable"),
            (504, "Gateway Timeout"),
            (418, ""),
            (0, ""),
        ];
        for (status, phrase) in cases {
            assert_eq!(reason_phrase(status), phrase);
        }
    }

    // --- retries ---------------------------------------------------------

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

    // --- readiness -------------------------------------------------------

    fn facts(protocol: &str, not_after: DateTime<Utc>) -> TlsFacts {
        TlsFacts {
            protocol: protocol.into(),
            server_subject: "CN=pensions.example.com".into(),
            server_not_after: not_after,
        }
    }

    fn names(checks: &[ReadinessCheck]) -> Vec<&str> {
        checks.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn readiness_all_pass() {
        let now = at(2026, 6, 1, 12, 0, 0);
        let checks = judge_readiness(&Ok(facts("TLSv1.3", at(2026, 12, 1, 23, 59, 59))), now);
        assert_eq!(
            names(&checks),
            vec![
                "Your endpoint's name resolves",
                "It accepts TLS 1.2 or later",
                "Its certificate is valid for at least 30 more days"
            ]
        );
        assert!(checks.iter().all(|c| c.passed));
        assert!(checks[1].detail.contains("TLS 1.3"));
        assert_eq!(
            checks[2].detail,
            "Your endpoint's certificate is valid until 1 December 2026."
        );
        assert!(readiness_passed(&checks));
    }

    #[test]
    fn readiness_tls_12_passes() {
        let now = at(2026, 6, 1, 12, 0, 0);
        let checks = judge_readiness(&Ok(facts("TLSv1.2", at(2027, 1, 1, 0, 0, 0))), now);
        assert!(checks[1].passed);
        assert!(checks[1].detail.contains("TLS 1.2"));
    }

    #[test]
    fn readiness_certificate_30_days_passes_29_fails() {
        let now = at(2026, 11, 1, 0, 0, 0);
        let thirty = judge_readiness(&Ok(facts("TLSv1.3", now + TimeDelta::days(30))), now);
        assert!(thirty[2].passed);
        assert!(readiness_passed(&thirty));

        let twenty_nine = judge_readiness(&Ok(facts("TLSv1.3", now + TimeDelta::days(29))), now);
        assert!(!twenty_nine[2].passed);
        assert!(twenty_nine[2].detail.contains("30 November 2026"));
        assert!(twenty_nine[2].detail.contains("in 29 days"));
        assert!(!readiness_passed(&twenty_nine));

        let just_short = judge_readiness(
            &Ok(facts(
                "TLSv1.3",
                now + TimeDelta::days(30) - TimeDelta::seconds(1),
            )),
            now,
        );
        assert!(!just_short[2].passed);
    }

    #[test]
    fn readiness_certificate_already_expired() {
        let now = at(2026, 12, 2, 0, 0, 0);
        let checks = judge_readiness(&Ok(facts("TLSv1.3", at(2026, 12, 1, 9, 0, 0))), now);
        assert!(!checks[2].passed);
        assert!(checks[2].detail.contains("expired on 1 December 2026"));
    }

    #[test]
    fn readiness_old_tls_version_fails() {
        let now = at(2026, 6, 1, 12, 0, 0);
        let checks = judge_readiness(&Ok(facts("TLSv1.1", at(2027, 1, 1, 0, 0, 0))), now);
        assert!(checks[0].passed);
        assert!(!checks[1].passed);
        assert!(checks[1].detail.contains("TLSv1.1"));
        assert!(checks[1].detail.contains("TLS 1.2 or later"));
        assert!(checks[2].passed);
        assert!(!readiness_passed(&checks));
    }

    #[test]
    fn readiness_tls_handshake_failure() {
        let now = at(2026, 6, 1, 12, 0, 0);
        let probe = Err(Observation::TlsHandshakeFailed {
            detail: "peer does not support TLS 1.2 or later".into(),
        });
        let checks = judge_readiness(&probe, now);
        assert!(checks[0].passed);
        assert!(!checks[1].passed);
        assert!(checks[1].detail.contains("peer does not support"));
        assert!(!checks[2].passed);
        assert!(checks[2].detail.starts_with("Not checked: "));
    }

    #[test]
    fn readiness_name_failure_leaves_later_checks_not_checked() {
        let now = at(2026, 6, 1, 12, 0, 0);
        let checks = judge_readiness(&Err(Observation::NameNotResolved), now);
        assert_eq!(checks.len(), 3);
        assert!(!checks[0].passed);
        assert!(checks[0].detail.contains("did not resolve"));
        assert!(checks[0].detail.contains("public DNS record"));
        for c in &checks[1..] {
            assert!(!c.passed);
            assert!(c.detail.starts_with("Not checked: "), "{}", c.detail);
        }
        assert!(!readiness_passed(&checks));
    }

    #[test]
    fn readiness_address_refused_fails_first_check() {
        let now = at(2026, 6, 1, 12, 0, 0);
        let probe = Err(Observation::AddressRefused {
            reason: "a private network address".into(),
        });
        let checks = judge_readiness(&probe, now);
        assert!(!checks[0].passed);
        assert!(checks[0].detail.contains("a private network address"));
        assert!(checks[1].detail.starts_with("Not checked: "));
        assert!(checks[2].detail.starts_with("Not checked: "));
    }

    #[test]
    fn readiness_connection_problem_fails_tls_check() {
        let now = at(2026, 6, 1, 12, 0, 0);
        for obs in [
            Observation::ConnectRefused,
            Observation::ConnectTimeout,
            Observation::Timeout,
            Observation::ConnectionDropped,
            Observation::ClientCertificateRejected,
        ] {
            let checks = judge_readiness(&Err(obs.clone()), now);
            assert!(checks[0].passed, "{obs:?}");
            assert!(!checks[1].passed, "{obs:?}");
            assert!(!checks[1].detail.starts_with("Not checked"), "{obs:?}");
            assert!(!checks[2].passed, "{obs:?}");
            assert!(checks[2].detail.starts_with("Not checked: "), "{obs:?}");
        }
    }

    #[test]
    fn readiness_server_certificate_invalid_fails_certificate_check() {
        let now = at(2026, 6, 1, 12, 0, 0);
        let probe = Err(Observation::ServerCertificateInvalid {
            detail: "unknown issuer".into(),
        });
        let checks = judge_readiness(&probe, now);
        assert!(checks[0].passed);
        assert!(checks[1].passed);
        assert!(!checks[2].passed);
        assert!(checks[2].detail.contains("unknown issuer"));
    }

    #[test]
    fn readiness_passed_needs_checks() {
        assert!(!readiness_passed(&[]));
    }

    // --- dry-run rate limit ----------------------------------------------

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
