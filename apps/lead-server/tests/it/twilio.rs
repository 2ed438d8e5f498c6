//! Twilio webhooks end to end: signed form posts in, replies out through a local server speaking
//! Twilio's REST Messages API, and status callbacks back.

use crate::helpers::{Reply, TestApp, spawn_app_with};
use lead_channels::signature::RequestValidator;
use reqwest::Method;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "tenant-auth-token";
const SMS_NUMBER: &str = "+14155550100";
const WHATSAPP_NUMBER: &str = "+14155550111";
const PUBLIC: &str = "https://leads.example.com";
const MESSAGES_PATH: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";

struct Setup {
    app: TestApp,
    twilio: MockServer,
    key: String,
}

async fn setup() -> Setup {
    let twilio = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "account_sid": ACCOUNT, "api_version": "2010-04-01", "body": "reply",
            "sid": "SM11111111111111111111111111111111", "status": "queued",
            "to": "+966501234567", "from": SMS_NUMBER, "error_code": null, "error_message": null,
        })))
        .mount(&twilio)
        .await;
    let base = twilio.uri();
    let app = spawn_app_with(move |s| {
        s.public_base_url = Some(PUBLIC.to_owned());
        s.twilio_api_base_url = base;
    })
    .await;
    let (id, key) = app
        .create_realty(&format!("twilio-{}", uuid::Uuid::new_v4().simple()))
        .await;
    let patched = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/clients/{id}"),
            Some(
                json!({"twilio": {"account_sid": ACCOUNT, "auth_token": TOKEN,
                "phone_numbers": [SMS_NUMBER], "whatsapp_numbers": [WHATSAPP_NUMBER]}}),
            ),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    Setup { app, twilio, key }
}

fn signed(path: &str, params: &[(&str, &str)], token: &str) -> String {
    let validator = RequestValidator::new(secrecy::SecretString::from(token.to_owned()));
    validator.compute_signature(&format!("{PUBLIC}{path}"), params)
}

/// Posts `params` to `path` with the signature the tenant's own token gives.
async fn post_signed(app: &TestApp, path: &str, params: &[(&str, &str)]) -> Reply {
    post_form(app, path, params, Some(signed(path, params, TOKEN))).await
}

async fn post_form(
    app: &TestApp,
    path: &str,
    params: &[(&str, &str)],
    signature: Option<String>,
) -> Reply {
    let body = serde_urlencoded_pairs(params);
    let mut req = app
        .http
        .post(app.url(path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(sig) = signature {
        req = req.header("X-Twilio-Signature", sig);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.expect("body");
    Reply {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    }
}

fn serde_urlencoded_pairs(params: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

fn sms(sid: &str, body: &str) -> Vec<(&'static str, String)> {
    vec![
        ("MessageSid", sid.to_owned()),
        ("AccountSid", ACCOUNT.to_owned()),
        ("From", "+966501234567".to_owned()),
        ("To", SMS_NUMBER.to_owned()),
        ("Body", body.to_owned()),
        ("NumMedia", "0".to_owned()),
    ]
}

fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn a_signed_sms_is_stored_once_and_answered_through_twilio() {
    let s = setup().await;
    let params = sms(
        "SM00000000000000000000000000000001",
        "Hi, I want a villa in Riyadh, budget 3M",
    );
    let p = refs(&params);
    let sig = signed("/webhooks/sms/inbound", &p, TOKEN);
    let first = post_form(&s.app, "/webhooks/sms/inbound", &p, Some(sig.clone())).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(
        first.headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/xml")
    );
    assert!(
        first
            .body
            .as_str()
            .unwrap_or("")
            .contains("<Response></Response>")
    );
    // Twilio retries the same MessageSid: processed once.
    assert_eq!(
        post_form(&s.app, "/webhooks/sms/inbound", &p, Some(sig))
            .await
            .status,
        200
    );

    let leads = s.app.get_as(&s.key, "/api/v1/leads").await;
    assert_eq!(leads.body["total"], 1, "{}", leads.body);
    let lead = &leads.body["items"][0];
    assert_eq!(
        (lead["source"].as_str(), lead["phone"].as_str()),
        (Some("sms"), Some("+966501234567"))
    );
    let lead_id = lead["id"].as_str().expect("id").to_owned();
    let detail = s
        .app
        .wait_for_lead(&s.key, &lead_id, |l| l["state"] != "NEW")
        .await;
    let conversation = detail["conversations"][0]["id"]
        .as_str()
        .expect("conversation")
        .to_owned();

    // The reply goes out through the Twilio REST API and is marked sent with Twilio's id.
    let mut reply = serde_json::Value::Null;
    for _ in 0..100 {
        let c = s
            .app
            .get_as(&s.key, &format!("/api/v1/conversations/{conversation}"))
            .await;
        reply = c.body["messages"][1].clone();
        if reply["delivery"] == "sent" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(reply["delivery"], "sent", "{reply}");
    assert_eq!(
        reply["provider_message_id"],
        "SM11111111111111111111111111111111"
    );
    let inbound_count = s
        .app
        .get_as(
            &s.key,
            &format!("/api/v1/conversations/{conversation}/messages"),
        )
        .await
        .body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .count();
    assert_eq!(inbound_count, 1);
    let requests = s.twilio.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1);
    let form = String::from_utf8_lossy(&requests[0].body).to_string();
    assert!(form.contains("To=%2B966501234567"), "{form}");
    assert!(
        form.contains(
            "StatusCallback=https%3A%2F%2Fleads.example.com%2Fwebhooks%2Ftwilio%2Fstatus"
        ),
        "{form}"
    );

    // Twilio reports delivery.
    let status = [
        ("MessageSid", "SM11111111111111111111111111111111"),
        ("AccountSid", ACCOUNT),
        ("From", SMS_NUMBER),
        ("To", "+966501234567"),
        ("MessageStatus", "delivered"),
    ];
    let sig = signed("/webhooks/twilio/status", &status, TOKEN);
    let ok = post_form(&s.app, "/webhooks/twilio/status", &status, Some(sig)).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let c = s
        .app
        .get_as(&s.key, &format!("/api/v1/conversations/{conversation}"))
        .await;
    assert_eq!(c.body["messages"][1]["delivery"], "delivered");
}

#[tokio::test]
async fn forged_unknown_and_incomplete_webhooks_store_nothing() {
    let s = setup().await;
    let params = sms("SM00000000000000000000000000000002", "hello");
    let p = refs(&params);

    let forged = post_form(
        &s.app,
        "/webhooks/sms/inbound",
        &p,
        Some(signed("/webhooks/sms/inbound", &p, "wrong-token")),
    )
    .await;
    assert_eq!(
        (forged.status, forged.body["code"].as_str()),
        (403, Some("invalid_signature"))
    );
    let unsigned = post_form(&s.app, "/webhooks/sms/inbound", &p, None).await;
    assert_eq!(unsigned.status, 403);
    // Signed for another URL (a replay against another endpoint).
    let elsewhere = post_form(
        &s.app,
        "/webhooks/sms/inbound",
        &p,
        Some(signed("/webhooks/missed-call", &p, TOKEN)),
    )
    .await;
    assert_eq!(elsewhere.status, 403);

    let mut unknown = params.clone();
    unknown[3].1 = "+14155550199".to_owned();
    let u = refs(&unknown);
    let reply = post_signed(&s.app, "/webhooks/sms/inbound", &u).await;
    // An unknown number answers exactly like a wrong signature: nothing tells which numbers
    // belong to a client.
    assert_eq!(reply.status, 403);
    assert_eq!(reply.body, forged.body);

    let missing: Vec<(&str, &str)> = p
        .iter()
        .copied()
        .filter(|(k, _)| *k != "MessageSid")
        .collect();
    let reply = post_signed(&s.app, "/webhooks/sms/inbound", &missing).await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(reply.body["errors"][0]["field"], "MessageSid");

    let json_body = Reply::read(
        s.app
            .http
            .post(s.app.url("/webhooks/sms/inbound"))
            .json(&json!({"Body": "x"}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(json_body.status, 415);

    // An SMS to the WhatsApp endpoint is refused.
    let wrong = post_signed(&s.app, "/webhooks/whatsapp/inbound", &p).await;
    assert_eq!(wrong.status, 422);

    assert_eq!(s.app.get_as(&s.key, "/api/v1/leads").await.body["total"], 0);
}

#[tokio::test]
async fn whatsapp_messages_and_missed_calls_create_leads_and_stop_opts_out() {
    let s = setup().await;
    let wa = [
        ("MessageSid", "SM00000000000000000000000000000003"),
        ("AccountSid", ACCOUNT),
        ("From", "whatsapp:+971501234567"),
        ("To", "whatsapp:+14155550111"),
        ("Body", "ابي فيلا في الرياض"),
        ("ProfileName", "Khalid"),
        ("WaId", "971501234567"),
    ];
    let ok = post_signed(&s.app, "/webhooks/whatsapp/inbound", &wa).await;
    assert_eq!(ok.status, 200, "{}", ok.body);

    let completed = [
        ("CallSid", "CA00000000000000000000000000000001"),
        ("AccountSid", ACCOUNT),
        ("From", "+966551112222"),
        ("To", SMS_NUMBER),
        ("CallStatus", "completed"),
    ];
    let reply = post_signed(&s.app, "/webhooks/missed-call", &completed).await;
    assert_eq!(reply.status, 200);
    let missed = [
        ("CallSid", "CA00000000000000000000000000000002"),
        ("AccountSid", ACCOUNT),
        ("From", "+966551113333"),
        ("To", SMS_NUMBER),
        ("CallStatus", "no-answer"),
    ];
    for _ in 0..2 {
        let reply = post_signed(&s.app, "/webhooks/missed-call", &missed).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let leads = s.app.get_as(&s.key, "/api/v1/leads").await;
    assert_eq!(
        leads.body["total"], 2,
        "a completed call creates nothing; a retried CallSid is one lead: {}",
        leads.body
    );
    let sources: Vec<&str> = leads.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|l| l["source"].as_str())
        .collect();
    assert!(
        sources.contains(&"whatsapp") && sources.contains(&"missed_call"),
        "{sources:?}"
    );
    let khalid = leads.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|l| l["source"] == "whatsapp")
        .expect("lead");
    assert_eq!(khalid["name"], "Khalid");

    // STOP opts the number out: its reply is never sent.
    let stop = [
        ("MessageSid", "SM00000000000000000000000000000004"),
        ("AccountSid", ACCOUNT),
        ("From", "+966501230000"),
        ("To", SMS_NUMBER),
        ("Body", "STOP"),
    ];
    assert_eq!(
        post_signed(&s.app, "/webhooks/sms/inbound", &stop)
            .await
            .status,
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let requests = s.twilio.received_requests().await.unwrap_or_default();
    assert!(
        requests
            .iter()
            .all(|r| !String::from_utf8_lossy(&r.body).contains("966501230000")),
        "a reply went to an opted-out number"
    );
}

#[tokio::test]
async fn a_missed_call_is_followed_up_by_sms_once_and_the_delay_is_measured() {
    let s = setup().await;
    let caller = "+966551114444";
    let missed = [
        ("CallSid", "CA00000000000000000000000000000009"),
        ("AccountSid", ACCOUNT),
        ("From", caller),
        ("To", SMS_NUMBER),
        ("CallStatus", "busy"),
    ];
    let started = std::time::Instant::now();
    for _ in 0..2 {
        let reply = post_signed(&s.app, "/webhooks/missed-call", &missed).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let to_caller = |r: &wiremock::Request| {
        url::form_urlencoded::parse(&r.body).any(|(k, v)| k == "To" && v == caller)
    };
    let mut sent = Vec::new();
    for _ in 0..200 {
        sent = s
            .twilio
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(to_caller)
            .collect();
        if !sent.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let elapsed = started.elapsed();
    assert_eq!(sent.len(), 1, "one follow-up for a retried CallSid");
    let body: String = url::form_urlencoded::parse(&sent[0].body)
        .find(|(k, _)| k == "Body")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    assert!(body.starts_with("Sorry we missed your call"), "{body}");
    // Reported, not asserted: timing depends on the machine.
    println!("missed-call callback to outbound Twilio request: {elapsed:?}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let again = s.twilio.received_requests().await.unwrap_or_default();
    assert_eq!(again.iter().filter(|r| to_caller(r)).count(), 1);
}
