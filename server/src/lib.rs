//! The connection portal's server: configuration, start-up, middleware, operations endpoints and
//! command-line subcommands around the Leptos application in the `app` crate.

pub mod access;
pub mod admin_cli;
pub mod assets;
pub mod config;
pub mod connectivity;
pub mod demo;
pub mod error_page;
pub mod evidence;
pub mod export;
pub mod go_live;
pub mod health;
pub mod metrics;
pub mod middleware;
pub mod outbox_worker;
pub mod sessions;
pub mod startup;
pub mod telemetry;
pub mod upload;

pub use config::Config;
pub use startup::{AppState, Application, Lifecycle};
