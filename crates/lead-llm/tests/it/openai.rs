//! The OpenAI-compatible client: exact request shape, argument strings, usage.

use lead_llm::chat::ToolInput;
use lead_llm::openai::OpenAiClient;
use lead_llm::{LlmError, ModelFailure, StopReason, TokenUsage};
use lead_llm::{OpenAiSettings, OutputMode};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{openai_client, openai_tool_response, tool_request};

async fn server_answering(body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn the_request_has_bearer_auth_one_system_message_and_a_forced_function() {
    let server = server_answering(openai_tool_response("record", r#"{"budget": 2000000}"#)).await;

    openai_client(&server, Some("sk-test"))
        .call_tool(&tool_request())
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[0].headers.get("authorization").unwrap(),
        "Bearer sk-test"
    );
    assert_eq!(
        requests[0].headers.get("content-type").unwrap(),
        "application/json"
    );
    assert!(requests[0].headers.get("x-api-key").is_none());
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(
        body,
        json!({
            "model": "claude-sonnet-4-5",
            "messages": [
                {"role": "system", "content": "You are the lead assistant.\n\nToday is 2026-11-24."},
                {"role": "user", "content": "Salam, looking for a villa"},
                {"role": "assistant", "content": "What budget?"},
                {"role": "user", "content": "around 2M"}
            ],
            "max_tokens": 512,
            "tools": [{"type": "function", "function": {
                "name": "record",
                "description": "Record the facts.",
                "parameters": {"type": "object", "properties": {"budget": {"type": "number"}}, "required": ["budget"]}
            }}],
            "tool_choice": {"type": "function", "function": {"name": "record"}}
        })
    );
}

#[tokio::test]
async fn a_local_server_needs_no_key() {
    let server = server_answering(openai_tool_response("record", r#"{"budget": 1}"#)).await;
    openai_client(&server, None)
        .call_tool(&tool_request())
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    assert!(requests[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn the_argument_string_is_parsed_and_cached_tokens_split_from_input() {
    let server = server_answering(openai_tool_response("record", r#"{"budget": 2000000}"#)).await;

    let reply = openai_client(&server, Some("k"))
        .call_tool(&tool_request())
        .await
        .unwrap();

    assert_eq!(
        reply.tool_input,
        ToolInput::Called(json!({"budget": 2000000}))
    );
    assert_eq!(reply.stop_reason, StopReason::ToolUse);
    assert_eq!(
        reply.usage,
        TokenUsage {
            input_tokens: 176,
            output_tokens: 150,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 1024
        }
    );
}

#[tokio::test]
async fn invalid_json_arguments_are_a_model_failure_with_usage() {
    let server = server_answering(openai_tool_response("record", r#"{"budget": 2000000"#)).await;

    let reply = openai_client(&server, Some("k"))
        .call_tool(&tool_request())
        .await
        .unwrap();
    let err = reply.into_input().unwrap_err();

    match err {
        LlmError::ModelOutput {
            failure: ModelFailure::InvalidJson(_),
            usage,
            ..
        } => assert_eq!(usage.output_tokens, 150),
        other => panic!("expected invalid json, got {other:?}"),
    }
}

#[tokio::test]
async fn length_finish_no_tool_call_and_missing_usage_are_handled() {
    let mut body = openai_tool_response("record", r#"{"budget": 1}"#);
    body["choices"][0]["finish_reason"] = json!("length");
    let server = server_answering(body).await;
    let err = openai_client(&server, None)
        .call_tool(&tool_request())
        .await
        .unwrap()
        .into_input()
        .unwrap_err();
    assert!(
        matches!(
            err,
            LlmError::ModelOutput {
                failure: ModelFailure::Truncated,
                ..
            }
        ),
        "{err:?}"
    );

    let body = json!({
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Sure! Your budget is 1."}, "finish_reason": "stop"}]
    });
    let server = server_answering(body).await;
    let reply = openai_client(&server, None)
        .call_tool(&tool_request())
        .await
        .unwrap();
    assert_eq!(reply.usage, TokenUsage::default());
    assert_eq!(reply.text, "Sure! Your budget is 1.");
    let err = reply.into_input().unwrap_err();
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
}

#[tokio::test]
async fn an_object_instead_of_a_string_is_accepted_and_a_number_is_not() {
    let mut body = openai_tool_response("record", "");
    body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = json!({"budget": 3});
    let server = server_answering(body.clone()).await;
    let reply = openai_client(&server, None)
        .call_tool(&tool_request())
        .await
        .unwrap();
    assert_eq!(reply.tool_input, ToolInput::Called(json!({"budget": 3})));

    body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = json!(3);
    let server = server_answering(body).await;
    let reply = openai_client(&server, None)
        .call_tool(&tool_request())
        .await
        .unwrap();
    assert!(matches!(reply.tool_input, ToolInput::Unparsable(_)));
}

#[tokio::test]
async fn an_openai_error_body_is_a_typed_rejection() {
    let server = MockServer::start().await;
    let body = json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}});
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;

    let err = openai_client(&server, Some("bad"))
        .call_tool(&tool_request())
        .await
        .unwrap_err();

    match err {
        LlmError::Rejected {
            status,
            kind,
            message,
            ..
        } => {
            assert_eq!(
                (status, kind.as_str(), message.as_str()),
                (401, "invalid_request_error", "Incorrect API key provided")
            );
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn json_schema_mode_asks_for_a_schema_answer_and_validates_the_content() {
    let body = json!({
        "id": "chatcmpl-1",
        "model": "llama3.1",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "{\"budget\": 2000000}"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 300, "completion_tokens": 12, "total_tokens": 312}
    });
    let server = server_answering(body).await;
    let settings = OpenAiSettings {
        api_key: None,
        base_url: server.uri(),
        output: OutputMode::JsonSchema,
    };
    let client = OpenAiClient::new(&settings, crate::fast_policy()).unwrap();

    let reply = client.call_tool(&tool_request()).await.unwrap();

    assert_eq!(
        reply.tool_input,
        ToolInput::Called(json!({"budget": 2000000}))
    );
    assert_eq!(reply.usage.input_tokens, 300);
    let body: Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert!(
        body.get("tools").is_none() && body.get("tool_choice").is_none(),
        "{body}"
    );
    assert_eq!(
        body["response_format"],
        json!({"type": "json_schema", "json_schema": {"name": "record", "schema": tool_request().tool.input_schema}})
    );
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.ends_with(
            "Answer with only the JSON input of the record tool (Record the facts.), no other text."
        ),
        "{system}"
    );

    let broken = json!({"choices": [{"message": {"content": "Sure! {budget: 2M"}, "finish_reason": "stop"}]});
    let server = server_answering(broken).await;
    let settings = OpenAiSettings {
        base_url: server.uri(),
        ..settings
    };
    let err = OpenAiClient::new(&settings, crate::fast_policy())
        .unwrap()
        .call_tool(&tool_request())
        .await
        .unwrap()
        .into_input()
        .unwrap_err();
    assert!(
        matches!(
            err,
            LlmError::ModelOutput {
                failure: ModelFailure::InvalidJson(_),
                ..
            }
        ),
        "{err:?}"
    );
}
