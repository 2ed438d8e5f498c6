//! Contact details parsed at the edge, so the rest of the domain never sees a raw string.

use serde::{Deserialize, Serialize};
use std::fmt;

mod matching;
pub use matching::{ContactMatch, KnownContact, best_match, contact_match};

/// Why a phone number or an email address was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    /// The phone number is not a plausible international (E.164) number.
    #[error("invalid phone number: {0}")]
    InvalidPhone(&'static str),
    /// The email address is not syntactically valid.
    #[error("invalid email address: {0}")]
    InvalidEmail(&'static str),
}

/// A phone number in E.164 form (`+` and 8 to 15 digits), the key Twilio and our lead lookup use.
///
/// Parsing here is syntactic; adapters that know national numbering plans (the HTTP layer with a
/// phone-number library) normalise local forms with the tenant's region before calling [`PhoneNumber::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses `+966 50 123 4567`, `00966501234567` or `+966-50-123-4567` into `+966501234567`.
    ///
    /// # Errors
    /// [`ContactError::InvalidPhone`] when the input is not an international number of 8 to 15 digits.
    pub fn parse(input: &str) -> Result<Self, ContactError> {
        let trimmed = input.trim();
        let rest = if let Some(r) = trimmed.strip_prefix('+') {
            r
        } else if let Some(r) = trimmed.strip_prefix("00") {
            r
        } else {
            return Err(ContactError::InvalidPhone(
                "must start with + and a country code",
            ));
        };
        let mut digits = String::with_capacity(16);
        digits.push('+');
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => {
                    return Err(ContactError::InvalidPhone(
                        "contains a character that is not a digit",
                    ));
                }
            }
        }
        let count = digits.len() - 1;
        if !(8..=15).contains(&count) {
            return Err(ContactError::InvalidPhone("must have 8 to 15 digits"));
        }
        if digits.as_bytes()[1] == b'0' {
            return Err(ContactError::InvalidPhone(
                "country code cannot start with 0",
            ));
        }
        Ok(Self(digits))
    }

    /// The number as `+` followed by digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with all but the last four digits hidden, for logs and notifications.
    pub fn masked(&self) -> String {
        let keep = self.0.len().saturating_sub(4);
        format!("+***{}", &self.0[keep..])
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = ContactError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.0
    }
}

/// An email address, lower-cased in its domain, checked for the syntax mail servers accept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses an address such as `ahmed@example.com`.
    ///
    /// # Errors
    /// [`ContactError::InvalidEmail`] when the address has no `@`, an empty or overlong part,
    /// whitespace, or a domain without a dot.
    pub fn parse(input: &str) -> Result<Self, ContactError> {
        let s = input.trim();
        if s.len() > 254 {
            return Err(ContactError::InvalidEmail("longer than 254 characters"));
        }
        let (local, domain) = s
            .rsplit_once('@')
            .ok_or(ContactError::InvalidEmail("missing @"))?;
        if local.is_empty() || local.len() > 64 {
            return Err(ContactError::InvalidEmail(
                "local part must have 1 to 64 characters",
            ));
        }
        if local.contains('@') || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ContactError::InvalidEmail("contains a forbidden character"));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(ContactError::InvalidEmail(
                "misplaced dot in the local part",
            ));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return Err(ContactError::InvalidEmail("domain must contain a dot"));
        }
        for label in &labels {
            let ok = !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-');
            if !ok {
                return Err(ContactError::InvalidEmail("invalid domain"));
            }
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address with the local part hidden, for logs.
    pub fn masked(&self) -> String {
        match self.0.split_once('@') {
            Some((local, domain)) => {
                let first = local.chars().next().unwrap_or('*');
                format!("{first}***@{domain}")
            }
            None => "***".to_owned(),
        }
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = ContactError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

/// Where a message came from or goes to: the lead's phone, email, or a live-chat session.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Address {
    /// A phone number, for SMS, WhatsApp and voice.
    Phone(PhoneNumber),
    /// An email address.
    Email(Email),
    /// A live-chat visitor session id chosen by the widget.
    ChatSession(String),
}

impl Address {
    /// The address as the opt-out registry and logs key it.
    pub fn key(&self) -> String {
        match self {
            Address::Phone(p) => p.as_str().to_owned(),
            Address::Email(e) => e.as_str().to_owned(),
            Address::ChatSession(s) => format!("chat:{s}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_normalise_to_e164() {
        for (input, want) in [
            ("+966501234567", "+966501234567"),
            ("+966 50 123 4567", "+966501234567"),
            ("00966-50-123-4567", "+966501234567"),
            ("+1 (415) 555-0100", "+14155550100"),
        ] {
            assert_eq!(
                PhoneNumber::parse(input).map(|p| p.0),
                Ok(want.to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn bad_phone_numbers_are_rejected() {
        for input in [
            "",
            "0501234567",
            "+12",
            "+0966501234567",
            "+9665012345678901",
            "+96650abc4567",
        ] {
            assert!(PhoneNumber::parse(input).is_err(), "{input}");
        }
    }

    #[test]
    fn phone_masking_keeps_last_four() {
        let p = PhoneNumber::parse("+966501234567").expect("valid");
        assert_eq!(p.masked(), "+***4567");
    }

    #[test]
    fn emails_parse_and_lowercase_domain() {
        let e = Email::parse(" Ahmed@Example.COM ").expect("valid");
        assert_eq!(e.as_str(), "Ahmed@example.com");
        assert_eq!(e.masked(), "A***@example.com");
    }

    #[test]
    fn bad_emails_are_rejected() {
        for input in [
            "",
            "a",
            "a@b",
            "@b.com",
            "a@@b.com",
            "a b@c.com",
            "a@-b.com",
            ".a@b.com",
            "a..b@c.com",
        ] {
            assert!(Email::parse(input).is_err(), "{input}");
        }
    }
}
