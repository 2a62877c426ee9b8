//! Server functions, one file per area. Each one checks who is signed in, their role and their
//! organisation before anything else (see `auth::require_*`).

pub mod account;
pub mod admin;
pub mod auth;
pub mod connectivity;
pub mod evidence;
pub mod invitations;
pub mod oat;
pub mod queries;
pub mod review;
pub mod schemes;
pub mod second_factor;
pub mod staff;
