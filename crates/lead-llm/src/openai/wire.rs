//! Serde types of the OpenAI chat completions API as spoken by OpenAI and compatible local servers.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The body of `POST /v1/chat/completions`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatRequest {
    /// The model id.
    pub model: String,
    /// The conversation, system message first.
    pub messages: Vec<ChatMessage>,
    /// The most tokens to generate; `max_tokens` is the name every compatible server accepts.
    pub max_tokens: u32,
    /// Tools the model may call.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    /// How the model must use the tools.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// A JSON schema the answer must follow, instead of tools.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
}

/// Structured-output settings of a request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat {
    /// The answer is JSON following a schema.
    JsonSchema {
        /// The schema and its name.
        json_schema: JsonSchemaFormat,
    },
}

/// A named JSON schema for [`ResponseFormat::JsonSchema`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonSchemaFormat {
    /// A name for the schema.
    pub name: String,
    /// The schema.
    pub schema: Value,
}

/// The role of a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatRole {
    /// Instructions.
    System,
    /// The lead.
    User,
    /// The business.
    Assistant,
}

/// One input message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: ChatRole,
    /// The text.
    pub content: String,
}

/// A tool definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Tool {
    /// A function tool.
    Function {
        /// The function.
        function: FunctionDef,
    },
}

/// A function the model may call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionDef {
    /// The function name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// The JSON schema of its arguments.
    pub parameters: Value,
}

/// Forces a call of one function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolChoice {
    /// Call this function.
    Function {
        /// Which function.
        function: FunctionName,
    },
}

/// A function named in a [`ToolChoice`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionName {
    /// The function name.
    pub name: String,
}

/// The body of a successful response.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChatResponse {
    /// The completion id; some local servers leave it out.
    #[serde(default)]
    pub id: Option<String>,
    /// The model that answered.
    #[serde(default)]
    pub model: Option<String>,
    /// The choices; we ask for one.
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// Token usage; some local servers leave it out.
    #[serde(default)]
    pub usage: Option<ChatUsage>,
}

/// One choice of a response.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Choice {
    /// The generated message.
    pub message: AssistantMessage,
    /// `stop`, `length`, `tool_calls`, `content_filter`, or a server's own value.
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// The generated message.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AssistantMessage {
    /// Text, when the model wrote any.
    #[serde(default)]
    pub content: Option<String>,
    /// Tool calls; null or absent when there are none.
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCall>>,
}

/// One tool call.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ToolCall {
    /// The call id.
    #[serde(default)]
    pub id: Option<String>,
    /// The function called.
    pub function: FunctionCall,
}

/// The function and arguments of a tool call.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FunctionCall {
    /// The function name.
    pub name: String,
    /// A JSON string per the API; a few local servers send an object instead, which is accepted too.
    pub arguments: Value,
}

/// Token usage of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct ChatUsage {
    /// Input tokens, cached ones included.
    #[serde(default)]
    pub prompt_tokens: u64,
    /// Generated tokens.
    #[serde(default)]
    pub completion_tokens: u64,
    /// The cached part of the input, when the server reports it.
    #[serde(default)]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
}

/// Details of the input tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct PromptTokensDetails {
    /// Input tokens served from the prompt cache.
    #[serde(default)]
    pub cached_tokens: Option<u64>,
}
