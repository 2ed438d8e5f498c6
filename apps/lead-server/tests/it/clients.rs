//! Client management: read, edit, slug conflicts, usage.

use crate::helpers::{spawn_app, test_realty_body};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn clients_can_be_read_edited_and_report_usage() {
    let app = spawn_app().await;
    let (id, _) = app.create_client(test_realty_body()).await;
    let taken = app
        .admin(Method::POST, "/api/v1/clients", Some(test_realty_body()))
        .await;
    assert_eq!((taken.status, taken.code()), (409, "conflict"));
    assert_eq!(
        taken.body["detail"], "slug already in use",
        "{}",
        taken.body
    );

    let got = app
        .admin(Method::GET, &format!("/api/v1/clients/{id}"), None)
        .await;
    assert_eq!(got.body["timezone"], "Asia/Riyadh");
    assert_eq!(got.body["qualification_rules"]["currency"], "SAR");
    assert_eq!(got.body["business_hours"]["days"]["friday"]["end"], "13:00");

    let patched = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/clients/{id}"),
            Some(json!({"name": "Test Realty KSA", "monthly_budget_usd": 50.0, "default_language": "ar",
                        "twilio": {"account_sid": format!("AC{}", "0".repeat(32)), "auth_token": "secret-token",
                                   "phone_numbers": ["+14155550100"]}})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["name"], "Test Realty KSA");
    assert_eq!(patched.body["default_language"], "ar");
    assert_eq!(patched.body["twilio"]["auth_token_set"], true);
    assert!(
        !patched.body.to_string().contains("secret-token"),
        "the auth token is write-only"
    );

    let bad = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/clients/{id}"),
            Some(json!({"timezone": "Nowhere/City"})),
        )
        .await;
    assert_eq!(
        (bad.status, bad.fields()),
        (422, vec!["timezone".to_owned()])
    );

    let usage = app
        .admin(Method::GET, &format!("/api/v1/clients/{id}/usage"), None)
        .await;
    assert_eq!(usage.status, 200, "{}", usage.body);
    assert_eq!(usage.body["total_cost_usd"], 0.0);
    assert_eq!(usage.body["budget_left_usd"], 50.0);
    let bad_month = app
        .admin(
            Method::GET,
            &format!("/api/v1/clients/{id}/usage?month=2026-13"),
            None,
        )
        .await;
    assert_eq!(bad_month.status, 422);

    let missing = app
        .admin(
            Method::GET,
            "/api/v1/clients/00000000-0000-0000-0000-000000000001",
            None,
        )
        .await;
    assert_eq!((missing.status, missing.code()), (404, "not_found"));

    // A number belongs to one client only.
    let (other, _) = app.create_realty("other-realty").await;
    let clash = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/clients/{other}"),
            Some(
                json!({"twilio": {"account_sid": format!("AC{}", "1".repeat(32)), "auth_token": "t",
                                   "phone_numbers": ["+14155550100"]}}),
            ),
        )
        .await;
    assert_eq!(
        (clash.status, clash.code()),
        (409, "conflict"),
        "{}",
        clash.body
    );
    assert_eq!(clash.body["detail"], "twilio.phone_numbers already in use");
}
