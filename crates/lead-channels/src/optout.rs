//! Opt-out and opt-in keywords (STOP, START and their Arabic equivalents) in inbound messages.
//!
//! A keyword counts only when it is the whole message, so "please don't stop calling me" is a
//! normal message. Case, spaces, punctuation, emoji, Arabic diacritics, tatweel and the usual
//! spelling variants of alef, yeh and teh marbuta are ignored before comparing.

#[cfg(test)]
mod tests;

/// What an inbound message asks for, when it is an opt-out or opt-in keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeywordIntent {
    /// The sender wants no more messages from this tenant.
    OptOut,
    /// The sender wants messages again after an opt-out.
    OptIn,
}

/// Opt-out words, written already normalised (see [`normalize`]).
const OPT_OUT: &[&str] = &[
    // Twilio's standard opt-out keywords.
    "stop",
    "stopall",
    "unsubscribe",
    "cancel",
    "end",
    "quit",
    "optout",
    "revoke",
    // Arabic: cancel, cancel the subscription, stop (noun and imperative), halt.
    "الغاء",
    "الغاءالاشتراك",
    "الغيالاشتراك",
    "توقف",
    "توقيف",
    "ايقاف",
    "اوقف",
    "وقف",
    "قف",
    // "stop" written in Arabic letters, and in Arabizi (Arabic in Latin letters and digits).
    "ستوب",
    "wa2ef",
    "wa2if",
    "wa2af",
    "waqef",
    "elgha2",
    "ilgha2",
    "2elgha2",
    "el8a2",
];

/// Opt-in words, written already normalised.
const OPT_IN: &[&str] = &["start", "unstop", "yes", "ابدا", "اشتراك", "اشترك"];

/// Tells whether a whole inbound message is an opt-out or opt-in keyword.
pub fn classify(message: &str) -> Option<KeywordIntent> {
    let normalized = normalize(message);
    if normalized.is_empty() {
        None
    } else if OPT_OUT.contains(&normalized.as_str()) {
        Some(KeywordIntent::OptOut)
    } else if OPT_IN.contains(&normalized.as_str()) {
        Some(KeywordIntent::OptIn)
    } else {
        None
    }
}

/// Whether a whole inbound message asks to stop messages.
pub fn is_opt_out(message: &str) -> bool {
    classify(message) == Some(KeywordIntent::OptOut)
}

/// Reduces a message to the letters and digits that decide whether it is a keyword.
pub fn normalize(message: &str) -> String {
    message
        .chars()
        .filter_map(|c| match c {
            // Alef with hamza or madda, and alef wasla, are spelled interchangeably in chat.
            'أ' | 'إ' | 'آ' | 'ٱ' => Some('ا'),
            // Final yeh is often typed as alef maqsura, and teh marbuta as heh.
            'ى' => Some('ي'),
            'ة' => Some('ه'),
            // Tatweel only stretches a word, and harakat (short vowels, shadda, sukun) are
            // optional marks that Unicode nevertheless counts as alphabetic.
            'ـ'
            | '\u{064B}'..='\u{065F}'
            | '\u{0670}'
            | '\u{0610}'..='\u{061A}'
            | '\u{06D6}'..='\u{06ED}' => None,
            // Arabic-Indic digits become ASCII so Arabizi written with them still matches.
            '٠'..='٩' => char::from_digit(u32::from(c) - u32::from('٠'), 10),
            // Punctuation, spaces and emoji are not alphanumeric, so they fall out here.
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .flat_map(char::to_lowercase)
        .collect()
}
