//! Syncing a lead to the tenant's CRM in a queued job: the contact (by the stored id, by email, or
//! by phone through search), the custom properties it needs, a deal for HOT or mapped states,
//! and a note with the qualification and the lead's words; the CRM's ids are stored on the lead
//! so every later sync updates the same records.

use super::{Deps, UseCaseError};
use crate::crm::{
    CUSTOM_PROPERTIES, Crm, CrmError, CrmLink, CrmLinks, CrmSettings, contact_email, contact_phone,
    contact_properties, deal_properties, note_marker, note_text,
};
use crate::events::{EventData, EventType};
use crate::ids::{JobId, LeadId, TenantId};
use crate::jobs::{JobPayload, NewJob};
use crate::lead::Lead;
use crate::ports::StoreError;
use crate::tenant::Tenant;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// The adapters CRM sync runs on; `None` in [`Deps`] turns CRM sync off for every tenant.
#[derive(Clone)]
pub struct CrmDeps {
    /// The CRM service.
    pub crm: Arc<dyn Crm>,
    /// Each lead's CRM ids.
    pub links: Arc<dyn CrmLinks>,
}

/// How long a worker's claim on creating a lead's contact keeps other workers from creating it.
pub fn claim_ttl() -> Duration {
    Duration::minutes(2)
}

/// The sync job for a lead, when the tenant has a CRM and the lead should be in it: its state is
/// one the tenant syncs, or it changed while the lead is already synced (`synced`).
pub fn sync_job(
    tenant: &Tenant,
    lead: &Lead,
    changed: bool,
    synced: bool,
    id: JobId,
    now: DateTime<Utc>,
) -> Option<NewJob> {
    let settings = tenant.settings.crm.as_ref()?;
    if settings.broken.is_some() || !changed {
        return None;
    }
    (settings.syncs(lead.state) || synced)
        .then(|| JobPayload::CrmSync { lead_id: lead.id }.job(id, tenant.id, now))
}

/// Queues a sync of one lead now, whatever its state (`POST /api/v1/leads/{id}/crm-sync`).
///
/// # Errors
/// [`UseCaseError::NotFound`] when the lead is not the tenant's or the tenant has no CRM;
/// storage failures.
pub async fn queue_crm_sync(
    deps: &Deps,
    tenant: &Tenant,
    lead_id: LeadId,
) -> Result<JobId, UseCaseError> {
    if tenant.settings.crm.is_none() || deps.crm.is_none() {
        return Err(UseCaseError::NotFound("crm settings"));
    }
    deps.leads
        .get_lead(tenant.id, lead_id)
        .await?
        .ok_or(UseCaseError::NotFound("lead"))?;
    let id = JobId::from_uuid(deps.ids.new_uuid());
    let job = JobPayload::CrmSync { lead_id }.job(id, tenant.id, deps.clock.now());
    deps.jobs.enqueue(&job).await?;
    Ok(id)
}

/// Queues a sync after a person changed a lead, when the tenant's CRM wants it.
///
/// # Errors
/// Storage failures.
pub async fn queue_after_change(
    deps: &Deps,
    tenant: &Tenant,
    lead: &Lead,
) -> Result<(), UseCaseError> {
    let Some(crm) = &deps.crm else {
        return Ok(());
    };
    if tenant.settings.crm.is_none() {
        return Ok(());
    }
    let synced = crm
        .links
        .crm_link(tenant.id, lead.id)
        .await?
        .is_some_and(|l| l.contact_id.is_some());
    let id = JobId::from_uuid(deps.ids.new_uuid());
    if let Some(job) = sync_job(tenant, lead, true, synced, id, deps.clock.now()) {
        deps.jobs.enqueue(&job).await?;
    }
    Ok(())
}

/// Runs a sync job. Returns a note for the job when nothing was sent (no CRM, a broken
/// connection); a 401 marks the tenant's connection broken and ends without retry.
///
/// # Errors
/// [`UseCaseError::Crm`] (retried when [`CrmError::is_retryable`]); storage failures.
pub async fn run_crm_sync(
    deps: &Deps,
    tenant_id: TenantId,
    lead_id: LeadId,
) -> Result<Option<String>, UseCaseError> {
    let Some(crm) = &deps.crm else {
        return Ok(Some("CRM sync is not configured".to_owned()));
    };
    let mut tenant = deps
        .tenants
        .get_tenant(tenant_id)
        .await?
        .ok_or(UseCaseError::NotFound("tenant"))?;
    let Some(settings) = tenant.settings.crm.clone() else {
        return Ok(Some("the tenant has no CRM".to_owned()));
    };
    if let Some(why) = &settings.broken {
        return Ok(Some(format!("the CRM connection is broken: {why}")));
    }
    let lead = deps
        .leads
        .get_lead(tenant_id, lead_id)
        .await?
        .ok_or(UseCaseError::NotFound("lead"))?;
    let link = crm
        .links
        .crm_link(tenant_id, lead_id)
        .await?
        .unwrap_or_else(|| CrmLink::new(tenant_id, lead_id));
    let mut run = SyncRun {
        crm: crm.crm.as_ref(),
        links: crm.links.as_ref(),
        settings: &settings,
        lead: &lead,
        link,
        now: deps.clock.now(),
    };
    match run.sync().await {
        Ok(()) => Ok(None),
        // Another worker holds the lead's record: not a failure, the job is retried as it is.
        Err(err @ UseCaseError::Store(StoreError::Stale(_))) => Err(err),
        Err(err) => {
            let message = err.to_string();
            run.link.last_error = Some(message.clone());
            // The failure stays visible on the lead; a concurrent save wins and is kept.
            match run.links.save_crm_link(&run.link).await {
                Ok(_) | Err(StoreError::Stale(_)) => {}
                Err(e) => return Err(e.into()),
            }
            if matches!(err, UseCaseError::Crm(CrmError::Unauthorized)) {
                if let Some(c) = tenant.settings.crm.as_mut() {
                    c.broken = Some(message.clone());
                }
                deps.tenants.update_tenant(&tenant).await?;
                // The team is told once per hour of breakage, however many jobs hit the 401.
                let hour = run.now.format("%Y-%m-%dT%H");
                super::events::raise_event(
                    deps,
                    &tenant,
                    EventType::CrmDisconnected,
                    &format!("crm.disconnected:{hour}"),
                    EventData {
                        integration: Some(settings.provider.as_str().to_owned()),
                        reasons: vec![message.clone()],
                        ..EventData::default()
                    },
                )
                .await?;
                return Ok(Some(message));
            }
            Err(err)
        }
    }
}

struct SyncRun<'a> {
    crm: &'a dyn Crm,
    links: &'a dyn CrmLinks,
    settings: &'a CrmSettings,
    lead: &'a Lead,
    link: CrmLink,
    now: DateTime<Utc>,
}

impl SyncRun<'_> {
    async fn save(&mut self) -> Result<(), UseCaseError> {
        self.link = self.links.save_crm_link(&self.link).await?;
        Ok(())
    }

    async fn sync(&mut self) -> Result<(), UseCaseError> {
        self.crm
            .ensure_properties(self.settings, &CUSTOM_PROPERTIES)
            .await?;
        let props = contact_properties(self.lead, self.settings.owner_id.as_deref());
        let contact_id = self.contact(&props).await?;
        if let Some(stage) = self
            .settings
            .stage_for(self.lead.state, self.lead.current_score())
        {
            let deal = deal_properties(self.lead, self.settings, &stage);
            let updated = match self.link.deal_id.clone() {
                Some(id) => match self.crm.update_deal(self.settings, &id, &deal).await {
                    Ok(()) => true,
                    // Deleted at the CRM by a person: a new deal is created below.
                    Err(CrmError::NotFound(_)) => false,
                    Err(e) => return Err(e.into()),
                },
                None => false,
            };
            if !updated {
                let id = self
                    .crm
                    .create_deal(self.settings, &contact_id, &deal)
                    .await?;
                self.link.deal_id = Some(id);
                self.save().await?;
            }
        }
        let text = note_text(self.lead);
        let marker = note_marker(&text);
        if self.link.note_marker.as_deref() != Some(marker.as_str()) {
            self.crm
                .create_note(
                    self.settings,
                    &text,
                    self.now,
                    &contact_id,
                    self.link.deal_id.clone(),
                )
                .await?;
            self.link.note_marker = Some(marker);
        }
        self.link.synced_at = Some(self.now);
        self.link.last_error = None;
        self.save().await
    }

    /// The contact's id: the stored one updated, else found or created, and stored at once.
    async fn contact(&mut self, props: &crate::crm::Properties) -> Result<String, UseCaseError> {
        if let Some(id) = self.link.contact_id.clone() {
            match self.crm.update_contact(self.settings, &id, props).await {
                Ok(()) => return Ok(id),
                // Deleted at the CRM by a person: found or created again below.
                Err(CrmError::NotFound(_)) => {
                    self.link.contact_id = None;
                    self.link.deal_id = None;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let id = if let Some(email) = contact_email(self.lead) {
            self.crm
                .upsert_contact_by_email(self.settings, email, props)
                .await?
        } else if let Some(phone) = contact_phone(self.lead) {
            self.by_phone(phone, props).await?
        } else {
            return Err(UseCaseError::Invalid("the lead has no email or phone"));
        };
        self.link.contact_id = Some(id.clone());
        self.link.claimed_at = None;
        self.save().await?;
        Ok(id)
    }

    /// Phones are not unique at the CRM: search, and create under a claim on the lead's record
    /// so two workers never both create the contact.
    async fn by_phone(
        &mut self,
        phone: &str,
        props: &crate::crm::Properties,
    ) -> Result<String, UseCaseError> {
        if let Some(id) = self.crm.find_contact_by_phone(self.settings, phone).await? {
            self.crm.update_contact(self.settings, &id, props).await?;
            return Ok(id);
        }
        if self
            .link
            .claimed_at
            .is_some_and(|at| at + claim_ttl() > self.now)
        {
            return Err(UseCaseError::Store(StoreError::Stale(
                "another worker is creating the lead's CRM contact".to_owned(),
            )));
        }
        self.link.claimed_at = Some(self.now);
        // A concurrent claim makes this save stale: the job retries and finds the contact.
        self.save().await?;
        match self.crm.create_contact(self.settings, props).await {
            Ok(id) => Ok(id),
            Err(CrmError::Conflict {
                existing_id: Some(id),
            }) => {
                self.crm.update_contact(self.settings, &id, props).await?;
                Ok(id)
            }
            Err(e) => Err(e.into()),
        }
    }
}
