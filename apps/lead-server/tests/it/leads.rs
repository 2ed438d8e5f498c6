//! Leads through the API: creation, pagination and filters, lifecycle (409 on illegal moves),
//! manual score, handoff and the hot list.

use crate::helpers::{ahmed_body, spawn_app_with};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn lists_are_paginated_with_totals() {
    let app = spawn_app_with(|s| s.workers = 0).await;
    let (_, key) = app.create_realty("page-realty").await;
    for i in 0..5 {
        let created = app
            .send_as(
                &key,
                Method::POST,
                "/api/v1/leads",
                Some(json!({"name": format!("Lead {i}"), "phone": format!("+96650123456{i}")})),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        assert_eq!(created.body["state"], "NEW");
    }
    let first = app.get_as(&key, "/api/v1/leads?limit=2").await;
    assert_eq!(first.body["total"], 5);
    assert_eq!(first.body["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        (first.body["limit"].as_u64(), first.body["offset"].as_u64()),
        (Some(2), Some(0))
    );
    let last = app.get_as(&key, "/api/v1/leads?limit=2&offset=4").await;
    assert_eq!(last.body["items"].as_array().map(Vec::len), Some(1));
    let beyond = app.get_as(&key, "/api/v1/leads?offset=10").await;
    assert_eq!(
        (
            beyond.body["total"].as_u64(),
            beyond.body["items"].as_array().map(Vec::len)
        ),
        (Some(5), Some(0))
    );
    // Newest first, and the pages do not overlap.
    let all = app.get_as(&key, "/api/v1/leads?limit=5").await;
    let names: Vec<&str> = all.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert_eq!(names, ["Lead 4", "Lead 3", "Lead 2", "Lead 1", "Lead 0"]);

    let zero = app.get_as(&key, "/api/v1/leads?limit=0").await;
    assert_eq!(
        (zero.status, zero.fields()),
        (422, vec!["limit".to_owned()])
    );
    let too_many = app.get_as(&key, "/api/v1/leads?limit=201").await;
    assert_eq!(too_many.status, 422);
    let filtered = app
        .get_as(
            &key,
            "/api/v1/leads?state=NEW&score=UNSCORED&source=web_form",
        )
        .await;
    assert_eq!(filtered.body["total"], 5);
    let none = app.get_as(&key, "/api/v1/leads?state=QUALIFIED").await;
    assert_eq!(none.body["total"], 0);
    let bad = app.get_as(&key, "/api/v1/leads?state=SOLD").await;
    assert_eq!((bad.status, bad.fields()), (422, vec!["state".to_owned()]));
}

#[tokio::test]
async fn the_lifecycle_refuses_illegal_moves_with_409() {
    let app = spawn_app_with(|s| s.workers = 0).await;
    let (_, key) = app.create_realty("lifecycle-realty").await;
    let lead = app
        .send_as(
            &key,
            Method::POST,
            "/api/v1/leads",
            Some(json!({"phone": "+966501234567"})),
        )
        .await;
    let id = lead.body["id"].as_str().expect("id");
    let path = format!("/api/v1/leads/{id}");

    let illegal = app
        .send_as(
            &key,
            Method::PATCH,
            &path,
            Some(json!({"state": "QUALIFIED"})),
        )
        .await;
    assert_eq!(
        (illegal.status, illegal.code()),
        (409, "illegal_transition")
    );

    let ok = app
        .send_as(
            &key,
            Method::PATCH,
            &path,
            Some(json!({"state": "QUALIFYING", "reason": "called them", "name": "Ahmed"})),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(
        (ok.body["state"].as_str(), ok.body["name"].as_str()),
        (Some("QUALIFYING"), Some("Ahmed"))
    );
    assert_eq!(ok.body["history"][0]["reason"], "called them");

    let disqualified = app
        .send_as(
            &key,
            Method::PATCH,
            &path,
            Some(json!({"state": "DISQUALIFIED"})),
        )
        .await;
    assert_eq!(disqualified.body["state"], "DISQUALIFIED");
    let handoff = app
        .send_as(&key, Method::POST, &format!("{path}/handoff"), None)
        .await;
    assert_eq!(
        (handoff.status, handoff.code()),
        (409, "illegal_transition")
    );
}

#[tokio::test]
async fn a_person_can_score_and_hand_off_a_lead() {
    let app = spawn_app_with(|s| s.workers = 0).await;
    let (client_id, key) = app.create_realty("score-realty").await;
    let accepted = app.web_form(&key, ahmed_body(), None).await;
    let id = accepted.body["lead_id"].as_str().expect("id");

    let bad = app
        .send_as(
            &key,
            Method::PATCH,
            &format!("/api/v1/leads/{id}/score"),
            Some(json!({"score": "BOILING", "reason": "x"})),
        )
        .await;
    assert_eq!((bad.status, bad.fields()), (422, vec!["score".to_owned()]));
    let scored = app
        .send_as(
            &key,
            Method::PATCH,
            &format!("/api/v1/leads/{id}/score"),
            Some(json!({"score": "hot", "reason": "cash buyer"})),
        )
        .await;
    assert_eq!(scored.status, 200, "{}", scored.body);
    assert_eq!(
        (
            scored.body["score"].as_str(),
            scored.body["score_override"].as_str()
        ),
        (Some("HOT"), Some("cash buyer"))
    );

    let hot = app
        .get_as(&key, &format!("/api/v1/leads/client/{client_id}/hot"))
        .await;
    assert_eq!(hot.body["total"], 1);
    assert_eq!(hot.body["items"][0]["id"], id);

    let handoff = app
        .send_as(
            &key,
            Method::POST,
            &format!("/api/v1/leads/{id}/handoff"),
            Some(json!({"reason": "Omar takes it"})),
        )
        .await;
    assert_eq!(handoff.status, 200, "{}", handoff.body);
    assert_eq!(handoff.body["state"], "HANDED_OFF");
    assert_eq!(handoff.body["conversations"][0]["escalated"], true);
    let conversation = accepted.body["conversation_id"]
        .as_str()
        .expect("conversation");
    let detail = app
        .get_as(&key, &format!("/api/v1/conversations/{conversation}"))
        .await;
    assert_eq!(detail.body["escalations"][0]["kind"], "manual");

    let again = app
        .send_as(
            &key,
            Method::POST,
            &format!("/api/v1/leads/{id}/handoff"),
            None,
        )
        .await;
    assert_eq!(again.status, 409);
}

#[tokio::test]
async fn conversations_take_human_messages_escalate_and_release() {
    let app = spawn_app_with(|s| s.workers = 0).await;
    let (client_id, key) = app.create_realty("conv-realty").await;
    let accepted = app.web_form(&key, ahmed_body(), None).await;
    let conversation = accepted.body["conversation_id"]
        .as_str()
        .expect("conversation");
    let base = format!("/api/v1/conversations/{conversation}");

    let sent = app
        .send_as(
            &key,
            Method::POST,
            &format!("{base}/messages"),
            Some(json!({"body": "Hello Ahmed, Omar here"})),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    assert_eq!(
        (
            sent.body["sender"].as_str(),
            sent.body["direction"].as_str()
        ),
        (Some("human"), Some("outbound"))
    );
    assert_eq!(
        (
            sent.body["channel"].as_str(),
            sent.body["delivery"].as_str()
        ),
        (Some("sms"), Some("pending"))
    );
    let empty = app
        .send_as(
            &key,
            Method::POST,
            &format!("{base}/messages"),
            Some(json!({"body": ""})),
        )
        .await;
    assert_eq!(empty.status, 422);

    let page = app
        .get_as(&key, &format!("{base}/messages?limit=1&offset=1"))
        .await;
    assert_eq!(page.body["total"], 2);
    assert_eq!(page.body["items"][0]["sender"], "human");

    let active = app
        .get_as(
            &key,
            &format!("/api/v1/conversations/client/{client_id}/active"),
        )
        .await;
    assert_eq!(active.body["total"], 1);

    let escalated = app
        .send_as(
            &key,
            Method::POST,
            &format!("{base}/escalate"),
            Some(json!({"note": "VIP"})),
        )
        .await;
    assert_eq!(escalated.status, 200, "{}", escalated.body);
    assert_eq!(escalated.body["escalated"], true);
    assert_eq!(
        escalated.body["escalations"][0]["reason"],
        "escalated by a person: VIP"
    );
    let released = app
        .send_as(&key, Method::POST, &format!("{base}/release"), None)
        .await;
    assert_eq!(released.body["escalated"], false);
    assert!(
        released.body["escalations"][0]["released_at"].is_string(),
        "{}",
        released.body
    );
}

/// A lead created through the API with a message wakes an idle worker: it is processed long
/// before the workers' next poll.
#[tokio::test]
async fn a_lead_created_with_a_message_is_processed_without_waiting_for_a_poll() {
    let app = spawn_app_with(|s| s.worker_poll_ms = 60_000).await;
    let (_, key) = app.create_realty("wake-realty").await;
    // Let the worker finish its first look at the empty queue and go idle.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let created = app
        .send_as(
            &key,
            Method::POST,
            "/api/v1/leads",
            Some(json!({
                "name": "Sara",
                "phone": "+966501112233",
                "message": "I want to buy a villa in Riyadh within a month, budget 3 million SAR"
            })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().expect("lead id").to_owned();
    let lead = app
        .wait_for_lead(&key, &id, |lead| lead["state"] != "NEW")
        .await;
    assert_ne!(lead["state"], "NEW", "still unprocessed: {lead}");
}

/// `DELETE /api/v1/leads/{id}` erases a person's data for the owning client only.
#[tokio::test]
async fn a_lead_is_erased_on_request_by_its_own_client_only() {
    let app = crate::helpers::spawn_app().await;
    let (_, key) = app.create_realty("erase-realty").await;
    let (_, other_key) = app.create_realty("erase-other").await;
    let form = app.web_form(&key, crate::helpers::ahmed_body(), None).await;
    assert_eq!(form.status, 202);
    let lead = form.body["lead_id"].as_str().expect("lead id").to_owned();
    let conversation = form.body["conversation_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/api/v1/leads/{lead}");
    let foreign = app
        .send_as(&other_key, reqwest::Method::DELETE, &path, None)
        .await;
    assert_eq!(foreign.status, 404, "another client cannot erase it");
    assert_eq!(app.get_as(&key, &path).await.status, 200);
    let erased = app
        .send_as(&key, reqwest::Method::DELETE, &path, None)
        .await;
    assert_eq!(erased.status, 204, "{}", erased.body);
    assert_eq!(app.get_as(&key, &path).await.status, 404);
    let messages = app
        .get_as(
            &key,
            &format!("/api/v1/conversations/{conversation}/messages"),
        )
        .await;
    assert_eq!(messages.status, 404, "{}", messages.body);
    let again = app
        .send_as(&key, reqwest::Method::DELETE, &path, None)
        .await;
    assert_eq!(again.status, 404);
}

/// `retention_days` is set, shown and cleared through the client's settings, within bounds.
#[tokio::test]
async fn a_client_sets_its_retention_period_within_bounds() {
    use reqwest::Method;
    let app = crate::helpers::spawn_app().await;
    let (id, _) = app.create_realty("retention-realty").await;
    let path = format!("/api/v1/clients/{id}");
    for bad in [serde_json::json!(0), serde_json::json!(3651)] {
        let reply = app
            .admin(
                Method::PATCH,
                &path,
                Some(serde_json::json!({"retention_days": bad})),
            )
            .await;
        assert_eq!(reply.status, 422, "{bad}: {}", reply.body);
        assert_eq!(reply.fields(), vec!["retention_days".to_owned()]);
    }
    let set = app
        .admin(
            Method::PATCH,
            &path,
            Some(serde_json::json!({"retention_days": 30})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.body["retention_days"], 30);
    let cleared = app
        .admin(
            Method::PATCH,
            &path,
            Some(serde_json::json!({"retention_days": null})),
        )
        .await;
    assert_eq!(cleared.body["retention_days"], serde_json::Value::Null);
}

/// Cursor pagination walks the whole list in the same order as offsets, each lead once.
#[tokio::test]
async fn cursors_walk_the_lead_list_like_offsets() {
    let app = spawn_app_with(|s| s.workers = 0).await;
    let (_, key) = app.create_realty("cursor-realty").await;
    for i in 0..7 {
        let created = app
            .send_as(
                &key,
                Method::POST,
                "/api/v1/leads",
                Some(json!({"name": format!("Lead {i}"), "phone": format!("+96650765432{i}")})),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
    }
    let ids = |page: &serde_json::Value| -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|l| l["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let everything = ids(&app.get_as(&key, "/api/v1/leads?limit=50").await.body);
    assert_eq!(everything.len(), 7);
    let mut walked = Vec::new();
    let mut path = "/api/v1/leads?limit=3".to_owned();
    for _ in 0..5 {
        let page = app.get_as(&key, &path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.body["total"], 7);
        walked.extend(ids(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/leads?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(walked, everything);
    let bad = app.get_as(&key, "/api/v1/leads?cursor=not-a-cursor").await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.fields(), vec!["cursor".to_owned()]);
    let first = app.get_as(&key, "/api/v1/leads?limit=3").await;
    let cursor = first.body["next_cursor"].as_str().expect("cursor");
    let both = app
        .get_as(&key, &format!("/api/v1/leads?offset=3&cursor={cursor}"))
        .await;
    assert_eq!(both.status, 422);
}
