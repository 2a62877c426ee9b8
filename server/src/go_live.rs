//! Going live: on its confirmed go-live date (a UK calendar date) a scheme becomes "Live". The
//! job runs at start and then every minute. It is idempotent (each change is a conditional
//! update, so two instances or two runs never make a scheme live twice) and catches up after
//! downtime (it takes every scheme whose date is today or earlier).

use std::time::Duration;

use app::{
    clock::london_today,
    domain::{oat::long_date, review::RequestStatus},
    emails::Letter,
    services::Services,
    store::{
        audit::{self, AuditAction, NewAuditEvent},
        oat, outbox,
        review::{self, Change},
        StoreError,
    },
};
use tokio::sync::watch;

/// Schemes taken live in one pass at most; the rest wait for the next pass.
const BATCH: i64 = 200;

/// Makes live every scheme whose go-live date has come. Returns how many this pass changed.
pub async fn run_once(services: &Services) -> Result<usize, StoreError> {
    let now = services.clock.now();
    let today = london_today(now);
    let due = review::due_to_go_live(&services.db, today, BATCH).await?;
    let mut changed = 0;
    for s in due {
        let mut tx = services.db.begin_write().await?;
        if !review::scheme_goes_live(&mut tx, s.scheme_id).await? {
            // Another instance (or run) got there first.
            continue;
        }
        let reference = match (s.request_id, s.request_version) {
            (Some(id), Some(version)) => {
                review::apply(
                    &mut tx,
                    id,
                    version,
                    &[RequestStatus::GoLiveConfirmed],
                    RequestStatus::Live,
                    Change::Live,
                    now,
                )
                .await?;
                oat::add_event(
                    &mut tx,
                    id,
                    now,
                    None,
                    "Scheme live",
                    &format!("{} went live on {}", s.scheme_name, long_date(s.go_live_on)),
                )
                .await?;
                s.request_reference.clone()
            }
            _ => None,
        };
        audit::record(
            &mut tx,
            now,
            &NewAuditEvent {
                action: AuditAction::SchemeWentLive,
                actor_user_id: None,
                target_user_id: None,
                organisation_id: Some(s.organisation_id),
                client_ip: None,
                request_id: None,
                detail: format!(
                    "{} live on {}{}",
                    s.scheme_name,
                    long_date(s.go_live_on),
                    reference
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                ),
            },
        )
        .await?;
        for (name, address) in
            review::service_manager_emails(&services.db, s.organisation_id).await?
        {
            let mut letter = Letter::new(format!("{} is live", s.scheme_name), &name)
                .para(format!(
                    "{} is now live in the pensions dashboards ecosystem, from {}.",
                    s.scheme_name,
                    long_date(s.go_live_on)
                ))
                .facts(&[("Reference", s.request_reference.clone().unwrap_or_default())])
                .para(
                    "Keep your find endpoint running and your cryptographic material up to date.",
                );
            if let Some(id) = s.request_id {
                letter = letter.link(
                    "See your request",
                    format!("{}/requests/{id}", services.public_origin),
                );
            }
            let key = match s.request_id {
                Some(id) => review::email_key(id, "live", &address),
                None => format!("scheme:{}:live:{}", s.scheme_id, address.to_lowercase()),
            };
            outbox::enqueue(&mut tx, &letter.to(key, &address), now).await?;
        }
        tx.commit().await?;
        services.forget_queue_counts();
        tracing::info!(scheme_id = s.scheme_id, go_live_on = %s.go_live_on, "scheme went live");
        changed += 1;
    }
    Ok(changed)
}

/// Runs until `stop` turns true, every `every`.
pub async fn run(services: Services, every: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        match run_once(&services).await {
            Ok(_) => crate::metrics::GO_LIVE_LAST_SUCCESS.store(
                services.clock.now().timestamp(),
                std::sync::atomic::Ordering::Relaxed,
            ),
            Err(e) => tracing::error!(error = %e, "the go-live job failed; it will try again"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
    }
}
