//! Provider webhooks already processed that create no intake: the `WebhookLog` port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lead_domain::ids::TenantId;
use lead_domain::ports::{StoreError, WebhookLog};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, EntityTrait};

use crate::SeaOrmStore;
use crate::codec::ts;
use crate::entity::processed_webhooks;
use crate::error::Context;

#[async_trait]
impl WebhookLog for SeaOrmStore {
    async fn first_time(
        &self,
        tenant: TenantId,
        provider: &str,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let row = processed_webhooks::ActiveModel {
            tenant_id: Set(tenant.as_uuid()),
            provider: Set(provider.to_owned()),
            provider_id: Set(id.to_owned()),
            receipt: Set(None),
            created_at: Set(ts(at)),
        };
        // The insert is the check: of concurrent deliveries exactly one inserts.
        let inserted = processed_webhooks::Entity::insert(row)
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_without_returning(self.db())
            .await
            .context("recording a processed webhook")?;
        Ok(inserted == 1)
    }
}
