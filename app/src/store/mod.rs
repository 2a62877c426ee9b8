//! Server-only data access. One module per aggregate; `db` holds the pool that is either SQLite or
//! Postgres.
//!
//! **One SQL text where the dialects agree.** Every query is written once, with `$1`-style
//! placeholders (both SQLite and Postgres accept them), and run through [`on_db!`] or [`on_tx!`],
//! which expand the same code once per backend. Each expansion is type-checked against that
//! backend's sqlx driver, so a type that only one database can bind or decode fails the build.
//! Where the dialects really differ (DDL, upserts with backend-specific syntax), write both texts
//! side by side in a `match` on [`Db`].

pub mod audit;
pub mod backup;
pub mod connectivity;
mod db;
mod error;
mod group;
pub mod invitations;
pub mod oat;
pub mod organisations;
pub mod outbox;
pub mod queries;
pub mod review;
pub mod schemes;
pub mod sessions;
pub mod users;

pub use db::{
    calls_in_flight, default_pool_size, redact_url, waiting_for_connection, Backend, Db, InFlight,
    PoolSettings, SqliteDb, Tx, CHECK_AFTER_IDLE,
};
pub use error::StoreError;
pub use group::{GroupWriter, WriteTx};
