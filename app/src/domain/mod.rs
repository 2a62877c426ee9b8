//! Pure domain types and rules. No I/O; compiled for the server and the browser alike.

mod account;
pub mod connectivity;
pub mod endpoint;
pub mod oat;
mod organisation;
pub mod review;
pub mod schemes;

pub use account::{
    check_roles, EmailAddress, EmailError, NewPassword, PasswordContext, PasswordError, PersonName,
    PersonNameError, Role, MAX_PASSWORD, MIN_PASSWORD,
};

pub use organisation::{OrganisationKind, OrganisationName, OrganisationNameError};

/// Audit event codes and labels, for filters in the browser as well as the server.
pub const AUDIT_ACTIONS: [(&str, &str); 27] = [
    ("sign_in_succeeded", "Signed in"),
    ("sign_in_failed", "Sign-in failed"),
    ("account_locked", "Account locked"),
    ("signed_out", "Signed out"),
    ("organisation_created", "Organisation created"),
    ("user_invited", "User invited"),
    ("password_set", "Password set"),
    ("roles_changed", "Roles changed"),
    ("user_deactivated", "User deactivated"),
    ("user_reactivated", "User reactivated"),
    ("oat_requested", "OAT requested"),
    ("scheme_added", "Scheme added"),
    (
        "technical_connection_date_set",
        "Technical connection date set",
    ),
    ("oat_test_scheduled", "Connectivity test scheduled"),
    ("oat_passed", "OAT passed"),
    ("oat_failed", "OAT failed"),
    ("go_live_date_confirmed", "Go-live date confirmed"),
    ("date_change_requested", "Connection date change requested"),
    ("date_change_approved", "Connection date change approved"),
    ("date_change_rejected", "Connection date change rejected"),
    ("scheme_went_live", "Scheme went live"),
    ("scheme_submitted", "Scheme submitted for approval"),
    ("scheme_approved", "Scheme approved"),
    ("scheme_rejected", "Scheme rejected"),
    ("find_endpoint_changed", "Find endpoint changed"),
    ("dry_run_started", "Endpoint dry run started"),
    (
        "official_test_started",
        "Official connectivity test started",
    ),
];
