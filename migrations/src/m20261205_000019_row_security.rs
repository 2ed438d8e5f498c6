//! PostgreSQL only: row-level security on every tenant-owned table (decision 0003), and a
//! notification on the `lead_messages` channel for every outbound message stored, so live-chat
//! streams of every process wake when a reply is written. SQLite has neither: there isolation
//! rests on the repositories' tenant filters and streams are woken in process.
//!
//! Each table gets the policy `tenant_isolation`: a row is visible and writable only when its
//! `tenant_id` equals the transaction's `app.tenant_id` setting. Without the setting the
//! comparison is with NULL and no row qualifies, so a forgotten setting fails closed. The policy
//! binds every role that is neither the tables' owner nor `BYPASSRLS` (superusers are
//! `BYPASSRLS`): the owner, which runs the migrations, is the system role for work that crosses
//! tenants by design. Row security is enabled but not forced, because forcing it would hide
//! every row from that owner unless it were also granted `BYPASSRLS`, which not every hosted
//! PostgreSQL allows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// Every table with a `tenant_id` column.
pub const TENANT_TABLES: &[&str] = &[
    "api_keys",
    "tenant_phone_numbers",
    "leads",
    "lead_state_history",
    "conversations",
    "messages",
    "knowledge_base",
    "knowledge_chunks",
    "message_sources",
    "qualification_rules",
    "escalations",
    "usage_logs",
    "usage_alerts",
    "jobs",
    "processed_webhooks",
    "opt_outs",
    "bookings",
    "users",
    "user_sessions",
    "webhook_deliveries",
    "crm_links",
    "experiments",
    "experiment_assignments",
];

/// The tenant a transaction acts for, as the policies read it. `set_config(..., true)` ends with
/// the transaction; afterwards the setting reads as an empty string, which `NULLIF` turns into
/// NULL rather than a cast error.
const TENANT: &str = "NULLIF(current_setting('app.tenant_id', true), '')::uuid";

/// The function and trigger that announce stored outbound messages.
const NOTIFY_FUNCTION: &str = "CREATE OR REPLACE FUNCTION lead_notify_outbound_message() \
     RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
       IF NEW.direction = 'outbound' THEN \
         PERFORM pg_notify('lead_messages', NEW.conversation_id::text); \
       END IF; \
       RETURN NULL; \
     END $$";

const NOTIFY_TRIGGER: &str = "CREATE TRIGGER messages_notify_outbound \
     AFTER INSERT ON messages FOR EACH ROW EXECUTE FUNCTION lead_notify_outbound_message()";

// `async_trait` turns the trait's elided lifetime into its own parameter, so the impl elides it too.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in TENANT_TABLES {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY; \
                 DROP POLICY IF EXISTS tenant_isolation ON {table}; \
                 CREATE POLICY tenant_isolation ON {table} \
                   USING (tenant_id = {TENANT}) WITH CHECK (tenant_id = {TENANT})"
            ))
            .await?;
        }
        db.execute_unprepared(NOTIFY_FUNCTION).await?;
        db.execute_unprepared("DROP TRIGGER IF EXISTS messages_notify_outbound ON messages")
            .await?;
        db.execute_unprepared(NOTIFY_TRIGGER).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("DROP TRIGGER IF EXISTS messages_notify_outbound ON messages")
            .await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS lead_notify_outbound_message()")
            .await?;
        for table in TENANT_TABLES {
            db.execute_unprepared(&format!(
                "DROP POLICY IF EXISTS tenant_isolation ON {table}; \
                 ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"
            ))
            .await?;
        }
        Ok(())
    }
}
