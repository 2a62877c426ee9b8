//! Further pension providers and schemes, on the running app, on both databases: adding one at a
//! time and by CSV file, the rules before the vouching scheme passes, staff's approval and
//! rejection, and going live on the approved date.

use app::store::{audit::AuditAction, outbox, schemes};
use chrono::{NaiveDate, TimeZone, Utc};
use reqwest::{multipart, StatusCode};

use crate::helpers::{
    location, spawn_app, spawn_app_with_clock, TestApp, CONTACT, MANAGER, OTHER_MANAGER, STAFF,
};

/// The demo organisation's vouching scheme passes OAT (as staff's outcome would make it).
async fn vouching_passes(app: &TestApp) {
    let vouching = schemes::list_for_organisation(&app.db, 1).await.unwrap()[0].id;
    let mut tx = app.db.begin_write().await.unwrap();
    assert!(schemes::move_status(
        &mut tx,
        vouching,
        &[app::domain::status::SchemeStatus::NotRequested],
        app::domain::status::SchemeStatus::Passed,
    )
    .await
    .unwrap());
    tx.commit().await.unwrap();
}

async fn further(app: &TestApp) -> Vec<schemes::Scheme> {
    schemes::list_for_organisation(&app.db, 1)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| !s.is_vouching)
        .collect()
}

const GOOD: [(&str, &str); 4] = [
    ("scheme_name", "Demo Stakeholder Pension"),
    ("regulator", "FCA"),
    ("regulator_number", "ab1234"),
    ("connection_date", "2026-12-10"),
];

async fn upload(
    app: &TestApp,
    c: &reqwest::Client,
    name: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    let part = multipart::Part::bytes(body)
        .file_name(name.to_string())
        .mime_str("text/csv")
        .unwrap();
    c.post(app.url("/organisation/schemes/upload"))
        .header("sec-fetch-site", "same-origin")
        .header("accept", "text/html")
        .multipart(multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

const HEADER: &str = "name,regulator,regulator_number,connection_date\n";

#[tokio::test]
async fn adding_schemes_waits_for_the_vouching_scheme_to_pass() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let page = app.page_text(&m, "/organisation/schemes/add").await;
    assert!(
        page.contains("once your vouching scheme, Demo Workplace Pension Scheme, has passed operational acceptance testing"),
        "{page}"
    );
    assert!(page.contains("Its testing status is not requested"));
    assert!(!page.contains("Send for approval"), "no form yet");

    let r = app.post_form(&m, "/api/schemes/add", &GOOD).await;
    assert_eq!(location(&r), "/organisation/schemes/add");
    let file = format!("{HEADER}A,FCA,1,2026-12-10\n");
    let r = upload(&app, &m, "a.csv", file.into_bytes()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        further(&app).await.is_empty(),
        "nothing is added before OAT passes"
    );
    assert_eq!(app.audit_count(AuditAction::SchemeSubmitted).await, 0);
}

#[tokio::test]
async fn a_scheme_added_by_form_is_approved_and_goes_live_on_its_date() {
    let (app, clock) = spawn_app_with_clock(|_| {}).await;
    app.seed_accounts().await;
    vouching_passes(&app).await;
    let m = app.signed_in(MANAGER).await;

    // Bad input: every problem at once, nothing stored, what was typed kept.
    let r = app
        .post_form(
            &m,
            "/api/schemes/add",
            &[
                ("scheme_name", ""),
                ("regulator_number", "12-34"),
                ("connection_date", "2026-11-29"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/organisation/schemes/add");
    let page = app.page_text(&m, "/organisation/schemes/add").await;
    assert!(page.contains("There is a problem"));
    assert!(page.contains("Enter the name of the pension provider or scheme"));
    assert!(page.contains("Select the regulator: FCA or TPR"));
    assert!(page.contains("Enter the regulator number, using only letters and numbers"));
    assert!(page.contains("Connection date must be the same as or after 30 November 2026"));
    assert!(page.contains("value=\"12-34\""), "what was typed is kept");
    assert!(further(&app).await.is_empty());

    // A good one: waiting for approval, audited, emailed.
    let r = app.post_form(&m, "/api/schemes/add", &GOOD).await;
    assert_eq!(location(&r), "/organisation");
    let added = further(&app).await;
    assert_eq!(added.len(), 1);
    assert_eq!(
        (
            added[0].approval.as_str(),
            added[0].status.code(),
            added[0].regulator_number.as_str()
        ),
        ("pending", "not_requested", "AB1234")
    );
    assert_eq!(app.audit_count(AuditAction::SchemeSubmitted).await, 1);
    let overview = app.page_text(&m, "/organisation").await;
    assert!(overview.contains(
        "Demo Stakeholder Pension sent to the Pensions Dashboards Programme for approval"
    ));
    assert!(overview.contains("Awaiting approval"));
    assert!(overview.contains("Connection date asked for: 10 December 2026"));
    let emails = outbox::recent(&app.db, 50).await.unwrap();
    assert!(emails
        .iter()
        .any(|e| e.recipient == MANAGER && e.subject.contains("Demo Stakeholder Pension")));

    // The same regulator number again is refused, whatever its case.
    let mut again = GOOD;
    again[2] = ("regulator_number", "AB1234");
    let r = app.post_form(&m, "/api/schemes/add", &again).await;
    assert_eq!(location(&r), "/organisation/schemes/add");
    let page = app.page_text(&m, "/organisation/schemes/add").await;
    assert!(page.contains("FCA AB1234 is already registered for your organisation"));
    assert_eq!(further(&app).await.len(), 1);

    // Staff see it waiting and approve it.
    let s = app.signed_in(STAFF).await;
    let list = app.page_text(&s, "/staff/schemes").await;
    assert!(list.contains("Demo Stakeholder Pension") && list.contains("1 waiting"));
    let id = added[0].id.to_string();
    // The organisation's page for staff lists it, with the way to decide.
    let org_page = app.page_text(&s, "/staff/organisations/1").await;
    assert!(org_page.contains("Demo Stakeholder Pension"));
    assert!(org_page.contains(&format!("href=\"/staff/schemes/{id}\"")));
    assert!(org_page.contains("Awaiting approval"));
    let r = app
        .post_form(
            &s,
            "/api/staff/schemes/decide",
            &[("id", &id), ("decision", "approve")],
        )
        .await;
    assert_eq!(location(&r), format!("/staff/schemes/{id}"));
    let page = app.page_text(&s, &location(&r)).await;
    assert!(page.contains("Demo Stakeholder Pension approved: it goes live on 10 December 2026"));
    assert!(page.contains("Approved"));
    let after = &further(&app).await[0];
    assert_eq!(
        (
            after.approval.as_str(),
            after.status.code(),
            after.go_live_on
        ),
        (
            "approved",
            "go_live_confirmed",
            NaiveDate::from_ymd_opt(2026, 12, 10)
        )
    );
    assert_eq!(app.audit_count(AuditAction::SchemeApproved).await, 1);
    assert!(app
        .page_text(&s, "/staff/schemes")
        .await
        .contains("No schemes are waiting"));

    // A second decision (another member of staff, a resubmit) changes nothing.
    let r = app
        .post_form(
            &s,
            "/api/staff/schemes/decide",
            &[("id", &id), ("decision", "reject"), ("reason", "x")],
        )
        .await;
    assert_eq!(location(&r), format!("/staff/schemes/{id}"));
    assert!(app
        .page_text(&s, &location(&r))
        .await
        .contains("This scheme has already been decided: nothing was changed"));
    assert_eq!(further(&app).await[0].approval, "approved");
    assert_eq!(app.audit_count(AuditAction::SchemeRejected).await, 0);

    // It goes live on its date, by the go-live job.
    clock.set(Utc.with_ymd_and_hms(2026, 12, 10, 0, 5, 0).unwrap());
    assert_eq!(
        server::go_live::run_once(&app.state.services)
            .await
            .unwrap(),
        1
    );
    assert_eq!(further(&app).await[0].status.code(), "live");
    // (The clock moved past the session's lifetime: sign in again.)
    let m = app.signed_in(MANAGER).await;
    let overview = app.page_text(&m, "/organisation").await;
    assert!(overview.contains(">Live<"), "{overview}");
}

#[tokio::test]
async fn a_rejection_needs_a_reason_which_the_organisation_sees() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    vouching_passes(&app).await;
    // The primary business contact may add schemes too.
    let c = app.signed_in(CONTACT).await;
    let r = app.post_form(&c, "/api/schemes/add", &GOOD).await;
    assert_eq!(location(&r), "/organisation");
    let id = further(&app).await[0].id.to_string();
    let s = app.signed_in(STAFF).await;

    let r = app
        .post_form(
            &s,
            "/api/staff/schemes/decide",
            &[("id", &id), ("decision", "reject"), ("reason", " ")],
        )
        .await;
    assert_eq!(location(&r), format!("/staff/schemes/{id}"));
    assert!(app
        .page_text(&s, &location(&r))
        .await
        .contains("Enter why the scheme is not approved"));
    let r = app
        .post_form(&s, "/api/staff/schemes/decide", &[("id", &id)])
        .await;
    assert!(app
        .page_text(&s, &location(&r))
        .await
        .contains("Select whether to approve or reject the scheme"));
    assert_eq!(further(&app).await[0].approval, "pending");

    app.post_form(
        &s,
        "/api/staff/schemes/decide",
        &[
            ("id", &id),
            ("decision", "reject"),
            ("reason", "The FCA number is for another firm"),
        ],
    )
    .await;
    let after = &further(&app).await[0];
    assert_eq!(after.approval, "rejected");
    assert_eq!(app.audit_count(AuditAction::SchemeRejected).await, 1);
    let overview = app.page_text(&c, "/organisation").await;
    assert!(overview.contains("Not approved: The FCA number is for another firm"));
    // Both the contact who sent it and the service manager are told.
    let emails = outbox::recent(&app.db, 50).await.unwrap();
    for who in [CONTACT, MANAGER] {
        assert!(
            emails
                .iter()
                .any(|e| e.recipient == who && e.subject.ends_with("is not approved")),
            "{who}"
        );
    }
    // Once rejected, the same number may be sent again.
    let r = app.post_form(&c, "/api/schemes/add", &GOOD).await;
    assert_eq!(location(&r), "/organisation");
    assert_eq!(further(&app).await.len(), 2);

    // Another organisation's manager cannot see it; staff pages are not theirs.
    let o = app.signed_in(OTHER_MANAGER).await;
    assert!(!app
        .page_text(&o, "/organisation")
        .await
        .contains("Demo Stakeholder Pension"));
}

#[tokio::test]
async fn a_csv_file_is_added_whole_or_not_at_all() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    vouching_passes(&app).await;
    let m = app.signed_in(MANAGER).await;

    // One bad row: nothing added, every bad row listed with its line.
    let bad = format!(
        "{HEADER}Good One,FCA,111,2026-12-10\nBad Regulator,PRA,222,2026-12-10\n\"Too, Early\",TPR,333,29/11/2026\n"
    );
    let r = upload(&app, &m, "schemes.csv", bad.into_bytes()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/organisation/schemes/upload");
    let page = app.page_text(&m, "/organisation/schemes/upload").await;
    assert!(
        page.contains("2 rows of the selected file have problems: nothing was added"),
        "{page}"
    );
    assert!(page.contains("Rows to correct in schemes.csv"));
    assert!(page.contains("Select the regulator: FCA or TPR"));
    assert!(page.contains("Too, Early"));
    assert!(page.contains("Connection date must be the same as or after 30 November 2026"));
    assert!(further(&app).await.is_empty());
    // The report is shown once.
    let again = app.page_text(&m, "/organisation/schemes/upload").await;
    assert!(!again.contains("Rows to correct"));

    // A good file: every row added, waiting for approval, one email.
    let good = format!("{HEADER}Good One,FCA,111,2026-12-10\nGood Two,TPR,222,10/12/2026\n");
    let r = upload(&app, &m, "schemes.csv", good.clone().into_bytes()).await;
    assert_eq!(location(&r), "/organisation");
    let overview = app.page_text(&m, "/organisation").await;
    assert!(overview.contains(
        "2 pension providers and schemes sent to the Pensions Dashboards Programme for approval"
    ));
    let added = further(&app).await;
    assert_eq!(added.len(), 2);
    assert!(added.iter().all(|s| s.approval == "pending"));
    assert_eq!(app.audit_count(AuditAction::SchemeSubmitted).await, 2);
    let emails = outbox::recent(&app.db, 50).await.unwrap();
    assert_eq!(
        emails
            .iter()
            .filter(|e| e.subject.contains("2 new pension providers and schemes"))
            .count(),
        1
    );

    // The same file again: numbers already registered, nothing added twice.
    let r = upload(&app, &m, "schemes.csv", good.into_bytes()).await;
    assert_eq!(location(&r), "/organisation/schemes/upload");
    let page = app.page_text(&m, "/organisation/schemes/upload").await;
    assert!(page.contains("FCA 111 is already registered for your organisation"));
    assert_eq!(further(&app).await.len(), 2);

    // Many bad rows: all counted, the first 100 listed.
    let many = format!("{HEADER}{}", "Bad,XYZ,1,2026-12-10\n".repeat(150));
    upload(&app, &m, "many.csv", many.into_bytes()).await;
    let page = app.page_text(&m, "/organisation/schemes/upload").await;
    assert!(page.contains("150 rows of the selected file have problems: nothing was added"));
    assert!(page.contains("150 of 150 rows checked have problems; the first 100 are listed"));
    assert_eq!(
        page.matches("<li>Select the regulator: FCA or TPR").count(),
        100
    );

    // Whole-file problems are named.
    let r = upload(&app, &m, "notes.csv", b"hello,world\n1,2\n".to_vec()).await;
    assert_eq!(location(&r), "/organisation/schemes/upload");
    assert!(app
        .page_text(&m, "/organisation/schemes/upload")
        .await
        .contains("The first line of the file must be the column names"));
    let big = format!("{HEADER}{}", "x".repeat(1024 * 1024));
    let r = upload(&app, &m, "big.csv", big.into_bytes()).await;
    assert_eq!(
        location(&r),
        "/organisation/schemes/upload",
        "{}",
        r.status()
    );
    let page = app.page_text(&m, "/organisation/schemes/upload").await;
    assert!(
        page.contains("The selected file must be smaller than 1 MB"),
        "{page}"
    );
    assert_eq!(further(&app).await.len(), 2);
}

#[tokio::test]
async fn the_upload_is_for_organisation_users_who_may_add() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    vouching_passes(&app).await;
    let file = format!("{HEADER}A,FCA,1,2026-12-10\n").into_bytes();
    let s = app.signed_in(STAFF).await;
    assert_eq!(
        upload(&app, &s, "a.csv", file.clone()).await.status(),
        StatusCode::FORBIDDEN
    );
    let anonymous = crate::helpers::client();
    let r = upload(&app, &anonymous, "a.csv", file).await;
    assert!(
        r.status().is_redirection() || r.status() == StatusCode::UNAUTHORIZED,
        "{}",
        r.status()
    );
    assert!(further(&app).await.is_empty());
}
