//! The web-form webhook: idempotent submissions and repeat leads.

use crate::helpers::{ahmed_body, spawn_app};
use serde_json::json;

#[tokio::test]
async fn a_retried_submission_with_the_same_idempotency_key_is_stored_once() {
    let app = spawn_app().await;
    let (_, key) = app.create_realty("idem-realty").await;
    let first = app.web_form(&key, ahmed_body(), Some("form-123")).await;
    let second = app.web_form(&key, ahmed_body(), Some("form-123")).await;
    assert_eq!((first.status, second.status), (202, 202));
    assert_eq!(first.body["duplicate"], false);
    assert_eq!(second.body["duplicate"], true);
    for field in ["lead_id", "conversation_id", "message_id", "job_id"] {
        assert_eq!(first.body[field], second.body[field], "{field}");
    }
    let conversation = first.body["conversation_id"].as_str().expect("id");
    let messages = app
        .get_as(
            &key,
            &format!("/api/v1/conversations/{conversation}/messages"),
        )
        .await;
    let inbound = messages.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .count();
    assert_eq!(inbound, 1);

    // A different key is a new message from the same lead.
    let third = app.web_form(&key, ahmed_body(), Some("form-124")).await;
    assert_eq!(third.body["duplicate"], false);
    assert_eq!(third.body["lead_id"], first.body["lead_id"]);
    assert_ne!(third.body["message_id"], first.body["message_id"]);
}

#[tokio::test]
async fn the_same_phone_is_the_same_lead() {
    let app = spawn_app().await;
    let (_, key) = app.create_realty("repeat-realty").await;
    let a = app.web_form(&key, ahmed_body(), None).await;
    let b = app
        .web_form(
            &key,
            json!({"phone": "+966 50 123 4567", "message": "any news?"}),
            None,
        )
        .await;
    assert_eq!(a.body["lead_id"], b.body["lead_id"]);
    assert_eq!(b.body["lead_created"], false);
    assert_eq!(app.get_as(&key, "/api/v1/leads").await.body["total"], 1);
}

#[tokio::test]
async fn an_idempotency_key_reused_with_a_different_body_is_422_and_stores_nothing() {
    let app = spawn_app().await;
    let (_, key) = app.create_realty("idem-reuse-realty").await;
    let first = app.web_form(&key, ahmed_body(), Some("form-9")).await;
    assert_eq!(first.status, 202, "{}", first.body);
    let mut other = ahmed_body();
    other["message"] = json!("Actually I want a villa in Khobar");
    let reused = app.web_form(&key, other, Some("form-9")).await;
    assert_eq!(reused.status, 422, "{}", reused.body);
    assert_eq!(reused.fields(), vec!["header:Idempotency-Key".to_owned()]);
    // A faithful retry still gets the first receipt.
    let retry = app.web_form(&key, ahmed_body(), Some("form-9")).await;
    assert_eq!(retry.status, 202);
    assert_eq!(retry.body["duplicate"], true);
    let conversation = first.body["conversation_id"].as_str().expect("id");
    let messages = app
        .get_as(
            &key,
            &format!("/api/v1/conversations/{conversation}/messages"),
        )
        .await;
    let inbound: Vec<_> = messages.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .map(|m| m["body"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(inbound.len(), 1, "{inbound:?}");
    assert!(!inbound[0].contains("villa"));
}
