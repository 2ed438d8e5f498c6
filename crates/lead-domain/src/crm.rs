//! Keeping each qualified lead in the tenant's CRM: the connection settings, which states sync,
//! which deal stage a state maps to, the contact properties a lead becomes, the note text, and the
//! ports of the CRM service and of the per-lead sync record that remembers the CRM's ids.
//!
//! Everything here is pure except the port traits; the use case lives in `usecases::crm`.

use crate::ids::{LeadId, TenantId};
use crate::lead::Lead;
use crate::lifecycle::LeadState;
use crate::scoring::Score;
use crate::tenant::Secret;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The CRM services a tenant can connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CrmProvider {
    /// HubSpot, CRM v3 objects API.
    #[default]
    Hubspot,
}

impl CrmProvider {
    /// The wire name, as in the settings.
    pub const fn as_str(self) -> &'static str {
        match self {
            CrmProvider::Hubspot => "hubspot",
        }
    }
}

/// Where deals are created and which stage each lead state puts them in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealSettings {
    /// The pipeline's internal id (`default` for HubSpot's default pipeline).
    #[serde(default = "default_pipeline")]
    pub pipeline: String,
    /// Lead state (wire name) to the stage's internal id; these states get a deal even when the
    /// lead is not HOT.
    #[serde(default)]
    pub stage_by_state: BTreeMap<String, String>,
}

impl Default for DealSettings {
    fn default() -> Self {
        Self {
            pipeline: default_pipeline(),
            stage_by_state: BTreeMap::new(),
        }
    }
}

fn default_pipeline() -> String {
    "default".to_owned()
}

fn default_sync() -> Vec<LeadState> {
    vec![
        LeadState::Qualified,
        LeadState::AppointmentBooked,
        LeadState::HandedOff,
    ]
}

/// How a tenant's CRM is connected and which leads it receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrmSettings {
    /// Which CRM.
    #[serde(default)]
    pub provider: CrmProvider,
    /// The private-app token (`pat-...`); write-only through the API.
    pub access_token: Secret,
    /// Lead states that send the lead to the CRM.
    #[serde(default = "default_sync")]
    pub sync: Vec<LeadState>,
    /// Deal pipeline and stages.
    #[serde(default)]
    pub deal: DealSettings,
    /// The CRM user that owns created contacts and deals.
    #[serde(default)]
    pub owner_id: Option<String>,
    /// Set when the CRM refused the token: syncing stops until the token is replaced.
    #[serde(default)]
    pub broken: Option<String>,
}

/// Why CRM settings were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrmSettingsError {
    /// The token is empty.
    #[error("crm.access_token must not be empty")]
    EmptyToken,
    /// A key of `stage_by_state` is not a lead state.
    #[error("crm.deal.stage_by_state has an unknown state: {0}")]
    UnknownState(String),
    /// A stage or the pipeline is empty.
    #[error("crm.deal pipeline and stages must not be empty")]
    EmptyStage,
}

impl CrmSettings {
    /// Checks the settings a tenant sent.
    ///
    /// # Errors
    /// [`CrmSettingsError`] naming the field at fault.
    pub fn validate(&self) -> Result<(), CrmSettingsError> {
        if self.access_token.expose().trim().is_empty() {
            return Err(CrmSettingsError::EmptyToken);
        }
        if self.deal.pipeline.trim().is_empty() {
            return Err(CrmSettingsError::EmptyStage);
        }
        for (state, stage) in &self.deal.stage_by_state {
            if LeadState::parse(state).is_none() {
                return Err(CrmSettingsError::UnknownState(state.clone()));
            }
            if stage.trim().is_empty() {
                return Err(CrmSettingsError::EmptyStage);
            }
        }
        Ok(())
    }

    /// Whether a lead in `state` is sent to the CRM.
    pub fn syncs(&self, state: LeadState) -> bool {
        self.broken.is_none() && self.sync.contains(&state)
    }

    /// The deal stage for a lead, or `None` when the lead gets no deal: states listed in
    /// `stage_by_state` use their stage; other HOT leads get the pipeline's first stage.
    pub fn stage_for(&self, state: LeadState, score: Score) -> Option<String> {
        let mapped = self
            .deal
            .stage_by_state
            .iter()
            .find(|(k, _)| LeadState::parse(k) == Some(state))
            .map(|(_, v)| v.clone());
        match (mapped, score) {
            (Some(stage), _) => Some(stage),
            (None, Score::Hot) => Some(FIRST_STAGE.to_owned()),
            (None, _) => None,
        }
    }
}

/// The first stage of HubSpot's default pipeline, for HOT leads whose state maps to none.
pub const FIRST_STAGE: &str = "appointmentscheduled";

/// A custom contact property the CRM must have before contacts carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomProperty {
    /// Internal name.
    pub name: &'static str,
    /// Label shown in the CRM.
    pub label: &'static str,
    /// Whether the value is a number (else text).
    pub numeric: bool,
}

/// The qualification properties every synced contact carries.
pub const CUSTOM_PROPERTIES: [CustomProperty; 11] = [
    prop("lead_score", "Lead score", false),
    prop("lead_service", "Lead service", false),
    prop("lead_budget_min", "Lead budget (min)", true),
    prop("lead_budget_max", "Lead budget (max)", true),
    prop("lead_budget_currency", "Lead budget currency", false),
    prop("lead_timeline", "Lead timeline", false),
    prop("lead_urgency", "Lead urgency", false),
    prop("lead_decision_maker", "Lead is decision maker", false),
    prop("lead_location", "Lead location", false),
    prop("lead_language", "Lead language", false),
    prop("lead_source_channel", "Lead source channel", false),
];

const fn prop(name: &'static str, label: &'static str, numeric: bool) -> CustomProperty {
    CustomProperty {
        name,
        label,
        numeric,
    }
}

/// Property name to string value, the way the CRM takes them.
pub type Properties = BTreeMap<String, String>;

/// The contact properties a lead becomes: standard ones and the qualification.
pub fn contact_properties(lead: &Lead, owner_id: Option<&str>) -> Properties {
    let mut p = Properties::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            p.insert(k.to_owned(), v);
        }
    };
    let (first, last) = split_name(lead.name.as_deref());
    put("firstname", first);
    put("lastname", last);
    put("email", contact_email(lead).map(str::to_owned));
    put("phone", contact_phone(lead).map(str::to_owned));
    put(
        "lifecyclestage",
        Some(lifecycle_stage(lead.state).to_owned()),
    );
    put("hs_lead_status", Some(lead_status(lead.state).to_owned()));
    put("hubspot_owner_id", owner_id.map(str::to_owned));
    let q = &lead.qualification;
    put("lead_score", Some(lead.current_score().as_str().to_owned()));
    put("lead_service", q.service.as_ref().map(|f| f.value.clone()));
    if let Some(b) = q.budget.as_ref().map(|f| f.value) {
        put("lead_budget_min", b.min.map(number));
        put("lead_budget_max", b.max.map(number));
        put("lead_budget_currency", Some(b.currency.to_string()));
    }
    put(
        "lead_timeline",
        q.timeline.as_ref().map(|f| f.value.as_str().to_owned()),
    );
    put(
        "lead_urgency",
        q.urgency.as_ref().map(|f| f.value.as_str().to_owned()),
    );
    put(
        "lead_decision_maker",
        q.decision_maker.as_ref().map(|f| f.value.to_string()),
    );
    put(
        "lead_location",
        q.location.as_ref().map(|f| f.value.clone()),
    );
    put("lead_language", q.language.map(|l| l.to_string()));
    put("lead_source_channel", Some(lead.source.as_str().to_owned()));
    p
}

/// The email the CRM knows the lead by: verified first, else the one the lead typed.
pub fn contact_email(lead: &Lead) -> Option<&str> {
    lead.email
        .as_ref()
        .or(lead.claimed_email.as_ref())
        .map(crate::contact::Email::as_str)
}

/// The phone the CRM knows the lead by: verified first, else the one the lead typed.
pub fn contact_phone(lead: &Lead) -> Option<&str> {
    lead.phone
        .as_ref()
        .or(lead.claimed_phone.as_ref())
        .map(crate::contact::PhoneNumber::as_str)
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

fn split_name(name: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return (None, None);
    };
    match name.split_once(char::is_whitespace) {
        Some((first, last)) => (Some(first.to_owned()), Some(last.trim().to_owned())),
        None => (Some(name.to_owned()), None),
    }
}

/// HubSpot's lifecycle stage for a lead state.
pub const fn lifecycle_stage(state: LeadState) -> &'static str {
    match state {
        LeadState::New | LeadState::Qualifying | LeadState::Nurturing => "lead",
        LeadState::Qualified => "marketingqualifiedlead",
        LeadState::AppointmentBooked | LeadState::HandedOff => "salesqualifiedlead",
        LeadState::Disqualified => "other",
    }
}

/// HubSpot's lead status for a lead state.
pub const fn lead_status(state: LeadState) -> &'static str {
    match state {
        LeadState::New => "NEW",
        LeadState::Qualifying => "IN_PROGRESS",
        LeadState::Qualified | LeadState::HandedOff => "OPEN",
        LeadState::AppointmentBooked => "CONNECTED",
        LeadState::Nurturing => "BAD_TIMING",
        LeadState::Disqualified => "UNQUALIFIED",
    }
}

/// The deal properties for a lead: name, stage, pipeline, amount from the budget, owner.
pub fn deal_properties(lead: &Lead, settings: &CrmSettings, stage: &str) -> Properties {
    let mut p = Properties::new();
    let who = lead
        .name
        .clone()
        .or_else(|| contact_email(lead).map(str::to_owned))
        .or_else(|| contact_phone(lead).map(str::to_owned))
        .unwrap_or_else(|| format!("lead {}", lead.id));
    let what = lead
        .qualification
        .service
        .as_ref()
        .map_or(String::new(), |f| format!(" ({})", f.value));
    p.insert("dealname".to_owned(), format!("{who}{what}"));
    p.insert("pipeline".to_owned(), settings.deal.pipeline.clone());
    p.insert("dealstage".to_owned(), stage.to_owned());
    if let Some(b) = lead.qualification.budget.as_ref().map(|f| f.value)
        && let Some(amount) = b.reference_amount()
    {
        p.insert("amount".to_owned(), number(amount));
        p.insert("deal_currency_code".to_owned(), b.currency.to_string());
    }
    if let Some(owner) = &settings.owner_id {
        p.insert("hubspot_owner_id".to_owned(), owner.clone());
    }
    p
}

/// The note a sync writes: the qualification summary and the lead's own words as evidence.
pub fn note_text(lead: &Lead) -> String {
    let q = &lead.qualification;
    let mut out = format!(
        "Lead {} ({}), score {}: {}",
        lead.id,
        lead.state,
        lead.current_score().as_str(),
        lead.score.explain()
    );
    let quotes: Vec<(&str, &str)> = [
        (
            "service",
            q.service.as_ref().and_then(|f| f.evidence.as_ref()),
        ),
        (
            "budget",
            q.budget.as_ref().and_then(|f| f.evidence.as_ref()),
        ),
        (
            "timeline",
            q.timeline.as_ref().and_then(|f| f.evidence.as_ref()),
        ),
        (
            "urgency",
            q.urgency.as_ref().and_then(|f| f.evidence.as_ref()),
        ),
        (
            "decision maker",
            q.decision_maker.as_ref().and_then(|f| f.evidence.as_ref()),
        ),
        (
            "location",
            q.location.as_ref().and_then(|f| f.evidence.as_ref()),
        ),
    ]
    .into_iter()
    .filter_map(|(k, e)| e.map(|e| (k, e.quote.as_str())))
    .collect();
    if !quotes.is_empty() {
        out.push_str("\n\nEvidence:");
        for (k, quote) in quotes {
            out.push_str(&format!("\n- {k}: \"{quote}\""));
        }
    }
    out
}

/// A stable fingerprint of a note's text (FNV-1a), so an unchanged note is not written twice.
pub fn note_marker(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Why a CRM call failed; the use case decides whether to retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrmError {
    /// The token is wrong or revoked: a person must replace it.
    #[error("the CRM refused our credentials")]
    Unauthorized,
    /// The record exists already (409); the id of the existing record when the CRM named it.
    #[error("the record exists already at the CRM")]
    Conflict {
        /// The existing record's id.
        existing_id: Option<String>,
    },
    /// The record is gone at the CRM (deleted by a person).
    #[error("not found at the CRM: {0}")]
    NotFound(String),
    /// The CRM refused the request (a property value, a missing scope).
    #[error("the CRM refused the request: {0}")]
    Rejected(String),
    /// Too many requests; try again later.
    #[error("the CRM is rate limiting us")]
    RateLimited {
        /// How long the CRM asked us to wait.
        retry_after: Option<std::time::Duration>,
    },
    /// The CRM could not be reached or failed; the call may be retried.
    #[error("the CRM is unavailable: {0}")]
    Unavailable(String),
}

impl CrmError {
    /// Whether trying again later may succeed.
    pub const fn is_retryable(&self) -> bool {
        matches!(
            self,
            CrmError::RateLimited { .. } | CrmError::Unavailable(_)
        )
    }
}

/// A CRM that keeps contacts, deals and notes.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Crm: Send + Sync {
    /// Creates the custom properties the CRM lacks; done once per portal.
    ///
    /// # Errors
    /// [`CrmError`].
    async fn ensure_properties(
        &self,
        settings: &CrmSettings,
        properties: &[CustomProperty],
    ) -> Result<(), CrmError>;

    /// Creates or updates the contact with this email; returns its id.
    ///
    /// # Errors
    /// [`CrmError`].
    async fn upsert_contact_by_email(
        &self,
        settings: &CrmSettings,
        email: &str,
        properties: &Properties,
    ) -> Result<String, CrmError>;

    /// The id of a contact with this phone, if any.
    ///
    /// # Errors
    /// [`CrmError`].
    async fn find_contact_by_phone(
        &self,
        settings: &CrmSettings,
        phone: &str,
    ) -> Result<Option<String>, CrmError>;

    /// Creates a contact; a 409 resolves to [`CrmError::Conflict`] with the existing id.
    ///
    /// # Errors
    /// [`CrmError`].
    async fn create_contact(
        &self,
        settings: &CrmSettings,
        properties: &Properties,
    ) -> Result<String, CrmError>;

    /// Updates a contact by id.
    ///
    /// # Errors
    /// [`CrmError`].
    async fn update_contact(
        &self,
        settings: &CrmSettings,
        id: &str,
        properties: &Properties,
    ) -> Result<(), CrmError>;

    /// Creates a deal associated with the contact; returns its id.
    ///
    /// # Errors
    /// [`CrmError`].
    async fn create_deal(
        &self,
        settings: &CrmSettings,
        contact_id: &str,
        properties: &Properties,
    ) -> Result<String, CrmError>;

    /// Updates a deal by id (its stage, amount).
    ///
    /// # Errors
    /// [`CrmError`].
    async fn update_deal(
        &self,
        settings: &CrmSettings,
        id: &str,
        properties: &Properties,
    ) -> Result<(), CrmError>;

    /// Creates a note associated with the contact and the deal; returns its id.
    ///
    /// # Errors
    /// [`CrmError`].
    async fn create_note(
        &self,
        settings: &CrmSettings,
        body: &str,
        at: DateTime<Utc>,
        contact_id: &str,
        deal_id: Option<String>,
    ) -> Result<String, CrmError>;
}

/// What the service remembers of a lead's CRM records, so every sync updates the same ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmLink {
    /// Owner.
    pub tenant_id: TenantId,
    /// The lead.
    pub lead_id: LeadId,
    /// The CRM contact's id.
    pub contact_id: Option<String>,
    /// The CRM deal's id.
    pub deal_id: Option<String>,
    /// The last successful sync.
    pub synced_at: Option<DateTime<Utc>>,
    /// The last failure, cleared by a successful sync.
    pub last_error: Option<String>,
    /// Fingerprint of the last note written, so an unchanged note is not written again.
    pub note_marker: Option<String>,
    /// When a worker claimed the contact's creation; another worker waits while it is fresh.
    pub claimed_at: Option<DateTime<Utc>>,
    /// Optimistic version, bumped on every save; 0 before the first save.
    pub version: i64,
}

impl CrmLink {
    /// The record of a lead never synced.
    pub const fn new(tenant_id: TenantId, lead_id: LeadId) -> Self {
        Self {
            tenant_id,
            lead_id,
            contact_id: None,
            deal_id: None,
            synced_at: None,
            last_error: None,
            note_marker: None,
            claimed_at: None,
            version: 0,
        }
    }
}

/// Keeps each lead's CRM record.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CrmLinks: Send + Sync {
    /// The lead's record, if it was ever synced.
    ///
    /// # Errors
    /// Storage failures.
    async fn crm_link(
        &self,
        tenant: TenantId,
        lead: LeadId,
    ) -> Result<Option<CrmLink>, crate::ports::StoreError>;

    /// Inserts (version 0) or replaces the record; returns it with the new version.
    ///
    /// # Errors
    /// [`crate::ports::StoreError::Stale`] when someone saved since `link` was read, or inserted
    /// first.
    async fn save_crm_link(&self, link: &CrmLink) -> Result<CrmLink, crate::ports::StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> CrmSettings {
        serde_json::from_value(serde_json::json!({
            "provider": "hubspot", "access_token": "pat-1",
            "deal": {"pipeline": "default", "stage_by_state": {"HANDED_OFF": "qualifiedtobuy"}}
        }))
        .unwrap()
    }

    #[test]
    fn defaults_sync_the_qualified_states() {
        let s = settings();
        assert!(s.syncs(LeadState::Qualified));
        assert!(s.syncs(LeadState::HandedOff));
        assert!(!s.syncs(LeadState::Qualifying));
        let broken = CrmSettings {
            broken: Some("401".into()),
            ..s
        };
        assert!(!broken.syncs(LeadState::Qualified));
    }

    #[test]
    fn mapped_states_and_hot_leads_get_a_deal() {
        let s = settings();
        assert_eq!(
            s.stage_for(LeadState::HandedOff, Score::Warm).as_deref(),
            Some("qualifiedtobuy")
        );
        assert_eq!(
            s.stage_for(LeadState::Qualified, Score::Hot).as_deref(),
            Some(FIRST_STAGE)
        );
        assert_eq!(s.stage_for(LeadState::Qualified, Score::Warm), None);
    }

    #[test]
    fn validation_names_the_field() {
        let mut s = settings();
        s.deal.stage_by_state.insert("LATER".into(), "x".into());
        assert_eq!(
            s.validate(),
            Err(CrmSettingsError::UnknownState("LATER".into()))
        );
        let s = CrmSettings {
            access_token: Secret::new(" "),
            ..settings()
        };
        assert_eq!(s.validate(), Err(CrmSettingsError::EmptyToken));
    }

    #[test]
    fn markers_differ_with_the_text() {
        assert_eq!(note_marker("a"), note_marker("a"));
        assert_ne!(note_marker("a"), note_marker("b"));
        assert_eq!(number(1_200_000.0), "1200000");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(
            split_name(Some("Salem Al Harbi")),
            (Some("Salem".into()), Some("Al Harbi".into()))
        );
    }
}
