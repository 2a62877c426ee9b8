//! Calendar files for the booked test and the confirmed go-live date: served from the request's
//! pages to the right people only, attached to the emails that announce them, and the same event
//! (one UID, a growing SEQUENCE) when a date moves. On the running app, on both databases.

use reqwest::{header, StatusCode};
use server::config::SecretUrl;
use server::outbox_worker::{deliver_due, Transport};

use crate::helpers::{client, location, spawn_app_with, TestApp, MANAGER, STAFF};
use crate::review::send_request;
use crate::smtp_sink::SmtpSink;

fn line(ics: &str, key: &str) -> String {
    ics.lines()
        .find(|l| l.starts_with(key))
        .unwrap_or_else(|| panic!("no {key} in {ics}"))
        .to_string()
}

/// The newest email whose subject starts with `subject`, with its calendar file.
async fn emailed(app: &TestApp, subject: &str) -> (String, String) {
    let row = app::store::outbox::recent(&app.db, 50)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.subject.starts_with(subject) && e.recipient == MANAGER)
        .unwrap_or_else(|| panic!("no email {subject}"));
    (
        row.calendar_name.expect("a calendar file is attached"),
        row.calendar_ics.expect("its text"),
    )
}

async fn get_ics(app: &TestApp, c: &reqwest::Client, path: &str) -> reqwest::Response {
    c.get(app.url(path)).send().await.unwrap()
}

#[tokio::test]
async fn the_test_and_the_go_live_date_come_as_calendar_files_that_update_when_moved() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = spawn_app_with(
        move |c| c.smtp_url = Some(SecretUrl::new(url)),
        axum::Router::new(),
    )
    .await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    let id = send_request(&app, &m, "2026-12-01").await;
    let ids = id.to_string();
    let mine = format!("/requests/{id}/calendar/test.ics");
    let staffs = format!("/staff/requests/{id}/calendar/test.ics");
    // Nothing booked: nothing to add.
    assert_eq!(
        get_ics(&app, &m, &mine).await.status(),
        StatusCode::NOT_FOUND
    );

    let schedule = |version: &'static str, date: &'static str| {
        let (app, s, ids) = (&app, &s, ids.clone());
        async move {
            let r = app
                .post_form(
                    s,
                    "/api/staff/requests/schedule",
                    &[
                        ("id", &ids),
                        ("version", version),
                        ("test_date", date),
                        ("test_time", "2pm"),
                        ("note", ""),
                    ],
                )
                .await;
            assert_eq!(location(&r), format!("/staff/requests/{ids}"));
        }
    };
    schedule("1", "2026-11-26").await;
    let r = get_ics(&app, &m, &mine).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()[header::CONTENT_TYPE],
        "text/calendar; charset=utf-8"
    );
    assert_eq!(
        r.headers()[header::CONTENT_DISPOSITION],
        "attachment; filename=\"test.ics\""
    );
    let ics = r.text().await.unwrap();
    let host = app.address.trim_start_matches("http://").to_string();
    let uid = format!("UID:oat-request-{id}-test-1@{host}");
    assert_eq!(line(&ics, "UID:"), uid);
    assert_eq!(line(&ics, "SEQUENCE:"), "SEQUENCE:2");
    assert_eq!(line(&ics, "DTSTART"), "DTSTART:20261126T140000Z");
    assert!(
        ics.contains("SUMMARY:Connectivity test: Demo Workplace Pension Scheme (OAT-2026-000001)")
    );
    // Staff have the same file from their page.
    let r = get_ics(&app, &s, &staffs).await;
    assert_eq!(line(&r.text().await.unwrap(), "UID:"), uid);
    // Both pages link it.
    let page = app.page_text(&m, &format!("/requests/{id}")).await;
    assert!(page.contains(&format!("href=\"{mine}\"")), "{page}");
    assert!(page.contains("Add the connectivity test to your calendar"));
    let page = app.page_text(&s, &format!("/staff/requests/{id}")).await;
    assert!(page.contains(&format!("href=\"{staffs}\"")));
    // Nobody else has it: another organisation, or nobody signed in.
    let other = app.signed_in("manager@harbour-pensions.example").await;
    assert_eq!(
        get_ics(&app, &other, &mine).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get_ics(&app, &m, &staffs).await.status(),
        StatusCode::FORBIDDEN
    );
    let r = get_ics(&app, &client(), &mine).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for bad in ["go-live.ics", "other.ics", "..%2Ftest.ics"] {
        let r = get_ics(&app, &m, &format!("/requests/{id}/calendar/{bad}")).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
    }

    // The booking email carries the same event.
    let (name, attached) = emailed(&app, "Your connectivity test is booked").await;
    assert_eq!(name, "test.ics");
    assert_eq!(line(&attached, "UID:"), uid);
    assert_eq!(line(&attached, "SEQUENCE:"), "SEQUENCE:2");

    // Moved: the same event, a higher sequence, the new time.
    schedule("2", "2026-11-27").await;
    let (_, moved) = emailed(&app, "Your connectivity test has moved").await;
    assert_eq!(line(&moved, "UID:"), uid);
    assert_eq!(line(&moved, "SEQUENCE:"), "SEQUENCE:3");
    assert_eq!(line(&moved, "DTSTART"), "DTSTART:20261127T140000Z");
    let served = get_ics(&app, &m, &mine).await.text().await.unwrap();
    assert_eq!(line(&served, "SEQUENCE:"), "SEQUENCE:3");

    // Passed, and the go-live date confirmed: the test's file goes, the go-live's comes.
    app.post_form(
        &s,
        "/api/staff/requests/outcome",
        &[("id", &ids), ("version", "3"), ("outcome", "passed")],
    )
    .await;
    app.post_form(
        &s,
        "/api/staff/requests/go-live",
        &[("id", &ids), ("version", "4"), ("which", "requested")],
    )
    .await;
    assert_eq!(
        get_ics(&app, &m, &mine).await.status(),
        StatusCode::NOT_FOUND
    );
    let go_live = get_ics(&app, &m, &format!("/requests/{id}/calendar/go-live.ics"))
        .await
        .text()
        .await
        .unwrap();
    let go_live_uid = format!("UID:oat-request-{id}-go-live@{host}");
    assert_eq!(line(&go_live, "UID:"), go_live_uid);
    assert_eq!(line(&go_live, "DTSTART"), "DTSTART;VALUE=DATE:20261201");
    let (name, attached) = emailed(&app, "Operational acceptance testing passed: go-live").await;
    assert_eq!(name, "go-live.ics");
    assert_eq!(line(&attached, "SEQUENCE:"), "SEQUENCE:5");
    let r = app
        .post_form(
            &s,
            "/api/staff/requests/move-go-live",
            &[
                ("id", &ids),
                ("version", "5"),
                ("new_date", "2026-12-08"),
                ("reason", "Capacity on the 1st"),
            ],
        )
        .await;
    assert_eq!(location(&r), format!("/staff/requests/{id}"));
    let (_, moved) = emailed(&app, "Your go-live date has moved").await;
    assert_eq!(line(&moved, "UID:"), go_live_uid);
    assert_eq!(line(&moved, "SEQUENCE:"), "SEQUENCE:6");
    assert_eq!(line(&moved, "DTSTART"), "DTSTART;VALUE=DATE:20261208");

    // Delivered by SMTP: the words and the calendar file, as an attachment calendars know.
    deliver_due(
        &app.state.services,
        &Transport::from_config(&app.state.config).unwrap(),
    )
    .await
    .unwrap();
    let got = sink.received();
    let mail = got
        .iter()
        .find(|m| m.data.contains("Subject: Your go-live date has moved"))
        .expect("delivered");
    assert!(mail.data.contains("multipart/mixed"), "{}", mail.data);
    assert!(mail.data.contains("multipart/alternative"));
    assert!(mail
        .data
        .contains("Content-Type: text/calendar; charset=utf-8; method=PUBLISH"));
    assert!(
        mail.data.contains("filename=\"go-live.ics\""),
        "{}",
        mail.data
    );
}

#[tokio::test]
async fn withdrawing_a_request_with_a_booked_test_cancels_its_calendar_event() {
    let app = spawn_app_with(|_| {}, axum::Router::new()).await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    let id = send_request(&app, &m, "2026-12-01").await;
    let ids = id.to_string();
    crate::connectivity::schedule(&app, &s, id).await;
    let (_, booked) = emailed(&app, "Your connectivity test is booked").await;
    let r = app
        .post_form(
            &m,
            "/api/oat/withdraw",
            &[
                ("id", &ids),
                ("version", "2"),
                ("reason", "Our supplier is late"),
            ],
        )
        .await;
    assert_eq!(location(&r), format!("/requests/{id}"));
    let (name, cancelled) = emailed(
        &app,
        "Your request for operational acceptance testing is withdrawn",
    )
    .await;
    assert_eq!(name, "test.ics");
    assert_eq!(
        line(&cancelled, "UID:"),
        line(&booked, "UID:"),
        "the same event"
    );
    assert_eq!(line(&cancelled, "SEQUENCE:"), "SEQUENCE:3");
    assert_eq!(line(&cancelled, "STATUS:"), "STATUS:CANCELLED");
    // Staff's copy carries it too; and the request has no test to add any more.
    let staff_copy = app::store::outbox::recent(&app.db, 50)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.subject.starts_with("Request withdrawn") && e.recipient == STAFF)
        .expect("staff are told");
    assert!(staff_copy
        .calendar_ics
        .is_some_and(|ics| ics.contains("STATUS:CANCELLED")));
    let r = get_ics(&app, &m, &format!("/requests/{id}/calendar/test.ics")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
