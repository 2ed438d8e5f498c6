//! The Anthropic Messages API client: a forced tool call with a cached system prompt.

pub mod wire;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::ExposeSecret;

use crate::chat::{Role, StopReason, ToolInput, ToolReply, ToolRequest, alternating};
use crate::config::AnthropicSettings;
use crate::error::{LlmError, Vendor};
use crate::policy::FailurePolicy;
use crate::transport::{HttpTransport, endpoint, secret_header};
use crate::usage::TokenUsage;

use wire::{
    CacheControl, ContentBlock, Message, MessageRole, MessagesRequest, MessagesResponse,
    SystemBlock, Tool, ToolChoice,
};

/// A client of `POST {base}/v1/messages`.
#[derive(Debug, Clone)]
pub struct AnthropicClient {
    transport: HttpTransport,
    url: String,
}

impl AnthropicClient {
    /// Builds a client from its settings; the API key and version go into every request's headers.
    ///
    /// # Errors
    /// [`LlmError::NotConfigured`] when the key is missing or not a valid header value.
    pub fn new(settings: &AnthropicSettings, policy: FailurePolicy) -> Result<Self, LlmError> {
        let vendor = Vendor::Anthropic;
        let key = settings
            .api_key
            .as_ref()
            .ok_or_else(|| LlmError::NotConfigured {
                vendor,
                reason: "ANTHROPIC_API_KEY is not set".to_owned(),
            })?;
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("x-api-key"),
            secret_header(vendor, key.expose_secret())?,
        );
        let version =
            HeaderValue::from_str(&settings.version).map_err(|_| LlmError::NotConfigured {
                vendor,
                reason: "the anthropic-version is not a valid header value".to_owned(),
            })?;
        headers.insert(HeaderName::from_static("anthropic-version"), version);
        let transport = HttpTransport::new(vendor, policy, headers)?;
        Ok(AnthropicClient {
            transport,
            url: endpoint(&settings.base_url, "messages"),
        })
    }

    /// Replaces the transport's settings (breaker, jitter) by a transport built elsewhere.
    pub fn map_transport(mut self, f: impl FnOnce(HttpTransport) -> HttpTransport) -> Self {
        self.transport = f(self.transport);
        self
    }

    /// The transport, for its circuit breaker.
    pub fn transport(&self) -> &HttpTransport {
        &self.transport
    }

    /// Sends one Messages request as is.
    ///
    /// # Errors
    /// Transport, status and decode errors; see [`LlmError`].
    pub async fn messages(&self, request: &MessagesRequest) -> Result<MessagesResponse, LlmError> {
        self.transport.post_json(&self.url, request).await
    }

    /// Sends a forced tool call and returns its unvalidated reply.
    ///
    /// # Errors
    /// Transport, status and decode errors; see [`LlmError`].
    pub async fn call_tool(&self, request: &ToolRequest) -> Result<ToolReply, LlmError> {
        let response = self.messages(&build_request(request)).await?;
        Ok(into_reply(&request.model, &request.tool.name, response))
    }
}

/// The wire request of a forced tool call: the stable system block carries the cache breakpoint.
pub fn build_request(request: &ToolRequest) -> MessagesRequest {
    let mut system = vec![SystemBlock::Text {
        text: request.system.cached.clone(),
        cache_control: Some(CacheControl::Ephemeral),
    }];
    if !request.system.volatile.trim().is_empty() {
        system.push(SystemBlock::Text {
            text: request.system.volatile.clone(),
            cache_control: None,
        });
    }
    let messages = alternating(&request.turns)
        .into_iter()
        .map(|turn| Message {
            role: match turn.role {
                Role::Lead => MessageRole::User,
                Role::Agent => MessageRole::Assistant,
            },
            content: turn.text,
        })
        .collect();
    MessagesRequest {
        model: request.model.clone(),
        max_tokens: request.max_tokens,
        system,
        messages,
        tools: vec![Tool {
            name: request.tool.name.clone(),
            description: request.tool.description.clone(),
            input_schema: request.tool.input_schema.clone(),
        }],
        tool_choice: Some(ToolChoice::Tool {
            name: request.tool.name.clone(),
        }),
    }
}

/// Reads the tool input, text, stop reason and usage out of a Messages response, skipping unknown blocks.
pub fn into_reply(model: &str, tool_name: &str, response: MessagesResponse) -> ToolReply {
    let mut tool_input = ToolInput::Missing;
    let mut text = String::new();
    for block in response.content {
        match block {
            ContentBlock::Text { text: t } => text.push_str(&t),
            ContentBlock::ToolUse { name, input, .. }
                if name == tool_name && tool_input == ToolInput::Missing =>
            {
                tool_input = ToolInput::Called(input);
            }
            ContentBlock::ToolUse { .. } | ContentBlock::Unknown => {}
        }
    }
    let stop_reason = match response.stop_reason {
        Some(wire::StopReason::EndTurn) => StopReason::EndTurn,
        Some(wire::StopReason::ToolUse) => StopReason::ToolUse,
        Some(wire::StopReason::MaxTokens) => StopReason::MaxTokens,
        Some(wire::StopReason::StopSequence) => StopReason::StopSequence,
        Some(wire::StopReason::Refusal) => StopReason::Refusal,
        Some(wire::StopReason::Other) | None => StopReason::Other(String::new()),
    };
    let usage = TokenUsage {
        input_tokens: response.usage.input_tokens,
        output_tokens: response.usage.output_tokens,
        cache_creation_input_tokens: response.usage.cache_creation_input_tokens.unwrap_or(0),
        cache_read_input_tokens: response.usage.cache_read_input_tokens.unwrap_or(0),
    };
    ToolReply {
        model: model.to_owned(),
        tool_input,
        text,
        stop_reason,
        usage,
    }
}
