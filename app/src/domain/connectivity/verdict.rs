//! Observations and judgements: what one attempt saw, and what that means for the organisation
//! (its verdict, a plain-English cause and how to fix it).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{CONNECT_TIMEOUT_SECS, TOTAL_TIMEOUT_SECS};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::connectivity::test_support::{answered, secs};

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
}
