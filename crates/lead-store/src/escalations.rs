//! Escalations of conversations to a person: the `EscalationRepository` port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lead_domain::ids::{ConversationId, EscalationId, LeadId, TenantId};
use lead_domain::lead::Escalation;
use lead_domain::ports::{EscalationRepository, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::SeaOrmStore;
use crate::codec::{from_json, to_json, ts};
use crate::entity::escalations;
use crate::error::Context;

pub(crate) fn escalation_row(e: &Escalation) -> Result<escalations::ActiveModel, StoreError> {
    Ok(escalations::ActiveModel {
        id: Set(e.id.as_uuid()),
        tenant_id: Set(e.tenant_id.as_uuid()),
        conversation_id: Set(e.conversation_id.as_uuid()),
        lead_id: Set(e.lead_id.as_uuid()),
        reason: Set(e.reason.kind().to_owned()),
        detail: Set(to_json("escalation reason", &e.reason)?),
        created_at: Set(ts(e.created_at)),
        released_at: Set(e.released_at.map(ts)),
        raised_by: Set(e.raised_by.clone()),
        released_by: Set(e.released_by.clone()),
        ..Default::default()
    })
}

fn escalation_from_row(row: escalations::Model) -> Result<Escalation, StoreError> {
    Ok(Escalation {
        id: EscalationId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        conversation_id: ConversationId::from_uuid(row.conversation_id),
        lead_id: LeadId::from_uuid(row.lead_id),
        reason: from_json("escalation reason", row.detail)?,
        created_at: row.created_at,
        released_at: row.released_at,
        raised_by: row.raised_by,
        released_by: row.released_by,
    })
}

#[async_trait]
impl EscalationRepository for SeaOrmStore {
    async fn record_escalations(&self, list: &[Escalation]) -> Result<(), StoreError> {
        if list.is_empty() {
            return Ok(());
        }
        let rows = list
            .iter()
            .map(escalation_row)
            .collect::<Result<Vec<_>, _>>()?;
        let txn = self
            .begin_write()
            .await
            .context("starting an escalation insert")?;
        escalations::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await
            .context("recording escalations")?;
        txn.commit().await.context("committing escalations")
    }

    async fn conversation_escalations(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Vec<Escalation>, StoreError> {
        escalations::Entity::find()
            .filter(escalations::Column::TenantId.eq(tenant.as_uuid()))
            .filter(escalations::Column::ConversationId.eq(conversation.as_uuid()))
            .order_by_asc(escalations::Column::CreatedAt)
            .order_by_asc(escalations::Column::Seq)
            .all(self.db())
            .await
            .context("listing escalations")?
            .into_iter()
            .map(escalation_from_row)
            .collect()
    }

    async fn release_escalations(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<u64, StoreError> {
        let result = escalations::Entity::update_many()
            .col_expr(escalations::Column::ReleasedAt, Expr::value(ts(at)))
            .col_expr(escalations::Column::ReleasedBy, Expr::value(by.to_owned()))
            .filter(escalations::Column::TenantId.eq(tenant.as_uuid()))
            .filter(escalations::Column::ConversationId.eq(conversation.as_uuid()))
            .filter(escalations::Column::ReleasedAt.is_null())
            .exec(self.db())
            .await
            .context("releasing escalations")?;
        Ok(result.rows_affected)
    }
}
