//! What a person needs beside the lead's verified contact: the phone and email a chat visitor typed
//! (unverified claims), the lead they may duplicate, why replies cannot reach them, and who raised
//! and released each escalation.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Leads {
    Table,
    ClaimedPhone,
    ClaimedEmail,
    PossibleDuplicateOf,
    Undeliverable,
}

#[derive(DeriveIden)]
enum Escalations {
    Table,
    RaisedBy,
    ReleasedBy,
}

/// Adds one column per statement: SQLite's ALTER TABLE takes a single change at a time.
async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    mut column: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(&mut column)
                .to_owned(),
        )
        .await
}

async fn drop_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}

// `async_trait` turns the trait's elided lifetime into its own parameter, so the impl elides it too.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let leads = [
            ColumnDef::new(Leads::ClaimedPhone)
                .string()
                .null()
                .to_owned(),
            ColumnDef::new(Leads::ClaimedEmail)
                .string()
                .null()
                .to_owned(),
            ColumnDef::new(Leads::PossibleDuplicateOf)
                .uuid()
                .null()
                .to_owned(),
            ColumnDef::new(Leads::Undeliverable)
                .string()
                .null()
                .to_owned(),
        ];
        for column in leads {
            add_column(manager, Leads::Table, column).await?;
        }
        let escalations = [
            ColumnDef::new(Escalations::RaisedBy)
                .string()
                .not_null()
                .default("ai")
                .to_owned(),
            ColumnDef::new(Escalations::ReleasedBy)
                .string()
                .null()
                .to_owned(),
        ];
        for column in escalations {
            add_column(manager, Escalations::Table, column).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, Escalations::Table, Escalations::ReleasedBy).await?;
        drop_column(manager, Escalations::Table, Escalations::RaisedBy).await?;
        drop_column(manager, Leads::Table, Leads::Undeliverable).await?;
        drop_column(manager, Leads::Table, Leads::PossibleDuplicateOf).await?;
        drop_column(manager, Leads::Table, Leads::ClaimedEmail).await?;
        drop_column(manager, Leads::Table, Leads::ClaimedPhone).await
    }
}
