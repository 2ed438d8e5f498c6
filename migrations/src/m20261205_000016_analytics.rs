//! Analytics and experiments: indexes that let the reports read a date range of one tenant
//! without scanning others, every state a lead has reached as a bit set kept by a trigger on its
//! history (so the funnel reads one row per lead, no join), the experiments of each tenant, and
//! which variant each lead saw.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

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
    ReachedStates,
}

/// The bit of each state in `leads.reached_states`, as `lead_domain::analytics::StateSet` reads it.
const STATE_BIT: &str = "CASE NEW.to_state WHEN 'NEW' THEN 1 WHEN 'QUALIFYING' THEN 2 \
     WHEN 'QUALIFIED' THEN 4 WHEN 'APPOINTMENT_BOOKED' THEN 8 WHEN 'HANDED_OFF' THEN 16 \
     WHEN 'NURTURING' THEN 32 WHEN 'DISQUALIFIED' THEN 64 ELSE 0 END";

/// The same bits for the rows already stored.
const BACKFILL: &str = "UPDATE leads SET reached_states = reached_states \
     | (SELECT COALESCE(MAX(CASE WHEN h.to_state = 'NEW' THEN 1 ELSE 0 END), 0) \
        + COALESCE(MAX(CASE WHEN h.to_state = 'QUALIFYING' THEN 2 ELSE 0 END), 0) \
        + COALESCE(MAX(CASE WHEN h.to_state = 'QUALIFIED' THEN 4 ELSE 0 END), 0) \
        + COALESCE(MAX(CASE WHEN h.to_state = 'APPOINTMENT_BOOKED' THEN 8 ELSE 0 END), 0) \
        + COALESCE(MAX(CASE WHEN h.to_state = 'HANDED_OFF' THEN 16 ELSE 0 END), 0) \
        + COALESCE(MAX(CASE WHEN h.to_state = 'NURTURING' THEN 32 ELSE 0 END), 0) \
        + COALESCE(MAX(CASE WHEN h.to_state = 'DISQUALIFIED' THEN 64 ELSE 0 END), 0) \
        FROM lead_state_history h WHERE h.lead_id = leads.id)";

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
        manager
            .alter_table(
                Table::alter()
                    .table(Leads::Table)
                    .add_column(integer(Leads::ReachedStates).default(0))
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(BACKFILL).await?;
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER IF NOT EXISTS trg_lead_reached_states \
                     AFTER INSERT ON lead_state_history BEGIN \
                     UPDATE leads SET reached_states = reached_states | ({STATE_BIT}) \
                     WHERE id = NEW.lead_id; END"
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(&format!(
                    "CREATE OR REPLACE FUNCTION lead_reached_states() RETURNS trigger AS $$ \
                     BEGIN UPDATE leads SET reached_states = reached_states | ({STATE_BIT}) \
                     WHERE id = NEW.lead_id; RETURN NEW; END $$ LANGUAGE plpgsql"
                ))
                .await?;
                db.execute_unprepared(
                    "DROP TRIGGER IF EXISTS trg_lead_reached_states ON lead_state_history",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER trg_lead_reached_states AFTER INSERT ON lead_state_history \
                     FOR EACH ROW EXECUTE FUNCTION lead_reached_states()",
                )
                .await?;
            }
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
        let db = manager.get_connection();
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                db.execute_unprepared("DROP TRIGGER IF EXISTS trg_lead_reached_states")
                    .await?;
            }
            _ => {
                db.execute_unprepared(
                    "DROP TRIGGER IF EXISTS trg_lead_reached_states ON lead_state_history",
                )
                .await?;
                db.execute_unprepared("DROP FUNCTION IF EXISTS lead_reached_states()")
                    .await?;
            }
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Leads::Table)
                    .drop_column(Leads::ReachedStates)
                    .take(),
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
