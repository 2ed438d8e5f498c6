//! Integration tests of the model adapters against local servers speaking the vendors' wire formats.
// Tests make their own random ids, read the real clock, and fail by panicking.
#![allow(clippy::disallowed_methods, clippy::expect_used, clippy::unwrap_used)]

mod anthropic;
mod assistant;
mod domain;
mod failures;
mod openai;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lead_llm::anthropic::AnthropicClient;
use lead_llm::openai::OpenAiClient;
use lead_llm::{
    AnthropicSettings, Clock, FailurePolicy, OpenAiSettings, OutputMode, SystemPrompt, ToolRequest,
    ToolSpec, Turn,
};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::MockServer;

/// A policy with short waits so retry tests run in milliseconds.
pub fn fast_policy() -> FailurePolicy {
    FailurePolicy {
        connect_timeout: Duration::from_millis(500),
        total_timeout: Duration::from_secs(2),
        max_retries: 2,
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(40),
        max_retry_after: Duration::from_secs(5),
        breaker_threshold: 3,
        breaker_cooldown: Duration::from_secs(30),
    }
}

/// An Anthropic client pointed at the local server.
pub fn anthropic_client(server: &MockServer, policy: FailurePolicy) -> AnthropicClient {
    let settings = AnthropicSettings {
        api_key: Some(SecretString::from("sk-ant-test")),
        base_url: server.uri(),
        version: "2023-06-01".to_owned(),
    };
    AnthropicClient::new(&settings, policy).unwrap()
}

/// An OpenAI-compatible client pointed at the local server.
pub fn openai_client(server: &MockServer, key: Option<&str>) -> OpenAiClient {
    let settings = OpenAiSettings {
        api_key: key.map(SecretString::from),
        base_url: server.uri(),
        output: OutputMode::Tools,
    };
    OpenAiClient::new(&settings, fast_policy()).unwrap()
}

/// A small forced tool call.
pub fn tool_request() -> ToolRequest {
    ToolRequest {
        model: "claude-sonnet-4-5".to_owned(),
        max_tokens: 512,
        system: SystemPrompt {
            cached: "You are the lead assistant.".to_owned(),
            volatile: "Today is 2026-11-24.".to_owned(),
        },
        turns: vec![
            Turn::lead("Salam, looking for a villa"),
            Turn::agent("What budget?"),
            Turn::lead("around 2M"),
        ],
        tool: ToolSpec {
            name: "record".to_owned(),
            description: "Record the facts.".to_owned(),
            input_schema: json!({"type": "object", "properties": {"budget": {"type": "number"}}, "required": ["budget"]}),
        },
    }
}

/// A Messages API response calling `tool` with `input`.
pub fn anthropic_tool_response(tool: &str, input: Value) -> Value {
    json!({
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [
            {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": tool, "input": input}
        ],
        "stop_reason": "tool_use",
        "stop_sequence": null,
        "usage": {"input_tokens": 1000, "output_tokens": 200, "cache_creation_input_tokens": 3000, "cache_read_input_tokens": 0}
    })
}

/// A chat completions response calling `tool` with `arguments` (a JSON string, as the API sends it).
pub fn openai_tool_response(tool: &str, arguments: &str) -> Value {
    json!({
        "id": "chatcmpl-abc123",
        "object": "chat.completion",
        "created": 1_764_000_000,
        "model": "qwen2.5:14b",
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": null,
                "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": tool, "arguments": arguments}}]
            },
            "finish_reason": "tool_calls"
        }],
        "usage": {"prompt_tokens": 1200, "completion_tokens": 150, "total_tokens": 1350,
                  "prompt_tokens_details": {"cached_tokens": 1024}}
    })
}

/// A clock the test moves by hand, for the circuit breaker's cool-down.
#[derive(Clone)]
pub struct ManualClock {
    start: Instant,
    offset: Arc<Mutex<Duration>>,
}

impl Default for ManualClock {
    /// A clock at the current instant.
    fn default() -> Self {
        ManualClock {
            start: Instant::now(),
            offset: Arc::new(Mutex::new(Duration::ZERO)),
        }
    }
}

impl ManualClock {
    /// The clock as the breaker reads it.
    pub fn clock(&self) -> Clock {
        let this = self.clone();
        Arc::new(move || this.start + *this.offset.lock().unwrap())
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        *self.offset.lock().unwrap() += by;
    }
}

/// The JSON bodies the server received, in order.
pub async fn received_bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}
