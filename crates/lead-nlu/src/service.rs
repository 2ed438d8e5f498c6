//! Services: industry rules that combine feature words (intent, object, modifiers) into a key of the
//! tenant's catalogue, plus tenant synonyms and catalogue descriptions for any other industry.

use crate::analyze::Conversation;
use crate::lexicon::Concept;
use crate::signals::Read;

/// One rule: the service `key` scores the weights of the features present, when any of `need`
/// is present (or `need` is empty) and none of `forbid` is.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Catalogue key.
    pub key: &'static str,
    /// At least one of these features must be present.
    pub need: &'static [&'static str],
    /// None of these may be present.
    pub forbid: &'static [&'static str],
    /// Feature weights.
    pub weights: &'static [(&'static str, i32)],
}

const fn rule(
    key: &'static str,
    need: &'static [&'static str],
    forbid: &'static [&'static str],
    weights: &'static [(&'static str, i32)],
) -> Rule {
    Rule {
        key,
        need,
        forbid,
        weights,
    }
}

const REAL_ESTATE: &[Rule] = &[
    rule(
        "sell_property",
        &["sell", "rentout"],
        &[],
        &[("sell", 3), ("rentout", 4)],
    ),
    rule(
        "rent_residential",
        &["rent"],
        &["commercial", "rentout"],
        &[("rent", 3), ("apartment", 1), ("villa", 1)],
    ),
    rule("commercial", &[], &[], &[("commercial", 3)]),
    rule(
        "buy_villa",
        &[],
        &["rent", "sell"],
        &[("villa", 2), ("buy", 1)],
    ),
    rule(
        "buy_apartment",
        &[],
        &["rent", "sell"],
        &[("apartment", 2), ("buy", 1)],
    ),
    rule(
        "land",
        &[],
        &["rent", "sell"],
        &[("land", 2), ("plot", 2), ("buy", 1)],
    ),
];

const DENTAL: &[Rule] = &[
    rule("whitening", &[], &[], &[("whitening", 4)]),
    rule("implants", &[], &[], &[("implant", 4)]),
    rule("orthodontics", &[], &[], &[("braces", 4)]),
    rule("cosmetic", &[], &[], &[("veneers", 4)]),
    rule(
        "checkup_cleaning",
        &[],
        &[],
        &[("checkup", 3), ("cleaning", 3)],
    ),
    rule("emergency", &[], &[], &[("toothpain", 3)]),
];

const HOME: &[Rule] = &[
    rule("ac_install", &["ac"], &[], &[("ac", 1), ("install", 3)]),
    rule("ac_repair", &["ac"], &[], &[("ac", 2), ("repair", 2)]),
    rule("plumbing", &[], &[], &[("plumbing", 3)]),
    rule("electrical", &[], &[], &[("electric", 3)]),
    rule("renovation", &[], &[], &[("renovation", 3), ("kitchen", 1)]),
    rule("cleaning", &[], &[], &[("cleaning", 3)]),
];

const AUTO: &[Rule] = &[
    rule("trade_in", &[], &[], &[("tradein", 4), ("sell", 3)]),
    rule("financing", &[], &[], &[("finance", 4)]),
    rule("service_maintenance", &[], &[], &[("carservice", 3)]),
    rule("used_car", &[], &[], &[("used", 3), ("car", 1), ("buy", 1)]),
    rule(
        "new_car",
        &[],
        &["used"],
        &[("newcar", 2), ("car", 2), ("buy", 1)],
    ),
];

const EDUCATION: &[Rule] = &[
    rule("university_admission", &[], &[], &[("university", 4)]),
    rule("corporate_training", &[], &[], &[("corporate", 4)]),
    rule("english_course", &[], &[], &[("english", 4)]),
    rule(
        "coding_bootcamp",
        &[],
        &[],
        &[("coding", 4), ("dataanalysis", 1)],
    ),
    rule("kids_tutoring", &[], &[], &[("tutor", 4), ("schoolkid", 2)]),
];

const SOLAR: &[Rule] = &[
    rule("battery_storage", &[], &[], &[("battery", 4)]),
    rule("maintenance", &[], &[], &[("fix", 3)]),
    rule(
        "commercial_solar",
        &[],
        &[],
        &[("business", 3), ("solar", 1)],
    ),
    rule("residential_solar", &[], &[], &[("solar", 2), ("home", 1)]),
];

/// The built-in rules of an industry, when we have them.
pub fn rules_for(industry: &str) -> &'static [Rule] {
    match industry
        .trim()
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
        .as_str()
    {
        "real_estate" | "realestate" | "property" => REAL_ESTATE,
        "dental_clinic" | "dental" | "dentist" | "clinic" => DENTAL,
        "home_services" | "home_service" | "maintenance" | "contractor" => HOME,
        "auto_dealer" | "auto" | "car_dealer" | "automotive" => AUTO,
        "education" | "training" | "school" => EDUCATION,
        "solar" | "energy" => SOLAR,
        _ => &[],
    }
}

/// Scores the rules over one set of features and tenant scores; the best key and its score.
fn pick<'c>(
    rules: &[Rule],
    catalogue: &'c [String],
    feats: &[&'static str],
    tenant_scores: &[i32],
) -> Option<(i32, &'c str)> {
    let has = |f: &str| feats.contains(&f);
    let mut pick: Option<(i32, &'c str)> = None;
    for r in rules {
        let Some(key) = catalogue.iter().find(|k| *k == r.key) else {
            continue;
        };
        if !r.need.is_empty() && !r.need.iter().any(|f| has(f)) {
            continue;
        }
        if r.forbid.iter().any(|f| has(f)) {
            continue;
        }
        let score: i32 = r
            .weights
            .iter()
            .filter(|(f, _)| has(f))
            .map(|(_, w)| *w)
            .sum();
        if score >= 2 && pick.is_none_or(|(s, _)| score > s) {
            pick = Some((score, key.as_str()));
        }
    }
    for (idx, s) in tenant_scores.iter().enumerate() {
        if *s >= 2 && pick.is_none_or(|(ps, _)| *s > ps) {
            pick = catalogue.get(idx).map(|k| (*s, k.as_str()));
        }
    }
    pick
}

/// Picks the service the lead wants now. Within a turn each sentence is scored on its own and the
/// strongest wins (the earliest on a tie, since leads state the request first); across turns the
/// latest turn that names a service wins.
pub fn extract(
    conv: &Conversation<'_>,
    rules: &[Rule],
    catalogue: &[String],
) -> Option<Read<String>> {
    let mut best: Option<Read<String>> = None;
    let mut feats: Vec<&'static str> = Vec::with_capacity(16);
    let mut tenant_scores: Vec<i32> = vec![0; catalogue.len()];
    for t in &conv.lead {
        let mut turn_pick: Option<(i32, &str, usize, usize)> = None;
        let hours_questions = crate::business::hours_question_sentences(t);
        let mut k = 0;
        while k < t.hits.len() {
            let sentence = t.sentence(t.hits[k].start);
            feats.clear();
            tenant_scores.iter_mut().for_each(|s| *s = 0);
            let (mut first, mut last) = (usize::MAX, 0usize);
            while k < t.hits.len() && t.sentence(t.hits[k].start) == sentence {
                let h = &t.hits[k];
                k += 1;
                match h.c {
                    // "your office", "فرعكم": where the business is, not what the lead wants.
                    Concept::Feature(_)
                        if crate::business::names_business_premises(
                            t,
                            h.start,
                            &hours_questions,
                        ) =>
                    {
                        continue;
                    }
                    Concept::Feature(f) => {
                        if !feats.contains(&f) {
                            feats.push(f);
                        }
                    }
                    Concept::TenantService(idx) => {
                        if let Some(s) = tenant_scores.get_mut(usize::from(idx)) {
                            *s += 3;
                        }
                    }
                    _ => continue,
                }
                first = first.min(h.start);
                last = last.max(h.end);
            }
            if first == usize::MAX {
                continue;
            }
            if let Some((score, key)) = pick(rules, catalogue, &feats, &tenant_scores)
                && turn_pick.is_none_or(|(s, ..)| score > s)
            {
                turn_pick = Some((score, key, first, last));
            }
        }
        if let Some((score, key, first, last)) = turn_pick {
            let confidence = if score >= 4 { 0.9 } else { 0.75 };
            best = Some(Read {
                value: key.to_owned(),
                turn: t.index,
                span: t.span(first, last),
                confidence,
            });
        }
    }
    best
}
