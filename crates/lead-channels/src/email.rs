//! Email replies over SMTP with lettre, for web-form leads who gave no phone number.

use std::time::Duration;
use tracing::Instrument;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain connection upgraded with STARTTLS, required (port 587).
    StartTls,
    /// No encryption at all: only for a local sink or a relay on a trusted network.
    Plain,
}

/// Where and how to send mail.
#[derive(Clone)]
pub struct SmtpConfig {
    /// The SMTP server's host name (also the name its TLS certificate must carry).
    pub host: String,
    /// The port; `None` uses the default for the security mode.
    pub port: Option<u16>,
    /// Transport security.
    pub security: SmtpSecurity,
    /// User name and password, when the server wants AUTH.
    pub credentials: Option<(String, SecretString)>,
    /// The sender, e.g. `Acme Leads <leads@acme.example>`.
    pub from: String,
    /// How long one delivery may take before it fails.
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// An email to send: one recipient, a subject and a plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// The recipient address.
    pub to: String,
    /// The subject line (any language; encoded as needed).
    pub subject: String,
    /// The UTF-8 plain-text body.
    pub body: String,
    /// A display name to show instead of the configured sender's (the tenant's business name);
    /// the sending address stays the configured one so SPF and DKIM still pass.
    pub from_name: Option<String>,
}

/// Why an email was not sent.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// The configuration cannot produce a transport (bad host or sender).
    #[error("invalid smtp configuration: {0}")]
    Config(String),
    /// The recipient address is not a valid mailbox; retrying cannot help.
    #[error("invalid recipient address")]
    InvalidRecipient,
    /// The message could not be built.
    #[error("building the email: {0}")]
    Build(String),
    /// The server refused the message for good (5xx reply).
    #[error("smtp server rejected the email")]
    Rejected(#[source] lettre::transport::smtp::Error),
    /// The server or the network failed in a way that may pass (4xx reply, timeout, connection).
    #[error("smtp delivery failed")]
    Transient(#[source] lettre::transport::smtp::Error),
}

impl EmailError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

/// Sends email through one SMTP server.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// Builds a mailer; no connection is made until the first send.
    ///
    /// # Errors
    /// [`EmailError::Config`] for an unparsable sender or a host that TLS cannot use.
    pub fn new(config: &SmtpConfig) -> Result<Self, EmailError> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| EmailError::Config(format!("invalid sender address: {e}")))?;
        let builder = match config.security {
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host),
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
            }
            SmtpSecurity::Plain => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                &config.host,
            )),
        }
        .map_err(|e| EmailError::Config(format!("setting up smtp transport: {e}")))?;
        let mut builder = builder.timeout(Some(config.timeout));
        if let Some(port) = config.port {
            builder = builder.port(port);
        }
        if let Some((user, password)) = &config.credentials {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// Hands a message to the SMTP server in a client span of its own (SMTP has no header that
    /// carries trace context to the server, so the trace ends at this span).
    async fn deliver(&self, message: Message) -> Result<(), EmailError> {
        let span = tracing::info_span!(
            "smtp send",
            otel.name = "smtp send",
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
        );
        let sent = self.transport.send(message).instrument(span.clone()).await;
        span.record(
            "otel.status_code",
            if sent.is_ok() { "OK" } else { "ERROR" },
        );
        sent.map(|_| ()).map_err(|e| {
            if e.is_permanent() {
                EmailError::Rejected(e)
            } else {
                EmailError::Transient(e)
            }
        })
    }

    /// Sends one email.
    ///
    /// # Errors
    /// [`EmailError::InvalidRecipient`] or [`EmailError::Rejected`] when retrying cannot help,
    /// [`EmailError::Transient`] when it may.
    pub async fn send(&self, email: &OutgoingEmail) -> Result<(), EmailError> {
        let to: Mailbox = email
            .to
            .trim()
            .parse()
            .map_err(|_| EmailError::InvalidRecipient)?;
        // Base64 keeps Arabic bodies about a third larger than raw, where quoted-printable
        // would triple them, and every server accepts it.
        let part = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .header(ContentTransferEncoding::Base64)
            .body(email.body.clone());
        let from = match email
            .from_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            Some(name) => Mailbox::new(Some(name.to_owned()), self.from.email.clone()),
            None => self.from.clone(),
        };
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(email.subject.clone())
            .singlepart(part)
            .map_err(|e| EmailError::Build(e.to_string()))?;
        self.deliver(message).await
    }

    /// Sends one email with an HTML part beside the plain-text body (`multipart/alternative`),
    /// for the team's notifications.
    ///
    /// # Errors
    /// As [`SmtpMailer::send`].
    pub async fn send_with_html(
        &self,
        email: &OutgoingEmail,
        html: &str,
    ) -> Result<(), EmailError> {
        let to: Mailbox = email
            .to
            .trim()
            .parse()
            .map_err(|_| EmailError::InvalidRecipient)?;
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .header(ContentTransferEncoding::Base64)
            .body(email.body.clone());
        let html = SinglePart::builder()
            .header(ContentType::TEXT_HTML)
            .header(ContentTransferEncoding::Base64)
            .body(html.to_owned());
        let from = match email
            .from_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            Some(name) => Mailbox::new(Some(name.to_owned()), self.from.email.clone()),
            None => self.from.clone(),
        };
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(email.subject.clone())
            .multipart(MultiPart::alternative().singlepart(text).singlepart(html))
            .map_err(|e| EmailError::Build(e.to_string()))?;
        self.deliver(message).await
    }
}
