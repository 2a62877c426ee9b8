//! Building the application (database, migrations, router, middleware) and running it until a
//! shutdown signal, with a bounded drain.

use std::{
    future::{Future, IntoFuture},
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use anyhow::Context;
use app::{
    auth::{password::PasswordHasher, session::AuthSettings},
    clock::Clock,
    services::Services,
    shell,
    store::Db,
    App,
};
use axum::{
    extract::FromRef,
    http::{header, HeaderValue, StatusCode},
    middleware::{from_fn, from_fn_with_state},
    routing::get,
    serve::ListenerExt,
    Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    sensitive_headers::SetSensitiveRequestHeadersLayer,
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};
use tower_sessions::{cookie::SameSite, Expiry, SessionManagerLayer};

use crate::{
    access::{self, SignInLimiter},
    assets::AssetHashes,
    config::{Config, Mode},
    connectivity::{
        engine::{tokio_sleeper, Engine, EngineSettings},
        identity::Identity,
        profile::Profile,
        worker::WorkerSettings,
    },
    demo, error_page, export, go_live, health,
    middleware::{self, RequestSpan},
    outbox_worker,
    sessions::PortalStore,
    upload,
};

/// The name cargo-leptos gives the built CSS, JS and WASM files.
pub const OUTPUT_NAME: &str = "portal";

/// Whether the server has started to shut down (readiness turns 503), and the requests still
/// being finished for clients that went away (see `middleware::run_to_completion`), which
/// shutdown waits for before it closes the database.
#[derive(Debug, Default)]
pub struct Lifecycle {
    shutting_down: AtomicBool,
    pub requests: tokio_util::task::TaskTracker,
}

impl Lifecycle {
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }
}

/// Everything handlers, pages and server functions share. Every middleware layer and route
/// takes its own copy for each request, so a copy is one reference count.
#[derive(Clone, Debug)]
pub struct AppState(Arc<SharedState>);

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// What [`AppState`] holds.
#[derive(Debug)]
pub struct SharedState {
    pub leptos_options: LeptosOptions,
    pub services: Services,
    pub config: Arc<Config>,
    pub lifecycle: Arc<Lifecycle>,
    pub assets: Arc<AssetHashes>,
    /// Where every page's head finds the built stylesheet, script and WASM module.
    pub page_assets: Arc<app::PageAssets>,
    pub sign_in_limiter: Arc<SignInLimiter>,
    pub session_store: PortalStore,
    /// In demo mode, the password the demo accounts were given at start.
    pub demo_password: Option<String>,
    /// The connectivity test engine its worker runs.
    pub engine: Arc<Engine>,
    /// The public keys of the test user tokens, served at `/.well-known/jwks.json`.
    pub jwks: Arc<serde_json::Value>,
    pub client_ca_pem: Arc<str>,
    pub worker_settings: WorkerSettings,
    /// Demo mode: the find-endpoint simulator the demo organisations' endpoints point at.
    pub demo_simulator: Option<Arc<simulator::RunningSimulator>>,
    /// Served at `/metrics` to holders of the metrics token.
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// The connectivity test's parts, built from the configuration.
struct Connectivity {
    settings: Arc<app::services::ConnectivitySettings>,
    engine: Arc<Engine>,
    jwks: serde_json::Value,
    worker: WorkerSettings,
    /// Dev mode: options for a simulator whose certificate the engine trusts.
    demo_simulator: Option<simulator::SimulatorOptions>,
}

impl Connectivity {
    async fn build(config: &Config) -> anyhow::Result<Self> {
        let c = &config.connectivity;
        let identity = Identity::load(&c.identity).context(
            "could not load the portal's test identity (client certificate and signing key)",
        )?;
        let profile = match &c.profile {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("could not read the find request profile {}", path.display())
                })?;
                Profile::parse(&text).with_context(|| {
                    format!("the find request profile {} is not usable", path.display())
                })?
            }
            None => Profile::builtin(),
        };
        let mut extra_roots = Vec::new();
        if let Some(path) = &c.trust {
            extra_roots.extend(crate::connectivity::identity::read_certs(path)?);
        }
        if let Some(ca) = &identity.dev_ca {
            extra_roots.extend(crate::connectivity::identity::parse_certs(&ca.cert_pem)?);
        }
        let issuer = c
            .issuer
            .clone()
            .unwrap_or_else(|| format!("{}/synthetic-pfs", config.public_origin));
        if c.impersonating_pdp {
            tracing::warn!(
                issuer,
                "test user tokens claim PDP's own issuer (PORTAL_IMPERSONATE_PDP_ISSUER)"
            );
        }
        let jwks = jose::jwks(&[identity.signer.public_jwk()]);
        let demo_simulator = match &identity.dev_ca {
            Some(ca) if config.demo => {
                let issued =
                    ca.issue_server(&["localhost", "127.0.0.1"], (2024, 1, 1), (2044, 1, 1))?;
                Some(simulator::SimulatorOptions {
                    listen: c.demo_simulator_listen,
                    tls: simulator::ServerTls::Pem {
                        cert_chain_pem: issued.cert_pem,
                        key_pem: issued.key_pem,
                    },
                    client_ca_pem: Some(ca.cert_pem.clone()),
                    jwks_url: Some(format!("{}/.well-known/jwks.json", config.public_origin)),
                    audience: c.audience.clone(),
                    answer: simulator::Answer::Accepted,
                    slow_for: Duration::from_secs(40),
                    control: c.demo_simulator_control,
                })
            }
            _ => None,
        };
        let engine = Engine::new(
            &identity,
            EngineSettings {
                connect_timeout: c.connect_timeout,
                total_timeout: c.total_timeout,
                retry: Default::default(),
                issuer: issuer.clone(),
                audience: c.audience.clone(),
                policy: c.policy.clone(),
                extra_roots,
                profile: profile.clone(),
            },
            tokio_sleeper(),
        )?;
        let settings = app::services::ConnectivitySettings {
            wake: Default::default(),
            readiness: c.readiness,
            profile: profile.name.clone(),
            policy: c.policy.clone(),
            client_ca_pem: identity.client_ca_pem.clone(),
            issuer,
            impersonating_pdp: c.impersonating_pdp,
        };
        Ok(Self {
            settings: Arc::new(settings),
            engine: Arc::new(engine),
            jwks,
            worker: WorkerSettings {
                concurrency: c.workers,
                lease: c.lease,
                poll: Duration::from_secs(2),
            },
            demo_simulator,
        })
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// A built application bound to its listener, not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Connects to the database, applies migrations, seeds demo data when asked, and binds the
    /// listener. Nothing is served until [`Application::run_until`].
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        Self::build_with_routes(config, clock, Router::new()).await
    }

    /// As [`Application::build`], with extra routes merged in under the full middleware stack
    /// (tests use this to reach panics and slow handlers).
    pub async fn build_with_routes(
        config: Config,
        clock: Arc<dyn Clock>,
        extra: Router<AppState>,
    ) -> anyhow::Result<Self> {
        let mut config = config;
        let redacted = app::store::redact_url(&config.database_url);
        let db = Db::connect(&config.database_url, &config.pool)
            .await
            .with_context(|| format!("could not open the database at {redacted}"))?;
        db.migrate()
            .await
            .context("could not apply database migrations")?;
        let session_store = PortalStore::new(&db);
        let listener = bind_listener(config.listen)
            .with_context(|| format!("could not listen on {}", config.listen))?;
        if config.public_origin_from_listen {
            config.public_origin = format!("http://{}", listener.local_addr()?);
        }
        let services = Services {
            db,
            clock,
            hasher: PasswordHasher::new(config.max_concurrent_hashes)
                .context("could not prepare password hashing")?,
            auth: Arc::new(AuthSettings {
                idle_timeout: config.session_idle,
                absolute_timeout: config.session_max,
                staff_second_factor: config.staff_second_factor,
                ..AuthSettings::default()
            }),
            public_origin: config.public_origin.clone().into(),
            show_emails: config.show_emails,
            caches: Default::default(),
            connectivity: Default::default(),
        };
        let mut services = services;
        let connectivity = Connectivity::build(&config).await?;
        services.connectivity = connectivity.settings.clone();
        let demo_password = if config.demo {
            Some(
                demo::seed(&services)
                    .await
                    .context("could not seed demo data")?,
            )
        } else {
            None
        };
        let demo_simulator = match (&connectivity.demo_simulator, config.demo) {
            (Some(options), true) => Some(
                demo::start_simulator(&services, options.clone())
                    .await
                    .context("could not start the demo find-endpoint simulator")?,
            ),
            _ => None,
        };
        let assets = AssetHashes::locate(config.hash_file.as_deref());
        if assets.file.is_none() {
            tracing::warn!("no hash.txt found for the built assets; serving unhashed names");
        }
        let state = AppState(Arc::new(SharedState {
            leptos_options: leptos_options(&config),
            page_assets: Arc::new(assets.page_assets(OUTPUT_NAME)),
            services,
            sign_in_limiter: Arc::new(SignInLimiter::new(
                config.sign_in_burst,
                Duration::from_secs(6),
            )),
            config: Arc::new(config),
            lifecycle: Arc::new(Lifecycle::default()),
            assets: Arc::new(assets),
            session_store,
            demo_password,
            engine: connectivity.engine,
            jwks: Arc::new(connectivity.jwks),
            client_ca_pem: connectivity.settings.client_ca_pem.clone().into(),
            worker_settings: connectivity.worker,
            demo_simulator: demo_simulator.map(Arc::new),
            metrics: Arc::new(crate::metrics::Metrics::new().context("registering metrics")?),
        }));
        let router = router(state.clone(), extra);
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `signal` completes, then: readiness turns 503, the listener stays open for the
    /// configured delay, in-flight requests get up to the shutdown timeout to finish, and the pool
    /// is closed.
    pub async fn run_until<F>(self, signal: F) -> anyhow::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let Self {
            listener,
            router,
            state,
        } = self;
        let delay = state.config.shutdown_delay;
        let drain = state.config.shutdown_timeout;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let transport = outbox_worker::Transport::from_config(&state.config)?;
        let worker = tokio::spawn(outbox_worker::run(
            state.services.clone(),
            transport,
            Duration::from_secs(2),
            stop_rx,
        ));
        let connectivity_worker = tokio::spawn(crate::connectivity::worker::run(
            state.services.clone(),
            state.engine.clone(),
            state.worker_settings,
            stop_tx.subscribe(),
        ));
        let go_live = tokio::spawn(go_live::run(
            state.services.clone(),
            Duration::from_secs(60),
            stop_tx.subscribe(),
        ));
        let session_cleanup = tokio::spawn(crate::sessions::delete_expired_every(
            state.session_store.clone(),
            Duration::from_secs(300),
        ));
        let lifecycle = state.lifecycle.clone();
        let (began_tx, mut began_rx) = tokio::sync::watch::channel(false);
        let shutdown = async move {
            signal.await;
            lifecycle.begin_shutdown();
            let _ = began_tx.send(true);
            tracing::info!(
                delay_secs = delay.as_secs(),
                "shutdown started: no longer ready"
            );
            tokio::time::sleep(delay).await;
        };
        let listener = listener.tap_io(|tcp| {
            // Without this, responses written in several pieces meet delayed ACKs (40 ms stalls).
            let _ = tcp.set_nodelay(true);
        });
        let server = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .into_future();
        let deadline = async move {
            if began_rx.wait_for(|began| *began).await.is_err() {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(delay + drain).await;
        };
        tokio::select! {
            result = server => result.context("server error")?,
            _ = deadline => tracing::warn!(drain_secs = drain.as_secs(), "requests still running after the shutdown timeout were cut off"),
        }
        state.lifecycle.requests.close();
        if tokio::time::timeout(drain, state.lifecycle.requests.wait())
            .await
            .is_err()
        {
            tracing::warn!("requests for clients that had gone were still running at shutdown");
        }
        let _ = stop_tx.send(true);
        let _ = worker.await;
        let _ = go_live.await;
        let _ = connectivity_worker.await;
        session_cleanup.abort();
        state.services.db.close().await;
        tracing::info!("shutdown complete");
        Ok(())
    }
}

/// Leptos' own options. The hashed asset names are not among them: the page head takes them
/// from [`SharedState::page_assets`].
fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(config.site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .env(match config.mode {
            Mode::Dev => leptos::config::Env::DEV,
            Mode::Production => leptos::config::Env::PROD,
        })
        .build()
}

fn router(state: AppState, extra: Router<AppState>) -> Router {
    let config = state.config.clone();
    let services = state.services.clone();
    let context = move || provide_context(services.clone());
    let page_assets = state.page_assets.clone();
    let site_root = config.site_root.clone();

    let pkg = ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    let public_file = |name: &str| {
        ServiceBuilder::new()
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CACHE_CONTROL,
                HeaderValue::from_static(middleware::SHORT_PUBLIC),
            ))
            .service(ServeFile::new(site_root.join(name)))
    };

    let secure = config.secure_cookies;
    let sessions = SessionManagerLayer::new(state.session_store.clone())
        .with_name(if secure {
            "__Host-portal_session"
        } else {
            "portal_session"
        })
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            time::Duration::try_from(config.session_idle).unwrap_or(time::Duration::minutes(30)),
        ));

    // Pages and server functions: sessions, who is signed in, and the guards. Each `layer`
    // wraps what comes before it.
    let pages = Router::new()
        .leptos_routes_with_context(&state, route_list(), context.clone(), {
            let page_assets = page_assets.clone();
            move || shell(page_assets.clone())
        })
        .route("/staff/requests.csv", get(export::requests_csv))
        .route("/staff/upcoming.csv", get(export::upcoming_csv))
        .route(
            "/staff/requests/{id}/calendar/{file}",
            get(export::request_calendar),
        )
        .route(
            "/requests/{id}/calendar/{file}",
            get(export::request_calendar),
        )
        .route(
            "/connectivity/runs/{id}/evidence.jws",
            get(crate::evidence::signed_evidence),
        )
        .route(
            app::api::schemes::ssr::UPLOAD_PAGE,
            axum::routing::post(upload::upload_schemes),
        )
        .merge(extra)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, move |_| shell(page_assets.clone())))
        .layer(from_fn_with_state(state.clone(), access::authenticate))
        .layer(sessions)
        .layer(from_fn_with_state(
            state.clone(),
            access::sign_in_rate_limit,
        ))
        .layer(from_fn_with_state(state.clone(), access::request_meta))
        .layer(from_fn_with_state(state.clone(), access::csrf_guard))
        .layer(from_fn_with_state(
            state.clone(),
            middleware::run_to_completion,
        ))
        .with_state(state.clone());

    // Static files: no session, no database.
    let assets = Router::new()
        .nest_service(
            "/pkg",
            ServiceBuilder::new()
                .layer(from_fn(middleware::immutable_assets))
                .service(pkg),
        )
        .route_service("/favicon.svg", public_file("favicon.svg"))
        .route_service("/robots.txt", public_file("robots.txt"))
        .route_service("/schemes-template.csv", public_file("schemes-template.csv"));

    let ops = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/connectivity/client-ca.pem", get(client_ca))
        .route("/metrics", get(crate::metrics::metrics))
        .with_state(state.clone());

    let css_href = state.page_assets.css.clone();
    let on_panic = move |panic: Box<dyn std::any::Any + Send + 'static>| {
        let detail = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("(no message)");
        let reference = error_page::new_reference();
        tracing::error!(reference = %reference, panic = %detail, "handler panicked");
        error_page::service_error_response(&css_href, &reference)
    };

    // Each `layer` wraps everything before it: the last one added sees the request first.
    ops.merge(assets)
        .merge(pages)
        .layer(from_fn_with_state(state.clone(), crate::metrics::record))
        .layer(CompressionLayer::new().quality(tower_http::CompressionLevel::Fastest))
        .layer(from_fn_with_state(
            config.body_limit,
            middleware::body_limit,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(on_panic))
        .layer(from_fn_with_state(state, middleware::security_headers))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(RequestSpan)
                .on_response(middleware::log_response),
        )
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::COOKIE,
            header::AUTHORIZATION,
        ]))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(from_fn_with_state(
            config.trust_forwarded_for,
            middleware::request_ids,
        ))
}

/// The public keys that verify the portal's test user tokens.
async fn jwks(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jwk-set+json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        state.jwks.to_string(),
    )
        .into_response()
}

/// The CA certificate of the portal's test client certificate, for organisations to trust.
async fn client_ca(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-pem-file"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static(
                    "attachment; filename=\"connection-portal-client-ca.pem\"",
                ),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        state.client_ca_pem.to_string(),
    )
        .into_response()
}

/// Waits for SIGTERM or Ctrl-C. The SIGTERM handler is installed when this is called, not when
/// it is first awaited, so a SIGTERM sent as soon as a process says it is up still stops it
/// cleanly. Call it inside the runtime.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    async move {
        let ctrl_c = async {
            if let Err(e) = tokio::signal::ctrl_c().await {
                tracing::error!(error = %e, "could not listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
        };
        #[cfg(unix)]
        let terminate = async {
            match terminate {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(e) => {
                    tracing::error!(error = %e, "could not listen for SIGTERM");
                    std::future::pending::<()>().await;
                }
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => tracing::info!("Ctrl-C received"),
            _ = terminate => tracing::info!("SIGTERM received"),
        }
    }
}

/// How long to wait for a test server to come up.
pub const STARTUP_WAIT: Duration = Duration::from_secs(10);

/// A listener with a deep accept queue. `TcpListener::bind` asks the kernel for 128: a burst of
/// more connections than that while the server is busy overflows it, the kernel drops the SYNs,
/// and those clients wait a whole second before trying again.
pub fn bind_listener(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    const BACKLOG: u32 = 1024;
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// The app's routes, listed once per process.
///
/// To list them, Leptos renders the whole app with a process-wide flag set that parks, for good,
/// every resource first polled meanwhile, in any thread (leptos issue #4773). With one portal per
/// process that happens before anything is served; but where several portals share a process
/// (the integration tests), one starting up could leave another's page waiting forever.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::LazyLock<Vec<AxumRouteListing>> =
        std::sync::LazyLock::new(|| generate_route_list(App));
    ROUTES.clone()
}
