use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::auth::SignIn,
    components::{ErrorSummary, PageTitle, TextInput},
    forms::FormState,
};

/// GOV.UK-style sign-in: email and password, one generic error, paste allowed.
#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    let form = Resource::new(
        move || action.version().get(),
        |_| async { crate::pages::form_state("sign-in").await },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || {
                form.get()
                    .map(|state: FormState| {
                        let title = if state.has_errors() { "Error: Sign in" } else { "Sign in" };
                        view! {
                            <PageTitle text=title />
                            <div class="govuk-grid-row">
                                <div class="govuk-grid-column-two-thirds">
                                    <ErrorSummary form=state.clone() />
                                    <h1 class="govuk-heading-l">"Sign in"</h1>
                                    <ActionForm action=action attr:novalidate=true>
                                        <input type="hidden" name="next" value=next() />
                                        <TextInput
                                            id="email"
                                            label="Email address"
                                            value=state.value("email")
                                            error=state.error("email")
                                            input_type="email"
                                            autocomplete="username"
                                            spellcheck_off=true
                                        />
                                        <TextInput
                                            id="password"
                                            label="Password"
                                            input_type="password"
                                            autocomplete="current-password"
                                        />
                                        <button type="submit" class="govuk-button" data-module="govuk-button">
                                            "Sign in"
                                        </button>
                                    </ActionForm>
                                    <p class="govuk-body">
                                        "If you do not have an account, or you have forgotten your password, ask your organisation's primary business contact or "
                                        <a class="govuk-link" href="/help">
                                            "contact us"
                                        </a> "."
                                    </p>
                                </div>
                            </div>
                        }
                    })
            }}
        </Suspense>
    }
}

/// Shown after signing out.
#[component]
pub fn SignedOut() -> impl IntoView {
    view! {
        <PageTitle text="You have been signed out" />
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <h1 class="govuk-heading-l">"You have been signed out"</h1>
                <p class="govuk-body">"Anything you had sent us has been saved."</p>
                <p class="govuk-body">
                    <a class="govuk-link" href="/sign-in">
                        "Sign in again"
                    </a>
                </p>
            </div>
        </div>
    }
}
