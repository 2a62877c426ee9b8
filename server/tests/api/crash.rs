//! The portal killed with SIGKILL in the middle of a load of writes, then started again: every
//! write that was acknowledged is there exactly once, nothing is half-written (an organisation
//! without its audit row, an invitation without its email), SQLite's integrity check passes, and
//! the outbox sends what was queued, each email once (a repeat after a crash would carry the
//! same Message-ID, which mail systems drop).

use std::{
    collections::HashMap,
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use app::store::{backup, Backend, Db};
use reqwest::StatusCode;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use crate::{
    helpers::{client, location, site_root, TestDatabase, ADMIN},
    smtp_sink::SmtpSink,
};

pub(crate) const PASSWORD: &str = "crash test password 7";

/// The real `portal` binary on `database`, in demo mode (for the admin account); returns the
/// process and its address once it says where it listens.
pub(crate) async fn start(
    database: &str,
    smtp: &str,
    keys: &std::path::Path,
    env: &[(&str, &str)],
) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portal"));
    command
        .env("DATABASE_URL", database)
        .env("PORTAL_LISTEN", "127.0.0.1:0")
        .env("PORTAL_DEMO", "true")
        .env("PORTAL_DEMO_PASSWORD", PASSWORD)
        .env("PORTAL_SIGN_IN_BURST", "1000")
        .env("PORTAL_SMTP_URL", smtp)
        .env("PORTAL_KEYS_DIR", keys)
        .env("PORTAL_READINESS_CHECKS", "false")
        .env("LEPTOS_SITE_ROOT", site_root())
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("start the portal binary");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let address = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            if let Some(addr) = line.strip_prefix("Portal listening on ") {
                return addr.trim().to_string();
            }
        }
        panic!("the portal exited before listening");
    })
    .await
    .expect("the portal listens within 60 s");
    // Keep reading stdout so the portal never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, address)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_portal_killed_under_load_loses_and_doubles_nothing_it_acknowledged() {
    let database = TestDatabase::create().await;
    let sink = SmtpSink::start().await;
    let keys = tempfile::tempdir().unwrap();
    let (mut portal, address) = start(&database.url, &sink.url(), keys.path(), &[]).await;

    let admin = client();
    let r = admin
        .post(format!("{address}/api/auth/sign-in"))
        .header("sec-fetch-site", "same-origin")
        .header("accept", "text/html")
        .form(&[("email", ADMIN), ("password", PASSWORD), ("next", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND, "the admin signs in");

    // Three clients each add organisations and invite a service manager to each, until the
    // portal dies (at most 80 each).
    let acknowledged_orgs = Arc::new(Mutex::new(Vec::<String>::new()));
    let acknowledged_invites = Arc::new(Mutex::new(Vec::<String>::new()));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (c, base) = (admin.clone(), address.clone());
            let (orgs, invites) = (acknowledged_orgs.clone(), acknowledged_invites.clone());
            tokio::spawn(async move {
                for i in 0..80 {
                    let name = format!("Crash {w}-{i} Ltd");
                    let Ok(r) = c
                        .post(format!("{base}/api/admin/organisations/create"))
                        .header("sec-fetch-site", "same-origin")
                        .header("accept", "text/html")
                        .form(&[("name", name.as_str()), ("kind", "pension_scheme")])
                        .send()
                        .await
                    else {
                        return;
                    };
                    if r.status() != StatusCode::FOUND {
                        return;
                    }
                    let page = location(&r);
                    orgs.lock().unwrap().push(name);
                    let Some(id) = page.strip_prefix("/admin/organisations/") else {
                        return;
                    };
                    let email = format!("crash-{w}-{i}@load.example");
                    let Ok(r) = c
                        .post(format!("{base}/api/admin/users/invite"))
                        .header("sec-fetch-site", "same-origin")
                        .header("accept", "text/html")
                        .form(&[
                            ("organisation", id),
                            ("name", "Crash Manager"),
                            ("email", email.as_str()),
                            ("role_service_manager", "yes"),
                        ])
                        .send()
                        .await
                    else {
                        return;
                    };
                    if r.status() == StatusCode::FOUND {
                        invites.lock().unwrap().push(email);
                    }
                }
            })
        })
        .collect();
    let started = std::time::Instant::now();
    while acknowledged_invites.lock().unwrap().len() < 20 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "load did not start"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    portal.start_kill().expect("SIGKILL");
    portal.wait().await.unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let orgs = acknowledged_orgs.lock().unwrap().clone();
    let invites = acknowledged_invites.lock().unwrap().clone();

    if database.backend == Backend::Sqlite {
        let path = database.url.trim_start_matches("sqlite://");
        backup::check(std::path::Path::new(path))
            .await
            .expect("integrity_check ok after SIGKILL");
    }
    // Started again with its clock a day on, so any email claimed at the moment of the kill is
    // past its claim (2 minutes) and goes again now rather than in 2 minutes.
    let (_again, _) = start(
        &database.url,
        &sink.url(),
        keys.path(),
        &[("PORTAL_CLOCK_OFFSET_DAYS", "1")],
    )
    .await;

    let db = Db::connect(&database.url, &Default::default())
        .await
        .unwrap();
    let rows: Vec<(String, i64)> = app::on_db!(&db, pool => sqlx::query_as(
        "SELECT o.name, (SELECT COUNT(*) FROM audit_events a WHERE a.organisation_id = o.id \
         AND a.action = 'organisation_created') FROM organisations o WHERE o.name LIKE 'Crash %'"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    let by_name: HashMap<&str, i64> = rows.iter().map(|(n, a)| (n.as_str(), *a)).collect();
    for name in &orgs {
        assert!(
            by_name.contains_key(name.as_str()),
            "acknowledged but lost: {name}"
        );
    }
    assert_eq!(by_name.len(), rows.len(), "no organisation twice");
    assert!(
        rows.iter().all(|(_, audits)| *audits == 1),
        "each with one audit row: {rows:?}"
    );
    let emails: Vec<(String, i64)> = app::on_db!(&db, pool => sqlx::query_as(
        "SELECT u.email, (SELECT COUNT(*) FROM outbox m WHERE m.recipient = u.email) \
         FROM users u WHERE u.email LIKE 'crash-%'"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    let invited: HashMap<&str, i64> = emails.iter().map(|(e, n)| (e.as_str(), *n)).collect();
    for email in &invites {
        assert_eq!(
            invited.get(email.as_str()),
            Some(&1),
            "{email}: one invitation email queued"
        );
    }
    assert!(
        emails.iter().all(|(_, n)| *n == 1),
        "no user without (or with two) emails: {emails:?}"
    );

    // The outbox picks up where it was: every queued invitation reaches the SMTP server.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let received = loop {
        let received = sink.received();
        let delivered = emails
            .iter()
            .all(|(e, _)| received.iter().any(|m| m.to.iter().any(|t| t == e)));
        if delivered || std::time::Instant::now() > deadline {
            break received;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut per_recipient: HashMap<&str, Vec<&str>> = HashMap::new();
    for m in &received {
        for to in &m.to {
            let id = m
                .data
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                .unwrap_or("");
            per_recipient.entry(to.as_str()).or_default().push(id);
        }
    }
    for (email, _) in &emails {
        let ids = per_recipient
            .get(email.as_str())
            .cloned()
            .unwrap_or_default();
        assert!(!ids.is_empty(), "{email}: never sent after the restart");
        assert!(
            ids.iter().all(|id| *id == ids[0]),
            "{email}: sent twice under different Message-IDs: {ids:?}"
        );
    }
    let repeats = emails
        .iter()
        .filter(|(e, _)| per_recipient.get(e.as_str()).is_some_and(|v| v.len() > 1))
        .count();
    println!(
        "crash ({:?}): {} organisations and {} invitations acknowledged before SIGKILL; {} organisations and {} invitation emails in the database after; {} sent again with the same Message-ID",
        database.backend,
        orgs.len(),
        invites.len(),
        rows.len(),
        emails.len(),
        repeats
    );
    db.close().await;
}
