//! Tests of the number grammar: digits with multipliers, Arabic and English number words.

use super::*;
use crate::analyze::{Role, analyze};
use crate::lexicon::Lexicon;

/// The value of the first number expression of a lead text.
fn qty(text: &str) -> Option<f64> {
    let turns = [(Role::Lead, text)];
    let conv = analyze(&turns, &Lexicon::default());
    let t = conv.lead.first()?;
    (0..t.toks.len())
        .find_map(|i| parse_qty(t, i))
        .map(|q| q.value)
}

#[test]
fn number_grammar() {
    for (text, want) in [
        ("800k", 800_000.0),
        ("1.2M", 1_200_000.0),
        ("2 million", 2_000_000.0),
        ("800,000", 800_000.0),
        ("مليونين", 2_000_000.0),
        ("٨٠٠ ألف", 800_000.0),
        ("مليون ونص", 1_500_000.0),
        ("نص مليون", 500_000.0),
        ("ثلاثمية ألف", 300_000.0),
        ("مية وعشرين ألف", 120_000.0),
        ("مئتين وخمسين ألف", 250_000.0),
        ("ألف وخمسمية", 1_500.0),
        ("خمسة آلاف", 5_000.0),
        ("ميتين وخمسين", 250.0),
        ("700 alf", 700_000.0),
        ("half a million", 500_000.0),
        ("a million", 1_000_000.0),
        ("two and a half million", 2_500_000.0),
        ("three hundred thousand", 300_000.0),
        ("twenty five thousand", 25_000.0),
        ("one hundred and fifty thousand", 150_000.0),
        ("خمسة وعشرين ألف", 25_000.0),
        ("مليون و ٢٠٠ ألف", 1_200_000.0),
        ("١٫٥ مليون", 1_500_000.0),
    ] {
        let got = qty(text);
        assert!(
            got.is_some_and(|g| (g - want).abs() < 1e-6),
            "{text}: expected {want}, got {got:?}"
        );
    }
}

#[test]
fn words_that_are_not_numbers() {
    for text in ["k", "million", "the second half", "a flat", "and"] {
        assert_eq!(qty(text), None, "{text}");
    }
}

#[test]
fn two_figures_joined_by_and_stay_apart() {
    assert_eq!(qty("600k and 800k"), Some(600_000.0));
    assert_eq!(qty("٦ و ٧ ملايين"), Some(6.0));
}
