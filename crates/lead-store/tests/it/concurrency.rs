//! Concurrent intakes of one contact yield one lead, on both backends.

use std::sync::Arc;

use chrono::Duration;
use lead_domain::ids::TenantId;
use lead_domain::jobs::JobStatus;
use lead_domain::ports::{InboundIntake, JobQueue, LeadFilter, LeadRepository, Page};
use lead_testkit::contract::{intake, random_phone, stored_tenant};
use uuid::Uuid;

use crate::support::{TestDb, fresh_ids, on_both_backends, t0};

const PARALLEL: usize = 50;

/// Runs `PARALLEL` intakes at once, each on its own task, through several pools.
async fn run_parallel(
    db: &TestDb,
    intakes: Vec<InboundIntake>,
) -> Vec<lead_domain::ports::IntakeReceipt> {
    let stores = [
        db.store.clone(),
        db.another_store().await,
        db.another_store().await,
    ];
    let start = Arc::new(tokio::sync::Barrier::new(intakes.len()));
    let tasks: Vec<_> = intakes
        .into_iter()
        .enumerate()
        .map(|(n, intake)| {
            let store = stores[n % stores.len()].clone();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                store.record_inbound(&intake).await
            })
        })
        .collect();
    let mut receipts = Vec::new();
    for task in tasks {
        receipts.push(task.await.expect("intake task").expect("intake"));
    }
    receipts
}

async fn one_phone_yields_one_lead(db: &TestDb) {
    let (tenant, _) = stored_tenant(&db.store).await;
    let phone = random_phone();
    let intakes = (0..PARALLEL)
        .map(|n| {
            let at = t0() + Duration::milliseconds(n as i64);
            fresh_ids(intake(
                tenant.id,
                Some(phone.clone()),
                &format!("message {n}"),
                at,
            ))
        })
        .collect();
    let receipts = run_parallel(db, intakes).await;

    let leads = db
        .store
        .list_leads(
            tenant.id,
            &LeadFilter::default(),
            Page {
                limit: 200,
                offset: 0,
            },
        )
        .await
        .expect("list leads");
    assert_eq!(leads.total, 1, "one lead for one phone");
    let lead_id = leads.items[0].id;
    assert!(receipts.iter().all(|r| r.lead_id == lead_id));
    assert_eq!(receipts.iter().filter(|r| r.lead_created).count(), 1);

    let conversation = receipts[0].conversation_id;
    assert!(
        receipts.iter().all(|r| r.conversation_id == conversation),
        "one open conversation"
    );
    let messages = db
        .store
        .list_messages(
            tenant.id,
            conversation,
            Page {
                limit: 200,
                offset: 0,
            },
        )
        .await
        .expect("list messages");
    assert_eq!(messages.total, PARALLEL as u64);
    let conv = db
        .store
        .get_conversation(tenant.id, conversation)
        .await
        .expect("get conversation")
        .expect("conversation");
    assert_eq!(conv.exchanges as usize, PARALLEL);

    // Every intake enqueued its own job, all queued.
    for receipt in &receipts {
        let job = db
            .store
            .get_job(tenant.id, receipt.job_id.expect("job id"))
            .await
            .expect("get job")
            .expect("job");
        assert_eq!(job.status, JobStatus::Queued);
    }
}

async fn one_webhook_delivered_concurrently_is_stored_once(db: &TestDb) {
    let (tenant, _) = stored_tenant(&db.store).await;
    let mut base = intake(tenant.id, Some(random_phone()), "hello", t0());
    base.dedup_key = Some(("twilio".into(), format!("SM{}", Uuid::new_v4().simple())));
    let intakes = (0..PARALLEL / 5).map(|_| fresh_ids(base.clone())).collect();
    let receipts = run_parallel(db, intakes).await;
    assert_eq!(receipts.iter().filter(|r| !r.duplicate).count(), 1);
    let first = receipts
        .iter()
        .find(|r| !r.duplicate)
        .expect("the stored one");
    assert!(
        receipts
            .iter()
            .all(|r| r.message_id == first.message_id && r.lead_id == first.lead_id)
    );
    let messages = db
        .store
        .list_messages(tenant.id, first.conversation_id, Page::default())
        .await
        .expect("list messages");
    assert_eq!(messages.total, 1);
}

async fn different_tenants_do_not_share_leads(db: &TestDb) {
    let tenants: Vec<TenantId> = {
        let mut ids = Vec::new();
        for _ in 0..5 {
            ids.push(stored_tenant(&db.store).await.0.id);
        }
        ids
    };
    let phone = random_phone();
    let intakes = (0..PARALLEL)
        .map(|n| {
            fresh_ids(intake(
                tenants[n % tenants.len()],
                Some(phone.clone()),
                "hi",
                t0(),
            ))
        })
        .collect();
    run_parallel(db, intakes).await;
    for tenant in tenants {
        let leads = db
            .store
            .list_leads(tenant, &LeadFilter::default(), Page::default())
            .await
            .expect("list leads");
        assert_eq!(leads.total, 1);
    }
}

on_both_backends! {
    parallel_intakes_of_one_phone => one_phone_yields_one_lead;
    parallel_webhook_replays => one_webhook_delivered_concurrently_is_stored_once;
    parallel_intakes_across_tenants => different_tenants_do_not_share_leads;
}
