//! The second factor: set up before anything else for staff, a code at every sign-in that works
//! once, five wrong codes end the half-signed-in session, recovery codes, confirming who you are
//! before a change (which ends other sessions), and an admin's reset.

use app::{
    domain::second_factor::{step_of, TotpSecret, STEP_SECONDS},
    store::audit::AuditAction,
};
use reqwest::StatusCode;

use crate::helpers::{
    client, location, spawn_app_with_clock, TestApp, ADMIN, MANAGER, PASSWORD, STAFF,
};

async fn required() -> (TestApp, app::clock::FixedClock) {
    let (app, clock) = spawn_app_with_clock(|c| c.staff_second_factor = true).await;
    app.seed_accounts().await;
    (app, clock)
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> Vec<&'a str> {
    html.split(start)
        .skip(1)
        .filter_map(|rest| rest.split(end).next())
        .collect()
}

fn next_step(clock: &app::clock::FixedClock) -> i64 {
    clock.set(clock.now_for_tests() + chrono::Duration::seconds(STEP_SECONDS));
    step_of(clock.now_for_tests().timestamp())
}

/// The texts between `start` and the next tag (Leptos leaves `<!>` markers after text).
fn texts_after<'a>(html: &'a str, start: &str) -> Vec<&'a str> {
    between(html, start, "<")
}

/// Sets up the second factor through the pages as `c` (signed in); returns the secret and the
/// recovery codes shown.
async fn set_up(
    app: &TestApp,
    clock: &app::clock::FixedClock,
    c: &reqwest::Client,
) -> (TotpSecret, Vec<String>) {
    let page = app.page_text(c, "/account/second-factor").await;
    assert!(page.contains("Set up your second factor"), "{page}");
    assert!(
        page.contains("<svg role=\"img\""),
        "a QR code drawn on the server"
    );
    let shown = texts_after(&page, "portal-secret\"><code>");
    let secret = shown
        .first()
        .and_then(|s| TotpSecret::from_base32(s))
        .unwrap_or_else(|| panic!("the secret as text: {page}"));
    // A wrong code first: a clear message and nothing saved.
    let r = app
        .post_form(
            c,
            "/api/account/second-factor/confirm",
            &[("code", "000000")],
        )
        .await;
    assert_eq!(location(&r), "/account/second-factor");
    let page = app.page_text(c, "/account/second-factor").await;
    assert!(page.contains("The code does not match"), "{page}");
    let code = secret.code_at_step(next_step(clock));
    let r = app
        .post_form(c, "/api/account/second-factor/confirm", &[("code", &code)])
        .await;
    assert_eq!(location(&r), "/account/second-factor/recovery-codes");
    let page = app
        .page_text(c, "/account/second-factor/recovery-codes")
        .await;
    let codes: Vec<String> = texts_after(&page, "<li><code>")
        .into_iter()
        .map(str::to_string)
        .collect();
    assert_eq!(codes.len(), 10, "{page}");
    let again = app
        .page_text(c, "/account/second-factor/recovery-codes")
        .await;
    assert!(again.contains("shown only once"), "{again}");
    assert!(!again.contains(&codes[0]), "never shown twice");
    (secret, codes)
}

async fn password(app: &TestApp, email: &str) -> (reqwest::Client, reqwest::Response) {
    let c = client();
    let r = app.sign_in_as(&c, email, PASSWORD).await;
    (c, r)
}

#[tokio::test]
async fn staff_set_one_up_before_anything_else_and_then_give_a_code_that_works_once() {
    let (app, clock) = required().await;
    let (c, r) = password(&app, STAFF).await;
    assert_eq!(
        location(&r),
        "/account/second-factor",
        "straight to setting it up"
    );
    // With the password alone, nothing else.
    let r = c.get(app.url("/staff")).send().await.unwrap();
    assert_eq!(location(&r), "/account/second-factor");
    let r = app.post_form(&c, "/api/staff/queue", &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let (secret, _) = set_up(&app, &clock, &c).await;
    let r = c.get(app.url("/staff")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "set up: the staff pages open");
    assert_eq!(app.audit_count(AuditAction::SecondFactorSet).await, 1);

    // Next sign-in: the password alone signs nobody in.
    let (c2, r) = password(&app, STAFF).await;
    assert_eq!(location(&r), "/sign-in/code");
    let r = c2.get(app.url("/staff")).send().await.unwrap();
    assert!(location(&r).starts_with("/sign-in"), "not signed in yet");
    // The code used to set it up does not work again.
    let used = secret.code_at_step(step_of(clock.now_for_tests().timestamp()));
    let r = app
        .post_form(&c2, "/api/auth/code", &[("code", &used)])
        .await;
    assert_eq!(location(&r), "/sign-in/code");
    let page = app.page_text(&c2, "/sign-in/code").await;
    assert!(page.contains("That code has already been used"), "{page}");
    // Nor does one two steps old.
    let step = next_step(&clock);
    let stale = secret.code_at_step(step - 2);
    let r = app
        .post_form(&c2, "/api/auth/code", &[("code", &stale)])
        .await;
    assert_eq!(location(&r), "/sign-in/code");
    // The current one does, once.
    let code = secret.code_at_step(step);
    let r = app
        .post_form(&c2, "/api/auth/code", &[("code", &code)])
        .await;
    assert_eq!(location(&r), "/staff");
    assert_eq!(
        c2.get(app.url("/staff")).send().await.unwrap().status(),
        StatusCode::OK
    );
    let (c3, _) = password(&app, STAFF).await;
    let r = app
        .post_form(&c3, "/api/auth/code", &[("code", &code)])
        .await;
    assert_eq!(location(&r), "/sign-in/code", "a code works once");
    assert_eq!(app.audit_count(AuditAction::SecondFactorPassed).await, 1);
    assert_eq!(app.audit_count(AuditAction::SecondFactorFailed).await, 3);
}

#[tokio::test]
async fn five_wrong_codes_end_the_half_signed_in_session() {
    let (app, clock) = required().await;
    let secret = app.enrol(STAFF).await;
    let (c, _) = password(&app, STAFF).await;
    for _ in 0..4 {
        let r = app
            .post_form(&c, "/api/auth/code", &[("code", "123456")])
            .await;
        assert_eq!(location(&r), "/sign-in/code");
    }
    let r = app
        .post_form(&c, "/api/auth/code", &[("code", "123456")])
        .await;
    assert_eq!(location(&r), "/sign-in");
    let page = app.page_text(&c, "/sign-in").await;
    assert!(
        page.contains("You entered a wrong code 5 times. Sign in again"),
        "{page}"
    );
    // The right code is no use now: the half-signed-in session has gone.
    let code = secret.code_at_step(next_step(&clock));
    let r = app
        .post_form(&c, "/api/auth/code", &[("code", &code)])
        .await;
    assert_eq!(location(&r), "/sign-in");
    assert!(location(&c.get(app.url("/staff")).send().await.unwrap()).starts_with("/sign-in"));
    assert_eq!(app.audit_count(AuditAction::SecondFactorFailed).await, 5);
}

#[tokio::test]
async fn a_recovery_code_signs_in_once_and_an_organisation_user_may_turn_it_off() {
    let (app, clock) = required().await;
    let c = app.signed_in(MANAGER).await;
    let page = app.page_text(&c, "/organisation").await;
    assert!(
        page.contains("href=\"/account\""),
        "their account, from every page"
    );
    let page = app.page_text(&c, "/account").await;
    assert!(page.contains("Not set up"), "{page}");
    assert!(
        page.contains("href=\"/account/second-factor\""),
        "offered to organisation users"
    );
    let (secret, codes) = set_up(&app, &clock, &c).await;
    let (c2, r) = password(&app, MANAGER).await;
    assert_eq!(location(&r), "/sign-in/code");
    let typed = codes[3].to_uppercase().replace('-', " ");
    let r = app
        .post_form(&c2, "/api/auth/code", &[("code", &typed)])
        .await;
    assert_eq!(location(&r), "/organisation");
    assert_eq!(app.audit_count(AuditAction::RecoveryCodeUsed).await, 1);
    let (c3, _) = password(&app, MANAGER).await;
    let r = app
        .post_form(&c3, "/api/auth/code", &[("code", &codes[3])])
        .await;
    assert_eq!(location(&r), "/sign-in/code", "a recovery code works once");
    let page = app.page_text(&c2, "/account/second-factor").await;
    assert!(page.contains("Recovery codes left"), "{page}");
    assert!(page.contains(">9<"), "{page}");

    // Turning it off takes the password and a code.
    let page = app
        .page_text(&c2, "/account/second-factor/confirm?purpose=remove")
        .await;
    assert!(page.contains("Turn off the second factor"), "{page}");
    let r = app
        .post_form(
            &c2,
            "/api/account/second-factor/verify",
            &[
                ("purpose", "remove"),
                ("password", "wrong password"),
                ("code", "123456"),
            ],
        )
        .await;
    assert_eq!(
        location(&r),
        "/account/second-factor/confirm?purpose=remove"
    );
    let code = secret.code_at_step(next_step(&clock));
    let r = app
        .post_form(
            &c2,
            "/api/account/second-factor/verify",
            &[
                ("purpose", "remove"),
                ("password", PASSWORD),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(location(&r), "/account/second-factor");
    let page = app.page_text(&c2, "/account/second-factor").await;
    assert!(
        page.contains("Your second factor has been turned off"),
        "{page}"
    );
    let (_, r) = password(&app, MANAGER).await;
    assert_eq!(location(&r), "/organisation", "the password alone again");
    assert_eq!(app.audit_count(AuditAction::SecondFactorRemoved).await, 1);
}

#[tokio::test]
async fn changing_the_app_needs_the_password_and_a_code_and_ends_other_sessions() {
    let (app, clock) = required().await;
    let secret = app.enrol(STAFF).await;
    let here = app.signed_in_with_code(&clock, STAFF, &secret).await;
    let elsewhere = app.signed_in_with_code(&clock, STAFF, &secret).await;
    // Staff cannot turn it off.
    let page = app.page_text(&here, "/account/second-factor").await;
    assert!(page.contains("Change authenticator app"), "{page}");
    assert!(!page.contains("Turn off the second factor"), "{page}");
    // Without confirming, no new secret is offered and none can be confirmed.
    assert!(!page.contains("portal-secret"), "{page}");
    let r = app
        .post_form(
            &here,
            "/api/account/second-factor/confirm",
            &[("code", "123456")],
        )
        .await;
    assert_eq!(location(&r), "/account/second-factor");
    let code = secret.code_at_step(next_step(&clock));
    let r = app
        .post_form(
            &here,
            "/api/account/second-factor/verify",
            &[
                ("purpose", "change"),
                ("password", PASSWORD),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(location(&r), "/account/second-factor");
    let page = app.page_text(&here, "/account/second-factor").await;
    assert!(page.contains("Change your authenticator app"), "{page}");
    let new_secret =
        TotpSecret::from_base32(texts_after(&page, "portal-secret\"><code>")[0]).unwrap();
    assert_ne!(new_secret, secret);
    let code = new_secret.code_at_step(next_step(&clock));
    let r = app
        .post_form(
            &here,
            "/api/account/second-factor/confirm",
            &[("code", &code)],
        )
        .await;
    assert_eq!(location(&r), "/account/second-factor/recovery-codes");
    // This session carries on; the other one has ended; the old app's codes no longer work.
    assert_eq!(
        here.get(app.url("/staff")).send().await.unwrap().status(),
        StatusCode::OK
    );
    let r = elsewhere.get(app.url("/staff")).send().await.unwrap();
    assert!(location(&r).starts_with("/sign-in"), "signed out elsewhere");
    let (c, _) = password(&app, STAFF).await;
    let old = secret.code_at_step(next_step(&clock));
    let r = app.post_form(&c, "/api/auth/code", &[("code", &old)]).await;
    assert_eq!(location(&r), "/sign-in/code");
}

#[tokio::test]
async fn an_admin_resets_a_second_factor_and_the_user_sets_up_a_new_one() {
    let (app, clock) = required().await;
    let admin_secret = app.enrol(ADMIN).await;
    let staff_secret = app.enrol(STAFF).await;
    let staff = app.signed_in_with_code(&clock, STAFF, &staff_secret).await;
    let admin = app.signed_in_with_code(&clock, ADMIN, &admin_secret).await;
    let id = app.credentials(STAFF).await.id;
    let page = app.page_text(&admin, &format!("/admin/users/{id}")).await;
    assert!(page.contains("Reset second factor"), "{page}");
    let r = app
        .post_form(
            &admin,
            "/api/admin/users/reset-second-factor",
            &[("user", &id.to_string())],
        )
        .await;
    assert_eq!(location(&r), format!("/admin/users/{id}"));
    let page = app.page_text(&admin, &format!("/admin/users/{id}")).await;
    assert!(page.contains("second factor has been reset"), "{page}");
    assert!(page.contains("Not set up"), "{page}");
    // Signed out, emailed, and asked to set up a new one at the next sign-in.
    let r = staff.get(app.url("/staff")).send().await.unwrap();
    assert!(location(&r).starts_with("/sign-in"));
    let emails = app::store::outbox::recent(&app.db, 10).await.unwrap();
    assert!(
        emails
            .iter()
            .any(|e| e.recipient == STAFF && e.subject.contains("second factor")),
        "{emails:?}"
    );
    let (_, r) = password(&app, STAFF).await;
    assert_eq!(location(&r), "/account/second-factor");
    assert_eq!(app.audit_count(AuditAction::SecondFactorReset).await, 1);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_a_code_and_ends_other_sessions() {
    let (app, clock) = required().await;
    let secret = app.enrol(STAFF).await;
    let here = app.signed_in_with_code(&clock, STAFF, &secret).await;
    let elsewhere = app.signed_in_with_code(&clock, STAFF, &secret).await;
    let page = app.page_text(&here, "/account").await;
    assert!(page.contains("Authenticator app set up"), "{page}");
    let new = "copper meadow violin";
    let code = secret.code_at_step(next_step(&clock));
    for (current, code, message) in [
        (
            "not my password",
            code.as_str(),
            "Enter your current password and a code that is right now",
        ),
        (
            PASSWORD,
            "",
            "Enter the 6-digit code your authenticator app shows now",
        ),
        (
            PASSWORD,
            "000000",
            "Enter your current password and a code that is right now",
        ),
    ] {
        let r = app
            .post_form(
                &here,
                "/api/account/password",
                &[
                    ("current_password", current),
                    ("code", code),
                    ("password", new),
                ],
            )
            .await;
        assert_eq!(location(&r), "/account/password");
        let page = app.page_text(&here, "/account/password").await;
        assert!(page.contains(message), "{message}: {page}");
    }
    let (_, r) = password(&app, STAFF).await;
    assert_eq!(
        location(&r),
        "/sign-in/code",
        "the old password still works"
    );
    let r = app
        .post_form(
            &here,
            "/api/account/password",
            &[
                ("current_password", PASSWORD),
                ("code", &code),
                ("password", new),
            ],
        )
        .await;
    assert_eq!(location(&r), "/account");
    let page = app.page_text(&here, "/account").await;
    assert!(page.contains("Your password has been changed"), "{page}");
    assert_eq!(
        here.get(app.url("/staff")).send().await.unwrap().status(),
        StatusCode::OK
    );
    let r = elsewhere.get(app.url("/staff")).send().await.unwrap();
    assert!(location(&r).starts_with("/sign-in"), "signed out elsewhere");
    let (_, r) = password(&app, STAFF).await;
    assert_eq!(location(&r), "/sign-in", "the old password no longer works");
    let c = client();
    let r = app
        .post_form(
            &c,
            "/api/auth/sign-in",
            &[("email", STAFF), ("password", new), ("next", "")],
        )
        .await;
    assert_eq!(location(&r), "/sign-in/code");
    assert_eq!(app.audit_count(AuditAction::PasswordSet).await, 1);
    let emails = app::store::outbox::recent(&app.db, 10).await.unwrap();
    assert!(emails
        .iter()
        .any(|e| e.recipient == STAFF && e.subject.contains("password")));
}
