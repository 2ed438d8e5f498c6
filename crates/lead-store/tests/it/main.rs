//! Integration tests of the sea-orm store on SQLite (temp file) and PostgreSQL (fresh database).
// Tests make their own random ids, read the real clock, and fail by panicking.
#![allow(clippy::disallowed_methods, clippy::expect_used, clippy::unwrap_used)]

mod analytics;
mod batch;
mod concurrency;
mod connect;
mod contract;
mod isolation;
mod knowledge;
mod queue;
mod sessions;
mod support;
