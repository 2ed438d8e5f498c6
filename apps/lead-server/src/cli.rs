//! The command line: `serve` (default), `worker`, `migrate`, `admin create-tenant|rotate-key|jobs`, `eval`,
//! `eval-conversations`.

use crate::config::Settings;
use crate::routes::clients::{CreateClientRequest, create_client, rotate_key};
use crate::startup::{Application, wire, worker_settings};
use crate::worker::WorkerPool;
use clap::{Parser, Subcommand};
use lead_domain::ids::{JobId, TenantId};
use lead_domain::jobs::JobStatus;
use lead_domain::ports::Page;
use lead_domain::usecases::{Deps, Redrive, redrive_dead};
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
    /// Applies the database migrations and exits; safe to run from several instances at once
    /// (PostgreSQL serialises them with an advisory lock), e.g. as a Kubernetes init container or Job.
    Migrate,
    /// Asks a running server's readiness endpoint; exits 0 when it answers 2xx, 1 otherwise
    /// (the container healthcheck).
    Healthcheck {
        /// The URL to probe (default `http://127.0.0.1:$PORT/health/ready`).
        #[arg(long)]
        url: Option<String>,
    },
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
    /// Creates a user of a client for the sales inbox at `/app`, reading the password from
    /// standard input (first line), and prints the user's id.
    CreateUser {
        /// Client id or slug.
        #[arg(long)]
        client: String,
        /// Sign-in email.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// `owner` or `agent`.
        #[arg(long, default_value = "agent")]
        role: String,
        /// Interface language, `en` or `ar`.
        #[arg(long)]
        language: Option<String>,
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
    /// Re-encrypts every client's stored secrets under the current key: set the new key in
    /// `SECRET_KEY` and the old one in `SECRET_KEY_PREVIOUS` first, or, without `SECRET_KEY`, a new
    /// key is generated into the data directory's key file.
    RotateSecretKey,
    /// Lists and re-drives queued jobs.
    Jobs {
        /// What to do.
        #[command(subcommand)]
        command: JobsCommand,
    },
}

/// Operator actions on the job queue.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Lists jobs in a state, oldest first (at most 200).
    List {
        /// `queued`, `running`, `done` or `dead`.
        #[arg(long, default_value = "dead")]
        status: String,
    },
    /// Puts a dead job (or every dead job) back in the queue with a fresh retry budget.
    Retry {
        /// The job's id.
        #[arg(required_unless_present = "all_dead", conflicts_with = "all_dead")]
        id: Option<uuid::Uuid>,
        /// Every dead job.
        #[arg(long)]
        all_dead: bool,
    },
}

/// Parses the command line, loads the settings, starts logging and span export, runs the command,
/// and sends the spans still buffered before returning.
///
/// # Errors
/// Configuration, startup and command failures, for `main` to print.
pub async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The probe needs no settings, database or telemetry, and must work when they are broken.
    if let Some(Command::Healthcheck { url }) = &cli.command {
        let url = url.clone().unwrap_or_else(|| {
            crate::healthcheck::default_url(std::env::var("PORT").ok().as_deref())
        });
        crate::healthcheck::probe(&url)?;
        return Ok(());
    }
    let settings = Settings::load()?;
    let reporting = crate::error_reporting::init(&settings)?;
    let telemetry = crate::telemetry::install(
        settings.log_format,
        settings.trace_export()?.as_ref(),
        reporting.is_enabled(),
    )?;
    let outcome = run(cli, settings).await;
    if let Err(error) = telemetry.shutdown().await {
        let error = format!("{:#}", anyhow::Error::from(error));
        tracing::warn!(%error, "spans may have been lost at shutdown");
    }
    drop(reporting);
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
            let metrics = match settings.metrics_port {
                Some(port) => {
                    let (_, server) = crate::startup::serve_metrics(&settings.host, port)?;
                    let handle = server.handle();
                    tokio::spawn(server);
                    Some(handle)
                }
                None => None,
            };
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
            if let Some(metrics) = metrics {
                metrics.stop(true).await;
            }
            Ok(())
        }
        Command::Migrate => {
            crate::storage::migrate(&settings).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Healthcheck { url } => {
            let url = url.unwrap_or_else(|| {
                crate::healthcheck::default_url(Some(&settings.port.to_string()))
            });
            crate::healthcheck::probe(&url)?;
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
    if matches!(command, AdminCommand::RotateSecretKey) {
        return crate::storage::rotate_secret_key(settings).await;
    }
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
        AdminCommand::CreateUser {
            client,
            email,
            name,
            role,
            language,
        } => create_user(&wiring, &client, email, name, &role, language.as_deref()).await?,
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
        AdminCommand::Jobs { command } => jobs(&wiring.deps, command).await?,
        AdminCommand::RotateSecretKey => crate::storage::rotate_secret_key(settings).await?,
    };
    Ok(output)
}

/// Runs a `jobs` admin command: one `key=value` line per job, or the count re-driven.
async fn jobs(deps: &Deps, command: JobsCommand) -> anyhow::Result<String> {
    match command {
        JobsCommand::List { status } => {
            let status: JobStatus = serde_json::from_value(serde_json::Value::String(status))
                .map_err(|_| {
                    anyhow::anyhow!("--status must be one of queued, running, done, dead")
                })?;
            let page = Page {
                limit: 200,
                offset: 0,
            };
            let jobs = deps.jobs.list_jobs(status, page).await?;
            let mut out = format!("total={}", jobs.total);
            for j in jobs.items {
                out.push_str(&format!(
                    "\nid={} client_id={} kind={} attempts={} created_at={} last_error={:?}",
                    j.id,
                    j.tenant_id,
                    j.payload.kind(),
                    j.attempts,
                    j.created_at.to_rfc3339(),
                    j.last_error.unwrap_or_default()
                ));
            }
            Ok(out)
        }
        JobsCommand::Retry { id, all_dead } => {
            let which = match (id, all_dead) {
                (_, true) => Redrive::AllDead,
                (Some(id), false) => Redrive::One(JobId::from_uuid(id)),
                (None, false) => anyhow::bail!("give a job id or --all-dead"),
            };
            let count = redrive_dead(deps, which)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(format!("requeued={count}"))
        }
    }
}

/// `admin create-user`: the password is the first line of standard input, never an argument
/// (arguments show in process lists and shell history).
async fn create_user(
    wiring: &crate::startup::Wiring,
    client: &str,
    email: String,
    name: String,
    role: &str,
    language: Option<&str>,
) -> anyhow::Result<String> {
    use lead_domain::language::Language;
    use lead_domain::usecases::users::{Accounts, NewUser, create_user};
    use lead_domain::users::Role;
    let role =
        Role::parse(role).ok_or_else(|| anyhow::anyhow!("--role: expected owner or agent"))?;
    let language = language
        .map(|l| {
            Language::from_code(l).ok_or_else(|| anyhow::anyhow!("--language: expected en or ar"))
        })
        .transpose()?;
    let users = wiring.storage.users.clone();
    let tenant = match uuid::Uuid::parse_str(client) {
        Ok(id) => wiring
            .deps
            .tenants
            .get_tenant(TenantId::from_uuid(id))
            .await?
            .map(|t| t.id),
        Err(_) => users.tenant_by_slug(client).await?,
    }
    .ok_or_else(|| anyhow::anyhow!("--client: no client with id or slug {client:?}"))?;
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .map_err(|e| anyhow::anyhow!("reading the password from standard input: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    let hasher = crate::app::auth::Argon2Hasher::new()?;
    let accounts = Accounts::new(
        users.as_ref(),
        &hasher,
        wiring.deps.clock.as_ref(),
        wiring.deps.ids.as_ref(),
    );
    let user = create_user(
        accounts,
        tenant,
        NewUser {
            email,
            name,
            role,
            password,
            language,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(format!(
        "user_id={}\nclient_id={}\nemail={}\nrole={}",
        user.id,
        user.tenant_id,
        user.email,
        user.role.as_str()
    ))
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
