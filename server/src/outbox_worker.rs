//! Delivers the email outbox in the background.
//!
//! Each pass takes the messages that are due, claims each one (so two workers, or two passes,
//! never send the same message at once) and hands it to the transport:
//!
//! - **SMTP** (`PORTAL_SMTP_URL`): sent with lettre as plain text and HTML alternatives. A
//!   temporary failure (connection refused, a 4xx reply) is retried with exponential backoff; a
//!   permanent refusal (5xx) or too many attempts marks the message failed, for staff to see.
//! - **Log** (dev and demo mode without SMTP): written to the log, and listed for staff.
//! - **Hold** (production without SMTP): left queued, with a warning.
//!
//! Once only, even across a crash: a message is marked sent in the database as soon as the SMTP
//! server accepts it and is never picked again. A worker that dies between the server's "250 OK"
//! and that mark leaves a claim that runs out, and the message goes again with the same
//! Message-ID (made from its idempotency key), which mail systems use to drop the repeat.

use std::time::Duration;

use app::{
    services::Services,
    store::{outbox, StoreError},
};
use chrono::{DateTime, Utc};
use lettre::{
    message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use tokio::sync::watch;

/// Messages taken in one pass.
const BATCH: i64 = 20;
/// How long a claim lasts: longer than any one send can take (the SMTP timeout is 30 s).
const CLAIM: Duration = Duration::from_secs(120);
/// Attempts before a message is marked failed.
pub const MAX_ATTEMPTS: i32 = 10;

/// The wait before the next attempt after `attempts` failed ones: 30 s, then doubling, at most an
/// hour; `None` once [`MAX_ATTEMPTS`] have failed.
pub fn retry_delay(attempts: i32) -> Option<chrono::Duration> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let exp = attempts.clamp(1, 8) as u32 - 1;
    Some(chrono::Duration::seconds((30i64 << exp).min(3600)))
}

/// The Message-ID of an outbox message: the same for every attempt, so a repeat after a crash
/// can be recognised.
/// The type of an attached calendar file: a published event (not an invitation to reply to).
fn calendar_type() -> ContentType {
    ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
        .unwrap_or(ContentType::TEXT_PLAIN)
}

pub fn message_id(idempotency_key: &str, domain: &str) -> String {
    use sha2::Digest;
    let digest = hex::encode(sha2::Sha256::digest(idempotency_key.as_bytes()));
    format!("<{}@{domain}>", &digest[..32])
}

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("PORTAL_SMTP_URL could not be used: {0}")]
    Url(String),
    #[error("PORTAL_MAIL_FROM must be an email address, optionally with a name: {0}")]
    From(String),
}

/// Why one send did not go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    /// The server refused for good (a 5xx reply, or an address that cannot be used).
    pub permanent: bool,
    pub message: String,
}

/// Sends over SMTP.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    domain: String,
}

impl SmtpMailer {
    /// From a URL such as `smtp://127.0.0.1:2525`, `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:465`.
    /// Needs a Tokio runtime (the connection pool runs a task).
    pub fn new(url: &str, from: &str) -> Result<Self, MailerError> {
        let from = Self::check(url, from)?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailerError::Url(e.to_string()))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let domain = from.email.domain().to_string();
        Ok(Self {
            transport,
            from,
            domain,
        })
    }

    /// Checks the URL and the sender without connecting (for the configuration).
    pub fn check(url: &str, from: &str) -> Result<Mailbox, MailerError> {
        let from: Mailbox = from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailerError::From(e.to_string()))?;
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailerError::Url(e.to_string()))?;
        Ok(from)
    }

    fn message(&self, email: &outbox::OutboxRow) -> Result<Message, SendFailure> {
        let to: Mailbox = email.recipient.parse().map_err(|e| SendFailure {
            permanent: true,
            message: format!("the recipient address cannot be used: {e}"),
        })?;
        let body = MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(email.body_text.clone()),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(email.body_html.clone()),
            );
        // A calendar file goes beside the words, as an attachment calendars recognise.
        let body = match (&email.calendar_name, &email.calendar_ics) {
            (Some(name), Some(ics)) => MultiPart::mixed()
                .multipart(body)
                .singlepart(Attachment::new(name.clone()).body(ics.clone(), calendar_type())),
            _ => body,
        };
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(message_id(&email.idempotency_key, &self.domain)))
            .multipart(body)
            .map_err(|e| SendFailure {
                permanent: true,
                message: format!("the message could not be built: {e}"),
            })
    }

    pub async fn send(&self, email: &outbox::OutboxRow) -> Result<(), SendFailure> {
        let message = self.message(email)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| SendFailure {
                permanent: e.is_permanent(),
                message: e.to_string(),
            })
    }
}

/// Where the outbox's messages go.
#[derive(Clone)]
pub enum Transport {
    Smtp(SmtpMailer),
    /// Written to the log (dev and demo mode).
    Log,
    /// Kept queued: production mode with no SMTP server configured.
    Hold,
}

impl Transport {
    pub fn from_config(config: &crate::config::Config) -> Result<Self, MailerError> {
        Ok(match &config.smtp_url {
            Some(url) => Self::Smtp(SmtpMailer::new(url.expose(), &config.mail_from)?),
            None if config.mode == crate::config::Mode::Dev => Self::Log,
            None => Self::Hold,
        })
    }
}

/// Delivers what is due now. Returns how many were sent (or logged).
pub async fn deliver_due(services: &Services, transport: &Transport) -> Result<usize, StoreError> {
    let now = services.clock.now();
    if matches!(transport, Transport::Hold) {
        let waiting = outbox::due(&services.db, now, 1).await?;
        if !waiting.is_empty() {
            tracing::warn!("no mail transport is configured (PORTAL_SMTP_URL): emails stay queued");
        }
        return Ok(0);
    }
    let due = outbox::due(&services.db, now, BATCH).await?;
    let mut delivered = 0;
    for email in due {
        let now = services.clock.now();
        let until = now + chrono::Duration::from_std(CLAIM).unwrap_or(chrono::Duration::minutes(2));
        if !outbox::claim(&services.db, email.id, email.attempts, now, until).await? {
            continue; // another worker has it, or it changed since it was read
        }
        let result = match transport {
            Transport::Smtp(mailer) => mailer.send(&email).await,
            Transport::Log => {
                tracing::info!(
                    outbox_id = email.id,
                    to = %email.recipient,
                    subject = %email.subject,
                    body = %email.body_text,
                    "email written to the log (dev/demo mode: not sent)"
                );
                Ok(())
            }
            Transport::Hold => continue,
        };
        let now = services.clock.now();
        match result {
            Ok(()) => {
                if outbox::mark_sent(&services.db, email.id, now).await? {
                    delivered += 1;
                    tracing::info!(
                        outbox_id = email.id,
                        attempts = email.attempts + 1,
                        "email sent"
                    );
                }
            }
            Err(failure) => {
                let attempts = email.attempts + 1;
                let retry_at: Option<DateTime<Utc>> = if failure.permanent {
                    None
                } else {
                    retry_delay(attempts).map(|d| now + d)
                };
                match retry_at {
                    Some(at) => {
                        tracing::warn!(outbox_id = email.id, attempts, error = %failure.message, retry_at = %at, "email not sent; will retry")
                    }
                    None => {
                        tracing::error!(outbox_id = email.id, attempts, error = %failure.message, "email not sent; given up")
                    }
                }
                outbox::mark_attempt_failed(&services.db, email.id, &failure.message, retry_at)
                    .await?;
            }
        }
    }
    Ok(delivered)
}

/// Runs until `stop` turns true, checking every `every`.
pub async fn run(
    services: Services,
    transport: Transport,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = deliver_due(&services, &transport).await {
            tracing::error!(error = %e, "outbox delivery failed; will retry");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_30_seconds_to_an_hour_then_stop() {
        let delays: Vec<i64> = (1..MAX_ATTEMPTS)
            .map(|a| retry_delay(a).unwrap().num_seconds())
            .collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(retry_delay(MAX_ATTEMPTS), None);
    }

    #[test]
    fn the_message_id_is_the_same_for_the_same_key_and_differs_between_keys() {
        let a = message_id("oat:1:requested:a@x.example", "portal.example");
        assert_eq!(
            a,
            message_id("oat:1:requested:a@x.example", "portal.example")
        );
        assert_ne!(
            a,
            message_id("oat:1:requested:b@x.example", "portal.example")
        );
        assert!(a.starts_with('<') && a.ends_with("@portal.example>") && a.len() == 32 + 17);
    }

    #[test]
    fn a_bad_from_address_or_url_is_refused() {
        assert!(matches!(
            SmtpMailer::check("smtp://127.0.0.1:2525", "not an address"),
            Err(MailerError::From(_))
        ));
        assert!(matches!(
            SmtpMailer::check("ftp://127.0.0.1", "Portal <no-reply@portal.example>"),
            Err(MailerError::Url(_))
        ));
        assert!(
            SmtpMailer::check("smtp://127.0.0.1:2525", "Portal <no-reply@portal.example>").is_ok()
        );
    }
}
