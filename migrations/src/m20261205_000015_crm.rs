//! Each lead's records in the tenant's CRM: the contact and deal ids, the last sync and failure,
//! the fingerprint of the last note, and the claim that keeps two workers from creating two
//! contacts.

use crate::common::{tenant_fk, with_timestamps};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, string_null, text_null, timestamp_with_time_zone_null, uuid,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum CrmLinks {
    Table,
    TenantId,
    LeadId,
    ContactId,
    DealId,
    SyncedAt,
    LastError,
    NoteMarker,
    ClaimedAt,
    Version,
}

// `async_trait` turns the trait's elided lifetime into its own parameter, so the impl elides it too.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table(CrmLinks::Table)
            .if_not_exists()
            .col(uuid(CrmLinks::TenantId))
            .col(uuid(CrmLinks::LeadId))
            .col(string_null(CrmLinks::ContactId))
            .col(string_null(CrmLinks::DealId))
            .col(timestamp_with_time_zone_null(CrmLinks::SyncedAt))
            .col(text_null(CrmLinks::LastError))
            .col(string_null(CrmLinks::NoteMarker))
            .col(timestamp_with_time_zone_null(CrmLinks::ClaimedAt))
            .col(big_integer(CrmLinks::Version));
        with_timestamps(&mut table);
        manager
            .create_table(
                table
                    .primary_key(
                        Index::create()
                            .col(CrmLinks::TenantId)
                            .col(CrmLinks::LeadId),
                    )
                    .foreign_key(&mut tenant_fk(CrmLinks::Table, CrmLinks::TenantId))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CrmLinks::Table).if_exists().take())
            .await
    }
}
