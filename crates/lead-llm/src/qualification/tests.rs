//! Tests of the qualification schema and of the validation of tool input.

use super::*;

fn keys() -> Vec<String> {
    ["buy_apartment", "buy_villa", "rent_residential"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

fn valid() -> Value {
    json!({
        "service": "buy_apartment",
        "budget_min": null,
        "budget_max": 1200000,
        "currency": "SAR",
        "urgency": null,
        "timeline": "within_1_month",
        "decision_maker": true,
        "location": "Khobar",
        "wants_human": false,
        "not_interested": false,
        "language": "en",
        "confidence": 0.86,
        "evidence": {"budget": "around 1.2M", "location": "in Khobar", "decision_maker": "I'm the one deciding"},
        "reply": "Great, a 3BR in Khobar around 1.2M. Would you like to see listings this week?"
    })
}

fn with(field: &str, value: Value) -> Value {
    let mut input = valid();
    input[field] = value;
    input
}

fn check_invalid(input: Value, expected_fragment: &str) {
    let err = parse_extraction(input, &keys()).expect_err("the input must be rejected");
    assert!(
        err.contains(expected_fragment),
        "error {err:?} should mention {expected_fragment:?}"
    );
}

#[test]
fn a_valid_input_becomes_typed_signals() {
    let e = parse_extraction(valid(), &keys()).unwrap();
    assert_eq!(e.service.as_deref(), Some("buy_apartment"));
    assert_eq!(e.budget_max, Some(1_200_000.0));
    assert_eq!(e.budget_min, None);
    assert_eq!(e.currency.as_deref(), Some("SAR"));
    assert_eq!(e.timeline, Some(Timeline::Within1Month));
    assert_eq!(e.decision_maker, Some(true));
    assert_eq!(e.language, Lang::En);
    assert_eq!(
        e.evidence.get(&Field::Budget).map(String::as_str),
        Some("around 1.2M")
    );
    assert_eq!(e.evidence.len(), 3);
}

#[test]
fn every_timeline_and_urgency_value_of_the_readme_parses() {
    for (text, expected) in [
        ("immediate", Timeline::Immediate),
        ("within_1_month", Timeline::Within1Month),
        ("1_3_months", Timeline::Months1To3),
        ("3_6_months", Timeline::Months3To6),
        ("over_6_months", Timeline::Over6Months),
    ] {
        assert_eq!(
            parse_extraction(with("timeline", json!(text)), &keys())
                .unwrap()
                .timeline,
            Some(expected)
        );
    }
    for (text, expected) in [
        ("high", Urgency::High),
        ("medium", Urgency::Medium),
        ("low", Urgency::Low),
    ] {
        assert_eq!(
            parse_extraction(with("urgency", json!(text)), &keys())
                .unwrap()
                .urgency,
            Some(expected)
        );
    }
}

#[test]
fn lowercase_currency_is_normalised_and_blank_location_is_unknown() {
    let mut input = with("currency", json!("aed"));
    input["location"] = json!("  ");
    let e = parse_extraction(input, &keys()).unwrap();
    assert_eq!(e.currency.as_deref(), Some("AED"));
    assert_eq!(e.location, None);
}

#[test]
fn out_of_schema_values_are_model_failures() {
    check_invalid(with("service", json!("buy_yacht")), "not in the catalogue");
    check_invalid(with("budget_max", json!(-5)), "budget_max");
    check_invalid(with("budget_max", json!("1.2M")), "invalid type");
    check_invalid(with("currency", json!("riyal")), "iso 4217");
    check_invalid(with("urgency", json!("asap")), "unknown variant");
    check_invalid(with("timeline", json!("next_month")), "unknown variant");
    check_invalid(with("language", json!("fr")), "unknown variant");
    check_invalid(with("confidence", json!(1.2)), "outside 0..1");
    check_invalid(with("decision_maker", json!("yes")), "invalid type");
    check_invalid(with("reply", json!("   ")), "empty");
    check_invalid(
        with("reply", json!("x".repeat(MAX_REPLY_CHARS + 1))),
        "longer",
    );
    check_invalid(
        with("evidence", json!({"mood": "happy"})),
        "unknown variant",
    );
    check_invalid(json!([1, 2]), "not an object");
}

#[test]
fn inverted_budgets_missing_and_extra_keys_are_rejected() {
    let mut inverted = with("budget_min", json!(900000));
    inverted["budget_max"] = json!(800000);
    check_invalid(inverted, "above budget_max");
    let mut missing = valid();
    missing.as_object_mut().unwrap().remove("timeline");
    check_invalid(missing, "missing field `timeline`");
    check_invalid(with("score", json!("HOT")), "unknown field");
}

#[test]
fn the_schema_limits_service_to_the_catalogue_and_requires_every_field() {
    let schema = input_schema(&keys());
    assert_eq!(
        schema["properties"]["service"]["enum"],
        json!(["buy_apartment", "buy_villa", "rent_residential", null])
    );
    assert_eq!(schema["required"].as_array().unwrap().len(), REQUIRED.len());
    assert_eq!(
        schema["properties"]["timeline"]["enum"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    assert_eq!(schema["properties"]["confidence"]["maximum"], json!(1));
    assert_eq!(schema["additionalProperties"], json!(false));
    for field in Field::ALL {
        assert!(
            schema["properties"]["evidence"]["properties"]
                .get(field.name())
                .is_some(),
            "{}",
            field.name()
        );
    }
}

#[test]
fn cited_passages_are_kept_without_brackets_blanks_or_repeats() {
    let e = parse_extraction(
        with("sources", json!(["[c1]", " c2 ", "c1", "", "[]"])),
        &keys(),
    )
    .unwrap();
    assert_eq!(e.sources, vec!["c1".to_owned(), "c2".to_owned()]);
    assert!(
        parse_extraction(valid(), &keys())
            .unwrap()
            .sources
            .is_empty()
    );
    check_invalid(with("sources", json!("c1")), "");
    let schema = input_schema(&keys());
    assert_eq!(schema["properties"]["sources"]["type"], "array");
    let many: Vec<String> = (0..20).map(|i| format!("c{i}")).collect();
    let e = parse_extraction(with("sources", json!(many)), &keys()).unwrap();
    assert_eq!(e.sources.len(), MAX_SOURCES);
}
