//! GOV.UK form components: error summary, text input, notification banner.

use leptos::prelude::*;

use crate::forms::FormState;

/// "There is a problem" with a link to each field in error. Renders nothing without errors.
/// Focus moves to it on load (autofocus without JavaScript; an effect after a hydrated submit).
#[component]
pub fn ErrorSummary(form: FormState) -> impl IntoView {
    if !form.has_errors() {
        return None;
    }
    let node = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            let _ = el.focus();
        }
    });
    Some(view! {
        <div class="govuk-error-summary" data-module="govuk-error-summary" tabindex="-1" autofocus node_ref=node>
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
    let input_class = if error.is_some() {
        "govuk-input govuk-input--error"
    } else {
        "govuk-input"
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
                value=value.clone()
                // The property too: after a hydrated submit the same element stays, and only the
                // property says what it shows (a password field is cleared this way).
                prop:value=value
                autocomplete=autocomplete
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
