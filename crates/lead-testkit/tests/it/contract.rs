//! The in-memory store passes every storage contract suite.

use lead_testkit::{InMemoryStore, contract};

#[tokio::test]
async fn in_memory_store_meets_every_contract() {
    contract::all(&InMemoryStore::new()).await;
}

#[tokio::test]
async fn the_in_memory_store_passes_the_booking_contract() {
    lead_testkit::booking_contract::bookings(&InMemoryStore::new()).await;
}

#[tokio::test]
async fn the_in_memory_store_passes_the_events_contract() {
    lead_testkit::events_contract::events(&InMemoryStore::new()).await;
}

#[tokio::test]
async fn the_in_memory_store_passes_the_crm_link_contract() {
    lead_testkit::crm_contract::crm_links(&InMemoryStore::new()).await;
}

#[tokio::test]
async fn the_in_memory_store_passes_the_retention_contract() {
    lead_testkit::retention_contract::retention(&InMemoryStore::new()).await;
}
