//! Storage selection: the adapter behind every storage port, opened from `DATABASE_URL` with the
//! schema migrations applied.

use crate::config::Settings;
use lead_domain::ports::{
    EscalationRepository, JobQueue, LeadRepository, OptOutRegistry, TenantRepository, UsageLedger,
    WebhookLog,
};
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
            bookings: store,
        }
    }
}

async fn connect(settings: &Settings) -> anyhow::Result<SeaOrmStore> {
    let options = StoreOptions {
        max_connections: settings.db_max_connections,
        intake_lanes: settings.db_intake_lanes,
        intake_batch_max: settings.db_intake_batch_max,
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
    let store = connect(settings).await?;
    tracing::info!(backend = ?store.backend(), "database ready, migrations applied");
    Ok(Storage::from_adapter(Arc::new(store)))
}

/// Applies the schema migrations and exits (`lead-server migrate`).
///
/// # Errors
/// When the database cannot be reached or migrated.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let store = connect(settings).await?;
    store
        .close()
        .await
        .map_err(|e| anyhow::Error::new(e).context("closing the database"))
}
