//! Every server function against every kind of caller, compared with the allow table below.
//! A new server function without a row here fails this test.

use std::collections::BTreeSet;

use reqwest::StatusCode;

use crate::helpers::{
    client, spawn_app_with, spawn_app_with_clock, ADMIN, CONTACT, MANAGER, OTHER_MANAGER,
    OTHER_STAFF, PASSWORD, STAFF,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Who {
    Anonymous,
    ManagerA,
    ContactA,
    ManagerB,
    Staff,
    Admin,
    /// Programme staff signed in with a password alone (no second factor set up yet).
    StaffPasswordOnly,
    /// Programme staff with a second factor, past the password but not the code.
    StaffCodePending,
}

const EVERYONE: &[Who] = &[
    Who::Anonymous,
    Who::ManagerA,
    Who::ContactA,
    Who::ManagerB,
    Who::Staff,
    Who::Admin,
];
const STAFF_AND_ADMIN: &[Who] = &[Who::Staff, Who::Admin];
const ADMIN_ONLY: &[Who] = &[Who::Admin];
const ORGANISATION_USERS: &[Who] = &[Who::ManagerA, Who::ContactA, Who::ManagerB];
const SERVICE_MANAGERS: &[Who] = &[Who::ManagerA, Who::ManagerB];
const SIGNED_IN: &[Who] = &[
    Who::ManagerA,
    Who::ContactA,
    Who::ManagerB,
    Who::Staff,
    Who::Admin,
];

/// Path, a plausible form body, who may call it. Sign-out comes last (it ends the session).
pub(crate) const ALLOW: &[(&str, &str, &[Who])] = &[
    ("/api/auth/whoami", "", EVERYONE),
    ("/api/auth/code-pending", "", EVERYONE),
    ("/api/auth/code", "code=000000", EVERYONE),
    ("/api/account/summary", "", SIGNED_IN),
    (
        "/api/account/password",
        "current_password=x&password=short",
        SIGNED_IN,
    ),
    ("/api/account/second-factor/info", "", SIGNED_IN),
    (
        "/api/account/second-factor/confirm",
        "code=000000",
        SIGNED_IN,
    ),
    ("/api/account/second-factor/recovery-codes", "", SIGNED_IN),
    (
        "/api/account/second-factor/verify",
        "purpose=change&password=x&code=000000",
        SIGNED_IN,
    ),
    (
        "/api/admin/users/reset-second-factor",
        "user=999999",
        ADMIN_ONLY,
    ),
    ("/api/forms/take", "form=sign-in", EVERYONE),
    ("/api/forms/flash", "", EVERYONE),
    ("/api/invitation/check", "token=abc", EVERYONE),
    (
        "/api/invitation/accept",
        "token=abc&password=violet+kettle+marathon",
        EVERYONE,
    ),
    ("/api/staff/audit", "", STAFF_AND_ADMIN),
    ("/api/staff/emails", "", STAFF_AND_ADMIN),
    ("/api/admin/organisations", "", ADMIN_ONLY),
    (
        "/api/admin/organisations/create",
        "name=Matrix+Ltd&kind=pension_scheme",
        ADMIN_ONLY,
    ),
    ("/api/admin/organisation", "id=programme", ADMIN_ONLY),
    ("/api/admin/user", "id=1", ADMIN_ONLY),
    (
        "/api/admin/users/invite",
        "organisation=programme&name=M+X&email=mx%40pdp.example&role_programme_staff=yes",
        ADMIN_ONLY,
    ),
    (
        "/api/admin/users/roles",
        "user=999999&role_programme_staff=yes",
        ADMIN_ONLY,
    ),
    (
        "/api/admin/users/active",
        "user=999999&active=true",
        ADMIN_ONLY,
    ),
    (
        "/api/admin/schemes/vouching",
        "organisation=999999&scheme_name=X&regulator=TPR&regulator_number=1",
        ADMIN_ONLY,
    ),
    (
        "/api/staff/technical-connection",
        "organisation=999999&technical_connection_date=",
        STAFF_AND_ADMIN,
    ),
    ("/api/staff/organisations", "", STAFF_AND_ADMIN),
    ("/api/staff/queue", "", STAFF_AND_ADMIN),
    ("/api/staff/upcoming", "", STAFF_AND_ADMIN),
    ("/api/staff/request", "id=999999", STAFF_AND_ADMIN),
    (
        "/api/staff/requests/schedule",
        "id=999999&version=1",
        STAFF_AND_ADMIN,
    ),
    (
        "/api/staff/requests/outcome",
        "id=999999&version=1",
        STAFF_AND_ADMIN,
    ),
    (
        "/api/staff/requests/go-live",
        "id=999999&version=1",
        STAFF_AND_ADMIN,
    ),
    (
        "/api/staff/requests/failure",
        "id=999999&version=1",
        STAFF_AND_ADMIN,
    ),
    (
        "/api/staff/requests/date-change",
        "id=999999&version=1&change=1",
        STAFF_AND_ADMIN,
    ),
    (
        "/api/oat/date-change",
        "id=999999&new_date=2026-12-08&reason=x",
        SERVICE_MANAGERS,
    ),
    (
        "/api/staff/requests/support",
        "id=999999&version=1",
        STAFF_AND_ADMIN,
    ),
    (
        "/api/staff/requests/move-go-live",
        "id=999999&version=1",
        STAFF_AND_ADMIN,
    ),
    (
        "/api/oat/ready-for-retest",
        "id=999999&version=1",
        SERVICE_MANAGERS,
    ),
    ("/api/oat/support", "id=999999&version=1", SERVICE_MANAGERS),
    (
        "/api/oat/withdraw",
        "id=999999&version=1&reason=x",
        SERVICE_MANAGERS,
    ),
    ("/api/queries", "", ORGANISATION_USERS),
    ("/api/queries/raise", "question=", SERVICE_MANAGERS),
    ("/api/staff/queries", "", STAFF_AND_ADMIN),
    ("/api/staff/query", "id=999999", STAFF_AND_ADMIN),
    (
        "/api/staff/queries/answer",
        "id=999999&answer=x",
        STAFF_AND_ADMIN,
    ),
    ("/api/staff/organisation", "id=1", STAFF_AND_ADMIN),
    ("/api/schemes/add-view", "", ORGANISATION_USERS),
    (
        "/api/schemes/add",
        "scheme_name=X&regulator=TPR&regulator_number=1&connection_date=",
        ORGANISATION_USERS,
    ),
    ("/api/schemes/upload-report", "", ORGANISATION_USERS),
    ("/api/staff/schemes", "", STAFF_AND_ADMIN),
    ("/api/staff/scheme", "id=999999", STAFF_AND_ADMIN),
    (
        "/api/staff/schemes/decide",
        "id=999999&decision=approve",
        STAFF_AND_ADMIN,
    ),
    ("/api/connectivity/endpoint", "", ORGANISATION_USERS),
    (
        "/api/connectivity/endpoint/save",
        "url=nope",
        SERVICE_MANAGERS,
    ),
    ("/api/connectivity/dry-run", "", SERVICE_MANAGERS),
    ("/api/connectivity/run", "id=999999", SIGNED_IN),
    ("/api/connectivity/evidence", "id=999999", SIGNED_IN),
    ("/api/connectivity/readiness", "", ORGANISATION_USERS),
    ("/api/connectivity/run/result", "id=999999", SIGNED_IN),
    (
        "/api/connectivity/readiness/result",
        "scheme=1&submission_key=abc",
        ORGANISATION_USERS,
    ),
    (
        "/api/staff/requests/connectivity-test",
        "id=999999",
        STAFF_AND_ADMIN,
    ),
    (
        "/api/staff/requests/connectivity-failure",
        "run=999999",
        STAFF_AND_ADMIN,
    ),
    ("/api/oat/overview", "", ORGANISATION_USERS),
    ("/api/oat/journey", "scheme=1", ORGANISATION_USERS),
    ("/api/oat/request", "id=1", ORGANISATION_USERS),
    (
        "/api/oat/answer",
        "scheme=1&question=crypto-deployed&answer=no",
        SERVICE_MANAGERS,
    ),
    (
        "/api/oat/connection-date",
        "scheme=1&connection_date=",
        SERVICE_MANAGERS,
    ),
    (
        "/api/oat/send",
        "scheme=1&submission_key=matrix",
        SERVICE_MANAGERS,
    ),
    (
        "/api/auth/sign-in",
        "email=nobody%40nowhere.example&password=whatever1",
        EVERYONE,
    ),
    ("/api/auth/sign-out", "", EVERYONE),
];

#[test]
fn every_server_function_has_a_rule() {
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .collect();
    let ruled: BTreeSet<String> = ALLOW.iter().map(|(p, _, _)| p.to_string()).collect();
    let missing: Vec<_> = registered.difference(&ruled).collect();
    assert!(
        missing.is_empty(),
        "server functions without an access rule in authz.rs: {missing:?}"
    );
    let stale: Vec<_> = ruled.difference(&registered).collect();
    assert!(
        stale.is_empty(),
        "rules for server functions that no longer exist: {stale:?}"
    );
}

#[test]
fn every_server_function_is_post_only() {
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        assert_eq!(
            method,
            http::Method::POST,
            "{path} must be POST (GET is not covered by SameSite=Lax)"
        );
    }
}

/// What programme staff signed in with a password alone may call while staff need a second
/// factor: signing in and out, the forms, and setting the second factor up.
fn open_to_password_only(path: &str) -> bool {
    ["/api/auth/", "/api/forms/", "/api/account/second-factor/"]
        .iter()
        .any(|p| path.starts_with(p))
}

#[tokio::test]
async fn the_access_matrix_holds_for_every_caller() {
    let (app, clock) = spawn_app_with_clock(|c| {
        c.sign_in_burst = 1000;
        c.staff_second_factor = true;
    })
    .await;
    app.seed_accounts().await;
    app.add_programme_staff(OTHER_STAFF).await;
    let staff_secret = app.enrol(STAFF).await;
    let admin_secret = app.enrol(ADMIN).await;
    for who in [
        Who::Anonymous,
        Who::ManagerA,
        Who::ContactA,
        Who::ManagerB,
        Who::Staff,
        Who::Admin,
        Who::StaffPasswordOnly,
        Who::StaffCodePending,
    ] {
        let c = match who {
            Who::Anonymous => client(),
            Who::ManagerA => app.signed_in(MANAGER).await,
            Who::ContactA => app.signed_in(CONTACT).await,
            Who::ManagerB => app.signed_in(OTHER_MANAGER).await,
            Who::Staff => app.signed_in_with_code(&clock, STAFF, &staff_secret).await,
            Who::Admin => app.signed_in_with_code(&clock, ADMIN, &admin_secret).await,
            Who::StaffPasswordOnly => app.signed_in(OTHER_STAFF).await,
            Who::StaffCodePending => {
                let c = client();
                let r = app.sign_in_as(&c, STAFF, PASSWORD).await;
                assert_eq!(crate::helpers::location(&r), "/sign-in/code");
                c
            }
        };
        for (path, body, allowed) in ALLOW {
            let r = c
                .post(app.url(path))
                .header("sec-fetch-site", "same-origin")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            let status = r.status();
            // Half-way through signing in is not signed in: what anyone may call, no more.
            let may = match who {
                Who::StaffPasswordOnly => open_to_password_only(path),
                Who::StaffCodePending => allowed.contains(&Who::Anonymous),
                _ => allowed.contains(&who),
            };
            if may {
                assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{who:?} should reach {path}, got {status}"
                );
            } else {
                let expected = if matches!(who, Who::Anonymous | Who::StaffCodePending) {
                    StatusCode::UNAUTHORIZED
                } else {
                    StatusCode::FORBIDDEN
                };
                assert_eq!(status, expected, "{who:?} calling {path}");
            }
        }
    }
}

#[tokio::test]
async fn get_is_refused_on_server_functions() {
    let app = spawn_app_with(|_| {}, axum::Router::new()).await;
    let r = app.get("/api/admin/users/active").await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
}
