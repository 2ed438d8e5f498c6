//! Robustness: arbitrary text in any script never panics and stays fast.

use chrono::NaiveDate;
use lead_domain::qualification::Currency;
use lead_nlu::{Role, RuleExtractor, TenantProfile};
use proptest::prelude::*;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

static EX: LazyLock<RuleExtractor> = LazyLock::new(|| {
    RuleExtractor::new(TenantProfile::new(
        "real_estate",
        Currency::code(*b"SAR"),
        vec![
            ("buy_villa".into(), "buying a villa".into()),
            ("buy_apartment".into(), "buying an apartment".into()),
        ],
    ))
});

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default()
}

/// Pieces that stress the number, date and clitic rules when glued together at random.
const PIECES: &[&str] = &[
    "٠",
    "٫",
    "٬",
    "1,2,3",
    "..",
    "-",
    "و",
    "ال",
    "بال",
    "k",
    "M",
    "ألف",
    "مليون",
    "ونص",
    "between",
    "and",
    "بين",
    "$",
    "3andi",
    "ـــ",
    "\u{064B}",
    "🙂",
    "\u{200F}",
    "۹",
    "in",
    "months",
    "شهر",
    "next",
    "من",
    "الى",
    "+",
    "0",
    "999999999999999999999",
    "1e308",
    "ة",
    "آ",
    " ",
    "\n",
    "٪",
    "m²",
    "a",
    "half",
    "stop",
    "yes",
    "؟",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let _ = EX.extract(&[(Role::Lead, text.as_str())], today());
    }

    #[test]
    fn glued_pieces_never_panic(idx in proptest::collection::vec(0..PIECES.len(), 0..80), agent in "\\PC{0,40}") {
        let text: String = idx.iter().map(|i| PIECES[*i]).collect();
        let q = EX.extract(&[(Role::Agent, agent.as_str()), (Role::Lead, text.as_str())], today()).qualification;
        if let Some(b) = q.budget.map(|b| b.value) {
            prop_assert!(b.min.is_none_or(f64::is_finite) && b.max.is_none_or(f64::is_finite));
        }
    }
}

#[test]
fn very_long_adversarial_input_stays_fast() {
    let long =
        "بين ٦ و ٧ ملايين و ".repeat(5000) + &"1,000,000-".repeat(5000) + &"ا".repeat(100_000);
    let start = Instant::now();
    let _ = EX.extract(
        &[
            (Role::Lead, long.as_str()),
            (Role::Agent, long.as_str()),
            (Role::Lead, "budget 1M"),
        ],
        today(),
    );
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
}
