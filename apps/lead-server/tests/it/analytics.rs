//! The analytics and experiments API over HTTP (auth, tenant isolation, validation), a greeting
//! experiment changing the first reply and stopping it, and the `/app` pages with their CSV.

use crate::helpers::{TestApp, ahmed_body, spawn_app};
use crate::inbox::{add_user, get_page, sign_in};
use reqwest::Method;
use serde_json::{Value, json};

fn greeting_experiment() -> Value {
    json!({
        "name": "Warmer greeting",
        "target": "greeting",
        "variants": [
            {"key": "a", "text_en": "Variant A welcomes you to {business}.", "text_ar": "النسخة أ ترحب بك في {business}."},
            {"key": "b", "text_en": "Variant B says hello {name} from {business}!", "text_ar": "النسخة ب تحييك من {business}!"}
        ],
        "metric": "replied",
        "traffic": 1.0
    })
}

async fn lead(app: &TestApp, key: &str, name: &str, phone: &str) -> String {
    let mut body = ahmed_body();
    body["name"] = json!(name);
    body["phone"] = json!(phone);
    body["email"] = Value::Null;
    let accepted = app.web_form(key, body, None).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let lead_id = accepted.body["lead_id"].as_str().expect("lead").to_owned();
    let done = app
        .wait_for_lead(key, &lead_id, |l| l["state"].as_str() != Some("NEW"))
        .await;
    assert_ne!(done["state"], "NEW", "processed: {done}");
    lead_id
}

async fn first_reply(app: &TestApp, key: &str, lead_id: &str) -> String {
    let detail = app.get_as(key, &format!("/api/v1/leads/{lead_id}")).await;
    let conversation = detail.body["conversations"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("conversation in {}", detail.body))
        .to_owned();
    let messages = app
        .get_as(
            key,
            &format!("/api/v1/conversations/{conversation}/messages"),
        )
        .await;
    messages.body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|m| m["direction"] == "outbound"))
        .and_then(|m| m["body"].as_str())
        .unwrap_or_else(|| panic!("a reply in {}", messages.body))
        .to_owned()
}

#[tokio::test]
async fn analytics_needs_the_admin_token_or_the_clients_own_key() {
    let app = spawn_app().await;
    let (id, key) = app.create_realty("analytics-auth").await;
    let (other_id, other_key) = app.create_realty("analytics-auth-other").await;
    lead(&app, &key, "Ahmed", "+966501234567").await;
    let path = format!("/api/v1/clients/{id}/analytics?group_by=source");

    assert_eq!(app.get(&path).await.status, 401);
    let own = app.get_as(&key, &path).await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(own.body["leads"], 1);
    assert_eq!(own.body["group_by"], "source");
    assert_eq!(own.body["groups"][0]["key"], "web_form");
    assert_eq!(own.body["speed_by_channel"][0]["key"], "all");
    let qualifying = own.body["funnel"]
        .as_array()
        .and_then(|f| f.iter().find(|r| r["key"] == "QUALIFYING"))
        .cloned()
        .expect("funnel row");
    assert_eq!(
        (qualifying["count"].clone(), qualifying["of"].clone()),
        (json!(1), json!(1))
    );
    // Another client's key cannot read it; the admin token can read both.
    assert_eq!(app.get_as(&other_key, &path).await.status, 404);
    let admin = app.admin(Method::GET, &path, None).await;
    assert_eq!((admin.status, admin.body["leads"].clone()), (200, json!(1)));
    let other = app
        .admin(
            Method::GET,
            &format!("/api/v1/clients/{other_id}/analytics"),
            None,
        )
        .await;
    assert_eq!((other.status, other.body["leads"].clone()), (200, json!(0)));
    let wrong_token = app
        .http
        .get(app.url(&path))
        .bearer_auth("not-the-token")
        .send()
        .await
        .expect("request");
    assert_eq!(wrong_token.status().as_u16(), 401);

    for (query, field) in [
        ("group_by=month", "group_by"),
        ("from=2026-02-01&to=2026-01-01", "from"),
        ("from=yesterday", "from"),
        ("from=2020-01-01&to=2026-01-01", "to"),
    ] {
        let bad = app
            .get_as(&key, &format!("/api/v1/clients/{id}/analytics?{query}"))
            .await;
        assert_eq!(bad.status, 422, "{query}: {}", bad.body);
        assert_eq!(bad.fields(), vec![field.to_owned()], "{query}");
    }
    let unknown = app
        .get_as(&key, &format!("/api/v1/clients/{id}/analytics?colour=red"))
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
}

#[tokio::test]
async fn a_greeting_experiment_splits_leads_and_stopping_sends_new_leads_to_the_winner() {
    let app = spawn_app().await;
    let (id, key) = app.create_realty("experiments-api").await;
    let (_, other_key) = app.create_realty("experiments-api-other").await;
    let base = format!("/api/v1/clients/{id}/experiments");

    let created = app
        .send_as(&key, Method::POST, &base, Some(greeting_experiment()))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["status"], "running");
    assert_eq!(created.body["verdict"]["kind"], "no_winner_yet");
    assert_eq!(created.body["horizon_per_variant"], 393);
    assert_eq!(created.body["verdict"]["more_leads"], 786);
    let exp = created.body["id"].as_str().expect("id").to_owned();

    // One experiment per target at a time; fields are checked.
    let again = app
        .send_as(&key, Method::POST, &base, Some(greeting_experiment()))
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    for (patch, field) in [
        (json!({"target": "question:colour"}), "target"),
        (json!({"metric": "clicked"}), "metric"),
        (json!({"traffic": 0.0}), "traffic"),
        (
            json!({"variants": [{"key": "a", "text_en": "x", "text_ar": "y"}]}),
            "variants",
        ),
        (json!({"name": " "}), "name"),
    ] {
        let mut body = greeting_experiment();
        body["target"] = json!("question:budget");
        for (k, v) in patch.as_object().expect("object") {
            body[k] = v.clone();
        }
        let bad = app.send_as(&key, Method::POST, &base, Some(body)).await;
        assert_eq!(bad.status, 422, "{patch}: {}", bad.body);
        assert_eq!(bad.fields(), vec![field.to_owned()], "{patch}");
    }
    // Another client sees nothing.
    let foreign = app.get_as(&other_key, &format!("{base}/{exp}")).await;
    assert_eq!(foreign.status, 404);
    assert_eq!(app.get(&format!("{base}/{exp}")).await.status, 401);

    // A new lead gets its variant's greeting, and the exposure is counted once.
    let first = lead(&app, &key, "Ahmed", "+966501234567").await;
    let reply = first_reply(&app, &key, &first).await;
    let shown = app.get_as(&key, &format!("{base}/{exp}")).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    let variants = shown.body["variants"].as_array().expect("variants").clone();
    let exposed: Vec<&Value> = variants.iter().filter(|v| v["exposures"] == 1).collect();
    assert_eq!(exposed.len(), 1, "{}", shown.body);
    let key_of_first = exposed[0]["key"].as_str().expect("key").to_owned();
    let expected = if key_of_first == "a" {
        "Variant A welcomes you to Test Realty."
    } else {
        "Variant B says hello Ahmed from Test Realty!"
    };
    assert!(reply.starts_with(expected), "{reply}");
    assert_eq!(
        variants
            .iter()
            .map(|v| v["exposures"].as_u64().unwrap_or(0))
            .sum::<u64>(),
        1
    );

    // Stop with B: history stays, new leads all get B.
    let stopped = app
        .send_as(
            &key,
            Method::POST,
            &format!("{base}/{exp}/stop"),
            Some(json!({"winner": "b"})),
        )
        .await;
    assert_eq!(stopped.status, 200, "{}", stopped.body);
    assert_eq!(
        (
            stopped.body["status"].clone(),
            stopped.body["winner"].clone()
        ),
        (json!("stopped"), json!("b"))
    );
    let twice = app
        .send_as(&key, Method::POST, &format!("{base}/{exp}/stop"), None)
        .await;
    assert_eq!(twice.status, 409, "{}", twice.body);
    for (name, phone) in [("Sara", "+966501111111"), ("Omar", "+966502222222")] {
        let later = lead(&app, &key, name, phone).await;
        let reply = first_reply(&app, &key, &later).await;
        assert!(
            reply.starts_with(&format!("Variant B says hello {name} from Test Realty!")),
            "{reply}"
        );
    }
    let after = app.get_as(&key, &format!("{base}/{exp}")).await;
    let total: u64 = after.body["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .map(|v| v["exposures"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(total, 1, "leads after the stop are not exposures");
    let listed = app.get_as(&key, &base).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
    // The next greeting experiment may start now that the first is stopped.
    let next = app
        .send_as(&key, Method::POST, &base, Some(greeting_experiment()))
        .await;
    assert_eq!(next.status, 201, "{}", next.body);
}

#[tokio::test]
async fn the_pages_show_the_report_and_export_every_table() {
    let app = spawn_app().await;
    let (id, key) = app.create_realty("analytics-pages").await;
    add_user(&app, &id, "sara@example.com", "agent").await;
    lead(&app, &key, "Ahmed", "+966501234567").await;
    let created = app
        .send_as(
            &key,
            Method::POST,
            &format!("/api/v1/clients/{id}/experiments"),
            Some(greeting_experiment()),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(get_page(&app, "", "/app/analytics").await.status, 303);
    let me = sign_in(&app, "sara@example.com").await;

    let page = get_page(&app, &me.cookie, "/app/analytics?group_by=week").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<svg"), "charts are drawn on the server");
    for table in [
        "speed",
        "speed_hours",
        "funnel",
        "groups",
        "scores",
        "escalations",
        "failures",
        "cost",
    ] {
        assert!(
            page.body.contains(&format!("id=\"table-{table}\"")),
            "{table}"
        );
        let csv = crate::helpers::Reply::read(
            app.http
                .get(app.url(&format!("/app/analytics/{table}.csv?group_by=week")))
                .header("Cookie", &me.cookie)
                .send()
                .await
                .expect("csv"),
        )
        .await;
        assert_eq!(csv.status, 200, "{table}");
        assert!(csv.content_type().starts_with("text/csv"), "{table}");
    }
    let funnel = app
        .http
        .get(app.url("/app/analytics/funnel.csv"))
        .header("Cookie", &me.cookie)
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    assert!(
        funnel.starts_with("state,count,of,rate\r\nNEW,1,1,100.0%\r\n"),
        "{funnel}"
    );
    let missing = get_page(&app, &me.cookie, "/app/analytics/nothing.csv").await;
    assert_eq!(missing.status, 404);
    let bad = get_page(&app, &me.cookie, "/app/analytics?from=2026-13-01").await;
    assert_eq!(bad.status, 422, "{}", bad.body);

    let experiments = get_page(&app, &me.cookie, "/app/experiments").await;
    assert_eq!(experiments.status, 200);
    assert!(experiments.body.contains("Warmer greeting"));
    assert!(
        experiments
            .body
            .contains("no winner yet, about 786 more leads needed")
    );
}
