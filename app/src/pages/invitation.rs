use leptos::prelude::*;

use crate::{
    api::invitations::{check_invitation, AcceptInvitation},
    components::{ErrorSummary, PageTitle, TextInput},
};

/// The field where a new password is chosen (field `password`), with the rules as its hint.
#[component]
pub(crate) fn NewPasswordInput(label: &'static str, error: Option<String>) -> impl IntoView {
    view! {
        <TextInput
            id="password"
            label=label
            input_type="password"
            autocomplete="new-password"
            hint="Use 8 characters or more. A good way to make a strong password is to use three random words. Do not use your name, email address or organisation name."
            error=error
        />
    }
}

/// Set your password from an invitation link.
#[component]
pub fn InvitationPage() -> impl IntoView {
    let token = crate::pages::route_param("token");
    let action = ServerAction::<AcceptInvitation>::new();
    let data = Resource::new(
        move || (token(), action.version().get()),
        |(token, _)| async move {
            let email = check_invitation(token).await.ok().flatten();
            let form = crate::pages::form_state("invitation").await;
            (email, form)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || {
                data.get()
                    .map(|(email, form)| match email {
                        None => {
                            view! {
                                <PageTitle text="This link has expired or has been used" />
                                <h1 class="govuk-heading-l">"This link has expired or has been used"</h1>
                                <p class="govuk-body">
                                    "Invitation links work once, for 7 days. If you have already set your password, "
                                    <a class="govuk-link" href="/sign-in">
                                        "sign in"
                                    </a> ". Otherwise ask the Pensions Dashboards Programme for a new invitation."
                                </p>
                            }
                                .into_any()
                        }
                        Some(email) => {
                            let title = if form.has_errors() { "Error: Set your password" } else { "Set your password" };
                            view! {
                                <PageTitle text=title />
                                <div class="govuk-grid-row">
                                    <div class="govuk-grid-column-two-thirds">
                                        <ErrorSummary form=form.clone() />
                                        <h1 class="govuk-heading-l">"Set your password"</h1>
                                        <p class="govuk-body">"Your account: " <strong>{email}</strong></p>
                                        <ActionForm action=action attr:novalidate=true>
                                            <input type="hidden" name="token" value=token() />
                                            <NewPasswordInput label="Password" error=form.error("password") />
                                            <button type="submit" class="govuk-button">
                                                "Set password"
                                            </button>
                                        </ActionForm>
                                    </div>
                                </div>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}
