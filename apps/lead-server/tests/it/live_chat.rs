//! Live chat over HTTP: the reply in the response, Arabic in and out, unknown widget keys, per-client
//! CORS, and the server-sent event stream of later replies.

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

async fn chat(app: &TestApp, body: Value, origin: Option<&str>) -> reqwest::Response {
    let mut req = app.http.post(app.url("/webhooks/live-chat")).json(&body);
    if let Some(origin) = origin {
        req = req.header("Origin", origin);
    }
    req.send().await.expect("request")
}

async fn json_of(res: reqwest::Response) -> (u16, reqwest::header::HeaderMap, Value) {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.json::<Value>().await.unwrap_or(Value::Null);
    (status, headers, body)
}

fn has_arabic(text: &str) -> bool {
    text.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

#[tokio::test]
async fn a_chat_message_gets_the_reply_in_the_response() {
    let app = spawn_app().await;
    let (_, key, widget) = app.create_chat_client("chat-reply", &[]).await;
    let res = chat(
        &app,
        json!({"widget_key": widget, "session_id": "visit-1",
               "message": "Hi, I want to buy an apartment in Riyadh"}),
        None,
    )
    .await;
    let (status, _, body) = json_of(res).await;
    assert_eq!(status, 200, "{body}");
    let text = body["reply"]["text"].as_str().expect("reply text");
    assert!(!text.trim().is_empty());
    assert_eq!(body["reply"]["language"], "en");
    assert!(!has_arabic(text), "{text}");
    let stream_url = body["stream_url"].as_str().expect("stream url");
    assert!(stream_url.starts_with("/webhooks/live-chat/stream?"));

    // The reply is the conversation's stored outbound message, not sent anywhere.
    let conversation = body["conversation_id"].as_str().expect("conversation");
    let messages = app
        .get_as(
            &key,
            &format!("/api/v1/conversations/{conversation}/messages"),
        )
        .await;
    let items = messages.body["items"].as_array().expect("items");
    let outbound: Vec<&Value> = items
        .iter()
        .filter(|m| m["direction"] == "outbound")
        .collect();
    assert_eq!(outbound.len(), 1, "{}", messages.body);
    assert_eq!(outbound[0]["body"].as_str(), Some(text));
    assert_eq!(outbound[0]["channel"], "live_chat");

    // The same session keeps its conversation; the widget key may come in the header.
    let again = app
        .http
        .post(app.url("/webhooks/live-chat"))
        .header("X-Widget-Key", &widget)
        .json(&json!({"session_id": "visit-1", "message": "My budget is 900,000 SAR"}))
        .send()
        .await
        .expect("request");
    let (status, _, second) = json_of(again).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["conversation_id"], body["conversation_id"]);
    assert!(second["reply"]["text"].is_string(), "{second}");
}

#[tokio::test]
async fn an_arabic_message_gets_an_arabic_reply() {
    let app = spawn_app().await;
    let (_, _, widget) = app.create_chat_client("chat-arabic", &[]).await;
    let res = chat(
        &app,
        json!({"widget_key": widget, "session_id": "zaer-7",
               "message": "السلام عليكم، أبغى شقة في الرياض للشراء"}),
        None,
    )
    .await;
    let (status, _, body) = json_of(res).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"]["language"], "ar", "{body}");
    let text = body["reply"]["text"].as_str().expect("reply text");
    assert!(has_arabic(text), "{text}");
}

#[tokio::test]
async fn an_unknown_widget_key_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (_, key, widget) = app.create_chat_client("chat-unknown", &[]).await;
    let res = chat(
        &app,
        json!({"widget_key": format!("{widget}x"), "session_id": "s1", "message": "hello"}),
        None,
    )
    .await;
    let (status, headers, body) = json_of(res).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "invalid_widget_key");
    assert!(
        headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/problem+json"))
    );
    let missing = chat(&app, json!({"session_id": "s1", "message": "hello"}), None).await;
    assert_eq!(missing.status().as_u16(), 401);
    let unknown_field = chat(
        &app,
        json!({"widget_key": widget, "session_id": "s1", "message": "hello", "extra": 1}),
        None,
    )
    .await;
    assert_eq!(unknown_field.status().as_u16(), 422);
    let leads = app.get_as(&key, "/api/v1/leads").await;
    assert_eq!(leads.status, 200);
    assert_eq!(leads.body["total"], 0, "{}", leads.body);
}

#[tokio::test]
async fn only_allowed_origins_get_cors_headers() {
    let app = spawn_app_with(|s| s.live_chat_wait_ms = 0).await;
    let (_, key, widget) = app
        .create_chat_client("chat-cors", &["https://shop.example"])
        .await;
    let body = json!({"widget_key": widget, "session_id": "c1", "message": "hello"});

    // Preflight from the allowed origin.
    let pre = app
        .http
        .request(
            Method::OPTIONS,
            app.url(&format!("/webhooks/live-chat?widget_key={widget}")),
        )
        .header("Origin", "https://shop.example")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type,x-widget-key",
        )
        .send()
        .await
        .expect("preflight");
    assert!(pre.status().is_success());
    assert_eq!(
        pre.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://shop.example")
    );
    let methods = pre
        .headers()
        .get("access-control-allow-methods")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(methods.contains("POST"), "{methods}");

    // Preflight from another origin: no permission.
    let pre_bad = app
        .http
        .request(
            Method::OPTIONS,
            app.url(&format!("/webhooks/live-chat?widget_key={widget}")),
        )
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .expect("preflight");
    assert!(
        pre_bad
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    let allowed = chat(&app, body.clone(), Some("https://shop.example")).await;
    assert_eq!(allowed.status().as_u16(), 200);
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://shop.example")
    );

    let refused = chat(
        &app,
        json!({"widget_key": widget, "session_id": "c2", "message": "hello"}),
        Some("https://evil.example"),
    )
    .await;
    let (status, headers, problem) = json_of(refused).await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["code"], "origin_not_allowed");
    assert!(headers.get("access-control-allow-origin").is_none());
    // Only the allowed origin's visitor became a lead.
    let leads = app.get_as(&key, "/api/v1/leads").await;
    assert_eq!(leads.body["total"], 1, "{}", leads.body);

    // The origins are changed through the client API.
    let (id, _, _) = app.create_chat_client("chat-cors-2", &[]).await;
    let patched = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/clients/{id}"),
            Some(json!({"allowed_origins": ["https://evil.example"]})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(
        patched.body["allowed_origins"],
        json!(["https://evil.example"])
    );
}

/// Reads the stream until the first `event: message` and returns its data.
async fn first_message_event(res: &mut reqwest::Response) -> Value {
    let mut buffer = String::new();
    loop {
        let chunk = res
            .chunk()
            .await
            .expect("stream chunk")
            .expect("the stream ended before a message");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if event.lines().any(|l| l == "event: message") {
                let data = event
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .expect("data line");
                return serde_json::from_str(data).expect("event data is JSON");
            }
        }
    }
}

#[tokio::test]
async fn a_reply_not_ready_in_time_arrives_on_the_stream() {
    let app = spawn_app_with(|s| s.live_chat_wait_ms = 0).await;
    let (_, key, widget) = app.create_chat_client("chat-stream", &[]).await;
    let (_, _, other_widget) = app.create_chat_client("chat-stream-other", &[]).await;
    let res = chat(
        &app,
        json!({"widget_key": widget, "session_id": "s-42", "message": "I need a villa in Jeddah"}),
        None,
    )
    .await;
    let (status, _, body) = json_of(res).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["reply"].is_null(), "a wait of 0 ms answers at once");
    let stream_url = body["stream_url"].as_str().expect("stream url");

    // Another session or another client's key cannot open this conversation.
    let conversation = body["conversation_id"].as_str().expect("conversation");
    for (k, s) in [(widget.as_str(), "s-43"), (other_widget.as_str(), "s-42")] {
        let denied = app
            .http
            .get(app.url(&format!(
                "/webhooks/live-chat/stream?widget_key={k}&session_id={s}&conversation_id={conversation}"
            )))
            .send()
            .await
            .expect("request");
        assert_eq!(denied.status().as_u16(), 404);
    }

    let mut stream = app
        .http
        .get(app.url(stream_url))
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status().as_u16(), 200);
    assert!(
        stream
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"))
    );
    let event = tokio::time::timeout(Duration::from_secs(10), first_message_event(&mut stream))
        .await
        .expect("a reply event within 10 s");
    let text = event["text"].as_str().expect("text");
    assert!(!text.is_empty());
    assert_eq!(event["language"], "en");
    assert!(event["created_at"].is_string());

    // The event is the stored reply of this conversation.
    let messages = app
        .get_as(
            &key,
            &format!("/api/v1/conversations/{conversation}/messages"),
        )
        .await;
    let reply = messages.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|m| m["direction"] == "outbound")
        .cloned()
        .expect("a stored reply");
    assert_eq!(reply["id"], event["id"]);
    assert_eq!(reply["body"], event["text"]);
}

#[tokio::test]
async fn a_conversation_a_person_owns_answers_at_once_and_streams_the_persons_reply() {
    let app = spawn_app().await;
    let (_, key, widget) = app.create_chat_client("chat-human", &[]).await;
    let first = chat(
        &app,
        json!({"widget_key": widget, "session_id": "h-1", "message": "Hello, I want an office in Riyadh"}),
        None,
    )
    .await;
    let (_, _, first) = json_of(first).await;
    let conversation = first["conversation_id"].as_str().expect("conversation");
    let base = format!("/api/v1/conversations/{conversation}");
    let escalated = app
        .send_as(
            &key,
            Method::POST,
            &format!("{base}/escalate"),
            Some(json!({})),
        )
        .await;
    assert_eq!(escalated.status, 200, "{}", escalated.body);

    // The default wait is 8 s; with a person in charge no AI reply is coming, so no waiting.
    let started = std::time::Instant::now();
    let second = chat(
        &app,
        json!({"widget_key": widget, "session_id": "h-1", "message": "Can someone call me?"}),
        None,
    )
    .await;
    let (status, _, second) = json_of(second).await;
    assert_eq!(status, 200, "{second}");
    assert!(second["reply"].is_null(), "{second}");
    assert!(started.elapsed() < Duration::from_secs(4));

    let mut stream = app
        .http
        .get(app.url(second["stream_url"].as_str().expect("stream url")))
        .send()
        .await
        .expect("stream");
    let sent = app
        .send_as(
            &key,
            Method::POST,
            &format!("{base}/messages"),
            Some(json!({"body": "Omar here, calling you in five minutes"})),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let event = tokio::time::timeout(Duration::from_secs(10), first_message_event(&mut stream))
        .await
        .expect("the person's reply within 10 s");
    assert_eq!(event["text"], "Omar here, calling you in five minutes");
    assert_eq!(event["id"], sent.body["id"]);
}
