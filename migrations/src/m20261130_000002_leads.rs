//! Leads, their state history, conversations and messages: the intake hot path.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::{cascade_fk, drop_tables, index, tenant_fk, with_timestamps};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Leads {
    Table,
    Id,
    TenantId,
    Phone,
    Email,
    ChatSession,
    Name,
    Language,
    State,
    Score,
    ScorePoints,
    ScoreCard,
    ScoreOverride,
    BudgetMin,
    BudgetMax,
    Currency,
    Service,
    Qualification,
    Version,
    SourceChannel,
    SourceDetail,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LeadStateHistory {
    Table,
    Id,
    TenantId,
    LeadId,
    FromState,
    ToState,
    Event,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum Conversations {
    Table,
    Id,
    TenantId,
    LeadId,
    Channel,
    Status,
    Escalated,
    Exchanges,
    Language,
    ReplyTo,
    LastInboundAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Seq,
    Id,
    TenantId,
    ConversationId,
    Direction,
    Sender,
    Channel,
    Body,
    Language,
    ProviderMessageId,
    DeliveryStatus,
    DeliveryError,
    CreatedAt,
}

// The trait spells the manager as `&SchemaManager` and `async_trait` turns the
// elided lifetime into its own parameter, so the impl must elide it too.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The queryable parts of the qualification (state, score, budget,
        // service) are columns; the full record sits beside them as JSON.
        // `version` is bumped on every update for optimistic locking. A lead
        // is found again by phone, email or live-chat session, in that order.
        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table(Leads::Table)
                        .if_not_exists()
                        .col(pk_uuid(Leads::Id))
                        .col(uuid(Leads::TenantId))
                        .col(string_null(Leads::Phone))
                        .col(string_null(Leads::Email))
                        .col(string_null(Leads::ChatSession))
                        .col(string_null(Leads::Name))
                        .col(string_null(Leads::Language))
                        .col(string(Leads::State))
                        .col(string(Leads::Score))
                        .col(integer(Leads::ScorePoints).default(0))
                        .col(json_binary(Leads::ScoreCard))
                        .col(text_null(Leads::ScoreOverride))
                        .col(double_null(Leads::BudgetMin))
                        .col(double_null(Leads::BudgetMax))
                        .col(string_null(Leads::Currency))
                        .col(string_null(Leads::Service))
                        .col(json_binary(Leads::Qualification))
                        .col(big_integer(Leads::Version).default(0))
                        .col(string(Leads::SourceChannel))
                        .col(string_null(Leads::SourceDetail))
                        .foreign_key(&mut tenant_fk(Leads::Table, Leads::TenantId)),
                )
                .take(),
            )
            .await?;
        // Both backends treat NULLs as distinct in a unique index, so a lead
        // without a phone (or email) never collides, while two leads of one
        // tenant can never share one.
        manager
            .create_index(
                index("ux_leads_tenant_phone")
                    .table(Leads::Table)
                    .col(Leads::TenantId)
                    .col(Leads::Phone)
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ux_leads_tenant_email")
                    .table(Leads::Table)
                    .col(Leads::TenantId)
                    .col(Leads::Email)
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ux_leads_tenant_chat_session")
                    .table(Leads::Table)
                    .col(Leads::TenantId)
                    .col(Leads::ChatSession)
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ix_leads_tenant_score")
                    .table(Leads::Table)
                    .col(Leads::TenantId)
                    .col(Leads::Score)
                    .col(Leads::UpdatedAt)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ix_leads_tenant_state")
                    .table(Leads::Table)
                    .col(Leads::TenantId)
                    .col(Leads::State)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LeadStateHistory::Table)
                    .if_not_exists()
                    .col(pk_uuid(LeadStateHistory::Id))
                    .col(uuid(LeadStateHistory::TenantId))
                    .col(uuid(LeadStateHistory::LeadId))
                    .col(string(LeadStateHistory::FromState))
                    .col(string(LeadStateHistory::ToState))
                    .col(string(LeadStateHistory::Event))
                    .col(text(LeadStateHistory::Reason))
                    .col(timestamp_with_time_zone(LeadStateHistory::CreatedAt))
                    .foreign_key(&mut tenant_fk(
                        LeadStateHistory::Table,
                        LeadStateHistory::TenantId,
                    ))
                    .foreign_key(&mut cascade_fk(
                        LeadStateHistory::Table,
                        LeadStateHistory::LeadId,
                        Leads::Table,
                        Leads::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ix_lead_state_history_lead")
                    .table(LeadStateHistory::Table)
                    .col(LeadStateHistory::LeadId)
                    .col(LeadStateHistory::CreatedAt)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table(Conversations::Table)
                        .if_not_exists()
                        .col(pk_uuid(Conversations::Id))
                        .col(uuid(Conversations::TenantId))
                        .col(uuid(Conversations::LeadId))
                        .col(string(Conversations::Channel))
                        .col(string(Conversations::Status))
                        .col(boolean(Conversations::Escalated).default(false))
                        .col(integer(Conversations::Exchanges).default(0))
                        .col(string_null(Conversations::Language))
                        .col(json_binary_null(Conversations::ReplyTo))
                        .col(timestamp_with_time_zone_null(Conversations::LastInboundAt))
                        .foreign_key(&mut tenant_fk(
                            Conversations::Table,
                            Conversations::TenantId,
                        ))
                        .foreign_key(&mut cascade_fk(
                            Conversations::Table,
                            Conversations::LeadId,
                            Leads::Table,
                            Leads::Id,
                        )),
                )
                .take(),
            )
            .await?;
        // At most one open conversation per lead and channel: intake reuses it,
        // and two concurrent intakes cannot both open one. Partial indexes are
        // spelled the same on SQLite and PostgreSQL.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX IF NOT EXISTS ux_conversations_open_lead_channel \
             ON conversations (lead_id, channel) WHERE status = 'open'",
        )
        .await?;
        manager
            .create_index(
                index("ix_conversations_tenant_status")
                    .table(Conversations::Table)
                    .col(Conversations::TenantId)
                    .col(Conversations::Status)
                    .col(Conversations::UpdatedAt)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ix_conversations_lead")
                    .table(Conversations::Table)
                    .col(Conversations::LeadId)
                    .take(),
            )
            .await?;

        // `seq` keeps the order messages were stored in, which the
        // conversation history needs even when two share a timestamp.
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Messages::Seq))
                    .col(uuid_uniq(Messages::Id))
                    .col(uuid(Messages::TenantId))
                    .col(uuid(Messages::ConversationId))
                    .col(string(Messages::Direction))
                    .col(string(Messages::Sender))
                    .col(string(Messages::Channel))
                    .col(text(Messages::Body))
                    .col(string_null(Messages::Language))
                    .col(string_null(Messages::ProviderMessageId))
                    .col(string(Messages::DeliveryStatus))
                    .col(text_null(Messages::DeliveryError))
                    .col(timestamp_with_time_zone(Messages::CreatedAt))
                    .foreign_key(&mut tenant_fk(Messages::Table, Messages::TenantId))
                    .foreign_key(&mut cascade_fk(
                        Messages::Table,
                        Messages::ConversationId,
                        Conversations::Table,
                        Conversations::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ix_messages_conversation")
                    .table(Messages::Table)
                    .col(Messages::ConversationId)
                    .col(Messages::CreatedAt)
                    .col(Messages::Seq)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ix_messages_provider_id")
                    .table(Messages::Table)
                    .col(Messages::TenantId)
                    .col(Messages::ProviderMessageId)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![
                Messages::Table.into_iden(),
                Conversations::Table.into_iden(),
                LeadStateHistory::Table.into_iden(),
                Leads::Table.into_iden(),
            ],
        )
        .await
    }
}
