//! Programme staff's "Upcoming" page: tests booked and go-lives confirmed across organisations,
//! week by week, with the counts per week first and the same list as a CSV file.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::review::{staff_upcoming, UpcomingPage},
    components::{ErrorSummary, PageTitle},
    domain::{
        review::short_time,
        upcoming::{count_words, Booking, UpcomingWeek},
    },
    pages::review::StaffNav,
};

/// The choices of how far ahead to look.
const WEEK_CHOICES: [u32; 4] = [4, 12, 26, 52];

fn day(d: chrono::NaiveDate) -> String {
    d.format("%A %-d %B %Y").to_string()
}

fn anchor(w: &UpcomingWeek) -> String {
    format!("week-{}", w.starts)
}

#[component]
pub fn UpcomingWeeks() -> impl IntoView {
    let query = use_query_map();
    let data = Resource::new(move || query.with(|q| q.get("weeks")), staff_upcoming);
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().map(|page| match page {
                Ok(page) => view! { <UpcomingView page=page /> }.into_any(),
                Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn UpcomingView(page: UpcomingPage) -> impl IntoView {
    let weeks = page.weeks;
    let csv = format!("/staff/upcoming.csv?weeks={weeks}");
    let (tests, go_lives) = page
        .list
        .iter()
        .fold((0, 0), |(t, g), w| (t + w.tests, g + w.go_lives));
    let booked: Vec<UpcomingWeek> = page
        .list
        .iter()
        .filter(|w| !w.entries.is_empty())
        .cloned()
        .collect();
    let form = crate::forms::FormState {
        values: vec![],
        errors: page
            .error
            .iter()
            .map(|e| ("weeks-shown".to_string(), e.clone()))
            .collect(),
    };
    let title = if form.has_errors() {
        "Error: Upcoming tests and go-lives"
    } else {
        "Upcoming tests and go-lives"
    };
    view! {
        <PageTitle text=title />
        <ErrorSummary form=form />
        <h1 class="govuk-heading-l">"Upcoming tests and go-lives"</h1>
        <StaffNav />
        <p class="govuk-body">
            {format!(
                "Connectivity tests booked and go-live dates confirmed from {} to {}, by week (weeks start on Monday, UK time). In all: {}.",
                day(page.first_day),
                day(page.last_day),
                count_words(tests, go_lives).to_lowercase(),
            )}
        </p>
        {page.cut.then(|| view! {
            <div class="govuk-warning-text">
                <span class="govuk-warning-text__icon" aria-hidden="true">"!"</span>
                <strong class="govuk-warning-text__text">
                    <span class="govuk-visually-hidden">"Warning"</span>
                    {format!("Only the first {} bookings are listed. Show fewer weeks to see them all.", crate::api::review::MAX_BOOKINGS)}
                </strong>
            </div>
        })}
        <nav aria-label="Weeks shown" id="weeks-shown">
            <ul class="portal-count-row">
                {WEEK_CHOICES.into_iter().map(|n| view! {
                    <li>
                        <a class="govuk-link" href=format!("/staff/upcoming?weeks={n}") aria-current=(n == weeks).then_some("true")>
                            {format!("Next {n} weeks")}
                        </a>
                    </li>
                }).collect_view()}
            </ul>
        </nav>
        <table class="govuk-table">
            <caption class="govuk-table__caption govuk-table__caption--m">"Bookings per week"</caption>
            <thead class="govuk-table__head">
                <tr class="govuk-table__row">
                    <th scope="col" class="govuk-table__header">"Week starting"</th>
                    <th scope="col" class="govuk-table__header govuk-table__header--numeric">"Tests"</th>
                    <th scope="col" class="govuk-table__header govuk-table__header--numeric">"Go-lives"</th>
                </tr>
            </thead>
            <tbody class="govuk-table__body">
                {page.list.iter().map(|w| {
                    let label = day(w.starts);
                    let cell = if w.entries.is_empty() {
                        view! { {label} }.into_any()
                    } else {
                        view! { <a class="govuk-link" href=format!("#{}", anchor(w))>{label}</a> }.into_any()
                    };
                    view! {
                        <tr class="govuk-table__row">
                            <th scope="row" class="govuk-table__header">{cell}</th>
                            <td class="govuk-table__cell govuk-table__cell--numeric">{w.tests}</td>
                            <td class="govuk-table__cell govuk-table__cell--numeric">{w.go_lives}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <p class="govuk-body"><a class="govuk-link" href=csv rel="external" download>"Download these weeks as CSV"</a></p>
        {booked.into_iter().map(|w| view! { <WeekSection week=w /> }).collect_view()}
    }
}

#[component]
fn WeekSection(week: UpcomingWeek) -> impl IntoView {
    let id = anchor(&week);
    let heading = format!("Week starting {}", day(week.starts));
    view! {
        <section aria-labelledby=id.clone()>
            <h2 class="govuk-heading-m" id=id.clone()>{heading}</h2>
            <p class="govuk-body">{count_words(week.tests, week.go_lives)}</p>
            <table class="govuk-table">
                <thead class="govuk-table__head">
                    <tr class="govuk-table__row">
                        <th scope="col" class="govuk-table__header">"Date"</th>
                        <th scope="col" class="govuk-table__header">"What"</th>
                        <th scope="col" class="govuk-table__header">"Reference"</th>
                        <th scope="col" class="govuk-table__header">"Organisation"</th>
                        <th scope="col" class="govuk-table__header">"Scheme"</th>
                    </tr>
                </thead>
                <tbody class="govuk-table__body">
                    {week.entries.into_iter().map(|e| {
                        let when = match e.time {
                            Some(t) => format!("{} at {}", day(e.date), short_time(t)),
                            None => day(e.date),
                        };
                        let what = match e.booking {
                            Booking::GoLive => view! { <strong class="govuk-tag govuk-tag--green">{e.booking.words()}</strong> }.into_any(),
                            Booking::Test { .. } => view! { <strong class="govuk-tag govuk-tag--blue">{e.booking.words()}</strong> }.into_any(),
                        };
                        view! {
                            <tr class="govuk-table__row">
                                <td class="govuk-table__cell">{when}</td>
                                <td class="govuk-table__cell">{what}</td>
                                <td class="govuk-table__cell"><a class="govuk-link" href=format!("/staff/requests/{}", e.request_id)>{e.reference}</a></td>
                                <td class="govuk-table__cell">{e.organisation}</td>
                                <td class="govuk-table__cell">{e.scheme}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
