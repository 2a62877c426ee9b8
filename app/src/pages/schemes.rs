//! Further pension providers and schemes: the organisation adds them one at a time or in a CSV
//! file once its vouching scheme has passed OAT; programme staff approve or reject each one.

use leptos::prelude::*;

use crate::{
    api::{
        auth::take_flash,
        schemes::{
            add_schemes_view, pending_schemes, submitted_scheme, take_upload_report, AddScheme,
            AddSchemesInfo, DecideScheme, SchemeForStaff, UploadReport,
        },
    },
    components::{ErrorSummary, PageTitle, Radios, SuccessBanner, TextInput, Textarea},
    domain::{
        oat::{long_date, DateRule},
        schemes::{Availability, MAX_CSV_ROWS},
    },
    forms::FormState,
};

/// Why adding is not open to this user yet, or `None` when it is.
fn not_yet(v: &AddSchemesInfo) -> Option<AnyView> {
    match (v.may_add, v.availability) {
        (false, _) => Some(view! {
            <p class="govuk-body">"Only a service manager or a primary business contact can add pension providers and schemes."</p>
        }.into_any()),
        (true, Availability::NoVouchingScheme) => Some(view! {
            <p class="govuk-body">"Your organisation does not have a vouching scheme registered yet. The Pensions Dashboards Programme adds it, and it must pass operational acceptance testing first."</p>
        }.into_any()),
        (true, Availability::NotPassed) => {
            let name = v.vouching_name.clone().unwrap_or_default();
            let status = v
                .vouching_status
                .map(|s| s.label().to_lowercase())
                .unwrap_or_default();
            Some(view! {
                <p class="govuk-body">{format!("You can add further pension providers and schemes once your vouching scheme, {name}, has passed operational acceptance testing.")}</p>
                <p class="govuk-body">{format!("Its testing status is {status}. The vouching scheme proves your connection to the live environment works before anything else connects through it.")}</p>
                <p class="govuk-body"><a class="govuk-link" href="/organisation">"Go to your providers and schemes"</a></p>
            }.into_any())
        }
        (true, Availability::Available) => None,
    }
}

/// Add one further provider or scheme.
#[component]
pub fn AddSchemePage() -> impl IntoView {
    let action = ServerAction::<AddScheme>::new();
    let data = Resource::new(
        move || action.version().get(),
        |_| async move {
            let view = add_schemes_view().await;
            let form = crate::pages::form_state("add-scheme").await;
            (view, form)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().map(|(v, form)| match v {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(v) => {
                    let title = if form.has_errors() {
                        "Error: Add a pension provider or scheme"
                    } else {
                        "Add a pension provider or scheme"
                    };
                    view! {
                        <PageTitle text=title />
                        <a href="/organisation" class="govuk-back-link">"Back"</a>
                        <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
                            <ErrorSummary form=form.clone() />
                            <span class="govuk-caption-l">{v.organisation.clone()}</span>
                            <h1 class="govuk-heading-l">"Add a pension provider or scheme"</h1>
                            {match not_yet(&v) {
                                Some(why) => why,
                                None => view! { <AddSchemeForm form=form rule=v.rule action=action /> }.into_any(),
                            }}
                        </div></div>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

#[component]
fn AddSchemeForm(
    form: FormState,
    rule: DateRule,
    action: ServerAction<AddScheme>,
) -> impl IntoView {
    let date_error = form.error("connection_date");
    let (group, input_class) = if date_error.is_some() {
        (
            "govuk-form-group govuk-form-group--error",
            "govuk-input govuk-input--width-10 govuk-input--error",
        )
    } else {
        ("govuk-form-group", "govuk-input govuk-input--width-10")
    };
    let described = if date_error.is_some() {
        "connection_date-hint connection_date-error"
    } else {
        "connection_date-hint"
    };
    view! {
        <p class="govuk-body">"Programme staff check each one before it connects. It goes live on its connection date once approved."</p>
        <p class="govuk-body">"To add several at once, " <a class="govuk-link" href="/organisation/schemes/upload">"upload a CSV file"</a> "."</p>
        <ActionForm action=action attr:novalidate=true>
            <TextInput id="scheme_name" label="Name of the pension provider or scheme" value=form.value("scheme_name") error=form.error("scheme_name") />
            <Radios
                id="regulator"
                legend="Regulator"
                options=vec![
                    ("FCA".to_string(), "Financial Conduct Authority (FCA)".to_string()),
                    ("TPR".to_string(), "The Pensions Regulator (TPR)".to_string()),
                ]
                selected=form.value("regulator").to_ascii_uppercase()
                error=form.error("regulator")
            />
            <TextInput
                id="regulator_number"
                label="Regulator number"
                hint="The FCA firm reference number or the TPR scheme registration number: letters and numbers only"
                value=form.value("regulator_number")
                error=form.error("regulator_number")
                spellcheck_off=true
            />
            <div class=group>
                <label class="govuk-label govuk-label--s" for="connection_date">"Connection date"</label>
                <div id="connection_date-hint" class="govuk-hint">{rule.hint()}</div>
                {date_error.map(|e| view! {
                    <p id="connection_date-error" class="govuk-error-message"><span class="govuk-visually-hidden">"Error: "</span>{e}</p>
                })}
                <input
                    class=input_class
                    id="connection_date"
                    name="connection_date"
                    type="date"
                    min=rule.earliest.to_string()
                    max=rule.latest.to_string()
                    value=form.value("connection_date")
                    aria-describedby=described
                />
            </div>
            <button type="submit" class="govuk-button">"Send for approval"</button>
        </ActionForm>
    }
}

/// Upload a CSV file of providers and schemes, and see what was wrong with the last one.
#[component]
pub fn UploadSchemesPage() -> impl IntoView {
    let data = Resource::new(
        || (),
        |_| async move {
            let view = add_schemes_view().await;
            let report = take_upload_report().await.ok().flatten();
            (view, report)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().map(|(v, report)| match v {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(v) => {
                    let title = if report.is_some() {
                        "Error: Upload pension providers and schemes"
                    } else {
                        "Upload pension providers and schemes"
                    };
                    view! {
                        <PageTitle text=title />
                        <a href="/organisation/schemes/add" class="govuk-back-link">"Back"</a>
                        <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
                            {report.clone().map(|r| view! { <UploadSummary report=r /> })}
                            <span class="govuk-caption-l">{v.organisation.clone()}</span>
                            <h1 class="govuk-heading-l">"Upload pension providers and schemes"</h1>
                            {match not_yet(&v) {
                                Some(why) => why,
                                None => view! { <UploadForm rule=v.rule report=report /> }.into_any(),
                            }}
                        </div></div>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

/// "There is a problem" for a file that was not accepted, linking to the file field.
#[component]
fn UploadSummary(report: UploadReport) -> impl IntoView {
    let mut form = FormState::default();
    let message = match (&report.file_error, report.rows_in_error) {
        (Some(e), _) => e.clone(),
        (None, 1) => "1 row of the selected file has a problem: nothing was added".to_string(),
        (None, n) => format!("{n} rows of the selected file have problems: nothing was added"),
    };
    form = form.with_error("file", message);
    view! { <ErrorSummary form=form /> }
}

#[component]
fn UploadForm(rule: DateRule, report: Option<UploadReport>) -> impl IntoView {
    let error = report.as_ref().map(|r| match &r.file_error {
        Some(e) => e.clone(),
        None => "Correct the rows listed below and upload the whole file again".to_string(),
    });
    let (group, input_class, described) = if error.is_some() {
        (
            "govuk-form-group govuk-form-group--error",
            "govuk-file-upload govuk-file-upload--error",
            "file-hint file-error",
        )
    } else {
        ("govuk-form-group", "govuk-file-upload", "file-hint")
    };
    let rows = report.map(|r| (r.file_name, r.rows_checked, r.rows_in_error, r.rows));
    view! {
        <p class="govuk-body">"Use a CSV file with one pension provider or scheme on each line, under these column names:"</p>
        <ul class="govuk-list govuk-list--bullet">
            <li><code>"name"</code>": the provider's or scheme's name"</li>
            <li><code>"regulator"</code>": FCA or TPR"</li>
            <li><code>"regulator_number"</code>": letters and numbers only"</li>
            <li><code>"connection_date"</code>": for example 2027-01-31 or 31/01/2027"</li>
        </ul>
        <p class="govuk-body"><a class="govuk-link" href="/schemes-template.csv" download="schemes-template.csv">"Download a template (CSV)"</a></p>
        <div class="govuk-inset-text">
            "We check every row before adding anything. If any row has a problem, we add none of the file and list the rows to correct, so you can upload the whole file again without adding anything twice."
        </div>
        <p class="govuk-body">{format!("{} The file can have up to {MAX_CSV_ROWS} rows and must be smaller than 1 MB.", rule.hint())}</p>
        {rows.and_then(|(name, checked, in_error, rows)| (!rows.is_empty()).then(|| view! {
            <table class="govuk-table">
                <caption class="govuk-table__caption govuk-table__caption--m">
                    {format!("Rows to correct in {}", if name.is_empty() { "your file".to_string() } else { name })}
                    <span class="govuk-caption-m">{if in_error > rows.len() {
                        format!("{in_error} of {checked} rows checked have problems; the first {} are listed", rows.len())
                    } else {
                        format!("{in_error} of {checked} rows checked have problems")
                    }}</span>
                </caption>
                <thead class="govuk-table__head">
                    <tr class="govuk-table__row">
                        <th scope="col" class="govuk-table__header">"Line"</th>
                        <th scope="col" class="govuk-table__header">"Provider or scheme"</th>
                        <th scope="col" class="govuk-table__header">"Problem"</th>
                    </tr>
                </thead>
                <tbody class="govuk-table__body">
                    {rows.into_iter().map(|r| view! {
                        <tr class="govuk-table__row">
                            <td class="govuk-table__cell">{r.line}</td>
                            <td class="govuk-table__cell">{r.name}</td>
                            <td class="govuk-table__cell">
                                <ul class="govuk-list">
                                    {r.errors.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}
                                </ul>
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }))}
        // A plain form: the file goes as multipart/form-data with or without JavaScript.
        <form method="post" action="/organisation/schemes/upload" enctype="multipart/form-data" novalidate>
            <div class=group>
                <label class="govuk-label govuk-label--s" for="file">"Upload a CSV file"</label>
                <div id="file-hint" class="govuk-hint">"A file saved as CSV (comma separated values), UTF-8"</div>
                {error.map(|e| view! {
                    <p id="file-error" class="govuk-error-message"><span class="govuk-visually-hidden">"Error: "</span>{e}</p>
                })}
                <input class=input_class id="file" name="file" type="file" accept=".csv,text/csv" aria-describedby=described />
            </div>
            <button type="submit" class="govuk-button">"Upload file"</button>
        </form>
    }
}

/// Programme staff: further schemes waiting for approval.
#[component]
pub fn StaffSchemes() -> impl IntoView {
    let data = Resource::new(
        || (),
        |_| async move { (pending_schemes().await, take_flash().await.ok().flatten()) },
    );
    view! {
        <PageTitle text="Schemes waiting for approval" />
        <Suspense fallback=|| ()>
            {move || data.get().map(|(list, flash)| match list {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(list) => view! {
                    {flash.map(|m| view! { <SuccessBanner message=m /> })}
                    <h1 class="govuk-heading-l">"Schemes waiting for approval"</h1>
                    <crate::pages::review::StaffNav />
                    <p class="govuk-body">"Further pension providers and schemes that organisations added after their vouching scheme passed operational acceptance testing. Once approved, each goes live on its connection date."</p>
                    {if list.schemes.is_empty() {
                        view! { <p class="govuk-body">"No schemes are waiting for approval."</p> }.into_any()
                    } else {
                        let total = list.total;
                        let shown = list.schemes.len();
                        view! {
                            <table class="govuk-table">
                                <caption class="govuk-table__caption govuk-table__caption--m">
                                    {if total as usize > shown {
                                        format!("{total} waiting, oldest first; the first {shown} are shown")
                                    } else {
                                        format!("{total} waiting, oldest first")
                                    }}
                                </caption>
                                <thead class="govuk-table__head">
                                    <tr class="govuk-table__row">
                                        <th scope="col" class="govuk-table__header">"Provider or scheme"</th>
                                        <th scope="col" class="govuk-table__header">"Organisation"</th>
                                        <th scope="col" class="govuk-table__header">"Regulator"</th>
                                        <th scope="col" class="govuk-table__header">"Connection date asked for"</th>
                                        <th scope="col" class="govuk-table__header">"Sent"</th>
                                    </tr>
                                </thead>
                                <tbody class="govuk-table__body">
                                    {list.schemes.into_iter().map(|s| view! {
                                        <tr class="govuk-table__row">
                                            <th scope="row" class="govuk-table__header">
                                                <a class="govuk-link" href=format!("/staff/schemes/{}", s.id)>{s.name.clone()}</a>
                                            </th>
                                            <td class="govuk-table__cell">{s.organisation.clone()}</td>
                                            <td class="govuk-table__cell">{format!("{} {}", s.regulator, s.regulator_number)}</td>
                                            <td class="govuk-table__cell">{s.connection_date.map(long_date).unwrap_or_default()}</td>
                                            <td class="govuk-table__cell">{format!("{} by {}", s.submitted_on, s.submitted_by)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                }.into_any(),
            })}
        </Suspense>
    }
}

/// Programme staff: one further scheme, and the decision.
#[component]
pub fn StaffSchemePage() -> impl IntoView {
    let id = crate::pages::route_param("id");
    let action = ServerAction::<DecideScheme>::new();
    let data = Resource::new(
        move || (id(), action.version().get()),
        |(id, _)| async move {
            let s = submitted_scheme(id).await;
            let form = crate::pages::form_state("decide-scheme").await;
            let flash = take_flash().await.ok().flatten();
            (s, form, flash)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().map(|(s, form, flash)| match s {
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                Ok(s) => view! { <SchemeDecision s=s form=form flash=flash action=action /> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn SchemeDecision(
    s: SchemeForStaff,
    form: FormState,
    flash: Option<String>,
    action: ServerAction<DecideScheme>,
) -> impl IntoView {
    let title = if form.has_errors() {
        format!("Error: {}", s.name)
    } else {
        s.name.clone()
    };
    let decided = match s.approval.as_str() {
        "approved" => Some("Approved".to_string()),
        "rejected" => Some(format!("Rejected: {}", s.rejection_reason)),
        _ => None,
    };
    let rows = [
        ("Organisation", s.organisation.clone()),
        (
            "Regulator",
            format!("{} {}", s.regulator, s.regulator_number),
        ),
        (
            "Connection date asked for",
            s.connection_date.map(long_date).unwrap_or_default(),
        ),
        ("Sent", format!("{} by {}", s.submitted_on, s.submitted_by)),
    ];
    view! {
        <PageTitle text=title />
        <a href="/staff/schemes" class="govuk-back-link">"Back to schemes waiting for approval"</a>
        {flash.map(|m| view! { <SuccessBanner message=m /> })}
        <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
            <ErrorSummary form=form.clone() />
            <span class="govuk-caption-l">"Further pension provider or scheme"</span>
            <h1 class="govuk-heading-l">{s.name.clone()}</h1>
            <dl class="govuk-summary-list">
                {rows.into_iter().map(|(k, v)| view! {
                    <div class="govuk-summary-list__row">
                        <dt class="govuk-summary-list__key">{k}</dt>
                        <dd class="govuk-summary-list__value">{v}</dd>
                    </div>
                }).collect_view()}
                {decided.clone().map(|d| view! {
                    <div class="govuk-summary-list__row">
                        <dt class="govuk-summary-list__key">"Decision"</dt>
                        <dd class="govuk-summary-list__value">{d}</dd>
                    </div>
                })}
            </dl>
            <p class="govuk-body"><a class="govuk-link" href=format!("/staff/organisations/{}", s.organisation_id)>"See the organisation"</a></p>
            {decided.is_none().then(|| view! {
                <ActionForm action=action attr:novalidate=true>
                    <input type="hidden" name="id" value=s.id.to_string() />
                    <Radios
                        id="decision"
                        legend="Do you approve this provider or scheme?"
                        options=vec![
                            ("approve".to_string(), "Approve: it goes live on the connection date asked for".to_string()),
                            ("reject".to_string(), "Reject".to_string()),
                        ]
                        selected=form.value("decision")
                        error=form.error("decision")
                    />
                    <Textarea
                        id="reason"
                        label="Reason for rejecting (the organisation sees this)"
                        hint="Needed only if you reject it"
                        value=form.value("reason")
                        error=form.error("reason")
                        rows=3
                    />
                    <button type="submit" class="govuk-button">"Save decision"</button>
                </ActionForm>
            })}
        </div></div>
    }
}
