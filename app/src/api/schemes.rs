//! Further pension providers and schemes: once the organisation's vouching scheme has passed
//! OAT, its service manager or primary business contact adds them, one at a time or in a CSV
//! file, and programme staff approve or reject each one.

use chrono::NaiveDate;
use leptos::prelude::*;

use crate::error::AppError;
use serde::{Deserialize, Serialize};

use crate::domain::{
    oat::DateRule,
    schemes::{Availability, RowReport},
    status::SchemeStatus,
};

/// What the "add providers and schemes" pages need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddSchemesInfo {
    pub organisation: String,
    pub availability: Availability,
    pub vouching_name: Option<String>,
    pub vouching_status: Option<SchemeStatus>,
    /// The user holds a role that may add them (service manager or primary business contact).
    pub may_add: bool,
    pub rule: DateRule,
}

/// What came of the last CSV upload that was not accepted: a problem with the file as a whole,
/// or the rows with problems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadReport {
    pub file_name: String,
    pub file_error: Option<String>,
    pub rows_checked: usize,
    /// How many rows have problems; [`UploadReport::rows`] lists the first [`MAX_REPORTED_ROWS`].
    pub rows_in_error: usize,
    pub rows: Vec<RowReport>,
}

impl UploadReport {
    /// A file refused as a whole, before or instead of checking its rows.
    pub fn file_problem(file_name: String, problem: String, rows_checked: usize) -> Self {
        Self {
            file_name,
            file_error: Some(problem),
            rows_checked,
            rows_in_error: 0,
            rows: Vec::new(),
        }
    }
}

/// The most rows with problems a report lists (the count says how many there are in all).
pub const MAX_REPORTED_ROWS: usize = 100;

/// A further scheme as programme staff see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemeForStaff {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation: String,
    pub name: String,
    pub regulator: String,
    pub regulator_number: String,
    pub connection_date: Option<NaiveDate>,
    pub submitted_by: String,
    pub submitted_on: String,
    pub approval: String,
    pub rejection_reason: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PendingList {
    pub schemes: Vec<SchemeForStaff>,
    /// All that are waiting (the list shows at most [`ssr::PENDING_PAGE`]).
    pub total: i64,
}

#[cfg(feature = "ssr")]
pub mod ssr {
    pub use crate::error::{AppError, Context};
    pub use crate::{
        api::oat::ssr::{date_rule, session},
        auth::{require_organisation_user, require_staff, services, CurrentUser, RequestMeta},
        domain::{
            oat::{long_date, parse_iso_date, DateRule},
            schemes::{check_scheme, Availability, CsvCheck, NewScheme},
            Role,
        },
        emails::Letter,
        forms::FormState,
        services::Services,
        store::{
            audit::{self, AuditAction, NewAuditEvent},
            organisations, outbox,
            review::service_manager_emails,
            schemes, StoreError,
        },
    };

    /// Session key for the report of a CSV file that was not accepted.
    pub const REPORT_KEY: &str = "schemes:upload-report";
    /// The most waiting schemes staff's list shows at once.
    pub const PENDING_PAGE: i64 = 200;
    /// Where the one-at-a-time form is.
    pub const ADD_PAGE: &str = "/organisation/schemes/add";
    pub const UPLOAD_PAGE: &str = "/organisation/schemes/upload";

    /// Service managers and primary business contacts may add providers and schemes.
    pub fn may_add_schemes(user: &CurrentUser) -> bool {
        user.has_role(Role::ServiceManager) || user.has_role(Role::PrimaryBusinessContact)
    }

    /// Whether the organisation may add schemes now, and the connection date rule.
    pub async fn availability(
        services: &Services,
        org: i64,
    ) -> Result<(Availability, DateRule), StoreError> {
        let status = schemes::vouching_status(&services.db, org).await?;
        Ok((
            Availability::from_vouching_status(status),
            date_rule(services, org).await?,
        ))
    }

    /// Why a submission was not stored.
    #[derive(Debug, thiserror::Error)]
    pub enum SubmitError {
        /// A regulator number is already registered (found at insert time: another tab or user
        /// got there first).
        #[error("{0} {1} is already registered for your organisation")]
        Duplicate(String, String),
        #[error(transparent)]
        Store(#[from] StoreError),
    }

    /// Stores further schemes waiting for approval, each with its audit row, and one email to
    /// the person who sent them, all in one transaction: all are stored or none.
    pub async fn submit(
        services: &Services,
        user: &CurrentUser,
        org: i64,
        list: &[NewScheme],
        meta: &RequestMeta,
    ) -> Result<Vec<i64>, SubmitError> {
        let now = services.clock.now();
        let mut tx = services.db.begin_write().await?;
        let mut ids = Vec::with_capacity(list.len());
        for s in list {
            let id = match schemes::insert_pending(&mut tx, org, s, user.id, now).await {
                Ok(id) => id,
                Err(StoreError::Duplicate(_)) => {
                    return Err(SubmitError::Duplicate(
                        s.regulator.code().to_string(),
                        s.regulator_number.clone(),
                    ))
                }
                Err(e) => return Err(e.into()),
            };
            audit::record(
                &mut tx,
                now,
                &NewAuditEvent {
                    action: AuditAction::SchemeSubmitted,
                    actor_user_id: Some(user.id),
                    target_user_id: None,
                    organisation_id: Some(org),
                    client_ip: meta.client_ip.clone(),
                    request_id: meta.request_id.clone(),
                    detail: format!(
                        "{} ({} {}), connection date {}",
                        s.name,
                        s.regulator.code(),
                        s.regulator_number,
                        s.connection_date
                    ),
                },
            )
            .await?;
            ids.push(id);
        }
        let facts: Vec<(&str, String)> = list
            .iter()
            .map(|s| {
                (
                    s.name.as_str(),
                    format!(
                        "{} {}, connection date {}",
                        s.regulator.code(),
                        s.regulator_number,
                        long_date(s.connection_date)
                    ),
                )
            })
            .collect();
        let subject = if list.len() == 1 {
            format!(
                "We have your new pension provider or scheme: {}",
                list[0].name
            )
        } else {
            format!(
                "We have your {} new pension providers and schemes",
                list.len()
            )
        };
        let letter = Letter::new(subject, &user.name)
            .para("You asked to connect these pension providers and schemes to the pensions dashboards ecosystem:")
            .facts(&facts)
            .para("The Pensions Dashboards Programme will check them and email you when each is approved, with its go-live date.")
            .link(
                "See your providers and schemes",
                format!("{}/organisation", services.public_origin),
            );
        let first = ids.first().copied().unwrap_or_default();
        outbox::enqueue(
            &mut tx,
            &letter.to(
                format!("schemes:{first}:submitted:{}", user.email),
                &user.email,
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(
            organisation_id = org,
            count = ids.len(),
            "further schemes submitted"
        );
        Ok(ids)
    }

    /// Adds checks that need the database to a file's report: regulator numbers already
    /// registered for the organisation.
    pub async fn check_registered(
        services: &Services,
        org: i64,
        check: &mut CsvCheck,
    ) -> Result<(), StoreError> {
        let known = schemes::registered_numbers(&services.db, org).await?;
        // Only called on an accepted file, whose rows and schemes pair up one to one.
        let clashes: Vec<(usize, String)> = check
            .schemes
            .iter()
            .zip(&check.rows)
            .filter(|(s, _)| {
                known
                    .iter()
                    .any(|(r, n)| r == s.regulator.code() && *n == s.regulator_number)
            })
            .map(|(s, row)| {
                let e = SubmitError::Duplicate(
                    s.regulator.code().to_string(),
                    s.regulator_number.clone(),
                );
                (row.line, e.to_string())
            })
            .collect();
        for (line, message) in clashes {
            check.add_error(line, message);
        }
        Ok(())
    }

    pub fn to_view(s: schemes::PendingScheme) -> super::SchemeForStaff {
        super::SchemeForStaff {
            id: s.id,
            organisation_id: s.organisation_id,
            organisation: s.organisation_name,
            name: s.name,
            regulator: s.regulator,
            regulator_number: s.regulator_number,
            connection_date: s.requested_connection_on,
            submitted_by: s.submitted_by_name.unwrap_or_default(),
            submitted_on: crate::clock::london_long(s.created_at),
            approval: s.approval,
            rejection_reason: s.rejection_reason,
        }
    }

    /// Everyone the decision goes to: whoever sent the scheme and the organisation's service
    /// managers, each once.
    pub async fn decision_recipients(
        services: &Services,
        s: &schemes::PendingScheme,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut to = service_manager_emails(&services.db, s.organisation_id).await?;
        if let (Some(name), Some(email)) = (&s.submitted_by_name, &s.submitted_by_email) {
            if !to.iter().any(|(_, e)| e == email) {
                to.insert(0, (name.clone(), email.clone()));
            }
        }
        Ok(to)
    }
}

/// The "add providers and schemes" pages' data.
#[server(prefix = "/api", endpoint = "schemes/add-view")]
pub async fn add_schemes_view() -> Result<AddSchemesInfo, AppError> {
    use self::ssr::*;
    let (user, org) = require_organisation_user()?;
    let services = services()?;
    // Read with the signed-in user (one query fewer per page).
    let organisation = user.organisation_name.clone().unwrap_or_default();
    let vouching = schemes::list_for_organisation(&services.db, org)
        .await
        .context("listing schemes")?
        .into_iter()
        .find(|s| s.is_vouching);
    let availability = Availability::from_vouching_status(vouching.as_ref().map(|s| s.status));
    let rule = date_rule(&services, org)
        .await
        .context("loading the technical connection date")?;
    Ok(AddSchemesInfo {
        organisation,
        availability,
        vouching_name: vouching.as_ref().map(|s| s.name.clone()),
        vouching_status: vouching.map(|s| s.status),
        may_add: may_add_schemes(&user),
        rule,
    })
}

/// Adds one further provider or scheme, waiting for approval.
#[server(prefix = "/api", endpoint = "schemes/add")]
pub async fn add_scheme(
    scheme_name: String,
    regulator: Option<String>,
    regulator_number: String,
    connection_date: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    let (user, org) = require_organisation_user()?;
    if !may_add_schemes(&user) {
        return Err(AppError::forbidden());
    }
    let regulator = regulator.unwrap_or_default();
    let date = connection_date.unwrap_or_default();
    if [&scheme_name, &regulator, &regulator_number, &date]
        .iter()
        .any(|v| v.len() > 1000)
    {
        return Err(AppError::invalid("That request was too long"));
    }
    let services = services()?;
    let session = session().await?;
    let (availability, rule) = availability(&services, org)
        .await
        .context("checking availability")?;
    if availability != Availability::Available {
        leptos_axum::redirect(ADD_PAGE);
        return Ok(());
    }
    let mut form = FormState::default()
        .with_value("scheme_name", &scheme_name)
        .with_value("regulator", &regulator)
        .with_value("regulator_number", &regulator_number)
        .with_value("connection_date", date.trim());
    let scheme = match check_scheme(
        &scheme_name,
        &regulator,
        &regulator_number,
        parse_iso_date(&date),
        &rule,
    ) {
        Ok(s) => s,
        Err(errors) => {
            for (field, message) in errors {
                form = form.with_error(field, message);
            }
            return session
                .back_to_form("add-scheme", &form, ADD_PAGE)
                .await
                .context("session");
        }
    };
    match submit(
        &services,
        &user,
        org,
        std::slice::from_ref(&scheme),
        &crate::auth::request_meta(),
    )
    .await
    {
        Ok(_) => {}
        Err(e @ SubmitError::Duplicate(..)) => {
            let form = form.with_error("regulator_number", e.to_string());
            return session
                .back_to_form("add-scheme", &form, ADD_PAGE)
                .await
                .context("session");
        }
        Err(SubmitError::Store(e)) => return Err(AppError::internal("adding a scheme", e)),
    }
    session
        .set_flash(&format!(
            "{} sent to the Pensions Dashboards Programme for approval",
            scheme.name
        ))
        .await
        .context("session")?;
    leptos_axum::redirect("/organisation");
    Ok(())
}

/// The report of the last CSV file that was not accepted, once.
#[server(prefix = "/api", endpoint = "schemes/upload-report")]
pub async fn take_upload_report() -> Result<Option<UploadReport>, AppError> {
    use self::ssr::*;
    require_organisation_user()?;
    session()
        .await?
        .take::<UploadReport>(REPORT_KEY)
        .await
        .context("session")
}

/// Further schemes waiting for approval (programme staff), oldest first.
#[server(prefix = "/api", endpoint = "staff/schemes")]
pub async fn pending_schemes() -> Result<PendingList, AppError> {
    use self::ssr::*;
    require_staff()?;
    let services = services()?;
    let list = schemes::pending(&services.db, PENDING_PAGE)
        .await
        .context("listing schemes")?;
    let total = schemes::count_pending(&services.db)
        .await
        .context("counting schemes")?;
    Ok(PendingList {
        schemes: list.into_iter().map(to_view).collect(),
        total,
    })
}

/// One further scheme, for staff to decide.
#[server(prefix = "/api", endpoint = "staff/scheme")]
pub async fn submitted_scheme(id: String) -> Result<SchemeForStaff, AppError> {
    use self::ssr::*;
    require_staff()?;
    let services = services()?;
    let id: i64 = id.trim().parse().map_err(|_| AppError::not_found())?;
    schemes::get_submitted(&services.db, id)
        .await
        .context("loading a scheme")?
        .map(to_view)
        .ok_or_else(AppError::not_found)
}

/// Approves or rejects a further scheme (programme staff). A rejection needs a reason, which the
/// organisation sees. Deciding a scheme someone else has just decided changes nothing.
#[server(prefix = "/api", endpoint = "staff/schemes/decide")]
pub async fn decide_scheme(
    id: String,
    decision: Option<String>,
    reason: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    let staff = require_staff()?;
    let services = services()?;
    let session = session().await?;
    let id: i64 = id.trim().parse().map_err(|_| AppError::not_found())?;
    let s = schemes::get_submitted(&services.db, id)
        .await
        .context("loading a scheme")?
        .ok_or_else(AppError::not_found)?;
    let page = format!("/staff/schemes/{id}");
    let reason = reason.unwrap_or_default().trim().to_string();
    let approve = match decision.as_deref() {
        Some("approve") => true,
        Some("reject") => false,
        _ => {
            let form = FormState::default()
                .with_value("reason", &reason)
                .with_error("decision", "Select whether to approve or reject the scheme");
            return session
                .back_to_form("decide-scheme", &form, &page)
                .await
                .context("session");
        }
    };
    if !approve && (reason.is_empty() || reason.chars().count() > 1000) {
        let form = FormState::default()
            .with_value("decision", "reject")
            .with_value("reason", &reason)
            .with_error(
                "reason",
                if reason.is_empty() {
                    "Enter why the scheme is not approved"
                } else {
                    "Reason must be 1000 characters or fewer"
                },
            );
        return session
            .back_to_form("decide-scheme", &form, &page)
            .await
            .context("session");
    }
    let now = services.clock.now();
    let mut tx = services.db.begin_write().await.context("begin")?;
    let changed = if approve {
        schemes::approve(&mut tx, id, staff.id, now).await
    } else {
        schemes::reject(&mut tx, id, staff.id, &reason, now).await
    }
    .context("deciding a scheme")?;
    if !changed {
        tx.rollback().await;
        session
            .set_flash("This scheme has already been decided: nothing was changed")
            .await
            .context("session")?;
        leptos_axum::redirect(&page);
        return Ok(());
    }
    let meta = crate::auth::request_meta();
    let date = s.requested_connection_on.map(long_date).unwrap_or_default();
    audit::record(
        &mut tx,
        now,
        &NewAuditEvent {
            action: if approve {
                AuditAction::SchemeApproved
            } else {
                AuditAction::SchemeRejected
            },
            actor_user_id: Some(staff.id),
            target_user_id: None,
            organisation_id: Some(s.organisation_id),
            client_ip: meta.client_ip,
            request_id: meta.request_id,
            detail: if approve {
                format!(
                    "{} ({} {}), go-live date {date}",
                    s.name, s.regulator, s.regulator_number
                )
            } else {
                format!(
                    "{} ({} {}): {reason}",
                    s.name, s.regulator, s.regulator_number
                )
            },
        },
    )
    .await
    .context("audit")?;
    let recipients = decision_recipients(&services, &s)
        .await
        .context("loading recipients")?;
    for (name, email) in recipients {
        let facts = [
            ("Provider or scheme", s.name.clone()),
            (
                "Regulator",
                format!("{} {}", s.regulator, s.regulator_number),
            ),
        ];
        let letter = if approve {
            Letter::new(format!("{} is approved: go-live date {date}", s.name), &name)
                .para("The Pensions Dashboards Programme has approved your pension provider or scheme.")
                .facts(&facts)
                .facts(&[("Go-live date", date.clone())])
                .para("It goes live on its go-live date. You can follow it on your organisation's overview.")
        } else {
            Letter::new(format!("{} is not approved", s.name), &name)
                .para("The Pensions Dashboards Programme has not approved your pension provider or scheme.")
                .facts(&facts)
                .facts(&[("Reason", reason.clone())])
                .para("Once you have dealt with the reason, you can add it again.")
        }
        .link(
            "See your providers and schemes",
            format!("{}/organisation", services.public_origin),
        );
        let what = if approve { "approved" } else { "rejected" };
        outbox::enqueue(
            &mut tx,
            &letter.to(format!("scheme:{id}:{what}:{email}"), &email),
            now,
        )
        .await
        .context("queueing the email")?;
    }
    tx.commit().await.context("commit")?;
    tracing::info!(scheme_id = id, approve, "further scheme decided");
    session
        .set_flash(&if approve {
            format!("{} approved: it goes live on {date}", s.name)
        } else {
            format!("{} rejected", s.name)
        })
        .await
        .context("session")?;
    leptos_axum::redirect(&page);
    Ok(())
}
