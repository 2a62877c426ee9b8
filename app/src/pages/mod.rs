//! One module per route.

mod account;
mod admin;
pub(crate) mod connectivity;
mod home;
mod info;
mod invitation;
mod not_found;
pub(crate) mod oat;
pub(crate) mod review;
mod schemes;
mod sign_in;
mod staff;

pub use account::OrganisationHome;
pub use admin::{AdminOrganisation, AdminOrganisations, AdminUser};
pub use connectivity::{EndpointPageView, RunPage};
pub use home::Home;
pub use info::{Accessibility, Cookies, Help, Privacy};
pub use invitation::InvitationPage;
pub use not_found::NotFound;
pub use oat::{OatStart, OatStep, Overview, RequestPage, RequestSent};
pub use review::{ChangeDatePage, StaffActionPage, StaffQueue, StaffRequestPage};
pub use schemes::{AddSchemePage, StaffSchemePage, StaffSchemes, UploadSchemesPage};
pub use sign_in::{SignInPage, SignedOut};
pub use staff::{AuditLog, Emails, StaffOrganisation, StaffOrganisations};
