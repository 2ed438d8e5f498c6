//! Pages to a tenant's own team: the `TeamMessenger` port over the tenant's Twilio account (SMS,
//! WhatsApp) and the SMTP server (email with HTML and text parts). Team members are not leads: no
//! opt-out registry and no status callback apply.

use async_trait::async_trait;
use lead_domain::contact::Address;
use lead_domain::events::{PageChannel, TeamMessage, TeamMessenger};
use lead_domain::ports::SendError;
use lead_domain::tenant::Tenant;
use secrecy::SecretString;

use crate::email::{OutgoingEmail, SmtpMailer};
use crate::twilio::{
    MessageContent, MessageFrom, OutgoingMessage, Retry, TwilioAddress, TwilioClient,
    TwilioCredentials, TwilioError,
};

/// Sends pages on the tenant's Twilio account and the operator's SMTP server.
#[derive(Debug, Clone)]
pub struct TeamSender {
    twilio: TwilioClient,
    email: Option<SmtpMailer>,
}

impl TeamSender {
    /// Builds the sender; without a mailer, email pages fail as not configured.
    pub fn new(twilio: TwilioClient, email: Option<SmtpMailer>) -> Self {
        Self { twilio, email }
    }
}

fn twilio_error(e: &TwilioError) -> SendError {
    match e.retry() {
        Retry::After(wait) => SendError::Retryable {
            message: e.to_string(),
            retry_after: Some(wait),
        },
        Retry::Backoff => SendError::Retryable {
            message: e.to_string(),
            retry_after: None,
        },
        Retry::Never => SendError::Permanent {
            code: None,
            message: e.to_string(),
        },
    }
}

#[async_trait]
impl TeamMessenger for TeamSender {
    async fn send_page(&self, tenant: &Tenant, message: &TeamMessage) -> Result<(), SendError> {
        match (message.channel, &message.to) {
            (PageChannel::Email, Address::Email(to)) => {
                let mailer = self
                    .email
                    .as_ref()
                    .ok_or_else(|| SendError::NotConfigured("SMTP is not configured".to_owned()))?;
                let email = OutgoingEmail {
                    to: to.as_str().to_owned(),
                    subject: message.subject.clone(),
                    body: message.text.clone(),
                    from_name: Some(tenant.name.clone()),
                };
                let sent = match &message.html {
                    Some(html) => mailer.send_with_html(&email, html).await,
                    None => mailer.send(&email).await,
                };
                sent.map_err(|e| {
                    if e.is_retryable() {
                        SendError::Retryable {
                            message: e.to_string(),
                            retry_after: None,
                        }
                    } else {
                        SendError::Permanent {
                            code: None,
                            message: e.to_string(),
                        }
                    }
                })
            }
            (channel @ (PageChannel::Sms | PageChannel::Whatsapp), Address::Phone(to)) => {
                let settings = tenant.settings.twilio.as_ref().ok_or_else(|| {
                    SendError::NotConfigured("tenant has no twilio account".to_owned())
                })?;
                let whatsapp = channel == PageChannel::Whatsapp;
                let numbers = if whatsapp {
                    &settings.whatsapp_numbers
                } else {
                    &settings.phone_numbers
                };
                let from = match settings
                    .messaging_service_sid
                    .as_deref()
                    .filter(|s| !s.trim().is_empty())
                {
                    Some(sid) => MessageFrom::MessagingService(sid.trim().to_owned()),
                    None => {
                        let n = numbers.first().ok_or_else(|| {
                            SendError::NotConfigured(format!(
                                "tenant has no {} number",
                                channel.as_str()
                            ))
                        })?;
                        MessageFrom::Number(if whatsapp {
                            TwilioAddress::whatsapp(n.as_str())
                        } else {
                            TwilioAddress::phone(n.as_str())
                        })
                    }
                };
                let outgoing = OutgoingMessage {
                    to: if whatsapp {
                        TwilioAddress::whatsapp(to.as_str())
                    } else {
                        TwilioAddress::phone(to.as_str())
                    },
                    from,
                    content: MessageContent::Text(message.text.clone()),
                    status_callback: None,
                };
                let credentials = TwilioCredentials {
                    account_sid: settings.account_sid.clone(),
                    auth_token: SecretString::from(settings.auth_token.expose().to_owned()),
                };
                self.twilio
                    .send_message(&credentials, &outgoing)
                    .await
                    .map(|_| ())
                    .map_err(|e| twilio_error(&e))
            }
            _ => Err(SendError::Permanent {
                code: None,
                message: "the contact does not suit the channel".to_owned(),
            }),
        }
    }
}
