//! Leads, conversations and messages: the records the service keeps for every inbound contact.

use crate::contact::{Address, Email, PhoneNumber};
use crate::escalation::EscalationReason;
use crate::ids::{ConversationId, EscalationId, LeadId, MessageId, TenantId};
use crate::language::Language;
use crate::lifecycle::{IllegalTransition, LeadEvent, LeadState, StateChange, transition};
use crate::qualification::Qualification;
use crate::scoring::{Score, ScoreCard};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a lead reached the tenant, or how a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A website form.
    WebForm,
    /// SMS through Twilio.
    Sms,
    /// WhatsApp through Twilio.
    Whatsapp,
    /// The live-chat widget.
    LiveChat,
    /// A call nobody answered.
    MissedCall,
    /// Email (outbound replies to web-form leads without a phone).
    Email,
}

/// Every channel, for parsing and tables.
pub const ALL_CHANNELS: [Channel; 6] = [
    Channel::WebForm,
    Channel::Sms,
    Channel::Whatsapp,
    Channel::LiveChat,
    Channel::MissedCall,
    Channel::Email,
];

impl Channel {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::WebForm => "web_form",
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
            Channel::LiveChat => "live_chat",
            Channel::MissedCall => "missed_call",
            Channel::Email => "email",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        ALL_CHANNELS.into_iter().find(|c| c.as_str() == s.trim())
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person or company that contacted a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lead {
    /// Id.
    pub id: LeadId,
    /// Owner.
    pub tenant_id: TenantId,
    /// Name as given.
    pub name: Option<String>,
    /// Phone, E.164.
    pub phone: Option<PhoneNumber>,
    /// Email.
    pub email: Option<Email>,
    /// The channel of first contact.
    pub source: Channel,
    /// Free-form source label from the form ("website", "facebook ad").
    pub source_detail: Option<String>,
    /// Lifecycle state.
    pub state: LeadState,
    /// What is known.
    pub qualification: Qualification,
    /// The latest score card.
    pub score: ScoreCard,
    /// Why the score was last set by hand, if it was.
    pub score_override: Option<String>,
    /// Optimistic-lock version, incremented by every update.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// A phone number the lead typed into live chat: unverified, so it never attaches the chat to
    /// another lead, but a person may call it.
    #[serde(default)]
    pub claimed_phone: Option<PhoneNumber>,
    /// An email the lead typed into live chat: unverified, like `claimed_phone`.
    #[serde(default)]
    pub claimed_email: Option<Email>,
    /// Another lead whose verified phone or email matches this lead's claim, for a person to merge.
    #[serde(default)]
    pub possible_duplicate_of: Option<LeadId>,
    /// Why replies cannot reach the lead on any configured channel, when they cannot.
    #[serde(default)]
    pub undeliverable: Option<String>,
}

impl Lead {
    /// Applies a lifecycle event, returning the history entry to store with the update.
    ///
    /// # Errors
    /// [`IllegalTransition`] when the lifecycle table refuses the event; the lead is unchanged.
    pub fn apply(
        &mut self,
        event: LeadEvent,
        reason: impl Into<String>,
        at: DateTime<Utc>,
    ) -> Result<StateChange, IllegalTransition> {
        let change = transition(self.state, event, reason, at)?;
        self.state = change.to;
        self.updated_at = at;
        Ok(change)
    }

    /// The current score.
    pub fn current_score(&self) -> Score {
        self.score.score
    }

    /// Whether a person has a way to contact the lead outside the chat: a phone or email, verified or claimed.
    pub fn can_be_contacted(&self) -> bool {
        self.phone.is_some()
            || self.email.is_some()
            || self.claimed_phone.is_some()
            || self.claimed_email.is_some()
    }

    /// The phone or email to reply to, phone first.
    pub fn contact_address(&self) -> Option<Address> {
        self.phone
            .clone()
            .map(Address::Phone)
            .or_else(|| self.email.clone().map(Address::Email))
    }
}

/// Whether a conversation still takes messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// Ongoing.
    #[default]
    Open,
    /// Finished; a new message opens a new conversation.
    Closed,
}

/// A conversation between a lead and a tenant on one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// Id.
    pub id: ConversationId,
    /// Owner.
    pub tenant_id: TenantId,
    /// The lead.
    pub lead_id: LeadId,
    /// Inbound channel.
    pub channel: Channel,
    /// Open or closed.
    pub status: ConversationStatus,
    /// A human owns the conversation: no AI replies until released.
    pub escalated: bool,
    /// Lead messages so far.
    pub exchanges: u32,
    /// The lead's language, once known.
    pub language: Option<Language>,
    /// Where replies go (phone, email or chat session).
    pub reply_to: Option<Address>,
    /// When the lead last wrote (WhatsApp's 24-hour window counts from here).
    pub last_inbound_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the lead.
    Inbound,
    /// To the lead.
    Outbound,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sender {
    /// The lead.
    Lead,
    /// The AI (model or offline templates).
    Ai,
    /// A person of the tenant.
    Human,
    /// The system (missed-call notices and the like).
    System,
}

/// Delivery state of an outbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Inbound messages and replies shown in live chat.
    NotApplicable,
    /// Waiting for the send job.
    Pending,
    /// Handed to the provider.
    Sent,
    /// The provider confirmed delivery.
    Delivered,
    /// Failed for good.
    Failed,
    /// Not sent on purpose (opted out, outside the WhatsApp window, paused tenant).
    Suppressed,
}

impl DeliveryStatus {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::NotApplicable => "not_applicable",
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Suppressed => "suppressed",
        }
    }
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Id.
    pub id: MessageId,
    /// Owner.
    pub tenant_id: TenantId,
    /// Conversation.
    pub conversation_id: ConversationId,
    /// In or out.
    pub direction: Direction,
    /// Who wrote it.
    pub sender: Sender,
    /// Channel it travels on.
    pub channel: Channel,
    /// Text.
    pub body: String,
    /// Language of the text.
    pub language: Option<Language>,
    /// The provider's id (Twilio `MessageSid`), when any.
    pub provider_message_id: Option<String>,
    /// Delivery state.
    pub delivery: DeliveryStatus,
    /// Why delivery failed or was suppressed.
    pub delivery_error: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// An escalation of a conversation to a human.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Escalation {
    /// Id.
    pub id: EscalationId,
    /// Owner.
    pub tenant_id: TenantId,
    /// Conversation escalated.
    pub conversation_id: ConversationId,
    /// Its lead.
    pub lead_id: LeadId,
    /// Why.
    pub reason: EscalationReason,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When a human released it back to the AI.
    pub released_at: Option<DateTime<Utc>>,
    /// Who raised it: `ai` for a trigger the service evaluated, `system` for a delivery failure,
    /// or the person or key that escalated by hand.
    pub raised_by: String,
    /// Who released it back to the AI, when someone did.
    pub released_by: Option<String>,
}

/// Tokens and cost of one model call, recorded per tenant and model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelUsage {
    /// Provider name (`anthropic`, `openai`).
    pub provider: String,
    /// Model id.
    pub model: String,
    /// Input tokens billed at the normal rate.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Input tokens written to the prompt cache.
    pub cache_write_tokens: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read_tokens: u64,
    /// Cost in US dollars from the price table.
    pub cost_usd: f64,
}

/// A usage record as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageRecord {
    /// Tenant billed.
    pub tenant_id: TenantId,
    /// Conversation the call served, when any.
    pub conversation_id: Option<ConversationId>,
    /// The call.
    pub usage: ModelUsage,
    /// When.
    pub at: DateTime<Utc>,
}

/// Month-to-date usage of one model by one tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelUsageTotal {
    /// Model id.
    pub model: String,
    /// Calls.
    pub calls: u64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Cache write tokens.
    pub cache_write_tokens: u64,
    /// Cache read tokens.
    pub cache_read_tokens: u64,
    /// Cost in US dollars.
    pub cost_usd: f64,
}

/// A calendar month in UTC, the budget period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct YearMonth {
    /// Year.
    pub year: i32,
    /// Month 1 to 12.
    pub month: u32,
}

impl YearMonth {
    /// The month an instant falls in (UTC).
    pub fn of(at: DateTime<Utc>) -> Self {
        use chrono::Datelike;
        Self {
            year: at.year(),
            month: at.month(),
        }
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}
