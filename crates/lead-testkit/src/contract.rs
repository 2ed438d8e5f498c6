//! Contract suites for the storage ports: the in-memory fake and every database adapter must pass
//! them. Each suite creates its own tenants with fresh ids, so suites can share one database.

mod pipeline;

pub use pipeline::{decisions, job_leases};

use crate::builders::{TenantBuilder, key_record};
use chrono::{DateTime, Duration, Utc};
use lead_domain::contact::{Address, Email, PhoneNumber};
use lead_domain::escalation::EscalationReason;
use lead_domain::ids::EscalationId;
use lead_domain::ids::{ConversationId, JobId, LeadId, MessageId, TenantId};
use lead_domain::jobs::{JobPayload, JobStatus, NewJob, RetryDecision};
use lead_domain::lead::{
    Channel, DeliveryStatus, Direction, Escalation, ModelUsage, Sender, UsageRecord, YearMonth,
};
use lead_domain::lifecycle::{LeadEvent, LeadState};
use lead_domain::pipeline::DecisionStore;
use lead_domain::ports::{
    ContactInfo, EscalationRepository, InboundIntake, IntakeIds, JobQueue, LeadFilter,
    LeadRepository, NewMessage, OptOutRegistry, Page, StoreError, TenantRepository, UsageLedger,
    WebhookLog,
};
use lead_domain::qualification::{Fact, Timeline};
use lead_domain::scoring::Score;
use lead_domain::tenant::{NumberKind, Secret, Tenant, TenantStatus, TwilioSettings};
use std::time::Duration as StdDuration;

/// Every storage port at once: what a complete storage adapter implements.
pub trait Store:
    TenantRepository
    + DecisionStore
    + LeadRepository
    + EscalationRepository
    + UsageLedger
    + OptOutRegistry
    + JobQueue
    + WebhookLog
{
}

impl<T> Store for T where
    T: TenantRepository
        + DecisionStore
        + LeadRepository
        + EscalationRepository
        + UsageLedger
        + OptOutRegistry
        + JobQueue
        + WebhookLog
{
}

fn ok<T>(r: Result<T, StoreError>, what: &str) -> T {
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

fn phone(n: u64) -> PhoneNumber {
    some(
        PhoneNumber::parse(&format!("+9665{:08}", n % 100_000_000)).ok(),
        "phone",
    )
}

/// A phone number unlikely to collide between suites sharing a database.
pub fn random_phone() -> PhoneNumber {
    phone(u64::from(id().as_u128() as u32))
}

/// A tenant stored with a random API key hash; returns it and the hash.
pub async fn stored_tenant<S: Store + ?Sized>(store: &S) -> (Tenant, String) {
    let tenant = TenantBuilder::real_estate().build();
    let hash = format!("{:064x}", id().as_u128());
    ok(
        store.insert_tenant(&tenant, &key_record(&hash)).await,
        "insert tenant",
    );
    (tenant, hash)
}

/// An intake of a lead message with fresh ids.
pub fn intake(
    tenant: TenantId,
    phone: Option<PhoneNumber>,
    body: &str,
    at: DateTime<Utc>,
) -> InboundIntake {
    InboundIntake {
        tenant_id: tenant,
        channel: Channel::WebForm,
        contact: ContactInfo {
            name: Some("Ahmed".into()),
            phone: phone.clone(),
            email: None,
            chat_session: None,
            claimed_phone: None,
            claimed_email: None,
        },
        source_detail: Some("website".into()),
        body: Some(body.to_owned()),
        language: None,
        sender: Sender::Lead,
        dedup_key: None,
        request_digest: None,
        reply_to: phone.map(Address::Phone),
        ids: IntakeIds {
            lead: LeadId::from_uuid(id()),
            conversation: ConversationId::from_uuid(id()),
            message: MessageId::from_uuid(id()),
            job: JobId::from_uuid(id()),
        },
        enqueue: true,
        received_at: at,
    }
}

/// Tenants: insert, conflicts, keys and rotation, numbers, widget keys, isolation.
pub async fn tenants<S: Store + ?Sized>(store: &S) {
    let (tenant, hash) = stored_tenant(store).await;
    let got = some(ok(store.get_tenant(tenant.id).await, "get"), "tenant");
    assert_eq!(got.slug, tenant.slug);
    assert_eq!(
        got.settings, tenant.settings,
        "settings survive a round trip"
    );
    assert!(
        ok(
            store.get_tenant(TenantId::from_uuid(id())).await,
            "get other"
        )
        .is_none()
    );

    let dup = TenantBuilder::real_estate()
        .with(|t| t.slug.clone_from(&tenant.slug))
        .build();
    assert!(matches!(
        store
            .insert_tenant(&dup, &key_record(&format!("{:064x}", id().as_u128())))
            .await,
        Err(StoreError::Conflict(_))
    ));

    let found = ok(store.find_tenant_by_api_key(&hash, t0()).await, "by key");
    assert_eq!(found.map(|t| t.id), Some(tenant.id));
    assert!(
        ok(
            store.find_tenant_by_api_key("nope", t0()).await,
            "by bad key"
        )
        .is_none()
    );

    // Rotation with a one-hour grace: both keys work inside it, only the new one after.
    let new_hash = format!("{:064x}", id().as_u128());
    ok(
        store
            .rotate_api_key(tenant.id, &key_record(&new_hash), t0() + Duration::hours(1))
            .await,
        "rotate",
    );
    assert!(
        ok(
            store.find_tenant_by_api_key(&hash, t0()).await,
            "old in grace"
        )
        .is_some()
    );
    assert!(
        ok(
            store
                .find_tenant_by_api_key(&hash, t0() + Duration::hours(2))
                .await,
            "old after grace"
        )
        .is_none()
    );
    assert!(
        ok(
            store
                .find_tenant_by_api_key(&new_hash, t0() + Duration::hours(2))
                .await,
            "new"
        )
        .is_some()
    );

    // Numbers: registered through update, found by number, one tenant per number.
    let number = random_phone();
    let mut updated = tenant.clone();
    updated.status = TenantStatus::Paused;
    updated.settings.twilio = Some(TwilioSettings {
        account_sid: "AC123".into(),
        auth_token: Secret::new("secret"),
        phone_numbers: vec![number.clone()],
        whatsapp_numbers: vec![],
        messaging_service_sid: None,
        whatsapp_template: None,
    });
    ok(store.update_tenant(&updated).await, "update");
    let by_number = ok(
        store.find_tenant_by_number(&number, NumberKind::Sms).await,
        "by number",
    );
    assert_eq!(
        by_number.map(|t| (t.id, t.status)),
        Some((tenant.id, TenantStatus::Paused))
    );
    assert!(
        ok(
            store
                .find_tenant_by_number(&number, NumberKind::Whatsapp)
                .await,
            "by number kind"
        )
        .is_none()
    );
    let (other, _) = stored_tenant(store).await;
    let mut thief = other.clone();
    thief.settings.twilio = updated.settings.twilio.clone();
    assert!(matches!(
        store.update_tenant(&thief).await,
        Err(StoreError::Conflict(_))
    ));

    let by_widget = ok(
        store.find_tenant_by_widget_key(&tenant.widget_key).await,
        "by widget",
    );
    assert_eq!(by_widget.map(|t| t.id), Some(tenant.id));
}

/// Intake: find-or-create, reuse of the open conversation, exchanges, dedup, email-only leads.
pub async fn intake_rules<S: Store + ?Sized>(store: &S) {
    let (tenant, _) = stored_tenant(store).await;
    let p = random_phone();
    let first = ok(
        store
            .record_inbound(&intake(tenant.id, Some(p.clone()), "hello", t0()))
            .await,
        "first intake",
    );
    assert!(first.lead_created && !first.duplicate);
    assert!(first.message_id.is_some() && first.job_id.is_some());
    let lead = some(
        ok(store.get_lead(tenant.id, first.lead_id).await, "get lead"),
        "lead",
    );
    assert_eq!(
        (lead.state, lead.score.score, lead.phone.as_ref()),
        (LeadState::New, Score::Unscored, Some(&p))
    );

    let second = ok(
        store
            .record_inbound(&intake(
                tenant.id,
                Some(p.clone()),
                "budget 900k",
                t0() + Duration::minutes(1),
            ))
            .await,
        "second",
    );
    assert_eq!(
        (second.lead_id, second.conversation_id, second.lead_created),
        (first.lead_id, first.conversation_id, false)
    );
    let conv = some(
        ok(
            store
                .get_conversation(tenant.id, first.conversation_id)
                .await,
            "conv",
        ),
        "conversation",
    );
    assert_eq!(conv.exchanges, 2);
    assert_eq!(conv.last_inbound_at, Some(t0() + Duration::minutes(1)));
    assert_eq!(conv.reply_to, Some(Address::Phone(p.clone())));
    let messages = ok(
        store
            .list_messages(tenant.id, first.conversation_id, Page::default())
            .await,
        "messages",
    );
    assert_eq!(
        messages
            .items
            .iter()
            .map(|m| m.body.as_str())
            .collect::<Vec<_>>(),
        ["hello", "budget 900k"]
    );
    assert_eq!(messages.items[0].direction, Direction::Inbound);

    // A replayed webhook stores nothing and returns the first receipt.
    let mut replay = intake(tenant.id, Some(random_phone()), "via twilio", t0());
    replay.dedup_key = Some(("twilio".into(), format!("SM{}", id().simple())));
    let a = ok(store.record_inbound(&replay).await, "dedup first");
    replay.ids.lead = LeadId::from_uuid(id());
    replay.ids.message = MessageId::from_uuid(id());
    let b = ok(store.record_inbound(&replay).await, "dedup replay");
    assert!(b.duplicate && !a.duplicate);
    assert_eq!((a.lead_id, a.message_id), (b.lead_id, b.message_id));
    let replay_msgs = ok(
        store
            .list_messages(tenant.id, a.conversation_id, Page::default())
            .await,
        "replay msgs",
    );
    assert_eq!(replay_msgs.total, 1);

    // An idempotency key reused with another request is told apart from a retry of the first.
    let mut keyed = intake(tenant.id, Some(random_phone()), "first form", t0());
    keyed.dedup_key = Some(("idempotency".into(), format!("key-{}", id().simple())));
    keyed.request_digest = Some("digest-a".into());
    let first = ok(store.record_inbound(&keyed).await, "keyed first");
    keyed.ids.lead = LeadId::from_uuid(id());
    keyed.ids.message = MessageId::from_uuid(id());
    let retry = ok(store.record_inbound(&keyed).await, "keyed retry");
    assert!(retry.duplicate && !retry.request_mismatch);
    keyed.request_digest = Some("digest-b".into());
    keyed.body = Some("another form".into());
    let reused = ok(store.record_inbound(&keyed).await, "keyed reuse");
    assert!(reused.duplicate && reused.request_mismatch);
    assert_eq!(reused.lead_id, first.lead_id);
    let keyed_msgs = ok(
        store
            .list_messages(tenant.id, first.conversation_id, Page::default())
            .await,
        "keyed msgs",
    );
    assert_eq!(keyed_msgs.total, 1, "a reused key stores nothing");

    // Email-only lead; and a paused tenant's intake enqueues nothing.
    let mut email_only = intake(tenant.id, None, "hi", t0());
    email_only.contact.email = Email::parse("lead@example.com").ok();
    email_only.enqueue = false;
    let e1 = ok(store.record_inbound(&email_only).await, "email intake");
    email_only.ids.lead = LeadId::from_uuid(id());
    let e2 = ok(
        store.record_inbound(&email_only).await,
        "email intake again",
    );
    assert_eq!(e1.lead_id, e2.lead_id);
    assert!(e1.job_id.is_none());
    // A phone nobody has, with a known email, finds the email's lead (and fills in its phone).
    let mut with_phone = email_only.clone();
    with_phone.ids.lead = LeadId::from_uuid(id());
    let new_phone = random_phone();
    with_phone.contact.phone = Some(new_phone.clone());
    let e3 = ok(
        store.record_inbound(&with_phone).await,
        "email lead gives a phone",
    );
    assert_eq!(e3.lead_id, e1.lead_id);
    let filled = some(
        ok(store.get_lead(tenant.id, e1.lead_id).await, "filled lead"),
        "lead",
    );
    assert_eq!(filled.phone, Some(new_phone));

    // The same phone under another tenant is another lead.
    let (other, _) = stored_tenant(store).await;
    let o = ok(
        store
            .record_inbound(&intake(other.id, Some(p), "hello", t0()))
            .await,
        "other tenant",
    );
    assert_ne!(o.lead_id, first.lead_id);
}

/// Leads: optimistic locking, history, filters, pagination.
pub async fn leads<S: Store + ?Sized>(store: &S) {
    let (tenant, _) = stored_tenant(store).await;
    let r = ok(
        store
            .record_inbound(&intake(tenant.id, Some(random_phone()), "hi", t0()))
            .await,
        "intake",
    );
    let mut lead = some(
        ok(store.get_lead(tenant.id, r.lead_id).await, "get"),
        "lead",
    );
    let change = match lead.apply(LeadEvent::StartQualifying, "first message", t0()) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    lead.qualification.timeline = Some(Fact::stated(Timeline::Immediate));
    lead.score.score = Score::Hot;
    let saved = ok(
        store
            .update_lead(&lead, std::slice::from_ref(&change))
            .await,
        "update",
    );
    assert_eq!(saved.version, lead.version + 1);
    // Writing from the old version again is refused.
    assert!(matches!(
        store.update_lead(&lead, &[]).await,
        Err(StoreError::Stale(_))
    ));
    let reread = some(
        ok(store.get_lead(tenant.id, r.lead_id).await, "reread"),
        "lead",
    );
    assert_eq!(
        (reread.state, reread.score.score),
        (LeadState::Qualifying, Score::Hot)
    );
    assert_eq!(reread.qualification, lead.qualification);
    assert_eq!(
        ok(store.lead_history(tenant.id, r.lead_id).await, "history"),
        vec![change]
    );

    for n in 0..4 {
        ok(
            store
                .record_inbound(&intake(
                    tenant.id,
                    Some(random_phone()),
                    "x",
                    t0() + Duration::minutes(n + 1),
                ))
                .await,
            "more",
        );
    }
    let all = ok(
        store
            .list_leads(
                tenant.id,
                &LeadFilter::default(),
                Page {
                    limit: 2,
                    offset: 0,
                },
            )
            .await,
        "list",
    );
    assert_eq!((all.items.len(), all.total), (2, 5));
    let rest = ok(
        store
            .list_leads(
                tenant.id,
                &LeadFilter::default(),
                Page {
                    limit: 10,
                    offset: 2,
                },
            )
            .await,
        "list 2",
    );
    assert_eq!(rest.items.len(), 3);
    // A keyset cursor after the first page gives what the offset gave, with the same total.
    let last = &all.items[1];
    let after = ok(
        store
            .list_leads(
                tenant.id,
                &LeadFilter {
                    after: Some((last.created_at, last.id)),
                    ..Default::default()
                },
                Page {
                    limit: 10,
                    offset: 0,
                },
            )
            .await,
        "list after a cursor",
    );
    assert_eq!(after.total, 5);
    assert_eq!(
        after.items.iter().map(|l| l.id).collect::<Vec<_>>(),
        rest.items.iter().map(|l| l.id).collect::<Vec<_>>()
    );
    assert!(
        all.items[0].created_at >= all.items[1].created_at,
        "newest first"
    );
    let hot = ok(
        store
            .list_leads(
                tenant.id,
                &LeadFilter {
                    score: Some(Score::Hot),
                    ..Default::default()
                },
                Page::default(),
            )
            .await,
        "hot",
    );
    assert_eq!(
        hot.items.iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![r.lead_id]
    );
    let active = ok(
        store.active_conversations(tenant.id, Page::default()).await,
        "active",
    );
    assert_eq!(active.total, 5);
}

/// Outbound messages with their job, delivery updates.
pub async fn messages<S: Store + ?Sized>(store: &S) {
    let (tenant, _) = stored_tenant(store).await;
    let r = ok(
        store
            .record_inbound(&intake(tenant.id, Some(random_phone()), "hi", t0()))
            .await,
        "intake",
    );
    let reply = NewMessage {
        id: MessageId::from_uuid(id()),
        tenant_id: tenant.id,
        conversation_id: r.conversation_id,
        direction: Direction::Outbound,
        sender: Sender::Ai,
        channel: Channel::Sms,
        body: "أهلاً".into(),
        language: Some(lead_domain::language::Language::Ar),
        delivery: DeliveryStatus::Pending,
        created_at: t0() + Duration::seconds(1),
    };
    let job = NewJob {
        id: JobId::from_uuid(id()),
        tenant_id: tenant.id,
        payload: JobPayload::SendOutbound {
            conversation_id: r.conversation_id,
            message_id: reply.id,
        },
        run_at: t0(),
        max_attempts: 3,
    };
    let stored = ok(
        store.append_message(&reply, Some(job.clone())).await,
        "append",
    );
    assert_eq!(
        (stored.body.as_str(), stored.delivery),
        ("أهلاً", DeliveryStatus::Pending)
    );
    assert!(ok(store.get_job(tenant.id, job.id).await, "job").is_some());
    ok(
        store
            .set_delivery(
                tenant.id,
                reply.id,
                DeliveryStatus::Sent,
                Some("SMabc".into()),
                None,
            )
            .await,
        "sent",
    );
    assert!(ok(
        store
            .set_delivery_by_provider_id(tenant.id, "SMabc", DeliveryStatus::Delivered, None)
            .await,
        "by sid"
    ));
    assert!(!ok(
        store
            .set_delivery_by_provider_id(tenant.id, "SMnone", DeliveryStatus::Delivered, None)
            .await,
        "unknown sid"
    ));
    let m = some(
        ok(store.get_message(tenant.id, reply.id).await, "get"),
        "message",
    );
    assert_eq!(
        (m.delivery, m.provider_message_id.as_deref()),
        (DeliveryStatus::Delivered, Some("SMabc"))
    );
    let list = ok(
        store
            .list_messages(tenant.id, r.conversation_id, Page::default())
            .await,
        "list",
    );
    assert_eq!(
        list.items.iter().map(|m| m.direction).collect::<Vec<_>>(),
        [Direction::Inbound, Direction::Outbound]
    );
}

/// Escalations, usage, opt-outs and the webhook log.
pub async fn records<S: Store + ?Sized>(store: &S) {
    let (tenant, _) = stored_tenant(store).await;
    let r = ok(
        store
            .record_inbound(&intake(tenant.id, Some(random_phone()), "manager!", t0()))
            .await,
        "intake",
    );
    let esc = |reason| Escalation {
        id: EscalationId::from_uuid(id()),
        tenant_id: tenant.id,
        conversation_id: r.conversation_id,
        lead_id: r.lead_id,
        reason,
        created_at: t0(),
        released_at: None,
        raised_by: "ai".to_owned(),
        released_by: None,
    };
    ok(
        store
            .record_escalations(&[
                esc(EscalationReason::HumanRequested),
                esc(EscalationReason::Keyword {
                    keyword: "manager".into(),
                }),
            ])
            .await,
        "esc",
    );
    let list = ok(
        store
            .conversation_escalations(tenant.id, r.conversation_id)
            .await,
        "list esc",
    );
    assert_eq!(
        list.iter().map(|e| e.reason.kind()).collect::<Vec<_>>(),
        ["human_requested", "keyword"]
    );
    assert_eq!(
        ok(
            store
                .release_escalations(tenant.id, r.conversation_id, t0(), "agent@test")
                .await,
            "release"
        ),
        2
    );
    let released = ok(
        store
            .conversation_escalations(tenant.id, r.conversation_id)
            .await,
        "released",
    );
    assert!(released.iter().all(|e| e.raised_by == "ai"
        && e.released_at == Some(t0())
        && e.released_by.as_deref() == Some("agent@test")));
    assert_eq!(
        ok(
            store
                .release_escalations(tenant.id, r.conversation_id, t0(), "agent@test")
                .await,
            "release again"
        ),
        0
    );

    let usage = |model: &str, cost: f64, at| UsageRecord {
        tenant_id: tenant.id,
        conversation_id: Some(r.conversation_id),
        usage: ModelUsage {
            provider: "anthropic".into(),
            model: model.into(),
            input_tokens: 100,
            output_tokens: 20,
            cache_write_tokens: 5,
            cache_read_tokens: 50,
            cost_usd: cost,
        },
        at,
    };
    ok(store.record_usage(&usage("sonnet", 0.5, t0())).await, "u1");
    ok(store.record_usage(&usage("sonnet", 0.25, t0())).await, "u2");
    ok(store.record_usage(&usage("haiku", 0.01, t0())).await, "u3");
    ok(
        store
            .record_usage(&usage("sonnet", 9.0, t0() + Duration::days(40)))
            .await,
        "next month",
    );
    let month = ok(
        store.month_usage(tenant.id, YearMonth::of(t0())).await,
        "month",
    );
    let sonnet = some(month.iter().find(|m| m.model == "sonnet"), "sonnet");
    assert_eq!(
        (
            sonnet.calls,
            sonnet.input_tokens,
            sonnet.output_tokens,
            sonnet.cache_read_tokens
        ),
        (2, 200, 40, 100)
    );
    assert!((sonnet.cost_usd - 0.75).abs() < 1e-9);
    assert_eq!(month.len(), 2);
    assert!(
        ok(
            store
                .month_usage(TenantId::from_uuid(id()), YearMonth::of(t0()))
                .await,
            "other"
        )
        .is_empty()
    );
    assert!(ok(
        store
            .mark_budget_alert(tenant.id, YearMonth::of(t0()), t0())
            .await,
        "alert"
    ));
    assert!(!ok(
        store
            .mark_budget_alert(tenant.id, YearMonth::of(t0()), t0())
            .await,
        "alert again"
    ));

    let addr = Address::Phone(random_phone());
    assert!(!ok(store.is_opted_out(tenant.id, &addr).await, "not out"));
    ok(store.opt_out(tenant.id, &addr, t0()).await, "out");
    ok(store.opt_out(tenant.id, &addr, t0()).await, "out twice");
    assert!(ok(store.is_opted_out(tenant.id, &addr).await, "out"));
    assert!(!ok(
        store.is_opted_out(TenantId::from_uuid(id()), &addr).await,
        "other tenant"
    ));
    ok(store.opt_in(tenant.id, &addr).await, "in");
    assert!(!ok(store.is_opted_out(tenant.id, &addr).await, "back in"));

    let sid = format!("CA{}", id().simple());
    assert!(ok(
        store.first_time(tenant.id, "twilio", &sid, t0()).await,
        "first"
    ));
    assert!(!ok(
        store.first_time(tenant.id, "twilio", &sid, t0()).await,
        "second"
    ));
}

/// The job queue: claim, ordering per conversation, lease expiry, retries and dead jobs.
pub async fn job_queue<S: Store + ?Sized>(store: &S) {
    let (tenant, _) = stored_tenant(store).await;
    let conv = ConversationId::from_uuid(id());
    let job = |run_at| NewJob {
        id: JobId::from_uuid(id()),
        tenant_id: tenant.id,
        payload: JobPayload::SendOutbound {
            conversation_id: conv,
            message_id: MessageId::from_uuid(id()),
        },
        run_at,
        max_attempts: 2,
    };
    let (a, b) = (job(t0()), job(t0() + Duration::seconds(1)));
    ok(store.enqueue(&a).await, "enqueue a");
    ok(store.enqueue(&b).await, "enqueue b");
    let lease = StdDuration::from_secs(30);
    let now = t0() + Duration::seconds(5);
    // The queue's health counts them by kind and status and knows the oldest due time.
    let stats = ok(store.queue_stats(now).await, "queue stats");
    let queued_sends = stats
        .counts
        .iter()
        .find(|(kind, status, _)| kind == "send_outbound" && *status == JobStatus::Queued)
        .map_or(0, |(_, _, n)| *n);
    assert!(queued_sends >= 2, "{stats:?}");
    assert!(stats.oldest_due.is_some_and(|due| due <= t0()), "{stats:?}");
    assert!(
        stats
            .counts
            .iter()
            .all(|(_, status, _)| *status != JobStatus::Done),
        "done jobs are left out"
    );
    let mine = |jobs: Vec<lead_domain::jobs::Job>| {
        jobs.into_iter()
            .filter(|j| j.tenant_id == tenant.id)
            .map(|j| j.id)
            .collect::<Vec<_>>()
    };
    // Only the first job of the conversation is claimed; the second waits for it.
    assert_eq!(
        mine(ok(store.claim_due("w1", now, 10, lease).await, "claim")),
        vec![a.id]
    );
    assert!(mine(ok(store.claim_due("w2", now, 10, lease).await, "claim 2")).is_empty());
    // The lease runs out (a crashed worker): the job is claimed again, attempt 2.
    let later = now + Duration::seconds(31);
    let again = ok(store.claim_due("w2", later, 10, lease).await, "reclaim");
    let again: Vec<_> = again
        .into_iter()
        .filter(|j| j.tenant_id == tenant.id)
        .collect();
    assert_eq!(
        again.iter().map(|j| (j.id, j.attempts)).collect::<Vec<_>>(),
        vec![(a.id, 2)]
    );
    let a_lease = again[0].lease();
    ok(
        store
            .fail(a_lease, "twilio 500", RetryDecision::GiveUp, later)
            .await,
        "dead",
    );
    let dead = some(ok(store.get_job(tenant.id, a.id).await, "get a"), "job a");
    assert_eq!(
        (dead.status, dead.last_error.as_deref()),
        (JobStatus::Dead, Some("twilio 500"))
    );
    // With the first job dead, the second runs; a retry puts it back until its time.
    let claimed_b = ok(store.claim_due("w1", later, 10, lease).await, "claim b");
    let b_lease = claimed_b
        .iter()
        .find(|j| j.id == b.id)
        .map(lead_domain::jobs::Job::lease);
    assert_eq!(mine(claimed_b), vec![b.id]);
    let b_lease = some(b_lease, "b's lease");
    ok(
        store
            .fail(
                b_lease,
                "timeout",
                RetryDecision::RetryAt(later + Duration::seconds(10)),
                later,
            )
            .await,
        "retry",
    );
    assert!(
        mine(ok(
            store
                .claim_due("w1", later + Duration::seconds(5), 10, lease)
                .await,
            "too early"
        ))
        .is_empty()
    );
    let due = ok(
        store
            .claim_due("w1", later + Duration::seconds(10), 10, lease)
            .await,
        "due",
    );
    let b_lease = some(
        due.iter()
            .find(|j| j.id == b.id)
            .map(lead_domain::jobs::Job::lease),
        "b's second lease",
    );
    assert_eq!(mine(due), vec![b.id]);
    ok(
        store
            .complete(b_lease, later, Some("offline reply".into()))
            .await,
        "complete",
    );
    let done = some(ok(store.get_job(tenant.id, b.id).await, "get b"), "job b");
    assert_eq!(
        (done.status, done.attempts, done.last_error.as_deref()),
        (JobStatus::Done, 2, Some("offline reply"))
    );
    assert!(
        ok(
            store.get_job(TenantId::from_uuid(id()), b.id).await,
            "other tenant"
        )
        .is_none()
    );
}

/// Tenant isolation: every read method given another tenant's id finds nothing.
pub async fn isolation<S: Store + ?Sized>(store: &S) {
    let (tenant, _) = stored_tenant(store).await;
    let (other, _) = stored_tenant(store).await;
    let r = ok(
        store
            .record_inbound(&intake(tenant.id, Some(random_phone()), "hi", t0()))
            .await,
        "intake",
    );
    let o = other.id;
    assert!(ok(store.get_lead(o, r.lead_id).await, "lead").is_none());
    assert!(ok(store.get_conversation(o, r.conversation_id).await, "conv").is_none());
    assert!(
        ok(
            store.get_message(o, some(r.message_id, "message id")).await,
            "msg"
        )
        .is_none()
    );
    assert_eq!(
        ok(
            store
                .list_messages(o, r.conversation_id, Page::default())
                .await,
            "msgs"
        )
        .total,
        0
    );
    assert_eq!(
        ok(
            store
                .list_leads(o, &LeadFilter::default(), Page::default())
                .await,
            "leads"
        )
        .total,
        0
    );
    assert!(ok(store.lead_history(o, r.lead_id).await, "history").is_empty());
    assert!(ok(store.lead_conversations(o, r.lead_id).await, "lead convs").is_empty());
    assert_eq!(
        ok(
            store.active_conversations(o, Page::default()).await,
            "active"
        )
        .total,
        0
    );
    assert!(
        ok(
            store.conversation_escalations(o, r.conversation_id).await,
            "esc"
        )
        .is_empty()
    );
    assert!(ok(store.get_job(o, some(r.job_id, "job id")).await, "job").is_none());
    // Writes through another tenant's id change nothing.
    let mut lead = some(
        ok(store.get_lead(tenant.id, r.lead_id).await, "own lead"),
        "lead",
    );
    lead.tenant_id = o;
    assert!(store.update_lead(&lead, &[]).await.is_err());
    assert!(
        store
            .set_delivery(
                o,
                some(r.message_id, "message id"),
                DeliveryStatus::Sent,
                None,
                None
            )
            .await
            .is_err()
    );
}

/// Runs every suite.
pub async fn all<S: Store + ?Sized>(store: &S) {
    tenants(store).await;
    intake_rules(store).await;
    leads(store).await;
    messages(store).await;
    records(store).await;
    job_queue(store).await;
    job_leases(store).await;
    decisions(store).await;
    isolation(store).await;
    claims_and_merge(store).await;
}

/// A live-chat intake with a claimed contact: the claim is stored on the chat's own lead and never
/// finds another lead; `lead_with_contact` points at the owner; merging moves the conversation,
/// fills missing details and removes the merged lead; the new lead fields round-trip.
pub async fn claims_and_merge<S: Store + ?Sized>(store: &S) {
    let (tenant, _) = stored_tenant(store).await;
    let owner_phone = random_phone();
    let owner = ok(
        store
            .record_inbound(&intake(tenant.id, Some(owner_phone.clone()), "hello", t0()))
            .await,
        "owner intake",
    );
    let session = format!("s-{}", id().simple());
    let mut chat = intake(
        tenant.id,
        None,
        "I want a villa",
        t0() + Duration::minutes(1),
    );
    chat.channel = Channel::LiveChat;
    chat.contact = ContactInfo {
        name: Some("Visitor".into()),
        chat_session: Some(session.clone()),
        claimed_phone: Some(owner_phone.clone()),
        ..ContactInfo::default()
    };
    let visitor = ok(store.record_inbound(&chat).await, "chat intake");
    assert!(
        visitor.lead_created,
        "a claimed phone never finds another lead"
    );
    assert_ne!(visitor.lead_id, owner.lead_id);
    let mut lead = some(
        ok(store.get_lead(tenant.id, visitor.lead_id).await, "visitor"),
        "visitor lead",
    );
    assert_eq!(lead.claimed_phone.as_ref(), Some(&owner_phone));
    assert_eq!(lead.phone, None);
    let by_session = ok(
        store.lead_by_chat_session(tenant.id, &session).await,
        "by session",
    );
    assert_eq!(by_session.map(|l| l.id), Some(visitor.lead_id));
    assert!(
        ok(
            store.lead_by_chat_session(tenant.id, "never-wrote").await,
            "unknown session"
        )
        .is_none()
    );
    assert_eq!(
        ok(
            store
                .lead_with_contact(tenant.id, Some(owner_phone.clone()), None, visitor.lead_id)
                .await,
            "with contact"
        ),
        Some(owner.lead_id)
    );
    assert_eq!(
        ok(
            store
                .lead_with_contact(tenant.id, Some(owner_phone.clone()), None, owner.lead_id)
                .await,
            "with contact except owner"
        ),
        None,
        "claims are never lookup keys"
    );
    lead.possible_duplicate_of = Some(owner.lead_id);
    lead.undeliverable = Some("no channel".into());
    let lead = ok(store.update_lead(&lead, &[]).await, "update claims");
    let reread = some(
        ok(store.get_lead(tenant.id, visitor.lead_id).await, "reread"),
        "visitor lead",
    );
    assert_eq!(reread, lead);
    // A second chat message with a new claim replaces the claim.
    let mut again = chat.clone();
    again.ids = intake(tenant.id, None, "x", t0()).ids;
    let other_email = some(Email::parse("someone@example.com").ok(), "email");
    again.contact.claimed_email = Some(other_email.clone());
    again.received_at = t0() + Duration::minutes(2);
    let again = ok(store.record_inbound(&again).await, "second chat intake");
    assert_eq!(again.lead_id, visitor.lead_id);
    let reread = some(
        ok(store.get_lead(tenant.id, visitor.lead_id).await, "reread"),
        "visitor lead",
    );
    assert_eq!(reread.claimed_email.as_ref(), Some(&other_email));

    let merged = ok(
        store
            .merge_leads(
                tenant.id,
                visitor.lead_id,
                owner.lead_id,
                t0() + Duration::minutes(3),
            )
            .await,
        "merge",
    );
    assert_eq!(merged.id, owner.lead_id);
    assert_eq!(merged.phone.as_ref(), Some(&owner_phone));
    assert_eq!(merged.claimed_email.as_ref(), Some(&other_email));
    assert!(
        ok(store.get_lead(tenant.id, visitor.lead_id).await, "gone").is_none(),
        "the merged lead is removed"
    );
    let conversations = ok(
        store.lead_conversations(tenant.id, owner.lead_id).await,
        "conversations",
    );
    assert!(
        conversations
            .iter()
            .any(|c| c.id == visitor.conversation_id),
        "the chat conversation moved to the lead it was merged into"
    );
    // The chat session now finds the merged lead.
    let mut next = chat.clone();
    next.ids = intake(tenant.id, None, "x", t0()).ids;
    next.contact.claimed_phone = None;
    next.received_at = t0() + Duration::minutes(4);
    let next = ok(store.record_inbound(&next).await, "chat after merge");
    assert_eq!(next.lead_id, owner.lead_id);
    assert_eq!(next.conversation_id, visitor.conversation_id);
    let by_session = ok(
        store.lead_by_chat_session(tenant.id, &session).await,
        "by session after merge",
    );
    assert_eq!(by_session.map(|l| l.id), Some(owner.lead_id));
    // Another tenant's ids merge nothing.
    let (stranger, _) = stored_tenant(store).await;
    assert!(
        store
            .merge_leads(stranger.id, owner.lead_id, owner.lead_id, t0())
            .await
            .is_err()
    );
}
