//! The connectivity test: the portal's test identity, the find request's body template, the
//! engine that sends it, and the worker that runs queued tests.

pub mod engine;
pub mod identity;
pub mod profile;
pub mod worker;
