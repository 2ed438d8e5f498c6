//! The qualification tool: its JSON schema, and the validation that turns the model's tool input into typed signals.
//!
//! Field meanings and value sets follow the qualification evaluation README. The model's input is
//! checked here, by a strict typed parse plus range and enum checks, because vendors do not
//! guarantee that tool input follows the schema; anything invalid is a model failure, never data.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::chat::ToolSpec;

/// The name of the qualification tool.
pub const TOOL_NAME: &str = "record_qualification";

/// The longest reply accepted, about ten SMS segments.
pub const MAX_REPLY_CHARS: usize = 1600;

/// The language the lead writes in, and so the language to answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English, and Arabizi (Arabic in Latin letters).
    En,
    /// Arabic script, any dialect.
    Ar,
}

/// How pressing the lead says the need is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Urgency {
    /// Urgent, ASAP, emergency, pain.
    High,
    /// Soon, in the coming weeks.
    Medium,
    /// No rush, just exploring.
    Low,
}

/// When the lead wants to act, bucketed from the reference date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Timeline {
    /// Now, today, tomorrow, this week.
    #[serde(rename = "immediate")]
    Immediate,
    /// Up to the end of next calendar month.
    #[serde(rename = "within_1_month")]
    Within1Month,
    /// Up to three months.
    #[serde(rename = "1_3_months")]
    Months1To3,
    /// Up to six months.
    #[serde(rename = "3_6_months")]
    Months3To6,
    /// Later.
    #[serde(rename = "over_6_months")]
    Over6Months,
}

/// A qualification dimension, used for evidence and for what is still unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// What the lead wants.
    Service,
    /// How much they will pay (min and max).
    Budget,
    /// The currency of the budget.
    Currency,
    /// How pressing it is.
    Urgency,
    /// When they want to act.
    Timeline,
    /// Whether they decide.
    DecisionMaker,
    /// Where the service is wanted.
    Location,
    /// Whether they asked for a person.
    WantsHuman,
    /// Whether they said they are not interested.
    NotInterested,
}

impl Field {
    /// Every field, in schema order.
    pub const ALL: [Field; 9] = [
        Field::Service,
        Field::Budget,
        Field::Currency,
        Field::Urgency,
        Field::Timeline,
        Field::DecisionMaker,
        Field::Location,
        Field::WantsHuman,
        Field::NotInterested,
    ];

    /// The field's name in the schema and in prompts.
    pub const fn name(self) -> &'static str {
        match self {
            Field::Service => "service",
            Field::Budget => "budget",
            Field::Currency => "currency",
            Field::Urgency => "urgency",
            Field::Timeline => "timeline",
            Field::DecisionMaker => "decision_maker",
            Field::Location => "location",
            Field::WantsHuman => "wants_human",
            Field::NotInterested => "not_interested",
        }
    }
}

/// The validated signals of one qualification turn: facts stated by the lead, plus the reply to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Extraction {
    /// A key of the tenant's service catalogue, or none.
    pub service: Option<String>,
    /// The lowest amount the lead will pay.
    pub budget_min: Option<f64>,
    /// The highest amount the lead will pay.
    pub budget_max: Option<f64>,
    /// The ISO 4217 code of the budget.
    pub currency: Option<String>,
    /// How pressing the need is, from words about urgency only.
    pub urgency: Option<Urgency>,
    /// When the lead wants to act.
    pub timeline: Option<Timeline>,
    /// Whether the lead decides alone.
    pub decision_maker: Option<bool>,
    /// The canonical English city name.
    pub location: Option<String>,
    /// The lead asked for a person.
    pub wants_human: bool,
    /// The lead is not interested or asked to stop.
    pub not_interested: bool,
    /// The language the lead writes in.
    pub language: Lang,
    /// The model's confidence in the extraction, from 0 to 1.
    pub confidence: f64,
    /// The lead's own words behind each field.
    pub evidence: BTreeMap<Field, String>,
    /// The message to send to the lead.
    pub reply: String,
    /// Ids of the knowledge-base passages the reply states facts from.
    pub sources: Vec<String>,
}

/// The most passages a reply may cite.
pub const MAX_SOURCES: usize = 8;

/// Cited passage ids trimmed, stripped of the brackets the prompt shows them in, without
/// duplicates or blanks, at most [`MAX_SOURCES`]; the domain keeps only ids it gave the model.
pub fn clean_sources(raw: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in raw {
        let id = id
            .trim()
            .trim_matches(|c| c == '[' || c == ']')
            .trim()
            .to_owned();
        if !id.is_empty() && !out.contains(&id) && out.len() < MAX_SOURCES {
            out.push(id);
        }
    }
    out
}

/// The exact shape the model must produce; unknown keys are an error.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExtraction {
    service: Option<String>,
    budget_min: Option<f64>,
    budget_max: Option<f64>,
    currency: Option<String>,
    urgency: Option<Urgency>,
    timeline: Option<Timeline>,
    decision_maker: Option<bool>,
    location: Option<String>,
    wants_human: bool,
    not_interested: bool,
    language: Lang,
    confidence: f64,
    #[serde(default)]
    evidence: BTreeMap<Field, Option<String>>,
    reply: String,
    #[serde(default)]
    sources: Vec<String>,
}

/// Keys the tool input must contain, even when their value is null.
const REQUIRED: [&str; 14] = [
    "service",
    "budget_min",
    "budget_max",
    "currency",
    "urgency",
    "timeline",
    "decision_maker",
    "location",
    "wants_human",
    "not_interested",
    "language",
    "confidence",
    "evidence",
    "reply",
];

/// The JSON schema of the tool input, with `service` limited to the tenant's catalogue keys.
pub fn input_schema(service_keys: &[String]) -> Value {
    let mut services: Vec<Value> = service_keys
        .iter()
        .map(|k| Value::String(k.clone()))
        .collect();
    services.push(Value::Null);
    let evidence: serde_json::Map<String, Value> = Field::ALL
        .iter()
        .map(|f| {
            (
                f.name().to_owned(),
                json!({"type": "string", "description": "the lead's own words, quoted"}),
            )
        })
        .collect();
    json!({
        "type": "object",
        "properties": {
            "service": {"type": ["string", "null"], "enum": services,
                "description": "the catalogue key of what the lead wants now; null when unknown or when they no longer want anything"},
            "budget_min": {"type": ["number", "null"], "minimum": 0,
                "description": "lowest amount in currency units: set for 'between X and Y' and 'at least X'"},
            "budget_max": {"type": ["number", "null"], "minimum": 0,
                "description": "highest amount in currency units: 'around X', 'X', 'up to X', 'between X and Y'"},
            "currency": {"type": ["string", "null"], "pattern": "^[A-Z]{3}$",
                "description": "ISO 4217 code of the budget; the tenant's currency when an amount has none; null when no amount"},
            "urgency": {"type": ["string", "null"], "enum": ["high", "medium", "low", null],
                "description": "only from words about urgency, never from a date"},
            "timeline": {"type": ["string", "null"],
                "enum": ["immediate", "within_1_month", "1_3_months", "3_6_months", "over_6_months", null],
                "description": "bucket of the date by which the lead wants to act, counted from today"},
            "decision_maker": {"type": ["boolean", "null"],
                "description": "true: the lead decides; false: someone else must approve; null: not said"},
            "location": {"type": ["string", "null"],
                "description": "canonical English city name where the service is wanted"},
            "wants_human": {"type": "boolean", "description": "the lead asks for a person"},
            "not_interested": {"type": "boolean",
                "description": "not interested, just browsing with no plan, bought elsewhere, or asks to stop"},
            "language": {"type": "string", "enum": ["en", "ar"],
                "description": "ar for Arabic script, en for English and Arabizi"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1,
                "description": "how sure you are of the extracted fields"},
            "evidence": {"type": "object", "properties": evidence, "additionalProperties": false,
                "description": "for each field you set, the lead's exact words that say it"},
            "reply": {"type": "string", "minLength": 1, "maxLength": MAX_REPLY_CHARS,
                "description": "the next message to the lead, in the language to answer in"},
            "sources": {"type": "array", "items": {"type": "string"}, "maxItems": MAX_SOURCES,
                "description": "ids (the text in [brackets]) of the knowledge-base passages the reply states facts from; [] when none"}
        },
        "required": REQUIRED,
        "additionalProperties": false
    })
}

/// The qualification tool for a tenant's catalogue.
pub fn tool(service_keys: &[String]) -> ToolSpec {
    ToolSpec {
        name: TOOL_NAME.to_owned(),
        description:
            "Record what the lead has said so far about their need, and the reply to send them."
                .to_owned(),
        input_schema: input_schema(service_keys),
    }
}

/// Validates the model's tool input against the schema and returns typed signals.
///
/// # Errors
/// A lowercase description of the first violation: a missing or unknown key, a wrong type, a
/// service outside the catalogue, a negative or inverted budget, a malformed currency, a
/// confidence outside 0..1, or an empty reply.
pub fn parse_extraction(input: Value, service_keys: &[String]) -> Result<Extraction, String> {
    let object = input.as_object().ok_or("the tool input is not an object")?;
    if let Some(missing) = REQUIRED.iter().find(|key| !object.contains_key(**key)) {
        return Err(format!("missing field `{missing}`"));
    }
    let raw: RawExtraction = serde_json::from_value(input).map_err(|e| e.to_string())?;
    if let Some(service) = &raw.service
        && !service_keys.iter().any(|k| k == service)
    {
        return Err(format!("service {service:?} is not in the catalogue"));
    }
    for (name, amount) in [
        ("budget_min", raw.budget_min),
        ("budget_max", raw.budget_max),
    ] {
        if amount.is_some_and(|a| !a.is_finite() || a < 0.0) {
            return Err(format!("{name} must be a number of at least 0"));
        }
    }
    if let (Some(min), Some(max)) = (raw.budget_min, raw.budget_max)
        && min > max
    {
        return Err(format!("budget_min {min} is above budget_max {max}"));
    }
    let currency = match raw.currency.map(|c| c.trim().to_ascii_uppercase()) {
        Some(code) if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) => Some(code),
        Some(code) => return Err(format!("currency {code:?} is not an iso 4217 code")),
        None => None,
    };
    if !(0.0..=1.0).contains(&raw.confidence) {
        return Err(format!("confidence {} is outside 0..1", raw.confidence));
    }
    let reply = raw.reply.trim().to_owned();
    if reply.is_empty() {
        return Err("the reply is empty".to_owned());
    }
    if reply.chars().count() > MAX_REPLY_CHARS {
        return Err(format!(
            "the reply is longer than {MAX_REPLY_CHARS} characters"
        ));
    }
    let location = raw
        .location
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty());
    let evidence = raw
        .evidence
        .into_iter()
        .filter_map(|(field, quote)| {
            Some((field, quote?.trim().to_owned())).filter(|(_, q)| !q.is_empty())
        })
        .collect();
    Ok(Extraction {
        service: raw.service,
        budget_min: raw.budget_min,
        budget_max: raw.budget_max,
        currency,
        urgency: raw.urgency,
        timeline: raw.timeline,
        decision_maker: raw.decision_maker,
        location,
        wants_human: raw.wants_human,
        not_interested: raw.not_interested,
        language: raw.language,
        confidence: raw.confidence,
        evidence,
        reply,
        sources: clean_sources(raw.sources),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
