//! Reading booking requests and slot choices: "I'd like to visit", "the second one", "Tuesday at
//! 4", "أبغى موعد", "الثاني", "بكرة الساعة ٤", "cancel my appointment", "ألغِ الموعد".
//!
//! Works on the same normalised tokens as the qualifier, so Arabic letter variants, diacritics and
//! digits of every script read alike.

use crate::text::{Kind, Token, tokenize};
use chrono::{Duration, NaiveDate, NaiveTime, Weekday};
use lead_domain::booking::{BookingAsk, BookingReader, BookingReading, LAST};

/// Arabic clitics that attach to the front of a word ("والثاني", "بالموعد", "للزيارة").
const AR_PREFIXES: &[&str] = &["وبال", "فال", "بال", "وال", "لل", "ال", "و", "ب", "ف", "ل"];

/// The forms of a normalised word to compare against a list: itself and without a leading clitic.
fn forms(word: &str) -> Vec<&str> {
    let mut out = vec![word];
    for p in AR_PREFIXES {
        if let Some(rest) = word.strip_prefix(p)
            && rest.chars().count() >= 2
        {
            out.push(rest);
        }
    }
    out
}

fn is_any(word: &str, list: &[&str]) -> bool {
    forms(word).iter().any(|f| list.contains(f))
}

fn word(t: &Token) -> Option<&str> {
    matches!(t.kind, Kind::Word(_)).then_some(t.norm.as_str())
}

const CANCEL: &[&str] = &[
    "cancel",
    "cancelled",
    "canceled",
    "cancellation",
    "cancelling",
    "canceling",
    "الغ",
    "الغي",
    "الغاء",
    "الغو",
    "الغوا",
    "نلغي",
    "تلغي",
    "تلغون",
    "كنسل",
    "كنسلو",
    "كنسلوا",
    "ملغي",
];

const RESCHEDULE: &[&str] = &[
    "reschedule",
    "rescheduled",
    "rebook",
    "postpone",
    "postponed",
    "تاجيل",
    "اجل",
    "ااجل",
    "ناجل",
    "اجلو",
    "تأجيل",
];

/// Verbs that reschedule when the message is about the appointment or names a day or time.
const MOVE: &[&str] = &[
    "move",
    "change",
    "shift",
    "push",
    "bring",
    "switch",
    "اغير",
    "نغير",
    "تغير",
    "غير",
    "تغيير",
    "غيرو",
    "انقل",
    "ننقل",
    "نقل",
    "بدل",
    "ابدل",
    "نبدل",
    "تبديل",
    "اقدم",
    "نقدم",
    "اخر",
    "نأخر",
    "ناخر",
];

/// Words that make a generic verb ("change") about the appointment.
const APPOINTMENT: &[&str] = &[
    "appointment",
    "appt",
    "meeting",
    "booking",
    "viewing",
    "visit",
    "consultation",
    "slot",
    "it",
    "time",
    "موعد",
    "الموعد",
    "موعدي",
    "مواعيد",
    "الحجز",
    "حجز",
    "حجزي",
    "الزياره",
    "زياره",
    "الوقت",
    "وقت",
    "المقابله",
];

const MEET: &[&str] = &[
    "appointment",
    "appt",
    "meeting",
    "meet",
    "viewing",
    "visit",
    "consultation",
    "consult",
    "book",
    "booking",
    "schedule",
    "tour",
    "showroom",
    "موعد",
    "مواعيد",
    "احجز",
    "نحجز",
    "حجز",
    "ازوركم",
    "نزوركم",
    "ازورك",
    "ازور",
    "نزور",
    "زياره",
    "مقابله",
    "معاينه",
    "اعاين",
    "نعاين",
    "اجتماع",
    "نلتقي",
    "استشاره",
];

/// Two-word meeting phrases.
const MEET_PAIRS: &[(&str, &str)] = &[
    ("test", "drive"),
    ("come", "by"),
    ("come", "in"),
    ("come", "over"),
    ("drop", "by"),
    ("stop", "by"),
    ("see", "it"),
    ("see", "the"),
    ("تجربه", "قياده"),
    ("اجي", "اشوف"),
    ("امر", "عليكم"),
];

const NEGATION: &[&str] = &[
    "not",
    "dont",
    "don't",
    "no",
    "never",
    "without",
    "لا",
    "ما",
    "مو",
    "مب",
    "مابي",
    "مابغى",
    "مابغي",
    "ماابي",
    "بدون",
    "مش",
];

const EN_ORDINALS: &[(&str, usize)] = &[
    ("first", 0),
    ("second", 1),
    ("third", 2),
    ("fourth", 3),
    ("fifth", 4),
    ("last", LAST),
    ("latter", LAST),
    ("former", 0),
];

const AR_ORDINALS: &[(&str, usize)] = &[
    ("اول", 0),
    ("الاول", 0),
    ("الاولي", 0),
    ("اولي", 0),
    ("ثاني", 1),
    ("الثاني", 1),
    ("الثانيه", 1),
    ("ثانيه", 1),
    ("ثالث", 2),
    ("الثالث", 2),
    ("الثالثه", 2),
    ("ثالثه", 2),
    ("رابع", 3),
    ("الرابع", 3),
    ("الاخير", LAST),
    ("الاخيره", LAST),
    ("اخير", LAST),
];

/// Words after which "second"/"ثاني" means "another" ("وقت ثاني" is another time).
const ANOTHER_HEADS: &[&str] = &[
    "وقت",
    "يوم",
    "موعد",
    "مره",
    "اسبوع",
    "شي",
    "time",
    "day",
    "week",
];

const COUNT_WORDS: &[(&str, usize)] = &[("one", 0), ("two", 1), ("three", 2), ("four", 3)];

/// Words that introduce an option number ("option 2", "رقم ٢").
const OPTION_WORDS: &[&str] = &[
    "option",
    "number",
    "no",
    "choice",
    "slot",
    "#",
    "رقم",
    "خيار",
    "الخيار",
    "الرقم",
];

const WEEKDAYS: &[(&str, Weekday)] = &[
    ("monday", Weekday::Mon),
    ("mon", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("tues", Weekday::Tue),
    ("tue", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("weds", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("thurs", Weekday::Thu),
    ("thur", Weekday::Thu),
    ("thu", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("fri", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
    ("الاثنين", Weekday::Mon),
    ("اثنين", Weekday::Mon),
    ("الاتنين", Weekday::Mon),
    ("الثلاثاء", Weekday::Tue),
    ("ثلاثاء", Weekday::Tue),
    ("الثلاثا", Weekday::Tue),
    ("الاربعاء", Weekday::Wed),
    ("اربعاء", Weekday::Wed),
    ("الاربعا", Weekday::Wed),
    ("الخميس", Weekday::Thu),
    ("خميس", Weekday::Thu),
    ("الجمعه", Weekday::Fri),
    ("جمعه", Weekday::Fri),
    ("السبت", Weekday::Sat),
    ("سبت", Weekday::Sat),
    ("الاحد", Weekday::Sun),
    ("احد", Weekday::Sun),
];

const TODAY: &[&str] = &["today", "tonight", "اليوم", "الحين"];
const TOMORROW: &[&str] = &[
    "tomorrow", "tmrw", "tmr", "tomorow", "بكره", "بكرا", "باكر", "باجر", "غدا", "الغد",
];

const PM_WORDS: &[&str] = &[
    "pm",
    "afternoon",
    "evening",
    "tonight",
    "مساء",
    "مساءا",
    "المساء",
    "العصر",
    "عصرا",
    "عصر",
    "الظهر",
    "ظهرا",
    "الليل",
    "بالليل",
    "ليلا",
    "المغرب",
    "مغرب",
];
const AM_WORDS: &[&str] = &[
    "am",
    "morning",
    "صباحا",
    "الصبح",
    "صباح",
    "الصباح",
    "صبح",
    "الصباحي",
];
const AT_WORDS: &[&str] = &["at", "@", "الساعه", "ساعه", "around", "by"];

const NONE_SUIT: &[&[&str]] = &[
    &["none"],
    &["neither"],
    &["doesnt", "work"],
    &["don't", "work"],
    &["dont", "work"],
    &["not", "suitable"],
    &["not", "good"],
    &["other", "times"],
    &["another", "day"],
    &["another", "time"],
    &["ولا", "واحد"],
    &["ولا", "وحده"],
    &["ولا", "واحده"],
    &["ما", "يناسبني"],
    &["مايناسبني"],
    &["ما", "تناسبني"],
    &["ماتناسبني"],
    &["غير", "مناسب"],
    &["وقت", "ثاني"],
    &["يوم", "ثاني"],
    &["موعد", "ثاني"],
];

fn ask_of(words: &[&str]) -> Option<BookingAsk> {
    let negated_at = |i: usize| {
        words[i.saturating_sub(3)..i]
            .iter()
            .any(|w| NEGATION.contains(w))
    };
    if words
        .iter()
        .enumerate()
        .any(|(i, w)| is_any(w, CANCEL) && !negated_at(i))
    {
        return Some(BookingAsk::Cancel);
    }
    let about_appointment = words.iter().any(|w| is_any(w, APPOINTMENT));
    if words.iter().any(|w| is_any(w, RESCHEDULE))
        || (about_appointment && words.iter().any(|w| is_any(w, MOVE)))
    {
        return Some(BookingAsk::Reschedule);
    }
    let single = words
        .iter()
        .enumerate()
        .any(|(i, w)| is_any(w, MEET) && !negated_at(i));
    let pair = words
        .windows(2)
        .enumerate()
        .any(|(i, p)| MEET_PAIRS.contains(&(p[0], p[1])) && !negated_at(i));
    (single || pair).then_some(BookingAsk::Meet)
}

fn ordinal_of(tokens: &[Token]) -> Option<usize> {
    for (i, t) in tokens.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| word(&tokens[p]));
        if let Some(w) = word(t) {
            if prev.is_some_and(|p| ANOTHER_HEADS.contains(&p)) {
                continue;
            }
            if let Some((_, n)) = EN_ORDINALS.iter().find(|(k, _)| *k == w) {
                return Some(*n);
            }
            if let Some((_, n)) = forms(w)
                .iter()
                .find_map(|f| AR_ORDINALS.iter().find(|(k, _)| k == f))
            {
                return Some(*n);
            }
            if prev.is_some_and(|p| OPTION_WORDS.contains(&p))
                && let Some((_, n)) = COUNT_WORDS.iter().find(|(k, _)| *k == w)
            {
                return Some(*n);
            }
        }
        if let Some(num) = t.num()
            && !num.decimal
            && (1.0..=9.0).contains(&num.value)
        {
            let next = tokens.get(i + 1);
            let suffix = next.and_then(word);
            // "2nd", "3rd": the tokenizer splits the suffix off.
            if matches!(suffix, Some("st" | "nd" | "rd" | "th")) {
                return Some(num.value as usize - 1);
            }
            let introduced = prev.is_some_and(|p| OPTION_WORDS.contains(&p))
                || (i > 0 && tokens[i - 1].is_punct('#'));
            // A bare digit is the whole answer ("2", "٢ please"), not a time or a quantity.
            let bare = !next.is_some_and(|n| n.is_punct(':'))
                && !suffix.is_some_and(|s| PM_WORDS.contains(&s) || AM_WORDS.contains(&s))
                && !prev.is_some_and(|p| is_any(p, AT_WORDS))
                && tokens.iter().filter(|t| t.is_word()).count() <= 2;
            if introduced || bare {
                return Some(num.value as usize - 1);
            }
        }
    }
    None
}

fn day_of(words: &[&str], today: NaiveDate) -> Option<NaiveDate> {
    for (i, w) in words.iter().enumerate() {
        if *w == "بعد" && words.get(i + 1).is_some_and(|n| is_any(n, TOMORROW)) {
            return Some(today + Duration::days(2));
        }
        if *w == "after"
            && words.get(i + 1).is_some_and(|n| *n == "tomorrow")
            && i > 0
            && words[i - 1] == "day"
        {
            return Some(today + Duration::days(2));
        }
    }
    if words.iter().any(|w| is_any(w, TOMORROW)) {
        return Some(today + Duration::days(1));
    }
    if words.iter().any(|w| is_any(w, TODAY)) {
        return Some(today);
    }
    None
}

fn weekday_of(words: &[&str]) -> Option<Weekday> {
    words.iter().find_map(|w| {
        forms(w)
            .iter()
            .find_map(|f| WEEKDAYS.iter().find(|(k, _)| k == f).map(|(_, d)| *d))
    })
}

/// The time of day named in the message, and whether it could be read twelve hours later.
fn time_of(tokens: &[Token]) -> Option<(NaiveTime, bool)> {
    let words: Vec<&str> = tokens.iter().filter_map(word).collect();
    if words.contains(&"noon") || words.contains(&"midday") {
        return NaiveTime::from_hms_opt(12, 0, 0).map(|t| (t, false));
    }
    let pm_said = words.iter().any(|w| is_any(w, PM_WORDS));
    let am_said = words.iter().any(|w| is_any(w, AM_WORDS));
    for (i, t) in tokens.iter().enumerate() {
        let Some(num) = t.num() else { continue };
        if num.decimal || !(0.0..=23.0).contains(&num.value) {
            continue;
        }
        let hour = num.value as u32;
        let mut minute = 0;
        let mut explicit_minutes = false;
        if tokens.get(i + 1).is_some_and(|n| n.is_punct(':'))
            && let Some(m) = tokens.get(i + 2).and_then(Token::num)
            && (0.0..60.0).contains(&m.value)
        {
            minute = m.value as u32;
            explicit_minutes = true;
        }
        let after = tokens
            .get(i + if explicit_minutes { 3 } else { 1 })
            .and_then(word);
        let before = i.checked_sub(1).and_then(|p| word(&tokens[p]));
        let marked_pm = after.is_some_and(|a| is_any(a, PM_WORDS));
        let marked_am = after.is_some_and(|a| is_any(a, AM_WORDS));
        let introduced = before.is_some_and(|b| is_any(b, AT_WORDS));
        if !(explicit_minutes || marked_pm || marked_am || introduced) {
            continue;
        }
        let (hour, ambiguous) = if hour >= 13 || hour == 0 {
            (hour, false)
        } else if marked_pm || (pm_said && !marked_am) {
            (if hour == 12 { 12 } else { hour + 12 }, false)
        } else if marked_am || am_said {
            (if hour == 12 { 0 } else { hour }, false)
        } else {
            (hour, true)
        };
        if let Some(time) = NaiveTime::from_hms_opt(hour, minute, 0) {
            return Some((time, ambiguous));
        }
    }
    None
}

fn none_suit(words: &[&str]) -> bool {
    NONE_SUIT.iter().any(|phrase| {
        words
            .windows(phrase.len())
            .any(|w| w.iter().zip(phrase.iter()).all(|(a, b)| a == b))
    })
}

/// Reads one message for booking: the ask, the slot named and whether every slot was declined.
pub fn read_booking(text: &str, today: NaiveDate) -> BookingReading {
    let tokens = tokenize(text);
    let words: Vec<&str> = tokens.iter().filter_map(word).collect();
    let (time, time_ambiguous) = match time_of(&tokens) {
        Some((t, a)) => (Some(t), a),
        None => (None, false),
    };
    BookingReading {
        ask: ask_of(&words),
        ordinal: ordinal_of(&tokens),
        day: day_of(&words, today),
        weekday: weekday_of(&words),
        time,
        time_ambiguous,
        none_suit: none_suit(&words),
    }
}

impl BookingReader for crate::OfflineRules {
    fn read_booking(&self, text: &str, today: NaiveDate) -> BookingReading {
        read_booking(text, today)
    }
}

#[cfg(test)]
mod tests;
