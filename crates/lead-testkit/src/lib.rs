//! Test support for the lead response service: in-memory fakes of every port, builders, and
//! contract suites that hold the fakes and the real adapters to the same behaviour.
// Tests and fakes make their own random ids and read the real clock.
#![allow(clippy::disallowed_methods, clippy::expect_used)]

pub mod booking_contract;
pub mod builders;
pub mod contract;
pub mod crm_contract;
pub mod events_contract;
pub mod fakes;
pub mod knowledge;
pub mod knowledge_contract;
pub mod memory;
pub mod retention_contract;

pub use builders::{TenantBuilder, deps_with};
pub use fakes::{
    FixedClock, RecordingNotifier, RecordingSender, RecordingTeam, ScriptedExtractor,
    ScriptedModel, ScriptedWebhooks, SequentialIds,
};
pub use knowledge::InMemoryKnowledge;
pub use memory::InMemoryStore;
