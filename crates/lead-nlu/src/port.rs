//! The domain's `OfflineExtractor` port, implemented by the rule extractor.

use crate::{Role, RuleExtractor, TenantProfile};
use chrono::NaiveDate;
use lead_domain::ports::{ExtractionProfile, OfflineExtractor, Role as DomainRole, Turn};
use lead_domain::qualification::{Evidence, Fact, Qualification};

/// The offline extractor behind the domain port: builds the tenant's rules from the profile passed
/// with each call, so it holds no state and is safe to share.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineRules;

impl From<&ExtractionProfile> for TenantProfile {
    fn from(p: &ExtractionProfile) -> Self {
        let services = p
            .services
            .iter()
            .map(|(k, d)| (k.clone(), d.description.clone()))
            .collect();
        let service_synonyms = p
            .services
            .iter()
            .flat_map(|(k, d)| d.synonyms.iter().map(move |s| (k.clone(), s.clone())))
            .collect();
        let places = p
            .extra_locations
            .iter()
            .map(|(phrase, city)| (phrase.clone(), city.clone()))
            .collect();
        TenantProfile {
            industry: p.industry.clone(),
            currency: p.currency,
            services,
            service_synonyms,
            places,
        }
    }
}

/// Fills in the stored message id of every piece of evidence from the turn it points at.
fn attach_message_ids(q: &mut Qualification, turns: &[Turn]) {
    fn fix<T>(fact: &mut Option<Fact<T>>, turns: &[Turn]) {
        if let Some(Fact {
            evidence: Some(Evidence {
                message_id, turn, ..
            }),
            ..
        }) = fact
        {
            *message_id = turns.get(*turn).and_then(|t| t.message_id);
        }
    }
    fix(&mut q.service, turns);
    fix(&mut q.budget, turns);
    fix(&mut q.urgency, turns);
    fix(&mut q.timeline, turns);
    fix(&mut q.decision_maker, turns);
    fix(&mut q.location, turns);
    fix(&mut q.wants_human, turns);
    fix(&mut q.not_interested, turns);
}

impl RuleExtractor {
    /// Reads a conversation in the domain's turn format; evidence carries the turns' message ids.
    pub fn extract_turns(&self, turns: &[Turn], today: NaiveDate) -> Qualification {
        let plain: Vec<(Role, &str)> = turns
            .iter()
            .map(|t| {
                let role = match t.role {
                    DomainRole::Lead => Role::Lead,
                    DomainRole::Agent => Role::Agent,
                };
                (role, t.text.as_str())
            })
            .collect();
        let mut q = self.extract(&plain, today).qualification;
        attach_message_ids(&mut q, turns);
        q
    }
}

impl OfflineExtractor for RuleExtractor {
    fn extract(
        &self,
        _profile: &ExtractionProfile,
        turns: &[Turn],
        today: NaiveDate,
    ) -> Qualification {
        // This extractor was built for one tenant; the profile passed in is that tenant's.
        self.extract_turns(turns, today)
    }
}

impl OfflineExtractor for OfflineRules {
    fn extract(
        &self,
        profile: &ExtractionProfile,
        turns: &[Turn],
        today: NaiveDate,
    ) -> Qualification {
        RuleExtractor::new(TenantProfile::from(profile)).extract_turns(turns, today)
    }
}
