//! A connectivity test's evidence: what was sent where, what answered, and the verdict, as one
//! record that the portal signs (a JWS anyone can check against the portal's published keys),
//! shows on the run's page and prints. Official runs and dry runs have one (a dry run says it is
//! one); readiness checks and runs not finished do not.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The most characters of a response body the evidence keeps.
pub const FIRST_BYTES: usize = 512;

/// The server certificate an attempt saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateEvidence {
    pub subject: String,
    pub issuer: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// One find request sent, and what came back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptEvidence {
    pub attempt: i32,
    /// The X-Request-ID the find request carried.
    pub x_request_id: String,
    pub sent_at: DateTime<Utc>,
    pub url: String,
    /// The address connected to, after the name was resolved and checked.
    pub resolved_address: Option<String>,
    pub tls_protocol: Option<String>,
    pub tls_cipher: Option<String>,
    pub server_certificate: Option<CertificateEvidence>,
    pub http_status: Option<i32>,
    pub latency_ms: i64,
    /// The start of the response body, as text.
    pub response_first_bytes: String,
    /// "pass" or "fail".
    pub verdict: String,
    pub code: String,
    pub cause: String,
}

/// A finished run's evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The portal that ran it (its public address).
    pub portal: String,
    pub run_id: i64,
    /// "official" or "dry_run".
    pub kind: String,
    pub dry_run: bool,
    pub organisation: String,
    /// The OAT request an official run belongs to.
    pub oat_request: Option<String>,
    /// Who started the run.
    pub run_by: Option<String>,
    pub queued_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub endpoint_url: String,
    /// The find request template used.
    pub request_profile: String,
    /// "passed", "failed" or "interrupted".
    pub outcome: String,
    pub code: Option<String>,
    pub summary: String,
    pub cause: String,
    pub attempts: Vec<AttemptEvidence>,
}

impl Evidence {
    /// Whether a run of this kind and status has evidence to give.
    pub fn exists_for(kind: &str, status: &str) -> bool {
        matches!(kind, "official" | "dry_run")
            && matches!(status, "passed" | "failed" | "interrupted")
    }

    /// The signed file's name.
    pub fn file_name(run_id: i64) -> String {
        format!("evidence-run-{run_id}.jws")
    }

    #[cfg(feature = "ssr")]
    /// The claims the portal signs: who issued them, when, about which run, and the record.
    pub fn claims(&self, issued_at: DateTime<Utc>) -> serde_json::Value {
        serde_json::json!({
            "iss": self.portal,
            "iat": issued_at.timestamp(),
            "sub": format!("connectivity-run-{}", self.run_id),
            "evidence": self,
        })
    }
}

/// The first characters of a body excerpt, cut on a character boundary.
pub fn first_bytes(excerpt: &str) -> String {
    excerpt.chars().take(FIRST_BYTES).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn only_finished_official_runs_and_dry_runs_have_evidence() {
        for status in ["passed", "failed", "interrupted"] {
            assert!(Evidence::exists_for("official", status));
            assert!(Evidence::exists_for("dry_run", status));
            assert!(!Evidence::exists_for("readiness", status));
        }
        for status in ["queued", "running"] {
            assert!(!Evidence::exists_for("official", status));
        }
    }

    #[test]
    fn the_signed_claims_name_the_portal_the_run_and_carry_the_record() {
        let at = Utc.with_ymd_and_hms(2026, 12, 6, 10, 0, 0).unwrap();
        let e = Evidence {
            portal: "https://portal.example".into(),
            run_id: 7,
            kind: "dry_run".into(),
            dry_run: true,
            organisation: "Org".into(),
            oat_request: None,
            run_by: Some("Sam".into()),
            queued_at: at,
            started_at: Some(at),
            finished_at: Some(at),
            endpoint_url: "https://find.example/find".into(),
            request_profile: "pdp-v1".into(),
            outcome: "passed".into(),
            code: Some("acknowledged".into()),
            summary: "202".into(),
            cause: String::new(),
            attempts: vec![],
        };
        let claims = e.claims(at);
        assert_eq!(claims["iss"], "https://portal.example");
        assert_eq!(claims["iat"], 1_796_551_200);
        assert_eq!(claims["sub"], "connectivity-run-7");
        assert_eq!(claims["evidence"]["dry_run"], true);
        assert_eq!(claims["evidence"]["queued_at"], "2026-12-06T10:00:00Z");
        let back: Evidence = serde_json::from_value(claims["evidence"].clone()).unwrap();
        assert_eq!(back, e);
        assert_eq!(Evidence::file_name(7), "evidence-run-7.jws");
    }

    #[test]
    fn first_bytes_are_cut_on_a_character_boundary() {
        let long = "é".repeat(FIRST_BYTES + 10);
        assert_eq!(first_bytes(&long).chars().count(), FIRST_BYTES);
        assert_eq!(first_bytes("short"), "short");
    }
}
