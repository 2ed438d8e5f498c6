//! Data protection: a person's right to erasure and each tenant's retention period.
//!
//! Erasing a lead removes everything that identifies the person (the lead, its conversations and
//! messages, history, escalations, booking); what billing needs (model usage and cost per tenant
//! and month) carries no personal data and stays. The opt-out list stays too: a person who said
//! STOP must not be messaged again because their other data was erased.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{LeadId, TenantId};
use crate::ports::StoreError;

/// The longest retention period a tenant may set (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// What a retention pass removed for one tenant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purged {
    /// Leads whose last activity is older than the period, removed whole.
    pub leads: u64,
    /// Older messages of leads still active.
    pub messages: u64,
}

/// The storage side of erasure and retention.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DataRetention: Send + Sync {
    /// Removes a lead and every record about the person; `false` when the tenant has no such lead.
    ///
    /// # Errors
    /// On database failure nothing is removed.
    async fn erase_lead(&self, tenant: TenantId, lead: LeadId) -> Result<bool, StoreError>;

    /// Removes the tenant's leads with no activity since `cutoff` and every older message.
    ///
    /// # Errors
    /// On database failure.
    async fn purge_before(
        &self,
        tenant: TenantId,
        cutoff: DateTime<Utc>,
    ) -> Result<Purged, StoreError>;

    /// Tenants that set a retention period, with the period in days.
    ///
    /// # Errors
    /// On database failure.
    async fn retention_policies(&self) -> Result<Vec<(TenantId, u32)>, StoreError>;
}

/// The instant before which a tenant's data is removed.
pub fn retention_cutoff(now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    now - Duration::days(i64::from(days.min(MAX_RETENTION_DAYS)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_cutoff_is_the_period_before_now_and_bounded() {
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 3, 0, 0).unwrap();
        assert_eq!(
            retention_cutoff(now, 30),
            Utc.with_ymd_and_hms(2026, 11, 5, 3, 0, 0).unwrap()
        );
        assert_eq!(
            retention_cutoff(now, u32::MAX),
            retention_cutoff(now, MAX_RETENTION_DAYS)
        );
    }
}
