use std::time::Duration;

use axum::{routing::get, Router};
use reqwest::StatusCode;

use crate::helpers::{client, spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_is_ok_and_sets_no_cookie() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("set-cookie").is_none());
    assert_eq!(response.text().await.unwrap(), "ok\n");
}

#[tokio::test]
async fn readyz_is_ok_when_the_database_is_migrated() {
    let app = spawn_app().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert_eq!(body, "ready\n");
}

#[tokio::test]
async fn without_a_database_healthz_stays_ok_but_readyz_is_503() {
    let app = spawn_app().await;
    app.db.close().await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = response.text().await.unwrap();
    assert_eq!(body, "database unavailable\n", "no internals in the body");
}

#[tokio::test]
async fn readyz_is_503_while_shutting_down() {
    let mut app =
        spawn_app_with(|c| c.shutdown_delay = Duration::from_secs(3), Router::new()).await;
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    app.begin_shutdown();
    let mut status = StatusCode::OK;
    for _ in 0..50 {
        // A new client: a fresh connection, as a load balancer's probe would use.
        status = client()
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    // Liveness is unaffected while draining.
    assert_eq!(
        client()
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    app.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish_then_refuses_new_ones() {
    let slow = Router::new().route(
        "/test/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(800)).await;
            "finished"
        }),
    );
    let mut app = spawn_app_with(|_| {}, slow).await;
    let in_flight = {
        let request = app.client.get(app.url("/test/slow")).send();
        tokio::spawn(request)
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.begin_shutdown();
    let response = in_flight
        .await
        .unwrap()
        .expect("in-flight request completes");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "finished");
    app.stop().await.expect("clean shutdown");
    let after = client().get(app.url("/healthz")).send().await;
    assert!(after.is_err(), "the listener is closed after shutdown");
}

#[tokio::test]
async fn shutdown_cuts_off_requests_that_outlive_the_timeout() {
    let stuck = Router::new().route(
        "/test/stuck",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            "never"
        }),
    );
    let mut app = spawn_app_with(|c| c.shutdown_timeout = Duration::from_secs(1), stuck).await;
    let _in_flight = tokio::spawn(app.client.get(app.url("/test/stuck")).send());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    app.stop().await.expect("shutdown returns");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "drain is bounded"
    );
}
