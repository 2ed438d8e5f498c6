//! Each lead's CRM ids: the `CrmLinks` port, one row per lead with an optimistic version, so a
//! worker that claims the contact's creation is the only one that creates it.

use async_trait::async_trait;
use lead_domain::crm::{CrmLink, CrmLinks};
use lead_domain::ids::{LeadId, TenantId};
use lead_domain::ports::StoreError;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::SeaOrmStore;
use crate::codec::ts;
use crate::entity::crm_links;
use crate::error::{Context, Failure, classify};

fn link_of(row: crm_links::Model) -> CrmLink {
    CrmLink {
        tenant_id: TenantId::from_uuid(row.tenant_id),
        lead_id: LeadId::from_uuid(row.lead_id),
        contact_id: row.contact_id,
        deal_id: row.deal_id,
        synced_at: row.synced_at,
        last_error: row.last_error,
        note_marker: row.note_marker,
        claimed_at: row.claimed_at,
        version: row.version,
    }
}

#[async_trait]
impl CrmLinks for SeaOrmStore {
    async fn crm_link(
        &self,
        tenant: TenantId,
        lead: LeadId,
    ) -> Result<Option<CrmLink>, StoreError> {
        Ok(crm_links::Entity::find()
            .filter(crm_links::Column::TenantId.eq(tenant.as_uuid()))
            .filter(crm_links::Column::LeadId.eq(lead.as_uuid()))
            .one(self.db())
            .await
            .context("loading a CRM link")?
            .map(link_of))
    }

    async fn save_crm_link(&self, link: &CrmLink) -> Result<CrmLink, StoreError> {
        let mut saved = link.clone();
        saved.version = link.version + 1;
        let stamp = ts(link
            .synced_at
            .or(link.claimed_at)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH));
        if link.version == 0 {
            let row = crm_links::ActiveModel {
                tenant_id: Set(link.tenant_id.as_uuid()),
                lead_id: Set(link.lead_id.as_uuid()),
                contact_id: Set(link.contact_id.clone()),
                deal_id: Set(link.deal_id.clone()),
                synced_at: Set(link.synced_at.map(ts)),
                last_error: Set(link.last_error.clone()),
                note_marker: Set(link.note_marker.clone()),
                claimed_at: Set(link.claimed_at.map(ts)),
                version: Set(saved.version),
                created_at: Set(stamp),
                updated_at: Set(stamp),
            };
            return match crm_links::Entity::insert(row)
                .exec_without_returning(self.db())
                .await
            {
                Ok(_) => Ok(saved),
                Err(e) if classify(&e) == Failure::Unique => Err(StoreError::Stale(
                    "the CRM link was created by another sync".to_owned(),
                )),
                Err(e) => Err(e).context("creating a CRM link"),
            };
        }
        let result = crm_links::Entity::update_many()
            .col_expr(
                crm_links::Column::ContactId,
                Expr::value(link.contact_id.clone()),
            )
            .col_expr(crm_links::Column::DealId, Expr::value(link.deal_id.clone()))
            .col_expr(
                crm_links::Column::SyncedAt,
                Expr::value(link.synced_at.map(ts)),
            )
            .col_expr(
                crm_links::Column::LastError,
                Expr::value(link.last_error.clone()),
            )
            .col_expr(
                crm_links::Column::NoteMarker,
                Expr::value(link.note_marker.clone()),
            )
            .col_expr(
                crm_links::Column::ClaimedAt,
                Expr::value(link.claimed_at.map(ts)),
            )
            .col_expr(crm_links::Column::Version, Expr::value(saved.version))
            .col_expr(crm_links::Column::UpdatedAt, Expr::value(stamp))
            .filter(crm_links::Column::TenantId.eq(link.tenant_id.as_uuid()))
            .filter(crm_links::Column::LeadId.eq(link.lead_id.as_uuid()))
            .filter(crm_links::Column::Version.eq(link.version))
            .exec(self.db())
            .await
            .context("saving a CRM link")?;
        if result.rows_affected == 0 {
            return Err(StoreError::Stale(
                "the CRM link changed since it was read".to_owned(),
            ));
        }
        Ok(saved)
    }
}
