//! Postgres going away while the portal is busy, and coming back: requests fail fast with the
//! service error page (never a hang, never "Page not found"), /readyz says 503 within 5 s, the
//! portal recovers within 10 s of Postgres returning without a restart, and nothing
//! acknowledged is lost. Postgres is "away" for this test's database only: new connections are
//! refused (ALLOW_CONNECTIONS false) and every open one is ended (pg_terminate_backend), so
//! other tests sharing the server carry on. SQLite has no server to lose; there the test says so.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use app::store::{organisations, Backend, Db};
use reqwest::StatusCode;

use crate::helpers::{spawn_app_with, TestApp, ADMIN};

async fn ready(app: &TestApp) -> StatusCode {
    match app
        .client
        .get(app.url("/readyz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
    {
        Ok(r) => r.status(),
        Err(_) => StatusCode::REQUEST_TIMEOUT,
    }
}

async fn wait_for(app: &TestApp, want: StatusCode, within: Duration) -> Duration {
    let started = Instant::now();
    while ready(app).await != want {
        assert!(
            started.elapsed() < within,
            "/readyz did not answer {want} within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_going_away_fails_requests_fast_and_the_portal_recovers_on_its_own() {
    let app = spawn_app_with(|c| c.sign_in_burst = 1000, axum::Router::new()).await;
    if app.database.backend != Backend::Postgres {
        println!("faults: SQLite is embedded; there is no database server to lose");
        return;
    }
    app.seed_accounts().await;
    let admin = app.signed_in(ADMIN).await;
    let server = Db::connect(
        &std::env::var("PORTAL_TEST_DATABASE").unwrap(),
        &Default::default(),
    )
    .await
    .unwrap();
    let name = app.database.url.rsplit('/').next().unwrap().to_string();
    let Db::Postgres(pg) = &server else {
        unreachable!()
    };

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let answers = Arc::new(Mutex::new(Vec::<(StatusCode, Duration)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let (c, url) = (admin.clone(), app.url("/api/admin/organisations/create"));
        let (acknowledged, answers, stop) = (acknowledged.clone(), answers.clone(), stop.clone());
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) && i < 2_000 {
                i += 1;
                let name = format!("Outage {i} Ltd");
                let started = Instant::now();
                let r = c
                    .post(&url)
                    .header("sec-fetch-site", "same-origin")
                    .header("accept", "text/html")
                    .form(&[("name", name.as_str()), ("kind", "pension_scheme")])
                    .timeout(Duration::from_secs(40))
                    .send()
                    .await
                    .expect("an answer, not a hang");
                let status = r.status();
                answers.lock().unwrap().push((status, started.elapsed()));
                if status == StatusCode::FOUND {
                    acknowledged.lock().unwrap().push(name);
                } else {
                    let page = r.text().await.unwrap_or_default();
                    assert!(
                        status.is_server_error() && !page.contains("Page not found"),
                        "during the outage: {status}"
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Postgres goes away (for this database).
    sqlx::query(&format!(
        r#"ALTER DATABASE "{name}" ALLOW_CONNECTIONS false"#
    ))
    .execute(pg)
    .await
    .unwrap();
    let cut_at = Instant::now();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(&name)
        .execute(pg)
        .await
        .unwrap();
    let unready_after = wait_for(
        &app,
        StatusCode::SERVICE_UNAVAILABLE,
        Duration::from_secs(5),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let acknowledged_before_return = acknowledged.lock().unwrap().len();

    // It comes back.
    sqlx::query(&format!(
        r#"ALTER DATABASE "{name}" ALLOW_CONNECTIONS true"#
    ))
    .execute(pg)
    .await
    .unwrap();
    let outage = cut_at.elapsed();
    let ready_after = wait_for(&app, StatusCode::OK, Duration::from_secs(10)).await;
    // And serves writes again.
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() <= acknowledged_before_return {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "writes did not resume"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();

    let names: Vec<String> = organisations::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name.as_str().to_string())
        .collect();
    let acknowledged = acknowledged.lock().unwrap().clone();
    for n in &acknowledged {
        assert!(names.contains(n), "acknowledged but lost: {n}");
    }
    let answers = answers.lock().unwrap().clone();
    let failed: Vec<_> = answers
        .iter()
        .filter(|(s, _)| *s != StatusCode::FOUND)
        .collect();
    let slowest = failed.iter().map(|(_, t)| *t).max().unwrap_or_default();
    assert!(!failed.is_empty(), "the outage was felt");
    println!(
        "faults (Postgres): {} requests, {} acknowledged, {} failed with 5xx (slowest failure {slowest:?}); /readyz 503 after {unready_after:?}; outage {outage:?}; ready again {ready_after:?} after Postgres returned",
        answers.len(),
        acknowledged.len(),
        failed.len()
    );
    server.close().await;
}
