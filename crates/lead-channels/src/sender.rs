//! The domain's `MessageSender` port over Twilio (SMS, WhatsApp) and SMTP (email).
//!
//! The sending path itself enforces the two rules that must never be broken, whoever calls it:
//! nothing goes to an address that opted out, and nothing free-form goes to WhatsApp outside
//! the 24-hour window (the tenant's template goes instead, or nothing).

use std::sync::Arc;

use async_trait::async_trait;
use lead_domain::contact::{Address, PhoneNumber};
use lead_domain::language::Language;
use lead_domain::lead::Channel;
use lead_domain::ports::{
    Clock, MessageSender, OptOutRegistry, OutboundMessage, SendError, SendReceipt,
};
use lead_domain::tenant::{Tenant, TwilioSettings};
use secrecy::SecretString;

use crate::email::{EmailError, OutgoingEmail, SmtpMailer};
use crate::twilio::{
    self, MessageContent, OutgoingMessage, RejectionReason, Retry, TwilioAddress, TwilioClient,
    TwilioCredentials, TwilioError,
};
use crate::whatsapp::{self, WindowDecision};

/// Sends SMS and WhatsApp messages with each tenant's own Twilio account.
pub struct TwilioSender {
    client: TwilioClient,
    opt_outs: Arc<dyn OptOutRegistry>,
    clock: Arc<dyn Clock>,
    status_callback: Option<String>,
}

impl std::fmt::Debug for TwilioSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioSender")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

/// The authoritative opt-out check: every sender runs it right before a provider call, whoever
/// called, so nothing reaches an address that opted out. The deliver use case checks the registry
/// first as a second guard, only to mark the message suppressed without building a send; a STOP
/// that lands between the two is still caught here.
async fn ensure_not_opted_out(
    opt_outs: &dyn OptOutRegistry,
    tenant: &Tenant,
    to: &Address,
) -> Result<(), SendError> {
    match opt_outs.is_opted_out(tenant.id, to).await {
        Ok(false) => Ok(()),
        Ok(true) => Err(SendError::OptedOut),
        // Without an answer we cannot prove the recipient may be messaged, so try later.
        Err(e) => Err(SendError::Retryable {
            message: format!("checking opt-out: {e}"),
            retry_after: None,
        }),
    }
}

/// Which Twilio channel a message goes out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PhoneChannel {
    Sms,
    WhatsApp,
}

impl TwilioSender {
    /// Builds the sender; `status_callback` is the signed URL Twilio posts delivery updates to
    /// (`{PUBLIC_BASE_URL}/webhooks/twilio/status`), if any.
    pub fn new(
        client: TwilioClient,
        opt_outs: Arc<dyn OptOutRegistry>,
        clock: Arc<dyn Clock>,
        status_callback: Option<String>,
    ) -> Self {
        Self {
            client,
            opt_outs,
            clock,
            status_callback,
        }
    }

    /// The Twilio channel of a message: the domain decides which phone channel it goes out on
    /// (`PhoneReplyChannel::phone_channel_for`), this only maps it to Twilio's two.
    fn channel_for(tenant: &Tenant, channel: Channel) -> Result<PhoneChannel, SendError> {
        match tenant
            .settings
            .phone_reply_channel
            .phone_channel_for(channel)
        {
            Some(Channel::Sms) => Ok(PhoneChannel::Sms),
            Some(Channel::Whatsapp) => Ok(PhoneChannel::WhatsApp),
            _ => Err(SendError::NotConfigured(format!(
                "twilio cannot send on the {channel} channel"
            ))),
        }
    }

    fn sender(
        settings: &TwilioSettings,
        channel: PhoneChannel,
    ) -> Result<twilio::MessageFrom, SendError> {
        if let Some(sid) = settings
            .messaging_service_sid
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            return Ok(twilio::MessageFrom::MessagingService(sid.trim().to_owned()));
        }
        let (numbers, address): (&[PhoneNumber], fn(String) -> TwilioAddress) = match channel {
            PhoneChannel::Sms => (&settings.phone_numbers, TwilioAddress::phone),
            PhoneChannel::WhatsApp => (&settings.whatsapp_numbers, TwilioAddress::whatsapp),
        };
        numbers
            .first()
            .map(|n| twilio::MessageFrom::Number(address(n.as_str().to_owned())))
            .ok_or_else(|| {
                let kind = if channel == PhoneChannel::Sms {
                    "sms"
                } else {
                    "whatsapp"
                };
                SendError::NotConfigured(format!(
                    "tenant has no {kind} number or messaging service"
                ))
            })
    }

    /// Twilio's 21610 means the recipient texted STOP to Twilio itself; remembering it keeps
    /// later sends from reaching Twilio at all.
    async fn remember_unsubscribed(&self, tenant: &Tenant, to: &Address) {
        if let Err(e) = self.opt_outs.opt_out(tenant.id, to, self.clock.now()).await {
            tracing::warn!(tenant = %tenant.id, error = %e, "could not record a twilio unsubscribe as an opt-out");
        }
    }

    async fn deliver(
        &self,
        credentials: &TwilioCredentials,
        to: &TwilioAddress,
        from: &twilio::MessageFrom,
        content: MessageContent,
    ) -> Result<twilio::SentMessage, TwilioError> {
        let message = OutgoingMessage {
            to: to.clone(),
            from: from.clone(),
            content,
            status_callback: self.status_callback.clone(),
        };
        self.client.send_message(credentials, &message).await
    }
}

fn template_content(
    template: &lead_domain::tenant::WhatsAppTemplate,
    tenant: &Tenant,
    message: &OutboundMessage,
) -> MessageContent {
    MessageContent::Template {
        content_sid: template.content_sid.clone(),
        variables: whatsapp::fill_variables(
            template,
            message.lead_name.as_deref(),
            tenant.business_name(),
            message.language,
        ),
    }
}

/// Maps a Twilio failure to the port's error, keeping Twilio's code for the caller.
fn send_error(error: &TwilioError) -> SendError {
    match error.retry() {
        Retry::After(wait) => SendError::Retryable {
            message: error.to_string(),
            retry_after: Some(wait),
        },
        Retry::Backoff => SendError::Retryable {
            message: error.to_string(),
            retry_after: None,
        },
        Retry::Never => match error {
            TwilioError::Rejected(api) => SendError::Permanent {
                code: api.code.map(|c| c.to_string()),
                message: api.message.clone(),
            },
            other => SendError::Permanent {
                code: None,
                message: other.to_string(),
            },
        },
    }
}

#[async_trait]
impl MessageSender for TwilioSender {
    /// Sends an SMS or WhatsApp message with the tenant's Twilio account.
    ///
    /// Web-form and missed-call replies use the tenant's preferred phone channel. A WhatsApp
    /// message outside the 24-hour window becomes the tenant's template, or is not sent.
    async fn send(
        &self,
        tenant: &Tenant,
        message: &OutboundMessage,
    ) -> Result<SendReceipt, SendError> {
        let channel = Self::channel_for(tenant, message.channel)?;
        let Address::Phone(phone) = &message.to else {
            return Err(SendError::Permanent {
                code: None,
                message: "sms and whatsapp need a phone number".to_owned(),
            });
        };
        let settings =
            tenant.settings.twilio.as_ref().ok_or_else(|| {
                SendError::NotConfigured("tenant has no twilio account".to_owned())
            })?;
        let from = Self::sender(settings, channel)?;
        ensure_not_opted_out(self.opt_outs.as_ref(), tenant, &message.to).await?;

        let to = match channel {
            PhoneChannel::Sms => TwilioAddress::phone(phone.as_str()),
            PhoneChannel::WhatsApp => TwilioAddress::whatsapp(phone.as_str()),
        };
        let template = settings.whatsapp_template.as_ref();
        let content = match channel {
            PhoneChannel::Sms => MessageContent::Text(message.body.clone()),
            PhoneChannel::WhatsApp => {
                match whatsapp::decide(message.last_inbound_at, self.clock.now(), template) {
                    WindowDecision::FreeForm => MessageContent::Text(message.body.clone()),
                    WindowDecision::Template(t) => template_content(&t, tenant, message),
                    WindowDecision::Skip => return Err(SendError::OutsideWindow),
                }
            }
        };
        let used_template = matches!(content, MessageContent::Template { .. });
        let credentials = TwilioCredentials {
            account_sid: settings.account_sid.clone(),
            auth_token: SecretString::from(settings.auth_token.expose().to_owned()),
        };

        let result = match self.deliver(&credentials, &to, &from, content).await {
            // Our idea of the window can disagree with WhatsApp's (clock skew, a lead message we
            // never saw); then the template is the only thing that can still go out.
            Err(e)
                if e.rejection() == Some(RejectionReason::OutsideWhatsAppWindow)
                    && !used_template =>
            {
                let Some(template) = template else {
                    return Err(SendError::OutsideWindow);
                };
                let content = template_content(template, tenant, message);
                self.deliver(&credentials, &to, &from, content)
                    .await
                    .map(|sent| (sent, true))
            }
            other => other.map(|sent| (sent, used_template)),
        };
        match result {
            Ok((sent, used_template)) => Ok(SendReceipt {
                provider_message_id: Some(sent.sid),
                used_template,
            }),
            Err(e) => {
                if e.rejection() == Some(RejectionReason::Unsubscribed) {
                    self.remember_unsubscribed(tenant, &message.to).await;
                }
                tracing::warn!(tenant = %tenant.id, to = %phone.masked(), error = %e, "twilio send failed");
                Err(send_error(&e))
            }
        }
    }

    fn can_deliver(&self, tenant: &Tenant, channel: Channel) -> bool {
        let Some(settings) = tenant.settings.twilio.as_ref() else {
            return false;
        };
        let Ok(phone) = Self::channel_for(tenant, channel) else {
            return false;
        };
        Self::sender(settings, phone).is_ok()
    }
}

/// Sends email replies over SMTP, under the tenant's name.
pub struct SmtpSender {
    mailer: SmtpMailer,
    opt_outs: Arc<dyn OptOutRegistry>,
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender")
            .field("mailer", &self.mailer)
            .finish_non_exhaustive()
    }
}

impl SmtpSender {
    /// Builds the sender on a configured mailer.
    pub fn new(mailer: SmtpMailer, opt_outs: Arc<dyn OptOutRegistry>) -> Self {
        Self { mailer, opt_outs }
    }
}

/// The subject line of a reply, in the message's language.
fn subject(language: Language, business: &str) -> String {
    match language {
        Language::En => format!("Your enquiry with {business}"),
        Language::Ar => format!("استفسارك لدى {business}"),
    }
}

#[async_trait]
impl MessageSender for SmtpSender {
    /// Emails the message to an email address, from the tenant's name.
    async fn send(
        &self,
        tenant: &Tenant,
        message: &OutboundMessage,
    ) -> Result<SendReceipt, SendError> {
        if !matches!(message.channel, Channel::Email | Channel::WebForm) {
            return Err(SendError::NotConfigured(format!(
                "smtp cannot send on the {} channel",
                message.channel
            )));
        }
        let Address::Email(email) = &message.to else {
            return Err(SendError::Permanent {
                code: None,
                message: "email needs an email address".to_owned(),
            });
        };
        ensure_not_opted_out(self.opt_outs.as_ref(), tenant, &message.to).await?;
        let outgoing = OutgoingEmail {
            to: email.as_str().to_owned(),
            subject: subject(message.language, tenant.business_name()),
            body: message.body.clone(),
            from_name: Some(tenant.business_name().to_owned()),
        };
        match self.mailer.send(&outgoing).await {
            Ok(()) => Ok(SendReceipt {
                provider_message_id: None,
                used_template: false,
            }),
            Err(e) => {
                tracing::warn!(tenant = %tenant.id, to = %email.masked(), error = %e, "email send failed");
                Err(match e {
                    EmailError::Transient(_) => SendError::Retryable {
                        message: e.to_string(),
                        retry_after: None,
                    },
                    EmailError::Config(_) => SendError::NotConfigured(e.to_string()),
                    EmailError::InvalidRecipient
                    | EmailError::Build(_)
                    | EmailError::Rejected(_) => SendError::Permanent {
                        code: smtp_code(&e),
                        message: e.to_string(),
                    },
                })
            }
        }
    }

    fn can_deliver(&self, _tenant: &Tenant, channel: Channel) -> bool {
        channel == Channel::Email
    }
}

fn smtp_code(error: &EmailError) -> Option<String> {
    match error {
        EmailError::Rejected(e) | EmailError::Transient(e) => {
            e.status().map(|code| code.to_string())
        }
        _ => None,
    }
}

/// One `MessageSender` for the whole service: picks Twilio or SMTP by channel and address.
#[derive(Debug, Default)]
pub struct ChannelSender {
    twilio: Option<TwilioSender>,
    email: Option<SmtpSender>,
}

impl ChannelSender {
    /// Combines the configured senders; a missing one answers `NotConfigured`.
    pub fn new(twilio: Option<TwilioSender>, email: Option<SmtpSender>) -> Self {
        Self { twilio, email }
    }
}

#[async_trait]
impl MessageSender for ChannelSender {
    /// Email addresses go to SMTP, phone numbers to Twilio; live chat needs no sender.
    async fn send(
        &self,
        tenant: &Tenant,
        message: &OutboundMessage,
    ) -> Result<SendReceipt, SendError> {
        match (&message.to, message.channel) {
            (_, Channel::LiveChat) | (Address::ChatSession(_), _) => Err(SendError::NotConfigured(
                "live chat replies are not sent through a sender".to_owned(),
            )),
            (Address::Email(_), _) => match &self.email {
                Some(sender) => sender.send(tenant, message).await,
                None => Err(SendError::NotConfigured(
                    "smtp is not configured".to_owned(),
                )),
            },
            (Address::Phone(_), _) => match &self.twilio {
                Some(sender) => sender.send(tenant, message).await,
                None => Err(SendError::NotConfigured(
                    "twilio is not configured".to_owned(),
                )),
            },
        }
    }

    fn can_deliver(&self, tenant: &Tenant, channel: Channel) -> bool {
        match channel {
            // Live chat replies are shown on the visitor's stream, not sent.
            Channel::LiveChat => true,
            Channel::Email => self.email.is_some(),
            Channel::Sms | Channel::Whatsapp => self
                .twilio
                .as_ref()
                .is_some_and(|t| t.can_deliver(tenant, channel)),
            Channel::WebForm | Channel::MissedCall => false,
        }
    }
}
