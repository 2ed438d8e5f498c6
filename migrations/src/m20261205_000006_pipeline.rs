//! The processing pipeline's guarantees in the schema: a fencing token per job lease (only the
//! worker holding the current lease may complete or fail a job), and a unique key on every effect
//! a decision writes (the reply and escalations of an inbound message, jobs such as a message's
//! send or an inbound message's notification), so a decision applied twice stores its effects once.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    LeaseToken,
    EffectKey,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    ReplyCause,
}

#[derive(DeriveIden)]
enum Escalations {
    Table,
    CauseKey,
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

/// A unique index on a nullable key column: rows without a key (older rows, effects without a
/// cause) never collide, since both backends treat NULLs as distinct.
async fn unique_key(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .create_index(
            Index::create()
                .name(name)
                .table(table)
                .col(column)
                .unique()
                .to_owned(),
        )
        .await
}

// `async_trait` turns the trait's elided lifetime into its own parameter, so the impl elides it too.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Jobs::Table,
            ColumnDef::new(Jobs::LeaseToken)
                .big_integer()
                .not_null()
                .default(0)
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            Jobs::Table,
            ColumnDef::new(Jobs::EffectKey).string().null().to_owned(),
        )
        .await?;
        add_column(
            manager,
            Messages::Table,
            ColumnDef::new(Messages::ReplyCause)
                .uuid()
                .null()
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            Escalations::Table,
            ColumnDef::new(Escalations::CauseKey)
                .string()
                .null()
                .to_owned(),
        )
        .await?;
        unique_key(manager, "ux_jobs_effect_key", Jobs::Table, Jobs::EffectKey).await?;
        unique_key(
            manager,
            "ux_messages_reply_cause",
            Messages::Table,
            Messages::ReplyCause,
        )
        .await?;
        unique_key(
            manager,
            "ux_escalations_cause_key",
            Escalations::Table,
            Escalations::CauseKey,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("ux_escalations_cause_key", Escalations::Table.into_iden()),
            ("ux_messages_reply_cause", Messages::Table.into_iden()),
            ("ux_jobs_effect_key", Jobs::Table.into_iden()),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        drop_column(manager, Escalations::Table, Escalations::CauseKey).await?;
        drop_column(manager, Messages::Table, Messages::ReplyCause).await?;
        drop_column(manager, Jobs::Table, Jobs::EffectKey).await?;
        drop_column(manager, Jobs::Table, Jobs::LeaseToken).await
    }
}
