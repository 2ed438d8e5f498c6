//! The knowledge-base contract suite of `lead-testkit`, run against the sea-orm store on both
//! backends, and the in-memory fake held to the same suite.

use lead_testkit::{InMemoryKnowledge, InMemoryStore, knowledge_contract};

use crate::support::{TestDb, on_both_backends};

async fn documents(db: &TestDb) {
    knowledge_contract::documents(&db.store, &db.store).await;
}

async fn search(db: &TestDb) {
    knowledge_contract::search(&db.store, &db.store).await;
}

async fn isolation(db: &TestDb) {
    knowledge_contract::isolation(&db.store, &db.store).await;
}

async fn sources(db: &TestDb) {
    knowledge_contract::sources(&db.store, &db.store).await;
}

on_both_backends! {
    knowledge_documents => documents;
    knowledge_search => search;
    knowledge_isolation => isolation;
    knowledge_sources => sources;
}

#[tokio::test]
async fn the_in_memory_fake_keeps_the_same_contract() {
    knowledge_contract::all(&InMemoryStore::new(), &InMemoryKnowledge::new()).await;
}
