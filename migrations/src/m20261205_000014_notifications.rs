//! Webhook deliveries: one row per event and endpoint, with the event sent, its state and every
//! attempt made. Events themselves travel as `dispatch_event` jobs (the job queue is the outbox).

use crate::common::{index, tenant_fk, with_timestamps};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{json_binary, string, timestamp_with_time_zone_null, uuid};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    TenantId,
    EventId,
    EventType,
    EndpointId,
    Url,
    Event,
    Status,
    Attempts,
    NextAttemptAt,
    CreatedAt,
}

// `async_trait` turns the trait's elided lifetime into its own parameter, so the impl elides it too.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table(WebhookDeliveries::Table)
            .if_not_exists()
            .col(string(WebhookDeliveries::Id).primary_key())
            .col(uuid(WebhookDeliveries::TenantId))
            .col(string(WebhookDeliveries::EventId))
            .col(string(WebhookDeliveries::EventType))
            .col(string(WebhookDeliveries::EndpointId))
            .col(string(WebhookDeliveries::Url))
            .col(json_binary(WebhookDeliveries::Event))
            .col(string(WebhookDeliveries::Status))
            .col(json_binary(WebhookDeliveries::Attempts))
            .col(timestamp_with_time_zone_null(
                WebhookDeliveries::NextAttemptAt,
            ));
        with_timestamps(&mut table);
        manager
            .create_table(
                table
                    .foreign_key(&mut tenant_fk(
                        WebhookDeliveries::Table,
                        WebhookDeliveries::TenantId,
                    ))
                    .take(),
            )
            .await?;
        // One delivery per event and endpoint: a dispatch run twice delivers once.
        manager
            .create_index(
                index("idx_webhook_deliveries_event_endpoint")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EventId)
                    .col(WebhookDeliveries::EndpointId)
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("idx_webhook_deliveries_tenant_status")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::TenantId)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::CreatedAt)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(WebhookDeliveries::Table)
                    .if_exists()
                    .take(),
            )
            .await
    }
}
