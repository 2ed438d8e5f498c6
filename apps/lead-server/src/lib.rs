//! The lead response service as a library: settings, wiring, HTTP routes, auth, workers and the
//! command line, so integration tests boot exactly what the binary runs.

pub mod adapters;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod conventions;
pub mod error;
pub mod error_reporting;
pub mod eval;
pub mod eval_conversations;
pub mod eval_knowledge;
pub mod extract;
pub mod guards;
pub mod healthcheck;
pub mod housekeeping;
pub mod limits;
pub mod metrics;
pub mod phone;
pub mod presets;
pub mod problems;
pub mod proxies;
pub mod qualifier;
pub mod ratelimit;
pub mod routes;
pub mod secret_keys;
pub mod startup;
pub mod state;
pub mod storage;
pub mod streams;
pub mod telemetry;
pub mod tracing_http;
pub mod views;
pub mod wakeups;
pub mod worker;
