//! What a salesperson needs to know about a lead, field by field, with the words each fact came from.

use crate::ids::MessageId;
use crate::language::Language;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO 4217 currency code such as `SAR`, upper-case, three letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

/// Why a currency code was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid currency code {0:?}: expected three ASCII letters (ISO 4217)")]
pub struct CurrencyError(pub String);

impl Currency {
    /// Parses a three-letter ISO 4217 code in any case.
    ///
    /// # Errors
    /// [`CurrencyError`] when the input is not exactly three ASCII letters.
    pub fn parse(code: &str) -> Result<Self, CurrencyError> {
        let bytes = code.trim().as_bytes();
        match bytes {
            [a, b, c] if bytes.iter().all(u8::is_ascii_alphabetic) => Ok(Self([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
                c.to_ascii_uppercase(),
            ])),
            _ => Err(CurrencyError(code.to_owned())),
        }
    }

    /// Builds a code known at compile time, such as `Currency::code(*b"SAR")`.
    pub const fn code(bytes: [u8; 3]) -> Self {
        Self(bytes)
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // The bytes are ASCII letters by construction, so this never fails.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Currency {
    type Error = CurrencyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.as_str().to_owned()
    }
}

/// How pressing the lead says the need is; only from words about urgency, never from a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Urgency {
    /// "urgent", "ASAP", "emergency", "عاجل".
    High,
    /// "soon", "in the coming weeks", "قريباً".
    Medium,
    /// "no rush", "just exploring", "مو مستعجل".
    Low,
}

/// When the lead wants to act, bucketed against a reference date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Timeline {
    /// Now, today, tomorrow, this week.
    #[serde(rename = "immediate")]
    Immediate,
    /// Up to the end of next calendar month.
    #[serde(rename = "within_1_month")]
    Within1Month,
    /// Up to three months from the reference date.
    #[serde(rename = "1_3_months")]
    OneToThreeMonths,
    /// Up to six months from the reference date.
    #[serde(rename = "3_6_months")]
    ThreeToSixMonths,
    /// Later than six months.
    #[serde(rename = "over_6_months")]
    OverSixMonths,
}

impl Timeline {
    /// The wire name used by the eval set and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Timeline::Immediate => "immediate",
            Timeline::Within1Month => "within_1_month",
            Timeline::OneToThreeMonths => "1_3_months",
            Timeline::ThreeToSixMonths => "3_6_months",
            Timeline::OverSixMonths => "over_6_months",
        }
    }
}

impl Urgency {
    /// The wire name used by the eval set and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Urgency::High => "high",
            Urgency::Medium => "medium",
            Urgency::Low => "low",
        }
    }
}

/// What the lead is ready to pay, as stated: one group, replaced whole by a newer statement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Lower bound ("at least X", "between X and Y"); `None` when not stated.
    pub min: Option<f64>,
    /// Upper bound or the single figure ("around X", "up to X"); `None` when not stated.
    pub max: Option<f64>,
    /// The currency the lead meant (the tenant's currency when they named none).
    pub currency: Currency,
    /// Whether the lead confirmed the figure when asked, rather than it being inferred.
    pub confirmed: bool,
}

impl Budget {
    /// The figure compared with thresholds: the maximum when stated, else the minimum.
    pub fn reference_amount(&self) -> Option<f64> {
        self.max.or(self.min)
    }
}

/// Where a fact was read: which message, which turn of the conversation, and the quoted words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The stored message the words come from, when known.
    pub message_id: Option<MessageId>,
    /// Index of the turn in the conversation (0-based, counting both sides).
    pub turn: usize,
    /// Byte range of the quote inside that turn's text, when the extractor can tell.
    pub span: Option<(usize, usize)>,
    /// The lead's words that state the fact.
    pub quote: String,
}

/// One extracted value with the evidence that supports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact<T> {
    /// The value.
    pub value: T,
    /// Where it was read; `None` when set by a person through the API.
    pub evidence: Option<Evidence>,
}

impl<T> Fact<T> {
    /// A fact with no evidence, e.g. entered by a salesperson.
    pub fn stated(value: T) -> Self {
        Self {
            value,
            evidence: None,
        }
    }

    /// A fact read from a message.
    pub fn read(value: T, evidence: Evidence) -> Self {
        Self {
            value,
            evidence: Some(evidence),
        }
    }
}

/// A service key of the tenant's catalogue, such as `buy_apartment`.
pub type ServiceKey = String;

/// Everything known about a lead's qualification; each field is `None` until stated.
///
/// Fields follow `eval/README.md`. `wants_human` and `not_interested` are `None` until the lead
/// says something about them, and read as `false` when absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Qualification {
    /// What the lead wants now: a key of the tenant's service catalogue.
    pub service: Option<Fact<ServiceKey>>,
    /// The budget group.
    pub budget: Option<Fact<Budget>>,
    /// Urgency from urgency words.
    pub urgency: Option<Fact<Urgency>>,
    /// When the lead wants to act.
    pub timeline: Option<Fact<Timeline>>,
    /// Whether the lead decides alone.
    pub decision_maker: Option<Fact<bool>>,
    /// Canonical English city name where the service is wanted.
    pub location: Option<Fact<String>>,
    /// The lead asked for a person.
    pub wants_human: Option<Fact<bool>>,
    /// The lead is not interested, bought elsewhere or asked to stop.
    pub not_interested: Option<Fact<bool>>,
    /// The language the lead mostly writes in.
    pub language: Option<Language>,
    /// How sure the reading is of what the lead's latest message means, 0 to 1: low only for
    /// text that cannot be understood, never merely because no fact was found.
    pub confidence: Option<f32>,
    /// What the lead's latest message is about, so a greeting or a question is answered, not escalated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<MessageIntent>,
}

/// What one lead message is about, in any language; read by the offline reader and the model alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageIntent {
    /// Hello, salam, good morning, with nothing else.
    Greeting,
    /// A question about the business: hours, place, prices, availability.
    Question,
    /// Facts about what the lead wants (service, budget, time, place, who decides), or a reply to a question.
    Information,
    /// The lead asks for a person.
    WantsHuman,
    /// The lead asks to stop receiving messages.
    OptOut,
    /// The lead is not interested, bought elsewhere or is only browsing.
    NotInterested,
    /// Thanks, ok, acknowledgements and small talk.
    Thanks,
    /// Text that cannot be made sense of: gibberish, an unknown language, a contradiction.
    Unclear,
}

impl MessageIntent {
    /// The wire name used in evaluation output and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            MessageIntent::Greeting => "greeting",
            MessageIntent::Question => "question",
            MessageIntent::Information => "information",
            MessageIntent::WantsHuman => "wants_human",
            MessageIntent::OptOut => "opt_out",
            MessageIntent::NotInterested => "not_interested",
            MessageIntent::Thanks => "thanks",
            MessageIntent::Unclear => "unclear",
        }
    }
}

impl Qualification {
    /// Merges a newer reading into this one: every field the newer reading states overwrites
    /// the old value of that field only ("actually 900k, not 1M"); fields it leaves unknown keep
    /// their old value. The budget is one group, replaced whole.
    pub fn merge(&mut self, newer: Qualification) {
        fn take<T>(old: &mut Option<T>, new: Option<T>) {
            if new.is_some() {
                *old = new;
            }
        }
        take(&mut self.service, newer.service);
        take(&mut self.budget, newer.budget);
        take(&mut self.urgency, newer.urgency);
        take(&mut self.timeline, newer.timeline);
        take(&mut self.decision_maker, newer.decision_maker);
        take(&mut self.location, newer.location);
        take(&mut self.wants_human, newer.wants_human);
        take(&mut self.not_interested, newer.not_interested);
        take(&mut self.language, newer.language);
        take(&mut self.intent, newer.intent);
        take(
            &mut self.confidence,
            newer.confidence.map(|c| c.clamp(0.0, 1.0)),
        );
    }

    /// Whether the lead asked for a person.
    pub fn wants_human(&self) -> bool {
        self.wants_human.as_ref().is_some_and(|f| f.value)
    }

    /// Whether the lead said they are not interested.
    pub fn not_interested(&self) -> bool {
        self.not_interested.as_ref().is_some_and(|f| f.value)
    }

    /// The fields still unknown, in the order a qualifying conversation should ask about them.
    pub fn missing_fields(&self) -> Vec<QualificationField> {
        let mut missing = Vec::new();
        if self.service.is_none() {
            missing.push(QualificationField::Service);
        }
        if self.budget.is_none() {
            missing.push(QualificationField::Budget);
        }
        if self.timeline.is_none() && self.urgency.is_none() {
            missing.push(QualificationField::Timeline);
        }
        if self.decision_maker.is_none() {
            missing.push(QualificationField::DecisionMaker);
        }
        if self.location.is_none() {
            missing.push(QualificationField::Location);
        }
        missing
    }
}

/// A qualification field a conversation may still need to ask about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualificationField {
    /// What the lead wants.
    Service,
    /// How much they will pay.
    Budget,
    /// When they want to act.
    Timeline,
    /// Whether they decide.
    DecisionMaker,
    /// Where.
    Location,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(max: f64) -> Option<Fact<Budget>> {
        Some(Fact::stated(Budget {
            min: None,
            max: Some(max),
            currency: Currency::code(*b"SAR"),
            confirmed: false,
        }))
    }

    #[test]
    fn newer_statement_overwrites_only_its_field() {
        let mut q = Qualification {
            service: Some(Fact::stated("buy_villa".into())),
            budget: budget(1_000_000.0),
            ..Default::default()
        };
        q.merge(Qualification {
            budget: budget(900_000.0),
            ..Default::default()
        });
        assert_eq!(q.budget.as_ref().and_then(|b| b.value.max), Some(900_000.0));
        assert_eq!(
            q.service.as_ref().map(|s| s.value.as_str()),
            Some("buy_villa")
        );
    }

    #[test]
    fn budget_group_is_replaced_whole() {
        let mut q = Qualification {
            budget: Some(Fact::stated(Budget {
                min: Some(500_000.0),
                max: Some(700_000.0),
                currency: Currency::code(*b"SAR"),
                confirmed: true,
            })),
            ..Default::default()
        };
        q.merge(Qualification {
            budget: budget(900_000.0),
            ..Default::default()
        });
        let b = q.budget.map(|b| b.value);
        assert_eq!(
            b.map(|b| (b.min, b.max, b.confirmed)),
            Some((None, Some(900_000.0), false))
        );
    }

    #[test]
    fn currency_codes_parse() {
        assert_eq!(
            Currency::parse("sar").map(|c| c.to_string()),
            Ok("SAR".to_owned())
        );
        assert!(Currency::parse("SA").is_err());
        assert!(Currency::parse("S4R").is_err());
    }

    #[test]
    fn wire_names_match_the_eval_set() {
        let json = serde_json::to_string(&Timeline::OneToThreeMonths).unwrap_or_default();
        assert_eq!(json, "\"1_3_months\"");
        let json = serde_json::to_string(&Urgency::High).unwrap_or_default();
        assert_eq!(json, "\"high\"");
    }
}
