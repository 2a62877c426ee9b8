//! What server functions and pages get from the server: the database and the clock.

use std::sync::Arc;

use crate::{clock::Clock, store::Db};

/// Provided as Leptos context on every request (see `server::startup`).
#[derive(Clone, Debug)]
pub struct Services {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
}
