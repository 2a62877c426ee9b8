//! Operations: an online backup taken while the portal is busy holds everything acknowledged
//! before it started, nothing half-written, and passes its integrity check; on Postgres the
//! portal points to pg_dump instead.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc, Mutex,
};

use app::store::{backup, organisations, Backend, Db};
use reqwest::StatusCode;

use crate::helpers::{spawn_app_with, ADMIN};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_load_holds_every_acknowledged_request() {
    let app = spawn_app_with(|c| c.sign_in_burst = 1000, axum::Router::new()).await;
    app.seed_accounts().await;
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("backup.db");
    if app.database.backend == Backend::Postgres {
        let err = backup::backup(&app.db, &copy).await.unwrap_err();
        assert!(err.to_string().contains("pg_dump"), "{err}");
        return;
    }
    let admin = app.signed_in(ADMIN).await;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    // Three clients add organisations until the backup is done (at most 60 each).
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (c, url) = (admin.clone(), app.url("/api/admin/organisations/create"));
            let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
            tokio::spawn(async move {
                for i in 0..60 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let name = format!("Load {w}-{i} Ltd");
                    let r = c
                        .post(&url)
                        .header("sec-fetch-site", "same-origin")
                        .header("accept", "text/html")
                        .form(&[("name", name.as_str()), ("kind", "pension_scheme")])
                        .send()
                        .await
                        .unwrap();
                    if r.status() == StatusCode::FOUND {
                        acknowledged.lock().unwrap().push(name);
                    }
                }
            })
        })
        .collect();
    while acknowledged.lock().unwrap().len() < 15 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let before: Vec<String> = acknowledged.lock().unwrap().clone();
    let report = backup::backup(&app.db, &copy).await.expect("backup");
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let after = acknowledged.lock().unwrap().len();
    assert!(report.bytes > 0);
    // A second backup to the same file is refused, not overwritten.
    let again = backup::backup(&app.db, &copy).await.unwrap_err();
    assert!(again.to_string().contains("already exists"), "{again}");

    // Restore: a portal's database opened on the copy.
    backup::check(&copy).await.expect("integrity ok");
    let restored = Db::connect(&format!("sqlite://{}", copy.display()), &Default::default())
        .await
        .unwrap();
    restored.migrate().await.unwrap();
    let names: Vec<String> = organisations::list(&restored)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name.as_str().to_string())
        .collect();
    let missing: Vec<_> = before.iter().filter(|n| !names.contains(n)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup but missing: {missing:?}"
    );
    // Nothing half-written: every organisation in the copy has its audit row.
    let Db::Sqlite(sqlite) = &restored else {
        unreachable!("a SQLite copy")
    };
    let orphans: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM organisations o WHERE o.name LIKE 'Load %' AND NOT EXISTS \
         (SELECT 1 FROM audit_events a WHERE a.organisation_id = o.id AND a.action = 'organisation_created')",
    )
    .fetch_one(&sqlite.pool)
    .await
    .unwrap();
    assert_eq!(orphans, 0);
    let in_copy = names.iter().filter(|n| n.starts_with("Load ")).count();
    println!(
        "backup of {} bytes: {} organisations acknowledged before it, {in_copy} in the copy, {after} acknowledged in all",
        report.bytes,
        before.len()
    );
    restored.close().await;
}

#[tokio::test]
async fn metrics_are_served_only_to_the_token_holder_and_count_what_operators_watch() {
    const TOKEN: &str = "metrics-token-0123456789";
    let (app, clock) = crate::helpers::spawn_app_with_clock(|c| {
        c.metrics_token = Some(TOKEN.into());
        // Held in the outbox, as in production without an SMTP server.
        c.mode = server::config::Mode::Production;
    })
    .await;
    app.seed_accounts().await;
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("metrics-token-0123456788")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);

    assert_eq!(app.get("/sign-in").await.status(), StatusCode::OK);
    assert_eq!(app.get("/sign-in").await.status(), StatusCode::OK);
    app.get("/no-such-page").await;
    app.signed_in(crate::helpers::MANAGER).await;
    let queued_at = clock.now_for_tests() - chrono::Duration::seconds(90);
    let mut tx = app.db.begin_write().await.unwrap();
    let mail = app::emails::Letter::new("Held", "Kim")
        .para("Waiting for an SMTP server")
        .to("metrics-test".into(), "kim@pdp.example");
    app::store::outbox::enqueue(&mut tx, &mail, queued_at)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let r = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.unwrap();
    for line in [
        r#"portal_http_requests_total{method="GET",route="/sign-in",status="200"} 2"#,
        r#"portal_http_requests_total{method="POST",route="/api/auth/sign-in",status="302"} 1"#,
        r#"portal_http_requests_total{method="GET",route="other",status="404"} 1"#,
        r#"portal_http_request_duration_seconds_count{method="GET",route="/sign-in"} 2"#,
        "portal_outbox_backlog 1",
        "portal_outbox_oldest_age_seconds 90",
        r#"portal_connectivity_runs{status="queued"} 0"#,
        r#"portal_connectivity_runs{status="running"} 0"#,
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }
    for name in [
        "portal_db_pool_connections ",
        "portal_db_pool_idle_connections ",
        "portal_db_pool_waiting ",
        "portal_go_live_last_success_timestamp_seconds ",
    ] {
        assert!(text.contains(name), "{name} in:\n{text}");
    }
}

/// A pool of one connection and four slow reads at once: three wait, and the "waiting" figure
/// /metrics reports says so. (Other tests' calls in this process only add to the count, so the
/// lower bound holds whatever else runs.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_pool_waiting_figure_counts_calls_waiting_for_a_connection() {
    use app::store::{calls_in_flight, waiting_for_connection, Backend, Db, PoolSettings};
    let database = crate::helpers::TestDatabase::create().await;
    let db = Db::connect(
        &database.url,
        &PoolSettings {
            max_connections: 1,
            acquire_timeout: std::time::Duration::from_secs(30),
        },
    )
    .await
    .unwrap();
    db.migrate().await.unwrap();
    let slow = match database.backend {
        Backend::Postgres => "SELECT 1 FROM pg_sleep(0.5)",
        Backend::Sqlite => {
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) \
             SELECT COUNT(*) > 0 FROM c"
        }
    };
    let reads: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                let _: (i32,) =
                    app::on_db!(&db, pool => sqlx::query_as(slow).fetch_one(pool).await).unwrap();
            })
        })
        .collect();
    let mut most = 0;
    for _ in 0..100 {
        let (size, idle) = db.pool_stats();
        most = most.max(waiting_for_connection(calls_in_flight(), size, idle));
        if most >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    for r in reads {
        r.await.unwrap();
    }
    assert!(
        most >= 3,
        "at most {most} seen waiting for the one connection"
    );
    println!(
        "pool waiting ({:?}): {most} calls seen waiting for a pool of one",
        database.backend
    );
    db.close().await;
}
