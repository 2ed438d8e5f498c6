//! The small adapters the server owns: the system clock, time-ordered ids, and the log notifier
//! used until team notifications have a channel.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lead_domain::ports::{Clock, IdGenerator, Notification, Notifier, NotifyError};
use lead_domain::tenant::Tenant;

/// The real clock: the only place the server reads the system time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// UUID v7 ids: time-ordered, so primary-key inserts stay at the end of the index.
#[derive(Debug, Default, Clone, Copy)]
pub struct UuidV7Ids;

impl IdGenerator for UuidV7Ids {
    #[allow(clippy::disallowed_methods)]
    fn new_uuid(&self) -> uuid::Uuid {
        uuid::Uuid::now_v7()
    }
}

/// The notifier used until a delivery channel for team notifications is configured: a structured
/// log line per notification, with ids only.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogNotifier;

#[async_trait]
impl Notifier for LogNotifier {
    async fn notify(
        &self,
        tenant: &Tenant,
        notification: &Notification,
    ) -> Result<(), NotifyError> {
        match notification {
            Notification::HotLead {
                lead_id,
                conversation_id,
                ..
            } => tracing::info!(tenant_id = %tenant.id, %lead_id, %conversation_id, "hot lead"),
            Notification::Escalated {
                lead_id,
                conversation_id,
                reasons,
                ..
            } => {
                let kinds: Vec<&str> = reasons.iter().map(|r| r.kind()).collect();
                tracing::info!(tenant_id = %tenant.id, %lead_id, %conversation_id, ?kinds, "conversation escalated");
            }
            Notification::Undeliverable {
                lead_id,
                conversation_id,
                ..
            } => {
                tracing::warn!(tenant_id = %tenant.id, %lead_id, %conversation_id, "no channel can reach the lead")
            }
            Notification::Booking {
                lead_id,
                conversation_id,
                what,
                start,
                ..
            } => {
                tracing::info!(tenant_id = %tenant.id, %lead_id, %conversation_id, what = %what, start = ?start, "booking")
            }
            Notification::BudgetAlert {
                month,
                spent_usd,
                budget_usd,
            } => {
                tracing::warn!(tenant_id = %tenant.id, %month, spent_usd, budget_usd, "model budget at 80%")
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_time_ordered() {
        let a = UuidV7Ids.new_uuid();
        let b = UuidV7Ids.new_uuid();
        assert_eq!(a.get_version_num(), 7);
        assert!(a < b);
    }
}
