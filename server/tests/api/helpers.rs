use std::{
    path::PathBuf,
    sync::{Arc, LazyLock},
};

use app::{
    clock::FixedClock,
    store::{Backend, Db},
};
use axum::Router;
use chrono::{TimeZone, Utc};
use server::{config::Config, AppState, Application};
use tokio::{sync::oneshot, task::JoinHandle};

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok() {
        server::telemetry::init(server::config::LogFormat::Pretty);
    }
});

/// The built site (CSS, JS, WASM) that `cargo leptos build` leaves in `target/site`.
pub fn site_root() -> PathBuf {
    match std::env::var("LEPTOS_SITE_ROOT") {
        Ok(p) if PathBuf::from(&p).is_absolute() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site"),
    }
}

/// A database of its own for one test.
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    pub async fn create() -> Self {
        let target = std::env::var("PORTAL_TEST_DATABASE").unwrap_or_else(|_| "sqlite".into());
        if target == "sqlite" {
            let dir = tempfile::tempdir().expect("temporary directory");
            let url = format!("sqlite://{}", dir.path().join("portal.db").display());
            return Self {
                url,
                backend: Backend::Sqlite,
                cleanup: Cleanup::Sqlite(dir),
            };
        }
        assert!(
            target.starts_with("postgres://") || target.starts_with("postgresql://"),
            "PORTAL_TEST_DATABASE must be 'sqlite' or a postgres:// URL"
        );
        let name = format!("portal_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Db::connect(&target, &Default::default())
            .await
            .expect("connect to the Postgres server named by PORTAL_TEST_DATABASE");
        if let Db::Postgres(pool) = &admin {
            sqlx::query(&format!(r#"CREATE DATABASE "{name}""#))
                .execute(pool)
                .await
                .expect("create test database");
            // A throwaway database need not wait for its commits to reach the disk: on a shared
            // machine, another test's DROP DATABASE (which forces a checkpoint) can otherwise stall
            // every commit for tens of seconds. Nothing the tests check depends on durability.
            sqlx::query(&format!(
                r#"ALTER DATABASE "{name}" SET synchronous_commit = off"#
            ))
            .execute(pool)
            .await
            .expect("configure test database");
        }
        admin.close().await;
        let base = target
            .rsplit_once('/')
            .map(|(base, _)| base.to_string())
            .expect("postgres URL with a database name");
        Self {
            url: format!("{base}/{name}"),
            backend: Backend::Postgres,
            cleanup: Cleanup::Postgres {
                admin_url: target,
                name,
            },
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime; use a thread with its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    if let Ok(Db::Postgres(pool)) =
                        Db::connect(&admin_url, &Default::default()).await
                    {
                        let _ = sqlx::query(&format!(
                            r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
                        ))
                        .execute(&pool)
                        .await;
                        pool.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// A running portal and a client for it.
pub struct TestApp {
    pub address: String,
    /// Keeps cookies, never follows redirects (so tests see every 30x).
    pub client: reqwest::Client,
    pub db: Db,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    pub database: TestDatabase,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}, Router::new()).await
}

/// Starts the portal with a tweaked configuration and extra routes under the full middleware.
pub async fn spawn_app_with(
    configure: impl FnOnce(&mut Config),
    extra: Router<AppState>,
) -> TestApp {
    spawn_app_full(configure, extra).await.0
}

/// As [`spawn_app_with`], also returning the clock the app reads.
pub async fn spawn_app_with_clock(configure: impl FnOnce(&mut Config)) -> (TestApp, FixedClock) {
    spawn_app_full(configure, Router::new()).await
}

async fn spawn_app_full(
    configure: impl FnOnce(&mut Config),
    extra: Router<AppState>,
) -> (TestApp, FixedClock) {
    LazyLock::force(&TRACING);
    let database = TestDatabase::create().await;
    let mut config = Config::for_tests(&database.url, site_root()).expect("test configuration");
    configure(&mut config);
    let clock = FixedClock::at(Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap());
    let application = Application::build_with_routes(config, Arc::new(clock.clone()), extra)
        .await
        .expect("application builds");
    let address = format!("http://{}", application.local_addr().expect("bound"));
    let state = application.state().clone();
    let db = state.services.db.clone();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(application.run_until(async move {
        let _ = rx.await;
    }));
    let app = TestApp {
        address,
        client: client(),
        db,
        state,
        shutdown: Some(tx),
        server: Some(server),
        database,
    };
    (app, clock)
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("http client")
}

/// The password every seeded test account has.
pub const PASSWORD: &str = "correct horse battery staple";
pub const MANAGER: &str = "manager@demo-pensions.example";
pub const CONTACT: &str = "contact@demo-pensions.example";
pub const STAFF: &str = "staff@pdp.example";
pub const ADMIN: &str = "admin@pdp.example";
/// A service manager in a second organisation.
pub const OTHER_MANAGER: &str = "manager@other-pensions.example";
/// A second member of programme staff (see [`TestApp::add_programme_staff`]).
pub const OTHER_STAFF: &str = "kit@pdp.example";

impl TestApp {
    /// Seeds the demo organisation and accounts, plus a second organisation with its own
    /// service manager, all with [`PASSWORD`].
    pub async fn seed_accounts(&self) {
        use app::{
            domain::{OrganisationKind, OrganisationName, Role},
            store::organisations,
        };
        server::demo::seed_with_password(&self.state.services, PASSWORD)
            .await
            .expect("seed demo accounts");
        let mut tx = self.db.begin_write().await.unwrap();
        let org = organisations::insert(
            &mut tx,
            &OrganisationName::parse("Other Pensions Ltd").unwrap(),
            OrganisationKind::PensionScheme,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        self.add_user(
            Some(org),
            "Olu Other",
            OTHER_MANAGER,
            &[Role::ServiceManager],
        )
        .await;
    }

    /// What sign-in knows of the account with this email address (it must exist).
    pub async fn credentials(&self, email: &str) -> app::store::users::Credentials {
        let address = app::domain::EmailAddress::parse(email).unwrap();
        app::store::users::credentials_by_email(&self.db, &address)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no account for {email}"))
    }

    /// Adds an active user with [`PASSWORD`] (the seeded manager's hash, so no hashing here).
    pub async fn add_user(
        &self,
        organisation: Option<i64>,
        name: &str,
        email: &str,
        roles: &[app::domain::Role],
    ) {
        use app::{
            domain::{EmailAddress, PersonName},
            store::users,
        };
        let manager = self.credentials(MANAGER).await;
        let mut tx = self.db.begin_write().await.unwrap();
        let id = users::insert(
            &mut tx,
            organisation,
            &PersonName::parse(name).unwrap(),
            &EmailAddress::parse(email).unwrap(),
            roles,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        users::set_password(&mut tx, id, manager.password_hash.as_deref().unwrap())
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    /// A form post as a browser without JavaScript sends it from one of our pages.
    pub async fn post_form(
        &self,
        client: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(path))
            .header("sec-fetch-site", "same-origin")
            .header("accept", "text/html")
            .header("referer", self.url("/"))
            .form(form)
            .send()
            .await
            .expect("request sent")
    }

    /// Signs in `client`; returns the response (302 to the user's home on success).
    pub async fn sign_in_as(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        self.post_form(
            client,
            "/api/auth/sign-in",
            &[("email", email), ("password", password), ("next", "")],
        )
        .await
    }

    /// A programme staff member with [`PASSWORD`] and no second factor.
    pub async fn add_programme_staff(&self, email: &str) {
        self.add_user(
            None,
            "Kit Staff",
            email,
            &[app::domain::Role::ProgrammeStaff],
        )
        .await;
    }

    /// Gives `email` a second factor with a new secret (as if set up in the app); returns it.
    pub async fn enrol(&self, email: &str) -> app::domain::second_factor::TotpSecret {
        let user = self.credentials(email).await;
        let secret = app::domain::second_factor::TotpSecret::generate();
        let mut tx = self.db.begin_write().await.unwrap();
        app::store::users::enrol_second_factor(
            &mut tx,
            user.id,
            &secret.to_base32(),
            0,
            &[],
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        secret
    }

    /// A new client signed in as `email` with [`PASSWORD`] and then the code of the clock's
    /// next time step (moved on first, so every sign-in has a code not used before).
    pub async fn signed_in_with_code(
        &self,
        clock: &FixedClock,
        email: &str,
        secret: &app::domain::second_factor::TotpSecret,
    ) -> reqwest::Client {
        use app::domain::second_factor::{step_of, STEP_SECONDS};
        clock.set(clock.now_for_tests() + chrono::Duration::seconds(STEP_SECONDS));
        let c = client();
        let r = self.sign_in_as(&c, email, PASSWORD).await;
        assert_eq!(location(&r), "/sign-in/code", "{email}: the code page");
        let code = secret.code_at_step(step_of(clock.now_for_tests().timestamp()));
        let r = self
            .post_form(&c, "/api/auth/code", &[("code", code.as_str())])
            .await;
        assert_eq!(r.status(), reqwest::StatusCode::FOUND);
        assert_ne!(
            location(&r),
            "/sign-in/code",
            "{email}: the code was accepted"
        );
        c
    }

    /// A new client signed in as `email` with [`PASSWORD`].
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        let c = client();
        let r = self.sign_in_as(&c, email, PASSWORD).await;
        assert_eq!(r.status(), reqwest::StatusCode::FOUND, "sign-in as {email}");
        c
    }

    /// The HTML of a page as `client` sees it.
    pub async fn page_text(&self, client: &reqwest::Client, path: &str) -> String {
        client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
            .text()
            .await
            .expect("body")
    }

    pub async fn audit_count(&self, action: app::store::audit::AuditAction) -> i64 {
        app::store::audit::count(&self.db, action).await.unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_html(&self, path: &str) -> (reqwest::StatusCode, String) {
        let response = self.get(path).await;
        let status = response.status();
        (status, response.text().await.expect("body"))
    }

    /// Starts shutdown as SIGTERM would.
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Shuts down and waits for the server task; returns what `run_until` returned.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        self.begin_shutdown();
        match self.server.take() {
            Some(handle) => handle.await.expect("server task did not panic"),
            None => Ok(()),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.begin_shutdown();
        if let Some(handle) = self.server.take() {
            handle.abort();
        }
    }
}

/// The start of a page's `<main>`: what an assertion message shows when a page is not as
/// expected.
pub fn main_part(page: &str) -> String {
    page.split_once("<main")
        .map_or(page, |(_, m)| m)
        .chars()
        .take(3000)
        .collect()
}

/// The `<title>` of a page.
pub fn title_of(html: &str) -> &str {
    let start = html
        .find("<title>")
        .map(|i| i + "<title>".len())
        .unwrap_or(0);
    let end = html[start..]
        .find("</title>")
        .map(|i| start + i)
        .unwrap_or(start);
    &html[start..end]
}

/// A handler that panics, with a message that must never reach the user.
pub async fn panicking_handler() -> &'static str {
    panic!("secret internal detail: table organisations is on fire")
}

/// Where a redirect goes (empty when the response is not one).
pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(reqwest::header::LOCATION)
        .map(|v| v.to_str().expect("a Location header in ASCII").to_string())
        .unwrap_or_default()
}
