//! Lead scoring: HOT, WARM, COLD or UNSCORED from qualification data and a tenant's rules, with reasons.

use crate::qualification::{Currency, Qualification, Timeline, Urgency};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The score a salesperson sorts leads by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum Score {
    /// Ready to buy: call now.
    Hot,
    /// Promising but something is missing.
    Warm,
    /// Disqualified or too little fit.
    Cold,
    /// Too little is known to judge.
    #[default]
    Unscored,
}

impl Score {
    /// The wire name (`HOT`, `WARM`, `COLD`, `UNSCORED`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Score::Hot => "HOT",
            Score::Warm => "WARM",
            Score::Cold => "COLD",
            Score::Unscored => "UNSCORED",
        }
    }

    /// Parses a wire name in any case.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "HOT" => Some(Score::Hot),
            "WARM" => Some(Score::Warm),
            "COLD" => Some(Score::Cold),
            "UNSCORED" => Some(Score::Unscored),
            _ => None,
        }
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Points each known dimension adds; the defaults are those of `eval/README.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreWeights {
    /// Service known.
    pub service: u32,
    /// Budget known and not below the minimum.
    pub budget: u32,
    /// Timeline immediate or within a month, or urgency high.
    pub fast_timeline: u32,
    /// Timeline one to three months, or urgency medium.
    pub medium_timeline: u32,
    /// The lead decides.
    pub decision_maker: u32,
}

impl Default for ScoreWeights {
    fn default() -> Self {
        Self {
            service: 1,
            budget: 2,
            fast_timeline: 2,
            medium_timeline: 1,
            decision_maker: 1,
        }
    }
}

/// A tenant's qualification rules: the policy [`score`] applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualificationRules {
    /// The tenant's currency; budgets are converted into it before comparing.
    pub currency: Currency,
    /// Budgets whose maximum is below this are disqualified.
    pub min_budget: f64,
    /// Per-service minimum replacing `min_budget` for that service.
    #[serde(default)]
    pub service_min_budget: BTreeMap<String, f64>,
    /// Budgets at or above this make a high-value lead (an escalation trigger).
    pub high_value_threshold: f64,
    /// US dollars per unit of each currency, for converting budgets.
    #[serde(default = "default_fx_usd")]
    pub fx_usd: BTreeMap<Currency, f64>,
    /// Points per dimension.
    #[serde(default)]
    pub weights: ScoreWeights,
    /// Points at which a lead is HOT.
    #[serde(default = "default_hot_at")]
    pub hot_at: u32,
    /// Points at which a lead is WARM.
    #[serde(default = "default_warm_at")]
    pub warm_at: u32,
    /// Known dimensions needed before a lead is scored at all.
    #[serde(default = "default_min_known")]
    pub min_known: u32,
}

fn default_hot_at() -> u32 {
    5
}
fn default_warm_at() -> u32 {
    3
}
fn default_min_known() -> u32 {
    2
}

/// The fixed conversion table of `eval/clients.json`, a sensible default until a tenant sets its own.
pub fn default_fx_usd() -> BTreeMap<Currency, f64> {
    [
        (*b"USD", 1.0),
        (*b"SAR", 0.2667),
        (*b"AED", 0.2723),
        (*b"QAR", 0.2747),
        (*b"KWD", 3.25),
        (*b"BHD", 2.65),
        (*b"OMR", 2.6),
        (*b"EGP", 0.0205),
        (*b"JOD", 1.41),
        (*b"EUR", 1.08),
        (*b"GBP", 1.27),
    ]
    .into_iter()
    .map(|(code, rate)| (Currency::code(code), rate))
    .collect()
}

impl QualificationRules {
    /// Default rules for a tenant with this currency and these thresholds.
    pub fn new(currency: Currency, min_budget: f64, high_value_threshold: f64) -> Self {
        Self {
            currency,
            min_budget,
            service_min_budget: BTreeMap::new(),
            high_value_threshold,
            fx_usd: default_fx_usd(),
            weights: ScoreWeights::default(),
            hot_at: default_hot_at(),
            warm_at: default_warm_at(),
            min_known: default_min_known(),
        }
    }

    /// Converts an amount into the tenant's currency; `None` when either currency has no rate.
    pub fn to_tenant_currency(&self, amount: f64, from: Currency) -> Option<f64> {
        if from == self.currency {
            return Some(amount);
        }
        let from_rate = self.fx_usd.get(&from)?;
        let to_rate = self.fx_usd.get(&self.currency)?;
        if *to_rate <= 0.0 {
            return None;
        }
        Some(amount * from_rate / to_rate)
    }

    /// The minimum budget that applies to a service (or to no service).
    pub fn floor_for(&self, service: Option<&str>) -> f64 {
        service
            .and_then(|s| self.service_min_budget.get(s))
            .copied()
            .unwrap_or(self.min_budget)
    }

    /// Whether the lead's budget reaches the high-value threshold.
    pub fn is_high_value(&self, q: &Qualification) -> Option<f64> {
        let budget = q.budget.as_ref()?.value;
        let amount = self.to_tenant_currency(budget.reference_amount()?, budget.currency)?;
        (amount >= self.high_value_threshold).then_some(amount)
    }
}

/// One reason that moved the score, readable by a salesperson.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScoreReason {
    /// The budget maximum is below the minimum for the service.
    BudgetBelowMinimum {
        /// Budget maximum in the tenant's currency.
        budget_max: f64,
        /// The minimum that applied.
        minimum: f64,
    },
    /// The lead wants to act more than six months out.
    TimelineOverSixMonths,
    /// The lead is not interested.
    NotInterested,
    /// Too few dimensions are known to score.
    NotEnoughKnown {
        /// Dimensions known.
        known: u32,
        /// Dimensions needed.
        needed: u32,
    },
    /// Points for a known service.
    ServiceKnown {
        /// Points added.
        points: u32,
    },
    /// Points for a budget at or above the minimum.
    BudgetFits {
        /// Points added.
        points: u32,
    },
    /// Points for a near timeline or high urgency.
    FastTimeline {
        /// Points added.
        points: u32,
    },
    /// Points for a medium timeline or urgency.
    MediumTimeline {
        /// Points added.
        points: u32,
    },
    /// Points for a lead who decides.
    DecisionMaker {
        /// Points added.
        points: u32,
    },
    /// The budget's currency has no conversion rate, so it could not be compared.
    CurrencyNotConvertible {
        /// The currency the lead used.
        currency: Currency,
    },
}

impl fmt::Display for ScoreReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScoreReason::BudgetBelowMinimum {
                budget_max,
                minimum,
            } => {
                write!(
                    f,
                    "budget {budget_max:.0} is below the minimum of {minimum:.0}"
                )
            }
            ScoreReason::TimelineOverSixMonths => {
                f.write_str("wants to act more than six months from now")
            }
            ScoreReason::NotInterested => f.write_str("said they are not interested"),
            ScoreReason::NotEnoughKnown { known, needed } => {
                write!(
                    f,
                    "only {known} of the {needed} dimensions needed to score are known"
                )
            }
            ScoreReason::ServiceKnown { points } => {
                write!(f, "+{points}: knows which service they want")
            }
            ScoreReason::BudgetFits { points } => write!(f, "+{points}: budget meets the minimum"),
            ScoreReason::FastTimeline { points } => {
                write!(
                    f,
                    "+{points}: wants to act within a month or says it is urgent"
                )
            }
            ScoreReason::MediumTimeline { points } => {
                write!(f, "+{points}: wants to act within three months or soon")
            }
            ScoreReason::DecisionMaker { points } => write!(f, "+{points}: makes the decision"),
            ScoreReason::CurrencyNotConvertible { currency } => {
                write!(
                    f,
                    "budget in {currency} could not be converted, so it was not compared"
                )
            }
        }
    }
}

/// The result of scoring: the score, the points, and the reasons that produced them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreCard {
    /// The score.
    pub score: Score,
    /// Points counted (0 when disqualified or unscored).
    pub points: u32,
    /// Why, in the order the rules were applied.
    pub reasons: Vec<ScoreReason>,
}

impl ScoreCard {
    /// The reasons in one line, for a lifecycle change or a notification a person reads.
    pub fn explain(&self) -> String {
        join_readable(&self.reasons)
    }
}

/// Items in words, separated by semicolons: how reasons read in history and notifications.
pub fn join_readable<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Scores qualification data by a tenant's rules, following the default rules of `eval/README.md`:
/// disqualifiers first (COLD), then too little known (UNSCORED), then points.
pub fn score(q: &Qualification, rules: &QualificationRules) -> ScoreCard {
    let mut reasons = Vec::new();
    let service = q.service.as_ref().map(|f| f.value.as_str());
    let floor = rules.floor_for(service);

    // A budget in a currency without a rate is known (the lead stated it) but cannot be compared.
    let budget = q.budget.as_ref().map(|f| f.value);
    let mut budget_known = false;
    let mut budget_max = None;
    let mut budget_ref = None;
    if let Some(b) = budget {
        budget_known = b.reference_amount().is_some();
        let convert = |v: Option<f64>| v.and_then(|v| rules.to_tenant_currency(v, b.currency));
        budget_max = convert(b.max);
        budget_ref = convert(b.max).or_else(|| convert(b.min));
        if budget_known && budget_ref.is_none() {
            reasons.push(ScoreReason::CurrencyNotConvertible {
                currency: b.currency,
            });
        }
    }

    let timeline = q.timeline.as_ref().map(|f| f.value);
    let urgency = q.urgency.as_ref().map(|f| f.value);
    let mut disqualified = false;
    if let Some(max) = budget_max
        && max < floor
    {
        reasons.push(ScoreReason::BudgetBelowMinimum {
            budget_max: max,
            minimum: floor,
        });
        disqualified = true;
    }
    if timeline == Some(Timeline::OverSixMonths) {
        reasons.push(ScoreReason::TimelineOverSixMonths);
        disqualified = true;
    }
    if q.not_interested() {
        reasons.push(ScoreReason::NotInterested);
        disqualified = true;
    }
    if disqualified {
        return ScoreCard {
            score: Score::Cold,
            points: 0,
            reasons,
        };
    }

    let decision_maker = q.decision_maker.as_ref().map(|f| f.value);
    let known = [
        service.is_some(),
        budget_known,
        timeline.is_some() || urgency.is_some(),
        decision_maker.is_some(),
    ]
    .into_iter()
    .filter(|k| *k)
    .count() as u32;
    if known < rules.min_known {
        reasons.push(ScoreReason::NotEnoughKnown {
            known,
            needed: rules.min_known,
        });
        return ScoreCard {
            score: Score::Unscored,
            points: 0,
            reasons,
        };
    }

    let w = &rules.weights;
    let mut points = 0;
    if service.is_some() {
        points += w.service;
        reasons.push(ScoreReason::ServiceKnown { points: w.service });
    }
    if budget_ref.is_some_and(|b| b >= floor) {
        points += w.budget;
        reasons.push(ScoreReason::BudgetFits { points: w.budget });
    }
    if matches!(timeline, Some(Timeline::Immediate | Timeline::Within1Month))
        || urgency == Some(Urgency::High)
    {
        points += w.fast_timeline;
        reasons.push(ScoreReason::FastTimeline {
            points: w.fast_timeline,
        });
    } else if timeline == Some(Timeline::OneToThreeMonths) || urgency == Some(Urgency::Medium) {
        points += w.medium_timeline;
        reasons.push(ScoreReason::MediumTimeline {
            points: w.medium_timeline,
        });
    }
    if decision_maker == Some(true) {
        points += w.decision_maker;
        reasons.push(ScoreReason::DecisionMaker {
            points: w.decision_maker,
        });
    }
    let score = if points >= rules.hot_at {
        Score::Hot
    } else if points >= rules.warm_at {
        Score::Warm
    } else {
        Score::Cold
    };
    ScoreCard {
        score,
        points,
        reasons,
    }
}

#[cfg(test)]
mod tests;
