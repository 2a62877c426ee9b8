//! The points a security review found, each shown closed: tokens kept out of logs, the
//! connectivity queue and its limits under parallel requests, email bodies only in demo mode, the
//! portal's own request ids in audit rows, and endpoint errors that do not map the network.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use app::{
    api::connectivity::ssr::{queue, Gate, Queued},
    domain::{OrganisationKind, OrganisationName},
    store::{
        audit::{AuditAction, AuditFilter},
        connectivity::{self as runs, NewRun, RunKind},
        organisations, Db,
    },
};
use reqwest::StatusCode;

use crate::helpers::{location, spawn_app, spawn_app_with, TestApp, TestDatabase, MANAGER, STAFF};

/// Log lines written while the guard lives (on this thread: the test's runtime runs the portal).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn invitation_tokens_never_reach_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = spawn_app().await;
    let token = "tok3n-that-must-stay-secret-0123456789";
    let r = app.get(&format!("/invitation/{token}")).await;
    assert!(r.status().is_success() || r.status().is_client_error());
    // A refused cross-site post to the same path is logged too.
    let refused = app
        .client
        .post(app.url(&format!("/invitation/{token}")))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let logs = captured.text();
    assert!(
        logs.contains("/invitation/[redacted]"),
        "the request was logged: {logs}"
    );
    assert!(!logs.contains(token), "{logs}");
}

async fn manager_organisation(app: &TestApp) -> i64 {
    app.credentials(MANAGER)
        .await
        .organisation_id
        .expect("the manager's organisation")
}

/// An endpoint that accepts connections and never answers, so a run against it stays open.
async fn silent_endpoint() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}/find",
        listener.local_addr().unwrap().port()
    );
    (listener, url)
}

fn run<'a>(org: i64, kind: RunKind, url: &'a str) -> NewRun<'a> {
    NewRun {
        organisation_id: org,
        request_id: None,
        kind,
        target_url: url,
        profile: "default",
        requested_by: None,
    }
}

#[tokio::test]
async fn one_readiness_check_per_organisation_however_often_the_endpoint_changes() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let org = manager_organisation(&app).await;
    let (_a, first) = silent_endpoint().await;
    let (_b, second) = silent_endpoint().await;
    let services = &app.state.services;
    let Queued::New(id) = queue(
        services,
        &run(org, RunKind::Readiness, &first),
        Gate::OneOpen,
        None,
    )
    .await
    .unwrap() else {
        panic!("the first check is queued");
    };
    for url in [&second, &first, &second] {
        let again = queue(
            services,
            &run(org, RunKind::Readiness, url),
            Gate::OneOpen,
            None,
        )
        .await
        .unwrap();
        assert_eq!(again, Queued::Open(id), "the open check is reused");
    }
    let open = runs::recent(&app.db, org, RunKind::Readiness, 10)
        .await
        .unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
}

#[tokio::test]
async fn staff_official_tests_are_taken_before_organisations_own_checks() {
    let database = TestDatabase::create().await;
    let db = Db::connect(&database.url, &Default::default())
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let now = chrono::Utc::now();
    let mut tx = db.begin_write().await.unwrap();
    let name = OrganisationName::parse("Queue Order Pensions").unwrap();
    let org = organisations::insert(&mut tx, &name, OrganisationKind::PensionScheme, now)
        .await
        .unwrap();
    let url = "https://pensions.example/find";
    let mut ids = Vec::new();
    for kind in [
        RunKind::Readiness,
        RunKind::DryRun,
        RunKind::Readiness,
        RunKind::Official,
    ] {
        ids.push(
            runs::insert(&mut tx, &run(org, kind, url), now)
                .await
                .unwrap(),
        );
    }
    tx.commit().await.unwrap();
    let order: Vec<i64> = runs::queued(&db, 10)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(order, vec![ids[3], ids[0], ids[1], ids[2]]);
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_dry_runs_start_one_run() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let org = manager_organisation(&app).await;
    let c = app.signed_in(MANAGER).await;
    let (_silent, url) = silent_endpoint().await;
    let r = app
        .post_form(&c, "/api/connectivity/endpoint/save", &[("url", &url)])
        .await;
    assert_eq!(location(&r), "/organisation/endpoint");
    let posts = (0..12).map(|_| {
        let (app_url, c) = (app.url("/api/connectivity/dry-run"), c.clone());
        tokio::spawn(async move {
            c.post(app_url)
                .header("sec-fetch-site", "same-origin")
                .header("accept", "text/html")
                .send()
                .await
                .unwrap()
                .status()
        })
    });
    for status in futures::future::join_all(posts).await {
        assert_eq!(status.unwrap(), StatusCode::FOUND);
    }
    let dry_runs = runs::recent(&app.db, org, RunKind::DryRun, 50)
        .await
        .unwrap();
    assert_eq!(
        dry_runs.len(),
        1,
        "one run, the rest sent to it: {dry_runs:?}"
    );
    assert_eq!(app.audit_count(AuditAction::DryRunStarted).await, 1);
}

#[tokio::test]
async fn the_endpoint_changes_ten_times_an_hour_at_most() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let c = app.signed_in(MANAGER).await;
    for i in 0..10 {
        let url = format!("https://127.0.0.1:{}/find", 9000 + i);
        app.post_form(&c, "/api/connectivity/endpoint/save", &[("url", &url)])
            .await;
        let page = app.page_text(&c, "/organisation/endpoint").await;
        assert!(
            page.contains("Your live find endpoint has been saved"),
            "{i}: {page}"
        );
    }
    let r = app
        .post_form(
            &c,
            "/api/connectivity/endpoint/save",
            &[("url", "https://127.0.0.1:9010/find")],
        )
        .await;
    assert_eq!(location(&r), "/organisation/endpoint");
    let page = app.page_text(&c, "/organisation/endpoint").await;
    assert!(
        page.contains(
            "You have changed your endpoint 10 times in the last hour. You can change it again at"
        ),
        "{page}"
    );
    assert_eq!(app.audit_count(AuditAction::FindEndpointChanged).await, 10);
    let org = manager_organisation(&app).await;
    let (saved, _) = runs::endpoint(&app.db, org).await.unwrap().unwrap();
    assert_eq!(saved, "https://127.0.0.1:9009/find", "nothing changed");
}

#[tokio::test]
async fn email_bodies_are_shown_to_staff_only_in_demo_mode() {
    let app = spawn_app_with(|c| c.show_emails = false, axum::Router::new()).await;
    app.seed_accounts().await;
    let staff = app.signed_in(STAFF).await;
    let queue = app.page_text(&staff, "/staff").await;
    assert!(queue.contains("Audit log"), "{queue}");
    assert!(
        !queue.contains("/staff/emails"),
        "no link to a page that is not there"
    );
    let r = staff.get(app.url("/staff/emails")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app.post_form(&staff, "/api/staff/emails", &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn audit_rows_carry_the_portals_own_request_id() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let c = crate::helpers::client();
    let r = c
        .post(app.url("/api/auth/sign-in"))
        .header("sec-fetch-site", "same-origin")
        .header("accept", "text/html")
        .header("x-request-id", "chosen-by-the-client")
        .form(&[
            ("email", MANAGER),
            ("password", crate::helpers::PASSWORD),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let ours = r
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("the portal's id")
        .to_string();
    assert_ne!(ours, "chosen-by-the-client");
    let filter = AuditFilter {
        action: Some(AuditAction::SignInSucceeded),
        ..Default::default()
    };
    let rows = app::store::audit::list(&app.db, &filter, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].request_id.as_deref(), Some(ours.as_str()));
}

#[tokio::test]
async fn a_refused_endpoint_address_is_not_named() {
    let app = spawn_app_with(
        |c| c.connectivity.policy = app::domain::endpoint::AddressPolicy::default(),
        axum::Router::new(),
    )
    .await;
    app.seed_accounts().await;
    let c = app.signed_in(MANAGER).await;
    let r = app
        .post_form(
            &c,
            "/api/connectivity/endpoint/save",
            &[("url", "https://localhost:8443/find")],
        )
        .await;
    assert_eq!(location(&r), "/organisation/endpoint");
    let page = app.page_text(&c, "/organisation/endpoint").await;
    assert!(
        page.contains("localhost resolves to an address that is not allowed"),
        "{page}"
    );
    for named in ["resolves to 127.0.0.1", "resolves to ::1", "loopback"] {
        assert!(!page.contains(named), "{named}: {page}");
    }
    let org = manager_organisation(&app).await;
    assert!(
        runs::endpoint(&app.db, org).await.unwrap().is_none(),
        "nothing saved"
    );
}
