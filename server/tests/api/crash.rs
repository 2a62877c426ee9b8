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

/// After a SIGKILL: SQLite's integrity check, then the portal started again with its clock a
/// day on, so any email claimed at the moment of the kill is past its claim (2 minutes) and goes
/// again now rather than in 2 minutes.
async fn restart_after_kill(
    database: &TestDatabase,
    sink: &SmtpSink,
    keys: &std::path::Path,
) -> Child {
    if database.backend == Backend::Sqlite {
        let path = database.url.trim_start_matches("sqlite://");
        backup::check(std::path::Path::new(path))
            .await
            .expect("integrity_check ok after SIGKILL");
    }
    start(
        &database.url,
        &sink.url(),
        keys,
        &[("PORTAL_CLOCK_OFFSET_DAYS", "1")],
    )
    .await
    .0
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

    let _again = restart_after_kill(&database, &sink, keys.path()).await;

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

/// Organisations named "{prefix} N Pensions", each with a service manager
/// (`{prefix-lowercase}-N@load.example`, with the demo manager's password, so no hashing here)
/// and a vouching scheme "{prefix} N Scheme". Returns each manager's email and scheme.
pub(crate) async fn seed_organisations(db: &Db, prefix: &str, n: usize) -> Vec<(String, i64)> {
    use app::{
        domain::{EmailAddress, OrganisationKind, OrganisationName, PersonName, Role},
        store::{organisations, schemes as scheme_store, users},
    };
    let hash: String = app::on_db!(db, pool => sqlx::query_scalar(
        "SELECT password_hash FROM users WHERE email = 'manager@demo-pensions.example'"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    let now = chrono::Utc::now();
    let mut out = Vec::new();
    for i in 0..n {
        let mut tx = db.begin_write().await.unwrap();
        let org = organisations::insert(
            &mut tx,
            &OrganisationName::parse(&format!("{prefix} {i} Pensions")).unwrap(),
            OrganisationKind::PensionScheme,
            now,
        )
        .await
        .unwrap();
        let email = format!("{}-{i}@load.example", prefix.to_lowercase());
        let user = users::insert(
            &mut tx,
            Some(org),
            &PersonName::parse("Load Manager").unwrap(),
            &EmailAddress::parse(&email).unwrap(),
            &[Role::ServiceManager],
            now,
        )
        .await
        .unwrap();
        users::set_password(&mut tx, user, &hash).await.unwrap();
        let scheme = scheme_store::insert(
            &mut tx,
            org,
            &format!("{prefix} {i} Scheme"),
            "TPR",
            &format!("9{i:07}"),
            true,
            now,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        out.push((email, scheme));
    }
    out
}

/// Sends an OAT request for `scheme` as the signed-in service manager `c`: the three answers,
/// the connection date and the send. Returns the request's id once the portal acknowledged it
/// (sent the browser to its confirmation page).
pub(crate) async fn send_oat(
    c: &reqwest::Client,
    base: &str,
    db: &Db,
    scheme: i64,
    date: &str,
) -> Option<i64> {
    let s = scheme.to_string();
    for q in ["crypto-deployed", "connection-ready", "ready-for-live"] {
        redirected(
            post(
                c,
                base,
                "/api/oat/answer",
                &[("scheme", &s), ("question", q), ("answer", "yes")],
            )
            .await,
        )?;
    }
    redirected(
        post(
            c,
            base,
            "/api/oat/connection-date",
            &[("scheme", &s), ("connection_date", date)],
        )
        .await,
    )?;
    let draft = app::store::oat::draft(db, scheme).await.ok()??;
    let to = redirected(
        post(
            c,
            base,
            "/api/oat/send",
            &[("scheme", &s), ("submission_key", &draft.submission_key)],
        )
        .await,
    )?;
    to.strip_prefix("/requests/")?
        .strip_suffix("/sent")?
        .parse()
        .ok()
}

/// A client signed in to the portal at `base` (a form post, as a browser without JavaScript),
/// or none when the portal did not sign it in (it may have been killed).
pub(crate) async fn sign_in_at(base: &str, email: &str) -> Option<reqwest::Client> {
    let c = client();
    let r = post(
        &c,
        base,
        "/api/auth/sign-in",
        &[("email", email), ("password", PASSWORD), ("next", "")],
    )
    .await;
    redirected(r).map(|_| c)
}

pub(crate) async fn post(
    c: &reqwest::Client,
    base: &str,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Result<reqwest::Response> {
    c.post(format!("{base}{path}"))
        .header("sec-fetch-site", "same-origin")
        .header("accept", "text/html")
        .form(form)
        .send()
        .await
}

/// Where a form post sent the browser, when it answered with a redirect.
pub(crate) fn redirected(r: reqwest::Result<reqwest::Response>) -> Option<String> {
    r.ok()
        .filter(|r| r.status() == StatusCode::FOUND)
        .map(|r| location(&r))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn oat_requests_and_staff_outcomes_killed_mid_load_are_each_there_once() {
    const ORGANISATIONS: usize = 24;
    let database = TestDatabase::create().await;
    let sink = SmtpSink::start().await;
    let keys = tempfile::tempdir().unwrap();
    let (mut portal, address) = start(&database.url, &sink.url(), keys.path(), &[]).await;
    let db = Db::connect(&database.url, &Default::default())
        .await
        .unwrap();

    let schemes = seed_organisations(&db, "Kill", ORGANISATIONS).await;

    // Three service-manager clients send OAT requests while a member of staff books and passes
    // each one sent, until the portal dies.
    let sent = Arc::new(Mutex::new(Vec::<(i64, i64)>::new())); // (scheme, request)
    let passed = Arc::new(Mutex::new(Vec::<i64>::new()));
    let date = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
    let test_date = (chrono::Utc::now().date_naive() + chrono::Duration::days(10)).to_string();
    let managers: Vec<_> = (0..3)
        .map(|w| {
            let mine: Vec<(String, i64)> = schemes.iter().skip(w).step_by(3).cloned().collect();
            let (base, sent, db, date) = (address.clone(), sent.clone(), db.clone(), date.clone());
            tokio::spawn(async move {
                for (email, scheme) in mine {
                    let Some(c) = sign_in_at(&base, &email).await else {
                        return;
                    };
                    let Some(id) = send_oat(&c, &base, &db, scheme, &date).await else {
                        return;
                    };
                    sent.lock().unwrap().push((scheme, id));
                }
            })
        })
        .collect();
    let staff = {
        let (base, sent, passed) = (address.clone(), sent.clone(), passed.clone());
        let test_date = test_date.clone();
        tokio::spawn(async move {
            let c = sign_in_at(&base, "staff@pdp.example")
                .await
                .expect("staff sign in before the kill");
            let mut done = 0;
            loop {
                let next = sent.lock().unwrap().get(done).copied();
                let Some((_, id)) = next else {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                };
                done += 1;
                let ids = id.to_string();
                let booked = redirected(
                    post(
                        &c,
                        &base,
                        "/api/staff/requests/schedule",
                        &[
                            ("id", &ids),
                            ("version", "1"),
                            ("test_date", test_date.as_str()),
                            ("test_time", "10am"),
                            ("note", ""),
                        ],
                    )
                    .await,
                );
                if booked.as_deref() != Some(&format!("/staff/requests/{id}")) {
                    return;
                }
                let pass = redirected(
                    post(
                        &c,
                        &base,
                        "/api/staff/requests/outcome",
                        &[("id", &ids), ("version", "2"), ("outcome", "passed")],
                    )
                    .await,
                );
                if pass.as_deref() != Some(&format!("/staff/requests/{id}/go-live")) {
                    return;
                }
                passed.lock().unwrap().push(id);
            }
        })
    };
    let started = std::time::Instant::now();
    while sent.lock().unwrap().len() < 10 || passed.lock().unwrap().len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "load did not get going"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    portal.start_kill().expect("SIGKILL");
    portal.wait().await.unwrap();
    for m in managers {
        m.await.unwrap();
    }
    staff.await.unwrap();
    let sent = sent.lock().unwrap().clone();
    let passed = passed.lock().unwrap().clone();

    let _again = restart_after_kill(&database, &sink, keys.path()).await;

    // Every request there is whole: its timeline entry, audit row and email; one per scheme.
    let rows: Vec<(i64, i64, String, i64, i64, i64, i64)> = app::on_db!(&db, pool => sqlx::query_as(
        "SELECT r.id, r.scheme_id, r.status, \
         (SELECT COUNT(*) FROM oat_request_events e WHERE e.request_id = r.id AND e.event = 'Request sent'), \
         (SELECT COUNT(*) FROM audit_events a WHERE a.organisation_id = r.organisation_id AND a.action = 'oat_requested'), \
         (SELECT COUNT(*) FROM outbox m JOIN users u ON u.email = m.recipient WHERE u.organisation_id = r.organisation_id \
          AND m.subject LIKE 'We have your request%'), \
         (SELECT COUNT(*) FROM oat_requests o WHERE o.scheme_id = r.scheme_id) \
         FROM oat_requests r JOIN schemes s ON s.id = r.scheme_id WHERE s.name LIKE 'Kill %'"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    for (id, scheme, status, events, audits, emails, per_scheme) in &rows {
        assert_eq!(
            (*events, *audits, *emails, *per_scheme),
            (1, 1, 1, 1),
            "request {id} of scheme {scheme} ({status}): timeline, audit, email, requests of the scheme"
        );
    }
    for (scheme, id) in &sent {
        assert!(
            rows.iter().any(|r| r.0 == *id && r.1 == *scheme),
            "request {id} was acknowledged but is not there"
        );
    }
    // Every acknowledged outcome stands, with its timeline entries, audit rows and email.
    let outcomes: Vec<(i64, String, i64, i64, i64)> = app::on_db!(&db, pool => sqlx::query_as(
        "SELECT r.id, r.status, \
         (SELECT COUNT(*) FROM oat_request_events e WHERE e.request_id = r.id AND e.event = 'Connectivity test 1 passed'), \
         (SELECT COUNT(*) FROM audit_events a WHERE a.organisation_id = r.organisation_id AND a.action = 'oat_passed'), \
         (SELECT COUNT(*) FROM outbox m JOIN users u ON u.email = m.recipient WHERE u.organisation_id = r.organisation_id \
          AND m.subject LIKE 'Operational acceptance testing passed (%') \
         FROM oat_requests r JOIN schemes s ON s.id = r.scheme_id WHERE s.name LIKE 'Kill %'"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    for (id, status, events, audits, emails) in &outcomes {
        let expected = if status == "passed" { 1 } else { 0 };
        assert_eq!(
            (*events, *audits, *emails),
            (expected, expected, expected),
            "request {id} ({status}): the pass's timeline entry, audit row and email"
        );
    }
    for id in &passed {
        assert!(
            outcomes
                .iter()
                .any(|(r, status, ..)| r == id && status == "passed"),
            "the pass of request {id} was acknowledged but is not there"
        );
    }
    println!(
        "crash, OAT ({:?}): {} requests sent and {} passes acknowledged before SIGKILL; {} requests and {} passes in the database after, each whole",
        database.backend,
        sent.len(),
        passed.len(),
        rows.len(),
        outcomes.iter().filter(|o| o.1 == "passed").count(),
    );
    db.close().await;
}
