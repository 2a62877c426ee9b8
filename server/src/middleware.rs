//! Response headers every response gets, cache rules, and the per-request log span.

use std::time::Duration;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderValue, Response},
    middleware::Next,
};
use tower_http::{request_id::RequestId, trace::MakeSpan};
use tracing::Span;

use crate::startup::AppState;

const PERMISSIONS_POLICY: &str = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), \
     magnetometer=(), microphone=(), payment=(), usb=(), interest-cohort=()";
const HSTS: &str = "max-age=31536000; includeSubDomains";
/// Hashed build outputs never change under the same name.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Unhashed public files (favicon and the like).
pub const SHORT_PUBLIC: &str = "public, max-age=3600";

/// Security headers on every response, whatever produced it (pages, server functions, static
/// files, 404s, panics). Pages bring their own CSP with a nonce; everything else gets the same
/// policy without one. Responses that did not choose a cache policy are `no-store`.
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response<Body> {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if state.config.is_production() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(v) = HeaderValue::from_str(&app::security::content_security_policy(None)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.remove(header::SERVER);
    response
}

/// Long cache lifetimes for hashed build outputs under `/pkg`, but only on success: a 404 must
/// not be cached for a year.
pub async fn immutable_assets(request: Request, next: Next) -> Response<Body> {
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status() == axum::http::StatusCode::NOT_MODIFIED {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    }
    response
}

/// A path as it may be written to logs: the secret in an invitation link is replaced.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.strip_prefix("/invitation/") {
        Some(rest) if !rest.is_empty() => std::borrow::Cow::Borrowed("/invitation/[redacted]"),
        _ => std::borrow::Cow::Borrowed(path),
    }
}

/// Opens one span per request carrying the request id, method and path (never the query string,
/// which may hold tokens, and never an invitation's token: see [`loggable_path`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &axum::http::Request<B>) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .and_then(|id| id.header_value().to_str().ok())
            .unwrap_or("-");
        let upstream = request
            .extensions()
            .get::<UpstreamRequestId>()
            .map(|id| id.0.as_str());
        tracing::info_span!(
            "request",
            request_id = %request_id,
            upstream_request_id = upstream,
            method = %request.method(),
            path = %loggable_path(request.uri().path()),
        )
    }
}

/// Logs the outcome of each request inside its span: status and latency in milliseconds.
pub fn log_response<B>(response: &axum::http::Response<B>, latency: Duration, _span: &Span) {
    let status = response.status().as_u16();
    let latency_ms = latency.as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::error!(status, latency_ms, "request failed");
    } else {
        tracing::info!(status, latency_ms, "request finished");
    }
}

/// The id a trusted proxy gave the request (kept beside the portal's own, never instead of it).
#[derive(Clone, Debug)]
pub struct UpstreamRequestId(pub String);

/// Every request gets the portal's own id (made by the next layer), so a client cannot choose the
/// id that logs and audit rows carry. Behind a trusted proxy (`PORTAL_TRUST_FORWARDED_FOR`) a
/// well-formed incoming `X-Request-ID` (1 to 64 letters, digits, dots, dashes or underscores) is
/// kept as the upstream id, to match the proxy's logs with ours.
pub async fn request_ids(
    State(trust_proxy): State<bool>,
    mut request: Request,
    next: Next,
) -> Response<Body> {
    if let Some(incoming) = request.headers_mut().remove("x-request-id") {
        let upstream = incoming.to_str().ok().filter(|v| {
            trust_proxy
                && !v.is_empty()
                && v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        });
        if let Some(id) = upstream.map(str::to_string) {
            request.extensions_mut().insert(UpstreamRequestId(id));
        }
    }
    next.run(request).await
}

/// Refuses request bodies over the configured limit with 413, except the CSV upload of schemes,
/// which may carry a file of up to 1 MB.
pub async fn body_limit(
    State(limit): State<usize>,
    request: Request,
    next: Next,
) -> Response<Body> {
    use tower::ServiceExt;
    let limit = if request.uri().path() == app::api::schemes::ssr::UPLOAD_PAGE {
        limit.max(crate::upload::UPLOAD_BODY_LIMIT)
    } else {
        limit
    };
    let inner = next.map_request(|r: Request<tower_http::body::Limited<Body>>| r.map(Body::new));
    match tower_http::limit::RequestBodyLimit::new(inner, limit)
        .oneshot(request)
        .await
    {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

/// Pages and server functions run to the end even when the browser goes away mid-request.
///
/// When a client disconnects, hyper drops the response future. For a server-rendered page that
/// tears down the page's reactive owner while its data loaders may still be running on the other
/// worker thread; in Leptos 0.8 a loader that then looks up its context can deadlock that thread
/// for good (seen under `wrk`: a worker stuck in `OwnerInner::drop` inside `use_context`, and the
/// process unable to stop). Running the request in its own task means nothing is torn down until
/// the page is finished. A disconnect also no longer cuts a server function off half-way.
pub async fn run_to_completion(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response<Body> {
    match state.lifecycle.requests.spawn(next.run(request)).await {
        Ok(response) => response,
        // A panic carries on to the panic layer outside, which shows the service error page
        // with a reference.
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => {
            tracing::error!(error = %e, "a request's task was cancelled");
            let mut response =
                Response::new(Body::from("Sorry, there is a problem with the service"));
            *response.status_mut() = axum::http::StatusCode::SERVICE_UNAVAILABLE;
            response
        }
    }
}
