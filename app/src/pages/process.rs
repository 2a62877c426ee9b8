//! The organisation's side of PDP's process after a request is sent: the request's page, telling
//! PDP it is ready for a re-test, asking for a support session, withdrawing, and queries. Staff's
//! list of queries and the page to answer one are here too.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        auth::take_flash,
        connectivity::RunSummary,
        oat::{request_detail, RequestView},
        queries::{
            organisation_queries, staff_queries, staff_query, AnswerQuery, QueryView, RaiseQuery,
        },
        review::{AskSupport, ReadyForRetest, Withdraw},
    },
    components::{ErrorSummary, PageTitle, StatusTag, SuccessBanner, Textarea},
    domain::{oat::long_date, status::RequestStatus},
    pages::review::row,
};

/// The sentence both sides read beside the runs of the connectivity test.
pub const OWN_CLIENT_NOTE: &str = "These tests are sent from this portal's own test client, with its own certificate and signing key, not PDP's.";

/// A request: status, dates and everything that has happened to it, and what the service
/// manager can do next.
#[component]
pub fn RequestPage() -> impl IntoView {
    let id = crate::pages::route_param("id");
    let data = Resource::new(id, |id| async move {
        (request_detail(id).await, take_flash().await.ok().flatten())
    });
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().map(|(r, flash)| match r {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(r) => view! { <RequestBody r=r flash=flash /> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn RequestBody(r: RequestView, flash: Option<String>) -> impl IntoView {
    use crate::pages::review::Timeline;
    let failed = r.status == RequestStatus::Failed;
    let base = format!("/requests/{}", r.id);
    let near = failed && r.days_to_connection < 7;
    view! {
        <PageTitle text=format!("Request {}", r.reference) />
        {flash.map(|m| view! { <SuccessBanner message=m /> })}
        <a href="/organisation" class="govuk-back-link">"Back to your pension providers and schemes"</a>
        <span class="govuk-caption-l">{r.scheme_name.clone()}</span>
        <h1 class="govuk-heading-l">{format!("Request {}", r.reference)}</h1>
        {(r.status == RequestStatus::Withdrawn).then(|| view! {
            <div class="govuk-inset-text">
                {format!("This request was withdrawn: {}. ", r.withdrawn_reason)}
                "You can send a new request for the scheme from "
                <a class="govuk-link" href="/organisation">"your pension providers and schemes"</a>"."
            </div>
        })}
        {failed.then(|| view! {
            <div class="govuk-warning-text">
                <span class="govuk-warning-text__icon" aria-hidden="true">"!"</span>
                <strong class="govuk-warning-text__text">
                    <span class="govuk-visually-hidden">"Warning"</span>
                    {format!("Connectivity test {} did not pass: {}", r.test_round, r.failure_reason)}
                </strong>
            </div>
        })}
        {r.retest_asked.clone().map(|(when, _)| view! {
            <div class="govuk-inset-text">{format!("You told the Pensions Dashboards Programme you are ready for a re-test on {when}. We will email you when it is booked.")}</div>
        })}
        {r.can_ask_retest.then(|| view! {
            <p class="govuk-body">"Once you have resolved the issues, tell us and we will run the test again on this request. You do not need to send a new request."</p>
            <a href=format!("{base}/ready-for-retest") role="button" draggable="false" class="govuk-button" data-module="govuk-button">"Tell PDP you are ready for a re-test"</a>
        })}
        {r.support_asked.clone().map(|(when, _)| view! {
            <div class="govuk-inset-text">{format!("You asked for a support session on {when}. We will email you when it is booked.")}</div>
        })}
        {r.can_ask_support.then(|| view! {
            <p class="govuk-body">
                "If you need more details on why the test failed, we will arrange a support session with you. "
                <a class="govuk-link" href=format!("{base}/support")>"Ask for a support session"</a>
            </p>
        })}
        {near.then(|| view! {
            <div class="govuk-inset-text">
                {format!("Your connection date, {}, is fewer than 7 calendar days away. ", long_date(r.connection_date))}
                {if r.can_change_date {
                    view! { <a class="govuk-link" href=format!("{base}/change-date")>"Ask to change your connection date"</a> }.into_any()
                } else {
                    view! { <span>"A change of connection date is already waiting for a decision."</span> }.into_any()
                }}
            </div>
        })}
        <dl class="govuk-summary-list">
            {row("Status", view! { <StatusTag status=r.status /> })}
            <div class="govuk-summary-list__row">
                <dt class="govuk-summary-list__key">"Connection date"</dt>
                <dd class="govuk-summary-list__value">{long_date(r.connection_date)}</dd>
                {r.can_change_date.then(|| view! {
                    <dd class="govuk-summary-list__actions">
                        <a class="govuk-link" href=format!("{base}/change-date")>"Change"<span class="govuk-visually-hidden">" connection date"</span></a>
                    </dd>
                })}
            </div>
            {row("Go-live date", r.go_live_date.map(long_date).unwrap_or_else(|| "Not set yet".into()))}
            {(!r.go_live_reason.is_empty()).then(|| row("Why the go-live date differs or moved", r.go_live_reason.clone()))}
            {r.test_at.clone().map(|t| row("Connectivity test", format!("Test {}: {t}{}", r.test_round, if r.test_note.is_empty() { String::new() } else { format!(". {}", r.test_note) })))}
            {r.support_at.clone().map(|t| row("Support session", format!("{t}. How to join: {}", r.support_join)))}
            {r.retest_of.clone().map(|(id, reference)| row("Re-test of", view! { <a class="govuk-link" href=format!("/requests/{id}")>{reference}</a> }))}
            {row("Sent by", format!("{} on {}", r.submitted_by, r.submitted_on))}
        </dl>
        <crate::pages::review::CalendarLinks base=base.clone() files=r.calendar_files.clone() />
        {r.date_changes.iter().rev().find(|c| c.status == "pending").map(|c| view! {
            <div class="govuk-inset-text">{format!("You asked to change the connection date to {}. The Pensions Dashboards Programme has not decided yet.", long_date(c.new_date))}</div>
        })}
        {(r.is_service_manager || r.can_withdraw).then(|| view! {
            <ul class="govuk-list">
                {r.is_service_manager.then(|| view! { <li><a class="govuk-link" href=format!("/queries/new?request={}", r.id)>"Raise a query"</a></li> })}
                {r.can_withdraw.then(|| view! { <li><a class="govuk-link" href=format!("{base}/withdraw")>"Withdraw this request"</a></li> })}
            </ul>
        })}
        {(!r.queries.is_empty()).then(|| view! {
            <h2 class="govuk-heading-m">"Queries"</h2>
            <QueryList queries=r.queries.clone() staff=false />
        })}
        <h2 class="govuk-heading-m">"Connectivity tests"</h2>
        <p class="govuk-body">{OWN_CLIENT_NOTE}</p>
        <RunTable runs=r.runs.clone() />
        <h2 class="govuk-heading-m">"What has happened"</h2>
        <Timeline entries=r.timeline.clone() />
    }
}

/// The runs of the connectivity test on a request: when, the result, what happened, and a link
/// to each run's record (request id, HTTP status, TLS, timing).
#[component]
pub fn RunTable(runs: Vec<RunSummary>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="govuk-body">"The connectivity test has not been run on this request yet."</p> }.into_any();
    }
    view! {
        <table class="govuk-table">
            <caption class="govuk-visually-hidden">"Connectivity test runs"</caption>
            <thead class="govuk-table__head"><tr class="govuk-table__row">
                <th scope="col" class="govuk-table__header">"Run"</th>
                <th scope="col" class="govuk-table__header">"Result"</th>
                <th scope="col" class="govuk-table__header">"What happened"</th>
            </tr></thead>
            <tbody class="govuk-table__body">
                {runs.into_iter().map(|r| {
                    let (label, class) = crate::pages::connectivity::run_status(&r.status);
                    view! {
                        <tr class="govuk-table__row">
                            <td class="govuk-table__cell"><a class="govuk-link" href=format!("/connectivity/runs/{}", r.id)>{r.started.clone()}</a></td>
                            <td class="govuk-table__cell"><strong class=class>{label}</strong></td>
                            <td class="govuk-table__cell">{r.summary.clone()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

/// Queries with their answers, oldest first.
#[component]
fn QueryList(queries: Vec<QueryView>, staff: bool) -> impl IntoView {
    view! {
        <dl class="govuk-summary-list">
            {queries.into_iter().map(|q| {
                let key = format!("{} by {}", q.asked_on, q.asked_by);
                let answer = match q.answer.clone() {
                    Some((by, on, text)) => view! {
                        <p class="govuk-body govuk-!-margin-bottom-1"><strong>{format!("Answered by {by} on {on}:")}</strong></p>
                        <p class="govuk-body">{text}</p>
                    }.into_any(),
                    None if staff => view! { <p class="govuk-body"><a class="govuk-link" href=format!("/staff/queries/{}", q.id)>"Answer this query"</a></p> }.into_any(),
                    None => view! { <p class="govuk-body"><strong class="govuk-tag govuk-tag--yellow">"Waiting for an answer"</strong></p> }.into_any(),
                };
                view! {
                    <div class="govuk-summary-list__row">
                        <dt class="govuk-summary-list__key">{key}</dt>
                        <dd class="govuk-summary-list__value">
                            <p class="govuk-body">{q.question.clone()}</p>
                            {answer}
                        </dd>
                    </div>
                }
            }).collect_view()}
        </dl>
    }
}

/// A request's queries on staff's page, each open one linking to its answer form.
#[component]
pub fn StaffQueries(queries: Vec<QueryView>) -> impl IntoView {
    view! { <QueryList queries=queries staff=true /> }
}

/// What a service manager can do on a request besides changing the date:
/// `/requests/:id/ready-for-retest`, `/requests/:id/support` and `/requests/:id/withdraw`.
#[component]
pub fn RequestActionPage(which: &'static str) -> impl IntoView {
    let id = crate::pages::route_param("id");
    let retest = ServerAction::<ReadyForRetest>::new();
    let support = ServerAction::<AskSupport>::new();
    let withdraw = ServerAction::<Withdraw>::new();
    let data = Resource::new(
        move || {
            (
                id(),
                retest.version().get() + support.version().get() + withdraw.version().get(),
            )
        },
        move |(id, _)| async move {
            let r = request_detail(id).await;
            let form = crate::pages::form_state(which).await;
            (r, form)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().map(|(r, form)| match r {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(r) => {
                    let (heading, available) = match which {
                        "ready-for-retest" => ("Tell PDP you are ready for a re-test", r.can_ask_retest),
                        "support" => ("Ask for a support session", r.can_ask_support),
                        _ => ("Withdraw your request", r.can_withdraw),
                    };
                    let title = if form.has_errors() { format!("Error: {heading}") } else { heading.to_string() };
                    let back = format!("/requests/{}", r.id);
                    let guard = view! {
                        <input type="hidden" name="id" value=r.id.to_string() />
                        <input type="hidden" name="version" value=r.version.to_string() />
                    };
                    let changed = form.error("request").map(|e| view! { <div class="govuk-inset-text" id="request">{e}</div> });
                    let summary = view! { <ErrorSummary form=form.clone() /> };
                    let body = if !available {
                        view! {
                            <p class="govuk-body">{format!("You cannot do this now: the request's status is {}.", r.status.label().to_lowercase())}</p>
                            <p class="govuk-body"><a class="govuk-link" href=back.clone()>"Go back to your request"</a></p>
                        }.into_any()
                    } else {
                        match which {
                            "ready-for-retest" => view! {
                                <p class="govuk-body">{format!("Connectivity test {} did not pass: {}", r.test_round, r.failure_reason)}</p>
                                <p class="govuk-body">"Once you have resolved the issues we identified, we will run the test again on this request. Your connection date stays as it is."</p>
                                <ActionForm action=retest attr:novalidate=true>
                                    {guard}
                                    <Textarea id="note" label="What did you fix? (optional)" hint="This helps the Pensions Dashboards Programme prepare the re-test" rows=4 value=form.value("note") error=form.error("note") />
                                    <button type="submit" class="govuk-button" data-prevent-double-click="true">"Tell PDP you are ready"</button>
                                </ActionForm>
                            }.into_any(),
                            "support" => view! {
                                <p class="govuk-body">"If you need more details on why the test failed, we will arrange a support session with you. We will email you the time and how to join."</p>
                                <ActionForm action=support attr:novalidate=true>
                                    {guard}
                                    <Textarea id="needs" label="What do you need, and when are you free?" hint="For example: we do not understand why the endpoint's answer was refused; we are free on weekday mornings" rows=4 value=form.value("needs") error=form.error("needs") />
                                    <button type="submit" class="govuk-button" data-prevent-double-click="true">"Ask for a support session"</button>
                                </ActionForm>
                            }.into_any(),
                            _ => view! {
                                <p class="govuk-body">{format!("Withdrawing stops operational acceptance testing of {}. The scheme goes back to \u{201c}Not requested\u{201d}, and you can send a new request when you are ready.", r.scheme_name)}</p>
                                <ActionForm action=withdraw attr:novalidate=true>
                                    {guard}
                                    <Textarea id="reason" label="Why are you withdrawing the request?" rows=3 value=form.value("reason") error=form.error("reason") />
                                    <button type="submit" class="govuk-button govuk-button--warning" data-prevent-double-click="true">"Withdraw the request"</button>
                                </ActionForm>
                            }.into_any(),
                        }
                    };
                    view! {
                        <PageTitle text=title />
                        <a href=back.clone() class="govuk-back-link">"Back to your request"</a>
                        <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
                            {summary}
                            <span class="govuk-caption-l">{format!("{}: {}", r.reference, r.scheme_name)}</span>
                            <h1 class="govuk-heading-l">{heading}</h1>
                            {changed}
                            {body}
                        </div></div>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

/// The organisation's queries: `/queries`.
#[component]
pub fn QueriesPage() -> impl IntoView {
    let data = Resource::new(
        || (),
        |_| async move {
            (
                organisation_queries(None).await,
                take_flash().await.ok().flatten(),
            )
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().map(|(q, flash)| match q {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(q) => view! {
                    <PageTitle text="Your queries" />
                    {flash.map(|m| view! { <SuccessBanner message=m /> })}
                    <a href="/organisation" class="govuk-back-link">"Back to your pension providers and schemes"</a>
                    <h1 class="govuk-heading-l">"Your queries"</h1>
                    <p class="govuk-body">"If you are unsure of the expected timelines you can raise a query. The Pensions Dashboards Programme answers here, and we email you the answer."</p>
                    {q.is_service_manager.then(|| view! {
                        <a href="/queries/new" role="button" draggable="false" class="govuk-button" data-module="govuk-button">"Raise a query"</a>
                    })}
                    {if q.queries.is_empty() {
                        view! { <p class="govuk-body">"You have not raised any queries."</p> }.into_any()
                    } else {
                        view! { <QueryList queries=q.queries.clone() staff=false /> }.into_any()
                    }}
                }.into_any(),
            })}
        </Suspense>
    }
}

/// Raise a query, about a request (`?request=`) or the organisation: `/queries/new`.
#[component]
pub fn NewQueryPage() -> impl IntoView {
    let query = use_query_map();
    let action = ServerAction::<RaiseQuery>::new();
    let data = Resource::new(
        move || (query.with(|q| q.get("request")), action.version().get()),
        |(request, _)| async move {
            let q = organisation_queries(request).await;
            let form = crate::pages::form_state("query").await;
            (q, form)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().map(|(q, form)| match q {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(q) => {
                    let heading = "Raise a query";
                    let title = if form.has_errors() { format!("Error: {heading}") } else { heading.to_string() };
                    let back = q.about.clone().map(|(id, _)| format!("/requests/{id}")).unwrap_or_else(|| "/queries".into());
                    view! {
                        <PageTitle text=title />
                        <a href=back class="govuk-back-link">"Back"</a>
                        <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
                            <ErrorSummary form=form.clone() />
                            {q.about.clone().map(|(_, reference)| view! { <span class="govuk-caption-l">{format!("About request {reference}")}</span> })}
                            <h1 class="govuk-heading-l">{heading}</h1>
                            {if q.is_service_manager {
                                view! {
                                    <p class="govuk-body">"If you are unsure of the expected timelines, or anything else about operational acceptance testing, ask the Pensions Dashboards Programme here. We will email you when they answer."</p>
                                    <ActionForm action=action attr:novalidate=true>
                                        <input type="hidden" name="request" value=q.about.clone().map(|(id, _)| id.to_string()).unwrap_or_default() />
                                        <Textarea id="question" label="Your query" hint="Up to 1,000 characters" rows=5 value=form.value("question") error=form.error("question") />
                                        <button type="submit" class="govuk-button" data-prevent-double-click="true">"Send the query"</button>
                                    </ActionForm>
                                }.into_any()
                            } else {
                                view! { <p class="govuk-body">"Only a service manager can raise a query. Ask a service manager in your organisation."</p> }.into_any()
                            }}
                        </div></div>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

/// Staff's list of queries: `/staff/queries`.
#[component]
pub fn StaffQueriesPage() -> impl IntoView {
    let data = Resource::new(
        || (),
        |_| async move { (staff_queries().await, take_flash().await.ok().flatten()) },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().map(|(q, flash)| match q {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(q) => view! {
                    <PageTitle text="Queries" />
                    {flash.map(|m| view! { <SuccessBanner message=m /> })}
                    <h1 class="govuk-heading-l">"Queries"</h1>
                    <crate::pages::review::StaffNav />
                    <h2 class="govuk-heading-m">{format!("Waiting for an answer ({})", q.open.len())}</h2>
                    {if q.open.is_empty() {
                        view! { <p class="govuk-body">"No queries are waiting for an answer."</p> }.into_any()
                    } else {
                        view! { <StaffQueryTable queries=q.open.clone() caption="Queries waiting for an answer" /> }.into_any()
                    }}
                    <h2 class="govuk-heading-m">"Answered recently"</h2>
                    {if q.answered.is_empty() {
                        view! { <p class="govuk-body">"No queries have been answered yet."</p> }.into_any()
                    } else {
                        view! { <StaffQueryTable queries=q.answered.clone() caption="Queries answered recently" /> }.into_any()
                    }}
                }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn StaffQueryTable(queries: Vec<QueryView>, caption: &'static str) -> impl IntoView {
    view! {
        <table class="govuk-table">
            <caption class="govuk-visually-hidden">{caption}</caption>
            <thead class="govuk-table__head"><tr class="govuk-table__row">
                <th scope="col" class="govuk-table__header">"Organisation"</th>
                <th scope="col" class="govuk-table__header">"About"</th>
                <th scope="col" class="govuk-table__header">"Asked"</th>
                <th scope="col" class="govuk-table__header">"Query"</th>
            </tr></thead>
            <tbody class="govuk-table__body">
                {queries.into_iter().map(|q| view! {
                    <tr class="govuk-table__row">
                        <td class="govuk-table__cell">{q.organisation.clone()}</td>
                        <td class="govuk-table__cell">{match q.request.clone() {
                            Some((id, reference)) => view! { <a class="govuk-link" href=format!("/staff/requests/{id}")>{reference}</a> }.into_any(),
                            None => view! { <span>"The organisation"</span> }.into_any(),
                        }}</td>
                        <td class="govuk-table__cell">{format!("{} by {}", q.asked_on, q.asked_by)}</td>
                        <td class="govuk-table__cell">
                            <a class="govuk-link" href=format!("/staff/queries/{}", q.id)>{format!("Query {}", q.id)}</a>
                            <span class="govuk-!-display-block">{q.question.clone()}</span>
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// One query, and the form to answer it: `/staff/queries/:id`.
#[component]
pub fn StaffQueryPage() -> impl IntoView {
    let id = crate::pages::route_param("id");
    let action = ServerAction::<AnswerQuery>::new();
    let data = Resource::new(
        move || (id(), action.version().get()),
        |(id, _)| async move {
            let q = staff_query(id).await;
            let form = crate::pages::form_state("answer").await;
            (q, form)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().map(|(q, form)| match q {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(q) => {
                    let heading = format!("Query {}", q.id);
                    let title = if form.has_errors() { format!("Error: {heading}") } else { heading.clone() };
                    view! {
                        <PageTitle text=title />
                        <a href="/staff/queries" class="govuk-back-link">"Back to queries"</a>
                        <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
                            <ErrorSummary form=form.clone() />
                            <span class="govuk-caption-l">{q.organisation.clone()}</span>
                            <h1 class="govuk-heading-l">{heading}</h1>
                            <dl class="govuk-summary-list">
                                {row("About", match q.request.clone() {
                                    Some((id, reference)) => view! { <a class="govuk-link" href=format!("/staff/requests/{id}")>{reference}</a> }.into_any(),
                                    None => view! { <span>"The organisation (no request yet)"</span> }.into_any(),
                                })}
                                {row("Asked", format!("{} by {}", q.asked_on, q.asked_by))}
                                {row("Query", q.question.clone())}
                                {q.answer.clone().map(|(by, on, text)| row("Answer", format!("{text} ({by}, {on})")))}
                            </dl>
                            {q.answer.is_none().then(|| view! {
                                <ActionForm action=action attr:novalidate=true>
                                    <input type="hidden" name="id" value=q.id.to_string() />
                                    <Textarea id="answer" label="Your answer" hint="We email it to the organisation's service managers" rows=6 value=form.value("answer") error=form.error("answer") />
                                    <button type="submit" class="govuk-button" data-prevent-double-click="true">"Send the answer"</button>
                                </ActionForm>
                            })}
                        </div></div>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}
