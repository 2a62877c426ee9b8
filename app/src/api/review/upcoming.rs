//! The weeks ahead for programme staff: tests booked and go-lives confirmed across
//! organisations, by week. The page and its CSV file (served by the server crate) share
//! [`ssr::weeks_ahead`].

use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::upcoming::UpcomingWeek;
use crate::error::AppError;

/// The most bookings one page or file lists; beyond it the page says so.
pub const MAX_BOOKINGS: i64 = 5000;

/// The "Upcoming" page's contents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpcomingPage {
    pub weeks: u32,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub list: Vec<UpcomingWeek>,
    /// More bookings than one page lists were found.
    pub cut: bool,
    /// Why the number of weeks asked for was not used (the default was shown instead).
    pub error: Option<String>,
}

/// Tests booked and go-lives confirmed for the coming weeks (programme staff).
#[server(prefix = "/api", endpoint = "staff/upcoming")]
pub async fn staff_upcoming(weeks: Option<String>) -> Result<UpcomingPage, AppError> {
    crate::auth::require_staff()?;
    let services = crate::auth::services()?;
    match ssr::weeks_ahead(&services, weeks.as_deref().unwrap_or("")).await {
        // A number of weeks nobody's link gives: the default, with the reason.
        Err(AppError::Invalid(message)) => Ok(UpcomingPage {
            error: Some(message),
            ..ssr::weeks_ahead(&services, "").await?
        }),
        other => other,
    }
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::{UpcomingPage, MAX_BOOKINGS};
    use crate::{
        clock::{london_to_utc, london_today},
        domain::{
            review::RequestStatus,
            upcoming::{by_week, end_of, parse_weeks, week_start, Booking, UpcomingEntry},
        },
        error::{AppError, Context},
        services::Services,
        store::review,
    };

    /// The bookings of the `weeks` weeks from this one (UK weeks from Monday). The caller
    /// checks that the user is programme staff.
    pub async fn weeks_ahead(services: &Services, weeks: &str) -> Result<UpcomingPage, AppError> {
        let weeks =
            parse_weeks(&weeks.chars().take(12).collect::<String>()).map_err(AppError::invalid)?;
        let today = london_today(services.clock.now());
        let (first_day, end) = (week_start(today), end_of(today, weeks));
        let instant = |d: chrono::NaiveDate| {
            london_to_utc(d.and_time(chrono::NaiveTime::MIN)).ok_or_else(|| {
                AppError::internal("the weeks ahead", format!("no UK midnight on {d}"))
            })
        };
        let rows = review::upcoming(
            &services.db,
            (instant(first_day)?, instant(end)?),
            (first_day, end),
            MAX_BOOKINGS + 1,
        )
        .await
        .context("listing bookings ahead")?;
        let cut = rows.len() as i64 > MAX_BOOKINGS;
        let entries = rows
            .into_iter()
            .take(MAX_BOOKINGS as usize)
            .filter_map(|r| {
                let (date, time, booking) = match (r.test_at, r.go_live_date) {
                    (Some(at), _) if r.status == RequestStatus::TestScheduled => {
                        let local = at.with_timezone(&chrono_tz::Europe::London).naive_local();
                        (
                            local.date(),
                            Some(local.time()),
                            Booking::Test {
                                round: r.test_round,
                            },
                        )
                    }
                    (_, Some(date)) => (date, None, Booking::GoLive),
                    _ => return None,
                };
                Some(UpcomingEntry {
                    date,
                    time,
                    booking,
                    request_id: r.id,
                    reference: r.reference.unwrap_or_default(),
                    organisation: r.organisation_name,
                    scheme: r.scheme_name,
                })
            })
            .collect();
        Ok(UpcomingPage {
            weeks,
            first_day,
            last_day: end.pred_opt().unwrap_or(end),
            list: by_week(today, weeks, entries),
            cut,
            error: None,
        })
    }
}
