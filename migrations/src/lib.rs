//! Schema migrations for the lead response service, one source for SQLite and PostgreSQL.
//!
//! The schema is written with sea-query builders so that the same migration
//! produces the right DDL on both backends. A few statements that both
//! backends accept verbatim (partial indexes) are issued as plain SQL.
//!
//! Timestamps carry no database default: the application always supplies
//! them, because time is an input and SQLite's `CURRENT_TIMESTAMP` text format
//! would not sort together with the RFC 3339 values the application writes.

mod common;
mod m20261130_000001_tenancy;
mod m20261130_000002_leads;
mod m20261130_000003_knowledge;
mod m20261130_000004_operations;
mod m20261204_000005_contact_claims;
mod m20261205_000006_pipeline;
mod m20261205_000008_knowledge;
mod m20261205_000010_inbox;
mod m20261205_000013_booking;
mod m20261205_000014_notifications;
mod m20261205_000015_crm;
mod m20261205_000016_analytics;
mod m20261205_000017_trace_context;
mod m20261205_000018_first_response;
mod m20261205_000019_row_security;

pub use m20261205_000019_row_security::TENANT_TABLES;
pub use sea_orm_migration;
pub use sea_orm_migration::MigratorTrait;

use sea_orm_migration::prelude::*;

/// Every table the service uses, in dependency order; `Migrator::up` applies them and `down` reverts them.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261130_000001_tenancy::Migration),
            Box::new(m20261130_000002_leads::Migration),
            Box::new(m20261130_000003_knowledge::Migration),
            Box::new(m20261130_000004_operations::Migration),
            Box::new(m20261204_000005_contact_claims::Migration),
            Box::new(m20261205_000006_pipeline::Migration),
            Box::new(m20261205_000008_knowledge::Migration),
            Box::new(m20261205_000010_inbox::Migration),
            Box::new(m20261205_000013_booking::Migration),
            Box::new(m20261205_000014_notifications::Migration),
            Box::new(m20261205_000015_crm::Migration),
            Box::new(m20261205_000016_analytics::Migration),
            Box::new(m20261205_000017_trace_context::Migration),
            Box::new(m20261205_000018_first_response::Migration),
            Box::new(m20261205_000019_row_security::Migration),
        ]
    }
}

/// The names of every table the migrations create, for checks and tooling.
pub const TABLES: &[&str] = &[
    "clients",
    "api_keys",
    "tenant_phone_numbers",
    "leads",
    "lead_state_history",
    "conversations",
    "messages",
    "knowledge_base",
    "knowledge_chunks",
    "message_sources",
    "qualification_rules",
    "escalations",
    "usage_logs",
    "usage_alerts",
    "jobs",
    "processed_webhooks",
    "opt_outs",
    "bookings",
    "users",
    "user_sessions",
    "sign_in_failures",
    "webhook_deliveries",
    "crm_links",
    "experiments",
    "experiment_assignments",
];
