//! End-to-end tests of the lead server over real HTTP: one binary, one module per area.
// Tests make their own random ids, read the real clock, and fail by panicking.
#![allow(clippy::disallowed_methods, clippy::expect_used, clippy::unwrap_used)]

mod abuse;
mod admin_auth;
mod analytics;
mod analytics_browser;
mod anthropic;
mod booking;
mod cli;
mod clients;
mod crm;
mod deploy;
mod error_reporting;
mod eval_conversations;
mod experiments_forms;
mod fuzz;
mod helpers;
mod http_conventions;
mod inbox;
mod inbox_browser;
mod inbox_settings;
mod jobs_admin;
mod knowledge;
mod leads;
mod live_chat;
mod live_chat_browser;
mod metrics;
mod notifications;
mod openapi;
mod postgres;
mod quick_start;
mod smtp_sink;
mod snapshots;
mod telemetry;
mod tenant_auth;
mod tracing_e2e;
mod twilio;
mod validation;
mod web_form;
mod widget_history;
mod worker;
