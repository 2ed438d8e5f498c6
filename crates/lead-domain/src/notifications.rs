//! Who a tenant's team is and how it hears of its leads: people's contacts by channel, the
//! language they read, which events page them, the webhook endpoints; and the handoff packet
//! rendered for an SMS, a WhatsApp message and an email.

use crate::events::{ALL_EVENT_TYPES, EventType, PageChannel};
use crate::language::Language;
use crate::lead::Sender;
use crate::ports::HandoffPacket;
use crate::qualification::Timeline;
use crate::tenant::Secret;
use serde::{Deserialize, Serialize};

/// A tenant's notification settings (`notifications` of a client).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationSettings {
    /// Email addresses paged.
    #[serde(default)]
    pub email: Vec<String>,
    /// Numbers (E.164) paged by SMS.
    #[serde(default)]
    pub sms: Vec<String>,
    /// Numbers (E.164) paged on WhatsApp.
    #[serde(default)]
    pub whatsapp: Vec<String>,
    /// The language the team reads.
    #[serde(default)]
    pub language: Language,
    /// The events that page people.
    #[serde(default = "default_page_events")]
    pub events: Vec<EventType>,
    /// Endpoints that receive signed events.
    #[serde(default)]
    pub webhooks: Vec<WebhookEndpoint>,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            email: Vec::new(),
            sms: Vec::new(),
            whatsapp: Vec::new(),
            language: Language::default(),
            events: default_page_events(),
            webhooks: Vec::new(),
        }
    }
}

/// The events that page people unless the tenant says otherwise.
pub fn default_page_events() -> Vec<EventType> {
    vec![EventType::LeadHot, EventType::ConversationEscalated]
}

/// One webhook endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    /// Stable id (`we_...`), named by its deliveries.
    pub id: String,
    /// Where events are posted (`https://`, or `http://` for local receivers).
    pub url: String,
    /// Event types, or `*` for all.
    #[serde(default = "all_events")]
    pub events: Vec<String>,
    /// `whsec_` + base64 of the signing key; sealed at rest, never shown after it is created.
    pub secret: Secret,
    /// Set when the receiver answered 410 Gone: nothing more is sent until it is changed.
    #[serde(default)]
    pub disabled: bool,
}

fn all_events() -> Vec<String> {
    vec!["*".to_owned()]
}

impl WebhookEndpoint {
    /// Whether the endpoint takes events of this type.
    pub fn subscribes(&self, kind: EventType) -> bool {
        !self.disabled && self.events.iter().any(|e| e == "*" || e == kind.as_str())
    }
}

impl NotificationSettings {
    /// Whether anyone (a person or an endpoint) listens to events of this type.
    pub fn listens_to(&self, kind: EventType) -> bool {
        self.pages_for(kind) || self.webhooks.iter().any(|w| w.subscribes(kind))
    }

    /// Whether events of this type page people, and there is someone to page.
    pub fn pages_for(&self, kind: EventType) -> bool {
        (self.events.contains(&kind) || kind.needs_a_person())
            && !(self.email.is_empty() && self.sms.is_empty() && self.whatsapp.is_empty())
    }

    /// Every person's contact with its channel, in a stable order.
    pub fn contacts(&self) -> Vec<(PageChannel, String)> {
        let mut out = Vec::new();
        for e in &self.email {
            out.push((PageChannel::Email, e.clone()));
        }
        for n in &self.sms {
            out.push((PageChannel::Sms, n.clone()));
        }
        for n in &self.whatsapp {
            out.push((PageChannel::Whatsapp, n.clone()));
        }
        out
    }
}

/// Whether `name` is a known event type or `*`.
pub fn is_event_name(name: &str) -> bool {
    name == "*" || ALL_EVENT_TYPES.iter().any(|t| t.as_str() == name)
}

/// How many of the latest messages a page quotes.
pub const PAGE_MESSAGES: usize = 5;

/// One GSM-7 SMS segment.
pub const SMS_SEGMENT_GSM: usize = 160;
/// One SMS segment of Arabic (UCS-2).
pub const SMS_SEGMENT_UCS2: usize = 70;

/// What a page is about: the event's headline and reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct PageSubject {
    /// The event.
    pub kind: EventType,
    /// Why: score reasons or escalation reasons.
    pub why: Vec<String>,
}

/// The page's texts in the team's language.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedPage {
    /// Email subject.
    pub subject: String,
    /// SMS: the headline, who, what and the link last, cut to one segment where possible.
    pub sms: String,
    /// WhatsApp and the email's text part: every field, the last messages and the link.
    pub text: String,
    /// The email's HTML part.
    pub html: String,
}

struct Labels {
    who: &'static str,
    contact: &'static str,
    wants: &'static str,
    budget: &'static str,
    timeline: &'static str,
    decides: &'static str,
    location: &'static str,
    why: &'static str,
    messages: &'static str,
    open: &'static str,
    yes: &'static str,
    no: &'static str,
    unknown: &'static str,
    lead: &'static str,
    ai: &'static str,
    agent: &'static str,
}

const EN: Labels = Labels {
    who: "Who",
    contact: "Contact",
    wants: "Wants",
    budget: "Budget",
    timeline: "Timeline",
    decides: "Decision maker",
    location: "Location",
    why: "Why",
    messages: "Last messages",
    open: "Open",
    yes: "yes",
    no: "no",
    unknown: "unknown",
    lead: "Lead",
    ai: "AI",
    agent: "Team",
};

const AR: Labels = Labels {
    who: "العميل",
    contact: "التواصل",
    wants: "المطلوب",
    budget: "الميزانية",
    timeline: "التوقيت",
    decides: "صاحب القرار",
    location: "الموقع",
    why: "السبب",
    messages: "آخر الرسائل",
    open: "فتح",
    yes: "نعم",
    no: "لا",
    unknown: "غير معروف",
    lead: "العميل",
    ai: "المساعد",
    agent: "الفريق",
};

/// Renders a page about the tenant rather than a lead (`budget.alert`, `crm.disconnected`): the
/// headline, one line of facts and the link to where a person fixes it, in the team's language.
pub fn render_alert(kind: EventType, facts: &str, language: Language, link: &str) -> RenderedPage {
    let head = headline(kind, language);
    let open = match language {
        Language::En => EN.open,
        Language::Ar => AR.open,
    };
    let line = if facts.is_empty() {
        head.to_owned()
    } else {
        format!("{head}: {facts}")
    };
    let dir = if language == Language::Ar {
        "rtl"
    } else {
        "ltr"
    };
    RenderedPage {
        subject: head.to_owned(),
        sms: format!("{line} {link}"),
        text: format!("{line}\n\n{open}: {link}"),
        html: format!(
            "<!doctype html><html lang=\"{}\" dir=\"{dir}\"><body><h2>{}</h2><p>{}</p><p><a href=\"{}\">{}</a></p></body></html>",
            language.code(),
            escape_html(head),
            escape_html(facts),
            escape_html(link),
            escape_html(open)
        ),
    }
}

fn headline(kind: EventType, language: Language) -> &'static str {
    match (language, kind) {
        (Language::En, EventType::LeadHot) => "HOT lead",
        (Language::En, EventType::ConversationEscalated) => "Lead needs a person",
        (Language::En, EventType::LeadUndeliverable) => "Lead cannot be reached",
        (Language::En, EventType::BudgetAlert) => "AI budget at 80%",
        (Language::En, EventType::LeadCreated) => "New lead",
        (Language::En, EventType::CrmDisconnected) => "CRM sync stopped",
        (Language::En, _) => "Lead update",
        (Language::Ar, EventType::LeadHot) => "عميل ساخن",
        (Language::Ar, EventType::ConversationEscalated) => "عميل يحتاج موظفاً",
        (Language::Ar, EventType::LeadUndeliverable) => "تعذر الوصول إلى العميل",
        (Language::Ar, EventType::BudgetAlert) => "ميزانية الذكاء الاصطناعي 80%",
        (Language::Ar, EventType::LeadCreated) => "عميل جديد",
        (Language::Ar, EventType::CrmDisconnected) => "توقفت المزامنة مع نظام إدارة العملاء",
        (Language::Ar, _) => "تحديث عميل",
    }
}

fn timeline_text(t: Timeline, language: Language) -> &'static str {
    match (language, t) {
        (Language::En, Timeline::Immediate) => "now",
        (Language::En, Timeline::Within1Month) => "within a month",
        (Language::En, Timeline::OneToThreeMonths) => "1-3 months",
        (Language::En, Timeline::ThreeToSixMonths) => "3-6 months",
        (Language::En, Timeline::OverSixMonths) => "over 6 months",
        (Language::Ar, Timeline::Immediate) => "فوراً",
        (Language::Ar, Timeline::Within1Month) => "خلال شهر",
        (Language::Ar, Timeline::OneToThreeMonths) => "1-3 أشهر",
        (Language::Ar, Timeline::ThreeToSixMonths) => "3-6 أشهر",
        (Language::Ar, Timeline::OverSixMonths) => "أكثر من 6 أشهر",
    }
}

fn amount(v: f64) -> String {
    if v >= 1_000_000.0 && (v % 100_000.0) == 0.0 {
        format!("{}M", v / 1_000_000.0)
    } else if v >= 1_000.0 && (v % 1_000.0) == 0.0 {
        format!("{}K", v / 1_000.0)
    } else {
        format!("{v:.0}")
    }
}

fn budget_text(packet: &HandoffPacket) -> Option<String> {
    let b = packet.budget?;
    let cur = b.currency.as_str().to_owned();
    match (b.min, b.max) {
        (Some(min), Some(max)) if (min - max).abs() > f64::EPSILON => {
            Some(format!("{}-{} {cur}", amount(min), amount(max)))
        }
        (_, Some(v)) | (Some(v), None) => Some(format!("{} {cur}", amount(v))),
        (None, None) => None,
    }
}

fn contact_text(packet: &HandoffPacket) -> Option<String> {
    let phone = packet.phone.as_ref().or(packet.claimed_phone.as_ref());
    let email = packet.email.as_ref().or(packet.claimed_email.as_ref());
    match (phone, email) {
        (Some(p), Some(e)) => Some(format!("{} {}", p.as_str(), e.as_str())),
        (Some(p), None) => Some(p.as_str().to_owned()),
        (None, Some(e)) => Some(e.as_str().to_owned()),
        (None, None) => None,
    }
}

fn service_text(service: &str) -> String {
    service.replace('_', " ")
}

/// Whether an SMS of this text is sent as GSM-7 (160 a segment) rather than UCS-2 (70).
fn is_gsm(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_ascii() && c != '`' && c != '^' && c != '{' && c != '}' && c != '[' && c != ']'
            || "£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà".contains(c)
    })
}

/// The segment size of a text.
pub fn sms_segment(text: &str) -> usize {
    if is_gsm(text) {
        SMS_SEGMENT_GSM
    } else {
        SMS_SEGMENT_UCS2
    }
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Renders the handoff packet for the team in their language, with `link` (the lead's page) last.
pub fn render_page(
    subject: &PageSubject,
    packet: &HandoffPacket,
    language: Language,
    link: &str,
) -> RenderedPage {
    let l = match language {
        Language::En => &EN,
        Language::Ar => &AR,
    };
    let head = headline(subject.kind, language);
    let name = packet.name.clone().unwrap_or_else(|| l.unknown.to_owned());
    let contact = contact_text(packet);
    let wants = packet.service.as_deref().map(service_text);
    let budget = budget_text(packet);
    let timeline = packet
        .timeline
        .map(|t| timeline_text(t, language).to_owned());
    let decides = packet
        .decision_maker
        .map(|d| if d { l.yes } else { l.no }.to_owned());
    let location = packet.location.clone();
    let why = subject.why.join("; ");
    let fields: Vec<(&str, Option<String>)> = vec![
        (l.who, Some(name.clone())),
        (l.contact, contact.clone()),
        (l.wants, wants.clone()),
        (l.budget, budget.clone()),
        (l.timeline, timeline.clone()),
        (l.decides, decides),
        (l.location, location.clone()),
        (l.why, (!why.is_empty()).then(|| why.clone())),
    ];
    let start = packet.last_messages.len().saturating_sub(PAGE_MESSAGES);
    let last: Vec<(String, String)> = packet.last_messages[start..]
        .iter()
        .map(|(who, text)| {
            let who = match who {
                Sender::Lead => l.lead,
                Sender::Ai => l.ai,
                Sender::Human | Sender::System => l.agent,
            };
            (who.to_owned(), text.clone())
        })
        .collect();

    // The SMS: headline and name first, then the most useful facts while they fit, link last.
    let mut sms_parts = vec![format!("{head}: {name}")];
    let optional = [contact, wants, budget, timeline, location];
    let fits = |parts: &[String]| {
        let text = format!("{} {link}", parts.join(", "));
        text.chars().count() <= sms_segment(&text)
    };
    for part in optional.into_iter().flatten() {
        let mut tried = sms_parts.clone();
        tried.push(part);
        if fits(&tried) {
            sms_parts = tried;
        }
    }
    let sms = format!("{} {link}", sms_parts.join(", "));

    let mut text = format!("{head}\n");
    for (label, value) in &fields {
        if let Some(v) = value {
            text.push_str(&format!("{label}: {v}\n"));
        }
    }
    if !last.is_empty() {
        text.push_str(&format!("\n{}:\n", l.messages));
        for (who, body) in &last {
            text.push_str(&format!("{who}: {body}\n"));
        }
    }
    text.push_str(&format!("\n{}: {link}", l.open));

    let dir = if language == Language::Ar {
        "rtl"
    } else {
        "ltr"
    };
    let mut html = format!(
        "<!doctype html><html lang=\"{}\" dir=\"{dir}\"><body><h2>{}</h2><table>",
        language.code(),
        escape_html(head)
    );
    for (label, value) in &fields {
        if let Some(v) = value {
            html.push_str(&format!(
                "<tr><th align=\"start\">{}</th><td>{}</td></tr>",
                escape_html(label),
                escape_html(v)
            ));
        }
    }
    html.push_str("</table>");
    if !last.is_empty() {
        html.push_str(&format!("<h3>{}</h3><ul>", escape_html(l.messages)));
        for (who, body) in &last {
            html.push_str(&format!(
                "<li><b>{}</b>: {}</li>",
                escape_html(who),
                escape_html(body)
            ));
        }
        html.push_str("</ul>");
    }
    html.push_str(&format!(
        "<p><a href=\"{}\">{}</a></p></body></html>",
        escape_html(link),
        escape_html(l.open)
    ));
    RenderedPage {
        subject: format!("{head}: {name}"),
        sms,
        text,
        html,
    }
}

#[cfg(test)]
mod tests;
