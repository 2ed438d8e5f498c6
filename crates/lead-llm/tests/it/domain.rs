//! The `LanguageModel` port over local vendor servers: domain requests in, domain signals and usage out.

use std::collections::HashMap;

use lead_domain::language::Language;
use lead_domain::lead::ModelUsage;
use lead_domain::ports::{Intent, LanguageModel, LlmError as PortError, ModelRequest};
use lead_domain::qualification::Timeline;
use lead_llm::qualification::TOOL_NAME;
use lead_llm::router::ROUTER_TOOL_NAME;
use lead_llm::{AnthropicModel, ConfiguredModel, LlmConfig, ProviderChoice};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{anthropic_tool_response, openai_tool_response, received_bodies};

fn request() -> ModelRequest {
    serde_json::from_value(json!({
        "tenant": {
            "id": "00000000-0000-0000-0000-000000000001",
            "name": "Gulf Homes",
            "slug": "gulf-homes",
            "status": "active",
            "settings": {
                "industry": "real_estate",
                "business_hours": {"timezone": "Asia/Riyadh"},
                "services": {
                    "buy_apartment": {"description": "buying an apartment / flat"},
                    "buy_villa": {"description": "buying a villa or house"}
                },
                "rules": {"currency": "SAR", "min_budget": 300000.0, "high_value_threshold": 5000000.0},
                "brand_voice": "Warm and brief."
            },
            "widget_key": "w",
            "created_at": "2026-11-01T00:00:00Z",
            "updated_at": "2026-11-01T00:00:00Z"
        },
        "turns": [
            {"role": "lead", "text": "Salam, looking for a 3BR flat in Khobar", "message_id": null},
            {"role": "agent", "text": "Sure, what budget are you working with?", "message_id": null},
            {"role": "lead", "text": "around 1.2M, need to move before next month. I'm the one deciding", "message_id": null}
        ],
        "known": {"service": {"value": "buy_apartment", "evidence": null}},
        "missing": ["budget", "timeline"],
        "reply_language": "en",
        "hours": {"open_now": false, "next_opening": "2026-11-29T06:00:00Z"},
        "knowledge": [],
        "today": "2026-11-24"
    }))
    .unwrap()
}

fn extraction_input() -> Value {
    json!({
        "service": "buy_apartment", "budget_min": null, "budget_max": 1200000, "currency": null,
        "urgency": null, "timeline": "within_1_month", "decision_maker": true, "location": "Khobar",
        "wants_human": false, "not_interested": false, "language": "en", "confidence": 0.9,
        "evidence": {"budget": "around 1.2M", "timeline": "before next month", "decision_maker": "I'm the one deciding"},
        "reply": "Thanks! A team member will call you on Sunday at 09:00 with flats in Khobar."
    })
}

fn config(pairs: &[(&str, &str)]) -> LlmConfig {
    let env: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let mut config = LlmConfig::from_lookup(|name| env.get(name).cloned()).unwrap();
    config.policy = crate::fast_policy();
    config
}

async fn server_answering(body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

fn anthropic_model(server: &MockServer) -> AnthropicModel {
    AnthropicModel::new(&config(&[
        ("ANTHROPIC_API_KEY", "sk-ant-test"),
        ("ANTHROPIC_BASE_URL", &server.uri()),
    ]))
    .unwrap()
}

#[tokio::test]
async fn qualify_returns_domain_signals_the_reply_and_priced_usage() {
    let server = server_answering(anthropic_tool_response(TOOL_NAME, extraction_input())).await;
    let model: &dyn LanguageModel = &anthropic_model(&server);

    let turn = model.qualify(&request()).await.unwrap();

    let q = &turn.qualification;
    assert_eq!(q.service.as_ref().unwrap().value, "buy_apartment");
    let budget = &q.budget.as_ref().unwrap().value;
    assert_eq!(
        (budget.max, budget.currency.as_str()),
        (Some(1_200_000.0), "SAR")
    );
    assert_eq!(q.timeline.as_ref().unwrap().value, Timeline::Within1Month);
    assert_eq!(
        q.timeline.as_ref().unwrap().evidence.as_ref().unwrap().span,
        Some((26, 43))
    );
    assert!(q.decision_maker.as_ref().unwrap().value);
    assert_eq!(q.location.as_ref().unwrap().value, "Khobar");
    assert_eq!(q.language, Some(Language::En));
    assert_eq!(q.confidence, Some(0.9));
    assert_eq!(
        turn.reply,
        "Thanks! A team member will call you on Sunday at 09:00 with flats in Khobar."
    );
    assert_eq!(
        turn.usage,
        vec![ModelUsage {
            provider: "anthropic".into(),
            model: "claude-sonnet-4-5".into(),
            input_tokens: 1000,
            output_tokens: 200,
            cache_write_tokens: 3000,
            cache_read_tokens: 0,
            cost_usd: 0.01725,
        }]
    );
    let body = &received_bodies(&server).await[0];
    let volatile = body["system"][1]["text"].as_str().unwrap();
    for expected in [
        "Today is 2026-11-24",
        "Sunday 09:00",
        "budget, timeline",
        "service = buy_apartment",
        "Answer in English",
    ] {
        assert!(
            volatile.contains(expected),
            "{expected:?} missing from {volatile}"
        );
    }
    assert!(
        body["system"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Warm and brief.")
    );
}

#[tokio::test]
async fn route_returns_the_intent_and_only_simple_replies() {
    let greeting = json!({"kind": "greeting", "language": "en", "reply": "Hello! How can we help?", "confidence": 0.95});
    let server = server_answering(anthropic_tool_response(ROUTER_TOOL_NAME, greeting)).await;
    let outcome = anthropic_model(&server).route(&request()).await.unwrap();
    assert_eq!(outcome.intent, Intent::Greeting);
    assert_eq!(outcome.reply.as_deref(), Some("Hello! How can we help?"));
    assert_eq!(outcome.usage[0].model, "claude-haiku-4-5");
    assert!((outcome.usage[0].cost_usd - 0.00575).abs() < 1e-12);
    assert_eq!(
        received_bodies(&server).await[0]["model"],
        "claude-haiku-4-5"
    );

    let info = json!({"kind": "qualification_info", "language": "en", "reply": "Noted.", "confidence": 0.8});
    let server = server_answering(anthropic_tool_response(ROUTER_TOOL_NAME, info)).await;
    let outcome = anthropic_model(&server).route(&request()).await.unwrap();
    assert_eq!(
        (outcome.intent, outcome.reply),
        (Intent::QualificationInfo, None)
    );
}

#[tokio::test]
async fn invalid_output_is_an_invalid_output_error_that_carries_its_cost() {
    let mut input = extraction_input();
    input["confidence"] = json!(7);
    let server = server_answering(anthropic_tool_response(TOOL_NAME, input)).await;

    let err = anthropic_model(&server)
        .qualify(&request())
        .await
        .unwrap_err();

    match err {
        PortError::InvalidOutput { reason, usage } => {
            assert!(reason.contains("confidence"), "{reason}");
            let cost: f64 = usage.iter().map(|u| u.cost_usd).sum();
            assert!((cost - 0.01725).abs() < 1e-9, "{usage:?}");
            assert_eq!(usage[0].provider, "anthropic");
        }
        other => panic!("expected invalid output, got {other:?}"),
    }
}

#[tokio::test]
async fn a_spend_cap_is_rate_limited_after_one_request() {
    let server = MockServer::start().await;
    let body = json!({"type": "error", "error": {"type": "rate_limit_error", "message": "monthly spend limit reached"}});
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).set_body_json(body))
        .mount(&server)
        .await;

    let err = anthropic_model(&server)
        .qualify(&request())
        .await
        .unwrap_err();

    assert!(
        matches!(&err, PortError::RateLimited(m) if m.contains("monthly spend limit reached")),
        "{err:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_configured_openai_provider_uses_its_models_and_prices() {
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
    let base = format!("{}/v1", server.uri());
    let config = config(&[
        ("LLM_PROVIDER", "openai"),
        ("OPENAI_BASE_URL", &base),
        ("LLM_QUALIFICATION_MODEL", "qwen2.5:14b"),
        ("LLM_PRICES", "qwen2.5:14b=0.5/1.5/0.5/0.25"),
    ]);
    let configured = ConfiguredModel::from_config(&config).unwrap();
    assert_eq!(configured.provider(), ProviderChoice::OpenAi);

    let turn = configured.into_port().qualify(&request()).await.unwrap();

    let usage = &turn.usage[0];
    assert_eq!(
        (usage.provider.as_str(), usage.model.as_str()),
        ("openai", "qwen2.5:14b")
    );
    assert_eq!(
        (
            usage.input_tokens,
            usage.output_tokens,
            usage.cache_read_tokens
        ),
        (176, 150, 1024)
    );
    // 176 x $0.5 + 150 x $1.5 + 1024 x $0.25 per million tokens.
    assert!(
        (usage.cost_usd - 0.000569).abs() < 1e-12,
        "{}",
        usage.cost_usd
    );
    assert_eq!(received_bodies(&server).await[0]["model"], "qwen2.5:14b");
}

#[tokio::test]
async fn without_a_key_the_offline_path_is_chosen_and_says_why() {
    let configured =
        ConfiguredModel::from_config(&config(&[("LLM_PROVIDER", "anthropic")])).unwrap();
    match &configured {
        ConfiguredModel::Offline { reason } => {
            assert!(reason.contains("ANTHROPIC_API_KEY"), "{reason}")
        }
        other => panic!("expected offline, got {other:?}"),
    }
    let port = configured.into_port();
    assert_eq!(
        port.route(&request()).await.unwrap_err(),
        PortError::NotConfigured
    );
    assert_eq!(
        port.qualify(&request()).await.unwrap_err(),
        PortError::NotConfigured
    );
}

#[tokio::test]
async fn the_published_fixtures_are_accepted_by_both_adapters() {
    use lead_llm::fixtures;
    let mut input = fixtures::qualification_input("ar", "أهلاً، كم ميزانيتك؟");
    input["service"] = json!("buy_villa");
    let anthropic = server_answering(fixtures::anthropic_tool_use(
        fixtures::TOOL_NAME,
        input.clone(),
        900,
        120,
    ))
    .await;
    let turn = anthropic_model(&anthropic)
        .qualify(&request())
        .await
        .unwrap();
    assert_eq!(turn.qualification.service.unwrap().value, "buy_villa");
    assert_eq!(turn.qualification.language, Some(Language::Ar));
    assert_eq!(
        (turn.usage[0].input_tokens, turn.usage[0].output_tokens),
        (900, 120)
    );

    let routing = fixtures::routing_input("wants_human", "en", None);
    let anthropic = server_answering(fixtures::anthropic_tool_use(
        fixtures::ROUTER_TOOL_NAME,
        routing,
        10,
        5,
    ))
    .await;
    assert_eq!(
        anthropic_model(&anthropic)
            .route(&request())
            .await
            .unwrap()
            .intent,
        Intent::WantsHuman
    );

    let openai = server_answering(fixtures::openai_tool_call(
        fixtures::TOOL_NAME,
        &input,
        50,
        20,
    ))
    .await;
    let base = openai.uri();
    let configured = ConfiguredModel::from_config(&config(&[
        ("LLM_PROVIDER", "openai"),
        ("OPENAI_BASE_URL", &base),
    ]))
    .unwrap();
    let turn = configured.qualify(&request()).await.unwrap();
    assert_eq!(turn.reply, "أهلاً، كم ميزانيتك؟");
}

#[tokio::test]
async fn a_tenant_model_choice_overrides_the_configured_model() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(wiremock::matchers::body_partial_json(
            json!({"model": "claude-opus-4-1"}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(anthropic_tool_response(TOOL_NAME, extraction_input())),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut req = request();
    req.tenant.settings.llm = Some(lead_domain::tenant::LlmOverride {
        provider: None,
        routing_model: None,
        qualification_model: Some("claude-opus-4-1".into()),
    });
    let turn = anthropic_model(&server).qualify(&req).await;
    assert!(turn.is_ok(), "{turn:?}");
}

#[tokio::test]
async fn a_tenant_can_choose_another_configured_provider_or_none() {
    let anthropic = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(anthropic_tool_response(TOOL_NAME, extraction_input())),
        )
        .expect(1)
        .mount(&anthropic)
        .await;
    let openai = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(openai_tool_response(
                TOOL_NAME,
                &extraction_input().to_string(),
            )),
        )
        .expect(1)
        .mount(&openai)
        .await;
    let openai_base = format!("{}/v1", openai.uri());
    let set = lead_llm::ProviderSet::from_config(&config(&[
        ("LLM_PROVIDER", "anthropic"),
        ("ANTHROPIC_API_KEY", "sk-ant-test"),
        ("ANTHROPIC_BASE_URL", &anthropic.uri()),
        ("OPENAI_API_KEY", "sk-openai-test"),
        ("OPENAI_BASE_URL", &openai_base),
    ]))
    .unwrap();
    let with_provider = |p| {
        let mut req = request();
        req.tenant.settings.llm = Some(lead_domain::tenant::LlmOverride {
            provider: p,
            routing_model: None,
            qualification_model: None,
        });
        req
    };
    use lead_domain::tenant::LlmProviderName;
    // The default provider, then the tenant's choice, each with its own default models.
    let default_turn = set.qualify(&with_provider(None)).await.unwrap();
    assert_eq!(default_turn.usage[0].provider, "anthropic");
    let chosen = set
        .qualify(&with_provider(Some(LlmProviderName::Openai)))
        .await
        .unwrap();
    assert_eq!(chosen.usage[0].provider, "openai");
    assert_eq!(received_bodies(&openai).await[0]["model"], "gpt-4.1");
    // Offline by choice makes no call at all.
    let offline = set
        .qualify(&with_provider(Some(LlmProviderName::Offline)))
        .await;
    assert_eq!(offline.unwrap_err(), PortError::NotConfigured);
}
