//! `portal bench-connectivity`: many connectivity test attempts at once against a local
//! find-endpoint simulator (mutual TLS, token verified against a JWKS), on 127.0.0.1 only.
//!
//! Two phases with the same concurrency: a bare client sending a pre-signed request (the
//! simulator's own latency, TLS included), then the engine (resolve, address checks, new tokens
//! per attempt, TLS details, judgement). The engine's added time is the difference.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use axum::{routing::get, Router};

use crate::{
    connectivity::{
        engine::{client_config, tokio_sleeper, Engine, EngineSettings, DEFAULT_AUDIENCE},
        identity::{parse_certs, Identity, IdentitySettings},
        profile::Profile,
    },
    jose::Alg,
    simulator::{self, Answer, ServerTls, SimulatorOptions},
};

pub async fn run(runs: usize, concurrency: usize, alg: Alg) -> anyhow::Result<()> {
    let runs = runs.clamp(1, 100_000);
    let concurrency = concurrency.clamp(1, 1_000);
    let dir = std::env::temp_dir().join(format!("portal-bench-keys-{}", uuid::Uuid::new_v4()));
    let identity = Identity::load(&IdentitySettings::generated(dir.clone(), alg))?;
    let ca = identity.dev_ca.as_ref().context("a generated CA")?;
    let jwks_body = crate::jose::jwks(&[identity.signer.public_jwk()]).to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let jwks_addr = listener.local_addr()?;
    tokio::spawn(async move {
        let app = Router::new().route("/jwks.json", get(move || async move { jwks_body.clone() }));
        let _ = axum::serve(listener, app).await;
    });
    let issued = ca.issue_server(&["127.0.0.1"], (2024, 1, 1), (2044, 1, 1))?;
    let sim = simulator::start(SimulatorOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        tls: ServerTls::Pem {
            cert_chain_pem: issued.cert_pem,
            key_pem: issued.key_pem,
        },
        client_ca_pem: Some(identity.client_ca_pem.clone()),
        jwks_url: Some(format!("http://{jwks_addr}/jwks.json")),
        audience: DEFAULT_AUDIENCE.into(),
        answer: Answer::Accepted,
        slow_for: Duration::from_secs(40),
        control: None,
    })
    .await?;
    let url = format!("https://{}/find-requests", sim.local_addr());
    let engine = Arc::new(Engine::new(
        &identity,
        EngineSettings {
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            retry: Default::default(),
            issuer: "https://bench.invalid/synthetic-pfs".into(),
            audience: DEFAULT_AUDIENCE.into(),
            policy: app::domain::endpoint::AddressPolicy::dev(),
            extra_roots: parse_certs(&ca.cert_pem)?,
            profile: Profile::builtin(),
        },
        tokio_sleeper(),
    )?);

    // A bare client: the engine's own TLS settings (full handshake, the portal's certificate),
    // one request signed once and sent as is, a new connection each time. What it measures is
    // the simulator's latency with TLS: the floor for any client.
    let bare = Arc::new(Bare {
        tls: tokio_rustls::TlsConnector::from(Arc::new(client_config(
            &identity,
            &parse_certs(&ca.cert_pem)?,
        )?)),
        addr: sim.local_addr(),
        request: {
            let now = chrono::Utc::now().timestamp();
            let token = identity.signer.sign(&serde_json::json!({
                "iss": "https://bench.invalid/synthetic-pfs", "sub": "bench", "aud": DEFAULT_AUDIENCE,
                "name": "0000000000000000000000000000000000000000", "iat": now, "nbf": now, "exp": now + 3600,
            }))?;
            let body = serde_json::json!({ "user_token": token }).to_string();
            format!(
                "POST /find-requests HTTP/1.1\r\nHost: {}\r\nX-Request-ID: {}\r\n\
                 Content-Type: application/json\r\nAccept: application/json\r\n\
                 Connection: close\r\nContent-Length: {}\r\n\r\n{body}",
                sim.local_addr(),
                uuid::Uuid::new_v4(),
                body.len()
            )
            .into_bytes()
        },
    });

    // Warm up both paths (JWKS fetched, code paged in).
    for _ in 0..5 {
        let _ = engine.attempt(&url, 1).await;
        let _ = bare.send().await;
    }

    let (bare_times, bare_secs, bare_ok) = phase(runs, concurrency, {
        let bare = bare.clone();
        move || {
            let bare = bare.clone();
            async move { bare.send().await }
        }
    })
    .await;
    // Let the simulator finish closing the first phase's connections.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (engine_times, engine_secs, engine_ok) = phase(runs, concurrency, {
        let engine = engine.clone();
        let url = url.clone();
        move || {
            let engine = engine.clone();
            let url = url.clone();
            async move { engine.attempt(&url, 1).await.status == Some(202) }
        }
    })
    .await;
    sim.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);

    // What one token costs to sign: each attempt signs two (the user token and the find-request
    // token), one after the other on a core the simulator and the other attempts share.
    let sign_us = {
        let claims = serde_json::json!({"iss": "https://bench.invalid", "sub": "x", "aud": DEFAULT_AUDIENCE, "iat": 0, "nbf": 0, "exp": 60});
        let n = 200;
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(identity.signer.sign(std::hint::black_box(&claims))?);
        }
        t.elapsed().as_secs_f64() * 1e6 / f64::from(n)
    };

    let p = |v: &[f64], q: f64| percentile(v, q);
    let alg = alg.as_str();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("connectivity bench: {runs} attempts, {concurrency} at once, 127.0.0.1, mutual TLS, {alg} tokens verified by the simulator, {cores} cores");
    println!(
        "  simulator alone (bare client, pre-signed): {:.1} attempts/s, p50 {:.2} ms, p99 {:.2} ms, {bare_ok}/{runs} answered 202",
        runs as f64 / bare_secs,
        p(&bare_times, 0.50),
        p(&bare_times, 0.99)
    );
    println!(
        "  engine (new tokens, checks, TLS details):  {:.1} runs/s, p50 {:.2} ms, p99 {:.2} ms, {engine_ok}/{runs} passed",
        runs as f64 / engine_secs,
        p(&engine_times, 0.50),
        p(&engine_times, 0.99)
    );
    println!(
        "  engine added: p50 {:.2} ms, p99 {:.2} ms (goal: p99 under 20 ms)",
        p(&engine_times, 0.50) - p(&bare_times, 0.50),
        p(&engine_times, 0.99) - p(&bare_times, 0.99)
    );
    // With every core busy, each attempt waits for the work of the attempts ahead of it, so
    // the engine's extra CPU per attempt shows up about `concurrency / cores` times over.
    println!(
        "  one {alg} signature: {sign_us:.0} us; two per attempt, times {concurrency} at once over {cores} cores: {:.1} ms of waiting added by signing alone",
        2.0 * sign_us * concurrency as f64 / cores as f64 / 1000.0
    );
    Ok(())
}

/// The bare client: connect, full TLS handshake, one pre-built request, read the answer.
struct Bare {
    tls: tokio_rustls::TlsConnector,
    addr: SocketAddr,
    request: Vec<u8>,
}

impl Bare {
    async fn send(&self) -> bool {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let attempt = async {
            let tcp = tokio::net::TcpStream::connect(self.addr).await?;
            tcp.set_nodelay(true)?;
            let name = rustls::pki_types::ServerName::IpAddress(self.addr.ip().into());
            let mut tls = self.tls.connect(name, tcp).await?;
            tls.write_all(&self.request).await?;
            let mut answer = Vec::new();
            tls.read_to_end(&mut answer).await?;
            Ok::<_, std::io::Error>(answer.starts_with(b"HTTP/1.1 202"))
        };
        attempt.await.unwrap_or(false)
    }
}

/// Runs `make()` `runs` times with at most `concurrency` at once; latencies in ms, seconds in
/// all, and how many returned true.
async fn phase<F, Fut>(runs: usize, concurrency: usize, make: F) -> (Vec<f64>, f64, usize)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send + 'static,
{
    let slots = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(runs);
    for _ in 0..runs {
        let permit = slots.clone().acquire_owned().await;
        let fut = make();
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            let t = Instant::now();
            let ok = fut.await;
            (t.elapsed().as_secs_f64() * 1000.0, ok)
        }));
    }
    let mut times = Vec::with_capacity(runs);
    let mut ok = 0;
    for t in tasks {
        if let Ok((ms, good)) = t.await {
            times.push(ms);
            ok += usize::from(good);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    times.sort_by(|a, b| a.total_cmp(b));
    (times, secs, ok)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}
