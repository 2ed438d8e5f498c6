//! Phone numbers from forms and chat text: normalised to E.164 with the tenant's default region by
//! a real numbering-plan library, then handed to the domain's `PhoneNumber`; and the email address
//! a chat visitor writes in a message.

use lead_domain::contact::PhoneNumber;
use phonenumber::Mode;
use phonenumber::country::Id;

/// Why a phone number was rejected, as a stable code and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PhoneError {
    /// Stable snake_case code for the field error.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
}

/// Whether a region code is one the numbering plan knows (`SA`, `AE`, ...).
pub fn is_known_region(region: &str) -> bool {
    region.trim().to_ascii_uppercase().parse::<Id>().is_ok()
}

/// Normalises `+966 50 123 4567`, `0501234567` (region `SA`) or `00971 50 123 4567` to E.164.
///
/// # Errors
/// [`PhoneError`] when the text is not a phone number or not a valid number of its country.
pub fn normalise(input: &str, default_region: &str) -> Result<PhoneNumber, PhoneError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(PhoneError {
            code: "required",
            message: "phone number is empty".to_owned(),
        });
    }
    if trimmed.len() > 32 {
        return Err(PhoneError {
            code: "too_long",
            message: "phone number is longer than 32 characters".to_owned(),
        });
    }
    // `00` is the international prefix in the Gulf and Europe; the library reads `+` only.
    let international = match trimmed.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => trimmed.to_owned(),
    };
    let region = default_region
        .trim()
        .to_ascii_uppercase()
        .parse::<Id>()
        .ok();
    let parsed = phonenumber::parse(region, &international).map_err(|_| PhoneError {
        code: "invalid_phone",
        message: "not a phone number; use international form such as +966501234567".to_owned(),
    })?;
    if !phonenumber::is_valid(&parsed) {
        return Err(PhoneError {
            code: "invalid_phone",
            message: "not a valid number for its country".to_owned(),
        });
    }
    let e164 = parsed.format().mode(Mode::E164).to_string();
    PhoneNumber::parse(&e164).map_err(|e| PhoneError {
        code: "invalid_phone",
        message: e.to_string(),
    })
}

/// The first phone number written in free text ("call me on 050 123 4567", "رقمي ٠٥٠١٢٣٤٥٦٧"),
/// normalised with the tenant's region: how a chat visitor gives a way to be reached.
pub fn find_in_text(text: &str, default_region: &str) -> Option<PhoneNumber> {
    // Arabic-Indic and Persian digits read as ASCII digits.
    let ascii: String = text
        .chars()
        .map(|c| match c {
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            c => c,
        })
        .collect();
    let mut runs: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in ascii.chars() {
        let part = c.is_ascii_digit()
            || (matches!(c, ' ' | '-' | '.' | '(' | ')') && !current.is_empty())
            || (c == '+' && current.trim().is_empty());
        if part {
            current.push(c);
        } else if !current.is_empty() {
            runs.push(std::mem::take(&mut current));
        }
    }
    runs.push(current);
    runs.into_iter().find_map(|run| {
        let run = run.trim_end_matches([' ', '-', '.', '(']).trim();
        let digits = run.chars().filter(char::is_ascii_digit).count();
        if (8..=15).contains(&digits) {
            normalise(run, default_region).ok()
        } else {
            None
        }
    })
}

/// The first email address written in free text.
pub fn email_in_text(text: &str) -> Option<lead_domain::contact::Email> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '(' | ')' | '،'))
        .filter(|w| w.contains('@'))
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .find_map(|w| lead_domain::contact::Email::parse(w).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_found_in_free_text() {
        let found = |t: &str| find_in_text(t, "SA").map(|p| p.as_str().to_owned());
        assert_eq!(
            found("call me on 050 123 4567 please"),
            Some("+966501234567".into())
        );
        assert_eq!(found("رقمي ٠٥٠١٢٣٤٥٦٧"), Some("+966501234567".into()));
        assert_eq!(
            found("my number: +971-50-123-4567."),
            Some("+971501234567".into())
        );
        assert_eq!(found("budget 2,000,000 riyals in 2027"), None);
        assert_eq!(found("3 rooms for 900000"), None);
        assert_eq!(
            email_in_text("you can email me at Sara.K@example.com, thanks")
                .map(|e| e.as_str().to_owned()),
            Some("Sara.K@example.com".into())
        );
        assert_eq!(email_in_text("no address @ here"), None);
    }

    fn check(input: &str, region: &str) -> Result<String, &'static str> {
        normalise(input, region)
            .map(|p| p.as_str().to_owned())
            .map_err(|e| e.code)
    }

    #[test]
    fn local_and_international_forms_become_e164() {
        assert_eq!(check("+966501234567", "SA"), Ok("+966501234567".into()));
        assert_eq!(check("+966 50 123 4567", "US"), Ok("+966501234567".into()));
        assert_eq!(check("0501234567", "SA"), Ok("+966501234567".into()));
        assert_eq!(check("00971 50 123 4567", "SA"), Ok("+971501234567".into()));
        assert_eq!(check("050 123 4567", "AE"), Ok("+971501234567".into()));
    }

    #[test]
    fn impossible_numbers_are_rejected() {
        assert_eq!(check("12", "SA"), Err("invalid_phone"));
        assert_eq!(check("not a number", "SA"), Err("invalid_phone"));
        assert_eq!(check("+96650123", "SA"), Err("invalid_phone"));
        assert_eq!(check("", "SA"), Err("required"));
        assert_eq!(check(&"1".repeat(40), "SA"), Err("too_long"));
    }

    #[test]
    fn regions_are_checked() {
        assert!(is_known_region("sa"));
        assert!(!is_known_region("XX"));
    }
}
