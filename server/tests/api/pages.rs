use std::collections::HashSet;

use axum::{routing::get, Router};
use reqwest::StatusCode;

use crate::helpers::{spawn_app, spawn_app_with, title_of};

#[tokio::test]
async fn home_page_says_what_the_portal_is_for() {
    let app = spawn_app().await;
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"<html lang="en""#), "lang attribute");
    assert!(html.contains(r##"href="#main-content""##), "skip link");
    assert!(html.contains(r#"id="main-content""#), "skip link target");
    assert!(
        html.contains("Pensions dashboards connection portal"),
        "service name in header"
    );
    assert!(html.contains("operational acceptance testing"));
    assert_eq!(title_of(&html), "Pensions dashboards connection portal");
}

#[tokio::test]
async fn footer_pages_exist_with_unique_titles() {
    let app = spawn_app().await;
    let mut titles = HashSet::new();
    for (path, heading) in [
        ("/", "Connect to the pensions dashboards ecosystem"),
        ("/help", "Help"),
        ("/accessibility", "Accessibility statement"),
        ("/cookies", "Cookies"),
        ("/privacy", "Privacy"),
    ] {
        let (status, html) = app.get_html(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            html.contains(&format!(">{heading}</h1>")),
            "{path} has h1 {heading}"
        );
        for link in ["/help", "/accessibility", "/cookies", "/privacy"] {
            assert!(
                html.contains(&format!(r#"href="{link}""#)),
                "{path} links to {link}"
            );
        }
        assert!(
            titles.insert(title_of(&html).to_string()),
            "{path} title is unique"
        );
    }
}

/// Leptos lists an app's routes by rendering it with a process-wide switch that parks every
/// resource first polled meanwhile; the portal lists them once per process, so another portal
/// starting up (as in these tests) never leaves a page waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_keep_answering_while_other_portals_start() {
    let app = std::sync::Arc::new(spawn_app().await);
    let starting = tokio::spawn(async {
        for _ in 0..8 {
            drop(spawn_app().await);
        }
    });
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let app = app.clone();
            let starting = starting.abort_handle();
            tokio::spawn(async move {
                let mut served = 0;
                while !starting.is_finished() || served < 5 {
                    let (status, _) =
                        tokio::time::timeout(std::time::Duration::from_secs(10), app.get_html("/"))
                            .await
                            .expect("the page was served within 10 s");
                    assert_eq!(status, StatusCode::OK);
                    served += 1;
                }
            })
        })
        .collect();
    for reader in readers {
        reader.await.expect("every page was served");
    }
    starting.await.expect("the other portals started");
}

#[tokio::test]
async fn unknown_pages_get_the_not_found_page_with_404() {
    let app = spawn_app().await;
    let (status, html) = app.get_html("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"));
    assert_eq!(
        title_of(&html),
        "Page not found - Pensions dashboards connection portal"
    );
}

#[tokio::test]
async fn a_crash_gives_the_service_error_page_with_a_reference_and_no_internals() {
    let boom = Router::new().route("/test/boom", get(crate::helpers::panicking_handler));
    let app = spawn_app_with(|_| {}, boom).await;
    let (status, html) = app.get_html("/test/boom").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(html.contains("Sorry, there is a problem with the service"));
    assert!(html.contains("quote reference"));
    assert!(
        !html.contains("secret internal detail"),
        "panic message must not leak"
    );
    assert!(!html.contains("organisations"), "no internals");
    // The server carries on.
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn pages_link_the_hashed_stylesheet_and_hydration_scripts() {
    let app = spawn_app().await;
    let (_, html) = app.get_html("/").await;
    let css = app.state.assets.css_href("portal");
    assert!(
        html.contains(&format!(r#"href="{css}""#)),
        "stylesheet {css} linked"
    );
    assert!(
        app.state.assets.file.is_some(),
        "hash.txt found: run `cargo leptos build` first"
    );
    let js = app.state.assets.js.as_deref().expect("js hash");
    assert!(
        html.contains(&format!("/pkg/portal.{js}.js")),
        "hydration script linked"
    );
}

/// A page whose own data cannot be loaded (here its table has gone) while the session still
/// resolves: "Sorry, there is a problem with the service" with a reference and status 500, not
/// "Page not found". The same for a staff page.
#[tokio::test]
async fn a_page_whose_data_fails_says_so_with_a_reference() {
    use crate::helpers::{MANAGER, STAFF};
    let app = spawn_app().await;
    app.seed_accounts().await;
    let manager = app.signed_in(MANAGER).await;
    let staff = app.signed_in(STAFF).await;
    app::on_db!(&app.db, pool => sqlx::query("ALTER TABLE schemes RENAME TO schemes_gone")
        .execute(pool).await.map(|_| ()))
    .unwrap();
    for (who, client, path) in [
        ("manager", &manager, "/organisation"),
        ("staff", &staff, "/staff"),
    ] {
        let r = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{who} {path}"
        );
        let html = r.text().await.unwrap();
        assert!(
            html.contains(
                "<h1 class=\"govuk-heading-l\">Sorry, there is a problem with the service"
            ),
            "{who} {path}: {html}"
        );
        assert!(!html.contains("Page not found"), "{who} {path}");
        let reference = html
            .split("portal-reference\">")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .unwrap_or_default();
        assert_eq!(
            reference.len(),
            8,
            "{who} {path}: a reference to quote in {html}"
        );
        assert!(reference.chars().all(|c| c.is_ascii_alphanumeric()));
        // The session still resolved: the header names who is signed in.
        assert!(html.contains("Signed in as"), "{who} {path}");
        assert_eq!(
            title_of(&html),
            "Sorry, there is a problem with the service - Pensions dashboards connection portal"
        );
    }
}

/// A server function called with arguments it cannot decode: the caller's mistake, 400.
#[tokio::test]
async fn a_malformed_server_function_call_is_400() {
    use crate::helpers::MANAGER;
    let app = spawn_app().await;
    app.seed_accounts().await;
    let manager = app.signed_in(MANAGER).await;
    let r = manager
        .post(app.url("/api/connectivity/readiness/result"))
        .header("sec-fetch-site", "same-origin")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("scheme=not-a-number&submission_key=k")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}
