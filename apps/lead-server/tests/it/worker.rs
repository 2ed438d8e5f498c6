//! The queue worker pool: runs queued jobs, wakes on demand, and stops cleanly.

use lead_domain::ports::ContactInfo;
use lead_domain::usecases::{InboundRequest, accept_inbound};
use lead_server::worker::{WorkerPool, WorkerSettings};
use lead_testkit::builders::key_record;
use lead_testkit::{TenantBuilder, deps_with};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

fn settings() -> WorkerSettings {
    WorkerSettings {
        batch: 4,
        lease: Duration::from_secs(30),
        concurrency: 4,
        // A long poll, so the test proves the wake-up rather than the timer.
        poll: Duration::from_secs(30),
        drain: Duration::from_secs(5),
    }
}

#[tokio::test]
async fn workers_run_woken_jobs_and_stop_promptly() {
    let (deps, fakes) = deps_with(
        None,
        Arc::new(lead_nlu::OfflineRules),
        "2026-11-30T08:00:00Z",
    );
    let tenant = TenantBuilder::real_estate().build();
    deps.tenants
        .insert_tenant(&tenant, &key_record("hash"))
        .await
        .expect("tenant");
    let wake = Arc::new(Notify::new());
    let finished = Arc::new(Notify::new());
    let pool = WorkerPool::spawn(deps.clone(), 2, settings(), wake.clone(), finished.clone());
    assert_eq!(pool.len(), 2);
    // Let both workers reach their idle wait before the job arrives.
    tokio::time::sleep(Duration::from_millis(100)).await;

    let receipt = accept_inbound(
        &deps,
        &tenant,
        InboundRequest {
            contact: ContactInfo {
                phone: lead_domain::contact::PhoneNumber::parse("+966501234567").ok(),
                ..ContactInfo::default()
            },
            body: Some("I want to buy an apartment in Dammam".to_owned()),
            ..InboundRequest::default()
        },
    )
    .await
    .expect("intake");
    // Registered before the wake-up so the notification of the first batch cannot be missed.
    let batch_done = finished.notified();
    tokio::pin!(batch_done);
    batch_done.as_mut().enable();
    wake.notify_one();
    tokio::time::timeout(Duration::from_secs(5), batch_done)
        .await
        .expect("the workers announce a finished batch");

    let started = Instant::now();
    let mut state = lead_domain::lifecycle::LeadState::New;
    while started.elapsed() < Duration::from_secs(5) {
        let lead = deps
            .leads
            .get_lead(tenant.id, receipt.lead_id)
            .await
            .expect("lead")
            .expect("exists");
        state = lead.state;
        if state != lead_domain::lifecycle::LeadState::New {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(state, lead_domain::lifecycle::LeadState::Qualifying);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the wake-up did not cut the 30 s poll short"
    );
    // The reply was stored and its send job run against the recording sender.
    let sent_within = Instant::now();
    while fakes.sender.sent().is_empty() && sent_within.elapsed() < Duration::from_secs(5) {
        wake.notify_one();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(fakes.sender.sent().len(), 1);

    let stopping = Instant::now();
    pool.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(2),
        "idle workers must stop at once"
    );
}

#[tokio::test]
async fn zero_workers_is_an_empty_pool() {
    let (deps, _) = deps_with(
        None,
        Arc::new(lead_nlu::OfflineRules),
        "2026-11-30T08:00:00Z",
    );
    let pool = WorkerPool::spawn(
        deps,
        0,
        settings(),
        Arc::new(Notify::new()),
        Arc::new(Notify::new()),
    );
    assert!(pool.is_empty());
    pool.stop().await;
}
