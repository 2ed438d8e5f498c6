//! Embeds the lead domain in another program: build a tenant's rules and hours, feed what a lead
//! said, and print the score, the state and what a salesperson should know. No I/O, no framework.

use chrono::{DateTime, NaiveTime, Utc};
use lead_domain::escalation::{self, EscalationInput, EscalationPolicy};
use lead_domain::hours::{BusinessHours, Shift, parse_timezone};
use lead_domain::lifecycle::{LeadEvent, LeadState, transition};
use lead_domain::qualification::{Budget, Currency, Fact, Qualification, Timeline};
use lead_domain::scoring::{QualificationRules, Score, score};
use std::collections::BTreeMap;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A real-estate broker in Riyadh: SAR, 300k minimum, 5M high-value threshold, open 9-18.
    let rules = QualificationRules::new(Currency::parse("SAR")?, 300_000.0, 5_000_000.0);
    let shift = Shift {
        start: NaiveTime::from_hms_opt(9, 0, 0).ok_or("time")?,
        end: NaiveTime::from_hms_opt(18, 0, 0).ok_or("time")?,
    };
    let days: BTreeMap<String, Vec<Shift>> =
        ["sunday", "monday", "tuesday", "wednesday", "thursday"]
            .iter()
            .map(|d| ((*d).to_owned(), vec![shift]))
            .collect();
    let hours = BusinessHours::from_days(parse_timezone("Asia/Riyadh")?, &days, [])?;
    let now: DateTime<Utc> =
        DateTime::parse_from_rfc3339("2026-11-24T19:30:00Z")?.with_timezone(&Utc);

    // What the lead said over two messages, as an extractor (offline or a model) read it.
    let mut known = Qualification {
        service: Some(Fact::stated("buy_apartment".to_owned())),
        budget: Some(Fact::stated(Budget {
            min: None,
            max: Some(1_000_000.0),
            currency: Currency::parse("SAR")?,
            confirmed: false,
        })),
        ..Default::default()
    };
    let correction = Qualification {
        budget: Some(Fact::stated(Budget {
            min: None,
            max: Some(900_000.0),
            currency: Currency::parse("SAR")?,
            confirmed: true,
        })),
        timeline: Some(Fact::stated(Timeline::Within1Month)),
        decision_maker: Some(Fact::stated(true)),
        ..Default::default()
    };
    known.merge(correction.clone());

    let card = score(&known, &rules);
    let mut state = LeadState::New;
    let mut history = vec![transition(
        state,
        LeadEvent::StartQualifying,
        "first message",
        now,
    )?];
    state = LeadState::Qualifying;
    if card.score == Score::Hot {
        history.push(transition(state, LeadEvent::Qualify, "score HOT", now)?);
        state = LeadState::Qualified;
    }
    let escalations = escalation::evaluate(
        &EscalationPolicy::default(),
        &rules,
        &EscalationInput {
            qualification: &known,
            previous: &Qualification::default(),
            reading: &correction,
            message_id: None,
            exchanges: 2,
            latest_text: "actually 900k, not 1M",
            history: &[],
        },
    );

    println!("score: {} ({} points)", card.score, card.points);
    for reason in &card.reasons {
        println!("  {reason}");
    }
    println!("state: {state} after {} transitions", history.len());
    println!("escalations: {}", escalations.len());
    match hours.next_opening(now) {
        Some(at) if at > now => println!(
            "closed now; a person calls back at {}",
            at.with_timezone(&hours.timezone())
        ),
        _ => println!("open now"),
    }
    Ok(())
}
