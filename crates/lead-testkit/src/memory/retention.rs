//! In-memory erasure and retention, removing what the database's cascades remove.

use std::collections::HashSet;

use super::{InMemoryStore, State};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lead_domain::ids::{ConversationId, LeadId, TenantId};
use lead_domain::ports::StoreError;
use lead_domain::retention::{DataRetention, Purged};

/// Removes leads of a tenant with everything that cascades from them.
fn remove_leads(s: &mut State, tenant: TenantId, ids: &HashSet<LeadId>) -> u64 {
    let before = s.leads.len();
    s.leads
        .retain(|id, lead| lead.tenant_id != tenant || !ids.contains(id));
    let removed = (before - s.leads.len()) as u64;
    let gone: HashSet<ConversationId> = s
        .conversations
        .values()
        .filter(|c| c.tenant_id == tenant && ids.contains(&c.lead_id))
        .map(|c| c.id)
        .collect();
    s.conversations.retain(|id, _| !gone.contains(id));
    s.messages.retain(|m| !gone.contains(&m.conversation_id));
    s.escalations
        .retain(|e| !(e.tenant_id == tenant && ids.contains(&e.lead_id)));
    s.history.retain(|id, _| !ids.contains(id));
    s.chat_sessions
        .retain(|(t, _), lead| *t != tenant || !ids.contains(lead));
    s.bookings
        .retain(|(t, lead), _| *t != tenant || !ids.contains(lead));
    for lead in s.leads.values_mut() {
        if lead.tenant_id == tenant && lead.possible_duplicate_of.is_some_and(|d| ids.contains(&d))
        {
            lead.possible_duplicate_of = None;
        }
    }
    removed
}

#[async_trait]
impl DataRetention for InMemoryStore {
    async fn erase_lead(&self, tenant: TenantId, lead: LeadId) -> Result<bool, StoreError> {
        let mut s = self.state();
        let id = lead.to_string();
        let mentions =
            |json: Result<String, serde_json::Error>| json.is_ok_and(|j| j.contains(&id));
        s.deliveries
            .retain(|d| d.tenant_id != tenant || !mentions(serde_json::to_string(&d.event)));
        s.jobs.retain(|(j, _)| {
            j.tenant_id != tenant
                || j.status == lead_domain::jobs::JobStatus::Running
                || !mentions(serde_json::to_string(&j.payload))
        });
        Ok(remove_leads(&mut s, tenant, &HashSet::from([lead])) > 0)
    }

    async fn purge_before(
        &self,
        tenant: TenantId,
        cutoff: DateTime<Utc>,
    ) -> Result<Purged, StoreError> {
        let mut s = self.state();
        let before = s.messages.len();
        s.messages
            .retain(|m| m.tenant_id != tenant || m.created_at >= cutoff);
        let messages = (before - s.messages.len()) as u64;
        let live: HashSet<ConversationId> = s
            .messages
            .iter()
            .filter(|m| m.tenant_id == tenant)
            .map(|m| m.conversation_id)
            .collect();
        let active: HashSet<LeadId> = s
            .conversations
            .values()
            .filter(|c| live.contains(&c.id))
            .map(|c| c.lead_id)
            .collect();
        let expired: HashSet<LeadId> = s
            .leads
            .values()
            .filter(|l| l.tenant_id == tenant && l.updated_at < cutoff && !active.contains(&l.id))
            .map(|l| l.id)
            .collect();
        let leads = remove_leads(&mut s, tenant, &expired);
        Ok(Purged { leads, messages })
    }

    async fn retention_policies(&self) -> Result<Vec<(TenantId, u32)>, StoreError> {
        Ok(self
            .state()
            .tenants
            .values()
            .filter_map(|t| Some((t.id, t.settings.retention_days?)))
            .collect())
    }
}
