//! Tenants (`clients`), their API keys and the phone numbers that route inbound messages to them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::{Clients, drop_tables, index, tenant_fk, with_timestamps};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    TenantId,
    KeyHash,
    Prefix,
    Label,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum TenantPhoneNumbers {
    Table,
    Id,
    TenantId,
    Number,
    Kind,
    CreatedAt,
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
                        .table(Clients::Table)
                        .if_not_exists()
                        .col(pk_uuid(Clients::Id))
                        .col(string(Clients::Name))
                        .col(string_uniq(Clients::Slug))
                        .col(string(Clients::Industry))
                        .col(string(Clients::Timezone))
                        .col(string(Clients::Status))
                        .col(json_binary(Clients::Settings))
                        .col(string_uniq(Clients::WidgetKey)),
                )
                .take(),
            )
            .await?;

        // Keys are looked up by the SHA-256 of the presented secret on every
        // request, so the hash is unique and indexed; `expires_at` gives a
        // rotated key a grace period and `revoked_at` ends it at once.
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .if_not_exists()
                    .col(pk_uuid(ApiKeys::Id))
                    .col(uuid(ApiKeys::TenantId))
                    .col(string_uniq(ApiKeys::KeyHash))
                    .col(string(ApiKeys::Prefix))
                    .col(string_null(ApiKeys::Label))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .foreign_key(&mut tenant_fk(ApiKeys::Table, ApiKeys::TenantId))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ix_api_keys_tenant")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::TenantId)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TenantPhoneNumbers::Table)
                    .if_not_exists()
                    .col(pk_uuid(TenantPhoneNumbers::Id))
                    .col(uuid(TenantPhoneNumbers::TenantId))
                    .col(string(TenantPhoneNumbers::Number))
                    .col(string(TenantPhoneNumbers::Kind))
                    .col(timestamp_with_time_zone(TenantPhoneNumbers::CreatedAt))
                    .foreign_key(&mut tenant_fk(
                        TenantPhoneNumbers::Table,
                        TenantPhoneNumbers::TenantId,
                    ))
                    .take(),
            )
            .await?;
        // Inbound SMS and WhatsApp traffic is routed to a tenant by the number
        // it was sent to; one number may carry both kinds, but each kind of a
        // number belongs to one tenant.
        manager
            .create_index(
                index("ux_tenant_phone_numbers_number_kind")
                    .table(TenantPhoneNumbers::Table)
                    .col(TenantPhoneNumbers::Number)
                    .col(TenantPhoneNumbers::Kind)
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ix_tenant_phone_numbers_tenant")
                    .table(TenantPhoneNumbers::Table)
                    .col(TenantPhoneNumbers::TenantId)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![
                TenantPhoneNumbers::Table.into_iden(),
                ApiKeys::Table.into_iden(),
                Clients::Table.into_iden(),
            ],
        )
        .await
    }
}
