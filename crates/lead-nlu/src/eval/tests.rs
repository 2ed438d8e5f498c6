//! Tests of the field comparison used for accuracy.

use super::*;

#[test]
fn budgets_compare_within_one_percent_and_strings_ignore_case() {
    assert!(same("budget_max", &json!(1_000_000), &json!(1_005_000.0)));
    assert!(!same("budget_max", &json!(1_000_000), &json!(1_020_000.0)));
    assert!(same("budget_min", &Value::Null, &Value::Null));
    assert!(!same("budget_min", &json!(5), &Value::Null));
    assert!(same("location", &json!("Riyadh"), &json!("riyadh ")));
    assert!(same("wants_human", &json!(false), &json!(false)));
    assert!(!same("decision_maker", &Value::Null, &json!(false)));
}
