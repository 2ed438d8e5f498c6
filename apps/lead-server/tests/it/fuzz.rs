//! A long property test over every JSON body the service reads: whatever the bytes, parsing and
//! validation never panic, refuse with 400 or 422 only, and never let U+0000 through.
//! `PROPTEST_CASES=100000 cargo test -p lead-server --test it fuzz` runs it for longer.

use lead_server::error::ApiError;
use lead_server::extract::parse_json;
use lead_server::routes::clients::{CreateClientRequest, RotateKeyRequest, UpdateClientRequest};
use lead_server::routes::conversations::{AddMessageRequest, EscalateRequest};
use lead_server::routes::leads::{
    CreateLeadRequest, HandoffRequest, MergeRequest, ScoreRequest, UpdateLeadRequest,
};
use lead_server::routes::live_chat::LiveChatRequest;
use lead_server::routes::webhooks::WebFormRequest;
use proptest::prelude::*;
use serde_json::Value;
use validator::Validate;

/// Field names the bodies read, mixed with noise, so generated bodies reach the validators.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("name".to_owned()),
        Just("phone".to_owned()),
        Just("email".to_owned()),
        Just("message".to_owned()),
        Just("source".to_owned()),
        Just("slug".to_owned()),
        Just("industry".to_owned()),
        Just("timezone".to_owned()),
        Just("business_hours".to_owned()),
        Just("widget_key".to_owned()),
        Just("session_id".to_owned()),
        Just("body".to_owned()),
        Just("reason".to_owned()),
        Just("into".to_owned()),
        Just("score".to_owned()),
        Just("state".to_owned()),
        Just("allowed_origins".to_owned()),
        Just("twilio".to_owned()),
        ".{0,12}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("+966501234567".to_owned()),
        Just("a@example.com".to_owned()),
        Just("Asia/Riyadh".to_owned()),
        Just("09:00".to_owned()),
        Just("real_estate".to_owned()),
        Just("\u{0}".to_owned()),
        "[a-z0-9 _-]{0,20}",
        any::<String>(),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(m) => m.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// Parses and validates as the extractor does; the status it would answer.
fn outcome<T: serde::de::DeserializeOwned + Validate>(bytes: &[u8]) -> u16 {
    match parse_json::<T>(bytes) {
        Ok(value) => match value.validate() {
            Ok(()) => 200,
            Err(_) => 422,
        },
        Err(ApiError::MalformedJson(_)) => 400,
        Err(ApiError::Validation(_)) => 422,
        Err(other) => panic!("unexpected refusal {other:?}"),
    }
}

fn every_body(bytes: &[u8]) -> Vec<u16> {
    vec![
        outcome::<CreateClientRequest>(bytes),
        outcome::<UpdateClientRequest>(bytes),
        outcome::<RotateKeyRequest>(bytes),
        outcome::<AddMessageRequest>(bytes),
        outcome::<EscalateRequest>(bytes),
        outcome::<CreateLeadRequest>(bytes),
        outcome::<UpdateLeadRequest>(bytes),
        outcome::<HandoffRequest>(bytes),
        outcome::<MergeRequest>(bytes),
        outcome::<ScoreRequest>(bytes),
        outcome::<LiveChatRequest>(bytes),
        outcome::<WebFormRequest>(bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    #[test]
    fn json_bodies_never_panic_and_never_accept_nul(value in json()) {
        let bytes = serde_json::to_vec(&value).expect("serialises");
        let statuses = every_body(&bytes);
        if has_nul(&value) {
            prop_assert!(statuses.iter().all(|s| *s == 422), "{statuses:?} for {value}");
        }
    }

    #[test]
    fn raw_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        for status in every_body(&bytes) {
            prop_assert!(matches!(status, 200 | 400 | 422));
        }
    }
}
