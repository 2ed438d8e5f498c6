//! Booking in the conversation against a local stand-in speaking Cal.com API v2, over HTTP:
//! settings with write-only secrets, English and Arabic dialogues from "I'd like to visit" to a
//! confirmed booking, a slot lost between offer and choice, cancellation, a calendar that is down,
//! and Cal.com's webhooks with valid, forged and replayed signatures.

use crate::helpers::{Reply, TestApp, spawn_app_with};
use chrono::{Duration, Timelike, Utc};
use lead_channels::calcom::versions;
use lead_channels::calcom::webhook::sign;
use reqwest::Method;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "cal-webhook-secret";

/// Free slots for the next eight days at 10:00 and 15:00 Riyadh time (07:00Z and 12:00Z), in
/// Cal.com's shape: a map of local date to starts written with the zone's offset.
fn slots_body() -> Value {
    let mut days = serde_json::Map::new();
    let today = Utc::now().date_naive();
    for d in 1..=8 {
        let date = today + Duration::days(d);
        let starts: Vec<Value> = [10, 15]
            .iter()
            .map(|h| json!({"start": format!("{date}T{h:02}:00:00.000+03:00")}))
            .collect();
        days.insert(date.to_string(), Value::Array(starts));
    }
    json!({"status": "success", "data": days})
}

fn booking_body(uid: &str, start: &str) -> Value {
    json!({"status": "success", "data": {
        "id": 7, "uid": uid, "title": "Viewing", "status": "accepted",
        "start": start, "end": start, "duration": 30, "eventTypeId": 123,
        "attendees": [], "hosts": []
    }})
}

async fn calcom() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/slots"))
        .and(header("cal-api-version", versions::SLOTS))
        .and(header("authorization", "Bearer cal_live_secret_key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(slots_body()))
        .mount(&server)
        .await;
    server
}

async fn app_with_calendar(server: &MockServer, slug: &str) -> (TestApp, String, String, String) {
    let uri = server.uri();
    let app = spawn_app_with(|s| s.calcom_api_base_url = uri).await;
    let (id, key, widget) = app.create_chat_client(slug, &[]).await;
    let patched = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/clients/{id}"),
            Some(json!({"booking": {
                "provider": "calcom", "api_key": "cal_live_secret_key", "event_type_id": 123,
                "webhook_secret": SECRET, "offer_for": ["HOT"], "days_ahead": 7
            }})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    (app, id, key, widget)
}

async fn chat(app: &TestApp, widget: &str, session: &str, text: &str) -> Value {
    let res = app
        .http
        .post(app.url("/webhooks/live-chat"))
        .json(&json!({"widget_key": widget, "session_id": session, "message": text}))
        .send()
        .await
        .expect("request");
    let reply = Reply::read(res).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

fn reply_text(body: &Value) -> String {
    body["reply"]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no reply in time: {body}"))
        .to_owned()
}

async fn lead_of(app: &TestApp, key: &str, conversation: &str) -> Value {
    let c = app
        .get_as(key, &format!("/api/v1/conversations/{conversation}"))
        .await;
    assert_eq!(c.status, 200, "{}", c.body);
    let lead_id = c.body["lead_id"].as_str().expect("lead_id").to_owned();
    let lead = app.get_as(key, &format!("/api/v1/leads/{lead_id}")).await;
    assert_eq!(lead.status, 200, "{}", lead.body);
    lead.body
}

#[tokio::test]
async fn settings_take_the_key_and_secret_but_never_show_them() {
    let server = calcom().await;
    let (app, id, key, _) = app_with_calendar(&server, "booking-settings").await;
    let shown = app
        .admin(Method::GET, &format!("/api/v1/clients/{id}"), None)
        .await;
    assert_eq!(shown.body["booking"]["api_key_set"], true, "{}", shown.body);
    assert_eq!(shown.body["booking"]["webhook_secret_set"], true);
    assert_eq!(shown.body["booking"]["event_type_id"], 123);
    assert_eq!(
        shown.body["booking"]["webhook_path"],
        format!("/webhooks/calcom/{id}")
    );
    let text = shown.body.to_string();
    assert!(
        !text.contains("cal_live_secret_key") && !text.contains(SECRET),
        "{text}"
    );
    // Changing one field keeps the write-only key.
    let patched = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/clients/{id}"),
            Some(json!({"booking": {"days_ahead": 3}})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["booking"]["days_ahead"], 3);
    assert_eq!(patched.body["booking"]["api_key_set"], true);
    // Bad values name their field and change nothing.
    let bad = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/clients/{id}"),
            Some(json!({"booking": {"days_ahead": 0}})),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.fields().contains(&"booking.days_ahead".to_owned()),
        "{}",
        bad.body
    );
    let _ = key;
}

#[tokio::test]
async fn an_english_lead_books_by_ordinal_after_giving_an_email_then_cancels() {
    let server = calcom().await;
    Mock::given(method("POST"))
        .and(path("/v2/bookings"))
        .and(header("cal-api-version", versions::BOOKINGS))
        .respond_with(ResponseTemplate::new(201).set_body_json(booking_body(
            "bk_en",
            &(Utc::now() + Duration::days(2)).to_rfc3339(),
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/bookings/bk_en/cancel"))
        .respond_with(ResponseTemplate::new(200).set_body_json(booking_body(
            "bk_en",
            &(Utc::now() + Duration::days(2)).to_rfc3339(),
        )))
        .expect(1)
        .mount(&server)
        .await;
    let (app, _, key, widget) = app_with_calendar(&server, "booking-en").await;

    let first = chat(
        &app,
        &widget,
        "s-en",
        "Hi, I'd like to visit your office to see some apartments",
    )
    .await;
    let offer = reply_text(&first);
    assert!(offer.contains("1) ") && offer.contains("2) "), "{offer}");
    assert!(
        offer.contains(" at 10:00 am") || offer.contains(" at 3:00 pm"),
        "{offer}"
    );
    let conversation = first["conversation_id"]
        .as_str()
        .expect("conversation")
        .to_owned();

    let chosen = reply_text(&chat(&app, &widget, "s-en", "the second one please").await);
    assert!(chosen.contains("email"), "{chosen}");

    let confirmed = reply_text(&chat(&app, &widget, "s-en", "sure, it's sara@example.com").await);
    assert!(confirmed.contains("You're booked"), "{confirmed}");
    let lead = lead_of(&app, &key, &conversation).await;
    assert_eq!(lead["state"], "APPOINTMENT_BOOKED", "{lead}");
    assert_eq!(lead["booking"]["uid"], "bk_en");
    assert_eq!(lead["booking"]["status"], "booked");

    let cancelled =
        reply_text(&chat(&app, &widget, "s-en", "Sorry, please cancel my appointment").await);
    assert!(cancelled.contains("cancelled"), "{cancelled}");
    let lead = lead_of(&app, &key, &conversation).await;
    assert_eq!(lead["state"], "QUALIFIED", "{lead}");
    assert_eq!(lead["booking"]["status"], "cancelled");
}

#[tokio::test]
async fn an_arabic_lead_whose_slot_is_taken_gets_fresh_slots_and_never_a_false_confirmation() {
    let server = calcom().await;
    // The first attempt finds the slot gone; the next one books.
    Mock::given(method("POST"))
        .and(path("/v2/bookings"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "status": "error", "timestamp": "2026-12-04T10:00:00.000Z", "path": "/v2/bookings",
            "error": {"code": "BadRequestException",
                      "message": "User either already has booking at this time or is not available"}
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/bookings"))
        .respond_with(ResponseTemplate::new(201).set_body_json(booking_body(
            "bk_ar",
            &(Utc::now() + Duration::days(3)).to_rfc3339(),
        )))
        .with_priority(2)
        .mount(&server)
        .await;
    let (app, id, key, widget) = app_with_calendar(&server, "booking-ar").await;

    let first = chat(&app, &widget, "s-ar", "السلام عليكم، ممكن أزوركم؟ أبغى موعد").await;
    let offer = reply_text(&first);
    assert!(offer.contains("أي موعد يناسبك"), "{offer}");
    assert!(offer.contains("١)") && offer.contains("الساعة"), "{offer}");
    let conversation = first["conversation_id"]
        .as_str()
        .expect("conversation")
        .to_owned();

    let taken = reply_text(&chat(&app, &widget, "s-ar", "الثاني، وايميلي ahmad@example.com").await);
    assert!(taken.contains("انحجز"), "{taken}");
    assert!(!taken.contains("تم تأكيد"), "{taken}");
    let lead = lead_of(&app, &key, &conversation).await;
    assert_ne!(lead["state"], "APPOINTMENT_BOOKED");

    let confirmed = reply_text(&chat(&app, &widget, "s-ar", "الأول").await);
    assert!(confirmed.contains("تم تأكيد موعدك"), "{confirmed}");
    let lead = lead_of(&app, &key, &conversation).await;
    assert_eq!(lead["state"], "APPOINTMENT_BOOKED", "{lead}");

    // Cal.com tells us the booking was cancelled on its side; a replay changes nothing more.
    let body = json!({"triggerEvent": "BOOKING_CANCELLED", "createdAt": "2026-12-04T10:00:00.000Z",
                      "payload": {"uid": "bk_ar", "cancellationReason": "host unavailable",
                                  "attendees": [{"name": "Ahmad", "email": "ahmad@example.com"}]}})
    .to_string();
    let send = |signature: Option<String>, client: String| {
        let mut req = app
            .http
            .post(app.url(&format!("/webhooks/calcom/{client}")))
            .header("content-type", "application/json")
            .body(body.clone());
        if let Some(sig) = signature {
            req = req.header("X-Cal-Signature-256", sig);
        }
        req
    };
    let forged = Reply::read(
        send(Some(sign("wrong-secret", body.as_bytes())), id.clone())
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(forged.status, 401, "{}", forged.body);
    let missing = Reply::read(send(None, id.clone()).send().await.expect("request")).await;
    assert_eq!(missing.status, 401);
    let unknown = Reply::read(
        send(
            Some(sign(SECRET, body.as_bytes())),
            uuid::Uuid::new_v4().to_string(),
        )
        .send()
        .await
        .expect("request"),
    )
    .await;
    assert_eq!(unknown.status, 401);
    let lead = lead_of(&app, &key, &conversation).await;
    assert_eq!(
        lead["state"], "APPOINTMENT_BOOKED",
        "forged webhooks change nothing"
    );

    let applied = Reply::read(
        send(Some(sign(SECRET, body.as_bytes())), id.clone())
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(applied.status, 200, "{}", applied.body);
    assert_eq!(applied.body["result"], "applied");
    let lead = lead_of(&app, &key, &conversation).await;
    assert_eq!(lead["state"], "QUALIFIED", "{lead}");
    let replay = Reply::read(
        send(Some(sign(SECRET, body.as_bytes())), id.clone())
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(replay.status, 200);
    assert_eq!(replay.body["result"], "duplicate", "{}", replay.body);
}

#[tokio::test]
async fn a_booking_made_on_calcom_pages_moves_the_lead_by_its_email() {
    let server = calcom().await;
    let (app, id, key, _) = app_with_calendar(&server, "booking-hook").await;
    let form = app
        .web_form(
            &key,
            json!({"name": "Mona", "phone": "+966501112299", "email": "mona@example.com",
                   "message": "I want to buy a villa in Riyadh"}),
            None,
        )
        .await;
    assert!(form.status == 200 || form.status == 202, "{}", form.body);
    let start = (Utc::now() + Duration::days(2))
        .with_nanosecond(0)
        .unwrap_or_else(Utc::now);
    let body = json!({"triggerEvent": "BOOKING_CREATED", "createdAt": Utc::now().to_rfc3339(),
                      "payload": {"uid": "bk_pages", "startTime": start.to_rfc3339(),
                                  "endTime": start.to_rfc3339(), "eventTypeId": 123,
                                  "attendees": [{"name": "Mona", "email": "mona@example.com"}]}})
    .to_string();
    let res = app
        .http
        .post(app.url(&format!("/webhooks/calcom/{id}")))
        .header("X-Cal-Signature-256", sign(SECRET, body.as_bytes()))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request");
    let applied = Reply::read(res).await;
    assert_eq!(applied.status, 200, "{}", applied.body);
    assert_eq!(applied.body["result"], "applied", "{}", applied.body);
    let lead_id = applied.body["lead_id"].as_str().expect("lead id");
    let lead = app.get_as(&key, &format!("/api/v1/leads/{lead_id}")).await;
    assert_eq!(lead.body["state"], "APPOINTMENT_BOOKED", "{}", lead.body);
    assert_eq!(lead.body["booking"]["uid"], "bk_pages");
}

#[tokio::test]
async fn when_the_calendar_is_down_the_lead_is_told_the_team_will_confirm() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/slots"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"message": "down"})))
        .mount(&server)
        .await;
    let (app, _, _, widget) = app_with_calendar(&server, "booking-down").await;
    let reply = reply_text(
        &chat(
            &app,
            &widget,
            "s-down",
            "Can I book a viewing for this week?",
        )
        .await,
    );
    assert!(reply.contains("team will confirm"), "{reply}");
}
