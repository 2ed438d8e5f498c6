//! Tests of the fakes against the contract suites, and of the use cases on fakes and mocks.
// Tests make their own random ids, read the real clock, and fail by panicking.
#![allow(clippy::disallowed_methods, clippy::expect_used, clippy::unwrap_used)]

mod contract;
mod conversation;
mod crm;
mod events;
mod pipeline;
mod usecases;
