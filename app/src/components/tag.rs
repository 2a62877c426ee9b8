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

/// What a tag shows: a scheme's status, or a request's as people read it (a withdrawn request
/// says "Withdrawn", though its scheme is "Not requested" again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown(pub SchemeStatus);

impl From<SchemeStatus> for Shown {
    fn from(s: SchemeStatus) -> Self {
        Self(s)
    }
}

impl From<crate::domain::status::RequestStatus> for Shown {
    fn from(s: crate::domain::status::RequestStatus) -> Self {
        Self(s.shown_as())
    }
}

/// A testing status as a tag.
#[component]
pub fn StatusTag(#[prop(into)] status: Shown) -> impl IntoView {
    let Shown(status) = status;
    view! { <strong class=status_tag_class(status)>{status.label()}</strong> }
}
