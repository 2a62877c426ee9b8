//! GOV.UK tags for statuses: the words say it, the colour only repeats it.

use leptos::prelude::*;

use crate::domain::status::SchemeStatus;

/// The tag's classes for a status.
pub fn status_tag_class(status: SchemeStatus) -> &'static str {
    match status {
        SchemeStatus::NotRequested | SchemeStatus::Withdrawn => "govuk-tag govuk-tag--grey",
        SchemeStatus::Requested => "govuk-tag govuk-tag--blue",
        SchemeStatus::TestScheduled => "govuk-tag govuk-tag--light-blue",
        SchemeStatus::Passed => "govuk-tag govuk-tag--green",
        SchemeStatus::Failed => "govuk-tag govuk-tag--red",
        SchemeStatus::GoLiveConfirmed => "govuk-tag govuk-tag--teal",
        SchemeStatus::Live => "govuk-tag govuk-tag--purple",
        SchemeStatus::AwaitingApproval => "govuk-tag govuk-tag--yellow",
        SchemeStatus::Rejected => "govuk-tag govuk-tag--orange",
    }
}

/// A testing status as a tag.
#[component]
pub fn StatusTag(#[prop(into)] status: SchemeStatus) -> impl IntoView {
    view! { <strong class=status_tag_class(status)>{status.label()}</strong> }
}
