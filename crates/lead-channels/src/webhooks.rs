//! Outbound webhooks signed per the Standard Webhooks specification: `webhook-id`,
//! `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
//! keyed with the base64-decoded part of the endpoint's `whsec_` secret, so receivers verify them
//! with the existing libraries.

use std::time::Duration;
use tracing::Instrument;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use lead_domain::events::{SignedWebhook, WebhookAnswer, WebhookSender};
use sha2::Sha256;

use crate::egress::{PublicOnlyResolver, check_host};

/// The prefix of a signing secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// How long a receiver may take to answer before the attempt counts as timed out.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a webhook could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The secret is not `whsec_` followed by standard base64.
    #[error("the webhook secret is not whsec_ followed by base64")]
    BadSecret,
}

/// A new signing secret from 32 random bytes: `whsec_` + base64.
pub fn secret_from_bytes(bytes: &[u8; 32]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The key bytes of a secret: the base64 after `whsec_` (the prefix is optional, as in the
/// reference libraries).
///
/// # Errors
/// [`SignError::BadSecret`] when the rest is not base64.
pub fn secret_key(secret: &str) -> Result<Vec<u8>, SignError> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    STANDARD
        .decode(encoded.trim())
        .map_err(|_| SignError::BadSecret)
}

/// The `webhook-signature` value of one message: `v1,<base64 signature>`.
///
/// # Errors
/// [`SignError::BadSecret`] for an unusable secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, SignError> {
    let key = secret_key(secret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| SignError::BadSecret)?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// Posts signed webhooks over HTTP(S) with reqwest.
#[derive(Debug, Clone)]
pub struct HttpWebhookSender {
    http: reqwest::Client,
    public_only: bool,
}

impl HttpWebhookSender {
    /// A sender whose requests give up after `timeout`; redirects are not followed (a receiver
    /// that moved answers 3xx, which counts as a refusal to fix, not a place to re-post). With
    /// `public_only`, endpoints reach public internet addresses only ([`crate::egress`]).
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(timeout: Duration, public_only: bool) -> Result<Self, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("lead-webhooks/", env!("CARGO_PKG_VERSION")));
        if public_only {
            builder = builder.dns_resolver(std::sync::Arc::new(PublicOnlyResolver));
        }
        Ok(Self {
            http: builder.build()?,
            public_only,
        })
    }
}

/// The JSON body of a webhook: the event exactly as documented.
///
/// # Errors
/// Only if the event cannot be encoded, which its types rule out.
pub fn body_of(webhook: &SignedWebhook) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&webhook.event)
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn post(&self, webhook: &SignedWebhook) -> WebhookAnswer {
        let body = match body_of(webhook) {
            Ok(b) => b,
            Err(e) => return WebhookAnswer::Unreachable(format!("encoding the event: {e}")),
        };
        let signature = match sign(
            webhook.secret.expose(),
            &webhook.message_id,
            webhook.timestamp,
            &body,
        ) {
            Ok(s) => s,
            Err(e) => return WebhookAnswer::Unreachable(e.to_string()),
        };
        if self.public_only {
            // Addresses in the URL are not resolved, so the resolver cannot refuse them.
            match url::Url::parse(&webhook.url) {
                Ok(u) => {
                    if let Err(e) = check_host(&u) {
                        return WebhookAnswer::Unreachable(e.to_string());
                    }
                }
                Err(e) => return WebhookAnswer::Unreachable(format!("the URL is not valid: {e}")),
            }
        }
        let host = url::Url::parse(&webhook.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let span = tracing::info_span!(
            "webhook delivery",
            otel.name = "POST",
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            http.request.method = "POST",
            http.response.status_code = tracing::field::Empty,
            server.address = %host,
        );
        let request = span.in_scope(|| {
            crate::trace_context::inject(
                self.http
                    .post(&webhook.url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header("webhook-id", &webhook.message_id)
                    .header("webhook-timestamp", webhook.timestamp.to_string())
                    .header("webhook-signature", signature),
            )
        });
        let sent = request.body(body).send().instrument(span.clone()).await;
        let ok = matches!(&sent, Ok(res) if res.status().is_success());
        span.record("otel.status_code", if ok { "OK" } else { "ERROR" });
        match sent {
            Ok(res) => {
                span.record("http.response.status_code", res.status().as_u16());
                WebhookAnswer::Status {
                    code: res.status().as_u16(),
                    retry_after: retry_after(res.headers()),
                }
            }
            Err(e) if e.is_timeout() => WebhookAnswer::Timeout,
            Err(e) => {
                // The causes say why (refused, no public address, TLS), never the URL's secrets.
                let e = e.without_url();
                let mut why = e.to_string();
                let mut cause = std::error::Error::source(&e);
                while let Some(c) = cause {
                    why.push_str(": ");
                    why.push_str(&c.to_string());
                    cause = c.source();
                }
                WebhookAnswer::Unreachable(why)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_published_standard_webhooks_example() {
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        )
        .expect("valid secret");
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_different_body_or_timestamp_changes_the_signature() {
        let s = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let a = sign(s, "msg_1", 1, b"{}").expect("sign");
        assert_ne!(a, sign(s, "msg_1", 2, b"{}").expect("sign"));
        assert_ne!(a, sign(s, "msg_1", 1, b"{ }").expect("sign"));
        assert_ne!(a, sign(s, "msg_2", 1, b"{}").expect("sign"));
    }

    #[test]
    fn secrets_are_prefixed_base64_of_32_bytes() {
        let secret = secret_from_bytes(&[7u8; 32]);
        assert!(secret.starts_with("whsec_"));
        assert_eq!(secret_key(&secret).expect("decodes"), vec![7u8; 32]);
        assert_eq!(secret_key("whsec_***"), Err(SignError::BadSecret));
    }
}
