//! Pure domain types and rules. No I/O; compiled for the server and the browser alike.

mod account;
pub mod audit;
pub mod connectivity;
pub mod endpoint;
pub mod oat;
mod organisation;
pub mod review;
pub mod schemes;
#[cfg(feature = "ssr")]
pub mod second_factor;
pub mod status;
pub mod upcoming;

pub use account::{
    check_roles, EmailAddress, EmailError, NewPassword, PasswordContext, PasswordError, PersonName,
    PersonNameError, Role, MAX_PASSWORD, MIN_PASSWORD,
};

pub use organisation::{OrganisationKind, OrganisationName, OrganisationNameError};
