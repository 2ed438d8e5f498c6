//! `/metrics` read by a Prometheus text-format parser after an intake, its job and a send through
//! a local server speaking Twilio's Messages API: the series are there, by route template, and no
//! label carries a tenant.

use crate::helpers::{TestApp, ahmed_body, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";

/// Turns Prometheus text into `[{name, labels, value}]` with the official client library's parser.
const PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append({"name": s.name, "labels": s.labels, "value": s.value, "type": family.type})
print(json.dumps(out))
"#;

/// One parsed sample.
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The Python of the virtual environment `.ci/run` makes (see the OpenAPI test).
fn python() -> Option<std::path::PathBuf> {
    let venv = match std::env::var_os("OPENAPI_VALIDATOR_VENV") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/ci-venv"),
    };
    let bin = venv.join("bin/python");
    let has_parser = std::process::Command::new(&bin)
        .args(["-c", "import prometheus_client"])
        .status()
        .is_ok_and(|s| s.success());
    has_parser.then_some(bin)
}

async fn scrape(url: &str) -> Option<Vec<Sample>> {
    let res = reqwest::get(url).await.expect("metrics request");
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/plain; version=0.0.4")
    );
    let text = res.text().await.expect("text");
    let Some(python) = python() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "prometheus-client is missing: run .ci/run once or set OPENAPI_VALIDATOR_VENV"
        );
        eprintln!("skipped: no prometheus-client parser (run .ci/run once)");
        return None;
    };
    let mut child = std::process::Command::new(python)
        .args(["-c", PARSE])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the parser");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
    }
    let out = child.wait_with_output().expect("parser output");
    assert!(
        out.status.success(),
        "/metrics is not valid Prometheus text: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json");
    Some(
        parsed
            .into_iter()
            .map(|s| Sample {
                name: s["name"].as_str().unwrap_or_default().to_owned(),
                labels: serde_json::from_value(s["labels"].clone()).unwrap_or_default(),
                value: s["value"].as_f64().unwrap_or(0.0),
            })
            .collect(),
    )
}

fn find<'a>(scrape: &'a [Sample], name: &str, labels: &[(&str, &str)]) -> Vec<&'a Sample> {
    scrape
        .iter()
        .filter(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect()
}

fn count(sample: &Sample) -> f64 {
    sample.value
}

async fn app_sending_sms(
    adjust: impl FnOnce(&mut lead_server::config::Settings) + Send + 'static,
) -> (TestApp, MockServer, String, String) {
    let twilio = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/2010-04-01/Accounts/AC[0-9a-f]{32}/Messages\.json$"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "account_sid": ACCOUNT, "api_version": "2010-04-01", "body": "reply",
            "sid": "SM11111111111111111111111111111111", "status": "queued",
            "to": "+966501234567", "from": "+14155550100", "error_code": null, "error_message": null,
        })))
        .mount(&twilio)
        .await;
    let base = twilio.uri();
    let app = spawn_app_with(move |s| {
        s.twilio_api_base_url = base;
        adjust(s);
    })
    .await;
    let (id, key) = app
        .create_realty(&format!("metrics-{}", uuid::Uuid::new_v4().simple()))
        .await;
    let patched = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/clients/{id}"),
            Some(
                json!({"twilio": {"account_sid": ACCOUNT, "auth_token": "token",
                                   "phone_numbers": ["+14155550100"]}}),
            ),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    (app, twilio, id, key)
}

async fn wait_for_send(twilio: &MockServer) {
    for _ in 0..200 {
        if !twilio
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no reply was sent to the Twilio stand-in");
}

#[tokio::test]
async fn metrics_cover_intake_jobs_and_sends_without_tenant_labels() {
    let (app, twilio, client_id, key) = app_sending_sms(|_| {}).await;
    let accepted = app.web_form(&key, ahmed_body(), None).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let lead_id = accepted.body["lead_id"]
        .as_str()
        .expect("lead id")
        .to_owned();
    assert_eq!(
        app.get_as(&key, &format!("/api/v1/leads/{lead_id}"))
            .await
            .status,
        200
    );
    wait_for_send(&twilio).await;
    // The send job is completed right after the request to Twilio answers.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let Some(scrape) = scrape(&app.url("/metrics")).await else {
        return;
    };
    let web_form = find(
        &scrape,
        "http_requests_total",
        &[
            ("method", "POST"),
            ("route", "/webhooks/web-form"),
            ("status", "202"),
        ],
    );
    assert!(
        web_form.iter().map(|s| count(s)).sum::<f64>() >= 1.0,
        "no web-form request counted"
    );
    assert!(
        !find(
            &scrape,
            "http_requests_total",
            &[("route", "/api/v1/leads/{id}"), ("status", "200")]
        )
        .is_empty(),
        "requests are labelled by route template: {:?}",
        find(&scrape, "http_requests_total", &[])
            .iter()
            .map(|s| &s.labels)
            .collect::<Vec<_>>()
    );
    assert!(
        !find(
            &scrape,
            "http_request_duration_seconds_count",
            &[("route", "/webhooks/web-form")]
        )
        .is_empty()
            || !find(
                &scrape,
                "http_request_duration_seconds",
                &[("route", "/webhooks/web-form")]
            )
            .is_empty(),
        "no request duration histogram"
    );
    let intake = find(&scrape, "lead_intake_total", &[("channel", "web_form")]);
    assert!(
        intake.iter().map(|s| count(s)).sum::<f64>() >= 1.0,
        "no intake counted"
    );
    assert!(
        !find(
            &scrape,
            "lead_job_runs_total",
            &[("kind", "process_inbound"), ("outcome", "ok")]
        )
        .is_empty(),
        "no processing job run counted"
    );
    assert!(
        !find(
            &scrape,
            "lead_job_runs_total",
            &[("kind", "send_outbound"), ("outcome", "ok")]
        )
        .is_empty(),
        "no send job run counted"
    );
    assert!(
        !find(
            &scrape,
            "channel_sends_total",
            &[("channel", "sms"), ("outcome", "ok")]
        )
        .is_empty(),
        "no SMS send counted"
    );
    assert!(
        !find(&scrape, "lead_jobs", &[("kind", "process_inbound")]).is_empty(),
        "no job gauge by kind"
    );
    assert!(
        !find(&scrape, "lead_job_oldest_queued_seconds", &[]).is_empty(),
        "no oldest-queued gauge"
    );
    assert!(
        !find(
            &scrape,
            "lead_speed_to_lead_seconds_count",
            &[("channel", "web_form")]
        )
        .is_empty(),
        "no speed-to-lead histogram"
    );
    for state in ["in_use", "idle"] {
        assert!(
            !find(&scrape, "lead_db_pool_connections", &[("state", state)]).is_empty(),
            "no {state} pool gauge"
        );
    }
    for sample in &scrape {
        for (label, value) in &sample.labels {
            assert!(
                !label.contains("tenant") && !label.contains("client"),
                "{} has label {label}",
                sample.name
            );
            assert!(
                !value.contains(&client_id),
                "{} carries the client id",
                sample.name
            );
            assert!(
                !value.contains(&lead_id),
                "{} carries a lead id",
                sample.name
            );
            assert!(
                !value.contains("+966"),
                "{} carries a phone number",
                sample.name
            );
        }
    }
}

#[tokio::test]
async fn metrics_port_moves_metrics_off_the_main_port() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let (app, _twilio, _, key) = app_sending_sms(move |s| s.metrics_port = Some(port)).await;
    assert_eq!(app.web_form(&key, ahmed_body(), None).await.status, 202);
    let on_main = app.get("/metrics").await;
    assert_eq!(on_main.status, 404, "/metrics must not be on the main port");
    let Some(scrape) = scrape(&format!("http://127.0.0.1:{port}/metrics")).await else {
        return;
    };
    assert!(!find(&scrape, "lead_intake_total", &[]).is_empty());
}

#[tokio::test]
async fn metrics_can_be_switched_off() {
    let app = spawn_app_with(|s| s.metrics_enabled = false).await;
    assert_eq!(app.get("/health").await.status, 200);
    assert_eq!(app.get("/metrics").await.status, 404);
}
