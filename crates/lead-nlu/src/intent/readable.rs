//! Whether a message can be read at all: known words, plausible English or Arabizi words, numbers
//! and Arabic words against keyboard mash, consonant junk, symbols and scripts the reader does not know.
//!
//! The test is deliberately broad: an ordinary sentence whose words are in no table ("my cat likes
//! the garden") reads as plausible, so only real noise is judged unreadable.

use crate::analyze::TurnData;
use crate::lexicon::Hit;
use crate::text::{Kind, Script};

/// How a word token reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordReading {
    /// A lexicon hit or a common function word.
    Known,
    /// Not known, but shaped like a word of English or Arabizi (or an Arabic word).
    Plausible,
    /// Too short to judge ("mn", "bt"): counted neither way.
    Neutral,
    /// Keyboard mash or consonant junk.
    Junk,
}

/// The counts a turn is judged readable by.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Readability {
    /// Word tokens that are lexicon hits or function words.
    pub known: usize,
    /// Word tokens shaped like words.
    pub plausible: usize,
    /// Word tokens that are junk.
    pub junk: usize,
    /// Word tokens too short to judge ("hm", "xD", "wtf").
    pub neutral: usize,
    /// Word tokens that are common words of a Latin-script language the reader does not read
    /// (French, Spanish, German, Portuguese, Turkish, Indonesian): "je", "quiero", "ich".
    pub foreign_words: usize,
    /// Number tokens.
    pub numbers: usize,
    /// Letters in Latin or Arabic script.
    pub readable_letters: usize,
    /// Letters of scripts the reader does not know (Chinese, Cyrillic, Devanagari, ...).
    pub foreign_letters: usize,
    /// Emoji and pictographs.
    pub emoji: usize,
}

impl Readability {
    /// Measures a turn; `hits` are every phrase hit of the turn (field and intent lexicons).
    pub fn of(turn: &TurnData<'_>, hits: &[Hit]) -> Self {
        let mut covered = vec![false; turn.toks.len()];
        for h in hits {
            for flag in covered.iter_mut().take(h.end).skip(h.start) {
                *flag = true;
            }
        }
        let mut r = Readability::default();
        for (tok, is_covered) in turn.toks.iter().zip(&covered) {
            let reading = match tok.kind {
                Kind::Number(_) => {
                    r.numbers += 1;
                    continue;
                }
                Kind::Punct(_) => continue,
                _ if *is_covered => WordReading::Known,
                Kind::Word(Script::Latin) => {
                    if is_foreign_function_word(&tok.norm) {
                        r.foreign_words += 1;
                    }
                    latin_word(&tok.norm)
                }
                Kind::Word(Script::Arabic) => arabic_word(&tok.norm),
            };
            match reading {
                WordReading::Known => r.known += 1,
                WordReading::Plausible => r.plausible += 1,
                WordReading::Neutral => r.neutral += 1,
                WordReading::Junk => r.junk += 1,
            }
        }
        for c in crate::text::compat_text(turn.text) {
            if is_emoji(c) {
                r.emoji += 1;
            } else if !c.is_alphabetic() {
                continue;
            } else if is_latin_letter(c) || lead_domain::language::is_arabic_letter(c) {
                r.readable_letters += 1;
            } else {
                r.foreign_letters += 1;
            }
        }
        r
    }

    /// Word tokens that read as words (known or plausible).
    pub fn words(&self) -> usize {
        self.known + self.plausible
    }

    /// Share of judged words that are junk, 0 to 1.
    pub fn junk_share(&self) -> f32 {
        let judged = self.known + self.plausible + self.junk;
        if judged == 0 {
            0.0
        } else {
            self.junk as f32 / judged as f32
        }
    }

    /// Whether the turn cannot be made sense of: nothing but symbols, mostly a script the reader
    /// does not know, or more junk than words (a known word weighs twice a merely plausible one).
    /// A turn of nothing but short interjections ("hmmm", "xD") or emoji is small talk, not noise.
    pub fn is_unreadable(&self) -> bool {
        if self.known + self.plausible + self.junk + self.numbers == 0 {
            let small_talk = self.neutral > 0 || self.emoji > 0;
            return !small_talk || self.foreign_letters > self.readable_letters;
        }
        if self.foreign_letters > self.readable_letters {
            return true;
        }
        // Mostly another Latin-script language: its common words make up most of the message.
        if self.foreign_words >= 2 && self.foreign_words * 2 > self.words() {
            return true;
        }
        self.junk as f32 > self.known as f32 + 0.5 * self.plausible as f32
    }
}

/// Latin letters, as the tokenizer reads them (ASCII and Latin-1/Extended letters).
fn is_latin_letter(c: char) -> bool {
    c.is_alphabetic() && (c as u32) < 0x0250
}

/// Emoji and pictographs (the tokenizer drops them, so they are counted from the text).
fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x2190..=0x21FF | 0x2300..=0x23FF
            | 0x3030 | 0x303D | 0x3297 | 0x3299 | 0x00A9 | 0x00AE | 0x2122)
}

/// Vowels of English and Arabizi spelling (y counts: "my", "shy").
fn is_vowel(c: char) -> bool {
    matches!(
        c,
        'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'à'..='å' | 'è'..='ë' | 'ì'..='ï' | 'ò'..='ö' | 'ù'..='ü'
    )
}

/// Common English and Arabizi words that carry no field meaning, including vowel-less chat
/// abbreviations, so they read as known.
fn is_function_word(w: &str) -> bool {
    matches!(
        w,
        "a" | "an"
            | "the"
            | "i"
            | "me"
            | "my"
            | "mine"
            | "we"
            | "us"
            | "our"
            | "you"
            | "your"
            | "u"
            | "ur"
            | "he"
            | "she"
            | "it"
            | "its"
            | "it's"
            | "they"
            | "them"
            | "their"
            | "this"
            | "that"
            | "these"
            | "those"
            | "is"
            | "am"
            | "are"
            | "was"
            | "were"
            | "be"
            | "been"
            | "do"
            | "does"
            | "did"
            | "have"
            | "has"
            | "had"
            | "will"
            | "would"
            | "can"
            | "could"
            | "should"
            | "shall"
            | "may"
            | "might"
            | "must"
            | "not"
            | "no"
            | "yes"
            | "and"
            | "or"
            | "but"
            | "if"
            | "so"
            | "then"
            | "than"
            | "to"
            | "of"
            | "in"
            | "on"
            | "at"
            | "by"
            | "for"
            | "from"
            | "with"
            | "about"
            | "as"
            | "into"
            | "up"
            | "out"
            | "just"
            | "only"
            | "also"
            | "too"
            | "very"
            | "really"
            | "still"
            | "all"
            | "any"
            | "some"
            | "more"
            | "most"
            | "much"
            | "many"
            | "there"
            | "here"
            | "now"
            | "im"
            | "i'm"
            | "dont"
            | "don't"
            | "cant"
            | "can't"
            | "wont"
            | "won't"
            | "let"
            | "get"
            | "got"
            | "want"
            | "need"
            | "like"
            | "know"
            | "think"
            | "go"
            | "come"
            | "make"
            | "take"
            | "see"
            | "look"
            | "give"
            | "tell"
            | "say"
            | "sorry"
            | "pls"
            | "plz"
            | "thx"
            | "tnx"
            | "hmm"
            | "mm"
            | "mmm"
            | "brb"
            | "btw"
            | "idk"
            | "omg"
            | "r"
            | "n"
            | "y"
            | "w"
            | "b"
            | "c"
            | "k"
            | "mr"
            | "mrs"
            | "ms"
            | "dr"
            | "st"
            | "sq"
            | "ft"
            | "km"
            | "kms"
            | "hrs"
            | "yrs"
            | "msg"
            | "msgs"
            | "sms"
            | "ppl"
            | "pcs"
            | "vs"
            | "etc"
            | "tv"
            | "ac"
            | "pc"
            | "hr"
            | "cv"
            | "dm"
            | "pm"
            | "gm"
            | "ana"
            | "enta"
            | "enti"
            | "inta"
            | "inti"
            | "e7na"
            | "i7na"
            | "howa"
            | "hiya"
            | "heya"
            | "homa"
            | "fi"
            | "fe"
            | "fy"
            | "men"
            | "mn"
            | "min"
            | "3ala"
            | "3la"
            | "3l"
            | "wa"
            | "ya"
            | "el"
            | "al"
            | "l"
            | "bs"
            | "bas"
            | "bass"
            | "ma"
            | "mesh"
            | "msh"
            | "mish"
            | "mo"
            | "mu"
            | "la"
            | "la2"
            | "eh"
            | "ay"
            | "kaman"
            | "kman"
            | "ba3d"
            | "b3d"
            | "abl"
            | "2abl"
            | "3shan"
            | "3ashan"
            | "3lshan"
            | "3nd"
            | "3and"
            | "3ndi"
            | "3andi"
            | "abi"
            | "abgha"
            | "biddi"
            | "baddi"
            | "beddi"
            | "3ayez"
            | "3ayz"
            | "3awez"
            | "ra7"
            | "7a"
            | "ha"
            | "hay"
            | "hada"
            | "hadha"
            | "da"
            | "di"
            | "kda"
            | "keda"
            | "lw"
            | "law"
            | "tb"
            | "7bb"
            | "hla"
            | "7lw"
            | "7ad"
            | "7d"
            | "a7d"
            | "m3"
            | "m3ak"
            | "m3k"
            | "ma3"
            | "fl"
            | "bl"
            | "3al"
            | "lel"
            | "lil"
            | "fel"
            | "bel"
            | "wel"
            | "wl"
            | "ll"
            | "sm7t"
            | "tfdl"
            | "mashallah"
    )
}

/// Frequent words of Latin-script languages the reader does not read, chosen to be no English or
/// Arabizi word ("la", "de", "el", "merci" and "ana" are left out because leads use them).
fn is_foreign_function_word(w: &str) -> bool {
    matches!(
        w,
        // French.
        "je" | "nous" | "vous" | "les" | "des" | "une" | "avec" | "dans" | "pour" | "mais"
            | "suis" | "c'est" | "bonjour" | "voudrais" | "j'ai" | "s'il" | "plaît" | "très"
            // Spanish.
            | "quiero" | "hola" | "gracias" | "por" | "para" | "los" | "las" | "una" | "está"
            | "necesito" | "tengo" | "buenos" | "días" | "usted" | "información"
            // German.
            | "ich" | "und" | "nicht" | "mit" | "für" | "möchte" | "eine" | "ist" | "der"
            | "das" | "guten" | "bitte" | "danke" | "wir" | "haben"
            // Portuguese.
            | "olá" | "obrigado" | "obrigada" | "quero" | "você" | "não" | "uma" | "com"
            // Turkish and Indonesian.
            | "için" | "çok" | "istiyorum" | "teşekkürler" | "saya" | "yang" | "untuk" | "ini"
            | "itu" | "mau" | "terima" | "kasih"
    )
}

/// Adjacent keys on the same row of a QWERTY keyboard: runs of these are keyboard mash.
fn qwerty_neighbours(a: char, b: char) -> bool {
    const ROWS: [&str; 3] = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
    ROWS.iter().any(|row| {
        let (Some(i), Some(j)) = (row.find(a), row.find(b)) else {
            return false;
        };
        i.abs_diff(j) == 1
    })
}

/// Letter pairs that occur in no English or Arabizi word.
fn impossible_pair(a: char, b: char) -> bool {
    matches!(
        (a, b),
        ('q', 'w' | 'z' | 'x' | 'j' | 'k' | 'g' | 'v' | 'p' | 'f')
            | ('x' | 'z' | 'j' | 'v' | 'w' | 'k' | 'g' | 'f' | 'p', 'q')
            | ('z', 'x' | 'j' | 'f' | 'v')
            | ('x', 'z' | 'j' | 'v' | 'k' | 'g' | 'w')
            | ('j', 'x' | 'z' | 'v' | 'k')
            | ('v', 'x' | 'z' | 'j' | 'b' | 'k' | 'w')
            | ('w', 'x')
            | ('k', 'x' | 'j')
            | ('g', 'x' | 'j')
            | ('f', 'z' | 'j' | 'x')
            | ('b', 'x' | 'z' | 'q')
            | ('c', 'x' | 'j')
            | ('m', 'x')
    )
}

/// Collapses letters repeated three times or more ("hiiii", "sooo", "ppp") to one.
fn collapse_repeats(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let chars: Vec<char> = word.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut run = 1;
        while chars.get(i + run) == Some(&c) {
            run += 1;
        }
        let keep = if run >= 3 { 1 } else { run };
        out.extend(std::iter::repeat_n(c, keep));
        i += run;
    }
    out
}

/// Judges a Latin-script word (English or Arabizi, digits as letters).
pub fn latin_word(norm: &str) -> WordReading {
    if is_function_word(norm) {
        return WordReading::Known;
    }
    let word = collapse_repeats(norm);
    if is_function_word(&word) {
        return WordReading::Known;
    }
    let letters: Vec<char> = word.chars().filter(|c| *c != '\'').collect();
    let len = letters.len();
    if len > 24 {
        return WordReading::Junk;
    }
    let vowels = letters.iter().filter(|c| is_vowel(**c)).count();
    if vowels == 0 {
        return if len >= 4 {
            WordReading::Junk
        } else {
            WordReading::Neutral
        };
    }
    let mut longest_consonant_run = 0;
    let mut run = 0;
    for c in &letters {
        if is_vowel(*c) {
            run = 0;
        } else {
            run += 1;
            longest_consonant_run = longest_consonant_run.max(run);
        }
    }
    let english_cluster = ["ght", "tch", "ngth", "sch", "nth", "str"]
        .iter()
        .any(|c| word.contains(c));
    if longest_consonant_run >= 6 || (longest_consonant_run >= 5 && !english_cluster) {
        return WordReading::Junk;
    }
    if len >= 6 && !english_cluster && (vowels as f32) < 0.2 * len as f32 {
        return WordReading::Junk;
    }
    let pairs: Vec<(char, char)> = letters.windows(2).map(|p| (p[0], p[1])).collect();
    if pairs.iter().any(|&(a, b)| impossible_pair(a, b)) {
        return WordReading::Junk;
    }
    if len >= 4 {
        let mash = pairs
            .iter()
            .filter(|&&(a, b)| qwerty_neighbours(a, b))
            .count();
        if mash as f32 >= 0.75 * pairs.len() as f32 {
            return WordReading::Junk;
        }
    }
    WordReading::Plausible
}

/// Adjacent keys on the same row of the Arabic keyboard (after letter normalisation).
fn arabic_keyboard_neighbours(a: char, b: char) -> bool {
    const ROWS: [&[char]; 2] = [
        &['ض', 'ص', 'ث', 'ق', 'ف', 'غ', 'ع', 'ه', 'خ', 'ح', 'ج', 'د'],
        &['ش', 'س', 'ي', 'ب', 'ل', 'ا', 'ت', 'ن', 'م', 'ك', 'ط'],
    ];
    ROWS.iter().any(|row| {
        let (Some(i), Some(j)) = (
            row.iter().position(|c| *c == a),
            row.iter().position(|c| *c == b),
        ) else {
            return false;
        };
        i.abs_diff(j) == 1
    })
}

/// Judges an Arabic-script word the lexicon does not know: a word unless it is keyboard mash.
pub fn arabic_word(norm: &str) -> WordReading {
    let word = collapse_repeats(norm);
    let letters: Vec<char> = word.chars().collect();
    if letters.len() > 16 {
        return WordReading::Junk;
    }
    if letters.len() >= 5 {
        let pairs = letters.len() - 1;
        let mash = letters
            .windows(2)
            .filter(|p| arabic_keyboard_neighbours(p[0], p[1]))
            .count();
        if mash as f32 >= 0.75 * pairs as f32 {
            return WordReading::Junk;
        }
    }
    WordReading::Plausible
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_words_are_plausible() {
        for w in [
            "garden",
            "cat",
            "likes",
            "strengths",
            "tomorrow",
            "quote",
            "battery",
            "ta8reeban",
            "sama7t",
            "akalim",
            "maktab",
            "ghuraf",
            "hiiii",
            "whitening",
            "qatar",
            "jdeed",
        ] {
            assert_ne!(latin_word(w), WordReading::Junk, "{w}");
        }
    }

    #[test]
    fn keyboard_mash_is_junk() {
        for w in [
            "asdkjh", "qwpoe", "zzxv", "xqzt", "lkjh", "vbnm", "asdf", "qwerty", "sdfsdf", "hjkl",
            "xcvbn",
        ] {
            assert_eq!(latin_word(w), WordReading::Junk, "{w}");
        }
    }

    #[test]
    fn arabic_mash_is_junk_but_words_are_not() {
        assert_eq!(arabic_word("ضصثقف"), WordReading::Junk);
        assert_eq!(arabic_word("مستعجل"), WordReading::Plausible);
        assert_eq!(arabic_word("الحمام"), WordReading::Plausible);
    }
}
