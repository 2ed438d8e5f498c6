//! The one error type of the crate: every way a model call can fail, classified for retry and fallback.

use std::fmt;
use std::time::Duration;

use crate::usage::TokenUsage;

/// Which vendor protocol a call spoke, so errors and breakers say whose failure it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vendor {
    /// The Anthropic Messages API.
    Anthropic,
    /// An OpenAI-compatible chat completions server (OpenAI, Ollama, vLLM, llama.cpp, ...).
    OpenAi,
}

impl Vendor {
    /// The provider name usage records carry: `anthropic` or `openai`.
    pub const fn provider_name(self) -> &'static str {
        match self {
            Vendor::Anthropic => "anthropic",
            Vendor::OpenAi => "openai",
        }
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Vendor::Anthropic => "anthropic",
            Vendor::OpenAi => "openai-compatible",
        })
    }
}

/// Why a response that arrived intact still cannot be used as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelFailure {
    /// The model answered without calling the forced tool.
    NoToolCall,
    /// The tool arguments were not valid JSON (OpenAI-compatible servers send them as a string).
    InvalidJson(String),
    /// The tool input was JSON but broke the schema (unknown service, confidence out of range, ...).
    SchemaViolation(String),
    /// The model hit `max_tokens`, so whatever it produced is cut off.
    Truncated,
    /// The model or the vendor's filter refused to answer.
    Refused,
}

impl fmt::Display for ModelFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelFailure::NoToolCall => f.write_str("the model did not call the tool"),
            ModelFailure::InvalidJson(e) => write!(f, "the tool arguments are not valid json: {e}"),
            ModelFailure::SchemaViolation(e) => write!(f, "the tool input breaks the schema: {e}"),
            ModelFailure::Truncated => f.write_str("the output was cut off at max_tokens"),
            ModelFailure::Refused => f.write_str("the model refused to answer"),
        }
    }
}

/// Every failure of a model call, typed so callers can decide between retrying later and falling back.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// The provider cannot be used with the configuration given (missing key, bad URL).
    #[error("configuring the {vendor} client failed: {reason}")]
    NotConfigured {
        /// The vendor being configured.
        vendor: Vendor,
        /// What is missing or wrong.
        reason: String,
    },
    /// The circuit breaker is open after repeated failures, so no request was sent.
    #[error("calling {vendor} was skipped: the circuit breaker is open")]
    CircuitOpen {
        /// The vendor whose breaker is open.
        vendor: Vendor,
    },
    /// No connection could be made (DNS, refused, TLS).
    #[error("connecting to {vendor} failed: {message}")]
    Connect {
        /// The vendor being called.
        vendor: Vendor,
        /// The transport's description of the failure.
        message: String,
    },
    /// The connect or total timeout elapsed.
    #[error("calling {vendor} timed out")]
    Timeout {
        /// The vendor being called.
        vendor: Vendor,
    },
    /// The request could not be sent or its response not read for another transport reason.
    #[error("sending the request to {vendor} failed: {message}")]
    Transport {
        /// The vendor being called.
        vendor: Vendor,
        /// The transport's description of the failure.
        message: String,
    },
    /// HTTP 429: rate limited, or a spend cap when no `retry-after` was given.
    #[error("{vendor} rate limited the request: {message}")]
    RateLimited {
        /// The vendor being called.
        vendor: Vendor,
        /// How long the vendor asked us to wait, when it said so.
        retry_after: Option<Duration>,
        /// The vendor's error message.
        message: String,
    },
    /// A transient vendor failure: 408, 409, 5xx or 529 (overloaded).
    #[error("{vendor} is unavailable (status {status}): {message}")]
    Unavailable {
        /// The vendor being called.
        vendor: Vendor,
        /// The HTTP status.
        status: u16,
        /// How long the vendor asked us to wait, when it said so.
        retry_after: Option<Duration>,
        /// The vendor's error message.
        message: String,
    },
    /// A permanent rejection of the request: any other 4xx (bad key, invalid request, unknown model).
    #[error("{vendor} rejected the request (status {status}, {kind}): {message}")]
    Rejected {
        /// The vendor being called.
        vendor: Vendor,
        /// The HTTP status.
        status: u16,
        /// The vendor's error type, such as `invalid_request_error`.
        kind: String,
        /// The vendor's error message.
        message: String,
    },
    /// A 2xx response whose body is not the vendor's documented format.
    #[error("decoding the response of {vendor} failed: {message}")]
    Decode {
        /// The vendor being called.
        vendor: Vendor,
        /// What did not parse.
        message: String,
    },
    /// The call succeeded and was paid for, but the model's output is unusable as data.
    #[error("using the output of model {model} failed: {failure}")]
    ModelOutput {
        /// The model that answered.
        model: String,
        /// What was wrong with the output.
        failure: ModelFailure,
        /// The tokens the call consumed, which must still be recorded and paid for.
        usage: TokenUsage,
    },
}

impl LlmError {
    /// True when the model answered but its output was unusable; the tokens were spent.
    pub fn is_model_failure(&self) -> bool {
        matches!(self, LlmError::ModelOutput { .. })
    }

    /// True when trying the same call later may succeed (as opposed to a configuration or request problem).
    pub fn is_transient(&self) -> bool {
        match self {
            LlmError::CircuitOpen { .. }
            | LlmError::Connect { .. }
            | LlmError::Timeout { .. }
            | LlmError::Transport { .. }
            | LlmError::Unavailable { .. } => true,
            LlmError::RateLimited { retry_after, .. } => retry_after.is_some(),
            LlmError::NotConfigured { .. }
            | LlmError::Rejected { .. }
            | LlmError::Decode { .. }
            | LlmError::ModelOutput { .. } => false,
        }
    }

    /// The wait the vendor asked for, for a job queue that reschedules the work.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            LlmError::RateLimited { retry_after, .. }
            | LlmError::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The tokens a failed call still consumed, so usage logs stay complete.
    pub fn usage(&self) -> Option<&TokenUsage> {
        match self {
            LlmError::ModelOutput { usage, .. } => Some(usage),
            _ => None,
        }
    }
}
