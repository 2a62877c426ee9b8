//! The OAT request journey, on the running app, on both databases.

use app::store::{audit::AuditAction, oat, outbox, schemes};
use reqwest::StatusCode;

use crate::helpers::{
    client, location, spawn_app, spawn_app_with, TestApp, CONTACT, MANAGER, OTHER_MANAGER,
};

/// The fixed clock says 23 November 2026 (London), so the earliest date is 30 November.
const EARLIEST: &str = "2026-11-30";

async fn demo_scheme(app: &TestApp) -> i64 {
    let org = app::store::organisations::find_by_name(
        &app.db,
        &app::domain::OrganisationName::parse("Demo Pensions Ltd").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    schemes::list_for_organisation(&app.db, org.id)
        .await
        .unwrap()[0]
        .id
}

async fn answer(
    app: &TestApp,
    c: &reqwest::Client,
    scheme: i64,
    q: &str,
    a: &str,
) -> reqwest::Response {
    app.post_form(
        c,
        "/api/oat/answer",
        &[
            ("scheme", &scheme.to_string()),
            ("question", q),
            ("answer", a),
        ],
    )
    .await
}

async fn answer_all_yes(app: &TestApp, c: &reqwest::Client, scheme: i64) {
    for q in ["crypto-deployed", "connection-ready", "ready-for-live"] {
        assert_eq!(
            answer(app, c, scheme, q, "yes").await.status(),
            StatusCode::FOUND
        );
    }
}

async fn set_date(
    app: &TestApp,
    c: &reqwest::Client,
    scheme: i64,
    date: &str,
) -> reqwest::Response {
    app.post_form(
        c,
        "/api/oat/connection-date",
        &[("scheme", &scheme.to_string()), ("connection_date", date)],
    )
    .await
}

async fn key(app: &TestApp, scheme: i64) -> String {
    oat::draft(&app.db, scheme)
        .await
        .unwrap()
        .expect("draft")
        .submission_key
}

#[tokio::test]
async fn a_service_manager_sends_a_request_and_sees_it_on_the_overview() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let scheme = demo_scheme(&app).await;
    let m = app.signed_in(MANAGER).await;
    let overview = app.page_text(&m, "/organisation").await;
    assert!(overview.contains("Not requested") && overview.contains("Not set"));
    assert!(
        overview.contains(&format!("href=\"/oat/{scheme}\"")),
        "next step: request testing"
    );

    let r = answer(&app, &m, scheme, "crypto-deployed", "yes").await;
    assert_eq!(location(&r), format!("/oat/{scheme}/connection-ready"));
    let r = answer(&app, &m, scheme, "connection-ready", "yes").await;
    assert_eq!(location(&r), format!("/oat/{scheme}/ready-for-live"));
    let r = answer(&app, &m, scheme, "ready-for-live", "yes").await;
    assert_eq!(location(&r), format!("/oat/{scheme}/connection-date"));
    let page = app.page_text(&m, &location(&r)).await;
    assert!(
        page.contains("The earliest date you can choose is 30 November 2026"),
        "hint"
    );
    assert!(
        page.contains(r#"min="2026-11-30""#) && page.contains(r#"max="2028-11-23""#),
        "picker limits"
    );
    let r = set_date(&app, &m, scheme, EARLIEST).await;
    assert_eq!(location(&r), format!("/oat/{scheme}/check-answers"));
    let page = app.page_text(&m, &location(&r)).await;
    assert!(
        page.contains("30 November 2026") && page.contains("Send request"),
        "check answers; the page's main part was: {}",
        crate::helpers::main_part(&page)
    );

    let k = key(&app, scheme).await;
    let r = app
        .post_form(
            &m,
            "/api/oat/send",
            &[("scheme", &scheme.to_string()), ("submission_key", &k)],
        )
        .await;
    let sent = location(&r);
    assert!(
        sent.starts_with("/requests/") && sent.ends_with("/sent"),
        "{sent}"
    );
    let page = app.page_text(&m, &sent).await;
    assert!(
        page.contains("Request sent") && page.contains("OAT-2026-000001"),
        "reference on the confirmation"
    );

    let overview = app.page_text(&m, "/organisation").await;
    assert!(overview.contains("Requested") && overview.contains("View request"));
    let detail = app.page_text(&m, sent.trim_end_matches("/sent")).await;
    assert!(
        detail.contains("Request sent") && detail.contains("Connection date 30 November 2026"),
        "timeline"
    );
    assert_eq!(
        schemes::list_for_organisation(&app.db, 1).await.unwrap()[0]
            .status
            .code(),
        "requested"
    );
    assert!(
        oat::draft(&app.db, scheme).await.unwrap().is_none(),
        "answers cleared once sent"
    );
    let emails = outbox::recent(&app.db, 10).await.unwrap();
    assert!(emails
        .iter()
        .any(|e| e.recipient == MANAGER && e.subject.contains("OAT-2026-000001")));
    // Service managers hear of it; a primary business contact is not one.
    assert!(!emails
        .iter()
        .any(|e| e.recipient == CONTACT && e.subject.contains("OAT-2026-000001")));
    assert_eq!(app.audit_count(AuditAction::OatRequested).await, 1);
}

#[tokio::test]
async fn a_no_answer_explains_what_to_do_and_creates_nothing() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let scheme = demo_scheme(&app).await;
    let m = app.signed_in(MANAGER).await;
    let r = answer(&app, &m, scheme, "connection-ready", "no").await;
    assert_eq!(
        location(&r),
        format!("/oat/{scheme}/cannot-request?question=connection-ready")
    );
    let page = app.page_text(&m, &location(&r)).await;
    assert!(page.contains("You cannot request operational acceptance testing yet"));
    assert!(page.contains("ready to be tested"));
    assert_eq!(oat::count_for_organisation(&app.db, 1).await.unwrap(), 0);
    // Sending anyway is refused back to the page that explains.
    set_date(&app, &m, scheme, EARLIEST).await;
    let k = key(&app, scheme).await;
    let r = app
        .post_form(
            &m,
            "/api/oat/send",
            &[("scheme", &scheme.to_string()), ("submission_key", &k)],
        )
        .await;
    assert!(location(&r).contains("cannot-request") || location(&r).ends_with("crypto-deployed"));
    assert_eq!(oat::count_for_organisation(&app.db, 1).await.unwrap(), 0);
}

#[tokio::test]
async fn nothing_chosen_is_an_error_with_gov_uk_wording() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let scheme = demo_scheme(&app).await;
    let m = app.signed_in(MANAGER).await;
    let r = app
        .post_form(
            &m,
            "/api/oat/answer",
            &[
                ("scheme", &scheme.to_string()),
                ("question", "crypto-deployed"),
            ],
        )
        .await;
    assert_eq!(location(&r), format!("/oat/{scheme}/crypto-deployed"));
    let page = app.page_text(&m, &location(&r)).await;
    assert!(page.contains("Select yes if your crypto material has been deployed"));
    assert!(page.contains("<title>Error: Has your crypto material been deployed?"));
}

#[tokio::test]
async fn each_date_error_is_worded_as_gov_uk_words_it_and_keeps_the_value() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let scheme = demo_scheme(&app).await;
    let m = app.signed_in(MANAGER).await;
    answer_all_yes(&app, &m, scheme).await;
    for (typed, message) in [
        ("", "Enter the connection date"),
        ("2026-02-30", "Connection date must be a real date"),
        ("not a date", "Connection date must be a real date"),
        ("2026-12", "Connection date must include a day"),
        (
            "2026-11-29",
            "Connection date must be the same as or after 30 November 2026",
        ),
        (
            "2028-11-24",
            "This portal accepts connection dates up to 23 November 2028: enter that date or an earlier one",
        ),
    ] {
        let r = set_date(&app, &m, scheme, typed).await;
        assert_eq!(
            location(&r),
            format!("/oat/{scheme}/connection-date"),
            "{typed:?}"
        );
        let page = app.page_text(&m, &location(&r)).await;
        assert!(page.contains(message), "{typed:?} -> {message}");
        assert!(page.contains("There is a problem"));
        if !typed.is_empty() && typed != "not a date" {
            assert!(
                page.contains(&format!(r#"value="{typed}""#)),
                "value kept for {typed}"
            );
        }
    }
    assert!(oat::draft(&app.db, scheme)
        .await
        .unwrap()
        .unwrap()
        .connection_date
        .is_none());
}

#[tokio::test]
async fn a_later_technical_connection_date_moves_the_earliest_date() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let scheme = demo_scheme(&app).await;
    let mut tx = app.db.begin_write().await.unwrap();
    schemes::set_technical_connection_on(
        &mut tx,
        1,
        Some(chrono::NaiveDate::from_ymd_opt(2026, 12, 10).unwrap()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let m = app.signed_in(MANAGER).await;
    answer_all_yes(&app, &m, scheme).await;
    let r = set_date(&app, &m, scheme, "2026-12-10").await;
    let page = app.page_text(&m, &location(&r)).await;
    assert!(page.contains("Connection date must be the same as or after 11 December 2026"));
    assert!(page.contains("when your organisation completes its technical connection journey"));
    let r = set_date(&app, &m, scheme, "2026-12-11").await;
    assert_eq!(location(&r), format!("/oat/{scheme}/check-answers"));
}

#[tokio::test]
async fn double_submits_and_two_tabs_make_exactly_one_request() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let scheme = demo_scheme(&app).await;
    let m = app.signed_in(MANAGER).await;
    answer_all_yes(&app, &m, scheme).await;
    set_date(&app, &m, scheme, EARLIEST).await;
    let k = key(&app, scheme).await;
    let posts = (0..5).map(|_| {
        let (app_url, m, k) = (app.url("/api/oat/send"), m.clone(), k.clone());
        async move {
            m.post(app_url)
                .header("sec-fetch-site", "same-origin")
                .header("accept", "text/html")
                .form(&[("scheme", scheme.to_string()), ("submission_key", k)])
                .send()
                .await
                .unwrap()
        }
    });
    let responses = futures::future::join_all(posts).await;
    for r in &responses {
        assert_eq!(r.status(), StatusCode::FOUND);
        assert!(location(r).starts_with("/requests/"), "{}", location(r));
    }
    assert_eq!(oat::count_for_organisation(&app.db, 1).await.unwrap(), 1);
    // Resubmitting later, or a second tab with another key, still makes no second request.
    let r = app
        .post_form(
            &m,
            "/api/oat/send",
            &[("scheme", &scheme.to_string()), ("submission_key", &k)],
        )
        .await;
    assert!(location(&r).ends_with("/sent"));
    let r = app
        .post_form(
            &m,
            "/api/oat/send",
            &[
                ("scheme", &scheme.to_string()),
                ("submission_key", "another-tab"),
            ],
        )
        .await;
    assert!(location(&r).starts_with("/requests/"));
    assert_eq!(oat::count_for_organisation(&app.db, 1).await.unwrap(), 1);
    // Starting again shows the open request.
    let page = app
        .page_text(&m, &format!("/oat/{scheme}/crypto-deployed"))
        .await;
    assert!(page.contains("You have already requested testing"));
}

#[tokio::test]
async fn answers_are_kept_across_sign_out() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let scheme = demo_scheme(&app).await;
    let m = app.signed_in(MANAGER).await;
    let r = answer(&app, &m, scheme, "crypto-deployed", "yes").await;
    assert_eq!(r.status(), StatusCode::FOUND, "answer saved");
    assert_eq!(location(&r), format!("/oat/{scheme}/connection-ready"));
    app.post_form(&m, "/api/auth/sign-out", &[]).await;
    let again = app.signed_in(MANAGER).await;
    let page = app
        .page_text(&again, &format!("/oat/{scheme}/crypto-deployed"))
        .await;
    assert!(
        page.contains(r#"value="yes" checked"#),
        "Yes still chosen; the page's main part was: {}",
        crate::helpers::main_part(&page)
    );
}

#[tokio::test]
async fn only_service_managers_send_and_other_organisations_see_nothing() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let scheme = demo_scheme(&app).await;
    let contact = app.signed_in(CONTACT).await;
    assert_eq!(
        contact
            .get(app.url("/organisation"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let r = contact
        .post(app.url("/api/oat/answer"))
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("scheme", scheme.to_string().as_str()),
            ("question", "crypto-deployed"),
            ("answer", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let other = app.signed_in(OTHER_MANAGER).await;
    let r = other
        .post(app.url("/api/oat/answer"))
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("scheme", scheme.to_string().as_str()),
            ("question", "crypto-deployed"),
            ("answer", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "another organisation's scheme does not exist for them"
    );
    assert!(
        oat::draft(&app.db, scheme).await.unwrap().is_none(),
        "nothing saved"
    );
    let page = app.page_text(&other, "/organisation").await;
    assert!(!page.contains("Demo Workplace Pension Scheme"));
}

#[tokio::test]
async fn malformed_bodies_get_a_clear_4xx_and_change_nothing() {
    let app = spawn_app_with(|c| c.body_limit = 64 * 1024, axum::Router::new()).await;
    app.seed_accounts().await;
    let scheme = demo_scheme(&app).await.to_string();
    let m = app.signed_in(MANAGER).await;
    let huge = "x".repeat(100 * 1024);
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/api/oat/answer", vec![("scheme", scheme.as_str())]),
        (
            "/api/oat/answer",
            vec![
                ("scheme", "abc"),
                ("question", "crypto-deployed"),
                ("answer", "yes"),
            ],
        ),
        (
            "/api/oat/answer",
            vec![
                ("scheme", scheme.as_str()),
                ("question", "\u{0}\u{7}"),
                ("answer", "yes"),
            ],
        ),
        (
            "/api/oat/answer",
            vec![
                ("scheme", scheme.as_str()),
                ("question", "crypto-deployed"),
                ("answer", huge.as_str()),
            ],
        ),
        (
            "/api/oat/connection-date",
            vec![("scheme", "999999"), ("connection_date", EARLIEST)],
        ),
        (
            "/api/oat/connection-date",
            vec![("connection_date", EARLIEST)],
        ),
        ("/api/oat/send", vec![("scheme", scheme.as_str())]),
        (
            "/api/oat/send",
            vec![("scheme", scheme.as_str()), ("submission_key", "")],
        ),
        ("/api/oat/request", vec![("id", "-1")]),
    ];
    for (path, form) in cases {
        let r = m
            .post(app.url(path))
            .header("sec-fetch-site", "same-origin")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_client_error(),
            "{path} {:?} -> {}",
            form.iter().map(|(k, v)| (k, v.len())).collect::<Vec<_>>(),
            r.status()
        );
    }
    assert!(
        oat::draft(&app.db, demo_scheme(&app).await)
            .await
            .unwrap()
            .is_none(),
        "no answers stored"
    );
    assert_eq!(oat::count_for_organisation(&app.db, 1).await.unwrap(), 0);
    let _ = client();
}

#[tokio::test]
async fn only_the_vouching_scheme_not_yet_through_oat_can_be_requested() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let vouching = demo_scheme(&app).await;
    let mut tx = app.db.begin_write().await.unwrap();
    let other = schemes::insert(
        &mut tx,
        1,
        "Second Scheme",
        "FCA",
        "123456",
        false,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let m = app.signed_in(MANAGER).await;
    let r = answer(&app, &m, other, "crypto-deployed", "yes").await;
    assert_eq!(location(&r), format!("/oat/{other}"));
    let page = app.page_text(&m, &format!("/oat/{other}")).await;
    assert!(
        page.contains(
            "Operational acceptance testing is for your organisation&#x27;s vouching scheme"
        ) || page
            .contains("Operational acceptance testing is for your organisation's vouching scheme")
    );
    let r = app
        .post_form(
            &m,
            "/api/oat/send",
            &[("scheme", &other.to_string()), ("submission_key", "k1")],
        )
        .await;
    assert_eq!(location(&r), format!("/oat/{other}"));
    assert_eq!(oat::count_for_organisation(&app.db, 1).await.unwrap(), 0);

    // A vouching scheme that has passed cannot be requested again.
    let mut tx = app.db.begin_write().await.unwrap();
    schemes::move_status(
        &mut tx,
        vouching,
        &[app::domain::status::SchemeStatus::NotRequested],
        app::domain::status::SchemeStatus::Passed,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let r = answer(&app, &m, vouching, "crypto-deployed", "yes").await;
    assert_eq!(location(&r), format!("/oat/{vouching}"));
    assert!(oat::draft(&app.db, vouching).await.unwrap().is_none());
}

/// PDP's rules are cited as PDP's; this portal's own limits say they are its own; what the
/// organisation does with the synthetic find request is what the guidance says.
#[tokio::test]
async fn pdp_rules_are_cited_and_the_portals_own_are_worded_as_such() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let scheme = demo_scheme(&app).await;
    let start = app.page_text(&m, &format!("/oat/{scheme}")).await;
    assert!(
        start.contains("acknowledge it with a 202 response, then perform your matching process")
    );
    assert!(start
        .contains("Do not match it against an actual pension record: it contains synthetic data."));
    assert!(start.contains("go live on the date agreed in service acceptance"));
    let home = app.page_text(&client(), "/").await;
    assert!(!home.contains("must have completed its technical connection journey"));
    assert!(home.contains("at least 7 calendar days ahead (CoCo 3.1.13)"));
    assert!(home.contains("Your connection date must be after the date you complete the technical connection journey."));
    // A date past this portal's own limit: the message says whose limit it is.
    answer_all_yes(&app, &m, scheme).await;
    let r = set_date(&app, &m, scheme, "2030-01-01").await;
    let page = app.page_text(&m, &location(&r)).await;
    assert!(
        page.contains("This portal accepts connection dates up to"),
        "{page}"
    );
    assert!(!page.contains("2 years"));
}
