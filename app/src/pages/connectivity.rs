//! The connectivity test pages: the organisation's live find endpoint with its dry runs, and a
//! run's result with the exchange log (the organisation and programme staff see the same).

use leptos::prelude::*;

use crate::error::AppError;

use crate::{
    api::{
        auth::take_flash,
        connectivity::{
            endpoint_page, readiness_checks, run_details, run_is_open, AttemptView, PrefillFailure,
            Readiness, RunInfo, RunSummary, SaveEndpoint, StartDryRun, StartOfficialRun,
        },
        review::RecordOutcome,
    },
    components::{ErrorSummary, PageTitle, SuccessBanner, TextInput},
    domain::connectivity::{ReadinessCheck, ReadinessMode},
};

/// What a [`ResultWatcher`] waits for.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Watch {
    /// A connectivity run, by id.
    Run(i64),
    /// The readiness checks on a scheme's "check your answers" page.
    Readiness { scheme: i64, submission_key: String },
}

/// The island on a page whose work is still in progress (a run, the readiness checks). In the
/// browser it asks the server again (each ask waits a few seconds for the result: a long poll)
/// and, once the result is there, puts the server's HTML for it in place of the element `target`
/// and says so in a status message. Without JavaScript the page offers "Check again"; nothing
/// reloads by itself (WCAG 2.2.1).
#[island]
pub fn ResultWatcher(watch: Watch, #[prop(into)] target: String) -> impl IntoView {
    let (message, announce) = signal(String::new());
    Effect::new(move |_| ask(watch.clone(), target.clone(), announce));
    view! { <p class="govuk-visually-hidden" role="status">{message}</p> }
}

fn ask(watch: Watch, target: String, announce: WriteSignal<String>) {
    leptos::task::spawn_local(async move {
        let result = match &watch {
            Watch::Run(id) => run_result_html(id.to_string()).await,
            Watch::Readiness {
                scheme,
                submission_key,
            } => crate::pages::oat::readiness_result_html(*scheme, submission_key.clone()).await,
        };
        match result {
            Ok(Some(html)) => {
                if let Some(element) = document().get_element_by_id(&target) {
                    element.set_inner_html(&html);
                }
                announce.set(match watch {
                    Watch::Run(_) => "The result is ready.".to_string(),
                    Watch::Readiness { .. } => "The checks have finished.".to_string(),
                });
            }
            Ok(None) => set_timeout(
                move || ask(watch, target, announce),
                std::time::Duration::from_secs(1),
            ),
            // Signed out, or the server is away: stop asking; "Check again" still works.
            Err(_) => {}
        }
    });
}

/// A finished run's result as the HTML its page shows; `None` while the run is still going.
#[server(prefix = "/api", endpoint = "connectivity/run/result")]
pub async fn run_result_html(id: String) -> Result<Option<String>, AppError> {
    let r = run_details(id).await?;
    if run_is_open(&r.status) {
        return Ok(None);
    }
    Ok(Some(view! { <RunResult r=r /> }.to_html()))
}

/// "Passed", "Failed", "Waiting to start" and so on, with the tag colour.
pub fn run_status(status: &str) -> (&'static str, &'static str) {
    match status {
        "queued" => ("Waiting to start", "govuk-tag govuk-tag--grey"),
        "running" => ("Running", "govuk-tag govuk-tag--blue"),
        "passed" => ("Passed", "govuk-tag govuk-tag--green"),
        "failed" => ("Failed", "govuk-tag govuk-tag--red"),
        _ => ("Interrupted", "govuk-tag govuk-tag--yellow"),
    }
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "readiness" => "Readiness checks",
        "official" => "Official connectivity test",
        _ => "Dry run",
    }
}

/// The organisation's live find endpoint: record it, test it, and what to trust.
#[component]
pub fn EndpointPageView() -> impl IntoView {
    let save = ServerAction::<SaveEndpoint>::new();
    let dry = ServerAction::<StartDryRun>::new();
    let data = Resource::new(
        move || (save.version().get(), dry.version().get()),
        |_| async move {
            let page = endpoint_page().await;
            let form = crate::pages::form_state("endpoint").await;
            let flash = take_flash().await.ok().flatten();
            (page, form, flash)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().map(|(page, form, flash)| match page {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(p) => {
                    let title = if form.has_errors() { "Error: Your live find endpoint" } else { "Your live find endpoint" };
                    let url_value = if form.value("url").is_empty() { p.url.clone().unwrap_or_default() } else { form.value("url") };
                    let test_error = form.error("test");
                    view! {
                        <PageTitle text=title />
                        <a href="/organisation" class="govuk-back-link">"Back"</a>
                        <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
                            {flash.map(|m| view! { <SuccessBanner message=m /> })}
                            <ErrorSummary form=form.clone() />
                            <span class="govuk-caption-l">{p.organisation.clone()}</span>
                            <h1 class="govuk-heading-l">"Your live find endpoint"</h1>
                            <p class="govuk-body">"This is where the pensions dashboards ecosystem sends find requests for your organisation. Programme staff send a synthetic find request to it during operational acceptance testing, and it must answer 202 Accepted."</p>
                            {if p.may_change {
                                view! {
                                    <ActionForm action=save attr:novalidate=true>
                                        <TextInput id="url" label="Live find endpoint URL" hint="The full https address, exactly as find requests should be sent to it, for example https://pensions.example.com/find-requests" value=url_value error=form.error("url") spellcheck_off=true />
                                        <button type="submit" class="govuk-button" data-prevent-double-click="true">"Save endpoint"</button>
                                    </ActionForm>
                                }.into_any()
                            } else {
                                view! {
                                    <p class="govuk-body">{match &p.url { Some(u) => format!("Your endpoint is {u}."), None => "Your organisation has not recorded its endpoint yet.".to_string() }}</p>
                                    <p class="govuk-body">"Only a service manager can change it or test it."</p>
                                }.into_any()
                            }}
                            {p.updated.clone().map(|at| view! { <p class="govuk-body-s">{format!("Last changed {at}.")}</p> })}

                            <h2 class="govuk-heading-m">"Test your endpoint"</h2>
                            <p class="govuk-body">"A dry run sends your endpoint the same synthetic find request as the official test, and shows you what happened. It does not change your request or its status."</p>
                            <div class="govuk-inset-text">"Your endpoint only answers 202 to the portal if it trusts the portal's test client certificate and its token signing key (below). PDP's own test uses PDP's certificates, so a pass here shows your endpoint works, not that PDP's request will be trusted."</div>
                            {p.next_dry_run.clone().map(|at| view! { <p class="govuk-body">{format!("You can test again from {at}.")}</p> })}
                            {(p.may_change && p.url.is_some()).then(|| {
                                let group = if test_error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" };
                                view! {
                                    <div class=group id="test">
                                        {test_error.clone().map(|e| view! { <p class="govuk-error-message"><span class="govuk-visually-hidden">"Error: "</span>{e}</p> })}
                                        <ActionForm action=dry>
                                            <button type="submit" class="govuk-button govuk-button--secondary" data-prevent-double-click="true">"Test my live find endpoint"</button>
                                        </ActionForm>
                                    </div>
                                }
                            })}
                            <RunList runs=p.runs.clone() caption="Your recent dry runs" />

                            <h2 class="govuk-heading-m">"Trusting the portal's test requests"</h2>
                            <dl class="govuk-summary-list">
                                <div class="govuk-summary-list__row">
                                    <dt class="govuk-summary-list__key">"Client CA certificate"</dt>
                                    <dd class="govuk-summary-list__value"><a class="govuk-link" href="/connectivity/client-ca.pem" download="connection-portal-client-ca.pem" rel="external">"Download the portal's client CA certificate (PEM)"</a></dd>
                                </div>
                                <div class="govuk-summary-list__row">
                                    <dt class="govuk-summary-list__key">"Token signing keys (JWKS)"</dt>
                                    <dd class="govuk-summary-list__value"><code>{p.jwks_url.clone()}</code></dd>
                                </div>
                                <div class="govuk-summary-list__row">
                                    <dt class="govuk-summary-list__key">"Token issuer"</dt>
                                    <dd class="govuk-summary-list__value"><code>{p.issuer.clone()}</code></dd>
                                </div>
                                <div class="govuk-summary-list__row">
                                    <dt class="govuk-summary-list__key">"Request body version"</dt>
                                    <dd class="govuk-summary-list__value">{p.profile.clone()}</dd>
                                </div>
                            </dl>
                            {p.impersonating_pdp.then(|| view! {
                                <div class="govuk-warning-text"><span class="govuk-warning-text__icon" aria-hidden="true">"!"</span><strong class="govuk-warning-text__text"><span class="govuk-visually-hidden">"Warning"</span>"This portal signs test tokens with PDP's own issuer name. Only endpoints that agreed to this should trust them."</strong></div>
                            })}
                        </div></div>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

#[component]
fn RunList(runs: Vec<RunSummary>, #[prop(into)] caption: String) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="govuk-body">"No tests yet."</p> }.into_any();
    }
    view! {
        <table class="govuk-table">
            <caption class="govuk-table__caption govuk-table__caption--s">{caption}</caption>
            <thead class="govuk-table__head"><tr class="govuk-table__row">
                <th scope="col" class="govuk-table__header">"Started"</th>
                <th scope="col" class="govuk-table__header">"Result"</th>
                <th scope="col" class="govuk-table__header">"Details"</th>
            </tr></thead>
            <tbody class="govuk-table__body">
                {runs.into_iter().map(|r| {
                    let (label, class) = run_status(&r.status);
                    view! {
                        <tr class="govuk-table__row">
                            <td class="govuk-table__cell">{r.started.clone()}</td>
                            <td class="govuk-table__cell"><strong class=class>{label}</strong></td>
                            <td class="govuk-table__cell"><a class="govuk-link" href=format!("/connectivity/runs/{}", r.id)>{format!("View test {}", r.id)}</a></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

/// A run's progress, then its result and exchange log.
#[component]
pub fn RunPage() -> impl IntoView {
    let id = crate::pages::route_param("id");
    let data = Resource::new(id, |id| async move { run_details(id).await });
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().map(|r| match r {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(r) => view! { <RunView r=r /> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn RunView(r: RunInfo) -> impl IntoView {
    let open = run_is_open(&r.status);
    let title = kind_label(&r.kind);
    let back = match (r.viewer_is_staff, r.request_id) {
        (true, Some(id)) => format!("/staff/requests/{id}"),
        (true, None) => "/staff".to_string(),
        (false, _) => "/organisation/endpoint".to_string(),
    };
    let id = r.id;
    view! {
        <PageTitle text=title />
        <a href=back class="govuk-back-link">"Back"</a>
        <div class="govuk-grid-row"><div class="govuk-grid-column-full">
            <span class="govuk-caption-l">{r.organisation.clone()}</span>
            <h1 class="govuk-heading-l">{title}</h1>
            <div id="run-result"><RunResult r=r /></div>
            {open.then(|| view! { <ResultWatcher watch=Watch::Run(id) target="run-result" /> })}
        </div></div>
    }
}

/// Everything on a run's page that changes as it runs.
#[component]
fn RunResult(r: RunInfo) -> impl IntoView {
    let open = run_is_open(&r.status);
    let (label, class) = run_status(&r.status);
    view! {
        <p class="govuk-body">"Status: " <strong class=class>{label}</strong></p>
        {if open {
            view! {
                <p class="govuk-body">{format!("We are sending the synthetic find request to {}. This usually takes a few seconds, and at most about 2 minutes with retries.", r.target_url)}</p>
                <p class="govuk-body"><a class="govuk-link" href=format!("/connectivity/runs/{}", r.id)>"Check again"<span class="govuk-visually-hidden">" for the result"</span></a></p>
            }.into_any()
        } else {
            view! { <Outcome r=r.clone() /> }.into_any()
        }}
        {(!r.checks.is_empty()).then(|| view! { <Checks checks=r.checks.clone() /> })}
        {r.has_evidence.then(|| view! { <EvidenceLinks id=r.id /> })}
        <ExchangeLog attempts=r.attempts.clone() />
    }
}

#[component]
fn Outcome(r: RunInfo) -> impl IntoView {
    let passed = r.status == "passed";
    let panel = if passed {
        view! {
            <div class="govuk-panel govuk-panel--confirmation">
                <h2 class="govuk-panel__title">"Passed"</h2>
                <div class="govuk-panel__body">{r.summary.clone()}</div>
            </div>
        }
        .into_any()
    } else {
        view! {
            <div class="govuk-error-summary" role="region" aria-labelledby="result-title">
                <h2 class="govuk-error-summary__title" id="result-title">{r.summary.clone()}</h2>
                <div class="govuk-error-summary__body">
                    {(!r.cause.is_empty()).then(|| view! { <p class="govuk-body">{r.cause.clone()}</p> })}
                    {(!r.fix.is_empty()).then(|| view! { <p class="govuk-body"><strong>"How to fix it: "</strong>{r.fix.clone()}</p> })}
                </div>
            </div>
        }.into_any()
    };
    let staff_actions = (r.may_record_outcome).then(|| {
        let id = r.request_id.unwrap_or_default().to_string();
        let version = r.request_version.unwrap_or_default().to_string();
        if passed {
            let record = ServerAction::<RecordOutcome>::new();
            view! {
                <h2 class="govuk-heading-m">"Record the result"</h2>
                <p class="govuk-body">"The endpoint acknowledged the request. Record the test as passed, then confirm the go-live date."</p>
                <ActionForm action=record>
                    <input type="hidden" name="id" value=id />
                    <input type="hidden" name="version" value=version />
                    <input type="hidden" name="outcome" value="passed" />
                    <button type="submit" class="govuk-button" data-prevent-double-click="true">"Record the test as passed"</button>
                </ActionForm>
            }.into_any()
        } else {
            let prefill = ServerAction::<PrefillFailure>::new();
            view! {
                <h2 class="govuk-heading-m">"Record the result"</h2>
                <p class="govuk-body">"Record the failure with this cause filled in; you can change it and arrange a support session."</p>
                <ActionForm action=prefill>
                    <input type="hidden" name="run" value=r.id.to_string() />
                    <button type="submit" class="govuk-button govuk-button--warning" data-prevent-double-click="true">"Record a failure"</button>
                </ActionForm>
            }.into_any()
        }
    });
    view! {
        {panel}
        {staff_actions}
    }
}

/// Where a finished run's evidence is: signed, and on a page to print.
#[component]
fn EvidenceLinks(id: i64) -> impl IntoView {
    view! {
        <h2 class="govuk-heading-m">"Evidence"</h2>
        <p class="govuk-body">"This run's evidence is signed by the portal, so anyone you give it to can check it has not been changed."</p>
        <ul class="govuk-list">
            <li><a class="govuk-link" href=format!("/connectivity/runs/{id}/evidence")>{format!("Evidence of connectivity run {id}, to read or print")}</a></li>
            <li><a class="govuk-link" href=format!("/connectivity/runs/{id}/evidence.jws") rel="external" download=crate::domain::connectivity::Evidence::file_name(id)>{format!("Download the signed evidence of run {id} (JWS)")}</a></li>
        </ul>
    }
}

#[component]
fn Checks(checks: Vec<ReadinessCheck>) -> impl IntoView {
    view! {
        <ul class="govuk-list">
            {checks.into_iter().map(|c| {
                let (label, class) = if c.passed { ("Passed", "govuk-tag govuk-tag--green") } else { ("Failed", "govuk-tag govuk-tag--red") };
                view! {
                    <li><strong class=class>{label}</strong>" " <strong>{c.name.clone()}</strong><br /><span class="govuk-body-s">{c.detail.clone()}</span></li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
fn ExchangeLog(attempts: Vec<AttemptView>) -> impl IntoView {
    if attempts.is_empty() {
        return None;
    }
    Some(view! {
        <h2 class="govuk-heading-m">"Exchange log"</h2>
        {attempts.into_iter().map(|a| {
            let status = a.http_status.map(|s| s.to_string()).unwrap_or_else(|| "No answer".into());
            let tls = match (&a.tls_protocol, &a.tls_cipher) {
                (Some(p), Some(c)) => format!("{p}, {c}"),
                (Some(p), None) => p.clone(),
                _ => "No TLS session".to_string(),
            };
            let certificate = a.server_subject.clone().map(|s| {
                let issuer = a.server_issuer.clone().map(|i| format!(", issued by {i}")).unwrap_or_default();
                let until = a.server_not_after.clone().map(|e| format!(", valid until {e}")).unwrap_or_default();
                format!("{s}{issuer}{until}")
            });
            let row = |k: &'static str, v: String| view! {
                <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">{k}</dt><dd class="govuk-summary-list__value">{v}</dd></div>
            };
            view! {
                <h3 class="govuk-heading-s">{format!("Attempt {}", a.attempt_no)}</h3>
                <dl class="govuk-summary-list">
                    {row("Sent", a.sent.clone())}
                    {row("URL", a.target_url.clone())}
                    {row("Address connected to", a.address.clone().unwrap_or_else(|| "No connection".into()))}
                    {row("Request ID", a.x_request_id.clone())}
                    {row("HTTP status", status)}
                    {row("Time taken", format!("{} ms", a.latency_ms))}
                    {row("TLS", tls)}
                    {certificate.map(|c| row("Server certificate", c))}
                    {row("Verdict", if a.passed { "Pass".to_string() } else { "Fail".to_string() })}
                    {row("What happened", a.cause.clone())}
                </dl>
                {(!a.response_headers.is_empty() || !a.body_excerpt.is_empty()).then(|| view! {
                    <details class="govuk-details">
                        <summary class="govuk-details__summary"><span class="govuk-details__summary-text">{format!("Response of attempt {}", a.attempt_no)}</span></summary>
                        <div class="govuk-details__text"><pre class="app-pre">{format!("{}\n{}", a.response_headers, a.body_excerpt)}</pre></div>
                    </details>
                })}
            }
        }).collect_view()}
    })
}

/// Staff's request page: run the official test and see its runs.
#[component]
pub fn OfficialRuns(request_id: i64, can_run: bool, runs: Vec<RunSummary>) -> impl IntoView {
    let start = ServerAction::<StartOfficialRun>::new();
    view! {
        <h2 class="govuk-heading-m">"Connectivity test"</h2>
        <p class="govuk-body">{crate::pages::process::OWN_CLIENT_NOTE}</p>
        {can_run.then(|| view! {
            <p class="govuk-body">"Send the synthetic find request to the organisation's live find endpoint. It passes when the endpoint answers 202 Accepted."</p>
            <ActionForm action=start>
                <input type="hidden" name="id" value=request_id.to_string() />
                <button type="submit" class="govuk-button govuk-button--secondary" data-prevent-double-click="true">"Run the connectivity test"</button>
            </ActionForm>
        })}
        <crate::pages::process::RunTable runs=runs />
    }
}

/// Staff's request page: the organisation's latest readiness checks, which it saw on "check
/// your answers" (advice from this portal, not PDP's test).
#[component]
pub fn LatestReadiness(run: Option<RunSummary>) -> impl IntoView {
    view! {
        <h2 class="govuk-heading-m">"Readiness checks"</h2>
        {match run {
            None => view! { <p class="govuk-body">"The organisation's endpoint has not been checked."</p> }.into_any(),
            Some(r) => {
                let (label, class) = run_status(&r.status);
                view! {
                    <p class="govuk-body">
                        {format!("Latest readiness checks, {}: ", r.started)}
                        <strong class=class>{label}</strong>" "
                        <a class="govuk-link" href=format!("/connectivity/runs/{}", r.id)>"View the checks"</a>
                    </p>
                    <p class="govuk-body-s">"These are this portal's own checks, run from its test client, not PDP's. The organisation sees the same result, and they do not stop a request."</p>
                }.into_any()
            }
        }}
    }
}

/// The readiness checks on "check your answers": progress, then each check.
#[component]
pub fn ReadinessPanel(r: Readiness) -> impl IntoView {
    if r.mode == ReadinessMode::Off {
        return None;
    }
    let blocking = r.mode == ReadinessMode::Block;
    let failed = r.status.as_deref() == Some("failed");
    Some(view! {
        <h2 class="govuk-heading-m">"Your live find endpoint"</h2>
        {match (&r.url, r.in_progress()) {
            (None, _) if blocking => view! {
                <p class="govuk-body">"Before you send your request, record your live find endpoint so we can check it is ready."</p>
                <p class="govuk-body"><a class="govuk-link" href="/organisation/endpoint">"Record your live find endpoint"</a></p>
            }.into_any(),
            (None, _) => view! {
                <p class="govuk-body">"You have not recorded your live find endpoint in this portal, so it could not check it. This does not stop your request."</p>
                <p class="govuk-body"><a class="govuk-link" href="/organisation/endpoint">"Record your live find endpoint"</a></p>
            }.into_any(),
            (Some(u), true) => view! {
                <p class="govuk-body" role="status">{format!("We are still checking {u}.")}</p>
                <p class="govuk-body"><a class="govuk-link" href="">"Check again"<span class="govuk-visually-hidden">" for the result of the checks"</span></a></p>
            }.into_any(),
            (Some(u), false) => view! {
                <p class="govuk-body">{format!("We checked {u}.")}</p>
                <Checks checks=r.checks.clone() />
                {(!r.allows_sending()).then(|| view! {
                    <div class="govuk-warning-text"><span class="govuk-warning-text__icon" aria-hidden="true">"!"</span><strong class="govuk-warning-text__text"><span class="govuk-visually-hidden">"Warning"</span>"You cannot send your request until your endpoint passes these checks. Fix the problem, then come back to this page."</strong></div>
                    <p class="govuk-body"><a class="govuk-link" href="/organisation/endpoint">"Change or test your live find endpoint"</a></p>
                })}
                {(failed && !blocking).then(|| view! {
                    <div class="govuk-inset-text">"These checks are this portal's advice, not PDP's test. If your endpoint accepts only PDP's own client certificate or addresses, a check from this portal cannot reach it and fails while your connection is fine. They do not stop your request: fix what applies to you, or send your request as it is."</div>
                    <p class="govuk-body"><a class="govuk-link" href="/organisation/endpoint">"Change or test your live find endpoint"</a></p>
                })}
            }.into_any(),
        }}
    })
}

/// The readiness result for the page that shows it.
pub fn readiness_resource() -> Resource<Result<Readiness, AppError>> {
    Resource::new(|| (), |_| async move { readiness_checks().await })
}
