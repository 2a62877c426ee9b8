//! The connectivity test engine: one synthetic find request to an organisation's live find
//! endpoint, over mutual TLS, judged on its status code; retries as the domain rules say; and
//! the TLS-only readiness probe. Readiness checks, dry runs and PDP's official run all use it.
//!
//! The connection is made by hand (resolve, check every address against the SSRF rules, TCP,
//! TLS, HTTP/1.1) so that the addresses checked are the ones connected to, so the TLS details
//! can be recorded, and so redirects are never followed.

use std::{
    future::Future,
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use app::domain::{
    connectivity::{
        excerpt, judge, next_step, Judgement, Observation, RetryPolicy, Step, TlsFacts, Verdict,
    },
    endpoint::AddressPolicy,
};
use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use http::{header, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls::{
    pki_types::{CertificateDer, ServerName},
    AlertDescription, CertificateError, ClientConfig, RootCertStore,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;
use tokio_rustls::{client::TlsStream, TlsConnector};

use super::{identity::Identity, profile::Profile};
use jose::Signer;

/// The most of a response body kept for the exchange log.
pub const BODY_EXCERPT_BYTES: usize = 4096;

/// PDP's live C&A audience, the default `aud` of the user token.
pub const DEFAULT_AUDIENCE: &str = "https://auth.find-your-pensions.service.gov.uk/am/oauth2";
/// The issuer PDP's own find requests carry: used only when an operator turns impersonation on.
pub const PDP_ISSUER: &str = "http://pensionsdashboard.org/pfsissuer";

pub type Sleeper = Arc<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Real waiting (tests pass a recording one).
pub fn tokio_sleeper() -> Sleeper {
    Arc::new(|d| Box::pin(tokio::time::sleep(d)))
}

#[derive(Clone)]
pub struct EngineSettings {
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
    pub retry: RetryPolicy,
    pub issuer: String,
    pub audience: String,
    pub policy: AddressPolicy,
    /// Trusted for endpoints' server certificates besides the public web roots.
    pub extra_roots: Vec<CertificateDer<'static>>,
    pub profile: Profile,
}

/// One attempt, as recorded in the exchange log.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub attempt_no: u32,
    pub sent_at: DateTime<Utc>,
    pub url: String,
    pub x_request_id: String,
    pub status: Option<u16>,
    pub latency: Duration,
    /// The address connected to (after resolving and checking), when a connection was made.
    pub address: Option<String>,
    pub tls: Option<TlsFacts>,
    pub observation: Observation,
    pub judgement: Judgement,
    pub response_headers: String,
    pub body_excerpt: String,
}

pub struct Engine {
    tls: TlsConnector,
    signer: Arc<Signer>,
    settings: EngineSettings,
    sleeper: Sleeper,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("profile", &self.settings.profile.name)
            .field("issuer", &self.settings.issuer)
            .finish_non_exhaustive()
    }
}

/// The TLS client the engine connects with: public roots and the operator's extra ones, TLS 1.2
/// or 1.3, the portal's client certificate, HTTP/1.1. No session resumption: every attempt makes
/// a full handshake, so each one checks the server's certificate and presents the portal's
/// (a resumed session would skip both and could pass an endpoint that no longer trusts us).
pub fn client_config(
    identity: &Identity,
    extra_roots: &[CertificateDer<'static>],
) -> anyhow::Result<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for cert in extra_roots {
        roots
            .add(cert.clone())
            .context("a trusted root certificate could not be used")?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("TLS versions")?
        .with_root_certificates(roots)
        .with_client_auth_cert(
            identity.client_chain.clone(),
            identity.client_key.clone_key(),
        )
        .context("the portal's client certificate and key do not match")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.resumption = rustls::client::Resumption::disabled();
    Ok(config)
}

impl Engine {
    pub fn new(
        identity: &Identity,
        settings: EngineSettings,
        sleeper: Sleeper,
    ) -> anyhow::Result<Self> {
        let config = client_config(identity, &settings.extra_roots)?;
        Ok(Self {
            tls: TlsConnector::from(Arc::new(config)),
            signer: identity.signer.clone(),
            settings,
            sleeper,
        })
    }

    /// Signs a statement with the portal's token key, the key published at
    /// `/.well-known/jwks.json` (the evidence of a run is one).
    pub fn sign(&self, claims: &serde_json::Value) -> Result<String, jose::JoseError> {
        self.signer.sign(claims)
    }

    pub fn profile_name(&self) -> &str {
        &self.settings.profile.name
    }

    /// The TLS-only probe behind the readiness checks: resolve, connect, handshake.
    pub async fn probe(&self, url: &str) -> Result<TlsFacts, Observation> {
        let target = Target::parse(url)?;
        let connect = async {
            let (tls, facts) = self.connect(&target, &mut None).await?;
            drop(tls);
            Ok(facts)
        };
        match tokio::time::timeout(self.settings.total_timeout, connect).await {
            Ok(r) => r,
            Err(_) => Err(Observation::Timeout),
        }
    }

    /// Sends the find request, retrying as the policy says; `record` sees each attempt as it
    /// ends. Returns the last attempt's judgement.
    pub async fn run<F, Fut>(&self, url: &str, mut record: F) -> Judgement
    where
        F: FnMut(Attempt) -> Fut,
        Fut: Future<Output = ()>,
    {
        let mut made = 0;
        loop {
            made += 1;
            let attempt = self.attempt(url, made).await;
            let observation = attempt.observation.clone();
            let judgement = attempt.judgement.clone();
            record(attempt).await;
            match next_step(&self.settings.retry, made, &observation) {
                Step::Stop => return judgement,
                Step::RetryAfter(wait) => (self.sleeper)(wait).await,
            }
        }
    }

    /// One attempt with a new request id and new tokens.
    pub async fn attempt(&self, url: &str, attempt_no: u32) -> Attempt {
        let x_request_id = uuid::Uuid::new_v4().to_string();
        let sent_at = Utc::now();
        let started = Instant::now();
        let mut tls_facts = None;
        let mut address = None;
        let outcome = tokio::time::timeout(
            self.settings.total_timeout,
            self.exchange(url, &x_request_id, &mut address, &mut tls_facts),
        )
        .await
        .unwrap_or(Err(Observation::Timeout));
        let latency = started.elapsed();
        let (observation, headers, body) = match outcome {
            Ok(answer) => (
                Observation::Answered {
                    status: answer.status,
                    retry_after: answer.retry_after,
                },
                answer.headers,
                answer.body,
            ),
            Err(obs) => (obs, String::new(), String::new()),
        };
        let judgement = judge(&observation);
        let status = match &observation {
            Observation::Answered { status, .. } => Some(*status),
            _ => None,
        };
        tracing::info!(
            url,
            x_request_id,
            attempt_no,
            status,
            latency_ms = latency.as_millis() as u64,
            verdict = ?judgement.verdict,
            code = judgement.code,
            "find request attempt"
        );
        Attempt {
            attempt_no,
            sent_at,
            url: url.to_string(),
            x_request_id,
            status,
            latency,
            address,
            tls: tls_facts,
            observation,
            judgement,
            response_headers: headers,
            body_excerpt: body,
        }
    }

    async fn exchange(
        &self,
        url: &str,
        x_request_id: &str,
        address: &mut Option<String>,
        tls_facts: &mut Option<TlsFacts>,
    ) -> Result<Answer, Observation> {
        let target = Target::parse(url)?;
        let (tls, facts) = self.connect(&target, address).await?;
        *tls_facts = Some(facts);
        let body = self.body(x_request_id);
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| from_hyper(&e))?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        let request = Request::post(target.path_and_query.as_str())
            .header(header::HOST, target.authority.as_str())
            .header("x-request-id", x_request_id)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .header(
                header::USER_AGENT,
                concat!("pdp-connection-portal/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| Observation::TlsHandshakeFailed {
                detail: format!("could not build the request: {e}"),
            })?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| from_hyper(&e));
        let response = match response {
            Ok(r) => r,
            Err(obs) => {
                driver.abort();
                return Err(obs);
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| app::domain::connectivity::parse_retry_after(v, Utc::now()));
        let headers = summarise_headers(response.headers());
        // Keep at most 4 KiB of the body, and wait for it only briefly.
        let mut kept = Vec::new();
        let mut body = response.into_body();
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while kept.len() < BODY_EXCERPT_BYTES {
                match body.frame().await {
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            kept.extend_from_slice(&data);
                        }
                    }
                    _ => break,
                }
            }
        })
        .await;
        driver.abort();
        let (text, _cut) = excerpt(&kept, BODY_EXCERPT_BYTES);
        Ok(Answer {
            status: status.as_u16(),
            retry_after,
            headers,
            body: text,
        })
    }

    /// Resolves, checks each address, connects and shakes hands. `address` is set to the
    /// address connected to as soon as there is one, so a failed handshake still names it.
    async fn connect(
        &self,
        target: &Target,
        address: &mut Option<String>,
    ) -> Result<(TlsStream<TcpStream>, TlsFacts), Observation> {
        let deadline = self.settings.connect_timeout;
        let addrs = match tokio::time::timeout(deadline, resolve(target)).await {
            Ok(r) => r?,
            Err(_) => return Err(Observation::NameNotResolved),
        };
        let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
        if let Err((ip, refusal)) = self.settings.policy.check_all(&ips) {
            return Err(Observation::AddressRefused {
                reason: format!("{ip} is {refusal}"),
            });
        }
        let tcp = tokio::time::timeout(deadline, async {
            let mut last = Observation::ConnectRefused;
            for addr in &addrs {
                match TcpStream::connect(addr).await {
                    Ok(s) => return Ok(s),
                    Err(e) => {
                        tracing::debug!(%addr, error = %e, "connect failed");
                        last = Observation::ConnectRefused;
                    }
                }
            }
            Err(last)
        })
        .await
        .map_err(|_| Observation::ConnectTimeout)??;
        let _ = tcp.set_nodelay(true);
        *address = tcp.peer_addr().ok().map(|a| a.to_string());
        let name = ServerName::try_from(target.host.clone()).map_err(|_| {
            Observation::TlsHandshakeFailed {
                detail: "the host name cannot be used for TLS".into(),
            }
        })?;
        let tls = tokio::time::timeout(deadline, self.tls.connect(name, tcp))
            .await
            .map_err(|_| Observation::TlsHandshakeFailed {
                detail: "the TLS handshake did not finish within the connect time limit".into(),
            })?
            .map_err(|e| from_io(&e).unwrap_or(Observation::ConnectionDropped))?;
        let facts = {
            let (_, conn) = tls.get_ref();
            let protocol = match conn.protocol_version() {
                Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
                Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
                Some(other) => format!("{other:?}"),
                None => "unknown".to_string(),
            };
            let (subject, issuer, not_after) = conn
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|der| describe_certificate(der))
                .unwrap_or_else(|| ("(none)".to_string(), "(none)".to_string(), Utc::now()));
            let cipher = conn
                .negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite()))
                .unwrap_or_else(|| "unknown".to_string());
            TlsFacts {
                protocol,
                cipher,
                server_subject: subject,
                server_issuer: issuer,
                server_not_after: not_after,
            }
        };
        Ok((tls, facts))
    }

    fn body(&self, x_request_id: &str) -> Vec<u8> {
        let now = Utc::now().timestamp();
        let sub = uuid::Uuid::new_v4().to_string();
        let name: String = hex::encode(Sha256::digest(sub.as_bytes()))
            .chars()
            .take(40)
            .collect();
        let s = &self.settings;
        let user_claims = json!({
            "iss": s.issuer, "sub": sub, "aud": s.audience, "name": name,
            "iat": now, "nbf": now, "exp": now + 60,
        });
        let user_token = self.signer.sign(&user_claims).unwrap_or_default();
        let mut fill = super::profile::Fill {
            user_token: &user_token,
            find_request_token: "",
            request_id: x_request_id,
            issuer: &s.issuer,
            audience: &s.audience,
        };
        let find_request_token;
        if s.profile.wants_find_request_token() {
            let mut claims = s.profile.find_request_claims(&fill);
            for (k, v) in [
                ("iss", json!(s.issuer)),
                ("aud", json!(s.audience)),
                ("iat", json!(now)),
                ("exp", json!(now + 60)),
                ("jti", json!(x_request_id)),
            ] {
                claims.insert(k.to_string(), v);
            }
            find_request_token = self
                .signer
                .sign(&serde_json::Value::Object(claims))
                .unwrap_or_default();
            fill.find_request_token = &find_request_token;
        }
        s.profile.body(&fill)
    }
}

struct Answer {
    status: u16,
    retry_after: Option<Duration>,
    headers: String,
    body: String,
}

/// The parts of the stored URL the connection needs.
struct Target {
    host: String,
    port: u16,
    authority: String,
    path_and_query: String,
}

impl Target {
    fn parse(url: &str) -> Result<Self, Observation> {
        let parsed = app::domain::connectivity::FindEndpointUrl::parse(url).map_err(|e| {
            Observation::TlsHandshakeFailed {
                detail: format!("the stored URL is not valid: {e}"),
            }
        })?;
        let rest = &parsed.as_str()["https://".len()..];
        let authority = rest
            .split(['/', '?'])
            .next()
            .unwrap_or_default()
            .to_string();
        Ok(Self {
            host: parsed.host().to_string(),
            port: parsed.port(),
            authority,
            path_and_query: parsed.path_and_query().to_string(),
        })
    }
}

async fn resolve(target: &Target) -> Result<Vec<SocketAddr>, Observation> {
    if let Ok(ip) = target.host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, target.port)]);
    }
    match tokio::net::lookup_host((target.host.as_str(), target.port)).await {
        Ok(addrs) => {
            let addrs: Vec<_> = addrs.collect();
            if addrs.is_empty() {
                Err(Observation::NameNotResolved)
            } else {
                Ok(addrs)
            }
        }
        Err(_) => Err(Observation::NameNotResolved),
    }
}

/// Subject and expiry of a DER certificate.
/// The certificate's subject, issuer and expiry.
fn describe_certificate(der: &CertificateDer<'_>) -> Option<(String, String, DateTime<Utc>)> {
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
    let not_after = Utc
        .timestamp_opt(cert.validity().not_after.timestamp(), 0)
        .single()?;
    Some((
        cert.subject().to_string(),
        cert.issuer().to_string(),
        not_after,
    ))
}

/// Response headers for the log: names and values, one per line, without cookies, at most 2 KiB.
fn summarise_headers(headers: &http::HeaderMap) -> String {
    let mut out = String::new();
    for (name, value) in headers {
        if name == header::SET_COOKIE || name == header::AUTHORIZATION {
            continue;
        }
        let line = format!("{}: {}\n", name, String::from_utf8_lossy(value.as_bytes()));
        if out.len() + line.len() > 2048 {
            break;
        }
        out.push_str(&line);
    }
    out
}

/// A TLS or connection failure from an I/O error, when it carries one.
fn from_io(e: &std::io::Error) -> Option<Observation> {
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return Some(from_tls(tls));
    }
    match e.kind() {
        std::io::ErrorKind::ConnectionReset
        | std::io::ErrorKind::ConnectionAborted
        | std::io::ErrorKind::UnexpectedEof
        | std::io::ErrorKind::BrokenPipe => Some(Observation::ConnectionDropped),
        _ => None,
    }
}

fn from_hyper(e: &hyper::Error) -> Observation {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if let Some(obs) = from_io(io) {
                return obs;
            }
        }
        if let Some(tls) = s.downcast_ref::<rustls::Error>() {
            return from_tls(tls);
        }
        source = s.source();
    }
    Observation::ConnectionDropped
}

fn from_tls(e: &rustls::Error) -> Observation {
    use rustls::Error as E;
    match e {
        E::InvalidCertificate(c) => Observation::ServerCertificateInvalid {
            detail: match c {
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    "your server's certificate has expired".into()
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    "your server's certificate is not valid yet".into()
                }
                CertificateError::UnknownIssuer => {
                    "your server's certificate was not issued by a certificate authority we trust".into()
                }
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => {
                    "your server's certificate is not valid for this host name".into()
                }
                CertificateError::Revoked => "your server's certificate has been revoked".into(),
                other => format!("your server's certificate could not be verified ({other:?})"),
            },
        },
        E::AlertReceived(
            AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateRequired
            | AlertDescription::AccessDenied
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateRevoked,
        ) => Observation::ClientCertificateRejected,
        E::AlertReceived(AlertDescription::ProtocolVersion)
        | E::PeerIncompatible(_) => Observation::TlsHandshakeFailed {
            detail: "your server and the portal have no TLS version in common (the portal uses TLS 1.2 or 1.3)".into(),
        },
        other => Observation::TlsHandshakeFailed {
            detail: other.to_string(),
        },
    }
}

/// Whether a judgement is a pass.
pub fn passed(j: &Judgement) -> bool {
    j.verdict == Verdict::Pass
}

/// The status line for a code, e.g. "202 Accepted".
pub fn status_line(code: u16) -> String {
    match StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{code} {reason}"),
        None => code.to_string(),
    }
}
