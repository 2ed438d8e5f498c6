//! Integration tests for lead-channels: Twilio's API and SMTP against local servers, and
//! property tests over the parsers.

mod calcom;
mod email;
mod properties;
mod sender;
mod twilio_client;
