//! Delivers the email outbox in the background. In dev and demo mode a message is "delivered"
//! by writing it to the log (and it stays listed for staff); SMTP delivery comes with the staff
//! issue. Each message is marked sent once, so a restart never sends it twice.

use std::time::Duration;

use app::{
    services::Services,
    store::{outbox, StoreError},
};
use tokio::sync::watch;

/// Delivers what is due now. Returns how many were delivered.
pub async fn deliver_due(services: &Services) -> Result<usize, StoreError> {
    let now = services.clock.now();
    let due = outbox::due(&services.db, now, 20).await?;
    let mut delivered = 0;
    for email in due {
        if services.show_emails {
            tracing::info!(
                outbox_id = email.id,
                to = %email.recipient,
                subject = %email.subject,
                body = %email.body_text,
                "email written to the log (dev/demo mode: not sent)"
            );
            if outbox::mark_sent(&services.db, email.id, services.clock.now()).await? {
                delivered += 1;
            }
        } else {
            tracing::warn!(
                outbox_id = email.id,
                "no mail transport is configured: the email stays queued"
            );
        }
    }
    Ok(delivered)
}

/// Runs until `stop` turns true, checking every `every`.
pub async fn run(services: Services, every: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = deliver_due(&services).await {
            tracing::error!(error = %e, "outbox delivery failed; will retry");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
    }
}
