//! Vendor responses in their real wire formats, for tests of code that talks to a local fake model server.
//!
//! A fake server tells the routing call from the qualification call by the forced tool name in
//! the request body: `{"tool_choice": {"name": ROUTER_TOOL_NAME}}` against
//! `{"tool_choice": {"name": TOOL_NAME}}` for Anthropic, and
//! `{"tool_choice": {"function": {"name": ...}}}` for OpenAI-compatible servers.

use serde_json::{Value, json};

pub use crate::qualification::TOOL_NAME;
pub use crate::router::ROUTER_TOOL_NAME;

/// A Messages API response whose only block calls `tool` with `input`, with the given token counts.
pub fn anthropic_tool_use(
    tool: &str,
    input: Value,
    input_tokens: u64,
    output_tokens: u64,
) -> Value {
    json!({
        "id": "msg_01FakeFixture",
        "type": "message",
        "role": "assistant",
        "model": "claude-fixture",
        "content": [{"type": "tool_use", "id": "toolu_01FakeFixture", "name": tool, "input": input}],
        "stop_reason": "tool_use",
        "stop_sequence": null,
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0
        }
    })
}

/// A chat completions response whose only tool call calls `tool` with `input` serialised to a string.
pub fn openai_tool_call(
    tool: &str,
    input: &Value,
    prompt_tokens: u64,
    completion_tokens: u64,
) -> Value {
    json!({
        "id": "chatcmpl-fixture",
        "object": "chat.completion",
        "model": "fixture",
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": null,
                "tool_calls": [{"id": "call_fixture", "type": "function",
                                "function": {"name": tool, "arguments": input.to_string()}}]
            },
            "finish_reason": "tool_calls"
        }],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens}
    })
}

/// A valid routing tool input: `kind` is one of greeting, question, qualification_info, wants_human, opt_out, spam.
pub fn routing_input(kind: &str, language: &str, reply: Option<&str>) -> Value {
    json!({"kind": kind, "language": language, "reply": reply, "confidence": 0.9})
}

/// A valid qualification tool input with every field unknown; set fields with `input["budget_max"] = json!(...)`.
pub fn qualification_input(language: &str, reply: &str) -> Value {
    json!({
        "service": null, "budget_min": null, "budget_max": null, "currency": null,
        "urgency": null, "timeline": null, "decision_maker": null, "location": null,
        "wants_human": false, "not_interested": false, "language": language,
        "confidence": 0.9, "evidence": {}, "reply": reply
    })
}
