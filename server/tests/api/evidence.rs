//! A connectivity run's evidence: on its page, printable, and signed so that the documented
//! command (Debian's `jose`, against the running portal's `/.well-known/jwks.json`) verifies it
//! and refuses a changed copy. On the running app, on both databases.

use std::process::Command;

use reqwest::{header, StatusCode};
use simulator::Answer;

use crate::connectivity::{finished_run, official_run, simulator_for, url_of, OfficialRun};
use crate::helpers::{location, spawn_app_with, TestApp, MANAGER, OTHER_MANAGER};

/// Runs the documented command on a saved file; returns whether it verified, and what it printed.
/// It runs off the test's thread, which also serves the portal the command fetches keys from.
async fn verify(app: &TestApp, token: &str, name: &str) -> (bool, String) {
    let (jwks, token, name) = (
        app.url("/.well-known/jwks.json"),
        token.to_string(),
        name.to_string(),
    );
    tokio::task::spawn_blocking(move || run_verify(&jwks, &token, &name))
        .await
        .unwrap()
}

fn run_verify(jwks: &str, token: &str, name: &str) -> (bool, String) {
    assert!(
        Command::new("jose").arg("--help").output().is_ok(),
        "the jose command is needed: Debian's package `jose` (make test installs it)"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), token).unwrap();
    let command = app::api::evidence::verify_command(jwks, name);
    let out = Command::new("sh")
        .arg("-c")
        .arg(&command)
        .current_dir(dir.path())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn an_official_run_has_evidence_that_the_documented_command_verifies() {
    let OfficialRun {
        app,
        manager,
        staff,
        sim,
        request,
        run_page,
        html,
    } = official_run().await;
    let run: i64 = run_page.rsplit('/').next().unwrap().parse().unwrap();
    assert!(html.contains(&format!("href=\"/connectivity/runs/{run}/evidence\"")));
    assert!(html.contains("Address connected to"));

    // The printable page: the whole record, and how to check the signed copy.
    let page = app
        .page_text(&staff, &format!("/connectivity/runs/{run}/evidence"))
        .await;
    let port = url_of(&sim)
        .split(':')
        .nth(2)
        .and_then(|p| p.split('/').next())
        .unwrap()
        .to_string();
    for expected in [
        format!("Evidence of connectivity run {run}"),
        "Official connectivity test".to_string(),
        format!("127.0.0.1:{port}"),
        "TLS13_".to_string(),
        "Server certificate issuer".to_string(),
        "OAT-2026-000001".to_string(),
        "jose jws ver -i evidence-run-".to_string(),
    ] {
        assert!(page.contains(&expected), "{expected} missing from {page}");
    }
    // The organisation sees its own; another organisation does not.
    let mine = app
        .page_text(&manager, &format!("/connectivity/runs/{run}/evidence"))
        .await;
    assert!(mine.contains(&format!("Evidence of connectivity run {run}")));
    let other = app.signed_in(OTHER_MANAGER).await;
    for path in [
        format!("/connectivity/runs/{run}/evidence"),
        format!("/connectivity/runs/{run}/evidence.jws"),
    ] {
        let r = other.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // The request's timeline links it, for staff and for the organisation.
    let link = format!("href=\"/connectivity/runs/{run}/evidence\"");
    assert!(app
        .page_text(&staff, &format!("/staff/requests/{request}"))
        .await
        .contains(&link));
    assert!(app
        .page_text(&manager, &format!("/requests/{request}"))
        .await
        .contains(&link));

    // The signed file verifies with the documented command, against the running portal's keys.
    let r = manager
        .get(app.url(&format!("/connectivity/runs/{run}/evidence.jws")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "application/jose");
    let token = r.text().await.unwrap();
    assert_eq!(token.split('.').count(), 3, "a compact JWS");
    let name = format!("evidence-run-{run}.jws");
    let (ok, printed) = verify(&app, &token, &name).await;
    assert!(ok, "the documented command refused the portal's own file");
    let claims: serde_json::Value = serde_json::from_str(&printed).unwrap();
    let e = &claims["evidence"];
    assert_eq!(claims["sub"], format!("connectivity-run-{run}"));
    assert_eq!(claims["iss"], app.address);
    assert_eq!(e["run_id"], run);
    assert_eq!(e["dry_run"], false);
    assert_eq!(e["outcome"], "passed");
    assert_eq!(e["oat_request"], "OAT-2026-000001");
    assert!(e["run_by"].is_string(), "{e}");
    let attempt = &e["attempts"][0];
    assert_eq!(attempt["http_status"], 202);
    assert_eq!(attempt["resolved_address"], format!("127.0.0.1:{port}"));
    assert_eq!(attempt["tls_protocol"], "TLSv1.3");
    assert!(attempt["tls_cipher"]
        .as_str()
        .unwrap()
        .starts_with("TLS13_"));
    assert!(attempt["server_certificate"]["issuer"].is_string());
    assert!(attempt["server_certificate"]["expires_at"].is_string());
    assert!(attempt["x_request_id"].as_str().unwrap().len() >= 32);

    // A copy with one character of its record changed is refused.
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload = parts[1].to_string();
    let last = payload.pop().unwrap();
    payload.push(if last == 'A' { 'B' } else { 'A' });
    let forged = format!("{}.{payload}.{}", parts[0], parts[2]);
    let (ok, _) = verify(&app, &forged, &name).await;
    assert!(!ok, "a changed copy verified");
}

#[tokio::test]
async fn a_dry_run_has_evidence_marked_as_a_dry_run() {
    let app = spawn_app_with(|_| {}, axum::Router::new()).await;
    app.seed_accounts().await;
    let manager = app.signed_in(MANAGER).await;
    let sim = simulator_for(&app, Answer::Unauthorized).await;
    app.post_form(
        &manager,
        "/api/connectivity/endpoint/save",
        &[("url", &url_of(&sim))],
    )
    .await;
    let r = app
        .post_form(&manager, "/api/connectivity/dry-run", &[])
        .await;
    let run_page = location(&r);
    let run: i64 = run_page.rsplit('/').next().unwrap().parse().unwrap();
    finished_run(&app, &manager, &run_page).await;
    let page = app
        .page_text(&manager, &format!("/connectivity/runs/{run}/evidence"))
        .await;
    assert!(page.contains("This is a dry run."), "{page}");
    assert!(page.contains("401"));
    let token = manager
        .get(app.url(&format!("/connectivity/runs/{run}/evidence.jws")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (ok, printed) = verify(&app, &token, &format!("evidence-run-{run}.jws")).await;
    assert!(ok);
    let claims: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(claims["evidence"]["dry_run"], true);
    assert_eq!(claims["evidence"]["outcome"], "failed");
    // Nobody signed in gets nothing.
    let r = crate::helpers::client()
        .get(app.url(&format!("/connectivity/runs/{run}/evidence.jws")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
