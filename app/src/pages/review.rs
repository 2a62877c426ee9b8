//! Programme staff's pages for OAT requests: the queue, a request, and one page per action.
//! The service manager's page to ask for a change of connection date is here too.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        admin::SetTechnicalConnectionDate,
        auth::take_flash,
        oat::request_detail,
        review::{
            staff_queue, staff_request, ArrangeSupport, AskDateChange, ConfirmGoLive,
            DecideDateChange, MoveGoLive, QueuePage, RecordFailure, RecordOutcome, ScheduleTest,
            StaffRequestView,
        },
    },
    components::{ErrorSummary, PageTitle, Radios, StatusTag, SuccessBanner, TextInput, Textarea},
    domain::{
        oat::long_date,
        review::{RequestStatus, Sort},
    },
    forms::FormState,
};

/// Links to the other staff pages.
#[component]
pub(crate) fn StaffNav() -> impl IntoView {
    // Sent emails are listed only where the portal shows them (demo mode: fictional people).
    #[cfg(feature = "ssr")]
    let show_emails = crate::auth::services().is_ok_and(|s| s.show_emails);
    #[cfg(not(feature = "ssr"))]
    let show_emails = false;
    let path = leptos_router::hooks::use_location()
        .pathname
        .get_untracked();
    let mut links = vec![
        ("/staff", "OAT requests"),
        ("/staff/upcoming", "Upcoming"),
        ("/staff/queries", "Queries"),
        ("/staff/schemes", "Schemes waiting for approval"),
        ("/staff/organisations", "Organisations"),
        ("/staff/audit", "Audit log"),
    ];
    if show_emails {
        links.push(("/staff/emails", "Emails"));
    }
    // The section the page belongs to: a request's pages belong to "OAT requests".
    let current = |href: &str| {
        if href == "/staff" {
            path == "/staff" || path.starts_with("/staff/requests")
        } else {
            path == href || path.starts_with(&format!("{href}/"))
        }
    };
    view! {
        <nav class="portal-sub-navigation" aria-label="Programme staff pages">
            <ul class="portal-sub-navigation__list">
                {links.into_iter().map(|(href, text)| view! {
                    <li class="portal-sub-navigation__item">
                        <a class="portal-sub-navigation__link" href=href aria-current=current(href).then_some("page")>{text}</a>
                    </li>
                }).collect_view()}
            </ul>
        </nav>
    }
}

/// The staff home: the queue of OAT requests, filtered by a GET form (so filters live in the
/// address and can be bookmarked), with counts per status and keyset pages.
#[component]
pub fn StaffQueue() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.with(|q| q.get(k)).filter(|v| !v.is_empty());
    let data = Resource::new(
        move || {
            (
                [
                    param("status"),
                    param("from"),
                    param("to"),
                    param("q"),
                    param("sort"),
                ],
                (param("after"), param("before")),
            )
        },
        |([status, from, to, q, sort], (after, before))| async move {
            let page = staff_queue(status, from, to, q, sort, after, before).await;
            let flash = take_flash().await.ok().flatten();
            (page, flash)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().map(|(page, flash)| match page {
                Ok(page) => view! { <QueueView page=page flash=flash /> }.into_any(),
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn QueueView(page: QueuePage, flash: Option<String>) -> impl IntoView {
    let form = FormState {
        values: vec![],
        errors: page.errors.clone(),
    };
    let title = if form.has_errors() {
        "Error: OAT requests"
    } else {
        "OAT requests"
    };
    let csv = if page.filter_query.is_empty() {
        "/staff/requests.csv".to_string()
    } else {
        format!("/staff/requests.csv?{}", page.filter_query)
    };
    let shown = page.items.len();
    let status_options = {
        let chosen = page.status.clone();
        let mut opts = vec![
            view! { <option value="" selected=chosen.is_empty()>"All statuses"</option> }
                .into_any(),
        ];
        for (code, label, n) in page.counts.clone() {
            let selected = code == chosen;
            opts.push(
                view! { <option value=code selected=selected>{format!("{label} ({n})")}</option> }
                    .into_any(),
            );
        }
        opts
    };
    let sort_options = Sort::ALL
        .into_iter()
        .map(|s| {
            let value = if s == Sort::default() {
                String::new()
            } else {
                s.code().to_string()
            };
            let selected = value == page.sort;
            view! { <option value=value selected=selected>{s.label()}</option> }
        })
        .collect_view();
    view! {
        <PageTitle text=title />
        {flash.map(|m| view! { <SuccessBanner message=m /> })}
        <ErrorSummary form=form.clone() />
        <h1 class="govuk-heading-l">"OAT requests"</h1>
        <StaffNav />
        <nav aria-label="Request counts">
            <ul class="portal-count-row">
                <li>
                    <a class="govuk-link" href="/staff" aria-current=page.status.is_empty().then_some("true")>
                        "All " <span class="portal-count-row__number">{page.total.to_string()}</span>
                    </a>
                </li>
                {page.counts.iter().map(|(code, label, n)| {
                    let href = format!("/staff?status={code}");
                    let chosen = *code == page.status;
                    view! {
                        <li>
                            <a class="govuk-link" href=href aria-current=chosen.then_some("true")>
                                {label.clone()} " " <span class="portal-count-row__number">{n.to_string()}</span>
                            </a>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </nav>
        <div class="portal-filter-layout">
        <form method="get" action="/staff" novalidate class="portal-filter-layout__filter">
            <h2 class="govuk-heading-s">"Filter requests"</h2>
            <div class=if form.error("status").is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                <label class="govuk-label govuk-label--s" for="status">"Status"</label>
                {form.error("status").map(|e| view! { <p id="status-error" class="govuk-error-message"><span class="govuk-visually-hidden">"Error: "</span>{e}</p> })}
                <select class="govuk-select" id="status" name="status">{status_options}</select>
            </div>
            <TextInput id="from" label="Connection date from" input_type="date" value=page.from.clone() error=form.error("from") />
            <TextInput id="to" label="Connection date to" input_type="date" value=page.to.clone() error=form.error("to") />
            <TextInput id="q" label="Organisation, scheme or reference" value=page.q.clone() error=form.error("q") hint="Part of a name, or a whole reference like OAT-2026-000042" />
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for="sort">"Sort by"</label>
                <select class="govuk-select" id="sort" name="sort">{sort_options}</select>
            </div>
            <div class="govuk-button-group">
                <button type="submit" class="govuk-button govuk-button--secondary">"Apply filters"</button>
                <a class="govuk-link" href="/staff">"Clear filters"</a>
            </div>
        </form>
        <section class="portal-filter-layout__content" aria-label="Requests">
        {if page.items.is_empty() {
            view! { <p class="govuk-body">"No requests match these filters."</p> }.into_any()
        } else {
            view! {
                <table class="govuk-table">
                    <caption class="govuk-table__caption govuk-table__caption--m">{format!("Requests ({shown} shown)")}</caption>
                    <thead class="govuk-table__head">
                        <tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">"Reference"</th>
                            <th scope="col" class="govuk-table__header">"Organisation"</th>
                            <th scope="col" class="govuk-table__header">"Scheme"</th>
                            <th scope="col" class="govuk-table__header">"Connection date"</th>
                            <th scope="col" class="govuk-table__header">"Status"</th>
                            <th scope="col" class="govuk-table__header">"Go-live date"</th>
                        </tr>
                    </thead>
                    <tbody class="govuk-table__body">
                        {page.items.into_iter().map(|r| view! {
                            <tr class="govuk-table__row">
                                <td class="govuk-table__cell"><a class="govuk-link" href=format!("/staff/requests/{}", r.id)>{r.reference.clone()}</a></td>
                                <td class="govuk-table__cell">{r.organisation.clone()}</td>
                                <td class="govuk-table__cell">{r.scheme.clone()}</td>
                                <td class="govuk-table__cell">
                                    {long_date(r.connection_date)}
                                    {r.urgency.clone().map(|u| view! { <strong class="govuk-tag govuk-tag--orange govuk-!-display-block portal-urgent">{u}</strong> })}
                                </td>
                                <td class="govuk-table__cell">
                                    <StatusTag status=r.status />
                                    {r.waited.clone().map(|w| view! { <span class="govuk-body-s govuk-!-display-block govuk-!-margin-top-1 govuk-!-margin-bottom-0">{w}</span> })}
                                    {r.waiting.clone().into_iter().map(|w| view! { <span class="govuk-body-s govuk-!-display-block">{w}</span> }).collect_view()}
                                </td>
                                <td class="govuk-table__cell">{r.go_live_date.map(long_date).unwrap_or_else(|| "Not set".into())}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        {(page.previous.is_some() || page.next.is_some()).then(|| view! {
            <nav class="govuk-pagination govuk-pagination--block" aria-label="Pages of requests">
                {page.previous.clone().map(|href| view! {
                    <div class="govuk-pagination__prev">
                        <a class="govuk-link govuk-pagination__link" href=href rel="prev">
                            <span class="govuk-pagination__link-title">"Previous"<span class="govuk-visually-hidden">" page"</span></span>
                        </a>
                    </div>
                })}
                {page.next.clone().map(|href| view! {
                    <div class="govuk-pagination__next">
                        <a class="govuk-link govuk-pagination__link" href=href rel="next">
                            <span class="govuk-pagination__link-title">"Next"<span class="govuk-visually-hidden">" page"</span></span>
                        </a>
                    </div>
                })}
            </nav>
        })}
        <p class="govuk-body"><a class="govuk-link" href=csv rel="external" download>"Download these requests as CSV"</a></p>
        </section>
        </div>
    }
}

/// Links to a request's calendar files (downloads, so the router leaves them to the browser).
#[component]
pub(crate) fn CalendarLinks(base: String, files: Vec<(String, String)>) -> impl IntoView {
    (!files.is_empty()).then(|| view! {
        <ul class="govuk-list">
            {files.into_iter().map(|(words, name)| view! {
                <li><a class="govuk-link" href=format!("{base}/calendar/{name}") rel="external" download=name.clone()>{words}</a></li>
            }).collect_view()}
        </ul>
    })
}

/// One row of a summary list: a key and its value.
pub(crate) fn row(key: &'static str, value: impl IntoView + 'static) -> impl IntoView {
    view! {
        <div class="govuk-summary-list__row">
            <dt class="govuk-summary-list__key">{key}</dt>
            <dd class="govuk-summary-list__value">{value}</dd>
        </div>
    }
}

/// A request as staff see it, with what they can do next.
#[component]
pub fn StaffRequestPage() -> impl IntoView {
    let id = crate::pages::route_param("id");
    let tc = ServerAction::<SetTechnicalConnectionDate>::new();
    let data = Resource::new(
        move || (id(), tc.version().get()),
        |(id, _)| async move {
            let r = staff_request(id).await;
            let form = crate::pages::form_state("technical-connection").await;
            let flash = take_flash().await.ok().flatten();
            (r, form, flash)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().map(|(r, form, flash)| match r {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(r) => view! { <StaffRequestView r=r form=form flash=flash tc=tc /> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn StaffRequestView(
    r: StaffRequestView,
    form: FormState,
    flash: Option<String>,
    tc: ServerAction<SetTechnicalConnectionDate>,
) -> impl IntoView {
    let title = if form.has_errors() {
        format!("Error: {}", r.reference)
    } else {
        r.reference.clone()
    };
    let base = format!("/staff/requests/{}", r.id);
    let tc_value = if form.has_errors() {
        form.value("technical_connection_date")
    } else {
        r.technical_connection_on
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    let actions = r
        .allowed
        .iter()
        .map(|a| {
            let (label, secondary) = match a.as_str() {
                "schedule" if r.status == RequestStatus::TestScheduled => ("Change the test date", true),
                "schedule" if r.status == RequestStatus::Failed => ("Book the re-test", false),
                "schedule" => ("Schedule the connectivity test", false),
                "outcome" => ("Record the outcome", false),
                "go-live" => ("Confirm the go-live date", false),
                "move-go-live" => ("Move the go-live date", true),
                "support" => ("Arrange a support session", true),
                _ => ("Decide on the change of connection date", false),
            };
            let class = if secondary {
                "govuk-button govuk-button--secondary"
            } else {
                "govuk-button"
            };
            view! { <a href=format!("{base}/{a}") role="button" draggable="false" class=class data-module="govuk-button">{label}</a> }
        })
        .collect_view();
    view! {
        <PageTitle text=title />
        {flash.map(|m| view! { <SuccessBanner message=m /> })}
        <ErrorSummary form=form.clone() />
        <a href="/staff" class="govuk-back-link">"Back to OAT requests"</a>
        <span class="govuk-caption-l">{format!("{}: {}", r.organisation, r.scheme)}</span>
        <h1 class="govuk-heading-l">{format!("Request {}", r.reference)}</h1>
        {r.retest_asked.clone().map(|(when, note)| view! {
            <div class="govuk-inset-text">
                <strong>{format!("Ready for re-test since {when}.")}</strong>
                {(!note.is_empty()).then(|| format!(" What they fixed: {note}"))}
            </div>
        })}
        {r.support_asked.clone().map(|(when, text)| view! {
            <div class="govuk-inset-text"><strong>{format!("Support session asked for on {when}:")}</strong>{format!(" {text}")}</div>
        })}
        {(r.status == RequestStatus::Withdrawn).then(|| view! {
            <div class="govuk-inset-text">{format!("The organisation withdrew this request: {}", r.withdrawn_reason)}</div>
        })}
        <div class="govuk-button-group">{actions}</div>
        <h2 class="govuk-heading-m">"Status and dates"</h2>
        <dl class="govuk-summary-list">
            {row("Status", view! { <StatusTag status=r.status /> })}
            {row("Round of testing", r.test_round.to_string())}
            {row("Requested connection date", view! {
                {long_date(r.connection_date)}
                {r.urgency.clone().map(|u| view! { <strong class="govuk-tag govuk-tag--orange govuk-!-margin-left-2">{u}</strong> })}
            })}
            {row("Go-live date", r.go_live_date.map(long_date).unwrap_or_else(|| "Not set".into()))}
            {(!r.go_live_reason.is_empty()).then(|| row("Why the go-live date differs", r.go_live_reason.clone()))}
            {row("Connectivity test", r.test_at.clone().unwrap_or_else(|| "Not scheduled".into()))}
            {(!r.test_note.is_empty()).then(|| row("Test note", r.test_note.clone()))}
            {(!r.failure_reason.is_empty()).then(|| row("Why the test failed", r.failure_reason.clone()))}
            {r.support_at.clone().map(|s| row("Support session", format!("{s}. {}", r.support_join)))}
            {r.retest_of.clone().map(|(id, reference)| row("Re-test of", view! { <a class="govuk-link" href=format!("/staff/requests/{id}")>{reference}</a> }))}
        </dl>
        <CalendarLinks base=base.clone() files=r.calendar_files.clone() />
        <crate::pages::connectivity::OfficialRuns request_id=r.id can_run=r.status.awaiting_outcome() runs=r.runs.clone() />
        {(!r.queries.is_empty()).then(|| view! {
            <h2 class="govuk-heading-m">"Queries"</h2>
            <crate::pages::process::StaffQueries queries=r.queries.clone() />
        })}
        <crate::pages::connectivity::LatestReadiness run=r.readiness.clone() />
        <h2 class="govuk-heading-m">"Organisation and request"</h2>
        <dl class="govuk-summary-list">
            {row("Organisation", view! { <a class="govuk-link" href=format!("/staff/organisations/{}", r.organisation_id)>{r.organisation.clone()}</a> })}
            {row("Vouching scheme", r.scheme.clone())}
            {row("Sent by", format!("{} ({}) on {}", r.submitted_by, r.submitted_by_email, r.submitted_on))}
            {r.answers.clone().into_iter().map(|(q, a)| view! {
                <div class="govuk-summary-list__row">
                    <dt class="govuk-summary-list__key">{q}</dt>
                    <dd class="govuk-summary-list__value">{a}</dd>
                </div>
            }).collect_view()}
        </dl>
        <h2 class="govuk-heading-m">"Technical connection"</h2>
        <ActionForm action=tc attr:novalidate=true>
            <input type="hidden" name="organisation" value=r.organisation_id.to_string() />
            <input type="hidden" name="return_to" value=base.clone() />
            <TextInput
                id="technical_connection_date"
                label="Date the organisation completes its technical connection journey"
                hint="Connection and go-live dates must be after this date. Leave it empty if it is not known."
                input_type="date"
                value=tc_value
                error=form.error("technical_connection_date")
            />
            <button type="submit" class="govuk-button govuk-button--secondary">"Save technical connection date"</button>
        </ActionForm>
        {(!r.date_changes.is_empty()).then(|| view! { <DateChanges changes=r.date_changes.clone() /> })}
        <h2 class="govuk-heading-m">"What has happened"</h2>
        <Timeline entries=r.timeline.clone() />
        <h2 class="govuk-heading-m">"Emails"</h2>
        {if r.emails.is_empty() {
            view! { <p class="govuk-body">"No emails about this request yet."</p> }.into_any()
        } else {
            view! {
                <table class="govuk-table">
                    <caption class="govuk-visually-hidden">"Emails about this request"</caption>
                    <thead class="govuk-table__head"><tr class="govuk-table__row">
                        <th scope="col" class="govuk-table__header">"Written"</th>
                        <th scope="col" class="govuk-table__header">"To"</th>
                        <th scope="col" class="govuk-table__header">"Subject"</th>
                        <th scope="col" class="govuk-table__header">"Delivery"</th>
                    </tr></thead>
                    <tbody class="govuk-table__body">
                        {r.emails.clone().into_iter().map(|e| view! {
                            <tr class="govuk-table__row">
                                <td class="govuk-table__cell">{e.when}</td>
                                <td class="govuk-table__cell">{e.recipient}</td>
                                <td class="govuk-table__cell">{e.subject}</td>
                                <td class="govuk-table__cell">{match e.status.as_str() { "sent" => "Sent", "failed" => "Failed", _ => "Waiting to send" }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
    }
}

#[component]
fn DateChanges(changes: Vec<crate::api::review::DateChangeView>) -> impl IntoView {
    view! {
        <h2 class="govuk-heading-m">"Changes of connection date"</h2>
        <table class="govuk-table">
            <caption class="govuk-visually-hidden">"Changes of connection date asked for"</caption>
            <thead class="govuk-table__head"><tr class="govuk-table__row">
                <th scope="col" class="govuk-table__header">"New date"</th>
                <th scope="col" class="govuk-table__header">"Reason"</th>
                <th scope="col" class="govuk-table__header">"Asked"</th>
                <th scope="col" class="govuk-table__header">"Decision"</th>
            </tr></thead>
            <tbody class="govuk-table__body">
                {changes.into_iter().map(|c| {
                    let decision = match c.status.as_str() {
                        "pending" => "Waiting for a decision".to_string(),
                        s => {
                            let word = if s == "approved" { "Approved" } else { "Rejected" };
                            let by = c.decided_by.clone().map(|b| format!(" by {b}")).unwrap_or_default();
                            let why = if c.decision_reason.is_empty() { String::new() } else { format!(": {}", c.decision_reason) };
                            format!("{word}{by}{why}")
                        }
                    };
                    view! {
                        <tr class="govuk-table__row">
                            <td class="govuk-table__cell">{long_date(c.new_date)}</td>
                            <td class="govuk-table__cell">{c.reason}</td>
                            <td class="govuk-table__cell">{format!("{} by {}", c.requested_on, c.requested_by)}</td>
                            <td class="govuk-table__cell">{decision}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Everything that has happened to a request, oldest first.
#[component]
pub fn Timeline(entries: Vec<crate::api::oat::TimelineEntry>) -> impl IntoView {
    view! {
        <ol class="govuk-list">
            {entries.into_iter().map(|t| view! {
                <li class="govuk-!-margin-bottom-4">
                    <strong>{t.what}</strong>
                    <span class="govuk-body-s govuk-!-display-block">{format!("{} by {}", t.when, t.who)}</span>
                    {(!t.detail.is_empty()).then(|| view! { <span class="govuk-!-display-block">{t.detail.clone()}</span> })}
                    {t.link.clone().map(|(href, words)| view! { <a class="govuk-link govuk-!-display-block" href=href>{words}</a> })}
                </li>
            }).collect_view()}
        </ol>
    }
}

/// One page per staff action: `/staff/requests/:id/:action`.
#[component]
pub fn StaffActionPage() -> impl IntoView {
    let id = crate::pages::route_param("id");
    let which = crate::pages::route_param("action");
    let schedule = ServerAction::<ScheduleTest>::new();
    let outcome = ServerAction::<RecordOutcome>::new();
    let go_live = ServerAction::<ConfirmGoLive>::new();
    let failure = ServerAction::<RecordFailure>::new();
    let date_change = ServerAction::<DecideDateChange>::new();
    let support = ServerAction::<ArrangeSupport>::new();
    let move_go_live = ServerAction::<MoveGoLive>::new();
    let data = Resource::new(
        move || {
            (
                id(),
                which(),
                schedule.version().get()
                    + outcome.version().get()
                    + go_live.version().get()
                    + failure.version().get()
                    + date_change.version().get()
                    + support.version().get()
                    + move_go_live.version().get(),
            )
        },
        |(id, which, _)| async move {
            let r = staff_request(id).await;
            let form = crate::pages::form_state(&which).await;
            (r, which, form)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().map(|(r, which, form)| match r {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(r) => {
                    let available = match which.as_str() {
                        "schedule" => r.allowed.iter().any(|a| a == "schedule"),
                        "outcome" | "failure" => r.allowed.iter().any(|a| a == "outcome"),
                        "go-live" | "move-go-live" | "support" | "date-change" => r.allowed.contains(&which),
                        _ => return view! { <crate::pages::NotFound /> }.into_any(),
                    };
                    let heading = match which.as_str() {
                        "schedule" if r.status == RequestStatus::Failed => "Book the re-test",
                        "schedule" => "Schedule the connectivity test",
                        "move-go-live" => "Move the go-live date",
                        "support" => "Arrange a support session",
                        "outcome" => "Record the outcome of the connectivity test",
                        "failure" => "Why did the test fail?",
                        "go-live" => "Confirm the go-live date",
                        _ => "Decide on the change of connection date",
                    };
                    let title = if form.has_errors() { format!("Error: {heading}") } else { heading.to_string() };
                    let back = format!("/staff/requests/{}", r.id);
                    let body = if !available {
                        let now = r.status.label().to_lowercase();
                        view! {
                            <ErrorSummary form=form.clone() />
                            <h1 class="govuk-heading-l">{heading}</h1>
                            <p class="govuk-body">{format!("You cannot do this now: the request's status is {now}.")}</p>
                            <p class="govuk-body"><a class="govuk-link" href=back.clone()>"See the request as it is now"</a></p>
                        }.into_any()
                    } else {
                        let form_body = match which.as_str() {
                            "schedule" => view! { <ScheduleForm r=r.clone() form=form.clone() action=schedule /> }.into_any(),
                            "outcome" => view! { <OutcomeForm r=r.clone() form=form.clone() action=outcome /> }.into_any(),
                            "failure" => view! { <FailureForm r=r.clone() form=form.clone() action=failure /> }.into_any(),
                            "go-live" => view! { <GoLiveForm r=r.clone() form=form.clone() action=go_live /> }.into_any(),
                            "move-go-live" => view! { <MoveGoLiveForm r=r.clone() form=form.clone() action=move_go_live /> }.into_any(),
                            "support" => view! { <SupportForm r=r.clone() form=form.clone() action=support /> }.into_any(),
                            _ => view! { <DateChangeForm r=r.clone() form=form.clone() action=date_change /> }.into_any(),
                        };
                        view! {
                            <ErrorSummary form=form.clone() />
                            {form_body}
                        }.into_any()
                    };
                    view! {
                        <PageTitle text=title />
                        <a href=back class="govuk-back-link">"Back to the request"</a>
                        <span class="govuk-caption-l">{format!("{}: {}", r.reference, r.organisation)}</span>
                        <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">{body}</div></div>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

/// The hidden fields every action form carries: which request, and the version seen.
#[component]
fn Guard(r: StaffRequestView) -> impl IntoView {
    view! {
        <input type="hidden" name="id" value=r.id.to_string() />
        <input type="hidden" name="version" value=r.version.to_string() />
    }
}

/// The message shown when someone else acted first.
#[component]
fn ChangedNotice(form: FormState) -> impl IntoView {
    form.error("request").map(|e| {
        view! { <div class="govuk-inset-text" id="request">{e}</div> }
    })
}

#[component]
fn ScheduleForm(
    r: StaffRequestView,
    form: FormState,
    action: ServerAction<ScheduleTest>,
) -> impl IntoView {
    let fresh = !form.has_errors();
    let date = if fresh {
        r.test_date.clone()
    } else {
        form.value("test_date")
    };
    let time = if fresh {
        r.test_time.clone()
    } else {
        form.value("test_time")
    };
    let note = if fresh {
        r.test_note.clone()
    } else {
        form.value("note")
    };
    let retest = r.status == RequestStatus::Failed;
    view! {
        <h1 class="govuk-heading-l">{if retest { "Book the re-test" } else { "Schedule the connectivity test" }}</h1>
        <ChangedNotice form=form.clone() />
        {retest.then(|| view! { <p class="govuk-body">{format!("Test {} failed: {}. This books test {} on the same request.", r.test_round, r.failure_reason, r.test_round + 1)}</p> })}
        <p class="govuk-body">{format!("The organisation asked to connect on {}. We will email its service managers the date and time.", long_date(r.connection_date))}</p>
        <ActionForm action=action attr:novalidate=true>
            <Guard r=r.clone() />
            <TextInput id="test_date" label="Date of the test" input_type="date" value=date error=form.error("test_date") />
            <TextInput id="test_time" label="Time of the test (UK time)" hint="For example, 14:30 or 2:30pm" value=time error=form.error("test_time") />
            <Textarea id="note" label="Note for the organisation (optional)" value=note error=form.error("note") />
            <button type="submit" class="govuk-button" data-prevent-double-click="true">"Schedule the test"</button>
        </ActionForm>
    }
}

#[component]
fn OutcomeForm(
    r: StaffRequestView,
    form: FormState,
    action: ServerAction<RecordOutcome>,
) -> impl IntoView {
    view! {
        <ChangedNotice form=form.clone() />
        <ActionForm action=action attr:novalidate=true>
            <Guard r=r.clone() />
            <Radios
                id="outcome"
                legend="Record the outcome of the connectivity test"
                heading=true
                hint="Did the organisation's live find endpoint acknowledge the synthetic find request with HTTP 202 Accepted?"
                options=vec![
                    ("passed".into(), "Passed: it answered 202 Accepted".into()),
                    ("failed".into(), "Failed".into()),
                ]
                selected=form.value("outcome")
                error=form.error("outcome")
            />
            <button type="submit" class="govuk-button" data-prevent-double-click="true">"Continue"</button>
        </ActionForm>
    }
}

#[component]
fn FailureForm(
    r: StaffRequestView,
    form: FormState,
    action: ServerAction<RecordFailure>,
) -> impl IntoView {
    view! {
        <h1 class="govuk-heading-l">"Why did the test fail?"</h1>
        <ChangedNotice form=form.clone() />
        <p class="govuk-body">"The organisation's service managers are emailed the reason. Once they have resolved the issues they tell you they are ready for a re-test, on this request. Offer a support session here if they will need one; they can also ask for one."</p>
        <ActionForm action=action attr:novalidate=true>
            <Guard r=r.clone() />
            <Textarea id="reason" label="Reason" hint="Say what went wrong and how to fix it, for example: your endpoint answered 200; it must answer 202 Accepted" value=form.value("reason") error=form.error("reason") />
            <h2 class="govuk-heading-m">"Support session (optional)"</h2>
            <TextInput id="support_date" label="Date" input_type="date" value=form.value("support_date") error=form.error("support_date") />
            <TextInput id="support_time" label="Time (UK time)" hint="For example, 14:30 or 2:30pm" value=form.value("support_time") error=form.error("support_time") />
            <Textarea id="support_join" label="How to join" hint="For example, a video call link" rows=3 value=form.value("support_join") error=form.error("support_join") />
            <button type="submit" class="govuk-button govuk-button--warning" data-prevent-double-click="true">"Record the failure"</button>
        </ActionForm>
    }
}

#[component]
fn SupportForm(
    r: StaffRequestView,
    form: FormState,
    action: ServerAction<ArrangeSupport>,
) -> impl IntoView {
    view! {
        <h1 class="govuk-heading-l">"Arrange a support session"</h1>
        <ChangedNotice form=form.clone() />
        {r.support_asked.clone().map(|(when, text)| view! {
            <div class="govuk-inset-text">{format!("Asked for on {when}: {text}")}</div>
        })}
        <p class="govuk-body">"We will email the organisation's service managers the time and how to join."</p>
        <ActionForm action=action attr:novalidate=true>
            <Guard r=r.clone() />
            <TextInput id="support_date" label="Date" input_type="date" value=form.value("support_date") error=form.error("support_date") />
            <TextInput id="support_time" label="Time (UK time)" hint="For example, 14:30 or 2:30pm" value=form.value("support_time") error=form.error("support_time") />
            <Textarea id="support_join" label="How to join" hint="For example, a video call link" rows=3 value=form.value("support_join") error=form.error("support_join") />
            <button type="submit" class="govuk-button" data-prevent-double-click="true">"Book the support session"</button>
        </ActionForm>
    }
}

#[component]
fn MoveGoLiveForm(
    r: StaffRequestView,
    form: FormState,
    action: ServerAction<MoveGoLive>,
) -> impl IntoView {
    let current = r.go_live_date.map(long_date).unwrap_or_default();
    view! {
        <h1 class="govuk-heading-l">"Move the go-live date"</h1>
        <ChangedNotice form=form.clone() />
        <p class="govuk-body">{format!("The confirmed go-live date is {current}. The organisation's service managers are emailed the new date and your reason, and the scheme goes live on the new date.")}</p>
        <ActionForm action=action attr:novalidate=true>
            <Guard r=r.clone() />
            <TextInput id="new_date" label="New go-live date" input_type="date" value=form.value("new_date") error=form.error("new_date") />
            <Textarea id="reason" label="Why is it moving?" hint="The organisation sees this, for example: PDP's infrastructure is being updated that week" rows=3 value=form.value("reason") error=form.error("reason") />
            <button type="submit" class="govuk-button" data-prevent-double-click="true">"Move the go-live date"</button>
        </ActionForm>
    }
}

#[component]
fn GoLiveForm(
    r: StaffRequestView,
    form: FormState,
    action: ServerAction<ConfirmGoLive>,
) -> impl IntoView {
    let which = if form.has_errors() {
        form.value("which")
    } else {
        "requested".to_string()
    };
    view! {
        <ChangedNotice form=form.clone() />
        <p class="govuk-body">"The connectivity test passed. Confirm the date the scheme goes live: we will email the organisation's service managers."</p>
        <ActionForm action=action attr:novalidate=true>
            <Guard r=r.clone() />
            <Radios
                id="which"
                legend="Confirm the go-live date"
                heading=true
                options=vec![
                    ("requested".into(), format!("The requested connection date, {}", long_date(r.connection_date))),
                    ("other".into(), "Another date".into()),
                ]
                selected=which
                error=form.error("which")
            />
            <TextInput
                id="other_date"
                label="Another date"
                hint=format!("Only if you chose another date. It must be from {} to {}.", long_date(r.earliest_go_live), long_date(r.latest_go_live))
                input_type="date"
                value=form.value("other_date")
                error=form.error("other_date")
            />
            <Textarea id="reason" label="Why the date differs" hint="Needed when you choose another date" rows=3 value=form.value("reason") error=form.error("reason") />
            <button type="submit" class="govuk-button" data-prevent-double-click="true">"Confirm the go-live date"</button>
        </ActionForm>
    }
}

#[component]
fn DateChangeForm(
    r: StaffRequestView,
    form: FormState,
    action: ServerAction<DecideDateChange>,
) -> impl IntoView {
    let Some(c) = r.pending_change.clone() else {
        return view! { <p class="govuk-body">"There is no change of date waiting."</p> }
            .into_any();
    };
    view! {
        <h1 class="govuk-heading-l">"Decide on the change of connection date"</h1>
        <ChangedNotice form=form.clone() />
        <dl class="govuk-summary-list">
            {row("Current connection date", long_date(r.connection_date))}
            {row("New date asked for", long_date(c.new_date))}
            {row("Reason", c.reason.clone())}
            {row("Asked", format!("{} by {}", c.requested_on, c.requested_by))}
        </dl>
        <ActionForm action=action attr:novalidate=true>
            <Guard r=r.clone() />
            <input type="hidden" name="change" value=c.id.to_string() />
            <Radios
                id="decision"
                legend="Do you approve the change?"
                options=vec![
                    ("approve".into(), "Approve: the connection date becomes the new date".into()),
                    ("reject".into(), "Reject: the connection date stays as it is".into()),
                ]
                selected=form.value("decision")
                error=form.error("decision")
            />
            <Textarea id="reason" label="Reason" hint="Needed if you reject the change. It is sent to the service manager." rows=3 value=form.value("reason") error=form.error("reason") />
            <button type="submit" class="govuk-button" data-prevent-double-click="true">"Send decision"</button>
        </ActionForm>
    }.into_any()
}

/// The service manager asks to change the connection date: `/requests/:id/change-date`.
#[component]
pub fn ChangeDatePage() -> impl IntoView {
    let id = crate::pages::route_param("id");
    let action = ServerAction::<AskDateChange>::new();
    let data = Resource::new(
        move || (id(), action.version().get()),
        |(id, _)| async move {
            let r = request_detail(id).await;
            let form = crate::pages::form_state("change-date").await;
            (r, form)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().map(|(r, form)| match r {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(r) => {
                    let heading = "Change your connection date";
                    let title = if form.has_errors() { format!("Error: {heading}") } else { heading.to_string() };
                    let back = format!("/requests/{}", r.id);
                    view! {
                        <PageTitle text=title />
                        <a href=back.clone() class="govuk-back-link">"Back to your request"</a>
                        <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
                            <ErrorSummary form=form.clone() />
                            <span class="govuk-caption-l">{format!("{}: {}", r.reference, r.scheme_name)}</span>
                            <h1 class="govuk-heading-l">{heading}</h1>
                            {if r.can_change_date {
                                view! {
                                    <p class="govuk-body">{format!("Your connection date is {}. The Pensions Dashboards Programme must approve a change, usually within 5 working days.", long_date(r.connection_date))}</p>
                                    <ActionForm action=action attr:novalidate=true>
                                        <input type="hidden" name="id" value=r.id.to_string() />
                                        <TextInput id="new_date" label="New connection date" hint="It must be at least 7 calendar days from today, and after your organisation completes its technical connection journey." input_type="date" value=form.value("new_date") error=form.error("new_date") />
                                        <Textarea id="reason" label="Why do you need to change it?" hint="For example, your infrastructure is being updated" rows=3 value=form.value("reason") error=form.error("reason") />
                                        <button type="submit" class="govuk-button" data-prevent-double-click="true">"Ask to change the date"</button>
                                    </ActionForm>
                                }.into_any()
                            } else {
                                view! {
                                    <p class="govuk-body">"You cannot ask to change the connection date now: a change may already be waiting for a decision, or the request is past the point where the date can change."</p>
                                    <p class="govuk-body"><a class="govuk-link" href=back>"Go back to your request"</a></p>
                                }.into_any()
                            }}
                        </div></div>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}
