//! The connection portal's Leptos application: pages, components, domain rules and (behind the
//! `ssr` feature) server-only data access.
//!
//! Dependencies point one way: `pages` -> `components` and server functions -> `domain` + `store`;
//! `domain` depends on nothing but the standard library and chrono.

#![recursion_limit = "256"]

pub mod api;
pub mod auth;
#[cfg(feature = "ssr")]
pub mod calendar;
pub mod clock;
pub mod components;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod emails;
pub mod error;
pub mod forms;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod security;
#[cfg(feature = "ssr")]
pub mod services;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The service's name, as it appears in the header and in every page title.
pub const SERVICE_NAME: &str = "Pensions dashboards connection portal";

/// Where the built stylesheet, script and WASM module are served (their names carry a hash of
/// their contents), worked out once at start-up. Leptos' own `HashedStylesheet` and
/// `HydrationScripts` read the hash file from disk for every page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageAssets {
    /// e.g. `/pkg/portal.1a2b.css`
    pub css: String,
    /// e.g. `/pkg/portal.3c4d.js`
    pub js: String,
    /// e.g. `/pkg/portal.5e6f.wasm`
    pub wasm: String,
}

impl PageAssets {
    /// The one inline script every page has. It marks `<body data-hydrated="true">` (and the
    /// performance mark `portal-interactive`) once the page is interactive; it fetches the WASM
    /// bundle only when the page has an island, so most pages load no WASM at all. It also keeps
    /// a second click on a button marked `data-prevent-double-click` within a second from sending
    /// the form again, as GOV.UK's button does.
    pub fn loader_script(&self) -> String {
        format!(
            concat!(
                "const b=document.body,i=document.querySelectorAll(\"leptos-island\");",
                "const done=()=>{{b.dataset.hydrated=\"true\";performance.mark(\"portal-interactive\");}};",
                "document.addEventListener(\"submit\",(e)=>{{const s=e.submitter;",
                "if(!s||s.dataset.preventDoubleClick!==\"true\")return;",
                "if(s.dataset.sent){{e.preventDefault();return;}}",
                "s.dataset.sent=\"1\";setTimeout(()=>delete s.dataset.sent,1000);}});",
                "if(i.length===0)done();else import({js:?}).then(async(m)=>{{",
                "await m.default({{module_or_path:{wasm:?}}});m.hydrate();",
                "for(const e of i){{const f=m[e.dataset.component];if(f)await f(e);}}done();}});"
            ),
            js = self.js,
            wasm = self.wasm
        )
    }
}

/// The HTML document around every server-rendered page.
pub fn shell(assets: std::sync::Arc<PageAssets>) -> impl IntoView {
    #[cfg(feature = "ssr")]
    security::set_page_csp();
    // Islands mode: nothing outside an island is hydrated, so no resource outside one is
    // serialized into the page (Leptos's own HydrationScripts does the same).
    if let Some(context) = leptos::prelude::Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    let nonce = leptos::nonce::use_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en" class="govuk-template">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
                <meta name="theme-color" content="#0b0c0c" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="stylesheet" id="portal-css" href=assets.css.clone() />
                <script type="module" nonce=nonce>{assets.loader_script()}</script>
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
    view! {
        <Router>
            <components::Layout>
                // Async: every page is rendered whole before it is sent, so it works without
                // JavaScript (out-of-order streaming would need a script to fill in the gaps).
                <Routes fallback=|| view! { <pages::NotFound /> }>
                    <Route path=path!("/") view=pages::Home ssr=SsrMode::Async />
                    <Route path=path!("/help") view=pages::Help ssr=SsrMode::Async />
                    <Route path=path!("/accessibility") view=pages::Accessibility ssr=SsrMode::Async />
                    <Route path=path!("/cookies") view=pages::Cookies ssr=SsrMode::Async />
                    <Route path=path!("/privacy") view=pages::Privacy ssr=SsrMode::Async />
                    <Route path=path!("/sign-in") view=pages::SignInPage ssr=SsrMode::Async />
                    <Route path=path!("/signed-out") view=pages::SignedOut ssr=SsrMode::Async />
                    <Route path=path!("/sign-in/code") view=pages::SignInCodePage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=pages::AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/account/password") view=pages::ChangePasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/account/second-factor") view=pages::SecondFactorPage ssr=SsrMode::Async />
                    <Route path=path!("/account/second-factor/recovery-codes") view=pages::RecoveryCodesPage ssr=SsrMode::Async />
                    <Route path=path!("/account/second-factor/confirm") view=pages::ConfirmIdentityPage ssr=SsrMode::Async />
                    <Route path=path!("/invitation/:token") view=pages::InvitationPage ssr=SsrMode::Async />
                    <Route path=path!("/organisation") view=pages::Overview ssr=SsrMode::Async />
                    <Route path=path!("/organisation/account") view=pages::OrganisationHome ssr=SsrMode::Async />
                    <Route path=path!("/organisation/endpoint") view=pages::EndpointPageView ssr=SsrMode::Async />
                    <Route path=path!("/connectivity/runs/:id") view=pages::RunPage ssr=SsrMode::Async />
                    <Route path=path!("/connectivity/runs/:id/evidence") view=pages::EvidencePrintPage ssr=SsrMode::Async />
                    <Route path=path!("/organisation/schemes/add") view=pages::AddSchemePage ssr=SsrMode::Async />
                    <Route path=path!("/organisation/schemes/upload") view=pages::UploadSchemesPage ssr=SsrMode::Async />
                    <Route path=path!("/oat/:scheme") view=pages::OatStart ssr=SsrMode::Async />
                    <Route path=path!("/oat/:scheme/:step") view=pages::OatStep ssr=SsrMode::Async />
                    <Route path=path!("/requests/:id") view=pages::RequestPage ssr=SsrMode::Async />
                    <Route path=path!("/requests/:id/sent") view=pages::RequestSent ssr=SsrMode::Async />
                    <Route path=path!("/requests/:id/change-date") view=pages::ChangeDatePage ssr=SsrMode::Async />
                    <Route path=path!("/requests/:id/ready-for-retest") view=|| view! { <pages::RequestActionPage which="ready-for-retest" /> } ssr=SsrMode::Async />
                    <Route path=path!("/requests/:id/support") view=|| view! { <pages::RequestActionPage which="support" /> } ssr=SsrMode::Async />
                    <Route path=path!("/requests/:id/withdraw") view=|| view! { <pages::RequestActionPage which="withdraw" /> } ssr=SsrMode::Async />
                    <Route path=path!("/queries") view=pages::QueriesPage ssr=SsrMode::Async />
                    <Route path=path!("/queries/new") view=pages::NewQueryPage ssr=SsrMode::Async />
                    <Route path=path!("/staff/queries") view=pages::StaffQueriesPage ssr=SsrMode::Async />
                    <Route path=path!("/staff/queries/:id") view=pages::StaffQueryPage ssr=SsrMode::Async />
                    <Route path=path!("/staff") view=pages::StaffQueue ssr=SsrMode::Async />
                    <Route path=path!("/staff/requests/:id") view=pages::StaffRequestPage ssr=SsrMode::Async />
                    <Route path=path!("/staff/requests/:id/:action") view=pages::StaffActionPage ssr=SsrMode::Async />
                    <Route path=path!("/staff/upcoming") view=pages::UpcomingWeeks ssr=SsrMode::Async />
                    <Route path=path!("/staff/schemes") view=pages::StaffSchemes ssr=SsrMode::Async />
                    <Route path=path!("/staff/schemes/:id") view=pages::StaffSchemePage ssr=SsrMode::Async />
                    <Route path=path!("/staff/audit") view=pages::AuditLog ssr=SsrMode::Async />
                    <Route path=path!("/staff/emails") view=pages::Emails ssr=SsrMode::Async />
                    <Route path=path!("/staff/organisations") view=pages::StaffOrganisations ssr=SsrMode::Async />
                    <Route path=path!("/staff/organisations/:id") view=pages::StaffOrganisation ssr=SsrMode::Async />
                    <Route path=path!("/admin/organisations") view=pages::AdminOrganisations ssr=SsrMode::Async />
                    <Route path=path!("/admin/organisations/:id") view=pages::AdminOrganisation ssr=SsrMode::Async />
                    <Route path=path!("/admin/users/:id") view=pages::AdminUser ssr=SsrMode::Async />
                </Routes>
            </components::Layout>
        </Router>
    }
}
