//! Tests of normalisation, tokenisation and number parsing.

use super::*;

fn norms(text: &str) -> Vec<String> {
    tokenize(text).into_iter().map(|t| t.norm).collect()
}

fn value(raw: &str) -> Option<f64> {
    parse_number(raw).map(|n| n.value)
}

#[test]
fn arabic_letters_are_unified_and_marks_dropped() {
    assert_eq!(norms("أإآ ى ة"), vec!["ااا", "ي", "ه"]);
    assert_eq!(norms("أإآ"), vec!["ااا"]);
    assert_eq!(norms("مستشفى"), vec!["مستشفي"]);
    assert_eq!(norms("شقة"), vec!["شقه"]);
    assert_eq!(norms("مـــرحـبـاً"), vec!["مرحبا"]);
    assert_eq!(norms("عمّان"), vec!["عمان"]);
}

#[test]
fn digits_of_every_script_become_ascii() {
    assert_eq!(tokenize("٨٠٠")[0].num().map(|n| n.value), Some(800.0));
    assert_eq!(tokenize("۱۲۳")[0].num().map(|n| n.value), Some(123.0));
    let toks = tokenize("١٫٥ مليون و ١٥٠٬٠٠٠");
    assert_eq!(toks[0].num().map(|n| n.value), Some(1.5));
    assert_eq!(toks[3].num().map(|n| n.value), Some(150_000.0));
}

#[test]
fn separators_resolve_to_thousands_or_decimals() {
    for (raw, want) in [
        ("1,200,000", Some(1_200_000.0)),
        ("12,000", Some(12_000.0)),
        ("1.2", Some(1.2)),
        ("2,5", Some(2.5)),
        ("1.200.000", Some(1_200_000.0)),
        ("1,200.50", Some(1200.5)),
        ("1.2.3", None),
    ] {
        assert_eq!(value(raw), want, "{raw}");
    }
}

#[test]
fn glued_units_split_and_arabizi_words_stay_whole() {
    assert_eq!(
        norms("800k 1.2M 3BR"),
        vec!["800", "k", "1.2", "m", "3", "br"]
    );
    assert_eq!(
        norms("3andi 7aga a3raf b4"),
        vec!["3andi", "7aga", "a3raf", "b4"]
    );
    assert_eq!(norms("SR500"), vec!["sr", "500"]);
    assert_eq!(
        norms("check-up 400-450"),
        vec!["check", "up", "400", "-", "450"]
    );
}

#[test]
fn spans_point_at_the_original_text() {
    let text = "ميزانيتي ٨٠٠ ألف, budget 900k";
    for t in tokenize(text) {
        assert!(
            text.get(t.start..t.end).is_some(),
            "span {}..{} of {:?}",
            t.start,
            t.end,
            t.norm
        );
    }
    let toks = tokenize(text);
    let k = toks.iter().position(|t| t.norm == "k").unwrap_or(0);
    assert_eq!(&text[toks[k].start..toks[k].end], "k");
    assert_eq!(&text[toks[1].start..toks[1].end], "٨٠٠");
}

#[test]
fn sentences_split_at_end_punctuation() {
    let toks = tokenize("hi. ok? yes\nno؟ fine");
    let s: Vec<u32> = toks
        .iter()
        .filter(|t| t.is_word())
        .map(|t| t.sentence)
        .collect();
    assert_eq!(s, vec![0, 1, 2, 3, 4]);
}
