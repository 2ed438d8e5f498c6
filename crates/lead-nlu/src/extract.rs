//! The extractor: runs every field reader over an analysed conversation and assembles the domain's
//! `Qualification` with evidence, plus a confidence per field.

use crate::analyze::{Role, analyze};
use crate::intent::{self, LatestTurnFacts};
use crate::lexicon::{Concept, Lexicon};
use crate::service::Rule;
use crate::signals::Read;
use crate::{dates, money, place, service, signals};
use chrono::NaiveDate;
use lead_domain::qualification::{Budget, Currency, Evidence, Fact, Qualification};

/// What the extractor needs to know about a tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantProfile {
    /// Industry name (`real_estate`, `dental_clinic`, ...); selects the built-in service rules.
    pub industry: String,
    /// The tenant's currency: an amount with no currency is in it.
    pub currency: Currency,
    /// The service catalogue: key and description.
    pub services: Vec<(String, String)>,
    /// Tenant-added synonyms: service key and a phrase in any language.
    pub service_synonyms: Vec<(String, String)>,
    /// Tenant-added places: a phrase and the canonical city it means.
    pub places: Vec<(String, String)>,
}

impl TenantProfile {
    /// A profile with no tenant synonyms or places.
    pub fn new(
        industry: impl Into<String>,
        currency: Currency,
        services: Vec<(String, String)>,
    ) -> Self {
        Self {
            industry: industry.into(),
            currency,
            services,
            service_synonyms: Vec::new(),
            places: Vec::new(),
        }
    }
}

/// How sure the extractor is of each field, 0 to 1 (0 when the field is unknown).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FieldConfidence {
    /// Service.
    pub service: f32,
    /// Budget group.
    pub budget: f32,
    /// Urgency.
    pub urgency: f32,
    /// Timeline.
    pub timeline: f32,
    /// Decision maker.
    pub decision_maker: f32,
    /// Location.
    pub location: f32,
    /// Wants a human.
    pub wants_human: f32,
    /// Not interested.
    pub not_interested: f32,
}

/// An extraction: the domain qualification (with evidence) and per-field confidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Extraction {
    /// The qualification fields read from the conversation.
    pub qualification: Qualification,
    /// Confidence per field.
    pub confidence: FieldConfidence,
}

/// The offline rule-based extractor for one tenant; build once per tenant and reuse.
#[derive(Debug, Clone)]
pub struct RuleExtractor {
    profile: TenantProfile,
    rules: &'static [Rule],
    catalogue: Vec<String>,
    tenant_lexicon: Lexicon,
    tenant_places: Vec<String>,
}

/// Words of catalogue descriptions too common to say which service is meant.
const STOPWORDS: &[&str] = &[
    "the", "and", "for", "with", "your", "our", "lead", "lead's", "own", "new", "or", "of", "a",
    "an", "to", "in", "on", "their", "from", "into", "that", "this", "those", "these", "other",
    "any", "some", "service", "services", "help", "buying",
];

impl RuleExtractor {
    /// Builds the extractor: picks the industry rules and compiles the tenant's synonyms and places.
    pub fn new(profile: TenantProfile) -> Self {
        let rules = service::rules_for(&profile.industry);
        let catalogue: Vec<String> = profile.services.iter().map(|(k, _)| k.clone()).collect();
        let mut phrases: Vec<(String, Concept)> = Vec::new();
        for (key, phrase) in &profile.service_synonyms {
            if let Some(idx) = catalogue.iter().position(|k| k == key) {
                phrases.push((
                    phrase.clone(),
                    Concept::TenantService(u16::try_from(idx).unwrap_or(u16::MAX)),
                ));
            }
        }
        // With no built-in rules, the catalogue itself is the vocabulary: key parts and description words.
        if rules.is_empty() {
            for (idx, (key, desc)) in profile.services.iter().enumerate() {
                let idx = u16::try_from(idx).unwrap_or(u16::MAX);
                let words = key
                    .split('_')
                    .chain(desc.split(|c: char| !c.is_alphanumeric() && c != '\''));
                for w in words {
                    let w = w.trim().to_lowercase();
                    if w.chars().count() >= 4 && !STOPWORDS.contains(&w.as_str()) {
                        phrases.push((w, Concept::TenantService(idx)));
                    }
                }
            }
        }
        let mut tenant_places = Vec::new();
        for (phrase, city) in &profile.places {
            let idx = u16::try_from(tenant_places.len()).unwrap_or(u16::MAX);
            tenant_places.push(city.clone());
            phrases.push((phrase.clone(), Concept::TenantCity(idx)));
        }
        let tenant_lexicon = Lexicon::build(phrases.iter().map(|(p, c)| (p.as_str(), *c)));
        Self {
            profile,
            rules,
            catalogue,
            tenant_lexicon,
            tenant_places,
        }
    }

    /// The tenant profile this extractor was built for.
    pub fn profile(&self) -> &TenantProfile {
        &self.profile
    }

    /// Reads the qualification from a conversation, with relative dates counted from `today`.
    /// Pure and panic-free; time is bounded by [`MAX_TURNS`](crate::MAX_TURNS) and [`MAX_TURN_BYTES`](crate::MAX_TURN_BYTES).
    pub fn extract(&self, turns: &[(Role, &str)], today: NaiveDate) -> Extraction {
        let conv = analyze(turns, &self.tenant_lexicon);
        let text_of = |turn: usize| turns.get(turn).map_or("", |(_, t)| *t);
        let evidence = |turn: usize, span: (usize, usize)| {
            let text = text_of(turn);
            let quote = text.get(span.0..span.1).unwrap_or("").to_owned();
            Evidence {
                message_id: None,
                turn,
                span: Some(span),
                quote,
            }
        };
        let fact = |r: &Read<bool>| Fact::read(r.value, evidence(r.turn, r.span));
        let mut conf = FieldConfidence::default();
        let mut q = Qualification::default();
        let latest_turn = conv.lead.last().map(|t| t.index);
        let mut latest = LatestTurnFacts::default();
        let mut note_fact = |turn: usize, confidence: f32| {
            if Some(turn) == latest_turn {
                latest.fact_confidences.push(confidence);
            }
        };

        let mut not_interested = signals::not_interested(&conv);
        let mut service = service::extract(&conv, self.rules, &self.catalogue);
        // "I changed my mind, I'll rent instead", "not interested in new cars, I want a used one":
        // a service named after the refusal, in the same turn, means the lead still wants something.
        if let (Some((n, _)), Some(s)) = (&not_interested, &service)
            && n.confidence <= signals::SOFT_REFUSAL
            && s.turn == n.turn
            && s.span.0 > n.span.0
        {
            not_interested = None;
        }
        if let Some((_, true)) = not_interested {
            service = None;
        }
        if let Some(s) = service {
            conf.service = s.confidence;
            note_fact(s.turn, s.confidence);
            q.service = Some(Fact::read(s.value.clone(), evidence(s.turn, s.span)));
        }
        if let Some(a) = money::extract(&conv) {
            let currency = self.resolve_currency(a.currency, &conv);
            conf.budget = a.confidence;
            note_fact(a.turn, a.confidence);
            let budget = Budget {
                min: a.min,
                max: a.max,
                currency,
                confirmed: false,
            };
            q.budget = Some(Fact::read(budget, evidence(a.turn, a.span)));
        }
        let (timeline, time_urgency) = dates::extract(&conv, today);
        if let Some(t) = timeline {
            conf.timeline = t.confidence;
            note_fact(t.turn, t.confidence);
            q.timeline = Some(Fact::read(t.timeline, evidence(t.turn, t.span)));
        }
        if let Some(u) = signals::urgency(&conv, &time_urgency) {
            conf.urgency = u.confidence;
            note_fact(u.turn, u.confidence);
            q.urgency = Some(Fact::read(u.value, evidence(u.turn, u.span)));
        }
        if let Some(d) = signals::decision_maker(&conv) {
            conf.decision_maker = d.confidence;
            note_fact(d.turn, d.confidence);
            q.decision_maker = Some(fact(&d));
        }
        if let Some(l) = place::extract(&conv, &self.tenant_places) {
            conf.location = l.confidence;
            note_fact(l.turn, l.confidence);
            q.location = Some(Fact::read(l.value.clone(), evidence(l.turn, l.span)));
        }
        if let Some(h) = signals::wants_human(&conv) {
            conf.wants_human = h.confidence;
            latest.wants_human = h.value && Some(h.turn) == latest_turn;
            q.wants_human = Some(fact(&h));
        }
        if let Some((n, _)) = not_interested {
            conf.not_interested = n.confidence;
            latest.not_interested = n.value && Some(n.turn) == latest_turn;
            q.not_interested = Some(fact(&n));
        }
        q.language = signals::language(&conv);
        // Confidence is how sure the reading is of what the latest message means: high for any
        // understood message (a greeting, a question, thanks), low only for unreadable text, and
        // absent when the lead has not written, so nothing escalates on a missed-call notice.
        let reading = intent::read_latest(&conv, &latest);
        q.intent = reading.map(|r| r.intent);
        q.confidence = reading.map(|r| r.confidence);
        Extraction {
            qualification: q,
            confidence: conf,
        }
    }

    /// The stated currency, or the tenant's; "pound" is Egyptian in an Egyptian conversation, else sterling.
    fn resolve_currency(
        &self,
        stated: Option<&'static str>,
        conv: &crate::analyze::Conversation<'_>,
    ) -> Currency {
        match stated {
            Some("POUND") => {
                let egypt = self.profile.currency.as_str() == "EGP"
                    || conv.lead.iter().any(|t| {
                        t.hits.iter().any(|h| {
                            matches!(
                                h.c,
                                Concept::City(
                                    "Cairo"
                                        | "Alexandria"
                                        | "Giza"
                                        | "Sharm El Sheikh"
                                        | "Hurghada"
                                        | "Luxor"
                                        | "Aswan"
                                        | "Mansoura"
                                        | "Tanta"
                                        | "Port Said"
                                )
                            )
                        }) || t.toks.iter().any(|x| is_egyptian_marker(&x.norm))
                    });
                Currency::code(if egypt { *b"EGP" } else { *b"GBP" })
            }
            Some(code) => Currency::parse(code).unwrap_or(self.profile.currency),
            None => self.profile.currency,
        }
    }
}

/// Words only Egyptian Arabic uses, in Arabic script or Arabizi.
fn is_egyptian_marker(norm: &str) -> bool {
    matches!(
        norm,
        "عايز"
            | "عاوز"
            | "عايزه"
            | "دلوقتي"
            | "بتاع"
            | "بتاعي"
            | "ازاي"
            | "كده"
            | "3ayez"
            | "3awez"
            | "delwa2ty"
            | "bta3"
            | "bta3i"
            | "keda"
            | "ezay"
            | "masr"
            | "egypt"
            | "مصر"
    )
}
