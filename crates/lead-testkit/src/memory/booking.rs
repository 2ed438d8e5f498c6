//! The in-memory booking records, with the same optimistic version rule as the database.

use super::InMemoryStore;
use async_trait::async_trait;
use lead_domain::booking::{BookingRecord, BookingRepository};
use lead_domain::ids::{LeadId, TenantId};
use lead_domain::ports::StoreError;

#[async_trait]
impl BookingRepository for InMemoryStore {
    async fn booking_of_lead(
        &self,
        tenant: TenantId,
        lead: LeadId,
    ) -> Result<Option<BookingRecord>, StoreError> {
        Ok(self.state().bookings.get(&(tenant, lead)).cloned())
    }

    async fn booking_by_uid(
        &self,
        tenant: TenantId,
        uid: &str,
    ) -> Result<Option<BookingRecord>, StoreError> {
        Ok(self
            .state()
            .bookings
            .values()
            .find(|b| b.tenant_id == tenant && b.uid.as_deref() == Some(uid))
            .cloned())
    }

    async fn save_booking(&self, record: &BookingRecord) -> Result<BookingRecord, StoreError> {
        let mut state = self.state();
        let key = (record.tenant_id, record.lead_id);
        let current = state.bookings.get(&key).map_or(0, |b| b.version);
        if current != record.version {
            return Err(StoreError::Stale(
                "the booking changed since it was read".to_owned(),
            ));
        }
        let mut saved = record.clone();
        saved.version = record.version + 1;
        state.bookings.insert(key, saved.clone());
        Ok(saved)
    }
}
