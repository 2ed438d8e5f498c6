//! End-to-end tests of the lead server over real HTTP: one binary, one module per area.

mod admin_auth;
mod clients;
mod helpers;
mod leads;
mod quick_start;
mod snapshots;
mod tenant_auth;
mod validation;
mod web_form;
