//! The connection portal's Leptos application: pages, components, domain rules and (behind the
//! `ssr` feature) server-only data access.
//!
//! Dependencies point one way: `pages` -> `components` and server functions -> `domain` + `store`;
//! `domain` depends on nothing but the standard library and chrono.

#![recursion_limit = "256"]

pub mod clock;
pub mod components;
pub mod domain;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod security;
#[cfg(feature = "ssr")]
pub mod services;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

/// The service's name, as it appears in the header and in every page title.
pub const SERVICE_NAME: &str = "Pensions dashboards connection portal";

/// The HTML document around every server-rendered page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    security::set_page_csp();
    view! {
        <!DOCTYPE html>
        <html lang="en" class="govuk-template">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
                <meta name="theme-color" content="#0b0c0c" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HashedStylesheet options=options.clone() id="portal-css" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="govuk-template__body">
                <App />
            </body>
        </html>
    }
}

/// The application: one route per page, a "Page not found" fallback.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: the mark tells tests (and people debugging) that the page
    // has hydrated. Nothing depends on it.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Router>
            <components::Layout>
                <Routes fallback=|| view! { <pages::NotFound /> }>
                    <Route path=path!("/") view=pages::Home />
                    <Route path=path!("/help") view=pages::Help />
                    <Route path=path!("/accessibility") view=pages::Accessibility />
                    <Route path=path!("/cookies") view=pages::Cookies />
                    <Route path=path!("/privacy") view=pages::Privacy />
                </Routes>
            </components::Layout>
        </Router>
    }
}
