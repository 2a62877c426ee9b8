//! The service manager asks to change a request's connection date; staff decide (in `actions`).

use leptos::prelude::*;

use crate::error::AppError;

/// A service manager asks to change the connection date (with a reason); staff decide.
#[server(prefix = "/api", endpoint = "oat/date-change")]
pub async fn ask_date_change(
    id: String,
    new_date: Option<String>,
    reason: Option<String>,
) -> Result<(), AppError> {
    use super::ssr::*;
    use crate::store::StoreError;
    let (user, org) = require_organisation_role(Role::ServiceManager)?;
    let services = services()?;
    let r = review::get_in_organisation(&services.db, org, parse_id(&id)?)
        .await
        .context("loading a request")?
        .ok_or_else(AppError::not_found)?;
    let status = r.status;
    let form_page = format!("/requests/{}/change-date", r.id);
    let back = format!("/requests/{}", r.id);
    if !Action::ChangeDate.available(status, r.superseded) {
        leptos_axum::redirect(&back);
        return Ok(());
    }
    let (date_raw, reason_raw) = (new_date.unwrap_or_default(), reason.unwrap_or_default());
    let mut form = FormState::default()
        .with_value("new_date", date_raw.trim())
        .with_value("reason", reason_raw.trim());
    let now = services.clock.now();
    let rule = DateRule::new(london_today(now), r.technical_connection_on);
    let date = match parse_iso_date(&date_raw).and_then(|d| rule.check(d)) {
        Ok(d) if d == r.connection_date => {
            form = form.with_error(
                "new_date",
                format!(
                    "The new connection date must be different from the current one, {}",
                    long_date(d)
                ),
            );
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            form = form.with_error("new_date", date_message(&e, "New connection date"));
            None
        }
    };
    let missing = "Enter why you need to change the connection date";
    let reason = form
        .check("reason", required_text(&reason_raw, "Reason", missing))
        .unwrap_or_default();
    let Some(date) = date.filter(|_| !form.has_errors()) else {
        return back_to_form("change-date", &form, &form_page).await;
    };
    let mut tx = services.db.begin_write().await.context("begin")?;
    let change_id = match review::ask_date_change(&mut tx, r.id, user.id, date, &reason, now).await
    {
        Ok(id) => id,
        Err(StoreError::Duplicate(_)) => {
            tx.rollback().await;
            let form = FormState::default().with_error(
                "new_date",
                "You have already asked to change the connection date: wait for the Pensions Dashboards Programme to decide on that request first",
            );
            return back_to_form("change-date", &form, &form_page).await;
        }
        Err(e) => return Err(AppError::internal("recording the date change", e)),
    };
    let reference = r.reference.clone().unwrap_or_default();
    let link = request_link(&services, r.id);
    let new_date = long_date(date);
    let letter = |name: &str| {
        Letter::new(
            format!("We have your request to change the connection date ({reference})"),
            name,
        )
        .para(format!(
            "We have your request to change the connection date for {} to {new_date}. The Pensions Dashboards Programme will review it, usually within 5 working days, and email you the decision.",
            r.scheme_name
        ))
        .facts(&[("Reference", reference.clone()), ("Reason", reason.clone())])
        .link("See your request", link.clone())
    };
    let key = format!("date-change-{change_id}-asked");
    record_action(
        &mut tx,
        &services,
        &user,
        &r,
        AuditAction::DateChangeRequested,
        "Change of connection date requested",
        &format!("New date {new_date}: {reason}"),
        &[Notice::managers(&key, &letter)],
    )
    .await?;
    tx.commit().await.context("commit")?;
    services.forget_queue_counts();
    session()
        .await?
        .set_flash("Your request to change the connection date has been sent")
        .await
        .context("session")?;
    leptos_axum::redirect(&back);
    Ok(())
}
