//! One trace from the webhook to the reply, as an operator's collector sees it: the real binary
//! exports spans over OTLP/HTTP (`http/json`) to a local collector stand-in while a signed SMS
//! webhook is answered by the model (a local server speaking Anthropic's Messages API) and the
//! reply goes out through a local server speaking Twilio's REST API. The caller's `traceparent`
//! is continued, the job queue carries the context, and both outgoing calls carry a
//! `traceparent` naming the client span that made them.

use crate::helpers::{ADMIN_TOKEN, TestApp};
use lead_channels::signature::RequestValidator;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_lead-server");
const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "tenant-auth-token";
const SMS_NUMBER: &str = "+14155550100";
const PUBLIC: &str = "https://leads.example.com";
const MESSAGES_PATH: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";
/// The caller's trace and span, as an upstream proxy or SDK would send them.
const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// OTLP span kinds as the JSON encoding writes them.
const KIND_SERVER: i64 = 2;
const KIND_CLIENT: i64 = 3;
const KIND_CONSUMER: i64 = 5;

/// A span as the collector received it.
#[derive(Debug, Clone)]
struct Span {
    trace_id: String,
    span_id: String,
    parent: String,
    name: String,
    kind: i64,
    attributes: BTreeMap<String, Value>,
}

fn attributes(list: &Value) -> BTreeMap<String, Value> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|kv| {
            let key = kv["key"].as_str()?.to_owned();
            let value = kv["value"].as_object()?.values().next()?.clone();
            Some((key, value))
        })
        .collect()
}

fn kind_of(value: &Value) -> i64 {
    match value {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => match s.as_str() {
            "SPAN_KIND_SERVER" => KIND_SERVER,
            "SPAN_KIND_CLIENT" => KIND_CLIENT,
            "SPAN_KIND_CONSUMER" => KIND_CONSUMER,
            _ => 0,
        },
        _ => 0,
    }
}

async fn exported(collector: &MockServer) -> Vec<Span> {
    let requests = collector.received_requests().await.unwrap_or_default();
    let mut spans = Vec::new();
    for request in requests {
        let body: Value = serde_json::from_slice(&request.body).expect("an OTLP/JSON body");
        for resource_spans in body["resourceSpans"].as_array().into_iter().flatten() {
            for scope in resource_spans["scopeSpans"]
                .as_array()
                .into_iter()
                .flatten()
            {
                for span in scope["spans"].as_array().into_iter().flatten() {
                    spans.push(Span {
                        trace_id: span["traceId"].as_str().unwrap_or_default().to_owned(),
                        span_id: span["spanId"].as_str().unwrap_or_default().to_owned(),
                        parent: span["parentSpanId"].as_str().unwrap_or_default().to_owned(),
                        name: span["name"].as_str().unwrap_or_default().to_owned(),
                        kind: kind_of(&span["kind"]),
                        attributes: attributes(&span["attributes"]),
                    });
                }
            }
        }
    }
    spans
}

/// The `traceparent` header of a request the stand-ins received, split into trace and span id.
fn traceparent(request: &Request) -> (String, String) {
    let value = request
        .headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no traceparent on {} {}", request.method, request.url));
    let parts: Vec<&str> = value.split('-').collect();
    assert_eq!(parts.len(), 4, "a W3C traceparent: {value}");
    assert_eq!(parts[0], "00", "{value}");
    (parts[1].to_owned(), parts[2].to_owned())
}

fn tool_use(name: &str, input: Value) -> Value {
    json!({
        "id": "msg_01LocalFake", "type": "message", "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "tool_use", "id": "toolu_01LocalFake", "name": name, "input": input}],
        "stop_reason": "tool_use", "stop_sequence": null,
        "usage": {"input_tokens": 400, "output_tokens": 30,
                  "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    })
}

async fn anthropic() -> MockServer {
    let server = MockServer::start().await;
    let routing =
        json!({"kind": "qualification_info", "language": "en", "reply": null, "confidence": 0.95});
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(body_partial_json(
            json!({"tool_choice": {"type": "tool", "name": lead_llm::router::ROUTER_TOOL_NAME}}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(tool_use(lead_llm::router::ROUTER_TOOL_NAME, routing)),
        )
        .mount(&server)
        .await;
    let qualification = json!({
        "service": "buy_villa", "budget_min": null, "budget_max": 3000000, "currency": "SAR",
        "urgency": null, "timeline": null, "decision_maker": null, "location": "Riyadh",
        "wants_human": false, "not_interested": false, "language": "en", "confidence": 0.9,
        "evidence": {"budget": "budget 3M", "location": "in Riyadh"},
        "reply": "Thanks! We have villas in Riyadh around 3M SAR. When would you like to move?"
    });
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(body_partial_json(
            json!({"tool_choice": {"type": "tool", "name": lead_llm::qualification::TOOL_NAME}}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(tool_use(lead_llm::qualification::TOOL_NAME, qualification)),
        )
        .mount(&server)
        .await;
    server
}

async fn twilio() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "account_sid": ACCOUNT, "api_version": "2010-04-01", "body": "reply",
            "sid": "SM11111111111111111111111111111111", "status": "queued",
            "to": "+966501234567", "from": SMS_NUMBER, "error_code": null, "error_message": null,
        })))
        .mount(&server)
        .await;
    server
}

async fn collector() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/traces"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    server
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The server binary, stopped (SIGTERM, so buffered spans are sent) when dropped.
struct Server(Child);

impl Server {
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

async fn start(
    collector: &MockServer,
    anthropic: &MockServer,
    twilio: &MockServer,
) -> (Server, TestApp) {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let mut cmd = Command::new(BIN);
    cmd.arg("serve").current_dir(dir.path());
    for key in lead_server::config::ENV_KEYS {
        cmd.env_remove(key);
    }
    cmd.env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/trace.db?mode=rwc", dir.path().display()),
        )
        .env("DATA_DIR", dir.path())
        .env("ADMIN_TOKEN", ADMIN_TOKEN)
        .env("WORKERS", "1")
        .env("WORKER_POLL_MS", "25")
        .env("LLM_PROVIDER", "anthropic")
        .env("ANTHROPIC_API_KEY", "sk-ant-local")
        .env("ANTHROPIC_BASE_URL", anthropic.uri())
        .env("TWILIO_API_BASE_URL", twilio.uri())
        .env("PUBLIC_BASE_URL", PUBLIC)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.uri())
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let server = Server(cmd.spawn().expect("the server starts"));
    let app = TestApp {
        address: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::new(),
        generated_admin_token: None,
        dir,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(res) = app.http.get(app.url("/health/ready")).send().await
            && res.status().is_success()
        {
            break;
        }
        assert!(Instant::now() < deadline, "the server did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (server, app)
}

/// The span's ancestors within `spans`, nearest first; stops where a parent was not exported.
fn ancestors<'a>(span: &Span, by_id: &HashMap<&str, &'a Span>) -> Vec<&'a Span> {
    let mut chain = Vec::new();
    let mut parent = span.parent.as_str();
    while let Some(p) = by_id.get(parent) {
        chain.push(*p);
        parent = p.parent.as_str();
    }
    chain
}

#[tokio::test]
async fn one_trace_runs_from_the_webhook_through_the_queue_to_the_model_and_the_sms() {
    let collector = collector().await;
    let anthropic = anthropic().await;
    let twilio = twilio().await;
    let (mut server, app) = start(&collector, &anthropic, &twilio).await;

    let (id, _key) = app.create_realty("traced-realty").await;
    let patched = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/clients/{id}"),
            Some(
                json!({"twilio": {"account_sid": ACCOUNT, "auth_token": TOKEN,
                "phone_numbers": [SMS_NUMBER]}}),
            ),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);

    let params = [
        ("MessageSid", "SM00000000000000000000000000000001"),
        ("AccountSid", ACCOUNT),
        ("From", "+966501234567"),
        ("To", SMS_NUMBER),
        ("Body", "Hi, I want a villa in Riyadh, budget 3M"),
        ("NumMedia", "0"),
    ];
    let signature = RequestValidator::new(secrecy::SecretString::from(TOKEN.to_owned()))
        .compute_signature(&format!("{PUBLIC}/webhooks/sms/inbound"), &params);
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let res = app
        .http
        .post(app.url("/webhooks/sms/inbound"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("X-Twilio-Signature", signature)
        .header("traceparent", format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01"))
        .body(body)
        .send()
        .await
        .expect("the webhook is answered");
    assert_eq!(res.status().as_u16(), 200);

    let deadline = Instant::now() + Duration::from_secs(30);
    while twilio
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "no SMS reached the Twilio stand-in"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Stopping sends the spans still buffered.
    tokio::task::spawn_blocking(move || server.stop())
        .await
        .expect("the server stops");

    let spans = exported(&collector).await;
    if std::env::var_os("TRACE_DEBUG").is_some() {
        for s in &spans {
            eprintln!("{} {} {} {}", s.trace_id, s.span_id, s.parent, s.name);
        }
    }
    let trace: Vec<&Span> = spans
        .iter()
        .filter(|s| s.trace_id == CALLER_TRACE)
        .collect();
    let by_id: HashMap<&str, &Span> = trace.iter().map(|s| (s.span_id.as_str(), *s)).collect();
    let names: Vec<&str> = trace.iter().map(|s| s.name.as_str()).collect();

    // The webhook's server span continues the caller's trace, named by its route.
    let intake = trace
        .iter()
        .find(|s| s.name == "POST /webhooks/sms/inbound")
        .unwrap_or_else(|| panic!("no intake span in the caller's trace: {names:?}"));
    assert_eq!(intake.kind, KIND_SERVER);
    assert_eq!(intake.parent, CALLER_SPAN);
    assert_eq!(
        intake.attributes.get("http.request.method"),
        Some(&json!("POST"))
    );
    assert_eq!(
        intake.attributes.get("http.route"),
        Some(&json!("/webhooks/sms/inbound"))
    );
    assert_eq!(
        intake.attributes.get("url.path"),
        Some(&json!("/webhooks/sms/inbound"))
    );
    let status = intake.attributes.get("http.response.status_code");
    assert!(
        status == Some(&json!(200)) || status == Some(&json!("200")),
        "{status:?}"
    );

    // The queued jobs run in consumer spans of the same trace, below the intake.
    let jobs: Vec<&&Span> = trace
        .iter()
        .filter(|s| s.name.starts_with("job "))
        .collect();
    assert!(jobs.len() >= 2, "an inbound job and a send job: {names:?}");
    for job in &jobs {
        assert_eq!(job.kind, KIND_CONSUMER, "{job:?}");
        assert!(
            ancestors(job, &by_id)
                .iter()
                .any(|a| a.span_id == intake.span_id),
            "{} does not descend from the intake: {names:?}",
            job.name
        );
    }

    // The model call is a client span below a job, and its request carried that span's context.
    let model = trace
        .iter()
        .find(|s| s.name == "POST /v1/messages")
        .unwrap_or_else(|| panic!("no model call span: {names:?}"));
    assert_eq!(model.kind, KIND_CLIENT);
    assert_eq!(
        model.attributes.get("gen_ai.system"),
        Some(&json!("anthropic"))
    );
    assert!(
        ancestors(model, &by_id)
            .iter()
            .any(|a| a.name.starts_with("job ")),
        "the model call runs in a job: {names:?}"
    );
    let model_calls = anthropic.received_requests().await.unwrap_or_default();
    assert!(!model_calls.is_empty());
    for call in &model_calls {
        let (trace_id, parent) = traceparent(call);
        assert_eq!(trace_id, CALLER_TRACE);
        let span = by_id
            .get(parent.as_str())
            .unwrap_or_else(|| panic!("the model request names an unexported span {parent}"));
        assert_eq!(span.name, "POST /v1/messages");
    }

    // The SMS send is a client span below the send job, and Twilio saw its context.
    let send = trace
        .iter()
        .find(|s| s.name == "POST /2010-04-01/Accounts/{AccountSid}/Messages.json")
        .unwrap_or_else(|| panic!("no SMS send span: {names:?}"));
    assert_eq!(send.kind, KIND_CLIENT);
    let send_chain = ancestors(send, &by_id);
    assert!(
        send_chain.iter().any(|a| a.name.starts_with("job ")),
        "the send runs in a job: {names:?}"
    );
    assert!(
        send_chain.iter().any(|a| a.span_id == intake.span_id),
        "the send descends from the intake: {names:?}"
    );
    let sms = twilio.received_requests().await.unwrap_or_default();
    let (trace_id, parent) = traceparent(&sms[0]);
    assert_eq!(
        (trace_id.as_str(), parent.as_str()),
        (CALLER_TRACE, send.span_id.as_str())
    );
}
