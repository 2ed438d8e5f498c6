//! The owner's experiment forms on `/app/experiments`: creating and stopping an experiment through
//! the page reaches the same store as the API; agents and forged forms are refused.

use crate::helpers::TestApp;
use crate::helpers::spawn_app;
use crate::inbox::{add_user, get_page, post_page, sign_in};

fn create_form<'a>(csrf: &'a str, name: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("name", name),
        ("target", "question"),
        ("field", "budget"),
        ("metric", "qualified"),
        ("traffic", "50"),
        ("key_1", "a"),
        ("en_1", "What budget do you have in mind?"),
        ("ar_1", "ما الميزانية التي تفكر بها؟"),
        ("key_2", "b"),
        ("en_2", "Roughly how much would you like to spend?"),
        ("ar_2", "كم تود أن تنفق تقريباً؟"),
        ("key_3", ""),
        ("en_3", ""),
        ("ar_3", ""),
    ]
}

async fn api_experiments(app: &TestApp, key: &str, id: &str) -> serde_json::Value {
    let listed = app
        .get_as(key, &format!("/api/v1/clients/{id}/experiments"))
        .await;
    assert_eq!(listed.status, 200);
    listed.body["items"].clone()
}

#[tokio::test]
async fn an_owner_creates_and_stops_an_experiment_on_the_page() {
    let app = spawn_app().await;
    let (id, key) = app.create_realty("experiment-forms").await;
    add_user(&app, &id, "owner@example.com", "owner").await;
    add_user(&app, &id, "agent@example.com", "agent").await;
    let owner = sign_in(&app, "owner@example.com").await;
    let agent = sign_in(&app, "agent@example.com").await;

    let page = get_page(&app, &owner.cookie, "/app/experiments").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"create-experiment\""));
    let agents_page = get_page(&app, &agent.cookie, "/app/experiments").await;
    assert_eq!(agents_page.status, 200);
    assert!(
        !agents_page.body.contains("id=\"create-experiment\""),
        "agents read results but get no form"
    );

    let by_agent = post_page(
        &app,
        &agent.cookie,
        "/app/experiments",
        &create_form(&agent.csrf, "By agent"),
    )
    .await;
    assert_eq!(by_agent.status, 403, "{}", by_agent.body);
    let forged = post_page(
        &app,
        &owner.cookie,
        "/app/experiments",
        &create_form("forged", "Forged"),
    )
    .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_eq!(
        api_experiments(&app, &key, &id)
            .await
            .as_array()
            .map(Vec::len),
        Some(0)
    );

    let mut one_variant = create_form(&owner.csrf, "Too few");
    one_variant.retain(|(k, _)| !k.ends_with("_2"));
    let refused = post_page(&app, &owner.cookie, "/app/experiments", &one_variant).await;
    assert_eq!(refused.status, 422, "{}", refused.body);

    let created = post_page(
        &app,
        &owner.cookie,
        "/app/experiments",
        &create_form(&owner.csrf, "Budget wording"),
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let items = api_experiments(&app, &key, &id).await;
    let e = &items[0];
    assert_eq!(e["name"], "Budget wording");
    assert_eq!(e["target"], "question:budget");
    assert_eq!(e["metric"], "qualified");
    assert_eq!(e["traffic"], 0.5);
    assert_eq!(e["status"], "running");
    assert_eq!(e["variants"][1]["text_ar"], "كم تود أن تنفق تقريباً؟");
    let exp_id = e["id"].as_str().expect("id").to_owned();
    assert!(created.location.ends_with(&format!("#experiment-{exp_id}")));

    let shown = get_page(&app, &owner.cookie, "/app/experiments").await;
    assert!(shown.body.contains("Budget wording"));
    assert!(
        shown
            .body
            .contains(&format!("/app/experiments/{exp_id}/stop"))
    );

    let stop_path = format!("/app/experiments/{exp_id}/stop");
    let agent_stop = post_page(
        &app,
        &agent.cookie,
        &stop_path,
        &[("csrf", &agent.csrf), ("winner", "b")],
    )
    .await;
    assert_eq!(agent_stop.status, 403);
    let unknown = post_page(
        &app,
        &owner.cookie,
        &stop_path,
        &[("csrf", &owner.csrf), ("winner", "z")],
    )
    .await;
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    let stopped = post_page(
        &app,
        &owner.cookie,
        &stop_path,
        &[("csrf", &owner.csrf), ("winner", "b")],
    )
    .await;
    assert_eq!(stopped.status, 303, "{}", stopped.body);
    let items = api_experiments(&app, &key, &id).await;
    assert_eq!(items[0]["status"], "stopped");
    assert_eq!(items[0]["winner"], "b");
    let again = post_page(
        &app,
        &owner.cookie,
        &stop_path,
        &[("csrf", &owner.csrf), ("winner", "a")],
    )
    .await;
    assert_eq!(again.status, 409, "{}", again.body);
    let after = get_page(&app, &owner.cookie, "/app/experiments").await;
    assert!(
        !after.body.contains(&stop_path),
        "a stopped experiment has no stop button"
    );
}
