//! The HTTP transport every vendor client goes through, applying the failure policy and the circuit breaker.

use std::sync::Arc;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::Deserialize;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::breaker::CircuitBreaker;
use crate::error::{LlmError, Vendor};
use crate::policy::{FailurePolicy, RetryDecision, parse_retry_after};

/// The client span of one model call: `POST /v1/messages` against the provider's host.
fn client_span(vendor: Vendor, url: &str) -> tracing::Span {
    let parsed = reqwest::Url::parse(url).ok();
    let path = parsed.as_ref().map_or("", reqwest::Url::path);
    let host = parsed
        .as_ref()
        .and_then(reqwest::Url::host_str)
        .unwrap_or_default();
    let port = parsed
        .as_ref()
        .and_then(reqwest::Url::port_or_known_default);
    tracing::info_span!(
        "model call",
        otel.name = %format!("POST {path}"),
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        http.request.method = "POST",
        http.response.status_code = tracing::field::Empty,
        server.address = %host,
        server.port = port,
        url.path = %path,
        gen_ai.system = vendor.provider_name(),
    )
}

/// Where the backoff jitter comes from; tests may pin it.
pub type Jitter = Arc<dyn Fn() -> f64 + Send + Sync>;

/// A JSON-over-HTTP client for one provider, with timeouts, retries and a circuit breaker.
#[derive(Clone)]
pub struct HttpTransport {
    vendor: Vendor,
    client: reqwest::Client,
    policy: FailurePolicy,
    breaker: Arc<CircuitBreaker>,
    jitter: Jitter,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport")
            .field("vendor", &self.vendor)
            .field("policy", &self.policy)
            .field("breaker", &self.breaker)
            .finish_non_exhaustive()
    }
}

/// One failed attempt, with what the policy says to do about it.
struct Failure {
    error: LlmError,
    decision: RetryDecision,
    /// Whether the failure says the provider is unhealthy (and so counts toward opening the breaker).
    unhealthy: bool,
}

/// The error envelope of both vendors: `{"error": {"type": ..., "message": ...}}`, or a bare string from some local servers.
#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ErrorBody {
    Object {
        #[serde(rename = "type", default)]
        kind: Option<String>,
        #[serde(default)]
        message: Option<String>,
    },
    Text(String),
}

/// The error type and message from an error response body, falling back to the start of the raw text.
fn describe_error_body(body: &[u8]) -> (String, String) {
    match serde_json::from_slice::<ErrorEnvelope>(body) {
        Ok(ErrorEnvelope {
            error: ErrorBody::Object { kind, message },
        }) => (
            kind.unwrap_or_else(|| "error".to_owned()),
            message.unwrap_or_default(),
        ),
        Ok(ErrorEnvelope {
            error: ErrorBody::Text(message),
        }) => ("error".to_owned(), message),
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            ("error".to_owned(), text.chars().take(300).collect())
        }
    }
}

impl HttpTransport {
    /// Builds a transport whose every request carries `headers` (authentication, API version).
    ///
    /// # Errors
    /// [`LlmError::NotConfigured`] when the HTTP client cannot be built.
    pub fn new(
        vendor: Vendor,
        policy: FailurePolicy,
        mut headers: HeaderMap,
    ) -> Result<Self, LlmError> {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let client = reqwest::Client::builder()
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.total_timeout)
            .default_headers(headers)
            .build()
            .map_err(|e| LlmError::NotConfigured {
                vendor,
                reason: format!("building the http client failed: {e}"),
            })?;
        let breaker = Arc::new(CircuitBreaker::new(
            policy.breaker_threshold,
            policy.breaker_cooldown,
        ));
        Ok(HttpTransport {
            vendor,
            client,
            policy,
            breaker,
            jitter: Arc::new(rand::random::<f64>),
        })
    }

    /// Replaces the circuit breaker, to share one per provider or to control its clock in tests.
    pub fn with_breaker(mut self, breaker: Arc<CircuitBreaker>) -> Self {
        self.breaker = breaker;
        self
    }

    /// Replaces the jitter source (values in `[0, 1)`).
    pub fn with_jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// The circuit breaker of this provider.
    pub fn breaker(&self) -> &Arc<CircuitBreaker> {
        &self.breaker
    }

    /// The vendor this transport speaks to.
    pub fn vendor(&self) -> Vendor {
        self.vendor
    }

    /// POSTs `body` as JSON to `url` and decodes the JSON answer, retrying as the policy says.
    ///
    /// # Errors
    /// Every [`LlmError`] transport and status variant; [`LlmError::CircuitOpen`] without sending
    /// when the breaker is open; [`LlmError::Decode`] when a 2xx body is not the expected JSON.
    pub async fn post_json<Req, Resp>(&self, url: &str, body: &Req) -> Result<Resp, LlmError>
    where
        Req: Serialize + ?Sized,
        Resp: DeserializeOwned,
    {
        let vendor = self.vendor;
        let payload = serde_json::to_vec(body).map_err(|e| LlmError::Transport {
            vendor,
            message: format!("encoding the request failed: {e}"),
        })?;
        let mut retry = 0u32;
        loop {
            if !self.breaker.try_acquire() {
                return Err(LlmError::CircuitOpen { vendor });
            }
            let failure = match self.attempt(url, &payload).await {
                Ok(bytes) => {
                    self.breaker.record_success();
                    return serde_json::from_slice(&bytes).map_err(|e| LlmError::Decode {
                        vendor,
                        message: e.to_string(),
                    });
                }
                Err(failure) => failure,
            };
            if failure.unhealthy {
                self.breaker.record_failure();
            } else {
                self.breaker.record_success();
            }
            let wait = match failure.decision {
                RetryDecision::GiveUp => return Err(failure.error),
                _ if retry >= self.policy.max_retries => return Err(failure.error),
                RetryDecision::After(wait) => wait,
                RetryDecision::Backoff => self.policy.backoff_delay(retry, (self.jitter)()),
            };
            tracing::warn!(%vendor, retry = retry + 1, wait_ms = wait.as_millis() as u64, error = %failure.error, "retrying model call");
            retry += 1;
            tokio::time::sleep(wait).await;
        }
    }

    /// One HTTP exchange in a client span of its own (named by method and path, with the
    /// semantic-convention `http.*`, `server.*` and `gen_ai.system` attributes), whose trace
    /// context the request carries in its `traceparent` header.
    async fn attempt(&self, url: &str, payload: &[u8]) -> Result<Vec<u8>, Failure> {
        let span = client_span(self.vendor, url);
        let result = self.exchange(url, payload).instrument(span.clone()).await;
        span.record(
            "otel.status_code",
            if result.is_ok() { "OK" } else { "ERROR" },
        );
        result
    }

    /// One HTTP exchange: the body of a 2xx answer, or the classified failure.
    async fn exchange(&self, url: &str, payload: &[u8]) -> Result<Vec<u8>, Failure> {
        let vendor = self.vendor;
        let request = crate::trace_context::inject(self.client.post(url).body(payload.to_vec()));
        let response = request
            .send()
            .await
            .map_err(|e| self.transport_failure(e))?;
        let status = response.status().as_u16();
        tracing::Span::current().record("http.response.status_code", status);
        let retry_after = parse_retry_after(response.headers());
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_failure(e))?;
        if (200..300).contains(&status) {
            return Ok(body.to_vec());
        }
        let decision = self.policy.classify_status(status, retry_after);
        let (kind, message) = describe_error_body(&body);
        let error = match status {
            429 => LlmError::RateLimited {
                vendor,
                retry_after,
                message,
            },
            408 | 409 | 500..=599 => LlmError::Unavailable {
                vendor,
                status,
                retry_after,
                message,
            },
            _ => LlmError::Rejected {
                vendor,
                status,
                kind,
                message,
            },
        };
        // A rejected request says nothing about the provider's health; rate limits and server trouble do.
        let unhealthy = matches!(
            error,
            LlmError::RateLimited { .. } | LlmError::Unavailable { .. }
        );
        Err(Failure {
            error,
            decision,
            unhealthy,
        })
    }

    fn transport_failure(&self, e: reqwest::Error) -> Failure {
        let vendor = self.vendor;
        let (builder, timeout, connect) = (e.is_builder(), e.is_timeout(), e.is_connect());
        let message = e.without_url().to_string();
        if builder {
            return Failure {
                error: LlmError::Transport { vendor, message },
                decision: RetryDecision::GiveUp,
                unhealthy: false,
            };
        }
        let error = if timeout {
            LlmError::Timeout { vendor }
        } else if connect {
            LlmError::Connect { vendor, message }
        } else {
            LlmError::Transport { vendor, message }
        };
        Failure {
            error,
            decision: RetryDecision::Backoff,
            unhealthy: true,
        }
    }
}

/// The URL of an API path under a configured base, accepting bases given with or without a trailing `/v1`.
pub fn endpoint(base: &str, path: &str) -> String {
    let base = base.trim().trim_end_matches('/');
    let base = base.strip_suffix("/v1").unwrap_or(base);
    format!("{base}/v1/{}", path.trim_start_matches('/'))
}

/// Shorthand used by the clients for a header value that must not show up in debug output.
pub(crate) fn secret_header(vendor: Vendor, value: &str) -> Result<HeaderValue, LlmError> {
    let mut header = HeaderValue::from_str(value).map_err(|_| LlmError::NotConfigured {
        vendor,
        reason: "the api key contains characters not allowed in a header".to_owned(),
    })?;
    header.set_sensitive(true);
    Ok(header)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_accepts_bases_with_or_without_v1() {
        assert_eq!(
            endpoint("https://api.anthropic.com", "messages"),
            "https://api.anthropic.com/v1/messages"
        );
        assert_eq!(
            endpoint("http://localhost:11434/v1/", "chat/completions"),
            "http://localhost:11434/v1/chat/completions"
        );
        assert_eq!(
            endpoint("http://h:1/", "/messages"),
            "http://h:1/v1/messages"
        );
    }

    #[test]
    fn error_bodies_of_both_vendors_and_plain_text_are_described() {
        let anthropic =
            br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        assert_eq!(
            describe_error_body(anthropic),
            ("overloaded_error".to_owned(), "Overloaded".to_owned())
        );
        let openai = br#"{"error":{"message":"bad key","type":"invalid_request_error","code":"invalid_api_key"}}"#;
        assert_eq!(
            describe_error_body(openai),
            ("invalid_request_error".to_owned(), "bad key".to_owned())
        );
        let ollama = br#"{"error":"model not found"}"#;
        assert_eq!(
            describe_error_body(ollama),
            ("error".to_owned(), "model not found".to_owned())
        );
        assert_eq!(
            describe_error_body(b"Bad Gateway"),
            ("error".to_owned(), "Bad Gateway".to_owned())
        );
    }
}
