//! CRM sync end to end against a local stand-in speaking HubSpot's CRM v3 shapes: the settings
//! with a write-only token, and a web-form lead that turns HOT landing in the CRM as a contact
//! with a deal and a note, its ids shown on the lead.

use crate::helpers::spawn_app_with;
use reqwest::Method;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "pat-na1-secret-token";

fn object(id: &str) -> Value {
    json!({"id": id, "properties": {}, "createdAt": "2026-12-05T06:00:00.000Z",
           "updatedAt": "2026-12-05T06:00:00.000Z", "archived": false})
}

async fn hubspot() -> MockServer {
    let server = MockServer::start().await;
    let auth = format!("Bearer {TOKEN}");
    Mock::given(method("GET"))
        .and(path("/crm/v3/properties/contacts"))
        .and(header("authorization", auth.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"results": [
            {"name": "email", "label": "Email", "type": "string", "fieldType": "text", "groupName": "contactinformation"}
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/properties/contacts/batch/create"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"status": "COMPLETE", "results": []})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/contacts/batch/upsert"))
        .and(header("authorization", auth.as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "COMPLETE",
            "results": [{"id": "512", "properties": {}, "createdAt": "2026-12-05T06:00:00.000Z",
            "updatedAt": "2026-12-05T06:00:00.000Z", "archived": false, "new": true}],
            "startedAt": "2026-12-05T06:00:00.000Z", "completedAt": "2026-12-05T06:00:00.100Z"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/crm/v3/objects/contacts/512"))
        .respond_with(ResponseTemplate::new(200).set_body_json(object("512")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/deals"))
        .respond_with(ResponseTemplate::new(201).set_body_json(object("9001")))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/crm/v3/objects/deals/9001"))
        .respond_with(ResponseTemplate::new(200).set_body_json(object("9001")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/notes"))
        .respond_with(ResponseTemplate::new(201).set_body_json(object("4242")))
        .mount(&server)
        .await;
    server
}

fn bodies(requests: &[Request], verb: &str, p: &str) -> Vec<Value> {
    requests
        .iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == p)
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect()
}

#[tokio::test]
async fn a_hot_web_form_lead_lands_in_hubspot_with_a_deal_and_a_note() {
    let server = hubspot().await;
    let uri = server.uri();
    let app = spawn_app_with(|s| s.hubspot_api_base_url = uri).await;
    let (id, key) = app.create_realty("crm-hot").await;
    let patched = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/clients/{id}"),
            Some(json!({"crm": {
                "provider": "hubspot", "access_token": TOKEN,
                "sync": ["QUALIFIED", "APPOINTMENT_BOOKED", "HANDED_OFF"],
                "deal": {"pipeline": "default", "stage_by_state": {"QUALIFIED": "appointmentscheduled", "HANDED_OFF": "qualifiedtobuy"}},
                "owner_id": null
            }})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let shown = app
        .admin(Method::GET, &format!("/api/v1/clients/{id}"), None)
        .await;
    assert_eq!(
        shown.body["crm"]["access_token_set"], true,
        "{}",
        shown.body
    );
    assert_eq!(shown.body["crm"]["broken"], Value::Null);
    assert!(!shown.body.to_string().contains(TOKEN));

    let form = app
        .web_form(
            &key,
            json!({
                "name": "Salem Al Harbi",
                "phone": "+966501234567",
                "email": "salem@example.com",
                "message": "I want to buy a villa in Riyadh this week, cash budget 3,000,000 SAR, I decide alone, it's urgent",
                "source": "website"
            }),
            None,
        )
        .await;
    assert_eq!(form.status, 202, "{}", form.body);
    let lead_id = form.body["lead_id"].as_str().expect("lead_id").to_owned();
    let lead = app
        .wait_for_lead(&key, &lead_id, |l| !l["crm"]["synced_at"].is_null())
        .await;
    assert_eq!(lead["score"], "HOT", "{lead}");
    assert_eq!(lead["crm"]["contact_id"], "512", "{lead}");
    assert_eq!(lead["crm"]["deal_id"], "9001", "{lead}");
    assert_eq!(lead["crm"]["last_error"], Value::Null);

    let requests = server.received_requests().await.expect("recorded");
    let upserts = bodies(&requests, "POST", "/crm/v3/objects/contacts/batch/upsert");
    assert_eq!(upserts.len(), 1, "one contact");
    let input = &upserts[0]["inputs"][0];
    assert_eq!(input["idProperty"], "email");
    assert_eq!(input["id"], "salem@example.com");
    assert_eq!(input["properties"]["firstname"], "Salem");
    assert_eq!(input["properties"]["lead_score"], "HOT");
    let deals = bodies(&requests, "POST", "/crm/v3/objects/deals");
    assert_eq!(deals.len(), 1, "one deal");
    assert_eq!(deals[0]["associations"][0]["to"]["id"], "512");
    assert_eq!(
        deals[0]["associations"][0]["types"][0]["associationTypeId"],
        3
    );
    let notes = bodies(&requests, "POST", "/crm/v3/objects/notes");
    assert_eq!(notes.len(), 1, "one note");
    assert!(
        notes[0]["properties"]["hs_note_body"]
            .as_str()
            .is_some_and(|b| b.contains("HOT")),
        "{}",
        notes[0]
    );

    // A forced sync with nothing new updates the same records and writes no second note.
    let forced = app
        .send_as(
            &key,
            Method::POST,
            &format!("/api/v1/leads/{lead_id}/crm-sync"),
            None,
        )
        .await;
    assert_eq!(forced.status, 202, "{}", forced.body);
    assert!(forced.body["job_id"].is_string());
    let before = requests.len();
    for _ in 0..100 {
        if server.received_requests().await.map_or(0, |r| r.len()) > before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let requests = server.received_requests().await.expect("recorded");
    assert!(requests.len() > before, "the forced sync called HubSpot");
    assert_eq!(
        bodies(&requests, "POST", "/crm/v3/objects/contacts/batch/upsert").len(),
        1
    );
    assert_eq!(bodies(&requests, "POST", "/crm/v3/objects/deals").len(), 1);
    assert_eq!(bodies(&requests, "POST", "/crm/v3/objects/notes").len(), 1);
    assert_eq!(
        bodies(&requests, "PATCH", "/crm/v3/objects/contacts/512").len(),
        1
    );
}
