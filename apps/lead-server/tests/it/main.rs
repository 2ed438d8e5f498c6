//! End-to-end tests of the lead server over real HTTP: one binary, one module per area.

mod admin_auth;
mod anthropic;
mod booking;
mod cli;
mod clients;
mod eval_conversations;
mod helpers;
mod leads;
mod live_chat;
mod live_chat_browser;
mod postgres;
mod quick_start;
mod snapshots;
mod telemetry;
mod tenant_auth;
mod twilio;
mod validation;
mod web_form;
mod widget_history;
mod worker;
