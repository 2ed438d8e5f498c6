//! The same service on PostgreSQL: the quick start, and two instances sharing one database.

use crate::helpers::{PgDatabase, ahmed_body, spawn_app_on};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn the_quick_start_works_on_postgres() {
    let Some(db) = PgDatabase::create("the_quick_start_works_on_postgres").await else {
        return;
    };
    let app = spawn_app_on(&db, |_| {}).await;
    crate::quick_start::run_quick_start(&app).await;
    db.drop_database().await;
}

#[tokio::test]
async fn two_instances_on_one_database_share_everything() {
    let Some(db) = PgDatabase::create("two_instances_on_one_database_share_everything").await
    else {
        return;
    };
    // A serves HTTP only; B also runs the worker. Neither caches keys, so rotation is seen at once.
    let a = spawn_app_on(&db, |s| {
        s.workers = 0;
        s.api_key_cache_seconds = 0;
    })
    .await;
    let b = spawn_app_on(&db, |s| {
        s.workers = 1;
        s.api_key_cache_seconds = 0;
    })
    .await;

    let (client_id, key) = a.create_realty("shared-realty").await;
    let accepted = b.web_form(&key, ahmed_body(), Some("shared-1")).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    // The replay through the other instance is recognised.
    let replay = a.web_form(&key, ahmed_body(), Some("shared-1")).await;
    assert_eq!(replay.body["duplicate"], true);
    assert_eq!(replay.body["lead_id"], accepted.body["lead_id"]);

    // B's worker processes what A can read.
    let lead_id = accepted.body["lead_id"].as_str().expect("lead");
    let lead = a
        .wait_for_lead(&key, lead_id, |l| l["state"] != "NEW")
        .await;
    assert_eq!(lead["state"], "QUALIFYING", "{lead}");
    assert_eq!(lead["score"], "WARM", "{lead}");

    // A pause through B is seen by A.
    let paused = b
        .admin(
            Method::POST,
            &format!("/api/v1/clients/{client_id}/pause"),
            None,
        )
        .await;
    assert_eq!(paused.status, 200);
    let got = a
        .admin(Method::GET, &format!("/api/v1/clients/{client_id}"), None)
        .await;
    assert_eq!(got.body["status"], "paused");

    // A rotation through A stops the old key on B.
    let rotated = a
        .admin(
            Method::POST,
            &format!("/api/v1/clients/{client_id}/rotate-api-key"),
            Some(json!({})),
        )
        .await;
    let new_key = rotated.body["api_key"].as_str().expect("key");
    assert_eq!(b.web_form(&key, ahmed_body(), None).await.status, 401);
    assert_eq!(b.web_form(new_key, ahmed_body(), None).await.status, 202);
    db.drop_database().await;
}
