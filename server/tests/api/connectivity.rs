//! The connectivity test engine against the find-endpoint simulator: every verdict, mutual TLS
//! both ways, certificates, tokens, retries on a fake clock, the SSRF guard; then the pages:
//! endpoint, dry run, readiness, staff's official run, and a restart during a run.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use app::domain::{
    connectivity::{judge_readiness, readiness_passed, RetryPolicy, Verdict},
    endpoint::AddressPolicy,
};
use axum::{routing::get, Router};
use jose::{jwks, Alg, Signer};
use reqwest::StatusCode;
use rustls::pki_types::{pem::PemObject, PrivateKeyDer};
use server::connectivity::{
    engine::{Engine, EngineSettings, Sleeper},
    identity::{parse_certs, DevCa, Identity},
    profile::Profile,
};
use simulator::{Answer, RunningSimulator, ServerTls, SimulatorOptions};

use crate::helpers::{location, spawn_app_with, spawn_app_with_clock, TestApp, MANAGER, STAFF};

/// A test world: a CA for servers, a CA for the portal's client certificate, a signing key and
/// a JWKS server publishing it.
struct World {
    server_ca: DevCa,
    client_ca: DevCa,
    signer: Arc<Signer>,
    jwks_url: String,
}

async fn world() -> World {
    let signer = Arc::new(Signer::generate(Alg::Rs256).unwrap());
    let body = jwks(&[signer.public_jwk()]).to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let app = Router::new().route("/jwks.json", get(move || async move { body.clone() }));
        let _ = axum::serve(listener, app).await;
    });
    World {
        server_ca: DevCa::generate("Test server CA").unwrap(),
        client_ca: DevCa::generate("Test client CA").unwrap(),
        signer,
        jwks_url: format!("http://{addr}/jwks.json"),
    }
}

impl World {
    fn identity(&self, ca: &DevCa, signer: Arc<Signer>) -> Identity {
        let issued = ca.issue_client("portal test client").unwrap();
        Identity {
            client_chain: parse_certs(&issued.cert_pem).unwrap(),
            client_key: PrivateKeyDer::from_pem_slice(issued.key_pem.as_bytes()).unwrap(),
            client_ca_pem: ca.cert_pem.clone(),
            signer,
            dev_ca: None,
        }
    }

    fn engine_with(
        &self,
        identity: &Identity,
        policy: AddressPolicy,
        sleeper: Sleeper,
        total: Duration,
    ) -> Engine {
        Engine::new(
            identity,
            EngineSettings {
                connect_timeout: Duration::from_secs(2),
                total_timeout: total,
                retry: RetryPolicy::default(),
                issuer: "https://portal.test/synthetic-pfs".into(),
                audience: server::connectivity::engine::DEFAULT_AUDIENCE.into(),
                policy,
                extra_roots: parse_certs(&self.server_ca.cert_pem).unwrap(),
                profile: Profile::builtin(),
            },
            sleeper,
        )
        .unwrap()
    }

    fn engine(&self) -> (Engine, Arc<Mutex<Vec<Duration>>>) {
        let waits: Arc<Mutex<Vec<Duration>>> = Default::default();
        let sleeper = recording_sleeper(waits.clone());
        let identity = self.identity(&self.client_ca, self.signer.clone());
        (
            self.engine_with(
                &identity,
                AddressPolicy::dev(),
                sleeper,
                Duration::from_secs(2),
            ),
            waits,
        )
    }

    async fn simulator(&self, answer: Answer, require_client_cert: bool) -> RunningSimulator {
        self.simulator_with(answer, require_client_cert, (2024, 1, 1), (2044, 1, 1))
            .await
    }

    async fn simulator_with(
        &self,
        answer: Answer,
        require_client_cert: bool,
        not_before: (i32, u8, u8),
        not_after: (i32, u8, u8),
    ) -> RunningSimulator {
        let issued = self
            .server_ca
            .issue_server(&["127.0.0.1", "localhost"], not_before, not_after)
            .unwrap();
        simulator::start(SimulatorOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: ServerTls::Pem {
                cert_chain_pem: issued.cert_pem,
                key_pem: issued.key_pem,
            },
            client_ca_pem: require_client_cert.then(|| self.client_ca.cert_pem.clone()),
            jwks_url: Some(self.jwks_url.clone()),
            audience: server::connectivity::engine::DEFAULT_AUDIENCE.into(),
            answer,
            slow_for: Duration::from_secs(5),
            control: None,
        })
        .await
        .unwrap()
    }
}

fn recording_sleeper(waits: Arc<Mutex<Vec<Duration>>>) -> Sleeper {
    Arc::new(move |d| {
        waits.lock().unwrap().push(d);
        Box::pin(async {})
    })
}

pub(crate) fn url_of(sim: &RunningSimulator) -> String {
    format!("https://{}/find-requests", sim.local_addr())
}

#[tokio::test]
async fn each_answer_gets_its_verdict_with_mutual_tls_and_a_verified_token() {
    let w = world().await;
    let (engine, waits) = w.engine();
    for (answer, code, attempts) in [
        (Answer::Accepted, "acknowledged", 1),
        (Answer::Ok, "wrong_success_code", 1),
        (Answer::BadRequest, "rejected_format", 1),
        (Answer::Unauthorized, "not_trusted", 1),
        (Answer::ServerError, "unavailable", 1),
        (Answer::Slow, "timeout", 3),
        (Answer::Drop, "connection_dropped", 3),
    ] {
        let sim = w.simulator(answer, true).await;
        let mut seen = Vec::new();
        let judgement = engine
            .run(&url_of(&sim), |a| {
                seen.push(a);
                async {}
            })
            .await;
        assert_eq!(judgement.code, code, "{answer:?}: {judgement:?}");
        assert_eq!(seen.len(), attempts, "{answer:?} attempts");
        assert_eq!(
            judgement.verdict == Verdict::Pass,
            matches!(answer, Answer::Accepted)
        );
        let first = &seen[0];
        assert_eq!(
            first.tls.as_ref().map(|t| t.protocol.as_str()),
            Some("TLSv1.3")
        );
        let ids: std::collections::BTreeSet<_> =
            seen.iter().map(|a| a.x_request_id.clone()).collect();
        assert_eq!(ids.len(), seen.len(), "a new request id per attempt");
        if matches!(answer, Answer::Accepted | Answer::Ok) {
            // The simulator verified the token and the client certificate before answering.
            let requests = sim.requests();
            let last = requests.last().expect("the simulator saw the request");
            assert_eq!(
                last.request_id.as_deref(),
                Some(first.x_request_id.as_str())
            );
        }
    }
    assert_eq!(
        waits.lock().unwrap().clone(),
        vec![
            Duration::from_secs(2),
            Duration::from_secs(8),
            Duration::from_secs(2),
            Duration::from_secs(8)
        ],
        "timeouts and dropped connections are retried after 2 s, then 8 s"
    );
}

#[tokio::test]
async fn a_503_is_retried_until_the_endpoint_recovers_and_a_202_is_never_retried() {
    let w = world().await;
    let (engine, waits) = w.engine();
    let sim = w.simulator(Answer::ServerError, true).await;
    let judgement = engine.run(&url_of(&sim), |_| async {}).await;
    assert_eq!(judgement.code, "unavailable");
    assert!(waits.lock().unwrap().is_empty(), "500 is not retried");
    sim.set_answer(Answer::Accepted);
    let judgement = engine.run(&url_of(&sim), |_| async {}).await;
    assert_eq!(judgement.code, "acknowledged");
    assert!(waits.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_client_certificate_the_endpoint_does_not_trust_is_named_as_the_cause() {
    let w = world().await;
    let stranger = DevCa::generate("Someone else's CA").unwrap();
    let identity = w.identity(&stranger, w.signer.clone());
    let engine = w.engine_with(
        &identity,
        AddressPolicy::dev(),
        recording_sleeper(Default::default()),
        Duration::from_secs(2),
    );
    let sim = w.simulator(Answer::Accepted, true).await;
    let j = engine.run(&url_of(&sim), |_| async {}).await;
    assert_eq!(j.code, "client_certificate_rejected", "{j:?}");
    assert!(j.cause.contains("client certificate"), "{}", j.cause);
}

#[tokio::test]
async fn an_expired_server_certificate_fails_the_test_and_the_readiness_checks() {
    let w = world().await;
    let (engine, _) = w.engine();
    let sim = w
        .simulator_with(Answer::Accepted, true, (2020, 1, 1), (2021, 1, 1))
        .await;
    let j = engine.run(&url_of(&sim), |_| async {}).await;
    assert_eq!(j.code, "server_certificate", "{j:?}");
    assert!(j.cause.contains("expired"), "{}", j.cause);
    let probe = engine.probe(&url_of(&sim)).await;
    let checks = judge_readiness(&probe, chrono::Utc::now());
    assert!(!readiness_passed(&checks));
    assert!(checks[2].detail.contains("expired"), "{checks:?}");
}

#[tokio::test]
async fn readiness_passes_for_a_good_endpoint_and_fails_one_expiring_within_30_days() {
    let w = world().await;
    let (engine, _) = w.engine();
    let sim = w.simulator(Answer::Accepted, true).await;
    let checks = judge_readiness(&engine.probe(&url_of(&sim)).await, chrono::Utc::now());
    assert!(readiness_passed(&checks), "{checks:?}");
    // The same certificate 19 years on: 2044-01-01 is under 30 days away.
    let later = chrono::DateTime::parse_from_rfc3339("2043-12-15T00:00:00Z")
        .unwrap()
        .to_utc();
    let checks = judge_readiness(&engine.probe(&url_of(&sim)).await, later);
    assert!(!readiness_passed(&checks));
    assert!(
        checks[0].passed && checks[1].passed && !checks[2].passed,
        "{checks:?}"
    );
}

#[tokio::test]
async fn tokens_the_endpoint_cannot_verify_are_refused_with_401() {
    let w = world().await;
    // Signed with a key the JWKS does not publish.
    let other = Arc::new(Signer::generate(Alg::Rs256).unwrap());
    let identity = w.identity(&w.client_ca, other);
    let engine = w.engine_with(
        &identity,
        AddressPolicy::dev(),
        recording_sleeper(Default::default()),
        Duration::from_secs(2),
    );
    let sim = w.simulator(Answer::Accepted, true).await;
    let j = engine.run(&url_of(&sim), |_| async {}).await;
    assert_eq!(j.code, "not_trusted", "{j:?}");
    let seen = sim.requests();
    assert!(
        !seen.is_empty()
            && seen
                .iter()
                .all(|r| matches!(r.token, simulator::TokenVerdict::Rejected(_))),
        "the simulator rejected the token: {seen:?}"
    );
}

#[tokio::test]
async fn the_ssrf_guard_refuses_loopback_in_production_but_dev_allows_it() {
    let w = world().await;
    let identity = w.identity(&w.client_ca, w.signer.clone());
    let sim = w.simulator(Answer::Accepted, true).await;
    let production = w.engine_with(
        &identity,
        AddressPolicy::default(),
        recording_sleeper(Default::default()),
        Duration::from_secs(2),
    );
    let j = production.run(&url_of(&sim), |_| async {}).await;
    assert_eq!(j.code, "address_refused", "{j:?}");
    assert!(sim.requests().is_empty(), "nothing was sent");
    for url in [
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.1/find",
        "https://[::1]:8443/find",
    ] {
        let j = production.run(url, |_| async {}).await;
        assert_eq!(j.code, "address_refused", "{url}: {j:?}");
    }
    let allowed = AddressPolicy {
        allow: vec![app::domain::endpoint::Cidr::parse("127.0.0.0/8").unwrap()],
    };
    let operator = w.engine_with(
        &identity,
        allowed,
        recording_sleeper(Default::default()),
        Duration::from_secs(2),
    );
    assert_eq!(
        operator.run(&url_of(&sim), |_| async {}).await.code,
        "acknowledged"
    );
}

/// A simulator the test portal's engine trusts (issued by its dev CA), requiring the portal's
/// client certificate and verifying tokens against the portal's JWKS.
pub(crate) async fn simulator_for(
    app: &crate::helpers::TestApp,
    answer: Answer,
) -> RunningSimulator {
    let keys = std::env::temp_dir().join("pdp-portal-test-keys");
    let ca = DevCa::load(
        &std::fs::read_to_string(keys.join("dev-ca.pem")).unwrap(),
        &std::fs::read_to_string(keys.join("dev-ca-key.pem")).unwrap(),
    )
    .unwrap();
    let issued = ca
        .issue_server(&["127.0.0.1"], (2024, 1, 1), (2044, 1, 1))
        .unwrap();
    simulator::start(SimulatorOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        tls: ServerTls::Pem {
            cert_chain_pem: issued.cert_pem,
            key_pem: issued.key_pem,
        },
        client_ca_pem: Some(app.state.client_ca_pem.to_string()),
        jwks_url: Some(app.url("/.well-known/jwks.json")),
        audience: server::connectivity::engine::DEFAULT_AUDIENCE.into(),
        answer,
        slow_for: Duration::from_secs(30),
        control: None,
    })
    .await
    .unwrap()
}

/// Polls a run page until the run has finished; returns its HTML.
pub(crate) async fn finished_run(
    app: &crate::helpers::TestApp,
    c: &reqwest::Client,
    location: &str,
) -> String {
    for _ in 0..100 {
        let html = app.page_text(c, location).await;
        // The page never reloads itself (WCAG 2.2.1): it waits briefly for the result, then
        // offers a link to check again.
        assert!(
            !html.contains("http-equiv"),
            "a run page must not refresh itself"
        );
        if !html.contains("Check again") {
            return html;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the run at {location} did not finish");
}

#[tokio::test]
async fn a_service_manager_records_the_endpoint_fails_a_dry_run_fixes_it_and_passes() {
    let app = spawn_app_with(|_| {}, Router::new()).await;
    app.seed_accounts().await;
    let c = app.signed_in(MANAGER).await;
    // Bad input: a clear message and nothing saved.
    let r = app
        .post_form(
            &c,
            "/api/connectivity/endpoint/save",
            &[("url", "http://pensions.example/find")],
        )
        .await;
    assert_eq!(location(&r), "/organisation/endpoint");
    let html = app.page_text(&c, "/organisation/endpoint").await;
    assert!(
        html.contains("Enter a URL that starts with https://"),
        "{html}"
    );
    let sim = simulator_for(&app, Answer::Unauthorized).await;
    let url = url_of(&sim);
    let r = app
        .post_form(&c, "/api/connectivity/endpoint/save", &[("url", &url)])
        .await;
    assert_eq!(location(&r), "/organisation/endpoint");
    let html = app.page_text(&c, "/organisation/endpoint").await;
    assert!(html.contains("Your live find endpoint has been saved"));
    assert_eq!(
        app.audit_count(app::store::audit::AuditAction::FindEndpointChanged)
            .await,
        1
    );

    let r = app.post_form(&c, "/api/connectivity/dry-run", &[]).await;
    let run_page = location(&r);
    assert!(run_page.starts_with("/connectivity/runs/"), "{run_page}");
    let html = finished_run(&app, &c, &run_page).await;
    assert!(html.contains("Failed"), "{html}");
    assert!(html.contains("401"), "the cause names the status: {html}");
    assert!(html.contains("Exchange log"));

    sim.set_answer(Answer::Accepted);
    // A second dry run within 10 seconds waits (the clock is fixed, so move it on).
    let r = app.post_form(&c, "/api/connectivity/dry-run", &[]).await;
    assert_eq!(location(&r), "/organisation/endpoint", "rate limited");
    let html = app.page_text(&c, "/organisation/endpoint").await;
    assert!(html.contains("You can test it again at"), "{html}");
}

#[tokio::test]
async fn a_dry_run_passes_once_the_simulator_answers_202() {
    let (app, clock) = spawn_app_with_clock(|_| {}).await;
    app.seed_accounts().await;
    let c = app.signed_in(MANAGER).await;
    let sim = simulator_for(&app, Answer::Ok).await;
    app.post_form(
        &c,
        "/api/connectivity/endpoint/save",
        &[("url", &url_of(&sim))],
    )
    .await;
    let r = app.post_form(&c, "/api/connectivity/dry-run", &[]).await;
    let html = finished_run(&app, &c, &location(&r)).await;
    assert!(html.contains("PDP expects 202 Accepted"), "{html}");
    sim.set_answer(Answer::Accepted);
    clock.set(clock.now_for_tests() + chrono::Duration::seconds(11));
    let r = app.post_form(&c, "/api/connectivity/dry-run", &[]).await;
    let html = finished_run(&app, &c, &location(&r)).await;
    assert!(html.contains("Passed"), "{html}");
    assert!(html.contains("202"), "{html}");
    // The organisation's other users cannot start one; another organisation cannot see it.
    let other = app.signed_in(crate::helpers::OTHER_MANAGER).await;
    let r = other.get(app.url(&location(&r))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn jwks_and_the_client_ca_are_published() {
    let app = spawn_app_with(|_| {}, Router::new()).await;
    let r = app.get("/.well-known/jwks.json").await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    let key = &body["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["alg"], "RS256");
    assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()));
    assert!(key.get("d").is_none(), "no private part");
    let r = app.get("/connectivity/client-ca.pem").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r
        .text()
        .await
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
}

/// Answers yes to the three questions for scheme `s` and chooses the connection date.
async fn answer_and_choose_date(app: &TestApp, c: &reqwest::Client, s: i64) {
    for q in ["crypto-deployed", "connection-ready", "ready-for-live"] {
        app.post_form(
            c,
            "/api/oat/answer",
            &[
                ("scheme", &s.to_string()),
                ("question", q),
                ("answer", "yes"),
            ],
        )
        .await;
    }
    app.post_form(
        c,
        "/api/oat/connection-date",
        &[
            ("scheme", &s.to_string()),
            ("connection_date", "2026-12-08"),
        ],
    )
    .await;
}

/// "Check your answers" once the readiness checks have finished (or after 10 seconds).
async fn check_answers_once_checked(app: &TestApp, c: &reqwest::Client, s: i64) -> String {
    let mut html = String::new();
    for _ in 0..100 {
        html = app.page_text(c, &format!("/oat/{s}/check-answers")).await;
        if !html.contains("We are still checking") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    html
}

#[tokio::test]
async fn readiness_checks_block_sending_until_the_endpoint_passes() {
    let app = spawn_app_with(
        |c| c.connectivity.readiness = app::domain::connectivity::ReadinessMode::Block,
        Router::new(),
    )
    .await;
    app.seed_accounts().await;
    let c = app.signed_in(MANAGER).await;
    let s = crate::review::demo_scheme(&app).await;
    answer_and_choose_date(&app, &c, s).await;
    // No endpoint: the page says to record one, and sending is refused.
    let html = app.page_text(&c, &format!("/oat/{s}/check-answers")).await;
    assert!(html.contains("Record your live find endpoint"), "{html}");
    assert!(!html.contains(">Send request<"));
    let key = app::store::oat::draft(&app.db, s)
        .await
        .unwrap()
        .unwrap()
        .submission_key;
    let r = app
        .post_form(
            &c,
            "/api/oat/send",
            &[("scheme", &s.to_string()), ("submission_key", &key)],
        )
        .await;
    assert_eq!(location(&r), format!("/oat/{s}/check-answers"));
    assert_eq!(
        app.audit_count(app::store::audit::AuditAction::OatRequested)
            .await,
        0
    );

    // An expired certificate fails the checks with the cause shown.
    let sim = simulator_for(&app, Answer::Accepted).await;
    app.post_form(
        &c,
        "/api/connectivity/endpoint/save",
        &[("url", &url_of(&sim))],
    )
    .await;
    let html = check_answers_once_checked(&app, &c, s).await;
    assert!(
        html.contains(
            "Its certificate will not run out in the next 30 days (this portal&#39;s own check)"
        ) || html.contains(
            "Its certificate will not run out in the next 30 days (this portal's own check)"
        ),
        "{html}"
    );
    assert!(
        html.contains(">Send request<"),
        "passed checks allow sending: {html}"
    );
    let key = app::store::oat::draft(&app.db, s)
        .await
        .unwrap()
        .unwrap()
        .submission_key;
    let r = app
        .post_form(
            &c,
            "/api/oat/send",
            &[("scheme", &s.to_string()), ("submission_key", &key)],
        )
        .await;
    assert!(location(&r).ends_with("/sent"), "{}", location(&r));
}

/// An official run that finished: the demo organisation's endpoint is a simulator answering
/// 202, its request is sent and booked, and staff ran the test.
pub(crate) struct OfficialRun {
    pub app: TestApp,
    pub manager: reqwest::Client,
    pub staff: reqwest::Client,
    pub sim: RunningSimulator,
    pub request: i64,
    pub run_page: String,
    /// The run's page once it finished.
    pub html: String,
}

pub(crate) async fn official_run() -> OfficialRun {
    let app = spawn_app_with(|_| {}, Router::new()).await;
    app.seed_accounts().await;
    let manager = app.signed_in(MANAGER).await;
    let sim = simulator_for(&app, Answer::Accepted).await;
    app.post_form(
        &manager,
        "/api/connectivity/endpoint/save",
        &[("url", &url_of(&sim))],
    )
    .await;
    let request = crate::review::send_request(&app, &manager, "2026-12-08").await;
    let staff = app.signed_in(STAFF).await;
    schedule(&app, &staff, request).await;
    let r = app
        .post_form(
            &staff,
            "/api/staff/requests/connectivity-test",
            &[("id", &request.to_string())],
        )
        .await;
    let run_page = location(&r);
    assert!(run_page.starts_with("/connectivity/runs/"), "{run_page}");
    let html = finished_run(&app, &staff, &run_page).await;
    OfficialRun {
        app,
        manager,
        staff,
        sim,
        request,
        run_page,
        html,
    }
}

#[tokio::test]
async fn staff_run_the_official_test_and_record_the_pass_from_its_result() {
    let OfficialRun {
        app,
        manager,
        staff,
        request,
        run_page,
        html,
        ..
    } = official_run().await;
    assert!(html.contains("Record the test as passed"), "{html}");
    // The organisation sees the same exchange log.
    let html_org = app.page_text(&manager, &run_page).await;
    assert!(html_org.contains("Exchange log") && !html_org.contains("Record the test as passed"));
    let version = crate::review::request(&app, request).await.version;
    let r = app
        .post_form(
            &staff,
            "/api/staff/requests/outcome",
            &[
                ("id", &request.to_string()),
                ("version", &version.to_string()),
                ("outcome", "passed"),
            ],
        )
        .await;
    assert_eq!(location(&r), format!("/staff/requests/{request}/go-live"));
    // The pass names the run it rests on.
    let events = app::store::oat::events(&app.db, request).await.unwrap();
    let pass = events
        .iter()
        .find(|e| e.event == "Connectivity test 1 passed")
        .expect("the pass on the timeline");
    assert!(
        pass.detail.contains("202 Accepted in connectivity run "),
        "{}",
        pass.detail
    );
    assert_eq!(
        app.audit_count(app::store::audit::AuditAction::OfficialTestStarted)
            .await,
        1
    );
    assert_eq!(
        app.audit_count(app::store::audit::AuditAction::OatPassed)
            .await,
        1
    );
}

#[tokio::test]
async fn a_failed_official_run_prefills_the_failure_form() {
    let app = spawn_app_with(|_| {}, Router::new()).await;
    app.seed_accounts().await;
    let manager = app.signed_in(MANAGER).await;
    let sim = simulator_for(&app, Answer::Ok).await;
    app.post_form(
        &manager,
        "/api/connectivity/endpoint/save",
        &[("url", &url_of(&sim))],
    )
    .await;
    let request = crate::review::send_request(&app, &manager, "2026-12-08").await;
    let staff = app.signed_in(STAFF).await;
    schedule(&app, &staff, request).await;
    let r = app
        .post_form(
            &staff,
            "/api/staff/requests/connectivity-test",
            &[("id", &request.to_string())],
        )
        .await;
    let run_page = location(&r);
    finished_run(&app, &staff, &run_page).await;
    let run = run_page.rsplit('/').next().unwrap().to_string();
    let r = app
        .post_form(
            &staff,
            "/api/staff/requests/connectivity-failure",
            &[("run", &run)],
        )
        .await;
    assert_eq!(location(&r), format!("/staff/requests/{request}/failure"));
    let html = app.page_text(&staff, &location(&r)).await;
    assert!(
        html.contains("PDP expects 202 Accepted"),
        "cause filled in: {html}"
    );
}

#[tokio::test]
async fn a_run_cut_off_by_a_restart_is_marked_interrupted() {
    let (mut first, clock) = spawn_app_with_clock(|c| {
        c.connectivity.lease = Duration::from_secs(5);
        c.connectivity.total_timeout = Duration::from_secs(60);
    })
    .await;
    first.seed_accounts().await;
    let c = first.signed_in(MANAGER).await;
    let sim = simulator_for(&first, Answer::Slow).await;
    first
        .post_form(
            &c,
            "/api/connectivity/endpoint/save",
            &[("url", &url_of(&sim))],
        )
        .await;
    let r = first.post_form(&c, "/api/connectivity/dry-run", &[]).await;
    let run_page = location(&r);
    let id: i64 = run_page.rsplit('/').next().unwrap().parse().unwrap();
    for _ in 0..100 {
        let run = app::store::connectivity::get(&first.db, id)
            .await
            .unwrap()
            .unwrap();
        if run.status == "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The find request has reached the endpoint (which is slow to answer).
    for _ in 0..100 {
        if !sim.requests().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!sim.requests().is_empty(), "the find request was sent");
    // The process stops without finishing the run (as a crash would).
    let url = first.database.url.clone();
    drop(c);
    first.begin_shutdown();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let db = app::store::Db::connect(&url, &Default::default())
        .await
        .unwrap();
    let run = app::store::connectivity::get(&db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.status, "running", "still claimed after the stop");
    // A second run claimed by a worker that stopped before sending anything.
    let unsent = {
        use app::store::connectivity::{self as runs, NewRun, RunKind};
        let mut tx = db.begin_write().await.unwrap();
        let unsent = runs::insert(
            &mut tx,
            &NewRun {
                organisation_id: run.organisation_id,
                request_id: None,
                kind: RunKind::DryRun,
                target_url: &run.target_url,
                profile: &run.profile,
                requested_by: run.requested_by,
            },
            clock.now_for_tests(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let now = clock.now_for_tests();
        assert!(
            runs::claim(&db, unsent, now, now + chrono::Duration::seconds(5))
                .await
                .unwrap()
        );
        unsent
    };
    // Past the lease, the next worker marks the one that was sending interrupted (its request
    // may have reached the endpoint), and queues the one that sent nothing again.
    clock.set(clock.now_for_tests() + chrono::Duration::seconds(10));
    let released = app::store::connectivity::release_abandoned(&db, clock.now_for_tests())
        .await
        .unwrap();
    assert_eq!(released, (1, 1), "(queued again, interrupted)");
    let run = app::store::connectivity::get(&db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.status, "interrupted");
    assert!(run.cause.contains("stopped while this test was running"));
    let again = app::store::connectivity::get(&db, unsent)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.status.as_str(), again.started_at), ("queued", None));
    let queued = app::store::connectivity::queued(&db, 10).await.unwrap();
    assert_eq!(
        queued.iter().map(|r| r.id).collect::<Vec<_>>(),
        [unsent],
        "the next worker takes it"
    );
    // Nothing more to release: each run is released once.
    assert_eq!(
        app::store::connectivity::release_abandoned(&db, clock.now_for_tests())
            .await
            .unwrap(),
        (0, 0)
    );
}

pub(crate) async fn schedule(app: &crate::helpers::TestApp, staff: &reqwest::Client, request: i64) {
    let r = app
        .post_form(
            staff,
            "/api/staff/requests/schedule",
            &[
                ("id", &request.to_string()),
                ("version", "1"),
                ("test_date", "2026-11-26"),
                ("test_time", "2pm"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(location(&r), format!("/staff/requests/{request}"));
}

/// By default the readiness checks only advise: with no endpoint, and with one this portal cannot
/// reach, the page says why and that the request can still be sent, and sending works.
#[tokio::test]
async fn readiness_checks_advise_and_never_stop_a_request() {
    let app = spawn_app_with(
        |c| c.connectivity.readiness = app::domain::connectivity::ReadinessMode::Advise,
        Router::new(),
    )
    .await;
    app.seed_accounts().await;
    let c = app.signed_in(MANAGER).await;
    let s = crate::review::demo_scheme(&app).await;
    answer_and_choose_date(&app, &c, s).await;
    let html = app.page_text(&c, &format!("/oat/{s}/check-answers")).await;
    assert!(html.contains("This does not stop your request."), "{html}");
    assert!(html.contains(">Send request<"), "{html}");

    // An endpoint nothing listens at: the checks fail, with the advice, and sending still works.
    app.post_form(
        &c,
        "/api/connectivity/endpoint/save",
        &[("url", "https://127.0.0.1:9/find-requests")],
    )
    .await;
    let html = check_answers_once_checked(&app, &c, s).await;
    assert!(html.contains("These checks are this portal"), "{html}");
    assert!(html.contains("They do not stop your request"), "{html}");
    assert!(html.contains(">Send request<"), "{html}");
    let key = app::store::oat::draft(&app.db, s)
        .await
        .unwrap()
        .unwrap()
        .submission_key;
    let r = app
        .post_form(
            &c,
            "/api/oat/send",
            &[("scheme", &s.to_string()), ("submission_key", &key)],
        )
        .await;
    assert!(location(&r).ends_with("/sent"), "{}", location(&r));
    // Staff see the latest readiness result on the request, as the organisation did.
    let id = location(&r)
        .trim_start_matches("/requests/")
        .trim_end_matches("/sent")
        .to_string();
    let staff = app.signed_in(crate::helpers::STAFF).await;
    let page = app
        .page_text(&staff, &format!("/staff/requests/{id}"))
        .await;
    assert!(page.contains("Latest readiness checks"), "{page}");
    assert!(page.contains(">Failed<"), "{page}");
    assert!(page.contains("View the checks"), "{page}");
}
