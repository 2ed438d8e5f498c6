//! Response bodies: the JSON shape of clients, leads, conversations and messages, and paging.

use crate::error::{ApiError, FieldError};
use chrono::{DateTime, Utc};
use lead_domain::escalation::EscalationPolicy;
use lead_domain::hours::BusinessHoursSpec;
use lead_domain::lead::{Conversation, Escalation, Lead, Message};
use lead_domain::lifecycle::StateChange;
use lead_domain::ports::Page;
use lead_domain::scoring::QualificationRules;
use lead_domain::tenant::{ServiceDef, Tenant, WhatsAppTemplate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// `limit` and `offset` of a list request.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Rows to return, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// Rows to skip, 0 to 1,000,000 (default 0).
    pub offset: Option<u64>,
}

/// The deepest `offset` a list accepts: far beyond any page a person reads, well inside the
/// signed 64-bit range the database drivers take, and a bound on the rows a query may skip.
pub const MAX_OFFSET: u64 = 1_000_000;

impl PageQuery {
    /// The page to ask the store for, checked before any query runs.
    ///
    /// # Errors
    /// A 422 naming `limit` when it is outside 1 to 200, or `offset` above [`MAX_OFFSET`].
    pub fn page(&self) -> Result<Page, ApiError> {
        let limit = self.limit.unwrap_or(50);
        let mut errors = Vec::new();
        if !(1..=200).contains(&limit) {
            errors.push(FieldError::new(
                "limit",
                "out_of_range",
                "must be between 1 and 200",
            ));
        }
        if self.offset.is_some_and(|o| o > MAX_OFFSET) {
            errors.push(FieldError::new(
                "offset",
                "out_of_range",
                format!("must be between 0 and {MAX_OFFSET}"),
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(Page {
            limit,
            offset: self.offset.unwrap_or(0),
        })
    }
}

macro_rules! page_type {
    ($(#[$doc:meta])* $name:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Serialize, ToSchema)]
        pub struct $name {
            /// The rows of this page.
            pub items: Vec<$item>,
            /// Rows matching in all.
            pub total: u64,
            /// The limit applied.
            pub limit: u32,
            /// The offset applied.
            pub offset: u64,
            /// Where the next page starts (`cursor=`), when the list supports cursors and this page
            /// is full (more rows may follow).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub next_cursor: Option<String>,
        }

        impl $name {
            /// A page of views.
            pub fn new(items: Vec<$item>, total: u64, page: Page) -> Self {
                Self { items, total, limit: page.limit, offset: page.offset, next_cursor: None }
            }
        }
    };
}

page_type!(
    /// A page of leads.
    LeadPage,
    LeadView
);
page_type!(
    /// A page of conversations.
    ConversationPage,
    ConversationView
);
page_type!(
    /// A page of messages.
    MessagePage,
    MessageView
);

/// A tenant's Twilio settings as shown: the auth token is write-only.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TwilioView {
    /// Account SID.
    pub account_sid: String,
    /// Whether an auth token is stored (it is never shown).
    pub auth_token_set: bool,
    /// SMS and voice numbers.
    pub phone_numbers: Vec<String>,
    /// WhatsApp numbers.
    pub whatsapp_numbers: Vec<String>,
    /// Messaging service SID.
    pub messaging_service_sid: Option<String>,
    /// WhatsApp template for replies outside the session window.
    #[schema(value_type = Option<Object>)]
    pub whatsapp_template: Option<WhatsAppTemplate>,
}

/// A client (tenant) as the admin API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClientView {
    /// Id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Unique URL-safe name.
    pub slug: String,
    /// `active` or `paused`.
    pub status: String,
    /// Industry key.
    pub industry: String,
    /// IANA timezone.
    pub timezone: String,
    /// Weekly hours: day name to shift or shifts.
    #[schema(value_type = Object)]
    pub business_hours: BusinessHoursSpec,
    /// Service catalogue.
    #[schema(value_type = Object)]
    pub services: BTreeMap<String, ServiceDef>,
    /// Scoring rules.
    #[schema(value_type = Object)]
    pub qualification_rules: QualificationRules,
    /// Escalation triggers.
    #[schema(value_type = Object)]
    pub escalation: EscalationPolicy,
    /// Monthly model budget in US dollars.
    pub monthly_budget_usd: Option<f64>,
    /// Brand voice.
    pub brand_voice: Option<String>,
    /// Language of templates before the lead writes.
    pub default_language: String,
    /// Extra place names.
    pub extra_locations: BTreeMap<String, String>,
    /// `sms` or `whatsapp`.
    pub phone_reply_channel: String,
    /// Twilio settings without the auth token.
    pub twilio: Option<TwilioView>,
    /// Origins allowed to embed the chat widget.
    pub allowed_origins: Vec<String>,
    /// Default phone region.
    pub default_region: String,
    /// The tenant's model provider and model ids, when it chose its own.
    #[schema(value_type = Option<Object>)]
    pub llm: Option<lead_domain::tenant::LlmOverride>,
    /// The connected calendar, without its key or webhook secret.
    pub booking: Option<crate::routes::booking::BookingView>,
    /// Who on the team is paged, and the webhook endpoints (secrets never shown).
    pub notifications: crate::routes::notifications::NotificationsView,
    /// The connected CRM, without its token.
    pub crm: Option<crate::routes::crm::CrmView>,
    /// Days leads and messages are kept after their last activity; `null` keeps them.
    pub retention_days: Option<u32>,
    /// Public key of the live-chat widget.
    pub widget_key: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<&Tenant> for ClientView {
    fn from(t: &Tenant) -> Self {
        let s = &t.settings;
        Self {
            id: t.id.as_uuid(),
            name: t.name.clone(),
            slug: t.slug.clone(),
            status: t.status.as_str().to_owned(),
            industry: s.industry.clone(),
            timezone: s.business_hours.timezone().name().to_owned(),
            business_hours: BusinessHoursSpec::from(&s.business_hours),
            services: s.services.clone(),
            qualification_rules: s.rules.clone(),
            escalation: s.escalation.clone(),
            monthly_budget_usd: s.monthly_budget_usd,
            brand_voice: s.brand_voice.clone(),
            default_language: s.default_language.code().to_owned(),
            extra_locations: s.extra_locations.clone(),
            phone_reply_channel: match s.phone_reply_channel {
                lead_domain::tenant::PhoneReplyChannel::Sms => "sms".to_owned(),
                lead_domain::tenant::PhoneReplyChannel::Whatsapp => "whatsapp".to_owned(),
            },
            twilio: s.twilio.as_ref().map(|tw| TwilioView {
                account_sid: tw.account_sid.clone(),
                auth_token_set: !tw.auth_token.expose().is_empty(),
                phone_numbers: tw
                    .phone_numbers
                    .iter()
                    .map(|p| p.as_str().to_owned())
                    .collect(),
                whatsapp_numbers: tw
                    .whatsapp_numbers
                    .iter()
                    .map(|p| p.as_str().to_owned())
                    .collect(),
                messaging_service_sid: tw.messaging_service_sid.clone(),
                whatsapp_template: tw.whatsapp_template.clone(),
            }),
            allowed_origins: s.allowed_origins.clone(),
            default_region: s.default_region.clone(),
            booking: s
                .booking
                .as_ref()
                .map(|b| crate::routes::booking::BookingView::of(t.id, b)),
            crm: s.crm.as_ref().map(crate::routes::crm::CrmView::of),
            llm: s.llm.clone(),
            notifications: (&s.notifications).into(),
            retention_days: s.retention_days,
            widget_key: t.widget_key.clone(),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// A newly created client with its API key, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClientCreated {
    /// The client.
    #[serde(flatten)]
    pub client: ClientView,
    /// The API key; only its hash is stored, so save it now.
    pub api_key: String,
}

/// A lead as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeadView {
    /// Id.
    pub id: Uuid,
    /// Owning client.
    pub client_id: Uuid,
    /// Name.
    pub name: Option<String>,
    /// Phone, E.164.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Channel of first contact.
    pub source: String,
    /// Free-form source label.
    pub source_detail: Option<String>,
    /// Lifecycle state (`NEW`, `QUALIFYING`, ...).
    pub state: String,
    /// `HOT`, `WARM`, `COLD` or `UNSCORED`.
    pub score: String,
    /// Points behind the score.
    pub score_points: u32,
    /// Why the score is what it is.
    pub score_reasons: Vec<String>,
    /// The reason a person gave when setting the score by hand.
    pub score_override: Option<String>,
    /// Everything known (service, budget, timeline, ...), with evidence.
    #[schema(value_type = Object)]
    pub qualification: serde_json::Value,
    /// Optimistic-lock version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// A phone the lead typed into live chat: unverified, never used to match another lead.
    pub claimed_phone: Option<String>,
    /// An email the lead typed into live chat: unverified.
    pub claimed_email: Option<String>,
    /// Another lead whose verified phone or email matches this lead's claim, for a person to merge
    /// with `POST /api/v1/leads/{id}/merge`.
    pub possible_duplicate_of: Option<Uuid>,
    /// Why no configured channel can deliver replies to the lead, when none can.
    pub undeliverable: Option<String>,
}

impl From<&Lead> for LeadView {
    fn from(l: &Lead) -> Self {
        Self {
            id: l.id.as_uuid(),
            client_id: l.tenant_id.as_uuid(),
            name: l.name.clone(),
            phone: l.phone.as_ref().map(|p| p.as_str().to_owned()),
            email: l.email.as_ref().map(|e| e.as_str().to_owned()),
            source: l.source.as_str().to_owned(),
            source_detail: l.source_detail.clone(),
            state: l.state.as_str().to_owned(),
            score: l.score.score.as_str().to_owned(),
            score_points: l.score.points,
            score_reasons: l.score.reasons.iter().map(ToString::to_string).collect(),
            score_override: l.score_override.clone(),
            qualification: serde_json::to_value(&l.qualification)
                .unwrap_or(serde_json::Value::Null),
            version: l.version,
            created_at: l.created_at,
            updated_at: l.updated_at,
            claimed_phone: l.claimed_phone.as_ref().map(|p| p.as_str().to_owned()),
            claimed_email: l.claimed_email.as_ref().map(|e| e.as_str().to_owned()),
            possible_duplicate_of: l.possible_duplicate_of.map(|d| d.as_uuid()),
            undeliverable: l.undeliverable.clone(),
        }
    }
}

/// One recorded lifecycle transition.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StateChangeView {
    /// State before.
    pub from: String,
    /// State after.
    pub to: String,
    /// Event name.
    pub event: String,
    /// Why.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl From<&StateChange> for StateChangeView {
    fn from(c: &StateChange) -> Self {
        Self {
            from: c.from.as_str().to_owned(),
            to: c.to.as_str().to_owned(),
            event: serde_json::to_value(c.event)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            reason: c.reason.clone(),
            at: c.at,
        }
    }
}

/// A lead with its history and conversations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeadDetail {
    /// The lead.
    #[serde(flatten)]
    pub lead: LeadView,
    /// Lifecycle history, oldest first.
    pub history: Vec<StateChangeView>,
    /// Conversations, newest first.
    pub conversations: Vec<ConversationView>,
    /// The lead's meeting booking, when one was offered or made.
    pub booking: Option<crate::routes::booking::LeadBookingView>,
    /// The lead's records in the client's CRM, once a sync ran.
    pub crm: Option<crate::routes::crm::LeadCrmView>,
}

/// A conversation as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationView {
    /// Id.
    pub id: Uuid,
    /// Owning client.
    pub client_id: Uuid,
    /// Lead.
    pub lead_id: Uuid,
    /// Inbound channel.
    pub channel: String,
    /// `open` or `closed`.
    pub status: String,
    /// A person owns it: no AI replies.
    pub escalated: bool,
    /// Lead messages so far.
    pub exchanges: u32,
    /// The lead's language.
    pub language: Option<String>,
    /// When the lead last wrote.
    pub last_inbound_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<&Conversation> for ConversationView {
    fn from(c: &Conversation) -> Self {
        Self {
            id: c.id.as_uuid(),
            client_id: c.tenant_id.as_uuid(),
            lead_id: c.lead_id.as_uuid(),
            channel: c.channel.as_str().to_owned(),
            status: match c.status {
                lead_domain::lead::ConversationStatus::Open => "open".to_owned(),
                lead_domain::lead::ConversationStatus::Closed => "closed".to_owned(),
            },
            escalated: c.escalated,
            exchanges: c.exchanges,
            language: c.language.map(|l| l.code().to_owned()),
            last_inbound_at: c.last_inbound_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A message as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageView {
    /// Id.
    pub id: Uuid,
    /// Conversation.
    pub conversation_id: Uuid,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// `lead`, `ai`, `human` or `system`.
    pub sender: String,
    /// Channel it travels on.
    pub channel: String,
    /// Text.
    pub body: String,
    /// Language.
    pub language: Option<String>,
    /// Delivery state.
    pub delivery: String,
    /// Why delivery failed or was suppressed.
    pub delivery_error: Option<String>,
    /// The provider's message id.
    pub provider_message_id: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// The knowledge-base passages a reply quoted (left out when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceView>,
}

/// A knowledge-base passage a reply quoted.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourceView {
    /// The document.
    pub document_id: Uuid,
    /// The passage.
    pub chunk_id: Uuid,
    /// The document's title when it was quoted.
    pub title: String,
}

fn wire<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl From<&Message> for MessageView {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.as_uuid(),
            conversation_id: m.conversation_id.as_uuid(),
            direction: wire(&m.direction),
            sender: wire(&m.sender),
            channel: m.channel.as_str().to_owned(),
            body: m.body.clone(),
            language: m.language.map(|l| l.code().to_owned()),
            delivery: m.delivery.as_str().to_owned(),
            delivery_error: m.delivery_error.clone(),
            provider_message_id: m.provider_message_id.clone(),
            created_at: m.created_at,
            sources: Vec::new(),
        }
    }
}

/// An escalation record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EscalationView {
    /// Id.
    pub id: Uuid,
    /// Reason kind (`human_requested`, `manual`, ...).
    pub kind: String,
    /// The reason in words.
    pub reason: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When a person released it.
    pub released_at: Option<DateTime<Utc>>,
    /// Who raised it: `ai` for a trigger, `system` for a delivery failure, `api` for a person.
    pub raised_by: String,
    /// Who released it back to the AI.
    pub released_by: Option<String>,
}

impl From<&Escalation> for EscalationView {
    fn from(e: &Escalation) -> Self {
        Self {
            id: e.id.as_uuid(),
            kind: e.reason.kind().to_owned(),
            reason: e.reason.to_string(),
            created_at: e.created_at,
            released_at: e.released_at,
            raised_by: e.raised_by.clone(),
            released_by: e.released_by.clone(),
        }
    }
}

/// A conversation with its messages and escalations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationDetail {
    /// The conversation.
    #[serde(flatten)]
    pub conversation: ConversationView,
    /// Messages, oldest first (at most 200; page through `/messages` for more).
    pub messages: Vec<MessageView>,
    /// Messages in all.
    pub message_total: u64,
    /// Escalations, oldest first.
    pub escalations: Vec<EscalationView>,
}
