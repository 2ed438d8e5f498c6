//! Tenants (clients in the API): the businesses the service answers leads for, and their settings.

use crate::contact::PhoneNumber;
use crate::escalation::EscalationPolicy;
use crate::hours::BusinessHours;
use crate::ids::TenantId;
use crate::language::Language;
use crate::lead::Channel;
use crate::scoring::QualificationRules;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Whether a tenant's leads get automatic replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    /// Leads are answered.
    #[default]
    Active,
    /// Leads are still stored, but no AI work is done and nothing is sent.
    Paused,
}

impl TenantStatus {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Active => "active",
            TenantStatus::Paused => "paused",
        }
    }
}

/// One service of a tenant's catalogue, with the words leads use for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ServiceDef {
    /// What the service is, in the tenant's words ("buying an apartment / flat").
    pub description: String,
    /// Extra words or phrases, in any language, that mean this service.
    #[serde(default)]
    pub synonyms: Vec<String>,
}

/// A secret string whose `Debug` output never shows the value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that must send it (an HTTP auth header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// An approved WhatsApp template used outside the 24-hour session window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsAppTemplate {
    /// Twilio Content SID of the approved template (`HX...`).
    pub content_sid: String,
    /// Template variables by position ("1" -> lead name), where `{name}` and `{business}` are filled in.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

/// A tenant's own Twilio account and numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioSettings {
    /// Account SID (`AC...`).
    pub account_sid: String,
    /// Auth token: signs webhooks and authenticates REST calls; never shown back.
    pub auth_token: Secret,
    /// SMS and voice numbers.
    #[serde(default)]
    pub phone_numbers: Vec<PhoneNumber>,
    /// WhatsApp sender numbers.
    #[serde(default)]
    pub whatsapp_numbers: Vec<PhoneNumber>,
    /// Messaging service used instead of a `From` number, when set.
    #[serde(default)]
    pub messaging_service_sid: Option<String>,
    /// Template for WhatsApp replies outside the session window.
    #[serde(default)]
    pub whatsapp_template: Option<WhatsAppTemplate>,
}

/// Which phone channel a tenant prefers for replies to web-form and missed-call leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PhoneReplyChannel {
    /// Plain SMS.
    #[default]
    Sms,
    /// WhatsApp.
    Whatsapp,
}

impl PhoneReplyChannel {
    /// The phone channels in the order replies try them: the preferred one, then the other as a
    /// fallback when the tenant cannot deliver on it. The single home of that preference.
    #[must_use]
    pub fn preference_order(self) -> [Channel; 2] {
        match self {
            PhoneReplyChannel::Sms => [Channel::Sms, Channel::Whatsapp],
            PhoneReplyChannel::Whatsapp => [Channel::Whatsapp, Channel::Sms],
        }
    }

    /// The phone channel a message recorded on `channel` goes out on: SMS and WhatsApp stay where
    /// the lead wrote, web-form and missed-call leads get the preferred phone channel, and live chat
    /// and email have none.
    #[must_use]
    pub fn phone_channel_for(self, channel: Channel) -> Option<Channel> {
        match channel {
            Channel::Sms | Channel::Whatsapp => Some(channel),
            Channel::WebForm | Channel::MissedCall => Some(self.preference_order()[0]),
            Channel::LiveChat | Channel::Email => None,
        }
    }
}

/// Everything a tenant configures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantSettings {
    /// Industry key (`real_estate`, `dental_clinic`, ...), used for built-in synonyms.
    pub industry: String,
    /// Opening hours in the tenant's timezone.
    pub business_hours: BusinessHours,
    /// Service catalogue: key to definition.
    #[serde(default)]
    pub services: BTreeMap<String, ServiceDef>,
    /// Scoring rules (currency, minimum budget, high-value threshold, weights).
    pub rules: QualificationRules,
    /// Escalation triggers.
    #[serde(default)]
    pub escalation: EscalationPolicy,
    /// Monthly LLM spend limit in US dollars; `None` means no limit.
    #[serde(default)]
    pub monthly_budget_usd: Option<f64>,
    /// How replies should sound ("warm and brief", "formal").
    #[serde(default)]
    pub brand_voice: Option<String>,
    /// Language of templates before the lead has written anything.
    #[serde(default)]
    pub default_language: Language,
    /// Extra place names (district or spelling) mapped to a canonical city.
    #[serde(default)]
    pub extra_locations: BTreeMap<String, String>,
    /// Phone channel for replies to web-form and missed-call leads.
    #[serde(default)]
    pub phone_reply_channel: PhoneReplyChannel,
    /// Twilio account and numbers, when the tenant uses SMS or WhatsApp.
    #[serde(default)]
    pub twilio: Option<TwilioSettings>,
    /// Origins allowed to embed the live-chat widget.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Default region for phone numbers written without a country code (ISO 3166 alpha-2).
    #[serde(default = "default_region")]
    pub default_region: String,
    /// Model ids this tenant uses instead of the operator's defaults.
    #[serde(default)]
    pub llm: Option<LlmOverride>,
    /// The calendar the AI books meetings in, when connected.
    #[serde(default)]
    pub booking: Option<crate::booking::BookingSettings>,
    /// Who on the team is told of which events, in which language, and the webhook endpoints.
    #[serde(default)]
    pub notifications: crate::notifications::NotificationSettings,
    /// The CRM leads are synced to; `None` keeps them here only.
    #[serde(default)]
    pub crm: Option<crate::crm::CrmSettings>,
    /// Days leads and messages are kept after their last activity; `None` keeps them.
    #[serde(default)]
    pub retention_days: Option<u32>,
}

/// A model provider a tenant can choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LlmProviderName {
    /// The Anthropic Messages API.
    Anthropic,
    /// An OpenAI-compatible chat completions server.
    Openai,
    /// No model: the offline qualifier answers this tenant's leads.
    Offline,
}

/// A tenant's choice of models, overriding the operator's configured defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LlmOverride {
    /// The provider to use instead of the operator's default; it must be configured by the operator.
    #[serde(default)]
    pub provider: Option<LlmProviderName>,
    /// The fast model that classifies turns.
    #[serde(default)]
    pub routing_model: Option<String>,
    /// The main model that qualifies and replies.
    #[serde(default)]
    pub qualification_model: Option<String>,
}

fn default_region() -> String {
    "SA".to_owned()
}

/// A business using the service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    /// Id.
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// Unique URL-safe name.
    pub slug: String,
    /// Active or paused.
    pub status: TenantStatus,
    /// Settings.
    pub settings: TenantSettings,
    /// Public key the live-chat widget sends; not a secret.
    pub widget_key: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl Tenant {
    /// Whether automatic replies are allowed.
    pub fn is_active(&self) -> bool {
        self.status == TenantStatus::Active
    }

    /// The display name the templates sign with.
    pub fn business_name(&self) -> &str {
        &self.name
    }
}

/// A stored API key: only its SHA-256 hash and a short prefix to recognise it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// Lower-case hex SHA-256 of the full key.
    pub hash: String,
    /// The first characters of the key, shown to help the tenant tell keys apart.
    pub prefix: String,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops working (set on the old key when a key is rotated with a grace period).
    pub expires_at: Option<DateTime<Utc>>,
}

/// What kind of traffic a tenant's number carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberKind {
    /// SMS and voice.
    Sms,
    /// WhatsApp.
    Whatsapp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_form_and_missed_call_replies_take_the_preferred_phone_channel() {
        for (pref, first) in [
            (PhoneReplyChannel::Sms, Channel::Sms),
            (PhoneReplyChannel::Whatsapp, Channel::Whatsapp),
        ] {
            assert_eq!(pref.preference_order()[0], first);
            assert_ne!(pref.preference_order()[1], first);
            assert_eq!(pref.phone_channel_for(Channel::WebForm), Some(first));
            assert_eq!(pref.phone_channel_for(Channel::MissedCall), Some(first));
            // A lead who wrote by phone is answered where they wrote, whatever the preference.
            assert_eq!(pref.phone_channel_for(Channel::Sms), Some(Channel::Sms));
            assert_eq!(
                pref.phone_channel_for(Channel::Whatsapp),
                Some(Channel::Whatsapp)
            );
            assert_eq!(pref.phone_channel_for(Channel::LiveChat), None);
            assert_eq!(pref.phone_channel_for(Channel::Email), None);
        }
    }
}
