//! Black-box tests: the real application on a random port with a fresh database.
//!
//! The database comes from `PORTAL_TEST_DATABASE`: unset or `sqlite` gives a new SQLite file per
//! test; a `postgres://` URL gives a new Postgres database per test (created from that URL's
//! server, dropped afterwards). The test command runs this binary once for each.

mod accounts;
mod after_sending;
mod authz;
mod calendar;
mod connectivity;
mod crash;
mod database;
mod email;
mod evidence;
mod faults;
mod fuzz;
mod hardening;
mod health;
mod helpers;
mod instances;
mod oat;
mod operations;
mod pages;
mod process;
mod responses;
mod review;
mod schemes;
mod second_factor;
mod smtp_sink;
mod upcoming;
