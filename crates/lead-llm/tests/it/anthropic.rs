//! The Anthropic client: exact request shape and response parsing.

use lead_llm::anthropic::AnthropicClient;
use lead_llm::chat::ToolInput;
use lead_llm::{AnthropicSettings, LlmError, ModelFailure, StopReason, TokenUsage};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{
    anthropic_client, anthropic_tool_response, fast_policy, received_bodies, tool_request,
};

async fn server_answering(body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn the_request_has_the_documented_headers_and_body() {
    let server = server_answering(anthropic_tool_response(
        "record",
        json!({"budget": 2000000}),
    ))
    .await;

    anthropic_client(&server, fast_policy())
        .call_tool(&tool_request())
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    let headers = &requests[0].headers;
    assert_eq!(headers.get("x-api-key").unwrap(), "sk-ant-test");
    assert_eq!(headers.get("anthropic-version").unwrap(), "2023-06-01");
    assert_eq!(headers.get("content-type").unwrap(), "application/json");
    assert!(headers.get("authorization").is_none());
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(
        body,
        json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 512,
            "system": [
                {"type": "text", "text": "You are the lead assistant.", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "Today is 2026-11-24."}
            ],
            "messages": [
                {"role": "user", "content": "Salam, looking for a villa"},
                {"role": "assistant", "content": "What budget?"},
                {"role": "user", "content": "around 2M"}
            ],
            "tools": [{
                "name": "record",
                "description": "Record the facts.",
                "input_schema": {"type": "object", "properties": {"budget": {"type": "number"}}, "required": ["budget"]}
            }],
            "tool_choice": {"type": "tool", "name": "record"}
        })
    );
}

#[tokio::test]
async fn the_api_version_and_base_path_come_from_configuration() {
    let server = server_answering(anthropic_tool_response("record", json!({"budget": 1}))).await;
    let settings = AnthropicSettings {
        api_key: Some(SecretString::from("k")),
        base_url: format!("{}/v1/", server.uri()),
        version: "2099-01-01".to_owned(),
    };

    AnthropicClient::new(&settings, fast_policy())
        .unwrap()
        .call_tool(&tool_request())
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[0].headers.get("anthropic-version").unwrap(),
        "2099-01-01"
    );
}

#[tokio::test]
async fn a_missing_key_is_a_configuration_error() {
    let settings = AnthropicSettings::default();
    let err = AnthropicClient::new(&settings, fast_policy()).unwrap_err();
    assert!(matches!(err, LlmError::NotConfigured { .. }), "{err:?}");
}

#[tokio::test]
async fn tool_use_text_and_usage_are_read_and_unknown_blocks_skipped() {
    let body = json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
        "content": [
            {"type": "thinking", "thinking": "The lead wants a villa.", "signature": "EqQBCgIYAhIM"},
            {"type": "text", "text": "Recording.", "citations": null},
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "x"}},
            {"type": "tool_use", "id": "toolu_1", "name": "other_tool", "input": {"budget": 1}},
            {"type": "tool_use", "id": "toolu_2", "name": "record", "input": {"budget": 2000000}},
            {"type": "some_block_from_the_future", "data": [1, 2, 3]}
        ],
        "stop_reason": "tool_use", "stop_sequence": null,
        "usage": {"input_tokens": 12, "output_tokens": 34, "cache_creation_input_tokens": 56, "cache_read_input_tokens": 78,
                  "server_tool_use": {"web_search_requests": 0}, "service_tier": "standard"}
    });
    let server = server_answering(body).await;

    let reply = anthropic_client(&server, fast_policy())
        .call_tool(&tool_request())
        .await
        .unwrap();

    assert_eq!(
        reply.tool_input,
        ToolInput::Called(json!({"budget": 2000000}))
    );
    assert_eq!(reply.text, "Recording.");
    assert_eq!(reply.stop_reason, StopReason::ToolUse);
    assert_eq!(
        reply.model, "claude-sonnet-4-5",
        "usage is keyed by the configured id, not the dated snapshot"
    );
    let usage = TokenUsage {
        input_tokens: 12,
        output_tokens: 34,
        cache_creation_input_tokens: 56,
        cache_read_input_tokens: 78,
    };
    assert_eq!(reply.usage, usage);
    assert_eq!(
        reply.into_input().unwrap(),
        (json!({"budget": 2000000}), usage)
    );
}

#[tokio::test]
async fn null_or_absent_cache_counts_are_zero_and_new_stop_reasons_are_tolerated() {
    let mut body = anthropic_tool_response("record", json!({"budget": 5}));
    body["usage"] =
        json!({"input_tokens": 10, "output_tokens": 3, "cache_creation_input_tokens": null});
    body["stop_reason"] = json!("pause_turn");
    let server = server_answering(body).await;

    let reply = anthropic_client(&server, fast_policy())
        .call_tool(&tool_request())
        .await
        .unwrap();

    assert_eq!(
        reply.usage,
        TokenUsage {
            input_tokens: 10,
            output_tokens: 3,
            ..TokenUsage::default()
        }
    );
    assert!(matches!(reply.stop_reason, StopReason::Other(_)));
    assert!(reply.into_input().is_ok());
}

#[tokio::test]
async fn max_tokens_makes_even_a_parsable_tool_input_a_model_failure() {
    let mut body = anthropic_tool_response("record", json!({"budget": 5}));
    body["stop_reason"] = json!("max_tokens");
    let server = server_answering(body).await;

    let reply = anthropic_client(&server, fast_policy())
        .call_tool(&tool_request())
        .await
        .unwrap();
    let err = reply.into_input().unwrap_err();

    match err {
        LlmError::ModelOutput {
            failure,
            usage,
            model,
        } => {
            assert_eq!(failure, ModelFailure::Truncated);
            assert_eq!(
                usage.output_tokens, 200,
                "the spent tokens travel with the failure"
            );
            assert_eq!(model, "claude-sonnet-4-5");
        }
        other => panic!("expected a model failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_text_only_answer_is_a_missing_tool_call_and_a_refusal_is_refused() {
    let mut body = anthropic_tool_response("record", json!({}));
    body["content"] = json!([{"type": "text", "text": "I cannot help with that."}]);
    body["stop_reason"] = json!("end_turn");
    let server = server_answering(body.clone()).await;
    let err = anthropic_client(&server, fast_policy())
        .call_tool(&tool_request())
        .await
        .unwrap()
        .into_input()
        .unwrap_err();
    assert!(
        matches!(
            err,
            LlmError::ModelOutput {
                failure: ModelFailure::NoToolCall,
                ..
            }
        ),
        "{err:?}"
    );

    body["stop_reason"] = json!("refusal");
    let server = server_answering(body).await;
    let err = anthropic_client(&server, fast_policy())
        .call_tool(&tool_request())
        .await
        .unwrap()
        .into_input()
        .unwrap_err();
    assert!(
        matches!(
            err,
            LlmError::ModelOutput {
                failure: ModelFailure::Refused,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_2xx_body_that_is_not_a_message_is_a_decode_error() {
    let server = server_answering(json!({"unexpected": true})).await;
    let err = anthropic_client(&server, fast_policy())
        .call_tool(&tool_request())
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Decode { .. }), "{err:?}");
    assert_eq!(
        received_bodies(&server).await.len(),
        1,
        "a decode error is not retried"
    );
}

#[test]
fn the_documented_error_body_parses() {
    let body = json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}, "request_id": "req_011"});
    let parsed: lead_llm::anthropic::wire::ErrorResponse = serde_json::from_value(body).unwrap();
    assert_eq!(
        (parsed.error.kind.as_str(), parsed.error.message.as_str()),
        ("overloaded_error", "Overloaded")
    );
}
