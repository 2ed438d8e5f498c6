//! Erasure on request and retention periods: the `DataRetention` port. Deleting a lead cascades
//! to its history, conversations, messages (and their quoted sources) and escalations; the
//! booking row has no foreign key and is removed here; leads that pointed at it as a possible
//! duplicate forget it.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lead_domain::ids::{LeadId, TenantId};
use lead_domain::ports::StoreError;
use lead_domain::retention::{DataRetention, Purged};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::codec::{statement, ts};
use crate::entity::{bookings, clients, conversations, crm_links, leads, messages};
use crate::error::Context;
use crate::{SeaOrmStore, WriteTxn};

/// Ids per `IN (...)` list, well under every driver's parameter limit.
const CHUNK: usize = 500;

/// Removes these leads of a tenant and what has no foreign key to them.
async fn delete_leads(txn: &WriteTxn, tenant: Uuid, ids: &[Uuid]) -> Result<u64, StoreError> {
    let mut removed = 0;
    for chunk in ids.chunks(CHUNK) {
        bookings::Entity::delete_many()
            .filter(bookings::Column::TenantId.eq(tenant))
            .filter(bookings::Column::LeadId.is_in(chunk.to_vec()))
            .exec(txn)
            .await
            .context("erasing bookings")?;
        crm_links::Entity::delete_many()
            .filter(crm_links::Column::TenantId.eq(tenant))
            .filter(crm_links::Column::LeadId.is_in(chunk.to_vec()))
            .exec(txn)
            .await
            .context("erasing CRM links")?;
        leads::Entity::update_many()
            .col_expr(
                leads::Column::PossibleDuplicateOf,
                Expr::value(Option::<Uuid>::None),
            )
            .filter(leads::Column::TenantId.eq(tenant))
            .filter(leads::Column::PossibleDuplicateOf.is_in(chunk.to_vec()))
            .exec(txn)
            .await
            .context("forgetting erased duplicates")?;
        removed += leads::Entity::delete_many()
            .filter(leads::Column::TenantId.eq(tenant))
            .filter(leads::Column::Id.is_in(chunk.to_vec()))
            .exec(txn)
            .await
            .context("erasing leads")?
            .rows_affected;
    }
    Ok(removed)
}

/// Removes the copies of a lead's data that events and jobs carry in their JSON (a delivery's
/// event, a page's packet, a send's payload); jobs running now finish and find the lead gone.
async fn scrub_copies(txn: &WriteTxn, tenant: Uuid, lead: Uuid) -> Result<(), StoreError> {
    let backend = txn.get_database_backend();
    let pattern = format!("%{lead}%");
    for sql in [
        "DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND CAST(event AS TEXT) LIKE $2",
        "DELETE FROM jobs WHERE tenant_id = $1 AND status <> 'running' \
         AND CAST(payload AS TEXT) LIKE $2",
    ] {
        txn.execute_raw(statement(
            backend,
            sql,
            vec![tenant.into(), pattern.clone().into()],
        ))
        .await
        .context("erasing copies of a lead in events and jobs")?;
    }
    Ok(())
}

#[async_trait]
impl DataRetention for SeaOrmStore {
    async fn erase_lead(&self, tenant: TenantId, lead: LeadId) -> Result<bool, StoreError> {
        let txn = self.begin_write().await.context("starting an erasure")?;
        scrub_copies(&txn, tenant.as_uuid(), lead.as_uuid()).await?;
        let removed = delete_leads(&txn, tenant.as_uuid(), &[lead.as_uuid()]).await?;
        txn.commit().await.context("committing an erasure")?;
        Ok(removed > 0)
    }

    async fn purge_before(
        &self,
        tenant: TenantId,
        cutoff: DateTime<Utc>,
    ) -> Result<Purged, StoreError> {
        let tenant = tenant.as_uuid();
        let cutoff = ts(cutoff);
        let txn = self
            .begin_write()
            .await
            .context("starting a retention pass")?;
        let messages = messages::Entity::delete_many()
            .filter(messages::Column::TenantId.eq(tenant))
            .filter(messages::Column::CreatedAt.lt(cutoff))
            .exec(&txn)
            .await
            .context("removing expired messages")?
            .rows_affected;
        let idle: Vec<Uuid> = leads::Entity::find()
            .select_only()
            .column(leads::Column::Id)
            .filter(leads::Column::TenantId.eq(tenant))
            .filter(leads::Column::UpdatedAt.lt(cutoff))
            .into_tuple()
            .all(&txn)
            .await
            .context("finding idle leads")?;
        // A lead with a message newer than the cutoff is still active, whatever its row says.
        let mut active = HashSet::new();
        for chunk in idle.chunks(CHUNK) {
            let conversations: Vec<(Uuid, Uuid)> = conversations::Entity::find()
                .select_only()
                .columns([conversations::Column::Id, conversations::Column::LeadId])
                .filter(conversations::Column::TenantId.eq(tenant))
                .filter(conversations::Column::LeadId.is_in(chunk.to_vec()))
                .into_tuple()
                .all(&txn)
                .await
                .context("finding idle leads' conversations")?;
            for part in conversations.chunks(CHUNK) {
                let ids: Vec<Uuid> = part.iter().map(|(id, _)| *id).collect();
                let live: HashSet<Uuid> = messages::Entity::find()
                    .select_only()
                    .column(messages::Column::ConversationId)
                    .filter(messages::Column::TenantId.eq(tenant))
                    .filter(messages::Column::ConversationId.is_in(ids))
                    .distinct()
                    .into_tuple()
                    .all(&txn)
                    .await
                    .context("finding live conversations")?
                    .into_iter()
                    .collect();
                active.extend(
                    part.iter()
                        .filter(|(id, _)| live.contains(id))
                        .map(|(_, lead)| *lead),
                );
            }
        }
        let expired: Vec<Uuid> = idle.into_iter().filter(|id| !active.contains(id)).collect();
        // Copies of lead data in deliveries and finished jobs expire with the period too.
        let backend = txn.get_database_backend();
        for sql in [
            "DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND created_at < $2",
            "DELETE FROM jobs WHERE tenant_id = $1 AND status IN ('done', 'dead') \
             AND updated_at < $2",
        ] {
            txn.execute_raw(statement(backend, sql, vec![tenant.into(), cutoff.into()]))
                .await
                .context("removing expired deliveries and jobs")?;
        }
        let leads = delete_leads(&txn, tenant, &expired).await?;
        txn.commit().await.context("committing a retention pass")?;
        Ok(Purged { leads, messages })
    }

    async fn retention_policies(&self) -> Result<Vec<(TenantId, u32)>, StoreError> {
        let rows: Vec<(Uuid, sea_orm::prelude::Json)> = clients::Entity::find()
            .select_only()
            .columns([clients::Column::Id, clients::Column::Settings])
            .into_tuple()
            .all(self.db())
            .await
            .context("reading retention periods")?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, settings)| {
                let days = settings.get("retention_days")?.as_u64()?;
                Some((TenantId::from_uuid(id), u32::try_from(days).ok()?))
            })
            .collect())
    }
}
