//! Every class of bad input gets a precise problem document and stores nothing.

use crate::helpers::{Reply, TestApp, ahmed_body, spawn_app};
use serde_json::json;

async fn raw(
    app: &TestApp,
    key: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Reply {
    let mut req = app
        .http
        .post(app.url("/webhooks/web-form"))
        .header("X-API-Key", key)
        .body(body);
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    Reply::read(req.send().await.expect("request")).await
}

async fn lead_count(app: &TestApp, key: &str) -> u64 {
    app.get_as(key, "/api/v1/leads").await.body["total"]
        .as_u64()
        .expect("total")
}

#[tokio::test]
async fn json_errors_are_precise_and_store_nothing() {
    let app = spawn_app().await;
    let (_, key) = app.create_realty("validation-realty").await;
    let json_ct = Some("application/json");

    let broken = raw(&app, &key, json_ct, r#"{"name": "Ahmed", "#).await;
    assert_eq!((broken.status, broken.code()), (400, "malformed_json"));

    let not_json = raw(&app, &key, Some("text/plain"), ahmed_body().to_string()).await;
    assert_eq!(
        (not_json.status, not_json.code()),
        (415, "unsupported_media_type")
    );
    let no_type = raw(&app, &key, None, ahmed_body().to_string()).await;
    assert_eq!(no_type.status, 415);

    let mut unknown = ahmed_body();
    unknown["budget"] = json!(5);
    let unknown = app.web_form(&key, unknown, None).await;
    assert_eq!((unknown.status, unknown.code()), (422, "validation_failed"));
    assert_eq!(unknown.fields(), ["budget"]);
    assert_eq!(unknown.body["errors"][0]["code"], "unknown_field");

    let wrong_type = app
        .web_form(&key, json!({"name": 7, "phone": "+966501234567"}), None)
        .await;
    assert_eq!(
        (wrong_type.status, wrong_type.fields()),
        (422, vec!["name".to_owned()])
    );

    let huge = app
        .web_form(
            &key,
            json!({"phone": "+966501234567", "message": "x".repeat(100_000)}),
            None,
        )
        .await;
    assert_eq!((huge.status, huge.code()), (413, "payload_too_large"));

    assert_eq!(
        lead_count(&app, &key).await,
        0,
        "a rejected request stored something"
    );
}

#[tokio::test]
async fn field_errors_list_every_field_at_fault() {
    let app = spawn_app().await;
    let (_, key) = app.create_realty("fields-realty").await;

    let bad = app
        .web_form(
            &key,
            json!({"name": "", "phone": "12", "email": "not-an-email", "message": ""}),
            None,
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    // Shape checks (lengths) come first; each request reports what it can.
    assert_eq!(bad.fields(), ["message", "name"]);

    let contact = app
        .web_form(
            &key,
            json!({"name": "A", "phone": "12", "email": "not-an-email"}),
            None,
        )
        .await;
    assert_eq!(contact.status, 422);
    assert_eq!(contact.fields(), ["phone", "email"]);
    assert_eq!(contact.body["errors"][0]["code"], "invalid_phone");
    assert_eq!(contact.body["errors"][1]["code"], "invalid_email");

    let nobody = app
        .web_form(&key, json!({"name": "A", "message": "hello"}), None)
        .await;
    assert_eq!(
        (nobody.status, nobody.body["errors"][0]["code"].as_str()),
        (422, Some("required"))
    );

    let bad_key = app
        .web_form(&key, ahmed_body(), Some(&"k".repeat(300)))
        .await;
    assert_eq!(
        (bad_key.status, bad_key.fields()),
        (422, vec!["Idempotency-Key".to_owned()])
    );

    assert_eq!(lead_count(&app, &key).await, 0);
}

#[tokio::test]
async fn local_numbers_are_normalised_with_the_clients_region() {
    let app = spawn_app().await;
    let (_, key) = app.create_realty("region-realty").await;
    let accepted = app
        .web_form(&key, json!({"name": "Sara", "phone": "050 123 4567"}), None)
        .await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let lead = app
        .get_as(
            &key,
            &format!(
                "/api/v1/leads/{}",
                accepted.body["lead_id"].as_str().expect("id")
            ),
        )
        .await;
    assert_eq!(lead.body["phone"], "+966501234567");
}

#[tokio::test]
async fn unknown_routes_methods_and_ids_are_problems_too() {
    let app = spawn_app().await;
    let (_, key) = app.create_realty("routes-realty").await;
    let nowhere = app.get("/nowhere").await;
    assert_eq!((nowhere.status, nowhere.code()), (404, "route_not_found"));
    assert!(
        nowhere
            .content_type()
            .starts_with("application/problem+json")
    );
    let chat = Reply::read(
        app.http
            .post(app.url("/webhooks/live-chat"))
            .json(&json!({}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    // An empty chat message lacks its session and text: a validation problem like any other body.
    assert_eq!((chat.status, chat.code()), (422, "validation_failed"));
    let bad_id = app.get_as(&key, "/api/v1/leads/not-a-uuid").await;
    assert_eq!((bad_id.status, bad_id.code()), (404, "not_found"));
    let bad_query = app.get_as(&key, "/api/v1/leads?limit=abc").await;
    assert_eq!((bad_query.status, bad_query.code()), (400, "invalid_query"));
    let unknown_param = app.get_as(&key, "/api/v1/leads?colour=red").await;
    assert_eq!(unknown_param.status, 400);
    let method = Reply::read(
        app.http
            .delete(app.url("/webhooks/web-form"))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert!(
        method.status == 404 || method.status == 405,
        "{}",
        method.status
    );
    assert!(
        method
            .content_type()
            .starts_with("application/problem+json")
    );
    assert!(method.headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn client_creation_reports_every_bad_field() {
    let app = spawn_app().await;
    let reply = app
        .admin(
            reqwest::Method::POST,
            "/api/v1/clients",
            Some(json!({"name": "X", "slug": "Bad Slug", "industry": "real_estate", "timezone": "Mars/Base"})),
        )
        .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(reply.fields(), ["slug"]);
    let reply = app
        .admin(
            reqwest::Method::POST,
            "/api/v1/clients",
            Some(json!({"name": "X", "slug": "ok-slug", "industry": "real_estate", "timezone": "Mars/Base",
                        "business_hours": {"funday": {"start": "09:00", "end": "18:00"}}})),
        )
        .await;
    assert_eq!(reply.fields(), ["timezone"]);
    let reply = app
        .admin(
            reqwest::Method::POST,
            "/api/v1/clients",
            Some(json!({"name": "X", "slug": "ok-slug", "industry": "real_estate", "timezone": "Asia/Riyadh",
                        "business_hours": {"funday": {"start": "09:00", "end": "18:00"}}})),
        )
        .await;
    assert_eq!(reply.fields(), ["business_hours.funday"]);
    let reply = app
        .admin(
            reqwest::Method::POST,
            "/api/v1/clients",
            Some(json!({"name": "X", "slug": "ok-slug", "industry": "real_estate", "timezone": "Asia/Riyadh",
                        "business_hours": {"monday": {"start": "9am", "end": "18:00"}}})),
        )
        .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
}
