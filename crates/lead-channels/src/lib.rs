//! Channel adapters: Twilio SMS, WhatsApp and voice webhooks, outbound messages, email, opt-out
//! keywords and the WhatsApp session window.
//!
//! - [`signature`]: `X-Twilio-Signature` checks ([`signature::RequestValidator`]) and the URL
//!   Twilio signed ([`signature::RequestUrlParts`]).
//! - [`twilio`]: typed webhook bodies ([`twilio::InboundMessage`], [`twilio::VoiceStatusCallback`],
//!   [`twilio::MessageStatusCallback`]) and the REST client ([`twilio::TwilioClient`]) whose
//!   errors are classified once for retry.
//! - [`optout`]: STOP/START keywords in English and Arabic.
//! - [`whatsapp`]: the 24-hour session window rule, with time passed in.
//! - [`email`]: SMTP through lettre ([`email::SmtpMailer`]).
//! - [`sender`]: the domain's `MessageSender` port ([`sender::TwilioSender`],
//!   [`sender::SmtpSender`], and [`sender::ChannelSender`] routing between them), which refuses
//!   opted-out recipients and free-form WhatsApp outside the window.
//! - [`egress`]: tenant-chosen URLs reach public addresses only ([`egress::PublicOnlyResolver`]).

pub mod calcom;
pub mod egress;
pub mod email;
pub mod hubspot;
pub mod optout;
pub mod sender;
pub mod signature;
pub mod team;
mod trace_context;
pub mod twilio;
pub mod webhooks;
pub mod whatsapp;
