use leptos::prelude::*;

use crate::{
    api::auth::{whoami, SignOut},
    SERVICE_NAME,
};

/// The page frame every page shares: skip link, generic (unbranded) header, main landmark and
/// footer with the help, accessibility, cookies and privacy links (WCAG 3.2.6: help in the same
/// place on every page).
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let location = leptos_router::hooks::use_location();
    // Asked again after every navigation, so signing in or out shows at once with JavaScript on.
    let me = Resource::new(
        move || (sign_out.version().get(), location.pathname.get()),
        |_| whoami(),
    );
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
            <Suspense fallback=|| ()>
                {move || {
                    me.get()
                        .map(|user| {
                            let user = user.ok().flatten();
                            view! {
                                <nav class="govuk-service-navigation" aria-label="Account">
                                    <div class="govuk-width-container">
                                        <div class="govuk-service-navigation__container">
                                            <ul class="govuk-service-navigation__list">
                                                {match user {
                                                    Some(user) => {
                                                        view! {
                                                            <li class="govuk-service-navigation__item">
                                                                <a class="govuk-service-navigation__link" href=user.home_path()>
                                                                    {if user.is_staff() { "Staff home" } else { "Your organisation" }}
                                                                </a>
                                                            </li>
                                                            <li class="govuk-service-navigation__item">
                                                                <a class="govuk-service-navigation__link" href="/account">
                                                                    "Your account"
                                                                </a>
                                                            </li>
                                                            <li class="govuk-service-navigation__item">
                                                                <span class="govuk-body-s govuk-!-margin-bottom-0">"Signed in as "{user.name.clone()}</span>
                                                            </li>
                                                            <li class="govuk-service-navigation__item">
                                                                <ActionForm action=sign_out>
                                                                    <button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0">
                                                                        "Sign out"
                                                                    </button>
                                                                </ActionForm>
                                                            </li>
                                                        }
                                                            .into_any()
                                                    }
                                                    None => {
                                                        view! {
                                                            <li class="govuk-service-navigation__item">
                                                                <a class="govuk-service-navigation__link" href="/sign-in">
                                                                    "Sign in"
                                                                </a>
                                                            </li>
                                                        }
                                                            .into_any()
                                                    }
                                                }}
                                            </ul>
                                        </div>
                                    </div>
                                </nav>
                            }
                        })
                }}
            </Suspense>
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
