//! Sign-in, sessions, lockout, rate limits, CSRF, account administration and audit.

use std::time::Duration;

use app::store::{audit::AuditAction, outbox};
use reqwest::{header, StatusCode};

use crate::helpers::{
    client, location, spawn_app, spawn_app_with, spawn_app_with_clock, ADMIN, CONTACT, MANAGER,
    OTHER_MANAGER, PASSWORD, STAFF,
};

fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.contains("portal_session="))
}

#[tokio::test]
async fn each_kind_of_user_signs_in_to_their_own_home() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    for (email, home) in [
        (MANAGER, "/organisation"),
        (CONTACT, "/organisation"),
        (STAFF, "/staff"),
        (ADMIN, "/admin/organisations"),
    ] {
        let c = client();
        let r = app.sign_in_as(&c, email, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::FOUND, "{email}");
        assert_eq!(location(&r), home, "{email}");
        let page = c.get(app.url(home)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{email} can open {home}");
    }
    assert_eq!(app.audit_count(AuditAction::SignInSucceeded).await, 4);
}

#[tokio::test]
async fn sign_in_returns_to_the_page_asked_for_but_only_on_this_site() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let c = client();
    let r = c
        .get(app.url("/staff/audit?action=signed_out"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r),
        "/sign-in?next=/staff/audit%3Faction%3Dsigned_out"
    );
    let r = app
        .post_form(
            &c,
            "/api/auth/sign-in",
            &[
                ("email", STAFF),
                ("password", PASSWORD),
                ("next", "/staff/audit?action=signed_out"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/staff/audit?action=signed_out");

    let c = client();
    let r = app
        .post_form(
            &c,
            "/api/auth/sign-in",
            &[
                ("email", STAFF),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/staff", "an off-site next is ignored");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let mut seen = Vec::new();
    for (email, password) in [
        (MANAGER, "not the password"),
        ("nobody@nowhere.example", "not the password"),
    ] {
        let c = client();
        let r = app.sign_in_as(&c, email, password).await;
        let status = r.status();
        let loc = location(&r);
        let has_cookie = session_cookie(&r).is_some();
        let page = app.page_text(&c, "/sign-in").await;
        assert!(
            page.contains("Enter a correct email address and password"),
            "generic message for {email}"
        );
        assert!(
            page.contains(&format!(r#"value="{email}""#)),
            "the email typed is kept"
        );
        assert!(page.contains("<title>Error: Sign in"), "title says Error");
        seen.push((status, loc, has_cookie));
    }
    assert_eq!(
        seen[0], seen[1],
        "same status, redirect and cookie behaviour"
    );
    assert_eq!(app.audit_count(AuditAction::SignInFailed).await, 2);
}

#[tokio::test]
async fn cookies_are_http_only_lax_and_host_prefixed_when_secure() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let r = app.sign_in_as(&client(), MANAGER, PASSWORD).await;
    let cookie = session_cookie(&r).expect("session cookie");
    assert!(cookie.starts_with("portal_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"), "{cookie}");

    let secure = spawn_app_with(|c| c.secure_cookies = true, axum::Router::new()).await;
    secure.seed_accounts().await;
    let r = secure.sign_in_as(&client(), MANAGER, PASSWORD).await;
    let cookie = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.contains("__Host-portal_session="))
        .expect("__Host- cookie");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("Path=/"),
        "{cookie}"
    );
}

#[tokio::test]
async fn signing_in_issues_a_new_session_id_and_deletes_the_old_one() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let c = client();
    // A failed attempt stores form state, so the visitor gets a session first.
    let before = app.sign_in_as(&c, MANAGER, "wrong password here").await;
    let before = session_cookie(&before).expect("pre-sign-in session");
    let after = app.sign_in_as(&c, MANAGER, PASSWORD).await;
    let after = session_cookie(&after).expect("new session cookie");
    let id = |c: &str| c.split(';').next().unwrap().to_string();
    assert_ne!(id(&before), id(&after));
    // The old id is anonymous now.
    let replay = client()
        .get(app.url("/organisation"))
        .header(header::COOKIE, id(&before))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn signing_out_deletes_the_session_on_the_server() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let c = client();
    let r = app.sign_in_as(&c, MANAGER, PASSWORD).await;
    let cookie = session_cookie(&r)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let sessions = app::store::sessions::count(&app.db).await.unwrap();
    let r = app.post_form(&c, "/api/auth/sign-out", &[]).await;
    assert_eq!(location(&r), "/signed-out");
    assert_eq!(
        app::store::sessions::count(&app.db).await.unwrap(),
        sessions - 1
    );
    let replay = client()
        .get(app.url("/organisation"))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replay.status(),
        StatusCode::SEE_OTHER,
        "the old cookie is worthless"
    );
    assert_eq!(app.audit_count(AuditAction::SignedOut).await, 1);
    let page = app.page_text(&c, "/signed-out").await;
    assert!(page.contains("You have been signed out"));
}

/// The `sessions` row of the one signed-in session `cookie` carries.
async fn session_row_id(app: &crate::helpers::TestApp, cookie: &str) -> String {
    let id = cookie
        .split(';')
        .next()
        .and_then(|c| c.split_once('='))
        .map(|(_, v)| v.to_string())
        .expect("session cookie value");
    let n: i64 = app::on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions WHERE id = $1").bind(&id).fetch_one(pool).await)
    .unwrap();
    assert_eq!(n, 1, "one stored session for the cookie");
    id
}

async fn set_session_user(app: &crate::helpers::TestApp, id: &str, user_id: Option<i64>) {
    app::on_db!(&app.db, pool => sqlx::query("UPDATE sessions SET user_id = $1 WHERE id = $2")
        .bind(user_id).bind(id).execute(pool).await.map(|_| ()))
    .unwrap();
}

async fn user_id(app: &crate::helpers::TestApp, email: &str) -> i64 {
    app.credentials(email).await.id
}

#[tokio::test]
async fn a_session_row_names_its_user_and_the_data_decides_who_is_signed_in() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let c = client();
    let r = app.sign_in_as(&c, MANAGER, PASSWORD).await;
    let id = session_row_id(&app, &session_cookie(&r).unwrap()).await;
    let manager = user_id(&app, MANAGER).await;
    let named: Option<i64> = app::on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT user_id FROM sessions WHERE id = $1").bind(&id).fetch_one(pool).await)
    .unwrap();
    assert_eq!(named, Some(manager));
    assert!(app
        .page_text(&c, "/organisation")
        .await
        .contains("Demo Pensions Ltd"));

    // A row saved before rows named their user: the user is looked up on their own.
    set_session_user(&app, &id, None).await;
    let page = app.page_text(&c, "/organisation").await;
    assert!(page.contains("Demo Pensions Ltd"), "{page}");

    // A row naming someone else (it cannot happen, but if it did) never signs them in: the
    // session's own data says who it is.
    set_session_user(&app, &id, Some(user_id(&app, OTHER_MANAGER).await)).await;
    let page = app.page_text(&c, "/organisation").await;
    assert!(page.contains("Demo Pensions Ltd"), "{page}");
    assert!(!page.contains("Other Pensions Ltd"), "{page}");
}

#[tokio::test]
async fn a_role_taken_away_applies_to_the_next_request_of_a_signed_in_session() {
    use app::domain::Role;
    let app = spawn_app().await;
    app.seed_accounts().await;
    let c = app.signed_in(MANAGER).await;
    let page = app.page_text(&c, "/organisation").await;
    assert!(page.contains("Request testing"), "{page}");
    assert!(!page.contains("Only a service manager"), "{page}");
    let manager = user_id(&app, MANAGER).await;
    let mut tx = app.db.begin_write().await.unwrap();
    app::store::users::set_roles(&mut tx, manager, &[Role::PrimaryBusinessContact])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let page = app.page_text(&c, "/organisation").await;
    assert!(
        page.contains("Only a service manager can request operational acceptance testing"),
        "{page}"
    );
    assert!(!page.contains("Request testing"), "{page}");
}

#[tokio::test]
async fn expired_sessions_are_deleted_and_live_ones_kept() {
    use tower_sessions::{
        session::{Id, Record},
        session_store::ExpiredDeletion,
        SessionStore,
    };
    let app = spawn_app().await;
    let store = server::sessions::PortalStore::new(&app.db);
    let now = time::OffsetDateTime::now_utc();
    let mut live = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: now + time::Duration::minutes(30),
    };
    let mut expired = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: now - time::Duration::seconds(5),
    };
    store.create(&mut live).await.unwrap();
    store.create(&mut expired).await.unwrap();
    // (The portal's own sweep may already have run: it deletes the same way.)
    assert!(store.load(&expired.id).await.unwrap().is_none(), "expired");
    assert_eq!(
        store.load(&live.id).await.unwrap().map(|r| r.id),
        Some(live.id)
    );
    store.delete_expired().await.unwrap();
    assert_eq!(app::store::sessions::count(&app.db).await.unwrap(), 1);
    assert!(store.load(&live.id).await.unwrap().is_some());
}

#[tokio::test]
async fn ten_failures_lock_the_account_for_15_minutes() {
    let (app, clock) = spawn_app_with_clock(|c| c.sign_in_burst = 100).await;
    app.seed_accounts().await;
    for i in 0..10 {
        let r = app
            .sign_in_as(&client(), MANAGER, &format!("wrong password {i}"))
            .await;
        assert_eq!(location(&r), "/sign-in");
    }
    assert_eq!(app.audit_count(AuditAction::AccountLocked).await, 1);
    let r = app.sign_in_as(&client(), MANAGER, PASSWORD).await;
    assert_eq!(
        location(&r),
        "/sign-in",
        "locked: even the right password is refused"
    );
    clock.set(clock.now_for_tests() + chrono::Duration::minutes(16));
    let r = app.sign_in_as(&client(), MANAGER, PASSWORD).await;
    assert_eq!(location(&r), "/organisation", "unlocked after 15 minutes");
}

#[tokio::test]
async fn a_burst_of_sign_ins_from_one_address_gets_429_with_retry_after() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let mut limited = None;
    for i in 0..20 {
        let r = client()
            .post(app.url("/api/auth/sign-in"))
            .header("sec-fetch-site", "same-origin")
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .form(&[
                ("email", "nobody@nowhere.example"),
                ("password", "whatever1"),
            ])
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("rate limited within 20 attempts despite rotating X-Forwarded-For");
    let retry: u64 = r.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=6).contains(&retry));
    // Other pages are unaffected.
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let admin = app.signed_in(ADMIN).await;
    let org_count = app::store::organisations::count(&app.db).await.unwrap();
    let form = [("name", "Forged Ltd"), ("kind", "pension_scheme")];
    let attempts: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "Sec-Fetch-Site: cross-site",
            vec![("sec-fetch-site", "cross-site")],
        ),
        (
            "Sec-Fetch-Site: same-site",
            vec![("sec-fetch-site", "same-site")],
        ),
        // A navigation the user started (a bookmark, a typed address) is never one of our
        // forms, even with our own Origin beside it.
        (
            "Sec-Fetch-Site: none",
            vec![("sec-fetch-site", "none"), ("origin", app.address.as_str())],
        ),
        ("foreign Origin", vec![("origin", "https://evil.example")]),
        ("neither header", vec![]),
    ];
    for (what, headers) in attempts {
        let mut req = admin
            .post(app.url("/api/admin/organisations/create"))
            .form(&form);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{what}");
    }
    assert_eq!(
        app::store::organisations::count(&app.db).await.unwrap(),
        org_count,
        "nothing changed"
    );
    // The same post from our own origin works.
    let r = admin
        .post(app.url("/api/admin/organisations/create"))
        .header("origin", app.address.clone())
        .header("accept", "text/html")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(
        app::store::organisations::count(&app.db).await.unwrap(),
        org_count + 1
    );
}

#[tokio::test]
async fn deactivation_ends_every_session_and_reactivation_allows_sign_in() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let manager = app.signed_in(MANAGER).await;
    assert_eq!(
        manager
            .get(app.url("/organisation"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let admin = app.signed_in(ADMIN).await;
    let id = app::store::users::credentials_by_email(
        &app.db,
        &app::domain::EmailAddress::parse(MANAGER).unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
    .id
    .to_string();
    let r = app
        .post_form(
            &admin,
            "/api/admin/users/active",
            &[("user", &id), ("active", "false")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(
        manager
            .get(app.url("/organisation"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        location(&app.sign_in_as(&client(), MANAGER, PASSWORD).await),
        "/sign-in"
    );
    app.post_form(
        &admin,
        "/api/admin/users/active",
        &[("user", &id), ("active", "true")],
    )
    .await;
    assert_eq!(
        location(&app.sign_in_as(&client(), MANAGER, PASSWORD).await),
        "/organisation"
    );
    assert_eq!(app.audit_count(AuditAction::UserDeactivated).await, 1);
    assert_eq!(app.audit_count(AuditAction::UserReactivated).await, 1);
}

#[tokio::test]
async fn a_password_change_ends_other_sessions() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let a = app.signed_in(MANAGER).await;
    let b = app.signed_in(MANAGER).await;
    let creds = app::store::users::credentials_by_email(
        &app.db,
        &app::domain::EmailAddress::parse(MANAGER).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let mut tx = app.db.begin_write().await.unwrap();
    app::store::users::set_password(&mut tx, creds.id, creds.password_hash.as_deref().unwrap())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for c in [a, b] {
        assert_eq!(
            c.get(app.url("/organisation"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::SEE_OTHER
        );
    }
}

#[tokio::test]
async fn sessions_end_after_the_absolute_lifetime_however_active() {
    let (app, clock) = spawn_app_with_clock(|_| {}).await;
    app.seed_accounts().await;
    let c = app.signed_in(MANAGER).await;
    for _ in 0..11 {
        clock.set(clock.now_for_tests() + chrono::Duration::hours(1));
        assert_eq!(
            c.get(app.url("/organisation"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
    }
    clock.set(clock.now_for_tests() + chrono::Duration::minutes(61));
    assert_eq!(
        c.get(app.url("/organisation"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn sessions_end_when_idle() {
    let app = spawn_app_with(
        |c| c.session_idle = Duration::from_secs(2),
        axum::Router::new(),
    )
    .await;
    app.seed_accounts().await;
    let c = app.signed_in(MANAGER).await;
    assert_eq!(
        c.get(app.url("/organisation"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(
        c.get(app.url("/organisation"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn areas_are_kept_to_their_users() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let anonymous = client();
    for path in [
        "/organisation",
        "/queries",
        "/queries/new",
        "/staff",
        "/staff/audit",
        "/staff/queries",
        "/admin/organisations",
    ] {
        let r = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&r).starts_with("/sign-in?next="), "{path}");
    }
    let manager = app.signed_in(MANAGER).await;
    for path in [
        "/staff",
        "/staff/audit",
        "/staff/queries",
        "/admin/organisations",
        "/admin/users/1",
    ] {
        assert_eq!(
            manager.get(app.url(path)).send().await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "manager: {path}"
        );
    }
    let staff = app.signed_in(STAFF).await;
    assert_eq!(
        staff
            .get(app.url("/staff/audit"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        staff
            .get(app.url("/admin/organisations"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        staff
            .get(app.url("/organisation"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn an_invited_user_sets_a_password_once_and_signs_in() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let admin = app.signed_in(ADMIN).await;
    let org = app::store::organisations::find_by_name(
        &app.db,
        &app::domain::OrganisationName::parse("Demo Pensions Ltd").unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
    .id
    .to_string();
    let r = app
        .post_form(
            &admin,
            "/api/admin/users/invite",
            &[
                ("organisation", &org),
                ("name", "Nia New"),
                ("email", "nia@demo-pensions.example"),
                ("role_primary_business_contact", "yes"),
            ],
        )
        .await;
    assert_eq!(location(&r), format!("/admin/organisations/{org}"));
    let page = app.page_text(&admin, &location(&r)).await;
    assert!(
        page.contains("Invitation sent to nia@demo-pensions.example"),
        "success banner"
    );
    assert!(page.contains("Nia New"));
    let emails = outbox::recent(&app.db, 10).await.unwrap();
    let email = emails
        .iter()
        .find(|e| e.recipient == "nia@demo-pensions.example")
        .expect("invitation email queued");
    let link = email
        .body_text
        .lines()
        .find(|l| l.contains("/invitation/"))
        .unwrap()
        .trim()
        .to_string();
    let path = link.trim_start_matches(&app.address).to_string();
    assert!(path.starts_with("/invitation/"), "{link}");
    assert_eq!(app.audit_count(AuditAction::UserInvited).await, 1);

    let nia = client();
    let page = app.page_text(&nia, &path).await;
    assert!(page.contains("Set your password"));
    let token = path.trim_start_matches("/invitation/");
    let r = app
        .post_form(
            &nia,
            "/api/invitation/accept",
            &[("token", token), ("password", "password123")],
        )
        .await;
    assert_eq!(location(&r), path);
    let page = app.page_text(&nia, &path).await;
    assert!(
        page.contains("Password is too common"),
        "policy message shown"
    );
    let r = app
        .post_form(
            &nia,
            "/api/invitation/accept",
            &[("token", token), ("password", "nia new rocks")],
        )
        .await;
    assert_eq!(location(&r), path);
    let page = app.page_text(&nia, &path).await;
    assert!(
        page.contains("must not contain your name"),
        "personal words refused"
    );
    let r = app
        .post_form(
            &nia,
            "/api/invitation/accept",
            &[("token", token), ("password", "violet kettle marathon")],
        )
        .await;
    assert_eq!(location(&r), "/sign-in");
    assert_eq!(app.audit_count(AuditAction::PasswordSet).await, 1);
    // Once only.
    let page = app.page_text(&nia, &path).await;
    assert!(page.contains("This link has expired or has been used"));
    let r = app
        .sign_in_as(
            &client(),
            "nia@demo-pensions.example",
            "violet kettle marathon",
        )
        .await;
    assert_eq!(location(&r), "/organisation");
}

#[tokio::test]
async fn invitations_check_their_input_and_duplicates() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let admin = app.signed_in(ADMIN).await;
    let before = app::store::users::list(&app.db, None).await.unwrap().len();
    let r = app
        .post_form(
            &admin,
            "/api/admin/users/invite",
            &[
                ("organisation", "programme"),
                ("name", ""),
                ("email", "not-an-email"),
                ("role_service_manager", "yes"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/admin/organisations/programme");
    let page = app
        .page_text(&admin, "/admin/organisations/programme")
        .await;
    assert!(page.contains("There is a problem"));
    assert!(page.contains("Enter the full name"));
    assert!(page.contains("Enter an email address in the correct format"));
    assert!(page.contains("Organisation roles need the user to belong to an organisation"));
    app.post_form(
        &admin,
        "/api/admin/users/invite",
        &[
            ("organisation", "programme"),
            ("name", "Dup"),
            ("email", "STAFF@pdp.example"),
            ("role_programme_staff", "yes"),
        ],
    )
    .await;
    let page = app
        .page_text(&admin, "/admin/organisations/programme")
        .await;
    assert!(page.contains("A user with this email address already exists"));
    assert_eq!(
        app::store::users::list(&app.db, None).await.unwrap().len(),
        before,
        "no user added"
    );
}

#[tokio::test]
async fn staff_can_filter_the_audit_log() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    app.sign_in_as(&client(), MANAGER, "wrong password").await;
    app.signed_in(OTHER_MANAGER).await;
    let staff = app.signed_in(STAFF).await;
    let page = app
        .page_text(&staff, "/staff/audit?action=sign_in_failed")
        .await;
    assert!(page.contains("Sign-in failed"));
    assert!(page.contains(MANAGER));
    assert!(!page.contains(OTHER_MANAGER), "filtered to failures only");
    let page = app
        .page_text(&staff, &format!("/staff/audit?email={OTHER_MANAGER}"))
        .await;
    assert!(page.contains(OTHER_MANAGER));
    assert!(page.contains("127.0.0.1"), "client address recorded");
    let page = app.page_text(&staff, "/staff/audit?from=not-a-date").await;
    assert!(page.contains("Start date must be a real date"));
}

#[tokio::test]
async fn dev_mode_lists_emails_for_staff_and_the_worker_marks_them_sent() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let admin = app.signed_in(ADMIN).await;
    app.post_form(
        &admin,
        "/api/admin/users/invite",
        &[
            ("organisation", "programme"),
            ("name", "Kim Staff"),
            ("email", "kim@pdp.example"),
            ("role_programme_staff", "yes"),
        ],
    )
    .await;
    let delivered = server::outbox_worker::deliver_due(
        &app.state.services,
        &server::outbox_worker::Transport::Log,
    )
    .await
    .unwrap();
    assert!(
        delivered <= 1,
        "at most the one email (the background worker may have sent it)"
    );
    let rows = outbox::recent(&app.db, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "sent");
    assert_eq!(
        server::outbox_worker::deliver_due(
            &app.state.services,
            &server::outbox_worker::Transport::Log
        )
        .await
        .unwrap(),
        0,
        "never twice"
    );
    let staff = app.signed_in(STAFF).await;
    let page = app.page_text(&staff, "/staff/emails").await;
    assert!(page.contains("kim@pdp.example"));
    assert!(page.contains("Your account for the pensions dashboards connection portal"));
}

#[tokio::test]
async fn activity_keeps_a_session_alive_past_the_idle_limit() {
    let (app, clock) = spawn_app_with_clock(|c| c.session_idle = Duration::from_secs(2)).await;
    app.seed_accounts().await;
    let c = app.signed_in(MANAGER).await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        clock.set(clock.now_for_tests() + chrono::Duration::milliseconds(1200));
        assert_eq!(
            c.get(app.url("/organisation"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn stored_hashes_are_argon2id_and_long_passwords_are_not_truncated() {
    let app = spawn_app().await;
    app.seed_accounts().await;
    let creds = app::store::users::credentials_by_email(
        &app.db,
        &app::domain::EmailAddress::parse(MANAGER).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let hash = creds.password_hash.unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    // A 100-character password: its first 72 characters are not enough.
    let long = "k".repeat(60) + " tangerine fortress quietly 1234"; // 92 chars
    let long = format!("{long}{}", "z".repeat(100 - long.chars().count()));
    server::demo::seed_with_password(&app.state.services, &long)
        .await
        .unwrap();
    assert_eq!(
        location(&app.sign_in_as(&client(), STAFF, &long[..72]).await),
        "/sign-in"
    );
    assert_eq!(
        location(&app.sign_in_as(&client(), STAFF, &long).await),
        "/staff"
    );
}

#[tokio::test]
async fn parallel_guesses_cannot_slip_past_the_lock_and_an_expired_lock_starts_afresh() {
    let (app, clock) = spawn_app_with_clock(|c| c.sign_in_burst = 100).await;
    app.seed_accounts().await;
    let guesses = (0..14).map(|i| {
        let app = &app;
        async move {
            app.sign_in_as(&client(), MANAGER, &format!("parallel guess {i}"))
                .await
        }
    });
    futures::future::join_all(guesses).await;
    assert_eq!(
        app.audit_count(AuditAction::AccountLocked).await,
        1,
        "locked exactly once"
    );
    assert_eq!(
        location(&app.sign_in_as(&client(), MANAGER, PASSWORD).await),
        "/sign-in",
        "locked"
    );
    clock.set(clock.now_for_tests() + chrono::Duration::minutes(16));
    // One wrong password after the lock ran out does not lock again.
    app.sign_in_as(&client(), MANAGER, "one more wrong one")
        .await;
    assert_eq!(
        location(&app.sign_in_as(&client(), MANAGER, PASSWORD).await),
        "/organisation"
    );
}
