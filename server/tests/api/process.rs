//! The real `portal` binary: start-up errors, a clean exit on SIGTERM, and nothing acknowledged
//! lost when it is killed.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::helpers::{site_root, TestDatabase};

fn portal() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portal"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LEPTOS_SITE_ROOT", site_root())
        .env("RUST_LOG", "warn");
    cmd
}

/// Starts the portal on a free port; returns the process and the address it says it serves.
async fn start(database_url: &str) -> (Child, String) {
    let mut child = portal()
        .env("DATABASE_URL", database_url)
        .env("PORTAL_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let base = tokio::task::spawn_blocking(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            if let Some(base) = line.trim().strip_prefix("Portal listening on ") {
                return Some(base.to_string());
            }
            line.clear();
        }
        None
    })
    .await
    .unwrap()
    .expect("the portal says where it listens");
    (child, base)
}

#[test]
fn help_lists_only_what_operators_run() {
    let out = portal().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for command in ["serve", "migrate", "check-config", "create-admin"] {
        assert!(help.contains(command), "{command} missing from:\n{help}");
    }
    // The simulator and the bench tools are portal-tools' (server/tools).
    for command in ["simulate-find-endpoint", "bench-seed", "bench-connectivity"] {
        assert!(!help.contains(command), "{command} in:\n{help}");
    }
}

#[test]
fn a_bad_flag_value_is_one_clear_line_and_exit_2() {
    let out = portal().args(["--mode", "prod"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("prod") && stderr.contains("production"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
}

#[test]
fn production_refuses_demo_and_plain_http() {
    let out = portal()
        .args([
            "--mode",
            "production",
            "--demo",
            "--public-url",
            "https://connect.example.org",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("demo mode cannot run in production"));

    let out = portal()
        .args([
            "--mode",
            "production",
            "--public-url",
            "http://connect.example.org",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("https"));
}

#[test]
fn an_unreachable_database_is_a_clear_error_not_a_panic() {
    let out = portal()
        .env("DATABASE_URL", "postgres://nobody:pw@127.0.0.1:1/none")
        .env("PORTAL_LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("could not open the database"), "{stderr}");
    assert!(!stderr.contains(":pw@"), "password not echoed: {stderr}");
    assert!(!stderr.contains("panicked"));
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let database = TestDatabase::create().await;
    let (mut child, base) = start(&database.url).await;
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "portal did not stop after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "exit code 0 after SIGTERM, got {exit:?}");
}

#[tokio::test]
async fn create_admin_makes_a_programme_admin_who_can_sign_in() {
    let database = TestDatabase::create().await;
    let out = portal()
        .env("DATABASE_URL", &database.url)
        .env("PORTAL_ADMIN_PASSWORD", "password")
        .args([
            "create-admin",
            "--email",
            "first.admin@pdp.example",
            "--name",
            "First Admin",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a common password is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("too common"));

    let out = portal()
        .env("DATABASE_URL", &database.url)
        .env("PORTAL_ADMIN_PASSWORD", "amber quartz lantern meadow")
        .args([
            "create-admin",
            "--email",
            "first.admin@pdp.example",
            "--name",
            "First Admin",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = portal()
        .env("DATABASE_URL", &database.url)
        .env("PORTAL_ADMIN_PASSWORD", "amber quartz lantern meadow")
        .args([
            "create-admin",
            "--email",
            "FIRST.ADMIN@pdp.example",
            "--name",
            "Again",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the same email, whatever its case, is refused"
    );

    let db = app::store::Db::connect(&database.url, &Default::default())
        .await
        .unwrap();
    let creds = app::store::users::credentials_by_email(
        &db,
        &app::domain::EmailAddress::parse("first.admin@pdp.example").unwrap(),
    )
    .await
    .unwrap()
    .expect("admin stored");
    let hash = creds.password_hash.unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    let user = app::store::users::get(&db, creds.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.roles, vec![app::domain::Role::ProgrammeAdmin]);
    assert!(user.organisation_id.is_none());
    db.close().await;
}

#[tokio::test]
async fn writes_acknowledged_before_a_crash_are_kept() {
    let database = TestDatabase::create().await;
    let password = "amber quartz lantern meadow";
    let made = portal()
        .env("DATABASE_URL", &database.url)
        .env("PORTAL_ADMIN_PASSWORD", password)
        .args(["create-admin", "--email", "crash@pdp.example"])
        .args(["--name", "Crash Test"])
        .status()
        .unwrap();
    assert!(made.success());
    let (mut child, base) = start(&database.url).await;

    // Sign-ins at once: each is acknowledged (302) only after its session is written.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let sign_ins = (0..4).map(|_| {
        let client = client.clone();
        let url = format!("{base}/api/auth/sign-in");
        async move {
            client
                .post(url)
                .header("Sec-Fetch-Site", "same-origin")
                .header("Accept", "text/html")
                .form(&[
                    ("email", "crash@pdp.example"),
                    ("password", password),
                    ("next", ""),
                ])
                .send()
                .await
                .map(|r| r.status())
        }
    });
    let acknowledged = futures::future::join_all(sign_ins)
        .await
        .into_iter()
        .filter(|s| matches!(s, Ok(s) if s.is_redirection()))
        .count();
    assert_eq!(acknowledged, 4, "every sign-in was answered");

    // No clean shutdown: the process is killed at once.
    let status = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let _ = child.wait();

    let db = app::store::Db::connect(&database.url, &Default::default())
        .await
        .unwrap();
    let sessions = app::store::sessions::count(&db).await.unwrap();
    assert_eq!(sessions, 4, "every acknowledged session survived the crash");
    db.close().await;
}
