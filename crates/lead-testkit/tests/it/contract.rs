//! The in-memory store passes every storage contract suite.

use lead_testkit::{InMemoryStore, contract};

#[tokio::test]
async fn in_memory_store_meets_every_contract() {
    contract::all(&InMemoryStore::new()).await;
}
