//! Metrics for operators, at `/metrics` in Prometheus's text format (through the `prometheus`
//! crate): requests and their latency by route and status, the database pool, the email
//! outbox, connectivity runs, and when the go-live job last succeeded. Only callers with the
//! bearer token `PORTAL_METRICS_TOKEN` may read it; without a token set it is not served.

use std::{
    sync::atomic::{AtomicI64, Ordering},
    time::Instant,
};

use axum::{
    body::Body,
    extract::{MatchedPath, Request, State},
    http::{header, HeaderValue, Response, StatusCode},
    middleware::Next,
    response::IntoResponse,
};
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::startup::AppState;

/// When the go-live job last finished a pass without error (Unix seconds; 0 before the first).
pub static GO_LIVE_LAST_SUCCESS: AtomicI64 = AtomicI64::new(0);

/// The portal's metrics, registered once per application.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool_size: IntGauge,
    pool_idle: IntGauge,
    pool_waiting: IntGauge,
    outbox_backlog: IntGauge,
    outbox_oldest_age: Gauge,
    runs: IntGaugeVec,
    go_live_last_success: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("portal".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "Requests answered, by route and status",
            ),
            &["route", "method", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time to answer a request, by route",
            )
            .buckets(vec![
                0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["route", "method"],
        )?;
        let pool_size = IntGauge::new("db_pool_connections", "Connections the pool holds")?;
        let pool_idle = IntGauge::new("db_pool_idle_connections", "Pool connections not in use")?;
        let pool_waiting = IntGauge::new(
            "db_pool_waiting",
            "Database calls waiting for a pool connection (calls in flight beyond the connections in use)",
        )?;
        let outbox_backlog = IntGauge::new("outbox_backlog", "Emails waiting to be sent")?;
        let outbox_oldest_age = Gauge::new(
            "outbox_oldest_age_seconds",
            "Age of the oldest email waiting to be sent (0 when none)",
        )?;
        let runs = IntGaugeVec::new(
            Opts::new(
                "connectivity_runs",
                "Connectivity runs by status: queued, running, and each verdict",
            ),
            &["status"],
        )?;
        let go_live_last_success = Gauge::new(
            "go_live_last_success_timestamp_seconds",
            "When the go-live job last finished a pass without error (Unix time)",
        )?;
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(pool_size.clone()),
            Box::new(pool_idle.clone()),
            Box::new(pool_waiting.clone()),
            Box::new(outbox_backlog.clone()),
            Box::new(outbox_oldest_age.clone()),
            Box::new(runs.clone()),
            Box::new(go_live_last_success.clone()),
        ] {
            registry.register(c)?;
        }
        Ok(Self {
            registry,
            requests,
            latency,
            pool_size,
            pool_idle,
            pool_waiting,
            outbox_backlog,
            outbox_oldest_age,
            runs,
            go_live_last_success,
        })
    }
}

/// The route a request is counted under: the route's pattern (`/staff/requests/{id}`), a server
/// function's own path (a fixed set), or "other" for anything unmatched, so labels stay few.
fn route_of(request: &Request) -> String {
    let path = request.uri().path();
    if path.starts_with("/api/") && path.len() <= 80 {
        return path.to_string();
    }
    match request.extensions().get::<MatchedPath>() {
        Some(m) => m.as_str().to_string(),
        None => "other".to_string(),
    }
}

/// Counts and times every request.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response<Body> {
    let route = route_of(&request);
    let method = request.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics
        .latency
        .with_label_values(&[&route, &method])
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .with_label_values(&[&route, &method, response.status().as_str()])
        .inc();
    response
}

/// Whether the request carries the metrics token (compared in constant time).
fn authorised(request: &Request, token: &str) -> bool {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>, request: Request) -> Response<Body> {
    let Some(token) = state.config.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !authorised(&request, token) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let m = &state.metrics;
    let db = &state.services.db;
    let (size, idle) = db.pool_stats();
    m.pool_size.set(i64::from(size));
    m.pool_idle.set(i64::try_from(idle).unwrap_or(i64::MAX));
    m.pool_waiting.set(app::store::waiting_for_connection(
        app::store::calls_in_flight(),
        size,
        idle,
    ));
    let now = state.services.clock.now();
    match app::store::outbox::backlog(db).await {
        Ok((count, oldest)) => {
            m.outbox_backlog.set(count);
            let age = oldest.map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1000.0);
            m.outbox_oldest_age.set(age);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: could not read the outbox"),
    }
    match app::store::connectivity::counts_by_status(db).await {
        Ok(counts) => {
            m.runs.reset();
            for status in ["queued", "running"] {
                m.runs.with_label_values(&[status]).set(0);
            }
            for (status, n) in counts {
                m.runs.with_label_values(&[&status]).set(n);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: could not count connectivity runs"),
    }
    m.go_live_last_success
        .set(GO_LIVE_LAST_SUCCESS.load(Ordering::Relaxed) as f64);
    let mut body = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&m.registry.gather(), &mut body) {
        tracing::error!(error = %e, "metrics: could not encode");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}
