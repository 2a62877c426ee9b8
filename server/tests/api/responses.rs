//! Headers, caching, compression and limits on every kind of response.

use axum::{routing::get, Router};
use reqwest::{header, StatusCode};

use crate::helpers::{spawn_app, spawn_app_with, TestApp};

fn nonce_of(csp: &str) -> Option<&str> {
    let start = csp.find("'nonce-")? + "'nonce-".len();
    let end = csp[start..].find('\'')? + start;
    Some(&csp[start..end])
}

fn assert_security_headers(response: &reqwest::Response, what: &str) {
    let h = response.headers();
    let get = |name: &str| {
        h.get(name)
            .unwrap_or_else(|| panic!("{what}: missing {name}"))
            .to_str()
            .unwrap()
            .to_string()
    };
    let csp = get("content-security-policy");
    for directive in [
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "default-src 'self'",
    ] {
        assert!(
            csp.contains(directive),
            "{what}: CSP lacks {directive}: {csp}"
        );
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: no unsafe-inline");
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    assert_eq!(get("referrer-policy"), "same-origin", "{what}");
    assert!(get("permissions-policy").contains("camera=()"), "{what}");
    assert!(h.get("server").is_none(), "{what}: no Server header");
    assert!(
        h.get("x-request-id").is_some(),
        "{what}: request id returned"
    );
}

async fn pkg_css_path(app: &TestApp) -> String {
    app.state.assets.css_href("portal")
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let boom = Router::new().route("/test/boom", get(crate::helpers::panicking_handler));
    let app = spawn_app_with(|_| {}, boom).await;
    let css = pkg_css_path(&app).await;
    for (path, status) in [
        ("/", StatusCode::OK),
        ("/healthz", StatusCode::OK),
        ("/readyz", StatusCode::OK),
        ("/missing", StatusCode::NOT_FOUND),
        (css.as_str(), StatusCode::OK),
        ("/favicon.svg", StatusCode::OK),
        ("/test/boom", StatusCode::INTERNAL_SERVER_ERROR),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), status, "{path}");
        assert_security_headers(&response, path);
    }
}

#[tokio::test]
async fn page_csp_nonce_is_fresh_per_request_and_matches_the_scripts() {
    let app = spawn_app().await;
    let mut nonces = Vec::new();
    for _ in 0..2 {
        let response = app.get("/").await;
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        let html = response.text().await.unwrap();
        let nonce = nonce_of(&csp).expect("page CSP has a nonce").to_string();
        assert!(nonce.len() >= 16, "nonce long enough to be unguessable");
        assert!(
            html.contains(&format!(r#"nonce="{nonce}""#)),
            "inline scripts carry the nonce"
        );
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1]);
}

#[tokio::test]
async fn hsts_only_in_production() {
    let dev = spawn_app().await;
    assert!(dev
        .get("/")
        .await
        .headers()
        .get("strict-transport-security")
        .is_none());

    let prod = spawn_app_with(
        |c| {
            c.mode = server::config::Mode::Production;
            c.public_origin = "https://connect.example.org".into();
        },
        Router::new(),
    )
    .await;
    let response = prod.get("/").await;
    let hsts = response.headers()["strict-transport-security"]
        .to_str()
        .unwrap();
    assert!(hsts.contains("max-age=31536000"));
    assert!(hsts.contains("includeSubDomains"));
}

#[tokio::test]
async fn pages_are_not_stored_but_hashed_assets_are_cached_for_a_year() {
    let app = spawn_app().await;
    let page = app.get("/").await;
    assert_eq!(page.headers()[header::CACHE_CONTROL], "no-store");

    let css = pkg_css_path(&app).await;
    assert!(
        css.matches('.').count() >= 2,
        "stylesheet name is hashed: {css}"
    );
    let asset = app.get(&css).await;
    assert_eq!(asset.status(), StatusCode::OK);
    assert_eq!(
        asset.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert!(asset.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/css"));

    let missing = app.get("/pkg/portal.nothere.css").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_ne!(
        missing
            .headers()
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap()),
        Some("public, max-age=31536000, immutable"),
        "a 404 must not be cached for a year"
    );
}

#[tokio::test]
async fn html_css_js_and_wasm_are_compressed() {
    let app = spawn_app().await;
    let plain = reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .build()
        .unwrap();
    let assets = &app.state.assets;
    let js = format!("/pkg/portal.{}.js", assets.js.as_deref().expect("js hash"));
    let wasm = format!(
        "/pkg/portal.{}.wasm",
        assets.wasm.as_deref().expect("wasm hash")
    );
    let css = assets.css_href("portal");
    for path in ["/", css.as_str(), js.as_str(), wasm.as_str()] {
        let response = plain
            .get(app.url(path))
            .header(header::ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap()),
            Some("gzip"),
            "{path} is gzip-compressed"
        );
    }
}

#[tokio::test]
async fn oversized_request_bodies_are_refused_with_413() {
    let app = spawn_app_with(|c| c.body_limit = 16 * 1024, Router::new()).await;
    let response = app
        .client
        .post(app.url("/api/anything"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("a=".to_string() + &"x".repeat(64 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn every_request_gets_the_portals_own_id_whatever_the_client_sends() {
    for trusted_proxy in [false, true] {
        let app = spawn_app_with(
            |c| c.trust_forwarded_for = trusted_proxy,
            axum::Router::new(),
        )
        .await;
        let generated = app.get("/healthz").await;
        let id = generated.headers()["x-request-id"].to_str().unwrap();
        assert_eq!(id.len(), 36, "a UUID: {id}");
        for sent in ["trace-me-123".to_string(), "x".repeat(65)] {
            let r = app
                .client
                .get(app.url("/healthz"))
                .header("x-request-id", &sent)
                .send()
                .await
                .unwrap();
            let ours = r.headers()["x-request-id"].to_str().unwrap();
            assert_eq!(
                ours.len(),
                36,
                "{sent:?} replaced by a UUID (trusted proxy: {trusted_proxy})"
            );
            assert_ne!(ours, sent);
        }
    }
}
