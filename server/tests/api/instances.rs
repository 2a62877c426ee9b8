//! Two portals on one database, started together (both apply migrations at once), with nothing
//! in front: a session made on one is valid on the other, the sign-in lockout counts failures
//! on both, and with writes spread over both every email is sent exactly once (both outbox
//! workers compete for the same queue; a real SMTP server on loopback counts what arrives).

use std::{collections::HashMap, time::Duration};

use reqwest::StatusCode;

use crate::{
    crash::{
        post as crash_post, redirected, seed_organisations, send_oat, sign_in_at, start, PASSWORD,
    },
    helpers::{client, location, TestDatabase, ADMIN, MANAGER},
    smtp_sink::SmtpSink,
};

async fn post(c: &reqwest::Client, url: String, form: &[(&str, &str)]) -> reqwest::Response {
    c.post(url)
        .header("sec-fetch-site", "same-origin")
        .header("accept", "text/html")
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_sessions_the_lockout_and_send_each_email_once() {
    let database = TestDatabase::create().await;
    let sink = SmtpSink::start().await;
    let keys = tempfile::tempdir().unwrap();
    // Started together: one seeds the demo accounts, the other serves the same database.
    let other = [
        ("PORTAL_DEMO", "false"),
        ("PORTAL_STAFF_SECOND_FACTOR", "optional"),
    ];
    let smtp = sink.url();
    let ((_a, a), (_b, b)) = tokio::join!(
        start(&database.url, &smtp, keys.path(), &[]),
        start(&database.url, &smtp, keys.path(), &other),
    );

    // A session made on one instance is good on the other.
    let admin = client();
    let r = post(
        &admin,
        format!("{a}/api/auth/sign-in"),
        &[("email", ADMIN), ("password", PASSWORD), ("next", "")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let on_b = admin
        .get(format!("{b}/admin/organisations"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        on_b.status(),
        StatusCode::OK,
        "signed in on the other instance too"
    );

    // Writes spread over both: an organisation and an invitation each, alternating.
    let mut invited = Vec::new();
    for i in 0..24 {
        let base = if i % 2 == 0 { &a } else { &b };
        let name = format!("Pair {i} Ltd");
        let r = post(
            &admin,
            format!("{base}/api/admin/organisations/create"),
            &[("name", &name), ("kind", "pension_scheme")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::FOUND, "{name}");
        let page = location(&r);
        let id = page.trim_start_matches("/admin/organisations/").to_string();
        let email = format!("pair-{i}@load.example");
        let other_base = if i % 2 == 0 { &b } else { &a };
        let r = post(
            &admin,
            format!("{other_base}/api/admin/users/invite"),
            &[
                ("organisation", &id),
                ("name", "Pair Manager"),
                ("email", &email),
                ("role_service_manager", "yes"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::FOUND, "{email}");
        invited.push(email);
    }

    // The lockout counts failures on both: five wrong passwords on each instance lock the
    // account, and then the right one is refused on both.
    for i in 0..10 {
        let base = if i % 2 == 0 { &a } else { &b };
        let r = post(
            &client(),
            format!("{base}/api/auth/sign-in"),
            &[
                ("email", MANAGER),
                ("password", "not the password"),
                ("next", ""),
            ],
        )
        .await;
        assert_eq!(location(&r), "/sign-in");
    }
    for base in [&a, &b] {
        let r = post(
            &client(),
            format!("{base}/api/auth/sign-in"),
            &[("email", MANAGER), ("password", PASSWORD), ("next", "")],
        )
        .await;
        assert_eq!(location(&r), "/sign-in", "locked on {base}");
    }

    // Every invitation email arrives, and exactly once.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let counts = loop {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for m in sink.received() {
            for to in m.to {
                *counts.entry(to).or_default() += 1;
            }
        }
        if invited.iter().all(|e| counts.contains_key(e)) || std::time::Instant::now() > deadline {
            break counts;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for email in &invited {
        assert_eq!(counts.get(email), Some(&1), "{email} sent exactly once");
    }
    println!(
        "instances ({:?}): a session from one valid on the other; lockout across both; {} invitation emails each sent once",
        database.backend,
        invited.len()
    );
}

/// A fresh database (with a pool of the test's own), a real SMTP server on loopback and a keys
/// directory for the portals to share.
struct Setting {
    database: TestDatabase,
    sink: SmtpSink,
    keys: tempfile::TempDir,
    db: app::store::Db,
}

async fn setting() -> Setting {
    let database = TestDatabase::create().await;
    let db = app::store::Db::connect(&database.url, &Default::default())
        .await
        .unwrap();
    Setting {
        database,
        sink: SmtpSink::start().await,
        keys: tempfile::tempdir().unwrap(),
        db,
    }
}

/// Schemes whose go-live date has come, with two instances started together (each runs the
/// go-live job as it starts, and again every few seconds): each scheme goes live once, with one
/// timeline entry, one audit row and one "is live" email to its service manager, delivered once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_make_each_scheme_live_once() {
    const SCHEMES: usize = 12;
    let Setting {
        database,
        sink,
        keys,
        db,
    } = setting().await;
    let smtp = sink.url();

    // First, one portal: each organisation sends its request and staff pass it and confirm
    // the requested connection date as the go-live date.
    let (mut first, base) = start(&database.url, &smtp, keys.path(), &[]).await;
    let managers = seed_organisations(&db, "Live", SCHEMES).await;
    let date = (chrono::Utc::now().date_naive() + chrono::Duration::days(10)).to_string();
    let staff = sign_in_at(&base, "staff@pdp.example")
        .await
        .expect("staff sign in");
    let mut requests = Vec::new();
    for (email, scheme) in &managers {
        let c = sign_in_at(&base, email).await.expect("manager signs in");
        let id = send_oat(&c, &base, &db, *scheme, &date)
            .await
            .expect("request sent");
        let ids = id.to_string();
        for (path, form) in [
            (
                "/api/staff/requests/schedule",
                vec![
                    ("version", "1"),
                    ("test_date", date.as_str()),
                    ("test_time", "10am"),
                    ("note", ""),
                ],
            ),
            (
                "/api/staff/requests/outcome",
                vec![("version", "2"), ("outcome", "passed")],
            ),
            (
                "/api/staff/requests/go-live",
                vec![("version", "3"), ("which", "requested")],
            ),
        ] {
            let mut form = form;
            form.push(("id", &ids));
            assert!(
                redirected(crash_post(&staff, &base, path, &form).await).is_some(),
                "{path}"
            );
        }
        requests.push(id);
    }
    first.start_kill().unwrap();
    first.wait().await.unwrap();

    // Then two, 60 days on, started together.
    let ahead = [("PORTAL_CLOCK_OFFSET_DAYS", "60")];
    let other = [
        ("PORTAL_CLOCK_OFFSET_DAYS", "60"),
        ("PORTAL_DEMO", "false"),
        ("PORTAL_STAFF_SECOND_FACTOR", "optional"),
    ];
    let ((_a, _), (_b, _)) = tokio::join!(
        start(&database.url, &smtp, keys.path(), &ahead),
        start(&database.url, &smtp, keys.path(), &other),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let live: i64 = app::on_db!(&db, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM schemes WHERE name LIKE 'Live %' AND status = 'live'"
        )
        .fetch_one(pool)
        .await)
        .unwrap();
        if live == SCHEMES as i64 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{live} of {SCHEMES} live after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rows: Vec<(i64, String, i64, i64, i64)> = app::on_db!(&db, pool => sqlx::query_as(
        "SELECT r.id, r.status, \
         (SELECT COUNT(*) FROM oat_request_events e WHERE e.request_id = r.id AND e.event = 'Scheme live'), \
         (SELECT COUNT(*) FROM audit_events a WHERE a.organisation_id = r.organisation_id AND a.action = 'scheme_went_live'), \
         (SELECT COUNT(*) FROM outbox m JOIN users u ON u.email = m.recipient \
          WHERE u.organisation_id = r.organisation_id AND m.subject LIKE '% is live') \
         FROM oat_requests r JOIN schemes s ON s.id = r.scheme_id WHERE s.name LIKE 'Live %'"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    assert_eq!(rows.len(), SCHEMES);
    for (id, status, events, audits, emails) in &rows {
        assert_eq!(
            (status.as_str(), *events, *audits, *emails),
            ("live", 1, 1, 1),
            "request {id}: status, timeline entries, audit rows, emails"
        );
    }
    // Each "is live" email reaches the SMTP server once.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let counts = loop {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for m in sink.received() {
            if m.data.contains(" is live") {
                for to in m.to {
                    *counts.entry(to).or_default() += 1;
                }
            }
        }
        if managers.iter().all(|(e, _)| counts.contains_key(e))
            || std::time::Instant::now() > deadline
        {
            break counts;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for (email, _) in &managers {
        assert_eq!(
            counts.get(email),
            Some(&1),
            "{email}: one \"is live\" email"
        );
    }
    println!(
        "instances ({:?}): {} schemes made live by two instances started together, each once (timeline, audit, email)",
        database.backend,
        rows.len()
    );
    db.close().await;
}

/// Official connectivity runs started on either of two instances, whose workers both take runs
/// from the one queue: each run is executed once (one attempt, one find request at the
/// endpoint), whichever instance's worker claims it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_execute_each_connectivity_run_once() {
    const RUNS: usize = 8;
    let Setting {
        database,
        sink,
        keys,
        db,
    } = setting().await;
    let smtp = sink.url();
    // A find endpoint with a certificate from a CA both portals are told to trust.
    let ca = server::connectivity::identity::DevCa::generate("Instances test CA").unwrap();
    let trust = keys.path().join("find-trust.pem");
    std::fs::write(&trust, &ca.cert_pem).unwrap();
    let issued = ca
        .issue_server(&["127.0.0.1"], (2024, 1, 1), (2044, 1, 1))
        .unwrap();
    let sim = simulator::start(simulator::SimulatorOptions {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        tls: simulator::ServerTls::Pem {
            cert_chain_pem: issued.cert_pem,
            key_pem: issued.key_pem,
        },
        answer: simulator::Answer::Accepted,
        ..Default::default()
    })
    .await
    .unwrap();
    let endpoint = format!("https://{}", sim.local_addr());
    let trust = trust.to_string_lossy().to_string();

    let a_env = [("PORTAL_FIND_TRUST", trust.as_str())];
    let (_a, a) = start(&database.url, &smtp, keys.path(), &a_env).await;
    let b_env = [
        ("PORTAL_FIND_TRUST", trust.as_str()),
        ("PORTAL_DEMO", "false"),
        ("PORTAL_STAFF_SECOND_FACTOR", "optional"),
    ];
    let (_b, b) = start(&database.url, &smtp, keys.path(), &b_env).await;

    // Each organisation records its endpoint and sends its request; staff book the test.
    let managers = seed_organisations(&db, "Run", RUNS).await;
    let date = (chrono::Utc::now().date_naive() + chrono::Duration::days(10)).to_string();
    let staff = sign_in_at(&a, "staff@pdp.example")
        .await
        .expect("staff sign in");
    let mut requests = Vec::new();
    for (i, (email, scheme)) in managers.iter().enumerate() {
        let c = sign_in_at(&a, email).await.expect("manager signs in");
        let url = format!("{endpoint}/run-{i}/find-requests");
        let saved = redirected(
            crash_post(&c, &a, "/api/connectivity/endpoint/save", &[("url", &url)]).await,
        );
        assert_eq!(saved.as_deref(), Some("/organisation/endpoint"));
        let id = send_oat(&c, &a, &db, *scheme, &date)
            .await
            .expect("request sent");
        let ids = id.to_string();
        let booked = redirected(
            crash_post(
                &staff,
                &a,
                "/api/staff/requests/schedule",
                &[
                    ("id", &ids),
                    ("version", "1"),
                    ("test_date", &date),
                    ("test_time", "10am"),
                    ("note", ""),
                ],
            )
            .await,
        );
        assert_eq!(booked, Some(format!("/staff/requests/{id}")));
        requests.push(id);
    }
    // Staff start the runs, on one instance and then the other.
    for (i, id) in requests.iter().enumerate() {
        let base = if i % 2 == 0 { &a } else { &b };
        let to = redirected(
            crash_post(
                &staff,
                base,
                "/api/staff/requests/connectivity-test",
                &[("id", &id.to_string())],
            )
            .await,
        );
        assert!(
            to.is_some_and(|p| p.starts_with("/connectivity/runs/")),
            "run {i} started"
        );
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let runs: Vec<(i64, String, i64)> = loop {
        let runs: Vec<(i64, String, i64)> = app::on_db!(&db, pool => sqlx::query_as(
            "SELECT r.id, r.status, (SELECT COUNT(*) FROM connectivity_attempts a WHERE a.run_id = r.id) \
             FROM connectivity_runs r WHERE r.kind = 'official'"
        )
        .fetch_all(pool)
        .await)
        .unwrap();
        if runs.len() == RUNS && runs.iter().all(|(_, s, _)| s != "queued" && s != "running") {
            break runs;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "runs not finished after 60 s: {runs:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for (id, status, attempts) in &runs {
        assert_eq!(
            (status.as_str(), *attempts),
            ("passed", 1),
            "run {id}: status and attempts"
        );
    }
    // The endpoint saw one find request per run, each with that run's X-Request-ID.
    let seen: Vec<String> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/find-requests"))
        .filter_map(|r| r.request_id)
        .collect();
    let recorded: Vec<String> = app::on_db!(&db, pool => sqlx::query_scalar(
        "SELECT x_request_id FROM connectivity_attempts ORDER BY x_request_id"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    let mut seen_sorted = seen.clone();
    seen_sorted.sort();
    assert_eq!(
        seen_sorted, recorded,
        "one find request per run at the endpoint"
    );
    println!(
        "instances ({:?}): {} official runs started on two instances, each executed once ({} find requests at the endpoint)",
        database.backend,
        runs.len(),
        seen.len()
    );
    db.close().await;
}
