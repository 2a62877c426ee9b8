//! One module per route.

mod account;
mod admin;
pub(crate) mod connectivity;
mod evidence;
mod home;
mod info;
pub(crate) mod invitation;
mod not_found;
pub(crate) mod oat;
pub(crate) mod process;
pub(crate) mod review;
mod schemes;
mod second_factor;
mod sign_in;
mod staff;
mod upcoming;

pub use account::OrganisationHome;
pub use admin::{AdminOrganisation, AdminOrganisations, AdminUser};
pub use connectivity::{EndpointPageView, RunPage};
pub use evidence::EvidencePrintPage;
pub use home::Home;
pub use info::{Accessibility, Cookies, Help, Privacy};
pub use invitation::InvitationPage;
pub use not_found::{
    ErrorPage, NotFound, SERVICE_PROBLEM_NOTHING_LOST, SERVICE_PROBLEM_TITLE,
    SERVICE_PROBLEM_TRY_AGAIN,
};
pub use oat::{OatStart, OatStep, Overview, RequestSent};
pub use process::{
    NewQueryPage, QueriesPage, RequestActionPage, RequestPage, StaffQueriesPage, StaffQueryPage,
};
pub use review::{ChangeDatePage, StaffActionPage, StaffQueue, StaffRequestPage};
pub use schemes::{AddSchemePage, StaffSchemePage, StaffSchemes, UploadSchemesPage};
pub use second_factor::{
    AccountPage, ChangePasswordPage, ConfirmIdentityPage, RecoveryCodesPage, SecondFactorPage,
    SignInCodePage,
};
pub use sign_in::{SignInPage, SignedOut};
pub use staff::{AuditLog, Emails, StaffOrganisation, StaffOrganisations};
pub use upcoming::UpcomingWeeks;

/// A parameter of the current route, e.g. the `id` of `/staff/requests/:id`.
///
/// It keeps its last value while the router leaves the page: otherwise, in the moment between
/// the new address and the old page going away, the old page's data would be fetched again
/// with an empty parameter (and refused, after signing out).
pub(crate) fn route_param(
    name: &'static str,
) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    use leptos::prelude::*;
    let params = leptos_router::hooks::use_params_map();
    let value = Memo::new(
        move |last: Option<&String>| match params.with(|p| p.get(name)) {
            Some(v) if !v.is_empty() => v,
            _ => last.cloned().unwrap_or_default(),
        },
    );
    move || value.get()
}

/// What was typed into a form and what was wrong with it, kept for the page the form went back
/// to; empty when there is none (or it cannot be read).
pub(crate) async fn form_state(form: &str) -> crate::forms::FormState {
    crate::api::auth::take_form_state(form.to_string())
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}
