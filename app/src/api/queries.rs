//! Queries: "If you are unsure of the expected timelines you can raise a query." A service
//! manager writes a short message, about a request or about the organisation before it has one;
//! programme staff answer it in the portal. Each side is emailed, the request's timeline shows
//! both, and the audit log keeps every message.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A query as either side sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryView {
    pub id: i64,
    pub organisation: String,
    /// The request it is about: id and reference.
    pub request: Option<(i64, String)>,
    pub asked_by: String,
    pub asked_on: String,
    pub question: String,
    /// Who answered, when, and the answer.
    pub answer: Option<(String, String, String)>,
}

/// The organisation's queries, and what a new one may be about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgQueries {
    pub queries: Vec<QueryView>,
    pub is_service_manager: bool,
    /// The request a new query is about (from `?request=`), if it is the organisation's.
    pub about: Option<(i64, String)>,
}

/// Staff's list: open queries oldest first, then the latest answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryLists {
    pub open: Vec<QueryView>,
    pub answered: Vec<QueryView>,
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::QueryView;
    use crate::api::admin::ssr::event;
    use crate::error::{AppError, Context};
    use crate::store::{
        audit::{self, AuditAction},
        oat,
        queries::Query,
    };

    pub fn view(q: Query) -> QueryView {
        QueryView {
            id: q.id,
            organisation: q.organisation_name,
            request: q
                .request_id
                .map(|id| (id, q.request_reference.unwrap_or_default())),
            asked_by: q.asked_by_name,
            asked_on: crate::clock::london_long(q.asked_at),
            question: q.question,
            answer: q.answered_at.map(|at| {
                (
                    q.answered_by_name
                        .unwrap_or_else(|| "Pensions Dashboards Programme".into()),
                    crate::clock::london_long(at),
                    q.answer,
                )
            }),
        }
    }

    /// A query raised or answered: who, where, the message, and the audit row's detail.
    pub struct Step<'a> {
        pub action: AuditAction,
        pub actor: i64,
        pub organisation_id: i64,
        pub request_id: Option<i64>,
        pub text: &'a str,
        pub detail: String,
    }

    /// The request's timeline entry (titled as the audit action reads) when the query is about
    /// one, and the audit row, in the step's transaction.
    pub async fn record(
        tx: &mut crate::store::Tx,
        now: chrono::DateTime<chrono::Utc>,
        step: Step<'_>,
    ) -> Result<(), AppError> {
        if let Some(request_id) = step.request_id {
            let title = step.action.label();
            oat::add_event(tx, request_id, now, Some(step.actor), title, step.text)
                .await
                .context("timeline")?;
        }
        let row = event(
            step.action,
            step.actor,
            None,
            Some(step.organisation_id),
            step.detail,
        );
        audit::record(tx, now, &row).await.context("audit")
    }

    /// What an email key about a query starts with: the request's prefix when it is about one
    /// (so staff see it among the request's emails), else the organisation's.
    pub fn email_prefix(organisation_id: i64, request_id: Option<i64>) -> String {
        match request_id {
            Some(id) => crate::store::review::email_prefix(id),
            None => format!("org:{organisation_id}"),
        }
    }
}

/// The organisation's queries (anyone in it); `request` names what a new query would be about.
#[server(prefix = "/api", endpoint = "queries")]
pub async fn organisation_queries(request: Option<String>) -> Result<OrgQueries, AppError> {
    use crate::auth::{require_organisation_user, services};
    use crate::domain::Role;
    use crate::error::Context;
    use crate::store::{queries, review};
    let (user, org) = require_organisation_user()?;
    let services = services()?;
    let about = match request.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => {
            let id = crate::api::review::ssr::parse_id(raw)?;
            let r = review::get_in_organisation(&services.db, org, id)
                .await
                .context("loading a request")?
                .ok_or_else(AppError::not_found)?;
            Some((r.id, r.reference.unwrap_or_default()))
        }
        None => None,
    };
    let list = queries::for_organisation(&services.db, org)
        .await
        .context("loading queries")?;
    Ok(OrgQueries {
        queries: list.into_iter().map(ssr::view).collect(),
        is_service_manager: user.has_role(Role::ServiceManager),
        about,
    })
}

/// A service manager raises a query, about a request of theirs or about the organisation.
#[server(prefix = "/api", endpoint = "queries/raise")]
pub async fn raise_query(
    request: Option<String>,
    question: Option<String>,
) -> Result<(), AppError> {
    use crate::api::review::ssr::*;
    use crate::store::queries;
    let (user, org) = require_organisation_role(Role::ServiceManager)?;
    let services = services()?;
    let request = match request.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => Some(
            review::get_in_organisation(&services.db, org, parse_id(raw)?)
                .await
                .context("loading a request")?
                .ok_or_else(AppError::not_found)?,
        ),
        None => None,
    };
    let form_page = match &request {
        Some(r) => format!("/queries/new?request={}", r.id),
        None => "/queries/new".to_string(),
    };
    let field = TextField::required("question", "Your query", "Enter your query");
    let Some(question) = read_text_form(question, field, "query", &form_page).await? else {
        return Ok(());
    };
    let now = services.clock.now();
    // A request carries its organisation's name; only a query without one looks it up.
    let organisation = match &request {
        Some(r) => r.organisation_name.clone(),
        None => crate::store::organisations::get(&services.db, org)
            .await
            .context("loading the organisation")?
            .map(|o| o.name.to_string())
            .unwrap_or_default(),
    };
    let reference = request
        .as_ref()
        .and_then(|r| r.reference.clone())
        .unwrap_or_default();
    let about = match &request {
        Some(r) => format!("{reference}, {}, {organisation}", r.scheme_name),
        None => organisation.clone(),
    };
    let mut tx = services.db.begin_write().await.context("begin")?;
    let id = queries::insert(
        &mut tx,
        org,
        request.as_ref().map(|r| r.id),
        user.id,
        &question,
        now,
    )
    .await
    .context("recording the query")?;
    let step = ssr::Step {
        action: AuditAction::QueryRaised,
        actor: user.id,
        organisation_id: org,
        request_id: request.as_ref().map(|r| r.id),
        text: &question,
        detail: format!("Query {id} ({about}): {question}"),
    };
    ssr::record(&mut tx, now, step).await?;
    let staff_page = format!("{}/staff/queries/{id}", services.public_origin);
    let letter = |name: &str| {
        Letter::new(format!("New query: {about}"), name)
            .para(format!(
                "{} of {organisation} has raised a query.",
                user.name
            ))
            .facts(&[("About", about.clone()), ("Query", question.clone())])
            .link("Answer the query", staff_page.clone())
    };
    let what = format!("query-{id}-raised");
    let prefix = super::queries::ssr::email_prefix(org, request.as_ref().map(|r| r.id));
    send_notice(
        &mut tx,
        &services,
        org,
        &prefix,
        &Notice::staff(&what, &letter),
    )
    .await?;
    tx.commit().await.context("commit")?;
    services.forget_queue_counts();
    tracing::info!(query_id = id, "query raised");
    session()
        .await?
        .set_flash("Your query has been sent. We will email you when the Pensions Dashboards Programme answers it.")
        .await
        .context("session")?;
    leptos_axum::redirect(&match &request {
        Some(r) => format!("/requests/{}", r.id),
        None => "/queries".to_string(),
    });
    Ok(())
}

/// Staff's list of queries.
#[server(prefix = "/api", endpoint = "staff/queries")]
pub async fn staff_queries() -> Result<QueryLists, AppError> {
    use crate::auth::{require_staff, services};
    use crate::error::Context;
    require_staff()?;
    let services = services()?;
    let (open, answered) = crate::store::queries::for_staff(&services.db, 200)
        .await
        .context("loading queries")?;
    Ok(QueryLists {
        open: open.into_iter().map(ssr::view).collect(),
        answered: answered.into_iter().map(ssr::view).collect(),
    })
}

/// One query, for staff to answer.
#[server(prefix = "/api", endpoint = "staff/query")]
pub async fn staff_query(id: String) -> Result<QueryView, AppError> {
    use crate::auth::{require_staff, services};
    use crate::error::Context;
    require_staff()?;
    let services = services()?;
    let id = crate::api::review::ssr::parse_id(&id)?;
    crate::store::queries::get(&services.db, id)
        .await
        .context("loading a query")?
        .map(ssr::view)
        .ok_or_else(AppError::not_found)
}

/// Staff answer a query; the organisation's service managers are emailed the answer.
#[server(prefix = "/api", endpoint = "staff/queries/answer")]
pub async fn answer_query(id: String, answer: Option<String>) -> Result<(), AppError> {
    use crate::api::review::ssr::*;
    use crate::store::queries;
    let staff = require_staff()?;
    let services = services()?;
    let q = queries::get(&services.db, parse_id(&id)?)
        .await
        .context("loading a query")?
        .ok_or_else(AppError::not_found)?;
    let form_page = format!("/staff/queries/{}", q.id);
    let field = TextField::required("answer", "Answer", "Enter your answer to the query");
    let Some(answer) = read_text_form(answer, field, "answer", &form_page).await? else {
        return Ok(());
    };
    let now = services.clock.now();
    let mut tx = services.db.begin_write().await.context("begin")?;
    if !queries::answer(&mut tx, q.id, staff.id, &answer, now)
        .await
        .context("recording the answer")?
    {
        tx.rollback().await;
        let form = FormState::default().with_error(
            "answer",
            "Someone else answered this query while you were writing. Nothing was sent: read their answer below.",
        );
        return back_to_form("answer", &form, &form_page).await;
    }
    let step = ssr::Step {
        action: AuditAction::QueryAnswered,
        actor: staff.id,
        organisation_id: q.organisation_id,
        request_id: q.request_id,
        text: &answer,
        detail: format!("Query {}: {answer}", q.id),
    };
    ssr::record(&mut tx, now, step).await?;
    let link = match q.request_id {
        Some(id) => request_link(&services, id),
        None => format!("{}/queries", services.public_origin),
    };
    let about = q
        .request_reference
        .clone()
        .unwrap_or_else(|| q.organisation_name.clone());
    let letter = |name: &str| {
        Letter::new(format!("Your query has been answered ({about})"), name)
            .para(match &q.scheme_name {
                Some(scheme) => format!(
                    "The Pensions Dashboards Programme has answered your query about {scheme}."
                ),
                None => "The Pensions Dashboards Programme has answered your query.".to_string(),
            })
            .facts(&[
                ("Your query", q.question.clone()),
                ("Answer", answer.clone()),
            ])
            .link("See the query", link.clone())
    };
    let what = format!("query-{}-answered", q.id);
    let prefix = super::queries::ssr::email_prefix(q.organisation_id, q.request_id);
    send_notice(
        &mut tx,
        &services,
        q.organisation_id,
        &prefix,
        &Notice::managers(&what, &letter),
    )
    .await?;
    tx.commit().await.context("commit")?;
    services.forget_queue_counts();
    tracing::info!(query_id = q.id, "query answered");
    session()
        .await?
        .set_flash("Answer sent")
        .await
        .context("session")?;
    leptos_axum::redirect("/staff/queries");
    Ok(())
}
