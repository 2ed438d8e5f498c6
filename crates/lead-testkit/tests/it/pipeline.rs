//! The processing pipeline on fakes: the lifecycle rules a decision applies, and exactly-once
//! effects when a worker dies before its commit or loses its lease to another worker.

use chrono::Duration;
use lead_domain::contact::PhoneNumber;
use lead_domain::jobs::{Job, JobPayload, JobStatus};
use lead_domain::lead::{Channel, Direction};
use lead_domain::lifecycle::LeadState;
use lead_domain::ports::{
    ContactInfo, EscalationRepository, IntakeReceipt, JobQueue, LeadRepository, Page,
    TenantRepository,
};
use lead_domain::qualification::{Budget, Currency, Fact, Qualification, Timeline};
use lead_domain::tenant::Tenant;
use lead_domain::usecases::{
    Deps, InboundRequest, UseCaseError, accept_inbound, process_inbound, worker_tick,
};
use lead_testkit::builders::{Fakes, key_record};
use lead_testkit::{ScriptedExtractor, TenantBuilder, deps_with};
use std::sync::Arc;
use std::time::Duration as StdDuration;

const OPEN: &str = "2026-11-24T07:00:00Z";

struct World {
    deps: Deps,
    fakes: Fakes,
    tenant: Tenant,
}

async fn world(reading: Qualification) -> World {
    let (deps, fakes) = deps_with(None, Arc::new(ScriptedExtractor::reading(reading)), OPEN);
    let tenant = TenantBuilder::real_estate().build();
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
    async fn inbound(&self, body: &str) -> IntakeReceipt {
        let req = InboundRequest {
            channel: Some(Channel::WebForm),
            contact: ContactInfo {
                name: Some("Ahmed Ali".into()),
                phone: Some(PhoneNumber::parse("+966501234567").unwrap_or_else(|e| panic!("{e}"))),
                ..ContactInfo::default()
            },
            body: Some(body.into()),
            ..Default::default()
        };
        accept_inbound(&self.deps, &self.tenant, req)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn state(&self, r: &IntakeReceipt) -> LeadState {
        self.fakes
            .store
            .get_lead(self.tenant.id, r.lead_id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("lead"))
            .state
    }

    async fn claim(&self, worker: &str) -> Vec<Job> {
        self.fakes
            .store
            .claim_due(
                worker,
                lead_domain::ports::Clock::now(self.fakes.clock.as_ref()),
                10,
                StdDuration::from_secs(60),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Replies, escalations and queued notifications of the receipt's conversation.
    async fn effects(&self, r: &IntakeReceipt) -> (usize, usize, usize) {
        let messages = self
            .fakes
            .store
            .list_messages(self.tenant.id, r.conversation_id, Page::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let replies = messages
            .items
            .iter()
            .filter(|m| m.direction == Direction::Outbound)
            .count();
        let escalations = self
            .fakes
            .store
            .conversation_escalations(self.tenant.id, r.conversation_id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .len();
        let mut notifications = 0;
        for status in [JobStatus::Queued, JobStatus::Done] {
            let page = Page {
                limit: 200,
                offset: 0,
            };
            notifications += self
                .fakes
                .store
                .list_jobs(status, page)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .items
                .iter()
                .filter(|j| matches!(j.payload, JobPayload::Notify { .. }))
                .count();
        }
        (replies, escalations, notifications)
    }
}

fn sar(max: f64) -> Option<Fact<Budget>> {
    Some(Fact::stated(Budget {
        min: None,
        max: Some(max),
        currency: Currency::code(*b"SAR"),
        confirmed: false,
    }))
}

fn hot_reading() -> Qualification {
    Qualification {
        service: Some(Fact::stated("buy_apartment".into())),
        budget: sar(800_000.0),
        timeline: Some(Fact::stated(Timeline::Immediate)),
        decision_maker: Some(Fact::stated(true)),
        ..Default::default()
    }
}

fn process_job(
    job: &Job,
) -> (
    lead_domain::ids::LeadId,
    lead_domain::ids::ConversationId,
    lead_domain::ids::MessageId,
) {
    match job.payload {
        JobPayload::ProcessInbound {
            lead_id,
            conversation_id,
            message_id,
        } => (lead_id, conversation_id, message_id),
        _ => panic!("expected a processing job, got {:?}", job.payload),
    }
}

#[tokio::test]
async fn cold_lead_planning_beyond_six_months_goes_to_nurturing() {
    let w = world(Qualification {
        timeline: Some(Fact::stated(Timeline::OverSixMonths)),
        ..Default::default()
    })
    .await;
    let r = w.inbound("maybe next year").await;
    worker_tick(&w.deps, "w", 10, StdDuration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.state(&r).await, LeadState::Nurturing);
}

#[tokio::test]
async fn budget_below_the_tenants_minimum_disqualifies() {
    let w = world(Qualification {
        budget: sar(1_000.0),
        ..Default::default()
    })
    .await;
    let r = w.inbound("I have 1000 riyals").await;
    worker_tick(&w.deps, "w", 10, StdDuration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.state(&r).await, LeadState::Disqualified);
}

#[tokio::test]
async fn a_worker_dead_before_its_commit_leaves_one_reply_escalation_and_notification() {
    let w = world(hot_reading()).await;
    let r = w.inbound("I need an apartment now, I decide").await;
    // The first worker claims the job and dies before it commits: nothing of it is stored.
    let first = w.claim("dead").await;
    assert_eq!(first.len(), 1);
    assert_eq!(w.effects(&r).await, (0, 0, 0));
    // Its lease runs out; another worker runs the job to the end.
    w.fakes.clock.advance(Duration::seconds(61));
    worker_tick(&w.deps, "alive", 10, StdDuration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.effects(&r).await, (1, 1, 1));
    let job = w
        .fakes
        .store
        .get_job(w.tenant.id, first[0].id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("job"));
    assert_eq!((job.status, job.attempts), (JobStatus::Done, 2));
}

#[tokio::test]
async fn two_workers_given_the_same_job_store_its_effects_once() {
    let w = world(hot_reading()).await;
    let r = w.inbound("I need an apartment now, I decide").await;
    let slow = w.claim("slow").await;
    // The slow worker's lease runs out while its model call hangs; a second worker claims the job.
    w.fakes.clock.advance(Duration::seconds(61));
    let fast = w.claim("fast").await;
    assert_eq!((slow.len(), fast.len()), (1, 1));
    assert!(fast[0].lease_token > slow[0].lease_token);
    let (lead, conversation, message) = process_job(&fast[0]);
    process_inbound(
        &w.deps,
        Some(fast[0].lease()),
        w.tenant.id,
        lead,
        conversation,
        message,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    // The slow worker comes back and tries to commit the same decision: fenced off.
    let late = process_inbound(
        &w.deps,
        Some(slow[0].lease()),
        w.tenant.id,
        lead,
        conversation,
        message,
    )
    .await;
    assert!(matches!(late, Err(UseCaseError::LeaseLost)), "{late:?}");
    assert_eq!(w.effects(&r).await, (1, 1, 1));
    // Even a re-run with no lease at all (an operator's re-drive) adds no effect twice.
    process_inbound(&w.deps, None, w.tenant.id, lead, conversation, message)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.effects(&r).await, (1, 1, 1));
}

#[tokio::test]
async fn notifications_reach_the_notifier_through_their_own_job() {
    let w = world(hot_reading()).await;
    let _ = w.inbound("I need an apartment now, I decide").await;
    for _ in 0..3 {
        worker_tick(&w.deps, "w", 10, StdDuration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let sent = w.fakes.notifier.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        matches!(sent[0], lead_domain::ports::Notification::HotLead { .. }),
        "{sent:?}"
    );
}
