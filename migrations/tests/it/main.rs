//! Integration tests of the migrations on SQLite (temp file) and PostgreSQL (fresh database).

mod schema;
mod support;
