//! Column and constraint helpers shared by the migrations.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::timestamp_with_time_zone;

/// The tenant table, referenced by every tenant-scoped table.
#[derive(DeriveIden)]
pub(crate) enum Clients {
    Table,
    Id,
    Name,
    Slug,
    Industry,
    Timezone,
    Status,
    Settings,
    WidgetKey,
}

/// The columns every mutable row carries.
#[derive(DeriveIden)]
pub(crate) enum Stamp {
    CreatedAt,
    UpdatedAt,
}

/// Adds `created_at` and `updated_at` (both required, no default) to a table.
pub(crate) fn with_timestamps(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(timestamp_with_time_zone(Stamp::CreatedAt))
        .col(timestamp_with_time_zone(Stamp::UpdatedAt))
}

/// A foreign key from `table.column` to `clients.id` that removes the rows with their tenant.
pub(crate) fn tenant_fk<T, C>(table: T, column: C) -> ForeignKeyCreateStatement
where
    T: IntoIden + 'static,
    C: IntoIden + 'static,
{
    cascade_fk(table, column, Clients::Table, Clients::Id)
}

/// A foreign key that deletes the referencing rows with the referenced one.
pub(crate) fn cascade_fk<T, C, R, RC>(
    table: T,
    column: C,
    ref_table: R,
    ref_column: RC,
) -> ForeignKeyCreateStatement
where
    T: IntoIden + 'static,
    C: IntoIden + 'static,
    R: IntoIden + 'static,
    RC: IntoIden + 'static,
{
    ForeignKey::create()
        .from(table, column)
        .to(ref_table, ref_column)
        .on_delete(ForeignKeyAction::Cascade)
        .on_update(ForeignKeyAction::Cascade)
        .take()
}

/// Creates an index if it does not exist yet, so a half-applied migration can be re-run.
pub(crate) fn index(name: &str) -> IndexCreateStatement {
    Index::create().name(name).if_not_exists().take()
}

/// Drops tables in the given order, tolerating tables that are already gone.
pub(crate) async fn drop_tables<T>(manager: &SchemaManager<'_>, tables: Vec<T>) -> Result<(), DbErr>
where
    T: IntoIden + 'static,
{
    for table in tables {
        manager
            .drop_table(Table::drop().table(table).if_exists().take())
            .await?;
    }
    Ok(())
}
