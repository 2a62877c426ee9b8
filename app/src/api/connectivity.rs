//! The connectivity test: the organisation's live find endpoint, dry runs the service manager
//! starts, programme staff's official run on an OAT request, and the result page both see.
//! Pages only queue runs; the server's worker runs them and the result page follows progress.

use leptos::prelude::*;

use crate::error::AppError;
use serde::{Deserialize, Serialize};

use crate::domain::connectivity::{ReadinessCheck, ReadinessMode};

/// A run in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: i64,
    pub kind: String,
    pub status: String,
    /// When it was queued, UK time.
    pub started: String,
    pub summary: String,
}

/// The "your live find endpoint" page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointInfo {
    pub organisation: String,
    pub url: Option<String>,
    /// When the endpoint last changed, UK time.
    pub updated: Option<String>,
    pub may_change: bool,
    pub jwks_url: String,
    pub profile: String,
    pub issuer: String,
    pub impersonating_pdp: bool,
    pub runs: Vec<RunSummary>,
    /// When another dry run may start, if not now.
    pub next_dry_run: Option<String>,
}

/// One attempt in the exchange log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptView {
    pub attempt_no: i32,
    pub sent: String,
    pub target_url: String,
    pub x_request_id: String,
    pub http_status: Option<i32>,
    pub latency_ms: i64,
    pub tls_protocol: Option<String>,
    pub tls_cipher: Option<String>,
    /// The address connected to.
    pub address: Option<String>,
    pub server_subject: Option<String>,
    pub server_issuer: Option<String>,
    pub server_not_after: Option<String>,
    pub passed: bool,
    pub cause: String,
    pub response_headers: String,
    pub body_excerpt: String,
}

/// A run with its exchange log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub organisation: String,
    pub target_url: String,
    pub profile: String,
    pub created: String,
    pub finished: Option<String>,
    pub code: Option<String>,
    pub summary: String,
    pub cause: String,
    pub fix: String,
    pub checks: Vec<ReadinessCheck>,
    pub attempts: Vec<AttemptView>,
    /// Official runs: the OAT request, and whether staff may record its outcome now.
    pub request_id: Option<i64>,
    pub request_version: Option<i32>,
    pub may_record_outcome: bool,
    pub viewer_is_staff: bool,
    /// The run is finished and has evidence to sign and print.
    pub has_evidence: bool,
}

/// The readiness checks of the organisation's endpoint, for the "check your answers" page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Readiness {
    pub mode: ReadinessMode,
    pub url: Option<String>,
    /// queued, running, passed or failed; None when no endpoint is recorded.
    pub status: Option<String>,
    pub checks: Vec<ReadinessCheck>,
    pub checked: Option<String>,
}

impl Readiness {
    /// Whether the request may be sent.
    pub fn allows_sending(&self) -> bool {
        self.mode != ReadinessMode::Block || self.status.as_deref() == Some("passed")
    }

    pub fn in_progress(&self) -> bool {
        matches!(self.status.as_deref(), Some("queued" | "running"))
    }
}

/// Whether a status means the run is still going.
pub fn run_is_open(status: &str) -> bool {
    status == "queued" || status == "running"
}

#[cfg(feature = "ssr")]
pub mod ssr {
    pub use crate::error::{AppError, Context};
    pub use crate::{
        auth::{
            request_meta, require_organisation_role, require_organisation_user, require_staff,
            require_user, services, CurrentUser,
        },
        domain::{
            connectivity::{
                dry_run_allowed, endpoint_change_allowed, FindEndpointUrl, ReadinessCheck,
                ReadinessMode, ENDPOINT_CHANGES_PER_HOUR,
            },
            status::RequestStatus,
            Role,
        },
        forms::FormState,
        services::Services,
        store::{
            audit::{self, AuditAction, NewAuditEvent},
            connectivity::{self as runs, NewRun, RunKind, RunRow},
            organisations, review, StoreError,
        },
    };

    use super::RunSummary;

    pub const ENDPOINT_PAGE: &str = "/organisation/endpoint";
    /// How long saving an endpoint waits for its name to resolve.
    pub const LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);
    /// Readiness results are reused for this long for the same URL.
    pub const READINESS_FRESH_MINUTES: i64 = 15;
    /// A failed readiness result is shown for this long before the checks run again.
    pub const READINESS_RETRY_SECONDS: i64 = 30;

    /// How long a page waits for an open run to finish before it shows the run as in progress.
    /// Most runs take well under a second, so the page usually shows the result at once.
    pub const SETTLE: std::time::Duration = std::time::Duration::from_secs(5);

    /// The run once it has finished, or as it is after [`SETTLE`].
    pub async fn settle(services: &Services, mut row: RunRow) -> Result<RunRow, StoreError> {
        let deadline = tokio::time::Instant::now() + SETTLE;
        while row.is_open() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
            match runs::get(&services.db, row.id).await? {
                Some(r) => row = r,
                None => break,
            }
        }
        Ok(row)
    }

    /// When the organisation's dry runs of the last hour started (for the rate limit).
    pub async fn dry_run_starts(
        services: &Services,
        org: i64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<chrono::DateTime<chrono::Utc>>, AppError> {
        runs::starts_since(
            &services.db,
            org,
            RunKind::DryRun,
            now - chrono::Duration::hours(1),
        )
        .await
        .context("loading dry runs")
    }

    pub fn run_page(id: i64) -> String {
        format!("/connectivity/runs/{id}")
    }

    pub fn summary(r: RunRow) -> RunSummary {
        RunSummary {
            id: r.id,
            kind: r.kind,
            status: r.status,
            started: crate::clock::london_long(r.created_at),
            summary: r.summary,
        }
    }

    pub use crate::auth::session::request_session as session;

    /// What must hold before a run is queued, decided under the organisation's lock in the
    /// transaction that queues it, so parallel requests cannot all pass before one writes.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Gate {
        /// Staff's official test (the caller has checked the request).
        Always,
        /// A readiness check: at most one queued or running for the organisation.
        OneOpen,
        /// A dry run: one open at a time, within the hourly limit and gap.
        DryRunLimit,
    }

    /// What [`queue`] did.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Queued {
        New(i64),
        /// The organisation's open run of that kind, which it must wait for.
        Open(i64),
        /// Refused by the dry-run limit until then.
        Wait(chrono::DateTime<chrono::Utc>),
    }

    /// Queues a run (when its gate allows) and wakes the worker.
    pub async fn queue(
        services: &Services,
        run: &NewRun<'_>,
        gate: Gate,
        audit_action: Option<(AuditAction, &CurrentUser)>,
    ) -> Result<Queued, StoreError> {
        let now = services.clock.now();
        let mut tx = services.db.begin_write().await?;
        if gate != Gate::Always {
            runs::lock_organisation(&mut tx, run.organisation_id).await?;
            if let Some(open) = runs::open_run(&mut tx, run.organisation_id, run.kind).await? {
                tx.rollback().await;
                return Ok(Queued::Open(open));
            }
        }
        if gate == Gate::DryRunLimit {
            let since = now - chrono::Duration::hours(1);
            let starts =
                runs::starts_since_locked(&mut tx, run.organisation_id, run.kind, since).await?;
            if let Err(at) = dry_run_allowed(&starts, now) {
                tx.rollback().await;
                return Ok(Queued::Wait(at));
            }
        }
        let id = runs::insert(&mut tx, run, now).await?;
        if let Some((action, user)) = audit_action {
            let meta = request_meta();
            audit::record(
                &mut tx,
                now,
                &NewAuditEvent {
                    action,
                    actor_user_id: Some(user.id),
                    target_user_id: None,
                    organisation_id: Some(run.organisation_id),
                    client_ip: meta.client_ip,
                    request_id: meta.request_id,
                    detail: format!("run {id} to {}", run.target_url),
                },
            )
            .await?;
        }
        tx.commit().await?;
        services.connectivity.wake.notify_one();
        tracing::info!(
            run = id,
            kind = run.kind.as_str(),
            organisation = run.organisation_id,
            "connectivity run queued"
        );
        Ok(Queued::New(id))
    }

    /// The organisation's readiness result for its current endpoint, queuing a check when there
    /// is no fresh one.
    pub async fn readiness(services: &Services, org: i64) -> Result<super::Readiness, AppError> {
        let mode = services.connectivity.readiness;
        let endpoint = runs::endpoint(&services.db, org)
            .await
            .context("loading the endpoint")?;
        let endpoint = endpoint.filter(|_| mode != ReadinessMode::Off);
        let Some((url, _)) = endpoint else {
            return Ok(super::Readiness {
                mode,
                url: None,
                status: None,
                checks: Vec::new(),
                checked: None,
            });
        };
        let now = services.clock.now();
        let latest = runs::recent(&services.db, org, RunKind::Readiness, 1)
            .await
            .context("loading readiness")?
            .into_iter()
            .next()
            .filter(|r| r.target_url == url);
        // A pass is reused for a while; a failure only briefly, so a fixed endpoint is
        // checked again as soon as the service manager comes back.
        let fresh = latest.filter(|r| {
            r.is_open()
                || r.finished_at.is_some_and(|f| match r.status.as_str() {
                    "passed" => now - f < chrono::Duration::minutes(READINESS_FRESH_MINUTES),
                    "failed" => now - f < chrono::Duration::seconds(READINESS_RETRY_SECONDS),
                    _ => false,
                })
        });
        let row = match fresh {
            Some(r) => r,
            None => {
                let id = match queue(
                    services,
                    &NewRun {
                        organisation_id: org,
                        request_id: None,
                        kind: RunKind::Readiness,
                        target_url: &url,
                        profile: &services.connectivity.profile,
                        requested_by: None,
                    },
                    Gate::OneOpen,
                    None,
                )
                .await
                .context("queuing readiness checks")?
                {
                    Queued::New(id) | Queued::Open(id) => id,
                    Queued::Wait(_) => {
                        return Err(AppError::internal(
                            "queuing readiness checks",
                            "unexpected wait",
                        ))
                    }
                };
                runs::get(&services.db, id)
                    .await
                    .context("loading readiness")?
                    .ok_or_else(AppError::not_found)?
            }
        };
        let row = settle(services, row).await.context("loading readiness")?;
        if row.target_url != url {
            // The check of an earlier endpoint is still going; this one is queued after it.
            return Ok(super::Readiness {
                mode,
                url: Some(url),
                status: Some("queued".to_string()),
                checks: Vec::new(),
                checked: None,
            });
        }
        Ok(super::Readiness {
            mode,
            url: Some(url),
            status: Some(row.status.clone()),
            checks: serde_json::from_str::<Vec<ReadinessCheck>>(&row.checks).unwrap_or_default(),
            checked: row.finished_at.map(crate::clock::london_long),
        })
    }
}

/// The organisation's endpoint page.
#[server(prefix = "/api", endpoint = "connectivity/endpoint")]
pub async fn endpoint_page() -> Result<EndpointInfo, AppError> {
    use self::ssr::*;
    let (user, org) = require_organisation_user()?;
    let services = services()?;
    // Read with the signed-in user (one query fewer per page).
    let organisation = user.organisation_name.clone().unwrap_or_default();
    let endpoint = runs::endpoint(&services.db, org)
        .await
        .context("loading the endpoint")?;
    let recent = runs::recent(&services.db, org, RunKind::DryRun, 10)
        .await
        .context("loading dry runs")?;
    let now = services.clock.now();
    let starts = dry_run_starts(&services, org, now).await?;
    Ok(EndpointInfo {
        organisation,
        url: endpoint.as_ref().map(|(u, _)| u.clone()),
        updated: endpoint
            .and_then(|(_, at)| at)
            .map(crate::clock::london_long),
        may_change: user.has_role(Role::ServiceManager),
        jwks_url: format!("{}/.well-known/jwks.json", services.public_origin),
        profile: services.connectivity.profile.clone(),
        issuer: services.connectivity.issuer.clone(),
        impersonating_pdp: services.connectivity.impersonating_pdp,
        runs: recent.into_iter().map(summary).collect(),
        next_dry_run: dry_run_allowed(&starts, now)
            .err()
            .map(crate::clock::london_long),
    })
}

/// Records or changes the live find endpoint (service managers). Refused when the host name
/// resolves to an address the portal must not connect to.
#[server(prefix = "/api", endpoint = "connectivity/endpoint/save")]
pub async fn save_endpoint(url: String) -> Result<(), AppError> {
    use self::ssr::*;
    let (user, org) = require_organisation_role(Role::ServiceManager)?;
    if url.len() > 4000 {
        return Err(AppError::invalid("That URL is too long"));
    }
    let services = services()?;
    let session = session().await?;
    let form = FormState::default().with_value("url", url.trim());
    let parsed = match FindEndpointUrl::parse(&url) {
        Ok(u) => u,
        Err(e) => {
            return session
                .back_to_form(
                    "endpoint",
                    &form.with_error("url", e.to_string()),
                    ENDPOINT_PAGE,
                )
                .await
                .context("session");
        }
    };
    // The SSRF guard's save-time half: every address the name resolves to now. A name that
    // does not resolve yet, or not within LOOKUP_TIMEOUT, is kept (the readiness checks and the
    // guard at connection time will say). The message never names the address: it could map
    // the network the portal runs in.
    let lookup = tokio::net::lookup_host((parsed.host(), parsed.port()));
    if let Ok(Ok(addrs)) = tokio::time::timeout(LOOKUP_TIMEOUT, lookup).await {
        let ips: Vec<std::net::IpAddr> = addrs.map(|a| a.ip()).collect();
        if let Err((ip, why)) = services.connectivity.policy.check_all(&ips) {
            tracing::info!(organisation = org, %ip, ?why, "endpoint refused: address not allowed");
            let message = format!(
                "Enter an endpoint on the public internet: {} resolves to an address that is not allowed",
                parsed.host()
            );
            return session
                .back_to_form("endpoint", &form.with_error("url", message), ENDPOINT_PAGE)
                .await
                .context("session");
        }
    }
    let before = runs::endpoint(&services.db, org)
        .await
        .context("loading the endpoint")?;
    if before.as_ref().map(|(u, _)| u.as_str()) != Some(parsed.as_str()) {
        let now = services.clock.now();
        let meta = request_meta();
        let mut tx = services.db.begin_write().await.context("begin")?;
        runs::lock_organisation(&mut tx, org)
            .await
            .context("locking the organisation")?;
        let changes = runs::endpoint_changes_since(&mut tx, org, now - chrono::Duration::hours(1))
            .await
            .context("loading endpoint changes")?;
        if let Err(at) = endpoint_change_allowed(&changes, now) {
            tx.rollback().await;
            let message = format!(
                "You have changed your endpoint {ENDPOINT_CHANGES_PER_HOUR} times in the last hour. You can change it again at {}.",
                crate::clock::london_long(at)
            );
            return session
                .back_to_form("endpoint", &form.with_error("url", message), ENDPOINT_PAGE)
                .await
                .context("session");
        }
        runs::set_endpoint(&mut tx, org, parsed.as_str(), now)
            .await
            .context("saving the endpoint")?;
        audit::record(
            &mut tx,
            now,
            &NewAuditEvent {
                action: AuditAction::FindEndpointChanged,
                actor_user_id: Some(user.id),
                target_user_id: None,
                organisation_id: Some(org),
                client_ip: meta.client_ip,
                request_id: meta.request_id,
                detail: match before {
                    Some((old, _)) => format!("{old} to {}", parsed.as_str()),
                    None => format!("set to {}", parsed.as_str()),
                },
            },
        )
        .await
        .context("auditing")?;
        tx.commit().await.context("commit")?;
        tracing::info!(organisation = org, "find endpoint changed");
    }
    session
        .set_flash("Your live find endpoint has been saved")
        .await
        .context("session")?;
    leptos_axum::redirect(ENDPOINT_PAGE);
    Ok(())
}

/// Starts a dry run: the find request sent to the organisation's endpoint now.
#[server(prefix = "/api", endpoint = "connectivity/dry-run")]
pub async fn start_dry_run() -> Result<(), AppError> {
    use self::ssr::*;
    let (user, org) = require_organisation_role(Role::ServiceManager)?;
    let services = services()?;
    let session = session().await?;
    let Some((url, _)) = runs::endpoint(&services.db, org)
        .await
        .context("loading the endpoint")?
    else {
        let form = FormState::default().with_error(
            "url",
            "Enter your live find endpoint URL before you test it",
        );
        return session
            .back_to_form("endpoint", &form, ENDPOINT_PAGE)
            .await
            .context("session");
    };
    let queued = queue(
        &services,
        &NewRun {
            organisation_id: org,
            request_id: None,
            kind: RunKind::DryRun,
            target_url: &url,
            profile: &services.connectivity.profile,
            requested_by: Some(user.id),
        },
        Gate::DryRunLimit,
        Some((AuditAction::DryRunStarted, &user)),
    )
    .await
    .context("queuing a dry run")?;
    match queued {
        Queued::New(id) | Queued::Open(id) => {
            leptos_axum::redirect(&run_page(id));
            Ok(())
        }
        Queued::Wait(at) => {
            let when = crate::clock::london_long(at);
            let form = FormState::default().with_error(
                "test",
                format!("You have tested your endpoint several times recently. You can test it again at {when}."),
            );
            session
                .back_to_form("endpoint", &form, ENDPOINT_PAGE)
                .await
                .context("session")
        }
    }
}

/// Programme staff start the official connectivity test of an OAT request.
#[server(prefix = "/api", endpoint = "staff/requests/connectivity-test")]
pub async fn start_official_run(id: String) -> Result<(), AppError> {
    use self::ssr::*;
    let staff = require_staff()?;
    let services = services()?;
    let request_id: i64 = id.trim().parse().map_err(|_| AppError::not_found())?;
    let r = review::get(&services.db, request_id)
        .await
        .context("loading a request")?
        .ok_or_else(AppError::not_found)?;
    let page = format!("/staff/requests/{}", r.id);
    let session = session().await?;
    if !r.status.awaiting_outcome() {
        session
            .set_flash("The connectivity test can only be run on a request waiting for its test")
            .await
            .context("session")?;
        leptos_axum::redirect(&page);
        return Ok(());
    }
    let Some((url, _)) = runs::endpoint(&services.db, r.organisation_id)
        .await
        .context("loading the endpoint")?
    else {
        session
            .set_flash("The organisation has not recorded its live find endpoint yet, so the test cannot be run")
            .await
            .context("session")?;
        leptos_axum::redirect(&page);
        return Ok(());
    };
    if let Some(open) = runs::for_request(&services.db, r.id, 1)
        .await
        .context("loading runs")?
        .into_iter()
        .find(|x| x.is_open())
    {
        leptos_axum::redirect(&run_page(open.id));
        return Ok(());
    }
    let (Queued::New(run) | Queued::Open(run)) = queue(
        &services,
        &NewRun {
            organisation_id: r.organisation_id,
            request_id: Some(r.id),
            kind: RunKind::Official,
            target_url: &url,
            profile: &services.connectivity.profile,
            requested_by: Some(staff.id),
        },
        Gate::Always,
        Some((AuditAction::OfficialTestStarted, &staff)),
    )
    .await
    .context("queuing the test")?
    else {
        return Err(AppError::internal("queuing the test", "unexpected wait"));
    };
    leptos_axum::redirect(&run_page(run));
    Ok(())
}

/// A run and its exchange log: for the organisation's users (their own runs) and staff.
#[server(prefix = "/api", endpoint = "connectivity/run")]
pub async fn run_details(id: String) -> Result<RunInfo, AppError> {
    use self::ssr::*;
    let user = require_user()?;
    let services = services()?;
    let id: i64 = id.trim().parse().map_err(|_| AppError::not_found())?;
    let run = runs::get(&services.db, id)
        .await
        .context("loading a run")?
        .ok_or_else(AppError::not_found)?;
    let staff = user.is_staff();
    if !staff && user.organisation_id != Some(run.organisation_id) {
        return Err(AppError::not_found());
    }
    let run = settle(&services, run).await.context("loading a run")?;
    let organisation = organisations::get(&services.db, run.organisation_id)
        .await
        .context("loading the organisation")?
        .map(|o| o.name.to_string())
        .unwrap_or_default();
    let attempts = runs::attempts(&services.db, run.id)
        .await
        .context("loading attempts")?;
    let (request_version, may_record_outcome) = match run.request_id {
        Some(rid) if staff => {
            let r = review::get(&services.db, rid)
                .await
                .context("loading a request")?;
            match r {
                Some(r) => (
                    Some(r.version),
                    r.status == RequestStatus::TestScheduled && !run.is_open(),
                ),
                None => (None, false),
            }
        }
        _ => (None, false),
    };
    let has_evidence = crate::domain::connectivity::Evidence::exists_for(&run.kind, &run.status);
    Ok(RunInfo {
        has_evidence,
        id: run.id,
        kind: run.kind,
        status: run.status,
        organisation,
        target_url: run.target_url,
        profile: run.profile,
        created: crate::clock::london_long(run.created_at),
        finished: run.finished_at.map(crate::clock::london_long),
        code: run.code,
        summary: run.summary,
        cause: run.cause,
        fix: run.fix,
        checks: serde_json::from_str(&run.checks).unwrap_or_default(),
        attempts: attempts
            .into_iter()
            .map(|a| AttemptView {
                attempt_no: a.attempt_no,
                sent: crate::clock::london_long(a.sent_at),
                target_url: a.target_url,
                x_request_id: a.x_request_id,
                http_status: a.http_status,
                latency_ms: a.latency_ms,
                tls_protocol: a.tls_protocol,
                tls_cipher: a.tls_cipher,
                address: a.peer_address,
                server_subject: a.server_subject,
                server_issuer: a.server_issuer,
                server_not_after: a.server_not_after.map(crate::clock::london_long),
                passed: a.verdict == "pass",
                cause: a.cause,
                response_headers: a.response_headers,
                body_excerpt: a.body_excerpt,
            })
            .collect(),
        request_id: run.request_id,
        request_version,
        may_record_outcome,
        viewer_is_staff: staff,
    })
}

/// The readiness checks for the "check your answers" page (service managers).
#[server(prefix = "/api", endpoint = "connectivity/readiness")]
pub async fn readiness_checks() -> Result<Readiness, AppError> {
    use self::ssr::*;
    let (_, org) = require_organisation_user()?;
    let services = services()?;
    readiness(&services, org).await
}

/// Staff go from a failed official run to the failure form with its cause filled in.
#[server(prefix = "/api", endpoint = "staff/requests/connectivity-failure")]
pub async fn prefill_failure(run: String) -> Result<(), AppError> {
    use self::ssr::*;
    require_staff()?;
    let services = services()?;
    let id: i64 = run.trim().parse().map_err(|_| AppError::not_found())?;
    let run = runs::get(&services.db, id)
        .await
        .context("loading a run")?
        .ok_or_else(AppError::not_found)?;
    let Some(request_id) = run.request_id else {
        return Err(AppError::not_found());
    };
    let reason = [run.cause.as_str(), run.fix.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    session()
        .await?
        .save_form(
            "failure",
            &FormState::default().with_value("reason", &reason),
        )
        .await
        .context("session")?;
    leptos_axum::redirect(&format!("/staff/requests/{request_id}/failure"));
    Ok(())
}
