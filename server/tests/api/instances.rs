//! Two portals on one database, started together (both apply migrations at once), with nothing
//! in front: a session made on one is valid on the other, the sign-in lockout counts failures
//! on both, and with writes spread over both every email is sent exactly once (both outbox
//! workers compete for the same queue; a real SMTP server on loopback counts what arrives).

use std::{collections::HashMap, time::Duration};

use reqwest::StatusCode;

use crate::{
    crash::{start, PASSWORD},
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
