//! Normalisation and tokenisation of lead messages: Unicode compatibility forms (NFKC), Arabic letter
//! variants, digits of every script, byte spans.
//!
//! Every token keeps the byte span of the original text it came from, so evidence can quote the
//! lead's own words even though matching works on the normalised form.

mod compat;
#[cfg(test)]
mod tests;

/// Which writing system a word token is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// Latin letters (English and Arabizi).
    Latin,
    /// Arabic script, normalised.
    Arabic,
}

/// A number written in digits, already parsed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num {
    /// The numeric value with separators resolved.
    pub value: f64,
    /// Digits before the decimal point (a phone number has many).
    pub int_digits: u8,
    /// Whether the number starts with a zero and has more than one digit ("0501234567").
    pub leading_zero: bool,
    /// Whether a decimal point was written.
    pub decimal: bool,
    /// Whether a thousands separator was written ("1,200,000").
    pub grouped: bool,
}

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A word in the given script.
    Word(Script),
    /// A number in digits of any script.
    Number(Num),
    /// One punctuation or symbol character.
    Punct(char),
}

/// One token with its normalised text and the byte span of the original text.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Normalised text: lower-case Latin, unified Arabic letters, ASCII digits.
    pub norm: String,
    /// Byte offset of the first original character.
    pub start: usize,
    /// Byte offset just past the last original character.
    pub end: usize,
    /// What the token is.
    pub kind: Kind,
    /// Whether whitespace (or the start of the text) comes right before the token.
    pub space_before: bool,
    /// Index of the sentence the token belongs to (split at `. ! ? ؟ ;` and new lines).
    pub sentence: u32,
    /// Whether the original word starts with an upper-case Latin letter.
    pub capitalized: bool,
}

impl Token {
    /// The number value when the token is a number.
    pub fn num(&self) -> Option<Num> {
        match self.kind {
            Kind::Number(n) => Some(n),
            _ => None,
        }
    }

    /// Whether the token is the given punctuation character.
    pub fn is_punct(&self, c: char) -> bool {
        self.kind == Kind::Punct(c)
    }

    /// Whether the token is a word (either script).
    pub fn is_word(&self) -> bool {
        matches!(self.kind, Kind::Word(_))
    }
}

/// Arabic diacritics, tatweel and invisible direction marks: skipped without breaking a word.
fn is_ignorable(c: char) -> bool {
    matches!(c as u32,
        0x064B..=0x065F | 0x0670 | 0x0640 | 0x06D6..=0x06ED | 0x200B..=0x200F | 0x202A..=0x202E | 0x2066..=0x2069 | 0xFE00..=0xFE0F)
}

/// Maps an Arabic letter to its matching form; `None` when the character is not an Arabic letter.
fn arabic_letter(c: char) -> Option<char> {
    if is_ignorable(c) || !lead_domain::language::is_arabic_letter(c) {
        return None;
    }
    Some(match c {
        'أ' | 'إ' | 'آ' | 'ٱ' | 'ٲ' | 'ٳ' => 'ا',
        'ى' | 'ی' | 'ئ' | 'ې' => 'ي',
        'ة' | 'ۃ' => 'ه',
        'ؤ' => 'و',
        'ک' | 'گ' => 'ك',
        'ڤ' => 'ف',
        'پ' => 'ب',
        'چ' => 'ج',
        other => other,
    })
}

/// The ASCII digit of any digit script we accept (ASCII, Arabic-Indic, Eastern Arabic-Indic).
pub fn digit_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '\u{0660}'..='\u{0669}' => Some((c as u32 - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => Some((c as u32 - 0x06F0) as u8),
        _ => None,
    }
}

/// Separators allowed inside a number when a digit follows: `.` `,` and the Arabic `٫` (decimal) `٬` (thousands).
fn is_num_separator(c: char) -> bool {
    matches!(c, '.' | ',' | '\u{066B}' | '\u{066C}')
}

fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || (c.is_alphabetic() && (c as u32) < 0x0250)
}

/// Characters that end a sentence.
fn ends_sentence(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '؟' | ';' | '؛' | '\n' | '…' | '।')
}

/// Unit and multiplier suffixes glued to digits ("800k", "3BR", "40km"): split off as their own word.
const GLUED_SUFFIXES: &[&str] = &[
    "k", "m", "mn", "mm", "bn", "b", "km", "kms", "m2", "sqm", "sqft", "br", "bd", "bhk", "bed",
    "beds", "st", "nd", "rd", "th", "s", "pm", "am", "h", "hr", "hrs", "yr", "yrs", "kw", "kwh",
    "kwp", "x", "l", "min", "mins", "d", "days", "w", "wk", "wks", "mo", "months", "month",
    "weeks", "week", "year", "years", "million", "thousand", "alf", "usd", "sar", "aed", "qar",
    "kwd", "bhd", "omr", "egp", "jod", "sr", "dhs", "dh", "aud", "eur", "gbp", "cc", "hp", "g",
    "kg", "yo", "mil",
];

/// Currency-code prefixes glued to digits ("SR500", "usd1500").
const GLUED_PREFIXES: &[&str] = &[
    "sr", "sar", "usd", "aed", "qar", "kwd", "kd", "jd", "bd", "egp", "le", "qr", "dhs", "ro",
];

/// Latin digits that Arabizi uses as letters (2 hamza, 3 ain, 5 kha, 6 ta, 7 ha, 8 qaf, 9 sad).
fn is_arabizi_digit(c: char) -> bool {
    matches!(c, '2' | '3' | '5' | '6' | '7' | '8' | '9')
}

/// The characters of `text` in Unicode compatibility form (NFKC), the form the tokenizer reads:
/// for checks on the raw characters (scripts, emoji) that must agree with the tokens.
pub fn compat_text(text: &str) -> impl Iterator<Item = char> {
    compat::compat_chars(text).into_iter().map(|c| c.c)
}

/// Splits a text into normalised tokens with byte spans. Never fails; bounded linear time.
pub fn tokenize(text: &str) -> Vec<Token> {
    // Compatibility forms (PDF-pasted Arabic presentation forms, full-width digits) are read as the
    // plain characters they stand for; spans still point into the original text.
    let compat = compat::compat_chars(text);
    let chars: Vec<(usize, char)> = compat.iter().map(|c| (c.start, c.c)).collect();
    let n = chars.len();
    let mut out: Vec<Token> = Vec::with_capacity(n / 4 + 4);
    let mut i = 0;
    let mut space = true;
    let mut sentence: u32 = 0;
    // End (exclusive, in original bytes) of the text read up to normalised character `idx`.
    let byte_end = |idx: usize| {
        idx.checked_sub(1)
            .and_then(|k| compat.get(k))
            .map_or(0, |c| c.end)
    };
    while i < n {
        let (b, c) = chars[i];
        if c.is_whitespace() {
            if c == '\n' {
                sentence = sentence.saturating_add(1);
            }
            space = true;
            i += 1;
            continue;
        }
        if is_ignorable(c) {
            i += 1;
            continue;
        }
        if arabic_letter(c).is_some() {
            let mut norm = String::new();
            let start = b;
            while i < n {
                let ch = chars[i].1;
                if let Some(m) = arabic_letter(ch) {
                    norm.push(m);
                } else if !is_ignorable(ch) {
                    break;
                }
                i += 1;
            }
            out.push(Token {
                norm,
                start,
                end: byte_end(i),
                kind: Kind::Word(Script::Arabic),
                space_before: space,
                sentence,
                capitalized: false,
            });
            space = false;
            continue;
        }
        if is_latin_letter(c) || digit_value(c).is_some() || matches!(c, '²' | '³') {
            let start_idx = i;
            let mut raw = String::new();
            let mut offsets: Vec<usize> = Vec::new();
            while i < n {
                let (ob, ch) = chars[i];
                let before = raw.len();
                if let Some(d) = digit_value(ch) {
                    raw.push((b'0' + d) as char);
                } else if is_latin_letter(ch) {
                    raw.extend(ch.to_lowercase());
                } else if ch == '²' {
                    raw.push('2');
                } else if ch == '³' {
                    raw.push('3');
                } else if is_num_separator(ch)
                    && raw.chars().last().is_some_and(|p| p.is_ascii_digit())
                    && chars
                        .get(i + 1)
                        .is_some_and(|&(_, nx)| digit_value(nx).is_some())
                {
                    raw.push(match ch {
                        '\u{066B}' => '٫',
                        '\u{066C}' => '٬',
                        other => other,
                    });
                } else if matches!(ch, '\'' | '’')
                    && raw.chars().last().is_some_and(|p| p.is_alphabetic())
                    && chars.get(i + 1).is_some_and(|&(_, nx)| is_latin_letter(nx))
                {
                    raw.push('\'');
                } else if !is_ignorable(ch) {
                    break;
                }
                // One offset per byte of the normalised run, so a split point maps back to the original.
                offsets.extend(std::iter::repeat_n(ob, raw.len() - before));
                i += 1;
            }
            let capitalized = chars[start_idx].1.is_uppercase();
            let run = Run {
                raw: &raw,
                offsets: &offsets,
                end: byte_end(i),
                space,
                sentence,
                capitalized,
            };
            push_latin_run(&mut out, &run);
            space = false;
            continue;
        }
        // Punctuation and symbols. A hyphen or slash between two letters joins words ("check-up"), so it
        // becomes a plain word break; between digits it stays a token because it makes ranges.
        let prev_letter =
            i > 0 && (is_latin_letter(chars[i - 1].1) || arabic_letter(chars[i - 1].1).is_some());
        let next_letter = chars
            .get(i + 1)
            .is_some_and(|&(_, nx)| is_latin_letter(nx) || arabic_letter(nx).is_some());
        if matches!(c, '-' | '_') && prev_letter && next_letter {
            space = true;
            i += 1;
            continue;
        }
        let is_emoji = (c as u32) >= 0x2190 && !matches!(c, '…' | '€' | '£' | '٪');
        if !is_emoji {
            let pc = match c {
                '،' => ',',
                '؛' => ';',
                '٪' => '%',
                '–' | '—' | '−' => '-',
                other => other,
            };
            out.push(Token {
                norm: pc.to_string(),
                start: b,
                end: byte_end(i + 1),
                kind: Kind::Punct(pc),
                space_before: space,
                sentence,
                capitalized: false,
            });
        }
        if ends_sentence(c) {
            sentence = sentence.saturating_add(1);
        }
        space = is_emoji;
        i += 1;
    }
    out
}

/// A run of Latin letters and digits with the original byte offset of every normalised byte.
struct Run<'a> {
    raw: &'a str,
    offsets: &'a [usize],
    end: usize,
    space: bool,
    sentence: u32,
    capitalized: bool,
}

impl Run<'_> {
    /// Original byte offset of the normalised byte `at`.
    fn byte_at(&self, at: usize) -> usize {
        self.offsets.get(at).copied().unwrap_or(self.end)
    }

    fn word(&self, from: usize, to: usize, space: bool) -> Token {
        Token {
            norm: self.raw[from..to].to_owned(),
            start: self.byte_at(from),
            end: if to >= self.raw.len() {
                self.end
            } else {
                self.byte_at(to)
            },
            kind: Kind::Word(Script::Latin),
            space_before: space,
            sentence: self.sentence,
            capitalized: self.capitalized && from == 0,
        }
    }

    fn number(&self, from: usize, to: usize, num: Num, space: bool) -> Token {
        Token {
            kind: Kind::Number(num),
            capitalized: false,
            ..self.word(from, to, space)
        }
    }
}

/// Classifies a run of Latin letters and digits: a number, a number with a glued unit, a currency
/// code glued to a number, an Arabizi word with digits as letters, or a plain word.
fn push_latin_run(out: &mut Vec<Token>, run: &Run<'_>) {
    let raw = run.raw;
    let len = raw.len();
    let first_digit = raw.chars().next().is_some_and(|c| c.is_ascii_digit());
    let has_letter = raw.chars().any(char::is_alphabetic);
    let has_digit = raw.chars().any(|c| c.is_ascii_digit());
    if !has_letter {
        if let Some(num) = parse_number(raw) {
            out.push(run.number(0, len, num, run.space));
        }
        return;
    }
    if !has_digit {
        out.push(run.word(0, len, run.space));
        return;
    }
    if first_digit {
        // Digits then letters: "800k", "3br" split; "3andi", "7aga" are Arabizi words.
        let split = raw.find(char::is_alphabetic).unwrap_or(len);
        let (digits, suffix) = raw.split_at(split);
        let suffix_is_unit = GLUED_SUFFIXES.contains(&suffix);
        let arabizi = digits.len() == 1
            && digits.chars().all(is_arabizi_digit)
            && !suffix_is_unit
            && suffix.chars().count() >= 2;
        let mixed_after = suffix.chars().any(|c| c.is_ascii_digit());
        if arabizi || mixed_after {
            out.push(run.word(0, len, run.space));
            return;
        }
        match parse_number(digits) {
            Some(num) => {
                out.push(run.number(0, split, num, run.space));
                out.push(run.word(split, len, false));
            }
            None => out.push(run.word(0, len, run.space)),
        }
        return;
    }
    // Letters first: a currency code glued to digits ("sr500"), else an Arabizi word ("a3raf", "b4").
    let split = raw.find(|c: char| c.is_ascii_digit()).unwrap_or(len);
    let (prefix, rest) = raw.split_at(split);
    if GLUED_PREFIXES.contains(&prefix)
        && let Some(num) = parse_number(rest)
    {
        out.push(run.word(0, split, run.space));
        out.push(run.number(split, len, num, false));
        return;
    }
    out.push(run.word(0, len, run.space));
}

/// Parses digits with separators. `٫` is a decimal point and `٬` a thousands separator; `,` and `.`
/// are thousands separators when every group after them has exactly three digits, else a decimal point.
pub fn parse_number(raw: &str) -> Option<Num> {
    let mut groups: Vec<(char, &str)> = Vec::new();
    let mut last = 0;
    let mut sep = ' ';
    for (idx, c) in raw.char_indices() {
        if matches!(c, '.' | ',' | '٫' | '٬') {
            groups.push((sep, &raw[last..idx]));
            sep = c;
            last = idx + c.len_utf8();
        }
    }
    groups.push((sep, &raw[last..]));
    if groups
        .iter()
        .any(|(_, g)| g.is_empty() || !g.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let head = groups.first().map(|g| g.1).unwrap_or("");
    let mut int_part = String::from(head);
    let mut frac_part = String::new();
    let mut grouped = false;
    let mut decimal = false;
    let all_thousands = |s: char| {
        groups
            .iter()
            .skip(1)
            .filter(|g| g.0 == s)
            .all(|g| g.1.len() == 3)
    };
    let comma_thousands = all_thousands(',');
    let dot_count = groups.iter().filter(|g| g.0 == '.').count();
    let dot_thousands = dot_count > 1 && all_thousands('.');
    for (s, g) in groups.iter().skip(1) {
        let is_thousands = match s {
            '٬' => true,
            '٫' => false,
            ',' => comma_thousands && !decimal,
            '.' => dot_thousands && !decimal,
            _ => false,
        };
        if is_thousands && !decimal {
            grouped = true;
            int_part.push_str(g);
        } else if !decimal {
            decimal = true;
            frac_part.push_str(g);
        } else {
            return None;
        }
    }
    let int_digits = u8::try_from(int_part.len()).unwrap_or(u8::MAX);
    let text = if frac_part.is_empty() {
        int_part.clone()
    } else {
        format!("{int_part}.{frac_part}")
    };
    let value: f64 = text.parse().ok()?;
    if !value.is_finite() {
        return None;
    }
    Some(Num {
        value,
        int_digits,
        leading_zero: int_part.len() > 1 && int_part.starts_with('0'),
        decimal,
        grouped,
    })
}
