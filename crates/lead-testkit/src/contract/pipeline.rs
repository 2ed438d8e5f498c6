//! Contract suites of the pipeline's storage: fenced job leases, dead-job re-drive, and decisions
//! committed once with their job.

use super::{Store, id, ok, random_phone, some, stored_tenant, t0};
use chrono::Duration;
use lead_domain::escalation::EscalationReason;
use lead_domain::ids::{ConversationId, EscalationId, JobId, MessageId};
use lead_domain::jobs::{Job, JobPayload, JobStatus, Notice, RetryDecision};
use lead_domain::lead::{Channel, DeliveryStatus, Direction, Escalation, Sender};
use lead_domain::pipeline::{CommitError, Completion, Decision, KeyedEscalation, KeyedReply};
use lead_domain::ports::{NewMessage, Page, StoreError};
use std::time::Duration as StdDuration;

fn held(jobs: Vec<Job>, id: JobId) -> Job {
    some(jobs.into_iter().find(|j| j.id == id), "the claimed job")
}

/// Leases: a claim raises the fencing token; a worker whose lease ran out and was claimed again
/// can neither renew, complete nor fail the job; the current holder can. Dead jobs are listed and
/// re-driven once.
pub async fn job_leases<S: Store + ?Sized>(store: &S) {
    let (tenant, _) = stored_tenant(store).await;
    let payload = JobPayload::SendOutbound {
        conversation_id: ConversationId::from_uuid(id()),
        message_id: MessageId::from_uuid(id()),
    };
    let job = payload.job(JobId::from_uuid(id()), tenant.id, t0());
    ok(store.enqueue(&job).await, "enqueue");
    let lease = StdDuration::from_secs(10);
    let first = held(
        ok(store.claim_due("w1", t0(), 50, lease).await, "claim"),
        job.id,
    );
    // A heartbeat keeps the job: at 8 s the lease is extended to 18 s.
    assert!(ok(
        store
            .renew(first.lease(), t0() + Duration::seconds(8), lease)
            .await,
        "renew"
    ));
    let mine = |jobs: Vec<Job>| jobs.into_iter().any(|j| j.id == job.id);
    assert!(
        !mine(ok(
            store
                .claim_due("w2", t0() + Duration::seconds(12), 50, lease)
                .await,
            "claim while renewed"
        )),
        "a renewed lease holds"
    );
    // The heartbeat stops (a stalled worker); the lease runs out and w2 claims the job.
    let later = t0() + Duration::seconds(30);
    let second = held(
        ok(store.claim_due("w2", later, 50, lease).await, "reclaim"),
        job.id,
    );
    assert!(
        second.lease_token > first.lease_token,
        "a claim raises the token"
    );
    assert!(!ok(
        store.renew(first.lease(), later, lease).await,
        "stale renew"
    ));
    assert!(matches!(
        store.complete(first.lease(), later, None).await,
        Err(StoreError::Stale(_))
    ));
    assert!(matches!(
        store
            .fail(first.lease(), "late", RetryDecision::GiveUp, later)
            .await,
        Err(StoreError::Stale(_))
    ));
    let still = some(ok(store.get_job(tenant.id, job.id).await, "get"), "job");
    assert_eq!(
        still.status,
        JobStatus::Running,
        "the stale worker changed nothing"
    );
    // The holder gives up: the job is dead, listed, and re-driven exactly once.
    ok(
        store
            .fail(
                second.lease(),
                "provider down",
                RetryDecision::GiveUp,
                later,
            )
            .await,
        "dead",
    );
    let dead = ok(
        store
            .list_jobs(
                JobStatus::Dead,
                Page {
                    limit: 200,
                    offset: 0,
                },
            )
            .await,
        "list dead",
    );
    assert!(dead.items.iter().any(|j| j.id == job.id));
    let redrive = later + Duration::seconds(5);
    assert!(ok(store.retry_dead(job.id, redrive).await, "re-drive"));
    assert!(!ok(
        store.retry_dead(job.id, redrive).await,
        "re-drive twice"
    ));
    let queued = some(ok(store.get_job(tenant.id, job.id).await, "get"), "job");
    assert_eq!((queued.status, queued.attempts), (JobStatus::Queued, 0));
    let third = held(
        ok(
            store.claim_due("w3", redrive, 50, lease).await,
            "claim again",
        ),
        job.id,
    );
    ok(
        store.complete(third.lease(), redrive, None).await,
        "complete",
    );
    assert!(!ok(
        store.retry_dead(JobId::from_uuid(id()), redrive).await,
        "unknown job"
    ));
}

/// Decisions: stored with the job's completion or not at all; a stale lease or a changed lead
/// stores nothing; applied again, every effect keyed by its cause is stored once.
pub async fn decisions<S: Store + ?Sized>(store: &S) {
    let (tenant, _) = stored_tenant(store).await;
    let phone = random_phone();
    let receipt = ok(
        store
            .record_inbound(&super::intake(
                tenant.id,
                Some(phone),
                "I want a villa",
                t0(),
            ))
            .await,
        "intake",
    );
    let inbound = some(receipt.message_id, "inbound message");
    let job_id = some(receipt.job_id, "processing job");
    let now = t0() + Duration::seconds(1);
    let claimed = held(
        ok(
            store
                .claim_due("w1", now, 200, StdDuration::from_secs(60))
                .await,
            "claim",
        ),
        job_id,
    );
    let lead = some(
        ok(store.get_lead(tenant.id, receipt.lead_id).await, "lead"),
        "lead",
    );
    let conversation = some(
        ok(
            store
                .get_conversation(tenant.id, receipt.conversation_id)
                .await,
            "conversation",
        ),
        "conversation",
    );
    let decision = |lead: &lead_domain::lead::Lead| {
        let mut lead = lead.clone();
        lead.name = Some("Ahmed Decided".into());
        let mut conversation = conversation.clone();
        conversation.escalated = true;
        let reply_id = MessageId::from_uuid(id());
        let reason = EscalationReason::HumanRequested;
        Decision {
            lead: lead.clone(),
            changes: Vec::new(),
            conversation,
            escalations: vec![KeyedEscalation::caused_by(
                inbound,
                Escalation {
                    id: EscalationId::from_uuid(id()),
                    tenant_id: tenant.id,
                    conversation_id: receipt.conversation_id,
                    lead_id: lead.id,
                    reason: reason.clone(),
                    created_at: now,
                    released_at: None,
                    raised_by: "ai".into(),
                    released_by: None,
                },
            )],
            reply: Some(KeyedReply {
                cause: inbound,
                message: NewMessage {
                    id: reply_id,
                    tenant_id: tenant.id,
                    conversation_id: receipt.conversation_id,
                    direction: Direction::Outbound,
                    sender: Sender::Ai,
                    channel: Channel::Sms,
                    body: "A person will call you".into(),
                    language: None,
                    delivery: DeliveryStatus::Pending,
                    created_at: now,
                },
            }),
            jobs: vec![
                JobPayload::SendOutbound {
                    conversation_id: receipt.conversation_id,
                    message_id: reply_id,
                }
                .job(JobId::from_uuid(id()), tenant.id, now),
                JobPayload::Notify {
                    lead_id: lead.id,
                    conversation_id: receipt.conversation_id,
                    cause: inbound,
                    notice: Notice::Escalated {
                        reasons: vec![reason],
                    },
                }
                .job(JobId::from_uuid(id()), tenant.id, now),
            ],
        }
    };
    let completion = |lease| {
        Some(Completion {
            lease,
            at: now,
            note: Some("offline qualifier answered".into()),
        })
    };
    // A lease that is not the job's current one stores nothing.
    let stale = lead_domain::jobs::JobLease {
        id: job_id,
        token: claimed.lease_token + 7,
    };
    assert!(matches!(
        store
            .commit_decision(&decision(&lead), completion(stale))
            .await,
        Err(CommitError::LeaseLost(_))
    ));
    let unchanged = some(ok(store.get_lead(tenant.id, lead.id).await, "lead"), "lead");
    assert_eq!(
        unchanged.version, lead.version,
        "nothing stored under a stale lease"
    );
    // The holder's commit stores everything and completes the job.
    ok_commit(
        store
            .commit_decision(&decision(&lead), completion(claimed.lease()))
            .await,
    );
    let job = some(ok(store.get_job(tenant.id, job_id).await, "job"), "job");
    assert_eq!(
        (job.status, job.last_error.as_deref()),
        (JobStatus::Done, Some("offline qualifier answered"))
    );
    let stored = some(ok(store.get_lead(tenant.id, lead.id).await, "lead"), "lead");
    assert_eq!(stored.name.as_deref(), Some("Ahmed Decided"));
    // A decision made from the old version is refused.
    assert!(matches!(
        store.commit_decision(&decision(&lead), None).await,
        Err(CommitError::LeadChanged(_))
    ));
    // The same decision made again from the new version stores no effect twice.
    ok_commit(store.commit_decision(&decision(&stored), None).await);
    let escalations = ok(
        store
            .conversation_escalations(tenant.id, receipt.conversation_id)
            .await,
        "escalations",
    );
    assert_eq!(
        escalations.len(),
        1,
        "one escalation per inbound message and reason"
    );
    let messages = ok(
        store
            .list_messages(tenant.id, receipt.conversation_id, Page::default())
            .await,
        "messages",
    );
    let replies = messages
        .items
        .iter()
        .filter(|m| m.direction == Direction::Outbound)
        .count();
    assert_eq!(replies, 1, "one reply per inbound message");
    let queued = ok(
        store
            .list_jobs(
                JobStatus::Queued,
                Page {
                    limit: 200,
                    offset: 0,
                },
            )
            .await,
        "queued",
    );
    let mine: Vec<&str> = queued
        .items
        .iter()
        .filter(|j| j.tenant_id == tenant.id)
        .map(|j| j.payload.kind())
        .collect();
    assert_eq!(
        (
            mine.iter().filter(|k| **k == "send_outbound").count(),
            mine.iter().filter(|k| **k == "notify").count()
        ),
        (1, 1),
        "one send and one notification, whatever the number of commits"
    );
    let conversation = some(
        ok(
            store
                .get_conversation(tenant.id, receipt.conversation_id)
                .await,
            "conversation",
        ),
        "conversation",
    );
    assert!(conversation.escalated);
}

fn ok_commit(r: Result<(), CommitError>) {
    if let Err(e) = r {
        panic!("commit: {e}");
    }
}
