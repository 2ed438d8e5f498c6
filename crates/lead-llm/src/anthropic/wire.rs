//! Serde types of the Anthropic Messages API, request and response, as documented.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The body of `POST /v1/messages`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessagesRequest {
    /// The model id, e.g. `claude-sonnet-4-5`.
    pub model: String,
    /// The most tokens to generate.
    pub max_tokens: u32,
    /// The system prompt as text blocks, so one can carry a cache breakpoint.
    pub system: Vec<SystemBlock>,
    /// The conversation, alternating user and assistant.
    pub messages: Vec<Message>,
    /// Tools the model may call.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    /// How the model must use the tools.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
}

/// A block of the system prompt.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SystemBlock {
    /// A text block, optionally ending a cacheable prefix.
    Text {
        /// The text.
        text: String,
        /// Present on the last block of the prefix to cache.
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
}

/// A prompt-cache breakpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CacheControl {
    /// The default five-minute cache.
    Ephemeral,
}

/// The role of an input message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageRole {
    /// The lead.
    User,
    /// The business.
    Assistant,
}

/// One input message with plain-text content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// Who wrote it.
    pub role: MessageRole,
    /// The text.
    pub content: String,
}

/// A client tool definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tool {
    /// The tool name.
    pub name: String,
    /// What it does, read by the model.
    pub description: String,
    /// The JSON schema of its input.
    pub input_schema: Value,
}

/// How the model must use tools.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolChoice {
    /// The model decides.
    Auto,
    /// The model must call some tool.
    Any,
    /// The model must call this tool.
    Tool {
        /// The tool name.
        name: String,
    },
}

/// The body of a successful Messages response.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MessagesResponse {
    /// The message id.
    pub id: String,
    /// The model that answered.
    pub model: String,
    /// The content blocks, in order.
    #[serde(default)]
    pub content: Vec<ContentBlock>,
    /// Why the model stopped; null only while streaming.
    #[serde(default)]
    pub stop_reason: Option<StopReason>,
    /// Billing and rate-limit usage.
    pub usage: Usage,
}

/// A response content block; types this crate does not use (thinking, server tools) are kept as `Unknown`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    /// Text written by the model.
    Text {
        /// The text.
        text: String,
    },
    /// A call of a client tool.
    ToolUse {
        /// The tool-use id.
        id: String,
        /// The tool name.
        name: String,
        /// The tool input, meant to follow the tool's schema (not guaranteed).
        input: Value,
    },
    /// Any other block type.
    #[serde(other)]
    Unknown,
}

/// Why the model stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// A natural end.
    EndTurn,
    /// `max_tokens` was reached.
    MaxTokens,
    /// A custom stop sequence was produced.
    StopSequence,
    /// The model called a tool.
    ToolUse,
    /// The model refused for safety reasons.
    Refusal,
    /// A reason added after this crate was written (`pause_turn`, ...).
    #[serde(other)]
    Other,
}

/// Token usage of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Usage {
    /// Uncached input tokens.
    pub input_tokens: u64,
    /// Generated tokens.
    pub output_tokens: u64,
    /// Tokens written to the cache; absent or null when caching was not used.
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
    /// Tokens read from the cache; absent or null when caching was not used.
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
}

/// The body of an error response: `{"type":"error","error":{"type":...,"message":...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ErrorResponse {
    /// The error.
    pub error: ErrorDetail,
}

/// The error inside an [`ErrorResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ErrorDetail {
    /// The error type, such as `rate_limit_error` or `overloaded_error`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A human-readable message.
    pub message: String,
}
