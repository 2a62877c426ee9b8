use leptos::prelude::*;

use crate::components::PageTitle;

/// GOV.UK's "Page not found" page. On the server it also sets the 404 status.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <PageTitle text="Page not found" />
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <h1 class="govuk-heading-l">"Page not found"</h1>
                <p class="govuk-body">"If you typed the web address, check it is correct."</p>
                <p class="govuk-body">
                    "If you pasted the web address, check you copied the entire address."
                </p>
                <p class="govuk-body">
                    "If the web address is correct or you selected a link or button, "
                    <a class="govuk-link" href="/help">
                        "contact us"
                    </a> " for help."
                </p>
            </div>
        </div>
    }
}

/// "Sorry, there is a problem with the service": its title and sentences, shared with the page the
/// server renders without Leptos (`server/src/error_page.rs`).
pub const SERVICE_PROBLEM_TITLE: &str = "Sorry, there is a problem with the service";
pub const SERVICE_PROBLEM_TRY_AGAIN: &str = "Try again later.";
pub const SERVICE_PROBLEM_NOTHING_LOST: &str = "Nothing you had already sent us has been lost. If you were part way through a form, you may need to enter your last answer again.";

/// The page for data that could not be loaded: "Page not found" for anything that is not there
/// or that this user may not see; for our own failure, "Sorry, there is a problem with the
/// service" with the reference that is in the log (status 500).
#[component]
pub fn ErrorPage(error: crate::error::AppError) -> impl IntoView {
    match error {
        crate::error::AppError::Internal { reference } => {
            view! { <ServiceProblem reference=reference /> }.into_any()
        }
        _ => view! { <NotFound /> }.into_any(),
    }
}

#[component]
fn ServiceProblem(reference: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::INTERNAL_SERVER_ERROR);
    }
    view! {
        <PageTitle text=SERVICE_PROBLEM_TITLE />
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <h1 class="govuk-heading-l">{SERVICE_PROBLEM_TITLE}</h1>
                <p class="govuk-body">{SERVICE_PROBLEM_TRY_AGAIN}</p>
                <p class="govuk-body">{SERVICE_PROBLEM_NOTHING_LOST}</p>
                <p class="govuk-body">
                    "If you contact us about this problem, quote reference "
                    <strong class="portal-reference">{reference}</strong> "."
                </p>
                <p class="govuk-body">
                    <a class="govuk-link" href="/help">"Get help with the portal"</a>
                </p>
            </div>
        </div>
    }
}
