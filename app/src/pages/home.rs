use leptos::prelude::*;

use crate::components::PageTitle;

/// The start page: what the portal is for and who uses it.
#[component]
pub fn Home() -> impl IntoView {
    view! {
        <PageTitle text="" />
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <h1 class="govuk-heading-xl">"Connect to the pensions dashboards ecosystem"</h1>
                <p class="govuk-body-l">
                    "Use this portal to take your organisation's first pension scheme through operational acceptance testing and into the live environment."
                </p>
                <h2 class="govuk-heading-m">"If you are connecting an organisation"</h2>
                <p class="govuk-body">"Your service manager can:"</p>
                <ul class="govuk-list govuk-list--bullet">
                    <li>"request operational acceptance testing for your vouching scheme"</li>
                    <li>"choose a connection date at least 7 calendar days ahead (CoCo 3.1.13)"</li>
                    <li>"follow the testing status and go-live date of each scheme"</li>
                    <li>"add further pension providers and schemes once testing has passed"</li>
                </ul>
                <h2 class="govuk-heading-m">"If you work for the Pensions Dashboards Programme"</h2>
                <p class="govuk-body">
                    "Review requests, run the connectivity test, record outcomes and confirm go-live dates."
                </p>
                <h2 class="govuk-heading-m">"Before you start"</h2>
                <p class="govuk-body">
                    "You need an account for your organisation. Before you request operational acceptance testing, deploy your live cryptographic material to your endpoints and be ready for your vouching scheme to go live on the date agreed in service acceptance. Your connection date must be after the date you complete the technical connection journey."
                </p>
                <p class="govuk-body">
                    <a class="govuk-link" href="/help">
                        "Get help with the portal"
                    </a>
                </p>
            </div>
        </div>
    }
}
