//! Integration tests for lead-channels: Twilio's API and SMTP against local servers, and
//! property tests over the parsers.
// Tests make their own random ids, read the real clock, and fail by panicking.
#![allow(clippy::disallowed_methods, clippy::expect_used, clippy::unwrap_used)]

mod calcom;
mod egress;
mod email;
mod hubspot;
mod properties;
mod sender;
mod twilio_client;
