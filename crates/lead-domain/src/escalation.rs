//! Escalation triggers: when a conversation must go to a human, as a pure function returning every reason.

use crate::ids::MessageId;
use crate::lead::Escalation;
use crate::qualification::{Evidence, Fact, MessageIntent, Qualification};
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
    /// What happens when a lead becomes HOT: the team is told, and with `handoff` the AI stops too.
    pub on_hot: OnHot,
}

/// A tenant's choice for HOT leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnHot {
    /// The team is told at once and the AI keeps the conversation.
    #[default]
    Notify,
    /// The team is told and the conversation goes to a person, as for any escalation.
    Handoff,
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
            on_hot: OnHot::Notify,
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
    /// The lead became HOT: the team is told, and the AI stops only under [`OnHot::Handoff`].
    HotLead {
        /// The score's points.
        points: u32,
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
            EscalationReason::HotLead { .. } => "hot_lead",
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
            EscalationReason::HotLead { points } => {
                write!(f, "the lead is HOT ({points} points)")
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
    /// Qualification before this message, to tell a threshold newly crossed from one crossed long ago.
    pub previous: &'a Qualification,
    /// This message's reading alone (offline and model merged), with its intent and evidence.
    pub reading: &'a Qualification,
    /// The message being answered; `None` for a system notice, which no lead-word trigger reads.
    pub message_id: Option<MessageId>,
    /// Lead messages since the conversation was last released to the AI (or since it began).
    pub exchanges: u32,
    /// The lead's latest message.
    pub latest_text: &'a str,
    /// Every escalation the conversation already had, released or not: a trigger that fired once
    /// does not fire again by itself after a release.
    pub history: &'a [Escalation],
}

fn said_in<T>(fact: Option<&Fact<T>>, message: Option<MessageId>) -> bool {
    matches!(
        (fact, message),
        (Some(Fact { evidence: Some(Evidence { message_id: Some(m), .. }), .. }), Some(id)) if *m == id
    )
}

/// Whether the message being answered itself asks for a person, as its intent or its evidence says.
fn asks_for_human(input: &EscalationInput<'_>) -> bool {
    input.message_id.is_some()
        && (input.reading.intent == Some(MessageIntent::WantsHuman)
            || (input.reading.wants_human()
                && said_in(input.reading.wants_human.as_ref(), input.message_id)))
}

/// Evaluates every trigger and returns all that fire, in a fixed order.
///
/// Triggers fire on what is new: a request for a person or a keyword in this message, a
/// confidence this message's reading has, a budget that crosses the high-value threshold now (or
/// reaches it when no high-value escalation was ever raised), more exchanges than the limit since
/// the last release. So a release really gives the conversation back.
pub fn evaluate(
    policy: &EscalationPolicy,
    rules: &QualificationRules,
    input: &EscalationInput<'_>,
) -> Vec<EscalationReason> {
    let mut reasons = Vec::new();
    let from_lead = input.message_id.is_some();
    let human = asks_for_human(input);
    if policy.on_human_request && human {
        reasons.push(EscalationReason::HumanRequested);
    }
    if let (true, Some(threshold), Some(confidence)) =
        (from_lead, policy.min_confidence, input.reading.confidence)
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
        let crossed_now = rules.is_high_value(input.previous).is_none();
        let raised_before = input
            .history
            .iter()
            .any(|e| matches!(e.reason, EscalationReason::HighValue { .. }));
        if crossed_now || !raised_before {
            reasons.push(EscalationReason::HighValue {
                amount,
                threshold: rules.high_value_threshold,
            });
        }
    }
    if let Some(limit) = policy.max_exchanges
        && input.exchanges > limit
    {
        reasons.push(EscalationReason::TooManyExchanges {
            exchanges: input.exchanges,
            limit,
        });
    }
    // A keyword that only names who decides ("my manager has to approve it") is a fact, not a request.
    let mentions_decider =
        !human && said_in(input.reading.decision_maker.as_ref(), input.message_id);
    if from_lead
        && !mentions_decider
        && let Some(keyword) = find_keyword(&policy.keywords, input.latest_text)
    {
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
    use crate::qualification::{Budget, Currency};

    fn rules() -> QualificationRules {
        QualificationRules::new(Currency::code(*b"SAR"), 300_000.0, 5_000_000.0)
    }

    fn message() -> MessageId {
        MessageId::from_uuid(uuid::Uuid::from_u128(7))
    }

    fn check(
        q: &Qualification,
        confidence: Option<f32>,
        exchanges: u32,
        text: &str,
        want: &[&str],
    ) {
        let reading = Qualification {
            confidence,
            intent: q.wants_human().then_some(MessageIntent::WantsHuman),
            ..q.clone()
        };
        let input = EscalationInput {
            qualification: q,
            previous: &Qualification::default(),
            reading: &reading,
            message_id: Some(message()),
            exchanges,
            latest_text: text,
            history: &[],
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
        check(&high(5_000_000.0), None, 1, "", &["high_value"]);
        check(&high(4_999_999.0), None, 1, "", &[]);
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
            on_hot: OnHot::Notify,
        };
        let q = Qualification {
            wants_human: Some(Fact::stated(true)),
            ..Default::default()
        };
        let reading = Qualification {
            confidence: Some(0.1),
            intent: Some(MessageIntent::WantsHuman),
            ..q.clone()
        };
        let input = EscalationInput {
            qualification: &q,
            previous: &Qualification::default(),
            reading: &reading,
            message_id: Some(message()),
            exchanges: 99,
            latest_text: "manager",
            history: &[],
        };
        assert!(evaluate(&policy, &rules(), &input).is_empty());
    }

    fn high(max: f64) -> Qualification {
        Qualification {
            budget: Some(Fact::stated(Budget {
                min: None,
                max: Some(max),
                currency: Currency::code(*b"SAR"),
                confirmed: false,
            })),
            ..Default::default()
        }
    }

    fn raised(reason: EscalationReason) -> Escalation {
        use crate::ids::{ConversationId, EscalationId, LeadId, TenantId};
        let id = uuid::Uuid::from_u128(1);
        Escalation {
            id: EscalationId::from_uuid(id),
            tenant_id: TenantId::from_uuid(id),
            conversation_id: ConversationId::from_uuid(id),
            lead_id: LeadId::from_uuid(id),
            reason,
            created_at: chrono::DateTime::default(),
            released_at: Some(chrono::DateTime::default()),
            raised_by: "ai".to_owned(),
            released_by: Some("api".to_owned()),
        }
    }

    fn kinds(input: &EscalationInput<'_>) -> Vec<&'static str> {
        evaluate(&EscalationPolicy::default(), &rules(), input)
            .iter()
            .map(EscalationReason::kind)
            .collect()
    }

    #[test]
    fn an_old_request_for_a_person_does_not_fire_again() {
        let earlier = MessageId::from_uuid(uuid::Uuid::from_u128(3));
        let q = Qualification {
            wants_human: Some(Fact::read(
                true,
                Evidence {
                    message_id: Some(earlier),
                    turn: 0,
                    span: None,
                    quote: "can I talk to a real person".to_owned(),
                },
            )),
            intent: Some(MessageIntent::Information),
            confidence: Some(0.9),
            ..Default::default()
        };
        let input = EscalationInput {
            qualification: &q,
            previous: &q,
            reading: &q,
            message_id: Some(message()),
            exchanges: 2,
            latest_text: "thanks. my budget is 2 million riyals",
            history: &[raised(EscalationReason::HumanRequested)],
        };
        assert!(kinds(&input).is_empty());
        // The same request made in this message fires again.
        let again = Qualification {
            intent: Some(MessageIntent::WantsHuman),
            ..q.clone()
        };
        let input = EscalationInput {
            reading: &again,
            ..input
        };
        assert_eq!(kinds(&input), ["human_requested"]);
    }

    #[test]
    fn high_value_fires_when_crossed_or_never_raised() {
        let reading = Qualification::default();
        let base = EscalationInput {
            qualification: &Qualification::default(),
            previous: &Qualification::default(),
            reading: &reading,
            message_id: Some(message()),
            exchanges: 1,
            latest_text: "",
            history: &[],
        };
        let now = high(6_000_000.0);
        let before = now.clone();
        let low = high(1_000_000.0);
        let history = [raised(EscalationReason::HighValue {
            amount: 6_000_000.0,
            threshold: 5_000_000.0,
        })];
        // Crossed in this message.
        let input = EscalationInput {
            qualification: &now,
            previous: &low,
            ..base
        };
        assert_eq!(kinds(&input), ["high_value"]);
        // Already high and already raised: released, it stays released.
        let input = EscalationInput {
            qualification: &now,
            previous: &before,
            history: &history,
            ..base
        };
        assert!(kinds(&input).is_empty());
        // Already high but never raised (it arrived while a person held the conversation).
        let input = EscalationInput {
            qualification: &now,
            previous: &before,
            ..base
        };
        assert_eq!(kinds(&input), ["high_value"]);
        // Crossed again after a correction below the threshold.
        let input = EscalationInput {
            qualification: &now,
            previous: &low,
            history: &history,
            ..base
        };
        assert_eq!(kinds(&input), ["high_value"]);
    }

    #[test]
    fn a_decision_maker_mention_is_not_a_keyword() {
        let q = Qualification {
            decision_maker: Some(Fact::read(
                false,
                Evidence {
                    message_id: Some(message()),
                    turn: 0,
                    span: None,
                    quote: "my manager has to approve it".to_owned(),
                },
            )),
            intent: Some(MessageIntent::Information),
            ..Default::default()
        };
        let input = EscalationInput {
            qualification: &q,
            previous: &Qualification::default(),
            reading: &q,
            message_id: Some(message()),
            exchanges: 1,
            latest_text: "my manager has to approve it",
            history: &[],
        };
        assert!(kinds(&input).is_empty());
        let complaint = EscalationInput {
            reading: &Qualification::default(),
            latest_text: "I have a complaint, get me your manager",
            ..input
        };
        assert_eq!(kinds(&complaint), ["keyword"]);
    }

    #[test]
    fn a_system_notice_fires_no_lead_word_trigger() {
        let reading = Qualification {
            confidence: Some(0.1),
            ..Default::default()
        };
        let input = EscalationInput {
            qualification: &Qualification::default(),
            previous: &Qualification::default(),
            reading: &reading,
            message_id: None,
            exchanges: 0,
            latest_text: "",
            history: &[],
        };
        assert!(kinds(&input).is_empty());
    }
}
