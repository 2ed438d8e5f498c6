//! Speed to lead without touching messages at report time: each conversation keeps its first
//! inbound message time and its first sent (or delivered) reply time, recomputed by triggers on
//! `messages` in the same transaction as every insert, delivery update or delete, so a late
//! delivery callback (a reply marked failed after being sent) moves the figure too.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::common::index;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Conversations {
    Table,
    LeadId,
    FirstInboundAt,
    FirstReplyAt,
}

/// Both times of conversation `{id}`, each a seek on `ix_messages_conversation_direction`.
const RECOMPUTE: &str = "UPDATE conversations SET \
     first_inbound_at = (SELECT MIN(m.created_at) FROM messages m \
        WHERE m.conversation_id = {id} AND m.direction = 'inbound'), \
     first_reply_at = (SELECT MIN(m.created_at) FROM messages m \
        WHERE m.conversation_id = {id} AND m.direction = 'outbound' \
        AND m.delivery_status IN ('sent', 'delivered')) \
     WHERE id = {id}";

/// The SQLite triggers: (name, event, row whose conversation is recomputed).
const SQLITE_TRIGGERS: [(&str, &str, &str); 4] = [
    ("trg_messages_first_response_insert", "AFTER INSERT", "NEW"),
    (
        "trg_messages_first_response_update_new",
        "AFTER UPDATE",
        "NEW",
    ),
    (
        "trg_messages_first_response_update_old",
        "AFTER UPDATE",
        "OLD",
    ),
    ("trg_messages_first_response_delete", "AFTER DELETE", "OLD"),
];

// `async_trait` turns the trait's elided lifetime into its own parameter, so the impl elides it too.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .add_column(timestamp_with_time_zone_null(Conversations::FirstInboundAt))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .add_column(timestamp_with_time_zone_null(Conversations::FirstReplyAt))
                    .take(),
            )
            .await?;
        // The report joins a tenant's leads of a range to their answered conversations.
        manager
            .create_index(
                index("ix_conversations_lead_first_inbound")
                    .table(Conversations::Table)
                    .col(Conversations::LeadId)
                    .col(Conversations::FirstInboundAt)
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(&RECOMPUTE.replace("{id}", "conversations.id"))
            .await?;
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                for (name, event, row) in SQLITE_TRIGGERS {
                    let recompute = RECOMPUTE.replace("{id}", &format!("{row}.conversation_id"));
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER IF NOT EXISTS {name} {event} ON messages \
                         BEGIN {recompute}; END"
                    ))
                    .await?;
                }
            }
            _ => {
                let new = RECOMPUTE.replace("{id}", "NEW.conversation_id");
                let old = RECOMPUTE.replace("{id}", "OLD.conversation_id");
                db.execute_unprepared(&format!(
                    "CREATE OR REPLACE FUNCTION conversation_first_response() RETURNS trigger \
                     AS $$ BEGIN \
                     IF TG_OP <> 'DELETE' THEN {new}; END IF; \
                     IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' \
                        AND OLD.conversation_id <> NEW.conversation_id) THEN {old}; END IF; \
                     RETURN NULL; END $$ LANGUAGE plpgsql"
                ))
                .await?;
                db.execute_unprepared(
                    "DROP TRIGGER IF EXISTS trg_messages_first_response ON messages",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER trg_messages_first_response \
                     AFTER INSERT OR UPDATE OR DELETE ON messages \
                     FOR EACH ROW EXECUTE FUNCTION conversation_first_response()",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                for (name, _, _) in SQLITE_TRIGGERS {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name}"))
                        .await?;
                }
            }
            _ => {
                db.execute_unprepared(
                    "DROP TRIGGER IF EXISTS trg_messages_first_response ON messages",
                )
                .await?;
                db.execute_unprepared("DROP FUNCTION IF EXISTS conversation_first_response()")
                    .await?;
            }
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ix_conversations_lead_first_inbound")
                    .table(Conversations::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        for column in [Conversations::FirstReplyAt, Conversations::FirstInboundAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Conversations::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
