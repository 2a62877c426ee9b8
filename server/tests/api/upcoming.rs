//! The staff's "Upcoming" page and its CSV file, and how long each request has waited in the
//! queue, on the running app, on both databases.

use chrono::{Duration, TimeZone, Utc};
use reqwest::StatusCode;

use crate::helpers::{spawn_app_with_clock, MANAGER, STAFF};
use crate::review::{request, send_request};

#[tokio::test]
async fn staff_see_the_weeks_ahead_by_week_and_as_csv() {
    let (app, clock) = spawn_app_with_clock(|_| {}).await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    // The clock reads Monday 23 November 2026, midday.
    let id = send_request(&app, &m, "2026-12-01").await;
    let ids = id.to_string();

    // Nothing booked yet: twelve quiet weeks.
    let page = app.page_text(&s, "/staff/upcoming").await;
    assert!(page.contains("Upcoming tests and go-lives"), "{page}");
    assert!(page.contains("from Monday 23 November 2026 to Sunday 14 February 2027"));
    assert!(page.contains("In all: nothing booked."), "{page}");

    // A test booked for Thursday at 2pm appears in this week.
    crate::connectivity::schedule(&app, &s, id).await;
    let page = app.page_text(&s, "/staff/upcoming").await;
    assert!(page.contains("In all: 1 test."), "{page}");
    assert!(page.contains("Week starting Monday 23 November 2026"));
    assert!(page.contains("Thursday 26 November 2026 at 2pm"));
    assert!(page.contains(&format!("href=\"/staff/requests/{id}\"")));
    let first = csv(&s, &app.url("/staff/upcoming.csv")).await;
    assert_eq!(
        first,
        [
            "Week starting,Date,Time (UK),What,Reference,Organisation,Scheme",
            "2026-11-23,2026-11-26,14:00,Connectivity test,OAT-2026-000001,Demo Pensions Ltd,Demo Workplace Pension Scheme",
        ]
    );

    // After the pass and the go-live date, the test is done and the go-live is ahead.
    app.post_form(
        &s,
        "/api/staff/requests/outcome",
        &[("id", &ids), ("version", "2"), ("outcome", "passed")],
    )
    .await;
    app.post_form(
        &s,
        "/api/staff/requests/go-live",
        &[("id", &ids), ("version", "3"), ("which", "requested")],
    )
    .await;
    assert_eq!(request(&app, id).await.status.code(), "go_live_confirmed");
    let page = app.page_text(&s, "/staff/upcoming?weeks=4").await;
    assert!(page.contains("In all: 1 go-live."), "{page}");
    assert!(page.contains("Week starting Monday 30 November 2026"));
    assert!(page.contains("Tuesday 1 December 2026"));
    assert!(!page.contains("Thursday 26 November 2026 at 2pm"));
    let csv_rows = csv(&s, &app.url("/staff/upcoming.csv?weeks=4")).await;
    assert_eq!(
        csv_rows[1],
        "2026-11-30,2026-12-01,,Go-live,OAT-2026-000001,Demo Pensions Ltd,Demo Workplace Pension Scheme"
    );
    // One week: the go-live is beyond it.
    assert_eq!(
        csv(&s, &app.url("/staff/upcoming.csv?weeks=1")).await.len(),
        1
    );
    // A week later, the go-live is in the first week shown.
    clock.set(Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap());
    // Sessions time out on the app's clock: sign in again.
    let s = app.signed_in(STAFF).await;
    let m = app.signed_in(MANAGER).await;
    let rows = csv(&s, &app.url("/staff/upcoming.csv?weeks=1")).await;
    assert_eq!(rows.len(), 2, "{rows:?}");

    // A number of weeks out of bounds is refused with a reason.
    for bad in ["0", "53", "x"] {
        let r = s
            .get(app.url(&format!("/staff/upcoming.csv?weeks={bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            r.text().await.unwrap(),
            "Weeks must be a whole number from 1 to 52"
        );
        let page = app
            .page_text(&s, &format!("/staff/upcoming?weeks={bad}"))
            .await;
        assert!(
            page.contains("Weeks must be a whole number from 1 to 52"),
            "{page}"
        );
    }
    // Not for organisation users.
    let r = m.get(app.url("/staff/upcoming.csv")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app.post_form(&m, "/api/staff/upcoming", &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

async fn csv(c: &reqwest::Client, url: &str) -> Vec<String> {
    let r = c.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    r.text()
        .await
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn the_queue_shows_how_long_each_request_has_waited() {
    let (app, clock) = spawn_app_with_clock(|_| {}).await;
    app.seed_accounts().await;
    let m = app.signed_in(MANAGER).await;
    let s = app.signed_in(STAFF).await;
    let id = send_request(&app, &m, "2026-12-01").await;
    let ids = id.to_string();
    let sent = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
    clock.set(sent + Duration::hours(5));
    assert!(app
        .page_text(&s, "/staff")
        .await
        .contains("Waiting 5 hours since sent"));
    clock.set(sent + Duration::days(3) + Duration::hours(1));
    // Sessions time out on the app's clock: sign in again.
    let (s, m) = (app.signed_in(STAFF).await, app.signed_in(MANAGER).await);
    assert!(app
        .page_text(&s, "/staff")
        .await
        .contains("Waiting 3 days since sent"));

    // A failure waits for nobody at PDP until the organisation says it is ready again.
    let r = app
        .post_form(
            &s,
            "/api/staff/requests/failure",
            &[
                ("id", &ids),
                ("version", "1"),
                ("reason", "The endpoint answered 401"),
            ],
        )
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(request(&app, id).await.status.code(), "failed");
    let queue = app.page_text(&s, "/staff").await;
    assert!(!queue.contains("Waiting "), "{queue}");
    let r = app
        .post_form(
            &m,
            "/api/oat/ready-for-retest",
            &[
                ("id", &ids),
                ("version", "2"),
                ("note", "Fixed the certificate"),
            ],
        )
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    clock.set(sent + Duration::days(5) + Duration::hours(1));
    let s = app.signed_in(STAFF).await;
    let queue = app.page_text(&s, "/staff").await;
    assert!(
        queue.contains("Waiting 2 days since ready for re-test"),
        "{queue}"
    );
}
