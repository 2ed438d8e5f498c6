//! Tests of the fakes against the contract suites, and of the use cases on fakes and mocks.

mod contract;
mod conversation;
mod events;
mod pipeline;
mod usecases;
