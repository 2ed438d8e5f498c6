//! The in-memory event store: deliveries unique by event and endpoint, jobs once by effect key,
//! each method atomic under the store's one lock like the database's transactions.

use super::{InMemoryStore, push_job};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lead_domain::events::{
    AttemptOutcome, DeliveryFilter, DeliveryStatus, EventStore, WebhookDelivery,
};
use lead_domain::ids::TenantId;
use lead_domain::jobs::{JobPayload, NewJob};
use lead_domain::ports::StoreError;

fn push_once(s: &mut super::State, job: &NewJob) {
    let fresh = job
        .payload
        .effect_key()
        .is_none_or(|key| s.effect_keys.insert(format!("job:{key}")));
    if fresh {
        push_job(s, job);
    }
}

#[async_trait]
impl EventStore for InMemoryStore {
    async fn queue_once(&self, jobs: &[NewJob]) -> Result<(), StoreError> {
        let mut s = self.state();
        for job in jobs {
            push_once(&mut s, job);
        }
        Ok(())
    }

    async fn fan_out(
        &self,
        deliveries: &[WebhookDelivery],
        jobs: &[NewJob],
    ) -> Result<(), StoreError> {
        let mut s = self.state();
        let mut skipped = Vec::new();
        for d in deliveries {
            let exists = s
                .deliveries
                .iter()
                .any(|x| x.event_id == d.event_id && x.endpoint_id == d.endpoint_id);
            if exists {
                skipped.push(d.id.clone());
            } else {
                s.deliveries.push(d.clone());
            }
        }
        for job in jobs {
            if let JobPayload::DeliverWebhook { delivery_id, .. } = &job.payload
                && skipped.contains(delivery_id)
            {
                continue;
            }
            push_once(&mut s, job);
        }
        Ok(())
    }

    async fn get_delivery(
        &self,
        tenant: TenantId,
        id: &str,
    ) -> Result<Option<WebhookDelivery>, StoreError> {
        Ok(self
            .state()
            .deliveries
            .iter()
            .find(|d| d.tenant_id == tenant && d.id == id)
            .cloned())
    }

    async fn list_deliveries(
        &self,
        tenant: TenantId,
        filter: &DeliveryFilter,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        let s = self.state();
        let mut out: Vec<WebhookDelivery> = s
            .deliveries
            .iter()
            .filter(|d| d.tenant_id == tenant && filter.status.is_none_or(|st| d.status == st))
            .cloned()
            .collect();
        out.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        Ok(out
            .into_iter()
            .skip(usize::try_from(filter.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(filter.limit.min(200)).unwrap_or(200))
            .collect())
    }

    async fn record_attempt(
        &self,
        tenant: TenantId,
        id: &str,
        outcome: &AttemptOutcome,
    ) -> Result<(), StoreError> {
        let mut s = self.state();
        let d = s
            .deliveries
            .iter_mut()
            .find(|d| d.tenant_id == tenant && d.id == id)
            .ok_or_else(|| StoreError::Stale(format!("webhook delivery {id} is gone")))?;
        d.attempts.push(outcome.attempt.clone());
        d.status = outcome.status;
        d.next_attempt_at = outcome.next_attempt_at;
        d.updated_at = outcome.attempt.at;
        Ok(())
    }

    async fn requeue_delivery(
        &self,
        tenant: TenantId,
        id: &str,
        job: &NewJob,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut s = self.state();
        let d = s
            .deliveries
            .iter_mut()
            .find(|d| d.tenant_id == tenant && d.id == id)
            .ok_or_else(|| StoreError::Stale(format!("webhook delivery {id} is gone")))?;
        d.status = DeliveryStatus::Pending;
        d.next_attempt_at = Some(now);
        d.updated_at = now;
        push_once(&mut s, job);
        Ok(())
    }
}
