//! One module per route.

mod home;
mod info;
mod not_found;

pub use home::Home;
pub use info::{Accessibility, Cookies, Help, Privacy};
pub use not_found::NotFound;
