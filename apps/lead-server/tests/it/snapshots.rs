//! Snapshots of response bodies, with ids, keys and times redacted.

use crate::helpers::{ahmed_body, spawn_app_with, test_realty_body};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn response_bodies_keep_their_shape() {
    let app = spawn_app_with(|s| s.workers = 0).await;
    let created = app
        .admin(Method::POST, "/api/v1/clients", Some(test_realty_body()))
        .await;
    insta::assert_json_snapshot!("client_created", created.body, {
        ".id" => "[id]", ".api_key" => "[api_key]", ".widget_key" => "[widget_key]",
        ".created_at" => "[time]", ".updated_at" => "[time]",
    });
    let key = created.body["api_key"].as_str().expect("key");

    let accepted = app.web_form(key, ahmed_body(), None).await;
    insta::assert_json_snapshot!("web_form_accepted", accepted.body, {
        ".lead_id" => "[id]", ".conversation_id" => "[id]", ".message_id" => "[id]", ".job_id" => "[id]",
    });

    let lead = app
        .get_as(
            key,
            &format!(
                "/api/v1/leads/{}",
                accepted.body["lead_id"].as_str().expect("id")
            ),
        )
        .await;
    insta::assert_json_snapshot!("lead_detail", lead.body, {
        ".id" => "[id]", ".client_id" => "[id]", ".created_at" => "[time]", ".updated_at" => "[time]",
        ".conversations[].id" => "[id]", ".conversations[].client_id" => "[id]", ".conversations[].lead_id" => "[id]",
        ".conversations[].created_at" => "[time]", ".conversations[].updated_at" => "[time]",
        ".conversations[].last_inbound_at" => "[time]",
    });

    let problem = app
        .web_form(
            key,
            json!({"name": "A", "phone": "12", "extra": true}),
            None,
        )
        .await;
    insta::assert_json_snapshot!("validation_problem", problem.body);
}
