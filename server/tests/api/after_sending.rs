//! PDP's process after a request is sent, on the running app, on both databases: re-tests on
//! the same request, support sessions, queries, withdrawal, a moved go-live date, what the
//! overview shows meanwhile, and every email of the whole loop.

use app::store::{audit::AuditAction, oat, outbox, review, schemes};
use chrono::{TimeZone, Utc};
use reqwest::StatusCode;

use crate::helpers::{
    location, spawn_app, spawn_app_with_clock, TestApp, CONTACT, MANAGER, OTHER_MANAGER, STAFF,
};
use crate::review::{demo_scheme, request, send_request};

/// Posts a form and expects the redirect it answers with; returns where it goes.
async fn post(app: &TestApp, c: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> String {
    let r = app.post_form(c, path, form).await;
    assert_eq!(r.status(), StatusCode::FOUND, "{path}: {form:?}");
    location(&r)
}

async fn version(app: &TestApp, id: i64) -> String {
    request(app, id).await.version.to_string()
}

/// Records a failed test (no support session offered).
async fn fail(app: &TestApp, s: &reqwest::Client, id: i64, reason: &str) {
    let ids = id.to_string();
    let v = version(app, id).await;
    post(
        app,
        s,
        "/api/staff/requests/failure",
        &[("id", &ids), ("version", &v), ("reason", reason)],
    )
    .await;
    assert_eq!(request(app, id).await.status.code(), "failed");
}

async fn schedule(app: &TestApp, s: &reqwest::Client, id: i64, date: &str) {
    let ids = id.to_string();
    let v = version(app, id).await;
    let to = post(
        app,
        s,
        "/api/staff/requests/schedule",
        &[
            ("id", &ids),
            ("version", &v),
            ("test_date", date),
            ("test_time", "10:00"),
        ],
    )
    .await;
    assert_eq!(to, format!("/staff/requests/{id}"));
    assert_eq!(request(app, id).await.status.code(), "test_scheduled");
}

async fn pass(app: &TestApp, s: &reqwest::Client, id: i64) {
    let ids = id.to_string();
    let v = version(app, id).await;
    post(
        app,
        s,
        "/api/staff/requests/outcome",
        &[("id", &ids), ("version", &v), ("outcome", "passed")],
    )
    .await;
    assert_eq!(request(app, id).await.status.code(), "passed");
}

async fn confirm_go_live(app: &TestApp, s: &reqwest::Client, id: i64) {
    let ids = id.to_string();
    let v = version(app, id).await;
    post(
        app,
        s,
        "/api/staff/requests/go-live",
        &[("id", &ids), ("version", &v), ("which", "requested")],
    )
    .await;
    assert_eq!(request(app, id).await.status.code(), "go_live_confirmed");
}

async fn emails(app: &TestApp) -> Vec<outbox::OutboxRow> {
    let mut all = outbox::recent(&app.db, 500).await.unwrap();
    all.reverse();
    all
}

#[tokio::test]
async fn a_failed_request_is_retested_on_the_same_request_in_numbered_rounds() {
    let (app, clock) = spawn_app_with_clock(|_| {}).await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    let id = send_request(&app, &m, "2026-12-01").await;
    let ids = id.to_string();
    fail(
        &app,
        &s,
        id,
        "Your endpoint answered 200; it must answer 202",
    )
    .await;

    // The manager is offered a re-test on this request, not a new request.
    let page = app.page_text(&m, &format!("/requests/{id}")).await;
    assert!(page.contains("Connectivity test 1 did not pass"));
    assert!(page.contains("Tell PDP you are ready for a re-test"));
    assert!(!page.contains("Send a re-test request"));
    let start = app
        .page_text(&m, &format!("/oat/{}", demo_scheme(&app).await))
        .await;
    assert!(
        !start.contains("Start now"),
        "no new request while this one is open"
    );

    // An over-long note is refused and changes nothing.
    let v = version(&app, id).await;
    let long = "x".repeat(1001);
    let to = post(
        &app,
        &m,
        "/api/oat/ready-for-retest",
        &[("id", &ids), ("version", &v), ("note", &long)],
    )
    .await;
    assert_eq!(to, format!("/requests/{id}/ready-for-retest"));
    assert!(request(&app, id).await.retest_asked_at.is_none());

    // Ready for a re-test, with a note: staff see it in the queue, filtered and counted.
    let to = post(
        &app,
        &m,
        "/api/oat/ready-for-retest",
        &[
            ("id", &ids),
            ("version", &v),
            ("note", "We now answer 202 Accepted"),
        ],
    )
    .await;
    assert_eq!(to, format!("/requests/{id}"));
    let r = request(&app, id).await;
    assert!(r.retest_asked_at.is_some());
    assert_eq!(r.retest_note, "We now answer 202 Accepted");
    assert_eq!(r.status.code(), "failed");
    // The same form sent again (a second click) changes nothing more.
    let again = post(
        &app,
        &m,
        "/api/oat/ready-for-retest",
        &[("id", &ids), ("version", &v), ("note", "again")],
    )
    .await;
    assert_eq!(again, format!("/requests/{id}/ready-for-retest"));
    assert_eq!(
        request(&app, id).await.retest_note,
        "We now answer 202 Accepted"
    );
    assert_eq!(app.audit_count(AuditAction::RetestAsked).await, 1);
    let queue = app.page_text(&s, "/staff?status=ready_for_retest").await;
    assert!(queue.contains("OAT-2026-000001"), "filtered in");
    assert!(queue.contains("Ready for re-test (1)"), "counted");
    let queue = app.page_text(&s, "/staff?status=support_asked").await;
    assert!(!queue.contains("OAT-2026-000001"), "filtered out");
    let staff_page = app.page_text(&s, &format!("/staff/requests/{id}")).await;
    assert!(staff_page.contains("Ready for re-test since"));
    assert!(staff_page.contains("Book the re-test"));

    // Staff book round 2 on the same request, and it passes.
    schedule(&app, &s, id, "2026-11-27").await;
    let r = request(&app, id).await;
    assert_eq!(r.test_round, 2);
    assert!(r.retest_asked_at.is_none(), "no longer waiting");
    pass(&app, &s, id).await;
    assert_eq!(request(&app, id).await.test_round, 2);
    for page in [
        app.page_text(&m, &format!("/requests/{id}")).await,
        app.page_text(&s, &format!("/staff/requests/{id}")).await,
    ] {
        let failed = page.find("Connectivity test 1 failed").expect("round 1");
        let booked = page.find("Connectivity test 2 scheduled").expect("round 2");
        let passed = page.find("Connectivity test 2 passed").expect("pass");
        assert!(passed < booked && booked < failed, "newest first");
        assert!(page.contains("Your endpoint answered 200; it must answer 202"));
    }
    let subjects: Vec<String> = emails(&app).await.into_iter().map(|e| e.subject).collect();
    assert!(subjects
        .iter()
        .any(|s| s.starts_with("Your re-test is booked (")));
    assert!(subjects
        .iter()
        .any(|s| s == "Ready for re-test: OAT-2026-000001"));

    // A second request never opened: the reference sequence did not move.
    assert_eq!(
        oat::latest_for_scheme(&app.db, r.scheme_id)
            .await
            .unwrap()
            .unwrap()
            .id,
        id
    );
    drop(clock);
}

#[tokio::test]
async fn a_failed_request_near_its_connection_date_says_so_and_links_the_date_change() {
    let (app, clock) = spawn_app_with_clock(|_| {}).await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    let id = send_request(&app, &m, "2026-12-01").await;
    fail(&app, &s, id, "No answer").await;
    let page = app.page_text(&m, &format!("/requests/{id}")).await;
    assert!(
        !page.contains("fewer than 7 calendar days away"),
        "8 days away"
    );
    clock.set(Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap());
    let m = app.signed_in(MANAGER).await;
    let page = app.page_text(&m, &format!("/requests/{id}")).await;
    assert!(
        page.contains("Your connection date, 1 December 2026, is fewer than 7 calendar days away.")
    );
    assert!(page.contains(&format!("href=\"/requests/{id}/change-date\"")));
    assert!(page.contains("Ask to change your connection date"));
}

#[tokio::test]
async fn a_support_session_is_asked_for_then_booked_and_the_organisation_emailed() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    let id = send_request(&app, &m, "2026-12-01").await;
    let ids = id.to_string();
    // Not before a failure.
    let page = app.page_text(&m, &format!("/requests/{id}")).await;
    assert!(!page.contains("Ask for a support session"));
    fail(&app, &s, id, "The token was refused").await;
    let page = app.page_text(&m, &format!("/requests/{id}")).await;
    assert!(page.contains("Ask for a support session"));

    // Empty: a specific message, nothing changes.
    let v = version(&app, id).await;
    let to = post(
        &app,
        &m,
        "/api/oat/support",
        &[("id", &ids), ("version", &v), ("needs", "  ")],
    )
    .await;
    assert_eq!(to, format!("/requests/{id}/support"));
    let form = app.page_text(&m, &to).await;
    assert!(form.contains("Enter what you need from the support session and when you are free"));
    assert_eq!(version(&app, id).await, v);

    let to = post(
        &app,
        &m,
        "/api/oat/support",
        &[
            ("id", &ids),
            ("version", &v),
            (
                "needs",
                "Why was our token refused? Free on weekday mornings",
            ),
        ],
    )
    .await;
    assert_eq!(to, format!("/requests/{id}"));
    assert!(request(&app, id).await.support_asked_at.is_some());
    let queue = app.page_text(&s, "/staff?status=support_asked").await;
    assert!(queue.contains("OAT-2026-000001") && queue.contains("Support session asked for (1)"));
    let staff_page = app.page_text(&s, &format!("/staff/requests/{id}")).await;
    assert!(staff_page.contains("Why was our token refused? Free on weekday mornings"));
    assert!(staff_page.contains("Arrange a support session"));

    // Staff book it: a time in the past is refused, then a real one is emailed.
    let v = version(&app, id).await;
    let to = post(
        &app,
        &s,
        "/api/staff/requests/support",
        &[
            ("id", &ids),
            ("version", &v),
            ("support_date", "2026-11-01"),
            ("support_time", "10:00"),
            ("support_join", "https://meet.example/oat"),
        ],
    )
    .await;
    assert_eq!(to, format!("/staff/requests/{id}/support"));
    assert!(app
        .page_text(&s, &to)
        .await
        .contains("The support session must be in the future"));
    post(
        &app,
        &s,
        "/api/staff/requests/support",
        &[
            ("id", &ids),
            ("version", &v),
            ("support_date", "2026-11-25"),
            ("support_time", "10:30"),
            ("support_join", "https://meet.example/oat"),
        ],
    )
    .await;
    let r = request(&app, id).await;
    assert!(r.support_asked_at.is_none(), "no longer waiting");
    assert_eq!(r.support_join, "https://meet.example/oat");
    assert_eq!(
        r.status.code(),
        "failed",
        "still failed, waiting for a re-test"
    );
    let booked = emails(&app)
        .await
        .into_iter()
        .find(|e| e.subject == "Your support session is booked (OAT-2026-000001)")
        .expect("support email");
    assert_eq!(booked.recipient, MANAGER);
    assert!(booked.body_text.contains("25 November 2026 at 10:30am"));
    assert!(booked.body_text.contains("https://meet.example/oat"));
    let page = app.page_text(&m, &format!("/requests/{id}")).await;
    assert!(page.contains("25 November 2026 at 10:30am. How to join: https://meet.example/oat"));
    assert!(app
        .page_text(&s, "/staff?status=support_asked")
        .await
        .contains("No requests match"));
}

#[tokio::test]
async fn queries_are_raised_answered_and_emailed_with_or_without_a_request() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;

    // Before any request: about the organisation.
    let page = app.page_text(&m, "/queries/new").await;
    assert!(page.contains("Your query"));
    let to = post(&app, &m, "/api/queries/raise", &[("question", "")]).await;
    assert_eq!(to, "/queries/new");
    assert!(app.page_text(&m, &to).await.contains("Enter your query"));
    let to = post(
        &app,
        &m,
        "/api/queries/raise",
        &[("question", "How long does the review usually take?")],
    )
    .await;
    assert_eq!(to, "/queries");
    let mine = app.page_text(&m, "/queries").await;
    assert!(mine.contains("How long does the review usually take?"));
    assert!(mine.contains("Waiting for an answer"));

    // About a request: on its timeline, and in the staff queue's filter.
    let id = send_request(&app, &m, "2026-12-01").await;
    let ids = id.to_string();
    let to = post(
        &app,
        &m,
        "/api/queries/raise",
        &[
            ("request", &ids),
            ("question", "When will the test be booked?"),
        ],
    )
    .await;
    assert_eq!(to, format!("/requests/{id}"));
    let page = app.page_text(&m, &to).await;
    assert!(page.contains("Query raised") && page.contains("When will the test be booked?"));
    let queue = app.page_text(&s, "/staff?status=query_open").await;
    assert!(queue.contains("OAT-2026-000001") && queue.contains("Open query (1)"));
    let list = app.page_text(&s, "/staff/queries").await;
    assert!(list.contains("Waiting for an answer (2)"));
    let staff_mail: Vec<_> = emails(&app)
        .await
        .into_iter()
        .filter(|e| e.recipient == STAFF && e.subject.starts_with("New query"))
        .collect();
    assert_eq!(staff_mail.len(), 2, "staff hear of each query");
    assert!(staff_mail[1].subject.contains("OAT-2026-000001"));

    // Someone else's request, or a primary business contact: refused.
    let other = app.signed_in(OTHER_MANAGER).await;
    let r = app
        .post_form(
            &other,
            "/api/queries/raise",
            &[("request", &ids), ("question", "Let me in")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let contact = app.signed_in(CONTACT).await;
    let r = app
        .post_form(&contact, "/api/queries/raise", &[("question", "Hello")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Staff answer: the managers are emailed, the query closes, a second answer is refused.
    let queries = app::store::queries::for_request(&app.db, id).await.unwrap();
    let qid = queries[0].id.to_string();
    let to = post(
        &app,
        &s,
        "/api/staff/queries/answer",
        &[("id", &qid), ("answer", "Within 5 working days")],
    )
    .await;
    assert_eq!(to, "/staff/queries");
    let late = post(
        &app,
        &s,
        "/api/staff/queries/answer",
        &[("id", &qid), ("answer", "Another answer")],
    )
    .await;
    assert_eq!(late, format!("/staff/queries/{qid}"));
    assert!(app
        .page_text(&s, &late)
        .await
        .contains("Someone else answered this query"));
    let q = app::store::queries::get(&app.db, queries[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(q.answer, "Within 5 working days");
    let answered = emails(&app)
        .await
        .into_iter()
        .find(|e| e.subject == "Your query has been answered (OAT-2026-000001)")
        .expect("answer email");
    assert_eq!(answered.recipient, MANAGER);
    assert!(answered.body_text.contains("Within 5 working days"));
    assert!(answered.body_text.contains(&format!(
        "{}/requests/{id}",
        app.state.services.public_origin
    )));
    let page = app.page_text(&m, &format!("/requests/{id}")).await;
    assert!(page.contains("Query answered") && page.contains("Within 5 working days"));
    assert!(!app
        .page_text(&s, "/staff?status=query_open")
        .await
        .contains("OAT-2026-000001"));
    assert_eq!(app.audit_count(AuditAction::QueryRaised).await, 2);
    assert_eq!(app.audit_count(AuditAction::QueryAnswered).await, 1);
}

#[tokio::test]
async fn a_request_is_withdrawn_with_a_reason_and_a_new_one_can_be_sent() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    let id = send_request(&app, &m, "2026-12-01").await;
    let ids = id.to_string();
    let v = version(&app, id).await;
    let to = post(
        &app,
        &m,
        "/api/oat/withdraw",
        &[("id", &ids), ("version", &v), ("reason", "")],
    )
    .await;
    assert_eq!(to, format!("/requests/{id}/withdraw"));
    assert!(app
        .page_text(&m, &to)
        .await
        .contains("Enter why you are withdrawing the request"));
    assert_eq!(request(&app, id).await.status.code(), "requested");
    // A primary business contact cannot withdraw.
    let contact = app.signed_in(CONTACT).await;
    let r = app
        .post_form(
            &contact,
            "/api/oat/withdraw",
            &[("id", &ids), ("version", &v), ("reason", "No")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // A change of date waiting for a decision is closed by the withdrawal.
    post(
        &app,
        &m,
        "/api/oat/date-change",
        &[
            ("id", &ids),
            ("new_date", "2026-12-09"),
            ("reason", "Infrastructure update"),
        ],
    )
    .await;
    assert!(app
        .page_text(&s, "/staff?status=date_change")
        .await
        .contains("OAT-2026-000001"));
    post(
        &app,
        &m,
        "/api/oat/withdraw",
        &[
            ("id", &ids),
            ("version", &v),
            ("reason", "Our supplier is changing"),
        ],
    )
    .await;
    let changes = review::date_changes(&app.db, id).await.unwrap();
    assert_eq!(changes[0].status, "rejected");
    assert_eq!(changes[0].decision_reason, "The request was withdrawn");
    assert!(!app
        .page_text(&s, "/staff?status=date_change")
        .await
        .contains("OAT-2026-000001"));
    let r = request(&app, id).await;
    assert_eq!(r.status.code(), "withdrawn");
    assert_eq!(r.withdrawn_reason, "Our supplier is changing");
    assert_eq!(
        schemes::list_for_organisation(&app.db, 1).await.unwrap()[0]
            .status
            .code(),
        "not_requested"
    );
    for page in [
        app.page_text(&m, &format!("/requests/{id}")).await,
        app.page_text(&s, &format!("/staff/requests/{id}")).await,
    ] {
        assert!(page.contains(">Withdrawn<") && page.contains("Our supplier is changing"));
    }
    let mail = emails(&app).await;
    assert!(mail
        .iter()
        .any(|e| e.recipient == STAFF && e.subject == "Request withdrawn: OAT-2026-000001"));
    assert!(mail
        .iter()
        .any(|e| e.recipient == MANAGER && e.subject.contains("is withdrawn (OAT-2026-000001)")));
    let overview = app.page_text(&m, "/organisation").await;
    assert!(overview.contains("Request testing"), "can request again");

    // A new request can be sent; the withdrawn one stays as it was.
    let second = send_request(&app, &m, "2026-12-02").await;
    assert_ne!(second, id);
    assert_eq!(request(&app, second).await.status.code(), "requested");

    // Once a request has passed it cannot be withdrawn.
    pass(&app, &s, second).await;
    let v = version(&app, second).await;
    let to = post(
        &app,
        &m,
        "/api/oat/withdraw",
        &[
            ("id", &second.to_string()),
            ("version", &v),
            ("reason", "Too late"),
        ],
    )
    .await;
    assert_eq!(to, format!("/requests/{second}/withdraw"));
    assert_eq!(request(&app, second).await.status.code(), "passed");
}

#[tokio::test]
async fn pdp_moves_a_confirmed_go_live_date_and_the_job_follows_it() {
    let (app, clock) = spawn_app_with_clock(|_| {}).await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    let id = send_request(&app, &m, "2026-12-01").await;
    let ids = id.to_string();
    pass(&app, &s, id).await;
    confirm_go_live(&app, &s, id).await;
    let v = version(&app, id).await;
    // Without a reason: refused, nothing moves.
    let to = post(
        &app,
        &s,
        "/api/staff/requests/move-go-live",
        &[
            ("id", &ids),
            ("version", &v),
            ("new_date", "2026-12-10"),
            ("reason", ""),
        ],
    )
    .await;
    assert_eq!(to, format!("/staff/requests/{id}/move-go-live"));
    assert!(app
        .page_text(&s, &to)
        .await
        .contains("Enter why the go-live date is moving"));
    post(
        &app,
        &s,
        "/api/staff/requests/move-go-live",
        &[
            ("id", &ids),
            ("version", &v),
            ("new_date", "2026-12-10"),
            ("reason", "PDP infrastructure is being updated that week"),
        ],
    )
    .await;
    let r = request(&app, id).await;
    assert_eq!(
        r.go_live_date,
        chrono::NaiveDate::from_ymd_opt(2026, 12, 10)
    );
    assert_eq!(r.status.code(), "go_live_confirmed");
    let moved = emails(&app)
        .await
        .into_iter()
        .find(|e| {
            e.subject
                .starts_with("Your go-live date has moved to 10 December 2026")
        })
        .expect("moved email");
    assert!(moved
        .body_text
        .contains("PDP infrastructure is being updated that week"));
    assert!(moved.body_text.contains("1 December 2026"), "the old date");
    let page = app.page_text(&m, &format!("/requests/{id}")).await;
    assert!(
        page.contains("10 December 2026")
            && page.contains("PDP infrastructure is being updated that week")
    );

    // The go-live job honours the new date.
    clock.set(Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap());
    server::go_live::run_once(&app.state.services)
        .await
        .unwrap();
    assert_eq!(request(&app, id).await.status.code(), "go_live_confirmed");
    clock.set(Utc.with_ymd_and_hms(2026, 12, 10, 0, 5, 0).unwrap());
    server::go_live::run_once(&app.state.services)
        .await
        .unwrap();
    assert_eq!(request(&app, id).await.status.code(), "live");
}

#[tokio::test]
async fn the_overview_shows_the_dates_agreed_so_far_and_the_request_lists_its_runs() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    let id = send_request(&app, &m, "2026-12-01").await;
    let overview = app.page_text(&m, "/organisation").await;
    assert!(overview.contains("Connection date asked for: 1 December 2026."));
    schedule(&app, &s, id, "2026-11-26").await;
    let overview = app.page_text(&m, "/organisation").await;
    assert!(overview.contains(
        "Connection date asked for: 1 December 2026. Test booked for 26 November 2026 at 10am."
    ));
    // The request page shows where runs of the test appear, with whose client sends them.
    let page = app.page_text(&m, &format!("/requests/{id}")).await;
    assert!(page.contains("Connectivity tests"));
    assert!(page.contains("sent from this portal"));
    assert!(page.contains("The connectivity test has not been run on this request yet."));
    let staff_page = app.page_text(&s, &format!("/staff/requests/{id}")).await;
    assert!(staff_page.contains("sent from this portal"));
    // Once a go-live date is confirmed, it replaces them.
    pass(&app, &s, id).await;
    confirm_go_live(&app, &s, id).await;
    let overview = app.page_text(&m, "/organisation").await;
    assert!(!overview.contains("Connection date asked for"));
    assert!(overview.contains("1 December 2026"));
}

#[tokio::test]
async fn a_re_test_sent_as_a_new_request_before_stays_readable_and_takes_no_action() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    let old = send_request(&app, &m, "2026-12-01").await;
    fail(&app, &s, old, "Old failure").await;
    // As the portal once did it: a second request for the scheme, naming the failed one.
    let manager_id = request(&app, old).await.submitted_by;
    let scheme = demo_scheme(&app).await;
    let mut tx = app.db.begin_write().await.unwrap();
    let (new, _) = oat::insert(
        &mut tx,
        1,
        scheme,
        manager_id,
        chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
        "old-style-retest",
        Some(old),
        Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let r = request(&app, old).await;
    assert!(r.superseded);
    let page = app.page_text(&m, &format!("/requests/{old}")).await;
    assert!(page.contains("Old failure"));
    assert!(!page.contains("Tell PDP you are ready for a re-test"));
    assert!(!page.contains("Withdraw this request"));
    let v = r.version.to_string();
    let to = post(
        &app,
        &m,
        "/api/oat/ready-for-retest",
        &[("id", &old.to_string()), ("version", &v)],
    )
    .await;
    assert_eq!(to, format!("/requests/{old}/ready-for-retest"));
    assert!(request(&app, old).await.retest_asked_at.is_none());
    let staff_page = app.page_text(&s, &format!("/staff/requests/{old}")).await;
    assert!(!staff_page.contains("Book the re-test"));
    let page = app.page_text(&m, &format!("/requests/{new}")).await;
    assert!(page.contains("Re-test of"));
    let _ = review::get(&app.db, new).await.unwrap().unwrap();
}

/// The whole loop (send, fail, support asked and booked, ready for re-test, re-test booked,
/// pass, go-live confirmed, live), then every email it wrote: who gets it, and that each names
/// the scheme, the reference and a link to the request.
#[tokio::test]
async fn every_email_of_the_loop_goes_to_the_right_people_with_reference_and_link() {
    let (app, clock) = spawn_app_with_clock(|_| {}).await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    let id = send_request(&app, &m, "2026-12-01").await;
    let ids = id.to_string();
    schedule(&app, &s, id, "2026-11-25").await;
    fail(&app, &s, id, "Answered 500").await;
    let v = version(&app, id).await;
    post(
        &app,
        &m,
        "/api/oat/support",
        &[("id", &ids), ("version", &v), ("needs", "Please explain")],
    )
    .await;
    let v = version(&app, id).await;
    post(
        &app,
        &s,
        "/api/staff/requests/support",
        &[
            ("id", &ids),
            ("version", &v),
            ("support_date", "2026-11-26"),
            ("support_time", "9:00"),
            ("support_join", "https://meet.example/a"),
        ],
    )
    .await;
    let v = version(&app, id).await;
    post(
        &app,
        &m,
        "/api/oat/ready-for-retest",
        &[("id", &ids), ("version", &v), ("note", "Fixed")],
    )
    .await;
    schedule(&app, &s, id, "2026-11-27").await;
    pass(&app, &s, id).await;
    confirm_go_live(&app, &s, id).await;
    clock.set(Utc.with_ymd_and_hms(2026, 12, 1, 0, 5, 0).unwrap());
    server::go_live::run_once(&app.state.services)
        .await
        .unwrap();
    assert_eq!(request(&app, id).await.status.code(), "live");

    let origin = app.state.services.public_origin.to_string();
    let manager_link = format!("{origin}/requests/{id}");
    let staff_link = format!("{origin}/staff/requests/{id}");
    let reference = "OAT-2026-000001";
    let mail = emails(&app).await;
    // (subject starts with, recipient, link)
    let expected: &[(&str, &str, &str)] = &[
        (
            "We have your request for operational acceptance testing",
            MANAGER,
            &manager_link,
        ),
        ("Your connectivity test is booked", MANAGER, &manager_link),
        (
            "Operational acceptance testing did not pass",
            MANAGER,
            &manager_link,
        ),
        ("Support session asked for", STAFF, &staff_link),
        ("Your support session is booked", MANAGER, &manager_link),
        ("Ready for re-test", STAFF, &staff_link),
        ("Your re-test is booked", MANAGER, &manager_link),
        (
            "Operational acceptance testing passed (",
            MANAGER,
            &manager_link,
        ),
        (
            "Operational acceptance testing passed: go-live date",
            MANAGER,
            &manager_link,
        ),
        (
            "Demo Workplace Pension Scheme is live",
            MANAGER,
            &manager_link,
        ),
    ];
    let subjects: Vec<&str> = mail.iter().map(|e| e.subject.as_str()).collect();
    assert_eq!(
        mail.len(),
        expected.len(),
        "one email per step: {subjects:#?}"
    );
    for (e, (subject, to, link)) in mail.iter().zip(expected) {
        assert!(
            e.subject.starts_with(subject),
            "{} (wanted {subject})",
            e.subject
        );
        assert_eq!(&e.recipient, to, "{}", e.subject);
        assert!(
            e.subject.contains(reference) || e.body_text.contains(reference),
            "reference in {}",
            e.subject
        );
        assert!(
            e.body_text.contains(link),
            "link in {}: {}",
            e.subject,
            e.body_text
        );
        assert!(
            e.body_html.contains(link),
            "link in the HTML of {}",
            e.subject
        );
        assert!(
            e.body_text.contains("Demo Workplace Pension"),
            "scheme in {}",
            e.subject
        );
    }
}
