//! Configuration from command-line flags and environment variables.
//!
//! `Settings` is what the user typed; `Config` is the checked result the portal runs on. Every
//! rule that spans several settings (production safety, public URL, cookie security) lives in
//! [`Config::from_settings`], so a bad combination is one clear line at start-up, never a panic.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use app::store::{Backend, PoolSettings};
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "portal",
    version,
    about = "Pensions dashboards connection portal",
    long_about = "Serves the pensions dashboards connection portal. Every flag can also be set by the environment variable shown with it."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the portal (the default).
    Serve,
    /// Apply database migrations, then exit.
    Migrate,
    /// Copy the running portal's SQLite database to a new file (online, consistent), check the
    /// copy's integrity, then exit. Postgres: use pg_dump (docs/operations.md).
    Backup {
        /// The file to write; it must not exist yet.
        file: std::path::PathBuf,
    },
    /// Check the configuration, print a summary without secrets, then exit.
    CheckConfig,
    /// Create a programme admin (the first account in production). The password is read from
    /// PORTAL_ADMIN_PASSWORD, or else from the first line of standard input.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    Dev,
    Production,
}

/// Whether programme staff and admins must sign in with a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Requirement {
    Required,
    Optional,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (the default in dev mode).
    Pretty,
    /// One JSON object per line (the default in production mode).
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// On when the public URL is https.
    Auto,
    On,
    Off,
}

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Database: sqlite://path/to/file.db (embedded default) or postgres://user@host/db.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/portal.db")]
    pub database_url: String,

    /// Address and port to listen on. Port 0 picks a free port.
    #[arg(long, env = "PORTAL_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// dev or production. Production refuses demo data and plain-http public URLs. May be left
    /// out (meaning dev) only when the portal listens on a loopback address.
    #[arg(long, env = "PORTAL_MODE", value_enum)]
    pub mode: Option<Mode>,

    /// The address users reach the portal at, e.g. https://connect.example.org. Defaults to http://<listen>.
    #[arg(long, env = "PORTAL_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Let production mode run behind a public URL that is not https (for a TLS-terminating setup you trust).
    #[arg(long, env = "PORTAL_ALLOW_INSECURE_PUBLIC_URL")]
    pub allow_insecure_public_url: bool,

    /// Mark cookies Secure (and use the __Host- prefix): auto, on or off.
    #[arg(long, env = "PORTAL_SECURE_COOKIES", value_enum, default_value_t = Switch::Auto)]
    pub secure_cookies: Switch,

    /// pretty or json. Defaults to pretty in dev mode and json in production.
    #[arg(long, env = "PORTAL_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,

    /// Seed demonstration data and print the demo sign-ins. Refused in production mode.
    #[arg(long, env = "PORTAL_DEMO")]
    pub demo: bool,

    /// Whether programme staff and admins must sign in with a code from an authenticator app:
    /// required (the default, and always in production) or optional (the default in demo mode,
    /// whose shared fictional accounts are for trying the portal).
    #[arg(long, env = "PORTAL_STAFF_SECOND_FACTOR", value_enum)]
    pub staff_second_factor: Option<Requirement>,

    /// A bearer token (16 characters or more) that lets a scraper read /metrics; without one,
    /// /metrics is not served.
    #[arg(long, env = "PORTAL_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Run the portal's clock this many days ahead (or behind, if negative), to try what happens
    /// on a later date, such as a scheme going live. Refused in production mode.
    #[arg(
        long,
        env = "PORTAL_CLOCK_OFFSET_DAYS",
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    pub clock_offset_days: i64,

    /// Folder holding the built site (pkg/ with CSS, JS and WASM, and the public assets).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// The file cargo-leptos writes with the hashes of the built assets. Defaults to hash.txt
    /// beside the executable (or one folder up).
    #[arg(long, env = "PORTAL_HASH_FILE")]
    pub hash_file: Option<PathBuf>,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "PORTAL_BODY_LIMIT", default_value_t = 64 * 1024)]
    pub body_limit: usize,

    /// A request still running after this many seconds is answered with 503.
    #[arg(long, env = "PORTAL_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// On SIGTERM or Ctrl-C, report not-ready for this many seconds before closing the listener.
    #[arg(long, env = "PORTAL_SHUTDOWN_DELAY_SECS", default_value_t = 0)]
    pub shutdown_delay_secs: u64,

    /// How long in-flight requests may take to finish once shutdown starts.
    #[arg(long, env = "PORTAL_SHUTDOWN_TIMEOUT_SECS", default_value_t = 30)]
    pub shutdown_timeout_secs: u64,

    /// Most database connections held at once. Unset: four per CPU the portal may use, between
    /// 8 and 32 (see [`app::store::default_pool_size`]).
    #[arg(long, env = "PORTAL_DB_MAX_CONNECTIONS")]
    pub db_max_connections: Option<u32>,

    /// Sign a user out after this many minutes without a request.
    #[arg(long, env = "PORTAL_SESSION_IDLE_MINUTES", default_value_t = 30)]
    pub session_idle_minutes: u64,

    /// Sign a user out this many hours after they signed in, however active.
    #[arg(long, env = "PORTAL_SESSION_MAX_HOURS", default_value_t = 12)]
    pub session_max_hours: u64,

    /// Take the client address from the last X-Forwarded-For entry, and log the proxy's X-Request-ID beside
    /// the portal's own (only behind a proxy that sets them).
    #[arg(long, env = "PORTAL_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,

    /// Most password hashes computed at once (each takes 19 MiB and a core for ~50 ms).
    #[arg(long, env = "PORTAL_MAX_CONCURRENT_HASHES", default_value_t = 2)]
    pub max_concurrent_hashes: usize,

    /// Sign-in attempts allowed per client address in a burst, before 429 (refilled at one every 6 seconds).
    #[arg(long, env = "PORTAL_SIGN_IN_BURST", default_value_t = 10)]
    pub sign_in_burst: u32,

    /// Where emails are sent: smtp://host:port (plain, for a local relay),
    /// smtp://user:pass@host:587?tls=required (STARTTLS) or smtps://user:pass@host:465. Unset:
    /// dev mode writes emails to the log; production keeps them queued.
    #[arg(long, env = "PORTAL_SMTP_URL")]
    pub smtp_url: Option<String>,

    /// The sender of every email.
    #[arg(
        long,
        env = "PORTAL_MAIL_FROM",
        default_value = "Pensions dashboards connection portal <no-reply@connection-portal.invalid>"
    )]
    pub mail_from: String,

    /// Dev and demo mode: where the generated test CA, client certificate and signing key are kept.
    #[arg(long, env = "PORTAL_KEYS_DIR", default_value = "data/keys")]
    pub keys_dir: PathBuf,

    /// The client certificate (PEM, with its chain) the portal presents to find endpoints.
    #[arg(long, env = "PORTAL_CLIENT_CERT")]
    pub client_cert: Option<PathBuf>,

    /// The private key of the client certificate (PEM).
    #[arg(long, env = "PORTAL_CLIENT_KEY")]
    pub client_key: Option<PathBuf>,

    /// The CA certificate that issued the client certificate (PEM), offered for download.
    #[arg(long, env = "PORTAL_CLIENT_CA")]
    pub client_ca: Option<PathBuf>,

    /// The private key (PKCS#8 PEM) that signs the test user tokens.
    #[arg(long, env = "PORTAL_SIGNING_KEY")]
    pub signing_key: Option<PathBuf>,

    /// The user tokens' signature algorithm: RS256, PS256 or ES256.
    #[arg(long, env = "PORTAL_SIGNING_ALG", default_value = "RS256")]
    pub signing_alg: String,

    /// The `iss` of the test user tokens. Defaults to <public URL>/synthetic-pfs.
    #[arg(long, env = "PORTAL_TOKEN_ISSUER")]
    pub token_issuer: Option<String>,

    /// Sign test user tokens as PDP's own issuer. Only for endpoints that agreed to it: the
    /// portal's requests then claim to come from PDP.
    #[arg(long, env = "PORTAL_IMPERSONATE_PDP_ISSUER")]
    pub impersonate_pdp_issuer: bool,

    /// The `aud` of the test user tokens.
    #[arg(
        long,
        env = "PORTAL_TOKEN_AUDIENCE",
        default_value = crate::connectivity::engine::DEFAULT_AUDIENCE
    )]
    pub token_audience: String,

    /// A find request body template (JSON) to use instead of the built-in one.
    #[arg(long, env = "PORTAL_FIND_PROFILE")]
    pub find_profile: Option<PathBuf>,

    /// Extra CA certificates (PEM) trusted for find endpoints' server certificates.
    #[arg(long, env = "PORTAL_FIND_TRUST")]
    pub find_trust: Option<PathBuf>,

    /// Address blocks (CIDR, comma-separated) find endpoints may use although they are private,
    /// loopback or link-local. Dev mode always allows 127.0.0.1.
    #[arg(long, env = "PORTAL_ENDPOINT_ALLOW", value_delimiter = ',')]
    pub endpoint_allow: Vec<String>,

    /// Seconds to connect and finish the TLS handshake with a find endpoint.
    #[arg(long, env = "PORTAL_CONNECT_TIMEOUT_SECS", default_value_t = 10)]
    pub connect_timeout_secs: u64,

    /// Seconds a find endpoint has to answer, in all.
    #[arg(long, env = "PORTAL_TEST_TIMEOUT_SECS", default_value_t = 30)]
    pub test_timeout_secs: u64,

    /// The readiness checks of the find endpoint on "check your answers": `advise` shows them with
    /// advice and never stops a request (an endpoint open only to PDP fails them while fine);
    /// `block` lets a request be sent only once they pass; `off` runs none.
    #[arg(long, env = "PORTAL_READINESS_CHECKS", default_value = "advise")]
    pub readiness_checks: app::domain::connectivity::ReadinessMode,

    /// Connectivity tests run at once by this instance.
    #[arg(long, env = "PORTAL_CONNECTIVITY_WORKERS", default_value_t = 32)]
    pub connectivity_workers: usize,

    /// Demo mode: where the demo's find-endpoint simulator listens (port 0 picks a free one).
    #[arg(
        long,
        env = "PORTAL_DEMO_SIMULATOR_LISTEN",
        default_value = "127.0.0.1:0"
    )]
    pub demo_simulator_listen: SocketAddr,

    /// Demo mode: a loopback address for the simulator's control listener (unset: none).
    #[arg(long, env = "PORTAL_DEMO_SIMULATOR_CONTROL")]
    pub demo_simulator_control: Option<SocketAddr>,
}

/// A URL that may hold a password: its `Debug` shows it with the password replaced.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(String);

impl SecretUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&app::store::redact_url(&self.0))
    }
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub backend: Backend,
    pub listen: SocketAddr,
    pub mode: Mode,
    /// Scheme, host and port, no trailing slash: `https://connect.example.org`.
    pub public_origin: String,
    pub secure_cookies: bool,
    pub log_format: LogFormat,
    pub demo: bool,
    /// Staff may read the bodies of sent emails at /staff/emails (demo mode only).
    pub show_emails: bool,
    /// Programme staff and admins must sign in with a second factor.
    pub staff_second_factor: bool,
    /// Lets a scraper read /metrics (bearer token); None: /metrics is not served.
    pub metrics_token: Option<String>,
    /// Days the portal's clock runs ahead of the system clock (0 outside dev and demo use).
    pub clock_offset_days: i64,
    pub site_root: PathBuf,
    pub hash_file: Option<PathBuf>,
    pub body_limit: usize,
    pub request_timeout: Duration,
    pub shutdown_delay: Duration,
    pub shutdown_timeout: Duration,
    pub pool: PoolSettings,
    /// True when no public URL was given: it follows the address actually bound.
    pub public_origin_from_listen: bool,
    pub session_idle: Duration,
    pub session_max: Duration,
    pub trust_forwarded_for: bool,
    pub max_concurrent_hashes: usize,
    pub sign_in_burst: u32,
    pub smtp_url: Option<SecretUrl>,
    pub mail_from: String,
    pub connectivity: ConnectivityConfig,
}

/// The connectivity test's settings.
#[derive(Debug, Clone)]
pub struct ConnectivityConfig {
    pub identity: crate::connectivity::identity::IdentitySettings,
    /// None: `<public URL>/synthetic-pfs`, worked out once the address is known.
    pub issuer: Option<String>,
    pub impersonating_pdp: bool,
    pub audience: String,
    pub profile: Option<PathBuf>,
    pub trust: Option<PathBuf>,
    pub policy: app::domain::endpoint::AddressPolicy,
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
    pub readiness: app::domain::connectivity::ReadinessMode,
    pub workers: usize,
    /// How long a worker's claim on a run lasts without renewal (tests shorten it).
    pub lease: Duration,
    /// Demo mode: run a find-endpoint simulator and point the demo organisations at it.
    pub demo_simulator: bool,
    pub demo_simulator_listen: SocketAddr,
    pub demo_simulator_control: Option<SocketAddr>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("DATABASE_URL must start with sqlite: or postgres://, got {0:?}")]
    DatabaseUrl(String),
    #[error("PORTAL_PUBLIC_URL must be an absolute http or https URL with no path, like https://connect.example.org, got {0:?}")]
    PublicUrl(String),
    #[error("demo mode cannot run in production mode: unset PORTAL_DEMO or use PORTAL_MODE=dev")]
    DemoInProduction,
    #[error("the portal listens on {0}, which other machines can reach: choose a mode, PORTAL_MODE=production (or PORTAL_MODE=dev for a development machine)")]
    ChooseMode(SocketAddr),
    #[error("production mode requires a second factor for programme staff: unset PORTAL_STAFF_SECOND_FACTOR")]
    OptionalSecondFactorInProduction,
    #[error("PORTAL_METRICS_TOKEN must be 16 characters or more")]
    MetricsToken,
    #[error("PORTAL_CLOCK_OFFSET_DAYS cannot be used in production mode")]
    ClockOffsetInProduction,
    #[error("production mode needs an https PORTAL_PUBLIC_URL (got {0:?}); set PORTAL_ALLOW_INSECURE_PUBLIC_URL=true only if TLS is handled in front of the portal")]
    InsecurePublicUrl(String),
    #[error("PORTAL_BODY_LIMIT must be between 1024 and 16777216 bytes, got {0}")]
    BodyLimit(usize),
    #[error("{0} must be between 1 and 600 seconds, got {1}")]
    Seconds(&'static str, u64),
    #[error("PORTAL_DB_MAX_CONNECTIONS must be between 1 and 200, got {0}")]
    PoolSize(u32),
    #[error("{0} must be between {2} and {3}, got {1}")]
    Range(&'static str, u64, u64, u64),
    #[error("{0}")]
    Mail(String),
    #[error("PORTAL_SIGNING_ALG must be RS256, PS256 or ES256, got {0:?}")]
    SigningAlg(String),
    #[error(
        "PORTAL_ENDPOINT_ALLOW must list address blocks like 10.1.0.0/16 or 192.0.2.7, got {0:?}"
    )]
    EndpointAllow(String),
    #[error("PORTAL_TOKEN_ISSUER must be an absolute http or https URL, got {0:?}")]
    TokenIssuer(String),
}

impl Config {
    pub fn from_settings(s: Settings) -> Result<Self, ConfigError> {
        let backend = Backend::from_url(&s.database_url)
            .map_err(|_| ConfigError::DatabaseUrl(app::store::redact_url(&s.database_url)))?;
        let public_origin_from_listen = s.public_url.is_none();
        let public_origin = match &s.public_url {
            Some(url) => parse_origin(url).ok_or_else(|| ConfigError::PublicUrl(url.clone()))?,
            None => format!("http://{}", s.listen),
        };
        let https = public_origin.starts_with("https://");
        let mode = match s.mode {
            Some(mode) => mode,
            None if s.listen.ip().is_loopback() => Mode::Dev,
            None => return Err(ConfigError::ChooseMode(s.listen)),
        };
        if mode == Mode::Production {
            if s.demo {
                return Err(ConfigError::DemoInProduction);
            }
            if s.clock_offset_days != 0 {
                return Err(ConfigError::ClockOffsetInProduction);
            }
            if s.staff_second_factor == Some(Requirement::Optional) {
                return Err(ConfigError::OptionalSecondFactorInProduction);
            }
            if !https && !s.allow_insecure_public_url {
                return Err(ConfigError::InsecurePublicUrl(public_origin));
            }
        }
        if s.metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(ConfigError::MetricsToken);
        }
        if !(1024..=16 * 1024 * 1024).contains(&s.body_limit) {
            return Err(ConfigError::BodyLimit(s.body_limit));
        }
        for (name, secs, min) in [
            ("PORTAL_REQUEST_TIMEOUT_SECS", s.request_timeout_secs, 1),
            ("PORTAL_SHUTDOWN_TIMEOUT_SECS", s.shutdown_timeout_secs, 1),
            ("PORTAL_SHUTDOWN_DELAY_SECS", s.shutdown_delay_secs, 0),
        ] {
            if secs < min || secs > 600 {
                return Err(ConfigError::Seconds(name, secs));
            }
        }
        let pool_defaults = PoolSettings::default();
        let db_max_connections = match s.db_max_connections {
            Some(n) if !(1..=200).contains(&n) => return Err(ConfigError::PoolSize(n)),
            Some(n) => n,
            None => pool_defaults.max_connections,
        };
        if !(1..=24 * 60).contains(&s.session_idle_minutes) {
            return Err(ConfigError::Range(
                "PORTAL_SESSION_IDLE_MINUTES",
                s.session_idle_minutes,
                1,
                1440,
            ));
        }
        if !(1..=24).contains(&s.session_max_hours) {
            return Err(ConfigError::Range(
                "PORTAL_SESSION_MAX_HOURS",
                s.session_max_hours,
                1,
                24,
            ));
        }
        if !(1..=64).contains(&s.max_concurrent_hashes) {
            return Err(ConfigError::Range(
                "PORTAL_MAX_CONCURRENT_HASHES",
                s.max_concurrent_hashes as u64,
                1,
                64,
            ));
        }
        if !(1..=1000).contains(&s.sign_in_burst) {
            return Err(ConfigError::Range(
                "PORTAL_SIGN_IN_BURST",
                u64::from(s.sign_in_burst),
                1,
                1000,
            ));
        }
        let smtp_url = s
            .smtp_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(SecretUrl::new);
        // Checked now, so a bad address or URL stops the start with one clear line.
        crate::outbox_worker::SmtpMailer::check(
            smtp_url
                .as_ref()
                .map(SecretUrl::expose)
                .unwrap_or("smtp://127.0.0.1:25"),
            &s.mail_from,
        )
        .map_err(|e| ConfigError::Mail(app::store::redact_url(&e.to_string())))?;
        let signing_alg = s
            .signing_alg
            .parse::<jose::Alg>()
            .map_err(|_| ConfigError::SigningAlg(s.signing_alg.clone()))?;
        let mut policy = match mode {
            Mode::Dev => app::domain::endpoint::AddressPolicy::dev(),
            Mode::Production => app::domain::endpoint::AddressPolicy::default(),
        };
        for block in s.endpoint_allow.iter().filter(|b| !b.trim().is_empty()) {
            let cidr = app::domain::endpoint::Cidr::parse(block)
                .ok_or_else(|| ConfigError::EndpointAllow(block.clone()))?;
            policy.allow.push(cidr);
        }
        let issuer = match (&s.token_issuer, s.impersonate_pdp_issuer) {
            (_, true) => Some(crate::connectivity::engine::PDP_ISSUER.to_string()),
            (Some(i), false) => {
                let i = i.trim();
                if !(i.starts_with("https://") || i.starts_with("http://")) || i.len() > 500 {
                    return Err(ConfigError::TokenIssuer(i.to_string()));
                }
                Some(i.to_string())
            }
            (None, false) => None,
        };
        for (name, secs) in [
            ("PORTAL_CONNECT_TIMEOUT_SECS", s.connect_timeout_secs),
            ("PORTAL_TEST_TIMEOUT_SECS", s.test_timeout_secs),
        ] {
            if !(1..=120).contains(&secs) {
                return Err(ConfigError::Range(name, secs, 1, 120));
            }
        }
        if !(1..=1000).contains(&s.connectivity_workers) {
            return Err(ConfigError::Range(
                "PORTAL_CONNECTIVITY_WORKERS",
                s.connectivity_workers as u64,
                1,
                1000,
            ));
        }
        let connectivity = ConnectivityConfig {
            identity: crate::connectivity::identity::IdentitySettings {
                keys_dir: s.keys_dir.clone(),
                client_cert: s.client_cert.clone(),
                client_key: s.client_key.clone(),
                client_ca: s.client_ca.clone(),
                signing_key: s.signing_key.clone(),
                signing_alg,
                generate_missing: mode == Mode::Dev,
            },
            issuer,
            impersonating_pdp: s.impersonate_pdp_issuer,
            audience: s.token_audience.trim().to_string(),
            profile: s.find_profile.clone(),
            trust: s.find_trust.clone(),
            policy,
            connect_timeout: Duration::from_secs(s.connect_timeout_secs),
            total_timeout: Duration::from_secs(s.test_timeout_secs),
            readiness: s.readiness_checks,
            workers: s.connectivity_workers,
            lease: Duration::from_secs(30),
            demo_simulator: s.demo,
            demo_simulator_listen: s.demo_simulator_listen,
            demo_simulator_control: s.demo_simulator_control,
        };
        let secure_cookies = match s.secure_cookies {
            Switch::Auto => https,
            Switch::On => true,
            Switch::Off => false,
        };
        let log_format = s.log_format.unwrap_or(match mode {
            Mode::Dev => LogFormat::Pretty,
            Mode::Production => LogFormat::Json,
        });
        Ok(Self {
            database_url: s.database_url,
            backend,
            listen: s.listen,
            mode,
            // Email bodies hold invitation links: shown to staff only with fictional accounts.
            show_emails: s.demo,
            metrics_token: s.metrics_token.clone(),
            staff_second_factor: match s.staff_second_factor {
                Some(r) => r == Requirement::Required,
                None => !s.demo,
            },
            public_origin,
            secure_cookies,
            log_format,
            demo: s.demo,
            clock_offset_days: s.clock_offset_days,
            site_root: s.site_root,
            hash_file: s.hash_file,
            body_limit: s.body_limit,
            request_timeout: Duration::from_secs(s.request_timeout_secs),
            shutdown_delay: Duration::from_secs(s.shutdown_delay_secs),
            shutdown_timeout: Duration::from_secs(s.shutdown_timeout_secs),
            pool: PoolSettings {
                max_connections: db_max_connections,
                ..pool_defaults
            },
            public_origin_from_listen,
            session_idle: Duration::from_secs(s.session_idle_minutes * 60),
            session_max: Duration::from_secs(s.session_max_hours * 3600),
            trust_forwarded_for: s.trust_forwarded_for,
            max_concurrent_hashes: s.max_concurrent_hashes,
            sign_in_burst: s.sign_in_burst,
            smtp_url,
            mail_from: s.mail_from,
            connectivity,
        })
    }

    /// A configuration for tests and tools: dev mode, given database, a free port on 127.0.0.1.
    pub fn for_tests(database_url: &str, site_root: PathBuf) -> Result<Self, ConfigError> {
        let cli = Cli::parse_from(["portal"]);
        Self::from_settings(Settings {
            database_url: database_url.to_string(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            site_root,
            // Shared by every test process: made once, then only read.
            keys_dir: std::env::temp_dir().join("pdp-portal-test-keys"),
            // Tests that need the readiness checks turn them on.
            readiness_checks: app::domain::connectivity::ReadinessMode::Off,
            ..cli.settings
        })
        .map(|config| Self {
            // Test accounts are fictional, as in demo mode; the tests of the second factor
            // require it.
            show_emails: true,
            staff_second_factor: false,
            ..config
        })
    }

    pub fn is_production(&self) -> bool {
        self.mode == Mode::Production
    }
}

/// `https://host[:port]` from a URL with an empty or "/" path, lower-cased scheme and host.
fn parse_origin(raw: &str) -> Option<String> {
    let uri: http::Uri = raw.trim().parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = uri.authority()?;
    if authority.as_str().contains('@') || authority.host().is_empty() {
        return None;
    }
    match uri.path_and_query().map(|pq| pq.as_str()) {
        None | Some("") | Some("/") => {}
        Some(_) => return None,
    }
    Some(format!(
        "{scheme}://{}",
        authority.as_str().to_ascii_lowercase()
    ))
}

/// Reads the command line as `C`. `--help` and `--version` are printed and end the program with
/// success; a mistake is one line on stderr, `program: ...`, and exit code 2.
pub fn parse_command_line<C: Parser>(program: &str) -> Result<C, std::process::ExitCode> {
    C::try_parse().map_err(|e| {
        if e.use_stderr() {
            eprintln!("{program}: {}", one_line_clap_error(&e));
            std::process::ExitCode::from(2)
        } else {
            let _ = e.print();
            std::process::ExitCode::SUCCESS
        }
    })
}

/// Turns a clap error into one line: what was wrong and, where clap knows them, the allowed values.
pub fn one_line_clap_error(err: &clap::Error) -> String {
    let rendered = err.to_string();
    let parts: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information")
        })
        .collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::store::default_pool_size;

    fn settings(args: &[&str]) -> Settings {
        let mut argv = vec!["portal"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).expect("valid flags").settings
    }

    #[test]
    fn defaults_are_dev_on_sqlite_at_port_3000() {
        let config = Config::from_settings(settings(&["--database-url", "sqlite://x.db"])).unwrap();
        assert_eq!(config.mode, Mode::Dev);
        assert_eq!(config.backend, Backend::Sqlite);
        assert_eq!(config.public_origin, "http://127.0.0.1:3000");
        assert!(!config.secure_cookies);
        assert_eq!(config.log_format, LogFormat::Pretty);
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(config.pool.max_connections, default_pool_size(cpus));
        assert_eq!(
            config.pool.max_connections,
            PoolSettings::default().max_connections
        );
    }

    #[test]
    fn a_pool_size_that_is_set_wins_within_1_to_200() {
        let set = |n: &str| {
            Config::from_settings(settings(&[
                "--database-url",
                "sqlite://x.db",
                "--db-max-connections",
                n,
            ]))
        };
        assert_eq!(set("1").unwrap().pool.max_connections, 1);
        assert_eq!(set("7").unwrap().pool.max_connections, 7);
        assert_eq!(set("200").unwrap().pool.max_connections, 200);
        assert_eq!(set("0").unwrap_err(), ConfigError::PoolSize(0));
        assert_eq!(set("201").unwrap_err(), ConfigError::PoolSize(201));
    }

    #[test]
    fn production_refuses_demo_data() {
        let err = Config::from_settings(settings(&[
            "--mode",
            "production",
            "--demo",
            "--public-url",
            "https://connect.example.org",
        ]))
        .unwrap_err();
        assert_eq!(err, ConfigError::DemoInProduction);
    }

    #[test]
    fn without_a_mode_only_loopback_is_served_and_email_bodies_are_for_demo_mode_only() {
        let err = Config::from_settings(settings(&["--listen", "0.0.0.0:3000"])).unwrap_err();
        assert_eq!(
            err,
            ConfigError::ChooseMode("0.0.0.0:3000".parse().unwrap())
        );
        assert!(err.to_string().contains("PORTAL_MODE=production"), "{err}");
        let err = Config::from_settings(settings(&["--listen", "192.0.2.10:80"])).unwrap_err();
        assert!(matches!(err, ConfigError::ChooseMode(_)));
        let chosen =
            Config::from_settings(settings(&["--listen", "0.0.0.0:3000", "--mode", "dev"]))
                .unwrap();
        assert_eq!(chosen.mode, Mode::Dev);
        let v6 = Config::from_settings(settings(&["--listen", "[::1]:3000"])).unwrap();
        assert_eq!(v6.mode, Mode::Dev);
        assert!(
            !v6.show_emails,
            "dev mode: real people's invitation links stay hidden"
        );
        let demo = Config::from_settings(settings(&["--demo"])).unwrap();
        assert!(demo.show_emails);
    }

    #[test]
    fn staff_need_a_second_factor_except_in_demo_mode_and_always_in_production() {
        assert!(
            Config::from_settings(settings(&[]))
                .unwrap()
                .staff_second_factor
        );
        assert!(
            !Config::from_settings(settings(&["--demo"]))
                .unwrap()
                .staff_second_factor
        );
        let demo_required = ["--demo", "--staff-second-factor", "required"];
        assert!(
            Config::from_settings(settings(&demo_required))
                .unwrap()
                .staff_second_factor
        );
        let err = Config::from_settings(settings(&[
            "--mode",
            "production",
            "--staff-second-factor",
            "optional",
            "--public-url",
            "https://connect.example.org",
        ]))
        .unwrap_err();
        assert_eq!(err, ConfigError::OptionalSecondFactorInProduction);
    }

    #[test]
    fn only_dev_and_demo_may_move_the_clock() {
        let production = Config::from_settings(settings(&[
            "--mode",
            "production",
            "--clock-offset-days",
            "40",
            "--public-url",
            "https://connect.example.org",
        ]))
        .unwrap_err();
        assert_eq!(production, ConfigError::ClockOffsetInProduction);
        let dev = Config::from_settings(settings(&["--clock-offset-days", "-3"])).unwrap();
        assert_eq!(dev.clock_offset_days, -3);
    }

    #[test]
    fn production_refuses_plain_http_unless_overridden() {
        let err = Config::from_settings(settings(&[
            "--mode",
            "production",
            "--public-url",
            "http://connect.example.org",
        ]))
        .unwrap_err();
        assert!(matches!(err, ConfigError::InsecurePublicUrl(_)));
        let ok = Config::from_settings(settings(&[
            "--mode",
            "production",
            "--public-url",
            "http://connect.example.org",
            "--allow-insecure-public-url",
        ]))
        .unwrap();
        assert!(!ok.secure_cookies);
        assert_eq!(ok.log_format, LogFormat::Json);
    }

    #[test]
    fn https_public_url_turns_secure_cookies_on() {
        let config = Config::from_settings(settings(&[
            "--mode",
            "production",
            "--public-url",
            "https://Connect.Example.org/",
        ]))
        .unwrap();
        assert!(config.secure_cookies);
        assert_eq!(config.public_origin, "https://connect.example.org");
    }

    #[test]
    fn public_urls_with_paths_credentials_or_other_schemes_are_refused() {
        for bad in [
            "https://x.org/portal",
            "ftp://x.org",
            "https://u:p@x.org",
            "x.org",
            "",
        ] {
            assert!(
                matches!(
                    Config::from_settings(settings(&["--public-url", bad])),
                    Err(ConfigError::PublicUrl(_))
                ),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn unknown_database_schemes_are_refused_without_echoing_passwords() {
        let err = Config::from_settings(settings(&["--database-url", "mysql://root:hunter2@db/x"]))
            .unwrap_err();
        assert!(matches!(err, ConfigError::DatabaseUrl(_)));
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn bad_flag_values_become_one_line() {
        let err = Cli::try_parse_from(["portal", "--mode", "prod"]).unwrap_err();
        let line = one_line_clap_error(&err);
        assert!(!line.contains('\n'));
        assert!(line.contains("prod"), "{line}");
        assert!(line.contains("production"), "{line}");
    }

    #[test]
    fn limits_are_range_checked() {
        assert_eq!(
            Config::from_settings(settings(&["--body-limit", "10"])).unwrap_err(),
            ConfigError::BodyLimit(10)
        );
        assert!(matches!(
            Config::from_settings(settings(&["--request-timeout-secs", "0"])).unwrap_err(),
            ConfigError::Seconds("PORTAL_REQUEST_TIMEOUT_SECS", 0)
        ));
    }
}
