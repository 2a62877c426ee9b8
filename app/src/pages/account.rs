//! Where each kind of user starts: their organisation, or the staff home.

use leptos::prelude::*;

use crate::{api::auth::whoami, components::PageTitle, domain::Role};

/// An organisation user's home (the scheme overview comes with the OAT journey).
#[component]
pub fn OrganisationHome() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    view! {
        <PageTitle text="Your organisation" />
        <Suspense fallback=|| ()>
            {move || {
                me.get()
                    .and_then(|r| r.ok().flatten())
                    .map(|user| {
                        let roles = user.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ");
                        let org = user.organisation_name.clone().unwrap_or_default();
                        let manager = user.has_role(Role::ServiceManager);
                        view! {
                            <span class="govuk-caption-l">{org}</span>
                            <h1 class="govuk-heading-l">"Your organisation"</h1>
                            <dl class="govuk-summary-list">
                                <div class="govuk-summary-list__row">
                                    <dt class="govuk-summary-list__key">"Signed in as"</dt>
                                    <dd class="govuk-summary-list__value">{user.name.clone()}</dd>
                                </div>
                                <div class="govuk-summary-list__row">
                                    <dt class="govuk-summary-list__key">"Your roles"</dt>
                                    <dd class="govuk-summary-list__value">{roles}</dd>
                                </div>
                            </dl>
                            <p class="govuk-body">
                                {if manager {
                                    "As service manager you will request operational acceptance testing for your vouching scheme here."
                                } else {
                                    "You can follow your organisation's connection here. Only a service manager can request operational acceptance testing."
                                }}
                            </p>
                        }
                    })
            }}
        </Suspense>
    }
}
