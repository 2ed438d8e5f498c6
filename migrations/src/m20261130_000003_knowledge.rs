//! Per-tenant knowledge base documents, their chunks, and qualification rules.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::{cascade_fk, drop_tables, index, tenant_fk, with_timestamps};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum KnowledgeBase {
    Table,
    Id,
    TenantId,
    Title,
    Content,
}

#[derive(DeriveIden)]
enum KnowledgeChunks {
    Table,
    Id,
    TenantId,
    KnowledgeBaseId,
    Position,
    Content,
    CreatedAt,
}

#[derive(DeriveIden)]
enum QualificationRules {
    Table,
    Id,
    TenantId,
    Rules,
}

// The trait spells the manager as `&SchemaManager` and `async_trait` turns the
// elided lifetime into its own parameter, so the impl must elide it too.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table(KnowledgeBase::Table)
                        .if_not_exists()
                        .col(pk_uuid(KnowledgeBase::Id))
                        .col(uuid(KnowledgeBase::TenantId))
                        .col(string(KnowledgeBase::Title))
                        .col(text(KnowledgeBase::Content))
                        .foreign_key(&mut tenant_fk(
                            KnowledgeBase::Table,
                            KnowledgeBase::TenantId,
                        )),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(
                index("ix_knowledge_base_tenant")
                    .table(KnowledgeBase::Table)
                    .col(KnowledgeBase::TenantId)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(KnowledgeChunks::Table)
                    .if_not_exists()
                    .col(pk_uuid(KnowledgeChunks::Id))
                    .col(uuid(KnowledgeChunks::TenantId))
                    .col(uuid(KnowledgeChunks::KnowledgeBaseId))
                    .col(integer(KnowledgeChunks::Position))
                    .col(text(KnowledgeChunks::Content))
                    .col(timestamp_with_time_zone(KnowledgeChunks::CreatedAt))
                    .foreign_key(&mut tenant_fk(
                        KnowledgeChunks::Table,
                        KnowledgeChunks::TenantId,
                    ))
                    .foreign_key(&mut cascade_fk(
                        KnowledgeChunks::Table,
                        KnowledgeChunks::KnowledgeBaseId,
                        KnowledgeBase::Table,
                        KnowledgeBase::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ix_knowledge_chunks_tenant_document")
                    .table(KnowledgeChunks::Table)
                    .col(KnowledgeChunks::TenantId)
                    .col(KnowledgeChunks::KnowledgeBaseId)
                    .col(KnowledgeChunks::Position)
                    .take(),
            )
            .await?;

        // One rule set per tenant; the rules are versioned with the code that
        // reads them, so they are kept whole as JSON.
        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table(QualificationRules::Table)
                        .if_not_exists()
                        .col(pk_uuid(QualificationRules::Id))
                        .col(uuid_uniq(QualificationRules::TenantId))
                        .col(json_binary(QualificationRules::Rules))
                        .foreign_key(&mut tenant_fk(
                            QualificationRules::Table,
                            QualificationRules::TenantId,
                        )),
                )
                .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![
                QualificationRules::Table.into_iden(),
                KnowledgeChunks::Table.into_iden(),
                KnowledgeBase::Table.into_iden(),
            ],
        )
        .await
    }
}
