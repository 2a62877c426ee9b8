//! The organisation overview and the OAT request journey: start page, three questions, the
//! connection date, check answers, confirmation, and each request's page.

use leptos::prelude::*;

use crate::error::AppError;

use crate::{
    api::connectivity::Readiness,
    domain::connectivity::ReadinessMode,
    pages::connectivity::{ReadinessPanel, ResultWatcher, Watch},
};
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        auth::take_flash,
        oat::{
            oat_journey, oat_overview, request_detail, AnswerQuestion, Journey, SaveConnectionDate,
            SendRequest,
        },
    },
    components::{status_tag_class, ErrorSummary, PageTitle, SuccessBanner},
    domain::oat::{long_date, Answer, Question},
    forms::FormState,
};

/// A table body of providers and schemes (the overview's, and staff's view of an organisation),
/// as one string of HTML from [`rows_html`]: much cheaper than a view per row (see
/// docs/performance.md), and the rows hold nothing interactive.
#[component]
pub(crate) fn SchemeRows(rows: Vec<crate::api::oat::SchemeRow>) -> impl IntoView {
    let html = rows_html(&rows);
    view! { <tbody class="govuk-table__body" inner_html=html></tbody> }
}

/// Each provider or scheme as a table row (name, regulator, status tag, go-live date, next step),
/// written directly: text escaped as HTML text and attribute values as double-quoted
/// attributes, with the escaping Leptos itself uses. The tests hold it equal to the same row
/// written as a view (`tests::SchemeTableRow`), without the markers Leptos leaves for hydration.
pub(crate) fn rows_html(rows: &[crate::api::oat::SchemeRow]) -> String {
    use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
    use std::fmt::Write;
    // Leptos writes a single space for empty text, so that the text node exists.
    fn push_text(out: &mut String, s: &str) {
        if s.is_empty() {
            out.push(' ');
        } else {
            out.push_str(&text(s));
        }
    }
    let mut out = String::with_capacity(rows.len() * 420);
    for s in rows {
        out.push_str(
            r#"<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">"#,
        );
        push_text(&mut out, &s.name);
        if s.is_vouching {
            out.push_str(
                r#"<span class="govuk-body-s govuk-!-display-block">Vouching scheme</span>"#,
            );
        }
        out.push_str(r#"</th><td class="govuk-table__cell">"#);
        // One text node, as the view writes "TPR 10012345": never empty, so never the lone space.
        out.push_str(&text(&s.regulator));
        out.push(' ');
        out.push_str(&text(&s.regulator_number));
        let (label, class) = (s.status.label(), status_tag_class(s.status));
        let _ = write!(
            out,
            r#"</td><td class="govuk-table__cell"><strong class="{}">{}</strong></td><td class="govuk-table__cell">"#,
            attr(class),
            text(label)
        );
        match s.go_live {
            Some(d) => push_text(&mut out, &long_date(d)),
            None => {
                out.push_str("Not set");
                if let Some(p) = &s.pending {
                    out.push_str(r#"<span class="govuk-body-s govuk-!-display-block">"#);
                    push_text(&mut out, p);
                    out.push_str("</span>");
                }
            }
        }
        out.push_str(r#"</td><td class="govuk-table__cell">"#);
        if let Some((label, href)) = &s.next {
            let _ = write!(out, r#"<a href="{}" class="govuk-link">"#, attr(href));
            push_text(&mut out, label);
            out.push_str(r#"<span class="govuk-visually-hidden"> for "#);
            out.push_str(&text(&s.name));
            out.push_str("</span></a>");
        }
        if let Some(n) = &s.note {
            out.push_str(r#"<span class="govuk-body-s">"#);
            push_text(&mut out, n);
            out.push_str("</span>");
        }
        out.push_str("</td></tr>");
    }
    out
}

/// The organisation's home: its providers and schemes, their status, go-live date and next step.
#[component]
pub fn Overview() -> impl IntoView {
    let data = Resource::new(
        || (),
        |_| async move { (oat_overview().await, take_flash().await.ok().flatten()) },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || {
                data.get()
                    .map(|(o, flash)| match o {
                        Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                        Ok(o) => {
                            view! {
                                <PageTitle text="Your pension providers and schemes" />
                                {flash.map(|m| view! { <SuccessBanner message=m /> })}
                                <span class="govuk-caption-l">{o.organisation.clone()}</span>
                                <h1 class="govuk-heading-l">"Your pension providers and schemes"</h1>
                                {(!o.is_service_manager)
                                    .then(|| view! {
                                        <p class="govuk-body">"Only a service manager can request operational acceptance testing. You can follow progress here."</p>
                                    })}
                                {if o.schemes.is_empty() {
                                    view! { <p class="govuk-body">"No pension providers or schemes are registered for your organisation yet. Contact the Pensions Dashboards Programme."</p> }.into_any()
                                } else {
                                    view! {
                                        <table class="govuk-table">
                                            <caption class="govuk-table__caption govuk-table__caption--m">"Testing status and go-live dates"</caption>
                                            <thead class="govuk-table__head">
                                                <tr class="govuk-table__row">
                                                    <th scope="col" class="govuk-table__header">"Provider or scheme"</th>
                                                    <th scope="col" class="govuk-table__header">"Regulator"</th>
                                                    <th scope="col" class="govuk-table__header">"Testing status"</th>
                                                    <th scope="col" class="govuk-table__header">"Go-live date"</th>
                                                    <th scope="col" class="govuk-table__header">"Next step"</th>
                                                </tr>
                                            </thead>
                                            <SchemeRows rows=o.schemes />
                                        </table>
                                    }.into_any()
                                }}
                                {o.can_add_schemes.then(|| view! {
                                    <h2 class="govuk-heading-m">"Further providers and schemes"</h2>
                                    <p class="govuk-body">"Once your vouching scheme has passed operational acceptance testing, you can add further pension providers and schemes for the programme to approve."</p>
                                    <a href="/organisation/schemes/add" role="button" draggable="false" class="govuk-button govuk-button--secondary">"Add a pension provider or scheme"</a>
                                })}
                                <h2 class="govuk-heading-m">"Queries"</h2>
                                <p class="govuk-body">"If you are unsure of the expected timelines you can raise a query with the Pensions Dashboards Programme. "<a class="govuk-link" href="/queries">"See or raise queries"</a></p>
                                <h2 class="govuk-heading-m">"Your live find endpoint"</h2>
                                <p class="govuk-body">"Record the address find requests reach you at, and test it before operational acceptance testing."</p>
                                <p class="govuk-body"><a class="govuk-link" href="/organisation/endpoint">"Record or test your live find endpoint"</a></p>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

/// Start page: what OAT is, what to do first, what happens next.
#[component]
pub fn OatStart() -> impl IntoView {
    let scheme = crate::pages::route_param("scheme");
    let data = Resource::new(scheme, oat_journey);
    view! {
        <PageTitle text="Request operational acceptance testing" />
        <Suspense fallback=|| ()>
            {move || {
                data.get()
                    .map(|j| match j {
                        Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                        Ok(j) => view! {
                            <a href="/organisation" class="govuk-back-link">"Back"</a>
                            <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
                            <span class="govuk-caption-l">{j.scheme_name.clone()}</span>
                            <h1 class="govuk-heading-l">"Request operational acceptance testing"</h1>
                            <p class="govuk-body">"Operational acceptance testing (OAT) is the last step before your vouching scheme goes live. The Pensions Dashboards Programme tests your connection to the live environment."</p>
                            <h2 class="govuk-heading-m">"Before you start"</h2>
                            <ul class="govuk-list govuk-list--bullet">
                                <li>"deploy your live cryptographic material to your endpoints"</li>
                                <li>"be ready for your vouching scheme to go live on the date agreed in service acceptance"</li>
                            </ul>
                            <p class="govuk-body">"You will answer 3 questions and choose a connection date at least 7 calendar days from today. You must answer yes to all 3 questions to send the request."</p>
                            <h2 class="govuk-heading-m">"What happens next"</h2>
                            <p class="govuk-body">"PDP sends a synthetic find request to your live find endpoint. It is a valid find request, with a correctly formatted and signed user token, but it holds synthetic data."</p>
                            <p class="govuk-body">"Process it as you would any find request: acknowledge it with a 202 response, then perform your matching process. Do not match it against an actual pension record: it contains synthetic data."</p>
                            <p class="govuk-body">"PDP watches for your 202 acknowledgement. If it arrives, PDP knows your endpoint received and accepted the request, and emails you to confirm the date your vouching scheme goes live."</p>
                            {match (j.open_request, j.is_service_manager) {
                                (None, _) if !j.can_request => view! {
                                    <div class="govuk-inset-text">
                                        {if j.is_vouching {
                                            format!("This scheme's testing status is {}: there is nothing to request.", j.status.label().to_lowercase())
                                        } else {
                                            "Operational acceptance testing is for your organisation's vouching scheme. Further providers and schemes are added once it has passed.".to_string()
                                        }}
                                    </div>
                                }.into_any(),
                                (Some(id), _) => view! {
                                    <div class="govuk-inset-text">"You have already requested testing for this scheme. "
                                        <a class="govuk-link" href=format!("/requests/{id}")>"View your request"</a>
                                    </div>
                                }.into_any(),
                                (None, true) => view! {
                                    <a href=format!("/oat/{}/crypto-deployed", j.scheme_id) role="button" draggable="false" class="govuk-button govuk-button--start">
                                        "Start now"
                                    </a>
                                }.into_any(),
                                (None, false) => view! {
                                    <div class="govuk-inset-text">"Only a service manager can request operational acceptance testing."</div>
                                }.into_any(),
                            }}
                            </div></div>
                        }.into_any(),
                    })
            }}
        </Suspense>
    }
}

/// Every step after the start page: a question, the connection date, check answers, or the
/// "cannot request yet" page, chosen by the last part of the address.
#[component]
pub fn OatStep() -> impl IntoView {
    let scheme = crate::pages::route_param("scheme");
    let step = crate::pages::route_param("step");
    let query = use_query_map();
    let change = move || query.with(|q| q.get("change")).as_deref() == Some("1");
    let answer = ServerAction::<AnswerQuestion>::new();
    let date = ServerAction::<SaveConnectionDate>::new();
    let data = Resource::new(
        move || {
            (
                scheme(),
                step(),
                answer.version().get(),
                date.version().get(),
            )
        },
        |(scheme, step, _, _)| async move {
            let journey = oat_journey(scheme).await;
            let form = crate::pages::form_state(&step).await;
            (journey, form)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || {
                data.get()
                    .map(|(journey, form)| match journey {
                        Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                        Ok(j) if j.open_request.is_some() => {
                            let id = j.open_request.unwrap_or_default();
                            view! {
                                <PageTitle text="You have already requested testing" />
                                <h1 class="govuk-heading-l">"You have already requested testing"</h1>
                                <p class="govuk-body">"There is an open request for "{j.scheme_name.clone()}". You can send another once it has been dealt with."</p>
                                <p class="govuk-body"><a class="govuk-link" href=format!("/requests/{id}")>"View your request"</a></p>
                            }.into_any()
                        }
                        Ok(j) if !j.can_request => {
                            let id = j.scheme_id;
                            view! {
                                <PageTitle text="You cannot request testing for this scheme" />
                                <h1 class="govuk-heading-l">"You cannot request testing for this scheme"</h1>
                                <p class="govuk-body"><a class="govuk-link" href=format!("/oat/{id}")>"Find out why"</a></p>
                            }.into_any()
                        }
                        Ok(j) => {
                            let s = step();
                            if let Some(q) = Question::from_field(&s) {
                                view! { <QuestionPage journey=j question=q form=form action=answer change=change() /> }.into_any()
                            } else if s == "connection-date" {
                                view! { <DatePage journey=j form=form action=date change=change() /> }.into_any()
                            } else if s == "check-answers" {
                                view! { <CheckAnswers journey=j /> }.into_any()
                            } else if s == "cannot-request" {
                                view! { <CannotRequest journey=j /> }.into_any()
                            } else {
                                view! { <crate::pages::NotFound /> }.into_any()
                            }
                        }
                    })
            }}
        </Suspense>
    }
}

fn back_for(j: &Journey, q: Question, change: bool) -> String {
    if change {
        return format!("/oat/{}/check-answers", j.scheme_id);
    }
    match q {
        Question::CryptoDeployed => format!("/oat/{}", j.scheme_id),
        Question::ConnectionReady => format!("/oat/{}/crypto-deployed", j.scheme_id),
        Question::ReadyForLive => format!("/oat/{}/connection-ready", j.scheme_id),
    }
}

#[component]
fn QuestionPage(
    journey: Journey,
    question: Question,
    form: FormState,
    action: ServerAction<AnswerQuestion>,
    change: bool,
) -> impl IntoView {
    let field = question.field();
    let chosen = journey.answer(field);
    let error = form.error(field);
    let title = if error.is_some() {
        format!("Error: {}", question.text())
    } else {
        question.text().to_string()
    };
    let group = if error.is_some() {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    };
    let described = error.as_ref().map(|_| format!("{field}-error"));
    let no_id = format!("{field}-no");
    view! {
        <PageTitle text=title />
        <a href=back_for(&journey, question, change) class="govuk-back-link">"Back"</a>
        <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
            <ErrorSummary form=form.clone() />
            <ActionForm action=action attr:novalidate=true>
                <input type="hidden" name="scheme" value=journey.scheme_id.to_string() />
                <input type="hidden" name="question" value=field />
                {change.then(|| view! { <input type="hidden" name="change" value="1" /> })}
                <div class=group>
                    <fieldset class="govuk-fieldset" aria-describedby=described>
                        <legend class="govuk-fieldset__legend govuk-fieldset__legend--l">
                            <span class="govuk-caption-l">{journey.scheme_name.clone()}</span>
                            <h1 class="govuk-fieldset__heading">{question.text()}</h1>
                        </legend>
                        {error.map(|e| view! {
                            <p id=format!("{field}-error") class="govuk-error-message"><span class="govuk-visually-hidden">"Error: "</span>{e}</p>
                        })}
                        <div class="govuk-radios govuk-radios--inline" data-module="govuk-radios">
                            <div class="govuk-radios__item">
                                <input class="govuk-radios__input" id=field name="answer" type="radio" value="yes" checked=chosen.as_deref() == Some("yes") />
                                <label class="govuk-label govuk-radios__label" for=field>"Yes"</label>
                            </div>
                            <div class="govuk-radios__item">
                                <input class="govuk-radios__input" id=no_id.clone() name="answer" type="radio" value="no" checked=chosen.as_deref() == Some("no") />
                                <label class="govuk-label govuk-radios__label" for=no_id>"No"</label>
                            </div>
                        </div>
                    </fieldset>
                </div>
                <button type="submit" class="govuk-button">"Continue"</button>
            </ActionForm>
        </div></div>
    }
}

#[component]
fn DatePage(
    journey: Journey,
    form: FormState,
    action: ServerAction<SaveConnectionDate>,
    change: bool,
) -> impl IntoView {
    let error = form.error("connection-date");
    let typed = if form.has_errors() {
        form.value("connection-date")
    } else {
        journey
            .connection_date
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    let title = if error.is_some() {
        "Error: What is your connection date?"
    } else {
        "What is your connection date?"
    };
    let group = if error.is_some() {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    };
    let input_class = if error.is_some() {
        "govuk-input govuk-input--width-10 govuk-input--error"
    } else {
        "govuk-input govuk-input--width-10"
    };
    let described = if error.is_some() {
        "connection-date-hint connection-date-error"
    } else {
        "connection-date-hint"
    };
    let back = if change {
        format!("/oat/{}/check-answers", journey.scheme_id)
    } else {
        format!("/oat/{}/ready-for-live", journey.scheme_id)
    };
    let rule = journey.rule;
    view! {
        <PageTitle text=title />
        <a href=back class="govuk-back-link">"Back"</a>
        <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
            <ErrorSummary form=form.clone() />
            <ActionForm action=action attr:novalidate=true>
                <input type="hidden" name="scheme" value=journey.scheme_id.to_string() />
                {change.then(|| view! { <input type="hidden" name="change" value="1" /> })}
                <div class=group>
                    <h1 class="govuk-label-wrapper">
                        <label class="govuk-label govuk-label--l" for="connection-date">
                            <span class="govuk-caption-l">{journey.scheme_name.clone()}</span>
                            "What is your connection date?"
                        </label>
                    </h1>
                    <div id="connection-date-hint" class="govuk-hint">
                        "The date you need your vouching scheme connected to the live environment (Code of Connection 3.1.13). Allow time for testing. "
                        {rule.hint()}
                    </div>
                    {error.map(|e| view! {
                        <p id="connection-date-error" class="govuk-error-message"><span class="govuk-visually-hidden">"Error: "</span>{e}</p>
                    })}
                    // The browser's own date input: a calendar in which earlier days cannot be
                    // chosen, typing still works, and it posts YYYY-MM-DD with or without JavaScript.
                    <input
                        class=input_class
                        id="connection-date"
                        name="connection_date"
                        type="date"
                        min=rule.earliest.to_string()
                        max=rule.latest.to_string()
                        value=typed
                        aria-describedby=described
                    />
                </div>
                <button type="submit" class="govuk-button">"Continue"</button>
            </ActionForm>
            <p class="govuk-body">"If you are unsure of the expected timelines you can "<a class="govuk-link" href="/queries/new">"raise a query"</a>"."</p>
        </div></div>
    }
}

#[component]
fn CheckAnswers(journey: Journey) -> impl IntoView {
    let id = journey.scheme_id;
    let readiness = crate::pages::connectivity::readiness_resource();
    let submission_key = journey.submission_key.clone();
    view! {
        <PageTitle text="Check your answers before sending your request" />
        <a href=format!("/oat/{id}/connection-date") class="govuk-back-link">"Back"</a>
        <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
            <span class="govuk-caption-l">{journey.scheme_name.clone()}</span>
            <h1 class="govuk-heading-l">"Check your answers before sending your request"</h1>
            <dl class="govuk-summary-list">
                {Question::ALL.into_iter().map(|q| {
                    let answer = Answer::parse(journey.answer(q.field()).as_deref()).map(|a| a.label()).unwrap_or("Not answered");
                    view! {
                        <div class="govuk-summary-list__row">
                            <dt class="govuk-summary-list__key">{q.text()}</dt>
                            <dd class="govuk-summary-list__value">{answer}</dd>
                            <dd class="govuk-summary-list__actions">
                                <a class="govuk-link" href=format!("/oat/{id}/{}?change=1", q.field())>"Change"<span class="govuk-visually-hidden">{format!(" answer to: {}", q.text())}</span></a>
                            </dd>
                        </div>
                    }
                }).collect_view()}
                <div class="govuk-summary-list__row">
                    <dt class="govuk-summary-list__key">"Connection date"</dt>
                    <dd class="govuk-summary-list__value">{journey.connection_date.map(long_date).unwrap_or_else(|| "Not answered".into())}</dd>
                    <dd class="govuk-summary-list__actions">
                        <a class="govuk-link" href=format!("/oat/{id}/connection-date?change=1")>"Change"<span class="govuk-visually-hidden">" connection date"</span></a>
                    </dd>
                </div>
            </dl>
            <Suspense fallback=|| ()>
                {move || readiness.get().map(|r| {
                    let r = r.unwrap_or_else(|_| Readiness { mode: ReadinessMode::Off, url: None, status: None, checks: Vec::new(), checked: None });
                    let open = r.in_progress();
                    let submission_key = submission_key.clone();
                    view! {
                        <div id="readiness">
                            <ReadinessAndSend r=r scheme=id submission_key=submission_key.clone() />
                        </div>
                        {open.then(|| view! {
                            <ResultWatcher watch=Watch::Readiness { scheme: id, submission_key } target="readiness" />
                        })}
                    }
                })}
            </Suspense>
        </div></div>
    }
}

/// The readiness checks and, when they allow it, the form that sends the request: the part of
/// "check your answers" that changes when the checks finish.
#[component]
fn ReadinessAndSend(r: Readiness, scheme: i64, submission_key: String) -> impl IntoView {
    let allowed = r.allows_sending();
    let action = ServerAction::<SendRequest>::new();
    view! {
        <ReadinessPanel r=r />
        {allowed.then(|| view! {
            <h2 class="govuk-heading-m">"Now send your request"</h2>
            <p class="govuk-body">"By sending this request you confirm that, to the best of your knowledge, the answers you are giving are correct."</p>
            <ActionForm action=action>
                <input type="hidden" name="scheme" value=scheme.to_string() />
                <input type="hidden" name="submission_key" value=submission_key />
                <button type="submit" class="govuk-button" data-prevent-double-click="true">
                    "Send request"
                </button>
            </ActionForm>
        })}
    }
}

/// The readiness part of "check your answers" as HTML once the checks have finished; `None`
/// while they are still running.
#[server(prefix = "/api", endpoint = "connectivity/readiness/result")]
pub async fn readiness_result_html(
    scheme: i64,
    submission_key: String,
) -> Result<Option<String>, AppError> {
    let r = crate::api::connectivity::readiness_checks().await?;
    if r.in_progress() {
        return Ok(None);
    }
    Ok(Some(
        view! { <ReadinessAndSend r=r scheme=scheme submission_key=submission_key /> }.to_html(),
    ))
}

#[component]
fn CannotRequest(journey: Journey) -> impl IntoView {
    let query = use_query_map();
    let question = query
        .with_untracked(|q| q.get("question"))
        .and_then(|f| Question::from_field(&f));
    let what = match question {
        Some(Question::CryptoDeployed) => {
            "deploy your live cryptographic material to your endpoints"
        }
        Some(Question::ConnectionReady) => {
            "make sure your connection to the live environment is ready to be tested"
        }
        _ => "make sure your organisation is ready to go live on your connection date",
    };
    let change = question
        .map(|q| format!("/oat/{}/{}", journey.scheme_id, q.field()))
        .unwrap_or_else(|| format!("/oat/{}", journey.scheme_id));
    view! {
        <PageTitle text="You cannot request operational acceptance testing yet" />
        <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
            <h1 class="govuk-heading-l">"You cannot request operational acceptance testing yet"</h1>
            <p class="govuk-body">"You need to answer yes to all 3 questions before you can send a request."</p>
            <p class="govuk-body">"Before you come back, " {what} "."</p>
            <p class="govuk-body">"Your answers are saved, so you can carry on where you left off. If you are unsure of the timelines, raise a query with the Pensions Dashboards Programme."</p>
            <p class="govuk-body"><a class="govuk-link" href=change>"Change your answer"</a></p>
            <p class="govuk-body"><a class="govuk-link" href="/organisation">"Go to your pension providers and schemes"</a></p>
        </div></div>
    }
}

/// The confirmation after sending: reference, what happens next and when.
#[component]
pub fn RequestSent() -> impl IntoView {
    let id = crate::pages::route_param("id");
    let data = Resource::new(id, request_detail);
    view! {
        <PageTitle text="Request sent" />
        <Suspense fallback=|| ()>
            {move || data.get().map(|r| match r {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(r) => view! {
                    <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
                        <div class="govuk-panel govuk-panel--confirmation">
                            <h1 class="govuk-panel__title">"Request sent"</h1>
                            <div class="govuk-panel__body">"Your reference"<br /><strong>{r.reference.clone()}</strong></div>
                        </div>
                        <p class="govuk-body">"We have sent you a confirmation email."</p>
                        <h2 class="govuk-heading-m">"What happens next"</h2>
                        <p class="govuk-body">"The Pensions Dashboards Programme will review your request and arrange a connectivity test before your connection date of " {long_date(r.connection_date)} "."</p>
                        <p class="govuk-body">"We will send a synthetic find request to your live find endpoint and watch for your 202 (Accepted) acknowledgement. We will email you when the test is scheduled and again with the result, and confirm your go-live date if it passes."</p>
                        <p class="govuk-body"><a class="govuk-link" href=format!("/requests/{}", r.id)>"Follow your request"</a></p>
                        <p class="govuk-body"><a class="govuk-link" href="/help">"Contact us"</a>" if anything changes, for example if your infrastructure is being updated."</p>
                    </div></div>
                }.into_any(),
            })}
        </Suspense>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::rows_html;
    use crate::components::StatusTag;
    use crate::{api::oat::SchemeRow, domain::oat::long_date, domain::status::SchemeStatus};

    use leptos::prelude::*;
    use proptest::prelude::*;

    /// The reference for [`rows_html`]: one provider or scheme as a row, written as a view.
    #[component]
    fn SchemeTableRow(s: SchemeRow) -> impl IntoView {
        let name = s.name.clone();
        view! {
            <tr class="govuk-table__row">
                <th scope="row" class="govuk-table__header">
                    {s.name.clone()}
                    {s.is_vouching.then(|| view! { <span class="govuk-body-s govuk-!-display-block">"Vouching scheme"</span> })}
                </th>
                <td class="govuk-table__cell">{format!("{} {}", s.regulator, s.regulator_number)}</td>
                <td class="govuk-table__cell"><StatusTag status=s.status /></td>
                <td class="govuk-table__cell">
                    {s.go_live.map(long_date).unwrap_or_else(|| "Not set".into())}
                    {s.pending.filter(|_| s.go_live.is_none()).map(|p| view! { <span class="govuk-body-s govuk-!-display-block">{p}</span> })}
                </td>
                <td class="govuk-table__cell">
                    {s.next.map(|(label, href)| view! {
                        <a class="govuk-link" href=href>{label}<span class="govuk-visually-hidden">{format!(" for {name}")}</span></a>
                    })}
                    {s.note.map(|n| view! { <span class="govuk-body-s">{n}</span> })}
                </td>
            </tr>
        }
    }

    /// The rows as the row views render them, without the `<!>` markers they leave for
    /// hydration (no text a user writes can make one: its `<` is escaped).
    fn rendered(rows: &[SchemeRow]) -> String {
        let owner = Owner::new();
        owner.with(|| {
            rows.iter()
                .cloned()
                .map(|s| view! { <SchemeTableRow s=s /> })
                .collect_view()
                .to_html()
                .replace("<!>", "")
        })
    }

    fn row(id: i64, name: &str, status: SchemeStatus) -> SchemeRow {
        SchemeRow {
            id,
            name: name.into(),
            regulator: "TPR".into(),
            regulator_number: "10012345".into(),
            is_vouching: false,
            status,
            go_live: None,
            next: None,
            note: None,
            pending: None,
        }
    }

    #[test]
    fn written_rows_are_the_row_views_markup() {
        let mut rows = Vec::new();
        for (i, status) in SchemeStatus::ALL.into_iter().enumerate() {
            rows.push(row(i as i64, &format!("Scheme {i}"), status));
        }
        rows.push(row(10, "Scheme 10", SchemeStatus::Live));
        rows[0].is_vouching = true;
        rows[0].next = Some(("Request testing".into(), "/oat/0".into()));
        rows[1].next = Some(("View request".into(), "/requests/7".into()));
        rows[1].go_live = chrono::NaiveDate::from_ymd_opt(2027, 2, 28);
        rows[8].note = Some("Waiting for approval. Connection date asked for: 1 March 2027".into());
        rows[9].note = Some(r#"Not approved: <script>alert("x")</script> & 'more'"#.into());
        rows[9].next = Some(("View request".into(), r#"/requests/1?a="b"&c=<d>"#.into()));
        rows[10].name = r#"Smith & Sons "Trustees" <Ltd>"#.into();
        rows[10].regulator_number = String::new();
        rows[2].note = Some(String::new());
        rows[3].pending = Some("Connection date asked for: 1 March 2027. <b>".into());
        rows[4].pending = Some(String::new());
        let written = rows_html(&rows);
        assert_eq!(written, rendered(&rows));
        assert!(written.starts_with(concat!(
            r#"<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">Scheme 0"#,
            r#"<span class="govuk-body-s govuk-!-display-block">Vouching scheme</span></th>"#,
            r#"<td class="govuk-table__cell">TPR 10012345</td><td class="govuk-table__cell">"#,
            r#"<strong class="govuk-tag govuk-tag--grey">Not requested</strong></td>"#,
            r#"<td class="govuk-table__cell">Not set</td><td class="govuk-table__cell">"#,
            r#"<a href="/oat/0" class="govuk-link">Request testing"#,
            r#"<span class="govuk-visually-hidden"> for Scheme 0</span></a></td></tr>"#,
        )));
        assert!(written.contains(">28 February 2027<"));
        assert!(written.contains("Smith &amp; Sons \"Trustees\" &lt;Ltd&gt;"));
        assert!(!written.contains("<script>"));
        assert_eq!(rows_html(&[]), "");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_text_is_written_as_the_views_write_it(
            name in ".{0,24}",
            number in "[ -~]{0,12}",
            note in proptest::option::of(".{0,24}"),
            next in proptest::option::of((".{0,12}", "[ -~]{0,16}")),
            vouching in any::<bool>(),
        ) {
            let mut r = row(1, &name, SchemeStatus::Requested);
            r.regulator_number = number;
            r.note = note;
            r.next = next;
            r.is_vouching = vouching;
            let rows = vec![r.clone(), r];
            prop_assert_eq!(rows_html(&rows), rendered(&rows));
        }
    }
}
