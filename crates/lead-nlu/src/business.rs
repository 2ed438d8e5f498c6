//! Questions the lead asks about the business itself: when it opens or works, and where its office
//! or branch is. The time and place words in them are the business's, not the lead's plan, so
//! "what time does your office open on Saturday?" gives neither a timeline nor a commercial service.

use crate::analyze::TurnData;
use crate::text::{Kind, Script, tokenize};
use std::sync::LazyLock;

/// Normalises a word list with the lead-text tokenizer, so spelling variants compare equal.
fn normalised(words: &[&str]) -> Vec<String> {
    words
        .iter()
        .filter_map(|w| tokenize(w).into_iter().next().map(|t| t.norm))
        .collect()
}

/// Arabic-script and Arabizi words that ask whether or when the business opens, closes or works:
/// second-person plural verbs ("بتشتغلوا", "تفتحون") and the business's hours ("دوامكم").
static HOURS_WORDS: LazyLock<Vec<String>> = LazyLock::new(|| {
    normalised(&[
        // open
        "تفتحون",
        "تفتحوا",
        "تفتحو",
        "بتفتحوا",
        "بتفتحو",
        "بتفتحون",
        "فاتحين",
        "مفتوحين",
        // close
        "تسكرون",
        "تسكروا",
        "تسكرو",
        "بتسكروا",
        "بتسكرو",
        "تقفلون",
        "تقفلوا",
        "بتقفلوا",
        "بتقفلو",
        "تغلقون",
        "مسكرين",
        "قافلين",
        // work
        "تشتغلون",
        "تشتغلوا",
        "تشتغلو",
        "بتشتغلوا",
        "بتشتغلو",
        "بتشتغلون",
        "شغالين",
        "تداومون",
        "تداوموا",
        "بتداوموا",
        "بتداومو",
        // hours
        "دوام",
        "الدوام",
        "دوامكم",
        "دوامكن",
        "دوامك",
        "مواعيدكم",
        "مواعيدكن",
        "اوقاتكم",
        "ساعات العمل",
        // Arabizi
        "btefta7o",
        "btifta7o",
        "btfta7o",
        "tefta7o",
        "tifta7o",
        "fat7in",
        "fat7een",
        "btsakro",
        "btsakkro",
        "bt2flo",
        "btshta8lo",
        "btishta8lo",
        "btesh8alo",
        "btshtghlo",
        "btishtaghlo",
        "tishta8lo",
        "teshta8lo",
        "shaghalin",
        "sha8alin",
        "dawamkom",
        "dawamkon",
        "dawam",
    ])
});

/// Arabic third-person verbs of opening, closing and working ("متى يفتح المكتب"): about the business
/// when the sentence names its premises.
static AR_HOURS_VERBS_OF_PREMISES: LazyLock<Vec<String>> = LazyLock::new(|| {
    normalised(&[
        "يفتح",
        "بيفتح",
        "تفتح",
        "بتفتح",
        "يسكر",
        "بيسكر",
        "تسكر",
        "بتسكر",
        "يقفل",
        "بيقفل",
        "تقفل",
        "بتقفل",
        "يغلق",
        "تغلق",
        "يشتغل",
        "بيشتغل",
        "تشتغل",
        "بتشتغل",
        "يداوم",
        "مفتوح",
        "مفتوحه",
        "فاتح",
        "فاتحه",
        "مسكر",
        "مسكره",
        "شغال",
        "شغاله",
    ])
});

/// English verbs of opening, closing and working; about the business only with a second-person or
/// premises subject just before ("do you open", "does ur office close"). "Available" is not one:
/// "are you available tomorrow?" is the lead saying when they want the service.
const EN_HOURS_VERBS: &[&str] = &[
    "open", "opens", "opening", "close", "closes", "closing", "closed", "work", "working",
];

/// English nouns for the business's hours ("your hours", "opening hours").
const EN_HOURS_NOUNS: &[&str] = &["hours", "timings", "timing", "schedule"];

/// Words before an hours noun that make it the business's hours.
const EN_HOURS_OWNERS: &[&str] = &[
    "your", "ur", "yr", "opening", "working", "business", "office", "clinic", "open",
];

/// Subjects that are the business: second person, or its premises.
const EN_BUSINESS_SUBJECTS: &[&str] = &[
    "you", "u", "ya", "yall", "y'all", "guys", "your", "ur", "yr", "office", "offices", "clinic",
    "branch", "showroom", "shop", "store", "center", "centre", "they",
];

/// Words right after a work/open verb that make it a task the lead asks for ("work on my kitchen",
/// "open a file", "available to start"), so the time in the sentence is the lead's.
const EN_TASK_OBJECTS: &[&str] = &[
    "it", "this", "that", "my", "our", "the", "a", "an", "his", "her", "them", "to", "for", "deal",
    "account",
];

/// Words that open a question.
static QUESTION_WORDS: LazyLock<Vec<String>> = LazyLock::new(|| {
    normalised(&[
        "what",
        "when",
        "are",
        "r",
        "do",
        "does",
        "is",
        "will",
        "how",
        "till",
        "until",
        "هل",
        "متى",
        "امتى",
        "إمتى",
        "ايمتى",
        "وقتيش",
        "ايش",
        "شو",
        "كم",
        "لحد",
        "لين",
        "emta",
        "emtah",
        "imta",
        "imtah",
        "shu",
        "sho",
        "esh",
        "hal",
    ])
});

/// Premises words: a business's office, branch, clinic or showroom.
const EN_PREMISES: &[&str] = &[
    "office",
    "offices",
    "branch",
    "branches",
    "showroom",
    "clinic",
    "shop",
    "store",
    "center",
    "centre",
    "premises",
    "headquarters",
    "hq",
    "location",
    "outlet",
];

/// Arabic premises stems; "مكتبكم", "فرعكم" are the business's (second-person plural suffix).
static AR_PREMISES: LazyLock<Vec<String>> = LazyLock::new(|| {
    normalised(&[
        "مكتب",
        "مكاتب",
        "فرع",
        "فروع",
        "معرض",
        "عيادة",
        "محل",
        "مقر",
        "مركز",
        "شركة",
        "موقع",
    ])
});

/// The second-person plural possessive suffixes of Arabic ("كم" Gulf/MSA, "كن" Levantine, "كو" Iraqi).
const AR_YOUR_SUFFIXES: &[&str] = &["كم", "كن", "كو"];

/// Arabic clitics that may precede a word: و ف ب ل and the article.
const AR_LEADING: &[&str] = &[
    "وبال", "وال", "بال", "فال", "لل", "ال", "وب", "ول", "فب", "و", "ف", "ب", "ل",
];

fn is_latin(t: &TurnData<'_>, k: usize) -> bool {
    t.toks
        .get(k)
        .is_some_and(|x| x.kind == Kind::Word(Script::Latin))
}

fn norm_at<'t>(t: &'t TurnData<'_>, k: usize) -> &'t str {
    t.toks.get(k).map_or("", |x| x.norm.as_str())
}

/// An Arabic word with a leading و or ف removed, when what is left is still a word.
fn without_conjunction(norm: &str) -> &str {
    for p in ["و", "ف"] {
        if let Some(rest) = norm.strip_prefix(p)
            && rest.chars().count() >= 3
        {
            return rest;
        }
    }
    norm
}

/// Whether token `k` (in sentence bounds `from..to`) is a word asking about the business's hours.
fn is_hours_word(t: &TurnData<'_>, k: usize, from: usize, to: usize) -> bool {
    let norm = norm_at(t, k);
    if is_latin(t, k) {
        if EN_HOURS_VERBS.contains(&norm) {
            let subject = (k.saturating_sub(3).max(from)..k)
                .any(|j| EN_BUSINESS_SUBJECTS.contains(&norm_at(t, j)));
            let mut next = k + 1;
            if norm_at(t, next) == "on" {
                next += 1;
            }
            let task = next < to && EN_TASK_OBJECTS.contains(&norm_at(t, next));
            return subject && !task;
        }
        if EN_HOURS_NOUNS.contains(&norm) {
            return k > from && EN_HOURS_OWNERS.contains(&norm_at(t, k - 1));
        }
    }
    let word = without_conjunction(norm);
    if HOURS_WORDS.iter().any(|w| w == word || w == norm) {
        return true;
    }
    if AR_HOURS_VERBS_OF_PREMISES.iter().any(|w| w == word) {
        return (from..to).any(|j| premises_at(t, j).is_some());
    }
    // Two-word forms: "ساعات العمل", "مواعيد العمل", "أوقات الدوام".
    let next = norm_at(t, k + 1);
    k + 1 < to
        && matches!(word, "ساعات" | "مواعيد" | "اوقات")
        && matches!(next, "العمل" | "الدوام" | "الشغل")
}

/// Whether the sentence `from..to` is a question: a question mark, or a question word (or the hours
/// word itself, as in the verb-first "بتشتغلوا السبت") at its start.
fn is_question(t: &TurnData<'_>, from: usize, to: usize, hours_at: usize) -> bool {
    if t.toks[from..to]
        .iter()
        .any(|x| x.is_punct('?') || x.is_punct('؟'))
    {
        return true;
    }
    let Some(first) = (from..to).find(|&k| t.toks[k].is_word()) else {
        return false;
    };
    first == hours_at || QUESTION_WORDS.iter().any(|w| w == norm_at(t, first))
}

/// The sentences of a lead turn that ask about the business's opening or working hours; time words in
/// them say when the business works, not when the lead wants to act.
pub fn hours_question_sentences(t: &TurnData<'_>) -> Vec<u32> {
    let mut found = Vec::new();
    let mut from = 0;
    while from < t.toks.len() {
        let to = t.sentence_end(from);
        let asks_hours = (from..to).find(|&k| is_hours_word(t, k, from, to));
        if let Some(k) = asks_hours
            && is_question(t, from, to, k)
        {
            found.push(t.sentence(from));
        }
        from = to.max(from + 1);
    }
    found
}

/// Whether token `k` is a premises word (office, branch, clinic, مكتب, فرع); `Some(true)` when the
/// business owns it ("your office", "مكتبكم", "فرعكم").
fn premises_at(t: &TurnData<'_>, k: usize) -> Option<bool> {
    let norm = norm_at(t, k);
    if is_latin(t, k) {
        if !EN_PREMISES.contains(&norm) {
            return None;
        }
        let possessed = k > 0
            && matches!(norm_at(t, k - 1), "your" | "ur" | "yr" | "yours")
            && t.sentence(k - 1) == t.sentence(k);
        return Some(possessed);
    }
    let mut stems = vec![norm];
    for p in AR_LEADING {
        if let Some(rest) = norm.strip_prefix(p)
            && rest.chars().count() >= 3
        {
            stems.push(rest);
        }
    }
    let premises = |w: &str| AR_PREMISES.iter().any(|p| p == w);
    // "عيادتكم": a ta-marbuta word shows its ت before a suffix.
    let premises_before_suffix = |base: &str| {
        premises(base)
            || base
                .strip_suffix('ت')
                .is_some_and(|b| premises(&format!("{b}ه")))
    };
    let possessed = stems.iter().any(|stem| {
        AR_YOUR_SUFFIXES
            .iter()
            .any(|s| stem.strip_suffix(s).is_some_and(premises_before_suffix))
    });
    if possessed {
        Some(true)
    } else if stems.iter().any(|stem| premises(stem)) {
        Some(false)
    } else {
        None
    }
}

/// Whether token `k` names the business's own premises ("your office", "ur branch", "مكتبكم",
/// "فرعكم"), or any premises word inside a question about the business's hours; such a word is
/// where the business is, not a commercial property the lead wants.
pub fn names_business_premises(t: &TurnData<'_>, k: usize, hours_sentences: &[u32]) -> bool {
    match premises_at(t, k) {
        Some(true) => true,
        Some(false) => hours_sentences.contains(&t.sentence(k)),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{Role, analyze};
    use crate::lexicon::Lexicon;

    fn hours(text: &str) -> bool {
        let conv = analyze(&[(Role::Lead, text)], &Lexicon::default());
        conv.lead
            .first()
            .is_some_and(|t| !hours_question_sentences(t).is_empty())
    }

    #[test]
    fn questions_about_opening_hours_are_found() {
        for text in [
            "what time does your clinic open on friday?",
            "are u guys open tomorrow",
            "do you work on sundays?",
            "when do you close tonight?",
            "what are your hours on saturday?",
            "تفتحون يوم الجمعة؟",
            "بتشتغلوا يوم السبت؟",
            "متى دوامكم بكرة",
            "امتى بتقفلوا النهارده؟",
            "btishta8lo yom el sabt?",
            "متى يفتح مكتبكم يوم الخميس؟",
            "when does the clinic open on friday?",
        ] {
            assert!(hours(text), "{text}");
        }
    }

    #[test]
    fn a_task_asked_for_a_time_is_not_an_hours_question() {
        for text in [
            "can you work on my kitchen tomorrow?",
            "are you available to start next week?",
            "I want to open a shop next month",
            "بدي اشتري شقة الشهر الجاي",
        ] {
            assert!(!hours(text), "{text}");
        }
    }

    #[test]
    fn premises_of_the_business_are_told_from_premises_the_lead_wants() {
        let owned = |text: &str, word: usize| {
            let conv = analyze(&[(Role::Lead, text)], &Lexicon::default());
            conv.lead
                .first()
                .is_some_and(|t| names_business_premises(t, word, &hours_question_sentences(t)))
        };
        assert!(owned("where is your office", 3));
        assert!(owned("وين مكتبكم", 1));
        assert!(owned("فرعكم وين بالضبط", 0));
        assert!(owned("عيادتكم قريبة؟", 0));
        assert!(!owned("I want an office in Riyadh", 3));
        assert!(!owned("ابي مكتب في الرياض", 1));
    }
}
