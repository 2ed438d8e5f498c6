//! The contract of the `EventStore` port and of events stored with a processing decision: an
//! event exists if and only if its decision committed, once; a delivery exists once per event and
//! endpoint with one job; attempts are recorded; deliveries are scoped by tenant.

use crate::contract::{Store, intake, random_phone, stored_tenant};
use chrono::{DateTime, Duration, Utc};
use lead_domain::events::{
    AttemptOutcome, DeliveryAttempt, DeliveryFilter, DeliveryStatus, DomainEvent, EventData,
    EventStore, EventType, WebhookDelivery,
};
use lead_domain::ids::{JobId, TenantId};
use lead_domain::jobs::{JobLease, JobPayload, JobStatus, NewJob};
use lead_domain::pipeline::{CommitError, Completion, Decision};
use lead_domain::ports::{Page, StoreError};
use std::time::Duration as StdDuration;

fn ok<T, E: std::fmt::Display>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: {e}"),
    }
}

fn some<T>(v: Option<T>, what: &str) -> T {
    match v {
        Some(v) => v,
        None => panic!("{what}: found nothing"),
    }
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T09:00:00Z")
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

fn id() -> uuid::Uuid {
    uuid::Uuid::new_v4()
}

async fn queued_kinds<S: Store + ?Sized>(store: &S, tenant: TenantId, kind: &str) -> usize {
    let mut n = 0;
    for status in [JobStatus::Queued, JobStatus::Running, JobStatus::Done] {
        let page = ok(
            store
                .list_jobs(
                    status,
                    Page {
                        limit: 200,
                        offset: 0,
                    },
                )
                .await,
            "jobs",
        );
        n += page
            .items
            .iter()
            .filter(|j| j.tenant_id == tenant && j.payload.kind() == kind)
            .count();
    }
    n
}

fn event(tenant: TenantId, kind: EventType) -> DomainEvent {
    DomainEvent::new(id(), kind, tenant, t0(), EventData::default())
}

fn delivery(event: &DomainEvent, endpoint: &str) -> (WebhookDelivery, NewJob) {
    let d = WebhookDelivery {
        id: format!("whd_{}", id().simple()),
        tenant_id: event.client_id,
        event_id: event.id.clone(),
        event_type: event.kind,
        endpoint_id: endpoint.to_owned(),
        url: "https://hooks.example/lead".to_owned(),
        event: event.clone(),
        status: DeliveryStatus::Pending,
        attempts: Vec::new(),
        next_attempt_at: Some(t0()),
        created_at: t0(),
        updated_at: t0(),
    };
    let job = JobPayload::DeliverWebhook {
        delivery_id: d.id.clone(),
        round: 0,
    }
    .job(JobId::from_uuid(id()), event.client_id, t0());
    (d, job)
}

/// Runs every part of the contract.
pub async fn events<S: Store + EventStore + ?Sized>(store: &S) {
    events_commit_with_their_decision(store).await;
    deliveries(store).await;
}

/// An event queued in a decision is stored only when the decision commits, and once however often
/// the decision is applied.
pub async fn events_commit_with_their_decision<S: Store + ?Sized>(store: &S) {
    let (tenant, _) = stored_tenant(store).await;
    let receipt = ok(
        store
            .record_inbound(&intake(
                tenant.id,
                Some(random_phone()),
                "villa, 2M, now",
                t0(),
            ))
            .await,
        "intake",
    );
    let job_id = some(receipt.job_id, "processing job");
    let now = t0() + Duration::seconds(1);
    let claimed = some(
        ok(
            store
                .claim_due("w1", now, 200, StdDuration::from_secs(60))
                .await,
            "claim",
        )
        .into_iter()
        .find(|j| j.id == job_id),
        "claimed job",
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
        let hot = event(tenant.id, EventType::LeadHot);
        Decision {
            lead: lead.clone(),
            changes: Vec::new(),
            conversation: conversation.clone(),
            escalations: Vec::new(),
            reply: None,
            jobs: vec![
                hot.into_job(
                    &receipt
                        .message_id
                        .map_or_else(String::new, |m| m.to_string()),
                    JobId::from_uuid(id()),
                ),
            ],
        }
    };
    // A decision that rolls back (its job's lease was lost) leaves no event behind.
    let stale = JobLease {
        id: job_id,
        token: claimed.lease_token + 3,
    };
    let rolled_back = store
        .commit_decision(
            &decision(&lead),
            Some(Completion {
                lease: stale,
                at: now,
                note: None,
            }),
        )
        .await;
    assert!(matches!(rolled_back, Err(CommitError::LeaseLost(_))));
    assert_eq!(
        queued_kinds(store, tenant.id, "dispatch_event").await,
        0,
        "no event for a change that rolled back"
    );
    // A decision from a version that moved on stores nothing either.
    let mut moved = lead.clone();
    moved.version += 5;
    assert!(matches!(
        store.commit_decision(&decision(&moved), None).await,
        Err(CommitError::LeadChanged(_))
    ));
    assert_eq!(queued_kinds(store, tenant.id, "dispatch_event").await, 0);
    // The commit stores the event; the same decision applied again does not store it twice.
    ok(
        store
            .commit_decision(
                &decision(&lead),
                Some(Completion {
                    lease: claimed.lease(),
                    at: now,
                    note: None,
                }),
            )
            .await,
        "commit",
    );
    let stored = some(ok(store.get_lead(tenant.id, lead.id).await, "lead"), "lead");
    ok(
        store.commit_decision(&decision(&stored), None).await,
        "commit again",
    );
    assert_eq!(
        queued_kinds(store, tenant.id, "dispatch_event").await,
        1,
        "the event exists once"
    );
}

/// Deliveries: one per event and endpoint with one job; attempts recorded in order; listed newest
/// first and by status; re-sent once per round; invisible to other tenants.
pub async fn deliveries<S: Store + EventStore + ?Sized>(store: &S) {
    let (tenant, _) = stored_tenant(store).await;
    let (other, _) = stored_tenant(store).await;
    let e = event(tenant.id, EventType::LeadHot);
    let (d1, j1) = delivery(&e, "we_one");
    let (d2, j2) = delivery(&e, "we_two");
    ok(
        store.fan_out(&[d1.clone(), d2.clone()], &[j1, j2]).await,
        "fan out",
    );
    // The dispatch runs again (a retried job): new ids, same event and endpoints.
    let (d1_again, j1_again) = delivery(&e, "we_one");
    ok(
        store
            .fan_out(std::slice::from_ref(&d1_again), &[j1_again])
            .await,
        "fan out again",
    );
    let all = ok(
        store
            .list_deliveries(
                tenant.id,
                &DeliveryFilter {
                    status: None,
                    limit: 50,
                    offset: 0,
                },
            )
            .await,
        "list",
    );
    assert_eq!(all.len(), 2, "one delivery per event and endpoint");
    assert!(
        ok(store.get_delivery(tenant.id, &d1_again.id).await, "get").is_none(),
        "the repeated delivery was not stored"
    );
    assert_eq!(
        queued_kinds(store, tenant.id, "deliver_webhook").await,
        2,
        "one job per delivery"
    );
    let got = some(ok(store.get_delivery(tenant.id, &d1.id).await, "get"), "d1");
    assert_eq!(got.event, e, "the event round-trips");
    assert_eq!(got.status, DeliveryStatus::Pending);

    let attempt = |code: Option<u16>, secs: i64| DeliveryAttempt {
        at: t0() + Duration::seconds(secs),
        status_code: code,
        error: code.filter(|c| *c >= 300).map(|c| format!("answered {c}")),
        duration_ms: 12,
    };
    ok(
        store
            .record_attempt(
                tenant.id,
                &d1.id,
                &AttemptOutcome {
                    attempt: attempt(Some(500), 1),
                    status: DeliveryStatus::Retrying,
                    next_attempt_at: Some(t0() + Duration::seconds(3)),
                },
            )
            .await,
        "attempt 1",
    );
    ok(
        store
            .record_attempt(
                tenant.id,
                &d1.id,
                &AttemptOutcome {
                    attempt: attempt(Some(200), 4),
                    status: DeliveryStatus::Delivered,
                    next_attempt_at: None,
                },
            )
            .await,
        "attempt 2",
    );
    let got = some(ok(store.get_delivery(tenant.id, &d1.id).await, "get"), "d1");
    assert_eq!(got.status, DeliveryStatus::Delivered);
    assert_eq!(got.next_attempt_at, None);
    assert_eq!(
        got.attempts
            .iter()
            .map(|a| a.status_code)
            .collect::<Vec<_>>(),
        [Some(500), Some(200)]
    );
    assert_eq!(got.attempts[0].error.as_deref(), Some("answered 500"));
    ok(
        store
            .record_attempt(
                tenant.id,
                &d2.id,
                &AttemptOutcome {
                    attempt: attempt(Some(410), 1),
                    status: DeliveryStatus::Failed,
                    next_attempt_at: None,
                },
            )
            .await,
        "attempt on d2",
    );
    let failed = ok(
        store
            .list_deliveries(
                tenant.id,
                &DeliveryFilter {
                    status: Some(DeliveryStatus::Failed),
                    limit: 50,
                    offset: 0,
                },
            )
            .await,
        "failed",
    );
    assert_eq!(
        failed.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        [d2.id.as_str()]
    );

    // A re-send puts it back to pending with one job per round.
    let resend = JobPayload::DeliverWebhook {
        delivery_id: d2.id.clone(),
        round: 1,
    }
    .job(JobId::from_uuid(id()), tenant.id, t0());
    let later = t0() + Duration::minutes(5);
    ok(
        store
            .requeue_delivery(tenant.id, &d2.id, &resend, later)
            .await,
        "re-send",
    );
    let mut same_round = resend.clone();
    same_round.id = JobId::from_uuid(id());
    ok(
        store
            .requeue_delivery(tenant.id, &d2.id, &same_round, later)
            .await,
        "re-send twice",
    );
    assert_eq!(queued_kinds(store, tenant.id, "deliver_webhook").await, 3);
    let got = some(ok(store.get_delivery(tenant.id, &d2.id).await, "get"), "d2");
    assert_eq!(got.status, DeliveryStatus::Pending);

    // Another tenant sees none of it and can change none of it.
    assert!(
        ok(store.get_delivery(other.id, &d1.id).await, "other get").is_none(),
        "deliveries are scoped by tenant"
    );
    let theirs = ok(
        store
            .list_deliveries(
                other.id,
                &DeliveryFilter {
                    status: None,
                    limit: 50,
                    offset: 0,
                },
            )
            .await,
        "other list",
    );
    assert!(theirs.is_empty());
    assert!(matches!(
        store
            .record_attempt(
                other.id,
                &d1.id,
                &AttemptOutcome {
                    attempt: attempt(Some(200), 9),
                    status: DeliveryStatus::Delivered,
                    next_attempt_at: None,
                },
            )
            .await,
        Err(StoreError::Stale(_))
    ));
    assert!(matches!(
        store
            .requeue_delivery(other.id, &d1.id, &resend, later)
            .await,
        Err(StoreError::Stale(_))
    ));
    // Jobs queued outside a decision are stored once by their key.
    let raised =
        event(tenant.id, EventType::ConversationReleased).into_job("c1:1", JobId::from_uuid(id()));
    let again =
        event(tenant.id, EventType::ConversationReleased).into_job("c1:1", JobId::from_uuid(id()));
    ok(store.queue_once(&[raised]).await, "queue once");
    ok(store.queue_once(&[again]).await, "queue twice");
    assert_eq!(queued_kinds(store, tenant.id, "dispatch_event").await, 1);
}
