//! Escalation triggers: when a conversation must go to a human, as a pure function returning every reason.

use crate::qualification::Qualification;
use crate::scoring::QualificationRules;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A tenant's escalation settings; every trigger can be switched off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EscalationPolicy {
    /// Escalate when the lead asks for a person.
    pub on_human_request: bool,
    /// Escalate when the model's confidence is below this (`None` disables).
    pub min_confidence: Option<f32>,
    /// Escalate high-value leads (budget at or above the tenant's threshold).
    pub on_high_value: bool,
    /// Escalate when the conversation has more exchanges than this (`None` disables).
    pub max_exchanges: Option<u32>,
    /// Words or phrases that escalate when the lead writes them.
    pub keywords: Vec<String>,
}

/// The default keywords in English and Arabic.
pub fn default_keywords() -> Vec<String> {
    [
        "manager",
        "human",
        "agent",
        "real person",
        "supervisor",
        "representative",
        "complaint",
        "موظف",
        "مدير",
        "شخص حقيقي",
        "انسان",
        "مشرف",
        "شكوى",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

impl Default for EscalationPolicy {
    fn default() -> Self {
        Self {
            on_human_request: true,
            min_confidence: Some(0.6),
            on_high_value: true,
            max_exchanges: Some(20),
            keywords: default_keywords(),
        }
    }
}

/// Why a conversation was escalated; a conversation may have several.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EscalationReason {
    /// The lead asked for a person.
    HumanRequested,
    /// The model was not sure enough of its reading.
    LowConfidence {
        /// The model's confidence.
        confidence: f32,
        /// The tenant's threshold.
        threshold: f32,
    },
    /// The budget reaches the high-value threshold.
    HighValue {
        /// Budget in the tenant's currency.
        amount: f64,
        /// The threshold.
        threshold: f64,
    },
    /// The conversation went on too long without a result.
    TooManyExchanges {
        /// Exchanges so far.
        exchanges: u32,
        /// The limit.
        limit: u32,
    },
    /// The lead wrote an escalation keyword.
    Keyword {
        /// The keyword found.
        keyword: String,
    },
    /// Replies cannot be delivered to the lead (invalid number, unsubscribed recipient): a person
    /// must reach them another way.
    Undeliverable {
        /// The provider's reason.
        detail: String,
    },
    /// A person escalated through the API.
    Manual {
        /// Their note.
        note: String,
    },
}

impl EscalationReason {
    /// A stable snake_case name for storage and filtering.
    pub const fn kind(&self) -> &'static str {
        match self {
            EscalationReason::HumanRequested => "human_requested",
            EscalationReason::LowConfidence { .. } => "low_confidence",
            EscalationReason::HighValue { .. } => "high_value",
            EscalationReason::TooManyExchanges { .. } => "too_many_exchanges",
            EscalationReason::Keyword { .. } => "keyword",
            EscalationReason::Undeliverable { .. } => "undeliverable",
            EscalationReason::Manual { .. } => "manual",
        }
    }
}

impl fmt::Display for EscalationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EscalationReason::HumanRequested => f.write_str("the lead asked to talk to a person"),
            EscalationReason::LowConfidence {
                confidence,
                threshold,
            } => {
                write!(f, "confidence {confidence:.2} is below {threshold:.2}")
            }
            EscalationReason::HighValue { amount, threshold } => {
                write!(
                    f,
                    "budget {amount:.0} reaches the high-value threshold {threshold:.0}"
                )
            }
            EscalationReason::TooManyExchanges { exchanges, limit } => {
                write!(f, "{exchanges} exchanges is more than {limit}")
            }
            EscalationReason::Keyword { keyword } => write!(f, "the lead wrote \"{keyword}\""),
            EscalationReason::Undeliverable { detail } => {
                write!(f, "replies cannot be delivered: {detail}")
            }
            EscalationReason::Manual { note } => write!(f, "escalated by a person: {note}"),
        }
    }
}

/// What the escalation rules look at after a message.
#[derive(Debug, Clone, Copy)]
pub struct EscalationInput<'a> {
    /// Qualification after merging this message's reading.
    pub qualification: &'a Qualification,
    /// The latest confidence of the reading (the model's, or the offline extractor's).
    pub confidence: Option<f32>,
    /// Lead messages in the conversation so far, this one included.
    pub exchanges: u32,
    /// The lead's latest message.
    pub latest_text: &'a str,
}

/// Evaluates every trigger and returns all that fire, in a fixed order.
pub fn evaluate(
    policy: &EscalationPolicy,
    rules: &QualificationRules,
    input: &EscalationInput<'_>,
) -> Vec<EscalationReason> {
    let mut reasons = Vec::new();
    if policy.on_human_request && input.qualification.wants_human() {
        reasons.push(EscalationReason::HumanRequested);
    }
    if let (Some(threshold), Some(confidence)) = (policy.min_confidence, input.confidence)
        && confidence < threshold
    {
        reasons.push(EscalationReason::LowConfidence {
            confidence,
            threshold,
        });
    }
    if policy.on_high_value
        && let Some(amount) = rules.is_high_value(input.qualification)
    {
        reasons.push(EscalationReason::HighValue {
            amount,
            threshold: rules.high_value_threshold,
        });
    }
    if let Some(limit) = policy.max_exchanges
        && input.exchanges > limit
    {
        reasons.push(EscalationReason::TooManyExchanges {
            exchanges: input.exchanges,
            limit,
        });
    }
    if let Some(keyword) = find_keyword(&policy.keywords, input.latest_text) {
        reasons.push(EscalationReason::Keyword { keyword });
    }
    reasons
}

/// Folds text for keyword matching: lower case, Arabic letter variants unified, diacritics and tatweel dropped.
pub fn fold_for_matching(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
            'ى' => out.push('ي'),
            'ة' => out.push('ه'),
            '\u{0640}' | '\u{064B}'..='\u{065F}' | '\u{0670}' => {}
            c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => out.push(' '),
        }
    }
    out
}

/// The first keyword found as whole words in the text, if any.
pub fn find_keyword(keywords: &[String], text: &str) -> Option<String> {
    let folded = fold_for_matching(text);
    let words: Vec<&str> = folded.split_whitespace().collect();
    keywords.iter().find_map(|kw| {
        let needle: Vec<String> = fold_for_matching(kw)
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if needle.is_empty() {
            return None;
        }
        let hit = words.windows(needle.len()).any(|w| {
            w.iter().zip(&needle).all(|(word, n)| {
                // Arabic words take attached prefixes (ال, ب, و, ل): accept them before the keyword.
                *word == n.as_str()
                    || (n
                        .chars()
                        .next()
                        .is_some_and(crate::language::is_arabic_letter)
                        && ["ال", "بال", "وال", "لل", "و", "ب", "ل"]
                            .iter()
                            .any(|p| word.strip_prefix(p) == Some(n.as_str())))
            })
        });
        hit.then(|| kw.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qualification::{Budget, Currency, Fact};

    fn rules() -> QualificationRules {
        QualificationRules::new(Currency::code(*b"SAR"), 300_000.0, 5_000_000.0)
    }

    fn check(
        q: &Qualification,
        confidence: Option<f32>,
        exchanges: u32,
        text: &str,
        want: &[&str],
    ) {
        let input = EscalationInput {
            qualification: q,
            confidence,
            exchanges,
            latest_text: text,
        };
        let got: Vec<&str> = evaluate(&EscalationPolicy::default(), &rules(), &input)
            .iter()
            .map(EscalationReason::kind)
            .collect();
        assert_eq!(got, want, "{text}");
    }

    #[test]
    fn nothing_fires_on_an_ordinary_message() {
        check(
            &Qualification::default(),
            Some(0.9),
            3,
            "I want a flat in Riyadh",
            &[],
        );
    }

    #[test]
    fn human_request_fires() {
        let q = Qualification {
            wants_human: Some(Fact::stated(true)),
            ..Default::default()
        };
        check(&q, None, 1, "can someone call me", &["human_requested"]);
    }

    #[test]
    fn low_confidence_fires_below_threshold_only() {
        check(
            &Qualification::default(),
            Some(0.59),
            1,
            "hmm",
            &["low_confidence"],
        );
        check(&Qualification::default(), Some(0.6), 1, "hmm", &[]);
    }

    #[test]
    fn high_value_fires_at_threshold() {
        let budget = |max| Qualification {
            budget: Some(Fact::stated(Budget {
                min: None,
                max: Some(max),
                currency: Currency::code(*b"SAR"),
                confirmed: false,
            })),
            ..Default::default()
        };
        check(&budget(5_000_000.0), None, 1, "", &["high_value"]);
        check(&budget(4_999_999.0), None, 1, "", &[]);
    }

    #[test]
    fn more_than_twenty_exchanges_fires() {
        check(&Qualification::default(), None, 20, "ok", &[]);
        check(
            &Qualification::default(),
            None,
            21,
            "ok",
            &["too_many_exchanges"],
        );
    }

    #[test]
    fn keywords_match_whole_words_in_both_languages() {
        check(
            &Qualification::default(),
            None,
            1,
            "Let me speak to your MANAGER!",
            &["keyword"],
        );
        check(
            &Qualification::default(),
            None,
            1,
            "I want a real   person please",
            &["keyword"],
        );
        check(
            &Qualification::default(),
            None,
            1,
            "ابي اكلم المدير",
            &["keyword"],
        );
        check(
            &Qualification::default(),
            None,
            1,
            "أبغى مُوظف",
            &["keyword"],
        );
        check(
            &Qualification::default(),
            None,
            1,
            "the agency listing",
            &[],
        );
        check(&Qualification::default(), None, 1, "humanitarian work", &[]);
    }

    #[test]
    fn several_reasons_fire_together() {
        let q = Qualification {
            wants_human: Some(Fact::stated(true)),
            ..Default::default()
        };
        check(
            &q,
            Some(0.2),
            25,
            "manager now",
            &[
                "human_requested",
                "low_confidence",
                "too_many_exchanges",
                "keyword",
            ],
        );
    }

    #[test]
    fn triggers_can_be_switched_off() {
        let policy = EscalationPolicy {
            on_human_request: false,
            min_confidence: None,
            on_high_value: false,
            max_exchanges: None,
            keywords: vec![],
        };
        let q = Qualification {
            wants_human: Some(Fact::stated(true)),
            ..Default::default()
        };
        let input = EscalationInput {
            qualification: &q,
            confidence: Some(0.1),
            exchanges: 99,
            latest_text: "manager",
        };
        assert!(evaluate(&policy, &rules(), &input).is_empty());
    }
}
