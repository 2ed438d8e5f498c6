//! Typed parsing of the form bodies Twilio posts to our webhooks.

use std::fmt;

use lead_domain::contact::{ContactError, PhoneNumber};
use lead_domain::lead::DeliveryStatus;
use lead_domain::tenant::NumberKind;

/// A TwiML document that tells Twilio to do nothing; replies go out later through the REST API.
pub const EMPTY_TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#;

/// The content type Twilio expects for TwiML responses.
pub const TWIML_CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// Why a Twilio webhook body could not be turned into a typed callback.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// A field Twilio always sends is absent or empty.
    #[error("missing required twilio field {0}")]
    Missing(&'static str),
    /// A field is present but its value cannot be what Twilio sends.
    #[error("invalid twilio field {field}: {reason}")]
    Invalid {
        /// The Twilio parameter name.
        field: &'static str,
        /// What is wrong with the value.
        reason: String,
    },
}

/// The channel a Twilio address belongs to, told apart by its `whatsapp:` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressKind {
    /// A plain phone number: SMS, MMS or voice.
    Phone,
    /// A WhatsApp sender or recipient, written `whatsapp:+E164` on the wire.
    WhatsApp,
}

/// A Twilio `From`/`To` address with its channel prefix split off.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TwilioAddress {
    kind: AddressKind,
    number: String,
}

const WHATSAPP_PREFIX: &str = "whatsapp:";

impl TwilioAddress {
    /// Parses `+15551234567` or `whatsapp:+15551234567`; other schemes (`messenger:`, `sip:`,
    /// `client:`) are rejected because we cannot reply to them.
    ///
    /// # Errors
    /// [`FormError::Invalid`] naming `field` for an empty or unsupported address.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FormError> {
        let raw = raw.trim();
        let invalid = |reason: &str| FormError::Invalid {
            field,
            reason: reason.to_owned(),
        };
        let (kind, number) = match raw.get(..WHATSAPP_PREFIX.len()) {
            Some(prefix) if prefix.eq_ignore_ascii_case(WHATSAPP_PREFIX) => {
                (AddressKind::WhatsApp, raw[WHATSAPP_PREFIX.len()..].trim())
            }
            _ if raw.contains(':') => return Err(invalid("unsupported address scheme")),
            _ => (AddressKind::Phone, raw),
        };
        if number.is_empty() {
            return Err(invalid("empty address"));
        }
        Ok(Self {
            kind,
            number: number.to_owned(),
        })
    }

    /// Builds a phone-number address (the number is kept as given, normally E.164).
    pub fn phone(number: impl Into<String>) -> Self {
        Self {
            kind: AddressKind::Phone,
            number: number.into(),
        }
    }

    /// Builds a WhatsApp address for an E.164 number.
    pub fn whatsapp(number: impl Into<String>) -> Self {
        Self {
            kind: AddressKind::WhatsApp,
            number: number.into(),
        }
    }

    /// Which channel the address is on.
    pub fn kind(&self) -> AddressKind {
        self.kind
    }

    /// The number without any channel prefix, used to look up tenants and leads.
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The number as the domain's phone number, to find the tenant or the lead.
    ///
    /// # Errors
    /// [`ContactError`] when the address is not an E.164 number (a short code, for instance).
    pub fn phone_number(&self) -> Result<PhoneNumber, ContactError> {
        PhoneNumber::parse(&self.number)
    }

    /// Which kind of tenant number receives traffic on this address's channel.
    pub fn number_kind(&self) -> NumberKind {
        match self.kind {
            AddressKind::Phone => NumberKind::Sms,
            AddressKind::WhatsApp => NumberKind::Whatsapp,
        }
    }
}

impl fmt::Display for TwilioAddress {
    /// Writes the address as Twilio's API expects it, with the `whatsapp:` prefix when needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            AddressKind::Phone => f.write_str(&self.number),
            AddressKind::WhatsApp => write!(f, "{WHATSAPP_PREFIX}{}", self.number),
        }
    }
}

/// Looks up fields of a decoded form, first occurrence winning.
struct Fields<'a>(&'a [(String, String)]);

impl<'a> Fields<'a> {
    fn optional(&self, name: &str) -> Option<&'a str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }

    fn required(&self, name: &'static str) -> Result<&'a str, FormError> {
        self.optional(name).ok_or(FormError::Missing(name))
    }

    fn sid(&self, name: &'static str, prefixes: &[&str]) -> Result<String, FormError> {
        let value = self.required(name)?.trim();
        // Real sids are the prefix and 32 hex digits; only the prefix and a sane alphabet are
        // required, so test fixtures and future sid formats still parse.
        let well_formed = (3..=64).contains(&value.len())
            && prefixes.iter().any(|p| value.starts_with(p))
            && value.bytes().all(|b| b.is_ascii_alphanumeric());
        if well_formed {
            Ok(value.to_owned())
        } else {
            Err(FormError::Invalid {
                field: name,
                reason: format!("expected a sid starting with {}", prefixes.join(" or ")),
            })
        }
    }
}

/// An inbound SMS, MMS or WhatsApp message webhook (`/webhooks/sms/inbound`, `/webhooks/whatsapp/inbound`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    /// Twilio's id of the message; a retried webhook repeats it, which makes it the idempotency key.
    pub message_sid: String,
    /// The Twilio account the message arrived on, to check against the tenant found by `to`.
    pub account_sid: String,
    /// The sender: the lead.
    pub from: TwilioAddress,
    /// The tenant's number the message was sent to, which routes it to a tenant.
    pub to: TwilioAddress,
    /// The text; empty for a media-only message.
    pub body: String,
    /// How many media items are attached.
    pub num_media: u32,
    /// The sender's WhatsApp profile name, when WhatsApp shares it.
    pub profile_name: Option<String>,
    /// The sender's WhatsApp id (their number without `+`), when on WhatsApp.
    pub wa_id: Option<String>,
}

impl InboundMessage {
    /// Parses a decoded form body.
    ///
    /// `Body` may be absent or empty (media-only messages); `NumMedia` defaults to 0.
    ///
    /// # Errors
    /// [`FormError::Missing`] for `MessageSid`, `AccountSid`, `From` or `To`; [`FormError::Invalid`]
    /// for malformed sids, addresses or counts, or `From`/`To` on different channels.
    pub fn from_form(pairs: &[(String, String)]) -> Result<Self, FormError> {
        let fields = Fields(pairs);
        let message_sid = fields.sid("MessageSid", &["SM", "MM"])?;
        let account_sid = fields.sid("AccountSid", &["AC"])?;
        let from = TwilioAddress::parse("From", fields.required("From")?)?;
        let to = TwilioAddress::parse("To", fields.required("To")?)?;
        if from.kind() != to.kind() {
            return Err(FormError::Invalid {
                field: "From",
                reason: "sender and recipient are on different channels".to_owned(),
            });
        }
        let num_media = match fields.optional("NumMedia") {
            None => 0,
            Some(n) => n.trim().parse().map_err(|_| FormError::Invalid {
                field: "NumMedia",
                reason: "not a non-negative integer".to_owned(),
            })?,
        };
        Ok(Self {
            message_sid,
            account_sid,
            from,
            to,
            body: pairs
                .iter()
                .find(|(k, _)| k == "Body")
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            num_media,
            profile_name: fields.optional("ProfileName").map(str::to_owned),
            wa_id: fields.optional("WaId").map(str::to_owned),
        })
    }
}

/// The state of a call in a voice status callback.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CallStatus {
    /// The call is waiting to be placed.
    Queued,
    /// The phone is ringing.
    Ringing,
    /// The call was answered and is under way.
    InProgress,
    /// The call was answered and has ended.
    Completed,
    /// The callee was busy.
    Busy,
    /// The call could not be connected.
    Failed,
    /// Nobody answered.
    NoAnswer,
    /// The caller hung up before it was answered.
    Canceled,
    /// A status Twilio added after this code was written; kept rather than rejected.
    Other(String),
}

impl CallStatus {
    fn parse(raw: &str) -> Self {
        match raw.trim().to_ascii_lowercase().as_str() {
            "queued" => Self::Queued,
            "ringing" => Self::Ringing,
            "in-progress" => Self::InProgress,
            "completed" => Self::Completed,
            "busy" => Self::Busy,
            "failed" => Self::Failed,
            "no-answer" => Self::NoAnswer,
            "canceled" => Self::Canceled,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Whether the call ended without being answered, which calls for a follow-up message.
    pub fn is_missed(&self) -> bool {
        matches!(
            self,
            Self::Busy | Self::Failed | Self::NoAnswer | Self::Canceled
        )
    }
}

/// Which way a call went, as Twilio reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CallDirection {
    /// Someone called the tenant's number.
    Inbound,
    /// A call placed through the REST API.
    OutboundApi,
    /// A call placed by a `<Dial>` verb.
    OutboundDial,
    /// A direction Twilio added after this code was written.
    Other(String),
}

impl CallDirection {
    fn parse(raw: &str) -> Self {
        match raw.trim().to_ascii_lowercase().as_str() {
            "inbound" => Self::Inbound,
            "outbound-api" => Self::OutboundApi,
            "outbound-dial" => Self::OutboundDial,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// A voice status callback (`/webhooks/missed-call`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceStatusCallback {
    /// Twilio's id of the call; a retried callback repeats it.
    pub call_sid: String,
    /// The Twilio account the call arrived on.
    pub account_sid: String,
    /// How the call ended (or where it is).
    pub call_status: CallStatus,
    /// The caller's number as Twilio reports it (may be `anonymous` or a `client:` id).
    pub from: String,
    /// The tenant's number that was called.
    pub to: String,
    /// Which way the call went, when Twilio says.
    pub direction: Option<CallDirection>,
}

impl VoiceStatusCallback {
    /// Parses a decoded form body.
    ///
    /// # Errors
    /// [`FormError::Missing`] for `CallSid`, `AccountSid`, `CallStatus`, `From` or `To`;
    /// [`FormError::Invalid`] for malformed sids.
    pub fn from_form(pairs: &[(String, String)]) -> Result<Self, FormError> {
        let fields = Fields(pairs);
        Ok(Self {
            call_sid: fields.sid("CallSid", &["CA"])?,
            account_sid: fields.sid("AccountSid", &["AC"])?,
            call_status: CallStatus::parse(fields.required("CallStatus")?),
            from: fields.required("From")?.trim().to_owned(),
            to: fields.required("To")?.trim().to_owned(),
            direction: fields.optional("Direction").map(CallDirection::parse),
        })
    }

    /// The caller as a phone address we can text back, if it is a real number.
    pub fn caller(&self) -> Option<TwilioAddress> {
        let from = self.from.as_str();
        let dialable = from.starts_with('+')
            && from.len() > 4
            && from[1..].bytes().all(|b| b.is_ascii_digit());
        dialable.then(|| TwilioAddress::phone(from))
    }
}

/// The delivery state of an outbound message in a status callback.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageStatus {
    /// Accepted by a messaging service, not yet queued.
    Accepted,
    /// Scheduled for later sending.
    Scheduled,
    /// Queued at Twilio.
    Queued,
    /// Being handed to the carrier.
    Sending,
    /// Handed to the carrier.
    Sent,
    /// The carrier confirmed delivery.
    Delivered,
    /// The carrier could not deliver it.
    Undelivered,
    /// Twilio could not send it.
    Failed,
    /// The recipient read it (WhatsApp).
    Read,
    /// The scheduled message was canceled.
    Canceled,
    /// A status Twilio added after this code was written.
    Other(String),
}

impl MessageStatus {
    fn parse(raw: &str) -> Self {
        match raw.trim().to_ascii_lowercase().as_str() {
            "accepted" => Self::Accepted,
            "scheduled" => Self::Scheduled,
            "queued" => Self::Queued,
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "undelivered" => Self::Undelivered,
            "failed" => Self::Failed,
            "read" => Self::Read,
            "canceled" => Self::Canceled,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Whether the message will not arrive, so the lead may need another channel.
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Undelivered | Self::Failed)
    }

    /// The stored delivery state this status moves a message to; `None` for statuses we do not
    /// track. Callbacks can arrive out of order, so callers should not move a delivered message
    /// back to sent.
    pub fn delivery_status(&self) -> Option<DeliveryStatus> {
        match self {
            Self::Accepted | Self::Scheduled | Self::Queued | Self::Sending | Self::Sent => {
                Some(DeliveryStatus::Sent)
            }
            Self::Delivered | Self::Read => Some(DeliveryStatus::Delivered),
            Self::Undelivered | Self::Failed | Self::Canceled => Some(DeliveryStatus::Failed),
            Self::Other(_) => None,
        }
    }
}

/// A message status callback (`/webhooks/twilio/status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageStatusCallback {
    /// The id of the message we sent, to find the stored message.
    pub message_sid: String,
    /// The Twilio account that sent it, when present.
    pub account_sid: Option<String>,
    /// The new delivery state.
    pub status: MessageStatus,
    /// Twilio's error code for failed or undelivered messages.
    pub error_code: Option<u32>,
}

impl MessageStatusCallback {
    /// Parses a decoded form body.
    ///
    /// # Errors
    /// [`FormError::Missing`] for `MessageSid` or `MessageStatus`; [`FormError::Invalid`] for a
    /// malformed sid or a non-numeric `ErrorCode`.
    pub fn from_form(pairs: &[(String, String)]) -> Result<Self, FormError> {
        let fields = Fields(pairs);
        let error_code = match fields.optional("ErrorCode") {
            None => None,
            Some(code) => Some(code.trim().parse().map_err(|_| FormError::Invalid {
                field: "ErrorCode",
                reason: "not a numeric error code".to_owned(),
            })?),
        };
        Ok(Self {
            message_sid: fields.sid("MessageSid", &["SM", "MM"])?,
            account_sid: fields.optional("AccountSid").map(|s| s.trim().to_owned()),
            status: MessageStatus::parse(fields.required("MessageStatus")?),
            error_code,
        })
    }
}

#[cfg(test)]
mod tests;
