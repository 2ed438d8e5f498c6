//! Users of a tenant, their sign-in sessions and failed sign-ins: the `UserRepository` port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lead_domain::ids::TenantId;
use lead_domain::language::Language;
use lead_domain::ports::StoreError;
use lead_domain::users::{FailureCount, Role, Session, ThrottleKey, User, UserId, UserRepository};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::SeaOrmStore;
use crate::codec::ts;
use crate::error::{Context, corrupt};

pub(crate) mod user_rows {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub email: String,
        pub name: String,
        pub role: String,
        pub language: String,
        pub password_hash: String,
        pub created_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod user_sessions {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub user_id: Uuid,
        pub tenant_id: Uuid,
        pub csrf_token: String,
        pub created_at: DateTimeUtc,
        pub last_seen_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod sign_in_failures {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sign_in_failures")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub seq: i64,
        pub throttle_key: String,
        pub created_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

fn user_from_row(row: user_rows::Model) -> Result<User, StoreError> {
    Ok(User {
        id: UserId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        role: Role::parse(&row.role).ok_or_else(|| corrupt("user role", &row.role))?,
        language: Language::from_code(&row.language)
            .ok_or_else(|| corrupt("user language", &row.language))?,
        email: row.email,
        name: row.name,
        password_hash: row.password_hash,
        created_at: row.created_at,
    })
}

fn session_from_row(row: user_sessions::Model) -> Session {
    Session {
        token_hash: row.token_hash,
        user_id: UserId::from_uuid(row.user_id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        csrf_token: row.csrf_token,
        created_at: row.created_at,
        last_seen_at: row.last_seen_at,
    }
}

#[async_trait]
impl UserRepository for SeaOrmStore {
    async fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        let row = user_rows::ActiveModel {
            id: Set(user.id.as_uuid()),
            tenant_id: Set(user.tenant_id.as_uuid()),
            email: Set(user.email.clone()),
            name: Set(user.name.clone()),
            role: Set(user.role.as_str().to_owned()),
            language: Set(user.language.code().to_owned()),
            password_hash: Set(user.password_hash.clone()),
            created_at: Set(ts(user.created_at)),
        };
        user_rows::Entity::insert(row)
            .exec_without_returning(self.db())
            .await
            .context("storing a user")?;
        Ok(())
    }

    async fn list_users(&self, tenant: TenantId) -> Result<Vec<User>, StoreError> {
        user_rows::Entity::find()
            .filter(user_rows::Column::TenantId.eq(tenant.as_uuid()))
            .order_by_asc(user_rows::Column::Name)
            .order_by_asc(user_rows::Column::Email)
            .all(self.db())
            .await
            .context("listing users")?
            .into_iter()
            .map(user_from_row)
            .collect()
    }

    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<Option<User>, StoreError> {
        user_rows::Entity::find_by_id(id.as_uuid())
            .filter(user_rows::Column::TenantId.eq(tenant.as_uuid()))
            .one(self.db())
            .await
            .context("reading a user")?
            .map(user_from_row)
            .transpose()
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        user_rows::Entity::find()
            .filter(user_rows::Column::Email.eq(email))
            .one(self.db())
            .await
            .context("finding a user by email")?
            .map(user_from_row)
            .transpose()
    }

    async fn delete_user(&self, tenant: TenantId, id: UserId) -> Result<bool, StoreError> {
        // Sessions go first: SQLite enforces the cascade only with foreign keys on.
        user_sessions::Entity::delete_many()
            .filter(user_sessions::Column::UserId.eq(id.as_uuid()))
            .filter(user_sessions::Column::TenantId.eq(tenant.as_uuid()))
            .exec(self.db())
            .await
            .context("ending a user's sessions")?;
        let result = user_rows::Entity::delete_many()
            .filter(user_rows::Column::Id.eq(id.as_uuid()))
            .filter(user_rows::Column::TenantId.eq(tenant.as_uuid()))
            .exec(self.db())
            .await
            .context("removing a user")?;
        Ok(result.rows_affected > 0)
    }

    async fn set_user_language(
        &self,
        tenant: TenantId,
        id: UserId,
        language: Language,
    ) -> Result<(), StoreError> {
        let result = user_rows::Entity::update_many()
            .col_expr(user_rows::Column::Language, Expr::value(language.code()))
            .filter(user_rows::Column::Id.eq(id.as_uuid()))
            .filter(user_rows::Column::TenantId.eq(tenant.as_uuid()))
            .exec(self.db())
            .await
            .context("saving a user's language")?;
        if result.rows_affected == 0 {
            return Err(StoreError::Stale(format!("user {id} not found")));
        }
        Ok(())
    }

    async fn insert_session(&self, session: &Session) -> Result<(), StoreError> {
        let row = user_sessions::ActiveModel {
            token_hash: Set(session.token_hash.clone()),
            user_id: Set(session.user_id.as_uuid()),
            tenant_id: Set(session.tenant_id.as_uuid()),
            csrf_token: Set(session.csrf_token.clone()),
            created_at: Set(ts(session.created_at)),
            last_seen_at: Set(ts(session.last_seen_at)),
        };
        user_sessions::Entity::insert(row)
            .exec_without_returning(self.db())
            .await
            .context("storing a session")?;
        Ok(())
    }

    async fn find_session(&self, token_hash: &str) -> Result<Option<(Session, User)>, StoreError> {
        let Some(row) = user_sessions::Entity::find_by_id(token_hash.to_owned())
            .one(self.db())
            .await
            .context("reading a session")?
        else {
            return Ok(None);
        };
        let user = user_rows::Entity::find_by_id(row.user_id)
            .filter(user_rows::Column::TenantId.eq(row.tenant_id))
            .one(self.db())
            .await
            .context("reading a session's user")?;
        match user {
            Some(user) => Ok(Some((session_from_row(row), user_from_row(user)?))),
            None => Ok(None),
        }
    }

    async fn touch_session(&self, token_hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        user_sessions::Entity::update_many()
            .col_expr(user_sessions::Column::LastSeenAt, Expr::value(ts(at)))
            .filter(user_sessions::Column::TokenHash.eq(token_hash))
            .exec(self.db())
            .await
            .context("touching a session")?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        user_sessions::Entity::delete_many()
            .filter(user_sessions::Column::TokenHash.eq(token_hash))
            .exec(self.db())
            .await
            .context("ending a session")?;
        Ok(())
    }

    async fn delete_idle_sessions(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let result = user_sessions::Entity::delete_many()
            .filter(user_sessions::Column::LastSeenAt.lt(ts(before)))
            .exec(self.db())
            .await
            .context("removing idle sessions")?;
        Ok(result.rows_affected)
    }

    async fn delete_sign_in_failures_before(
        &self,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let result = sign_in_failures::Entity::delete_many()
            .filter(sign_in_failures::Column::CreatedAt.lt(ts(before)))
            .exec(self.db())
            .await
            .context("removing old failed sign-ins")?;
        Ok(result.rows_affected)
    }

    async fn record_sign_in_failure(
        &self,
        key: &ThrottleKey,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let row = sign_in_failures::ActiveModel {
            throttle_key: Set(key.key()),
            created_at: Set(ts(at)),
            ..Default::default()
        };
        sign_in_failures::Entity::insert(row)
            .exec_without_returning(self.db())
            .await
            .context("recording a failed sign-in")?;
        Ok(())
    }

    async fn sign_in_failures(
        &self,
        key: &ThrottleKey,
        since: DateTime<Utc>,
    ) -> Result<FailureCount, StoreError> {
        let query = sign_in_failures::Entity::find()
            .filter(sign_in_failures::Column::ThrottleKey.eq(key.key()))
            .filter(sign_in_failures::Column::CreatedAt.gte(ts(since)));
        let count = query
            .clone()
            .count(self.db())
            .await
            .context("counting failed sign-ins")?;
        let latest = query
            .order_by_desc(sign_in_failures::Column::CreatedAt)
            .limit(1)
            .one(self.db())
            .await
            .context("reading the latest failed sign-in")?
            .map(|r| r.created_at);
        Ok(FailureCount {
            count: u32::try_from(count).unwrap_or(u32::MAX),
            latest,
        })
    }

    async fn tenant_by_slug(&self, slug: &str) -> Result<Option<TenantId>, StoreError> {
        Ok(crate::entity::clients::Entity::find()
            .filter(crate::entity::clients::Column::Slug.eq(slug))
            .one(self.db())
            .await
            .context("finding a client by slug")?
            .map(|c| TenantId::from_uuid(c.id)))
    }

    async fn clear_sign_in_failures(&self, key: &ThrottleKey) -> Result<(), StoreError> {
        sign_in_failures::Entity::delete_many()
            .filter(sign_in_failures::Column::ThrottleKey.eq(key.key()))
            .exec(self.db())
            .await
            .context("clearing failed sign-ins")?;
        Ok(())
    }
}
