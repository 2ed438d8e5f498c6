//! Storage selection: the adapter behind every storage port, opened from `DATABASE_URL` with the
//! schema migrations applied.

use crate::config::Settings;
use lead_domain::inbox::InboxReader;
use lead_domain::pipeline::DecisionStore;
use lead_domain::ports::{
    EscalationRepository, JobQueue, LeadRepository, OptOutRegistry, TenantRepository, UsageLedger,
    WebhookLog,
};
use lead_domain::users::UserRepository;
use lead_store::{SeaOrmStore, StoreOptions};
use std::sync::Arc;

/// Every storage port, behind trait objects so the rest of the server never names an adapter.
#[derive(Clone)]
pub struct Storage {
    /// Tenants and keys.
    pub tenants: Arc<dyn TenantRepository>,
    /// Leads, conversations, messages.
    pub leads: Arc<dyn LeadRepository>,
    /// Escalations.
    pub escalations: Arc<dyn EscalationRepository>,
    /// Model usage.
    pub usage: Arc<dyn UsageLedger>,
    /// Opt-outs.
    pub opt_outs: Arc<dyn OptOutRegistry>,
    /// The job queue.
    pub jobs: Arc<dyn JobQueue>,
    /// Processed provider webhooks.
    pub webhooks: Arc<dyn WebhookLog>,
    /// The tenants' knowledge bases.
    pub knowledge: Arc<dyn lead_domain::knowledge::KnowledgeStore>,
    /// Each lead's booking in the tenant's calendar.
    pub bookings: Arc<dyn lead_domain::booking::BookingRepository>,
    /// Each lead's records in the tenant's CRM.
    pub crm_links: Arc<dyn lead_domain::crm::CrmLinks>,
    /// Processing decisions, committed with their job.
    pub decisions: Arc<dyn DecisionStore>,
    /// Users and sessions of the sales inbox.
    pub users: Arc<dyn UserRepository>,
    /// The sales inbox's read models.
    pub inbox: Arc<dyn InboxReader>,
    /// The facts behind the analytics report.
    pub analytics: Arc<dyn lead_domain::analytics::AnalyticsReader>,
    /// Experiments and which lead saw which variant.
    pub experiments: Arc<dyn lead_domain::experiments::ExperimentStore>,
    /// Event fan-out and webhook deliveries.
    pub events: Arc<dyn lead_domain::events::EventStore>,
    /// Erasure on request and retention periods.
    pub retention: Arc<dyn lead_domain::retention::DataRetention>,
    /// Wakes live-chat readers when a reply is stored, across processes on PostgreSQL.
    pub wakeups: Arc<crate::wakeups::ReplyWakeups>,
}

impl Storage {
    /// Every port from one adapter implementing them all.
    pub fn from_adapter<S>(store: Arc<S>) -> Self
    where
        S: TenantRepository
            + LeadRepository
            + EscalationRepository
            + UsageLedger
            + OptOutRegistry
            + JobQueue
            + WebhookLog
            + lead_domain::knowledge::KnowledgeStore
            + lead_domain::booking::BookingRepository
            + lead_domain::events::EventStore
            + lead_domain::crm::CrmLinks
            + DecisionStore
            + UserRepository
            + InboxReader
            + lead_domain::analytics::AnalyticsReader
            + lead_domain::experiments::ExperimentStore
            + lead_domain::retention::DataRetention
            + 'static,
    {
        Self {
            tenants: store.clone(),
            leads: store.clone(),
            escalations: store.clone(),
            usage: store.clone(),
            opt_outs: store.clone(),
            jobs: store.clone(),
            webhooks: store.clone(),
            knowledge: store.clone(),
            bookings: store.clone(),
            events: store.clone(),
            crm_links: store.clone(),
            decisions: store.clone(),
            users: store.clone(),
            inbox: store.clone(),
            analytics: store.clone(),
            experiments: store.clone(),
            retention: store,
            wakeups: crate::wakeups::ReplyWakeups::new(),
        }
    }
}

/// The file of a `sqlite:` URL, when it names one (not `:memory:` or `mode=memory`).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || query.contains("mode=memory") {
        return None;
    }
    Some(std::path::PathBuf::from(path))
}

/// Creates the SQLite file readable by the service user only (0600) before SQLite opens it, and
/// tightens an existing file that others can read; SQLite gives its `-wal` and `-shm` files the
/// same mode. Lead data and tenant settings are in that file.
fn private_sqlite_file(url: &str) -> anyhow::Result<()> {
    let Some(path) = sqlite_file(url) else {
        return Ok(());
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::metadata(&path) {
            Ok(meta) => {
                if meta.permissions().mode() & 0o077 != 0 {
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                        .map_err(|e| anyhow::anyhow!("restricting {}: {e}", path.display()))?;
                    tracing::warn!(path = %path.display(), "the database file was readable by others; it is now 0600");
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)
                    .map_err(|e| anyhow::anyhow!("creating {}: {e}", path.display()))?;
            }
            Err(e) => return Err(anyhow::anyhow!("reading {}: {e}", path.display())),
        }
    }
    Ok(())
}

async fn connect(settings: &Settings) -> anyhow::Result<SeaOrmStore> {
    connect_with_keys(settings, Some(crate::secret_keys::keyring(settings)?)).await
}

/// Opens the database with the given keys for tenant secrets and applies the migrations.
async fn connect_with_keys(
    settings: &Settings,
    keyring: Option<Arc<lead_store::secrets::Keyring>>,
) -> anyhow::Result<SeaOrmStore> {
    private_sqlite_file(&settings.database_url)?;
    let options = StoreOptions {
        max_connections: settings.db_max_connections,
        intake_lanes: settings.db_intake_lanes,
        intake_batch_max: settings.db_intake_batch_max,
        keyring,
        tenant_url: settings
            .database_tenant_url
            .as_ref()
            .map(|url| url.expose().to_owned()),
        ..StoreOptions::default()
    };
    let store = SeaOrmStore::connect_with(&settings.database_url, options)
        .await
        .map_err(|e| anyhow::Error::new(e).context("opening the database named by DATABASE_URL"))?;
    store
        .migrate()
        .await
        .map_err(|e| anyhow::Error::new(e).context("applying the database migrations"))?;
    Ok(store)
}

/// Opens the storage the settings name and applies pending migrations.
///
/// # Errors
/// When the database cannot be reached or migrated.
pub async fn open(settings: &Settings) -> anyhow::Result<Storage> {
    let store = Arc::new(connect(settings).await?);
    tracing::info!(backend = ?store.backend(), "database ready, migrations applied");
    crate::metrics::watch_pool(store.clone());
    let storage = Storage::from_adapter(store.clone());
    storage.wakeups.listen(store);
    Ok(storage)
}

/// Re-encrypts every tenant's secrets under the current key (`lead-server admin
/// rotate-secret-key`) and says how many tenants changed and under which key.
///
/// # Errors
/// When a secret cannot be opened with the configured keys, or on a storage failure; with the
/// generated key file, the old keys then stay in it so nothing becomes unreadable.
pub async fn rotate_secret_key(settings: &Settings) -> anyhow::Result<String> {
    let rotation = crate::secret_keys::Rotation::prepare(settings)?;
    let keyring = rotation.keyring();
    let store = connect_with_keys(settings, Some(keyring.clone())).await?;
    let changed = store
        .reseal_secrets()
        .await
        .map_err(|e| anyhow::Error::new(e).context("re-encrypting tenant secrets"))?;
    store
        .close()
        .await
        .map_err(|e| anyhow::Error::new(e).context("closing the database"))?;
    rotation.finish()?;
    Ok(format!(
        "key_id={}\nclients_reencrypted={changed}",
        keyring.current_id()
    ))
}

/// Applies the schema migrations and exits (`lead-server migrate`).
///
/// # Errors
/// When the database cannot be reached or migrated.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let store = connect_with_keys(settings, None).await?;
    store
        .close()
        .await
        .map_err(|e| anyhow::Error::new(e).context("closing the database"))
}
