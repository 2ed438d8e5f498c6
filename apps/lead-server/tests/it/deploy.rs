//! The binary as deploy files run it: the `healthcheck` subcommand, blank environment values, and
//! `migrate` started by several instances at once on PostgreSQL.

use crate::helpers::{PgDatabase, spawn_app};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_lead-server");

/// Runs the binary in an empty directory (no `lead-server.toml`) with only the given variables
/// on top of a cleared configuration environment.
fn run(args: &[&str], env: &[(&str, &str)], dir: &std::path::Path) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir);
    for key in lead_server::config::ENV_KEYS {
        cmd.env_remove(key);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("run lead-server")
}

#[tokio::test]
async fn healthcheck_exits_0_for_a_ready_server_and_1_otherwise() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let url = app.url("/health/ready");
    let ok = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        move || {
            run(
                &["healthcheck", "--url", &url],
                &[("LLM_PROVIDER", "")],
                &dir,
            )
        }
    })
    .await
    .expect("join");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    let port = app.address.rsplit(':').next().expect("port").to_owned();
    let by_port = run(&["healthcheck"], &[("PORT", &port)], dir.path());
    assert!(
        by_port.status.success(),
        "{}",
        String::from_utf8_lossy(&by_port.stderr)
    );

    let missing = run(
        &["healthcheck", "--url", &app.url("/no/such/route")],
        &[],
        dir.path(),
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("404"));

    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed_port = closed.local_addr().expect("addr").port();
    drop(closed);
    let down = run(
        &[
            "healthcheck",
            "--url",
            &format!("http://127.0.0.1:{closed_port}/health/ready"),
        ],
        &[],
        dir.path(),
    );
    assert_eq!(down.status.code(), Some(1));
}

#[test]
fn blank_values_as_in_env_example_count_as_unset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}/blank.db?mode=rwc", dir.path().display());
    let data = dir.path().display().to_string();
    let out = run(
        &["migrate"],
        &[
            ("DATABASE_URL", &db),
            ("DATA_DIR", &data),
            ("LLM_PROVIDER", ""),
            ("REDIS_URL", ""),
            ("ADMIN_TOKEN", ""),
            ("ANTHROPIC_API_KEY", ""),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
            ("SMTP_HOST", ""),
            ("PORT", ""),
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = run(
        &["migrate"],
        &[("DATABASE_URL", &db), ("LLM_PROVIDER", "nonsense")],
        dir.path(),
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("LLM_PROVIDER"));
}

#[tokio::test]
async fn concurrent_migrate_processes_apply_each_migration_once() {
    use sea_orm::{ConnectionTrait, Statement};
    let Some(db) =
        PgDatabase::create("concurrent_migrate_processes_apply_each_migration_once").await
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let children: Vec<_> = (0..5)
        .map(|_| {
            let mut cmd = Command::new(BIN);
            cmd.arg("migrate").current_dir(dir.path());
            for key in lead_server::config::ENV_KEYS {
                cmd.env_remove(key);
            }
            cmd.env("DATABASE_URL", &db.url)
                .env("DB_MAX_CONNECTIONS", "2")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn migrate")
        })
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output().expect("wait"))
            .collect::<Vec<_>>()
    })
    .await
    .expect("join");
    for out in &outputs {
        assert!(
            out.status.success(),
            "a concurrent migrate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let conn = sea_orm::Database::connect(&db.url).await.expect("connect");
    let rows = conn
        .query_all_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT version, COUNT(*) AS n FROM seaql_migrations GROUP BY version".to_owned(),
        ))
        .await
        .expect("migrations table");
    assert!(
        rows.len() >= 5,
        "expected every migration recorded, got {}",
        rows.len()
    );
    for row in rows {
        let n: i64 = row.try_get("", "n").expect("count");
        assert_eq!(n, 1);
    }
    conn.close().await.expect("close");
    db.drop_database().await;
}
