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
