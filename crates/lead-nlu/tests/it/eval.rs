//! The eval harness: prediction lines, accuracy, malformed lines skipped with their line numbers.

use lead_nlu::eval::{Profiles, run};
use serde_json::Value;

#[test]
fn predictions_and_accuracy_for_labelled_cases() {
    let profiles = Profiles::parse(crate::PROFILES).unwrap_or_else(|e| panic!("profiles: {e}"));
    let cases = [
        r#"{"id":"a","profile":"real_estate","channel":"sms","turns":[{"role":"lead","text":"flat in Riyadh, budget 900k, this week"}],"expected":{"language":"en","service":"buy_apartment","budget_min":null,"budget_max":900000,"currency":"SAR","urgency":null,"timeline":"immediate","decision_maker":null,"location":"Riyadh","wants_human":false,"not_interested":false,"score":"HOT"}}"#,
        "this is not json",
        r#"{"id":"b","profile":"nope","turns":[]}"#,
        r#"{"id":"c","profile":"solar","channel":"web_form","turns":[{"role":"lead","text":"مرحبا"}]}"#,
        r#"[1,2]"#,
    ]
    .join("\n");
    let report = run(&cases, &profiles);
    assert_eq!(report.predictions.len(), 2);
    assert_eq!(report.labelled, 1);
    let lines: Vec<usize> = report.skipped.iter().map(|s| s.line).collect();
    assert_eq!(lines, vec![2, 3, 5]);
    let (_, overall) = report.accuracy().unwrap_or_default();
    assert!((overall - 1.0).abs() < 1e-9, "{}", report.summary());
    let first: Value = serde_json::from_str(&report.predictions[0]).unwrap_or_default();
    assert_eq!(first["id"], "a");
    assert_eq!(first["predicted"].as_object().map(|o| o.len()), Some(12));
}

#[test]
fn a_bad_profiles_file_is_an_error_not_a_panic() {
    assert!(Profiles::parse("{").is_err());
    assert!(Profiles::parse(r#"{"profiles":{}}"#).is_err());
    assert!(
        Profiles::parse(r#"{"reference_date":"2026-11-24","profiles":{"x":{"currency":"SAR"}}}"#)
            .is_err()
    );
}

/// Conversations written for these tests (not the dev set), labelled by the README rules.
const OWN_CASES: &str = include_str!("cases.jsonl");

#[test]
fn own_labelled_conversations_score_high_on_every_field() {
    let profiles = Profiles::parse(crate::PROFILES).unwrap_or_else(|e| panic!("profiles: {e}"));
    let report = run(OWN_CASES, &profiles);
    assert!(report.skipped.is_empty(), "{}", report.summary());
    assert_eq!(report.labelled, 104);
    let (per, overall) = report.accuracy().unwrap_or_default();
    assert!(overall >= 0.97, "{}", report.summary());
    for (field, acc) in per {
        assert!(acc >= 0.9, "{field} {acc:.3}\n{}", report.summary());
    }
}
