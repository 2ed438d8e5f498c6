//! The inbound use cases on in-memory fakes, and with mockall where a call must not happen.

use chrono::Duration;
use lead_domain::contact::{Address, PhoneNumber};
use lead_domain::jobs::JobStatus;
use lead_domain::lead::{Channel, DeliveryStatus, Direction, ModelUsage};
use lead_domain::lifecycle::LeadState;
use lead_domain::ports::{
    ContactInfo, EscalationRepository, Intent, JobQueue, LeadRepository, LlmError,
    MockLanguageModel, MockMessageSender, ModelTurn, Notification, OptOutRegistry, Page,
    RouteOutcome, SendError, TenantRepository,
};
use lead_domain::qualification::{Budget, Currency, Fact, Qualification, Timeline};
use lead_domain::scoring::Score;
use lead_domain::tenant::{Tenant, TenantStatus};
use lead_domain::usecases::{Deps, InboundRequest, accept_inbound, worker_tick};
use lead_testkit::builders::{Fakes, key_record};
use lead_testkit::{ScriptedExtractor, ScriptedModel, TenantBuilder, deps_with};
use std::sync::Arc;
use std::time::Duration as StdDuration;

/// Tuesday 2026-11-24 10:00 in Riyadh: open.
const OPEN: &str = "2026-11-24T07:00:00Z";
/// Tuesday 2026-11-24 21:00 in Riyadh: closed until Wednesday 09:00.
const CLOSED: &str = "2026-11-24T18:00:00Z";

fn phone() -> PhoneNumber {
    PhoneNumber::parse("+966501234567").unwrap_or_else(|e| panic!("{e}"))
}

fn sar_budget(max: f64) -> Option<Fact<Budget>> {
    Some(Fact::stated(Budget {
        min: None,
        max: Some(max),
        currency: Currency::code(*b"SAR"),
        confirmed: false,
    }))
}

fn warm_reading() -> Qualification {
    Qualification {
        service: Some(Fact::stated("buy_apartment".into())),
        budget: sar_budget(800_000.0),
        ..Default::default()
    }
}

fn hot_reading() -> Qualification {
    Qualification {
        timeline: Some(Fact::stated(Timeline::Immediate)),
        decision_maker: Some(Fact::stated(true)),
        ..warm_reading()
    }
}

struct World {
    deps: Deps,
    fakes: Fakes,
    tenant: Tenant,
}

async fn world(
    model: Option<Arc<dyn lead_domain::ports::LanguageModel>>,
    reading: Qualification,
    now: &str,
    tenant: Tenant,
) -> World {
    let (deps, fakes) = deps_with(model, Arc::new(ScriptedExtractor::reading(reading)), now);
    fakes
        .store
        .insert_tenant(&tenant, &key_record("k"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    World {
        deps,
        fakes,
        tenant,
    }
}

impl World {
    async fn inbound(&self, body: &str) -> lead_domain::ports::IntakeReceipt {
        let req = InboundRequest {
            channel: Some(Channel::WebForm),
            contact: ContactInfo {
                name: Some("Ahmed Ali".into()),
                phone: Some(phone()),
                email: None,
                chat_session: None,
                ..ContactInfo::default()
            },
            body: Some(body.into()),
            ..Default::default()
        };
        accept_inbound(&self.deps, &self.tenant, req)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs the queue until it is empty (bounded), advancing time so retries come due.
    async fn drain(&self) {
        for _ in 0..20 {
            let n = worker_tick(&self.deps, "test", 10, StdDuration::from_secs(60))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            if n == 0 {
                self.fakes.clock.advance(Duration::minutes(15));
                if worker_tick(&self.deps, "test", 10, StdDuration::from_secs(60))
                    .await
                    .unwrap_or(0)
                    == 0
                {
                    return;
                }
            }
        }
    }

    async fn outbound(
        &self,
        r: &lead_domain::ports::IntakeReceipt,
    ) -> Vec<lead_domain::lead::Message> {
        let page = self
            .fakes
            .store
            .list_messages(self.tenant.id, r.conversation_id, Page::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        page.items
            .into_iter()
            .filter(|m| m.direction == Direction::Outbound)
            .collect()
    }

    async fn lead(&self, r: &lead_domain::ports::IntakeReceipt) -> lead_domain::lead::Lead {
        self.fakes
            .store
            .get_lead(self.tenant.id, r.lead_id)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("lead missing"))
    }
}

#[tokio::test]
async fn intake_stores_and_enqueues_and_a_paused_tenant_gets_no_job() {
    let w = world(
        None,
        Qualification::default(),
        OPEN,
        TenantBuilder::real_estate().build(),
    )
    .await;
    let r = w.inbound("I want an apartment").await;
    assert!(r.lead_created && r.job_id.is_some());
    let paused = world(
        None,
        Qualification::default(),
        OPEN,
        TenantBuilder::real_estate()
            .status(TenantStatus::Paused)
            .build(),
    )
    .await;
    let r = paused.inbound("I want an apartment").await;
    assert!(
        r.message_id.is_some() && r.job_id.is_none(),
        "lead stored, no AI work"
    );
}

#[tokio::test]
async fn intake_needs_a_way_to_reach_the_lead() {
    let w = world(
        None,
        Qualification::default(),
        OPEN,
        TenantBuilder::real_estate().build(),
    )
    .await;
    let err = accept_inbound(
        &w.deps,
        &w.tenant,
        InboundRequest {
            body: Some("hi".into()),
            ..Default::default()
        },
    )
    .await;
    assert!(err.is_err());
}

#[tokio::test]
async fn offline_path_scores_replies_and_sends_once() {
    let w = world(
        None,
        warm_reading(),
        OPEN,
        TenantBuilder::real_estate().build(),
    )
    .await;
    let r = w
        .inbound("I am looking to buy an apartment in Dammam, budget around 800,000 SAR")
        .await;
    w.drain().await;
    let lead = w.lead(&r).await;
    assert_eq!(
        (lead.state, lead.score.score, lead.score.points),
        (LeadState::Qualifying, Score::Warm, 3)
    );
    let out = w.outbound(&r).await;
    assert_eq!(out.len(), 1);
    assert!(
        out[0]
            .body
            .starts_with("Hi Ahmed, thanks for contacting Test Realty!"),
        "{}",
        out[0].body
    );
    assert!(
        out[0].body.contains("When are you hoping"),
        "asks the first missing field: {}",
        out[0].body
    );
    assert_eq!(out[0].delivery, DeliveryStatus::Sent);
    let sent = w.fakes.sender.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].channel, &sent[0].to),
        (Channel::Sms, &Address::Phone(phone()))
    );
    let job = w
        .fakes
        .store
        .get_job(w.tenant.id, r.job_id.unwrap_or_else(|| panic!("job")))
        .await
        .ok()
        .flatten();
    let job = job.unwrap_or_else(|| panic!("job missing"));
    assert_eq!(job.status, JobStatus::Done);
    assert!(
        job.last_error
            .is_some_and(|n| n.contains("no language model")),
        "degraded run is visible"
    );
}

#[tokio::test]
async fn arabic_lead_gets_an_arabic_reply() {
    let w = world(
        None,
        warm_reading(),
        OPEN,
        TenantBuilder::real_estate().build(),
    )
    .await;
    let r = w.inbound("ابي شقة في الدمام بحدود ٨٠٠ ألف").await;
    w.drain().await;
    let out = w.outbound(&r).await;
    assert!(out[0].body.contains("شكراً لتواصلك"), "{}", out[0].body);
    assert_eq!(out[0].language, Some(lead_domain::language::Language::Ar));
}

#[tokio::test]
async fn hot_lead_is_qualified_and_the_team_is_told() {
    let w = world(
        None,
        hot_reading(),
        OPEN,
        TenantBuilder::real_estate().build(),
    )
    .await;
    let r = w
        .inbound("3BR in Riyadh, 800k cash, this week, my decision")
        .await;
    w.drain().await;
    let lead = w.lead(&r).await;
    assert_eq!(
        (lead.state, lead.score.score),
        (LeadState::Qualified, Score::Hot)
    );
    let history = w
        .fakes
        .store
        .lead_history(w.tenant.id, r.lead_id)
        .await
        .unwrap_or_default();
    assert_eq!(
        history.iter().map(|c| c.to).collect::<Vec<_>>(),
        [LeadState::Qualifying, LeadState::Qualified]
    );
    assert!(
        w.fakes
            .notifier
            .sent()
            .iter()
            .any(|n| matches!(n, Notification::HotLead { .. }))
    );
    let out = w.outbound(&r).await;
    assert!(
        out[0].body.contains("contact you shortly"),
        "{}",
        out[0].body
    );
}

#[tokio::test]
async fn after_hours_the_promise_names_the_next_opening() {
    let w = world(
        None,
        hot_reading(),
        CLOSED,
        TenantBuilder::real_estate().build(),
    )
    .await;
    let r = w.inbound("ready to buy now").await;
    w.drain().await;
    let out = w.outbound(&r).await;
    assert!(out[0].body.contains("Wednesday 09:00"), "{}", out[0].body);
}

#[tokio::test]
async fn keyword_escalates_hands_off_and_stops_ai_replies() {
    let w = world(
        None,
        Qualification::default(),
        OPEN,
        TenantBuilder::real_estate().build(),
    )
    .await;
    let r = w.inbound("I want to speak to the manager").await;
    w.drain().await;
    let lead = w.lead(&r).await;
    assert_eq!(lead.state, LeadState::HandedOff);
    let esc = w
        .fakes
        .store
        .conversation_escalations(w.tenant.id, r.conversation_id)
        .await
        .unwrap_or_default();
    assert_eq!(
        esc.iter().map(|e| e.reason.kind()).collect::<Vec<_>>(),
        ["keyword"]
    );
    assert!(
        w.outbound(&r).await[0]
            .body
            .contains("passing you to a member of our team")
    );
    // The next message gets no AI reply while a person owns the conversation.
    w.inbound("hello?").await;
    w.drain().await;
    assert_eq!(w.outbound(&r).await.len(), 1);
    assert_eq!(w.fakes.sender.sent().len(), 1);
}

#[tokio::test]
async fn not_interested_is_disqualified_with_a_polite_goodbye() {
    let reading = Qualification {
        not_interested: Some(Fact::stated(true)),
        ..Default::default()
    };
    let w = world(None, reading, OPEN, TenantBuilder::real_estate().build()).await;
    let r = w.inbound("already bought elsewhere, thanks").await;
    w.drain().await;
    assert_eq!(w.lead(&r).await.state, LeadState::Disqualified);
    assert!(w.outbound(&r).await[0].body.starts_with("Understood"));
}

#[tokio::test]
async fn model_reply_is_used_and_usage_recorded() {
    let model = Arc::new(ScriptedModel::default());
    let usage = ModelUsage {
        provider: "anthropic".into(),
        model: "m".into(),
        input_tokens: 10,
        output_tokens: 5,
        cache_write_tokens: 0,
        cache_read_tokens: 0,
        cost_usd: 0.01,
    };
    model.push_route(Ok(RouteOutcome {
        sources: Vec::new(),
        intent: Intent::QualificationInfo,
        reply: None,
        usage: vec![usage.clone()],
    }));
    model.push_turn(Ok(ModelTurn {
        sources: Vec::new(),
        qualification: hot_reading(),
        reply: "Great, sending listings now.".into(),
        usage: vec![usage],
    }));
    let w = world(
        Some(model.clone()),
        Qualification::default(),
        OPEN,
        TenantBuilder::real_estate().build(),
    )
    .await;
    let r = w.inbound("3BR in Riyadh, 800k").await;
    w.drain().await;
    assert_eq!(w.outbound(&r).await[0].body, "Great, sending listings now.");
    assert_eq!(
        w.lead(&r).await.score.score,
        Score::Hot,
        "the domain scores the model's reading"
    );
    let month = lead_domain::lead::YearMonth::of(w.fakes.clock.now_for_test());
    let totals =
        lead_domain::ports::UsageLedger::month_usage(w.fakes.store.as_ref(), w.tenant.id, month)
            .await
            .unwrap_or_default();
    assert_eq!(totals.iter().map(|t| t.calls).sum::<u64>(), 2);
    let req = &model.requests()[0];
    assert_eq!(req.reply_language, lead_domain::language::Language::En);
}

#[tokio::test]
async fn model_failure_falls_back_to_offline_in_the_lead_language() {
    let model = Arc::new(ScriptedModel::default());
    model.push_route(Err(LlmError::Timeout));
    let w = world(
        Some(model),
        warm_reading(),
        OPEN,
        TenantBuilder::real_estate().build(),
    )
    .await;
    let r = w.inbound("ابغى شقة").await;
    w.drain().await;
    let out = w.outbound(&r).await;
    assert!(out[0].body.contains("شكراً لتواصلك"), "{}", out[0].body);
    let job = w
        .fakes
        .store
        .get_job(w.tenant.id, r.job_id.unwrap_or_else(|| panic!("job")))
        .await
        .ok()
        .flatten();
    assert!(
        job.and_then(|j| j.last_error)
            .is_some_and(|n| n.contains("timed out"))
    );
}

#[tokio::test]
async fn spent_budget_makes_no_model_call() {
    let mut model = MockLanguageModel::new();
    model.expect_route().never();
    model.expect_qualify().never();
    let w = world(
        Some(Arc::new(model)),
        warm_reading(),
        OPEN,
        TenantBuilder::real_estate().monthly_budget(1.0).build(),
    )
    .await;
    let spend = lead_domain::lead::UsageRecord {
        tenant_id: w.tenant.id,
        conversation_id: None,
        usage: ModelUsage {
            provider: "anthropic".into(),
            model: "m".into(),
            input_tokens: 1,
            output_tokens: 1,
            cache_write_tokens: 0,
            cache_read_tokens: 0,
            cost_usd: 1.5,
        },
        at: w.fakes.clock.now_for_test(),
    };
    lead_domain::ports::UsageLedger::record_usage(w.fakes.store.as_ref(), &spend)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = w.inbound("I want an apartment").await;
    w.drain().await;
    assert_eq!(w.outbound(&r).await.len(), 1, "the lead still gets a reply");
}

#[tokio::test]
async fn budget_alert_is_raised_once_per_month() {
    let model = Arc::new(ScriptedModel::default());
    let usage = ModelUsage {
        provider: "anthropic".into(),
        model: "m".into(),
        input_tokens: 1,
        output_tokens: 1,
        cache_write_tokens: 0,
        cache_read_tokens: 0,
        cost_usd: 0.45,
    };
    for _ in 0..2 {
        model.push_route(Ok(RouteOutcome {
            sources: Vec::new(),
            intent: Intent::Greeting,
            reply: Some("Hello!".into()),
            usage: vec![usage.clone()],
        }));
    }
    let w = world(
        Some(model),
        Qualification::default(),
        OPEN,
        TenantBuilder::real_estate().monthly_budget(1.0).build(),
    )
    .await;
    w.inbound("hi").await;
    w.drain().await;
    w.inbound("hello again").await;
    w.drain().await;
    let alerts = w
        .fakes
        .notifier
        .sent()
        .into_iter()
        .filter(|n| matches!(n, Notification::BudgetAlert { .. }))
        .count();
    assert_eq!(alerts, 1);
}

/// A world whose sender must never be called (mockall fails the test if it is).
async fn world_that_must_not_send() -> World {
    let mut sender = MockMessageSender::new();
    sender.expect_send().never();
    // Asking whether a channel is configured is not sending.
    sender.expect_can_deliver().return_const(true);
    let mut w = world(
        None,
        warm_reading(),
        OPEN,
        TenantBuilder::real_estate().build(),
    )
    .await;
    w.deps.sender = Arc::new(sender);
    w
}

#[tokio::test]
async fn opted_out_number_is_never_sent_to() {
    let w = world_that_must_not_send().await;
    w.fakes
        .store
        .opt_out(
            w.tenant.id,
            &Address::Phone(phone()),
            w.fakes.clock.now_for_test(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = w.inbound("I want an apartment").await;
    w.drain().await;
    assert!(w.outbound(&r).await.is_empty());
}

#[tokio::test]
async fn opt_out_between_reply_and_send_suppresses_the_send() {
    let w = world_that_must_not_send().await;
    let r = w.inbound("I want an apartment").await;
    // Process the inbound job only: the reply is stored with its send job.
    worker_tick(&w.deps, "t", 1, StdDuration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    w.fakes
        .store
        .opt_out(
            w.tenant.id,
            &Address::Phone(phone()),
            w.fakes.clock.now_for_test(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    w.drain().await;
    let out = w.outbound(&r).await;
    assert_eq!(out[0].delivery, DeliveryStatus::Suppressed);
}

#[tokio::test]
async fn temporary_send_failure_is_retried_and_sent_once() {
    let w = world(
        None,
        warm_reading(),
        OPEN,
        TenantBuilder::real_estate().build(),
    )
    .await;
    w.fakes.sender.fail_next([SendError::Retryable {
        message: "twilio 503".into(),
        retry_after: None,
    }]);
    let r = w.inbound("I want an apartment").await;
    w.drain().await;
    assert_eq!(w.fakes.sender.sent().len(), 1);
    assert_eq!(w.outbound(&r).await[0].delivery, DeliveryStatus::Sent);
}

#[tokio::test]
async fn permanent_send_failure_stops_and_keeps_the_reason() {
    let w = world(
        None,
        warm_reading(),
        OPEN,
        TenantBuilder::real_estate().build(),
    )
    .await;
    w.fakes.sender.fail_next([SendError::Permanent {
        code: Some("21211".into()),
        message: "invalid To".into(),
    }]);
    let r = w.inbound("I want an apartment").await;
    w.drain().await;
    assert!(w.fakes.sender.sent().is_empty());
    let out = w.outbound(&r).await;
    assert_eq!(out[0].delivery, DeliveryStatus::Failed);
    assert!(
        out[0]
            .delivery_error
            .as_deref()
            .is_some_and(|e| e.contains("21211"))
    );
    let esc = w
        .fakes
        .store
        .conversation_escalations(w.tenant.id, r.conversation_id)
        .await
        .unwrap_or_default();
    assert_eq!(
        esc.iter().map(|e| e.reason.kind()).collect::<Vec<_>>(),
        ["undeliverable"],
        "the lead is marked for a person"
    );
}

#[tokio::test]
async fn sender_down_past_every_retry_keeps_lead_and_reply() {
    let mut w = world(
        None,
        warm_reading(),
        OPEN,
        TenantBuilder::real_estate().build(),
    )
    .await;
    // Sends are retried for a configured time, not a count: an outage longer than it is final.
    w.deps.budgets.sending = Duration::minutes(30);
    w.fakes
        .sender
        .fail_next((0..10).map(|_| SendError::Retryable {
            message: "connection refused".into(),
            retry_after: None,
        }));
    let r = w.inbound("I want an apartment").await;
    for _ in 0..10 {
        w.drain().await;
    }
    let out = w.outbound(&r).await;
    assert_eq!(
        out[0].delivery,
        DeliveryStatus::Failed,
        "reply kept with the reason"
    );
    assert!(w.lead(&r).await.phone.is_some());
}

#[tokio::test]
async fn only_the_latest_message_is_answered() {
    let w = world(
        None,
        warm_reading(),
        OPEN,
        TenantBuilder::real_estate().build(),
    )
    .await;
    let r = w.inbound("hi").await;
    w.inbound("I want an apartment").await;
    w.drain().await;
    assert_eq!(w.outbound(&r).await.len(), 1);
}

/// Reads the fake clock in tests without importing the port trait at every call site.
trait NowForTest {
    fn now_for_test(&self) -> chrono::DateTime<chrono::Utc>;
}

impl NowForTest for lead_testkit::FixedClock {
    fn now_for_test(&self) -> chrono::DateTime<chrono::Utc> {
        lead_domain::ports::Clock::now(self)
    }
}

#[tokio::test]
async fn invalid_model_output_is_paid_for_and_answered_offline() {
    let model = Arc::new(ScriptedModel::default());
    let usage = ModelUsage {
        provider: "anthropic".into(),
        model: "m".into(),
        input_tokens: 900,
        output_tokens: 50,
        cache_write_tokens: 0,
        cache_read_tokens: 0,
        cost_usd: 0.02,
    };
    model.push_route(Ok(RouteOutcome {
        sources: Vec::new(),
        intent: Intent::QualificationInfo,
        reply: None,
        usage: vec![],
    }));
    model.push_turn(Err(LlmError::InvalidOutput {
        reason: "confidence 7 is out of range".into(),
        usage: vec![usage],
    }));
    let w = world(
        Some(model),
        warm_reading(),
        OPEN,
        TenantBuilder::real_estate().build(),
    )
    .await;
    let r = w.inbound("I want an apartment").await;
    w.drain().await;
    assert!(
        w.outbound(&r).await[0].body.starts_with("Hi Ahmed"),
        "offline reply"
    );
    let month = lead_domain::lead::YearMonth::of(w.fakes.clock.now_for_test());
    let totals =
        lead_domain::ports::UsageLedger::month_usage(w.fakes.store.as_ref(), w.tenant.id, month)
            .await
            .unwrap_or_default();
    assert_eq!(totals.iter().map(|t| t.input_tokens).sum::<u64>(), 900);
}

#[tokio::test]
async fn missed_call_gets_the_follow_up_in_the_tenant_language() {
    let tenant = TenantBuilder::real_estate()
        .with(|t| t.settings.default_language = lead_domain::language::Language::Ar)
        .build();
    let w = world(None, Qualification::default(), OPEN, tenant).await;
    let req = InboundRequest {
        channel: Some(Channel::MissedCall),
        contact: ContactInfo {
            phone: Some(phone()),
            ..Default::default()
        },
        body: Some("Missed call (no-answer)".into()),
        sender: Some(lead_domain::lead::Sender::System),
        dedup_key: Some(("twilio".into(), "CA123".into())),
        ..Default::default()
    };
    let r = accept_inbound(&w.deps, &w.tenant, req)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    w.drain().await;
    let out = w.outbound(&r).await;
    assert_eq!(out.len(), 1);
    assert!(
        out[0].body.starts_with("نعتذر، فاتنا اتصالك"),
        "{}",
        out[0].body
    );
    assert_eq!(w.fakes.sender.sent()[0].channel, Channel::Sms);
}

/// The sender is the authoritative opt-out check: a STOP recorded after the use case's own check
/// (its second guard) still stops the send, and the message is suppressed, not failed or retried.
#[tokio::test]
async fn a_sender_refusing_an_opted_out_address_suppresses_the_message() {
    let w = world(
        None,
        warm_reading(),
        OPEN,
        TenantBuilder::real_estate().build(),
    )
    .await;
    w.fakes.sender.fail_next([SendError::OptedOut]);
    let r = w.inbound("I want an apartment").await;
    w.drain().await;
    assert!(w.fakes.sender.sent().is_empty());
    assert_eq!(w.outbound(&r).await[0].delivery, DeliveryStatus::Suppressed);
}
