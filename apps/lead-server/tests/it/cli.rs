//! The command line's admin and eval commands against real files.

use crate::helpers::{ahmed_body, spawn_app_with};
use clap::Parser;
use lead_server::cli::{Cli, Command, admin};
use lead_server::config::Settings;

fn value<'a>(output: &'a str, key: &str) -> &'a str {
    output
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key} missing in {output}"))
}

#[tokio::test]
async fn admin_commands_create_a_tenant_and_rotate_its_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}/cli.db?mode=rwc", dir.path().display());
    let settings = Settings {
        database_url: db.clone(),
        data_dir: dir.path().to_owned(),
        ..Settings::default()
    };
    let cli = Cli::try_parse_from([
        "lead-server",
        "admin",
        "create-tenant",
        "--name",
        "Cli Realty",
        "--slug",
        "cli-realty",
        "--industry",
        "real_estate",
        "--hours",
        r#"{"sunday": {"start": "09:00", "end": "17:00"}}"#,
    ])
    .expect("arguments");
    let Some(Command::Admin { command }) = cli.command else {
        panic!("admin command")
    };
    let created = admin(command, &settings).await.expect("create-tenant");
    let client_id = value(&created, "client_id").to_owned();
    let key = value(&created, "api_key").to_owned();

    let app = spawn_app_with(|s| s.database_url = db.clone()).await;
    assert_eq!(app.web_form(&key, ahmed_body(), None).await.status, 202);

    let cli = Cli::try_parse_from([
        "lead-server",
        "admin",
        "rotate-key",
        "--client-id",
        &client_id,
    ])
    .expect("arguments");
    let Some(Command::Admin { command }) = cli.command else {
        panic!("admin command")
    };
    let rotated = admin(command, &settings).await.expect("rotate-key");
    let new_key = value(&rotated, "api_key");
    assert_ne!(new_key, key);
    assert_eq!(app.web_form(new_key, ahmed_body(), None).await.status, 202);

    let bad = Cli::try_parse_from([
        "lead-server",
        "admin",
        "create-tenant",
        "--name",
        "X",
        "--slug",
        "Bad Slug",
        "--industry",
        "solar",
    ])
    .expect("arguments");
    let Some(Command::Admin { command }) = bad.command else {
        panic!("admin command")
    };
    let err = admin(command, &settings).await.expect_err("invalid slug");
    assert!(err.to_string().contains("slug"), "{err}");
}

#[test]
fn eval_writes_one_prediction_per_case() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = dir.path().join("cases.jsonl");
    let profiles = dir.path().join("clients.json");
    let out = dir.path().join("predictions.jsonl");
    std::fs::write(
        &cases,
        concat!(
            r#"{"id":"a","profile":"real_estate","channel":"web_form","turns":[{"role":"lead","text":"I want to buy an apartment in Dammam, budget around 800,000 SAR"}]}"#,
            "\n",
            r#"{"id":"b","profile":"real_estate","channel":"sms","turns":[{"role":"lead","text":"ابي فيلا في الرياض"}]}"#,
            "\n"
        ),
    )
    .expect("cases");
    std::fs::write(
        &profiles,
        r#"{"reference_date":"2026-11-24","fx_usd":{"USD":1.0,"SAR":0.2667},"profiles":{"real_estate":{"industry":"real_estate","currency":"SAR","min_budget":300000,"high_value_threshold":5000000,"services":{"buy_apartment":"buying an apartment / flat","buy_villa":"buying a villa or house"}}}}"#,
    )
    .expect("profiles");
    lead_server::eval::run(&cases, &profiles, Some(&out)).expect("eval runs");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .expect("predictions")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[0]["predicted"]["service"], "buy_apartment");
    assert_eq!(lines[1]["predicted"]["language"], "ar");
    assert!(lead_server::eval::run(&cases, &dir.path().join("missing.json"), None).is_err());
}
