//! Readiness: the three checks shown before an OAT request is sent (the name resolves, TLS 1.2
//! or later, a certificate with time left), worked out from a TLS-only probe.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{judge, Observation, CERT_MIN_DAYS_LEFT};

/// What a TLS-only probe of the endpoint saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsFacts {
    /// For example "TLSv1.3".
    pub protocol: String,
    /// The cipher suite agreed, for example "TLS13_AES_256_GCM_SHA384".
    pub cipher: String,
    pub server_subject: String,
    pub server_issuer: String,
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

/// What the readiness checks on "check your answers" do. They are this portal's own: a real
/// live find endpoint may accept only PDP's own client certificate or addresses, so a check from
/// here can fail on a connection that is fine. By default they advise and never stop a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ReadinessMode {
    /// No checks.
    Off,
    /// Checks shown with advice; the request can be sent whatever they find.
    #[default]
    Advise,
    /// The request can be sent only once the endpoint passes them.
    Block,
}

impl ReadinessMode {
    /// `advise` (or `true`), `block`, `off` (or `false`).
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "advise" | "true" => Some(Self::Advise),
            "block" => Some(Self::Block),
            "off" | "false" => Some(Self::Off),
            _ => None,
        }
    }
}

impl std::str::FromStr for ReadinessMode {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        Self::parse(raw).ok_or_else(|| format!("expected advise, block or off, not {raw:?}"))
    }
}

/// Name of the first readiness check.
pub const CHECK_NAME_RESOLVES: &str = "Your endpoint's name resolves";
/// Name of the second readiness check.
pub const CHECK_TLS_VERSION: &str = "It accepts TLS 1.2 or later (Code of Connection 1.1.1)";
/// Name of the third readiness check.
pub const CHECK_CERTIFICATE: &str =
    "Its certificate will not run out in the next 30 days (this portal's own check)";

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
                    "Your endpoint agreed to use {seen}. The Code of Connection (1.1.1) needs TLS 1.2 or later. Turn on TLS 1.2 or TLS 1.3 on your endpoint."
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
                "Your endpoint's certificate expires on {expiry}, {when}. This portal checks for 30 days so that the certificate does not run out around your test and go-live date: renew it in good time."
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::connectivity::test_support::at;

    fn facts(protocol: &str, not_after: DateTime<Utc>) -> TlsFacts {
        TlsFacts {
            protocol: protocol.into(),
            cipher: "TLS13_AES_128_GCM_SHA256".into(),
            server_subject: "CN=pensions.example.com".into(),
            server_issuer: "CN=Example CA".into(),
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
                "It accepts TLS 1.2 or later (Code of Connection 1.1.1)",
                "Its certificate will not run out in the next 30 days (this portal's own check)"
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

    #[test]
    fn readiness_modes_parse() {
        use super::ReadinessMode::*;
        for (raw, mode) in [
            ("advise", Advise),
            ("true", Advise),
            (" Block ", Block),
            ("off", Off),
            ("false", Off),
        ] {
            assert_eq!(super::ReadinessMode::parse(raw), Some(mode), "{raw}");
        }
        assert_eq!(super::ReadinessMode::parse("yes"), None);
        assert_eq!(super::ReadinessMode::default(), Advise);
        assert!("sometimes".parse::<super::ReadinessMode>().is_err());
    }
}
