//! Integration tests of the migrations on SQLite (temp file) and PostgreSQL (fresh database).
// Tests make their own random ids, read the real clock, and fail by panicking.
#![allow(clippy::disallowed_methods, clippy::expect_used, clippy::unwrap_used)]

mod schema;
mod support;
