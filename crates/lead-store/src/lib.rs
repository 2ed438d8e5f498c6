//! SQLite and PostgreSQL storage for the lead response service: the sea-orm adapter of the storage ports.
//!
//! [`SeaOrmStore`] implements every storage port of `lead_domain::ports`
//! (tenants, leads and the atomic intake, escalations, usage, opt-outs, the
//! durable job queue and the webhook log) on one database connection pool.
//! The ORM models stay private; repositories map rows to domain types and
//! database errors to [`StoreError`](lead_domain::ports::StoreError) at the
//! trait implementations. Every query of tenant data is filtered by tenant.

mod analytics;
mod batch;
mod bookings;
mod bulk;
mod codec;
mod crm;
mod entity;
mod error;
mod escalations;
mod events;
mod inbox;
mod intake;
mod jobs;
mod knowledge;
mod leads;
pub mod notify;
mod opt_outs;
mod pipeline;
mod retention;
mod scope;
pub mod secrets;
mod tenants;
mod trace_context;
mod usage;
mod users;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL names a database this adapter does not speak.
    #[error("unsupported database url {0:?}: expected sqlite://... or postgres://...")]
    UnsupportedUrl(String),
    /// The database refused or could not be reached.
    #[error("cannot connect to the database")]
    Connect(#[source] DbErr),
    /// The schema migrations failed.
    #[error("cannot apply the schema migrations")]
    Migrate(#[source] DbErr),
}

/// The PostgreSQL advisory lock key migrations run under (an arbitrary constant shared by every
/// version of the service: the ASCII of `leadmigr`).
pub const MIGRATION_LOCK_KEY: i64 = 0x6c65_6164_6d69_6772;

/// The database engine behind a store, for the few places where SQL differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file (the default deployment).
    Sqlite,
    /// A PostgreSQL server (production).
    Postgres,
}

/// Pool and timeout settings; the defaults suit the service.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Connections in the pool.
    pub max_connections: u32,
    /// How long a SQLite writer waits for the write lock before giving up.
    pub busy_timeout: Duration,
    /// How long a caller waits for a free pooled connection.
    pub acquire_timeout: Duration,
    /// Transactions that store concurrent intakes together, one commit each
    /// (group commit); 0 stores every intake in a transaction of its own.
    /// SQLite has one writer, so it uses at most one.
    pub intake_lanes: usize,
    /// The most intakes one such transaction stores.
    pub intake_batch_max: usize,
    /// Keys that encrypt tenant secrets at rest; without one they are stored as given.
    pub keyring: Option<Arc<secrets::Keyring>>,
    /// PostgreSQL only: a second URL, for a role without `BYPASSRLS` that does not own the
    /// tables, on which the tenant-scoped transactions run under row-level security
    /// (`DATABASE_TENANT_URL`). Without it they run on the main pool.
    pub tenant_url: Option<String>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            busy_timeout: Duration::from_secs(10),
            acquire_timeout: Duration::from_secs(30),
            intake_lanes: 4,
            intake_batch_max: 64,
            keyring: None,
            tenant_url: None,
        }
    }
}

/// How many pooled connections are busy and how many wait idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    /// Connections running a query or holding a transaction.
    pub in_use: u32,
    /// Open connections waiting in the pool.
    pub idle: u32,
}

/// The sea-orm adapter of every storage port, on SQLite or PostgreSQL chosen by URL.
#[derive(Debug, Clone)]
pub struct SeaOrmStore {
    /// The main pool: migrations, work across tenants, and everything not yet tenant-scoped.
    db: DatabaseConnection,
    /// Where tenant-scoped transactions run: a pool of its own when `tenant_url` was given,
    /// otherwise the main pool again.
    tenant_db: DatabaseConnection,
    backend: Backend,
    /// SQLite allows one writer at a time. Writers of this pool queue here,
    /// first come first served, instead of polling the database lock in
    /// SQLite's busy handler, which starves under many concurrent writers.
    /// Other processes on the same file still wait through `busy_timeout`.
    writers: Option<Arc<Semaphore>>,
    /// Where intakes queue for group commit, when it is on.
    batcher: Option<Arc<batch::IntakeBatcher>>,
    /// Keys sealing tenant secrets.
    keyring: Option<Arc<secrets::Keyring>>,
}

/// A write transaction, holding this pool's SQLite writer slot until it ends.
pub(crate) struct WriteTxn {
    txn: DatabaseTransaction,
    _slot: Option<OwnedSemaphorePermit>,
}

impl WriteTxn {
    /// Commits, then frees the writer slot.
    pub(crate) async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    /// Rolls back, then frees the writer slot.
    pub(crate) async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

impl SeaOrmStore {
    /// Opens a pool on `sqlite://path?mode=rwc` or `postgres://...` with default options.
    ///
    /// # Errors
    /// [`ConnectError`] when the URL is not supported or the database cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, ConnectError> {
        Self::connect_with(url, StoreOptions::default()).await
    }

    /// Opens a pool with explicit options.
    ///
    /// With group commit on, the intake lanes run as tasks on the current
    /// tokio runtime until the last clone of the store is dropped.
    ///
    /// SQLite runs in WAL mode with full synchronous commits (durable
    /// acknowledgements), foreign keys on and a busy timeout, so that readers
    /// never block the single writer and writers queue instead of failing.
    ///
    /// # Errors
    /// [`ConnectError`] when the URL is not supported or the database cannot be reached.
    pub async fn connect_with(url: &str, options: StoreOptions) -> Result<Self, ConnectError> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(ConnectError::UnsupportedUrl(url.to_owned()));
        };
        // Every connection to an in-memory SQLite database is a database of
        // its own, so such a pool must have exactly one connection.
        let in_memory =
            backend == Backend::Sqlite && (url.contains(":memory:") || url.contains("mode=memory"));
        let max_connections = if in_memory {
            1
        } else {
            options.max_connections
        };
        let mut opt = ConnectOptions::new(url);
        opt.max_connections(max_connections)
            .acquire_timeout(options.acquire_timeout)
            .sqlx_logging(false);
        if backend == Backend::Postgres {
            // Plan every statement with its real parameters and the tables'
            // current size. A plan cached while a table was empty, or before
            // it was first analyzed, keeps using whichever index looked as
            // cheap then: a lookup by (tenant, phone) through the (tenant,
            // state) index reads every lead of the tenant, slower with each
            // lead, until the connection closes.
            opt.map_sqlx_postgres_opts(|o| o.options([("plan_cache_mode", "force_custom_plan")]));
        }
        if backend == Backend::Sqlite {
            let busy = options.busy_timeout;
            opt.map_sqlx_sqlite_opts(move |o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(busy)
            });
        }
        let db = Database::connect(opt)
            .await
            .map_err(ConnectError::Connect)?;
        let tenant_db = match (&options.tenant_url, backend) {
            (Some(tenant_url), Backend::Postgres) => {
                if !(tenant_url.starts_with("postgres://")
                    || tenant_url.starts_with("postgresql://"))
                {
                    return Err(ConnectError::UnsupportedUrl(tenant_url.clone()));
                }
                let mut opt = ConnectOptions::new(tenant_url);
                opt.max_connections(max_connections)
                    .acquire_timeout(options.acquire_timeout)
                    .sqlx_logging(false)
                    .map_sqlx_postgres_opts(|o| {
                        o.options([("plan_cache_mode", "force_custom_plan")])
                    });
                Database::connect(opt)
                    .await
                    .map_err(ConnectError::Connect)?
            }
            _ => db.clone(),
        };
        let writers = (backend == Backend::Sqlite).then(|| Arc::new(Semaphore::new(1)));
        let mut store = Self {
            db,
            tenant_db,
            backend,
            writers,
            batcher: None,
            keyring: options.keyring.clone(),
        };
        let lanes = match backend {
            Backend::Sqlite => options.intake_lanes.min(1),
            Backend::Postgres => options.intake_lanes,
        };
        if lanes > 0 {
            let batcher = batch::IntakeBatcher::start(&store, lanes, options.intake_batch_max);
            store.batcher = Some(Arc::new(batcher));
        }
        Ok(store)
    }

    /// Applies the pending schema migrations; harmless when there are none.
    ///
    /// On PostgreSQL the migrations run under a transaction-scoped advisory lock
    /// ([`MIGRATION_LOCK_KEY`]), so however many replicas, workers or `migrate` jobs start at
    /// once, one applies them and the others wait, then find nothing left to do. The lock is
    /// held by a transaction of its own and released when it ends, even if this process dies.
    ///
    /// # Errors
    /// [`ConnectError::Migrate`] when a migration fails or the lock cannot be taken.
    pub async fn migrate(&self) -> Result<(), ConnectError> {
        if self.backend != Backend::Postgres {
            return Migrator::up(&self.db, None)
                .await
                .map_err(ConnectError::Migrate);
        }
        let lock = self.db.begin().await.map_err(ConnectError::Migrate)?;
        lock.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
        ))
        .await
        .map_err(ConnectError::Migrate)?;
        let applied = Migrator::up(&self.db, None).await;
        let released = lock.commit().await;
        applied.map_err(ConnectError::Migrate)?;
        released.map_err(ConnectError::Migrate)
    }

    /// Which engine this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks that the database answers, for readiness probes.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`](lead_domain::ports::StoreError::Unavailable) when it does not.
    pub async fn ping(&self) -> Result<(), lead_domain::ports::StoreError> {
        self.db.ping().await.map_err(|e| {
            lead_domain::ports::StoreError::Unavailable(format!("pinging the database: {e}"))
        })
    }

    /// Closes the pool, waiting for connections to be returned.
    ///
    /// # Errors
    /// [`ConnectError::Connect`] when closing fails.
    pub async fn close(self) -> Result<(), ConnectError> {
        let Self { db, tenant_db, .. } = self;
        tenant_db.close().await.map_err(ConnectError::Connect)?;
        db.close().await.map_err(ConnectError::Connect)
    }

    /// Starts a transaction that will write. On SQLite it takes the write
    /// lock at once (`BEGIN IMMEDIATE`): a deferred transaction that reads
    /// first and writes later fails with `SQLITE_BUSY` instead of waiting when
    /// another writer committed in between.
    pub(crate) async fn begin_write(&self) -> Result<WriteTxn, DbErr> {
        let slot =
            match &self.writers {
                Some(writers) => Some(writers.clone().acquire_owned().await.map_err(|e| {
                    DbErr::Custom(format!("waiting for the sqlite writer slot: {e}"))
                })?),
                None => None,
            };
        let txn = match self.backend {
            Backend::Sqlite => {
                self.db
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                        ..TransactionOptions::default()
                    })
                    .await?
            }
            Backend::Postgres => self.db.begin().await?,
        };
        Ok(WriteTxn { txn, _slot: slot })
    }

    /// The connection pool's open and idle connections, for the operator's metrics.
    pub fn pool_usage(&self) -> PoolUsage {
        let (open, idle) = match self.backend {
            Backend::Sqlite => {
                let pool = self.db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
            Backend::Postgres => {
                let pool = self.db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(open);
        PoolUsage {
            in_use: open - idle,
            idle,
        }
    }

    pub(crate) fn keyring(&self) -> Option<&Arc<secrets::Keyring>> {
        self.keyring.as_ref()
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub(crate) fn db_backend(&self) -> DbBackend {
        match self.backend {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
        }
    }
}
