//! Builders for tenants and for a full set of fake adapters.

use chrono::{DateTime, NaiveTime, Utc};
use lead_domain::escalation::EscalationPolicy;
use lead_domain::hours::{BusinessHours, Shift};
use lead_domain::ids::TenantId;
use lead_domain::jobs::{RetryBudgets, RetryPolicy};
use lead_domain::language::Language;
use lead_domain::ports::{LanguageModel, OfflineExtractor};
use lead_domain::qualification::Currency;
use lead_domain::scoring::QualificationRules;
use lead_domain::tenant::{
    ApiKeyRecord, PhoneReplyChannel, ServiceDef, Tenant, TenantSettings, TenantStatus,
};
use lead_domain::usecases::Deps;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::fakes::{FixedClock, RecordingNotifier, RecordingSender, SequentialIds};
use crate::memory::InMemoryStore;

/// Builds tenants like the eval's real-estate profile: Riyadh, SAR, Sunday to Thursday 9-18.
#[derive(Debug, Clone)]
pub struct TenantBuilder {
    tenant: Tenant,
}

impl TenantBuilder {
    /// A real-estate tenant with a fresh random id and slug.
    pub fn real_estate() -> Self {
        let id = uuid::Uuid::new_v4();
        let tz = chrono_tz::Asia::Riyadh;
        let shift = Shift {
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN),
            end: NaiveTime::from_hms_opt(18, 0, 0).unwrap_or(NaiveTime::MIN),
        };
        let days: BTreeMap<String, Vec<Shift>> =
            ["sunday", "monday", "tuesday", "wednesday", "thursday"]
                .iter()
                .map(|d| ((*d).to_owned(), vec![shift]))
                .collect();
        let hours =
            BusinessHours::from_days(tz, &days, []).unwrap_or_else(|_| BusinessHours::closed(tz));
        let mut rules = QualificationRules::new(Currency::code(*b"SAR"), 300_000.0, 5_000_000.0);
        rules
            .service_min_budget
            .insert("rent_residential".into(), 2_000.0);
        let services = [
            ("buy_apartment", "buying an apartment / flat"),
            ("buy_villa", "buying a villa or house"),
            ("rent_residential", "renting an apartment, villa or house"),
        ]
        .into_iter()
        .map(|(k, d)| {
            (
                k.to_owned(),
                ServiceDef {
                    description: d.to_owned(),
                    synonyms: vec![],
                },
            )
        })
        .collect();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        Self {
            tenant: Tenant {
                id: TenantId::from_uuid(id),
                name: "Test Realty".into(),
                slug: format!("test-realty-{}", id.simple()),
                status: TenantStatus::Active,
                settings: TenantSettings {
                    industry: "real_estate".into(),
                    business_hours: hours,
                    services,
                    rules,
                    escalation: EscalationPolicy::default(),
                    monthly_budget_usd: None,
                    brand_voice: None,
                    default_language: Language::En,
                    extra_locations: BTreeMap::new(),
                    phone_reply_channel: PhoneReplyChannel::Sms,
                    twilio: None,
                    allowed_origins: vec![],
                    default_region: "SA".into(),
                    llm: None,
                    booking: None,
                    notifications: Default::default(),
                    retention_days: None,
                    crm: None,
                },
                widget_key: format!("wk_{}", id.simple()),
                created_at: now,
                updated_at: now,
            },
        }
    }

    /// Sets the status.
    pub fn status(mut self, status: TenantStatus) -> Self {
        self.tenant.status = status;
        self
    }

    /// Sets the monthly model budget.
    pub fn monthly_budget(mut self, usd: f64) -> Self {
        self.tenant.settings.monthly_budget_usd = Some(usd);
        self
    }

    /// Changes settings in place.
    pub fn with(mut self, f: impl FnOnce(&mut Tenant)) -> Self {
        f(&mut self.tenant);
        self
    }

    /// The tenant.
    pub fn build(self) -> Tenant {
        self.tenant
    }
}

/// An API key record for a hash, valid forever.
pub fn key_record(hash: &str) -> ApiKeyRecord {
    ApiKeyRecord {
        hash: hash.to_owned(),
        prefix: hash.chars().take(8).collect(),
        created_at: DateTime::<Utc>::UNIX_EPOCH,
        expires_at: None,
    }
}

/// The fakes behind a [`Deps`], kept so tests can inspect them.
pub struct Fakes {
    /// Storage.
    pub store: Arc<InMemoryStore>,
    /// Sender.
    pub sender: Arc<RecordingSender>,
    /// Notifier.
    pub notifier: Arc<RecordingNotifier>,
    /// Clock.
    pub clock: Arc<FixedClock>,
    /// Pages to the team.
    pub team: Arc<crate::fakes::RecordingTeam>,
    /// The webhook receiver.
    pub webhooks: Arc<crate::fakes::ScriptedWebhooks>,
}

/// Builds use-case dependencies on in-memory fakes with the given model and extractor.
pub fn deps_with(
    model: Option<Arc<dyn LanguageModel>>,
    extractor: Arc<dyn OfflineExtractor>,
    now: &str,
) -> (Deps, Fakes) {
    let store = Arc::new(InMemoryStore::new());
    let sender = Arc::new(RecordingSender::default());
    let notifier = Arc::new(RecordingNotifier::default());
    let clock = Arc::new(FixedClock::at_str(now));
    let team = Arc::new(crate::fakes::RecordingTeam::default());
    let webhooks = Arc::new(crate::fakes::ScriptedWebhooks::default());
    let deps = Deps {
        tenants: store.clone(),
        leads: store.clone(),
        escalations: store.clone(),
        usage: store.clone(),
        opt_outs: store.clone(),
        jobs: store.clone(),
        model,
        extractor,
        sender: sender.clone(),
        notifier: notifier.clone(),
        clock: clock.clone(),
        ids: Arc::new(SequentialIds::default()),
        retry: RetryPolicy::default(),
        budgets: RetryBudgets::default(),
        decisions: store.clone(),
        knowledge: None,
        booking: None,
        experiments: None,
        events: Some(lead_domain::events::EventDeps {
            store: store.clone(),
            webhooks: webhooks.clone(),
            team: team.clone(),
            public_base_url: Some("https://leads.example".to_owned()),
        }),
        retention: store.clone(),
        crm: None,
    };
    (
        deps,
        Fakes {
            store,
            sender,
            notifier,
            clock,
            team,
            webhooks,
        },
    )
}
