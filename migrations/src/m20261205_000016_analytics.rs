//! Analytics and experiments: indexes that let the reports read a date range of one tenant
//! without scanning others, the experiments of each tenant, and which variant each lead saw.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::{Clients, cascade_fk, drop_tables, index, tenant_fk};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Experiments {
    Table,
    Id,
    TenantId,
    Name,
    Target,
    Metric,
    Variants,
    Traffic,
    Status,
    Winner,
    CreatedAt,
    StoppedAt,
}

#[derive(DeriveIden)]
enum ExperimentAssignments {
    Table,
    ExperimentId,
    LeadId,
    TenantId,
    Variant,
    ExposedAt,
}

#[derive(DeriveIden)]
enum Leads {
    Table,
    Id,
    TenantId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    TenantId,
    ConversationId,
    Direction,
    DeliveryStatus,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Escalations {
    Table,
    TenantId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UsageLogs {
    Table,
    TenantId,
    CreatedAt,
}

// `async_trait` turns the trait's elided lifetime into its own parameter, so the impl elides it too.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The report reads leads created in a range, each conversation's first inbound and
        // first outbound message (a seek on this index instead of a scan of the conversation),
        // failed replies, escalations and usage by time.
        let indexes = [
            index("ix_leads_tenant_created")
                .table(Leads::Table)
                .col(Leads::TenantId)
                .col(Leads::CreatedAt)
                .take(),
            index("ix_messages_conversation_direction")
                .table(Messages::Table)
                .col(Messages::ConversationId)
                .col(Messages::Direction)
                .col(Messages::CreatedAt)
                .take(),
            index("ix_messages_tenant_delivery")
                .table(Messages::Table)
                .col(Messages::TenantId)
                .col(Messages::DeliveryStatus)
                .col(Messages::CreatedAt)
                .take(),
            index("ix_escalations_tenant_created")
                .table(Escalations::Table)
                .col(Escalations::TenantId)
                .col(Escalations::CreatedAt)
                .take(),
            index("ix_usage_logs_tenant_created")
                .table(UsageLogs::Table)
                .col(UsageLogs::TenantId)
                .col(UsageLogs::CreatedAt)
                .take(),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        // Variants are a small JSON list kept as text: they are read whole, never queried.
        manager
            .create_table(
                Table::create()
                    .table(Experiments::Table)
                    .if_not_exists()
                    .col(pk_uuid(Experiments::Id))
                    .col(uuid(Experiments::TenantId))
                    .col(string(Experiments::Name))
                    .col(string(Experiments::Target))
                    .col(string(Experiments::Metric))
                    .col(text(Experiments::Variants))
                    .col(double(Experiments::Traffic))
                    .col(string(Experiments::Status))
                    .col(string_null(Experiments::Winner))
                    .col(timestamp_with_time_zone(Experiments::CreatedAt))
                    .col(timestamp_with_time_zone_null(Experiments::StoppedAt))
                    .foreign_key(&mut tenant_fk(Experiments::Table, Experiments::TenantId))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ix_experiments_tenant")
                    .table(Experiments::Table)
                    .col(Experiments::TenantId)
                    .col(Experiments::CreatedAt)
                    .take(),
            )
            .await?;
        // One row per lead and experiment: the primary key makes the first exposure the one
        // that counts, whichever instance records it.
        manager
            .create_table(
                Table::create()
                    .table(ExperimentAssignments::Table)
                    .if_not_exists()
                    .col(uuid(ExperimentAssignments::ExperimentId))
                    .col(uuid(ExperimentAssignments::LeadId))
                    .col(uuid(ExperimentAssignments::TenantId))
                    .col(string(ExperimentAssignments::Variant))
                    .col(timestamp_with_time_zone(ExperimentAssignments::ExposedAt))
                    .primary_key(
                        Index::create()
                            .col(ExperimentAssignments::ExperimentId)
                            .col(ExperimentAssignments::LeadId),
                    )
                    .foreign_key(&mut cascade_fk(
                        ExperimentAssignments::Table,
                        ExperimentAssignments::ExperimentId,
                        Experiments::Table,
                        Experiments::Id,
                    ))
                    .foreign_key(&mut cascade_fk(
                        ExperimentAssignments::Table,
                        ExperimentAssignments::LeadId,
                        Leads::Table,
                        Leads::Id,
                    ))
                    .foreign_key(&mut cascade_fk(
                        ExperimentAssignments::Table,
                        ExperimentAssignments::TenantId,
                        Clients::Table,
                        Clients::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ix_experiment_assignments_lead")
                    .table(ExperimentAssignments::Table)
                    .col(ExperimentAssignments::LeadId)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![
                ExperimentAssignments::Table.into_iden(),
                Experiments::Table.into_iden(),
            ],
        )
        .await?;
        for (name, table) in [
            ("ix_leads_tenant_created", Leads::Table.into_iden()),
            (
                "ix_messages_conversation_direction",
                Messages::Table.into_iden(),
            ),
            ("ix_messages_tenant_delivery", Messages::Table.into_iden()),
            (
                "ix_escalations_tenant_created",
                Escalations::Table.into_iden(),
            ),
            ("ix_usage_logs_tenant_created", UsageLogs::Table.into_iden()),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
