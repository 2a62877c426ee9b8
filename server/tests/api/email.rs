//! Email delivery over SMTP to a real server on 127.0.0.1 (the test's own sink): the message as
//! sent, once only with several workers at once, retries with backoff when the server fails the
//! first attempts, permanent refusals, and a worker that died mid-send.

use std::time::Duration;

use app::store::outbox::{self, NewEmail, OutboxRow};
use chrono::{TimeZone, Utc};
use server::{
    config::SecretUrl,
    outbox_worker::{deliver_due, message_id, Transport},
};

use crate::{
    helpers::{spawn_app_with, spawn_app_with_clock, TestApp},
    smtp_sink::SmtpSink,
};

async fn enqueue(app: &TestApp, key: &str, to: &str) {
    let mut tx = app.db.begin_write().await.unwrap();
    outbox::enqueue(
        &mut tx,
        &NewEmail {
            idempotency_key: key.to_string(),
            recipient: to.to_string(),
            subject: format!("Test {key}"),
            body_text: "Dear Sam,\n\nPlain words.\n".into(),
            body_html: "<p>Dear Sam,</p><p>Plain <strong>words</strong>.</p>".into(),
            calendar: None,
        },
        app.state.services.clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn row(app: &TestApp, key: &str) -> OutboxRow {
    outbox::recent(&app.db, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.idempotency_key == key)
        .unwrap()
}

/// Waits (at most 10 s) until the row satisfies `done`: the app's own worker may be the one that
/// acts, so tests wait for the outcome rather than assume which worker got there.
async fn wait_for(app: &TestApp, key: &str, done: impl Fn(&OutboxRow) -> bool) -> OutboxRow {
    for _ in 0..200 {
        let r = row(app, key).await;
        if done(&r) {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "outbox row {key} never got there: {:?}",
        row(app, key).await
    );
}

fn transport(app: &TestApp) -> Transport {
    Transport::from_config(&app.state.config).unwrap()
}

#[tokio::test]
async fn each_message_is_sent_once_as_text_and_html_even_with_several_workers() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = spawn_app_with(
        move |c| c.smtp_url = Some(SecretUrl::new(url)),
        axum::Router::new(),
    )
    .await;
    for i in 0..10 {
        enqueue(&app, &format!("k{i}"), &format!("person{i}@org.example")).await;
    }
    // Three workers at once, as well as the app's own.
    let t = transport(&app);
    let s = &app.state.services;
    let (a, b, c) = tokio::join!(deliver_due(s, &t), deliver_due(s, &t), deliver_due(s, &t));
    assert!(a.is_ok() && b.is_ok() && c.is_ok());
    for i in 0..10 {
        wait_for(&app, &format!("k{i}"), |r| r.status == "sent").await;
    }
    let got = sink.received();
    assert_eq!(got.len(), 10, "each message exactly once");
    let mut ids: Vec<&str> = got
        .iter()
        .filter_map(|m| m.data.lines().find(|l| l.starts_with("Message-ID:")))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 10);

    let first = got
        .iter()
        .find(|m| m.to == ["person0@org.example"])
        .unwrap();
    assert_eq!(first.from, "no-reply@connection-portal.invalid");
    assert!(first.data.contains("Subject: Test k0"));
    assert!(first.data.contains("multipart/alternative"));
    assert!(first.data.contains("Content-Type: text/plain"));
    assert!(first.data.contains("Content-Type: text/html"));
    assert!(first.data.contains("Plain words."));
    assert!(first.data.contains(&format!(
        "Message-ID: {}",
        message_id("k0", "connection-portal.invalid")
    )));
    // Sent messages are never picked again.
    assert_eq!(deliver_due(s, &t).await.unwrap(), 0);
    assert_eq!(sink.received().len(), 10);
}

#[tokio::test]
async fn a_server_that_fails_the_first_attempts_gets_the_message_after_backoff() {
    let sink = SmtpSink::start().await;
    sink.fail_next(2);
    let url = sink.url();
    let (app, clock) = spawn_app_with_clock(move |c| c.smtp_url = Some(SecretUrl::new(url))).await;
    let t = transport(&app);
    let s = &app.state.services;
    enqueue(&app, "retry", "sam@org.example").await;

    deliver_due(s, &t).await.unwrap();
    let r = wait_for(&app, "retry", |r| r.attempts == 1).await;
    assert_eq!(r.status, "pending");
    assert!(
        r.last_error
            .as_deref()
            .unwrap_or("")
            .contains("Try again later"),
        "{r:?}"
    );
    assert_eq!(
        r.next_attempt_at,
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 30).unwrap()
    );
    // Not due yet: nothing is tried before the backoff is over.
    deliver_due(s, &t).await.unwrap();
    assert_eq!(row(&app, "retry").await.attempts, 1);
    // A worker holding the row as it was before that attempt cannot claim it (it would try
    // again at once), nor can anyone before the backoff is over.
    let (id, now) = (r.id, clock.now_for_tests());
    let until = now + chrono::Duration::minutes(2);
    assert!(!outbox::claim(&app.db, id, 0, now, until).await.unwrap());
    assert!(!outbox::claim(&app.db, id, 1, now, until).await.unwrap());

    clock.set(Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 30).unwrap());
    deliver_due(s, &t).await.unwrap();
    let r = wait_for(&app, "retry", |r| r.attempts == 2).await;
    assert_eq!(
        r.next_attempt_at,
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 1, 30).unwrap()
    );
    assert!(sink.received().is_empty());

    clock.set(Utc.with_ymd_and_hms(2026, 11, 23, 12, 1, 30).unwrap());
    deliver_due(s, &t).await.unwrap();
    let r = wait_for(&app, "retry", |r| r.status == "sent").await;
    assert_eq!(r.attempts, 3);
    assert_eq!(r.last_error, None);
    assert_eq!(sink.received().len(), 1);
}

#[tokio::test]
async fn a_permanent_refusal_is_not_retried() {
    let sink = SmtpSink::start().await;
    sink.refuse("gone@org.example");
    let url = sink.url();
    let app = spawn_app_with(
        move |c| c.smtp_url = Some(SecretUrl::new(url)),
        axum::Router::new(),
    )
    .await;
    enqueue(&app, "gone", "gone@org.example").await;
    deliver_due(&app.state.services, &transport(&app))
        .await
        .unwrap();
    let r = wait_for(&app, "gone", |r| r.status != "pending").await;
    assert_eq!((r.status.as_str(), r.attempts), ("failed", 1));
    assert!(r.last_error.unwrap_or_default().contains("No such user"));
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn a_worker_that_died_mid_send_leaves_the_message_to_the_next_once_its_claim_runs_out() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let (app, clock) = spawn_app_with_clock(move |c| c.smtp_url = Some(SecretUrl::new(url))).await;
    let t = transport(&app);
    let s = &app.state.services;
    enqueue(&app, "crash", "sam@org.example").await;
    let id = row(&app, "crash").await.id;
    // A worker claimed it and died (or the app's worker did): no one else sends it meanwhile.
    let now = clock.now_for_tests();
    let claimed = outbox::claim(&app.db, id, 0, now, now + chrono::Duration::minutes(2))
        .await
        .unwrap();
    if claimed {
        deliver_due(s, &t).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            sink.received().is_empty(),
            "claimed messages are left alone"
        );
        assert_eq!(row(&app, "crash").await.status, "pending");
        clock.set(now + chrono::Duration::minutes(2));
        deliver_due(s, &t).await.unwrap();
    }
    wait_for(&app, "crash", |r| r.status == "sent").await;
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert!(got[0]
        .data
        .contains(&message_id("crash", "connection-portal.invalid")));
}
