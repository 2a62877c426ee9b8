//! Programme admin pages: organisations, their users, invitations, roles and deactivation.

use leptos::prelude::*;

use crate::{
    api::{
        admin::{
            list_organisations, organisation_detail, roles_field, user_detail, AddVouchingScheme,
            ChangeRoles, CreateOrganisation, InviteUser, SetUserActive, UserItem,
        },
        auth::take_flash,
        second_factor::ResetSecondFactor,
    },
    components::{ErrorSummary, PageTitle, SuccessBanner, TextInput},
    domain::{OrganisationKind, Role},
    forms::FormState,
};

fn flash_view(message: Option<String>) -> impl IntoView {
    message.map(|m| view! { <SuccessBanner message=m /> })
}

/// Role checkboxes; `organisation_user` decides which two are offered.
#[component]
fn RoleCheckboxes(
    organisation_user: bool,
    chosen: Vec<Role>,
    error: Option<String>,
) -> impl IntoView {
    let roles: Vec<Role> = if organisation_user {
        Role::ORGANISATION.to_vec()
    } else {
        Role::PROGRAMME.to_vec()
    };
    let group = if error.is_some() {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    };
    let described = error.as_ref().map(|_| "roles-error");
    view! {
        <div class=group>
            <fieldset class="govuk-fieldset" aria-describedby=described>
                <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">"Roles"</legend>
                {error
                    .map(|e| {
                        view! {
                            <p id="roles-error" class="govuk-error-message">
                                <span class="govuk-visually-hidden">"Error: "</span>
                                {e}
                            </p>
                        }
                    })}
                <div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">
                    {roles
                        .into_iter()
                        .map(|role| {
                            let id = role.code();
                            view! {
                                <div class="govuk-checkboxes__item">
                                    <input
                                        class="govuk-checkboxes__input"
                                        id=id
                                        name=format!("role_{id}")
                                        type="checkbox"
                                        value="yes"
                                        checked=chosen.contains(&role)
                                    />
                                    <label class="govuk-label govuk-checkboxes__label" for=id>
                                        {role.label()}
                                    </label>
                                </div>
                            }
                        })
                        .collect_view()}
                </div>
            </fieldset>
        </div>
    }
}

fn roles_in(form: &FormState) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|r| !form.value(r.code()).is_empty())
        .collect()
}

/// All organisations, and a form to add one.
#[component]
pub fn AdminOrganisations() -> impl IntoView {
    let create = ServerAction::<CreateOrganisation>::new();
    let data = Resource::new(
        move || create.version().get(),
        |_| async {
            let orgs = list_organisations().await;
            let form = crate::pages::form_state("create-organisation").await;
            (orgs, form)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || {
                data.get()
                    .map(|(orgs, form)| {
                        let title = if form.has_errors() { "Error: Organisations" } else { "Organisations" };
                        let orgs = match orgs {
                            Ok(orgs) => orgs,
                            Err(e) => return view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                        };
                        let kind_error = form.error("kind");
                        let kind_group = if kind_error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" };
                        view! {
                            <PageTitle text=title />
                            <ErrorSummary form=form.clone() />
                            <h1 class="govuk-heading-l">"Organisations"</h1>
                            <p class="govuk-body">
                                <a class="govuk-link" href="/admin/organisations/programme">
                                    "Pensions Dashboards Programme staff"
                                </a>
                            </p>
                            <table class="govuk-table">
                                <caption class="govuk-table__caption govuk-table__caption--m">
                                    "Connecting organisations"
                                </caption>
                                <thead class="govuk-table__head">
                                    <tr class="govuk-table__row">
                                        <th scope="col" class="govuk-table__header">"Name"</th>
                                        <th scope="col" class="govuk-table__header">"Type"</th>
                                    </tr>
                                </thead>
                                <tbody class="govuk-table__body">
                                    {orgs
                                        .into_iter()
                                        .map(|o| {
                                            view! {
                                                <tr class="govuk-table__row">
                                                    <td class="govuk-table__cell">
                                                        <a class="govuk-link" href=format!("/admin/organisations/{}", o.id)>
                                                            {o.name}
                                                        </a>
                                                    </td>
                                                    <td class="govuk-table__cell">{o.kind}</td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                            <h2 class="govuk-heading-m">"Add an organisation"</h2>
                            <ActionForm action=create attr:novalidate=true>
                                <TextInput id="name" label="Organisation name" value=form.value("name") error=form.error("name") />
                                <div class=kind_group>
                                    <fieldset class="govuk-fieldset">
                                        <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">"Type of organisation"</legend>
                                        {kind_error.map(|e| view! {
                                            <p class="govuk-error-message"><span class="govuk-visually-hidden">"Error: "</span>{e}</p>
                                        })}
                                        <div class="govuk-radios govuk-radios--small" data-module="govuk-radios">
                                            {OrganisationKind::ALL
                                                .into_iter()
                                                .enumerate()
                                                .map(|(i, k)| {
                                                    let id = if i == 0 { "kind".to_string() } else { format!("kind-{}", i + 1) };
                                                    view! {
                                                        <div class="govuk-radios__item">
                                                            <input class="govuk-radios__input" id=id.clone() name="kind" type="radio" value=k.code()
                                                                checked=form.value("kind") == k.code() />
                                                            <label class="govuk-label govuk-radios__label" for=id>{k.label()}</label>
                                                        </div>
                                                    }
                                                })
                                                .collect_view()}
                                        </div>
                                    </fieldset>
                                </div>
                                <button type="submit" class="govuk-button">"Add organisation"</button>
                            </ActionForm>
                        }.into_any()
                    })
            }}
        </Suspense>
    }
}

/// One organisation (or the programme): its users and a form to invite one.
#[component]
pub fn AdminOrganisation() -> impl IntoView {
    let id = crate::pages::route_param("id");
    let invite = ServerAction::<InviteUser>::new();
    let vouching = ServerAction::<AddVouchingScheme>::new();
    let data = Resource::new(
        move || (id(), invite.version().get(), vouching.version().get()),
        |(id, _, _)| async move {
            let detail = organisation_detail(id).await;
            let mut form = crate::pages::form_state("invite").await;
            let scheme_form = crate::pages::form_state("vouching").await;
            form.errors.extend(scheme_form.errors.clone());
            let flash = take_flash().await.ok().flatten();
            (detail, form, scheme_form, flash)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || {
                data.get()
                    .map(|(detail, form, scheme_form, flash)| match detail {
                        Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                        Ok(detail) => {
                            let organisation_user = detail.organisation.id != 0;
                            let org_param = if organisation_user { detail.organisation.id.to_string() } else { "programme".to_string() };
                            let title = if form.has_errors() { format!("Error: {}", detail.organisation.name) } else { detail.organisation.name.clone() };
                            let roles_error = form.error(roles_field(organisation_user));
                            view! {
                                <PageTitle text=title />
                                {flash_view(flash)}
                                <ErrorSummary form=form.clone() />
                                <a href="/admin/organisations" class="govuk-back-link">"Back to organisations"</a>
                                <span class="govuk-caption-l">{detail.organisation.kind.clone()}</span>
                                <h1 class="govuk-heading-l">{detail.organisation.name.clone()}</h1>
                                {organisation_user.then(|| view! {
                                    <h2 class="govuk-heading-m">"Vouching scheme"</h2>
                                    {match detail.vouching_scheme.clone() {
                                        Some(v) => view! { <p class="govuk-body">{v}</p> }.into_any(),
                                        None => view! { <VouchingForm organisation=detail.organisation.id form=scheme_form.clone() action=vouching /> }.into_any(),
                                    }}
                                    <h2 class="govuk-heading-m">"Technical connection"</h2>
                                    <p class="govuk-body">
                                        {match detail.technical_connection_on {
                                            Some(d) => format!("Completes its technical connection journey on {}. ", crate::domain::oat::long_date(d)),
                                            None => "No technical connection completion date recorded. ".to_string(),
                                        }}
                                        <a class="govuk-link" href=format!("/staff/organisations/{}", detail.organisation.id)>"Change the technical connection date"</a>
                                    </p>
                                })}
                                <UsersTable users=detail.users />
                                <h2 class="govuk-heading-m">"Invite a user"</h2>
                                <ActionForm action=invite attr:novalidate=true>
                                    <input type="hidden" name="organisation" value=org_param />
                                    <TextInput id="name" label="Full name" value=form.value("name") error=form.error("name") autocomplete="off" />
                                    <TextInput id="email" label="Email address" value=form.value("email") error=form.error("email") input_type="email" autocomplete="off" spellcheck_off=true />
                                    <RoleCheckboxes organisation_user chosen=roles_in(&form) error=roles_error />
                                    <button type="submit" class="govuk-button">"Send invitation"</button>
                                </ActionForm>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

#[component]
fn UsersTable(users: Vec<UserItem>) -> impl IntoView {
    if users.is_empty() {
        return view! { <p class="govuk-body">"No users yet."</p> }.into_any();
    }
    view! {
        <table class="govuk-table">
            <caption class="govuk-table__caption govuk-table__caption--m">"Users"</caption>
            <thead class="govuk-table__head">
                <tr class="govuk-table__row">
                    <th scope="col" class="govuk-table__header">"Name"</th>
                    <th scope="col" class="govuk-table__header">"Email address"</th>
                    <th scope="col" class="govuk-table__header">"Roles"</th>
                    <th scope="col" class="govuk-table__header">"Status"</th>
                </tr>
            </thead>
            <tbody class="govuk-table__body">
                {users
                    .into_iter()
                    .map(|u| {
                        let roles = u.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ");
                        view! {
                            <tr class="govuk-table__row">
                                <td class="govuk-table__cell">
                                    <a class="govuk-link" href=format!("/admin/users/{}", u.id)>{u.name}</a>
                                </td>
                                <td class="govuk-table__cell">{u.email}</td>
                                <td class="govuk-table__cell">{roles}</td>
                                <td class="govuk-table__cell"><StatusTag active=u.active invited=u.invited /></td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn StatusTag(active: bool, invited: bool) -> impl IntoView {
    let (class, text) = match (active, invited) {
        (false, _) => ("govuk-tag govuk-tag--grey", "Deactivated"),
        (true, true) => ("govuk-tag govuk-tag--yellow", "Invited"),
        (true, false) => ("govuk-tag govuk-tag--green", "Active"),
    };
    view! { <strong class=class>{text}</strong> }
}

/// One user: roles, and deactivate or reactivate.
#[component]
pub fn AdminUser() -> impl IntoView {
    let id = crate::pages::route_param("id");
    let roles = ServerAction::<ChangeRoles>::new();
    let active = ServerAction::<SetUserActive>::new();
    let reset = ServerAction::<ResetSecondFactor>::new();
    let data = Resource::new(
        move || {
            (
                id(),
                roles.version().get(),
                active.version().get(),
                reset.version().get(),
            )
        },
        |(id, _, _, _)| async move {
            let user = user_detail(id).await;
            let form = crate::pages::form_state("roles").await;
            let flash = take_flash().await.ok().flatten();
            (user, form, flash)
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || {
                data.get()
                    .map(|(user, form, flash)| match user {
                        Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                        Ok(user) => {
                            let organisation_user = user.organisation_id.is_some();
                            let back = match user.organisation_id {
                                Some(o) => format!("/admin/organisations/{o}"),
                                None => "/admin/organisations/programme".to_string(),
                            };
                            let title = if form.has_errors() { format!("Error: {}", user.name) } else { user.name.clone() };
                            let roles_error = form.error(roles_field(organisation_user)).or(form.error("programme_admin"));
                            let (button, next, button_class) = if user.active {
                                ("Deactivate user", "false", "govuk-button govuk-button--warning")
                            } else {
                                ("Reactivate user", "true", "govuk-button govuk-button--secondary")
                            };
                            view! {
                                <PageTitle text=title />
                                {flash_view(flash)}
                                <ErrorSummary form=form.clone() />
                                <a href=back class="govuk-back-link">"Back"</a>
                                <span class="govuk-caption-l">{user.organisation_name.clone().unwrap_or_else(|| "Pensions Dashboards Programme".into())}</span>
                                <h1 class="govuk-heading-l">{user.name.clone()}</h1>
                                <dl class="govuk-summary-list">
                                    <div class="govuk-summary-list__row">
                                        <dt class="govuk-summary-list__key">"Email address"</dt>
                                        <dd class="govuk-summary-list__value">{user.email.clone()}</dd>
                                    </div>
                                    <div class="govuk-summary-list__row">
                                        <dt class="govuk-summary-list__key">"Status"</dt>
                                        <dd class="govuk-summary-list__value"><StatusTag active=user.active invited=user.invited /></dd>
                                    </div>
                                    <div class="govuk-summary-list__row">
                                        <dt class="govuk-summary-list__key">"Second factor"</dt>
                                        <dd class="govuk-summary-list__value">{if user.second_factor { "Set up" } else { "Not set up" }}</dd>
                                    </div>
                                </dl>
                                <h2 class="govuk-heading-m">"Change roles"</h2>
                                <ActionForm action=roles attr:novalidate=true>
                                    <input type="hidden" name="user" value=user.id.to_string() />
                                    <RoleCheckboxes organisation_user chosen=user.roles.clone() error=roles_error />
                                    <button type="submit" class="govuk-button">"Save roles"</button>
                                </ActionForm>
                                <h2 class="govuk-heading-m">{if user.active { "Deactivate" } else { "Reactivate" }}</h2>
                                <p class="govuk-body">
                                    {if user.active {
                                        "A deactivated user cannot sign in, and is signed out everywhere at once."
                                    } else {
                                        "Reactivating lets this user sign in again with their password."
                                    }}
                                </p>
                                <ActionForm action=active>
                                    <input type="hidden" name="user" value=user.id.to_string() />
                                    <input type="hidden" name="active" value=next />
                                    <button type="submit" class=button_class>{button}</button>
                                </ActionForm>
                                {user.second_factor.then(|| view! {
                                    <h2 class="govuk-heading-m">"Reset second factor"</h2>
                                    <p class="govuk-body">
                                        "If this user has lost their phone and their recovery codes, reset their second factor. They are signed out everywhere, emailed, and set up a new one when they next sign in."
                                    </p>
                                    <ActionForm action=reset>
                                        <input type="hidden" name="user" value=user.id.to_string() />
                                        <button type="submit" class="govuk-button govuk-button--warning">"Reset second factor"</button>
                                    </ActionForm>
                                })}
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

#[component]
fn VouchingForm(
    organisation: i64,
    form: FormState,
    action: ServerAction<AddVouchingScheme>,
) -> impl IntoView {
    let regulator_error = form.error("regulator");
    let group = if regulator_error.is_some() {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    };
    let chosen = form.value("regulator");
    view! {
        <ActionForm action=action attr:novalidate=true>
            <input type="hidden" name="organisation" value=organisation.to_string() />
            <TextInput id="scheme_name" label="Name of the pension provider or scheme" value=form.value("scheme_name") error=form.error("scheme_name") />
            <div class=group>
                <fieldset class="govuk-fieldset">
                    <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">"Regulator"</legend>
                    {regulator_error.map(|e| view! { <p class="govuk-error-message"><span class="govuk-visually-hidden">"Error: "</span>{e}</p> })}
                    <div class="govuk-radios govuk-radios--inline govuk-radios--small" data-module="govuk-radios">
                        <div class="govuk-radios__item">
                            <input class="govuk-radios__input" id="regulator" name="regulator" type="radio" value="TPR" checked=chosen == "TPR" />
                            <label class="govuk-label govuk-radios__label" for="regulator">"The Pensions Regulator (TPR)"</label>
                        </div>
                        <div class="govuk-radios__item">
                            <input class="govuk-radios__input" id="regulator-2" name="regulator" type="radio" value="FCA" checked=chosen == "FCA" />
                            <label class="govuk-label govuk-radios__label" for="regulator-2">"Financial Conduct Authority (FCA)"</label>
                        </div>
                    </div>
                </fieldset>
            </div>
            <TextInput id="regulator_number" label="Regulator number" hint="The PSR number for TPR, or the FCA firm reference number" value=form.value("regulator_number") error=form.error("regulator_number") />
            <button type="submit" class="govuk-button govuk-button--secondary">"Add vouching scheme"</button>
        </ActionForm>
    }
}
