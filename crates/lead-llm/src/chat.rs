//! The vendor-neutral shape of a forced tool call: what we send, what comes back, and the client enum that speaks it.

use serde_json::Value;

use crate::anthropic::AnthropicClient;
use crate::error::{LlmError, ModelFailure, Vendor};
use crate::openai::OpenAiClient;
use crate::usage::TokenUsage;

/// Who said a turn of the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The lead (the `user` role for the vendors).
    Lead,
    /// The business or its assistant (the `assistant` role).
    Agent,
}

/// One message of the conversation history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// Who wrote it.
    pub role: Role,
    /// What was written.
    pub text: String,
}

impl Turn {
    /// A turn written by the lead.
    pub fn lead(text: impl Into<String>) -> Self {
        Turn {
            role: Role::Lead,
            text: text.into(),
        }
    }

    /// A turn written by the business.
    pub fn agent(text: impl Into<String>) -> Self {
        Turn {
            role: Role::Agent,
            text: text.into(),
        }
    }
}

/// A system prompt in two parts: a stable prefix the vendor may cache, and a per-turn part that changes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SystemPrompt {
    /// Instructions and tenant facts that stay the same across turns; marked for prompt caching.
    pub cached: String,
    /// Today's date, business-hours state, what to ask next, the summary of trimmed history.
    pub volatile: String,
}

/// A tool the model is forced to call, described by a JSON schema.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    /// The tool name the model must call.
    pub name: String,
    /// What the tool is for, read by the model.
    pub description: String,
    /// The JSON schema of the tool input.
    pub input_schema: Value,
}

/// One forced tool call to a model.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolRequest {
    /// The model id.
    pub model: String,
    /// The most tokens the model may generate.
    pub max_tokens: u32,
    /// The system prompt.
    pub system: SystemPrompt,
    /// The conversation so far, oldest first, ending with the lead's newest message.
    pub turns: Vec<Turn>,
    /// The tool the model must call.
    pub tool: ToolSpec,
}

/// Why the model stopped, in the vendors' common vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// It finished its answer.
    EndTurn,
    /// It called a tool.
    ToolUse,
    /// It ran out of `max_tokens`.
    MaxTokens,
    /// It produced a stop sequence.
    StopSequence,
    /// It, or the vendor's content filter, refused.
    Refusal,
    /// A reason this crate does not know, kept verbatim for the logs.
    Other(String),
}

/// What the model put in the tool call.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolInput {
    /// The tool was called with this JSON input (not yet validated).
    Called(Value),
    /// The tool was called, but its arguments are not JSON.
    Unparsable(String),
    /// The tool was not called.
    Missing,
}

/// The answer to a [`ToolRequest`], before the tool input is validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolReply {
    /// The model id that was asked for (the key of the price table).
    pub model: String,
    /// The tool input.
    pub tool_input: ToolInput,
    /// Any text the model wrote besides the tool call.
    pub text: String,
    /// Why the model stopped.
    pub stop_reason: StopReason,
    /// The tokens the call consumed.
    pub usage: TokenUsage,
}

impl ToolReply {
    /// The tool input, or the model failure that makes the reply unusable.
    ///
    /// # Errors
    /// [`LlmError::ModelOutput`] when the output was cut off, refused, missing or not JSON.
    pub fn into_input(self) -> Result<(Value, TokenUsage), LlmError> {
        let fail = |failure| LlmError::ModelOutput {
            model: self.model.clone(),
            failure,
            usage: self.usage,
        };
        // A cut-off reply is never trusted, even when its tool input happens to parse.
        match self.stop_reason {
            StopReason::MaxTokens => return Err(fail(ModelFailure::Truncated)),
            StopReason::Refusal => return Err(fail(ModelFailure::Refused)),
            _ => {}
        }
        match self.tool_input {
            ToolInput::Called(value) => Ok((value, self.usage)),
            ToolInput::Unparsable(ref error) => Err(fail(ModelFailure::InvalidJson(error.clone()))),
            ToolInput::Missing => Err(fail(ModelFailure::NoToolCall)),
        }
    }
}

/// Merges consecutive turns of one role and makes the conversation start and end with the lead.
///
/// Both vendors expect alternating user and assistant turns; a conversation the business
/// opened (a missed-call follow-up) gets a short marker turn first so the order stays valid.
pub fn alternating(turns: &[Turn]) -> Vec<Turn> {
    let mut out: Vec<Turn> = Vec::with_capacity(turns.len() + 2);
    for turn in turns.iter().filter(|t| !t.text.trim().is_empty()) {
        match out.last_mut() {
            Some(last) if last.role == turn.role => {
                last.text.push_str("\n\n");
                last.text.push_str(&turn.text);
            }
            _ => out.push(turn.clone()),
        }
    }
    if out.first().is_none_or(|t| t.role == Role::Agent) {
        out.insert(0, Turn::lead("[the business started this conversation]"));
    }
    if out.last().is_some_and(|t| t.role == Role::Agent) {
        out.push(Turn::lead("[no new message from the lead yet]"));
    }
    out
}

/// A client of one vendor protocol, chosen by configuration.
#[derive(Debug, Clone)]
pub enum ChatClient {
    /// The Anthropic Messages API.
    Anthropic(AnthropicClient),
    /// An OpenAI-compatible chat completions server.
    OpenAi(OpenAiClient),
}

impl ChatClient {
    /// Sends a forced tool call and returns the unvalidated reply.
    ///
    /// # Errors
    /// Transport, status and decode errors; see [`LlmError`].
    pub async fn call_tool(&self, request: &ToolRequest) -> Result<ToolReply, LlmError> {
        match self {
            ChatClient::Anthropic(client) => client.call_tool(request).await,
            ChatClient::OpenAi(client) => client.call_tool(request).await,
        }
    }

    /// The vendor this client speaks to.
    pub fn vendor(&self) -> Vendor {
        match self {
            ChatClient::Anthropic(_) => Vendor::Anthropic,
            ChatClient::OpenAi(_) => Vendor::OpenAi,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_turns_merge_and_the_lead_opens_and_closes() {
        let turns = vec![
            Turn::agent("We missed your call"),
            Turn::lead("hi"),
            Turn::lead("villa?"),
            Turn::agent("Sure"),
        ];
        let got = alternating(&turns);
        let roles: Vec<Role> = got.iter().map(|t| t.role).collect();
        assert_eq!(
            roles,
            vec![Role::Lead, Role::Agent, Role::Lead, Role::Agent, Role::Lead]
        );
        assert_eq!(got[2].text, "hi\n\nvilla?");
    }

    #[test]
    fn an_empty_history_still_has_one_lead_turn() {
        assert_eq!(alternating(&[]).len(), 1);
    }
}
