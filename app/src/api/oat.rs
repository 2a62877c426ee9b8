//! The OAT request journey for service managers, and each scheme's status for everyone in the
//! organisation. Every function works only on the caller's own organisation's schemes: another
//! organisation's ids are "not found".

use chrono::NaiveDate;
use leptos::prelude::*;

use crate::error::AppError;
use serde::{Deserialize, Serialize};

use crate::domain::{
    oat::DateRule,
    status::{RequestStatus, SchemeStatus},
};

/// A row of the organisation overview.
///
/// It travels as a JSON array in field order, not an object: every overview page carries its
/// rows again as hydration data, and with fifty rows the field names were half of those bytes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "SchemeRowFields")]
pub struct SchemeRow {
    pub id: i64,
    pub name: String,
    pub regulator: String,
    pub regulator_number: String,
    pub is_vouching: bool,
    pub status: SchemeStatus,
    pub go_live: Option<NaiveDate>,
    /// The next thing to do and where, e.g. ("Request testing", "/oat/3").
    pub next: Option<(String, String)>,
    /// Words for the next step where there is nothing to follow (waiting for approval).
    pub note: Option<String>,
    /// Until a go-live date is set: the connection date asked for and the test booked.
    pub pending: Option<String>,
}

/// [`SchemeRow`]'s fields in order, as it is sent.
type SchemeRowFields = (
    i64,
    String,
    String,
    String,
    bool,
    SchemeStatus,
    Option<NaiveDate>,
    Option<(String, String)>,
    Option<String>,
    Option<String>,
);

impl From<SchemeRowFields> for SchemeRow {
    fn from(
        (id, name, regulator, regulator_number, is_vouching, status, go_live, next, note, pending): SchemeRowFields,
    ) -> Self {
        SchemeRow {
            id,
            name,
            regulator,
            regulator_number,
            is_vouching,
            status,
            go_live,
            next,
            note,
            pending,
        }
    }
}

impl Serialize for SchemeRow {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Borrowed, so that sending a row copies none of its strings.
        (
            self.id,
            &self.name,
            &self.regulator,
            &self.regulator_number,
            self.is_vouching,
            &self.status,
            self.go_live,
            &self.next,
            &self.note,
            &self.pending,
        )
            .serialize(serializer)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub organisation: String,
    pub schemes: Vec<SchemeRow>,
    pub is_service_manager: bool,
    /// The user may add further providers and schemes (once the vouching scheme has passed).
    pub can_add_schemes: bool,
}

/// Everything the journey pages need about one scheme's request in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Journey {
    pub scheme_id: i64,
    pub scheme_name: String,
    pub is_vouching: bool,
    pub is_service_manager: bool,
    pub answers: Vec<(String, Option<String>)>,
    pub connection_date: Option<NaiveDate>,
    pub rule: DateRule,
    pub open_request: Option<i64>,
    pub submission_key: String,
    /// False for a scheme that is not the vouching scheme, or has already been through OAT.
    pub can_request: bool,
    pub status: SchemeStatus,
}

impl Journey {
    pub fn answer(&self, field: &str) -> Option<String> {
        self.answers
            .iter()
            .find(|(f, _)| f == field)
            .and_then(|(_, a)| a.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub when: String,
    pub what: String,
    pub who: String,
    pub detail: String,
    /// A page the entry points to: its address and the link's words.
    pub link: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: i64,
    pub reference: String,
    pub scheme_name: String,
    pub status: RequestStatus,
    pub connection_date: NaiveDate,
    pub go_live_date: Option<NaiveDate>,
    pub submitted_by: String,
    pub submitted_on: String,
    pub timeline: Vec<TimelineEntry>,
    pub scheme_id: i64,
    pub test_at: Option<String>,
    /// Calendar files for what is booked: a link's words and the file's name.
    pub calendar_files: Vec<(String, String)>,
    pub test_note: String,
    pub failure_reason: String,
    pub support_at: Option<String>,
    pub support_join: String,
    pub go_live_reason: String,
    /// The failed request this one re-tests: id and reference (re-tests were once sent as new
    /// requests; such requests stay readable).
    pub retest_of: Option<(i64, String)>,
    pub date_changes: Vec<super::review::DateChangeView>,
    /// The version of the request this page shows, which each action form carries.
    pub version: i32,
    /// The round of testing: 1, then 2 after the first re-test is booked, and so on.
    pub test_round: i32,
    /// When the service manager said they are ready for a re-test, and their note.
    pub retest_asked: Option<(String, String)>,
    /// When the service manager asked for a support session, and what they need.
    pub support_asked: Option<(String, String)>,
    pub withdrawn_reason: String,
    /// Days from today to the connection date (negative once it has gone).
    pub days_to_connection: i64,
    /// A service manager may ask to change the connection date now.
    pub can_change_date: bool,
    /// A service manager may tell PDP they are ready for a re-test, or ask for a support
    /// session (the test failed).
    pub can_ask_retest: bool,
    pub can_ask_support: bool,
    /// A service manager may withdraw the request (it has not passed).
    pub can_withdraw: bool,
    pub is_service_manager: bool,
    pub queries: Vec<super::queries::QueryView>,
    /// The official connectivity test runs on this request, newest first.
    pub runs: Vec<super::connectivity::RunSummary>,
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    pub use crate::error::{AppError, Context};
    pub use crate::{
        auth::{
            request_meta, require_organisation_role, require_organisation_user, services,
            CurrentUser,
        },
        clock::london_today,
        domain::{
            oat::{long_date, parse_iso_date, Answer, DateRule, Question},
            status::SchemeStatus,
            Role,
        },
        forms::FormState,
        services::Services,
        store::{
            audit::{self},
            oat::{self, Draft},
            outbox, schemes, StoreError,
        },
    };

    pub use crate::auth::session::request_session as session;

    /// Whether a request may be made for the scheme now: it is the organisation's vouching
    /// scheme (OAT is for the first connection) and has not been requested or has failed.
    pub fn can_request(s: &schemes::Scheme) -> bool {
        s.is_vouching && s.status.may_request()
    }

    /// The scheme, if it is the caller's organisation's (else 404).
    pub async fn own_scheme(
        services: &Services,
        org: i64,
        raw: &str,
    ) -> Result<schemes::Scheme, AppError> {
        let id: i64 = raw.trim().parse().map_err(|_| AppError::not_found())?;
        schemes::get_in_organisation(&services.db, org, id)
            .await
            .context("loading a scheme")?
            .ok_or_else(AppError::not_found)
    }

    /// The connection date rule for the organisation today (OAT requests and further schemes).
    pub async fn date_rule(services: &Services, org: i64) -> Result<DateRule, StoreError> {
        let tc = schemes::technical_connection_on(&services.db, org).await?;
        Ok(DateRule::new(london_today(services.clock.now()), tc))
    }

    pub async fn rule_for(services: &Services, org: i64) -> Result<DateRule, AppError> {
        date_rule(services, org)
            .await
            .context("loading the technical connection date")
    }

    /// The organisation's providers and schemes as overview rows, with every scheme's newest
    /// request read in one query (not one per scheme).
    pub async fn scheme_rows(
        services: &Services,
        org: i64,
        manager: bool,
    ) -> Result<Vec<super::SchemeRow>, StoreError> {
        Ok(schemes::list_with_latest_request(&services.db, org)
            .await?
            .into_iter()
            .map(|row| {
                let latest = row.latest_request_id.map(|id| Latest {
                    id,
                    go_live: row.latest_go_live_date,
                    connection_date: row.latest_connection_date,
                    test_at: row.latest_test_at,
                });
                overview_row(row.scheme, latest, manager)
            })
            .collect())
    }

    pub async fn load_draft(services: &Services, scheme_id: i64) -> Result<Draft, AppError> {
        Ok(oat::draft(&services.db, scheme_id)
            .await
            .context("loading answers")?
            .unwrap_or_else(|| Draft {
                scheme_id,
                submission_key: uuid::Uuid::new_v4().to_string(),
                ..Draft::default()
            }))
    }

    pub async fn store_draft(
        services: &Services,
        draft: &Draft,
        user: &CurrentUser,
    ) -> Result<(), AppError> {
        let mut tx = services.db.begin_write().await.context("begin")?;
        oat::save_draft(&mut tx, draft, user.id, services.clock.now())
            .await
            .context("saving answers")?;
        tx.commit().await.context("commit")
    }

    pub fn answer_of(draft: &Draft, q: Question) -> Option<String> {
        match q {
            Question::CryptoDeployed => draft.crypto_deployed.clone(),
            Question::ConnectionReady => draft.connection_ready.clone(),
            Question::ReadyForLive => draft.ready_for_live.clone(),
        }
    }

    pub fn set_answer(draft: &mut Draft, q: Question, a: Answer) {
        let v = Some(a.code().to_string());
        match q {
            Question::CryptoDeployed => draft.crypto_deployed = v,
            Question::ConnectionReady => draft.connection_ready = v,
            Question::ReadyForLive => draft.ready_for_live = v,
        }
    }

    /// A request's timeline as pages show it: UK times, and who did it.
    /// A request's timeline, newest first: its events, and the official connectivity runs that
    /// finished, each linking its evidence.
    pub fn timeline(
        events: Vec<oat::Event>,
        runs: &[crate::store::connectivity::RunRow],
    ) -> Vec<super::TimelineEntry> {
        use crate::domain::connectivity::Evidence;
        let pdp = || "Pensions Dashboards Programme".to_string();
        let mut dated: Vec<(chrono::DateTime<chrono::Utc>, super::TimelineEntry)> = events
            .into_iter()
            .map(|e| {
                (
                    e.occurred_at,
                    super::TimelineEntry {
                        when: crate::clock::london_long(e.occurred_at),
                        what: e.event,
                        who: e.actor_name.unwrap_or_else(pdp),
                        detail: e.detail,
                        link: None,
                    },
                )
            })
            .collect();
        for run in runs
            .iter()
            .filter(|r| r.kind == "official" && Evidence::exists_for(&r.kind, &r.status))
        {
            let at = run.finished_at.unwrap_or(run.created_at);
            dated.push((
                at,
                super::TimelineEntry {
                    when: crate::clock::london_long(at),
                    what: format!("Connectivity run {} {}", run.id, run.status),
                    who: pdp(),
                    detail: run.summary.clone(),
                    link: Some((
                        format!("/connectivity/runs/{}/evidence", run.id),
                        format!("Evidence of connectivity run {}", run.id),
                    )),
                },
            ));
        }
        // Newest first; the sort is stable, so events of the same moment keep their order.
        dated.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
        dated.into_iter().map(|(_, e)| e).collect()
    }

    /// What the overview shows of a scheme's newest request.
    pub struct Latest {
        pub id: i64,
        pub go_live: Option<chrono::NaiveDate>,
        pub connection_date: Option<chrono::NaiveDate>,
        pub test_at: Option<chrono::DateTime<chrono::Utc>>,
    }

    /// One row of the overview, from the scheme and its newest request: the status as the
    /// organisation should read it (a further scheme waiting for approval, or not approved,
    /// says so), the dates so far, and the next thing to do.
    pub fn overview_row(
        s: schemes::Scheme,
        latest: Option<Latest>,
        manager: bool,
    ) -> super::SchemeRow {
        let (status, note) = match s.approval.as_str() {
            "pending" => (
                SchemeStatus::AwaitingApproval,
                Some(match s.requested_connection_on {
                    Some(d) => format!(
                        "Waiting for approval. Connection date asked for: {}",
                        long_date(d)
                    ),
                    None => "Waiting for approval".to_string(),
                }),
            ),
            "rejected" => (
                SchemeStatus::Rejected,
                Some(format!("Not approved: {}", s.rejection_reason)),
            ),
            _ => (s.status, None),
        };
        // A scheme whose request was withdrawn can be requested again.
        let next = match (&latest, s.status) {
            (_, SchemeStatus::NotRequested) if s.is_vouching && manager => {
                Some(("Request testing".to_string(), format!("/oat/{}", s.id)))
            }
            (Some(l), _) => Some(("View request".to_string(), format!("/requests/{}", l.id))),
            _ => None,
        };
        let go_live = s.go_live_on.or(latest.as_ref().and_then(|l| l.go_live));
        // While the request is open, what has been agreed so far stands in for the go-live date.
        let open = matches!(
            s.status,
            SchemeStatus::Requested | SchemeStatus::TestScheduled | SchemeStatus::Failed
        );
        let pending = latest
            .as_ref()
            .filter(|_| open && go_live.is_none())
            .and_then(|l| {
                let asked = l
                    .connection_date
                    .map(|d| format!("Connection date asked for: {}.", long_date(d)));
                let test = l
                    .test_at
                    .filter(|_| s.status == SchemeStatus::TestScheduled)
                    .map(|t| format!("Test booked for {}.", crate::clock::london_long(t)));
                let words: Vec<String> = asked.into_iter().chain(test).collect();
                (!words.is_empty()).then(|| words.join(" "))
            });
        super::SchemeRow {
            id: s.id,
            name: s.name,
            regulator: s.regulator,
            regulator_number: s.regulator_number,
            is_vouching: s.is_vouching,
            status,
            go_live,
            next,
            note,
            pending,
        }
    }

    /// Field values from a form are limited in size before anything else looks at them.
    pub fn too_long(values: &[&str]) -> bool {
        values.iter().any(|v| v.len() > 200)
    }
}

/// The organisation's providers and schemes with their testing status and go-live date.
#[server(prefix = "/api", endpoint = "oat/overview")]
pub async fn oat_overview() -> Result<Overview, AppError> {
    use self::ssr::*;
    let (user, org) = require_organisation_user()?;
    let services = services()?;
    // Read with the signed-in user (one query fewer per page).
    let organisation = user.organisation_name.clone().unwrap_or_default();
    let manager = user.has_role(Role::ServiceManager);
    let rows = scheme_rows(&services, org, manager)
        .await
        .context("listing schemes")?;
    Ok(Overview {
        organisation,
        schemes: rows,
        is_service_manager: manager,
        can_add_schemes: crate::api::schemes::ssr::may_add_schemes(&user),
    })
}

/// The request in progress for a scheme (answers so far, date rule, any open request).
#[server(prefix = "/api", endpoint = "oat/journey")]
pub async fn oat_journey(scheme: String) -> Result<Journey, AppError> {
    use self::ssr::*;
    let (user, org) = require_organisation_user()?;
    let services = services()?;
    let s = own_scheme(&services, org, &scheme).await?;
    let draft = load_draft(&services, s.id).await?;
    let open_request = oat::open_for_scheme(&services.db, s.id)
        .await
        .context("checking for an open request")?;
    Ok(Journey {
        scheme_id: s.id,
        scheme_name: s.name.clone(),
        is_vouching: s.is_vouching,
        is_service_manager: user.has_role(Role::ServiceManager),
        answers: Question::ALL
            .into_iter()
            .map(|q| (q.field().to_string(), answer_of(&draft, q)))
            .collect(),
        connection_date: draft.connection_date,
        rule: rule_for(&services, org).await?,
        open_request,
        submission_key: draft.submission_key,
        can_request: can_request(&s),
        status: s.status,
    })
}

/// Saves the answer to one of the three questions. Nothing chosen is an error; "No" ends the
/// journey for now (a page says what to do) and creates no request.
#[server(prefix = "/api", endpoint = "oat/answer")]
pub async fn answer_question(
    scheme: String,
    question: String,
    answer: Option<String>,
    change: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    let (user, org) = require_organisation_role(Role::ServiceManager)?;
    if too_long(&[&scheme, &question]) {
        return Err(AppError::invalid("That request was too long"));
    }
    let services = services()?;
    let s = own_scheme(&services, org, &scheme).await?;
    if !can_request(&s) {
        leptos_axum::redirect(&format!("/oat/{}", s.id));
        return Ok(());
    }
    let q = Question::from_field(&question).ok_or_else(|| AppError::invalid("Unknown question"))?;
    let page = format!("/oat/{}/{}", s.id, q.field());
    let change = change.as_deref() == Some("1");
    let Some(a) = Answer::parse(answer.as_deref()) else {
        let form = FormState::default().with_error(q.field(), q.missing_message());
        session()
            .await?
            .save_form(q.field(), &form)
            .await
            .context("session")?;
        leptos_axum::redirect(&if change {
            format!("{page}?change=1")
        } else {
            page
        });
        return Ok(());
    };
    let mut draft = load_draft(&services, s.id).await?;
    set_answer(&mut draft, q, a);
    store_draft(&services, &draft, &user).await?;
    let next = match (a, q.next(), change) {
        (Answer::No, _, _) => format!("/oat/{}/cannot-request?question={}", s.id, q.field()),
        (Answer::Yes, _, true) => format!("/oat/{}/check-answers", s.id),
        (Answer::Yes, Some(next), false) => format!("/oat/{}/{}", s.id, next.field()),
        (Answer::Yes, None, false) => format!("/oat/{}/connection-date", s.id),
    };
    leptos_axum::redirect(&next);
    Ok(())
}

/// Saves the connection date if it obeys the rules: at least 7 calendar days after today in
/// London, after the technical connection date where one is recorded, at most 2 years ahead.
#[server(prefix = "/api", endpoint = "oat/connection-date")]
pub async fn save_connection_date(
    scheme: String,
    connection_date: Option<String>,
    change: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    let (user, org) = require_organisation_role(Role::ServiceManager)?;
    let raw = connection_date.unwrap_or_default();
    if too_long(&[&scheme, &raw]) {
        return Err(AppError::invalid("That request was too long"));
    }
    let services = services()?;
    let s = own_scheme(&services, org, &scheme).await?;
    if !can_request(&s) {
        leptos_axum::redirect(&format!("/oat/{}", s.id));
        return Ok(());
    }
    let rule = rule_for(&services, org).await?;
    match parse_iso_date(&raw).and_then(|d| rule.check(d)) {
        Err(e) => {
            let form = FormState::default()
                .with_value("connection-date", raw.trim())
                .with_error("connection-date", e.to_string());
            session()
                .await?
                .save_form("connection-date", &form)
                .await
                .context("session")?;
            let page = format!("/oat/{}/connection-date", s.id);
            leptos_axum::redirect(&if change.as_deref() == Some("1") {
                format!("{page}?change=1")
            } else {
                page
            });
        }
        Ok(date) => {
            let mut draft = load_draft(&services, s.id).await?;
            draft.connection_date = Some(date);
            store_draft(&services, &draft, &user).await?;
            leptos_axum::redirect(&format!("/oat/{}/check-answers", s.id));
        }
    }
    Ok(())
}

/// Sends the request: all three answers yes and a date that still obeys the rules. One
/// transaction holds the request, its first timeline entry, the scheme's new status, the audit
/// row and the email; the same submission key twice (double click, resubmit, two tabs) makes
/// one request.
#[server(prefix = "/api", endpoint = "oat/send")]
pub async fn send_request(scheme: String, submission_key: String) -> Result<(), AppError> {
    use self::ssr::*;
    let (user, org) = require_organisation_role(Role::ServiceManager)?;
    if too_long(&[&scheme, &submission_key]) || submission_key.trim().is_empty() {
        return Err(AppError::invalid("That request was not complete"));
    }
    let services = services()?;
    let s = own_scheme(&services, org, &scheme).await?;
    if let Some(id) = oat::find_by_key(&services.db, org, &submission_key)
        .await
        .context("checking the submission")?
    {
        leptos_axum::redirect(&format!("/requests/{id}/sent"));
        return Ok(());
    }
    if let Some(id) = oat::open_for_scheme(&services.db, s.id)
        .await
        .context("checking for an open request")?
    {
        leptos_axum::redirect(&format!("/requests/{id}"));
        return Ok(());
    }
    if !can_request(&s) {
        leptos_axum::redirect(&format!("/oat/{}", s.id));
        return Ok(());
    }
    // Where the readiness checks block (PORTAL_READINESS_CHECKS=block), a find endpoint that
    // failed them (or none recorded) stops the request; by default they only advise.
    if services.connectivity.readiness == crate::domain::connectivity::ReadinessMode::Block
        && !crate::api::connectivity::ssr::readiness(&services, org)
            .await?
            .allows_sending()
    {
        leptos_axum::redirect(&format!("/oat/{}/check-answers", s.id));
        return Ok(());
    }
    let draft = load_draft(&services, s.id).await?;
    if draft.submission_key != submission_key {
        // The answers were used up by a send that committed since we looked (a double click):
        // show what it made rather than asking again.
        if let Some(id) = oat::find_by_key(&services.db, org, &submission_key)
            .await
            .context("checking the submission")?
        {
            leptos_axum::redirect(&format!("/requests/{id}/sent"));
            return Ok(());
        }
    }
    for q in Question::ALL {
        match Answer::parse(answer_of(&draft, q).as_deref()) {
            Some(Answer::Yes) => {}
            Some(Answer::No) => {
                leptos_axum::redirect(&format!(
                    "/oat/{}/cannot-request?question={}",
                    s.id,
                    q.field()
                ));
                return Ok(());
            }
            None => {
                leptos_axum::redirect(&format!("/oat/{}/{}", s.id, q.field()));
                return Ok(());
            }
        }
    }
    let rule = rule_for(&services, org).await?;
    let date = match draft.connection_date.map(|d| rule.check(d)) {
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            let form = FormState::default().with_error("connection-date", e.to_string());
            session()
                .await?
                .save_form("connection-date", &form)
                .await
                .context("session")?;
            leptos_axum::redirect(&format!("/oat/{}/connection-date", s.id));
            return Ok(());
        }
        None => {
            leptos_axum::redirect(&format!("/oat/{}/connection-date", s.id));
            return Ok(());
        }
    };
    let now = services.clock.now();
    let mut tx = services.db.begin_write().await.context("begin")?;
    let (id, reference) = match oat::insert(
        &mut tx,
        org,
        s.id,
        user.id,
        date,
        &submission_key,
        None,
        now,
    )
    .await
    {
        Ok(v) => v,
        Err(StoreError::Duplicate(_)) => {
            // Another tab or click got there first: show what it made.
            tx.rollback().await;
            let existing = match oat::find_by_key(&services.db, org, &submission_key).await {
                Ok(Some(id)) => Some(format!("/requests/{id}/sent")),
                _ => oat::open_for_scheme(&services.db, s.id)
                    .await
                    .ok()
                    .flatten()
                    .map(|id| format!("/requests/{id}")),
            };
            leptos_axum::redirect(&existing.unwrap_or_else(|| "/organisation".into()));
            return Ok(());
        }
        Err(e) => return Err(AppError::internal("recording the request", e)),
    };
    oat::add_event(
        &mut tx,
        id,
        now,
        Some(user.id),
        "Request sent",
        &format!("Connection date {}", long_date(date)),
    )
    .await
    .context("timeline")?;
    if !schemes::move_status(
        &mut tx,
        s.id,
        &[SchemeStatus::NotRequested],
        SchemeStatus::Requested,
    )
    .await
    .context("scheme status")?
    {
        // The scheme changed under us since we looked: nothing is applied.
        tx.rollback().await;
        leptos_axum::redirect(&format!("/oat/{}", s.id));
        return Ok(());
    }
    oat::delete_draft(&mut tx, s.id)
        .await
        .context("clearing answers")?;
    let meta = request_meta();
    audit::record(
        &mut tx,
        now,
        &audit::NewAuditEvent {
            action: audit::AuditAction::OatRequested,
            actor_user_id: Some(user.id),
            target_user_id: None,
            organisation_id: Some(org),
            client_ip: meta.client_ip,
            request_id: meta.request_id,
            detail: format!("{reference} for {}, connection date {date}", s.name),
        },
    )
    .await
    .context("audit")?;
    let link = format!("{}/requests/{id}", services.public_origin);
    // Every active service manager of the organisation hears of it, the sender included.
    let letter = |name: &str| {
        crate::emails::Letter::new(
            format!("We have your request for operational acceptance testing ({reference})"),
            name,
        )
        .para(format!(
            "{} sent a request for operational acceptance testing of {}.",
            user.name, s.name
        ))
        .facts(&[
            ("Reference", reference.clone()),
            ("Connection date", long_date(date)),
        ])
        .para("What happens next: the Pensions Dashboards Programme will review your request and arrange a connectivity test. We will send a synthetic find request to your live find endpoint and watch for a 202 acknowledgement. We will email you when the test is scheduled and again with the result.")
        .link("Follow your request", link.clone())
    };
    let managers = crate::store::review::service_manager_emails(&services.db, org)
        .await
        .context("finding service managers")?;
    for (name, address) in managers {
        let key = crate::store::review::email_key(id, "requested", &address);
        outbox::enqueue(&mut tx, &letter(&name).to(key, &address), now)
            .await
            .context("queueing the email")?;
    }
    tx.commit().await.context("commit")?;
    tracing::info!(request_id = id, %reference, "OAT request sent");
    leptos_axum::redirect(&format!("/requests/{id}/sent"));
    Ok(())
}

/// A request and its timeline, for anyone in the organisation.
#[server(prefix = "/api", endpoint = "oat/request")]
pub async fn request_detail(id: String) -> Result<RequestView, AppError> {
    use self::ssr::*;
    use crate::{
        api::review::ssr::{asked, parse_id},
        clock::london_long,
        domain::review::Action,
        store::{connectivity, queries, review},
    };
    let (user, org) = require_organisation_user()?;
    let services = services()?;
    let r = review::get_in_organisation(&services.db, org, parse_id(&id)?)
        .await
        .context("loading a request")?
        .ok_or_else(AppError::not_found)?;
    let events = oat::events(&services.db, r.id)
        .await
        .context("loading the timeline")?;
    let changes = review::date_changes(&services.db, r.id)
        .await
        .context("loading date changes")?;
    let raised = queries::for_request(&services.db, r.id)
        .await
        .context("loading queries")?;
    let runs = connectivity::for_request(&services.db, r.id, 20)
        .await
        .context("loading connectivity runs")?;
    let status = r.status;
    let manager = user.has_role(Role::ServiceManager);
    let waiting = changes.iter().any(|c| c.status == "pending");
    let may = |a: Action| manager && a.available(status, r.superseded);
    let today = london_today(services.clock.now());
    Ok(RequestView {
        id: r.id,
        reference: r.reference.clone().unwrap_or_default(),
        scheme_name: r.scheme_name.clone(),
        status: r.status,
        connection_date: r.connection_date,
        go_live_date: r.go_live_date,
        submitted_by: r.submitted_by_name.clone(),
        submitted_on: long_date(london_today(r.created_at)),
        timeline: timeline(events, &runs),
        scheme_id: r.scheme_id,
        test_at: r.test_at.map(london_long),
        calendar_files: crate::api::review::calendar::files_of(&r),
        test_note: r.test_note.clone(),
        failure_reason: r.failure_reason.clone(),
        support_at: r.support_at.map(london_long),
        support_join: r.support_join.clone(),
        go_live_reason: r.go_live_reason.clone(),
        retest_of: r
            .retest_of
            .map(|id| (id, r.retest_of_reference.clone().unwrap_or_default())),
        date_changes: changes
            .into_iter()
            .map(super::review::date_change_view)
            .collect(),
        version: r.version,
        test_round: r.test_round,
        retest_asked: asked(r.retest_asked_at, &r.retest_note),
        support_asked: asked(r.support_asked_at, &r.support_request),
        withdrawn_reason: r.withdrawn_reason.clone(),
        days_to_connection: (r.connection_date - today).num_days(),
        can_change_date: !waiting && may(Action::ChangeDate),
        can_ask_retest: r.retest_asked_at.is_none() && may(Action::ReadyForRetest),
        can_ask_support: r.support_asked_at.is_none() && may(Action::AskSupport),
        can_withdraw: may(Action::Withdraw),
        is_service_manager: manager,
        queries: raised.into_iter().map(super::queries::ssr::view).collect(),
        runs: runs
            .into_iter()
            .map(super::connectivity::ssr::summary)
            .collect(),
    })
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::{SchemeRow, SchemeStatus};
    use chrono::NaiveDate;
    use proptest::prelude::*;

    #[test]
    fn a_row_is_sent_as_an_array_in_field_order() {
        let row = SchemeRow {
            id: 7,
            name: "Acme \"Gold\" Scheme".into(),
            regulator: "TPR".into(),
            regulator_number: "10012345".into(),
            is_vouching: true,
            status: SchemeStatus::Passed,
            go_live: NaiveDate::from_ymd_opt(2027, 3, 1),
            next: Some(("View request".into(), "/requests/3".into())),
            note: None,
            pending: Some("Connection date asked for: 1 March 2027.".into()),
        };
        let json = serde_json::to_string(&row).expect("a row serializes");
        assert_eq!(
            json,
            r#"[7,"Acme \"Gold\" Scheme","TPR","10012345",true,"passed","2027-03-01",["View request","/requests/3"],null,"Connection date asked for: 1 March 2027."]"#
        );
        assert_eq!(serde_json::from_str::<SchemeRow>(&json).ok(), Some(row));
    }

    #[test]
    fn a_row_with_a_missing_field_is_refused() {
        let short = r#"[7,"Acme","TPR","10012345",true,"passed",null,null,null]"#;
        assert!(serde_json::from_str::<SchemeRow>(short).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_row_comes_back_as_it_was_sent(
            fields in (
                any::<i64>(),
                ".*",
                ".*",
                ".*",
                any::<bool>(),
                proptest::sample::select(SchemeStatus::ALL.to_vec()),
                proptest::option::of((1i32..=9999, 1u32..=365).prop_filter_map("a real day", |(y, d)| NaiveDate::from_yo_opt(y, d))),
                proptest::option::of((".*", ".*")),
                proptest::option::of(".*"),
                proptest::option::of(".*"),
            )
        ) {
            let row = SchemeRow::from(fields);
            let json = serde_json::to_string(&row).expect("a row serializes");
            prop_assert!(json.starts_with('['));
            prop_assert_eq!(serde_json::from_str::<SchemeRow>(&json).ok(), Some(row));
        }
    }
}
