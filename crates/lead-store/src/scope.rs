//! Tenant-scoped connections: on PostgreSQL a transaction on the tenant pool that first sets
//! `app.tenant_id`, so the row-level security policies of decision 0003 hide every other
//! tenant's rows even from a query that forgot its tenant filter. SQLite has no row security:
//! there the scope is the plain pool and isolation rests on the filters alone.

use lead_domain::ids::TenantId;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, Statement, TransactionTrait,
};

use crate::{Backend, SeaOrmStore};

/// Where a tenant's queries run: see the module documentation.
pub(crate) enum TenantScope {
    /// SQLite: the pool itself.
    Pool(DatabaseConnection),
    /// PostgreSQL: a transaction with the tenant set.
    Txn(DatabaseTransaction),
}

impl TenantScope {
    /// Commits the transaction (a read-only one commits nothing); the plain pool has nothing to end.
    pub(crate) async fn finish(self) -> Result<(), DbErr> {
        match self {
            Self::Pool(_) => Ok(()),
            Self::Txn(txn) => txn.commit().await,
        }
    }
}

/// Sets the tenant the row-level security policies admit for the rest of `txn`.
pub(crate) async fn set_tenant<C: ConnectionTrait>(txn: &C, tenant: TenantId) -> Result<(), DbErr> {
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config('app.tenant_id', $1, true)",
        [tenant.as_uuid().to_string().into()],
    ))
    .await
    .map(|_| ())
}

impl SeaOrmStore {
    /// Opens a scope for `tenant`'s queries; [`TenantScope::finish`] ends it.
    pub(crate) async fn tenant_scope(&self, tenant: TenantId) -> Result<TenantScope, DbErr> {
        match self.backend {
            Backend::Sqlite => Ok(TenantScope::Pool(self.db.clone())),
            Backend::Postgres => {
                let txn = self.tenant_db.begin().await?;
                set_tenant(&txn, tenant).await?;
                Ok(TenantScope::Txn(txn))
            }
        }
    }

    /// Starts a write transaction for one tenant: on PostgreSQL on the tenant pool with the
    /// tenant set, on SQLite the usual [`SeaOrmStore::begin_write`].
    pub(crate) async fn begin_tenant_write(
        &self,
        tenant: TenantId,
    ) -> Result<crate::WriteTxn, DbErr> {
        match self.backend {
            Backend::Sqlite => self.begin_write().await,
            Backend::Postgres => {
                let txn = self.tenant_db.begin().await?;
                set_tenant(&txn, tenant).await?;
                Ok(crate::WriteTxn { txn, _slot: None })
            }
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for TenantScope {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Self::Pool(db) => db.get_database_backend(),
            Self::Txn(txn) => txn.get_database_backend(),
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Self::Pool(db) => db.execute_raw(stmt).await,
            Self::Txn(txn) => txn.execute_raw(stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Self::Pool(db) => db.execute_unprepared(sql).await,
            Self::Txn(txn) => txn.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Self::Pool(db) => db.query_one_raw(stmt).await,
            Self::Txn(txn) => txn.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Self::Pool(db) => db.query_all_raw(stmt).await,
            Self::Txn(txn) => txn.query_all_raw(stmt).await,
        }
    }

    fn support_returning(&self) -> bool {
        match self {
            Self::Pool(db) => db.support_returning(),
            Self::Txn(txn) => txn.support_returning(),
        }
    }
}
