//! Escalations, usage accounting, the job queue, webhook idempotency and opt-outs.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::{cascade_fk, drop_tables, index, tenant_fk, with_timestamps};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Leads {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Escalations {
    Table,
    Seq,
    Id,
    TenantId,
    ConversationId,
    LeadId,
    Reason,
    Detail,
    CreatedAt,
    ReleasedAt,
}

#[derive(DeriveIden)]
enum UsageLogs {
    Table,
    Id,
    TenantId,
    ConversationId,
    Provider,
    Model,
    Month,
    TokensIn,
    TokensOut,
    CacheReadTokens,
    CacheWriteTokens,
    CostUsdNanos,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UsageAlerts {
    Table,
    Id,
    TenantId,
    Month,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Seq,
    Id,
    TenantId,
    Kind,
    Payload,
    QueueKey,
    Status,
    Attempts,
    MaxAttempts,
    RunAt,
    LockedUntil,
    LockedBy,
    LastError,
}

#[derive(DeriveIden)]
enum ProcessedWebhooks {
    Table,
    Provider,
    ProviderId,
    TenantId,
    Receipt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OptOuts {
    Table,
    TenantId,
    Address,
    CreatedAt,
}

// The trait spells the manager as `&SchemaManager` and `async_trait` turns the
// elided lifetime into its own parameter, so the impl must elide it too.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per reason; `reason` is the kind for filtering and
        // `detail` the full reason as JSON. `seq` keeps the order the reasons
        // were raised in, which several reasons at one instant need.
        manager
            .create_table(
                Table::create()
                    .table(Escalations::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Escalations::Seq))
                    .col(uuid_uniq(Escalations::Id))
                    .col(uuid(Escalations::TenantId))
                    .col(uuid(Escalations::ConversationId))
                    .col(uuid(Escalations::LeadId))
                    .col(string(Escalations::Reason))
                    .col(json_binary(Escalations::Detail))
                    .col(timestamp_with_time_zone(Escalations::CreatedAt))
                    .col(timestamp_with_time_zone_null(Escalations::ReleasedAt))
                    .foreign_key(&mut tenant_fk(Escalations::Table, Escalations::TenantId))
                    .foreign_key(&mut cascade_fk(
                        Escalations::Table,
                        Escalations::ConversationId,
                        Conversations::Table,
                        Conversations::Id,
                    ))
                    .foreign_key(&mut cascade_fk(
                        Escalations::Table,
                        Escalations::LeadId,
                        Leads::Table,
                        Leads::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ix_escalations_tenant_released")
                    .table(Escalations::Table)
                    .col(Escalations::TenantId)
                    .col(Escalations::ReleasedAt)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ix_escalations_conversation")
                    .table(Escalations::Table)
                    .col(Escalations::ConversationId)
                    .take(),
            )
            .await?;

        // One row per model call; budgets and the usage endpoint sum them by
        // tenant, month ('YYYY-MM') and model. Cost is stored in billionths
        // of a US dollar so that sums of many tiny costs stay exact.
        manager
            .create_table(
                Table::create()
                    .table(UsageLogs::Table)
                    .if_not_exists()
                    .col(pk_uuid(UsageLogs::Id))
                    .col(uuid(UsageLogs::TenantId))
                    .col(uuid_null(UsageLogs::ConversationId))
                    .col(string(UsageLogs::Provider))
                    .col(string(UsageLogs::Model))
                    .col(string_len(UsageLogs::Month, 7))
                    .col(big_integer(UsageLogs::TokensIn))
                    .col(big_integer(UsageLogs::TokensOut))
                    .col(big_integer(UsageLogs::CacheReadTokens).default(0))
                    .col(big_integer(UsageLogs::CacheWriteTokens).default(0))
                    .col(big_integer(UsageLogs::CostUsdNanos))
                    .col(timestamp_with_time_zone(UsageLogs::CreatedAt))
                    .foreign_key(&mut tenant_fk(UsageLogs::Table, UsageLogs::TenantId))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ix_usage_logs_tenant_month")
                    .table(UsageLogs::Table)
                    .col(UsageLogs::TenantId)
                    .col(UsageLogs::Month)
                    .col(UsageLogs::Model)
                    .take(),
            )
            .await?;

        // The budget alert is raised once per tenant and month; the unique
        // index makes "first time" atomic under concurrent workers.
        manager
            .create_table(
                Table::create()
                    .table(UsageAlerts::Table)
                    .if_not_exists()
                    .col(pk_uuid(UsageAlerts::Id))
                    .col(uuid(UsageAlerts::TenantId))
                    .col(string_len(UsageAlerts::Month, 7))
                    .col(timestamp_with_time_zone(UsageAlerts::CreatedAt))
                    .foreign_key(&mut tenant_fk(UsageAlerts::Table, UsageAlerts::TenantId))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ux_usage_alerts_tenant_month")
                    .table(UsageAlerts::Table)
                    .col(UsageAlerts::TenantId)
                    .col(UsageAlerts::Month)
                    .unique()
                    .take(),
            )
            .await?;

        // The durable queue. `seq` numbers jobs in the order they were
        // enqueued (SQLite's rowid, PostgreSQL's identity), so jobs enqueued
        // at the same instant still have an order. `queue_key` groups the jobs
        // of one conversation: a job is claimable only when no job with the
        // same key and a smaller `seq` is still queued or running.
        // `locked_until` is the visibility timeout of a running job.
        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table(Jobs::Table)
                        .if_not_exists()
                        .col(big_pk_auto(Jobs::Seq))
                        .col(uuid_uniq(Jobs::Id))
                        .col(uuid(Jobs::TenantId))
                        .col(string(Jobs::Kind))
                        .col(json_binary(Jobs::Payload))
                        .col(string_null(Jobs::QueueKey))
                        .col(string(Jobs::Status))
                        .col(integer(Jobs::Attempts).default(0))
                        .col(integer(Jobs::MaxAttempts))
                        .col(timestamp_with_time_zone(Jobs::RunAt))
                        .col(timestamp_with_time_zone_null(Jobs::LockedUntil))
                        .col(string_null(Jobs::LockedBy))
                        .col(text_null(Jobs::LastError))
                        .foreign_key(&mut tenant_fk(Jobs::Table, Jobs::TenantId)),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(
                index("ix_jobs_status_run_at")
                    .table(Jobs::Table)
                    .col(Jobs::Status)
                    .col(Jobs::RunAt)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ix_jobs_queue_key")
                    .table(Jobs::Table)
                    .col(Jobs::QueueKey)
                    .col(Jobs::Status)
                    .col(Jobs::Seq)
                    .take(),
            )
            .await?;

        // A provider retries a webhook it thinks failed; the first delivery
        // inserts the row inside the intake transaction and later ones
        // conflict and read back the stored receipt. The key includes the
        // tenant so that one tenant's idempotency keys can never match, and
        // so reveal, another tenant's intake.
        manager
            .create_table(
                Table::create()
                    .table(ProcessedWebhooks::Table)
                    .if_not_exists()
                    .col(uuid(ProcessedWebhooks::TenantId))
                    .col(string(ProcessedWebhooks::Provider))
                    .col(string(ProcessedWebhooks::ProviderId))
                    .col(json_binary_null(ProcessedWebhooks::Receipt))
                    .col(timestamp_with_time_zone(ProcessedWebhooks::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ProcessedWebhooks::TenantId)
                            .col(ProcessedWebhooks::Provider)
                            .col(ProcessedWebhooks::ProviderId),
                    )
                    .foreign_key(&mut tenant_fk(
                        ProcessedWebhooks::Table,
                        ProcessedWebhooks::TenantId,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OptOuts::Table)
                    .if_not_exists()
                    .col(uuid(OptOuts::TenantId))
                    .col(string(OptOuts::Address))
                    .col(timestamp_with_time_zone(OptOuts::CreatedAt))
                    .primary_key(Index::create().col(OptOuts::TenantId).col(OptOuts::Address))
                    .foreign_key(&mut tenant_fk(OptOuts::Table, OptOuts::TenantId))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![
                OptOuts::Table.into_iden(),
                ProcessedWebhooks::Table.into_iden(),
                Jobs::Table.into_iden(),
                UsageAlerts::Table.into_iden(),
                UsageLogs::Table.into_iden(),
                Escalations::Table.into_iden(),
            ],
        )
        .await
    }
}
