//! Domain events: what happened to a tenant's leads, named and versioned, queued in the same
//! transaction as the change they describe, then fanned out to the tenant's webhooks and people.
//!
//! The job queue is the outbox: an event is the payload of a `dispatch_event` job stored with the
//! change (a processing decision stores it in its one transaction), unique by a key derived from
//! its cause, so an event exists if and only if its change committed and is stored once. The
//! dispatch job queues one webhook delivery per subscribed endpoint and one page per person, each
//! unique by event and destination.

use crate::contact::Address;
use crate::ids::{ConversationId, JobId, LeadId, MessageId, TenantId};
use crate::jobs::{JobPayload, NewJob};
use crate::lead::{Channel, Lead};
use crate::lifecycle::StateChange;
use crate::ports::StoreError;
use crate::tenant::Tenant;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// The kinds of event, with their wire names (`lead.hot`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventType {
    /// A new lead was stored (emitted when its first message is processed).
    #[serde(rename = "lead.created")]
    LeadCreated,
    /// The lead's score changed.
    #[serde(rename = "lead.scored")]
    LeadScored,
    /// The lead turned HOT.
    #[serde(rename = "lead.hot")]
    LeadHot,
    /// The lead moved in its lifecycle.
    #[serde(rename = "lead.state_changed")]
    LeadStateChanged,
    /// A conversation was handed to a person.
    #[serde(rename = "conversation.escalated")]
    ConversationEscalated,
    /// A person gave a conversation back to the AI.
    #[serde(rename = "conversation.released")]
    ConversationReleased,
    /// The lead wrote.
    #[serde(rename = "message.received")]
    MessageReceived,
    /// A reply reached the provider.
    #[serde(rename = "message.sent")]
    MessageSent,
    /// A reply could not be delivered.
    #[serde(rename = "message.failed")]
    MessageFailed,
    /// No configured channel can reach the lead.
    #[serde(rename = "lead.undeliverable")]
    LeadUndeliverable,
    /// Model spending crossed 80% of the monthly budget.
    #[serde(rename = "budget.alert")]
    BudgetAlert,
    /// The CRM refused the tenant's token: sync stopped until a person replaces it.
    #[serde(rename = "crm.disconnected")]
    CrmDisconnected,
}

/// Every event type, in documentation order.
pub const ALL_EVENT_TYPES: [EventType; 12] = [
    EventType::LeadCreated,
    EventType::LeadScored,
    EventType::LeadHot,
    EventType::LeadStateChanged,
    EventType::ConversationEscalated,
    EventType::ConversationReleased,
    EventType::MessageReceived,
    EventType::MessageSent,
    EventType::MessageFailed,
    EventType::LeadUndeliverable,
    EventType::BudgetAlert,
    EventType::CrmDisconnected,
];

impl EventType {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventType::LeadCreated => "lead.created",
            EventType::LeadScored => "lead.scored",
            EventType::LeadHot => "lead.hot",
            EventType::LeadStateChanged => "lead.state_changed",
            EventType::ConversationEscalated => "conversation.escalated",
            EventType::ConversationReleased => "conversation.released",
            EventType::MessageReceived => "message.received",
            EventType::MessageSent => "message.sent",
            EventType::MessageFailed => "message.failed",
            EventType::LeadUndeliverable => "lead.undeliverable",
            EventType::BudgetAlert => "budget.alert",
            EventType::CrmDisconnected => "crm.disconnected",
        }
    }

    /// Whether the event asks the tenant's team to act before the service can go on; such events
    /// page the notification contacts whatever event list the tenant chose.
    pub const fn needs_a_person(self) -> bool {
        matches!(self, EventType::CrmDisconnected)
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<Self> {
        ALL_EVENT_TYPES.into_iter().find(|t| t.as_str() == name)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The lead as an event shows it: who, how to reach them, where they stand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadSnapshot {
    /// Lead id.
    pub id: LeadId,
    /// Name, if given.
    pub name: Option<String>,
    /// Verified phone, E.164.
    pub phone: Option<String>,
    /// Verified email.
    pub email: Option<String>,
    /// Where the lead came from.
    pub source: Channel,
    /// Lifecycle state.
    pub state: String,
    /// `HOT`, `WARM`, `COLD` or `UNSCORED`.
    pub score: String,
    /// Points behind the score.
    pub points: u32,
    /// What the lead wants (service key).
    pub service: Option<String>,
    /// Where.
    pub location: Option<String>,
}

impl LeadSnapshot {
    /// The snapshot of a lead as it stands.
    pub fn of(lead: &Lead) -> Self {
        let q = &lead.qualification;
        Self {
            id: lead.id,
            name: lead.name.clone(),
            phone: lead.phone.as_ref().map(|p| p.as_str().to_owned()),
            email: lead.email.as_ref().map(|e| e.as_str().to_owned()),
            source: lead.source,
            state: lead.state.as_str().to_owned(),
            score: lead.score.score.as_str().to_owned(),
            points: lead.score.points,
            service: q.service.as_ref().map(|f| f.value.clone()),
            location: q.location.as_ref().map(|f| f.value.clone()),
        }
    }
}

/// The `data` of an event. Each type fills a documented subset of these fields (`docs/EVENTS.md`);
/// absent fields are omitted from the JSON.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EventData {
    /// The lead, as it stood after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<LeadSnapshot>,
    /// The conversation concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<ConversationId>,
    /// The message concerned (received, sent or failed; the one that caused a change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<MessageId>,
    /// The message's channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// The message's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The score before (`lead.scored`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_score: Option<String>,
    /// The state before (`lead.state_changed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_state: Option<String>,
    /// The state after (`lead.state_changed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_state: Option<String>,
    /// Why, readable: the score's reasons, the escalation's, the failure's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// Who acted, for a person's change (`user:<id>`, `api`, `ai`, `system`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// `YYYY-MM` (`budget.alert`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<String>,
    /// Spent so far this month, US dollars (`budget.alert`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spent_usd: Option<f64>,
    /// The monthly budget, US dollars (`budget.alert`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_usd: Option<f64>,
    /// The outside service concerned (`crm.disconnected`: `hubspot`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<String>,
}

/// One event: the JSON a webhook receives, `{"id", "type", "created_at", "client_id", "data"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    /// `evt_` followed by 32 hex digits; the `webhook-id` of its deliveries.
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When the change was made.
    pub created_at: DateTime<Utc>,
    /// The tenant.
    pub client_id: TenantId,
    /// The details.
    pub data: EventData,
}

impl DomainEvent {
    /// A new event with an id from `uuid`.
    pub fn new(
        uuid: uuid::Uuid,
        kind: EventType,
        client_id: TenantId,
        created_at: DateTime<Utc>,
        data: EventData,
    ) -> Self {
        Self {
            id: format!("evt_{}", uuid.simple()),
            kind,
            created_at,
            client_id,
            data,
        }
    }

    /// The lead the event is about, if any.
    pub fn lead_id(&self) -> Option<LeadId> {
        self.data.lead.as_ref().map(|l| l.id)
    }

    /// The job that carries the event through the queue: unique by `cause`, the key of the change
    /// that raised it (`lead.hot:<message id>`), so a change applied twice raises it once.
    pub fn into_job(self, cause: &str, job_id: JobId) -> NewJob {
        let tenant = self.client_id;
        let at = self.created_at;
        JobPayload::DispatchEvent {
            cause: format!("{}:{cause}", self.kind),
            event: Box::new(self),
        }
        .job(job_id, tenant, at)
    }
}

/// The events a processing decision raises, as jobs to store with it; only events some webhook
/// or person of the tenant listens to are raised, so a tenant without subscribers queues nothing.
#[allow(clippy::too_many_arguments)]
pub fn decision_events(
    tenant: &Tenant,
    before: &Lead,
    after: &Lead,
    changes: &[StateChange],
    conversation_id: ConversationId,
    inbound: &crate::lead::Message,
    escalated_for: &[String],
    became_hot: bool,
    now: DateTime<Utc>,
    new_id: &mut dyn FnMut() -> uuid::Uuid,
) -> Vec<NewJob> {
    let settings = &tenant.settings.notifications;
    let mut jobs = Vec::new();
    let lead = LeadSnapshot::of(after);
    let base = EventData {
        lead: Some(lead),
        conversation_id: Some(conversation_id),
        message_id: Some(inbound.id),
        ..EventData::default()
    };
    let mut raise = |kind: EventType, cause: String, data: EventData| {
        if settings.listens_to(kind) {
            let event = DomainEvent::new(new_id(), kind, tenant.id, now, data);
            let job_id = JobId::from_uuid(new_id());
            jobs.push(event.into_job(&cause, job_id));
        }
    };
    let msg = inbound.id;
    if before.state == crate::lifecycle::LeadState::New {
        raise(EventType::LeadCreated, after.id.to_string(), base.clone());
    }
    if inbound.sender != crate::lead::Sender::System {
        raise(
            EventType::MessageReceived,
            msg.to_string(),
            EventData {
                channel: Some(inbound.channel),
                body: Some(inbound.body.clone()),
                ..base.clone()
            },
        );
    }
    if before.score.score != after.score.score {
        raise(
            EventType::LeadScored,
            msg.to_string(),
            EventData {
                previous_score: Some(before.score.score.as_str().to_owned()),
                reasons: after
                    .score
                    .reasons
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                ..base.clone()
            },
        );
    }
    if became_hot {
        raise(
            EventType::LeadHot,
            msg.to_string(),
            EventData {
                reasons: after
                    .score
                    .reasons
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                ..base.clone()
            },
        );
    }
    for change in changes {
        raise(
            EventType::LeadStateChanged,
            format!("{msg}:{}", change.to.as_str()),
            state_change_data(&base, change, "ai"),
        );
    }
    if !escalated_for.is_empty() {
        raise(
            EventType::ConversationEscalated,
            msg.to_string(),
            EventData {
                reasons: escalated_for.to_vec(),
                by: Some("ai".to_owned()),
                ..base.clone()
            },
        );
    }
    jobs
}

/// The data of a `lead.state_changed` event.
pub fn state_change_data(base: &EventData, change: &StateChange, by: &str) -> EventData {
    EventData {
        from_state: Some(change.from.as_str().to_owned()),
        to_state: Some(change.to.as_str().to_owned()),
        reasons: vec![change.reason.clone()],
        by: Some(by.to_owned()),
        ..base.clone()
    }
}

// ---------------------------------------------------------------------------------------------
// Webhook deliveries
// ---------------------------------------------------------------------------------------------

/// Where a webhook delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Queued, not tried yet.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Failed for now; another attempt is scheduled.
    Retrying,
    /// Given up: a permanent answer, the endpoint disabled, or the retry time ran out.
    Failed,
}

impl DeliveryStatus {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Retrying => "retrying",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Retrying,
            DeliveryStatus::Failed,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

/// One event to one endpoint, with every attempt made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// Delivery id (`whd_...`).
    pub id: String,
    /// Owner.
    pub tenant_id: TenantId,
    /// The event's id, the `webhook-id` header.
    pub event_id: String,
    /// The event's type.
    pub event_type: EventType,
    /// The endpoint's id in the tenant's settings.
    pub endpoint_id: String,
    /// Where it goes.
    pub url: String,
    /// The event sent (its JSON is the body; every attempt sends the same bytes).
    pub event: DomainEvent,
    /// Where it is.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: Vec<DeliveryAttempt>,
    /// When the next attempt is due, while retrying.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// One try at delivering a webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    /// When it was made.
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<u16>,
    /// What went wrong, when something did.
    pub error: Option<String>,
    /// How long it took, milliseconds.
    pub duration_ms: u64,
}

/// What a webhook attempt changes on its delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptOutcome {
    /// The attempt.
    pub attempt: DeliveryAttempt,
    /// The delivery's status after it.
    pub status: DeliveryStatus,
    /// The next attempt, while retrying.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A page of deliveries, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryFilter {
    /// Only deliveries in this state.
    pub status: Option<DeliveryStatus>,
    /// At most this many.
    pub limit: u64,
    /// Skipping this many.
    pub offset: u64,
}

/// Storage of events' fan-out and webhook deliveries.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Queues jobs outside a processing decision (a person's change, a send's result), each once
    /// by its effect key; a job already stored under the key is skipped.
    ///
    /// # Errors
    /// On database failure.
    async fn queue_once(&self, jobs: &[NewJob]) -> Result<(), StoreError>;

    /// Stores new deliveries and the jobs that carry them (and the people's pages) in one
    /// transaction; a delivery already stored for the same event and endpoint is skipped with its
    /// job, so a dispatch run twice delivers once.
    ///
    /// # Errors
    /// On database failure.
    async fn fan_out(
        &self,
        deliveries: &[WebhookDelivery],
        jobs: &[NewJob],
    ) -> Result<(), StoreError>;

    /// A delivery of the tenant's, without its attempts' history when `with_attempts` is false.
    ///
    /// # Errors
    /// On database failure.
    async fn get_delivery(
        &self,
        tenant: TenantId,
        id: &str,
    ) -> Result<Option<WebhookDelivery>, StoreError>;

    /// The tenant's deliveries, newest first, with their attempts.
    ///
    /// # Errors
    /// On database failure.
    async fn list_deliveries(
        &self,
        tenant: TenantId,
        filter: &DeliveryFilter,
    ) -> Result<Vec<WebhookDelivery>, StoreError>;

    /// Records an attempt and the delivery's new status.
    ///
    /// # Errors
    /// [`StoreError::Stale`] for an unknown delivery; database failure.
    async fn record_attempt(
        &self,
        tenant: TenantId,
        id: &str,
        outcome: &AttemptOutcome,
    ) -> Result<(), StoreError>;

    /// Puts a delivery back to pending and queues its job, in one transaction (a person's re-send).
    ///
    /// # Errors
    /// [`StoreError::Stale`] for an unknown delivery; database failure.
    async fn requeue_delivery(
        &self,
        tenant: TenantId,
        id: &str,
        job: &NewJob,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// One signed webhook request.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedWebhook {
    /// Where.
    pub url: String,
    /// The `webhook-id` header (the event id, stable across attempts).
    pub message_id: String,
    /// The `webhook-timestamp` header, seconds since the epoch.
    pub timestamp: i64,
    /// The event, sent as its JSON.
    pub event: DomainEvent,
    /// The endpoint's secret (`whsec_` + base64).
    pub secret: crate::tenant::Secret,
}

/// How the receiver answered, or why it did not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookAnswer {
    /// It answered with this status (and `Retry-After`, when sent).
    Status {
        /// HTTP status.
        code: u16,
        /// `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// No answer in time.
    Timeout,
    /// The connection failed.
    Unreachable(String),
}

/// Posts signed webhooks (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// Posts one webhook and says how the receiver answered; never fails otherwise.
    async fn post(&self, webhook: &SignedWebhook) -> WebhookAnswer;
}

// ---------------------------------------------------------------------------------------------
// Pages to people
// ---------------------------------------------------------------------------------------------

/// How a person of the team is paged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageChannel {
    /// Email, HTML and text.
    Email,
    /// SMS through the tenant's Twilio account.
    Sms,
    /// WhatsApp through the tenant's Twilio account.
    Whatsapp,
}

impl PageChannel {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            PageChannel::Email => "email",
            PageChannel::Sms => "sms",
            PageChannel::Whatsapp => "whatsapp",
        }
    }
}

/// A rendered page for one person.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamMessage {
    /// Channel.
    pub channel: PageChannel,
    /// Recipient: an email address or an E.164 number.
    pub to: Address,
    /// Email subject.
    pub subject: String,
    /// The text (the SMS, the WhatsApp message, the email's text part).
    pub text: String,
    /// The email's HTML part.
    pub html: Option<String>,
}

/// Sends pages to the tenant's own team (not to leads: no opt-out registry, no 24-hour window).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TeamMessenger: Send + Sync {
    /// Sends one page.
    ///
    /// # Errors
    /// [`crate::ports::SendError`], classified for retry.
    async fn send_page(
        &self,
        tenant: &Tenant,
        message: &TeamMessage,
    ) -> Result<(), crate::ports::SendError>;
}

/// The adapters event delivery runs on; `None` in [`crate::usecases::Deps`] raises no event work.
#[derive(Clone)]
pub struct EventDeps {
    /// Deliveries and fan-out.
    pub store: std::sync::Arc<dyn EventStore>,
    /// Posts webhooks.
    pub webhooks: std::sync::Arc<dyn WebhookSender>,
    /// Pages people.
    pub team: std::sync::Arc<dyn TeamMessenger>,
    /// `PUBLIC_BASE_URL`, for the lead's link in a page.
    pub public_base_url: Option<String>,
}
