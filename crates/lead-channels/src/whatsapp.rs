//! WhatsApp's 24-hour customer-service window: when free-form text may be sent.
//!
//! WhatsApp accepts free-form messages only within 24 hours of the customer's last message;
//! outside that window only a pre-approved template may open the conversation, and a free-form
//! send fails with Twilio error 63016. Deciding before sending keeps that failure from happening.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use lead_domain::language::Language;
use lead_domain::tenant::WhatsAppTemplate;

#[cfg(test)]
mod tests;

/// How long after the lead's last inbound message free-form replies are allowed.
pub const SESSION_WINDOW: TimeDelta = TimeDelta::hours(24);

/// What may be sent to a WhatsApp lead right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowDecision {
    /// Inside the window: the free-form text may go out.
    FreeForm,
    /// Outside the window: send the tenant's approved template instead.
    Template(WhatsAppTemplate),
    /// Outside the window and no template configured: send nothing.
    Skip,
}

/// Whether `now` is within the session window opened by the lead's last inbound message.
///
/// No inbound message at all means no window. A last message stamped slightly after `now`
/// (clock skew between machines) counts as inside.
pub fn within_window(last_inbound: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_inbound.is_some_and(|last| now.signed_duration_since(last) < SESSION_WINDOW)
}

/// Decides between free-form text, the tenant's template, or nothing.
pub fn decide(
    last_inbound: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    template: Option<&WhatsAppTemplate>,
) -> WindowDecision {
    if within_window(last_inbound, now) {
        WindowDecision::FreeForm
    } else {
        template.map_or(WindowDecision::Skip, |t| {
            WindowDecision::Template(t.clone())
        })
    }
}

/// Fills `{name}` and `{business}` in a template's variables.
///
/// WhatsApp rejects empty template variables, so a lead without a known name is addressed
/// with a neutral greeting word in their language instead.
pub fn fill_variables(
    template: &WhatsAppTemplate,
    lead_name: Option<&str>,
    business: &str,
    language: Language,
) -> BTreeMap<String, String> {
    let fallback = match language {
        Language::En => "there",
        Language::Ar => "عميلنا العزيز",
    };
    let name = lead_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(fallback);
    template
        .variables
        .iter()
        .map(|(key, value)| {
            let filled = value
                .replace("{name}", name)
                .replace("{business}", business);
            (key.clone(), filled)
        })
        .collect()
}
