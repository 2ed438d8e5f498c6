//! Addresses that asked not to be messaged, per tenant: the `OptOutRegistry` port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lead_domain::contact::Address;
use lead_domain::ids::TenantId;
use lead_domain::ports::{OptOutRegistry, StoreError};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::SeaOrmStore;
use crate::codec::ts;
use crate::entity::opt_outs;
use crate::error::Context;

#[async_trait]
impl OptOutRegistry for SeaOrmStore {
    async fn opt_out(
        &self,
        tenant: TenantId,
        address: &Address,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let row = opt_outs::ActiveModel {
            tenant_id: Set(tenant.as_uuid()),
            address: Set(address.key()),
            created_at: Set(ts(at)),
        };
        // Opting out twice keeps the first time.
        opt_outs::Entity::insert(row)
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_without_returning(self.db())
            .await
            .context("recording an opt-out")?;
        Ok(())
    }

    async fn opt_in(&self, tenant: TenantId, address: &Address) -> Result<(), StoreError> {
        opt_outs::Entity::delete_many()
            .filter(opt_outs::Column::TenantId.eq(tenant.as_uuid()))
            .filter(opt_outs::Column::Address.eq(address.key()))
            .exec(self.db())
            .await
            .context("removing an opt-out")?;
        Ok(())
    }

    async fn is_opted_out(&self, tenant: TenantId, address: &Address) -> Result<bool, StoreError> {
        Ok(opt_outs::Entity::find()
            .filter(opt_outs::Column::TenantId.eq(tenant.as_uuid()))
            .filter(opt_outs::Column::Address.eq(address.key()))
            .one(self.db())
            .await
            .context("looking up an opt-out")?
            .is_some())
    }
}
