//! `HubspotClient` against a local server speaking HubSpot's CRM v3 shapes: properties created
//! once per portal, contacts upserted by email, found by phone and created, deals and notes with
//! inline associations, and the errors the sync job acts on.

use chrono::{DateTime, Utc};
use lead_channels::hubspot::HubspotClient;
use lead_domain::crm::{CUSTOM_PROPERTIES, Crm, CrmError, CrmSettings, Properties};
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn settings() -> CrmSettings {
    serde_json::from_value(json!({"provider": "hubspot", "access_token": "pat-na1-test"})).unwrap()
}

fn client(server: &MockServer) -> HubspotClient {
    HubspotClient::new(&server.uri(), Duration::from_secs(2)).unwrap()
}

fn props(pairs: &[(&str, &str)]) -> Properties {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn object(id: &str) -> serde_json::Value {
    json!({"id": id, "properties": {}, "createdAt": "2026-12-05T06:00:00.000Z",
           "updatedAt": "2026-12-05T06:00:00.000Z", "archived": false})
}

#[tokio::test]
async fn missing_properties_are_created_once_per_portal() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/crm/v3/properties/contacts"))
        .and(header("authorization", "Bearer pat-na1-test"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"results": [
            {"name": "email", "label": "Email", "type": "string", "fieldType": "text", "groupName": "contactinformation"},
            {"name": "lead_score", "label": "Lead score", "type": "string", "fieldType": "text", "groupName": "contactinformation"}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/properties/contacts/batch/create"))
        .and(body_partial_json(json!({"inputs": [{"name": "lead_service", "type": "string", "fieldType": "text", "groupName": "contactinformation"}]})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"status": "COMPLETE", "results": []})))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    c.ensure_properties(&settings(), &CUSTOM_PROPERTIES)
        .await
        .unwrap();
    c.ensure_properties(&settings(), &CUSTOM_PROPERTIES)
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let created: serde_json::Value = requests
        .iter()
        .find(|r| r.url.path().ends_with("batch/create"))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .unwrap();
    let names: Vec<&str> = created["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), CUSTOM_PROPERTIES.len() - 1);
    assert!(!names.contains(&"lead_score"));
    assert!(
        created["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "lead_budget_max"
                && p["type"] == "number"
                && p["fieldType"] == "number")
    );
}

#[tokio::test]
async fn contacts_with_an_email_are_upserted_by_email() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/contacts/batch/upsert"))
        .and(body_partial_json(json!({"inputs": [{"idProperty": "email", "id": "sara@example.com",
            "properties": {"firstname": "Sara", "lead_score": "HOT"}}]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "COMPLETE", "results": [{"id": "512", "properties": {}, "createdAt": "2026-12-05T06:00:00.000Z",
            "updatedAt": "2026-12-05T06:00:00.000Z", "archived": false, "new": true}],
            "startedAt": "2026-12-05T06:00:00.000Z", "completedAt": "2026-12-05T06:00:00.100Z"})))
        .expect(1)
        .mount(&server)
        .await;
    let id = client(&server)
        .upsert_contact_by_email(
            &settings(),
            "sara@example.com",
            &props(&[("firstname", "Sara"), ("lead_score", "HOT")]),
        )
        .await
        .unwrap();
    assert_eq!(id, "512");
}

#[tokio::test]
async fn phones_are_found_by_search_and_contacts_created_and_updated() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/contacts/search"))
        .and(body_partial_json(json!({"filterGroups": [{"filters": [{"propertyName": "phone", "operator": "EQ", "value": "+966501234567"}]}]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"total": 1, "results": [object("77")]})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/contacts/search"))
        .and(body_partial_json(
            json!({"filterGroups": [{"filters": [{"value": "+966500000000"}]}]}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"total": 0, "results": []})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/contacts"))
        .and(body_partial_json(
            json!({"properties": {"phone": "+966500000000"}}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(object("78")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/crm/v3/objects/contacts/77"))
        .and(body_partial_json(
            json!({"properties": {"hs_lead_status": "OPEN"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(object("77")))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let s = settings();
    assert_eq!(
        c.find_contact_by_phone(&s, "+966501234567")
            .await
            .unwrap()
            .as_deref(),
        Some("77")
    );
    assert_eq!(
        c.find_contact_by_phone(&s, "+966500000000").await.unwrap(),
        None
    );
    assert_eq!(
        c.create_contact(&s, &props(&[("phone", "+966500000000")]))
            .await
            .unwrap(),
        "78"
    );
    c.update_contact(&s, "77", &props(&[("hs_lead_status", "OPEN")]))
        .await
        .unwrap();
}

#[tokio::test]
async fn deals_and_notes_are_associated_and_stages_move() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/deals"))
        .and(body_partial_json(json!({
            "properties": {"dealstage": "appointmentscheduled", "pipeline": "default", "amount": "1200000"},
            "associations": [{"to": {"id": "512"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]}]
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(object("9001")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/crm/v3/objects/deals/9001"))
        .and(body_partial_json(
            json!({"properties": {"dealstage": "qualifiedtobuy"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(object("9001")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/notes"))
        .and(body_partial_json(json!({
            "properties": {"hs_timestamp": "2026-12-05T06:30:00.000Z", "hs_note_body": "Hot lead"},
            "associations": [
                {"to": {"id": "512"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]},
                {"to": {"id": "9001"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 214}]}
            ]
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(object("4242")))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let s = settings();
    let deal = c
        .create_deal(
            &s,
            "512",
            &props(&[
                ("dealstage", "appointmentscheduled"),
                ("pipeline", "default"),
                ("amount", "1200000"),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(deal, "9001");
    c.update_deal(&s, &deal, &props(&[("dealstage", "qualifiedtobuy")]))
        .await
        .unwrap();
    let at: DateTime<Utc> = "2026-12-05T06:30:00Z".parse().unwrap();
    let note = c
        .create_note(&s, "Hot lead", at, "512", Some(deal))
        .await
        .unwrap();
    assert_eq!(note, "4242");
}

#[tokio::test]
async fn errors_map_to_what_the_job_does_next() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/crm/v3/objects/contacts/401"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"status": "error",
            "message": "Authentication credentials not found.", "correlationId": "c1", "category": "INVALID_AUTHENTICATION"})))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/crm/v3/objects/contacts/429"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7").set_body_json(json!({"status": "error",
            "message": "You have reached your ten_secondly_rolling limit.", "errorType": "RATE_LIMIT",
            "correlationId": "c2", "policyName": "TEN_SECONDLY_ROLLING"})))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/crm/v3/objects/contacts/430"))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({"status": "error",
            "message": "You have reached your secondly limit.", "errorType": "RATE_LIMIT", "policyName": "SECONDLY"})))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/crm/v3/objects/contacts/502"))
        .respond_with(ResponseTemplate::new(502).set_body_string("Bad Gateway"))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/crm/v3/objects/contacts/404"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"status": "error", "message": "resource not found", "category": "OBJECT_NOT_FOUND"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/contacts"))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({"status": "error",
            "message": "Contact already exists. Existing ID: 37765128953", "correlationId": "c3", "category": "CONFLICT"})))
        .mount(&server)
        .await;
    let c = client(&server);
    let s = settings();
    let p = props(&[("firstname", "Sara")]);
    let e401 = c.update_contact(&s, "401", &p).await.unwrap_err();
    assert_eq!(e401, CrmError::Unauthorized);
    assert!(!e401.is_retryable());
    let e429 = c.update_contact(&s, "429", &p).await.unwrap_err();
    assert_eq!(
        e429,
        CrmError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    assert!(e429.is_retryable());
    assert_eq!(
        c.update_contact(&s, "430", &p).await.unwrap_err(),
        CrmError::RateLimited {
            retry_after: Some(Duration::from_secs(1))
        }
    );
    let e502 = c.update_contact(&s, "502", &p).await.unwrap_err();
    assert!(matches!(e502, CrmError::Unavailable(_)) && e502.is_retryable());
    assert!(matches!(
        c.update_contact(&s, "404", &p).await.unwrap_err(),
        CrmError::NotFound(_)
    ));
    assert_eq!(
        c.create_contact(&s, &p).await.unwrap_err(),
        CrmError::Conflict {
            existing_id: Some("37765128953".into())
        }
    );
}

#[tokio::test]
async fn an_unreachable_hubspot_is_retryable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = HubspotClient::new(
        &format!("http://127.0.0.1:{port}"),
        Duration::from_millis(500),
    )
    .unwrap();
    let err = c
        .update_contact(&settings(), "1", &props(&[("firstname", "Sara")]))
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}
