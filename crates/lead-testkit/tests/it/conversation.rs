//! The conversation a lead has, on in-memory fakes: understood messages are answered, not handed
//! off; a release gives the conversation back; hot leads reach a person; nobody is promised a
//! call-back without a way to be reached; chat claims never attach; every lead gets a first contact.

use lead_domain::contact::{Email, PhoneNumber};
use lead_domain::escalation::OnHot;
use lead_domain::ids::ConversationId;
use lead_domain::lead::{Channel, Direction, Lead, Message, Sender};
use lead_domain::ports::{
    ContactInfo, EscalationRepository, IntakeReceipt, LeadRepository, Notification, Page,
    TenantRepository,
};
use lead_domain::qualification::{Budget, Currency, Fact, MessageIntent, Qualification, Timeline};
use lead_domain::tenant::Tenant;
use lead_domain::usecases::{
    Deps, InboundRequest, accept_inbound, release_conversation, worker_tick,
};
use lead_testkit::builders::{Fakes, key_record};
use lead_testkit::{ScriptedExtractor, TenantBuilder, deps_with};
use std::sync::Arc;
use std::time::Duration as StdDuration;

/// Tuesday 2026-11-24 10:00 in Riyadh: open.
const OPEN: &str = "2026-11-24T07:00:00Z";

struct Chat {
    deps: Deps,
    fakes: Fakes,
    extractor: Arc<ScriptedExtractor>,
    tenant: Tenant,
}

fn understood(intent: MessageIntent) -> Qualification {
    Qualification {
        intent: Some(intent),
        confidence: Some(0.9),
        ..Default::default()
    }
}

fn hot() -> Qualification {
    Qualification {
        service: Some(Fact::stated("buy_apartment".into())),
        budget: Some(Fact::stated(Budget {
            min: None,
            max: Some(900_000.0),
            currency: Currency::code(*b"SAR"),
            confirmed: false,
        })),
        timeline: Some(Fact::stated(Timeline::Within1Month)),
        decision_maker: Some(Fact::stated(true)),
        ..understood(MessageIntent::Information)
    }
}

fn phone(text: &str) -> PhoneNumber {
    PhoneNumber::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

async fn chat(tenant: Tenant) -> Chat {
    let extractor = Arc::new(ScriptedExtractor::reading(Qualification::default()));
    let (deps, fakes) = deps_with(None, extractor.clone(), OPEN);
    fakes
        .store
        .insert_tenant(&tenant, &key_record("k"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    Chat {
        deps,
        fakes,
        extractor,
        tenant,
    }
}

impl Chat {
    /// One lead message: the extractor reads `reading`, the job runs, the outcome is returned.
    async fn say(&self, req: InboundRequest, reading: Qualification) -> IntakeReceipt {
        self.extractor.set(reading);
        let r = accept_inbound(&self.deps, &self.tenant, req)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        self.fakes.clock.advance(chrono::Duration::seconds(30));
        while worker_tick(&self.deps, "test", 10, StdDuration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            > 0
        {}
        r
    }

    async fn visitor(&self, text: &str, reading: Qualification) -> IntakeReceipt {
        self.say(
            InboundRequest {
                channel: Some(Channel::LiveChat),
                contact: ContactInfo {
                    chat_session: Some("visitor-1".into()),
                    ..ContactInfo::default()
                },
                body: Some(text.into()),
                ..Default::default()
            },
            reading,
        )
        .await
    }

    async fn messages(&self, conversation: ConversationId) -> Vec<Message> {
        self.fakes
            .store
            .list_messages(self.tenant.id, conversation, Page::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .items
    }

    async fn last_reply(&self, conversation: ConversationId) -> String {
        self.messages(conversation)
            .await
            .into_iter()
            .rev()
            .find(|m| m.direction == Direction::Outbound)
            .map(|m| m.body)
            .unwrap_or_default()
    }

    async fn escalated(&self, conversation: ConversationId) -> bool {
        self.fakes
            .store
            .get_conversation(self.tenant.id, conversation)
            .await
            .ok()
            .flatten()
            .is_some_and(|c| c.escalated)
    }

    async fn kinds(&self, conversation: ConversationId) -> Vec<&'static str> {
        self.fakes
            .store
            .conversation_escalations(self.tenant.id, conversation)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .iter()
            .map(|e| e.reason.kind())
            .collect()
    }

    async fn lead(&self, r: &IntakeReceipt) -> Lead {
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
async fn a_greeting_a_question_and_thanks_are_answered_not_handed_off() {
    let c = chat(TenantBuilder::real_estate().build()).await;
    let r = c.visitor("Hi", understood(MessageIntent::Greeting)).await;
    assert!(!c.escalated(r.conversation_id).await);
    let reply = c.last_reply(r.conversation_id).await;
    assert!(reply.starts_with("Hi, thanks for contacting"), "{reply}");
    assert!(reply.contains("What can we help you with?"), "{reply}");

    c.visitor(
        "what are your office hours?",
        understood(MessageIntent::Question),
    )
    .await;
    let reply = c.last_reply(r.conversation_id).await;
    assert!(reply.contains("opening hours are"), "{reply}");
    assert!(reply.contains("09:00-18:00"), "{reply}");
    assert!(reply.contains("confirm the details"), "{reply}");
    assert!(reply.contains("What can we help you with?"), "{reply}");

    c.visitor("ok thanks", understood(MessageIntent::Thanks))
        .await;
    let reply = c.last_reply(r.conversation_id).await;
    assert!(reply.starts_with("You're welcome"), "{reply}");
    assert!(!c.escalated(r.conversation_id).await);
    assert!(c.kinds(r.conversation_id).await.is_empty());
}

#[tokio::test]
async fn only_a_message_nobody_can_understand_is_low_confidence() {
    let c = chat(TenantBuilder::real_estate().build()).await;
    let unclear = Qualification {
        intent: Some(MessageIntent::Unclear),
        confidence: Some(0.2),
        ..Default::default()
    };
    let r = c.visitor("sdfkj qwpeo zxmv", unclear).await;
    assert!(c.escalated(r.conversation_id).await);
    assert_eq!(c.kinds(r.conversation_id).await, ["low_confidence"]);
}

#[tokio::test]
async fn a_missed_call_gets_the_follow_up_and_stays_with_the_ai() {
    let c = chat(TenantBuilder::real_estate().build()).await;
    let r = c
        .say(
            InboundRequest {
                channel: Some(Channel::MissedCall),
                contact: ContactInfo {
                    phone: Some(phone("+966501112233")),
                    ..ContactInfo::default()
                },
                body: Some("Missed call (no-answer)".into()),
                sender: Some(Sender::System),
                ..Default::default()
            },
            // Nothing to read in a notice: the extractor is not asked.
            Qualification {
                confidence: Some(0.1),
                ..Default::default()
            },
        )
        .await;
    assert!(!c.escalated(r.conversation_id).await);
    assert!(
        c.last_reply(r.conversation_id)
            .await
            .contains("missed your call")
    );
}

#[tokio::test]
async fn a_web_form_without_a_message_gets_a_greeting_and_the_first_question() {
    let c = chat(TenantBuilder::real_estate().build()).await;
    let r = c
        .say(
            InboundRequest {
                channel: Some(Channel::WebForm),
                contact: ContactInfo {
                    name: Some("Sara Ahmed".into()),
                    phone: Some(phone("+966501112244")),
                    ..ContactInfo::default()
                },
                body: Some("Web form submitted without a message".into()),
                sender: Some(Sender::System),
                ..Default::default()
            },
            Qualification::default(),
        )
        .await;
    assert!(!c.escalated(r.conversation_id).await);
    let sent = c.fakes.sender.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].channel, Channel::Sms);
    assert_eq!(
        sent[0].body,
        "Hi Sara, thanks for contacting Test Realty! What can we help you with?"
    );
}

#[tokio::test]
async fn a_release_gives_the_conversation_back_and_a_new_request_escalates_again() {
    let c = chat(TenantBuilder::real_estate().build()).await;
    let asks = Qualification {
        wants_human: Some(Fact::stated(true)),
        ..understood(MessageIntent::WantsHuman)
    };
    let r = c
        .visitor("can I talk to a real person?", asks.clone())
        .await;
    assert!(c.escalated(r.conversation_id).await);
    assert_eq!(
        c.kinds(r.conversation_id).await,
        ["human_requested", "keyword"]
    );

    release_conversation(&c.deps, &c.tenant, r.conversation_id, "agent@test")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let history = c
        .fakes
        .store
        .conversation_escalations(c.tenant.id, r.conversation_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(history.iter().all(|e| e.raised_by == "ai"
        && e.released_by.as_deref() == Some("agent@test")
        && e.released_at.is_some()));

    // The recorded request is still in the reading, but it is not new: no escalation.
    let still = Qualification {
        intent: Some(MessageIntent::Information),
        ..asks.clone()
    };
    c.visitor("thanks. my budget is 2 million riyals", still)
        .await;
    assert!(!c.escalated(r.conversation_id).await);
    assert!(
        !c.last_reply(r.conversation_id)
            .await
            .contains("passing you")
    );

    // A new request after the release escalates again.
    c.visitor("please, a person", asks).await;
    assert!(c.escalated(r.conversation_id).await);
    assert_eq!(
        c.kinds(r.conversation_id).await,
        ["human_requested", "keyword", "human_requested"]
    );
}

#[tokio::test]
async fn the_exchange_limit_counts_from_the_release() {
    let c = chat(
        TenantBuilder::real_estate()
            .with(|t| t.settings.escalation.max_exchanges = Some(2))
            .build(),
    )
    .await;
    let info = understood(MessageIntent::Information);
    let r = c.visitor("one", info.clone()).await;
    c.visitor("two", info.clone()).await;
    c.visitor("three", info.clone()).await;
    assert_eq!(c.kinds(r.conversation_id).await, ["too_many_exchanges"]);
    release_conversation(&c.deps, &c.tenant, r.conversation_id, "agent@test")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    c.visitor("four", info.clone()).await;
    c.visitor("five", info.clone()).await;
    assert!(
        !c.escalated(r.conversation_id).await,
        "two since the release"
    );
    c.visitor("six", info).await;
    assert!(
        c.escalated(r.conversation_id).await,
        "three since the release"
    );
}

#[tokio::test]
async fn a_hot_chat_lead_is_announced_kept_by_the_ai_and_asked_for_a_contact_first() {
    let c = chat(TenantBuilder::real_estate().build()).await;
    let r = c
        .visitor("flat in Riyadh, 900k, next month, I decide", hot())
        .await;
    assert!(
        !c.escalated(r.conversation_id).await,
        "notify keeps the AI on"
    );
    assert_eq!(c.kinds(r.conversation_id).await, ["hot_lead"]);
    let packets: Vec<_> = c
        .fakes
        .notifier
        .sent()
        .into_iter()
        .filter_map(|n| match n {
            Notification::HotLead { packet, .. } => Some(packet),
            _ => None,
        })
        .collect();
    assert_eq!(packets.len(), 1);
    let packet = &packets[0];
    assert_eq!(packet.service.as_deref(), Some("buy_apartment"));
    assert_eq!(packet.budget.and_then(|b| b.max), Some(900_000.0));
    assert_eq!(packet.timeline, Some(Timeline::Within1Month));
    assert_eq!(packet.decision_maker, Some(true));
    assert!(!packet.score_reasons.is_empty());
    assert_eq!(
        packet.last_messages.last().map(|(_, t)| t.as_str()),
        Some("flat in Riyadh, 900k, next month, I decide")
    );
    let reply = c.last_reply(r.conversation_id).await;
    assert!(
        !reply.contains("will contact you"),
        "no call-back promise without a contact: {reply}"
    );
    assert!(reply.contains("phone number or email"), "{reply}");

    // The visitor gives a number: now a person can be promised.
    c.say(
        InboundRequest {
            channel: Some(Channel::LiveChat),
            contact: ContactInfo {
                chat_session: Some("visitor-1".into()),
                phone: Some(phone("+966501119999")),
                ..ContactInfo::default()
            },
            body: Some("0501119999".into()),
            ..Default::default()
        },
        hot(),
    )
    .await;
    let reply = c.last_reply(r.conversation_id).await;
    assert!(reply.contains("will contact you"), "{reply}");
    assert_eq!(
        c.kinds(r.conversation_id).await,
        ["hot_lead"],
        "announced once"
    );
}

#[tokio::test]
async fn a_tenant_that_hands_hot_leads_off_stops_the_ai() {
    let c = chat(
        TenantBuilder::real_estate()
            .with(|t| t.settings.escalation.on_hot = OnHot::Handoff)
            .build(),
    )
    .await;
    let r = c.visitor("flat, 900k, next month, I decide", hot()).await;
    assert!(c.escalated(r.conversation_id).await);
    assert_eq!(c.kinds(r.conversation_id).await, ["hot_lead"]);
    assert!(
        c.last_reply(r.conversation_id)
            .await
            .contains("passing you")
    );
}

#[tokio::test]
async fn a_claimed_contact_never_attaches_the_chat_to_another_lead() {
    let c = chat(TenantBuilder::real_estate().build()).await;
    let owner_phone = phone("+966501234000");
    let owner = c
        .say(
            InboundRequest {
                channel: Some(Channel::Sms),
                contact: ContactInfo {
                    name: Some("Khalid Owner".into()),
                    phone: Some(owner_phone.clone()),
                    email: Email::parse("khalid@example.com").ok(),
                    ..ContactInfo::default()
                },
                body: Some("I want a villa".into()),
                ..Default::default()
            },
            understood(MessageIntent::Information),
        )
        .await;
    let sent_before = c.fakes.sender.sent().len();
    let visitor = c
        .say(
            InboundRequest {
                channel: Some(Channel::LiveChat),
                contact: ContactInfo {
                    chat_session: Some("intruder".into()),
                    phone: Some(owner_phone.clone()),
                    email: Email::parse("khalid@example.com").ok(),
                    ..ContactInfo::default()
                },
                body: Some("hello".into()),
                ..Default::default()
            },
            understood(MessageIntent::Greeting),
        )
        .await;
    assert_ne!(visitor.lead_id, owner.lead_id);
    assert_ne!(visitor.conversation_id, owner.conversation_id);
    let lead = c.lead(&visitor).await;
    assert_eq!(lead.phone, None);
    assert_eq!(lead.claimed_phone.as_ref(), Some(&owner_phone));
    assert_eq!(lead.possible_duplicate_of, Some(owner.lead_id));
    let reply = c.last_reply(visitor.conversation_id).await;
    assert!(
        !reply.contains("Khalid"),
        "nothing of the other lead: {reply}"
    );
    assert_eq!(
        c.fakes.sender.sent().len(),
        sent_before,
        "the chat's reply is shown in the chat, never sent to the other lead's phone"
    );
    let owner_lead = c.lead(&owner).await;
    assert_eq!(
        owner_lead.qualification.intent,
        Some(MessageIntent::Information)
    );
}

#[tokio::test]
async fn without_twilio_the_reply_goes_by_email_and_with_nothing_the_lead_is_undeliverable() {
    let c = chat(TenantBuilder::real_estate().build()).await;
    c.fakes.sender.deliver_only([Channel::Email]);
    let r = c
        .say(
            InboundRequest {
                channel: Some(Channel::WebForm),
                contact: ContactInfo {
                    phone: Some(phone("+966501230001")),
                    email: Email::parse("lead@example.com").ok(),
                    ..ContactInfo::default()
                },
                body: Some("I want a flat".into()),
                ..Default::default()
            },
            understood(MessageIntent::Information),
        )
        .await;
    let sent = c.fakes.sender.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].channel, Channel::Email);
    assert!(c.lead(&r).await.undeliverable.is_none());

    c.fakes.sender.deliver_only([]);
    let r = c
        .say(
            InboundRequest {
                channel: Some(Channel::WebForm),
                contact: ContactInfo {
                    phone: Some(phone("+966501230002")),
                    ..ContactInfo::default()
                },
                body: Some("I want a villa".into()),
                ..Default::default()
            },
            understood(MessageIntent::Information),
        )
        .await;
    let lead = c.lead(&r).await;
    assert!(lead.undeliverable.is_some(), "visible on the lead");
    assert!(
        !c.escalated(r.conversation_id).await,
        "the conversation goes on"
    );
    assert!(c.fakes.notifier.sent().iter().any(|n| matches!(
        n,
        Notification::Undeliverable { lead_id, .. } if *lead_id == r.lead_id
    )));
    let failed = c
        .messages(r.conversation_id)
        .await
        .into_iter()
        .filter(|m| m.direction == Direction::Outbound)
        .all(|m| m.delivery == lead_domain::lead::DeliveryStatus::Failed);
    assert!(
        failed,
        "the reply is kept, marked failed, never silently suppressed"
    );
}
