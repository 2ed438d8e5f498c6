//! End to end with the Anthropic adapter pointed at a local server speaking the Messages API:
//! a web-form lead is routed, qualified, scored and answered with the model's words, and the
//! usage endpoint shows what the calls cost.

use crate::helpers::{ahmed_body, spawn_app_with};
use lead_server::config::{LlmProvider, SecretString};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MODEL_REPLY: &str =
    "Thanks Ahmed! We have 3 apartments in Dammam around 800,000 SAR. When would you like to move?";

fn tool_use(name: &str, input: Value, input_tokens: u64, output_tokens: u64) -> Value {
    json!({
        "id": "msg_01LocalFake",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [
            {"type": "text", "text": "Recording the lead's details."},
            {"type": "tool_use", "id": "toolu_01LocalFake", "name": name, "input": input}
        ],
        "stop_reason": "tool_use",
        "stop_sequence": null,
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens,
                  "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    })
}

async fn fake_anthropic() -> MockServer {
    let server = MockServer::start().await;
    let routing =
        json!({"kind": "qualification_info", "language": "en", "reply": null, "confidence": 0.95});
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", "sk-ant-local"))
        .and(body_partial_json(
            json!({"tool_choice": {"type": "tool", "name": lead_llm::router::ROUTER_TOOL_NAME}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(tool_use(
            lead_llm::router::ROUTER_TOOL_NAME,
            routing,
            400,
            30,
        )))
        .expect(1)
        .mount(&server)
        .await;
    let qualification = json!({
        "service": "buy_apartment", "budget_min": null, "budget_max": 800000, "currency": "SAR",
        "urgency": null, "timeline": null, "decision_maker": null, "location": "Dammam",
        "wants_human": false, "not_interested": false, "language": "en", "confidence": 0.92,
        "evidence": {"budget": "budget around 800,000 SAR", "location": "in Dammam"},
        "reply": MODEL_REPLY
    });
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(body_partial_json(
            json!({"tool_choice": {"type": "tool", "name": lead_llm::qualification::TOOL_NAME}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(tool_use(
            lead_llm::qualification::TOOL_NAME,
            qualification,
            1800,
            120,
        )))
        .expect(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_web_form_lead_is_qualified_and_answered_by_the_model_and_usage_is_recorded() {
    let anthropic = fake_anthropic().await;
    let app = spawn_app_with(|s| {
        s.llm_provider = Some(LlmProvider::Anthropic);
        s.anthropic_api_key = Some(SecretString::new("sk-ant-local"));
        s.anthropic_base_url = anthropic.uri();
    })
    .await;
    let (client_id, key) = app.create_realty("model-realty").await;

    let accepted = app.web_form(&key, ahmed_body(), None).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let lead_id = accepted.body["lead_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let conversation_id = accepted.body["conversation_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let lead = app
        .wait_for_lead(&key, &lead_id, |l| l["score"] != "UNSCORED")
        .await;
    assert_eq!(lead["score"], "WARM", "{lead}");
    assert_eq!(lead["state"], "QUALIFYING");

    let mut reply = None;
    for _ in 0..100 {
        let messages = app
            .get_as(
                &key,
                &format!("/api/v1/conversations/{conversation_id}/messages"),
            )
            .await;
        reply = messages.body["items"]
            .as_array()
            .and_then(|items| items.iter().find(|m| m["direction"] == "outbound").cloned());
        if reply.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let reply = reply.unwrap_or(Value::Null);
    assert_eq!(reply["body"], MODEL_REPLY, "{reply}");
    assert_eq!(reply["language"], "en");

    let usage = app
        .admin(
            reqwest::Method::GET,
            &format!("/api/v1/clients/{client_id}/usage"),
            None,
        )
        .await;
    assert_eq!(usage.status, 200, "{}", usage.body);
    let models = usage.body["models"].as_array().cloned().unwrap_or_default();
    let input: u64 = models
        .iter()
        .filter_map(|m| m["input_tokens"].as_u64())
        .sum();
    let calls: u64 = models.iter().filter_map(|m| m["calls"].as_u64()).sum();
    assert_eq!((calls, input), (2, 2200), "{}", usage.body);
    assert!(
        usage.body["total_cost_usd"].as_f64().unwrap_or_default() > 0.0,
        "{}",
        usage.body
    );
}

#[tokio::test]
async fn a_tenant_that_chooses_offline_gets_no_model_call() {
    let anthropic = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&anthropic)
        .await;
    let app = spawn_app_with(|s| {
        s.llm_provider = Some(LlmProvider::Anthropic);
        s.anthropic_api_key = Some(SecretString::new("sk-ant-local"));
        s.anthropic_base_url = anthropic.uri();
    })
    .await;
    let (client_id, key) = app.create_realty("offline-realty").await;
    let patched = app
        .admin(
            reqwest::Method::PATCH,
            &format!("/api/v1/clients/{client_id}"),
            Some(json!({"llm": {"provider": "offline"}})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["llm"]["provider"], "offline");

    let accepted = app.web_form(&key, ahmed_body(), None).await;
    let lead_id = accepted.body["lead_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let lead = app
        .wait_for_lead(&key, &lead_id, |l| l["score"] != "UNSCORED")
        .await;
    assert_eq!(
        lead["score"], "WARM",
        "the offline qualifier scored it: {lead}"
    );
}
