//! A connectivity run's evidence, laid out to read and print, with the signed file and the one
//! command that checks it.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::{
    api::evidence::{run_evidence, EvidencePage},
    components::PageTitle,
    domain::connectivity::{AttemptEvidence, Evidence},
    pages::review::row,
};

fn utc(t: DateTime<Utc>) -> String {
    t.format("%-d %B %Y, %H:%M:%S UTC").to_string()
}

fn or_none(v: Option<String>) -> String {
    v.filter(|s| !s.is_empty()).unwrap_or_else(|| "None".into())
}

#[component]
pub fn EvidencePrintPage() -> impl IntoView {
    let id = crate::pages::route_param("id");
    let data = Resource::new(id, run_evidence);
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().map(|r| match r {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(page) => view! { <EvidenceView page=page /> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn EvidenceView(page: EvidencePage) -> impl IntoView {
    let e: Evidence = page.evidence;
    let title = format!("Evidence of connectivity run {}", e.run_id);
    let kind = if e.dry_run {
        "Dry run, started by the organisation"
    } else {
        "Official connectivity test"
    };
    view! {
        <PageTitle text=title.clone() />
        <a href=format!("/connectivity/runs/{}", e.run_id) class="govuk-back-link govuk-!-display-none-print">"Back"</a>
        <span class="govuk-caption-l">{e.organisation.clone()}</span>
        <h1 class="govuk-heading-l">{title}</h1>
        {e.dry_run.then(|| view! {
            <div class="govuk-warning-text">
                <span class="govuk-warning-text__icon" aria-hidden="true">"!"</span>
                <strong class="govuk-warning-text__text">
                    <span class="govuk-visually-hidden">"Warning"</span>
                    "This is a dry run. It is not the Pensions Dashboards Programme's official connectivity test."
                </strong>
            </div>
        })}
        <dl class="govuk-summary-list">
            {row("Kind", kind.to_string())}
            {row("Outcome", format!("{}{}", e.outcome, e.code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default()))}
            {row("Summary", e.summary.clone())}
            {(!e.cause.is_empty()).then(|| row("Cause", e.cause.clone()))}
            {row("OAT request", or_none(e.oat_request.clone()))}
            {row("Run by", or_none(e.run_by.clone()))}
            {row("Endpoint", e.endpoint_url.clone())}
            {row("Find request template", e.request_profile.clone())}
            {row("Queued", utc(e.queued_at))}
            {row("Started", e.started_at.map(utc).unwrap_or_else(|| "Not started".into()))}
            {row("Finished", e.finished_at.map(utc).unwrap_or_else(|| "Not finished".into()))}
            {row("Portal", e.portal.clone())}
        </dl>
        {e.attempts.into_iter().map(|a| view! { <AttemptSection a=a /> }).collect_view()}
        <h2 class="govuk-heading-m">"Check the signed evidence"</h2>
        <p class="govuk-body">
            "The same record, signed with the portal's token key: "
            <a class="govuk-link" href=page.download.clone() rel="external" download=page.file_name.clone()>{format!("download {}", page.file_name)}</a>"."
        </p>
        <p class="govuk-body">{format!("Anyone can check it against the portal's public keys at {}. With the jose and curl commands installed (Debian and Ubuntu package them), this prints the record only if the signature is the portal's and nothing was changed:", page.jwks_url)}</p>
        <pre class="app-pre"><code>{page.verify_command.clone()}</code></pre>
    }
}

#[component]
fn AttemptSection(a: AttemptEvidence) -> impl IntoView {
    let certificate = a.server_certificate.clone();
    view! {
        <h2 class="govuk-heading-m">{format!("Attempt {}", a.attempt)}</h2>
        <dl class="govuk-summary-list">
            {row("Request ID (X-Request-ID)", a.x_request_id.clone())}
            {row("Sent", utc(a.sent_at))}
            {row("URL", a.url.clone())}
            {row("Address connected to", or_none(a.resolved_address.clone()))}
            {row("TLS protocol", or_none(a.tls_protocol.clone()))}
            {row("TLS cipher suite", or_none(a.tls_cipher.clone()))}
            {row("Server certificate subject", or_none(certificate.as_ref().map(|c| c.subject.clone())))}
            {row("Server certificate issuer", or_none(certificate.as_ref().and_then(|c| c.issuer.clone())))}
            {row("Server certificate expires", or_none(certificate.as_ref().and_then(|c| c.expires_at).map(utc)))}
            {row("HTTP status", a.http_status.map(|s| s.to_string()).unwrap_or_else(|| "No answer".into()))}
            {row("Time taken", format!("{} ms", a.latency_ms))}
            {row("Verdict", format!("{} ({})", if a.verdict == "pass" { "Pass" } else { "Fail" }, a.code))}
            {row("What happened", a.cause.clone())}
        </dl>
        {(!a.response_first_bytes.is_empty()).then(|| view! {
            <h3 class="govuk-heading-s">{format!("First bytes of the response to attempt {}", a.attempt)}</h3>
            <pre class="app-pre">{a.response_first_bytes.clone()}</pre>
        })}
    }
}
