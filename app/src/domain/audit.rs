//! What the audit log records: each kind of event with its stored code and the words staff
//! read. Pure, for filters in the browser as well as the server.

use serde::{Deserialize, Serialize};

/// Everything that is audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditAction {
    SignInSucceeded,
    SignInFailed,
    AccountLocked,
    SignedOut,
    OrganisationCreated,
    UserInvited,
    PasswordSet,
    RolesChanged,
    UserDeactivated,
    UserReactivated,
    OatRequested,
    SchemeAdded,
    TechnicalConnectionDateSet,
    OatTestScheduled,
    OatPassed,
    OatFailed,
    GoLiveDateConfirmed,
    DateChangeRequested,
    DateChangeApproved,
    DateChangeRejected,
    SchemeWentLive,
    SchemeSubmitted,
    SchemeApproved,
    SchemeRejected,
    FindEndpointChanged,
    DryRunStarted,
    OfficialTestStarted,
    RetestAsked,
    SupportAsked,
    SupportArranged,
    OatWithdrawn,
    GoLiveDateMoved,
    QueryRaised,
    QueryAnswered,
    SecondFactorSet,
    SecondFactorPassed,
    SecondFactorFailed,
    RecoveryCodeUsed,
    SecondFactorRemoved,
    SecondFactorReset,
}

impl AuditAction {
    pub const ALL: [AuditAction; 40] = [
        Self::SignInSucceeded,
        Self::SignInFailed,
        Self::AccountLocked,
        Self::SignedOut,
        Self::OrganisationCreated,
        Self::UserInvited,
        Self::PasswordSet,
        Self::RolesChanged,
        Self::UserDeactivated,
        Self::UserReactivated,
        Self::OatRequested,
        Self::SchemeAdded,
        Self::TechnicalConnectionDateSet,
        Self::OatTestScheduled,
        Self::OatPassed,
        Self::OatFailed,
        Self::GoLiveDateConfirmed,
        Self::DateChangeRequested,
        Self::DateChangeApproved,
        Self::DateChangeRejected,
        Self::SchemeWentLive,
        Self::SchemeSubmitted,
        Self::SchemeApproved,
        Self::SchemeRejected,
        Self::FindEndpointChanged,
        Self::DryRunStarted,
        Self::OfficialTestStarted,
        Self::RetestAsked,
        Self::SupportAsked,
        Self::SupportArranged,
        Self::OatWithdrawn,
        Self::GoLiveDateMoved,
        Self::QueryRaised,
        Self::QueryAnswered,
        Self::SecondFactorSet,
        Self::SecondFactorPassed,
        Self::SecondFactorFailed,
        Self::RecoveryCodeUsed,
        Self::SecondFactorRemoved,
        Self::SecondFactorReset,
    ];

    /// The code kept in the database.
    pub fn code(self) -> &'static str {
        match self {
            Self::SignInSucceeded => "sign_in_succeeded",
            Self::SignInFailed => "sign_in_failed",
            Self::AccountLocked => "account_locked",
            Self::SignedOut => "signed_out",
            Self::OrganisationCreated => "organisation_created",
            Self::UserInvited => "user_invited",
            Self::PasswordSet => "password_set",
            Self::RolesChanged => "roles_changed",
            Self::UserDeactivated => "user_deactivated",
            Self::UserReactivated => "user_reactivated",
            Self::OatRequested => "oat_requested",
            Self::SchemeAdded => "scheme_added",
            Self::TechnicalConnectionDateSet => "technical_connection_date_set",
            Self::OatTestScheduled => "oat_test_scheduled",
            Self::OatPassed => "oat_passed",
            Self::OatFailed => "oat_failed",
            Self::GoLiveDateConfirmed => "go_live_date_confirmed",
            Self::DateChangeRequested => "date_change_requested",
            Self::DateChangeApproved => "date_change_approved",
            Self::DateChangeRejected => "date_change_rejected",
            Self::SchemeWentLive => "scheme_went_live",
            Self::SchemeSubmitted => "scheme_submitted",
            Self::SchemeApproved => "scheme_approved",
            Self::SchemeRejected => "scheme_rejected",
            Self::FindEndpointChanged => "find_endpoint_changed",
            Self::DryRunStarted => "dry_run_started",
            Self::OfficialTestStarted => "official_test_started",
            Self::RetestAsked => "retest_asked",
            Self::SupportAsked => "support_asked",
            Self::SupportArranged => "support_arranged",
            Self::OatWithdrawn => "oat_withdrawn",
            Self::GoLiveDateMoved => "go_live_date_moved",
            Self::QueryRaised => "query_raised",
            Self::QueryAnswered => "query_answered",
            Self::SecondFactorSet => "second_factor_set",
            Self::SecondFactorPassed => "second_factor_passed",
            Self::SecondFactorFailed => "second_factor_failed",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::SecondFactorRemoved => "second_factor_removed",
            Self::SecondFactorReset => "second_factor_reset",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }

    /// The words staff read.
    pub fn label(self) -> &'static str {
        match self {
            Self::SignInSucceeded => "Signed in",
            Self::SignInFailed => "Sign-in failed",
            Self::AccountLocked => "Account locked",
            Self::SignedOut => "Signed out",
            Self::OrganisationCreated => "Organisation created",
            Self::UserInvited => "User invited",
            Self::PasswordSet => "Password set",
            Self::RolesChanged => "Roles changed",
            Self::UserDeactivated => "User deactivated",
            Self::UserReactivated => "User reactivated",
            Self::OatRequested => "OAT requested",
            Self::SchemeAdded => "Scheme added",
            Self::TechnicalConnectionDateSet => "Technical connection date set",
            Self::OatTestScheduled => "Connectivity test scheduled",
            Self::OatPassed => "OAT passed",
            Self::OatFailed => "OAT failed",
            Self::GoLiveDateConfirmed => "Go-live date confirmed",
            Self::DateChangeRequested => "Connection date change requested",
            Self::DateChangeApproved => "Connection date change approved",
            Self::DateChangeRejected => "Connection date change rejected",
            Self::SchemeWentLive => "Scheme went live",
            Self::SchemeSubmitted => "Scheme submitted for approval",
            Self::SchemeApproved => "Scheme approved",
            Self::SchemeRejected => "Scheme rejected",
            Self::FindEndpointChanged => "Find endpoint changed",
            Self::DryRunStarted => "Endpoint dry run started",
            Self::OfficialTestStarted => "Official connectivity test started",
            Self::RetestAsked => "Ready for re-test",
            Self::SupportAsked => "Support session asked for",
            Self::SupportArranged => "Support session arranged",
            Self::OatWithdrawn => "OAT request withdrawn",
            Self::GoLiveDateMoved => "Go-live date moved",
            Self::QueryRaised => "Query raised",
            Self::QueryAnswered => "Query answered",
            Self::SecondFactorSet => "Second factor set up",
            Self::SecondFactorPassed => "Second factor code accepted",
            Self::SecondFactorFailed => "Second factor code refused",
            Self::RecoveryCodeUsed => "Recovery code used",
            Self::SecondFactorRemoved => "Second factor removed",
            Self::SecondFactorReset => "Second factor reset by an admin",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_labels_are_distinct_and_codes_go_there_and_back() {
        let codes: std::collections::HashSet<_> =
            AuditAction::ALL.iter().map(|a| a.code()).collect();
        let labels: std::collections::HashSet<_> =
            AuditAction::ALL.iter().map(|a| a.label()).collect();
        assert_eq!(codes.len(), AuditAction::ALL.len());
        assert_eq!(labels.len(), AuditAction::ALL.len());
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::from_code(a.code()), Some(a));
        }
        assert_eq!(AuditAction::from_code("Signed in"), None);
    }
}
