//! Group commit: intakes stored together behave as if each had its own transaction.

use std::sync::Arc;

use chrono::Duration;
use lead_domain::contact::Email;
use lead_domain::ports::{LeadFilter, LeadRepository, Page, StoreError, WebhookLog};
use lead_store::{SeaOrmStore, StoreOptions};
use lead_testkit::contract::{intake, random_phone, stored_tenant};
use sea_orm::{ConnectionTrait, Database, Statement};
use uuid::Uuid;

use crate::support::{Kind, TestDb, fresh_ids, on_both_backends, t0};

async fn lead_count(store: &SeaOrmStore, tenant: lead_domain::ids::TenantId) -> u64 {
    store
        .list_leads(tenant, &LeadFilter::default(), Page::default())
        .await
        .expect("list leads")
        .total
}

/// The number of transactions that wrote the rows of `table` on PostgreSQL (a row's `xmin`
/// names the transaction that wrote it); `None` on SQLite.
async fn writing_transactions(db: &TestDb, table: &str) -> Option<i64> {
    let Kind::Postgres = db.kind() else {
        return None;
    };
    let conn = Database::connect(&db.url).await.expect("connect");
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            format!("SELECT count(DISTINCT xmin::text) AS n FROM {table}"),
        ))
        .await
        .expect("count transactions")
        .expect("a row");
    Some(row.try_get("", "n").expect("n"))
}

/// One batch holding new contacts, a repeat contact and a repeated webhook: stored in one
/// transaction, as if each intake had been stored on its own, in order.
async fn a_batch_behaves_like_separate_transactions(db: &TestDb) {
    let (tenant, _) = stored_tenant(&db.store).await;
    let phone = random_phone();
    let first = intake(tenant.id, Some(phone.clone()), "first", t0());
    let again = intake(
        tenant.id,
        Some(phone.clone()),
        "second",
        t0() + Duration::seconds(1),
    );
    let mut hooked = intake(tenant.id, Some(random_phone()), "hook", t0());
    hooked.dedup_key = Some(("twilio".into(), format!("SM{}", Uuid::new_v4().simple())));
    let hooked_again = fresh_ids(hooked.clone());
    let mut by_email = intake(tenant.id, None, "by email", t0());
    by_email.contact.email = Some(Email::parse("batch@example.com").expect("email"));
    let fine = intake(tenant.id, Some(random_phone()), "fine", t0());

    let outcomes = db
        .store
        .record_inbound_many(&[first, again, hooked, hooked_again, by_email, fine])
        .await;
    let receipts: Vec<_> = outcomes
        .into_iter()
        .map(|o| o.expect("every intake stored"))
        .collect();
    let [first, again, hooked, hooked_again, by_email, fine] = &receipts[..] else {
        panic!("six receipts, got {}", receipts.len());
    };
    assert!(first.lead_created && !again.lead_created);
    assert_eq!(first.lead_id, again.lead_id);
    assert_eq!(first.conversation_id, again.conversation_id);
    assert!(!hooked.duplicate && hooked_again.duplicate);
    assert_eq!(hooked.message_id, hooked_again.message_id);
    assert!(by_email.lead_created && fine.lead_created);
    assert!(receipts.iter().all(|r| r.message_id.is_some()));
    let jobs: std::collections::HashSet<_> = receipts.iter().filter_map(|r| r.job_id).collect();
    assert_eq!(
        jobs.len(),
        5,
        "the repeated webhook answers with the first job"
    );

    assert_eq!(lead_count(&db.store, tenant.id).await, 4);
    let messages = db
        .store
        .list_messages(tenant.id, first.conversation_id, Page::default())
        .await
        .expect("list messages");
    assert_eq!(messages.total, 2);
    let conversation = db
        .store
        .get_conversation(tenant.id, first.conversation_id)
        .await
        .expect("get conversation")
        .expect("conversation");
    assert_eq!(conversation.exchanges, 2);
    for table in ["leads", "messages", "jobs"] {
        if let Some(transactions) = writing_transactions(db, table).await {
            assert_eq!(transactions, 1, "one transaction wrote the {table}");
        }
    }
}

/// An intake that must fail is reported alone; the rest of its batch is stored.
async fn a_failing_intake_fails_alone(db: &TestDb) {
    let (tenant, _) = stored_tenant(&db.store).await;
    let mut refused = intake(tenant.id, Some(random_phone()), "refused", t0());
    let taken = format!("SM{}", Uuid::new_v4().simple());
    assert!(
        db.store
            .first_time(tenant.id, "twilio", &taken, t0())
            .await
            .expect("record a webhook id without an intake")
    );
    refused.dedup_key = Some(("twilio".into(), taken));
    let before = intake(tenant.id, Some(random_phone()), "before", t0());
    let after = intake(tenant.id, Some(random_phone()), "after", t0());
    let outcomes = db
        .store
        .record_inbound_many(&[before, refused, after])
        .await;
    assert!(outcomes[0].as_ref().is_ok_and(|r| r.lead_created));
    assert!(
        matches!(outcomes[1], Err(StoreError::Conflict(_))),
        "{:?}",
        outcomes[1]
    );
    assert!(outcomes[2].as_ref().is_ok_and(|r| r.lead_created));
    assert_eq!(lead_count(&db.store, tenant.id).await, 2);
}

/// Many concurrent intakes through one lane: every one stored once and answered with its
/// own lead, and on PostgreSQL (where a row's `xmin` names the transaction that wrote it)
/// far fewer transactions than intakes.
async fn concurrent_intakes_share_commits(db: &TestDb) {
    const INTAKES: usize = 200;
    let options = StoreOptions {
        intake_lanes: 1,
        ..StoreOptions::default()
    };
    let store = SeaOrmStore::connect_with(&db.url, options)
        .await
        .expect("open a one-lane store");
    let (tenant, _) = stored_tenant(&store).await;
    let start = Arc::new(tokio::sync::Barrier::new(INTAKES));
    let tasks: Vec<_> = (0..INTAKES)
        .map(|n| {
            let store = store.clone();
            let start = start.clone();
            let intake = intake(tenant.id, Some(random_phone()), &format!("lead {n}"), t0());
            tokio::spawn(async move {
                start.wait().await;
                let receipt = store.record_inbound(&intake).await;
                (intake.ids.lead, receipt)
            })
        })
        .collect();
    for task in tasks {
        let (lead, receipt) = task.await.expect("intake task");
        let receipt = receipt.expect("intake");
        assert!(receipt.lead_created && !receipt.duplicate);
        assert_eq!(receipt.lead_id, lead, "each caller gets its own receipt");
    }
    assert_eq!(lead_count(&store, tenant.id).await, INTAKES as u64);

    if let Some(transactions) = writing_transactions(db, "leads").await {
        assert!(
            transactions <= (INTAKES / 4) as i64,
            "{transactions} transactions stored {INTAKES} leads"
        );
    }
}

on_both_backends! {
    batch_semantics => a_batch_behaves_like_separate_transactions;
    batch_failure => a_failing_intake_fails_alone;
    group_commit => concurrent_intakes_share_commits;
}
