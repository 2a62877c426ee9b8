//! A find-endpoint simulator: it stands in for an organisation's live find endpoint, the one that
//! receives the Pensions Dashboards Programme's (synthetic) find request, so that an organisation
//! can rehearse its connection and so that tests and the demo have something to call.
//!
//! It serves HTTPS (TLS 1.2 and 1.3, HTTP/1.1), optionally requires a client certificate that
//! chains to a given CA, optionally checks the user token against a JWKS, and then answers the
//! way it is told to: 202, 200, 400, 401, 500, slowly, or by closing the connection. A plain-HTTP
//! control listener on a loopback address can switch the answer and list the requests seen.
//!
//! Tokens are never logged or recorded; only the verdict is.
//!
//! Demo mode starts one inside the portal through [`start`]; `portal-tools simulate-find-endpoint`
//! runs one on its own, and the tests and `portal-tools bench-connectivity` start their own.

use std::{
    collections::VecDeque,
    convert::Infallible,
    fmt,
    future::Future,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    str::FromStr,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{header, HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls::{
    crypto::CryptoProvider,
    pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer},
    server::{danger::ClientCertVerifier, WebPkiClientVerifier},
    RootCertStore, ServerConfig,
};
use serde::{Serialize, Serializer};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{watch, Notify, Semaphore},
    task::{JoinHandle, JoinSet},
};
use tokio_rustls::TlsAcceptor;
use uuid::Uuid;

use jose::{TokenRejection, Verifier};

/// The audience PDP's user tokens carry.
pub const DEFAULT_AUDIENCE: &str = "https://auth.find-your-pensions.service.gov.uk/am/oauth2";
/// How long [`Answer::Slow`] waits before answering 202.
pub const DEFAULT_SLOW_FOR: Duration = Duration::from_secs(40);
/// Where the simulator listens unless told otherwise.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8443);

/// Largest request body read; a larger one is answered 413.
const MAX_BODY: usize = 256 * 1024;
/// A too-large body is read and thrown away up to this size, so that the client sees the 413
/// rather than a reset connection; past it the connection is closed after the 413.
const MAX_DRAIN: usize = 1024 * 1024;
/// Requests remembered for [`RunningSimulator::requests`] and `GET /requests`.
const MAX_SEEN: usize = 100;
/// Clock leeway on `exp` and `nbf`.
const TOKEN_LEEWAY_SECS: i64 = 30;
/// A token with an unknown kid refetches the JWKS at most this often.
const JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(30);
/// While no JWKS has been fetched, a failed fetch is retried at most this often.
const JWKS_RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);
const JWKS_MAX_BYTES: usize = 1024 * 1024;
const JWKS_TIMEOUT: Duration = Duration::from_secs(10);
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_TLS_CONNECTIONS: usize = 1024;
const MAX_CONTROL_CONNECTIONS: usize = 16;
const MAX_CONTROL_BODY: usize = 1024;

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// How the simulator answers a find request that passed its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Answer {
    /// 202 Accepted, empty body (what a live endpoint should say).
    Accepted,
    /// 200 OK, empty body.
    Ok,
    /// 400 with a problem body.
    BadRequest,
    /// 401 with a problem body.
    Unauthorized,
    /// 500 with a problem body.
    ServerError,
    /// 202, but only after `slow_for`.
    Slow,
    /// Close the connection without any HTTP response.
    Drop,
}

impl Answer {
    pub const ALL: [Answer; 7] = [
        Answer::Accepted,
        Answer::Ok,
        Answer::BadRequest,
        Answer::Unauthorized,
        Answer::ServerError,
        Answer::Slow,
        Answer::Drop,
    ];

    /// "202", "200", "400", "401", "500", "slow" or "drop".
    pub const fn as_str(self) -> &'static str {
        match self {
            Answer::Accepted => "202",
            Answer::Ok => "200",
            Answer::BadRequest => "400",
            Answer::Unauthorized => "401",
            Answer::ServerError => "500",
            Answer::Slow => "slow",
            Answer::Drop => "drop",
        }
    }

    /// The status finally sent: `None` for [`Answer::Drop`]; [`Answer::Slow`] sends 202.
    pub const fn status(self) -> Option<StatusCode> {
        match self {
            Answer::Accepted | Answer::Slow => Some(StatusCode::ACCEPTED),
            Answer::Ok => Some(StatusCode::OK),
            Answer::BadRequest => Some(StatusCode::BAD_REQUEST),
            Answer::Unauthorized => Some(StatusCode::UNAUTHORIZED),
            Answer::ServerError => Some(StatusCode::INTERNAL_SERVER_ERROR),
            Answer::Drop => None,
        }
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Answer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// An answer name that is not one of 202, 200, 400, 401, 500, slow or drop.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown answer \"{0}\": expected 202, 200, 400, 401, 500, slow or drop")]
pub struct ParseAnswerError(String);

impl FromStr for Answer {
    type Err = ParseAnswerError;

    /// The status code or "slow"/"drop", or a name: "accepted", "ok", "bad-request",
    /// "unauthorized" ("unauthorised"), "server-error" ("error"), "close". Case and `_`/`-`
    /// do not matter.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase().replace('_', "-");
        Ok(match key.as_str() {
            "202" | "accepted" | "accept" => Answer::Accepted,
            "200" | "ok" => Answer::Ok,
            "400" | "bad-request" | "badrequest" => Answer::BadRequest,
            "401" | "unauthorized" | "unauthorised" => Answer::Unauthorized,
            "500" | "server-error" | "servererror" | "error" => Answer::ServerError,
            "slow" => Answer::Slow,
            "drop" | "close" | "hang-up" => Answer::Drop,
            _ => return Err(ParseAnswerError(printable(s.trim(), 40))),
        })
    }
}

/// The certificate and key the simulator presents.
#[derive(Clone)]
pub enum ServerTls {
    /// A certificate chain (leaf first) and its private key (PKCS#8, PKCS#1 or SEC1), as PEM.
    Pem {
        cert_chain_pem: String,
        key_pem: String,
    },
    /// A fresh self-signed P-256 certificate for "localhost", 127.0.0.1 and ::1 (and the listen
    /// address, when it is a specific one).
    SelfSigned,
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerTls::Pem { .. } => f
                .debug_struct("Pem")
                .field("cert_chain_pem", &"…")
                .field("key_pem", &"<redacted>")
                .finish(),
            ServerTls::SelfSigned => f.write_str("SelfSigned"),
        }
    }
}

/// What [`start`] runs.
#[derive(Debug, Clone)]
pub struct SimulatorOptions {
    pub listen: SocketAddr,
    pub tls: ServerTls,
    /// When set, every client must present a certificate chaining to one of these CA
    /// certificates (PEM), or the TLS handshake fails.
    pub client_ca_pem: Option<String>,
    /// When set, the user token must verify against this JWKS (http or https URL).
    pub jwks_url: Option<String>,
    /// The `aud` the user token must carry.
    pub audience: String,
    pub answer: Answer,
    /// How long [`Answer::Slow`] waits.
    pub slow_for: Duration,
    /// A loopback address for the plain-HTTP control listener.
    pub control: Option<SocketAddr>,
}

impl Default for SimulatorOptions {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN,
            tls: ServerTls::SelfSigned,
            client_ca_pem: None,
            jwks_url: None,
            audience: DEFAULT_AUDIENCE.to_owned(),
            answer: Answer::Accepted,
            slow_for: DEFAULT_SLOW_FOR,
            control: None,
        }
    }
}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    #[error("the control listener must be on a loopback address (127.0.0.1 or ::1), not {0}")]
    ControlNotLoopback(SocketAddr),
    #[error("could not listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the server certificate chain: {0}")]
    Certificate(String),
    #[error("the server private key: {0}")]
    PrivateKey(String),
    #[error("the client CA: {0}")]
    ClientCa(String),
    #[error("could not make a self-signed certificate: {0}")]
    SelfSigned(String),
    #[error("the TLS configuration was refused: {0}")]
    Tls(String),
    #[error("the JWKS URL: {0}")]
    JwksUrl(String),
}

/// The outcome of checking a request's user token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenVerdict {
    /// No JWKS configured, so no check was made (or the request was refused before it).
    NotChecked,
    /// The token verified.
    Valid,
    /// The token was missing or refused; the reason is meant for a person.
    Rejected(String),
}

impl fmt::Display for TokenVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenVerdict::NotChecked => f.write_str("not checked"),
            TokenVerdict::Valid => f.write_str("valid"),
            TokenVerdict::Rejected(reason) => write!(f, "rejected: {reason}"),
        }
    }
}

/// One request the simulator saw on its TLS listener.
#[derive(Debug, Clone, Serialize)]
pub struct SeenRequest {
    pub at: DateTime<Utc>,
    pub peer: SocketAddr,
    pub method: String,
    pub path: String,
    /// The X-Request-ID header as sent (made printable), valid or not.
    pub request_id: Option<String>,
    /// The client certificate's subject (RFC 4514 style), when one was presented.
    pub client_cert_subject: Option<String>,
    /// SHA-256 of the client certificate (DER), lowercase hex.
    pub client_cert_sha256: Option<String>,
    pub body_bytes: usize,
    pub token: TokenVerdict,
    /// The status sent; `None` when the connection was closed without a response.
    pub status: Option<u16>,
    /// What happened, in words.
    pub note: String,
}

struct Shared {
    answer: Mutex<Answer>,
    /// Answers for particular paths, overriding `answer` (so several rehearsals can share one
    /// simulator, each on its own path).
    by_path: Mutex<std::collections::HashMap<String, Answer>>,
    slow_for: Duration,
    audience: String,
    jwks: Option<JwksCache>,
    seen: Mutex<VecDeque<SeenRequest>>,
}

impl Shared {
    fn answer(&self) -> Answer {
        *lock(&self.answer)
    }

    fn set_answer(&self, answer: Answer) -> Answer {
        std::mem::replace(&mut *lock(&self.answer), answer)
    }

    fn answer_for(&self, path: &str) -> Answer {
        lock(&self.by_path)
            .get(path)
            .copied()
            .unwrap_or_else(|| self.answer())
    }

    fn set_answer_for(&self, path: &str, answer: Answer) -> Answer {
        let before = self.answer_for(path);
        lock(&self.by_path).insert(path.to_owned(), answer);
        before
    }

    fn record(&self, seen: SeenRequest) {
        let mut list = lock(&self.seen);
        while list.len() >= MAX_SEEN {
            list.pop_front();
        }
        list.push_back(seen);
    }

    fn requests(&self) -> Vec<SeenRequest> {
        lock(&self.seen).iter().cloned().collect()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A started simulator. Dropping it stops the listeners too; [`RunningSimulator::shutdown`]
/// also waits for them to finish.
pub struct RunningSimulator {
    local_addr: SocketAddr,
    control_addr: Option<SocketAddr>,
    server_cert_pem: String,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl fmt::Debug for RunningSimulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningSimulator")
            .field("local_addr", &self.local_addr)
            .field("control_addr", &self.control_addr)
            .field("answer", &self.answer())
            .finish_non_exhaustive()
    }
}

impl RunningSimulator {
    /// The address of the TLS listener.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The address of the control listener, when there is one.
    pub fn control_addr(&self) -> Option<SocketAddr> {
        self.control_addr
    }

    /// The certificate chain presented (PEM), for a client to trust when it is self-signed.
    pub fn server_cert_pem(&self) -> &str {
        &self.server_cert_pem
    }

    pub fn set_answer(&self, answer: Answer) {
        let before = self.shared.set_answer(answer);
        tracing::info!(%before, after = %answer, "find-endpoint simulator answer changed");
    }

    pub fn answer(&self) -> Answer {
        self.shared.answer()
    }

    /// Answers requests to one path (e.g. `/org-a/find-requests`) as told, whatever the
    /// simulator's general answer is.
    pub fn set_answer_for(&self, path: &str, answer: Answer) {
        let before = self.shared.set_answer_for(path, answer);
        tracing::info!(path, %before, after = %answer, "find-endpoint simulator answer changed for a path");
    }

    /// The last 100 requests seen, oldest first.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.shared.requests()
    }

    /// Stops accepting, closes open connections (answers still waiting are abandoned) and waits
    /// for the listeners to finish.
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        for task in std::mem::take(&mut self.tasks) {
            if let Err(e) = task.await {
                if e.is_panic() {
                    tracing::error!("a find-endpoint simulator listener panicked");
                }
            }
        }
        tracing::info!(addr = %self.local_addr, "find-endpoint simulator stopped");
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

/// Binds the listeners and starts serving in the background.
pub async fn start(opts: SimulatorOptions) -> Result<RunningSimulator, SimulatorError> {
    if let Some(control) = opts.control {
        if !control.ip().is_loopback() {
            return Err(SimulatorError::ControlNotLoopback(control));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let identity = server_identity(&opts.tls, opts.listen.ip())?;
    let client_verifier = match &opts.client_ca_pem {
        Some(pem) => Some(client_verifier(pem, provider.clone())?),
        None => None,
    };
    let tls_config = tls_config(provider, identity.chain, identity.key, client_verifier)?;
    let jwks = match &opts.jwks_url {
        Some(url) => Some(JwksCache::new(url, JWKS_REFETCH_INTERVAL)?),
        None => None,
    };

    let listener = bind(opts.listen).await?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| SimulatorError::Bind {
            addr: opts.listen,
            source,
        })?;
    let control_listener = match opts.control {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let control_addr = match &control_listener {
        Some(l) => Some(l.local_addr().map_err(|source| SimulatorError::Bind {
            addr: opts.control.unwrap_or(local_addr),
            source,
        })?),
        None => None,
    };

    let shared = Arc::new(Shared {
        answer: Mutex::new(opts.answer),
        by_path: Mutex::new(std::collections::HashMap::new()),
        slow_for: opts.slow_for,
        audience: opts.audience.clone(),
        jwks,
        seen: Mutex::new(VecDeque::with_capacity(MAX_SEEN)),
    });
    let (shutdown, shutdown_rx) = watch::channel(false);

    let acceptor = TlsAcceptor::from(Arc::new(tls_config));
    let tls_shared = shared.clone();
    let mut tasks = vec![tokio::spawn(accept_loop(
        listener,
        shutdown_rx.clone(),
        MAX_TLS_CONNECTIONS,
        "find-endpoint",
        move |stream, peer, stop| {
            serve_tls_connection(stream, peer, acceptor.clone(), tls_shared.clone(), stop)
        },
    ))];
    if let Some(listener) = control_listener {
        let control_shared = shared.clone();
        tasks.push(tokio::spawn(accept_loop(
            listener,
            shutdown_rx,
            MAX_CONTROL_CONNECTIONS,
            "simulator control",
            move |stream, peer, stop| {
                serve_control_connection(stream, peer, control_shared.clone(), stop)
            },
        )));
    }

    tracing::info!(
        addr = %local_addr,
        control = ?control_addr,
        answer = %opts.answer,
        client_certificates = if opts.client_ca_pem.is_some() { "required" } else { "not requested" },
        jwks_url = opts.jwks_url.as_deref(),
        audience = %opts.audience,
        "find-endpoint simulator started"
    );
    Ok(RunningSimulator {
        local_addr,
        control_addr,
        server_cert_pem: identity.cert_pem,
        shared,
        shutdown,
        tasks,
    })
}

/// A listener with a deep accept queue, like the portal's own: with the kernel's default of 128,
/// a burst of new connections (the connectivity bench opens hundreds at once) overflows it and
/// the clients wait for SYN retries.
async fn bind(addr: SocketAddr) -> Result<TcpListener, SimulatorError> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
    };
    socket
        .and_then(|socket| {
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(1024)
        })
        .map_err(|source| SimulatorError::Bind { addr, source })
}

struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    cert_pem: String,
}

fn server_identity(tls: &ServerTls, listen_ip: IpAddr) -> Result<Identity, SimulatorError> {
    match tls {
        ServerTls::Pem {
            cert_chain_pem,
            key_pem,
        } => {
            let chain = read_certs(cert_chain_pem).map_err(SimulatorError::Certificate)?;
            // The PEM error could quote a line of the key file: say only that it failed.
            let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|_| {
                SimulatorError::PrivateKey(
                    "no PKCS#8, PKCS#1 or SEC1 private key could be read from the PEM".to_owned(),
                )
            })?;
            Ok(Identity {
                chain,
                key,
                cert_pem: cert_chain_pem.clone(),
            })
        }
        ServerTls::SelfSigned => {
            let mut names = vec![
                "localhost".to_owned(),
                "127.0.0.1".to_owned(),
                "::1".to_owned(),
            ];
            if !listen_ip.is_unspecified() && !listen_ip.is_loopback() {
                names.push(listen_ip.to_string());
            }
            let self_signed = |e: rcgen::Error| SimulatorError::SelfSigned(e.to_string());
            let mut params = rcgen::CertificateParams::new(names).map_err(self_signed)?;
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, "Find-endpoint simulator");
            params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
            // From yesterday (clock skew) for 397 days, the longest validity clients accept for
            // a server certificate; rcgen's default spans centuries.
            let today = Utc::now().date_naive();
            let from = today.checked_sub_days(chrono::Days::new(1)).and_then(ymd);
            let until = today.checked_add_days(chrono::Days::new(397)).and_then(ymd);
            if let (Some(from), Some(until)) = (from, until) {
                // Both are real calendar dates, which is all date_time_ymd asks.
                params.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
                params.not_after = rcgen::date_time_ymd(until.0, until.1, until.2);
            }
            let key_pair = rcgen::KeyPair::generate().map_err(self_signed)?;
            let cert = params.self_signed(&key_pair).map_err(self_signed)?;
            Ok(Identity {
                chain: vec![cert.der().clone()],
                key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der())),
                cert_pem: cert.pem(),
            })
        }
    }
}

fn ymd(date: chrono::NaiveDate) -> Option<(i32, u8, u8)> {
    use chrono::Datelike as _;
    Some((
        date.year(),
        u8::try_from(date.month()).ok()?,
        u8::try_from(date.day()).ok()?,
    ))
}

fn read_certs(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the PEM could not be read ({e})"))?;
    if certs.is_empty() {
        return Err("the PEM holds no CERTIFICATE".to_owned());
    }
    Ok(certs)
}

fn client_verifier(
    ca_pem: &str,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn ClientCertVerifier>, SimulatorError> {
    let mut roots = RootCertStore::empty();
    for cert in read_certs(ca_pem).map_err(SimulatorError::ClientCa)? {
        roots
            .add(cert)
            .map_err(|e| SimulatorError::ClientCa(format!("a CA certificate was refused ({e})")))?;
    }
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| SimulatorError::ClientCa(e.to_string()))
}

fn tls_config(
    provider: Arc<CryptoProvider>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    client_verifier: Option<Arc<dyn ClientCertVerifier>>,
) -> Result<ServerConfig, SimulatorError> {
    let builder = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| SimulatorError::Tls(e.to_string()))?;
    let builder = match client_verifier {
        Some(verifier) => builder.with_client_cert_verifier(verifier),
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| SimulatorError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Accepts until shutdown, running `serve` for each connection; open connections are dropped
/// when it returns.
async fn accept_loop<F, Fut>(
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
    max_connections: usize,
    what: &'static str,
    serve: F,
) where
    F: Fn(TcpStream, SocketAddr, watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(max_connections));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            // A change means shutdown; an error means the RunningSimulator is gone.
            _ = shutdown.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let Ok(permit) = permits.clone().try_acquire_owned() else {
                        tracing::warn!(%peer, listener = what, max_connections, "too many open connections: closing a new one");
                        continue;
                    };
                    let connection = serve(stream, peer, shutdown.clone());
                    connections.spawn(async move {
                        connection.await;
                        drop(permit);
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, listener = what, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
    connections.shutdown().await;
}

struct ConnInfo {
    peer: SocketAddr,
    client_cert_subject: Option<String>,
    client_cert_sha256: Option<String>,
}

enum Reply {
    Respond(Response<Full<Bytes>>),
    /// Close the connection without a response.
    Drop,
}

async fn serve_tls_connection(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    // Answers go out at once, not held back for a delayed ACK.
    let _ = stream.set_nodelay(true);
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            return;
        }
    };
    let leaf = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|certs| certs.first());
    let info = Arc::new(ConnInfo {
        peer,
        client_cert_subject: leaf
            .map(|c| cert_subject(c.as_ref()).unwrap_or_else(|| "(unreadable subject)".to_owned())),
        client_cert_sha256: leaf.map(|c| hex(&Sha256::digest(c.as_ref()))),
    });
    tracing::debug!(%peer, client_cert = info.client_cert_subject.as_deref(), "TLS connection open");

    let hang_up = Arc::new(Notify::new());
    let service = {
        let hang_up = hang_up.clone();
        service_fn(move |req: Request<Incoming>| {
            let shared = shared.clone();
            let info = info.clone();
            let hang_up = hang_up.clone();
            async move {
                match handle_find(&shared, &info, req).await {
                    Reply::Respond(response) => Ok::<_, Infallible>(response),
                    Reply::Drop => {
                        hang_up.notify_one();
                        // The connection is dropped while this waits, so no response is written.
                        std::future::pending().await
                    }
                }
            }
        })
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(tls), service);
    tokio::select! {
        result = connection => {
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "find-endpoint connection ended with an error");
            }
        }
        _ = hang_up.notified() => {
            tracing::debug!(%peer, "closing the connection without a response, as configured");
        }
        _ = shutdown.changed() => {}
    }
}

enum Decision {
    Problem {
        status: StatusCode,
        title: &'static str,
        detail: String,
        close: bool,
    },
    Answer(Answer),
}

fn problem(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Decision {
    Decision::Problem {
        status,
        title,
        detail: detail.into(),
        close: false,
    }
}

async fn handle_find(shared: &Shared, conn: &ConnInfo, req: Request<Incoming>) -> Reply {
    let echo_id = req.headers().get(&X_REQUEST_ID).cloned();
    let mut seen = SeenRequest {
        at: Utc::now(),
        peer: conn.peer,
        method: printable(req.method().as_str(), 20),
        path: printable(req.uri().path(), 200),
        request_id: echo_id
            .as_ref()
            .map(|v| printable(&String::from_utf8_lossy(v.as_bytes()), 100)),
        client_cert_subject: conn.client_cert_subject.clone(),
        client_cert_sha256: conn.client_cert_sha256.clone(),
        body_bytes: 0,
        token: TokenVerdict::NotChecked,
        status: None,
        note: String::new(),
    };

    let decision = decide(shared, req, &mut seen).await;

    let (reply, delay) = match decision {
        Decision::Problem {
            status,
            title,
            detail,
            close,
        } => {
            seen.note = detail.clone();
            let mut response = problem_response(status, title, &detail);
            if close {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            (Reply::Respond(response), None)
        }
        Decision::Answer(answer) => answer_reply(answer, shared.slow_for, &mut seen),
    };
    let reply = match reply {
        Reply::Respond(mut response) => {
            if let Some(id) = echo_id {
                response.headers_mut().insert(X_REQUEST_ID.clone(), id);
            }
            seen.status = Some(response.status().as_u16());
            Reply::Respond(response)
        }
        Reply::Drop => Reply::Drop,
    };

    tracing::info!(
        peer = %seen.peer,
        request_id = seen.request_id.as_deref(),
        client_cert = seen.client_cert_subject.as_deref(),
        token = %seen.token,
        status = seen.status,
        note = %seen.note,
        "find request"
    );
    shared.record(seen);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    reply
}

fn answer_reply(
    answer: Answer,
    slow_for: Duration,
    seen: &mut SeenRequest,
) -> (Reply, Option<Duration>) {
    let configured = |status: StatusCode, title: &'static str| {
        let detail = format!("the simulator is set to answer {}", status.as_u16());
        let mut response = problem_response(status, title, &detail);
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    };
    let (reply, delay, note) = match answer {
        Answer::Accepted => (
            empty_response(StatusCode::ACCEPTED),
            None,
            "accepted (answer 202)".to_owned(),
        ),
        Answer::Ok => (
            empty_response(StatusCode::OK),
            None,
            "answered 200 as configured".to_owned(),
        ),
        Answer::BadRequest => (
            configured(StatusCode::BAD_REQUEST, "Bad request"),
            None,
            "answered 400 as configured".to_owned(),
        ),
        Answer::Unauthorized => (
            configured(StatusCode::UNAUTHORIZED, "Unauthorized"),
            None,
            "answered 401 as configured".to_owned(),
        ),
        Answer::ServerError => (
            configured(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error"),
            None,
            "answered 500 as configured".to_owned(),
        ),
        Answer::Slow => (
            empty_response(StatusCode::ACCEPTED),
            Some(slow_for),
            format!(
                "answering 202 after {} s (answer slow)",
                slow_for.as_secs_f64()
            ),
        ),
        Answer::Drop => {
            seen.note = "closed the connection without a response (answer drop)".to_owned();
            return (Reply::Drop, None);
        }
    };
    seen.note = note;
    (Reply::Respond(reply), delay)
}

async fn decide(shared: &Shared, req: Request<Incoming>, seen: &mut SeenRequest) -> Decision {
    if req.method() != Method::POST {
        return problem(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            format!("the find endpoint accepts POST only, not {}", seen.method),
        );
    }
    match req.headers().get(&X_REQUEST_ID) {
        None => {
            return problem(
                StatusCode::BAD_REQUEST,
                "Missing X-Request-ID",
                "the request has no X-Request-ID header",
            )
        }
        Some(value) => {
            let is_uuid = value
                .to_str()
                .ok()
                .is_some_and(|s| Uuid::parse_str(s.trim()).is_ok());
            if !is_uuid {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "Invalid X-Request-ID",
                    "the X-Request-ID header is not a UUID",
                );
            }
        }
    }

    let (parts, body) = req.into_parts();
    let bytes = match read_body(&parts.headers, body).await {
        Ok(bytes) => bytes,
        Err(BodyError::TooLarge { close }) => {
            return Decision::Problem {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                title: "Request body too large",
                detail: format!("the request body is larger than {} KiB", MAX_BODY / 1024),
                close,
            }
        }
        Err(BodyError::Unreadable) => {
            return Decision::Problem {
                status: StatusCode::BAD_REQUEST,
                title: "Unreadable body",
                detail: "the request body could not be read".to_owned(),
                close: true,
            }
        }
    };
    seen.body_bytes = bytes.len();
    let body = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "Invalid body",
                "the request body must be a JSON object",
            )
        }
        Err(e) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "Invalid body",
                format!("the request body is not JSON ({e})"),
            )
        }
    };

    let token = match body.get("user_token") {
        Some(Value::String(token)) => Some(token.clone()),
        None | Some(Value::Null) => bearer_token(&parts.headers),
        Some(_) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "Invalid body",
                "user_token must be a string",
            )
        }
    };

    if let Some(jwks) = &shared.jwks {
        let Some(token) = token else {
            let reason =
                "the request carries no user token (no user_token in the body, no Bearer Authorization header)";
            seen.token = TokenVerdict::Rejected(reason.to_owned());
            tracing::info!(
                request_id = seen.request_id.as_deref(),
                reason,
                "user token rejected"
            );
            return problem(StatusCode::UNAUTHORIZED, "Missing user token", reason);
        };
        match jwks.verify(&token, &shared.audience).await {
            Ok(_claims) => seen.token = TokenVerdict::Valid,
            Err(VerifyFailure::Rejected(rejection)) => {
                let reason = rejection.to_string();
                tracing::info!(request_id = seen.request_id.as_deref(), reason = %reason, "user token rejected");
                seen.token = TokenVerdict::Rejected(reason.clone());
                return problem(StatusCode::UNAUTHORIZED, "Invalid user token", reason);
            }
            Err(VerifyFailure::Unavailable(why)) => {
                let reason = format!("the user token could not be checked: {why}");
                seen.token = TokenVerdict::Rejected(reason.clone());
                return problem(StatusCode::SERVICE_UNAVAILABLE, "JWKS unavailable", reason);
            }
        }
    }

    Decision::Answer(shared.answer_for(&seen.path))
}

enum BodyError {
    TooLarge { close: bool },
    Unreadable,
}

/// Reads up to [`MAX_BODY`]. A larger body is read and discarded up to [`MAX_DRAIN`] so that the
/// client gets the 413; beyond that (or when Content-Length says so) the connection is closed.
async fn read_body(headers: &HeaderMap, mut body: Incoming) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_DRAIN as u64) {
        return Err(BodyError::TooLarge { close: true });
    }
    let deadline = tokio::time::Instant::now() + BODY_READ_TIMEOUT;
    let mut buf = Vec::new();
    let mut total: usize = 0;
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                return Err(if total > MAX_BODY {
                    BodyError::TooLarge { close: true }
                } else {
                    BodyError::Unreadable
                })
            }
            Ok(None) => break,
            Ok(Some(Err(_))) => return Err(BodyError::Unreadable),
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            total = total.saturating_add(data.len());
            if total > MAX_DRAIN {
                return Err(BodyError::TooLarge { close: true });
            }
            if total <= MAX_BODY {
                buf.extend_from_slice(&data);
            }
        }
    }
    if total > MAX_BODY {
        return Err(BodyError::TooLarge { close: false });
    }
    Ok(Bytes::from(buf))
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

fn empty_response(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn problem_response(status: StatusCode, title: &str, detail: &str) -> Response<Full<Bytes>> {
    let body = json!({ "title": title, "detail": detail, "status": status.as_u16() });
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::METHOD_NOT_ALLOWED {
        headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    response
}

// ---------------------------------------------------------------------------------------------
// JWKS cache

enum VerifyFailure {
    Rejected(TokenRejection),
    Unavailable(String),
}

struct JwksState {
    verifier: Option<Arc<Verifier>>,
    last_attempt: Option<Instant>,
    last_error: Option<String>,
}

/// Fetches the JWKS when first needed, and again (at most once per `min_refetch`) when a token
/// names a kid it does not hold.
struct JwksCache {
    url: reqwest::Url,
    client: reqwest::Client,
    min_refetch: Duration,
    state: tokio::sync::Mutex<JwksState>,
}

impl JwksCache {
    fn new(url: &str, min_refetch: Duration) -> Result<Self, SimulatorError> {
        let url = reqwest::Url::parse(url)
            .map_err(|e| SimulatorError::JwksUrl(format!("{url:?} is not a URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(SimulatorError::JwksUrl(format!(
                "{url} is not an http or https URL"
            )));
        }
        let client = reqwest::Client::builder()
            .timeout(JWKS_TIMEOUT)
            .connect_timeout(JWKS_TIMEOUT)
            .user_agent(concat!(
                "find-endpoint-simulator/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| SimulatorError::JwksUrl(format!("no HTTP client ({e})")))?;
        Ok(Self {
            url,
            client,
            min_refetch,
            state: tokio::sync::Mutex::new(JwksState {
                verifier: None,
                last_attempt: None,
                last_error: None,
            }),
        })
    }

    async fn verify(&self, token: &str, audience: &str) -> Result<Value, VerifyFailure> {
        let current = self.current().await?;
        let now = Utc::now().timestamp();
        match current.verify(token, now, audience, TOKEN_LEEWAY_SECS) {
            Err(TokenRejection::UnknownKid(kid)) if !kid.is_empty() => {
                match self.refresh_after_unknown_kid(&current).await {
                    Some(newer) => newer
                        .verify(token, Utc::now().timestamp(), audience, TOKEN_LEEWAY_SECS)
                        .map_err(VerifyFailure::Rejected),
                    None => Err(VerifyFailure::Rejected(TokenRejection::UnknownKid(kid))),
                }
            }
            other => other.map_err(VerifyFailure::Rejected),
        }
    }

    /// The cached key set, fetching it first when there is none yet.
    async fn current(&self) -> Result<Arc<Verifier>, VerifyFailure> {
        let mut state = self.state.lock().await;
        if let Some(verifier) = &state.verifier {
            return Ok(verifier.clone());
        }
        if state
            .last_attempt
            .is_some_and(|at| at.elapsed() < JWKS_RETRY_AFTER_FAILURE)
        {
            let why = state
                .last_error
                .clone()
                .unwrap_or_else(|| "the JWKS could not be fetched".to_owned());
            return Err(VerifyFailure::Unavailable(why));
        }
        state.last_attempt = Some(Instant::now());
        match self.fetch().await {
            Ok(verifier) => {
                let verifier = Arc::new(verifier);
                state.verifier = Some(verifier.clone());
                state.last_error = None;
                Ok(verifier)
            }
            Err(why) => {
                tracing::warn!(url = %self.url, error = %why, "could not fetch the JWKS");
                state.last_error = Some(why.clone());
                Err(VerifyFailure::Unavailable(why))
            }
        }
    }

    /// A newer key set, if another request fetched one meanwhile or one may be fetched now.
    async fn refresh_after_unknown_kid(&self, seen: &Arc<Verifier>) -> Option<Arc<Verifier>> {
        let mut state = self.state.lock().await;
        if let Some(verifier) = &state.verifier {
            if !Arc::ptr_eq(verifier, seen) {
                return Some(verifier.clone());
            }
        }
        if state
            .last_attempt
            .is_some_and(|at| at.elapsed() < self.min_refetch)
        {
            tracing::debug!("unknown kid, but the JWKS was fetched too recently to fetch again");
            return None;
        }
        state.last_attempt = Some(Instant::now());
        match self.fetch().await {
            Ok(verifier) => {
                let verifier = Arc::new(verifier);
                state.verifier = Some(verifier.clone());
                Some(verifier)
            }
            Err(why) => {
                tracing::warn!(url = %self.url, error = %why, "could not refetch the JWKS; keeping the keys held");
                None
            }
        }
    }

    async fn fetch(&self) -> Result<Verifier, String> {
        let mut response = self
            .client
            .get(self.url.clone())
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| format!("the JWKS request failed ({})", error_chain(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("the JWKS URL answered {status}"));
        }
        if response
            .content_length()
            .is_some_and(|len| len > JWKS_MAX_BYTES as u64)
        {
            return Err("the JWKS is larger than 1 MiB".to_owned());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("reading the JWKS failed ({})", error_chain(&e)))?
        {
            if bytes.len() + chunk.len() > JWKS_MAX_BYTES {
                return Err("the JWKS is larger than 1 MiB".to_owned());
            }
            bytes.extend_from_slice(&chunk);
        }
        let document: Value =
            serde_json::from_slice(&bytes).map_err(|e| format!("the JWKS is not JSON ({e})"))?;
        let verifier = Verifier::from_jwks(&document).map_err(|e| e.to_string())?;
        if verifier.is_empty() {
            tracing::warn!(url = %self.url, "the JWKS holds no usable signing key");
        } else {
            tracing::info!(url = %self.url, keys = verifier.len(), "JWKS fetched");
        }
        Ok(verifier)
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

// ---------------------------------------------------------------------------------------------
// Control listener

async fn serve_control_connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let service = service_fn(move |req: Request<Incoming>| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(handle_control(&shared, req).await) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = connection => {
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "control connection ended with an error");
            }
        }
        _ = shutdown.changed() => {}
    }
}

const CONTROL_HELP: &str = "Find-endpoint simulator control\n\
    GET /answer             the current answer\n\
    PUT or POST /answer     set it: body 202, 200, 400, 401, 500, slow or drop\n\
    ...?path=/some/path     the same, for requests to that path only\n\
    GET /requests           the last 100 requests seen, as JSON\n";

async fn handle_control(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    // `?path=/x` aims GET and PUT /answer at one path of the TLS listener.
    let for_path: Option<String> = req.uri().query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("path="))
            .map(|p| p.replace("%2F", "/").replace("%2f", "/"))
            .filter(|p| p.starts_with('/') && p.len() <= 500)
    });
    match (req.method().clone(), path.as_str()) {
        (Method::GET, "/") => text_response(StatusCode::OK, CONTROL_HELP.to_owned()),
        (Method::GET, "/answer") => {
            let answer = match &for_path {
                Some(p) => shared.answer_for(p),
                None => shared.answer(),
            };
            text_response(StatusCode::OK, format!("{answer}\n"))
        }
        (Method::PUT | Method::POST, "/answer") => {
            let body = match tokio::time::timeout(
                BODY_READ_TIMEOUT,
                http_body_util::Limited::new(req.into_body(), MAX_CONTROL_BODY).collect(),
            )
            .await
            {
                Ok(Ok(collected)) => collected.to_bytes(),
                _ => {
                    return text_response(
                        StatusCode::BAD_REQUEST,
                        "send the answer as a short text body, for example 401\n".to_owned(),
                    )
                }
            };
            match std::str::from_utf8(&body)
                .map_err(|_| ParseAnswerError("(not UTF-8)".to_owned()))
                .and_then(Answer::from_str)
            {
                Ok(answer) => {
                    let before = match &for_path {
                        Some(p) => shared.set_answer_for(p, answer),
                        None => shared.set_answer(answer),
                    };
                    tracing::info!(%before, after = %answer, path = for_path.as_deref(), "find-endpoint simulator answer changed");
                    text_response(StatusCode::OK, format!("{answer}\n"))
                }
                Err(e) => text_response(StatusCode::BAD_REQUEST, format!("{e}\n")),
            }
        }
        (Method::GET, "/requests") => match serde_json::to_vec_pretty(&shared.requests()) {
            Ok(body) => {
                let mut response = Response::new(Full::new(Bytes::from(body)));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                response
            }
            Err(e) => text_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("could not list the requests: {e}\n"),
            ),
        },
        (_, "/answer") => {
            let mut response = text_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "use GET, PUT or POST\n".to_owned(),
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, PUT, POST"));
            response
        }
        (_, "/" | "/requests") => {
            let mut response =
                text_response(StatusCode::METHOD_NOT_ALLOWED, "use GET\n".to_owned());
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET"));
            response
        }
        _ => text_response(StatusCode::NOT_FOUND, CONTROL_HELP.to_owned()),
    }
}

fn text_response(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

// ---------------------------------------------------------------------------------------------
// Client certificate subject: a small DER reader, enough for Certificate -> tbs -> subject.

/// One DER element: (tag, contents, the rest after it). Low-tag-number form only.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let (len_bytes, rest) = (rest.get(..count)?, rest.get(count..)?);
        let len = len_bytes.iter().try_fold(0usize, |acc, &b| {
            acc.checked_mul(256)?.checked_add(usize::from(b))
        })?;
        (len, rest)
    };
    Some((tag, rest.get(..len)?, rest.get(len..)?))
}

/// The subject of an X.509 certificate (DER), RFC 4514 style: last RDN first, "CN=..,O=..".
fn cert_subject(der: &[u8]) -> Option<String> {
    const SEQUENCE: u8 = 0x30;
    let (tag, certificate, _) = der_element(der)?;
    if tag != SEQUENCE {
        return None;
    }
    let (tag, tbs, _) = der_element(certificate)?;
    if tag != SEQUENCE {
        return None;
    }
    let mut rest = tbs;
    if rest.first() == Some(&0xa0) {
        rest = der_element(rest)?.2; // [0] version
    }
    for _ in 0..4 {
        rest = der_element(rest)?.2; // serial, signature algorithm, issuer, validity
    }
    let (tag, subject, _) = der_element(rest)?;
    if tag != SEQUENCE {
        return None;
    }
    let mut rdns = Vec::new();
    let mut rest = subject;
    while !rest.is_empty() {
        let (tag, set, after) = der_element(rest)?;
        if tag != 0x31 {
            return None;
        }
        let mut attributes = Vec::new();
        let mut inner = set;
        while !inner.is_empty() {
            let (tag, attribute, after_attribute) = der_element(inner)?;
            if tag != SEQUENCE {
                return None;
            }
            let (oid_tag, oid, value_tlv) = der_element(attribute)?;
            if oid_tag != 0x06 {
                return None;
            }
            let oid = oid_text(oid)?;
            let name = attribute_name(&oid).map_or(oid, str::to_owned);
            attributes.push(format!("{name}={}", attribute_value(value_tlv)?));
            inner = after_attribute;
        }
        rdns.push(attributes.join("+"));
        rest = after;
    }
    rdns.reverse();
    let subject = rdns.join(",");
    Some(if subject.chars().count() > 512 {
        let mut cut: String = subject.chars().take(512).collect();
        cut.push('…');
        cut
    } else {
        subject
    })
}

fn oid_text(bytes: &[u8]) -> Option<String> {
    if bytes.last().is_none_or(|b| b & 0x80 != 0) {
        return None;
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    for &b in bytes {
        value = value.checked_mul(128)?.checked_add(u64::from(b & 0x7f))?;
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        }
    }
    Some(
        arcs.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

fn attribute_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.97" => "organizationIdentifier",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        "1.2.840.113549.1.9.1" => "emailAddress",
        _ => return None,
    })
}

/// A directory string, escaped per RFC 4514; other types as `#` and the hex of the element.
fn attribute_value(tlv: &[u8]) -> Option<String> {
    let (tag, contents, _) = der_element(tlv)?;
    let text = match tag {
        // UTF8String, NumericString, PrintableString, IA5String, VisibleString
        0x0c | 0x12 | 0x13 | 0x16 | 0x1a => String::from_utf8_lossy(contents).into_owned(),
        // TeletexString: treat as Latin-1
        0x14 => contents.iter().map(|&b| char::from(b)).collect(),
        // BMPString: UTF-16BE
        0x1e => {
            let units: Vec<u16> = contents
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        // UniversalString: UTF-32BE
        0x1c => contents
            .chunks(4)
            .map(|c| {
                let mut b = [0u8; 4];
                b[..c.len()].copy_from_slice(c);
                char::from_u32(u32::from_be_bytes(b)).unwrap_or('\u{fffd}')
            })
            .collect(),
        _ => {
            let len = tlv.len() - der_element(tlv)?.2.len();
            return Some(format!("#{}", hex(tlv.get(..len)?)));
        }
    };
    let count = text.chars().count();
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' ' | '#' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            ' ' if i + 1 == count => out.push_str("\\ "),
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\{b:02x}"));
                }
            }
            c => out.push(c),
        }
    }
    Some(out)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// An untrusted value made safe to log and show: control characters become `?`, at most `max`
/// characters.
fn printable(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .take(max)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if s.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jose::{jwks, Alg, Signer};
    use std::sync::atomic::{AtomicUsize, Ordering};

    const AUD: &str = DEFAULT_AUDIENCE;

    fn options() -> SimulatorOptions {
        SimulatorOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..SimulatorOptions::default()
        }
    }

    fn client_builder(sim: &RunningSimulator) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .add_root_certificate(
                reqwest::Certificate::from_pem(sim.server_cert_pem().as_bytes()).unwrap(),
            )
            .tls_built_in_root_certs(false)
            .timeout(Duration::from_secs(10))
    }

    fn client(sim: &RunningSimulator) -> reqwest::Client {
        client_builder(sim).build().unwrap()
    }

    fn find_url(sim: &RunningSimulator) -> String {
        format!("https://127.0.0.1:{}/pdp/find", sim.local_addr().port())
    }

    async fn find(
        client: &reqwest::Client,
        sim: &RunningSimulator,
        body: Value,
    ) -> reqwest::Result<reqwest::Response> {
        client
            .post(find_url(sim))
            .header("X-Request-ID", Uuid::new_v4().to_string())
            .json(&body)
            .send()
            .await
    }

    fn claims(aud: &str, exp_in: i64) -> Value {
        let now = Utc::now().timestamp();
        json!({
            "iss": "https://pdp.example",
            "sub": "synthetic-user",
            "aud": aud,
            "iat": now,
            "exp": now + exp_in,
        })
    }

    /// A plain HTTP server answering every request with the current document; counts hits.
    async fn serve_json(document: Arc<Mutex<Value>>, hits: Arc<AtomicUsize>) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let document = document.clone();
                let hits = hits.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |_req: Request<Incoming>| {
                        hits.fetch_add(1, Ordering::SeqCst);
                        let body = serde_json::to_vec(&*document.lock().unwrap()).unwrap();
                        async move { Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(body)))) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn answers_as_configured() {
        let sim = start(options()).await.unwrap();
        let client = client(&sim);
        for (answer, status) in [
            (Answer::Accepted, 202),
            (Answer::Ok, 200),
            (Answer::BadRequest, 400),
            (Answer::Unauthorized, 401),
            (Answer::ServerError, 500),
        ] {
            sim.set_answer(answer);
            assert_eq!(sim.answer(), answer);
            let id = Uuid::new_v4().to_string();
            let response = client
                .post(find_url(&sim))
                .header("X-Request-ID", &id)
                .json(&json!({"user_token": "not checked"}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), status, "{answer}");
            assert_eq!(response.headers()["x-request-id"], id.as_str());
            if status >= 400 {
                let body: Value = response.json().await.unwrap();
                assert!(
                    body["title"].is_string() && body["detail"].is_string(),
                    "{body}"
                );
            }
        }
        let seen = sim.requests();
        assert_eq!(seen.len(), 5);
        assert_eq!(
            seen.iter().map(|s| s.status).collect::<Vec<_>>(),
            [Some(202), Some(200), Some(400), Some(401), Some(500)]
        );
        assert!(seen.iter().all(|s| s.token == TokenVerdict::NotChecked));
        assert!(seen.iter().all(|s| s.client_cert_subject.is_none()));
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn tls12_and_a_pem_identity_work_too() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let sim = start(SimulatorOptions {
            tls: ServerTls::Pem {
                cert_chain_pem: cert.pem(),
                key_pem: key.serialize_pem(),
            },
            ..options()
        })
        .await
        .unwrap();
        assert_eq!(sim.server_cert_pem(), cert.pem());
        let client = client_builder(&sim)
            .max_tls_version(reqwest::tls::Version::TLS_1_2)
            .build()
            .unwrap();
        let response = find(&client, &sim, json!({})).await.unwrap();
        assert_eq!(response.status(), 202);
        assert!(!format!(
            "{:?}",
            ServerTls::Pem {
                cert_chain_pem: String::new(),
                key_pem: key.serialize_pem()
            }
        )
        .contains("PRIVATE"));
    }

    #[tokio::test]
    async fn bad_pem_is_refused_at_start() {
        let err = start(SimulatorOptions {
            tls: ServerTls::Pem {
                cert_chain_pem: "nothing".to_owned(),
                key_pem: "nothing".to_owned(),
            },
            ..options()
        })
        .await
        .unwrap_err();
        assert!(matches!(err, SimulatorError::Certificate(_)), "{err}");
    }

    #[tokio::test]
    async fn slow_answer_outlasts_a_short_timeout() {
        let sim = start(SimulatorOptions {
            answer: Answer::Slow,
            slow_for: Duration::from_secs(3),
            ..options()
        })
        .await
        .unwrap();
        let client = client_builder(&sim)
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        let err = find(&client, &sim, json!({})).await.unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        let seen = sim.requests();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].status, Some(202));
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn drop_closes_without_a_response() {
        let sim = start(SimulatorOptions {
            answer: Answer::Drop,
            ..options()
        })
        .await
        .unwrap();
        let started = Instant::now();
        let err = find(&client(&sim), &sim, json!({})).await.unwrap_err();
        assert!(!err.is_timeout(), "{err:?}");
        assert!(err.status().is_none(), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let seen = sim.requests();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].status, None);
        // The listener carries on.
        sim.set_answer(Answer::Accepted);
        let response = find(&client(&sim), &sim, json!({})).await.unwrap();
        assert_eq!(response.status(), 202);
    }

    #[tokio::test]
    async fn request_checks() {
        let sim = start(options()).await.unwrap();
        let client = client(&sim);
        let url = find_url(&sim);

        let response = client.post(&url).json(&json!({})).send().await.unwrap();
        assert_eq!(response.status(), 400);
        assert!(response.headers().get("x-request-id").is_none());
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["title"], "Missing X-Request-ID");

        let response = client
            .post(&url)
            .header("X-Request-ID", "not-a-uuid")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(response.headers()["x-request-id"], "not-a-uuid");

        let id = Uuid::new_v4().to_string();
        let response = client
            .get(&url)
            .header("X-Request-ID", &id)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()["allow"], "POST");
        assert_eq!(response.headers()["x-request-id"], id.as_str());

        for body in ["not json", "[1, 2]", ""] {
            let response = client
                .post(&url)
                .header("X-Request-ID", &id)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 400, "{body:?}");
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["title"], "Invalid body");
        }

        let response = client
            .post(&url)
            .header("X-Request-ID", &id)
            .json(&json!({"user_token": 42}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);

        let big = json!({ "padding": "x".repeat(300 * 1024) });
        let response = client
            .post(&url)
            .header("X-Request-ID", &id)
            .json(&big)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413);

        // Any path is served.
        let response = client
            .post(format!("https://localhost:{}/", sim.local_addr().port()))
            .header("X-Request-ID", &id)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
    }

    #[tokio::test]
    async fn keeps_the_last_hundred_requests() {
        let sim = start(options()).await.unwrap();
        let client = client(&sim);
        for _ in 0..105 {
            assert_eq!(find(&client, &sim, json!({})).await.unwrap().status(), 202);
        }
        assert_eq!(sim.requests().len(), MAX_SEEN);
    }

    #[tokio::test]
    async fn user_tokens_are_checked_against_the_jwks() {
        let signer = Signer::generate(Alg::Es256).unwrap();
        let other = Signer::generate(Alg::Es256).unwrap();
        let document = Arc::new(Mutex::new(jwks(&[signer.public_jwk()])));
        let hits = Arc::new(AtomicUsize::new(0));
        let jwks_addr = serve_json(document, hits.clone()).await;
        let sim = start(SimulatorOptions {
            jwks_url: Some(format!("http://{jwks_addr}/.well-known/jwks.json")),
            ..options()
        })
        .await
        .unwrap();
        let client = client(&sim);

        let token = signer.sign(&claims(AUD, 300)).unwrap();
        let response = find(&client, &sim, json!({"user_token": token}))
            .await
            .unwrap();
        assert_eq!(response.status(), 202);

        let response = client
            .post(find_url(&sim))
            .header("X-Request-ID", Uuid::new_v4().to_string())
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202, "a Bearer header is accepted too");

        let cases = [
            (other.sign(&claims(AUD, 300)).unwrap(), "not in the JWKS"),
            (signer.sign(&claims(AUD, -120)).unwrap(), "expired"),
            (
                signer
                    .sign(&claims("https://elsewhere.example", 300))
                    .unwrap(),
                "audience",
            ),
            ("garbage".to_owned(), "well-formed"),
        ];
        for (token, expected) in &cases {
            let response = find(&client, &sim, json!({"user_token": token}))
                .await
                .unwrap();
            assert_eq!(response.status(), 401, "{expected}");
            let problem: Value = response.json().await.unwrap();
            let detail = problem["detail"].as_str().unwrap();
            assert!(detail.contains(expected), "{detail}");
        }
        let response = find(&client, &sim, json!({})).await.unwrap();
        assert_eq!(response.status(), 401, "no token at all");

        // One fetch only: the unknown kid came within 30 s of the first fetch.
        assert_eq!(hits.load(Ordering::SeqCst), 1);

        let seen = sim.requests();
        assert_eq!(seen[0].token, TokenVerdict::Valid);
        assert!(
            matches!(&seen[2].token, TokenVerdict::Rejected(r) if r.contains("not in the JWKS"))
        );
        assert_eq!(
            seen[3].token,
            TokenVerdict::Rejected("the user token has expired".to_owned())
        );
        // Nothing recorded holds the token.
        let recorded = serde_json::to_string(&seen).unwrap();
        assert!(!recorded.contains(&token[..40]));
    }

    #[tokio::test]
    async fn unknown_kid_refetches_the_jwks_when_allowed() {
        let old = Signer::generate(Alg::Es256).unwrap();
        let new = Signer::generate(Alg::Es256).unwrap();
        let document = Arc::new(Mutex::new(jwks(&[old.public_jwk()])));
        let hits = Arc::new(AtomicUsize::new(0));
        let addr = serve_json(document.clone(), hits.clone()).await;
        let url = format!("http://{addr}/jwks");

        // Refetching allowed at once: a rotated key is picked up.
        let cache = JwksCache::new(&url, Duration::ZERO).unwrap();
        assert!(cache
            .verify(&old.sign(&claims(AUD, 60)).unwrap(), AUD)
            .await
            .is_ok());
        *document.lock().unwrap() = jwks(&[old.public_jwk(), new.public_jwk()]);
        assert!(cache
            .verify(&new.sign(&claims(AUD, 60)).unwrap(), AUD)
            .await
            .is_ok());
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        // A known kid does not refetch.
        assert!(cache
            .verify(&new.sign(&claims(AUD, 60)).unwrap(), AUD)
            .await
            .is_ok());
        assert_eq!(hits.load(Ordering::SeqCst), 2);

        // With the 30 s limit, the first fetch blocks a second one.
        *document.lock().unwrap() = jwks(&[old.public_jwk()]);
        let cache = JwksCache::new(&url, JWKS_REFETCH_INTERVAL).unwrap();
        assert!(cache
            .verify(&old.sign(&claims(AUD, 60)).unwrap(), AUD)
            .await
            .is_ok());
        *document.lock().unwrap() = jwks(&[new.public_jwk()]);
        for _ in 0..3 {
            let result = cache
                .verify(&new.sign(&claims(AUD, 60)).unwrap(), AUD)
                .await;
            assert!(matches!(
                result,
                Err(VerifyFailure::Rejected(TokenRejection::UnknownKid(_)))
            ));
        }
        assert_eq!(hits.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn unreachable_jwks_is_a_503() {
        // A port that was just free: nothing listens there.
        let addr = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        let sim = start(SimulatorOptions {
            jwks_url: Some(format!("http://{addr}/jwks")),
            ..options()
        })
        .await
        .unwrap();
        let signer = Signer::generate(Alg::Es256).unwrap();
        let token = signer.sign(&claims(AUD, 60)).unwrap();
        let response = find(&client(&sim), &sim, json!({"user_token": token}))
            .await
            .unwrap();
        assert_eq!(response.status(), 503);
        assert!(start(SimulatorOptions {
            jwks_url: Some("ftp://example/jwks".to_owned()),
            ..options()
        })
        .await
        .is_err());
    }

    struct Pki {
        ca_pem: String,
        client_identity_pem: String,
    }

    fn make_pki(org: &str) -> Pki {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("{org} test CA"));
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();

        let client_key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CountryName, "GB");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, org);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "pdp, client");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&client_key, &ca).unwrap();
        Pki {
            ca_pem: ca.pem(),
            client_identity_pem: format!("{}{}", cert.pem(), client_key.serialize_pem()),
        }
    }

    #[tokio::test]
    async fn client_certificates_are_required_when_a_ca_is_given() {
        let pki = make_pki("Example Pensions");
        let stranger = make_pki("Stranger");
        let sim = start(SimulatorOptions {
            client_ca_pem: Some(pki.ca_pem.clone()),
            ..options()
        })
        .await
        .unwrap();

        let trusted = client_builder(&sim)
            .identity(reqwest::Identity::from_pem(pki.client_identity_pem.as_bytes()).unwrap())
            .build()
            .unwrap();
        let response = find(&trusted, &sim, json!({})).await.unwrap();
        assert_eq!(response.status(), 202);

        let anonymous = client(&sim);
        let err = find(&anonymous, &sim, json!({})).await.unwrap_err();
        assert!(err.status().is_none(), "{err:?}");

        let untrusted = client_builder(&sim)
            .identity(reqwest::Identity::from_pem(stranger.client_identity_pem.as_bytes()).unwrap())
            .build()
            .unwrap();
        let err = find(&untrusted, &sim, json!({})).await.unwrap_err();
        assert!(err.status().is_none(), "{err:?}");

        // Failed handshakes leave the listener serving.
        let response = find(&trusted, &sim, json!({})).await.unwrap();
        assert_eq!(response.status(), 202);

        let seen = sim.requests();
        assert_eq!(seen.len(), 2, "refused handshakes are not requests");
        assert_eq!(
            seen[0].client_cert_subject.as_deref(),
            Some("CN=pdp\\, client,O=Example Pensions,C=GB")
        );
        assert_eq!(
            seen[0].client_cert_sha256.as_ref().map(String::len),
            Some(64)
        );
    }

    #[tokio::test]
    async fn control_listener_switches_the_answer() {
        let sim = start(SimulatorOptions {
            control: Some("127.0.0.1:0".parse().unwrap()),
            ..options()
        })
        .await
        .unwrap();
        let control = format!("http://{}", sim.control_addr().unwrap());
        let plain = reqwest::Client::new();

        let answer = plain.get(format!("{control}/answer")).send().await.unwrap();
        assert_eq!(answer.text().await.unwrap().trim(), "202");

        let set = plain
            .put(format!("{control}/answer"))
            .body("401")
            .send()
            .await
            .unwrap();
        assert_eq!(set.status(), 200);
        assert_eq!(sim.answer(), Answer::Unauthorized);
        let tls = client(&sim);
        assert_eq!(find(&tls, &sim, json!({})).await.unwrap().status(), 401);

        let set = plain
            .post(format!("{control}/answer"))
            .body(" slow\n")
            .send()
            .await
            .unwrap();
        assert_eq!(set.status(), 200);
        assert_eq!(sim.answer(), Answer::Slow);

        let bad = plain
            .put(format!("{control}/answer"))
            .body("418")
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400);
        assert!(bad.text().await.unwrap().contains("unknown answer"));
        assert_eq!(sim.answer(), Answer::Slow);

        let seen: Value = plain
            .get(format!("{control}/requests"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(seen.as_array().unwrap().len(), 1);
        assert_eq!(seen[0]["status"], 401);
        assert_eq!(seen[0]["token"], "not_checked");

        assert_eq!(
            plain
                .get(format!("{control}/nope"))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
        assert_eq!(
            plain
                .delete(format!("{control}/answer"))
                .send()
                .await
                .unwrap()
                .status(),
            405
        );
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn control_must_be_on_loopback() {
        for addr in ["0.0.0.0:0", "[::]:0"] {
            let err = start(SimulatorOptions {
                control: Some(addr.parse().unwrap()),
                ..options()
            })
            .await
            .unwrap_err();
            assert!(
                matches!(err, SimulatorError::ControlNotLoopback(_)),
                "{err}"
            );
        }
    }

    #[tokio::test]
    async fn shutdown_frees_the_port() {
        let sim = start(options()).await.unwrap();
        let addr = sim.local_addr();
        sim.shutdown().await;
        let again = start(SimulatorOptions {
            listen: addr,
            ..options()
        })
        .await
        .unwrap();
        assert_eq!(again.local_addr(), addr);
        drop(again);
    }

    #[test]
    fn answer_names() {
        for answer in Answer::ALL {
            assert_eq!(answer.to_string().parse::<Answer>().unwrap(), answer);
        }
        assert_eq!("Accepted".parse::<Answer>().unwrap(), Answer::Accepted);
        assert_eq!(
            "server_error".parse::<Answer>().unwrap(),
            Answer::ServerError
        );
        assert_eq!(
            " unauthorised ".parse::<Answer>().unwrap(),
            Answer::Unauthorized
        );
        assert!("203".parse::<Answer>().is_err());
        assert_eq!(Answer::Slow.status(), Some(StatusCode::ACCEPTED));
        assert_eq!(Answer::Drop.status(), None);
    }

    #[test]
    fn subject_of_a_certificate() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CountryName, "GB");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "A+B; \"Ltd\"");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, " spaced ");
        let cert = params.self_signed(&key).unwrap();
        assert_eq!(
            cert_subject(cert.der()).as_deref(),
            Some("CN=\\ spaced\\ ,O=A\\+B\\; \\\"Ltd\\\",C=GB")
        );
        assert_eq!(cert_subject(b"\x30\x03\x02\x01"), None);
        assert_eq!(cert_subject(&[]), None);
        assert_eq!(oid_text(&[0x55, 0x04, 0x03]).as_deref(), Some("2.5.4.3"));
        assert_eq!(
            oid_text(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01]).as_deref(),
            Some("1.2.840.113549.1.9.1")
        );
    }
}
