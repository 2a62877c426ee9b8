//! Staff reads: the audit trail and (in dev and demo mode) the emails the portal has written.

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::error::Context;
use serde::{Deserialize, Serialize};

/// One audit event, ready to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub occurred_at: String,
    pub action: String,
    pub actor: String,
    pub target: String,
    pub organisation: String,
    pub client_ip: String,
    pub request_id: String,
    pub detail: String,
}

/// A page of the audit trail, newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` to see older entries.
    pub older: Option<i64>,
    /// Problems with the filter, shown above the list.
    pub errors: Vec<(String, String)>,
}

pub const AUDIT_PAGE_SIZE: i64 = 50;

/// Lists audit events (programme staff and admins only). Filters: action code, an email address
/// (actor or target), a date range (inclusive, YYYY-MM-DD), and `before` for paging.
#[server(prefix = "/api", endpoint = "staff/audit")]
pub async fn list_audit(
    action: Option<String>,
    email: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
) -> Result<AuditPage, AppError> {
    use crate::{
        auth::{require_staff, services},
        store::audit::{self, AuditAction, AuditFilter},
    };
    use chrono::{NaiveDate, TimeZone, Utc};
    require_staff()?;
    let services = services()?;
    let mut errors = Vec::new();
    let blank = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let action = match blank(&action) {
        None => None,
        Some(code) => match AuditAction::from_code(&code) {
            Some(a) => Some(a),
            None => {
                errors.push(("action".into(), "Select an event type from the list".into()));
                None
            }
        },
    };
    let mut date = |field: &str, raw: Option<String>, label: &str| -> Option<NaiveDate> {
        let raw = raw?;
        match NaiveDate::parse_from_str(&raw, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push((
                    field.into(),
                    format!("{label} must be a real date, like 2026-11-23"),
                ));
                None
            }
        }
    };
    let from = date("from", blank(&from), "Start date");
    let to = date("to", blank(&to), "End date");
    let before = blank(&before).and_then(|b| b.parse::<i64>().ok());
    let email = blank(&email).filter(|e| e.len() <= 254);
    let filter = AuditFilter {
        action,
        email,
        from: from
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| Utc.from_utc_datetime(&d)),
        to: to
            .and_then(|d| d.succ_opt())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| Utc.from_utc_datetime(&d)),
        before_id: before,
    };
    let rows = audit::list(&services.db, &filter, AUDIT_PAGE_SIZE + 1)
        .await
        .context("listing audit events")?;
    let older =
        (rows.len() as i64 > AUDIT_PAGE_SIZE).then(|| rows[AUDIT_PAGE_SIZE as usize - 1].id);
    let entries = rows
        .into_iter()
        .take(AUDIT_PAGE_SIZE as usize)
        .map(|r| AuditEntry {
            id: r.id,
            occurred_at: r.occurred_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            action: AuditAction::from_code(&r.action)
                .map(|a| a.label().to_string())
                .unwrap_or(r.action),
            actor: r.actor_email.unwrap_or_default(),
            target: r.target_email.unwrap_or_default(),
            organisation: r.organisation_name.unwrap_or_default(),
            client_ip: r.client_ip.unwrap_or_default(),
            request_id: r.request_id.unwrap_or_default(),
            detail: r.detail,
        })
        .collect();
    Ok(AuditPage {
        entries,
        older,
        errors,
    })
}

/// An email in the outbox, as staff see it in dev and demo mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailEntry {
    pub id: i64,
    pub created_at: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub status: String,
}

/// The newest emails (programme staff only, and only where emails are not really sent).
#[server(prefix = "/api", endpoint = "staff/emails")]
pub async fn list_emails() -> Result<Vec<EmailEntry>, AppError> {
    use crate::{
        auth::{require_staff, services},
        store::outbox,
    };
    require_staff()?;
    let services = services()?;
    if !services.show_emails {
        return Err(AppError::not_found());
    }
    let rows = outbox::recent(&services.db, 100)
        .await
        .context("listing emails")?;
    Ok(rows
        .into_iter()
        .map(|r| EmailEntry {
            id: r.id,
            created_at: r.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            recipient: r.recipient,
            subject: r.subject,
            body_text: r.body_text,
            status: r.status,
        })
        .collect())
}

/// An organisation as programme staff see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganisationSummary {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub technical_connection_on: Option<chrono::NaiveDate>,
    /// Its providers and schemes (only on the organisation's own page), with staff's links.
    pub schemes: Vec<super::oat::SchemeRow>,
}

/// Every organisation (programme staff and admins).
#[server(prefix = "/api", endpoint = "staff/organisations")]
pub async fn staff_organisations() -> Result<Vec<OrganisationSummary>, AppError> {
    use crate::{
        auth::{require_staff, services},
        store::{organisations, schemes},
    };
    require_staff()?;
    let services = services()?;
    let orgs = organisations::list(&services.db)
        .await
        .context("listing organisations")?;
    let mut out = Vec::with_capacity(orgs.len());
    for o in orgs {
        out.push(OrganisationSummary {
            technical_connection_on: schemes::technical_connection_on(&services.db, o.id)
                .await
                .context("loading a date")?,
            id: o.id,
            name: o.name.to_string(),
            kind: o.kind.label().to_string(),
            schemes: Vec::new(),
        });
    }
    Ok(out)
}

/// One organisation (programme staff and admins).
#[server(prefix = "/api", endpoint = "staff/organisation")]
pub async fn staff_organisation(id: String) -> Result<OrganisationSummary, AppError> {
    use crate::{
        auth::{require_staff, services},
        store::{organisations, schemes},
    };
    require_staff()?;
    let services = services()?;
    let id: i64 = id.trim().parse().map_err(|_| AppError::not_found())?;
    let o = organisations::get(&services.db, id)
        .await
        .context("loading an organisation")?
        .ok_or_else(AppError::not_found)?;
    let rows = crate::api::oat::ssr::scheme_rows(&services, o.id, false)
        .await
        .context("listing schemes")?
        .into_iter()
        .map(|mut row| {
            // Staff's pages, not the organisation's: a further scheme still waiting (or
            // rejected) is decided at its own page.
            let further = matches!(
                row.status,
                crate::domain::status::SchemeStatus::AwaitingApproval
                    | crate::domain::status::SchemeStatus::Rejected
            );
            row.next = if further {
                Some(("Decide".to_string(), format!("/staff/schemes/{}", row.id)))
            } else {
                row.next.map(|(_, href)| {
                    (
                        "View request".to_string(),
                        href.replacen("/requests/", "/staff/requests/", 1),
                    )
                })
            };
            row
        })
        .collect();
    Ok(OrganisationSummary {
        technical_connection_on: schemes::technical_connection_on(&services.db, o.id)
            .await
            .context("loading a date")?,
        id: o.id,
        name: o.name.to_string(),
        kind: o.kind.label().to_string(),
        schemes: rows,
    })
}
