//! Analytics facts and experiments on a seeded data set with known answers, on both backends.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use lead_domain::analytics::{AnalyticsQuery, AnalyticsReader, GroupBy, summarize};
use lead_domain::escalation::EscalationReason;
use lead_domain::experiments::{
    Experiment, ExperimentId, ExperimentStore, Metric, Status, Target, Variant,
};
use lead_domain::ids::{EscalationId, MessageId, TenantId};
use lead_domain::lead::{
    Channel, DeliveryStatus, Direction, Escalation, ModelUsage, Sender, UsageRecord,
};
use lead_domain::lifecycle::{LeadEvent, LeadState};
use lead_domain::ports::{
    EscalationRepository, IntakeReceipt, LeadRepository, NewMessage, UsageLedger,
};
use lead_domain::qualification::Fact;
use lead_store::SeaOrmStore;
use lead_testkit::contract::{intake, random_phone, stored_tenant};
use uuid::Uuid;

use crate::support::{Kind, TestDb};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-02T09:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .expect("t0")
}

async fn lead_at(
    store: &SeaOrmStore,
    tenant: TenantId,
    channel: Channel,
    at: DateTime<Utc>,
) -> IntakeReceipt {
    let mut i = intake(tenant, Some(random_phone()), "hello", at);
    i.channel = channel;
    store.record_inbound(&i).await.expect("intake")
}

async fn message(
    store: &SeaOrmStore,
    r: &IntakeReceipt,
    tenant: TenantId,
    direction: Direction,
    delivery: DeliveryStatus,
    at: DateTime<Utc>,
) -> MessageId {
    let id = MessageId::from_uuid(Uuid::new_v4());
    store
        .append_message(
            &NewMessage {
                id,
                tenant_id: tenant,
                conversation_id: r.conversation_id,
                direction,
                sender: if direction == Direction::Inbound {
                    Sender::Lead
                } else {
                    Sender::Ai
                },
                channel: Channel::Sms,
                body: "text".into(),
                language: None,
                delivery,
                created_at: at,
            },
            None,
        )
        .await
        .expect("append message");
    id
}

async fn move_lead(
    store: &SeaOrmStore,
    r: &IntakeReceipt,
    tenant: TenantId,
    events: &[LeadEvent],
    not_interested: bool,
    at: DateTime<Utc>,
) {
    let mut lead = store
        .get_lead(tenant, r.lead_id)
        .await
        .expect("get lead")
        .expect("lead exists");
    let mut changes = Vec::new();
    for event in events {
        changes.push(lead.apply(*event, "test", at).expect("legal transition"));
    }
    if not_interested {
        lead.qualification.not_interested = Some(Fact::stated(true));
    }
    store.update_lead(&lead, &changes).await.expect("save lead");
}

async fn escalate(
    store: &SeaOrmStore,
    r: &IntakeReceipt,
    tenant: TenantId,
    reason: EscalationReason,
    at: DateTime<Utc>,
) {
    store
        .record_escalations(&[Escalation {
            id: EscalationId::from_uuid(Uuid::new_v4()),
            tenant_id: tenant,
            conversation_id: r.conversation_id,
            lead_id: r.lead_id,
            reason,
            created_at: at,
            released_at: None,
            raised_by: "ai".into(),
            released_by: None,
        }])
        .await
        .expect("escalate");
}

async fn usage(store: &SeaOrmStore, tenant: TenantId, cost: f64, at: DateTime<Utc>) {
    store
        .record_usage(&UsageRecord {
            tenant_id: tenant,
            conversation_id: None,
            usage: ModelUsage {
                provider: "anthropic".into(),
                model: "m".into(),
                input_tokens: 100,
                output_tokens: 10,
                cache_write_tokens: 0,
                cache_read_tokens: 0,
                cost_usd: cost,
            },
            at,
        })
        .await
        .expect("usage");
}

async fn seeded_report(kind: Kind) {
    let Some(db) = TestDb::new(kind, "analytics_known_answers").await else {
        return;
    };
    let store = &db.store;
    let (tenant, _) = stored_tenant(store).await;
    let (other, _) = stored_tenant(store).await;
    let t = tenant.id;
    let day = Duration::days(1);

    // A: SMS, answered in 30 s, qualified; two requests for a person.
    let a = lead_at(store, t, Channel::Sms, t0()).await;
    message(
        store,
        &a,
        t,
        Direction::Outbound,
        DeliveryStatus::Sent,
        t0() + Duration::seconds(30),
    )
    .await;
    move_lead(
        store,
        &a,
        t,
        &[LeadEvent::StartQualifying, LeadEvent::Qualify],
        false,
        t0(),
    )
    .await;
    escalate(
        store,
        &a,
        t,
        EscalationReason::HumanRequested,
        t0() + Duration::minutes(1),
    )
    .await;
    escalate(
        store,
        &a,
        t,
        EscalationReason::HumanRequested,
        t0() + Duration::minutes(2),
    )
    .await;
    // B: web form, answered in 120 s, booked; a high-value escalation.
    let b = lead_at(store, t, Channel::WebForm, t0() + day).await;
    message(
        store,
        &b,
        t,
        Direction::Outbound,
        DeliveryStatus::Delivered,
        t0() + day + Duration::seconds(120),
    )
    .await;
    move_lead(
        store,
        &b,
        t,
        &[
            LeadEvent::StartQualifying,
            LeadEvent::Qualify,
            LeadEvent::BookAppointment,
        ],
        false,
        t0() + day,
    )
    .await;
    escalate(
        store,
        &b,
        t,
        EscalationReason::HighValue {
            amount: 2e6,
            threshold: 1e6,
        },
        t0() + day,
    )
    .await;
    // C: web form, its only reply failed: unanswered; not interested, disqualified.
    let c = lead_at(store, t, Channel::WebForm, t0() + day * 2).await;
    let failed = message(
        store,
        &c,
        t,
        Direction::Outbound,
        DeliveryStatus::Pending,
        t0() + day * 2 + Duration::seconds(5),
    )
    .await;
    store
        .set_delivery(
            t,
            failed,
            DeliveryStatus::Failed,
            None,
            Some("21610 unsubscribed".into()),
        )
        .await
        .expect("fail delivery");
    move_lead(
        store,
        &c,
        t,
        &[LeadEvent::StartQualifying, LeadEvent::Disqualify],
        true,
        t0() + day * 2,
    )
    .await;
    // Outside the range, or another tenant's: never counted.
    let d = lead_at(store, t, Channel::Sms, t0() - day * 3).await;
    message(
        store,
        &d,
        t,
        Direction::Outbound,
        DeliveryStatus::Sent,
        t0() - day * 3 + Duration::seconds(1),
    )
    .await;
    escalate(
        store,
        &d,
        t,
        EscalationReason::HumanRequested,
        t0() - day * 3,
    )
    .await;
    let e = lead_at(store, other.id, Channel::Sms, t0()).await;
    message(
        store,
        &e,
        other.id,
        Direction::Outbound,
        DeliveryStatus::Sent,
        t0() + Duration::seconds(1),
    )
    .await;
    escalate(store, &e, other.id, EscalationReason::HumanRequested, t0()).await;
    usage(store, other.id, 5.0, t0()).await;
    for cost in [0.01, 0.02, 0.03] {
        usage(store, t, cost, t0() + Duration::hours(1)).await;
    }
    usage(store, t, 1.0, t0() - day * 3).await;

    let query = AnalyticsQuery {
        from: NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
        to: NaiveDate::from_ymd_opt(2026, 11, 10).expect("date"),
        group_by: GroupBy::Source,
    };
    let hours = &tenant.settings.business_hours;
    let (from, to) = query.window(hours.timezone());
    let facts = store
        .analytics_facts(t, from, to, hours.timezone())
        .await
        .expect("facts");
    let r = summarize(&facts, &query, hours);

    assert_eq!(r.leads, 3);
    let all = &r.speed_by_channel[0];
    assert_eq!(all.key, "all");
    assert_eq!((all.answered.count, all.unanswered), (2, 1));
    assert_eq!(
        (all.answered.p50, all.answered.p90, all.answered.max),
        (Some(30), Some(120), Some(120))
    );
    let sms = r
        .speed_by_channel
        .iter()
        .find(|s| s.key == "sms")
        .expect("sms row");
    assert_eq!((sms.answered.count, sms.answered.p50), (1, Some(30)));
    let hours_total: u64 = r.speed_by_hours.iter().map(|s| s.answered.count).sum();
    assert_eq!(hours_total, 2);
    let funnel = |key: &str| {
        r.funnel
            .iter()
            .find(|f| f.key == key)
            .map(|f| (f.count, f.of))
            .expect("funnel row")
    };
    assert_eq!(funnel(LeadState::Qualifying.as_str()), (3, 3));
    assert_eq!(funnel(LeadState::Qualified.as_str()), (2, 3));
    assert_eq!(funnel(LeadState::AppointmentBooked.as_str()), (1, 3));
    assert_eq!(funnel(LeadState::Disqualified.as_str()), (1, 3));
    assert_eq!(funnel(LeadState::HandedOff.as_str()), (0, 3));
    assert_eq!(funnel("not_interested"), (1, 3));
    let groups: Vec<(&str, u64, u64, u64)> = r
        .groups
        .iter()
        .map(|g| (g.key.as_str(), g.leads, g.qualified, g.booked))
        .collect();
    assert_eq!(groups, vec![("sms", 1, 1, 0), ("web_form", 2, 1, 1)]);
    let escalations: Vec<(&str, u64)> = r
        .escalations
        .iter()
        .map(|e| (e.key.as_str(), e.count))
        .collect();
    assert_eq!(escalations, vec![("human_requested", 2), ("high_value", 1)]);
    assert_eq!(r.failures.len(), 1);
    assert_eq!(
        (
            r.failures[0].key.as_str(),
            r.failures[0].detail.as_str(),
            r.failures[0].count
        ),
        ("sms", "21610 unsubscribed", 1)
    );
    assert_eq!(r.cost.usage.calls, 3);
    assert!((r.cost.usage.cost_usd - 0.06).abs() < 1e-9);
    assert!((r.cost.per_lead.expect("per lead") - 0.02).abs() < 1e-9);
    assert!((r.cost.per_qualified.expect("per qualified") - 0.03).abs() < 1e-9);
    assert!((r.cost.per_booking.expect("per booking") - 0.06).abs() < 1e-9);
    db.finish().await;
}

#[tokio::test]
async fn analytics_known_answers_on_sqlite() {
    seeded_report(Kind::Sqlite).await;
}

#[tokio::test]
async fn analytics_known_answers_on_postgres() {
    seeded_report(Kind::Postgres).await;
}

/// The first-response times kept on each conversation follow late changes: a reply reported
/// failed after being sent stops counting, a later delivered reply takes its place, and a later
/// inbound message does not move the start.
async fn late_changes(kind: Kind) {
    let Some(db) = TestDb::new(kind, "analytics_late_changes").await else {
        return;
    };
    let store = &db.store;
    let (tenant, _) = stored_tenant(store).await;
    let t = tenant.id;
    let query = AnalyticsQuery {
        from: NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
        to: NaiveDate::from_ymd_opt(2026, 11, 10).expect("date"),
        group_by: GroupBy::Day,
    };
    let hours = &tenant.settings.business_hours;
    let (from, to) = query.window(hours.timezone());
    let speed = || async {
        let facts = store
            .analytics_facts(t, from, to, hours.timezone())
            .await
            .expect("facts");
        let all = summarize(&facts, &query, hours).speed_by_channel[0].clone();
        (all.answered.count, all.unanswered, all.answered.p50)
    };

    let a = lead_at(store, t, Channel::Sms, t0()).await;
    assert_eq!(speed().await, (0, 1, None), "no reply yet");
    let first = message(
        store,
        &a,
        t,
        Direction::Outbound,
        DeliveryStatus::Pending,
        t0() + Duration::seconds(10),
    )
    .await;
    assert_eq!(
        speed().await,
        (0, 1, None),
        "a pending reply is not a response"
    );
    store
        .set_delivery(t, first, DeliveryStatus::Sent, None, None)
        .await
        .expect("sent");
    assert_eq!(speed().await, (1, 0, Some(10)));
    store
        .set_delivery(t, first, DeliveryStatus::Failed, None, Some("30007".into()))
        .await
        .expect("failed late");
    assert_eq!(
        speed().await,
        (0, 1, None),
        "a reply failed late no longer counts"
    );
    message(
        store,
        &a,
        t,
        Direction::Outbound,
        DeliveryStatus::Delivered,
        t0() + Duration::seconds(95),
    )
    .await;
    assert_eq!(speed().await, (1, 0, Some(95)));
    // A second inbound message does not move the start.
    message(
        store,
        &a,
        t,
        Direction::Inbound,
        DeliveryStatus::NotApplicable,
        t0() + Duration::seconds(200),
    )
    .await;
    assert_eq!(speed().await, (1, 0, Some(95)));
    db.finish().await;
}

#[tokio::test]
async fn analytics_late_changes_on_sqlite() {
    late_changes(Kind::Sqlite).await;
}

#[tokio::test]
async fn analytics_late_changes_on_postgres() {
    late_changes(Kind::Postgres).await;
}

/// Leads are counted by their local day in SQL: across the end of daylight saving time in New
/// York, leads half an hour either side of local midnight land on the right days.
async fn local_days_across_daylight_saving(kind: Kind) {
    let Some(db) = TestDb::new(kind, "analytics_local_days").await else {
        return;
    };
    let store = &db.store;
    let (tenant, _) = stored_tenant(store).await;
    let t = tenant.id;
    let utc = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .expect("instant")
    };
    for at in [
        "2026-10-31T03:30:00Z", // Oct 30, 23:30 EDT
        "2026-10-31T04:30:00Z", // Oct 31, 00:30 EDT
        "2026-11-02T04:30:00Z", // Nov 1, 23:30 EST (00:30 on Nov 2 at the summer offset)
        "2026-11-02T05:30:00Z", // Nov 2, 00:30 EST
        "2026-11-02T05:40:00Z", // Nov 2, 00:40 EST
    ] {
        lead_at(store, t, Channel::Sms, utc(at)).await;
    }
    let hours = lead_domain::hours::BusinessHours::closed(chrono_tz::America::New_York);
    let query = AnalyticsQuery {
        from: NaiveDate::from_ymd_opt(2026, 10, 30).expect("date"),
        to: NaiveDate::from_ymd_opt(2026, 11, 3).expect("date"),
        group_by: GroupBy::Day,
    };
    let (from, to) = query.window(hours.timezone());
    let facts = store
        .analytics_facts(t, from, to, hours.timezone())
        .await
        .expect("facts");
    assert_eq!(facts.leads.len(), 4, "one row per local day here");
    let r = summarize(&facts, &query, &hours);
    let days: Vec<(&str, u64)> = r.groups.iter().map(|g| (g.key.as_str(), g.leads)).collect();
    assert_eq!(
        days,
        vec![
            ("2026-10-30", 1),
            ("2026-10-31", 1),
            ("2026-11-01", 1),
            ("2026-11-02", 2)
        ]
    );
    db.finish().await;
}

#[tokio::test]
async fn analytics_local_days_on_sqlite() {
    local_days_across_daylight_saving(Kind::Sqlite).await;
}

#[tokio::test]
async fn analytics_local_days_on_postgres() {
    local_days_across_daylight_saving(Kind::Postgres).await;
}

fn experiment(tenant: TenantId, metric: Metric, at: DateTime<Utc>) -> Experiment {
    Experiment {
        id: ExperimentId::from_uuid(Uuid::new_v4()),
        tenant_id: tenant,
        name: "greeting test".into(),
        target: Target::Greeting,
        variants: ["a", "b"]
            .iter()
            .map(|k| Variant {
                key: (*k).to_owned(),
                text_en: format!("Hello {k}"),
                text_ar: format!("مرحبا {k}"),
            })
            .collect(),
        metric,
        traffic: 1.0,
        status: Status::Running,
        winner: None,
        created_at: at,
        stopped_at: None,
    }
}

async fn experiments_store(kind: Kind) {
    let Some(db) = TestDb::new(kind, "experiments_store").await else {
        return;
    };
    let store = &db.store;
    let (tenant, _) = stored_tenant(store).await;
    let (other, _) = stored_tenant(store).await;
    let t = tenant.id;
    let e = experiment(t, Metric::Replied, t0());
    store.create_experiment(&e).await.expect("create");
    assert_eq!(
        store.get_experiment(t, e.id).await.expect("get"),
        Some(e.clone())
    );
    assert_eq!(
        store
            .get_experiment(other.id, e.id)
            .await
            .expect("get other"),
        None
    );
    assert_eq!(
        store.list_experiments(other.id).await.expect("list other"),
        vec![]
    );

    // Three leads exposed; two reply after the exposure, one only before it.
    let mut leads = Vec::new();
    for (i, variant) in ["a", "b", "b"].iter().enumerate() {
        let r = lead_at(store, t, Channel::Sms, t0()).await;
        let exposed = t0() + Duration::seconds(10);
        let recorded = store
            .record_exposure(t, e.id, r.lead_id, variant, exposed)
            .await
            .expect("expose");
        assert_eq!(recorded, *variant);
        // A second exposure (another instance, another variant) keeps the first.
        let again = store
            .record_exposure(t, e.id, r.lead_id, "a", exposed + Duration::seconds(1))
            .await
            .expect("expose again");
        assert_eq!(again, *variant);
        if i < 2 {
            message(
                store,
                &r,
                t,
                Direction::Inbound,
                DeliveryStatus::NotApplicable,
                exposed + Duration::minutes(5),
            )
            .await;
        }
        leads.push(r);
    }
    let mut counts = store.variant_counts(&e).await.expect("counts");
    counts.sort_by(|x, y| x.key.cmp(&y.key));
    let summary: Vec<(&str, u64, u64)> = counts
        .iter()
        .map(|c| (c.key.as_str(), c.exposures, c.conversions))
        .collect();
    assert_eq!(summary, vec![("a", 1, 1), ("b", 2, 1)]);

    // Qualified counts a state reached after the exposure.
    let q = experiment(t, Metric::Qualified, t0());
    store.create_experiment(&q).await.expect("create qualified");
    store
        .record_exposure(t, q.id, leads[0].lead_id, "a", t0())
        .await
        .expect("expose");
    move_lead(
        store,
        &leads[0],
        t,
        &[LeadEvent::StartQualifying, LeadEvent::Qualify],
        false,
        t0() + Duration::hours(1),
    )
    .await;
    let counts = store.variant_counts(&q).await.expect("counts");
    assert_eq!(counts.len(), 1);
    assert_eq!((counts[0].exposures, counts[0].conversions), (1, 1));

    assert!(
        !store
            .stop_experiment(other.id, e.id, "b", t0())
            .await
            .expect("stop other")
    );
    assert!(
        store
            .stop_experiment(t, e.id, "b", t0() + day())
            .await
            .expect("stop")
    );
    assert!(
        !store
            .stop_experiment(t, e.id, "a", t0() + day())
            .await
            .expect("stop twice")
    );
    let stopped = store
        .get_experiment(t, e.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        (stopped.status, stopped.winner.as_deref()),
        (Status::Stopped, Some("b"))
    );
    assert_eq!(
        store
            .assigned_variant(t, e.id, leads[0].lead_id)
            .await
            .expect("assigned"),
        Some("a".to_owned())
    );
    assert_eq!(
        store
            .assigned_variant(other.id, e.id, leads[0].lead_id)
            .await
            .expect("other"),
        None
    );
    db.finish().await;
}

fn day() -> Duration {
    Duration::days(1)
}

#[tokio::test]
async fn experiments_store_on_sqlite() {
    experiments_store(Kind::Sqlite).await;
}

#[tokio::test]
async fn experiments_store_on_postgres() {
    experiments_store(Kind::Postgres).await;
}
