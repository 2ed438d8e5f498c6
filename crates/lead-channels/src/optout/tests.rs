//! Table tests for opt-out keyword detection.

use super::*;

fn check(cases: &[(&str, Option<KeywordIntent>)]) {
    for (message, expected) in cases {
        assert_eq!(classify(message), *expected, "{message:?}");
    }
}

#[test]
fn english_keywords_opt_out_in_any_case_and_punctuation() {
    let out = Some(KeywordIntent::OptOut);
    check(&[
        ("STOP", out),
        ("stop", out),
        ("  Stop.  ", out),
        ("STOP!!!", out),
        ("*stop*", out),
        ("STOPALL", out),
        ("stop all", out),
        ("Unsubscribe", out),
        ("CANCEL", out),
        ("end", out),
        ("Quit\n", out),
        ("stop 🛑", out),
    ]);
}

#[test]
fn arabic_keywords_opt_out_in_any_spelling() {
    let out = Some(KeywordIntent::OptOut);
    check(&[
        ("إلغاء", out),
        ("الغاء", out),
        ("ألغاء", out),
        ("إلغاء الاشتراك", out),
        ("الغاء الإشتراك", out),
        ("توقف", out),
        ("تَوَقَّفْ", out),
        ("توقـــف", out),
        ("ايقاف", out),
        ("إيقاف", out),
        ("أوقف!", out),
        ("ستوب", out),
        ("wa2ef", out),
        ("Wa2if", out),
        ("wa٢ef", out),
        ("توقف.", out),
        ("توقف؟", out),
        ("«الغاء»", out),
    ]);
}

#[test]
fn opt_in_keywords_resubscribe() {
    let back = Some(KeywordIntent::OptIn);
    check(&[
        ("START", back),
        ("start", back),
        ("Unstop", back),
        ("YES", back),
        ("yes!", back),
        ("ابدأ", back),
    ]);
}

#[test]
fn keywords_inside_sentences_are_ordinary_messages() {
    check(&[
        ("please stop", None),
        ("don't stop", None),
        ("stop calling me after 5pm please", None),
        ("I want to cancel my old order and buy a new one", None),
        ("أريد إلغاء الطلب القديم", None),
        ("متى توقف العرض؟", None),
        ("stopper", None),
        ("yesterday", None),
        ("", None),
        ("   ", None),
        ("!!!", None),
        ("مرحبا", None),
        ("hello", None),
    ]);
}

#[test]
fn normalisation_folds_spelling_variants() {
    assert_eq!(normalize("إِلْغَاء"), normalize("الغاء"));
    assert_eq!(normalize("مستشفى"), normalize("مستشفي"));
    assert_eq!(normalize("مدرسة"), normalize("مدرسه"));
    assert_eq!(normalize("S-T-O-P"), "stop");
}
