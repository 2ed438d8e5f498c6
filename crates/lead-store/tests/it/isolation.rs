//! Tenant isolation: every read method given another tenant's id finds nothing, and writes
//! through another tenant's id change nothing.

use chrono::{DateTime, Utc};
use lead_domain::contact::Address;
use lead_domain::escalation::EscalationReason;
use lead_domain::ids::EscalationId;
use lead_domain::lead::{DeliveryStatus, Escalation, ModelUsage, UsageRecord, YearMonth};
use lead_domain::ports::{
    EscalationRepository, JobQueue, LeadFilter, LeadRepository, OptOutRegistry, Page, StoreError,
    UsageLedger,
};
use lead_testkit::contract::{intake, random_phone, stored_tenant};
use uuid::Uuid;

use crate::support::{TestDb, on_both_backends};

fn t0() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_795_000_000, 0).unwrap_or_default()
}

async fn another_tenant_sees_nothing(db: &TestDb) {
    let store = &db.store;
    let (tenant, _) = stored_tenant(store).await;
    let (other, _) = stored_tenant(store).await;
    let (me, them) = (tenant.id, other.id);
    let phone = random_phone();
    let mut first = intake(me, Some(phone.clone()), "hello", t0());
    first.dedup_key = Some(("twilio".into(), format!("SM{}", Uuid::new_v4().simple())));
    let r = store.record_inbound(&first).await.expect("intake");
    let message = r.message_id.expect("message");
    let job = r.job_id.expect("job");
    store
        .set_delivery(
            me,
            message,
            DeliveryStatus::Sent,
            Some("SMown".into()),
            None,
        )
        .await
        .expect("own delivery");
    store
        .record_escalations(&[Escalation {
            id: EscalationId::from_uuid(Uuid::new_v4()),
            tenant_id: me,
            conversation_id: r.conversation_id,
            lead_id: r.lead_id,
            reason: EscalationReason::HumanRequested,
            created_at: t0(),
            released_at: None,
            raised_by: "ai".to_owned(),
            released_by: None,
        }])
        .await
        .expect("escalate");
    store
        .record_usage(&UsageRecord {
            tenant_id: me,
            conversation_id: Some(r.conversation_id),
            usage: ModelUsage {
                provider: "anthropic".into(),
                model: "m".into(),
                input_tokens: 1,
                output_tokens: 1,
                cache_write_tokens: 0,
                cache_read_tokens: 0,
                cost_usd: 0.1,
            },
            at: t0(),
        })
        .await
        .expect("usage");
    let address = Address::Phone(phone.clone());
    store.opt_out(me, &address, t0()).await.expect("opt out");

    // Reads with the other tenant's id.
    assert!(
        store
            .get_lead(them, r.lead_id)
            .await
            .expect("lead")
            .is_none()
    );
    assert_eq!(
        store
            .list_leads(them, &LeadFilter::default(), Page::default())
            .await
            .expect("leads")
            .total,
        0
    );
    assert!(
        store
            .lead_history(them, r.lead_id)
            .await
            .expect("history")
            .is_empty()
    );
    assert!(
        store
            .get_conversation(them, r.conversation_id)
            .await
            .expect("conversation")
            .is_none()
    );
    assert!(
        store
            .lead_conversations(them, r.lead_id)
            .await
            .expect("conversations")
            .is_empty()
    );
    assert_eq!(
        store
            .active_conversations(them, Page::default())
            .await
            .expect("active")
            .total,
        0
    );
    assert_eq!(
        store
            .list_messages(them, r.conversation_id, Page::default())
            .await
            .expect("messages")
            .total,
        0
    );
    assert!(
        store
            .get_message(them, message)
            .await
            .expect("message")
            .is_none()
    );
    assert!(
        store
            .conversation_escalations(them, r.conversation_id)
            .await
            .expect("escalations")
            .is_empty()
    );
    assert!(
        store
            .month_usage(them, YearMonth::of(t0()))
            .await
            .expect("usage")
            .is_empty()
    );
    assert!(!store.is_opted_out(them, &address).await.expect("opt out"));
    assert!(store.get_job(them, job).await.expect("job").is_none());

    // The same webhook id at another tenant is another intake, not a replay of ours.
    let mut theirs = intake(them, Some(phone.clone()), "hello", t0());
    theirs.dedup_key = first.dedup_key.clone();
    let t = store.record_inbound(&theirs).await.expect("their intake");
    assert!(!t.duplicate);
    assert_ne!(t.lead_id, r.lead_id);

    // Writes with the other tenant's id change nothing.
    assert!(matches!(
        store
            .set_delivery(them, message, DeliveryStatus::Failed, None, None)
            .await,
        Err(StoreError::Stale(_))
    ));
    assert!(
        !store
            .set_delivery_by_provider_id(them, "SMown", DeliveryStatus::Failed, None)
            .await
            .expect("by sid")
    );
    assert_eq!(
        store
            .release_escalations(them, r.conversation_id, t0(), "api")
            .await
            .expect("release"),
        0
    );
    store.opt_in(them, &address).await.expect("their opt in");
    assert!(store.is_opted_out(me, &address).await.expect("still out"));
    let mut conversation = store
        .get_conversation(me, r.conversation_id)
        .await
        .expect("get")
        .expect("conversation");
    conversation.tenant_id = them;
    conversation.escalated = true;
    assert!(matches!(
        store.update_conversation(&conversation).await,
        Err(StoreError::Stale(_))
    ));
    let own = store
        .get_conversation(me, r.conversation_id)
        .await
        .expect("get")
        .expect("conversation");
    assert!(!own.escalated);
    let delivered = store
        .get_message(me, message)
        .await
        .expect("get")
        .expect("message");
    assert_eq!(delivered.delivery, DeliveryStatus::Sent);
}

on_both_backends! {
    tenant_isolation => another_tenant_sees_nothing;
}
