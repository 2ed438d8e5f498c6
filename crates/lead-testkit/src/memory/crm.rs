//! The in-memory CRM links, with the same optimistic version rule as the database.

use super::InMemoryStore;
use async_trait::async_trait;
use lead_domain::crm::{CrmLink, CrmLinks};
use lead_domain::ids::{LeadId, TenantId};
use lead_domain::ports::StoreError;

#[async_trait]
impl CrmLinks for InMemoryStore {
    async fn crm_link(
        &self,
        tenant: TenantId,
        lead: LeadId,
    ) -> Result<Option<CrmLink>, StoreError> {
        Ok(self.state().crm_links.get(&(tenant, lead)).cloned())
    }

    async fn save_crm_link(&self, link: &CrmLink) -> Result<CrmLink, StoreError> {
        let mut state = self.state();
        let key = (link.tenant_id, link.lead_id);
        let current = state.crm_links.get(&key).map_or(0, |l| l.version);
        if current != link.version {
            return Err(StoreError::Stale(
                "the CRM link changed since it was read".to_owned(),
            ));
        }
        let mut saved = link.clone();
        saved.version = link.version + 1;
        state.crm_links.insert(key, saved.clone());
        Ok(saved)
    }
}
