//! Span export against a local OTLP/HTTP collector speaking `http/json`: the real server's request
//! spans, and a span emitted through the same layer, arrive with the service's resource attributes.

use crate::helpers::spawn_app;
use lead_server::config::{DEFAULT_SERVICE_NAME, OtlpProtocol, TraceExport};
use lead_server::startup::REQUEST_ID;
use lead_server::telemetry::{DEFAULT_FILTER, export_layer};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A span as the collector received it, with the attributes of the resource that sent it.
#[derive(Debug)]
struct ExportedSpan {
    name: String,
    attributes: BTreeMap<String, Value>,
    resource: BTreeMap<String, Value>,
}

/// A collector that accepts OTLP/JSON trace batches on the standard path.
async fn collector() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/traces"))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    server
}

fn export_to(collector: &MockServer) -> TraceExport {
    TraceExport::new(
        &collector.uri(),
        OtlpProtocol::HttpJson,
        DEFAULT_SERVICE_NAME,
    )
    .expect("the collector's URL is a valid endpoint")
}

/// OTLP key/value lists as a map from key to the bare value (`{"stringValue": "x"}` becomes `"x"`).
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

/// Every span in every batch the collector received, read from the OTLP/JSON bodies.
async fn exported(collector: &MockServer) -> Vec<ExportedSpan> {
    let requests = collector
        .received_requests()
        .await
        .expect("the collector records requests");
    let mut spans = Vec::new();
    for request in requests {
        let body: Value = serde_json::from_slice(&request.body).expect("an OTLP/JSON body");
        for resource_spans in body["resourceSpans"].as_array().into_iter().flatten() {
            let resource = attributes(&resource_spans["resource"]["attributes"]);
            for scope_spans in resource_spans["scopeSpans"]
                .as_array()
                .into_iter()
                .flatten()
            {
                for span in scope_spans["spans"].as_array().into_iter().flatten() {
                    spans.push(ExportedSpan {
                        name: span["name"].as_str().unwrap_or_default().to_owned(),
                        attributes: attributes(&span["attributes"]),
                        resource: resource.clone(),
                    });
                }
            }
        }
    }
    spans
}

/// Asserts the collector received the span with this request id and name, sent as this service.
async fn check_request_span(collector: &MockServer, request_id: &str, name: &str) {
    let spans = exported(collector).await;
    let span = spans
        .iter()
        .find(|s| s.attributes.get("request_id") == Some(&json!(request_id)))
        .unwrap_or_else(|| panic!("no request span with request_id {request_id} in {spans:#?}"));
    assert_eq!(span.name, name);
    assert_eq!(
        span.resource.get("service.name"),
        Some(&json!(DEFAULT_SERVICE_NAME))
    );
    assert_eq!(
        span.resource.get("service.version"),
        Some(&json!(env!("CARGO_PKG_VERSION")))
    );
}

#[tokio::test]
async fn a_span_emitted_through_the_export_layer_reaches_the_collector() {
    let collector = collector().await;
    let (layer, guard) = export_layer(&export_to(&collector)).expect("the exporter builds");
    assert!(guard.is_exporting());

    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("request", request_id = "local-span-1");
        span.in_scope(|| tracing::info!("handled"));
    });
    guard
        .flush()
        .await
        .expect("the collector accepted the batch");

    check_request_span(&collector, "local-span-1", "request").await;
    guard.shutdown().await.expect("the exporter stops");
}

#[tokio::test]
async fn request_spans_of_the_real_server_reach_the_collector() {
    let collector = collector().await;
    let (layer, guard) = export_layer(&export_to(&collector)).expect("the exporter builds");
    // actix-web runs handlers on its own worker threads, so only the global subscriber sees the
    // middleware's span; nothing else in this test binary installs one unless TEST_LOG is set.
    let installed = tracing_subscriber::registry()
        .with(EnvFilter::new(DEFAULT_FILTER))
        .with(layer)
        .try_init()
        .is_ok();
    if !installed {
        assert!(
            std::env::var_os("TEST_LOG").is_some(),
            "another global subscriber was installed"
        );
        eprintln!("skipped: TEST_LOG installed the global log subscriber first");
        return;
    }
    let app = spawn_app().await;

    let res = app
        .http
        .get(app.url("/health"))
        .header(REQUEST_ID, "otel-real-request-1")
        .send()
        .await
        .expect("the request is answered");
    assert_eq!(res.status().as_u16(), 200);
    guard
        .flush()
        .await
        .expect("the collector accepted the batch");

    check_request_span(&collector, "otel-real-request-1", "GET /health").await;
    guard.shutdown().await.expect("the exporter stops");
}
