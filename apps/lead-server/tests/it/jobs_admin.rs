//! `lead-server admin jobs list|retry`: dead jobs listed and re-driven from the command line.

use clap::Parser;
use lead_domain::ids::{ConversationId, JobId, MessageId, TenantId};
use lead_domain::jobs::{JobPayload, JobStatus, RetryDecision};
use lead_server::cli::{Cli, Command, admin};
use lead_server::config::Settings;
use lead_server::startup::wire;
use std::time::Duration;

async fn run(settings: &Settings, args: &[&str]) -> anyhow::Result<String> {
    let cli = Cli::try_parse_from(["lead-server", "admin"].iter().chain(args)).expect("arguments");
    let Some(Command::Admin { command }) = cli.command else {
        panic!("admin command")
    };
    admin(command, settings).await
}

#[tokio::test]
async fn dead_jobs_are_listed_and_re_driven_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = Settings {
        database_url: format!("sqlite://{}/jobs.db?mode=rwc", dir.path().display()),
        data_dir: dir.path().to_owned(),
        ..Settings::default()
    };
    let created = run(
        &settings,
        &[
            "create-tenant",
            "--name",
            "Jobs Realty",
            "--slug",
            "jobs-realty",
            "--industry",
            "real_estate",
        ],
    )
    .await
    .expect("create-tenant");
    let client: uuid::Uuid = created
        .lines()
        .find_map(|l| l.strip_prefix("client_id="))
        .and_then(|v| v.parse().ok())
        .expect("client id");
    let deps = wire(&settings).await.expect("wiring").deps;
    let now = deps.clock.now();
    let job = JobPayload::SendOutbound {
        conversation_id: ConversationId::from_uuid(uuid::Uuid::new_v4()),
        message_id: MessageId::from_uuid(uuid::Uuid::new_v4()),
    }
    .job(
        JobId::from_uuid(uuid::Uuid::new_v4()),
        TenantId::from_uuid(client),
        now,
    );
    deps.jobs.enqueue(&job).await.expect("enqueue");
    let claimed = deps
        .jobs
        .claim_due("t", now, 10, Duration::from_secs(60))
        .await
        .expect("claim");
    deps.jobs
        .fail(
            claimed[0].lease(),
            "twilio down",
            RetryDecision::GiveUp,
            now,
        )
        .await
        .expect("dead");

    let listed = run(&settings, &["jobs", "list", "--status", "dead"])
        .await
        .expect("list");
    assert!(listed.starts_with("total=1"), "{listed}");
    assert!(listed.contains(&job.id.to_string()) && listed.contains("twilio down"));
    assert!(
        run(&settings, &["jobs", "list", "--status", "buried"])
            .await
            .is_err()
    );

    let id = job.id.to_string();
    assert_eq!(
        run(&settings, &["jobs", "retry", &id])
            .await
            .expect("retry"),
        "requeued=1"
    );
    let again = deps
        .jobs
        .get_job(TenantId::from_uuid(client), job.id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!((again.status, again.attempts), (JobStatus::Queued, 0));
    assert!(
        run(&settings, &["jobs", "retry", &id]).await.is_err(),
        "not dead any more"
    );
    assert_eq!(
        run(&settings, &["jobs", "retry", "--all-dead"])
            .await
            .expect("all dead"),
        "requeued=0"
    );
    assert!(Cli::try_parse_from(["lead-server", "admin", "jobs", "retry"]).is_err());
}

/// `GET /api/v1/jobs?status=dead` and `POST /api/v1/jobs/{id}/retry`: the same re-drive over HTTP,
/// admin only.
#[tokio::test]
async fn dead_jobs_are_listed_and_re_driven_over_http() {
    use crate::helpers::spawn_app_with;
    use reqwest::Method;
    let app = spawn_app_with(|s| s.workers = 0).await;
    let (client, key) = app.create_realty("jobs-http").await;
    let settings = Settings {
        database_url: format!("sqlite://{}/test.db?mode=rwc", app.dir.path().display()),
        data_dir: app.dir.path().to_owned(),
        ..Settings::default()
    };
    let deps = wire(&settings).await.expect("wiring").deps;
    let now = deps.clock.now();
    let job = JobPayload::SendOutbound {
        conversation_id: ConversationId::from_uuid(uuid::Uuid::new_v4()),
        message_id: MessageId::from_uuid(uuid::Uuid::new_v4()),
    }
    .job(
        JobId::from_uuid(uuid::Uuid::new_v4()),
        TenantId::from_uuid(client.parse().expect("client id")),
        now,
    );
    deps.jobs.enqueue(&job).await.expect("enqueue");
    let claimed = deps
        .jobs
        .claim_due("t", now, 10, Duration::from_secs(60))
        .await
        .expect("claim");
    deps.jobs
        .fail(
            claimed[0].lease(),
            "twilio down",
            RetryDecision::GiveUp,
            now,
        )
        .await
        .expect("dead");

    let listed = app
        .admin(Method::GET, "/api/v1/jobs?status=dead", None)
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.body["total"], 1);
    assert_eq!(listed.body["items"][0]["id"], job.id.to_string());
    assert_eq!(listed.body["items"][0]["kind"], "send_outbound");
    assert_eq!(listed.body["items"][0]["last_error"], "twilio down");
    let bad = app
        .admin(Method::GET, "/api/v1/jobs?status=buried", None)
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.fields(), vec!["status".to_owned()]);

    let path = format!("/api/v1/jobs/{}/retry", job.id);
    let tenant_try = app.send_as(&key, Method::POST, &path, None).await;
    assert_eq!(tenant_try.status, 401, "a tenant key is not an admin token");
    let retried = app.admin(Method::POST, &path, None).await;
    assert_eq!(retried.status, 200, "{}", retried.body);
    assert_eq!(retried.body["status"], "queued");
    let again = app.admin(Method::POST, &path, None).await;
    assert_eq!(
        again.status, 404,
        "a job that is no longer dead is not re-driven twice"
    );
    let queued = app
        .admin(Method::GET, "/api/v1/jobs?status=queued", None)
        .await;
    assert!(
        queued.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|j| j["id"] == job.id.to_string() && j["attempts"] == 0),
        "{}",
        queued.body
    );
}
