//! Runs queued connectivity tests from the durable job table.
//!
//! A run is claimed for a short lease that the worker renews while it works, so a run whose
//! worker died (a crash or restart) is found with its lease run out. If its find request had
//! not yet left, it is queued again and the next worker runs it; if it may have left, the run
//! is marked interrupted: nobody reads a half-made run as a result, and no endpoint gets a
//! request twice. Queued runs simply wait for the next worker, so a restart resumes them.

use std::{collections::HashSet, sync::Arc, time::Duration};

use app::{
    domain::connectivity::{judge_readiness, readiness_passed, Verdict},
    services::Services,
    store::connectivity::{self as store, AttemptRow, Finish, RunKind, RunRow},
};
use tokio::sync::{watch, Semaphore};

use super::engine::{Attempt, Engine};

#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// Runs at once.
    pub concurrency: usize,
    /// How long a claim lasts without renewal.
    pub lease: Duration,
    /// How often the worker looks for runs queued by other instances.
    pub poll: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            concurrency: 32,
            lease: Duration::from_secs(30),
            poll: Duration::from_secs(2),
        }
    }
}

pub async fn run(
    services: Services,
    engine: Arc<Engine>,
    settings: WorkerSettings,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(settings.concurrency));
    let active: Arc<std::sync::Mutex<HashSet<i64>>> = Default::default();
    let renew_every = settings.lease / 3;
    let mut last_renewal = tokio::time::Instant::now();
    loop {
        let now = services.clock.now();
        match store::release_abandoned(&services.db, now).await {
            Ok((0, 0)) => {}
            Ok((requeued, interrupted)) => tracing::warn!(
                requeued,
                interrupted,
                "connectivity runs cut off by a stop: queued again when nothing had been sent, otherwise marked interrupted"
            ),
            Err(e) => {
                tracing::error!(error = %e, "could not check for interrupted connectivity runs")
            }
        }
        if last_renewal.elapsed() >= renew_every {
            last_renewal = tokio::time::Instant::now();
            renew(&services, &active, settings.lease).await;
        }
        let free = slots.available_permits();
        if free > 0 {
            match store::queued(&services.db, free as i64).await {
                Ok(rows) => {
                    for row in rows {
                        let Ok(permit) = slots.clone().try_acquire_owned() else {
                            break;
                        };
                        let now = services.clock.now();
                        let until = now + lease(settings.lease);
                        match store::claim(&services.db, row.id, now, until).await {
                            Ok(true) => {}
                            Ok(false) => continue,
                            Err(e) => {
                                tracing::error!(error = %e, run = row.id, "could not claim a connectivity run");
                                continue;
                            }
                        }
                        lock(&active).insert(row.id);
                        let services = services.clone();
                        let engine = engine.clone();
                        let active = active.clone();
                        tokio::spawn(async move {
                            let id = row.id;
                            execute(&services, &engine, row).await;
                            lock(&active).remove(&id);
                            drop(permit);
                        });
                    }
                }
                Err(e) => tracing::error!(error = %e, "could not read queued connectivity runs"),
            }
        }
        tokio::select! {
            _ = services.connectivity.wake.notified() => {}
            _ = tokio::time::sleep(settings.poll.min(renew_every)) => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
}

fn lock(m: &std::sync::Mutex<HashSet<i64>>) -> std::sync::MutexGuard<'_, HashSet<i64>> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn lease(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::seconds(30))
}

async fn renew(services: &Services, active: &std::sync::Mutex<HashSet<i64>>, lease_for: Duration) {
    let ids: Vec<i64> = lock(active).iter().copied().collect();
    if ids.is_empty() {
        return;
    }
    let until = services.clock.now() + lease(lease_for);
    if let Err(e) = store::renew(&services.db, &ids, until).await {
        tracing::error!(error = %e, "could not renew connectivity run claims");
    }
}

/// Runs one claimed run to its end and records the result.
pub async fn execute(services: &Services, engine: &Engine, row: RunRow) {
    let kind = RunKind::parse(&row.kind).unwrap_or(RunKind::DryRun);
    let finish = match kind {
        RunKind::Readiness => {
            let probe = engine.probe(&row.target_url).await;
            let checks = judge_readiness(&probe, services.clock.now());
            let passed = readiness_passed(&checks);
            let checks_json = serde_json::to_string(&checks).unwrap_or_else(|_| "[]".into());
            let (code, summary) = if passed {
                ("ready", "Your endpoint passed the readiness checks")
            } else {
                (
                    "not_ready",
                    "Your endpoint did not pass the readiness checks",
                )
            };
            Owned {
                passed,
                code: code.into(),
                summary: summary.into(),
                cause: String::new(),
                fix: String::new(),
                checks: checks_json,
            }
        }
        RunKind::DryRun | RunKind::Official => {
            // Recorded before anything leaves: if this worker stops from here on, the run is
            // marked interrupted rather than sent again.
            match store::mark_sending(&services.db, row.id, services.clock.now()).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(run = row.id, "connectivity run is no longer ours: not sent");
                    return;
                }
                Err(e) => {
                    // Nothing sent: the claim runs out and the run is queued again.
                    tracing::error!(run = row.id, error = %e, "could not mark a connectivity run as sending");
                    return;
                }
            }
            let judgement = engine
                .run(&row.target_url, |attempt| record(services, row.id, attempt))
                .await;
            Owned {
                passed: judgement.verdict == Verdict::Pass,
                code: judgement.code.to_string(),
                summary: judgement.summary,
                cause: judgement.cause,
                fix: judgement.fix,
                checks: "[]".into(),
            }
        }
    };
    let result = store::finish(
        &services.db,
        row.id,
        &Finish {
            passed: finish.passed,
            code: &finish.code,
            summary: &finish.summary,
            cause: &finish.cause,
            fix: &finish.fix,
            checks: &finish.checks,
        },
        services.clock.now(),
    )
    .await;
    match result {
        Ok(true) => tracing::info!(
            run = row.id,
            kind = row.kind,
            passed = finish.passed,
            code = finish.code,
            "connectivity run finished"
        ),
        Ok(false) => tracing::warn!(
            run = row.id,
            "connectivity run was no longer running when it finished"
        ),
        Err(e) => {
            tracing::error!(run = row.id, error = %e, "could not record a connectivity run's result")
        }
    }
}

struct Owned {
    passed: bool,
    code: String,
    summary: String,
    cause: String,
    fix: String,
    checks: String,
}

async fn record(services: &Services, run_id: i64, a: Attempt) {
    let row = AttemptRow {
        run_id,
        attempt_no: a.attempt_no as i32,
        sent_at: a.sent_at,
        target_url: a.url,
        x_request_id: a.x_request_id,
        http_status: a.status.map(i32::from),
        latency_ms: a.latency.as_millis() as i64,
        tls_protocol: a.tls.as_ref().map(|t| t.protocol.clone()),
        server_subject: a.tls.as_ref().map(|t| t.server_subject.clone()),
        server_not_after: a.tls.as_ref().map(|t| t.server_not_after),
        peer_address: a.address,
        tls_cipher: a.tls.as_ref().map(|t| t.cipher.clone()),
        server_issuer: a.tls.as_ref().map(|t| t.server_issuer.clone()),
        verdict: if a.judgement.verdict == Verdict::Pass {
            "pass".into()
        } else {
            "fail".into()
        },
        code: a.judgement.code.to_string(),
        cause: if a.judgement.verdict == Verdict::Pass {
            a.judgement.summary
        } else {
            a.judgement.cause
        },
        response_headers: a.response_headers,
        body_excerpt: a.body_excerpt,
    };
    if let Err(e) = store::record_attempt(&services.db, &row).await {
        tracing::error!(run = run_id, error = %e, "could not record a find request attempt");
    }
}
