//! Table tests of every scoring rule and property tests of monotonicity.

use super::*;
use crate::qualification::{Budget, Fact};
use proptest::prelude::*;

fn sar() -> Currency {
    Currency::code(*b"SAR")
}

/// The real-estate profile of `eval/clients.json`.
fn real_estate() -> QualificationRules {
    let mut rules = QualificationRules::new(sar(), 300_000.0, 5_000_000.0);
    rules
        .service_min_budget
        .insert("rent_residential".into(), 2_000.0);
    rules
}

#[derive(Debug, Default, Clone)]
struct Lead {
    service: Option<&'static str>,
    min: Option<f64>,
    max: Option<f64>,
    currency: Option<&'static str>,
    urgency: Option<Urgency>,
    timeline: Option<Timeline>,
    decision_maker: Option<bool>,
    not_interested: bool,
}

fn qualification(l: &Lead) -> Qualification {
    let budget = (l.min.is_some() || l.max.is_some()).then(|| {
        let currency = l
            .currency
            .and_then(|c| Currency::parse(c).ok())
            .unwrap_or_else(sar);
        Fact::stated(Budget {
            min: l.min,
            max: l.max,
            currency,
            confirmed: false,
        })
    });
    Qualification {
        service: l.service.map(|s| Fact::stated(s.to_owned())),
        budget,
        urgency: l.urgency.map(Fact::stated),
        timeline: l.timeline.map(Fact::stated),
        decision_maker: l.decision_maker.map(Fact::stated),
        not_interested: l.not_interested.then(|| Fact::stated(true)),
        ..Default::default()
    }
}

fn check(lead: Lead, want: Score, want_points: u32) {
    let card = score(&qualification(&lead), &real_estate());
    assert_eq!(
        (card.score, card.points),
        (want, want_points),
        "reasons: {:?}",
        card.reasons
    );
}

#[test]
fn readme_worked_example_is_hot() {
    // re-en-007 of the eval README: 3BR flat in Khobar, around 1.2M, before next month, deciding.
    check(
        Lead {
            service: Some("buy_apartment"),
            max: Some(1_200_000.0),
            timeline: Some(Timeline::Within1Month),
            decision_maker: Some(true),
            ..Default::default()
        },
        Score::Hot,
        6,
    );
}

#[test]
fn budget_below_minimum_is_cold() {
    check(
        Lead {
            service: Some("buy_villa"),
            max: Some(250_000.0),
            ..Default::default()
        },
        Score::Cold,
        0,
    );
}

#[test]
fn service_minimum_replaces_profile_minimum() {
    // 5,000 SAR a month is a fine rent but far below the purchase minimum.
    check(
        Lead {
            service: Some("rent_residential"),
            max: Some(5_000.0),
            ..Default::default()
        },
        Score::Warm,
        3,
    );
    check(
        Lead {
            service: Some("buy_villa"),
            max: Some(5_000.0),
            ..Default::default()
        },
        Score::Cold,
        0,
    );
}

#[test]
fn only_a_minimum_below_the_floor_does_not_disqualify() {
    // "at least 200k" says nothing against the floor: only budget_max disqualifies, and
    // the minimum is used as the budget, which is below the floor, so no budget points.
    check(
        Lead {
            service: Some("buy_villa"),
            min: Some(200_000.0),
            ..Default::default()
        },
        Score::Cold,
        1,
    );
}

#[test]
fn over_six_months_is_cold() {
    check(
        Lead {
            service: Some("buy_villa"),
            max: Some(2_000_000.0),
            timeline: Some(Timeline::OverSixMonths),
            decision_maker: Some(true),
            ..Default::default()
        },
        Score::Cold,
        0,
    );
}

#[test]
fn not_interested_is_cold() {
    check(
        Lead {
            service: Some("buy_villa"),
            not_interested: true,
            ..Default::default()
        },
        Score::Cold,
        0,
    );
}

#[test]
fn fewer_than_two_known_is_unscored() {
    check(
        Lead {
            service: Some("buy_villa"),
            ..Default::default()
        },
        Score::Unscored,
        0,
    );
    check(
        Lead {
            urgency: Some(Urgency::Low),
            ..Default::default()
        },
        Score::Unscored,
        0,
    );
    check(Lead::default(), Score::Unscored, 0);
}

#[test]
fn urgency_counts_as_the_timeline_dimension() {
    check(
        Lead {
            service: Some("buy_villa"),
            urgency: Some(Urgency::High),
            ..Default::default()
        },
        Score::Warm,
        3,
    );
    check(
        Lead {
            service: Some("buy_villa"),
            urgency: Some(Urgency::Medium),
            ..Default::default()
        },
        Score::Cold,
        2,
    );
    // Low urgency is known but earns nothing.
    check(
        Lead {
            service: Some("buy_villa"),
            urgency: Some(Urgency::Low),
            ..Default::default()
        },
        Score::Cold,
        1,
    );
}

#[test]
fn medium_timeline_earns_one_point() {
    check(
        Lead {
            service: Some("buy_villa"),
            max: Some(2_000_000.0),
            timeline: Some(Timeline::OneToThreeMonths),
            ..Default::default()
        },
        Score::Warm,
        4,
    );
    check(
        Lead {
            service: Some("buy_villa"),
            max: Some(2_000_000.0),
            timeline: Some(Timeline::ThreeToSixMonths),
            ..Default::default()
        },
        Score::Warm,
        3,
    );
}

#[test]
fn decision_maker_false_is_known_but_earns_nothing() {
    check(
        Lead {
            service: Some("buy_villa"),
            decision_maker: Some(false),
            ..Default::default()
        },
        Score::Cold,
        1,
    );
}

#[test]
fn foreign_currency_is_converted_before_comparing() {
    // 100,000 USD is about 375,000 SAR: above the 300k floor.
    check(
        Lead {
            service: Some("buy_apartment"),
            max: Some(100_000.0),
            currency: Some("USD"),
            ..Default::default()
        },
        Score::Warm,
        3,
    );
    // 70,000 USD is about 262,000 SAR: below it.
    check(
        Lead {
            service: Some("buy_apartment"),
            max: Some(70_000.0),
            currency: Some("USD"),
            ..Default::default()
        },
        Score::Cold,
        0,
    );
}

#[test]
fn unconvertible_currency_counts_as_known_but_not_compared() {
    let card = score(
        &qualification(&Lead {
            service: Some("buy_apartment"),
            max: Some(1.0),
            currency: Some("XYZ"),
            ..Default::default()
        }),
        &real_estate(),
    );
    assert_eq!((card.score, card.points), (Score::Cold, 1));
    assert!(card.reasons.contains(&ScoreReason::CurrencyNotConvertible {
        currency: Currency::code(*b"XYZ")
    }));
}

#[test]
fn tenant_weights_and_thresholds_apply() {
    let mut rules = real_estate();
    rules.weights.decision_maker = 3;
    rules.hot_at = 4;
    let q = qualification(&Lead {
        service: Some("buy_villa"),
        decision_maker: Some(true),
        ..Default::default()
    });
    assert_eq!(score(&q, &rules).score, Score::Hot);
}

#[test]
fn reasons_read_as_sentences() {
    let card = score(
        &qualification(&Lead {
            service: Some("buy_villa"),
            max: Some(100_000.0),
            ..Default::default()
        }),
        &real_estate(),
    );
    let text: Vec<String> = card.reasons.iter().map(ToString::to_string).collect();
    assert_eq!(text, ["budget 100000 is below the minimum of 300000"]);
}

#[test]
fn high_value_uses_converted_budget() {
    let rules = real_estate();
    let q = qualification(&Lead {
        max: Some(1_500_000.0),
        currency: Some("USD"),
        ..Default::default()
    });
    assert!(rules.is_high_value(&q).is_some());
    let q = qualification(&Lead {
        max: Some(1_000_000.0),
        ..Default::default()
    });
    assert!(rules.is_high_value(&q).is_none());
}

/// Orders scores so that a better lead ranks higher; UNSCORED ranks lowest because it
/// means nothing is claimed yet.
fn rank(s: Score) -> u8 {
    match s {
        Score::Unscored => 0,
        Score::Cold => 1,
        Score::Warm => 2,
        Score::Hot => 3,
    }
}

fn arb_lead() -> impl Strategy<Value = Lead> {
    (
        proptest::option::of(prop_oneof![Just("buy_villa"), Just("rent_residential")]),
        proptest::option::of(1_000.0f64..10_000_000.0),
        proptest::option::of(prop_oneof![
            Just(Urgency::High),
            Just(Urgency::Medium),
            Just(Urgency::Low)
        ]),
        proptest::option::of(prop_oneof![
            Just(Timeline::Immediate),
            Just(Timeline::Within1Month),
            Just(Timeline::OneToThreeMonths),
            Just(Timeline::ThreeToSixMonths),
        ]),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(service, max, urgency, timeline, decision_maker)| Lead {
            service,
            max,
            urgency,
            timeline,
            decision_maker,
            ..Default::default()
        })
}

proptest! {
    /// Adding a positive signal (service, decision maker, a faster timeline, high urgency, a budget
    /// at or above the floor) never lowers the score.
    #[test]
    fn positive_signals_never_lower_the_score(lead in arb_lead(), which in 0u8..5) {
        let rules = real_estate();
        let before = score(&qualification(&lead), &rules);
        let mut better = lead.clone();
        match which {
            0 => better.decision_maker = Some(true),
            1 => better.timeline = Some(Timeline::Immediate),
            2 => better.urgency = Some(Urgency::High),
            3 => { if better.service.is_none() { better.service = Some("buy_villa"); } }
            _ => { better.max = Some(rules.floor_for(better.service).max(better.max.unwrap_or(0.0))); }
        }
        let after = score(&qualification(&better), &rules);
        if before.score == Score::Cold && after.score == Score::Unscored {
            // The rules' order: disqualifiers, then too little known. Raising a budget to the
            // floor lifts its disqualification; with fewer than the needed dimensions known the
            // lead is then not yet scored, which claims nothing rather than something worse.
            prop_assert!(
                before.reasons.iter().any(|r| matches!(r, ScoreReason::BudgetBelowMinimum { .. })),
                "{before:?} -> {after:?}"
            );
            prop_assert!(
                after.reasons.iter().any(|r| matches!(r, ScoreReason::NotEnoughKnown { .. })),
                "{before:?} -> {after:?}"
            );
        } else {
            prop_assert!(rank(after.score) >= rank(before.score), "{before:?} -> {after:?}");
        }
    }

    /// A disqualifier always makes the lead COLD, whatever else is known.
    #[test]
    fn disqualifiers_always_give_cold(lead in arb_lead()) {
        let rules = real_estate();
        let mut out = lead.clone();
        out.not_interested = true;
        prop_assert_eq!(score(&qualification(&out), &rules).score, Score::Cold);
        let mut late = lead;
        late.timeline = Some(Timeline::OverSixMonths);
        prop_assert_eq!(score(&qualification(&late), &rules).score, Score::Cold);
    }

    /// Points never exceed the sum of the weights, and the score follows the thresholds.
    #[test]
    fn score_follows_points(lead in arb_lead()) {
        let rules = real_estate();
        let card = score(&qualification(&lead), &rules);
        prop_assert!(card.points <= 6);
        if card.score == Score::Hot { prop_assert!(card.points >= rules.hot_at); }
        if card.score == Score::Warm { prop_assert!(card.points >= rules.warm_at && card.points < rules.hot_at); }
    }
}
