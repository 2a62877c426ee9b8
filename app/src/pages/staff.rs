//! Staff pages: the audit log and the emails the portal has written (dev and demo mode).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::staff::{list_audit, list_emails},
    components::{ErrorSummary, PageTitle},
    domain::audit::AuditAction,
    forms::FormState,
};
use crate::{
    api::{
        admin::SetTechnicalConnectionDate,
        auth::take_flash,
        staff::{staff_organisation, staff_organisations},
    },
    components::{SuccessBanner, TextInput},
    domain::oat::long_date,
};

/// The audit log with filters (a GET form, so filters are in the address and bookmarkable).
#[component]
pub fn AuditLog() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.with(|q| q.get(k)).filter(|v| !v.is_empty());
    let data = Resource::new(
        move || {
            (
                param("action"),
                param("email"),
                param("from"),
                param("to"),
                param("before"),
            )
        },
        |(action, email, from, to, before)| list_audit(action, email, from, to, before),
    );
    view! {
        <Suspense fallback=|| ()>
            {move || {
                data.get()
                    .map(|page| {
                        let page = match page {
                            Ok(page) => page,
                            Err(e) => return view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                        };
                        let form = FormState { values: vec![], errors: page.errors.clone() };
                        let title = if form.has_errors() { "Error: Audit log" } else { "Audit log" };
                        let chosen = param("action").unwrap_or_default();
                        let older = page.older.map(|id| {
                            let mut href = format!("/staff/audit?before={id}");
                            for k in ["action", "email", "from", "to"] {
                                if let Some(v) = param(k) {
                                    href.push_str(&format!("&{k}={}", crate::api::auth::urlencode(&v)));
                                }
                            }
                            href
                        });
                        view! {
                            <PageTitle text=title />
                            <ErrorSummary form=form.clone() />
                            <h1 class="govuk-heading-l">"Audit log"</h1>
                            <crate::pages::review::StaffNav />
                            <form method="get" action="/staff/audit" novalidate>
                                <div class="govuk-grid-row">
                                    <div class="govuk-grid-column-one-quarter">
                                        <div class="govuk-form-group">
                                            <label class="govuk-label govuk-label--s" for="action">"Event"</label>
                                            <select class="govuk-select" id="action" name="action">
                                                <option value="" selected=chosen.is_empty()>"Any event"</option>
                                                {AuditAction::ALL
                                                    .into_iter()
                                                    .map(|a| view! { <option value=a.code() selected=chosen == a.code()>{a.label()}</option> })
                                                    .collect_view()}
                                            </select>
                                        </div>
                                    </div>
                                    <div class="govuk-grid-column-one-quarter">
                                        <div class="govuk-form-group">
                                            <label class="govuk-label govuk-label--s" for="email">"Email address"</label>
                                            <input class="govuk-input" id="email" name="email" type="text" spellcheck="false" value=param("email").unwrap_or_default() />
                                        </div>
                                    </div>
                                    <div class="govuk-grid-column-one-quarter">
                                        <div class="govuk-form-group">
                                            <label class="govuk-label govuk-label--s" for="from">"From (YYYY-MM-DD)"</label>
                                            <input class="govuk-input" id="from" name="from" type="text" inputmode="numeric" value=param("from").unwrap_or_default() />
                                        </div>
                                    </div>
                                    <div class="govuk-grid-column-one-quarter">
                                        <div class="govuk-form-group">
                                            <label class="govuk-label govuk-label--s" for="to">"To (YYYY-MM-DD)"</label>
                                            <input class="govuk-input" id="to" name="to" type="text" inputmode="numeric" value=param("to").unwrap_or_default() />
                                        </div>
                                    </div>
                                </div>
                                <button type="submit" class="govuk-button govuk-button--secondary">"Filter"</button>
                            </form>
                            <table class="govuk-table">
                                <caption class="govuk-table__caption govuk-table__caption--s">"Newest first, times in UTC"</caption>
                                <thead class="govuk-table__head">
                                    <tr class="govuk-table__row">
                                        <th scope="col" class="govuk-table__header">"When"</th>
                                        <th scope="col" class="govuk-table__header">"Event"</th>
                                        <th scope="col" class="govuk-table__header">"By"</th>
                                        <th scope="col" class="govuk-table__header">"About"</th>
                                        <th scope="col" class="govuk-table__header">"Client address"</th>
                                        <th scope="col" class="govuk-table__header">"Detail"</th>
                                    </tr>
                                </thead>
                                <tbody class="govuk-table__body">
                                    {page
                                        .entries
                                        .into_iter()
                                        .map(|e| {
                                            view! {
                                                <tr class="govuk-table__row">
                                                    <td class="govuk-table__cell">{e.occurred_at}</td>
                                                    <td class="govuk-table__cell">{e.action}</td>
                                                    <td class="govuk-table__cell">{e.actor}</td>
                                                    <td class="govuk-table__cell">{e.target}" "{e.organisation}</td>
                                                    <td class="govuk-table__cell">{e.client_ip}</td>
                                                    <td class="govuk-table__cell">{e.detail}</td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                            {older.map(|href| view! {
                                <p class="govuk-body"><a class="govuk-link" href=href>"Older events"</a></p>
                            })}
                        }.into_any()
                    })
            }}
        </Suspense>
    }
}

/// What the portal has "sent", for trying it without a mail server.
#[component]
pub fn Emails() -> impl IntoView {
    let data = Resource::new(|| (), |_| list_emails());
    view! {
        <PageTitle text="Emails" />
        <h1 class="govuk-heading-l">"Emails"</h1>
        <crate::pages::review::StaffNav />
        <p class="govuk-body">"In demo mode, whose people are fictional, the portal lists here the emails it sends."</p>
        <Suspense fallback=|| ()>
            {move || {
                data.get()
                    .map(|emails| match emails {
                        Err(e @ crate::error::AppError::Internal { .. }) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                        Err(_) => view! { <p class="govuk-body">"Emails are sent for real here, so they are not listed."</p> }.into_any(),
                        Ok(emails) if emails.is_empty() => view! { <p class="govuk-body">"No emails yet."</p> }.into_any(),
                        Ok(emails) => emails
                            .into_iter()
                            .map(|e| {
                                view! {
                                    <div class="govuk-summary-card">
                                        <div class="govuk-summary-card__title-wrapper">
                                            <h2 class="govuk-summary-card__title">{e.subject}</h2>
                                        </div>
                                        <div class="govuk-summary-card__content">
                                            <dl class="govuk-summary-list">
                                                <div class="govuk-summary-list__row">
                                                    <dt class="govuk-summary-list__key">"To"</dt>
                                                    <dd class="govuk-summary-list__value">{e.recipient}</dd>
                                                </div>
                                                <div class="govuk-summary-list__row">
                                                    <dt class="govuk-summary-list__key">"Written"</dt>
                                                    <dd class="govuk-summary-list__value">{e.created_at}" ("{e.status}")"</dd>
                                                </div>
                                            </dl>
                                            <pre class="govuk-body-s portal-email-body">{e.body_text}</pre>
                                        </div>
                                    </div>
                                }
                            })
                            .collect_view()
                            .into_any(),
                    })
            }}
        </Suspense>
    }
}

/// Organisations, for programme staff.
#[component]
pub fn StaffOrganisations() -> impl IntoView {
    let data = Resource::new(|| (), |_| staff_organisations());
    view! {
        <PageTitle text="Organisations" />
        <h1 class="govuk-heading-l">"Organisations"</h1>
        <crate::pages::review::StaffNav />
        <Suspense fallback=|| ()>
            {move || data.get().map(|orgs| match orgs {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(orgs) => view! {
                <table class="govuk-table">
                    <caption class="govuk-table__caption govuk-table__caption--m">"Connecting organisations"</caption>
                    <thead class="govuk-table__head">
                        <tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">"Name"</th>
                            <th scope="col" class="govuk-table__header">"Type"</th>
                            <th scope="col" class="govuk-table__header">"Technical connection completes"</th>
                        </tr>
                    </thead>
                    <tbody class="govuk-table__body">
                        {orgs.into_iter().map(|o| view! {
                            <tr class="govuk-table__row">
                                <td class="govuk-table__cell"><a class="govuk-link" href=format!("/staff/organisations/{}", o.id)>{o.name}</a></td>
                                <td class="govuk-table__cell">{o.kind}</td>
                                <td class="govuk-table__cell">{o.technical_connection_on.map(long_date).unwrap_or_else(|| "Not recorded".into())}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()})}
        </Suspense>
    }
}

/// One organisation for staff: record when it completes its technical connection journey.
#[component]
pub fn StaffOrganisation() -> impl IntoView {
    let id = crate::pages::route_param("id");
    let action = ServerAction::<SetTechnicalConnectionDate>::new();
    let data = Resource::new(
        move || (id(), action.version().get()),
        |(id, _)| async move {
            let org = staff_organisation(id).await;
            let form = crate::pages::form_state("technical-connection").await;
            let flash = take_flash().await.ok().flatten();
            (org, form, flash)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().map(|(org, form, flash)| match org {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(org) => {
                    let title = if form.has_errors() { format!("Error: {}", org.name) } else { org.name.clone() };
                    let value = if form.has_errors() {
                        form.value("technical_connection_date")
                    } else {
                        org.technical_connection_on.map(|d| d.to_string()).unwrap_or_default()
                    };
                    view! {
                        <PageTitle text=title />
                        {flash.map(|m| view! { <SuccessBanner message=m /> })}
                        <ErrorSummary form=form.clone() />
                        <a href="/staff/organisations" class="govuk-back-link">"Back to organisations"</a>
                        <span class="govuk-caption-l">{org.kind.clone()}</span>
                        <h1 class="govuk-heading-l">{org.name.clone()}</h1>
                        <ActionForm action=action attr:novalidate=true>
                            <input type="hidden" name="organisation" value=org.id.to_string() />
                            <TextInput
                                id="technical_connection_date"
                                label="Date the organisation completes its technical connection journey"
                                hint="Connection dates must be after this date. Leave it empty if it is not known."
                                input_type="date"
                                value=value
                                error=form.error("technical_connection_date")
                            />
                            <button type="submit" class="govuk-button">"Save date"</button>
                        </ActionForm>
                        <SchemesTable rows=org.schemes.clone() />
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

/// An organisation's providers and schemes, for staff.
#[component]
fn SchemesTable(rows: Vec<crate::api::oat::SchemeRow>) -> impl IntoView {
    use crate::pages::oat::SchemeRows;
    if rows.is_empty() {
        return view! { <p class="govuk-body">"No pension providers or schemes are registered yet."</p> }.into_any();
    }
    view! {
        <table class="govuk-table">
            <caption class="govuk-table__caption govuk-table__caption--m">"Pension providers and schemes"</caption>
            <thead class="govuk-table__head">
                <tr class="govuk-table__row">
                    <th scope="col" class="govuk-table__header">"Provider or scheme"</th>
                    <th scope="col" class="govuk-table__header">"Regulator"</th>
                    <th scope="col" class="govuk-table__header">"Status"</th>
                    <th scope="col" class="govuk-table__header">"Go-live date"</th>
                    <th scope="col" class="govuk-table__header">"Next step"</th>
                </tr>
            </thead>
            <SchemeRows rows=rows />
        </table>
    }.into_any()
}
