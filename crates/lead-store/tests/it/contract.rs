//! The storage contract suites of `lead-testkit`, run against the sea-orm store.

use lead_testkit::contract;

use crate::support::{TestDb, on_both_backends};

async fn tenants(db: &TestDb) {
    contract::tenants(&db.store).await;
}

async fn intake_rules(db: &TestDb) {
    contract::intake_rules(&db.store).await;
}

async fn leads(db: &TestDb) {
    contract::leads(&db.store).await;
}

async fn messages(db: &TestDb) {
    contract::messages(&db.store).await;
}

async fn records(db: &TestDb) {
    contract::records(&db.store).await;
}

async fn job_queue(db: &TestDb) {
    contract::job_queue(&db.store).await;
}

async fn job_leases(db: &TestDb) {
    contract::job_leases(&db.store).await;
}

async fn decisions(db: &TestDb) {
    contract::decisions(&db.store).await;
}

async fn isolation(db: &TestDb) {
    contract::isolation(&db.store).await;
}

/// Every suite on one database, as the suites are written to share one.
async fn all_suites_share_one_database(db: &TestDb) {
    contract::all(&db.store).await;
}

on_both_backends! {
    contract_tenants => tenants;
    contract_intake => intake_rules;
    contract_leads => leads;
    contract_messages => messages;
    contract_records => records;
    contract_job_queue => job_queue;
    contract_job_leases => job_leases;
    contract_decisions => decisions;
    contract_isolation => isolation;
    contract_all => all_suites_share_one_database;
}

async fn bookings(db: &TestDb) {
    lead_testkit::booking_contract::bookings(&db.store).await;
}

async fn crm_links(db: &TestDb) {
    lead_testkit::crm_contract::crm_links(&db.store).await;
}

async fn retention(db: &TestDb) {
    lead_testkit::retention_contract::retention(&db.store).await;
}

on_both_backends! {
    contract_bookings => bookings;
    contract_crm_links => crm_links;
    contract_retention => retention;
}

async fn events(db: &TestDb) {
    lead_testkit::events_contract::events(&db.store).await;
}

on_both_backends! {
    contract_events => events;
}
