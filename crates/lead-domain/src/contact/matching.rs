//! Which stored lead an inbound contact belongs to. The database adapter and the in-memory fake
//! both call [`best_match`], so the order cannot drift between them.

use crate::ports::ContactInfo;

/// How a stored lead matches an inbound contact; the derived order is the priority, phone first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ContactMatch {
    /// Same phone number: the strongest key, since Twilio and the web form both carry it.
    Phone,
    /// Same email address, for leads that gave no phone.
    Email,
    /// Same live-chat session, the weakest key: it only finds the chat's own lead.
    ChatSession,
}

/// The keys a stored lead is known by, borrowed from whatever row or record the adapter holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KnownContact<'a> {
    /// Phone in E.164 form, as stored.
    pub phone: Option<&'a str>,
    /// Email address, as stored.
    pub email: Option<&'a str>,
    /// Live-chat session linked to the lead.
    pub chat_session: Option<&'a str>,
}

/// How `known` matches `contact`, if at all. Claimed phones and emails typed into live chat never
/// match: they are stored on the chat's own lead only.
#[must_use]
pub fn contact_match(contact: &ContactInfo, known: KnownContact<'_>) -> Option<ContactMatch> {
    let same = |wanted: Option<&str>, have: Option<&str>| wanted.is_some() && wanted == have;
    if same(contact.phone.as_ref().map(|p| p.as_str()), known.phone) {
        Some(ContactMatch::Phone)
    } else if same(contact.email.as_ref().map(|e| e.as_str()), known.email) {
        Some(ContactMatch::Email)
    } else if same(contact.chat_session.as_deref(), known.chat_session) {
        Some(ContactMatch::ChatSession)
    } else {
        None
    }
}

/// The candidate that matches `contact` best (phone, then email, then chat session); among equal
/// matches the first one listed, so adapters that list leads in a stable order stay deterministic.
pub fn best_match<T>(
    contact: &ContactInfo,
    candidates: impl IntoIterator<Item = T>,
    known: impl Fn(&T) -> KnownContact<'_>,
) -> Option<T> {
    let mut best: Option<(ContactMatch, T)> = None;
    for candidate in candidates {
        let Some(rank) = contact_match(contact, known(&candidate)) else {
            continue;
        };
        if best.as_ref().is_none_or(|(b, _)| rank < *b) {
            best = Some((rank, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::{Email, PhoneNumber};

    fn contact(phone: Option<&str>, email: Option<&str>, session: Option<&str>) -> ContactInfo {
        ContactInfo {
            phone: phone.map(|p| PhoneNumber::parse(p).unwrap_or_else(|e| panic!("{e}"))),
            email: email.map(|e| Email::parse(e).unwrap_or_else(|e| panic!("{e}"))),
            chat_session: session.map(str::to_owned),
            ..ContactInfo::default()
        }
    }

    fn known<'a>(p: Option<&'a str>, e: Option<&'a str>, s: Option<&'a str>) -> KnownContact<'a> {
        KnownContact {
            phone: p,
            email: e,
            chat_session: s,
        }
    }

    #[test]
    fn phone_beats_email_beats_chat_session_whatever_the_listing_order() {
        let c = contact(Some("+966501234567"), Some("a@b.co"), Some("s1"));
        let rows = [
            ("by-session", known(None, None, Some("s1"))),
            ("by-email", known(None, Some("a@b.co"), None)),
            ("by-phone", known(Some("+966501234567"), None, None)),
        ];
        assert_eq!(best_match(&c, rows, |r| r.1).map(|r| r.0), Some("by-phone"));
        assert_eq!(
            best_match(&c, rows[..2].iter(), |r| r.1).map(|r| r.0),
            Some("by-email")
        );
        assert_eq!(
            best_match(&c, rows[..1].iter(), |r| r.1).map(|r| r.0),
            Some("by-session")
        );
    }

    #[test]
    fn the_first_of_equal_matches_wins_and_absent_keys_never_match() {
        let c = contact(None, Some("a@b.co"), None);
        let rows = [
            ("none", known(None, None, None)),
            ("first", known(Some("+966501234567"), Some("a@b.co"), None)),
            ("second", known(None, Some("a@b.co"), None)),
        ];
        assert_eq!(best_match(&c, rows, |r| r.1).map(|r| r.0), Some("first"));
        let nobody = contact(None, None, None);
        assert_eq!(best_match(&nobody, rows, |r| r.1), None);
        assert_eq!(contact_match(&nobody, known(None, None, None)), None);
    }

    #[test]
    fn claimed_contacts_do_not_match() {
        let c = ContactInfo {
            claimed_phone: Some(
                PhoneNumber::parse("+966501234567").unwrap_or_else(|e| panic!("{e}")),
            ),
            ..ContactInfo::default()
        };
        assert_eq!(
            contact_match(&c, known(Some("+966501234567"), None, None)),
            None
        );
    }
}
