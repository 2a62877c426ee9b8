//! A connectivity run's evidence: the record the printable page shows, and (through the server's
//! `/connectivity/runs/{id}/evidence.jws`) the same record signed with the portal's token key.
//! Staff may see any run's; organisation users their own organisation's.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::connectivity::Evidence;
use crate::error::AppError;

/// The printable evidence page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidencePage {
    pub evidence: Evidence,
    /// Where the signed file is downloaded from.
    pub download: String,
    pub file_name: String,
    /// The portal's published keys, and the command that checks the file against them.
    pub jwks_url: String,
    pub verify_command: String,
}

/// The command that checks a signed evidence file against the portal's keys and prints the
/// record (Debian's and Ubuntu's `jose` package; `curl` fetches the keys).
pub fn verify_command(jwks_url: &str, file_name: &str) -> String {
    format!("curl -s {jwks_url} | jose jws ver -i {file_name} -k - -O -")
}

/// A run's evidence, for its printable page.
#[server(prefix = "/api", endpoint = "connectivity/evidence")]
pub async fn run_evidence(id: String) -> Result<EvidencePage, AppError> {
    let user = crate::auth::require_user()?;
    let services = crate::auth::services()?;
    let evidence = ssr::load(&services, &user, &id).await?;
    let file_name = Evidence::file_name(evidence.run_id);
    let jwks_url = format!("{}/.well-known/jwks.json", services.public_origin);
    Ok(EvidencePage {
        download: format!("/connectivity/runs/{}/evidence.jws", evidence.run_id),
        verify_command: verify_command(&jwks_url, &file_name),
        jwks_url,
        file_name,
        evidence,
    })
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::{
        auth::CurrentUser,
        domain::connectivity::{first_bytes, AttemptEvidence, CertificateEvidence, Evidence},
        error::{AppError, Context},
        services::Services,
        store::{connectivity as runs, organisations, review, users},
    };

    /// The evidence of run `id` for `user`: not found unless the run is theirs to see, finished,
    /// and an official run or a dry run.
    pub async fn load(
        services: &Services,
        user: &CurrentUser,
        id: &str,
    ) -> Result<Evidence, AppError> {
        let id: i64 = id.trim().parse().map_err(|_| AppError::not_found())?;
        let run = runs::get(&services.db, id)
            .await
            .context("loading a run")?
            .ok_or_else(AppError::not_found)?;
        if !user.is_staff() && user.organisation_id != Some(run.organisation_id) {
            return Err(AppError::not_found());
        }
        if !Evidence::exists_for(&run.kind, &run.status) {
            return Err(AppError::not_found());
        }
        let organisation = organisations::get(&services.db, run.organisation_id)
            .await
            .context("loading the organisation")?
            .map(|o| o.name.to_string())
            .unwrap_or_default();
        let oat_request = match run.request_id {
            Some(rid) => review::get(&services.db, rid)
                .await
                .context("loading a request")?
                .and_then(|r| r.reference),
            None => None,
        };
        let run_by = match run.requested_by {
            Some(uid) => users::get(&services.db, uid)
                .await
                .context("loading a user")?
                .map(|u| u.name),
            None => None,
        };
        let attempts = runs::attempts(&services.db, run.id)
            .await
            .context("loading attempts")?
            .into_iter()
            .map(|a| AttemptEvidence {
                attempt: a.attempt_no,
                x_request_id: a.x_request_id,
                sent_at: a.sent_at,
                url: a.target_url,
                resolved_address: a.peer_address,
                tls_protocol: a.tls_protocol,
                tls_cipher: a.tls_cipher,
                server_certificate: a.server_subject.map(|subject| CertificateEvidence {
                    subject,
                    issuer: a.server_issuer,
                    expires_at: a.server_not_after,
                }),
                http_status: a.http_status,
                latency_ms: a.latency_ms,
                response_first_bytes: first_bytes(&a.body_excerpt),
                verdict: a.verdict,
                code: a.code,
                cause: a.cause,
            })
            .collect();
        Ok(Evidence {
            portal: services.public_origin.to_string(),
            run_id: run.id,
            dry_run: run.kind == "dry_run",
            kind: run.kind,
            organisation,
            oat_request,
            run_by,
            queued_at: run.created_at,
            started_at: run.started_at,
            finished_at: run.finished_at,
            endpoint_url: run.target_url,
            request_profile: run.profile,
            outcome: run.status,
            code: run.code,
            summary: run.summary,
            cause: run.cause,
            attempts,
        })
    }
}
