//! Wiring: adapters chosen from the settings, the actix application with its middleware, and the
//! in-process queue workers; `Application` is what `main` and the tests boot.

use crate::adapters::{LogNotifier, SystemClock, UuidV7Ids};
use crate::auth::{AdminAuthority, KeyCache};
use crate::config::{LlmProvider, Settings};
use crate::error::PROBLEM_JSON;
use crate::ratelimit::RateLimiter;
use crate::routes;
use crate::state::AppState;
use crate::storage::{self, Storage};
use crate::worker::{WorkerPool, WorkerSettings};
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{Compress, Condition, ErrorHandlerResponse, ErrorHandlers, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use lead_channels::email::{SmtpConfig, SmtpMailer};
use lead_channels::sender::{ChannelSender, SmtpSender, TwilioSender};
use lead_channels::twilio::TwilioClient;
use lead_domain::jobs::RetryPolicy;
use lead_domain::ports::{Clock, LanguageModel, MessageSender, OfflineExtractor};
use lead_domain::usecases::Deps;
use lead_domain::usecases::booking::BookingDeps;
use lead_llm::{ConfiguredModel, LlmConfig, ProviderSet};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tracing_actix_web::TracingLogger;

pub use crate::tracing_http::REQUEST_ID;

/// The adapters the settings select, ready for the use cases.
pub struct Wiring {
    /// Use-case dependencies.
    pub deps: Deps,
    /// Storage, kept for the webhook log and closing.
    pub storage: Storage,
}

/// Chooses the adapters: storage by `DATABASE_URL` (migrations applied), the language model by
/// `LLM_PROVIDER` and keys, the offline qualifier, senders and the notifier.
///
/// # Errors
/// When the database cannot be opened or migrated, or an adapter rejects its settings.
pub async fn wire(settings: &Settings) -> anyhow::Result<Wiring> {
    if settings.is_sqlite() {
        std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
            anyhow::anyhow!(
                "creating the data directory {}: {e}",
                settings.data_dir.display()
            )
        })?;
    }
    let storage = storage::open(settings).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let model = language_model(settings)?;
    let extractor: Arc<dyn OfflineExtractor> = crate::qualifier::offline_extractor();
    crate::tracing_http::install_propagator();
    if settings.metrics_enabled {
        crate::metrics::handle();
    }
    let provider = match settings.effective_llm_provider() {
        LlmProvider::Anthropic => "anthropic",
        LlmProvider::Openai => "openai",
        LlmProvider::Offline => "offline",
    };
    let model = model.map(|m| -> Arc<dyn LanguageModel> {
        Arc::new(crate::metrics::MeteredModel::new(m, provider))
    });
    let deps = Deps {
        tenants: storage.tenants.clone(),
        leads: storage.leads.clone(),
        escalations: storage.escalations.clone(),
        usage: storage.usage.clone(),
        opt_outs: storage.opt_outs.clone(),
        jobs: Arc::new(crate::metrics::MeteredQueue::new(storage.jobs.clone())),
        model,
        extractor,
        sender: Arc::new(crate::metrics::MeteredSender::new(message_sender(
            settings,
            &storage,
            clock.clone(),
        )?)),
        notifier: Arc::new(crate::metrics::MeteredNotifier::new(Arc::new(LogNotifier))),
        clock,
        ids: Arc::new(UuidV7Ids),
        retry: RetryPolicy::default(),
        budgets: settings.retry_budgets(),
        decisions: Arc::new(crate::metrics::MeteredDecisions::new(
            storage.decisions.clone(),
        )),
        knowledge: Some(lead_domain::knowledge::KnowledgeBase {
            store: storage.knowledge.clone(),
            analyzer: Arc::new(lead_nlu::SearchAnalyzer),
        }),
        booking: Some(BookingDeps {
            calendar: Arc::new(
                lead_channels::calcom::CalcomClient::new(
                    &settings.calcom_api_base_url,
                    lead_channels::calcom::DEFAULT_TIMEOUT,
                )
                .map_err(|e| anyhow::anyhow!("invalid configuration CALCOM_API_BASE_URL: {e}"))?,
            ),
            records: storage.bookings.clone(),
            reader: Arc::new(lead_nlu::OfflineRules),
        }),
        experiments: Some(storage.experiments.clone()),
        events: Some(event_deps(settings, &storage)?),
        retention: storage.retention.clone(),
        crm: Some(lead_domain::usecases::crm::CrmDeps {
            crm: Arc::new(
                lead_channels::hubspot::HubspotClient::new(
                    &settings.hubspot_api_base_url,
                    lead_channels::hubspot::DEFAULT_TIMEOUT,
                )
                .map_err(|e| anyhow::anyhow!("invalid configuration HUBSPOT_API_BASE_URL: {e}"))?,
            ),
            links: storage.crm_links.clone(),
        }),
    };
    Ok(Wiring { deps, storage })
}

/// The language model the settings select; `None` (said once in the log) runs the offline qualifier.
///
/// # Errors
/// When a model adapter rejects its settings.
pub fn language_model(settings: &Settings) -> anyhow::Result<Option<Arc<dyn LanguageModel>>> {
    // The server owns the provider, keys and base URLs; model ids, prices and timeouts are read
    // by the adapter from their own variables (`LLM_ROUTING_MODEL`, `LLM_PRICES`, ...).
    let lookup = |name: &str| -> Option<String> {
        match name {
            "LLM_PROVIDER" => settings.llm_provider.map(|p| {
                match p {
                    LlmProvider::Anthropic => "anthropic",
                    LlmProvider::Openai => "openai",
                    LlmProvider::Offline => "offline",
                }
                .to_owned()
            }),
            "ANTHROPIC_API_KEY" => settings
                .anthropic_api_key
                .as_ref()
                .map(|k| k.expose().to_owned()),
            "ANTHROPIC_BASE_URL" => Some(settings.anthropic_base_url.clone()),
            "OPENAI_API_KEY" => settings
                .openai_api_key
                .as_ref()
                .map(|k| k.expose().to_owned()),
            "OPENAI_BASE_URL" => Some(settings.openai_base_url.clone()),
            other => std::env::var(other).ok(),
        }
    };
    let config =
        LlmConfig::from_lookup(lookup).map_err(|e| anyhow::anyhow!("invalid configuration {e}"))?;
    let models = ProviderSet::from_config(&config)
        .map_err(|e| anyhow::anyhow!("language model setup: {e}"))?;
    if let ConfiguredModel::Offline { reason } = models.default_model() {
        tracing::info!(%reason, "no language model: the offline qualifier and bilingual templates answer leads");
    } else {
        tracing::info!(provider = ?models.default_model().provider(), "language model configured, with the offline qualifier as fallback");
    }
    // Tenants may choose any provider the operator configured, even when the default is offline.
    if models.any_configured() {
        Ok(Some(Arc::new(models)))
    } else {
        Ok(None)
    }
}

/// The sender of SMS and WhatsApp (each tenant's own Twilio account) and email (SMTP when configured).
///
/// # Errors
/// When the Twilio base URL or the SMTP settings are unusable.
pub fn message_sender(
    settings: &Settings,
    storage: &Storage,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Arc<dyn MessageSender>> {
    let client = TwilioClient::new(
        &settings.twilio_api_base_url,
        lead_channels::twilio::DEFAULT_TIMEOUT,
    )
    .map_err(|e| anyhow::anyhow!("invalid configuration TWILIO_API_BASE_URL: {e}"))?;
    let status_callback = settings
        .public_base_url
        .as_ref()
        .map(|base| format!("{}/webhooks/twilio/status", base.trim_end_matches('/')));
    let twilio = TwilioSender::new(client, storage.opt_outs.clone(), clock, status_callback);
    let email = match (&settings.smtp_host, &settings.smtp_from) {
        (Some(host), Some(from)) => {
            let config = SmtpConfig {
                host: host.clone(),
                port: Some(settings.smtp_port),
                security: match settings.smtp_security {
                    crate::config::SmtpSecurity::Starttls => {
                        lead_channels::email::SmtpSecurity::StartTls
                    }
                    crate::config::SmtpSecurity::Tls => lead_channels::email::SmtpSecurity::Tls,
                    crate::config::SmtpSecurity::None => lead_channels::email::SmtpSecurity::Plain,
                },
                credentials: settings.smtp_username.clone().map(|user| {
                    let password = settings
                        .smtp_password
                        .as_ref()
                        .map(|p| p.expose().to_owned())
                        .unwrap_or_default();
                    (user, secrecy::SecretString::from(password))
                }),
                from: from.clone(),
                timeout: Duration::from_secs(30),
            };
            let mailer = SmtpMailer::new(&config)
                .map_err(|e| anyhow::anyhow!("invalid configuration SMTP_HOST: {e}"))?;
            Some(SmtpSender::new(mailer, storage.opt_outs.clone()))
        }
        _ => {
            tracing::info!(
                "SMTP is not configured: email replies stay stored and are marked suppressed"
            );
            None
        }
    };
    Ok(Arc::new(ChannelSender::new(Some(twilio), email)))
}

/// Event delivery: the store's deliveries, signed webhooks over HTTP, and pages to the team on
/// the tenant's Twilio account and the operator's SMTP server.
///
/// # Errors
/// When the Twilio base URL or the SMTP settings are unusable.
pub fn event_deps(
    settings: &Settings,
    storage: &Storage,
) -> anyhow::Result<lead_domain::events::EventDeps> {
    let twilio = TwilioClient::new(
        &settings.twilio_api_base_url,
        lead_channels::twilio::DEFAULT_TIMEOUT,
    )
    .map_err(|e| anyhow::anyhow!("invalid configuration TWILIO_API_BASE_URL: {e}"))?;
    let mailer = match smtp_config(settings) {
        Some(config) => Some(
            SmtpMailer::new(&config)
                .map_err(|e| anyhow::anyhow!("invalid configuration SMTP_HOST: {e}"))?,
        ),
        None => None,
    };
    let webhooks = lead_channels::webhooks::HttpWebhookSender::new(
        lead_channels::webhooks::DEFAULT_TIMEOUT,
        !settings.webhook_allow_private_networks,
    )
    .map_err(|e| anyhow::anyhow!("building the webhook client: {e}"))?;
    Ok(lead_domain::events::EventDeps {
        store: storage.events.clone(),
        webhooks: Arc::new(webhooks),
        team: Arc::new(lead_channels::team::TeamSender::new(twilio, mailer)),
        public_base_url: settings.public_base_url.clone(),
    })
}

/// The SMTP settings, when `SMTP_HOST` and `SMTP_FROM` are set.
fn smtp_config(settings: &Settings) -> Option<SmtpConfig> {
    let (Some(host), Some(from)) = (&settings.smtp_host, &settings.smtp_from) else {
        return None;
    };
    Some(SmtpConfig {
        host: host.clone(),
        port: Some(settings.smtp_port),
        security: match settings.smtp_security {
            crate::config::SmtpSecurity::Starttls => lead_channels::email::SmtpSecurity::StartTls,
            crate::config::SmtpSecurity::Tls => lead_channels::email::SmtpSecurity::Tls,
            crate::config::SmtpSecurity::None => lead_channels::email::SmtpSecurity::Plain,
        },
        credentials: settings.smtp_username.clone().map(|user| {
            let password = settings
                .smtp_password
                .as_ref()
                .map(|p| p.expose().to_owned())
                .unwrap_or_default();
            (user, secrecy::SecretString::from(password))
        }),
        from: from.clone(),
        timeout: Duration::from_secs(30),
    })
}

/// The queue worker settings from the service settings.
pub fn worker_settings(settings: &Settings) -> WorkerSettings {
    WorkerSettings {
        batch: settings.worker_batch,
        lease: Duration::from_secs(settings.worker_lease_seconds),
        concurrency: settings.worker_concurrency,
        poll: Duration::from_millis(settings.worker_poll_ms.max(10)),
        drain: Duration::from_secs(settings.shutdown_timeout_seconds),
    }
}

/// The HTTP worker threads to run: as configured, or one per CPU core.
fn http_workers(configured: usize) -> usize {
    if configured > 0 {
        return configured;
    }
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// A built server, bound to its port, with its workers running.
pub struct Application {
    port: u16,
    server: Server,
    metrics: Option<(u16, Server)>,
    workers: WorkerPool,
    generated_admin_token: Option<String>,
    state: web::Data<AppState>,
}

impl Application {
    /// Wires the adapters, binds `HOST:PORT` (port 0 picks a free one) and starts `settings.workers` queue workers.
    ///
    /// # Errors
    /// When the database, the admin credential, Redis or the listening socket cannot be set up.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let wiring = wire(&settings).await?;
        let admin = AdminAuthority::initialise(
            settings.admin_token.as_ref().map(|t| t.expose()),
            &settings.data_dir,
        )?;
        if let Some(token) = &admin.generated_token {
            // Printed once, on stdout rather than the log, so log shipping does not capture it.
            println!(
                "generated platform admin token (shown once, only its SHA-256 digest is kept in {}): {token}",
                settings
                    .data_dir
                    .join(crate::auth::ADMIN_DIGEST_FILE)
                    .display()
            );
        }
        let (limiter, limits) = match &settings.redis_url {
            Some(url) => {
                let pool = deadpool_redis::Config::from_url(url)
                    .create_pool(Some(deadpool_redis::Runtime::Tokio1))
                    .map_err(|e| anyhow::anyhow!("invalid configuration REDIS_URL: {e}"))?;
                (
                    RateLimiter::redis(settings.rate_limit_per_minute, pool.clone()),
                    crate::limits::Limits::with_redis(settings.limit_settings(), pool),
                )
            }
            None => (
                RateLimiter::memory(settings.rate_limit_per_minute),
                crate::limits::Limits::memory(settings.limit_settings()),
            ),
        };
        let proxies = settings.proxies()?;
        let http_workers = http_workers(settings.http_workers);
        let listener = TcpListener::bind((settings.host.as_str(), settings.port))
            .map_err(|e| anyhow::anyhow!("binding {}:{}: {e}", settings.host, settings.port))?;
        let address = listener.local_addr()?;
        let port = address.port();
        let wake = Arc::new(Notify::new());
        let jobs_done = Arc::new(Notify::new());
        let workers = WorkerPool::spawn(
            wiring.deps.clone(),
            settings.workers,
            worker_settings(&settings),
            wake.clone(),
            jobs_done.clone(),
        );
        let shutdown = settings.shutdown_timeout_seconds;
        let inbox = crate::app::InboxServices {
            users: wiring.storage.users.clone(),
            reader: wiring.storage.inbox.clone(),
            hasher: Arc::new(crate::app::auth::Argon2Hasher::new()?),
            streams: crate::app::events::StreamSlots::default(),
        };
        crate::housekeeping::spawn(inbox.clone(), wiring.deps.clone());
        let state = web::Data::new(AppState {
            deps: wiring.deps,
            storage: wiring.storage,
            admin: admin.authority,
            keys: KeyCache::new(Duration::from_secs(settings.api_key_cache_seconds)),
            limiter,
            limits,
            proxies,
            streams: crate::streams::StreamSlots::new(
                settings.live_chat_streams_per_session,
                settings.live_chat_streams_per_address,
                settings.live_chat_streams_per_widget_key,
            ),
            wake,
            jobs_done,
            settings: Arc::new(settings),
            inbox,
        });
        let server_state = state.clone();
        let metrics_on_main_port =
            state.settings.metrics_enabled && state.settings.metrics_port.is_none();
        let metrics_enabled = state.settings.metrics_enabled;
        let reporting = crate::error_reporting::is_configured(&state.settings);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(server_state.clone())
                .configure(|cfg| {
                    if metrics_on_main_port {
                        crate::metrics::configure(cfg);
                    }
                })
                .app_data(
                    web::PathConfig::default().error_handler(crate::error::handlers::path_error),
                )
                .app_data(
                    web::QueryConfig::default().error_handler(crate::error::handlers::query_error),
                )
                .configure(routes::configure)
                .default_service(web::to(crate::conventions::unmatched))
                .wrap(ErrorHandlers::new().default_handler(problem_fallback))
                .wrap(from_fn(crate::conventions::head_and_compression))
                .wrap(Compress::default())
                .wrap(from_fn(crate::conventions::drop_identity_marker))
                .wrap(Condition::new(
                    metrics_enabled,
                    from_fn(crate::metrics::http_metrics),
                ))
                .wrap(from_fn(crate::guards::reject_nul_query))
                .wrap(from_fn(crate::guards::security_headers))
                .wrap(from_fn(crate::tracing_http::access_log))
                .wrap(Condition::new(
                    reporting,
                    sentry::integrations::actix::Sentry::builder()
                        .capture_server_errors(true)
                        .finish(),
                ))
                .wrap(TracingLogger::<crate::tracing_http::ServerSpan>::new())
        })
        .workers(http_workers)
        .listen(listener)?
        .shutdown_timeout(shutdown)
        .run();
        tracing::info!(%address, "listening");
        let metrics = match state.settings.metrics_port {
            Some(metrics_port) => Some(serve_metrics(&state.settings.host, metrics_port)?),
            None => None,
        };
        Ok(Self {
            port,
            server,
            metrics,
            workers,
            generated_admin_token: admin.generated_token,
            state,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port `/metrics` is served on when `METRICS_PORT` moved it off the main port.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// The admin token generated at this start, when none was configured (tests use it).
    pub fn generated_admin_token(&self) -> Option<&str> {
        self.generated_admin_token.as_deref()
    }

    /// The shared state, for tests that inspect the adapters.
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGINT or SIGTERM, draining in-flight requests, then stops the workers after their current jobs.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        // The server drains requests on SIGINT/SIGTERM; open event streams would hold it for the
        // whole timeout, so they are told to end as soon as the signal arrives.
        let streams = self.state.streams.clone();
        let watcher = tokio::spawn(async move {
            stop_signal().await;
            streams.close_all();
        });
        let result = match self.metrics {
            Some((_, metrics)) => {
                let handle = metrics.handle();
                let metrics = tokio::spawn(metrics);
                let result = self.server.await;
                handle.stop(true).await;
                drop(metrics.await);
                result
            }
            None => self.server.await,
        };
        watcher.abort();
        self.state.streams.close_all();
        self.workers.stop().await;
        tracing::info!("stopped");
        result.map_err(Into::into)
    }
}

/// Serves `/metrics` alone on `host:port` (port 0 picks a free one), so the main port need not
/// expose it; returns the bound port and the server to run.
///
/// # Errors
/// When the port cannot be bound.
pub fn serve_metrics(host: &str, port: u16) -> anyhow::Result<(u16, Server)> {
    let listener = TcpListener::bind((host, port))
        .map_err(|e| anyhow::anyhow!("binding METRICS_PORT {host}:{port}: {e}"))?;
    let bound = listener.local_addr()?.port();
    let server = HttpServer::new(|| App::new().configure(crate::metrics::configure))
        .workers(1)
        .listen(listener)?
        .shutdown_timeout(1)
        .run();
    tracing::info!(port = bound, "metrics listening");
    Ok((bound, server))
}

/// Resolves at the first SIGINT or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Turns the framework's own error responses (405, 413, ...) into problem documents, so every
/// 4xx and 5xx has the same shape.
fn problem_fallback<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON) || v.starts_with("text/html"));
    // Problem documents and the inbox's HTML error pages pass through as they are.
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let (req, old) = res.into_parts();
    let status = old.status();
    let code = crate::problems::framework_code(status.as_u16());
    let problem = serde_json::json!({
        "type": crate::problems::type_uri(code),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": status.canonical_reason().unwrap_or("Error").to_lowercase(),
        "code": code,
    });
    let mut new = HttpResponse::build(status);
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.append_header((name.clone(), value.clone()));
        }
    }
    let new = new.content_type(PROBLEM_JSON).body(problem.to_string());
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}
