//! Account administration for programme admins: organisations, invitations, roles, deactivation.
//! Every change writes its audit row (and any email) in the same transaction.

use leptos::prelude::*;

use crate::error::AppError;
use serde::{Deserialize, Serialize};

use crate::domain::Role;

/// An organisation in the admin list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganisationItem {
    pub id: i64,
    pub name: String,
    pub kind: String,
}

/// A user as the admin pages show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserItem {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub organisation_id: Option<i64>,
    pub organisation_name: Option<String>,
    pub active: bool,
    pub invited: bool,
    pub roles: Vec<Role>,
    /// Has set up a second factor.
    pub second_factor: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganisationView {
    pub organisation: OrganisationItem,
    pub users: Vec<UserItem>,
    /// The vouching scheme's name and regulator, once added.
    pub vouching_scheme: Option<String>,
    /// When the organisation completes its technical connection journey, if recorded.
    pub technical_connection_on: Option<chrono::NaiveDate>,
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    pub use super::super::auth::urlencode;
    pub use crate::error::{AppError, Context};
    pub use crate::{
        auth::{request_meta, require_admin, services},
        domain::{check_roles, EmailAddress, OrganisationKind, OrganisationName, PersonName, Role},
        forms::FormState,
        store::{
            audit::{self, AuditAction, NewAuditEvent},
            invitations, organisations, users, StoreError,
        },
    };

    pub use crate::auth::session::request_session as session;

    pub fn event(
        action: AuditAction,
        actor: i64,
        target: Option<i64>,
        org: Option<i64>,
        detail: String,
    ) -> NewAuditEvent {
        let meta = request_meta();
        NewAuditEvent {
            action,
            actor_user_id: Some(actor),
            target_user_id: target,
            organisation_id: org,
            client_ip: meta.client_ip,
            request_id: meta.request_id,
            detail,
        }
    }

    /// Roles from the four checkboxes (an unticked box is simply missing).
    pub fn roles_from(boxes: [(Role, &Option<String>); 4]) -> Vec<Role> {
        boxes
            .into_iter()
            .filter(|(_, v)| v.is_some())
            .map(|(r, _)| r)
            .collect()
    }

    pub fn to_item(u: users::UserSummary) -> super::UserItem {
        super::UserItem {
            id: u.id,
            name: u.name,
            email: u.email,
            organisation_id: u.organisation_id,
            organisation_name: u.organisation_name,
            active: u.active,
            invited: u.invited,
            roles: u.roles,
            second_factor: u.second_factor,
        }
    }

    /// The organisation with this id, or 404.
    pub async fn organisation_by_id(
        services: &crate::services::Services,
        id: i64,
    ) -> Result<organisations::Organisation, AppError> {
        organisations::get(&services.db, id)
            .await
            .context("loading an organisation")?
            .ok_or_else(AppError::not_found)
    }
}

/// Every organisation (programme admins).
#[server(prefix = "/api", endpoint = "admin/organisations")]
pub async fn list_organisations() -> Result<Vec<OrganisationItem>, AppError> {
    use self::ssr::*;
    require_admin()?;
    let services = services()?;
    let orgs = organisations::list(&services.db)
        .await
        .context("listing organisations")?;
    Ok(orgs
        .into_iter()
        .map(|o| OrganisationItem {
            id: o.id,
            name: o.name.to_string(),
            kind: o.kind.label().to_string(),
        })
        .collect())
}

/// Adds an organisation.
#[server(prefix = "/api", endpoint = "admin/organisations/create")]
pub async fn create_organisation(name: String, kind: Option<String>) -> Result<(), AppError> {
    use self::ssr::*;
    let admin = require_admin()?;
    let services = services()?;
    let session = session().await?;
    let mut form = FormState::default()
        .with_value("name", &name)
        .with_value("kind", kind.as_deref().unwrap_or(""));
    let parsed_name =
        OrganisationName::parse(&name).map_err(|e| form.clone().with_error("name", e.to_string()));
    let parsed_kind = kind
        .as_deref()
        .and_then(OrganisationKind::from_code)
        .ok_or("Select the type of organisation");
    if let Err(f) = &parsed_name {
        form = f.clone();
    }
    if let Err(m) = parsed_kind {
        form = form.with_error("kind", m);
    }
    let (Ok(org_name), Ok(kind)) = (parsed_name, parsed_kind) else {
        return session
            .back_to_form("create-organisation", &form, "/admin/organisations")
            .await
            .context("session");
    };
    let now = services.clock.now();
    let mut tx = services.db.begin_write().await.context("begin")?;
    let id = match organisations::insert(&mut tx, &org_name, kind, now).await {
        Ok(id) => id,
        Err(StoreError::Duplicate(_)) => {
            let form = form.with_error("name", "An organisation with this name already exists");
            return session
                .back_to_form("create-organisation", &form, "/admin/organisations")
                .await
                .context("session");
        }
        Err(e) => return Err(AppError::internal("creating an organisation", e)),
    };
    audit::record(
        &mut tx,
        now,
        &event(
            AuditAction::OrganisationCreated,
            admin.id,
            None,
            Some(id),
            org_name.to_string(),
        ),
    )
    .await
    .context("audit")?;
    tx.commit().await.context("commit")?;
    session
        .set_flash(&format!("{org_name} added"))
        .await
        .context("session")?;
    leptos_axum::redirect(&format!("/admin/organisations/{id}"));
    Ok(())
}

/// One organisation and its users (programme admins). `id` "programme" lists programme staff.
#[server(prefix = "/api", endpoint = "admin/organisation")]
pub async fn organisation_detail(id: String) -> Result<OrganisationView, AppError> {
    use self::ssr::*;
    require_admin()?;
    let services = services()?;
    if id == "programme" {
        let users = users::list(&services.db, None)
            .await
            .context("listing users")?;
        return Ok(OrganisationView {
            organisation: OrganisationItem {
                id: 0,
                name: "Pensions Dashboards Programme".into(),
                kind: "Programme".into(),
            },
            users: users.into_iter().map(to_item).collect(),
            vouching_scheme: None,
            technical_connection_on: None,
        });
    }
    let id: i64 = id.parse().map_err(|_| AppError::not_found())?;
    let org = organisation_by_id(&services, id).await?;
    let users = users::list(&services.db, Some(id))
        .await
        .context("listing users")?;
    let vouching_scheme = crate::store::schemes::list_for_organisation(&services.db, id)
        .await
        .context("listing schemes")?
        .into_iter()
        .find(|s| s.is_vouching)
        .map(|s| format!("{} ({} {})", s.name, s.regulator, s.regulator_number));
    let technical_connection_on = crate::store::schemes::technical_connection_on(&services.db, id)
        .await
        .context("loading the technical connection date")?;
    Ok(OrganisationView {
        vouching_scheme,
        technical_connection_on,
        organisation: OrganisationItem {
            id: org.id,
            name: org.name.to_string(),
            kind: org.kind.label().to_string(),
        },
        users: users.into_iter().map(to_item).collect(),
    })
}

/// Invites a user: creates the account without a password and emails a one-time link (valid 7
/// days) through the outbox, in one transaction with the audit row.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/api", endpoint = "admin/users/invite")]
pub async fn invite_user(
    organisation: String,
    name: String,
    email: String,
    role_service_manager: Option<String>,
    role_primary_business_contact: Option<String>,
    role_programme_staff: Option<String>,
    role_programme_admin: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    let admin = require_admin()?;
    let services = services()?;
    let session = session().await?;
    let org_id: Option<i64> = match organisation.as_str() {
        "programme" => None,
        other => Some(other.parse().map_err(|_| AppError::not_found())?),
    };
    let org_name = match org_id {
        Some(id) => Some(organisation_by_id(&services, id).await?.name.to_string()),
        None => None,
    };
    let page = format!("/admin/organisations/{organisation}");
    let roles = roles_from([
        (Role::ServiceManager, &role_service_manager),
        (Role::PrimaryBusinessContact, &role_primary_business_contact),
        (Role::ProgrammeStaff, &role_programme_staff),
        (Role::ProgrammeAdmin, &role_programme_admin),
    ]);
    let mut form = FormState::default()
        .with_value("name", &name)
        .with_value("email", &email);
    for r in &roles {
        form = form.with_value(r.code(), "yes");
    }
    let person = PersonName::parse(&name);
    let address = EmailAddress::parse(&email);
    if let Err(e) = &person {
        form = form.with_error("name", e.to_string());
    }
    if let Err(e) = &address {
        form = form.with_error("email", e.to_string());
    }
    if let Err(m) = check_roles(&roles, org_id.is_some()) {
        form = form.with_error(roles_field(org_id.is_some()), m);
    }
    let (Ok(person), Ok(address), false) = (person, address, form.has_errors()) else {
        return session
            .back_to_form("invite", &form, &page)
            .await
            .context("session");
    };
    let now = services.clock.now();
    let mut tx = services.db.begin_write().await.context("begin")?;
    let user_id = match users::insert(&mut tx, org_id, &person, &address, &roles, now).await {
        Ok(id) => id,
        Err(StoreError::Duplicate(_)) => {
            let form = form.with_error("email", "A user with this email address already exists");
            return session
                .back_to_form("invite", &form, &page)
                .await
                .context("session");
        }
        Err(e) => return Err(AppError::internal("creating a user", e)),
    };
    crate::api::invitations::ssr::issue(
        &mut tx,
        &services,
        user_id,
        person.as_str(),
        address.as_str(),
        org_name.as_deref(),
        now,
    )
    .await?;
    let codes: Vec<&str> = roles.iter().map(|r| r.code()).collect();
    audit::record(
        &mut tx,
        now,
        &event(
            AuditAction::UserInvited,
            admin.id,
            Some(user_id),
            org_id,
            codes.join(","),
        ),
    )
    .await
    .context("audit")?;
    tx.commit().await.context("commit")?;
    session
        .set_flash(&format!("Invitation sent to {address}"))
        .await
        .context("session")?;
    leptos_axum::redirect(&page);
    Ok(())
}

/// The field id the roles error links to.
pub fn roles_field(organisation_user: bool) -> &'static str {
    if organisation_user {
        "service_manager"
    } else {
        "programme_staff"
    }
}

/// A user (programme admins).
#[server(prefix = "/api", endpoint = "admin/user")]
pub async fn user_detail(id: String) -> Result<UserItem, AppError> {
    use self::ssr::*;
    require_admin()?;
    let services = services()?;
    let id: i64 = id.parse().map_err(|_| AppError::not_found())?;
    let user = users::get(&services.db, id)
        .await
        .context("loading a user")?
        .ok_or_else(AppError::not_found)?;
    Ok(to_item(user))
}

/// Replaces a user's roles.
#[server(prefix = "/api", endpoint = "admin/users/roles")]
pub async fn change_roles(
    user: String,
    role_service_manager: Option<String>,
    role_primary_business_contact: Option<String>,
    role_programme_staff: Option<String>,
    role_programme_admin: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    let admin = require_admin()?;
    let services = services()?;
    let session = session().await?;
    let id: i64 = user.parse().map_err(|_| AppError::not_found())?;
    let target = users::get(&services.db, id)
        .await
        .context("loading a user")?
        .ok_or_else(AppError::not_found)?;
    let roles = roles_from([
        (Role::ServiceManager, &role_service_manager),
        (Role::PrimaryBusinessContact, &role_primary_business_contact),
        (Role::ProgrammeStaff, &role_programme_staff),
        (Role::ProgrammeAdmin, &role_programme_admin),
    ]);
    let page = format!("/admin/users/{id}");
    if let Err(m) = check_roles(&roles, target.organisation_id.is_some()) {
        let form =
            FormState::default().with_error(roles_field(target.organisation_id.is_some()), m);
        return session
            .back_to_form("roles", &form, &page)
            .await
            .context("session");
    }
    if id == admin.id && !roles.contains(&Role::ProgrammeAdmin) {
        let form = FormState::default()
            .with_error("programme_admin", "You cannot remove your own admin role");
        return session
            .back_to_form("roles", &form, &page)
            .await
            .context("session");
    }
    let now = services.clock.now();
    let mut tx = services.db.begin_write().await.context("begin")?;
    users::set_roles(&mut tx, id, &roles)
        .await
        .context("setting roles")?;
    let before: Vec<&str> = target.roles.iter().map(|r| r.code()).collect();
    let after: Vec<&str> = roles.iter().map(|r| r.code()).collect();
    audit::record(
        &mut tx,
        now,
        &event(
            AuditAction::RolesChanged,
            admin.id,
            Some(id),
            target.organisation_id,
            format!("{} -> {}", before.join(","), after.join(",")),
        ),
    )
    .await
    .context("audit")?;
    tx.commit().await.context("commit")?;
    session
        .set_flash("Roles updated")
        .await
        .context("session")?;
    leptos_axum::redirect(&page);
    Ok(())
}

/// Deactivates (`active` = "false") or reactivates ("true") a user. Deactivation ends every
/// session the user has.
#[server(prefix = "/api", endpoint = "admin/users/active")]
pub async fn set_user_active(user: String, active: String) -> Result<(), AppError> {
    use self::ssr::*;
    let admin = require_admin()?;
    let services = services()?;
    let session = session().await?;
    let id: i64 = user.parse().map_err(|_| AppError::not_found())?;
    let active = match active.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::invalid("active must be true or false")),
    };
    if id == admin.id && !active {
        return Err(AppError::invalid("You cannot deactivate your own account"));
    }
    let target = users::get(&services.db, id)
        .await
        .context("loading a user")?
        .ok_or_else(AppError::not_found)?;
    let now = services.clock.now();
    let mut tx = services.db.begin_write().await.context("begin")?;
    users::set_active(&mut tx, id, active)
        .await
        .context("setting active")?;
    let action = if active {
        AuditAction::UserReactivated
    } else {
        AuditAction::UserDeactivated
    };
    audit::record(
        &mut tx,
        now,
        &event(
            action,
            admin.id,
            Some(id),
            target.organisation_id,
            String::new(),
        ),
    )
    .await
    .context("audit")?;
    tx.commit().await.context("commit")?;
    let message = if active {
        format!("{} reactivated", target.name)
    } else {
        format!("{} deactivated and signed out everywhere", target.name)
    };
    session.set_flash(&message).await.context("session")?;
    leptos_axum::redirect(&format!("/admin/users/{id}"));
    Ok(())
}

/// Adds an organisation's vouching scheme (programme admins): the first provider or scheme to
/// go live, which operational acceptance testing unlocks.
#[server(prefix = "/api", endpoint = "admin/schemes/vouching")]
pub async fn add_vouching_scheme(
    organisation: String,
    scheme_name: String,
    regulator: Option<String>,
    regulator_number: String,
) -> Result<(), AppError> {
    use self::ssr::*;
    use crate::store::schemes;
    let admin = require_admin()?;
    let services = services()?;
    let session = session().await?;
    let org_id: i64 = organisation.parse().map_err(|_| AppError::not_found())?;
    organisation_by_id(&services, org_id).await?;
    let page = format!("/admin/organisations/{org_id}");
    let mut form = FormState::default()
        .with_value("scheme_name", &scheme_name)
        .with_value("regulator", regulator.as_deref().unwrap_or(""))
        .with_value("regulator_number", &regulator_number);
    let parsed_name = OrganisationName::parse(&scheme_name);
    if parsed_name.is_err() {
        form = form.with_error(
            "scheme_name",
            "Enter the name of the pension provider or scheme, in 200 characters or fewer",
        );
    }
    let regulator = match regulator.as_deref() {
        Some(r @ ("FCA" | "TPR")) => Some(r),
        _ => {
            form = form.with_error("regulator", "Select the regulator");
            None
        }
    };
    let number = regulator_number.trim().to_string();
    if number.is_empty() || number.len() > 20 || !number.chars().all(|c| c.is_ascii_alphanumeric())
    {
        form = form.with_error(
            "regulator_number",
            "Enter the regulator number, using only letters and numbers (up to 20)",
        );
    }
    let (Ok(scheme_name), Some(regulator), false) = (parsed_name, regulator, form.has_errors())
    else {
        return session
            .back_to_form("vouching", &form, &page)
            .await
            .context("session");
    };
    let now = services.clock.now();
    let mut tx = services.db.begin_write().await.context("begin")?;
    match schemes::insert(
        &mut tx,
        org_id,
        scheme_name.as_str(),
        regulator,
        &number,
        true,
        now,
    )
    .await
    {
        Ok(_) => {}
        Err(StoreError::Duplicate(_)) => {
            let form = form.with_error(
                "scheme_name",
                "This organisation already has a vouching scheme",
            );
            return session
                .back_to_form("vouching", &form, &page)
                .await
                .context("session");
        }
        Err(e) => return Err(AppError::internal("adding a scheme", e)),
    }
    audit::record(
        &mut tx,
        now,
        &event(
            AuditAction::SchemeAdded,
            admin.id,
            None,
            Some(org_id),
            format!("{scheme_name} ({regulator} {number}), vouching"),
        ),
    )
    .await
    .context("audit")?;
    tx.commit().await.context("commit")?;
    session
        .set_flash(&format!("{scheme_name} added as the vouching scheme"))
        .await
        .context("session")?;
    leptos_axum::redirect(&page);
    Ok(())
}

/// Records the date an organisation completes (or completed) its technical connection journey
/// (programme staff). Connection dates must then fall after it. Empty clears it.
#[server(prefix = "/api", endpoint = "staff/technical-connection")]
pub async fn set_technical_connection_date(
    organisation: String,
    technical_connection_date: Option<String>,
    return_to: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    use crate::{auth::require_staff, domain::oat::parse_iso_date, store::schemes};
    let staff = require_staff()?;
    let services = services()?;
    let session = session().await?;
    let org_id: i64 = organisation.parse().map_err(|_| AppError::not_found())?;
    organisation_by_id(&services, org_id).await?;
    // Back to a staff request page when the form was there; the organisation's page otherwise.
    let page = crate::auth::safe_next_path(return_to.as_deref())
        .filter(|p| p.starts_with("/staff/requests/"))
        .unwrap_or_else(|| format!("/staff/organisations/{org_id}"));
    let raw = technical_connection_date.unwrap_or_default();
    let parsed = if raw.trim().is_empty() {
        None
    } else {
        match parse_iso_date(&raw) {
            Ok(d) => Some(d),
            Err(_) => {
                let form = FormState::default()
                    .with_value("technical_connection_date", raw.trim())
                    .with_error(
                        "technical_connection_date",
                        "Technical connection date must be a real date",
                    );
                return session
                    .back_to_form("technical-connection", &form, &page)
                    .await
                    .context("session");
            }
        }
    };
    let now = services.clock.now();
    let mut tx = services.db.begin_write().await.context("begin")?;
    schemes::set_technical_connection_on(&mut tx, org_id, parsed)
        .await
        .context("setting the technical connection date")?;
    let detail = parsed
        .map(|d| d.to_string())
        .unwrap_or_else(|| "cleared".into());
    audit::record(
        &mut tx,
        now,
        &event(
            AuditAction::TechnicalConnectionDateSet,
            staff.id,
            None,
            Some(org_id),
            detail,
        ),
    )
    .await
    .context("audit")?;
    tx.commit().await.context("commit")?;
    session
        .set_flash("Technical connection completion date saved")
        .await
        .context("session")?;
    leptos_axum::redirect(&page);
    Ok(())
}
