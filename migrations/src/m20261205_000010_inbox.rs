//! The sales inbox: users of a tenant (with their interface language), their sign-in sessions
//! (shared by every instance), and failed sign-ins counted per account and per address.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::{Clients, cascade_fk, drop_tables, index, tenant_fk};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    TenantId,
    Email,
    Name,
    Role,
    Language,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UserSessions {
    Table,
    TokenHash,
    UserId,
    TenantId,
    CsrfToken,
    CreatedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum SignInFailures {
    Table,
    Seq,
    ThrottleKey,
    CreatedAt,
}

// `async_trait` turns the trait's elided lifetime into its own parameter, so the impl elides it too.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(uuid(Users::Id).primary_key())
                    .col(uuid(Users::TenantId))
                    .col(string_uniq(Users::Email))
                    .col(string(Users::Name))
                    .col(string(Users::Role))
                    .col(string(Users::Language))
                    .col(string(Users::PasswordHash))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .foreign_key(&mut tenant_fk(Users::Table, Users::TenantId))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("idx_users_tenant")
                    .table(Users::Table)
                    .col(Users::TenantId)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserSessions::Table)
                    .if_not_exists()
                    .col(string(UserSessions::TokenHash).primary_key())
                    .col(uuid(UserSessions::UserId))
                    .col(uuid(UserSessions::TenantId))
                    .col(string(UserSessions::CsrfToken))
                    .col(timestamp_with_time_zone(UserSessions::CreatedAt))
                    .col(timestamp_with_time_zone(UserSessions::LastSeenAt))
                    .foreign_key(&mut cascade_fk(
                        UserSessions::Table,
                        UserSessions::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut cascade_fk(
                        UserSessions::Table,
                        UserSessions::TenantId,
                        Clients::Table,
                        Clients::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("idx_user_sessions_last_seen")
                    .table(UserSessions::Table)
                    .col(UserSessions::LastSeenAt)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SignInFailures::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SignInFailures::Seq))
                    .col(string(SignInFailures::ThrottleKey))
                    .col(timestamp_with_time_zone(SignInFailures::CreatedAt))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("idx_sign_in_failures_key")
                    .table(SignInFailures::Table)
                    .col(SignInFailures::ThrottleKey)
                    .col(SignInFailures::CreatedAt)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![
                SignInFailures::Table.into_iden(),
                UserSessions::Table.into_iden(),
                Users::Table.into_iden(),
            ],
        )
        .await
    }
}
