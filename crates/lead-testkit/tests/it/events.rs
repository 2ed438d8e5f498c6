//! Events on in-memory fakes: a hot lead raises its events in the decision's commit, each person is
//! paged once even when the fan-out runs again or a provider fails first, and webhooks are retried
//! after a 500, disabled by a 410 and never block the lead's own conversation.

use chrono::Duration;
use lead_domain::contact::PhoneNumber;
use lead_domain::events::{DeliveryFilter, DeliveryStatus, EventType, PageChannel, WebhookAnswer};
use lead_domain::jobs::{JobPayload, JobStatus};
use lead_domain::lead::Channel;
use lead_domain::notifications::{NotificationSettings, WebhookEndpoint};
use lead_domain::ports::{
    ContactInfo, EscalationRepository, JobQueue, LeadRepository, Page, TenantRepository,
};
use lead_domain::qualification::{Budget, Currency, Fact, Qualification, Timeline};
use lead_domain::tenant::{Secret, Tenant};
use lead_domain::usecases::{Deps, InboundRequest, accept_inbound, worker_tick};
use lead_testkit::builders::{Fakes, key_record};
use lead_testkit::{ScriptedExtractor, TenantBuilder, deps_with};
use std::sync::Arc;
use std::time::Duration as StdDuration;

const OPEN: &str = "2026-11-24T07:00:00Z";

/// A HOT reading: villa, 2M SAR, now, the decision maker.
pub(crate) fn hot() -> Qualification {
    Qualification {
        service: Some(Fact::stated("buy_villa".into())),
        budget: Some(Fact::stated(Budget {
            min: None,
            max: Some(2_000_000.0),
            currency: Currency::code(*b"SAR"),
            confirmed: false,
        })),
        timeline: Some(Fact::stated(Timeline::Immediate)),
        decision_maker: Some(Fact::stated(true)),
        ..Default::default()
    }
}

fn tenant(webhooks: bool) -> Tenant {
    TenantBuilder::real_estate()
        .with(|t| {
            t.settings.notifications = NotificationSettings {
                email: vec!["sales@agency.example".into()],
                sms: vec!["+966501112233".into()],
                whatsapp: vec!["+966501112233".into()],
                webhooks: if webhooks {
                    vec![WebhookEndpoint {
                        id: "we_1".into(),
                        url: "https://hooks.example/lead".into(),
                        events: vec!["lead.hot".into()],
                        secret: Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
                        disabled: false,
                    }]
                } else {
                    Vec::new()
                },
                ..NotificationSettings::default()
            };
        })
        .build()
}

async fn world(tenant: &Tenant) -> (Deps, Fakes) {
    let (deps, fakes) = deps_with(None, Arc::new(ScriptedExtractor::reading(hot())), OPEN);
    fakes
        .store
        .insert_tenant(tenant, &key_record("k"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (deps, fakes)
}

async fn hot_lead(deps: &Deps, tenant: &Tenant) {
    let req = InboundRequest {
        channel: Some(Channel::WebForm),
        contact: ContactInfo {
            name: Some("Sara Ali".into()),
            phone: PhoneNumber::parse("+966507770001").ok(),
            ..ContactInfo::default()
        },
        body: Some("villa, 2M SAR, now, I decide".into()),
        ..Default::default()
    };
    accept_inbound(deps, tenant, req)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Runs due jobs, moving time on when nothing is due, for at most `rounds` idle rounds.
async fn drain(deps: &Deps, fakes: &Fakes, rounds: usize) {
    let mut idle = 0;
    while idle < rounds {
        let n = worker_tick(deps, "test", 10, StdDuration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        if n == 0 {
            idle += 1;
            fakes.clock.advance(Duration::minutes(2));
        }
    }
}

async fn jobs_of(fakes: &Fakes, kind: &str) -> usize {
    let mut n = 0;
    for status in [JobStatus::Queued, JobStatus::Done, JobStatus::Dead] {
        n += fakes
            .store
            .list_jobs(
                status,
                Page {
                    limit: 200,
                    offset: 0,
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .items
            .iter()
            .filter(|j| j.payload.kind() == kind)
            .count();
    }
    n
}

#[tokio::test]
async fn a_hot_lead_pages_each_person_once_even_when_the_provider_fails_first() {
    let t = tenant(false);
    let (deps, fakes) = world(&t).await;
    fakes.team.fail_next(2);
    hot_lead(&deps, &t).await;
    drain(&deps, &fakes, 4).await;
    let pages = fakes.team.pages();
    let mut to: Vec<(PageChannel, String)> = pages
        .iter()
        .map(|p| (p.channel, format!("{:?}", p.to)))
        .collect();
    to.sort_by_key(|(c, a)| (c.as_str(), a.clone()));
    assert_eq!(to.len(), 3, "{to:?}");
    assert_eq!(
        to.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        [PageChannel::Email, PageChannel::Sms, PageChannel::Whatsapp]
    );
    let sms = pages
        .iter()
        .find(|p| p.channel == PageChannel::Sms)
        .expect("sms");
    assert!(sms.text.starts_with("HOT lead: Sara Ali"), "{}", sms.text);
    assert!(sms.text.contains("https://leads.example/app/leads/"));
    let email = pages
        .iter()
        .find(|p| p.channel == PageChannel::Email)
        .expect("email");
    assert!(email.html.as_deref().is_some_and(|h| h.contains("<html")));
    // Only the events someone listens to were raised: lead.hot (the people's default events).
    assert_eq!(jobs_of(&fakes, "dispatch_event").await, 1);
    // The fan-out of the same event run again pages nobody twice.
    let dispatch = fakes
        .store
        .list_jobs(
            JobStatus::Done,
            Page {
                limit: 200,
                offset: 0,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .items
        .into_iter()
        .find_map(|j| match j.payload {
            JobPayload::DispatchEvent { event, .. } => Some(event),
            _ => None,
        })
        .expect("dispatch job");
    assert_eq!(dispatch.kind, EventType::LeadHot);
    lead_domain::usecases::events::dispatch_event(&deps, &dispatch)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    drain(&deps, &fakes, 2).await;
    assert_eq!(fakes.team.pages().len(), 3);
    assert_eq!(jobs_of(&fakes, "page_team").await, 3);
}

#[tokio::test]
async fn a_webhook_refused_with_500_is_retried_and_delivered_once() {
    let t = tenant(true);
    let (deps, fakes) = world(&t).await;
    fakes.webhooks.push(WebhookAnswer::Status {
        code: 500,
        retry_after: None,
    });
    hot_lead(&deps, &t).await;
    drain(&deps, &fakes, 6).await;
    let posted = fakes.webhooks.posted();
    assert_eq!(posted.len(), 2, "one refused, one accepted");
    assert_eq!(
        posted[0].message_id, posted[1].message_id,
        "the same webhook-id"
    );
    let list = lead_domain::usecases::events::list_deliveries(
        &deps,
        &t,
        &DeliveryFilter {
            status: None,
            limit: 10,
            offset: 0,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].status, DeliveryStatus::Delivered);
    assert_eq!(
        list[0]
            .attempts
            .iter()
            .map(|a| a.status_code)
            .collect::<Vec<_>>(),
        [Some(500), Some(200)]
    );
}

#[tokio::test]
async fn a_410_disables_the_endpoint_and_a_429_waits_as_asked() {
    let t = tenant(true);
    let (deps, fakes) = world(&t).await;
    fakes.webhooks.push(WebhookAnswer::Status {
        code: 429,
        retry_after: Some(StdDuration::from_secs(600)),
    });
    fakes.webhooks.push(WebhookAnswer::Status {
        code: 410,
        retry_after: None,
    });
    hot_lead(&deps, &t).await;
    // Within the ten minutes asked for, nothing is tried again.
    for _ in 0..5 {
        worker_tick(&deps, "test", 10, StdDuration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        fakes.clock.advance(Duration::minutes(1));
    }
    assert_eq!(fakes.webhooks.posted().len(), 1);
    drain(&deps, &fakes, 8).await;
    assert_eq!(fakes.webhooks.posted().len(), 2);
    let stored = fakes
        .store
        .get_tenant(t.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("tenant");
    assert!(stored.settings.notifications.webhooks[0].disabled);
    let failed = lead_domain::usecases::events::list_deliveries(
        &deps,
        &t,
        &DeliveryFilter {
            status: Some(DeliveryStatus::Failed),
            limit: 10,
            offset: 0,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(failed.len(), 1);
}

#[tokio::test]
async fn a_manual_take_over_commits_the_escalation_the_hand_off_and_their_events_together() {
    let t = tenant(false);
    let (deps, fakes) = world(&t).await;
    let req = InboundRequest {
        channel: Some(Channel::WebForm),
        contact: ContactInfo {
            name: Some("Omar".into()),
            phone: PhoneNumber::parse("+966507770002").ok(),
            ..ContactInfo::default()
        },
        body: Some("hello".into()),
        ..Default::default()
    };
    let receipt = accept_inbound(&deps, &t, req)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let before = jobs_of(&fakes, "dispatch_event").await;
    let escalate = || {
        lead_domain::usecases::escalate_manually(
            &deps,
            &t,
            receipt.conversation_id,
            "wants a person".into(),
            "user:1",
        )
    };
    let conversation = escalate().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(conversation.escalated);
    let lead = fakes
        .store
        .get_lead(t.id, receipt.lead_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("lead");
    assert_eq!(lead.state, lead_domain::lifecycle::LeadState::HandedOff);
    let escalations = fakes
        .store
        .conversation_escalations(t.id, receipt.conversation_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(escalations.len(), 1);
    assert_eq!(escalations[0].raised_by, "user:1");
    // The team pages for escalations by default: the event was stored with the change.
    assert_eq!(jobs_of(&fakes, "dispatch_event").await, before + 1);
    // Taking over again changes nothing and raises nothing.
    escalate().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(jobs_of(&fakes, "dispatch_event").await, before + 1);
    drain(&deps, &fakes, 3).await;
    let pages = fakes.team.pages();
    assert!(
        pages.iter().any(|p| p.subject.contains("needs a person")),
        "{pages:?}"
    );
}
