use leptos::prelude::*;

use crate::SERVICE_NAME;

/// The page frame every page shares: skip link, generic (unbranded) header, main landmark and
/// footer with the help, accessibility, cookies and privacy links (WCAG 3.2.6: help in the same
/// place on every page).
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        // rel="external": the browser, not the client-side router, follows it, so focus moves
        // to <main> as it does without JavaScript.
        <a href="#main-content" class="govuk-skip-link" rel="external">
            "Skip to main content"
        </a>
        <header class="govuk-template__header" role="banner">
            <div class="govuk-generic-header">
                <div class="govuk-generic-header__container govuk-width-container">
                    <div class="govuk-generic-header__logo">
                        <a href="/" class="govuk-generic-header__homepage-link">
                            {SERVICE_NAME}
                        </a>
                    </div>
                </div>
            </div>
        </header>
        <div class="govuk-width-container">
            <main class="govuk-main-wrapper" id="main-content" tabindex="-1">
                {children()}
            </main>
        </div>
        <footer class="govuk-footer" role="contentinfo">
            <div class="govuk-width-container">
                <div class="govuk-footer__meta">
                    <div class="govuk-footer__meta-item govuk-footer__meta-item--grow">
                        <h2 class="govuk-visually-hidden">"Support links"</h2>
                        <ul class="govuk-footer__inline-list">
                            <li class="govuk-footer__inline-list-item">
                                <a class="govuk-footer__link" href="/help">
                                    "Help"
                                </a>
                            </li>
                            <li class="govuk-footer__inline-list-item">
                                <a class="govuk-footer__link" href="/accessibility">
                                    "Accessibility statement"
                                </a>
                            </li>
                            <li class="govuk-footer__inline-list-item">
                                <a class="govuk-footer__link" href="/cookies">
                                    "Cookies"
                                </a>
                            </li>
                            <li class="govuk-footer__inline-list-item">
                                <a class="govuk-footer__link" href="/privacy">
                                    "Privacy"
                                </a>
                            </li>
                        </ul>
                        <p class="govuk-body-s portal-footer-contact">
                            "Run by the Pensions Dashboards Programme, part of the Money and Pensions Service."
                        </p>
                    </div>
                </div>
            </div>
        </footer>
    }
}
