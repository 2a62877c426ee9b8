//! GOV.UK form components: error summary, text input, notification banner.

use leptos::prelude::*;

use crate::forms::FormState;

/// "There is a problem" with a link to each field in error. Renders nothing without errors.
/// Focus moves to it when the page loads (autofocus: every form is a plain post, so each error
/// arrives on a new page).
#[component]
pub fn ErrorSummary(form: FormState) -> impl IntoView {
    if !form.has_errors() {
        return None;
    }
    Some(view! {
        <div class="govuk-error-summary" data-module="govuk-error-summary" tabindex="-1" autofocus>
            <div role="alert">
                <h2 class="govuk-error-summary__title">"There is a problem"</h2>
                <div class="govuk-error-summary__body">
                    <ul class="govuk-list govuk-error-summary__list">
                        {form
                            .errors
                            .into_iter()
                            .map(|(field, message)| {
                                view! {
                                    <li>
                                        // rel="external": the browser follows it and focuses the field.
                                        <a href=format!("#{field}") rel="external">
                                            {message}
                                        </a>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </div>
            </div>
        </div>
    })
}

/// A labelled text input with optional hint and inline error, GOV.UK markup.
#[component]
pub fn TextInput(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    #[prop(into, optional)] value: String,
    #[prop(default = None)] error: Option<String>,
    #[prop(into, optional)] hint: Option<String>,
    #[prop(into, default = "text".into())] input_type: String,
    #[prop(into, optional)] autocomplete: Option<String>,
    #[prop(optional)] spellcheck_off: bool,
    /// The keyboard a phone shows ("numeric" for codes).
    #[prop(into, optional)]
    inputmode: Option<String>,
    /// A narrower input, for short answers such as a 6-digit code (a GOV.UK width class).
    #[prop(into, optional)]
    width: Option<String>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = [
        hint.as_ref().map(|_| hint_id.clone()),
        error.as_ref().map(|_| error_id.clone()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let group_class = if error.is_some() {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    };
    let input_class = match (error.is_some(), width) {
        (false, None) => "govuk-input".to_string(),
        (true, None) => "govuk-input govuk-input--error".to_string(),
        (false, Some(w)) => format!("govuk-input {w}"),
        (true, Some(w)) => format!("govuk-input govuk-input--error {w}"),
    };
    view! {
        <div class=group_class>
            <label class="govuk-label govuk-label--s" for=id.clone()>
                {label}
            </label>
            {hint.map(|h| view! { <div id=hint_id.clone() class="govuk-hint">{h}</div> })}
            {error
                .map(|e| {
                    view! {
                        <p id=error_id.clone() class="govuk-error-message">
                            <span class="govuk-visually-hidden">"Error: "</span>
                            {e}
                        </p>
                    }
                })}
            <input
                class=input_class
                id=id.clone()
                name=id
                type=input_type
                // An attribute only: hydration leaves attributes alone but sets properties, and
                // setting `value` would wipe whatever was typed or autofilled before it ran.
                value=value
                autocomplete=autocomplete
                inputmode=inputmode
                spellcheck=spellcheck_off.then_some("false")
                aria-describedby=(!described.is_empty()).then_some(described)
            />
        </div>
    }
}

/// The green "Success" banner for the result of something just done.
#[component]
pub fn SuccessBanner(#[prop(into)] message: String) -> impl IntoView {
    view! {
        <div
            class="govuk-notification-banner govuk-notification-banner--success"
            role="alert"
            aria-labelledby="govuk-notification-banner-title"
        >
            <div class="govuk-notification-banner__header">
                <h2 class="govuk-notification-banner__title" id="govuk-notification-banner-title">
                    "Success"
                </h2>
            </div>
            <div class="govuk-notification-banner__content">
                <p class="govuk-notification-banner__heading">{message}</p>
            </div>
        </div>
    }
}

/// The ids GOV.UK uses for a field's hint and error message, and the `aria-describedby` that
/// joins them.
fn described_by(id: &str, hint: bool, error: bool) -> Option<String> {
    let ids: Vec<String> = [
        hint.then(|| format!("{id}-hint")),
        error.then(|| format!("{id}-error")),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

#[component]
fn FieldError(id: String, error: Option<String>) -> impl IntoView {
    error.map(|e| {
        view! {
            <p id=format!("{id}-error") class="govuk-error-message">
                <span class="govuk-visually-hidden">"Error: "</span>
                {e}
            </p>
        }
    })
}

/// A labelled multi-line text box with optional hint and inline error.
#[component]
pub fn Textarea(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    #[prop(into, optional)] value: String,
    #[prop(default = None)] error: Option<String>,
    #[prop(into, optional)] hint: Option<String>,
    #[prop(default = 5)] rows: u32,
) -> impl IntoView {
    let described = described_by(&id, hint.is_some(), error.is_some());
    let (group, class) = if error.is_some() {
        (
            "govuk-form-group govuk-form-group--error",
            "govuk-textarea govuk-textarea--error",
        )
    } else {
        ("govuk-form-group", "govuk-textarea")
    };
    view! {
        <div class=group>
            <label class="govuk-label govuk-label--s" for=id.clone()>{label}</label>
            {hint.map(|h| view! { <div id=format!("{id}-hint") class="govuk-hint">{h}</div> })}
            <FieldError id=id.clone() error=error />
            <textarea
                class=class
                id=id.clone()
                name=id
                rows=rows.to_string()
                aria-describedby=described
            >
                {value.clone()}
            </textarea>
        </div>
    }
}

/// A set of radios in a fieldset whose legend is the question. The first radio carries the
/// field's id, so the error summary's link lands on it.
#[component]
pub fn Radios(
    #[prop(into)] id: String,
    #[prop(into)] legend: String,
    options: Vec<(String, String)>,
    #[prop(into, optional)] selected: String,
    #[prop(default = None)] error: Option<String>,
    #[prop(into, optional)] hint: Option<String>,
    #[prop(optional)] heading: bool,
) -> impl IntoView {
    let described = described_by(&id, hint.is_some(), error.is_some());
    let group = if error.is_some() {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    };
    let legend_class = if heading {
        "govuk-fieldset__legend govuk-fieldset__legend--l"
    } else {
        "govuk-fieldset__legend govuk-fieldset__legend--s"
    };
    view! {
        <div class=group>
            <fieldset class="govuk-fieldset" aria-describedby=described>
                <legend class=legend_class>
                    {if heading {
                        view! { <h1 class="govuk-fieldset__heading">{legend}</h1> }.into_any()
                    } else {
                        legend.into_any()
                    }}
                </legend>
                {hint.map(|h| view! { <div id=format!("{id}-hint") class="govuk-hint">{h}</div> })}
                <FieldError id=id.clone() error=error />
                <div class="govuk-radios" data-module="govuk-radios">
                    {options
                        .into_iter()
                        .enumerate()
                        .map(|(i, (value, label))| {
                            let input_id = if i == 0 { id.clone() } else { format!("{id}-{}", i + 1) };
                            let checked = value == selected;
                            view! {
                                <div class="govuk-radios__item">
                                    <input
                                        class="govuk-radios__input"
                                        id=input_id.clone()
                                        name=id.clone()
                                        type="radio"
                                        value=value
                                        checked=checked
                                    />
                                    <label class="govuk-label govuk-radios__label" for=input_id>{label}</label>
                                </div>
                            }
                        })
                        .collect_view()}
                </div>
            </fieldset>
        </div>
    }
}
