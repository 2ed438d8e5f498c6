//! Event fan-out and webhook deliveries: the `EventStore` port. A delivery is unique by event and
//! endpoint; its job is stored in the same transaction, and skipped with it when the delivery was
//! stored before, so a dispatch run twice delivers once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lead_domain::events::{
    AttemptOutcome, DeliveryAttempt, DeliveryFilter, DeliveryStatus, EventStore, WebhookDelivery,
};
use lead_domain::ids::TenantId;
use lead_domain::jobs::{JobPayload, NewJob};
use lead_domain::ports::StoreError;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::SeaOrmStore;
use crate::codec::{from_json, name_of, parse_name, to_json, ts};
use crate::entity::webhook_deliveries;
use crate::error::Context;
use crate::jobs::insert_job_once;

fn delivery_of(row: webhook_deliveries::Model) -> Result<WebhookDelivery, StoreError> {
    Ok(WebhookDelivery {
        id: row.id,
        tenant_id: TenantId::from_uuid(row.tenant_id),
        event_id: row.event_id,
        event_type: parse_name("event type", &row.event_type)?,
        endpoint_id: row.endpoint_id,
        url: row.url,
        event: from_json("webhook event", row.event)?,
        status: DeliveryStatus::parse(&row.status).ok_or_else(|| {
            StoreError::Unexpected(format!("unknown delivery status {:?}", row.status))
        })?,
        attempts: from_json("delivery attempts", row.attempts)?,
        next_attempt_at: row.next_attempt_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn delivery_row(d: &WebhookDelivery) -> Result<webhook_deliveries::ActiveModel, StoreError> {
    Ok(webhook_deliveries::ActiveModel {
        id: Set(d.id.clone()),
        tenant_id: Set(d.tenant_id.as_uuid()),
        event_id: Set(d.event_id.clone()),
        event_type: Set(name_of(&d.event_type)?),
        endpoint_id: Set(d.endpoint_id.clone()),
        url: Set(d.url.clone()),
        event: Set(to_json("webhook event", &d.event)?),
        status: Set(d.status.as_str().to_owned()),
        attempts: Set(to_json("delivery attempts", &d.attempts)?),
        next_attempt_at: Set(d.next_attempt_at.map(ts)),
        created_at: Set(ts(d.created_at)),
        updated_at: Set(ts(d.updated_at)),
    })
}

impl SeaOrmStore {
    async fn find_delivery<C: sea_orm::ConnectionTrait>(
        db: &C,
        tenant: TenantId,
        id: &str,
    ) -> Result<Option<webhook_deliveries::Model>, StoreError> {
        webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::TenantId.eq(tenant.as_uuid()))
            .filter(webhook_deliveries::Column::Id.eq(id))
            .one(db)
            .await
            .context("loading a webhook delivery")
    }
}

#[async_trait]
impl EventStore for SeaOrmStore {
    async fn queue_once(&self, jobs: &[NewJob]) -> Result<(), StoreError> {
        let txn = self.begin_write().await.context("starting to queue jobs")?;
        for job in jobs {
            if let Err(e) = insert_job_once(&txn, job).await {
                let _ = txn.rollback().await;
                return Err(e);
            }
        }
        txn.commit().await.context("committing queued jobs")
    }

    async fn fan_out(
        &self,
        deliveries: &[WebhookDelivery],
        jobs: &[NewJob],
    ) -> Result<(), StoreError> {
        let txn = self.begin_write().await.context("starting a fan-out")?;
        let result = async {
            let mut skipped = Vec::new();
            for d in deliveries {
                let inserted = webhook_deliveries::Entity::insert(delivery_row(d)?)
                    .on_conflict(
                        OnConflict::columns([
                            webhook_deliveries::Column::EventId,
                            webhook_deliveries::Column::EndpointId,
                        ])
                        .do_nothing()
                        .to_owned(),
                    )
                    .exec_without_returning(&txn)
                    .await
                    .context("storing a webhook delivery once")?;
                if inserted == 0 {
                    skipped.push(d.id.as_str());
                }
            }
            for job in jobs {
                if let JobPayload::DeliverWebhook { delivery_id, .. } = &job.payload
                    && skipped.contains(&delivery_id.as_str())
                {
                    continue;
                }
                insert_job_once(&txn, job).await?;
            }
            Ok::<_, StoreError>(())
        }
        .await;
        match result {
            Ok(()) => txn.commit().await.context("committing a fan-out"),
            Err(e) => {
                let _ = txn.rollback().await;
                Err(e)
            }
        }
    }

    async fn get_delivery(
        &self,
        tenant: TenantId,
        id: &str,
    ) -> Result<Option<WebhookDelivery>, StoreError> {
        Self::find_delivery(self.db(), tenant, id)
            .await?
            .map(delivery_of)
            .transpose()
    }

    async fn list_deliveries(
        &self,
        tenant: TenantId,
        filter: &DeliveryFilter,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        let mut query = webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::TenantId.eq(tenant.as_uuid()));
        if let Some(status) = filter.status {
            query = query.filter(webhook_deliveries::Column::Status.eq(status.as_str()));
        }
        query
            .order_by_desc(webhook_deliveries::Column::CreatedAt)
            .order_by_desc(webhook_deliveries::Column::Id)
            .limit(filter.limit.min(200))
            .offset(filter.offset)
            .all(self.db())
            .await
            .context("listing webhook deliveries")?
            .into_iter()
            .map(delivery_of)
            .collect()
    }

    async fn record_attempt(
        &self,
        tenant: TenantId,
        id: &str,
        outcome: &AttemptOutcome,
    ) -> Result<(), StoreError> {
        let txn = self
            .begin_write()
            .await
            .context("starting to record an attempt")?;
        let result = async {
            let row = Self::find_delivery(&txn, tenant, id)
                .await?
                .ok_or_else(|| StoreError::Stale(format!("webhook delivery {id} is gone")))?;
            let mut attempts: Vec<DeliveryAttempt> = from_json("delivery attempts", row.attempts)?;
            let mut attempt = outcome.attempt.clone();
            attempt.at = ts(attempt.at);
            attempts.push(attempt);
            webhook_deliveries::Entity::update_many()
                .col_expr(
                    webhook_deliveries::Column::Attempts,
                    Expr::value(to_json("delivery attempts", &attempts)?),
                )
                .col_expr(
                    webhook_deliveries::Column::Status,
                    Expr::value(outcome.status.as_str()),
                )
                .col_expr(
                    webhook_deliveries::Column::NextAttemptAt,
                    Expr::value(outcome.next_attempt_at.map(ts)),
                )
                .col_expr(
                    webhook_deliveries::Column::UpdatedAt,
                    Expr::value(ts(outcome.attempt.at)),
                )
                .filter(webhook_deliveries::Column::TenantId.eq(tenant.as_uuid()))
                .filter(webhook_deliveries::Column::Id.eq(id))
                .exec(&txn)
                .await
                .context("recording a webhook attempt")?;
            Ok::<_, StoreError>(())
        }
        .await;
        match result {
            Ok(()) => txn.commit().await.context("committing an attempt"),
            Err(e) => {
                let _ = txn.rollback().await;
                Err(e)
            }
        }
    }

    async fn requeue_delivery(
        &self,
        tenant: TenantId,
        id: &str,
        job: &NewJob,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let txn = self
            .begin_write()
            .await
            .context("starting to re-send a delivery")?;
        let result = async {
            let updated = webhook_deliveries::Entity::update_many()
                .col_expr(
                    webhook_deliveries::Column::Status,
                    Expr::value(DeliveryStatus::Pending.as_str()),
                )
                .col_expr(
                    webhook_deliveries::Column::NextAttemptAt,
                    Expr::value(Some(ts(now))),
                )
                .col_expr(webhook_deliveries::Column::UpdatedAt, Expr::value(ts(now)))
                .filter(webhook_deliveries::Column::TenantId.eq(tenant.as_uuid()))
                .filter(webhook_deliveries::Column::Id.eq(id))
                .exec(&txn)
                .await
                .context("re-sending a webhook delivery")?;
            if updated.rows_affected == 0 {
                return Err(StoreError::Stale(format!("webhook delivery {id} is gone")));
            }
            insert_job_once(&txn, job).await?;
            Ok(())
        }
        .await;
        match result {
            Ok(()) => txn.commit().await.context("committing a re-send"),
            Err(e) => {
                let _ = txn.rollback().await;
                Err(e)
            }
        }
    }
}
