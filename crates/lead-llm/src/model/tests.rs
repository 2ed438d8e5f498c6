//! Tests of the translation between domain requests, extractions and domain signals.

use std::collections::BTreeMap;

use lead_domain::qualification::{Timeline as DomainTimeline, Urgency as DomainUrgency};
use serde_json::json;

use super::*;
use crate::usage::TokenUsage;

const LEAD_MESSAGE: &str = "00000000-0000-0000-0000-00000000000c";

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
                    "buy_apartment": {"description": "buying an apartment / flat", "synonyms": ["شقة", "flat"]},
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
            {"role": "lead", "text": "Salam, looking for a 3BR flat in Khobar", "message_id": "00000000-0000-0000-0000-00000000000a"},
            {"role": "agent", "text": "Sure, what budget are you working with?", "message_id": null},
            {"role": "lead", "text": "around 1.2M, need to move before next month. I'm the one deciding", "message_id": LEAD_MESSAGE}
        ],
        "known": {"service": {"value": "buy_apartment", "evidence": null}},
        "missing": ["budget", "timeline"],
        "reply_language": "en",
        "hours": {"open_now": false, "next_opening": "2026-11-29T06:00:00Z"},
        "knowledge": ["Viewings run Sunday to Thursday."],
        "today": "2026-11-24"
    }))
    .unwrap()
}

fn extraction() -> Extraction {
    Extraction {
        service: Some("buy_apartment".into()),
        budget_min: None,
        budget_max: Some(1_200_000.0),
        currency: None,
        urgency: Some(Urgency::Medium),
        timeline: Some(Timeline::Within1Month),
        decision_maker: Some(true),
        location: Some("Khobar".into()),
        wants_human: false,
        not_interested: false,
        language: Lang::En,
        confidence: 0.75,
        evidence: BTreeMap::from([
            (Field::Budget, "around 1.2M".to_owned()),
            (Field::Location, "flat in Khobar".to_owned()),
            (Field::DecisionMaker, "I am the one who decides".to_owned()),
        ]),
        reply: "Thanks!".into(),
        sources: Vec::new(),
    }
}

#[test]
fn the_prompt_inputs_carry_the_tenant_the_turn_and_the_history() {
    let (facts, context, history) = prompt_inputs(&request());

    assert_eq!(facts.business_name, "Gulf Homes");
    assert_eq!(facts.currency, "SAR");
    assert_eq!(facts.brand_voice, "Warm and brief.");
    assert_eq!(facts.services[0].key, "buy_apartment");
    assert_eq!(
        facts.services[0].description,
        "buying an apartment / flat (leads also say: شقة, flat)"
    );
    assert_eq!(context.today, "2026-11-24");
    assert_eq!(context.language, Lang::En);
    // 06:00 UTC is 09:00 in Riyadh (UTC+3), on a Sunday.
    assert_eq!(
        context.hours,
        HoursState::Closed {
            next_opening: "Sunday 09:00".into()
        }
    );
    assert_eq!(context.unknown_fields, vec![Field::Budget, Field::Timeline]);
    assert_eq!(
        context.known,
        vec![(Field::Service, "buy_apartment".to_owned())]
    );
    assert_eq!(
        context.knowledge,
        vec!["Viewings run Sunday to Thursday.".to_owned()]
    );
    assert_eq!(history.len(), 3);
    assert_eq!(
        (history[1].role, history[2].role),
        (Role::Agent, Role::Lead)
    );
}

#[test]
fn an_extraction_becomes_domain_facts_with_located_evidence() {
    let request = request();
    let currency = request.tenant.settings.rules.currency;

    let q = to_qualification(&extraction(), &request.turns, currency);

    assert_eq!(q.service.as_ref().unwrap().value, "buy_apartment");
    let budget = q.budget.as_ref().unwrap();
    assert_eq!(
        (budget.value.min, budget.value.max),
        (None, Some(1_200_000.0))
    );
    assert_eq!(
        budget.value.currency.as_str(),
        "SAR",
        "an amount without a currency is in the tenant's"
    );
    assert!(!budget.value.confirmed);
    let evidence = budget.evidence.as_ref().unwrap();
    assert_eq!(evidence.turn, 2);
    assert_eq!(evidence.span, Some((0, 11)));
    assert_eq!(evidence.message_id.unwrap().to_string(), LEAD_MESSAGE);
    assert_eq!(&request.turns[2].text[0..11], "around 1.2M");
    let location = q.location.as_ref().unwrap();
    assert_eq!(location.value, "Khobar");
    assert_eq!(
        location.evidence.as_ref().unwrap().turn,
        0,
        "the quote is found in the turn that said it"
    );
    assert_eq!(location.evidence.as_ref().unwrap().span, Some((25, 39)));
    assert_eq!(&request.turns[0].text[25..39], "flat in Khobar");
    let decision = q
        .decision_maker
        .as_ref()
        .unwrap()
        .evidence
        .as_ref()
        .unwrap();
    assert_eq!(
        (decision.turn, decision.span),
        (2, None),
        "a paraphrase points at the newest lead turn without a span"
    );
    assert_eq!(q.urgency.as_ref().unwrap().value, DomainUrgency::Medium);
    assert_eq!(
        q.timeline.as_ref().unwrap().value,
        DomainTimeline::Within1Month
    );
    assert_eq!(q.language, Some(Language::En));
    assert_eq!(q.confidence, Some(0.75));
    assert_eq!(
        q.wants_human, None,
        "a false without words is not a statement"
    );
    assert_eq!(q.not_interested, None);
}

#[test]
fn every_timeline_maps_to_its_domain_twin() {
    for (ours, theirs) in [
        (Timeline::Immediate, DomainTimeline::Immediate),
        (Timeline::Within1Month, DomainTimeline::Within1Month),
        (Timeline::Months1To3, DomainTimeline::OneToThreeMonths),
        (Timeline::Months3To6, DomainTimeline::ThreeToSixMonths),
        (Timeline::Over6Months, DomainTimeline::OverSixMonths),
    ] {
        assert_eq!(timeline(ours), theirs);
        assert_eq!(
            theirs.as_str(),
            serde_json::to_value(ours).unwrap().as_str().unwrap()
        );
    }
}

#[test]
fn flags_a_stated_currency_and_an_empty_reading_map_as_the_domain_expects() {
    let request = request();
    let currency = request.tenant.settings.rules.currency;
    let mut e = extraction();
    e.wants_human = true;
    e.not_interested = false;
    e.evidence
        .insert(Field::NotInterested, "actually I am interested".into());
    e.currency = Some("USD".into());
    e.budget_min = Some(1000.0);
    e.budget_max = None;

    let q = to_qualification(&e, &request.turns, currency);

    assert!(q.wants_human.as_ref().unwrap().value);
    assert_eq!(
        q.not_interested.as_ref().map(|f| f.value),
        Some(false),
        "a false with words is a statement"
    );
    let budget = q.budget.unwrap().value;
    assert_eq!(
        (budget.min, budget.max, budget.currency.as_str()),
        (Some(1000.0), None, "USD")
    );

    let nothing = Extraction {
        service: None,
        budget_min: None,
        budget_max: None,
        currency: None,
        urgency: None,
        timeline: None,
        decision_maker: None,
        location: None,
        evidence: BTreeMap::new(),
        ..extraction()
    };
    let q = to_qualification(&nothing, &request.turns, currency);
    assert!(
        q.service.is_none() && q.budget.is_none() && q.timeline.is_none() && q.location.is_none()
    );
}

#[test]
fn usage_records_carry_provider_tokens_and_cost() {
    let prices = PriceTable::default();
    let usage = TokenUsage {
        input_tokens: 2000,
        output_tokens: 500,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 4000,
    };
    let call = prices.record("claude-sonnet-4-5", usage);

    let record = model_usage(Vendor::Anthropic, &call);

    assert_eq!(record.provider, "anthropic");
    assert_eq!(record.model, "claude-sonnet-4-5");
    assert_eq!(
        (
            record.input_tokens,
            record.output_tokens,
            record.cache_write_tokens,
            record.cache_read_tokens
        ),
        (2000, 500, 0, 4000)
    );
    // 2000 x $3 + 500 x $15 + 4000 x $0.30 per million tokens.
    assert!(
        (record.cost_usd - 0.0147).abs() < 1e-12,
        "{}",
        record.cost_usd
    );
    assert_eq!(model_usage(Vendor::OpenAi, &call).provider, "openai");
}

#[test]
fn every_error_maps_to_the_port_and_a_model_failure_keeps_its_cost() {
    let prices = PriceTable::default();
    let vendor = Vendor::Anthropic;
    let check = |error: LlmError, expected: fn(&PortError) -> bool| {
        let mapped = port_error(error, &prices, vendor);
        assert!(expected(&mapped), "{mapped:?}");
    };
    check(
        LlmError::NotConfigured {
            vendor,
            reason: "x".into(),
        },
        |e| *e == PortError::NotConfigured,
    );
    check(LlmError::CircuitOpen { vendor }, |e| {
        *e == PortError::CircuitOpen
    });
    check(LlmError::Timeout { vendor }, |e| *e == PortError::Timeout);
    check(
        LlmError::Connect {
            vendor,
            message: "refused".into(),
        },
        |e| matches!(e, PortError::Unavailable(m) if m.contains("refused")),
    );
    check(
        LlmError::Transport {
            vendor,
            message: "reset".into(),
        },
        |e| matches!(e, PortError::Unavailable(_)),
    );
    check(
        LlmError::Decode {
            vendor,
            message: "eof".into(),
        },
        |e| matches!(e, PortError::Unavailable(_)),
    );
    check(
        LlmError::Unavailable {
            vendor,
            status: 529,
            retry_after: None,
            message: "Overloaded".into(),
        },
        |e| matches!(e, PortError::Unavailable(m) if m.contains("529")),
    );
    check(
        LlmError::RateLimited {
            vendor,
            retry_after: None,
            message: "cap".into(),
        },
        |e| matches!(e, PortError::RateLimited(_)),
    );
    check(
        LlmError::Rejected {
            vendor,
            status: 401,
            kind: "authentication_error".into(),
            message: "bad key".into(),
        },
        |e| matches!(e, PortError::Rejected(m) if m.contains("authentication_error")),
    );
    let usage = TokenUsage {
        input_tokens: 1000,
        output_tokens: 200,
        cache_creation_input_tokens: 3000,
        cache_read_input_tokens: 0,
    };
    let failure = LlmError::ModelOutput {
        model: "claude-sonnet-4-5".into(),
        failure: crate::error::ModelFailure::SchemaViolation(
            "service \"buy_yacht\" is not in the catalogue".into(),
        ),
        usage,
    };
    check(
        failure,
        |e| matches!(e, PortError::InvalidOutput { reason, usage } if reason.contains("buy_yacht") && usage.len() == 1 && usage[0].input_tokens == 1000 && (usage[0].cost_usd - 0.01725).abs() < 1e-9),
    );
}
