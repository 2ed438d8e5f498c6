//! Twilio's wire formats: webhook form bodies in, the REST Messages API out.

mod client;
mod webhook;

pub use client::{
    API_BASE_URL_ENV, ApiError, DEFAULT_API_BASE_URL, DEFAULT_TIMEOUT, MessageContent, MessageFrom,
    OutgoingMessage, RejectionReason, Retry, SentMessage, TwilioClient, TwilioCredentials,
    TwilioError,
};
pub use webhook::{
    AddressKind, CallDirection, CallStatus, EMPTY_TWIML, FormError, InboundMessage, MessageStatus,
    MessageStatusCallback, TWIML_CONTENT_TYPE, TwilioAddress, VoiceStatusCallback,
};
