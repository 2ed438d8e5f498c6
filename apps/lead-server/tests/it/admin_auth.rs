//! The platform admin credential: required for client management, configured or generated.

use crate::helpers::{Reply, spawn_app, spawn_app_with, test_realty_body};
use reqwest::Method;

#[tokio::test]
async fn client_management_needs_the_admin_token() {
    let app = spawn_app().await;
    let missing = Reply::read(
        app.http
            .post(app.url("/api/v1/clients"))
            .json(&test_realty_body())
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(
        (missing.status, missing.code()),
        (401, "missing_admin_token")
    );
    let wrong = Reply::read(
        app.http
            .post(app.url("/api/v1/clients"))
            .bearer_auth("not-the-admin-token-at-all")
            .json(&test_realty_body())
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!((wrong.status, wrong.code()), (401, "invalid_admin_token"));
    // A tenant key is not an admin credential: it reads its own client only.
    let (id, key) = app.create_realty("admin-realty").await;
    let as_tenant = app.get_as(&key, &format!("/api/v1/clients/{id}")).await;
    assert_eq!(as_tenant.status, 200, "a client reads itself");
    let creating = app
        .send_as(
            &key,
            Method::POST,
            "/api/v1/clients",
            Some(test_realty_body()),
        )
        .await;
    assert_eq!(
        (creating.status, creating.code()),
        (401, "missing_admin_token")
    );
    let as_admin = app
        .admin(Method::GET, &format!("/api/v1/clients/{id}"), None)
        .await;
    assert_eq!(as_admin.status, 200);
    assert!(
        as_admin.body.get("api_key").is_none(),
        "the key is shown only once"
    );
}

#[tokio::test]
async fn a_generated_admin_token_works_and_only_its_hash_is_stored() {
    let app = spawn_app_with(|s| s.admin_token = None).await;
    let token = app
        .generated_admin_token
        .clone()
        .expect("a token is generated at first start");
    let stored =
        std::fs::read_to_string(app.dir.path().join("admin-token.sha256")).expect("digest file");
    assert!(stored.starts_with("sha256:"));
    assert!(!stored.contains(&token));
    for _ in 0..2 {
        let ok = Reply::read(
            app.http
                .post(app.url("/api/v1/clients"))
                .bearer_auth(&token)
                .json(&serde_json::json!({"name": "A", "slug": format!("a-{}", rand_suffix()), "industry": "solar", "timezone": "Asia/Dubai"}))
                .send()
                .await
                .expect("request"),
        )
        .await;
        assert_eq!(ok.status, 201, "{}", ok.body);
    }
    let wrong = Reply::read(
        app.http
            .get(app.url("/api/v1/clients/00000000-0000-0000-0000-000000000000"))
            .bearer_auth("adm_wrong")
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(wrong.status, 401);
}

fn rand_suffix() -> u32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}
