//! Concurrent queue workers: every job runs exactly once, jobs of one conversation never overlap
//! and run in the order they were enqueued.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use lead_domain::ids::{ConversationId, JobId, MessageId, TenantId};
use lead_domain::jobs::{JobPayload, JobStatus, NewJob, RetryDecision};
use lead_domain::ports::JobQueue;
use lead_store::SeaOrmStore;
use lead_testkit::contract::stored_tenant;
use uuid::Uuid;

use crate::support::{TestDb, on_both_backends};

const JOBS: usize = 1000;
const CONVERSATIONS: usize = 100;
const WORKERS: usize = 4;

fn t0() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_795_000_000, 0).unwrap_or_default()
}

/// What the workers saw, shared between them.
#[derive(Default)]
struct Ledger {
    /// Times each job was handed out.
    runs: HashMap<JobId, usize>,
    /// Conversations with a job in progress right now.
    in_flight: HashSet<ConversationId>,
    /// Jobs of each conversation, in the order they ran.
    order: HashMap<ConversationId, Vec<usize>>,
    /// Violations seen, reported at the end.
    overlaps: usize,
}

async fn worker(
    name: String,
    store: SeaOrmStore,
    ledger: Arc<Mutex<Ledger>>,
    index: Arc<HashMap<JobId, (ConversationId, usize)>>,
    now: DateTime<Utc>,
) {
    let lease = StdDuration::from_secs(300);
    let mut idle = 0;
    // Stop when every job ran, or after a few seconds without work (a bug).
    while idle < 500 && ledger.lock().expect("ledger").runs.len() < JOBS {
        let jobs = store.claim_due(&name, now, 8, lease).await.expect("claim");
        if jobs.is_empty() {
            idle += 1;
            tokio::time::sleep(StdDuration::from_millis(10)).await;
            continue;
        }
        idle = 0;
        for job in jobs {
            let (conversation, position) = index[&job.id];
            {
                let mut l = ledger.lock().expect("ledger");
                *l.runs.entry(job.id).or_default() += 1;
                if !l.in_flight.insert(conversation) {
                    l.overlaps += 1;
                }
                l.order.entry(conversation).or_default().push(position);
            }
            // Hold the job for a moment so that overlaps would show.
            tokio::task::yield_now().await;
            ledger
                .lock()
                .expect("ledger")
                .in_flight
                .remove(&conversation);
            store
                .complete(job.lease(), now, None)
                .await
                .expect("complete");
        }
    }
}

async fn enqueue_all(
    store: &SeaOrmStore,
    tenant: TenantId,
) -> HashMap<JobId, (ConversationId, usize)> {
    let conversations: Vec<ConversationId> = (0..CONVERSATIONS)
        .map(|_| ConversationId::from_uuid(Uuid::new_v4()))
        .collect();
    let mut index = HashMap::new();
    for n in 0..JOBS {
        let conversation = conversations[n % CONVERSATIONS];
        let job = NewJob {
            id: JobId::from_uuid(Uuid::new_v4()),
            tenant_id: tenant,
            payload: JobPayload::SendOutbound {
                conversation_id: conversation,
                message_id: MessageId::from_uuid(Uuid::new_v4()),
            },
            // Every job is due at the same instant: order must come from enqueue order.
            run_at: t0(),
            max_attempts: 3,
        };
        store.enqueue(&job).await.expect("enqueue");
        index.insert(job.id, (conversation, n / CONVERSATIONS));
    }
    index
}

async fn four_workers_run_each_job_once(db: &TestDb) {
    let (tenant, _) = stored_tenant(&db.store).await;
    let index = Arc::new(enqueue_all(&db.store, tenant.id).await);
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let now = t0() + Duration::seconds(1);
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        // A pool per worker, as separate worker processes would have.
        let store = db.another_store().await;
        tasks.push(tokio::spawn(worker(
            format!("worker-{w}"),
            store,
            ledger.clone(),
            index.clone(),
            now,
        )));
    }
    for task in tasks {
        task.await.expect("worker");
    }

    {
        let ledger = ledger.lock().expect("ledger");
        assert_eq!(ledger.runs.len(), JOBS, "every job ran");
        assert!(ledger.runs.values().all(|&n| n == 1), "no job ran twice");
        assert_eq!(
            ledger.overlaps, 0,
            "jobs of one conversation never overlapped"
        );
        for (conversation, order) in &ledger.order {
            let expected: Vec<usize> = (0..JOBS / CONVERSATIONS).collect();
            assert_eq!(
                order, &expected,
                "conversation {conversation} ran in enqueue order"
            );
        }
    }
    for id in index.keys() {
        let job = db
            .store
            .get_job(tenant.id, *id)
            .await
            .expect("get job")
            .expect("job");
        assert_eq!((job.status, job.attempts), (JobStatus::Done, 1));
    }
}

async fn retries_back_off_and_die_after_the_last_attempt(db: &TestDb) {
    let (tenant, _) = stored_tenant(&db.store).await;
    let job = NewJob {
        id: JobId::from_uuid(Uuid::new_v4()),
        tenant_id: tenant.id,
        payload: JobPayload::SendOutbound {
            conversation_id: ConversationId::from_uuid(Uuid::new_v4()),
            message_id: MessageId::from_uuid(Uuid::new_v4()),
        },
        run_at: t0(),
        max_attempts: 3,
    };
    db.store.enqueue(&job).await.expect("enqueue");
    let policy = lead_domain::jobs::RetryPolicy::default();
    let lease = StdDuration::from_secs(30);
    let mut now = t0();
    let mut waits = Vec::new();
    loop {
        let claimed = db.store.claim_due("w", now, 1, lease).await.expect("claim");
        let Some(claimed) = claimed.into_iter().next() else {
            break;
        };
        let decision = policy.decide(claimed.attempts, claimed.max_attempts, true, None, now);
        db.store
            .fail(claimed.lease(), "provider down", decision, now)
            .await
            .expect("fail");
        match decision {
            RetryDecision::RetryAt(at) => {
                waits.push((at - now).num_seconds());
                // Not before its time.
                assert!(
                    db.store
                        .claim_due("w", at - Duration::seconds(1), 1, lease)
                        .await
                        .expect("early claim")
                        .is_empty()
                );
                now = at;
            }
            RetryDecision::GiveUp => break,
        }
    }
    assert_eq!(waits, vec![2, 4], "exponential backoff between attempts");
    let stored = db
        .store
        .get_job(tenant.id, job.id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!((stored.status, stored.attempts), (JobStatus::Dead, 3));
    assert!(
        db.store
            .claim_due("w", now + Duration::days(1), 1, lease)
            .await
            .expect("claim dead")
            .is_empty()
    );
}

async fn a_crashed_worker_on_its_last_attempt_leaves_a_dead_job(db: &TestDb) {
    let (tenant, _) = stored_tenant(&db.store).await;
    let job = NewJob {
        id: JobId::from_uuid(Uuid::new_v4()),
        tenant_id: tenant.id,
        payload: JobPayload::SendOutbound {
            conversation_id: ConversationId::from_uuid(Uuid::new_v4()),
            message_id: MessageId::from_uuid(Uuid::new_v4()),
        },
        run_at: t0(),
        max_attempts: 1,
    };
    db.store.enqueue(&job).await.expect("enqueue");
    let lease = StdDuration::from_secs(30);
    assert_eq!(
        db.store
            .claim_due("w1", t0(), 1, lease)
            .await
            .expect("claim")
            .len(),
        1
    );
    // The worker dies; after the lease nobody may run the job again.
    let later = t0() + Duration::seconds(31);
    assert!(
        db.store
            .claim_due("w2", later, 1, lease)
            .await
            .expect("reclaim")
            .is_empty()
    );
    let stored = db
        .store
        .get_job(tenant.id, job.id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!(stored.status, JobStatus::Dead);
    assert!(stored.last_error.is_some());
}

on_both_backends! {
    queue_four_workers => four_workers_run_each_job_once;
    queue_backoff => retries_back_off_and_die_after_the_last_attempt;
    queue_crash_on_last_attempt => a_crashed_worker_on_its_last_attempt_leaves_a_dead_job;
}
