//! Cal.com's webhooks: the `X-Cal-Signature-256` check and the booking payloads we act on.
//!
//! Cal.com signs the raw body with HMAC-SHA256 under the subscription's secret and sends the hex
//! digest. It sends no timestamp or delivery id, so replays are caught by the receiver's
//! idempotency key: the booking uid with the trigger.

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Cal-Signature-256";

/// Whether `signature` (hex) is the HMAC-SHA256 of `body` under `secret`, compared in constant time.
pub fn verify_signature(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(expected) = hex_decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The hex HMAC-SHA256 signature Cal.com would send for `body` (for tests and tools).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn hex_decode(s: &str) -> Result<Vec<u8>, ()> {
    if !s.len().is_multiple_of(2) || s.is_empty() {
        return Err(());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2).ok_or(())?, 16).map_err(|_| ()))
        .collect()
}

/// The booking triggers the service acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A booking was made (by the AI or on Cal.com's own pages).
    Created,
    /// A booking was moved; the payload's `uid` is the new booking, `rescheduleUid` the old one.
    Rescheduled,
    /// A booking was cancelled.
    Cancelled,
    /// The meeting took place.
    MeetingEnded,
}

impl Trigger {
    /// The trigger of Cal.com's `triggerEvent`, when it is one we act on.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "BOOKING_CREATED" => Some(Self::Created),
            "BOOKING_RESCHEDULED" => Some(Self::Rescheduled),
            "BOOKING_CANCELLED" => Some(Self::Cancelled),
            "MEETING_ENDED" => Some(Self::MeetingEnded),
            _ => None,
        }
    }
}

/// One attendee of a booking.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Attendee {
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone, when the event type asks for one.
    #[serde(default)]
    pub phone_number: Option<String>,
}

/// The parts of a booking payload the service reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingPayload {
    /// The booking's uid (after a reschedule, the new booking's).
    pub uid: String,
    /// Start, UTC.
    #[serde(default)]
    pub start_time: Option<DateTime<Utc>>,
    /// End, UTC.
    #[serde(default)]
    pub end_time: Option<DateTime<Utc>>,
    /// The booking that a reschedule replaced.
    #[serde(default)]
    pub reschedule_uid: Option<String>,
    /// The event type booked.
    #[serde(default)]
    pub event_type_id: Option<u64>,
    /// The people booked.
    #[serde(default)]
    pub attendees: Vec<Attendee>,
    /// Metadata sent when the booking was made (our lead id, when we made it).
    #[serde(default)]
    pub metadata: Value,
    /// Cancellation reason, on cancellations.
    #[serde(default)]
    pub cancellation_reason: Option<String>,
}

impl BookingPayload {
    /// The lead id we put in the booking's metadata, when we made it.
    pub fn lead_ref(&self) -> Option<&str> {
        self.metadata.get("lead_id").and_then(Value::as_str)
    }
}

/// A Cal.com webhook body: `{"triggerEvent", "createdAt", "payload"}`.
#[derive(Debug, Clone)]
pub struct Event {
    /// The trigger, as Cal.com named it.
    pub trigger_name: String,
    /// The trigger, when it is one we act on.
    pub trigger: Option<Trigger>,
    /// The booking, for booking triggers.
    pub payload: Option<BookingPayload>,
}

/// Why a webhook body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Not JSON, or not Cal.com's envelope.
    #[error("unreadable Cal.com webhook: {0}")]
    Malformed(String),
}

/// Reads a webhook body. Triggers we do not act on parse with `trigger: None`.
///
/// # Errors
/// [`WebhookError::Malformed`] when the body is not Cal.com's envelope, or a booking trigger
/// lacks its booking uid.
pub fn parse_event(body: &[u8]) -> Result<Event, WebhookError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let trigger_name = value
        .get("triggerEvent")
        .and_then(Value::as_str)
        .ok_or_else(|| WebhookError::Malformed("no triggerEvent".to_owned()))?
        .to_owned();
    let trigger = Trigger::parse(&trigger_name);
    let payload = match trigger {
        Some(_) => {
            let raw = value
                .get("payload")
                .cloned()
                .ok_or_else(|| WebhookError::Malformed("no payload".to_owned()))?;
            Some(
                serde_json::from_value::<BookingPayload>(raw)
                    .map_err(|e| WebhookError::Malformed(e.to_string()))?,
            )
        }
        None => None,
    };
    Ok(Event {
        trigger_name,
        trigger,
        payload,
    })
}
