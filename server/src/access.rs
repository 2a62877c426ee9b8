//! Who is asking, and may they: client address, CSRF guard, sign-in rate limit, sessions to
//! users, and the page guards by path. Server functions check again for themselves.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::Mutex,
    time::{Duration, Instant},
};

use app::auth::{
    session::{resolve, PortalSession},
    Authenticated, CurrentUser, RequestMeta,
};
use axum::{
    body::Body,
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderValue, Method, Response, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect},
};
use tower_sessions::Session;

use crate::{error_page, startup::AppState};

/// The client's address: the TCP peer, or the last X-Forwarded-For entry when the portal is
/// configured to trust its proxy (the proxy appends the address it saw; earlier entries are
/// whatever the client sent).
pub fn client_ip(request: &Request, trust_forwarded_for: bool) -> Option<IpAddr> {
    if trust_forwarded_for {
        // Only the last entry: if it is not an address, an earlier (client-written) one is no
        // substitute.
        let forwarded = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .and_then(|s| s.trim().parse::<IpAddr>().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// Records the client address and request id for audit rows.
pub async fn request_meta(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response<Body> {
    let meta = RequestMeta {
        client_ip: client_ip(&request, state.config.trust_forwarded_for).map(|ip| ip.to_string()),
        request_id: request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    };
    request.extensions_mut().insert(meta);
    next.run(request).await
}

/// Refuses state-changing requests that do not come from the portal's own pages:
/// `Sec-Fetch-Site` must be `same-origin` (`none`, a navigation the user started themselves, is
/// never a form of ours); without it, `Origin` must be the portal's public origin; with neither,
/// the request is refused.
pub async fn csrf_guard(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response<Body> {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && !same_origin(&request, &state.config.public_origin) {
        tracing::warn!(
            path = %crate::middleware::loggable_path(request.uri().path()),
            "refused a cross-site request"
        );
        let mut response = page(
            &state,
            StatusCode::FORBIDDEN,
            "This request was refused",
            "<p class=\"govuk-body\">The form you sent did not come from this portal, so nothing was changed.</p>\
             <p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/\">Go to the start page</a></p>",
        );
        response.headers_mut().insert(
            header::VARY,
            HeaderValue::from_static("Sec-Fetch-Site, Origin"),
        );
        return response;
    }
    next.run(request).await
}

fn same_origin(request: &Request, public_origin: &str) -> bool {
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin";
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => origin.eq_ignore_ascii_case(public_origin),
        None => false,
    }
}

/// A token bucket per client address for sign-in attempts.
#[derive(Debug)]
pub struct SignInLimiter {
    burst: f64,
    refill_every: Duration,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl SignInLimiter {
    pub fn new(burst: u32, refill_every: Duration) -> Self {
        Self {
            burst: f64::from(burst),
            refill_every,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token; or says how long until one is free.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let ip = bucket_of(ip);
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 100_000 {
            let (burst, every) = (self.burst, self.refill_every.as_secs_f64());
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() / every < burst
            });
        }
        let (tokens, at) = buckets.entry(ip).or_insert((self.burst, now));
        let refilled = now.duration_since(*at).as_secs_f64() / self.refill_every.as_secs_f64();
        *tokens = (*tokens + refilled).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(self.refill_every.mul_f64(1.0 - *tokens))
        }
    }
}

/// Whose bucket an address draws from: an IPv4 address its own; an IPv6 address its /64, since
/// one client is usually given a whole /64 and could otherwise take a fresh burst from each
/// address in it.
fn bucket_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(
                u128::from(v6) & !((1u128 << 64) - 1),
            )),
        },
    }
}

pub const SIGN_IN_PATH: &str = "/api/auth/sign-in";

/// 429 with Retry-After once a client address has used its burst of sign-in attempts.
pub async fn sign_in_rate_limit(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response<Body> {
    if request.method() == Method::POST && request.uri().path() == SIGN_IN_PATH {
        if let Some(ip) = client_ip(&request, state.config.trust_forwarded_for) {
            if let Err(wait) = state.sign_in_limiter.check(ip, Instant::now()) {
                let secs = wait.as_secs().max(1);
                tracing::warn!(%ip, retry_after = secs, "sign-in rate limit");
                let mut response = page(
                    &state,
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many attempts to sign in",
                    &format!("<p class=\"govuk-body\">Wait {secs} seconds, then try again.</p>"),
                );
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
                return response;
            }
        }
    }
    next.run(request).await
}

/// Works out who is signed in, puts it in the request for pages and server functions, and keeps
/// visitors and the wrong roles out of the signed-in areas.
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response<Body> {
    let user = match request.extensions().get::<Session>().cloned() {
        Some(session) => match resolve(&PortalSession(session), &state.services).await {
            Ok(user) => user,
            Err(e) => {
                let reference = error_page::new_reference();
                tracing::error!(%reference, error = %e, "could not resolve the session");
                return error_page::service_error_response(&state.page_assets.css, &reference);
            }
        },
        None => None,
    };
    let path = request.uri().path().to_string();
    if let Some(u) = user.as_ref() {
        if state.services.auth.staff_second_factor
            && u.must_set_up_second_factor()
            && !open_before_second_factor(&path)
        {
            tracing::info!(user_id = u.id, path = %crate::middleware::loggable_path(&path), "second factor to set up first");
            return if request.method() == Method::GET {
                Redirect::to(app::api::auth::SET_UP_PAGE).into_response()
            } else {
                page(
                    &state,
                    StatusCode::FORBIDDEN,
                    "Set up your second factor first",
                    "<p class=\"govuk-body\">Programme staff and admins sign in with a password and a code from an authenticator app.</p>\
                     <p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/account/second-factor\">Set up your second factor</a></p>",
                )
            };
        }
    }
    if let Some(refusal) = guard(
        &state,
        &path,
        request.uri().path_and_query().map(|p| p.as_str()),
        request.method(),
        user.as_ref(),
    ) {
        return refusal;
    }
    request.extensions_mut().insert(Authenticated(user));
    next.run(request).await
}

/// What programme staff who signed in with their password alone may reach: setting up the
/// second factor, signing out, and the pages anyone may read.
fn open_before_second_factor(path: &str) -> bool {
    const PREFIXES: [&str; 4] = [
        "/account/second-factor",
        "/api/account/second-factor/",
        "/api/auth/",
        "/api/forms/",
    ];
    const PAGES: [&str; 8] = [
        "/",
        "/sign-in",
        "/signed-out",
        "/help",
        "/accessibility",
        "/cookies",
        "/privacy",
        "/sign-in/code",
    ];
    PAGES.contains(&path) || PREFIXES.iter().any(|p| path.starts_with(p))
}

/// Which signed-in areas need what.
fn guard(
    state: &AppState,
    path: &str,
    path_and_query: Option<&str>,
    method: &Method,
    user: Option<&CurrentUser>,
) -> Option<Response<Body>> {
    let area = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    let allowed: fn(&CurrentUser) -> bool = if area("/account") {
        |_| true
    } else if area("/admin") {
        CurrentUser::is_admin
    } else if area("/staff") {
        CurrentUser::is_staff
    } else if area("/organisation") || area("/oat") || area("/requests") || area("/queries") {
        |u| u.organisation_id.is_some()
    } else {
        return None;
    };
    match user {
        None if *method == Method::GET => {
            let next = app::api::auth::urlencode(path_and_query.unwrap_or(path));
            Some(Redirect::to(&format!("/sign-in?next={next}")).into_response())
        }
        None => Some(StatusCode::UNAUTHORIZED.into_response()),
        Some(u) if allowed(u) => None,
        Some(u) => {
            tracing::warn!(user_id = u.id, path, "refused: wrong role for this area");
            Some(page(
                state,
                StatusCode::FORBIDDEN,
                "You do not have permission to view this page",
                "<p class=\"govuk-body\">This page is for other users of the portal.</p>\
                 <p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/\">Go to the start page</a></p>",
            ))
        }
    }
}

fn page(state: &AppState, status: StatusCode, title: &str, body: &str) -> Response<Body> {
    error_page::page_response(&state.page_assets.css, status, title, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(xff: Option<&str>) -> Request {
        let mut builder = axum::http::Request::builder().uri("/");
        if let Some(v) = xff {
            builder = builder.header("x-forwarded-for", v);
        }
        let mut r = builder.body(Body::empty()).unwrap();
        r.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 9], 4000))));
        r
    }

    #[test]
    fn forwarded_for_is_used_only_when_trusted_and_only_its_last_entry() {
        let peer: IpAddr = "10.0.0.9".parse().unwrap();
        let r = request(Some("198.51.100.7, 203.0.113.5"));
        assert_eq!(
            client_ip(&r, false),
            Some(peer),
            "not trusted: the TCP peer"
        );
        assert_eq!(
            client_ip(&r, true),
            Some("203.0.113.5".parse().unwrap()),
            "the proxy's entry"
        );
        let r = request(Some("198.51.100.7, not-an-address"));
        assert_eq!(
            client_ip(&r, true),
            Some(peer),
            "a bad last entry is not replaced by a forged earlier one"
        );
        assert_eq!(client_ip(&request(None), true), Some(peer));
    }

    #[test]
    fn an_ipv6_client_has_one_bucket_for_its_whole_64() {
        let limiter = SignInLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        let addr = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(limiter.check(addr("2001:db8:1:2::1"), t0).is_ok());
        assert!(limiter.check(addr("2001:db8:1:2::ffff"), t0).is_ok());
        // A third address in the same /64 finds the bucket empty.
        assert!(limiter
            .check(addr("2001:db8:1:2:abcd:ef01:2345:6789"), t0)
            .is_err());
        // The next /64 is someone else.
        assert!(limiter.check(addr("2001:db8:1:3::1"), t0).is_ok());
        // An IPv4-mapped address counts as the IPv4 address.
        assert!(limiter.check(addr("192.0.2.9"), t0).is_ok());
        assert!(limiter.check(addr("::ffff:192.0.2.9"), t0).is_ok());
        assert!(limiter.check(addr("192.0.2.9"), t0).is_err());
    }

    #[test]
    fn a_burst_then_429_then_refills() {
        let limiter = SignInLimiter::new(3, Duration::from_secs(6));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check(ip, t0).is_ok());
        }
        let wait = limiter.check(ip, t0).unwrap_err();
        assert!(wait <= Duration::from_secs(6) && wait > Duration::ZERO);
        // Another address is unaffected.
        assert!(limiter.check("192.0.2.2".parse().unwrap(), t0).is_ok());
        assert!(limiter.check(ip, t0 + Duration::from_secs(6)).is_ok());
        assert!(limiter.check(ip, t0 + Duration::from_secs(6)).is_err());
    }
}
