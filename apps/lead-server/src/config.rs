//! Settings from `lead-server.toml` (when present) and environment variables, checked once at start.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use lead_domain::jobs::RetryBudgets;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// The configuration file read when it exists in the working directory.
pub const CONFIG_FILE: &str = "lead-server.toml";

/// The `service.name` of exported spans when `OTEL_SERVICE_NAME` is not set.
pub const DEFAULT_SERVICE_NAME: &str = "lead-server";

/// Every environment variable the server reads, in the order `.env.example` documents them.
pub const ENV_KEYS: &[&str] = &[
    "HOST",
    "PORT",
    "METRICS_PORT",
    "METRICS_ENABLED",
    "DATABASE_URL",
    "DATABASE_TENANT_URL",
    "DB_MAX_CONNECTIONS",
    "DB_INTAKE_LANES",
    "DB_INTAKE_BATCH_MAX",
    "HTTP_WORKERS",
    "DATA_DIR",
    "REDIS_URL",
    "ADMIN_TOKEN",
    "SECRET_KEY",
    "SECRET_KEY_PREVIOUS",
    "LOG_FORMAT",
    "OTEL_SERVICE_NAME",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "SENTRY_DSN",
    "SENTRY_ENVIRONMENT",
    "LLM_PROVIDER",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "TWILIO_API_BASE_URL",
    "CALCOM_API_BASE_URL",
    "HUBSPOT_API_BASE_URL",
    "PUBLIC_BASE_URL",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_FROM",
    "SMTP_SECURITY",
    "RATE_LIMIT_PER_MINUTE",
    "MAX_BODY_BYTES",
    "API_KEY_CACHE_SECONDS",
    "WORKERS",
    "WORKER_POLL_MS",
    "WORKER_BATCH",
    "WORKER_LEASE_SECONDS",
    "WORKER_CONCURRENCY",
    "RETRY_PROCESSING_SECONDS",
    "RETRY_SENDING_SECONDS",
    "SHUTDOWN_TIMEOUT_SECONDS",
    "LIVE_CHAT_WAIT_MS",
    "TRUSTED_PROXIES",
    "WEBHOOK_ALLOW_PRIVATE_NETWORKS",
    "RATE_LIMIT_WEBHOOK_PER_MINUTE",
    "RATE_LIMIT_WIDGET_SESSION_PER_MINUTE",
    "RATE_LIMIT_WIDGET_ADDRESS_PER_MINUTE",
    "RATE_LIMIT_WIDGET_KEY_PER_MINUTE",
    "RATE_LIMIT_SIGN_IN_ACCOUNT_PER_MINUTE",
    "RATE_LIMIT_SIGN_IN_ADDRESS_PER_MINUTE",
    "RATE_LIMIT_AUTH_FAILURES_PER_MINUTE",
    "LIVE_CHAT_STREAMS_PER_SESSION",
    "LIVE_CHAT_STREAMS_PER_ADDRESS",
    "LIVE_CHAT_STREAMS_PER_WIDGET_KEY",
];

/// A configuration value that cannot be used; names the key so the operator can fix it.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration {key}: {message}")]
pub struct ConfigError {
    /// The environment variable (or file key in upper case) at fault.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    fn new(key: &str, message: impl Into<String>) -> Self {
        Self {
            key: key.to_owned(),
            message: message.into(),
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line, for log collectors.
    #[default]
    Json,
    /// Human-readable lines, for a terminal.
    Pretty,
}

/// How spans are encoded for the OTLP/HTTP collector (`OTEL_EXPORTER_OTLP_PROTOCOL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum OtlpProtocol {
    /// Protocol buffers, the OTLP default.
    #[default]
    #[serde(rename = "http/protobuf")]
    HttpProtobuf,
    /// JSON, readable by people and simple collectors.
    #[serde(rename = "http/json")]
    HttpJson,
}

/// Where and how spans are exported, built from the `OTEL_*` settings when an endpoint is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceExport {
    traces_url: String,
    protocol: OtlpProtocol,
    service_name: String,
}

impl TraceExport {
    /// The path OTLP/HTTP collectors receive spans on, below the base endpoint.
    pub const TRACES_PATH: &str = "v1/traces";

    /// Checks a base endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`) and derives the traces URL from it.
    ///
    /// # Errors
    /// [`ConfigError`] naming `OTEL_EXPORTER_OTLP_ENDPOINT` when it is not an http(s) URL with a
    /// host, or `OTEL_SERVICE_NAME` when the name is blank.
    pub fn new(
        endpoint: &str,
        protocol: OtlpProtocol,
        service_name: &str,
    ) -> Result<Self, ConfigError> {
        const KEY: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
        let mut url = url::Url::parse(endpoint.trim())
            .map_err(|e| ConfigError::new(KEY, format!("not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(ConfigError::new(
                KEY,
                "expected an http:// or https:// URL such as http://127.0.0.1:4318",
            ));
        }
        let path = format!("{}/{}", url.path().trim_end_matches('/'), Self::TRACES_PATH);
        url.set_path(&path);
        if service_name.trim().is_empty() {
            return Err(ConfigError::new("OTEL_SERVICE_NAME", "must not be blank"));
        }
        Ok(Self {
            traces_url: url.into(),
            protocol,
            service_name: service_name.trim().to_owned(),
        })
    }

    /// The full URL spans are posted to (the endpoint followed by `/v1/traces`).
    pub fn traces_url(&self) -> &str {
        &self.traces_url
    }

    /// The body encoding.
    pub fn protocol(&self) -> OtlpProtocol {
        self.protocol
    }

    /// The `service.name` resource attribute on every exported span.
    pub fn service_name(&self) -> &str {
        &self.service_name
    }
}

/// Which language model answers leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LlmProvider {
    /// The Anthropic Messages API.
    Anthropic,
    /// An OpenAI-compatible chat completions server.
    Openai,
    /// No model: the offline qualifier and templates.
    Offline,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption, for a local relay or a test sink.
    None,
}

/// A secret setting whose `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The raw settings as figment reads them; [`Settings::load`] checks them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on.
    pub host: String,
    /// Port to listen on; 0 picks a free port (tests).
    pub port: u16,
    /// `sqlite://...` or `postgres://...`: migrations, work across tenants, and every query not
    /// yet tenant-scoped.
    pub database_url: String,
    /// PostgreSQL only: a role without `BYPASSRLS` that does not own the tables, for the
    /// tenant-scoped transactions (row-level security, decision 0003); unset, they use `DATABASE_URL`.
    pub database_tenant_url: Option<SecretString>,
    /// Most database connections in the pool.
    pub db_max_connections: u32,
    /// Transactions storing concurrent intakes together (group commit); 0 turns it off.
    pub db_intake_lanes: usize,
    /// The most intakes one such transaction stores.
    pub db_intake_batch_max: usize,
    /// HTTP worker threads; 0 means one per CPU core.
    pub http_workers: usize,
    /// Serve `/metrics` on this port of its own instead of the main port (so it need not be public).
    pub metrics_port: Option<u16>,
    /// Whether metrics are recorded and `/metrics` is served (on by default; off only to measure
    /// their cost).
    pub metrics_enabled: bool,
    /// Directory for the SQLite file and the generated admin token hash.
    pub data_dir: PathBuf,
    /// Redis for shared rate limits, when several instances run.
    pub redis_url: Option<String>,
    /// The platform admin token; generated at first start when absent.
    pub admin_token: Option<SecretString>,
    /// 32 bytes in base64 that encrypt tenant secrets at rest; generated into the data
    /// directory when absent.
    pub secret_key: Option<SecretString>,
    /// Earlier secret keys (comma-separated base64) still accepted for reading during a rotation.
    pub secret_key_previous: Option<SecretString>,
    /// Log format.
    pub log_format: LogFormat,
    /// `service.name` on exported spans; [`DEFAULT_SERVICE_NAME`] when unset.
    pub otel_service_name: Option<String>,
    /// OTLP/HTTP collector base URL; spans are exported only when it is set.
    pub otel_exporter_otlp_endpoint: Option<String>,
    /// How exported spans are encoded.
    pub otel_exporter_otlp_protocol: OtlpProtocol,
    /// Sentry DSN: panics, server errors and logged errors are reported there when it is set.
    pub sentry_dsn: Option<SecretString>,
    /// The `environment` of Sentry reports (`production`, `staging`, ...).
    pub sentry_environment: Option<String>,
    /// Language model provider; defaults to the one whose key is set, else offline.
    pub llm_provider: Option<LlmProvider>,
    /// Anthropic API key.
    pub anthropic_api_key: Option<SecretString>,
    /// Anthropic base URL.
    pub anthropic_base_url: String,
    /// OpenAI-compatible API key.
    pub openai_api_key: Option<SecretString>,
    /// OpenAI-compatible base URL.
    pub openai_base_url: String,
    /// Twilio REST base URL.
    pub twilio_api_base_url: String,
    /// Cal.com API origin (without `/v2`): the public API or a self-hosted Cal.com.
    pub calcom_api_base_url: String,
    /// HubSpot API root: the public API, or a local stand-in in tests.
    pub hubspot_api_base_url: String,
    /// The public URL Twilio calls, over which signatures are computed.
    pub public_base_url: Option<String>,
    /// SMTP relay host; email replies are off without it.
    pub smtp_host: Option<String>,
    /// SMTP port.
    pub smtp_port: u16,
    /// SMTP user.
    pub smtp_username: Option<String>,
    /// SMTP password.
    pub smtp_password: Option<SecretString>,
    /// Sender address of email replies.
    pub smtp_from: Option<String>,
    /// SMTP transport security.
    pub smtp_security: SmtpSecurity,
    /// Requests per minute per tenant API key (the API and the web form); 0 disables the limit.
    pub rate_limit_per_minute: u32,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a resolved API key is trusted before it is looked up again.
    pub api_key_cache_seconds: u64,
    /// Queue workers `serve` runs in-process (`--workers` overrides; 0 serves HTTP only).
    pub workers: usize,
    /// How often an idle worker polls the queue, in milliseconds.
    pub worker_poll_ms: u64,
    /// Jobs a worker claims at once.
    pub worker_batch: u32,
    /// How long a claimed job is leased to a worker; a running job's lease is renewed every third of it.
    pub worker_lease_seconds: u64,
    /// Jobs one worker runs at the same time (model calls overlap while no connection is held).
    pub worker_concurrency: usize,
    /// How long a failing processing job keeps being retried, counted from its creation.
    pub retry_processing_seconds: u64,
    /// How long a failing send (and a team notification) keeps being retried.
    pub retry_sending_seconds: u64,
    /// How long shutdown waits for in-flight requests and jobs.
    pub shutdown_timeout_seconds: u64,
    /// How long a live-chat post waits for the reply before answering without it, in milliseconds.
    pub live_chat_wait_ms: u64,
    /// Reverse proxies (addresses or CIDR networks, comma-separated) whose `X-Forwarded-*`
    /// headers are believed; empty believes nobody.
    pub trusted_proxies: Option<String>,
    /// Lets tenants' webhook endpoints be loopback, private or link-local addresses (a receiver
    /// on the operator's own network); off, only public internet addresses are called.
    pub webhook_allow_private_networks: bool,
    /// Signed provider webhooks per minute per tenant, a budget of their own; 0 = no limit.
    pub rate_limit_webhook_per_minute: u32,
    /// Live-chat posts per minute per visitor session; 0 = no limit.
    pub rate_limit_widget_session_per_minute: u32,
    /// Live-chat requests per minute per client address; 0 = no limit.
    pub rate_limit_widget_address_per_minute: u32,
    /// Live-chat posts per minute per widget key (all visitors of one tenant); 0 = no limit.
    pub rate_limit_widget_key_per_minute: u32,
    /// Sign-in attempts per minute per account; 0 = no limit.
    pub rate_limit_sign_in_account_per_minute: u32,
    /// Sign-in attempts per minute per client address; 0 = no limit.
    pub rate_limit_sign_in_address_per_minute: u32,
    /// Wrong admin tokens and unknown API keys per minute per client address before the address
    /// is refused for a while; 0 = no limit.
    pub rate_limit_auth_failures_per_minute: u32,
    /// Open live-chat event streams per visitor session.
    pub live_chat_streams_per_session: u32,
    /// Open live-chat event streams per client address.
    pub live_chat_streams_per_address: u32,
    /// Open live-chat event streams per widget key.
    pub live_chat_streams_per_widget_key: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 8000,
            database_url: "sqlite://./data/lead-server.db?mode=rwc".to_owned(),
            database_tenant_url: None,
            db_max_connections: 16,
            db_intake_lanes: 4,
            db_intake_batch_max: 24,
            http_workers: 0,
            metrics_port: None,
            metrics_enabled: true,
            data_dir: PathBuf::from("./data"),
            redis_url: None,
            admin_token: None,
            secret_key: None,
            secret_key_previous: None,
            log_format: LogFormat::Json,
            otel_service_name: None,
            otel_exporter_otlp_endpoint: None,
            otel_exporter_otlp_protocol: OtlpProtocol::HttpProtobuf,
            sentry_dsn: None,
            sentry_environment: None,
            llm_provider: None,
            anthropic_api_key: None,
            anthropic_base_url: "https://api.anthropic.com".to_owned(),
            openai_api_key: None,
            openai_base_url: "https://api.openai.com".to_owned(),
            twilio_api_base_url: "https://api.twilio.com".to_owned(),
            calcom_api_base_url: lead_channels::calcom::DEFAULT_API_BASE_URL.to_owned(),
            hubspot_api_base_url: lead_channels::hubspot::DEFAULT_API_BASE_URL.to_owned(),
            public_base_url: None,
            smtp_host: None,
            smtp_port: 587,
            smtp_username: None,
            smtp_password: None,
            smtp_from: None,
            smtp_security: SmtpSecurity::Starttls,
            rate_limit_per_minute: 1200,
            max_body_bytes: 64 * 1024,
            api_key_cache_seconds: 30,
            workers: 2,
            worker_poll_ms: 500,
            worker_batch: 16,
            worker_lease_seconds: 120,
            worker_concurrency: 32,
            retry_processing_seconds: 3600,
            retry_sending_seconds: 86_400,
            shutdown_timeout_seconds: 30,
            live_chat_wait_ms: 8000,
            trusted_proxies: None,
            webhook_allow_private_networks: false,
            rate_limit_webhook_per_minute: 0,
            rate_limit_widget_session_per_minute: 20,
            rate_limit_widget_address_per_minute: 120,
            rate_limit_widget_key_per_minute: 600,
            rate_limit_sign_in_account_per_minute: 5,
            rate_limit_sign_in_address_per_minute: 20,
            rate_limit_auth_failures_per_minute: 10,
            live_chat_streams_per_session: 5,
            live_chat_streams_per_address: 50,
            live_chat_streams_per_widget_key: 500,
        }
    }
}

/// The keys of [`ENV_KEYS`] whose value is set and not blank: `LLM_PROVIDER=` in an env file
/// means "not set", as for every other key, rather than an invalid value.
pub fn set_env_keys(lookup: impl Fn(&str) -> Option<String>) -> Vec<&'static str> {
    ENV_KEYS
        .iter()
        .copied()
        .filter(|key| lookup(key).is_some_and(|v| !v.trim().is_empty()))
        .collect()
}

impl Settings {
    /// Reads defaults, then `lead-server.toml` in the working directory, then the environment.
    ///
    /// # Errors
    /// [`ConfigError`] naming the key of the first value that cannot be used.
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_from(Path::new(CONFIG_FILE))
    }

    /// Like [`Settings::load`] with an explicit file path (it may be absent).
    ///
    /// # Errors
    /// [`ConfigError`] naming the key at fault.
    pub fn load_from(file: &Path) -> Result<Self, ConfigError> {
        let figment = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(file))
            .merge(Env::raw().only(&set_env_keys(|key| std::env::var(key).ok())));
        let mut settings: Settings = figment.extract().map_err(|e| {
            let key = e
                .path
                .last()
                .map(|k| k.to_ascii_uppercase())
                .unwrap_or_else(|| "CONFIG".to_owned());
            ConfigError::new(&key, e.kind.to_string())
        })?;
        settings.drop_empty();
        settings.check()?;
        Ok(settings)
    }

    /// Treats empty optional strings as unset.
    fn drop_empty(&mut self) {
        fn clear(v: &mut Option<String>) {
            if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
                *v = None;
            }
        }
        fn clear_secret(v: &mut Option<SecretString>) {
            if v.as_ref().is_some_and(|s| s.0.trim().is_empty()) {
                *v = None;
            }
        }
        clear(&mut self.redis_url);
        clear(&mut self.public_base_url);
        clear(&mut self.smtp_host);
        clear(&mut self.smtp_username);
        clear(&mut self.smtp_from);
        clear(&mut self.otel_service_name);
        clear(&mut self.otel_exporter_otlp_endpoint);
        clear(&mut self.sentry_environment);
        clear_secret(&mut self.sentry_dsn);
        clear(&mut self.trusted_proxies);
        clear_secret(&mut self.database_tenant_url);
        clear_secret(&mut self.admin_token);
        clear_secret(&mut self.secret_key);
        clear_secret(&mut self.secret_key_previous);
        clear_secret(&mut self.anthropic_api_key);
        clear_secret(&mut self.openai_api_key);
        clear_secret(&mut self.smtp_password);
    }

    /// Checks values that parse but cannot work.
    ///
    /// # Errors
    /// [`ConfigError`] naming the key.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.host.parse::<std::net::IpAddr>().is_err() && self.host != "localhost" {
            return Err(ConfigError::new(
                "HOST",
                "expected an IP address such as 127.0.0.1 or 0.0.0.0",
            ));
        }
        let db = self.database_url.as_str();
        if !(db.starts_with("sqlite:")
            || db.starts_with("postgres://")
            || db.starts_with("postgresql://"))
        {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "expected a sqlite:// or postgres:// URL",
            ));
        }
        if let Some(tenant) = &self.database_tenant_url {
            let tenant = tenant.expose();
            if self.is_sqlite() {
                return Err(ConfigError::new(
                    "DATABASE_TENANT_URL",
                    "is for PostgreSQL only; SQLite has no row-level security",
                ));
            }
            if !(tenant.starts_with("postgres://") || tenant.starts_with("postgresql://")) {
                return Err(ConfigError::new(
                    "DATABASE_TENANT_URL",
                    "expected a postgres:// URL",
                ));
            }
        }
        if self.db_max_connections == 0 {
            return Err(ConfigError::new("DB_MAX_CONNECTIONS", "must be at least 1"));
        }
        if !self.is_sqlite() && self.db_max_connections < 2 {
            // Migrations hold one connection for their lock while they run on another.
            return Err(ConfigError::new(
                "DB_MAX_CONNECTIONS",
                "must be at least 2 on PostgreSQL",
            ));
        }
        if self.db_intake_lanes > 64 {
            return Err(ConfigError::new("DB_INTAKE_LANES", "must be at most 64"));
        }
        if !(1..=256).contains(&self.db_intake_batch_max) {
            return Err(ConfigError::new(
                "DB_INTAKE_BATCH_MAX",
                "must be between 1 and 256",
            ));
        }
        if self.http_workers > 256 {
            return Err(ConfigError::new("HTTP_WORKERS", "must be at most 256"));
        }
        if let Some(redis) = &self.redis_url
            && !(redis.starts_with("redis://") || redis.starts_with("rediss://"))
        {
            return Err(ConfigError::new(
                "REDIS_URL",
                "expected a redis:// or rediss:// URL",
            ));
        }
        if let Some(token) = &self.admin_token
            && token.expose().len() < 16
        {
            return Err(ConfigError::new(
                "ADMIN_TOKEN",
                "must be at least 16 characters",
            ));
        }
        if let Some(key) = &self.secret_key
            && lead_store::secrets::SecretKey::from_base64(key.expose()).is_err()
        {
            return Err(ConfigError::new(
                "SECRET_KEY",
                "must be 32 bytes in standard base64 (openssl rand -base64 32)",
            ));
        }
        if let Some(keys) = &self.secret_key_previous
            && keys
                .expose()
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .any(|k| lead_store::secrets::SecretKey::from_base64(k).is_err())
        {
            return Err(ConfigError::new(
                "SECRET_KEY_PREVIOUS",
                "must be comma-separated keys of 32 bytes in standard base64",
            ));
        }
        for (key, url) in [
            ("ANTHROPIC_BASE_URL", Some(&self.anthropic_base_url)),
            ("OPENAI_BASE_URL", Some(&self.openai_base_url)),
            ("TWILIO_API_BASE_URL", Some(&self.twilio_api_base_url)),
            ("CALCOM_API_BASE_URL", Some(&self.calcom_api_base_url)),
            ("HUBSPOT_API_BASE_URL", Some(&self.hubspot_api_base_url)),
            ("PUBLIC_BASE_URL", self.public_base_url.as_ref()),
        ] {
            if let Some(url) = url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                return Err(ConfigError::new(key, "expected an http:// or https:// URL"));
            }
        }
        match self.llm_provider {
            Some(LlmProvider::Anthropic) if self.anthropic_api_key.is_none() => {
                return Err(ConfigError::new(
                    "LLM_PROVIDER",
                    "anthropic needs ANTHROPIC_API_KEY",
                ));
            }
            _ => {}
        }
        if self.smtp_host.is_some() && self.smtp_from.is_none() {
            return Err(ConfigError::new(
                "SMTP_FROM",
                "required when SMTP_HOST is set",
            ));
        }
        self.trace_export()?;
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::new("MAX_BODY_BYTES", "must be at least 1024"));
        }
        if self.worker_batch == 0 {
            return Err(ConfigError::new("WORKER_BATCH", "must be at least 1"));
        }
        if !(1..=1024).contains(&self.worker_concurrency) {
            return Err(ConfigError::new(
                "WORKER_CONCURRENCY",
                "must be between 1 and 1024",
            ));
        }
        if self.retry_processing_seconds == 0 {
            return Err(ConfigError::new(
                "RETRY_PROCESSING_SECONDS",
                "must be at least 1",
            ));
        }
        if self.retry_sending_seconds == 0 {
            return Err(ConfigError::new(
                "RETRY_SENDING_SECONDS",
                "must be at least 1",
            ));
        }
        self.proxies()?;
        for (key, value) in [
            (
                "LIVE_CHAT_STREAMS_PER_SESSION",
                self.live_chat_streams_per_session,
            ),
            (
                "LIVE_CHAT_STREAMS_PER_ADDRESS",
                self.live_chat_streams_per_address,
            ),
            (
                "LIVE_CHAT_STREAMS_PER_WIDGET_KEY",
                self.live_chat_streams_per_widget_key,
            ),
        ] {
            if value == 0 {
                return Err(ConfigError::new(key, "must be at least 1"));
            }
        }
        if self.worker_lease_seconds == 0 {
            return Err(ConfigError::new(
                "WORKER_LEASE_SECONDS",
                "must be at least 1",
            ));
        }
        Ok(())
    }

    /// The retry budgets in effect.
    pub fn retry_budgets(&self) -> RetryBudgets {
        let secs = |s: u64| chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000));
        RetryBudgets {
            processing: secs(self.retry_processing_seconds),
            sending: secs(self.retry_sending_seconds),
            notifying: secs(self.retry_sending_seconds),
        }
    }

    /// The provider in effect: the configured one, else Anthropic or OpenAI when a key is set, else offline.
    pub fn effective_llm_provider(&self) -> LlmProvider {
        match self.llm_provider {
            Some(p) => p,
            None if self.anthropic_api_key.is_some() => LlmProvider::Anthropic,
            None if self.openai_api_key.is_some() => LlmProvider::Openai,
            None => LlmProvider::Offline,
        }
    }

    /// Span export as configured: `None` unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
    ///
    /// # Errors
    /// [`ConfigError`] naming the `OTEL_*` key that cannot be used.
    pub fn trace_export(&self) -> Result<Option<TraceExport>, ConfigError> {
        self.otel_exporter_otlp_endpoint
            .as_deref()
            .map(|endpoint| {
                TraceExport::new(
                    endpoint,
                    self.otel_exporter_otlp_protocol,
                    self.otel_service_name
                        .as_deref()
                        .unwrap_or(DEFAULT_SERVICE_NAME),
                )
            })
            .transpose()
    }

    /// The reverse proxies whose forwarded headers are believed.
    ///
    /// # Errors
    /// [`ConfigError`] naming `TRUSTED_PROXIES` when an entry is not an address or network.
    pub fn proxies(&self) -> Result<crate::proxies::TrustedProxies, ConfigError> {
        crate::proxies::TrustedProxies::parse(self.trusted_proxies.as_deref().unwrap_or(""))
            .map_err(|e| ConfigError::new("TRUSTED_PROXIES", e))
    }

    /// The rate budgets by kind of caller.
    pub fn limit_settings(&self) -> crate::limits::LimitSettings {
        crate::limits::LimitSettings {
            webhook_per_minute: self.rate_limit_webhook_per_minute,
            api_key_per_minute: self.rate_limit_per_minute,
            widget_session_per_minute: self.rate_limit_widget_session_per_minute,
            widget_address_per_minute: self.rate_limit_widget_address_per_minute,
            widget_key_per_minute: self.rate_limit_widget_key_per_minute,
            sign_in_account_per_minute: self.rate_limit_sign_in_account_per_minute,
            sign_in_address_per_minute: self.rate_limit_sign_in_address_per_minute,
            auth_failures_per_minute: self.rate_limit_auth_failures_per_minute,
        }
    }

    /// Whether the database is an embedded SQLite file.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(f: impl FnOnce(&mut Settings)) -> Result<(), String> {
        let mut s = Settings::default();
        f(&mut s);
        s.check().map_err(|e| e.key)
    }

    #[test]
    fn blank_environment_values_count_as_unset() {
        let keys = set_env_keys(|key| match key {
            "LLM_PROVIDER" => Some(String::new()),
            "REDIS_URL" => Some("  ".to_owned()),
            "PORT" => Some("9000".to_owned()),
            _ => None,
        });
        assert_eq!(keys, ["PORT"]);
    }

    #[test]
    fn defaults_are_valid_and_match_the_quick_start() {
        let s = Settings::default();
        assert_eq!(check(|_| {}), Ok(()));
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 8000));
        assert!(s.is_sqlite());
        assert_eq!(s.effective_llm_provider(), LlmProvider::Offline);
    }

    #[test]
    fn bad_values_name_their_key() {
        assert_eq!(check(|s| s.host = "not a host".into()), Err("HOST".into()));
        assert_eq!(
            check(|s| s.database_url = "mysql://x".into()),
            Err("DATABASE_URL".into())
        );
        assert_eq!(
            check(|s| s.redis_url = Some("http://x".into())),
            Err("REDIS_URL".into())
        );
        assert_eq!(
            check(|s| s.admin_token = Some(SecretString::new("short"))),
            Err("ADMIN_TOKEN".into())
        );
        assert_eq!(
            check(|s| s.llm_provider = Some(LlmProvider::Anthropic)),
            Err("LLM_PROVIDER".into())
        );
        assert_eq!(
            check(|s| s.smtp_host = Some("mail".into())),
            Err("SMTP_FROM".into())
        );
        for endpoint in ["not a url", "collector:4318", "ftp://collector", "http://"] {
            assert_eq!(
                check(|s| s.otel_exporter_otlp_endpoint = Some(endpoint.into())),
                Err("OTEL_EXPORTER_OTLP_ENDPOINT".into()),
                "{endpoint}"
            );
        }
        assert_eq!(
            check(|s| {
                s.otel_exporter_otlp_endpoint = Some("http://collector:4318".into());
                s.otel_service_name = Some(" ".into());
            }),
            Err("OTEL_SERVICE_NAME".into())
        );
    }

    #[test]
    fn trace_export_is_off_without_an_endpoint_and_appends_the_traces_path() {
        let off = Settings::default();
        assert!(matches!(off.trace_export(), Ok(None)));
        for (endpoint, url) in [
            ("http://collector:4318", "http://collector:4318/v1/traces"),
            ("http://collector:4318/", "http://collector:4318/v1/traces"),
            (
                "https://otel.example.com/otlp/",
                "https://otel.example.com/otlp/v1/traces",
            ),
        ] {
            let on = Settings {
                otel_exporter_otlp_endpoint: Some(endpoint.into()),
                otel_exporter_otlp_protocol: OtlpProtocol::HttpJson,
                ..Settings::default()
            };
            let export = on.trace_export();
            assert!(
                matches!(&export, Ok(Some(e)) if e.traces_url() == url
                    && e.protocol() == OtlpProtocol::HttpJson
                    && e.service_name() == DEFAULT_SERVICE_NAME),
                "{endpoint}: {export:?}"
            );
        }
    }

    #[test]
    fn a_key_selects_its_provider() {
        let s = Settings {
            anthropic_api_key: Some(SecretString::new("sk-ant")),
            ..Settings::default()
        };
        assert_eq!(s.effective_llm_provider(), LlmProvider::Anthropic);
    }

    #[test]
    fn file_values_load_and_type_errors_name_the_key() {
        let dir = std::env::temp_dir().join(format!("lead-server-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        let file = dir.join("ok.toml");
        std::fs::write(&file, "port = 9100\nlog_format = \"pretty\"\n").ok();
        let s = Settings::load_from(&file);
        assert!(
            matches!(s, Ok(ref s) if s.port == 9100 && s.log_format == LogFormat::Pretty),
            "{s:?}"
        );
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "port = \"eighty\"\n").ok();
        assert_eq!(
            Settings::load_from(&bad).map_err(|e| e.key).err(),
            Some("PORT".into())
        );
        let otlp = dir.join("otlp.toml");
        std::fs::write(
            &otlp,
            "otel_exporter_otlp_endpoint = \"http://127.0.0.1:4318\"\n\
             otel_exporter_otlp_protocol = \"http/json\"\n\
             otel_service_name = \"leads-eu\"\n",
        )
        .ok();
        let s = Settings::load_from(&otlp).map(|s| s.trace_export());
        assert!(
            matches!(&s, Ok(Ok(Some(e))) if e.protocol() == OtlpProtocol::HttpJson
                && e.service_name() == "leads-eu"),
            "{s:?}"
        );
        let grpc = dir.join("grpc.toml");
        std::fs::write(&grpc, "otel_exporter_otlp_protocol = \"grpc\"\n").ok();
        assert_eq!(
            Settings::load_from(&grpc).map_err(|e| e.key).err(),
            Some("OTEL_EXPORTER_OTLP_PROTOCOL".into())
        );
        let unknown = dir.join("unknown.toml");
        std::fs::write(&unknown, "log_format = \"xml\"\n").ok();
        assert_eq!(
            Settings::load_from(&unknown).map_err(|e| e.key).err(),
            Some("LOG_FORMAT".into())
        );
    }
}
