//! Each lead's booking in the tenant's calendar: the slots offered, the choice, the calendar's
//! booking uid and what happened to it.

use crate::common::{index, tenant_fk, with_timestamps};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, json_binary, string, string_null, uuid};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Bookings {
    Table,
    TenantId,
    LeadId,
    Status,
    Uid,
    Record,
    Version,
}

// `async_trait` turns the trait's elided lifetime into its own parameter, so the impl elides it too.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table(Bookings::Table)
            .if_not_exists()
            .col(uuid(Bookings::TenantId))
            .col(uuid(Bookings::LeadId))
            .col(string(Bookings::Status))
            .col(string_null(Bookings::Uid))
            .col(json_binary(Bookings::Record))
            .col(big_integer(Bookings::Version));
        with_timestamps(&mut table);
        manager
            .create_table(
                table
                    .primary_key(
                        Index::create()
                            .col(Bookings::TenantId)
                            .col(Bookings::LeadId),
                    )
                    .foreign_key(&mut tenant_fk(Bookings::Table, Bookings::TenantId))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("idx_bookings_uid")
                    .table(Bookings::Table)
                    .col(Bookings::TenantId)
                    .col(Bookings::Uid)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Bookings::Table).if_exists().take())
            .await
    }
}
