//! Error reporting against a local endpoint that accepts Sentry envelopes: a server error caused
//! by a database that lost a table is reported once, with the route and the error but without
//! the query string, credentials or any request body.

use crate::helpers::{ADMIN_TOKEN, spawn_app_with};
use lead_server::config::{SecretString, Settings};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PROJECT: &str = "4242";

/// The events of the envelopes the endpoint received (an envelope is a header line followed by
/// item header and payload lines).
async fn reported_events(sentry: &MockServer) -> Vec<Value> {
    let mut events = Vec::new();
    for request in sentry.received_requests().await.unwrap_or_default() {
        let text = String::from_utf8_lossy(&request.body).to_string();
        let lines: Vec<&str> = text.lines().collect();
        for pair in lines.windows(2) {
            let Ok(header) = serde_json::from_str::<Value>(pair[0]) else {
                continue;
            };
            if header["type"] == "event"
                && let Ok(event) = serde_json::from_str::<Value>(pair[1])
            {
                events.push(event);
            }
        }
    }
    events
}

#[tokio::test]
async fn a_server_error_is_reported_without_personal_data() {
    let sentry = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/api/{PROJECT}/envelope/")))
        .respond_with(ResponseTemplate::new(200))
        .mount(&sentry)
        .await;
    let address = sentry.address();
    let dsn = format!(
        "http://publickey@{}:{}/{PROJECT}",
        address.ip(),
        address.port()
    );
    let settings = Settings {
        sentry_dsn: Some(SecretString::new(&dsn)),
        ..Settings::default()
    };
    let reporting = lead_server::error_reporting::init(&settings).expect("a valid DSN");
    assert!(reporting.is_enabled());
    let app = spawn_app_with(|s| s.sentry_dsn = Some(SecretString::new(&dsn))).await;
    let (id, _) = app.create_realty("reported-realty").await;

    // The database loses a table under the running server.
    let db = sea_orm::Database::connect(format!(
        "sqlite://{}/test.db?mode=rw",
        app.dir.path().display()
    ))
    .await
    .expect("db");
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "ALTER TABLE clients RENAME TO clients_lost".to_owned(),
    ))
    .await
    .expect("rename");

    let res = app
        .http
        .get(app.url(&format!("/api/v1/clients/{id}?search=ahmed%40example.com")))
        .bearer_auth(ADMIN_TOKEN)
        .header("Cookie", "session=private")
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status().as_u16(), 500);

    let deadline = Instant::now() + Duration::from_secs(10);
    let events = loop {
        if let Some(client) = sentry::Hub::main().client() {
            client.flush(Some(Duration::from_secs(2)));
        }
        let events: Vec<Value> = reported_events(&sentry)
            .await
            .into_iter()
            .filter(|e| {
                e["request"]["url"]
                    .as_str()
                    .unwrap_or("")
                    .contains("/api/v1/clients")
            })
            .collect();
        if !events.is_empty() || Instant::now() > deadline {
            break events;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        events.len(),
        1,
        "one report for the failed request: {events:#?}"
    );
    let event = &events[0];
    // No `level` means Sentry's default, error.
    assert!(event.get("level").is_none_or(|l| l == "error"), "{event:#}");
    assert_eq!(
        event["exception"]["values"][0]["type"], "Internal",
        "{event:#}"
    );
    assert_eq!(event["transaction"], "GET /api/v1/clients/{id}");
    let request = &event["request"];
    assert_eq!(request["method"], "GET");
    let url = request["url"].as_str().unwrap_or_default();
    assert!(
        url.ends_with(&format!("/api/v1/clients/{id}")),
        "no query string: {url}"
    );
    let text = event.to_string();
    for private in ["ahmed", ADMIN_TOKEN, "session=private", "Bearer"] {
        assert!(
            !text.contains(private),
            "{private} reached Sentry: {event:#}"
        );
    }
    assert!(request.get("data").is_none_or(Value::is_null));
    assert!(event.get("user").is_none_or(Value::is_null));
    drop(reporting);
}
