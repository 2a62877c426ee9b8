//! The real `portal-tools` binary: what it offers, `bench-seed` on a fresh database (SQLite, or
//! Postgres when `PORTAL_TEST_DATABASE` is a postgres:// URL), and the simulator until SIGTERM.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
};

use app::store::Db;

fn tools() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portal-tools"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn");
    cmd
}

#[test]
fn help_lists_the_tools() {
    let out = tools().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for command in ["simulate-find-endpoint", "bench-seed", "bench-connectivity"] {
        assert!(help.contains(command), "{command} missing from:\n{help}");
    }
}

/// The database `bench-seed` fills: a SQLite file in a temporary folder, or a new database on
/// the Postgres server `PORTAL_TEST_DATABASE` names, dropped at the end.
struct Fresh {
    url: String,
    _dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl Fresh {
    async fn create() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let target = std::env::var("PORTAL_TEST_DATABASE").unwrap_or_else(|_| "sqlite".into());
        if !target.starts_with("postgres") {
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            return Self {
                url,
                _dir: dir,
                postgres: None,
            };
        }
        let name = format!("portal_test_tools_{}", uuid::Uuid::new_v4().simple());
        Self::admin(&target, &format!(r#"CREATE DATABASE "{name}""#)).await;
        let (base, _) = target.rsplit_once('/').expect("a database name in the URL");
        Self {
            url: format!("{base}/{name}"),
            _dir: dir,
            postgres: Some((target, name)),
        }
    }

    async fn admin(url: &str, statement: &str) {
        let db = Db::connect(url, &Default::default()).await.unwrap();
        app::on_db!(&db, pool => sqlx::query(statement).execute(pool).await.map(|_| ())).unwrap();
        db.close().await;
    }

    async fn count(&self, table: &str) -> i64 {
        let db = Db::connect(&self.url, &Default::default()).await.unwrap();
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n = app::on_db!(&db, pool => sqlx::query_scalar::<_, i64>(&sql).fetch_one(pool).await);
        db.close().await;
        n.unwrap()
    }

    async fn remove(self) {
        if let Some((admin, name)) = &self.postgres {
            Self::admin(admin, &format!(r#"DROP DATABASE "{name}" WITH (FORCE)"#)).await;
        }
    }
}

#[tokio::test]
async fn bench_seed_fills_a_fresh_database() {
    let db = Fresh::create().await;
    let out = tools()
        .args([
            "bench-seed",
            "--organisations",
            "2",
            "--schemes",
            "3",
            "--requests",
        ])
        .env("DATABASE_URL", &db.url)
        .env("PORTAL_BENCH_PASSWORD", "bench password for seven horses")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("seeded 2 organisations with 3 schemes each")
    );
    assert_eq!(db.count("organisations").await, 2);
    assert_eq!(db.count("schemes").await, 6);
    assert_eq!(db.count("oat_requests").await, 6);
    // A service manager for each organisation, and the programme staff account.
    assert_eq!(db.count("users").await, 3);
    db.remove().await;
}

#[test]
fn the_simulator_serves_until_sigterm() {
    let mut child = tools()
        .args([
            "simulate-find-endpoint",
            "--listen",
            "127.0.0.1:0",
            "--control",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(
        first.starts_with("Find-endpoint simulator listening on https://127.0.0.1:"),
        "{first}"
    );
    let second = lines.next().unwrap().unwrap();
    assert!(
        second.contains("control listening on http://127.0.0.1:"),
        "{second}"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(child.wait().unwrap().success());
}
