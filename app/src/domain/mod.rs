//! Pure domain types and rules. No I/O; compiled for the server and the browser alike.

mod organisation;

pub use organisation::{OrganisationKind, OrganisationName, OrganisationNameError};
