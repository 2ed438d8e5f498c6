//! Tenants, their API keys and their registered phone numbers: the `TenantRepository` port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lead_domain::contact::PhoneNumber;
use lead_domain::ids::TenantId;
use lead_domain::ports::{StoreError, TenantRepository};
use lead_domain::tenant::{ApiKeyRecord, NumberKind, Tenant};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
};
use uuid::Uuid;

use crate::SeaOrmStore;
use crate::codec::{from_json, name_of, parse_name, to_json, ts};
use crate::entity::{api_keys, clients, tenant_phone_numbers};
use crate::error::Context;
use crate::secrets;

fn tenant_row(store: &SeaOrmStore, tenant: &Tenant) -> Result<clients::ActiveModel, StoreError> {
    Ok(clients::ActiveModel {
        id: Set(tenant.id.as_uuid()),
        name: Set(tenant.name.clone()),
        slug: Set(tenant.slug.clone()),
        industry: Set(tenant.settings.industry.clone()),
        timezone: Set(tenant.settings.business_hours.timezone().name().to_owned()),
        status: Set(name_of(&tenant.status)?),
        settings: Set(store.sealed_settings(tenant)?),
        widget_key: Set(tenant.widget_key.clone()),
        created_at: Set(ts(tenant.created_at)),
        updated_at: Set(ts(tenant.updated_at)),
    })
}

fn tenant_from_row(store: &SeaOrmStore, mut row: clients::Model) -> Result<Tenant, StoreError> {
    secrets::open_settings(store.keyring(), row.id, &mut row.settings).map_err(|e| {
        StoreError::Unexpected(format!("reading the secrets of tenant {}: {e}", row.id))
    })?;
    Ok(Tenant {
        id: TenantId::from_uuid(row.id),
        name: row.name,
        slug: row.slug,
        status: parse_name("tenant status", &row.status)?,
        settings: from_json("tenant settings", row.settings)?,
        widget_key: row.widget_key,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn key_row(tenant: TenantId, key: &ApiKeyRecord) -> api_keys::ActiveModel {
    api_keys::ActiveModel {
        id: Set(crate::codec::row_id()),
        tenant_id: Set(tenant.as_uuid()),
        key_hash: Set(key.hash.clone()),
        prefix: Set(key.prefix.clone()),
        label: Set(None),
        created_at: Set(ts(key.created_at)),
        expires_at: Set(key.expires_at.map(ts)),
        revoked_at: Set(None),
    }
}

/// The numbers a tenant's Twilio settings register, one row per number and kind.
fn number_rows(tenant: &Tenant) -> Result<Vec<tenant_phone_numbers::ActiveModel>, StoreError> {
    let Some(twilio) = &tenant.settings.twilio else {
        return Ok(Vec::new());
    };
    let mut pairs: Vec<(&PhoneNumber, NumberKind)> = Vec::new();
    pairs.extend(twilio.phone_numbers.iter().map(|n| (n, NumberKind::Sms)));
    pairs.extend(
        twilio
            .whatsapp_numbers
            .iter()
            .map(|n| (n, NumberKind::Whatsapp)),
    );
    let mut seen = std::collections::HashSet::new();
    pairs.retain(|pair| seen.insert(*pair));
    let now = ts(tenant.updated_at);
    pairs
        .into_iter()
        .map(|(number, kind)| {
            Ok(tenant_phone_numbers::ActiveModel {
                id: Set(crate::codec::row_id()),
                tenant_id: Set(tenant.id.as_uuid()),
                number: Set(number.as_str().to_owned()),
                kind: Set(name_of(&kind)?),
                created_at: Set(now),
            })
        })
        .collect()
}

async fn insert_numbers<C: ConnectionTrait>(db: &C, tenant: &Tenant) -> Result<(), StoreError> {
    let rows = number_rows(tenant)?;
    if rows.is_empty() {
        return Ok(());
    }
    tenant_phone_numbers::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .context("registering tenant phone numbers")?;
    Ok(())
}

impl SeaOrmStore {
    async fn tenant_by_id<C: ConnectionTrait>(
        &self,
        db: &C,
        id: Uuid,
    ) -> Result<Option<Tenant>, StoreError> {
        clients::Entity::find_by_id(id)
            .one(db)
            .await
            .context("loading a tenant")?
            .map(|row| tenant_from_row(self, row))
            .transpose()
    }

    /// The tenant's settings as stored: every secret sealed under the current key.
    fn sealed_settings(&self, tenant: &Tenant) -> Result<sea_orm::prelude::Json, StoreError> {
        let mut settings = to_json("tenant settings", &tenant.settings)?;
        secrets::seal_settings(self.keyring(), tenant.id.as_uuid(), &mut settings);
        Ok(settings)
    }

    /// Re-encrypts every tenant's secrets under the keyring's current key (and seals any stored
    /// in plain text); returns how many tenants changed. Run after a new `SECRET_KEY` is set with
    /// the old one in `SECRET_KEY_PREVIOUS`.
    ///
    /// # Errors
    /// [`StoreError`] when a secret cannot be opened with the configured keys, or on a database
    /// failure; nothing is changed for the tenant concerned then.
    pub async fn reseal_secrets(&self) -> Result<usize, StoreError> {
        let Some(keyring) = self.keyring().cloned() else {
            return Err(StoreError::Unexpected(
                "no secret key is configured".to_owned(),
            ));
        };
        let rows = clients::Entity::find()
            .all(self.db())
            .await
            .context("listing tenants")?;
        let mut changed = 0;
        for mut row in rows {
            let resealed = secrets::reseal_settings(&keyring, row.id, &mut row.settings)
                .map_err(|e| StoreError::Unexpected(format!("tenant {}: {e}", row.id)))?;
            if !resealed {
                continue;
            }
            let txn = self
                .begin_write()
                .await
                .context("starting a re-encryption")?;
            clients::Entity::update_many()
                .col_expr(clients::Column::Settings, Expr::value(row.settings))
                .filter(clients::Column::Id.eq(row.id))
                .exec(&txn)
                .await
                .context("re-encrypting tenant secrets")?;
            txn.commit().await.context("committing a re-encryption")?;
            changed += 1;
        }
        Ok(changed)
    }
}

#[async_trait]
impl TenantRepository for SeaOrmStore {
    async fn insert_tenant(&self, tenant: &Tenant, key: &ApiKeyRecord) -> Result<(), StoreError> {
        let txn = self
            .begin_write()
            .await
            .context("starting a tenant insert")?;
        clients::Entity::insert(tenant_row(self, tenant)?)
            .exec_without_returning(&txn)
            .await
            .context("inserting a tenant")?;
        api_keys::Entity::insert(key_row(tenant.id, key))
            .exec_without_returning(&txn)
            .await
            .context("inserting an api key")?;
        insert_numbers(&txn, tenant).await?;
        txn.commit().await.context("committing a tenant insert")
    }

    async fn get_tenant(&self, id: TenantId) -> Result<Option<Tenant>, StoreError> {
        self.tenant_by_id(self.db(), id.as_uuid()).await
    }

    async fn update_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let status = name_of(&tenant.status)?;
        let settings = self.sealed_settings(tenant)?;
        let timezone = tenant.settings.business_hours.timezone().name().to_owned();
        let txn = self
            .begin_write()
            .await
            .context("starting a tenant update")?;
        let updated = clients::Entity::update_many()
            .col_expr(clients::Column::Name, Expr::value(tenant.name.clone()))
            .col_expr(clients::Column::Status, Expr::value(status))
            .col_expr(clients::Column::Settings, Expr::value(settings))
            .col_expr(
                clients::Column::Industry,
                Expr::value(tenant.settings.industry.clone()),
            )
            .col_expr(clients::Column::Timezone, Expr::value(timezone))
            .col_expr(
                clients::Column::WidgetKey,
                Expr::value(tenant.widget_key.clone()),
            )
            .col_expr(
                clients::Column::UpdatedAt,
                Expr::value(ts(tenant.updated_at)),
            )
            .filter(clients::Column::Id.eq(tenant.id.as_uuid()))
            .exec(&txn)
            .await
            .context("updating a tenant")?;
        if updated.rows_affected == 0 {
            return Err(StoreError::Stale(format!(
                "tenant {} does not exist",
                tenant.id
            )));
        }
        tenant_phone_numbers::Entity::delete_many()
            .filter(tenant_phone_numbers::Column::TenantId.eq(tenant.id.as_uuid()))
            .exec(&txn)
            .await
            .context("replacing tenant phone numbers")?;
        insert_numbers(&txn, tenant).await?;
        txn.commit().await.context("committing a tenant update")
    }

    async fn find_tenant_by_api_key(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Tenant>, StoreError> {
        let key = api_keys::Entity::find()
            .filter(api_keys::Column::KeyHash.eq(hash))
            .filter(api_keys::Column::RevokedAt.is_null())
            .filter(
                api_keys::Column::ExpiresAt
                    .is_null()
                    .or(api_keys::Column::ExpiresAt.gt(ts(now))),
            )
            .one(self.db())
            .await
            .context("looking up an api key")?;
        match key {
            Some(key) => self.tenant_by_id(self.db(), key.tenant_id).await,
            None => Ok(None),
        }
    }

    async fn rotate_api_key(
        &self,
        tenant: TenantId,
        key: &ApiKeyRecord,
        expire_others_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let txn = self
            .begin_write()
            .await
            .context("starting a key rotation")?;
        if clients::Entity::find_by_id(tenant.as_uuid())
            .one(&txn)
            .await
            .context("loading a tenant")?
            .is_none()
        {
            return Err(StoreError::Stale(format!("tenant {tenant} does not exist")));
        }
        // Keys that already expire sooner keep their earlier end.
        let end = ts(expire_others_at);
        api_keys::Entity::update_many()
            .col_expr(api_keys::Column::ExpiresAt, Expr::value(end))
            .filter(api_keys::Column::TenantId.eq(tenant.as_uuid()))
            .filter(
                api_keys::Column::ExpiresAt
                    .is_null()
                    .or(api_keys::Column::ExpiresAt.gt(end)),
            )
            .exec(&txn)
            .await
            .context("expiring the previous api keys")?;
        api_keys::Entity::insert(key_row(tenant, key))
            .exec_without_returning(&txn)
            .await
            .context("inserting an api key")?;
        txn.commit().await.context("committing a key rotation")
    }

    async fn find_tenant_by_number(
        &self,
        number: &PhoneNumber,
        kind: NumberKind,
    ) -> Result<Option<Tenant>, StoreError> {
        let row = tenant_phone_numbers::Entity::find()
            .filter(tenant_phone_numbers::Column::Number.eq(number.as_str()))
            .filter(tenant_phone_numbers::Column::Kind.eq(name_of(&kind)?))
            .one(self.db())
            .await
            .context("looking up a tenant phone number")?;
        match row {
            Some(row) => self.tenant_by_id(self.db(), row.tenant_id).await,
            None => Ok(None),
        }
    }

    async fn find_tenant_by_widget_key(&self, key: &str) -> Result<Option<Tenant>, StoreError> {
        clients::Entity::find()
            .filter(clients::Column::WidgetKey.eq(key))
            .one(self.db())
            .await
            .context("looking up a widget key")?
            .map(|row| tenant_from_row(self, row))
            .transpose()
    }
}
