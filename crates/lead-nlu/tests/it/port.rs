//! The domain's `OfflineExtractor` port: profile mapping, evidence with message ids.

use chrono::NaiveDate;
use lead_domain::ports::{ExtractionProfile, OfflineExtractor, Role, Turn};
use lead_domain::qualification::{Currency, Timeline};
use lead_domain::tenant::ServiceDef;
use lead_nlu::OfflineRules;
use std::collections::BTreeMap;

fn profile() -> ExtractionProfile {
    let mut services = BTreeMap::new();
    services.insert(
        "buy_villa".to_owned(),
        ServiceDef {
            description: "buying a villa or house".into(),
            synonyms: vec!["قصر".into()],
        },
    );
    services.insert(
        "buy_apartment".to_owned(),
        ServiceDef {
            description: "buying an apartment".into(),
            synonyms: vec![],
        },
    );
    let mut extra_locations = BTreeMap::new();
    extra_locations.insert("KAEC".to_owned(), "King Abdullah Economic City".to_owned());
    ExtractionProfile {
        industry: "real_estate".into(),
        currency: Currency::code(*b"SAR"),
        services,
        extra_locations,
    }
}

fn turn(role: Role, text: &str) -> Turn {
    Turn {
        role,
        text: text.to_owned(),
        message_id: None,
    }
}

#[test]
fn the_port_reads_fields_with_quotes_of_the_leads_words() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default();
    let turns = vec![
        turn(Role::Lead, "Looking for a villa in KAEC"),
        turn(Role::Agent, "Great, what budget?"),
        turn(Role::Lead, "around 2.5M, next month"),
    ];
    let q = OfflineRules.extract(&profile(), &turns, today);
    assert_eq!(
        q.service.as_ref().map(|f| f.value.as_str()),
        Some("buy_villa")
    );
    assert_eq!(
        q.location.as_ref().map(|f| f.value.as_str()),
        Some("King Abdullah Economic City")
    );
    assert_eq!(
        q.timeline.as_ref().map(|f| f.value),
        Some(Timeline::Within1Month)
    );
    let budget = q
        .budget
        .as_ref()
        .map(|b| (b.value.max, b.value.currency.to_string()));
    assert_eq!(budget, Some((Some(2_500_000.0), "SAR".to_owned())));
    let ev = q.budget.as_ref().and_then(|b| b.evidence.clone());
    assert_eq!(
        ev.as_ref().map(|e| (e.turn, e.quote.as_str())),
        Some((2, "around 2.5M"))
    );
    assert!(q.confidence.is_some_and(|c| c > 0.0 && c <= 1.0));
}

#[test]
fn tenant_synonyms_come_from_the_catalogue() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default();
    let q = OfflineRules.extract(&profile(), &[turn(Role::Lead, "ابي قصر في الرياض")], today);
    assert_eq!(q.service.map(|f| f.value), Some("buy_villa".to_owned()));
}
