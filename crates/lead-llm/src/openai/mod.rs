//! The OpenAI-compatible chat completions client, for OpenAI and local model servers (Ollama, vLLM, llama.cpp).

pub mod wire;

use reqwest::header::{AUTHORIZATION, HeaderMap};
use secrecy::ExposeSecret;
use serde_json::Value;

use crate::chat::{Role, StopReason, ToolInput, ToolReply, ToolRequest, alternating};
use crate::config::{OpenAiSettings, OutputMode};
use crate::error::{LlmError, Vendor};
use crate::policy::FailurePolicy;
use crate::transport::{HttpTransport, endpoint, secret_header};
use crate::usage::TokenUsage;

use wire::{
    ChatMessage, ChatRequest, ChatResponse, ChatRole, FunctionDef, FunctionName, JsonSchemaFormat,
    ResponseFormat, Tool, ToolChoice,
};

/// A client of `POST {base}/v1/chat/completions`.
#[derive(Debug, Clone)]
pub struct OpenAiClient {
    transport: HttpTransport,
    url: String,
    output: OutputMode,
}

impl OpenAiClient {
    /// Builds a client; the key is optional because local servers usually need none.
    ///
    /// # Errors
    /// [`LlmError::NotConfigured`] when the key is not a valid header value.
    pub fn new(settings: &OpenAiSettings, policy: FailurePolicy) -> Result<Self, LlmError> {
        let vendor = Vendor::OpenAi;
        let mut headers = HeaderMap::new();
        if let Some(key) = &settings.api_key {
            headers.insert(
                AUTHORIZATION,
                secret_header(vendor, &format!("Bearer {}", key.expose_secret()))?,
            );
        }
        let transport = HttpTransport::new(vendor, policy, headers)?;
        Ok(OpenAiClient {
            transport,
            url: endpoint(&settings.base_url, "chat/completions"),
            output: settings.output,
        })
    }

    /// Replaces the transport's settings (breaker, jitter).
    pub fn map_transport(mut self, f: impl FnOnce(HttpTransport) -> HttpTransport) -> Self {
        self.transport = f(self.transport);
        self
    }

    /// The transport, for its circuit breaker.
    pub fn transport(&self) -> &HttpTransport {
        &self.transport
    }

    /// Sends one chat completions request as is.
    ///
    /// # Errors
    /// Transport, status and decode errors; see [`LlmError`].
    pub async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        self.transport.post_json(&self.url, request).await
    }

    /// Sends a forced function call and returns its unvalidated reply.
    ///
    /// # Errors
    /// Transport, status and decode errors; see [`LlmError`].
    pub async fn call_tool(&self, request: &ToolRequest) -> Result<ToolReply, LlmError> {
        match self.output {
            OutputMode::Tools => {
                let response = self.chat(&build_request(request)).await?;
                Ok(into_reply(&request.model, &request.tool.name, response))
            }
            OutputMode::JsonSchema => {
                let response = self.chat(&build_json_schema_request(request)).await?;
                Ok(json_into_reply(&request.model, response))
            }
        }
    }
}

/// The wire request of a forced function call; the two system parts become one system message.
pub fn build_request(request: &ToolRequest) -> ChatRequest {
    let system = if request.system.volatile.trim().is_empty() {
        request.system.cached.clone()
    } else {
        format!("{}\n\n{}", request.system.cached, request.system.volatile)
    };
    let mut messages = vec![ChatMessage {
        role: ChatRole::System,
        content: system,
    }];
    messages.extend(
        alternating(&request.turns)
            .into_iter()
            .map(|turn| ChatMessage {
                role: match turn.role {
                    Role::Lead => ChatRole::User,
                    Role::Agent => ChatRole::Assistant,
                },
                content: turn.text,
            }),
    );
    ChatRequest {
        model: request.model.clone(),
        messages,
        max_tokens: request.max_tokens,
        tools: vec![Tool::Function {
            function: FunctionDef {
                name: request.tool.name.clone(),
                description: request.tool.description.clone(),
                parameters: request.tool.input_schema.clone(),
            },
        }],
        tool_choice: Some(ToolChoice::Function {
            function: FunctionName {
                name: request.tool.name.clone(),
            },
        }),
        response_format: None,
    }
}

/// The wire request asking for a JSON answer that follows the tool's schema, for servers without tool calling.
pub fn build_json_schema_request(request: &ToolRequest) -> ChatRequest {
    let mut wire = build_request(request);
    wire.tools.clear();
    wire.tool_choice = None;
    if let Some(system) = wire.messages.first_mut() {
        // The prompt speaks of calling the tool; here the answer itself is the tool input.
        system.content.push_str(&format!(
            "\n\nAnswer with only the JSON input of the {} tool ({}), no other text.",
            request.tool.name, request.tool.description
        ));
    }
    wire.response_format = Some(ResponseFormat::JsonSchema {
        json_schema: JsonSchemaFormat {
            name: request.tool.name.clone(),
            schema: request.tool.input_schema.clone(),
        },
    });
    wire
}

/// Reads the first choice: the function arguments (parsed from their JSON string), text, finish reason and usage.
pub fn into_reply(model: &str, tool_name: &str, response: ChatResponse) -> ToolReply {
    let usage = usage_of(&response);
    let Some(choice) = response.choices.into_iter().next() else {
        return ToolReply {
            model: model.to_owned(),
            tool_input: ToolInput::Missing,
            text: String::new(),
            stop_reason: StopReason::Other("no choices".to_owned()),
            usage,
        };
    };
    let call = choice
        .message
        .tool_calls
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.function.name == tool_name);
    let tool_input = match call.map(|c| c.function.arguments) {
        Some(Value::String(arguments)) => match serde_json::from_str::<Value>(&arguments) {
            Ok(value) => ToolInput::Called(value),
            Err(e) => ToolInput::Unparsable(e.to_string()),
        },
        Some(value @ Value::Object(_)) => ToolInput::Called(value),
        Some(other) => ToolInput::Unparsable(format!("arguments are a json {}", json_kind(&other))),
        None => ToolInput::Missing,
    };
    let stop_reason = stop_reason(choice.finish_reason.as_deref());
    ToolReply {
        model: model.to_owned(),
        tool_input,
        text: choice.message.content.unwrap_or_default(),
        stop_reason,
        usage,
    }
}

/// Reads a JSON-schema answer: the message content is the tool input.
pub fn json_into_reply(model: &str, response: ChatResponse) -> ToolReply {
    let usage = usage_of(&response);
    let Some(choice) = response.choices.into_iter().next() else {
        return ToolReply {
            model: model.to_owned(),
            tool_input: ToolInput::Missing,
            text: String::new(),
            stop_reason: StopReason::Other("no choices".to_owned()),
            usage,
        };
    };
    let content = choice.message.content.unwrap_or_default();
    let tool_input = if content.trim().is_empty() {
        ToolInput::Missing
    } else {
        match serde_json::from_str::<Value>(&content) {
            Ok(value) => ToolInput::Called(value),
            Err(e) => ToolInput::Unparsable(e.to_string()),
        }
    };
    ToolReply {
        model: model.to_owned(),
        tool_input,
        text: String::new(),
        stop_reason: stop_reason(choice.finish_reason.as_deref()),
        usage,
    }
}

fn usage_of(response: &ChatResponse) -> TokenUsage {
    response.usage.map_or(TokenUsage::default(), |u| {
        // OpenAI counts cached tokens inside prompt_tokens; they are billed apart, so split them out.
        let cached = u
            .prompt_tokens_details
            .and_then(|d| d.cached_tokens)
            .unwrap_or(0)
            .min(u.prompt_tokens);
        TokenUsage {
            input_tokens: u.prompt_tokens - cached,
            output_tokens: u.completion_tokens,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: cached,
        }
    })
}

fn stop_reason(finish_reason: Option<&str>) -> StopReason {
    match finish_reason {
        Some("stop") => StopReason::EndTurn,
        Some("tool_calls" | "function_call") => StopReason::ToolUse,
        Some("length") => StopReason::MaxTokens,
        Some("content_filter") => StopReason::Refusal,
        Some(other) => StopReason::Other(other.to_owned()),
        None => StopReason::Other(String::new()),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
