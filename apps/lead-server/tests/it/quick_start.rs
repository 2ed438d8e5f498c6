//! The seed's quick start, call for call, and the health endpoints.

use crate::helpers::{ADMIN_TOKEN, Reply, TestApp, ahmed_body, spawn_app, test_realty_body};

#[tokio::test]
async fn the_seed_quick_start_works_as_written() {
    run_quick_start(&spawn_app().await).await;
}

/// The quick start's calls, exactly as the seed writes them, against a running app.
pub async fn run_quick_start(app: &TestApp) {
    // 4. Verify installation.
    let health = app.get("/health").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body["status"], "healthy");
    assert_eq!(health.body["database"], "connected");

    // 5. Create your first client (with the admin credential added).
    let created = Reply::read(
        app.http
            .post(app.url("/api/v1/clients"))
            .header("Content-Type", "application/json")
            .header("Authorization", format!("Bearer {ADMIN_TOKEN}"))
            .body(test_realty_body().to_string())
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["name"], "Test Realty");
    assert_eq!(created.body["status"], "active");
    let api_key = created.body["api_key"]
        .as_str()
        .expect("api key in the response");
    assert!(api_key.starts_with("lk_"));

    // 6. Test lead submission.
    let accepted = Reply::read(
        app.http
            .post(app.url("/webhooks/web-form"))
            .header("Content-Type", "application/json")
            .header("X-API-Key", api_key)
            .body(ahmed_body().to_string())
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    for field in ["lead_id", "conversation_id", "message_id", "job_id"] {
        assert!(
            accepted.body[field].is_string(),
            "{field} missing in {}",
            accepted.body
        );
    }
    assert_eq!(accepted.body["lead_created"], true);

    // The lead is there.
    let lead_id = accepted.body["lead_id"].as_str().expect("lead id");
    let lead = app
        .get_as(api_key, &format!("/api/v1/leads/{lead_id}"))
        .await;
    assert_eq!(lead.status, 200, "{}", lead.body);
    assert_eq!(lead.body["name"], "Ahmed");
    assert_eq!(lead.body["phone"], "+966501234567");
    assert_eq!(lead.body["email"], "ahmed@example.com");
    assert_eq!(lead.body["source"], "web_form");
    assert_eq!(lead.body["source_detail"], "website");
    assert_eq!(
        lead.body["conversations"][0]["id"],
        accepted.body["conversation_id"]
    );
}

#[tokio::test]
async fn the_ahmed_lead_is_processed_by_the_in_process_worker() {
    let app = spawn_app().await;
    let (_, key) = app.create_realty("worker-realty").await;
    let accepted = app.web_form(&key, ahmed_body(), None).await;
    let lead_id = accepted.body["lead_id"]
        .as_str()
        .expect("lead id")
        .to_owned();
    let lead = app
        .wait_for_lead(&key, &lead_id, |l| l["state"] != "NEW")
        .await;
    assert_ne!(
        lead["state"], "NEW",
        "the worker never processed the lead: {lead}"
    );
    assert_eq!(lead["history"][0]["from"], "NEW");
    // The offline qualifier read the message; the domain scored it: service and budget known,
    // timeline and decision maker not yet, so WARM and still qualifying.
    let q = &lead["qualification"];
    assert_eq!(q["service"]["value"], "buy_apartment", "{lead}");
    assert_eq!(q["location"]["value"], "Dammam", "{lead}");
    assert_eq!(q["budget"]["value"]["max"], 800000.0, "{lead}");
    assert_eq!(q["budget"]["value"]["currency"], "SAR", "{lead}");
    assert_eq!(lead["score"], "WARM", "{lead}");
    assert_eq!(lead["state"], "QUALIFYING", "{lead}");
    // The reply is stored in the conversation, after the lead's message.
    let conversation_id = accepted.body["conversation_id"]
        .as_str()
        .expect("conversation id");
    let conversation = app
        .get_as(&key, &format!("/api/v1/conversations/{conversation_id}"))
        .await;
    let messages = conversation.body["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 2, "{}", conversation.body);
    assert_eq!(messages[0]["direction"], "inbound");
    assert_eq!(messages[1]["direction"], "outbound");
    assert_eq!(messages[1]["sender"], "ai");
    assert!(!messages[1]["body"].as_str().unwrap_or("").is_empty());
    assert_eq!(messages[1]["language"], "en");
    assert_eq!(messages[1]["channel"], "sms");
    // No SMS sender is configured in tests: the reply stays stored, suppressed with the reason.
    let mut delivery = messages[1]["delivery"].clone();
    for _ in 0..100 {
        if delivery != "pending" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let c = app
            .get_as(&key, &format!("/api/v1/conversations/{conversation_id}"))
            .await;
        delivery = c.body["messages"][1]["delivery"].clone();
    }
    // No Twilio is configured here: the reply is kept as failed, never silently suppressed, and
    // the lead shows why.
    assert_eq!(delivery, "failed");
    let lead = app.get_as(&key, &format!("/api/v1/leads/{lead_id}")).await;
    assert!(lead.body["undeliverable"].is_string(), "{}", lead.body);
}

#[tokio::test]
async fn liveness_and_readiness_answer() {
    let app = spawn_app().await;
    let live = app.get("/health/live").await;
    assert_eq!(
        (live.status, live.body["status"].as_str()),
        (200, Some("alive"))
    );
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.body["redis"], "not_configured");
    assert_eq!(
        ready.body["reply_wakeups"], "in_process",
        "SQLite wakes streams in process"
    );
    assert!(live.headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn readiness_stays_up_when_redis_is_configured_but_unreachable() {
    let app =
        crate::helpers::spawn_app_with(|s| s.redis_url = Some("redis://127.0.0.1:1".to_owned()))
            .await;
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.body["redis"], "unavailable");
    assert_eq!(ready.body["database"], "connected");
}

#[tokio::test]
async fn openapi_and_docs_are_served_without_internet_assets() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json").await;
    assert_eq!(doc.status, 200);
    for path in [
        "/webhooks/web-form",
        "/api/v1/clients",
        "/api/v1/leads/{id}",
        "/api/v1/conversations/{id}/messages",
    ] {
        assert!(
            doc.body["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    let page = app
        .http
        .get(app.url("/docs"))
        .send()
        .await
        .expect("request");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("/openapi.json"));
    assert!(
        !html.contains("https://"),
        "the docs page must not load assets from the internet"
    );
}
