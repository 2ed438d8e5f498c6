//! The routing and qualification calls end to end: prompts, models, validation and priced usage.

use lead_llm::chat::ChatClient;
use lead_llm::qualification::TOOL_NAME;
use lead_llm::router::ROUTER_TOOL_NAME;
use lead_llm::{
    Assistant, Field, HoursState, Lang, LlmConfig, LlmError, ModelFailure, ServiceEntry,
    TenantFacts, Timeline, Turn, TurnContext, TurnInput, TurnKind,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{
    anthropic_client, anthropic_tool_response, fast_policy, openai_client, openai_tool_response,
    received_bodies,
};

fn facts() -> TenantFacts {
    TenantFacts {
        business_name: "Gulf Homes".into(),
        industry: "real_estate".into(),
        brand_voice: "Warm, brief, professional.".into(),
        currency: "SAR".into(),
        services: vec![
            ServiceEntry {
                key: "buy_apartment".into(),
                description: "buying an apartment / flat".into(),
            },
            ServiceEntry {
                key: "buy_villa".into(),
                description: "buying a villa or house".into(),
            },
        ],
    }
}

fn context() -> TurnContext {
    TurnContext {
        today: "2026-11-24".into(),
        language: Lang::En,
        hours: HoursState::Closed {
            next_opening: "Sunday 9:00".into(),
        },
        unknown_fields: vec![Field::Budget, Field::Timeline],
        known: vec![],
        knowledge: vec![],
    }
}

fn history() -> Vec<Turn> {
    vec![
        Turn::lead("Salam, looking for a 3BR flat in Khobar"),
        Turn::agent("Sure, what budget are you working with?"),
        Turn::lead("around 1.2M, need to move before next month. I'm the one deciding"),
    ]
}

fn extraction_input() -> Value {
    json!({
        "service": "buy_apartment", "budget_min": null, "budget_max": 1200000, "currency": "SAR",
        "urgency": null, "timeline": "within_1_month", "decision_maker": true, "location": "Khobar",
        "wants_human": false, "not_interested": false, "language": "en", "confidence": 0.9,
        "evidence": {"budget": "around 1.2M", "decision_maker": "I'm the one deciding"},
        "reply": "Thanks! A team member will call you Sunday at 9:00 with flats in Khobar."
    })
}

fn assistant(client: ChatClient) -> Assistant {
    Assistant::new(client, &LlmConfig::default())
}

#[tokio::test]
async fn qualification_uses_the_main_model_a_cached_prompt_and_the_catalogue_schema() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(anthropic_tool_response(TOOL_NAME, extraction_input())),
        )
        .expect(1)
        .mount(&server)
        .await;
    let assistant = assistant(ChatClient::Anthropic(anthropic_client(
        &server,
        fast_policy(),
    )));

    let qualified = assistant
        .qualify(TurnInput {
            facts: &facts(),
            context: &context(),
            history: &history(),
            model: None,
        })
        .await
        .unwrap();

    let e = &qualified.extraction;
    assert_eq!(
        (e.service.as_deref(), e.budget_max, e.timeline),
        (
            Some("buy_apartment"),
            Some(1_200_000.0),
            Some(Timeline::Within1Month)
        )
    );
    assert_eq!(qualified.call.model, "claude-sonnet-4-5");
    // 1000 input at $3, 200 output at $15, 3000 cache writes at $3.75 per million tokens.
    assert!(
        (qualified.call.cost_usd - 0.01725).abs() < 1e-12,
        "{}",
        qualified.call.cost_usd
    );
    assert!(qualified.call.priced);

    let body = &received_bodies(&server).await[0];
    assert_eq!(body["model"], "claude-sonnet-4-5");
    assert_eq!(body["max_tokens"], 1024);
    assert_eq!(
        body["tool_choice"],
        json!({"type": "tool", "name": TOOL_NAME})
    );
    assert_eq!(
        body["tools"][0]["input_schema"]["properties"]["service"]["enum"],
        json!(["buy_apartment", "buy_villa", null])
    );
    assert_eq!(
        body["system"][0]["cache_control"],
        json!({"type": "ephemeral"})
    );
    assert!(
        body["system"][0]["text"]
            .as_str()
            .unwrap()
            .contains("- buy_villa: buying a villa or house")
    );
    assert!(body["system"][1].get("cache_control").is_none());
    assert!(
        body["system"][1]["text"]
            .as_str()
            .unwrap()
            .contains("Sunday 9:00")
    );
    assert_eq!(body["messages"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn an_extraction_outside_the_schema_is_a_model_failure_that_still_reports_usage() {
    let server = MockServer::start().await;
    let mut input = extraction_input();
    input["service"] = json!("buy_yacht");
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(anthropic_tool_response(TOOL_NAME, input)),
        )
        .mount(&server)
        .await;
    let assistant = assistant(ChatClient::Anthropic(anthropic_client(
        &server,
        fast_policy(),
    )));

    let err = assistant
        .qualify(TurnInput {
            facts: &facts(),
            context: &context(),
            history: &history(),
            model: None,
        })
        .await
        .unwrap_err();

    match &err {
        LlmError::ModelOutput {
            failure: ModelFailure::SchemaViolation(reason),
            usage,
            model,
        } => {
            assert!(reason.contains("buy_yacht"), "{reason}");
            assert!((assistant.prices().cost_usd(model, usage) - 0.01725).abs() < 1e-12);
        }
        other => panic!("expected a schema violation, got {other:?}"),
    }
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "a model failure is not retried"
    );
}

#[tokio::test]
async fn routing_uses_the_fast_model_and_returns_a_simple_reply() {
    let server = MockServer::start().await;
    let routing = json!({"kind": "greeting", "language": "ar", "reply": "وعليكم السلام! كيف أقدر أخدمك؟", "confidence": 0.97});
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"model": "claude-haiku-4-5", "tool_choice": {"type": "tool", "name": ROUTER_TOOL_NAME}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(anthropic_tool_response(ROUTER_TOOL_NAME, routing)))
        .expect(1)
        .mount(&server)
        .await;
    let assistant = assistant(ChatClient::Anthropic(anthropic_client(
        &server,
        fast_policy(),
    )));
    let history = vec![Turn::lead("السلام عليكم")];

    let routed = assistant
        .route(TurnInput {
            facts: &facts(),
            context: &context(),
            history: &history,
            model: None,
        })
        .await
        .unwrap();

    assert_eq!(routed.routing.kind, TurnKind::Greeting);
    assert_eq!(routed.routing.language, Lang::Ar);
    assert_eq!(
        routed.routing.simple_reply(),
        Some("وعليكم السلام! كيف أقدر أخدمك؟")
    );
    // 1000 input at $1, 200 output at $5, 3000 cache writes at $1.25 per million tokens.
    assert!(
        (routed.call.cost_usd - 0.00575).abs() < 1e-12,
        "{}",
        routed.call.cost_usd
    );
    assert_eq!(routed.call.model, "claude-haiku-4-5");
}

#[tokio::test]
async fn qualification_over_an_openai_compatible_server_validates_the_argument_string() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(openai_tool_response(
                TOOL_NAME,
                &extraction_input().to_string(),
            )),
        )
        .mount(&server)
        .await;
    let mut config = LlmConfig::default();
    config.models.qualification = "qwen2.5:14b".into();
    let assistant = Assistant::new(ChatClient::OpenAi(openai_client(&server, None)), &config);

    let qualified = assistant
        .qualify(TurnInput {
            facts: &facts(),
            context: &context(),
            history: &history(),
            model: None,
        })
        .await
        .unwrap();

    assert_eq!(qualified.extraction.location.as_deref(), Some("Khobar"));
    assert_eq!(qualified.call.model, "qwen2.5:14b");
    assert_eq!(qualified.call.cost_usd, 0.0);
    assert!(
        !qualified.call.priced,
        "an unpriced local model is flagged, not silently free"
    );
    let body = &received_bodies(&server).await[0];
    assert_eq!(
        body["tool_choice"],
        json!({"type": "function", "function": {"name": TOOL_NAME}})
    );
    assert_eq!(body["messages"][0]["role"], "system");
}

#[tokio::test]
async fn a_long_conversation_is_trimmed_with_a_summary_line() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(anthropic_tool_response(TOOL_NAME, extraction_input())),
        )
        .mount(&server)
        .await;
    let config = LlmConfig {
        memory_budget_tokens: 300,
        ..LlmConfig::default()
    };
    let assistant = Assistant::new(
        ChatClient::Anthropic(anthropic_client(&server, fast_policy())),
        &config,
    );
    let mut history = vec![Turn::lead("I want a flat in Khobar")];
    for i in 0..60 {
        history.push(Turn::agent(format!(
            "question number {i} from the agent, padded to be long enough"
        )));
        history.push(Turn::lead(format!(
            "answer number {i} from the lead, padded to be long enough"
        )));
    }

    assistant
        .qualify(TurnInput {
            facts: &facts(),
            context: &context(),
            history: &history,
            model: None,
        })
        .await
        .unwrap();

    let body = &received_bodies(&server).await[0];
    let messages = body["messages"].as_array().unwrap();
    assert!(messages.len() < 30, "sent {} messages", messages.len());
    assert_eq!(
        messages.last().unwrap()["content"],
        "answer number 59 from the lead, padded to be long enough"
    );
    let volatile = body["system"][1]["text"].as_str().unwrap();
    assert!(
        volatile.contains("messages not shown") && volatile.contains("«I want a flat in Khobar»"),
        "{volatile}"
    );
}
