//! The widget's config and history routes over HTTP: a session reads back its own live chat and
//! nothing else (not another session's, not another client's, not the same lead's other channels),
//! with the same key, origin and session checks as the chat endpoint.

use crate::helpers::{Reply, TestApp, ahmed_body, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

/// Posts a chat message and returns the answer's body.
async fn chat(app: &TestApp, body: Value) -> Value {
    let res = app
        .http
        .post(app.url("/webhooks/live-chat"))
        .json(&body)
        .send()
        .await
        .expect("request");
    let reply = Reply::read(res).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

/// `GET path` with an optional `Origin`.
async fn get(app: &TestApp, path: &str, origin: Option<&str>) -> Reply {
    let mut req = app.http.get(app.url(path));
    if let Some(origin) = origin {
        req = req.header("Origin", origin);
    }
    Reply::read(req.send().await.expect("request")).await
}

async fn history(app: &TestApp, widget: &str, session: &str, conversation: Option<&str>) -> Reply {
    let mut path = format!("/webhooks/live-chat/history?widget_key={widget}&session_id={session}");
    if let Some(c) = conversation {
        path.push_str(&format!("&conversation_id={c}"));
    }
    get(app, &path, None).await
}

fn bodies(history: &Value) -> Vec<String> {
    history["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["body"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_session_reads_back_its_own_chat_oldest_first() {
    let app = spawn_app().await;
    let (_, _, widget) = app.create_chat_client("history-own", &[]).await;
    let first = chat(
        &app,
        json!({"widget_key": widget, "session_id": "visit-a",
               "message": "Hi, I want to buy an apartment in Riyadh"}),
    )
    .await;
    let second = chat(
        &app,
        json!({"widget_key": widget, "session_id": "visit-a", "message": "Budget 900,000 SAR"}),
    )
    .await;
    let conversation = first["conversation_id"].as_str().expect("conversation");
    assert_eq!(second["conversation_id"], first["conversation_id"]);

    let own = history(&app, &widget, "visit-a", Some(conversation)).await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(own.body["conversation_id"], conversation);
    let messages = own.body["messages"].as_array().expect("messages");
    let directions: Vec<&str> = messages
        .iter()
        .map(|m| m["direction"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        directions,
        ["inbound", "outbound", "inbound", "outbound"],
        "{}",
        own.body
    );
    assert_eq!(
        messages[0]["body"],
        "Hi, I want to buy an apartment in Riyadh"
    );
    assert_eq!(messages[0]["sender"], "lead");
    assert_eq!(messages[0]["id"], first["message_id"]);
    assert_eq!(messages[1]["id"], first["reply"]["id"]);
    assert_eq!(messages[1]["body"], first["reply"]["text"]);
    assert_eq!(messages[2]["body"], "Budget 900,000 SAR");
    assert!(messages.iter().all(|m| m["sender"] != "system"));
    assert!(messages.iter().all(|m| m["created_at"].is_string()));

    // The session alone finds the same chat (`?widget_key=&session_id=`).
    let by_session = history(&app, &widget, "visit-a", None).await;
    assert_eq!(by_session.status, 200, "{}", by_session.body);
    assert_eq!(by_session.body, own.body);
    // A session that never wrote has nothing to restore.
    let fresh = history(&app, &widget, "visit-new", None).await;
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    assert_eq!(fresh.body, json!({"conversation_id": null, "messages": []}));
}

#[tokio::test]
async fn another_session_or_client_reads_nothing_of_a_conversation() {
    let app = spawn_app().await;
    let (_, _, widget) = app.create_chat_client("history-other", &[]).await;
    let (_, _, other_widget) = app.create_chat_client("history-other-2", &[]).await;
    let mine = chat(
        &app,
        json!({"widget_key": widget, "session_id": "visit-mine", "message": "I need a villa in Jeddah"}),
    )
    .await;
    let theirs = chat(
        &app,
        json!({"widget_key": widget, "session_id": "visit-theirs", "message": "Office space in Khobar"}),
    )
    .await;
    let conversation = mine["conversation_id"].as_str().expect("conversation");
    assert_ne!(theirs["conversation_id"], mine["conversation_id"]);

    // The other visitor knows the conversation id but not the session it belongs to.
    let guessed = history(&app, &widget, "visit-theirs", Some(conversation)).await;
    assert_eq!(guessed.status, 200, "{}", guessed.body);
    assert_eq!(
        guessed.body,
        json!({"conversation_id": null, "messages": []})
    );
    // Another client's key with the right session and conversation reads nothing either.
    let cross = history(&app, &other_widget, "visit-mine", Some(conversation)).await;
    assert_eq!(cross.status, 200, "{}", cross.body);
    assert_eq!(cross.body, json!({"conversation_id": null, "messages": []}));
    // A conversation id that exists nowhere.
    let unknown = history(
        &app,
        &widget,
        "visit-mine",
        Some(&uuid::Uuid::new_v4().to_string()),
    )
    .await;
    assert_eq!(unknown.body["messages"], json!([]));

    // The other visitor's own history, by its session alone, holds only its own messages.
    let own = history(&app, &widget, "visit-theirs", None).await;
    assert_eq!(own.body["conversation_id"], theirs["conversation_id"]);
    let texts = bodies(&own.body);
    assert!(
        texts.contains(&"Office space in Khobar".to_owned()),
        "{texts:?}"
    );
    assert!(
        !texts.contains(&"I need a villa in Jeddah".to_owned()),
        "{texts:?}"
    );
}

#[tokio::test]
async fn the_same_leads_other_channels_are_not_in_the_chat_history() {
    let app = spawn_app().await;
    let (_, api_key, widget) = app.create_chat_client("history-channels", &[]).await;
    let chatted = chat(
        &app,
        json!({"widget_key": widget, "session_id": "visit-ahmed",
               "message": "Hello, I want to rent a flat", "name": "Ahmed",
               "phone": "+966501234567"}),
    )
    .await;
    // The same number through the web form: the chat's number was only a claim, so the form makes
    // its own lead, and its conversation is another channel's either way.
    let form = app.web_form(&api_key, ahmed_body(), None).await;
    assert_eq!(form.status, 202, "{}", form.body);
    assert!(form.body["lead_id"].is_string());
    let leads = app.get_as(&api_key, "/api/v1/leads").await;
    assert_eq!(leads.body["total"], 2, "{}", leads.body);
    let form_conversation = form.body["conversation_id"].as_str().expect("conversation");
    assert_ne!(form.body["conversation_id"], chatted["conversation_id"]);

    let chat_history = history(
        &app,
        &widget,
        "visit-ahmed",
        chatted["conversation_id"].as_str(),
    )
    .await;
    assert_eq!(chat_history.status, 200, "{}", chat_history.body);
    let texts = bodies(&chat_history.body);
    assert!(
        texts.contains(&"Hello, I want to rent a flat".to_owned()),
        "{texts:?}"
    );
    let form_text = ahmed_body()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!texts.contains(&form_text), "{texts:?}");

    // The web form's conversation is not readable with the chat session.
    let other_channel = history(&app, &widget, "visit-ahmed", Some(form_conversation)).await;
    assert_eq!(other_channel.status, 200, "{}", other_channel.body);
    assert_eq!(
        other_channel.body,
        json!({"conversation_id": null, "messages": []})
    );
}

#[tokio::test]
async fn keys_sessions_and_origins_are_checked() {
    let app = spawn_app().await;
    let (_, _, widget) = app
        .create_chat_client("history-checks", &["https://shop.example"])
        .await;

    let unknown = history(&app, &format!("{widget}x"), "s-1", None).await;
    assert_eq!(unknown.status, 401, "{}", unknown.body);
    assert_eq!(unknown.code(), "invalid_widget_key");
    assert!(
        unknown
            .content_type()
            .starts_with("application/problem+json")
    );
    let missing = get(&app, "/webhooks/live-chat/history?session_id=s-1", None).await;
    assert_eq!(missing.status, 401, "{}", missing.body);

    let bad = history(&app, &widget, "has%20space", None).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(bad.fields(), ["session_id"]);
    let no_session = get(
        &app,
        &format!("/webhooks/live-chat/history?widget_key={widget}"),
        None,
    )
    .await;
    assert_eq!(no_session.status, 422, "{}", no_session.body);
    let bad_conversation = history(&app, &widget, "s-1", Some("not-a-uuid")).await;
    assert_eq!(bad_conversation.status, 422, "{}", bad_conversation.body);
    assert_eq!(bad_conversation.fields(), ["conversation_id"]);

    let path = format!("/webhooks/live-chat/history?widget_key={widget}&session_id=s-1");
    let refused = get(&app, &path, Some("https://evil.example")).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.code(), "origin_not_allowed");
    // The refusal is readable by the page, so the widget can say why it does not work.
    assert_eq!(
        refused
            .headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://evil.example")
    );
    let allowed = get(&app, &path, Some("https://shop.example")).await;
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    assert_eq!(
        allowed
            .headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://shop.example")
    );

    // The preflight of the history route answers like the chat endpoint's.
    let pre = app
        .http
        .request(
            Method::OPTIONS,
            app.url(&format!("/webhooks/live-chat/history?widget_key={widget}")),
        )
        .header("Origin", "https://shop.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .expect("preflight");
    assert!(pre.status().is_success());
    assert!(pre.headers().get("access-control-allow-origin").is_some());
}

#[tokio::test]
async fn the_config_names_the_business_and_greets_in_both_languages() {
    let app = spawn_app().await;
    let (_, _, widget) = app
        .create_chat_client("widget-config", &["https://shop.example"])
        .await;
    let path = format!("/webhooks/live-chat/config?widget_key={widget}");
    let config = get(&app, &path, Some("https://shop.example")).await;
    assert_eq!(config.status, 200, "{}", config.body);
    assert_eq!(config.body["business_name"], "Test Realty");
    assert_eq!(config.body["default_language"], "en");
    let en = config.body["greeting"]["en"].as_str().expect("greeting en");
    let ar = config.body["greeting"]["ar"].as_str().expect("greeting ar");
    assert!(en.contains("Test Realty"), "{en}");
    assert!(ar.contains("Test Realty"), "{ar}");
    assert!(
        ar.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
        "{ar}"
    );
    assert_eq!(
        config
            .headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://shop.example")
    );

    let refused = get(&app, &path, Some("https://evil.example")).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.code(), "origin_not_allowed");
    let unknown = get(&app, "/webhooks/live-chat/config?widget_key=wk_nope", None).await;
    assert_eq!(unknown.status, 401, "{}", unknown.body);

    // Both routes are in the OpenAPI document.
    let doc = app.get("/openapi.json").await;
    assert!(doc.body["paths"]["/webhooks/live-chat/config"]["get"].is_object());
    assert!(doc.body["paths"]["/webhooks/live-chat/history"]["get"].is_object());
}

/// The chat's lead id, found through the conversation the chat answered with.
async fn chat_lead(app: &TestApp, key: &str, conversation: &str) -> String {
    let c = app
        .get_as(key, &format!("/api/v1/conversations/{conversation}"))
        .await;
    c.body["lead_id"].as_str().expect("lead id").to_owned()
}

#[tokio::test]
async fn a_claimed_number_flags_the_duplicate_and_a_person_merges_it() {
    let app = spawn_app().await;
    let (_, key, widget) = app.create_chat_client("merge-claims", &[]).await;
    let form = app.web_form(&key, ahmed_body(), None).await;
    assert_eq!(form.status, 202, "{}", form.body);
    let owner = form.body["lead_id"].as_str().expect("lead").to_owned();
    app.wait_for_lead(&key, &owner, |l| l["state"] != "NEW")
        .await;
    // The owner's reply is still being sent (its send job updates the lead): wait until the lead
    // is settled, so a change seen below can only come from the chat's claim.
    let mut owner_before = app
        .get_as(&key, &format!("/api/v1/leads/{owner}"))
        .await
        .body;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let again = app
            .get_as(&key, &format!("/api/v1/leads/{owner}"))
            .await
            .body;
        if again["version"] == owner_before["version"] {
            break;
        }
        owner_before = again;
    }

    // A visitor types the owner's number into the chat: a claim on the chat's own lead.
    let chatted = chat(
        &app,
        json!({"widget_key": widget, "session_id": "visit-claim",
               "message": "hello, call me on 0501234567"}),
    )
    .await;
    let conversation = chatted["conversation_id"].as_str().expect("conversation");
    let visitor = chat_lead(&app, &key, conversation).await;
    assert_ne!(
        visitor, owner,
        "a claim never attaches the chat to another lead"
    );
    let lead = app
        .wait_for_lead(&key, &visitor, |l| l["possible_duplicate_of"].is_string())
        .await;
    assert_eq!(lead["claimed_phone"], "+966501234567", "{lead}");
    assert_eq!(lead["phone"], Value::Null, "{lead}");
    assert_eq!(lead["possible_duplicate_of"], owner.as_str(), "{lead}");
    let reply = chatted["reply"]["text"].as_str().unwrap_or_default();
    assert!(
        !reply.contains("Ahmed"),
        "nothing of the other lead: {reply}"
    );
    let owner_after = app.get_as(&key, &format!("/api/v1/leads/{owner}")).await;
    assert_eq!(owner_after.body["version"], owner_before["version"]);

    // Bad merges change nothing.
    let itself = app
        .send_as(
            &key,
            Method::POST,
            &format!("/api/v1/leads/{visitor}/merge"),
            Some(json!({"into": visitor})),
        )
        .await;
    assert_eq!(itself.status, 422, "{}", itself.body);
    let unknown = app
        .send_as(
            &key,
            Method::POST,
            &format!("/api/v1/leads/{visitor}/merge"),
            Some(json!({"into": "01a24216-0000-7000-8000-000000000000"})),
        )
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);

    // A person confirms: the chat moves to the owner's lead and the visitor's lead is gone.
    let merged = app
        .send_as(
            &key,
            Method::POST,
            &format!("/api/v1/leads/{visitor}/merge"),
            Some(json!({"into": owner})),
        )
        .await;
    assert_eq!(merged.status, 200, "{}", merged.body);
    assert_eq!(merged.body["id"], owner.as_str());
    assert_eq!(merged.body["claimed_phone"], "+966501234567");
    let conversations: Vec<&str> = merged.body["conversations"]
        .as_array()
        .expect("conversations")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(conversations.contains(&conversation), "{}", merged.body);
    let gone = app.get_as(&key, &format!("/api/v1/leads/{visitor}")).await;
    assert_eq!(gone.status, 404);
}

#[tokio::test]
async fn over_http_a_release_is_not_undone_by_an_old_request() {
    let app = spawn_app().await;
    let (_, key, widget) = app.create_chat_client("release-chat", &[]).await;
    let say =
        |text: &str| json!({"widget_key": widget, "session_id": "visit-release", "message": text});
    let first = chat(&app, say("Hi")).await;
    let conversation = first["conversation_id"]
        .as_str()
        .expect("conversation")
        .to_owned();
    let path = format!("/api/v1/conversations/{conversation}");
    let shown = app.get_as(&key, &path).await;
    assert_eq!(
        shown.body["escalated"], false,
        "a greeting is answered: {}",
        shown.body
    );

    chat(&app, say("can I talk to a real person?")).await;
    let shown = app.get_as(&key, &path).await;
    assert_eq!(shown.body["escalated"], true, "{}", shown.body);
    assert_eq!(shown.body["escalations"][0]["kind"], "human_requested");

    let released = app
        .send_as(&key, Method::POST, &format!("{path}/release"), None)
        .await;
    assert_eq!(released.status, 200, "{}", released.body);
    assert_eq!(released.body["escalated"], false);
    assert_eq!(released.body["escalations"][0]["released_by"], "api");

    let after = chat(&app, say("thanks. my budget is 2 million riyals")).await;
    assert!(
        after["reply"]["text"].is_string(),
        "the AI answers again: {after}"
    );
    let shown = app.get_as(&key, &path).await;
    assert_eq!(shown.body["escalated"], false, "{}", shown.body);
}
