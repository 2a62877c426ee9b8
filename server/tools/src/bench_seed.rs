//! `portal-tools bench-seed`: load-test fixtures. Makes organisations, each with a service manager and
//! many schemes, all with one password. Refused in production mode.

use app::{
    auth::password::PasswordHasher,
    clock::{Clock, SystemClock},
    domain::{
        EmailAddress, NewPassword, OrganisationKind, OrganisationName, PasswordContext, PersonName,
        Role,
    },
    store::{organisations, schemes, users, Db},
};

use server::config::{Config, Mode};

/// The email address of bench user `n` (numbered from 1).
pub fn bench_email(n: usize) -> String {
    format!("bench-manager-{n}@bench.example")
}

/// The programme staff account `--requests` makes.
pub const BENCH_STAFF: &str = "bench-staff@bench.example";

/// Request `i`: its status cycles through the statuses and its connection date through a year.
async fn add_request(
    tx: &mut app::store::Tx,
    org: i64,
    scheme: i64,
    user: i64,
    i: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    use app::domain::review::RequestStatus;
    const STATUSES: [RequestStatus; 6] = [
        RequestStatus::Requested,
        RequestStatus::TestScheduled,
        RequestStatus::Passed,
        RequestStatus::Failed,
        RequestStatus::GoLiveConfirmed,
        RequestStatus::Live,
    ];
    let date = app::clock::london_today(now) + chrono::Days::new(7 + (i % 365) as u64);
    let (id, _) = app::store::oat::insert(
        tx,
        org,
        scheme,
        user,
        date,
        &format!("bench-{i}"),
        None,
        now,
    )
    .await?;
    let status = STATUSES[i % STATUSES.len()];
    if status != RequestStatus::Requested {
        app::on_tx!(tx, conn => sqlx::query("UPDATE oat_requests SET status = $1 WHERE id = $2")
            .bind(status.code()).bind(id).execute(&mut **conn).await.map(|_| ()))?;
    }
    Ok(())
}

pub async fn seed(
    config: &Config,
    organisations_count: usize,
    schemes_each: usize,
    password: &str,
    requests: bool,
) -> anyhow::Result<()> {
    if config.mode == Mode::Production {
        anyhow::bail!("bench-seed makes test data and is refused in production mode");
    }
    let db = Db::connect(&config.database_url, &config.pool).await?;
    db.migrate().await?;
    let hasher = PasswordHasher::new(1)?;
    let new_password = NewPassword::parse(password, &PasswordContext::default(), |_| false)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = hasher.hash(&new_password).await?;
    let now = SystemClock.now();
    for n in 1..=organisations_count {
        let mut tx = db.begin_write().await?;
        let name = OrganisationName::parse(&format!("Bench Pensions {n}"))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let org =
            organisations::insert(&mut tx, &name, OrganisationKind::PensionProvider, now).await?;
        let email = EmailAddress::parse(&bench_email(n)).map_err(|e| anyhow::anyhow!("{e}"))?;
        let person =
            PersonName::parse(&format!("Bench Manager {n}")).map_err(|e| anyhow::anyhow!("{e}"))?;
        let user = users::insert(
            &mut tx,
            Some(org),
            &person,
            &email,
            &[Role::ServiceManager],
            now,
        )
        .await?;
        users::set_password(&mut tx, user, &hash).await?;
        for s in 1..=schemes_each {
            let scheme = schemes::insert(
                &mut tx,
                org,
                &format!("Bench scheme {n}-{s}"),
                "TPR",
                &format!("{n:04}{s:04}"),
                s == 1,
                now,
            )
            .await?;
            if requests {
                let i = n * schemes_each + s;
                add_request(&mut tx, org, scheme, user, i, now).await?;
            }
        }
        tx.commit().await?;
    }
    if requests {
        let mut tx = db.begin_write().await?;
        let email = EmailAddress::parse(BENCH_STAFF).map_err(|e| anyhow::anyhow!("{e}"))?;
        let person = PersonName::parse("Bench Staff").map_err(|e| anyhow::anyhow!("{e}"))?;
        let staff =
            users::insert(&mut tx, None, &person, &email, &[Role::ProgrammeStaff], now).await?;
        users::set_password(&mut tx, staff, &hash).await?;
        tx.commit().await?;
    }
    // A database that has been in use has planner statistics (autovacuum gathers them on
    // Postgres); one seeded a moment ago has none yet, and would be measured with guesses.
    if let Db::Postgres(pool) = &db {
        sqlx::query("ANALYZE").execute(pool).await?;
    }
    db.close().await;
    println!("seeded {organisations_count} organisations with {schemes_each} schemes each");
    Ok(())
}
