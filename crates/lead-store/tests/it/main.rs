//! Integration tests of the sea-orm store on SQLite (temp file) and PostgreSQL (fresh database).

mod analytics;
mod batch;
mod concurrency;
mod connect;
mod contract;
mod isolation;
mod knowledge;
mod queue;
mod support;
