//! Programme staff's review of OAT requests, on the running app, on both databases: every action
//! allowed and refused by state, the two-staff race, changes of date, re-tests, the go-live job,
//! the queue and its CSV.

use app::store::{audit::AuditAction, oat, outbox, review, schemes};
use chrono::{TimeZone, Utc};
use reqwest::{header, StatusCode};

use crate::helpers::{
    location, spawn_app, spawn_app_with, spawn_app_with_clock, TestApp, MANAGER, STAFF,
};

/// A form's fields.
type Form<'a> = Vec<(&'a str, &'a str)>;

pub(crate) async fn demo_scheme(app: &TestApp) -> i64 {
    schemes::list_for_organisation(&app.db, 1).await.unwrap()[0].id
}

/// Sends a request for the demo vouching scheme as the manager; returns its id.
pub(crate) async fn send_request(app: &TestApp, m: &reqwest::Client, date: &str) -> i64 {
    let scheme = demo_scheme(app).await.to_string();
    for q in ["crypto-deployed", "connection-ready", "ready-for-live"] {
        app.post_form(
            m,
            "/api/oat/answer",
            &[("scheme", &scheme), ("question", q), ("answer", "yes")],
        )
        .await;
    }
    let r = app
        .post_form(
            m,
            "/api/oat/connection-date",
            &[("scheme", &scheme), ("connection_date", date)],
        )
        .await;
    assert!(location(&r).ends_with("/check-answers"), "{}", location(&r));
    let key = oat::draft(&app.db, scheme.parse().unwrap())
        .await
        .unwrap()
        .unwrap()
        .submission_key;
    let r = app
        .post_form(
            m,
            "/api/oat/send",
            &[("scheme", &scheme), ("submission_key", &key)],
        )
        .await;
    let sent = location(&r);
    sent.trim_start_matches("/requests/")
        .trim_end_matches("/sent")
        .parse()
        .unwrap_or_else(|_| panic!("sent: {sent}"))
}

pub(crate) async fn request(app: &TestApp, id: i64) -> review::StaffRequest {
    review::get(&app.db, id).await.unwrap().unwrap()
}

async fn act(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.post_form(c, path, form).await
}

#[tokio::test]
async fn staff_take_a_request_from_requested_to_live() {
    let (app, clock) = spawn_app_with_clock(|_| {}).await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    let id = send_request(&app, &m, "2026-12-01").await;
    let ids = id.to_string();

    // The queue lists it, due in 8 days: not yet "due soon".
    let queue = app.page_text(&s, "/staff").await;
    assert!(queue.contains("OAT-2026-000001") && queue.contains("Demo Pensions Ltd"));
    assert!(queue.contains("Requested (1)"), "counts per status");

    // Schedule the test.
    let r = act(
        &app,
        &s,
        "/api/staff/requests/schedule",
        &[
            ("id", &ids),
            ("version", "1"),
            ("test_date", "2026-11-26"),
            ("test_time", "2pm"),
            ("note", "We will call you first"),
        ],
    )
    .await;
    assert_eq!(location(&r), format!("/staff/requests/{id}"));
    let page = app.page_text(&s, &location(&r)).await;
    assert!(page.contains("Connectivity test scheduled for 26 November 2026 at 2pm"));
    let req = request(&app, id).await;
    assert_eq!((req.status.code(), req.version), ("test_scheduled", 2));
    assert_eq!(
        req.test_at,
        Some(Utc.with_ymd_and_hms(2026, 11, 26, 14, 0, 0).unwrap())
    );
    assert_eq!(
        schemes::list_for_organisation(&app.db, 1).await.unwrap()[0]
            .status
            .code(),
        "test_scheduled"
    );

    // Passed, then the go-live date: the requested one.
    let r = act(
        &app,
        &s,
        "/api/staff/requests/outcome",
        &[("id", &ids), ("version", "2"), ("outcome", "passed")],
    )
    .await;
    assert_eq!(location(&r), format!("/staff/requests/{id}/go-live"));
    assert_eq!(request(&app, id).await.status.code(), "passed");
    // Recorded without a run in the portal: nobody is told a 202 came back.
    let page = app.page_text(&s, &format!("/staff/requests/{id}")).await;
    assert!(
        page.contains("Recorded as passed by ")
            && page.contains("without a connectivity run in this portal"),
        "{page}"
    );
    assert!(
        !page.contains("acknowledged the synthetic find request"),
        "{page}"
    );
    let pass_email = app::store::outbox::recent(&app.db, 20)
        .await
        .unwrap()
        .into_iter()
        .find(|e| {
            e.subject
                .starts_with("Operational acceptance testing passed")
        })
        .expect("the pass is emailed");
    assert!(
        !pass_email.body_text.contains("202 Accepted"),
        "{}",
        pass_email.body_text
    );
    // The timeline is newest first.
    let passed_at = page.find("Connectivity test 1 passed").expect("pass shown");
    let scheduled_at = page
        .find("Connectivity test 1 scheduled")
        .expect("scheduling shown");
    assert!(passed_at < scheduled_at, "newest first");
    let r = act(
        &app,
        &s,
        "/api/staff/requests/go-live",
        &[("id", &ids), ("version", "3"), ("which", "requested")],
    )
    .await;
    assert_eq!(location(&r), format!("/staff/requests/{id}"));
    let req = request(&app, id).await;
    assert_eq!(req.status.code(), "go_live_confirmed");
    assert_eq!(
        req.go_live_date,
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
    );

    // The service manager sees it on the overview, and the emails are in the outbox.
    let overview = app.page_text(&m, "/organisation").await;
    assert!(overview.contains("Go-live date confirmed") && overview.contains("1 December 2026"));
    let subjects: Vec<String> = outbox::recent(&app.db, 20)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.recipient == MANAGER)
        .map(|e| e.subject)
        .collect();
    assert!(subjects
        .iter()
        .any(|s| s.contains("connectivity test is booked")));
    assert!(subjects
        .iter()
        .any(|s| s.contains("passed: go-live date 1 December 2026")));
    // The pass itself is a notice too, before any go-live date is confirmed.
    assert!(
        subjects
            .iter()
            .any(|s| s.starts_with("Operational acceptance testing passed (")),
        "{subjects:?}"
    );
    let staff_page = app.page_text(&s, &format!("/staff/requests/{id}")).await;
    assert!(
        staff_page.contains("Your connectivity test is booked"),
        "emails listed for staff; the page's main part was: {}",
        crate::helpers::main_part(&staff_page)
    );

    // The go-live job: nothing before midnight in London, live after, once only.
    clock.set(Utc.with_ymd_and_hms(2026, 11, 30, 23, 59, 0).unwrap());
    server::go_live::run_once(&app.state.services)
        .await
        .unwrap();
    assert_eq!(request(&app, id).await.status.code(), "go_live_confirmed");
    clock.set(Utc.with_ymd_and_hms(2026, 12, 1, 0, 1, 0).unwrap());
    let (a, b) = tokio::join!(
        server::go_live::run_once(&app.state.services),
        server::go_live::run_once(&app.state.services)
    );
    a.unwrap();
    b.unwrap();
    server::go_live::run_once(&app.state.services)
        .await
        .unwrap();
    assert_eq!(request(&app, id).await.status.code(), "live");
    assert_eq!(
        schemes::list_for_organisation(&app.db, 1).await.unwrap()[0]
            .status
            .code(),
        "live"
    );
    assert_eq!(app.audit_count(AuditAction::SchemeWentLive).await, 1);
    // (The manager's session ran out while the clock moved on.)
    let m = app.signed_in(MANAGER).await;
    let overview = app.page_text(&m, "/organisation").await;
    assert!(overview.contains(">Live<"), "live on the overview");
    let events = oat::events(&app.db, id).await.unwrap();
    assert_eq!(
        events.iter().filter(|e| e.event == "Scheme live").count(),
        1
    );
}

#[tokio::test]
async fn the_go_live_job_catches_up_after_downtime_in_summer_time() {
    let (app, clock) = spawn_app_with_clock(|_| {}).await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    let id = send_request(&app, &m, "2026-12-01").await;
    let ids = id.to_string();
    act(
        &app,
        &s,
        "/api/staff/requests/outcome",
        &[("id", &ids), ("version", "1"), ("outcome", "passed")],
    )
    .await;
    act(
        &app,
        &s,
        "/api/staff/requests/go-live",
        &[("id", &ids), ("version", "2"), ("which", "requested")],
    )
    .await;
    assert_eq!(request(&app, id).await.status.code(), "go_live_confirmed");
    // The portal was down for months: the first run afterwards makes the scheme live.
    clock.set(Utc.with_ymd_and_hms(2027, 6, 30, 23, 30, 0).unwrap());
    server::go_live::run_once(&app.state.services)
        .await
        .unwrap();
    assert_eq!(request(&app, id).await.status.code(), "live");
    assert_eq!(app.audit_count(AuditAction::SchemeWentLive).await, 1);
}

#[tokio::test]
async fn actions_are_refused_in_states_where_they_make_no_sense() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    let id = send_request(&app, &m, "2026-12-01").await;
    let ids = id.to_string();
    // Go-live before a pass: refused, nothing changes.
    let r = act(
        &app,
        &s,
        "/api/staff/requests/go-live",
        &[("id", &ids), ("version", "1"), ("which", "requested")],
    )
    .await;
    assert_eq!(location(&r), format!("/staff/requests/{id}/go-live"));
    let page = app.page_text(&s, &location(&r)).await;
    assert!(page.contains("You cannot do this now"), "explains");
    assert_eq!(request(&app, id).await.status.code(), "requested");

    // Fail it; then every staff action but booking a re-test is refused.
    let r = act(
        &app,
        &s,
        "/api/staff/requests/failure",
        &[
            ("id", &ids),
            ("version", "1"),
            ("reason", "Your endpoint answered 200; PDP expects 202"),
            ("support_date", "2026-11-25"),
            ("support_time", "10:00"),
            ("support_join", "https://meet.example/oat"),
        ],
    )
    .await;
    assert_eq!(location(&r), format!("/staff/requests/{id}"));
    let req = request(&app, id).await;
    assert_eq!((req.status.code(), req.version), ("failed", 2));
    for (path, form) in [
        ("/api/staff/requests/outcome", vec![("outcome", "passed")]),
        ("/api/staff/requests/go-live", vec![("which", "requested")]),
        ("/api/staff/requests/failure", vec![("reason", "again")]),
    ] {
        let mut f = vec![("id", ids.as_str()), ("version", "2")];
        f.extend(form);
        let r = act(&app, &s, path, &f).await;
        assert_eq!(r.status(), StatusCode::FOUND, "{path}");
        assert!(
            location(&r).starts_with(&format!("/staff/requests/{id}/")),
            "{path}"
        );
    }
    let req = request(&app, id).await;
    assert_eq!(
        (req.status.code(), req.version),
        ("failed", 2),
        "nothing applied"
    );

    // The manager sees why, with the support session, and is offered a re-test on this same
    // request (re-tests are in after_sending.rs).
    let page = app.page_text(&m, &format!("/requests/{id}")).await;
    assert!(page.contains("Your endpoint answered 200; PDP expects 202"));
    assert!(page.contains("25 November 2026 at 10am") && page.contains("https://meet.example/oat"));
    assert!(page.contains("Tell PDP you are ready for a re-test"));
    assert!(!page.contains("Send a re-test request"));
    assert!(outbox::recent(&app.db, 20).await.unwrap().iter().any(|e| e
        .subject
        .contains("did not pass")
        && e.body_text.contains("https://meet.example/oat")
        && e.body_text.contains("ready for a re-test")));
}

#[tokio::test]
async fn two_staff_at_once_apply_one_outcome() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s1 = app.signed_in(STAFF).await;
    let s2 = app.signed_in(STAFF).await;
    let id = send_request(&app, &m, "2026-12-01").await;
    let ids = id.to_string();
    let pass = [
        ("id", ids.as_str()),
        ("version", "1"),
        ("outcome", "passed"),
    ];
    let fail = [
        ("id", ids.as_str()),
        ("version", "1"),
        ("reason", "No answer within 30 seconds"),
    ];
    let (a, b) = tokio::join!(
        act(&app, &s1, "/api/staff/requests/outcome", &pass),
        act(&app, &s2, "/api/staff/requests/failure", &fail)
    );
    let req = request(&app, id).await;
    assert_eq!(req.version, 2, "exactly one applied");
    assert!(req.status.code() == "passed" || req.status.code() == "failed");
    let losers: Vec<String> = [location(&a), location(&b)]
        .into_iter()
        .filter(|l| l.ends_with("/outcome") || l.ends_with("/failure"))
        .collect();
    assert_eq!(losers.len(), 1, "{} / {}", location(&a), location(&b));
    let (client, page) = if location(&a) == losers[0] {
        (&s1, &losers[0])
    } else {
        (&s2, &losers[0])
    };
    let text = app.page_text(client, page).await;
    assert!(
        text.contains("This request has changed since you opened this page")
            || text.contains("You cannot do this now"),
        "the second is told"
    );
    let events = oat::events(&app.db, id).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.event.starts_with("Connectivity test"))
            .count(),
        1
    );
}

#[tokio::test]
async fn stale_versions_change_nothing() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    let id = send_request(&app, &m, "2026-12-01").await;
    let ids = id.to_string();
    act(
        &app,
        &s,
        "/api/staff/requests/schedule",
        &[
            ("id", &ids),
            ("version", "1"),
            ("test_date", "2026-11-26"),
            ("test_time", "09:00"),
        ],
    )
    .await;
    // A second member of staff still has version 1 open and moves the test.
    let r = act(
        &app,
        &s,
        "/api/staff/requests/schedule",
        &[
            ("id", &ids),
            ("version", "1"),
            ("test_date", "2026-11-27"),
            ("test_time", "09:00"),
        ],
    )
    .await;
    assert_eq!(location(&r), format!("/staff/requests/{id}/schedule"));
    let text = app.page_text(&s, &location(&r)).await;
    assert!(
        text.contains("it is now Test scheduled"),
        "shown the current state"
    );
    assert_eq!(
        request(&app, id).await.test_at,
        Some(Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap())
    );
}

#[tokio::test]
async fn staff_form_errors_are_specific_and_change_nothing() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    let id = send_request(&app, &m, "2026-12-01").await;
    let ids = id.to_string();
    let cases: Vec<(&str, Form, &str)> = vec![
        (
            "/api/staff/requests/schedule",
            vec![("test_time", "10:00")],
            "Enter the date of the test",
        ),
        (
            "/api/staff/requests/schedule",
            vec![("test_date", "2026-11-26"), ("test_time", "teatime")],
            "like 14:30 or 2:30pm",
        ),
        (
            "/api/staff/requests/schedule",
            vec![("test_date", "2026-11-20"), ("test_time", "10:00")],
            "The test must be in the future",
        ),
        (
            "/api/staff/requests/outcome",
            vec![],
            "Select whether the test passed or failed",
        ),
        (
            "/api/staff/requests/failure",
            vec![],
            "Enter why the test failed",
        ),
        (
            "/api/staff/requests/failure",
            vec![("reason", "x"), ("support_date", "2026-11-26")],
            "Enter the time of the support session",
        ),
        (
            "/api/staff/requests/failure",
            vec![
                ("reason", "x"),
                ("support_date", "2026-11-26"),
                ("support_time", "10:00"),
            ],
            "Enter how to join the support session",
        ),
    ];
    for (path, extra, message) in cases {
        let mut f = vec![("id", ids.as_str()), ("version", "1")];
        f.extend(extra);
        let r = act(&app, &s, path, &f).await;
        let text = app.page_text(&s, &location(&r)).await;
        assert!(
            text.contains(message),
            "{path}: {message} in {}",
            location(&r)
        );
        assert!(text.contains("There is a problem"));
    }
    assert_eq!(request(&app, id).await.version, 1);

    // Go-live: another date needs a reason and obeys the date rules.
    act(
        &app,
        &s,
        "/api/staff/requests/outcome",
        &[("id", &ids), ("version", "1"), ("outcome", "passed")],
    )
    .await;
    for (extra, message) in [
        (
            vec![
                ("which", "other"),
                ("other_date", "2026-11-25"),
                ("reason", "Earlier"),
            ],
            "Go-live date must be the same as or after 30 November 2026",
        ),
        (
            vec![("which", "other"), ("other_date", "2026-12-10")],
            "Enter why the go-live date differs",
        ),
        (vec![], "Select the go-live date"),
    ] {
        let mut f = vec![("id", ids.as_str()), ("version", "2")];
        f.extend(extra);
        let r = act(&app, &s, "/api/staff/requests/go-live", &f).await;
        let text = app.page_text(&s, &location(&r)).await;
        assert!(text.contains(message), "{message}");
    }
    let r = act(
        &app,
        &s,
        "/api/staff/requests/go-live",
        &[
            ("id", &ids),
            ("version", "2"),
            ("which", "other"),
            ("other_date", "2026-12-10"),
            ("reason", "Their change freeze"),
        ],
    )
    .await;
    assert_eq!(location(&r), format!("/staff/requests/{id}"));
    let req = request(&app, id).await;
    assert_eq!(
        req.go_live_date,
        chrono::NaiveDate::from_ymd_opt(2026, 12, 10)
    );
    assert_eq!(req.go_live_reason, "Their change freeze");
}

#[tokio::test]
async fn a_change_of_date_is_asked_for_then_approved_or_rejected() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    let id = send_request(&app, &m, "2026-12-01").await;
    let ids = id.to_string();
    let page = app.page_text(&m, &format!("/requests/{id}")).await;
    assert!(
        page.contains(&format!("/requests/{id}/change-date")),
        "Change link"
    );
    for (extra, message) in [
        (
            vec![("new_date", "2026-11-28"), ("reason", "Infra")],
            "New connection date must be the same as or after 30 November 2026",
        ),
        (
            vec![("new_date", "2026-12-01"), ("reason", "Infra")],
            "must be different from the current one",
        ),
        (
            vec![("new_date", "2026-12-08")],
            "Enter why you need to change the connection date",
        ),
    ] {
        let mut f = vec![("id", ids.as_str())];
        f.extend(extra);
        let r = act(&app, &m, "/api/oat/date-change", &f).await;
        assert_eq!(location(&r), format!("/requests/{id}/change-date"));
        let text = app.page_text(&m, &location(&r)).await;
        assert!(text.contains(message), "{message}");
    }
    let ask = [
        ("id", ids.as_str()),
        ("new_date", "2026-12-08"),
        ("reason", "Our infrastructure is being updated"),
    ];
    let r = act(&app, &m, "/api/oat/date-change", &ask).await;
    assert_eq!(location(&r), format!("/requests/{id}"));
    // Asking again while one waits is refused.
    let r = act(
        &app,
        &m,
        "/api/oat/date-change",
        &[
            ("id", ids.as_str()),
            ("new_date", "2026-12-09"),
            ("reason", "Again"),
        ],
    )
    .await;
    let text = app.page_text(&m, &location(&r)).await;
    assert!(text.contains("You have already asked to change the connection date"));
    assert_eq!(review::date_changes(&app.db, id).await.unwrap().len(), 1);

    // Staff see it waiting in the queue and approve it.
    let queue = app.page_text(&s, "/staff?status=date_change").await;
    assert!(queue.contains("OAT-2026-000001") && queue.contains("Date change waiting"));
    let change = review::date_changes(&app.db, id).await.unwrap()[0]
        .id
        .to_string();
    let r = act(
        &app,
        &s,
        "/api/staff/requests/date-change",
        &[("id", &ids), ("version", "1"), ("change", &change)],
    )
    .await;
    let text = app.page_text(&s, &location(&r)).await;
    assert!(text.contains("Select whether to approve or reject the change"));
    let r = act(
        &app,
        &s,
        "/api/staff/requests/date-change",
        &[
            ("id", &ids),
            ("version", "1"),
            ("change", &change),
            ("decision", "reject"),
        ],
    )
    .await;
    let text = app.page_text(&s, &location(&r)).await;
    assert!(text.contains("Enter why the change is rejected"));
    let r = act(
        &app,
        &s,
        "/api/staff/requests/date-change",
        &[
            ("id", &ids),
            ("version", "1"),
            ("change", &change),
            ("decision", "approve"),
        ],
    )
    .await;
    assert_eq!(location(&r), format!("/staff/requests/{id}"));
    let req = request(&app, id).await;
    assert_eq!(
        req.connection_date,
        chrono::NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()
    );
    assert_eq!(app.audit_count(AuditAction::DateChangeApproved).await, 1);
    // Deciding it twice applies once.
    act(
        &app,
        &s,
        "/api/staff/requests/date-change",
        &[
            ("id", &ids),
            ("version", "2"),
            ("change", &change),
            ("decision", "reject"),
            ("reason", "No"),
        ],
    )
    .await;
    assert_eq!(app.audit_count(AuditAction::DateChangeRejected).await, 0);

    // A second change, rejected: the date stays.
    act(
        &app,
        &m,
        "/api/oat/date-change",
        &[
            ("id", ids.as_str()),
            ("new_date", "2026-12-15"),
            ("reason", "Later still"),
        ],
    )
    .await;
    let change = review::date_changes(&app.db, id).await.unwrap()[1]
        .id
        .to_string();
    act(
        &app,
        &s,
        "/api/staff/requests/date-change",
        &[
            ("id", &ids),
            ("version", "2"),
            ("change", &change),
            ("decision", "reject"),
            ("reason", "Too close to the deadline"),
        ],
    )
    .await;
    let req = request(&app, id).await;
    assert_eq!(
        req.connection_date,
        chrono::NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()
    );
    let emails = outbox::recent(&app.db, 20).await.unwrap();
    assert!(emails
        .iter()
        .any(|e| e.subject.contains("change of connection date is approved")));
    assert!(emails.iter().any(|e| e.subject.contains("was not approved")
        && e.body_text.contains("Too close to the deadline")));
}

/// Makes `n` organisations, each with a vouching scheme and a request, straight in the store.
async fn many_requests(app: &TestApp, n: usize) {
    use app::{
        domain::{OrganisationKind, OrganisationName},
        store::organisations,
    };
    let manager = app::store::users::credentials_by_email(
        &app.db,
        &app::domain::EmailAddress::parse(MANAGER).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let now = Utc::now();
    let mut tx = app.db.begin_write().await.unwrap();
    for i in 0..n {
        let org = organisations::insert(
            &mut tx,
            &OrganisationName::parse(&format!("Queue Org {i:03}")).unwrap(),
            OrganisationKind::PensionProvider,
            now,
        )
        .await
        .unwrap();
        let scheme = schemes::insert(
            &mut tx,
            org,
            &format!("Queue Scheme {i:03}"),
            "TPR",
            "1",
            true,
            now,
        )
        .await
        .unwrap();
        let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
            + chrono::Days::new((i % 20) as u64);
        oat::insert(
            &mut tx,
            org,
            scheme,
            manager.id,
            date,
            &format!("k{i}"),
            None,
            now,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_queue_filters_sorts_and_pages_and_downloads_as_csv() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    many_requests(&app, 60).await;
    let s = app.signed_in(STAFF).await;
    // Page 1: 25 rows, soonest first; due-soon requests stand out in words.
    let p1 = app.page_text(&s, "/staff").await;
    assert!(p1.contains("Requested (60)"));
    assert!(p1.contains("Due in 8 days"), "1 December is 8 days away");
    let next = p1
        .split("href=\"")
        .map(|s| s.split('"').next().unwrap())
        .find(|h| h.contains("after="))
        .expect("next page link")
        .replace("&amp;", "&");
    assert!(!p1.contains("before="), "no previous page on page 1");
    let p2 = app.page_text(&s, &next).await;
    let prev = p2
        .split("href=\"")
        .map(|s| s.split('"').next().unwrap())
        .find(|h| h.contains("before="))
        .expect("previous page link")
        .replace("&amp;", "&");
    let back = app.page_text(&s, &prev).await;
    let refs = |page: &str| {
        page.match_indices(">OAT-2026-")
            .map(|(i, _)| page[i + 1..i + 16].to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(refs(&back), refs(&p1), "previous page is page 1 again");
    assert!(
        refs(&p2).iter().all(|r| !refs(&p1).contains(r)),
        "pages do not overlap"
    );
    // Filters.
    let one = app.page_text(&s, "/staff?q=queue+org+007").await;
    assert_eq!(refs(&one).len(), 1);
    // By scheme name too, and by reference; a name that matches nothing lists nothing.
    let by_scheme = app.page_text(&s, "/staff?q=SCHEME+01").await;
    assert_eq!(refs(&by_scheme).len(), 10, "Queue Scheme 010 to 019");
    let reference = refs(&one)[0].clone();
    let by_reference = app
        .page_text(&s, &format!("/staff?q={}", reference.to_lowercase()))
        .await;
    assert_eq!(refs(&by_reference), vec![reference]);
    let nothing = app.page_text(&s, "/staff?q=no+such+pension").await;
    assert!(nothing.contains("No requests match these filters"));
    let range = app
        .page_text(&s, "/staff?from=2026-12-01&to=2026-12-01")
        .await;
    assert_eq!(refs(&range).len(), 3, "60 requests over 20 dates");
    let bad = app.page_text(&s, "/staff?from=2026-02-31").await;
    assert!(bad.contains("Connection date from must be a real date"));
    let none = app.page_text(&s, "/staff?status=live").await;
    assert!(none.contains("No requests match these filters"));
    // CSV: every matching row, not one page.
    let r = s.get(app.url("/staff/requests.csv")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().count(), 61, "header and 60 rows");
    assert!(csv.starts_with("Reference,Organisation,Scheme,Status"));
    let r = s
        .get(app.url("/staff/requests.csv?from=2026-12-01&to=2026-12-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap().lines().count(), 4);
    // Not for organisation users.
    let m = app.signed_in(MANAGER).await;
    let r = m.get(app.url("/staff/requests.csv")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn malformed_staff_posts_get_a_clear_4xx_and_change_nothing() {
    let app = spawn_app_with(|c| c.body_limit = 64 * 1024, axum::Router::new()).await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    let id = send_request(&app, &m, "2026-12-01").await;
    let ids = id.to_string();
    let huge = "x".repeat(100 * 1024);
    let cases: Vec<(&reqwest::Client, &str, Form)> = vec![
        (
            &s,
            "/api/staff/requests/schedule",
            vec![("id", ids.as_str())],
        ),
        (
            &s,
            "/api/staff/requests/schedule",
            vec![("id", "abc"), ("version", "1")],
        ),
        (
            &s,
            "/api/staff/requests/schedule",
            vec![("id", ids.as_str()), ("version", "one")],
        ),
        (
            &s,
            "/api/staff/requests/outcome",
            vec![("id", "999999"), ("version", "1"), ("outcome", "passed")],
        ),
        (
            &s,
            "/api/staff/requests/failure",
            vec![
                ("id", ids.as_str()),
                ("version", "1"),
                ("reason", huge.as_str()),
            ],
        ),
        (
            &s,
            "/api/staff/requests/go-live",
            vec![("id", "-4"), ("version", "1")],
        ),
        (
            &s,
            "/api/staff/requests/date-change",
            vec![("id", ids.as_str()), ("version", "1"), ("change", "77")],
        ),
        (&s, "/api/staff/request", vec![("id", "\u{0}")]),
        (
            &m,
            "/api/oat/date-change",
            vec![
                ("id", "999999"),
                ("new_date", "2026-12-08"),
                ("reason", "x"),
            ],
        ),
        (&m, "/api/oat/date-change", vec![("new_date", "2026-12-08")]),
    ];
    for (c, path, form) in cases {
        let r = c
            .post(app.url(path))
            .header("sec-fetch-site", "same-origin")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{path} -> {}", r.status());
    }
    // Another organisation's manager cannot see or change the request.
    let other = app.signed_in(crate::helpers::OTHER_MANAGER).await;
    let r = app
        .post_form(
            &other,
            "/api/oat/date-change",
            &[
                ("id", ids.as_str()),
                ("new_date", "2026-12-08"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let req = request(&app, id).await;
    assert_eq!((req.status.code(), req.version), ("requested", 1));
    assert!(review::date_changes(&app.db, id).await.unwrap().is_empty());
}
