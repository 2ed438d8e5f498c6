//! A client for Twilio's REST Messages API with its errors classified once for retry.

use std::collections::BTreeMap;
use std::time::Duration;
use tracing::Instrument;

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::webhook::TwilioAddress;

/// Twilio's production API root, used when no override is configured.
pub const DEFAULT_API_BASE_URL: &str = "https://api.twilio.com";

/// The environment variable that points the client at another API root (tests, staging).
pub const API_BASE_URL_ENV: &str = "TWILIO_API_BASE_URL";

/// A request timeout that leaves room for retries inside a job's lease.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// One tenant's Twilio account: the sid is the user name and the auth token the password.
#[derive(Clone)]
pub struct TwilioCredentials {
    /// The account sid (`AC...`), also part of the API path.
    pub account_sid: String,
    /// The account's auth token; never logged.
    pub auth_token: SecretString,
}

impl std::fmt::Debug for TwilioCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioCredentials")
            .field("account_sid", &self.account_sid)
            .finish_non_exhaustive()
    }
}

/// Where an outbound message is sent from: one of the tenant's numbers or a messaging service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageFrom {
    /// A number (or `whatsapp:` sender) owned by the account: the `From` field.
    Number(TwilioAddress),
    /// A messaging service that picks the number: the `MessagingServiceSid` field.
    MessagingService(String),
}

/// What an outbound message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageContent {
    /// Free-form text: the `Body` field.
    Text(String),
    /// An approved content template, the only thing WhatsApp allows outside its session window:
    /// `ContentSid` and `ContentVariables` (a JSON object of placeholder number to value).
    Template {
        /// The template's content sid (`HX...`).
        content_sid: String,
        /// Values for the template's placeholders, keyed `"1"`, `"2"`, ...
        variables: BTreeMap<String, String>,
    },
}

/// A message to hand to Twilio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// The recipient; a `whatsapp:` address sends on WhatsApp.
    pub to: TwilioAddress,
    /// The sending number or messaging service.
    pub from: MessageFrom,
    /// The text or template.
    pub content: MessageContent,
    /// Where Twilio posts delivery status updates, if anywhere.
    pub status_callback: Option<String>,
}

impl OutgoingMessage {
    fn form(&self) -> Result<Vec<(&'static str, String)>, TwilioError> {
        let mut form = vec![("To", self.to.to_string())];
        match &self.from {
            MessageFrom::Number(from) => form.push(("From", from.to_string())),
            MessageFrom::MessagingService(sid) => form.push(("MessagingServiceSid", sid.clone())),
        }
        match &self.content {
            MessageContent::Text(body) => form.push(("Body", body.clone())),
            MessageContent::Template {
                content_sid,
                variables,
            } => {
                form.push(("ContentSid", content_sid.clone()));
                if !variables.is_empty() {
                    let json = serde_json::to_string(variables).map_err(|e| {
                        TwilioError::InvalidRequest(format!("encoding template variables: {e}"))
                    })?;
                    form.push(("ContentVariables", json));
                }
            }
        }
        if let Some(callback) = &self.status_callback {
            form.push(("StatusCallback", callback.clone()));
        }
        Ok(form)
    }
}

/// What Twilio answered when it accepted a message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SentMessage {
    /// Twilio's id for the message, matched later by status callbacks.
    pub sid: String,
    /// The initial status, normally `queued` or `accepted`.
    pub status: String,
}

/// Twilio's JSON error body: `{"code", "message", "more_info", "status"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status of the response.
    pub status: u16,
    /// Twilio's error code (21211, 21610, 63016, ...), when the body had one.
    pub code: Option<u32>,
    /// Twilio's explanation, or the start of a non-JSON body.
    pub message: String,
    /// The documentation link for the code.
    pub more_info: Option<String>,
}

/// Why Twilio refused a message for good, for the caller to mark the lead or contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectionReason {
    /// 21211: the `To` number is not a valid phone number.
    InvalidNumber,
    /// 21614: the `To` number cannot receive SMS (a landline, for instance).
    NotMobile,
    /// 21610: the recipient replied STOP to this sender.
    Unsubscribed,
    /// 63016: free-form WhatsApp message outside the 24-hour session window.
    OutsideWhatsAppWindow,
    /// 401 or 20003: the tenant's credentials are wrong.
    Authentication,
    /// Any other client error.
    Other,
}

impl ApiError {
    /// Classifies the refusal by Twilio's code, falling back to the HTTP status.
    pub fn reason(&self) -> RejectionReason {
        match (self.code, self.status) {
            (Some(21211), _) => RejectionReason::InvalidNumber,
            (Some(21614), _) => RejectionReason::NotMobile,
            (Some(21610), _) => RejectionReason::Unsubscribed,
            (Some(63016), _) => RejectionReason::OutsideWhatsAppWindow,
            (Some(20003), _) | (_, 401) => RejectionReason::Authentication,
            _ => RejectionReason::Other,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) => write!(f, "status {} code {}: {}", self.status, code, self.message),
            None => write!(f, "status {}: {}", self.status, self.message),
        }
    }
}

/// Whether and when a failed request may be tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Trying again cannot succeed.
    Never,
    /// Try again with the caller's backoff.
    Backoff,
    /// Try again no sooner than this (Twilio's `Retry-After`).
    After(Duration),
}

/// Why a call to Twilio's API failed.
#[derive(Debug, thiserror::Error)]
pub enum TwilioError {
    /// Twilio refused the request with a 4xx other than 429; retrying cannot help.
    #[error("twilio rejected the message: {0}")]
    Rejected(ApiError),
    /// Twilio asked us to slow down (429).
    #[error("twilio rate limited the request: {error}")]
    RateLimited {
        /// How long Twilio asked us to wait, when it said.
        retry_after: Option<Duration>,
        /// The error body.
        error: ApiError,
    },
    /// Twilio failed on its side (5xx).
    #[error("twilio failed to handle the request: {0}")]
    Unavailable(ApiError),
    /// Twilio could not be reached, or did not answer in time.
    #[error("could not reach twilio")]
    Network(#[source] reqwest::Error),
    /// Twilio answered success with a body we cannot read; the message may have been sent.
    #[error("unreadable twilio response with status {status}: {reason}")]
    InvalidResponse {
        /// The HTTP status.
        status: u16,
        /// What was wrong with the body.
        reason: String,
    },
    /// The request could not be built from our configuration.
    #[error("invalid twilio request: {0}")]
    InvalidRequest(String),
}

impl TwilioError {
    /// The retry decision for this error, made here once so every caller agrees.
    pub fn retry(&self) -> Retry {
        match self {
            Self::RateLimited {
                retry_after: Some(wait),
                ..
            } => Retry::After(*wait),
            Self::RateLimited {
                retry_after: None, ..
            }
            | Self::Unavailable(_)
            | Self::Network(_) => Retry::Backoff,
            // An unreadable success may mean the message went out, so sending again could
            // deliver it twice. A network error after the request left has the same risk, but
            // Twilio offers no idempotency key for messages and losing a reply is worse than a
            // rare duplicate, so network errors are retried.
            Self::Rejected(_) | Self::InvalidResponse { .. } | Self::InvalidRequest(_) => {
                Retry::Never
            }
        }
    }

    /// Why Twilio refused the message, when it was a permanent refusal.
    pub fn rejection(&self) -> Option<RejectionReason> {
        match self {
            Self::Rejected(error) => Some(error.reason()),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    code: Option<u32>,
    message: Option<String>,
    more_info: Option<String>,
}

/// Sends messages through Twilio's REST API for any tenant's account.
#[derive(Debug, Clone)]
pub struct TwilioClient {
    http: reqwest::Client,
    base_url: String,
    /// The API's host, for the `server.address` of the client spans.
    host: String,
}

impl TwilioClient {
    /// Builds a client for `base_url` (normally [`DEFAULT_API_BASE_URL`]) whose requests give
    /// up after `timeout`.
    ///
    /// # Errors
    /// [`TwilioError::InvalidRequest`] for a base URL that is not absolute http(s).
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, TwilioError> {
        let base_url = base_url.trim().trim_end_matches('/').to_owned();
        let parsed = url::Url::parse(&base_url).map_err(|e| {
            TwilioError::InvalidRequest(format!("invalid twilio base url {base_url}: {e}"))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(TwilioError::InvalidRequest(format!(
                "twilio base url must be http(s): {base_url}"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("lead-channels/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TwilioError::InvalidRequest(format!("building the http client: {e}")))?;
        let host = parsed.host_str().unwrap_or_default().to_owned();
        Ok(Self {
            http,
            base_url,
            host,
        })
    }

    /// Builds a client for `TWILIO_API_BASE_URL`, or Twilio's production API when it is unset.
    ///
    /// # Errors
    /// As [`TwilioClient::new`].
    pub fn from_env(timeout: Duration) -> Result<Self, TwilioError> {
        let base =
            std::env::var(API_BASE_URL_ENV).unwrap_or_else(|_| DEFAULT_API_BASE_URL.to_owned());
        Self::new(&base, timeout)
    }

    /// The API root this client calls.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Creates a message: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`.
    ///
    /// # Errors
    /// A [`TwilioError`] whose [`TwilioError::retry`] says whether to try again.
    pub async fn send_message(
        &self,
        credentials: &TwilioCredentials,
        message: &OutgoingMessage,
    ) -> Result<SentMessage, TwilioError> {
        let account = &credentials.account_sid;
        if account.is_empty() || !account.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(TwilioError::InvalidRequest(
                "account sid must be alphanumeric".to_owned(),
            ));
        }
        let url = format!(
            "{}/2010-04-01/Accounts/{account}/Messages.json",
            self.base_url
        );
        let span = tracing::info_span!(
            "twilio send",
            otel.name = "POST /2010-04-01/Accounts/{AccountSid}/Messages.json",
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            http.request.method = "POST",
            http.response.status_code = tracing::field::Empty,
            server.address = %self.host,
        );
        let request = span.in_scope(|| {
            Ok::<_, TwilioError>(crate::trace_context::inject(
                self.http
                    .post(url)
                    .basic_auth(account, Some(credentials.auth_token.expose_secret()))
                    .form(&message.form()?),
            ))
        })?;
        let sent = async {
            let response = request.send().await.map_err(TwilioError::Network)?;
            let status = response.status();
            let retry_after = retry_after(response.headers());
            let body = response.bytes().await.map_err(TwilioError::Network)?;
            Ok::<_, TwilioError>((status, retry_after, body))
        }
        .instrument(span.clone())
        .await;
        let (status, retry_after, body) = match sent {
            Ok(answer) => answer,
            Err(error) => {
                span.record("otel.status_code", "ERROR");
                return Err(error);
            }
        };
        span.record("http.response.status_code", status.as_u16());
        span.record(
            "otel.status_code",
            if status.is_success() { "OK" } else { "ERROR" },
        );
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| TwilioError::InvalidResponse {
                status: status.as_u16(),
                reason: e.to_string(),
            });
        }
        Err(classify(status, retry_after, &body))
    }
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    // Twilio sends whole seconds; the HTTP-date form is not used by Twilio and falls back to
    // the caller's backoff.
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn classify(status: StatusCode, retry_after: Option<Duration>, body: &[u8]) -> TwilioError {
    let error = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(parsed) => ApiError {
            status: status.as_u16(),
            code: parsed.code,
            message: parsed.message.unwrap_or_default(),
            more_info: parsed.more_info,
        },
        Err(_) => ApiError {
            status: status.as_u16(),
            code: None,
            message: String::from_utf8_lossy(body).chars().take(200).collect(),
            more_info: None,
        },
    };
    if status == StatusCode::TOO_MANY_REQUESTS {
        TwilioError::RateLimited { retry_after, error }
    } else if status.is_server_error() {
        TwilioError::Unavailable(error)
    } else {
        TwilioError::Rejected(error)
    }
}
