//! The domain of the lead response service: lifecycle, qualification, scoring, escalation,
//! business hours, bilingual templates, the ports adapters implement and the use cases.
//!
//! This crate does no I/O and knows no framework, so any Rust service can embed it.

pub mod analytics;
pub mod booking;
pub mod contact;
pub mod corrections;
pub mod crm;
pub mod escalation;
pub mod events;
pub mod experiments;
pub mod hours;
pub mod ids;
pub mod inbox;
pub mod jobs;
pub mod knowledge;
pub mod language;
pub mod lead;
pub mod lifecycle;
pub mod notifications;
pub mod pipeline;
pub mod ports;
pub mod qualification;
pub mod retention;
pub mod scoring;
pub mod templates;
pub mod tenant;
pub mod usecases;
pub mod users;
