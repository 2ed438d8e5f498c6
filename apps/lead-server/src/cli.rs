//! The command line: `serve` (default), `worker`, `migrate`, `admin create-tenant|rotate-key`, `eval`,
//! `eval-conversations`.

use crate::config::Settings;
use crate::routes::clients::{CreateClientRequest, create_client, rotate_key};
use crate::startup::{Application, wire, worker_settings};
use crate::worker::WorkerPool;
use clap::{Parser, Subcommand};
use lead_domain::ids::TenantId;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Notify;

/// `lead-server`: AI lead response and qualification service.
#[derive(Debug, Parser)]
#[command(name = "lead-server", version, about)]
pub struct Cli {
    /// What to run; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serves the HTTP API and webhooks, with queue workers in-process.
    Serve {
        /// Queue workers in this process (default 2, or WORKERS); 0 serves HTTP only.
        #[arg(long)]
        workers: Option<usize>,
    },
    /// Runs queue workers only, for scaling work out.
    Worker {
        /// Queue workers in this process.
        #[arg(long, default_value_t = 2)]
        workers: usize,
    },
    /// Applies the database migrations and exits.
    Migrate,
    /// Platform administration.
    Admin {
        /// The admin action.
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Runs the qualification evaluation over labelled cases.
    Eval {
        /// Cases, one JSON object per line.
        #[arg(long)]
        cases: PathBuf,
        /// Client profiles (`clients.json`).
        #[arg(long)]
        profiles: PathBuf,
        /// Where to write the predictions; stdout when omitted.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Loads knowledge-base documents into a fresh store, asks every question through retrieval
    /// and the offline answer, and prints recall@1, recall@3 and answer containment.
    EvalKnowledge {
        /// A folder with `documents/*.md` and `questions.jsonl`.
        #[arg(long)]
        dir: PathBuf,
    },
    /// Plays scripted live-chat dialogues through the use cases and measures escalations, reply
    /// language and final scores.
    EvalConversations {
        /// Dialogues, one JSON object per line.
        #[arg(long)]
        cases: PathBuf,
        /// Client profiles (`clients.json`).
        #[arg(long)]
        profiles: PathBuf,
        /// Where to write the per-turn and per-dialogue results; stdout when omitted.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Admin actions.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Creates a client and prints its id and API key (shown once).
    CreateTenant {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Unique URL-safe name.
        #[arg(long)]
        slug: String,
        /// Industry key (real_estate, dental_clinic, ...).
        #[arg(long)]
        industry: String,
        /// IANA timezone.
        #[arg(long, default_value = "Asia/Riyadh")]
        timezone: String,
        /// Weekly hours as JSON: `{"monday": {"start": "09:00", "end": "18:00"}}`.
        #[arg(long)]
        hours: Option<String>,
    },
    /// Issues a new API key for a client and prints it (shown once).
    RotateKey {
        /// Client id.
        #[arg(long)]
        client_id: uuid::Uuid,
        /// Seconds the old keys keep working.
        #[arg(long, default_value_t = 0)]
        grace_period_seconds: u32,
    },
}

/// Parses the command line, loads the settings, starts logging and span export, runs the command,
/// and sends the spans still buffered before returning.
///
/// # Errors
/// Configuration, startup and command failures, for `main` to print.
pub async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load()?;
    let telemetry =
        crate::telemetry::install(settings.log_format, settings.trace_export()?.as_ref())?;
    let outcome = run(cli, settings).await;
    if let Err(error) = telemetry.shutdown().await {
        let error = format!("{:#}", anyhow::Error::from(error));
        tracing::warn!(%error, "spans may have been lost at shutdown");
    }
    outcome
}

/// Runs a parsed command with loaded settings.
///
/// # Errors
/// Startup and command failures.
pub async fn run(cli: Cli, mut settings: Settings) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve { workers: None }) {
        Command::Serve { workers } => {
            if let Some(n) = workers {
                settings.workers = n;
            }
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await
        }
        Command::Worker { workers } => {
            let wiring = wire(&settings).await?;
            let pool = WorkerPool::spawn(
                wiring.deps,
                workers,
                worker_settings(&settings),
                Arc::new(Notify::new()),
                Arc::new(Notify::new()),
            );
            shutdown_signal().await;
            tracing::info!("stopping queue workers");
            pool.stop().await;
            Ok(())
        }
        Command::Migrate => {
            crate::storage::migrate(&settings).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Admin { command } => {
            println!("{}", admin(command, &settings).await?);
            Ok(())
        }
        Command::Eval {
            cases,
            profiles,
            out,
        } => crate::eval::run(&cases, &profiles, out.as_deref()),
        Command::EvalConversations {
            cases,
            profiles,
            out,
        } => crate::eval_conversations::run(&cases, &profiles, out.as_deref()).await,
        Command::EvalKnowledge { dir } => crate::eval_knowledge::run(&dir).await,
    }
}

/// Runs an admin command against the configured database and returns what to print
/// (`key=value` lines, the API key among them, shown this once).
///
/// # Errors
/// Invalid arguments, an unknown client, or storage failures.
pub async fn admin(command: AdminCommand, settings: &Settings) -> anyhow::Result<String> {
    let wiring = wire(settings).await?;
    let output = match command {
        AdminCommand::CreateTenant {
            name,
            slug,
            industry,
            timezone,
            hours,
        } => {
            let body = serde_json::json!({
                "name": name,
                "slug": slug,
                "industry": industry,
                "timezone": timezone,
                "business_hours": match hours {
                    Some(h) => serde_json::from_str::<serde_json::Value>(&h)
                        .map_err(|e| anyhow::anyhow!("--hours is not JSON: {e}"))?,
                    None => serde_json::json!({}),
                },
            });
            let req: CreateClientRequest = crate::extract::parse_json(body.to_string().as_bytes())
                .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
            let (tenant, key) = create_client(&wiring.deps, req)
                .await
                .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
            format!("client_id={}\napi_key={key}", tenant.id)
        }
        AdminCommand::RotateKey {
            client_id,
            grace_period_seconds,
        } => {
            let (rotated, _) = rotate_key(
                &wiring.deps,
                TenantId::from_uuid(client_id),
                grace_period_seconds,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
            format!(
                "client_id={}\napi_key={}\nprevious_keys_expire_at={}",
                rotated.client_id, rotated.api_key, rotated.previous_keys_expire_at
            )
        }
    };
    Ok(output)
}

fn describe(err: &crate::error::ApiError) -> String {
    match err {
        crate::error::ApiError::Validation(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("lead-server").chain(args.iter().copied()))
    }

    #[test]
    fn serve_is_the_default_and_takes_a_worker_count() {
        assert!(matches!(parse(&[]), Ok(Cli { command: None })));
        assert!(matches!(
            parse(&["serve", "--workers", "0"]),
            Ok(Cli {
                command: Some(Command::Serve { workers: Some(0) })
            })
        ));
        assert!(matches!(
            parse(&["worker"]),
            Ok(Cli {
                command: Some(Command::Worker { workers: 2 })
            })
        ));
        assert!(parse(&["serve", "--workers", "many"]).is_err());
    }

    #[test]
    fn admin_and_eval_arguments_parse() {
        assert!(matches!(
            parse(&[
                "admin",
                "rotate-key",
                "--client-id",
                "00000000-0000-0000-0000-000000000001",
                "--grace-period-seconds",
                "60"
            ]),
            Ok(Cli {
                command: Some(Command::Admin {
                    command: AdminCommand::RotateKey {
                        grace_period_seconds: 60,
                        ..
                    }
                })
            })
        ));
        assert!(parse(&["admin", "rotate-key", "--client-id", "not-a-uuid"]).is_err());
        assert!(matches!(
            parse(&["eval", "--cases", "c.jsonl", "--profiles", "p.json"]),
            Ok(Cli {
                command: Some(Command::Eval { out: None, .. })
            })
        ));
        assert!(parse(&["eval", "--cases", "c.jsonl"]).is_err());
    }

    #[test]
    fn eval_conversations_arguments_parse() {
        match parse(&[
            "eval-conversations",
            "--cases",
            "d.jsonl",
            "--profiles",
            "p.json",
            "--out",
            "o.jsonl",
        ]) {
            Ok(Cli {
                command:
                    Some(Command::EvalConversations {
                        cases,
                        profiles,
                        out,
                    }),
            }) => {
                assert_eq!(cases, PathBuf::from("d.jsonl"));
                assert_eq!(profiles, PathBuf::from("p.json"));
                assert_eq!(out, Some(PathBuf::from("o.jsonl")));
            }
            other => panic!("unexpected parse: {other:?}"),
        }
        assert!(matches!(
            parse(&[
                "eval-conversations",
                "--cases",
                "d.jsonl",
                "--profiles",
                "p.json"
            ]),
            Ok(Cli {
                command: Some(Command::EvalConversations { out: None, .. })
            })
        ));
        assert!(parse(&["eval-conversations", "--cases", "d.jsonl"]).is_err());
        assert!(parse(&["eval-conversations", "--profiles", "p.json"]).is_err());
    }
}
