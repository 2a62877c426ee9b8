//! The second factor's pages: the code after the password, setting up an authenticator app, the
//! recovery codes (shown once), and confirming who you are before changing or removing it.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        account::{account_summary, ChangePassword},
        auth::take_flash,
        second_factor::{
            second_factor_info, sign_in_code_pending, take_recovery_codes, ConfirmIdentity,
            ConfirmSecondFactor, FactorStatus, Purpose, SignInCode,
        },
    },
    components::{ErrorSummary, PageTitle, SuccessBanner, TextInput},
    forms::FormState,
};

const CODE_HINT: &str = "The 6-digit code your authenticator app shows now. If you cannot use your app, enter one of your recovery codes.";

/// The field for a 6-digit code (or a recovery code), with the phone's number keyboard.
#[component]
fn CodeInput(hint: &'static str, error: Option<String>) -> impl IntoView {
    view! {
        <TextInput
            id="code"
            label="Security code"
            hint=hint
            error=error
            autocomplete="one-time-code"
            inputmode="numeric"
            width="govuk-input--width-10"
            spellcheck_off=true
        />
    }
}

fn title(form: &FormState, text: &str) -> String {
    if form.has_errors() {
        format!("Error: {text}")
    } else {
        text.to_string()
    }
}

/// After the password: the code from the authenticator app (or a recovery code).
#[component]
pub fn SignInCodePage() -> impl IntoView {
    let action = ServerAction::<SignInCode>::new();
    let data = Resource::new(
        move || action.version().get(),
        |_| async {
            let pending = sign_in_code_pending().await.unwrap_or(false);
            (pending, crate::pages::form_state("sign-in-code").await)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || {
                data.get()
                    .map(|(pending, form)| {
                        let heading = "Enter the code from your authenticator app";
                        view! {
                            <PageTitle text=title(&form, heading) />
                            <div class="govuk-grid-row">
                                <div class="govuk-grid-column-two-thirds">
                                    <ErrorSummary form=form.clone() />
                                    <h1 class="govuk-heading-l">{heading}</h1>
                                    {if pending {
                                        view! {
                                            <ActionForm action=action attr:novalidate=true>
                                                <CodeInput hint=CODE_HINT error=form.error("code") />
                                                <button type="submit" class="govuk-button" data-module="govuk-button" data-prevent-double-click="true">
                                                    "Continue"
                                                </button>
                                            </ActionForm>
                                            <p class="govuk-body">
                                                "If you have lost your phone and your recovery codes, ask a programme admin to reset your second factor."
                                            </p>
                                        }
                                            .into_any()
                                    } else {
                                        view! {
                                            <p class="govuk-body">
                                                "Sign in with your email address and password first. "
                                                <a class="govuk-link" href="/sign-in">"Sign in"</a>
                                            </p>
                                        }
                                            .into_any()
                                    }}
                                </div>
                            </div>
                        }
                    })
            }}
        </Suspense>
    }
}

/// Setting up, changing or removing the second factor.
#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let action = ServerAction::<ConfirmSecondFactor>::new();
    let data = Resource::new(
        move || action.version().get(),
        |_| async {
            let info = second_factor_info().await;
            let form = crate::pages::form_state("second-factor").await;
            let flash = take_flash().await.ok().flatten();
            (info, form, flash)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || {
                data.get()
                    .map(|(info, form, flash)| match info {
                        Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                        Ok(info) => view! { <SecondFactorView info form flash action /> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

#[component]
fn SecondFactorView(
    info: FactorStatus,
    form: FormState,
    flash: Option<String>,
    action: ServerAction<ConfirmSecondFactor>,
) -> impl IntoView {
    let heading = match (&info.setup, info.enrolled) {
        (Some(_), true) => "Change your authenticator app",
        (Some(_), false) => "Set up your second factor",
        (None, _) => "Your second factor",
    };
    let status = info.enrolled.then(|| {
        let on = info.enrolled_on.clone().unwrap_or_default();
        let left = info.recovery_codes_left;
        view! {
            <dl class="govuk-summary-list">
                <div class="govuk-summary-list__row">
                    <dt class="govuk-summary-list__key">"Authenticator app"</dt>
                    <dd class="govuk-summary-list__value">{format!("Set up on {on}")}</dd>
                </div>
                <div class="govuk-summary-list__row">
                    <dt class="govuk-summary-list__key">"Recovery codes left"</dt>
                    <dd class="govuk-summary-list__value">{left.to_string()}</dd>
                </div>
            </dl>
        }
    });
    let intro = match (info.enrolled, info.required) {
        (false, true) => "Programme staff and admins sign in with a password and a code from an authenticator app on their phone. Set one up to continue.",
        (false, false) => "Sign in with a password and a code from an authenticator app on your phone, so a stolen password is not enough to get into your account.",
        (true, _) => "You sign in with your password and a code from your authenticator app.",
    };
    let code_error = form.error("code");
    let setup = info.setup.clone().map(|setup| {
        view! {
            <h2 class="govuk-heading-m">"1. Add this account to your app"</h2>
            <p class="govuk-body">
                "Scan the QR code with an authenticator app, such as one your organisation approves."
            </p>
            <div class="portal-qr" inner_html=setup.qr_svg></div>
            <p class="govuk-body">"If you cannot scan it, enter this key in the app instead:"</p>
            <p class="govuk-body govuk-!-font-weight-bold portal-secret">
                <code>{setup.secret}</code>
            </p>
            <h2 class="govuk-heading-m">"2. Enter the code the app shows"</h2>
            <ActionForm action=action attr:novalidate=true>
                <CodeInput hint="6 digits. The app shows a new one every 30 seconds." error=code_error />
                <button type="submit" class="govuk-button" data-module="govuk-button" data-prevent-double-click="true">
                    "Confirm and continue"
                </button>
            </ActionForm>
        }
    });
    let manage = (info.enrolled && info.setup.is_none()).then(|| {
        view! {
            <div class="govuk-button-group">
                <a class="govuk-button govuk-button--secondary" href="/account/second-factor/confirm?purpose=change">
                    "Change authenticator app"
                </a>
                {(!info.required)
                    .then(|| {
                        view! {
                            <a class="govuk-button govuk-button--warning" href="/account/second-factor/confirm?purpose=remove">
                                "Turn off the second factor"
                            </a>
                        }
                    })}
            </div>
            <p class="govuk-body">
                "Changing your app, or making new recovery codes, signs you out everywhere else."
            </p>
        }
    });
    view! {
        <PageTitle text=title(&form, heading) />
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                {flash.map(|m| view! { <SuccessBanner message=m /> })}
                <ErrorSummary form=form.clone() />
                <span class="govuk-caption-l">{info.email.clone()}</span>
                <h1 class="govuk-heading-l">{heading}</h1>
                <p class="govuk-body">{intro}</p>
                {status}
                {setup}
                {manage}
            </div>
        </div>
    }
}

/// The recovery codes, shown once after setting up.
#[component]
pub fn RecoveryCodesPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| async { take_recovery_codes().await });
    view! {
        <Suspense fallback=|| ()>
            {move || {
                data.get()
                    .map(|codes| match codes {
                        Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                        Ok((codes, _)) if codes.is_empty() => {
                            view! {
                                <PageTitle text="Your recovery codes" />
                                <h1 class="govuk-heading-l">"Your recovery codes"</h1>
                                <p class="govuk-body">
                                    "Recovery codes are shown only once, when you set up your authenticator app. To get new ones, change your authenticator app."
                                </p>
                                <p class="govuk-body">
                                    <a class="govuk-link" href="/account/second-factor">"Go to your second factor"</a>
                                </p>
                            }
                                .into_any()
                        }
                        Ok((codes, home)) => {
                            view! {
                                <PageTitle text="Save your recovery codes" />
                                <div class="govuk-panel govuk-panel--confirmation">
                                    <h1 class="govuk-panel__title">"Second factor set up"</h1>
                                </div>
                                <h2 class="govuk-heading-m">"Save your recovery codes"</h2>
                                <div class="govuk-warning-text">
                                    <span class="govuk-warning-text__icon" aria-hidden="true">"!"</span>
                                    <strong class="govuk-warning-text__text">
                                        <span class="govuk-visually-hidden">"Warning"</span>
                                        "These codes are shown only this once. Keep them somewhere safe, apart from your phone."
                                    </strong>
                                </div>
                                <p class="govuk-body">
                                    "If you cannot use your authenticator app, enter one of these codes instead of a code from the app. Each code works once."
                                </p>
                                <ul class="govuk-list portal-recovery-codes" aria-label="Recovery codes">
                                    {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                                </ul>
                                <a class="govuk-button" href=home>"I have saved my recovery codes"</a>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

/// The password and a code again, before changing or removing the second factor.
#[component]
pub fn ConfirmIdentityPage() -> impl IntoView {
    let action = ServerAction::<ConfirmIdentity>::new();
    let query = use_query_map();
    let purpose = move || {
        query
            .with(|q| q.get("purpose"))
            .and_then(|p| Purpose::parse(&p))
            .unwrap_or(Purpose::Change)
    };
    let form = Resource::new(
        move || action.version().get(),
        |_| async { crate::pages::form_state("second-factor-confirm").await },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || {
                form.get()
                    .map(|form| {
                        let purpose = purpose();
                        let (heading, button) = match purpose {
                            Purpose::Change => ("Confirm it is you", "Continue"),
                            Purpose::Remove => ("Confirm it is you to turn off the second factor", "Turn off the second factor"),
                        };
                        let button_class = match purpose {
                            Purpose::Change => "govuk-button",
                            Purpose::Remove => "govuk-button govuk-button--warning",
                        };
                        view! {
                            <PageTitle text=title(&form, heading) />
                            <div class="govuk-grid-row">
                                <div class="govuk-grid-column-two-thirds">
                                    <ErrorSummary form=form.clone() />
                                    <a href="/account/second-factor" class="govuk-back-link">"Back"</a>
                                    <h1 class="govuk-heading-l">{heading}</h1>
                                    <p class="govuk-body">"Enter your password and a code from your authenticator app."</p>
                                    <ActionForm action=action attr:novalidate=true>
                                        <input type="hidden" name="purpose" value=purpose.code() />
                                        <TextInput
                                            id="password"
                                            label="Password"
                                            input_type="password"
                                            autocomplete="current-password"
                                            error=form.error("password")
                                        />
                                        <CodeInput hint=CODE_HINT error=form.error("code") />
                                        <button type="submit" class=button_class data-module="govuk-button" data-prevent-double-click="true">
                                            {button}
                                        </button>
                                    </ActionForm>
                                </div>
                            </div>
                        }
                    })
            }}
        </Suspense>
    }
}

/// The signed-in user's account: their details, the password and the second factor.
#[component]
pub fn AccountPage() -> impl IntoView {
    let data = Resource::new(
        || (),
        |_| async {
            let summary = account_summary().await;
            let flash = take_flash().await.ok().flatten();
            (summary, flash)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || {
                data.get()
                    .map(|(summary, flash)| match summary {
                        Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                        Ok(a) => {
                            let (factor, factor_link) = if a.second_factor {
                                ("Authenticator app set up", "Change")
                            } else {
                                ("Not set up", "Set up")
                            };
                            view! {
                                <PageTitle text="Your account" />
                                <div class="govuk-grid-row">
                                    <div class="govuk-grid-column-two-thirds">
                                        {flash.map(|m| view! { <SuccessBanner message=m /> })}
                                        <h1 class="govuk-heading-l">"Your account"</h1>
                                        <dl class="govuk-summary-list">
                                            <div class="govuk-summary-list__row">
                                                <dt class="govuk-summary-list__key">"Name"</dt>
                                                <dd class="govuk-summary-list__value">{a.name}</dd>
                                            </div>
                                            <div class="govuk-summary-list__row">
                                                <dt class="govuk-summary-list__key">"Email address"</dt>
                                                <dd class="govuk-summary-list__value">{a.email}</dd>
                                            </div>
                                            <div class="govuk-summary-list__row">
                                                <dt class="govuk-summary-list__key">"Password"</dt>
                                                <dd class="govuk-summary-list__value">"Set"</dd>
                                                <dd class="govuk-summary-list__actions">
                                                    <a class="govuk-link" href="/account/password">
                                                        "Change"<span class="govuk-visually-hidden">" password"</span>
                                                    </a>
                                                </dd>
                                            </div>
                                            <div class="govuk-summary-list__row">
                                                <dt class="govuk-summary-list__key">"Second factor"</dt>
                                                <dd class="govuk-summary-list__value">{factor}</dd>
                                                <dd class="govuk-summary-list__actions">
                                                    <a class="govuk-link" href="/account/second-factor">
                                                        {factor_link}<span class="govuk-visually-hidden">" second factor"</span>
                                                    </a>
                                                </dd>
                                            </div>
                                        </dl>
                                        <p class="govuk-body">
                                            "To change your name or email address, ask a programme admin."
                                        </p>
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

/// Changing the password: the current one (and a code, with a second factor) first.
#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let data = Resource::new(
        move || action.version().get(),
        |_| async {
            let summary = account_summary().await;
            (summary, crate::pages::form_state("change-password").await)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || {
                data.get()
                    .map(|(summary, form)| match summary {
                        Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                        Ok(a) => {
                            let heading = "Change your password";
                            view! {
                                <PageTitle text=title(&form, heading) />
                                <div class="govuk-grid-row">
                                    <div class="govuk-grid-column-two-thirds">
                                        <ErrorSummary form=form.clone() />
                                        <a href="/account" class="govuk-back-link">"Back"</a>
                                        <h1 class="govuk-heading-l">{heading}</h1>
                                        <ActionForm action=action attr:novalidate=true>
                                            <TextInput
                                                id="current_password"
                                                label="Current password"
                                                input_type="password"
                                                autocomplete="current-password"
                                                error=form.error("current_password")
                                            />
                                            {a.second_factor.then(|| view! { <CodeInput hint=CODE_HINT error=form.error("code") /> })}
                                            <crate::pages::invitation::NewPasswordInput label="New password" error=form.error("password") />
                                            <p class="govuk-body">"Changing your password signs you out everywhere else."</p>
                                            <button type="submit" class="govuk-button" data-module="govuk-button" data-prevent-double-click="true">
                                                "Change password"
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
