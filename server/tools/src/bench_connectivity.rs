//! `portal-tools bench-connectivity`: many connectivity test attempts at once against a local
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

use jose::Alg;
use server::connectivity::{
    engine::{client_config, tokio_sleeper, Engine, EngineSettings, DEFAULT_AUDIENCE},
    identity::{parse_certs, Identity, IdentitySettings},
    profile::Profile,
};
use simulator::{Answer, ServerTls, SimulatorOptions};

pub async fn run(runs: usize, concurrency: usize, rounds: usize, alg: Alg) -> anyhow::Result<()> {
    let runs = runs.clamp(1, 100_000);
    let rounds = rounds.clamp(1, 21);
    let concurrency = concurrency.clamp(1, 1_000);
    let dir = std::env::temp_dir().join(format!("portal-bench-keys-{}", uuid::Uuid::new_v4()));
    let identity = Identity::load(&IdentitySettings::generated(dir.clone(), alg))?;
    let ca = identity.dev_ca.as_ref().context("a generated CA")?;
    let jwks_body = jose::jwks(&[identity.signer.public_jwk()]).to_string();
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

    // The machine is shared and its speed drifts, so one phase after the other would measure the
    // drift as much as the engine. The phases alternate over several rounds, each round in the
    // other order from the last, and the median round is reported.
    let bare_phase = || {
        let bare = bare.clone();
        phase(runs, concurrency, move || {
            let bare = bare.clone();
            async move { bare.send().await }
        })
    };
    let engine_phase = || {
        let engine = engine.clone();
        let url = url.clone();
        phase(runs, concurrency, move || {
            let engine = engine.clone();
            let url = url.clone();
            async move { engine.attempt(&url, 1).await.status == Some(202) }
        })
    };
    // Lets the simulator finish closing a phase's connections.
    let settle = || tokio::time::sleep(Duration::from_millis(300));
    let mut rounds_seen = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let (bare_figures, engine_figures) = if round % 2 == 0 {
            let bare_figures = bare_phase().await;
            settle().await;
            (bare_figures, engine_phase().await)
        } else {
            let engine_figures = engine_phase().await;
            settle().await;
            (bare_phase().await, engine_figures)
        };
        settle().await;
        rounds_seen.push(Round::new(runs, &bare_figures, &engine_figures));
    }
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

    let alg = alg.as_str();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("connectivity bench: {rounds} rounds of {runs} attempts by a bare client and {runs} runs of the engine, {concurrency} at once, 127.0.0.1, mutual TLS, {alg} tokens verified by the simulator, {cores} cores");
    for (i, r) in rounds_seen.iter().enumerate() {
        println!(
            "  round {}: simulator alone (bare client, pre-signed) {:.1} attempts/s, p50 {:.2} ms, p99 {:.2} ms, {}/{runs} answered 202; \
             engine (new tokens, checks, TLS details) {:.1} runs/s, p50 {:.2} ms, p99 {:.2} ms, {}/{runs} passed; added p99 {:.2} ms",
            i + 1,
            r.bare_rate,
            r.bare_p50,
            r.bare_p99,
            r.bare_ok,
            r.engine_rate,
            r.engine_p50,
            r.engine_p99,
            r.engine_ok,
            r.added_p99()
        );
    }
    let Some(median) = Round::median(&rounds_seen) else {
        anyhow::bail!("no round finished");
    };
    println!(
        "  median round: simulator alone {:.1} attempts/s, p99 {:.2} ms; engine {:.1} runs/s, p99 {:.2} ms",
        median.bare_rate, median.bare_p99, median.engine_rate, median.engine_p99
    );
    println!(
        "  engine added (median round): p50 {:.2} ms, p99 {:.2} ms (goal: p99 under 20 ms); every run passed: {}",
        median.engine_p50 - median.bare_p50,
        median.added_p99(),
        rounds_seen.iter().all(|r| r.engine_ok == runs && r.bare_ok == runs)
    );
    // With every core busy, each attempt waits for the work of the attempts ahead of it, so
    // the engine's extra CPU per attempt shows up about `concurrency / cores` times over.
    println!(
        "  one {alg} signature: {sign_us:.0} us; two per attempt, times {concurrency} at once over {cores} cores: {:.1} ms of waiting added by signing alone",
        2.0 * sign_us * concurrency as f64 / cores as f64 / 1000.0
    );
    Ok(())
}

/// One round's figures: the bare client's and the engine's.
#[derive(Debug, Clone, Copy)]
struct Round {
    bare_rate: f64,
    bare_p50: f64,
    bare_p99: f64,
    bare_ok: usize,
    engine_rate: f64,
    engine_p50: f64,
    engine_p99: f64,
    engine_ok: usize,
}

impl Round {
    fn new(runs: usize, bare: &(Vec<f64>, f64, usize), engine: &(Vec<f64>, f64, usize)) -> Self {
        Self {
            bare_rate: runs as f64 / bare.1,
            bare_p50: percentile(&bare.0, 0.50),
            bare_p99: percentile(&bare.0, 0.99),
            bare_ok: bare.2,
            engine_rate: runs as f64 / engine.1,
            engine_p50: percentile(&engine.0, 0.50),
            engine_p99: percentile(&engine.0, 0.99),
            engine_ok: engine.2,
        }
    }

    fn added_p99(&self) -> f64 {
        self.engine_p99 - self.bare_p99
    }

    /// The round whose added p99 is the median (the lower middle one for an even count).
    fn median(rounds: &[Round]) -> Option<Round> {
        let mut sorted = rounds.to_vec();
        sorted.sort_by(|a, b| a.added_p99().total_cmp(&b.added_p99()));
        sorted.get(sorted.len().saturating_sub(1) / 2).copied()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn round(bare_p99: f64, engine_p99: f64) -> Round {
        Round::new(
            10,
            &(vec![0.5, 1.0, bare_p99], 1.0, 10),
            &(vec![0.5, 2.0, engine_p99], 2.0, 9),
        )
    }

    #[test]
    fn a_round_reads_its_phases() {
        let r = round(100.0, 130.0);
        assert_eq!((r.bare_rate, r.engine_rate), (10.0, 5.0));
        assert_eq!((r.bare_p50, r.engine_p50), (1.0, 2.0));
        assert_eq!((r.bare_ok, r.engine_ok), (10, 9));
        assert_eq!(r.added_p99(), 30.0);
    }

    #[test]
    fn the_median_round_is_the_middle_added_p99() {
        let rounds = [
            round(100.0, 190.0),
            round(100.0, 101.0),
            round(200.0, 215.0),
            round(100.0, 95.0),
            round(100.0, 140.0),
        ];
        assert_eq!(Round::median(&rounds).map(|r| r.added_p99()), Some(15.0));
        // An even count takes the lower middle one.
        assert_eq!(
            Round::median(&rounds[..4]).map(|r| r.added_p99()),
            Some(1.0)
        );
        assert!(Round::median(&[]).is_none());
    }
}
