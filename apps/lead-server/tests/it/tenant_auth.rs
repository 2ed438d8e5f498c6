//! Tenant API keys: missing, wrong, rotated out after the grace period, and another tenant's resources.

use crate::helpers::{ahmed_body, spawn_app};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn missing_and_wrong_keys_are_refused() {
    let app = spawn_app().await;
    app.create_realty("auth-realty").await;
    let missing = crate::helpers::Reply::read(
        app.http
            .post(app.url("/webhooks/web-form"))
            .json(&ahmed_body())
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!((missing.status, missing.code()), (401, "missing_api_key"));
    assert!(
        missing
            .content_type()
            .starts_with("application/problem+json")
    );
    let wrong = app
        .web_form("lk_definitely-not-a-key", ahmed_body(), None)
        .await;
    assert_eq!((wrong.status, wrong.code()), (401, "invalid_api_key"));
    let malformed = app.web_form("Bearer something", ahmed_body(), None).await;
    assert_eq!(
        (malformed.status, malformed.code()),
        (401, "invalid_api_key")
    );
}

#[tokio::test]
async fn a_rotated_key_works_during_the_grace_period_only() {
    let app = spawn_app().await;
    let (id, old_key) = app.create_realty("rotate-realty").await;
    assert_eq!(app.web_form(&old_key, ahmed_body(), None).await.status, 202);

    let rotated = app
        .admin(
            Method::POST,
            &format!("/api/v1/clients/{id}/rotate-api-key"),
            Some(json!({"grace_period_seconds": 1})),
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new_key = rotated.body["api_key"]
        .as_str()
        .expect("new key")
        .to_owned();
    assert_ne!(new_key, old_key);

    // Within the grace period both keys work.
    assert_eq!(app.web_form(&old_key, ahmed_body(), None).await.status, 202);
    assert_eq!(app.web_form(&new_key, ahmed_body(), None).await.status, 202);

    tokio::time::sleep(Duration::from_millis(1300)).await;
    let expired = app.web_form(&old_key, ahmed_body(), None).await;
    assert_eq!((expired.status, expired.code()), (401, "invalid_api_key"));
    assert_eq!(app.web_form(&new_key, ahmed_body(), None).await.status, 202);
}

#[tokio::test]
async fn rotation_without_grace_stops_the_old_key_at_once() {
    let app = spawn_app().await;
    let (id, old_key) = app.create_realty("rotate-now-realty").await;
    // Warm the key cache, so the test proves rotation invalidates it.
    assert_eq!(app.web_form(&old_key, ahmed_body(), None).await.status, 202);
    let rotated = app
        .admin(
            Method::POST,
            &format!("/api/v1/clients/{id}/rotate-api-key"),
            None,
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    assert_eq!(app.web_form(&old_key, ahmed_body(), None).await.status, 401);
}

#[tokio::test]
async fn another_tenants_resources_answer_404() {
    let app = spawn_app().await;
    let (a_id, a_key) = app.create_realty("tenant-a").await;
    let (_, b_key) = app.create_realty("tenant-b").await;
    let accepted = app.web_form(&a_key, ahmed_body(), None).await;
    let lead = accepted.body["lead_id"].as_str().expect("lead");
    let conversation = accepted.body["conversation_id"]
        .as_str()
        .expect("conversation");

    for path in [
        format!("/api/v1/leads/{lead}"),
        format!("/api/v1/conversations/{conversation}"),
        format!("/api/v1/conversations/{conversation}/messages"),
        format!("/api/v1/leads/client/{a_id}/hot"),
        format!("/api/v1/conversations/client/{a_id}/active"),
    ] {
        let reply = app.get_as(&b_key, &path).await;
        assert_eq!((reply.status, reply.code()), (404, "not_found"), "{path}");
        assert_eq!(app.get_as(&a_key, &path).await.status, 200, "{path}");
    }
    let patch = app
        .send_as(
            &b_key,
            Method::PATCH,
            &format!("/api/v1/leads/{lead}/score"),
            Some(json!({"score": "HOT", "reason": "x"})),
        )
        .await;
    assert_eq!(patch.status, 404);
    // B's list does not show A's lead.
    let list = app.get_as(&b_key, "/api/v1/leads").await;
    assert_eq!(list.body["total"], 0);
}

#[tokio::test]
async fn a_paused_tenant_still_stores_leads_but_queues_no_work() {
    let app = spawn_app().await;
    let (id, key) = app.create_realty("paused-realty").await;
    let paused = app
        .admin(Method::POST, &format!("/api/v1/clients/{id}/pause"), None)
        .await;
    assert_eq!(
        (paused.status, paused.body["status"].as_str()),
        (200, Some("paused"))
    );
    let accepted = app.web_form(&key, ahmed_body(), None).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    assert!(accepted.body["job_id"].is_null(), "{}", accepted.body);
    let lead = accepted.body["lead_id"].as_str().expect("lead");
    assert_eq!(
        app.get_as(&key, &format!("/api/v1/leads/{lead}"))
            .await
            .status,
        200
    );
    let active = app
        .admin(
            Method::POST,
            &format!("/api/v1/clients/{id}/activate"),
            None,
        )
        .await;
    assert_eq!(active.body["status"], "active");
    let again = app.web_form(&key, ahmed_body(), None).await;
    assert!(again.body["job_id"].is_string(), "{}", again.body);
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let app = crate::helpers::spawn_app_with(|s| s.rate_limit_per_minute = 3).await;
    let (_, key) = app.create_realty("limited-realty").await;
    for _ in 0..3 {
        assert_eq!(app.get_as(&key, "/api/v1/leads").await.status, 200);
    }
    let limited = app.get_as(&key, "/api/v1/leads").await;
    assert_eq!((limited.status, limited.code()), (429, "rate_limited"));
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry));
}

#[tokio::test]
async fn the_rate_limit_is_shared_through_redis() {
    let redis =
        std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let reachable = std::net::TcpStream::connect_timeout(
        &redis
            .trim_start_matches("redis://")
            .split('/')
            .next()
            .unwrap_or("127.0.0.1:6379")
            .parse()
            .unwrap_or_else(|_| std::net::SocketAddr::from(([127, 0, 0, 1], 6379))),
        Duration::from_secs(1),
    )
    .is_ok();
    if !reachable {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "redis at {redis} is required under CI=true"
        );
        eprintln!(
            "skipping the_rate_limit_is_shared_through_redis: redis at {redis} is unreachable"
        );
        return;
    }
    let settings = |s: &mut lead_server::config::Settings| {
        s.redis_url = Some(redis.clone());
        s.rate_limit_per_minute = 3;
    };
    let a = crate::helpers::spawn_app_with(settings).await;
    let (_, key) = a.create_realty("redis-realty").await;
    let ready = a.get("/health/ready").await;
    assert_eq!(
        (ready.status, ready.body["redis"].as_str()),
        (200, Some("connected"))
    );
    // A second instance on the same database: only Redis can make them share one counter.
    let db = format!("sqlite://{}/test.db?mode=rwc", a.dir.path().display());
    let b = crate::helpers::spawn_app_with(|s| {
        settings(s);
        s.database_url = db;
    })
    .await;
    // The window is the calendar minute; do not start just before it turns.
    let second = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() % 60)
        .unwrap_or(0);
    if second >= 55 {
        tokio::time::sleep(Duration::from_secs(61 - second)).await;
    }
    let mut statuses = Vec::new();
    for i in 0..8 {
        let app = if i % 2 == 0 { &a } else { &b };
        statuses.push(app.get_as(&key, "/api/v1/leads").await.status);
    }
    assert_eq!(&statuses[..3], &[200, 200, 200], "{statuses:?}");
    // Alternating instances, separate in-memory counters would refuse only the seventh request;
    // the shared window refuses the fourth.
    assert_eq!(statuses[3], 429, "{statuses:?}");
}
