//! The data layer on whichever backend the run uses.

use std::sync::Arc;

use app::{
    clock::SystemClock,
    domain::{OrganisationKind, OrganisationName},
    store::{organisations, Backend, Db, SqliteDb, StoreError},
};
use chrono::{TimeZone, Utc};
use server::{config::Config, Application};

use crate::helpers::{site_root, spawn_app, TestDatabase};

fn name(s: &str) -> OrganisationName {
    OrganisationName::parse(s).unwrap()
}

async fn organisation_names(db: &Db) -> Vec<String> {
    organisations::list(db)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name.to_string())
        .collect()
}

/// Starts a write transaction that adds one organisation of that name.
async fn tx_adding(db: &Db, organisation: &str) -> Result<app::store::Tx, StoreError> {
    let mut tx = db.begin_write().await?;
    organisations::insert(
        &mut tx,
        &name(organisation),
        OrganisationKind::PensionProvider,
        Utc::now(),
    )
    .await?;
    Ok(tx)
}

#[tokio::test]
async fn migrations_are_idempotent() {
    let app = spawn_app().await;
    let count = |db: Db| async move {
        let sql = "SELECT COUNT(*) FROM _sqlx_migrations";
        let n: i64 =
            app::on_db!(&db, pool => sqlx::query_scalar(sql).fetch_one(pool).await).unwrap();
        n
    };
    let before = count(app.db.clone()).await;
    assert!(before >= 1);
    app.db.migrate().await.expect("second run is a no-op");
    app.db.migrate().await.expect("third run is a no-op");
    assert_eq!(count(app.db.clone()).await, before);
    assert!(app.db.is_migrated().await.unwrap());
}

#[tokio::test]
async fn two_instances_starting_together_both_succeed() {
    let database = TestDatabase::create().await;
    let build = || async {
        let config = Config::for_tests(&database.url, site_root()).unwrap();
        Application::build(config, Arc::new(SystemClock)).await
    };
    let (a, b) = tokio::join!(build(), build());
    let a = a.expect("first instance starts");
    let b = b.expect("second instance starts");
    assert!(a.state().services.db.is_migrated().await.unwrap());
    assert!(b.state().services.db.is_migrated().await.unwrap());
}

#[tokio::test]
async fn organisations_round_trip_with_real_types() {
    let app = spawn_app().await;
    let created = Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 15).unwrap();
    let mut tx = app.db.begin_write().await.unwrap();
    let id = organisations::insert(
        &mut tx,
        &name("Acme Pensions"),
        OrganisationKind::PensionScheme,
        created,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let org = organisations::get(&app.db, id)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(org.name.as_str(), "Acme Pensions");
    assert_eq!(org.kind, OrganisationKind::PensionScheme);
    assert_eq!(org.created_at, created);
    assert!(organisations::get(&app.db, id + 1000)
        .await
        .unwrap()
        .is_none());
    let found = organisations::find_by_name(&app.db, &name("ACME pensions"))
        .await
        .unwrap();
    assert_eq!(found.map(|o| o.id), Some(id));
}

#[tokio::test]
async fn organisation_names_are_unique_regardless_of_case() {
    let app = spawn_app().await;
    let now = Utc::now();
    let mut tx = app.db.begin_write().await.unwrap();
    organisations::insert(
        &mut tx,
        &name("Acme Pensions"),
        OrganisationKind::PensionProvider,
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut tx = app.db.begin_write().await.unwrap();
    let err = organisations::insert(
        &mut tx,
        &name("ACME PENSIONS"),
        OrganisationKind::PensionProvider,
        now,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, StoreError::Duplicate("organisation name")),
        "{err:?}"
    );
    drop(tx);
    assert_eq!(organisations::count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn an_uncommitted_transaction_changes_nothing() {
    let app = spawn_app().await;
    {
        let mut tx = app.db.begin_write().await.unwrap();
        organisations::insert(
            &mut tx,
            &name("Ghost Ltd"),
            OrganisationKind::PensionProvider,
            Utc::now(),
        )
        .await
        .unwrap();
        // dropped without commit, as when a request fails half way
    }
    assert_eq!(organisations::count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn the_database_refuses_invalid_rows_itself() {
    let app = spawn_app().await;
    let sql = "INSERT INTO organisations (name, kind, created_at) VALUES ($1, $2, $3)";
    let result = app::on_db!(&app.db, pool => sqlx::query(sql)
        .bind("Bad Kind Ltd")
        .bind("bank")
        .bind(Utc::now())
        .execute(pool)
        .await
        .map(|_| ()));
    assert!(result.is_err(), "CHECK constraint on kind");
}

#[tokio::test]
async fn list_is_sorted_by_name_ignoring_case() {
    let app = spawn_app().await;
    let mut tx = app.db.begin_write().await.unwrap();
    for n in ["beta Ltd", "Alpha Ltd", "Gamma Ltd"] {
        organisations::insert(
            &mut tx,
            &name(n),
            OrganisationKind::PensionProvider,
            Utc::now(),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let names = organisation_names(&app.db).await;
    assert_eq!(names, ["Alpha Ltd", "beta Ltd", "Gamma Ltd"]);
}

#[tokio::test]
async fn the_overview_list_keeps_every_field_and_its_order() {
    use app::store::schemes;
    let app = spawn_app().await;
    let mut tx = app.db.begin_write().await.unwrap();
    let org = organisations::insert(
        &mut tx,
        &name("Listing Ltd"),
        OrganisationKind::PensionProvider,
        Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // No schemes: an empty list, not an error (Postgres' json_agg gives NULL for no rows).
    assert!(schemes::list_with_latest_request(&app.db, org)
        .await
        .unwrap()
        .is_empty());

    let tricky = "Ünïcode \"quoted\" \\ scheme\ttab";
    let mut tx = app.db.begin_write().await.unwrap();
    for (n, number, vouching) in [
        ("beta scheme", "10000001", false),
        (tricky, "10000002", false),
        ("Alpha scheme", "10000003", false),
        ("Zed vouching scheme", "10000004", true),
    ] {
        schemes::insert(&mut tx, org, n, "TPR", number, vouching, Utc::now())
            .await
            .unwrap();
    }
    // Different values in columns of the same type, so that the Postgres reader, which reads
    // by position, cannot swap two of them unnoticed.
    {
        let tx = &mut tx;
        app::on_tx!(tx, conn => sqlx::query(
            "UPDATE schemes SET status = 'passed', approval = 'rejected', go_live_on = $1, \
             requested_connection_on = $2, rejection_reason = 'Not one of yours' \
             WHERE organisation_id = $3 AND name = 'beta scheme'")
            .bind(chrono::NaiveDate::from_ymd_opt(2027, 1, 15))
            .bind(chrono::NaiveDate::from_ymd_opt(2026, 12, 24))
            .bind(org)
            .execute(&mut **conn)
            .await
            .map(|_| ()))
        .unwrap();
    }
    tx.commit().await.unwrap();
    let listed = schemes::list_with_latest_request(&app.db, org)
        .await
        .unwrap();
    let beta = &listed[2].scheme;
    assert_eq!(
        (
            beta.status.code(),
            beta.approval.as_str(),
            beta.rejection_reason.as_str()
        ),
        ("passed", "rejected", "Not one of yours")
    );
    assert_eq!(
        (beta.go_live_on, beta.requested_connection_on),
        (
            chrono::NaiveDate::from_ymd_opt(2027, 1, 15),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 24)
        )
    );
    let names: Vec<&str> = listed.iter().map(|s| s.scheme.name.as_str()).collect();
    assert_eq!(
        names,
        ["Zed vouching scheme", "Alpha scheme", "beta scheme", tricky],
        "the vouching scheme first, then by name ignoring case"
    );
    // Every field matches what the plain per-row query reads.
    let plain = schemes::list_for_organisation(&app.db, org).await.unwrap();
    assert_eq!(
        listed.iter().map(|s| s.scheme.clone()).collect::<Vec<_>>(),
        plain
    );
    assert!(listed[0].scheme.is_vouching && !listed[1].scheme.is_vouching);
    assert!(listed
        .iter()
        .all(|s| s.latest_request_id.is_none() && s.latest_go_live_date.is_none()));
}

#[tokio::test]
async fn concurrent_writers_queue_and_readers_are_not_starved() {
    let app = spawn_app().await;
    let writers = (0..25).map(|i| {
        let db = app.db.clone();
        tokio::spawn(async move { tx_adding(&db, &format!("Writer {i}")).await?.commit().await })
    });
    let readers = (0..25).map(|_| {
        let db = app.db.clone();
        tokio::spawn(async move { organisations::list(&db).await.map(|_| ()) })
    });
    let (writes, reads) = tokio::join!(
        futures::future::join_all(writers),
        futures::future::join_all(readers)
    );
    for result in writes.into_iter().chain(reads) {
        result
            .unwrap()
            .expect("no 'database is locked', no pool time-out");
    }
    assert_eq!(organisations::count(&app.db).await.unwrap(), 25);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_at_once_keep_exactly_what_they_committed() {
    let app = spawn_app().await;
    // Forty writers at once (on SQLite they commit in groups): every fourth gives up without
    // committing, and every fourth from the second hits an error and gives up after it.
    let writers = (0..40).map(|i| {
        let db = app.db.clone();
        tokio::spawn(async move {
            let mut tx = tx_adding(&db, &format!("Writer {i}")).await?;
            match i % 4 {
                3 => Ok(false),
                1 => {
                    let failed = app::on_tx!(&mut tx, conn => sqlx::query("INSERT INTO no_such_table VALUES (1)").execute(&mut **conn).await.map(|_| ()));
                    assert!(failed.is_err());
                    Ok(false)
                }
                _ => tx.commit().await.map(|()| true),
            }
        })
    });
    let results: Vec<bool> = futures::future::join_all(writers)
        .await
        .into_iter()
        .map(|r| r.unwrap().expect("no writer fails"))
        .collect();
    let names = organisation_names(&app.db).await;
    for (i, committed) in results.iter().enumerate() {
        assert_eq!(
            names.contains(&format!("Writer {i}")),
            *committed,
            "writer {i}: kept if and only if committed ({names:?})"
        );
    }
    assert_eq!(names.len(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_abandoned_mid_commit_does_not_stall_the_next() {
    let app = spawn_app().await;
    for round in 0..5 {
        let db = app.db.clone();
        let abandoned = tokio::spawn(async move {
            tx_adding(&db, &format!("Abandoned {round}"))
                .await?
                .commit()
                .await
        });
        // Give up on it at some point between starting and finishing.
        tokio::time::sleep(std::time::Duration::from_micros(200 * round)).await;
        abandoned.abort();
        let next = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            tx_adding(&app.db, &format!("Next {round}"))
                .await?
                .commit()
                .await
        })
        .await
        .expect("the next writer is not stuck behind the abandoned one");
        next.expect("the next write is saved");
    }
    let names = organisation_names(&app.db).await;
    for round in 0..5 {
        assert!(names.contains(&format!("Next {round}")), "{names:?}");
    }
}

#[tokio::test]
async fn demo_seed_is_idempotent() {
    let app = spawn_app().await;
    server::demo::seed(&app.state.services).await.unwrap();
    server::demo::seed(&app.state.services).await.unwrap();
    let all = organisations::list(&app.db).await.unwrap();
    let names: Vec<&str> = all.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names.len(),
        server::demo::DEMO_ORGANISATIONS.len(),
        "{names:?}"
    );
    for (name, _, _) in server::demo::DEMO_ORGANISATIONS {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
}

#[tokio::test]
async fn sqlite_runs_with_wal_full_sync_and_foreign_keys() {
    let app = spawn_app().await;
    let Db::Sqlite(SqliteDb { pool, .. }) = &app.db else {
        assert_eq!(app.database.backend, Backend::Postgres);
        return; // SQLite-only settings
    };
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(pool)
        .await
        .unwrap();
    let fks: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(pool)
        .await
        .unwrap();
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    assert_eq!(sync, 2, "synchronous=FULL");
    assert_eq!(fks, 1);
    assert!(busy >= 5000);
}

#[tokio::test]
async fn postgres_keeps_real_timestamp_types() {
    let app = spawn_app().await;
    let Db::Postgres(pool) = &app.db else {
        return; // Postgres-only check
    };
    let ty: String = sqlx::query_scalar(
        "SELECT data_type FROM information_schema.columns WHERE table_name = 'organisations' AND column_name = 'created_at'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(ty, "timestamp with time zone");
}

/// Connections are no longer checked every time they leave the pool (a round trip each), only
/// after sitting idle: one the server closed while idle must still be replaced, not used.
#[tokio::test]
async fn a_postgres_connection_closed_while_idle_is_replaced_before_use() {
    let app = spawn_app().await;
    let Db::Postgres(pool) = &app.db else {
        return; // Postgres-only: an embedded SQLite connection cannot be closed from outside
    };
    let before: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(pool)
        .await
        .unwrap();
    // As a server restart or an idle timeout would: end every pooled connection's backend.
    let mut outside = <sqlx::PgConnection as sqlx::Connection>::connect(&app.database.url)
        .await
        .unwrap();
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid() \
         AND application_name = 'connection-portal'",
    )
    .fetch_all(&mut outside)
    .await
    .unwrap();
    assert!(ended.contains(&true), "the pool's connections were ended");
    tokio::time::sleep(app::store::CHECK_AFTER_IDLE + std::time::Duration::from_millis(300)).await;
    for _ in 0..3 {
        let after: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(pool)
            .await
            .expect("a query after the connections were ended succeeds on a new connection");
        assert_ne!(after, before);
    }
}

/// Sessions stored by the earlier session store (tower-sessions' own table) move into the
/// portal's `sessions` table with the upgrade, so nobody is signed out by it.
#[tokio::test]
async fn sessions_kept_before_the_upgrade_still_sign_in_after_it() {
    use tower_sessions::{
        session::{Id, Record},
        SessionStore,
    };
    let database = TestDatabase::create().await;
    let db = Db::connect(&database.url, &Default::default())
        .await
        .unwrap();
    let expiry = time::OffsetDateTime::from_unix_timestamp(4_102_444_800).unwrap(); // 2100-01-01
    let mut record = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: expiry + time::Duration::milliseconds(123),
    };
    record.data.insert(
        "flash".into(),
        serde_json::Value::String("kept across the upgrade".into()),
    );
    let data = rmp_serde::to_vec(&record).unwrap();
    let gone = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() - time::Duration::hours(1),
    };
    // The tables as tower-sessions-sqlx-store 0.15 created them, expiry as it encoded it.
    let (ddl, insert): (&[&str], &str) = match db.backend() {
        Backend::Sqlite => (
            &[
                "CREATE TABLE tower_sessions (id text primary key not null, \
               data blob not null, expiry_date integer not null)",
            ],
            "INSERT INTO tower_sessions VALUES ($1, $2, $3)",
        ),
        Backend::Postgres => (
            &[
                "CREATE SCHEMA tower_sessions",
                "CREATE TABLE tower_sessions.session (id text primary key not null, \
                 data bytea not null, expiry_date timestamptz not null)",
            ],
            "INSERT INTO tower_sessions.session VALUES ($1, $2, $3::timestamptz)",
        ),
    };
    let rfc3339 = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let old_rows = [
        (record.id.to_string(), data, rfc3339(record.expiry_date)),
        (
            gone.id.to_string(),
            rmp_serde::to_vec(&gone).unwrap(),
            rfc3339(gone.expiry_date),
        ),
    ];
    macro_rules! create_old_sessions {
        ($pool:expr) => {{
            for sql in ddl {
                sqlx::query(sql).execute($pool).await.unwrap();
            }
            for (id, bytes, expiry) in &old_rows {
                sqlx::query(insert)
                    .bind(id)
                    .bind(bytes)
                    .bind(expiry)
                    .execute($pool)
                    .await
                    .unwrap();
            }
        }};
    }
    match &db {
        Db::Sqlite(SqliteDb { writer, .. }) => create_old_sessions!(writer.pool()),
        Db::Postgres(pool) => create_old_sessions!(pool),
    }
    db.migrate()
        .await
        .expect("migrations carry the sessions over");
    let store = server::sessions::PortalStore::new(&db);
    let loaded = store.load(&record.id).await.unwrap().expect("the session");
    assert_eq!(
        loaded.data.get("flash"),
        Some(&serde_json::Value::String("kept across the upgrade".into()))
    );
    assert!(store.load(&gone.id).await.unwrap().is_none(), "expired");
    let expires: i64 = app::on_db!(&db, pool => sqlx::query_scalar(
        "SELECT expires_at_ms FROM sessions WHERE id = $1").bind(record.id.to_string())
        .fetch_one(pool).await)
    .unwrap();
    assert_eq!(expires, expiry.unix_timestamp() * 1000 + 123);
    let old_table: Option<String> = match &db {
        Db::Sqlite(SqliteDb { pool, .. }) => {
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE name = 'tower_sessions'")
                .fetch_optional(pool)
                .await
                .unwrap()
        }
        Db::Postgres(pool) => {
            sqlx::query_scalar("SELECT to_regclass('tower_sessions.session')::text")
                .fetch_one(pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(old_table, None, "the old table is gone");
    db.close().await;
}
