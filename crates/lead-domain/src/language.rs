//! Which language a lead writes in, decided by script so it needs no model.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The two languages the service converses in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English, and Arabic written in Latin letters (Arabizi), which leads expect answered in English.
    #[default]
    En,
    /// Arabic in Arabic script, any dialect.
    Ar,
}

impl Language {
    /// The ISO 639-1 code used in APIs and templates.
    pub const fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Ar => "ar",
        }
    }

    /// Parses `en` or `ar` (any case).
    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Language::En),
            "ar" => Some(Language::Ar),
            _ => None,
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// True for letters of the Arabic script blocks (basic, supplement, extended, presentation forms).
pub fn is_arabic_letter(c: char) -> bool {
    matches!(c as u32, 0x0620..=0x064A | 0x066E..=0x06D3 | 0x06FA..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF)
}

/// Detects the language of a text: Arabic when Arabic-script letters are at least as many as Latin letters.
///
/// Returns `None` when the text has no letters at all (digits, emoji), so callers keep the previous language.
pub fn detect_language(text: &str) -> Option<Language> {
    let (mut arabic, mut latin) = (0usize, 0usize);
    for c in prose(text).flat_map(str::chars) {
        if is_arabic_letter(c) {
            arabic += 1;
        } else if c.is_ascii_alphabetic() || matches!(c, '\u{00C0}'..='\u{024F}') {
            latin += 1;
        }
    }
    match (arabic, latin) {
        (0, 0) => None,
        (a, l) if a >= l => Some(Language::Ar),
        _ => Some(Language::En),
    }
}

/// The words of a text that say something about its language: an email address or a link is
/// written in Latin letters whatever language the lead writes in.
fn prose(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace().filter(|w| {
        let lower = w.to_ascii_lowercase();
        !(w.contains('@')
            || lower.contains("://")
            || lower.starts_with("www.")
            || lower.starts_with("http"))
    })
}

/// Detects the language of a whole conversation side: the language of most letters over all texts.
pub fn detect_dominant_language<'a>(texts: impl IntoIterator<Item = &'a str>) -> Option<Language> {
    let (mut arabic, mut latin) = (0usize, 0usize);
    for text in texts {
        for c in prose(text).flat_map(str::chars) {
            if is_arabic_letter(c) {
                arabic += 1;
            } else if c.is_ascii_alphabetic() {
                latin += 1;
            }
        }
    }
    match (arabic, latin) {
        (0, 0) => None,
        // Arabic letters carry about as much per letter as Latin ones do; a tie goes to Arabic
        // because a lead who writes any Arabic script reads it.
        (a, l) if a >= l => Some(Language::Ar),
        _ => Some(Language::En),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_or_a_link_does_not_change_the_language() {
        assert_eq!(
            detect_language("الثاني، وايميلي ahmad.alqahtani@example.com"),
            Some(Language::Ar)
        );
        assert_eq!(
            detect_language("شوف الرابط https://example.com/listings/villa-riyadh"),
            Some(Language::Ar)
        );
        assert_eq!(detect_language("sara@example.com"), None);
    }

    #[test]
    fn detects_by_script() {
        let cases = [
            ("I want a villa in Riyadh", Some(Language::En)),
            ("ابي شقة في الرياض", Some(Language::Ar)),
            ("ana abi sha2a fi el riyadh", Some(Language::En)),
            ("أبي villa في الخبر", Some(Language::Ar)),
            ("123 456", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(detect_language(text), want, "{text}");
        }
    }

    #[test]
    fn dominant_language_counts_all_texts() {
        assert_eq!(
            detect_dominant_language(["hi", "ابغى فيلا بالرياض"]),
            Some(Language::Ar)
        );
        assert_eq!(
            detect_dominant_language(["hello there, I need a flat", "نعم"]),
            Some(Language::En)
        );
    }
}
