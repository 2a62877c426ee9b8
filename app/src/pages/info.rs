//! The footer pages: help, accessibility statement, cookies and privacy.

use leptos::prelude::*;

use crate::components::PageTitle;

#[component]
pub fn Help() -> impl IntoView {
    view! {
        <PageTitle text="Help" />
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <h1 class="govuk-heading-l">"Help"</h1>
                <h2 class="govuk-heading-m">"Questions about connecting"</h2>
                <p class="govuk-body">
                    "For questions about operational acceptance testing, your connection date or going live, contact your implementation manager at the Pensions Dashboards Programme."
                </p>
                <h2 class="govuk-heading-m">"Problems with the portal"</h2>
                <p class="govuk-body">
                    "If a page does not work as you expect, tell us what you were trying to do and the time it happened. If an error page gave you a reference, include it."
                </p>
                <ul class="govuk-list">
                    <li>"Email: connection-support@pensionsdashboardsprogramme.example"</li>
                    <li>"Monday to Friday, 9am to 5pm (except public holidays)"</li>
                </ul>
            </div>
        </div>
    }
}

#[component]
pub fn Accessibility() -> impl IntoView {
    view! {
        <PageTitle text="Accessibility statement" />
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <h1 class="govuk-heading-l">"Accessibility statement"</h1>
                <p class="govuk-body">
                    "We want as many people as possible to be able to use this portal. You should be able to:"
                </p>
                <ul class="govuk-list govuk-list--bullet">
                    <li>"zoom in up to 400% without the text spilling off the screen"</li>
                    <li>"navigate the whole portal using just a keyboard"</li>
                    <li>"use the portal with a screen reader"</li>
                    <li>"use every part of the portal with JavaScript turned off"</li>
                </ul>
                <h2 class="govuk-heading-m">"How accessible this portal is"</h2>
                <p class="govuk-body">
                    "We aim to meet the Web Content Accessibility Guidelines (WCAG) version 2.2 to level AA. Every page is checked with automated accessibility tests and in a real browser with and without JavaScript before it is released."
                </p>
                <h2 class="govuk-heading-m">"Reporting accessibility problems"</h2>
                <p class="govuk-body">
                    "If you find a problem that is not listed here, or you need information in a different format, use the contact details on the "
                    <a class="govuk-link" href="/help">
                        "help page"
                    </a> ". We will reply within 5 working days."
                </p>
                <h2 class="govuk-heading-m">"Enforcement procedure"</h2>
                <p class="govuk-body">
                    "The Equality and Human Rights Commission (EHRC) is responsible for enforcing the Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018. If you are not happy with how we respond to your complaint, contact the Equality Advisory and Support Service (EASS)."
                </p>
            </div>
        </div>
    }
}

#[component]
pub fn Cookies() -> impl IntoView {
    view! {
        <PageTitle text="Cookies" />
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <h1 class="govuk-heading-l">"Cookies"</h1>
                <p class="govuk-body">
                    "Cookies are small files saved on your device when you use a website. This portal uses only the cookies it needs to work, so it does not ask for your consent."
                </p>
                <table class="govuk-table">
                    <caption class="govuk-table__caption govuk-table__caption--m">
                        "Essential cookies"
                    </caption>
                    <thead class="govuk-table__head">
                        <tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">"Name"</th>
                            <th scope="col" class="govuk-table__header">"Purpose"</th>
                            <th scope="col" class="govuk-table__header">"Expires"</th>
                        </tr>
                    </thead>
                    <tbody class="govuk-table__body">
                        <tr class="govuk-table__row">
                            <td class="govuk-table__cell">"portal_session"</td>
                            <td class="govuk-table__cell">
                                "Keeps you signed in and remembers your answers between pages"
                            </td>
                            <td class="govuk-table__cell">
                                "When you sign out, or after 30 minutes without activity"
                            </td>
                        </tr>
                    </tbody>
                </table>
                <p class="govuk-body">"We do not use analytics or advertising cookies."</p>
            </div>
        </div>
    }
}

#[component]
pub fn Privacy() -> impl IntoView {
    view! {
        <PageTitle text="Privacy" />
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <h1 class="govuk-heading-l">"Privacy"</h1>
                <p class="govuk-body">
                    "The Money and Pensions Service runs the Pensions Dashboards Programme and is the data controller for the information held in this portal."
                </p>
                <h2 class="govuk-heading-m">"What we hold"</h2>
                <ul class="govuk-list govuk-list--bullet">
                    <li>"your name, work email address and role at your organisation"</li>
                    <li>
                        "details of your organisation, its pension providers and schemes, and its connection to the pensions dashboards ecosystem"
                    </li>
                    <li>"a record of what you do in the portal, kept for audit"</li>
                </ul>
                <h2 class="govuk-heading-m">"Why we hold it"</h2>
                <p class="govuk-body">
                    "To connect your organisation to the pensions dashboards ecosystem, as the Pensions Dashboards Regulations 2022 require. We do not hold information about pension savers in this portal."
                </p>
                <h2 class="govuk-heading-m">"Your rights"</h2>
                <p class="govuk-body">
                    "You can ask to see the information we hold about you, and ask us to correct it. Use the contact details on the "
                    <a class="govuk-link" href="/help">
                        "help page"
                    </a> "."
                </p>
            </div>
        </div>
    }
}
