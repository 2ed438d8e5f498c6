//! Bilingual reply templates: every text the service can send without a model, in English and Arabic.

use crate::hours::BusinessHours;
use crate::language::Language;
use crate::qualification::QualificationField;
use chrono::{DateTime, Datelike, Utc, Weekday};

/// What a template says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplateKind {
    /// First words to a new lead, before a question.
    Greeting,
    /// Ask for a missing field.
    Ask(QualificationField),
    /// Everything needed is known: a person will follow up.
    Qualified,
    /// The conversation goes to a person.
    HandOff,
    /// The lead is not interested: close politely.
    Goodbye,
    /// The business missed the lead's call.
    MissedCall,
    /// Fallback when nothing better can be said.
    Acknowledge,
    /// Asks how a person can reach the lead, before anyone is promised to call.
    AskContact,
    /// An honest answer to a question about the business without a knowledge base: who we are,
    /// when we are open, and that the team will confirm the details.
    Answer,
    /// A reply to thanks or an acknowledgement.
    Welcome,
}

/// What templates fill in.
#[derive(Debug, Clone)]
pub struct TemplateContext<'a> {
    /// The business's name.
    pub business: &'a str,
    /// The lead's first name, when known.
    pub lead_name: Option<&'a str>,
    /// Whether the business is open now.
    pub open_now: bool,
    /// The next opening, when closed.
    pub next_opening: Option<DateTime<Utc>>,
    /// The business's hours, to print the next opening in its timezone.
    pub hours: &'a BusinessHours,
    /// Texts an experiment puts in place of templates for this lead.
    pub overrides: &'a [TemplateOverride],
}

/// A tenant's own wording of one template (an experiment's variant); `{business}` and `{name}`
/// are filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateOverride {
    /// The template replaced.
    pub kind: TemplateKind,
    /// English text.
    pub text_en: String,
    /// Arabic text.
    pub text_ar: String,
}

fn weekday_name(day: Weekday, lang: Language) -> &'static str {
    match (lang, day) {
        (Language::En, Weekday::Mon) => "Monday",
        (Language::En, Weekday::Tue) => "Tuesday",
        (Language::En, Weekday::Wed) => "Wednesday",
        (Language::En, Weekday::Thu) => "Thursday",
        (Language::En, Weekday::Fri) => "Friday",
        (Language::En, Weekday::Sat) => "Saturday",
        (Language::En, Weekday::Sun) => "Sunday",
        (Language::Ar, Weekday::Mon) => "الاثنين",
        (Language::Ar, Weekday::Tue) => "الثلاثاء",
        (Language::Ar, Weekday::Wed) => "الأربعاء",
        (Language::Ar, Weekday::Thu) => "الخميس",
        (Language::Ar, Weekday::Fri) => "الجمعة",
        (Language::Ar, Weekday::Sat) => "السبت",
        (Language::Ar, Weekday::Sun) => "الأحد",
    }
}

/// The next opening as the lead reads it, in the business's timezone: "Sunday 09:00" / "الأحد 09:00".
pub fn format_opening(at: DateTime<Utc>, hours: &BusinessHours, lang: Language) -> String {
    let local = at.with_timezone(&hours.timezone());
    format!(
        "{} {}",
        weekday_name(local.weekday(), lang),
        local.format("%H:%M")
    )
}

/// When a person will reply: "shortly" when open, else the next opening.
fn human_eta(ctx: &TemplateContext<'_>, lang: Language) -> String {
    match (ctx.open_now, ctx.next_opening, lang) {
        (true, _, Language::En) => "shortly".to_owned(),
        (true, _, Language::Ar) => "قريباً".to_owned(),
        (false, Some(at), Language::En) => {
            format!("when we open on {}", format_opening(at, ctx.hours, lang))
        }
        (false, Some(at), Language::Ar) => format!(
            "عند بداية الدوام يوم {}",
            format_opening(at, ctx.hours, lang)
        ),
        (false, None, Language::En) => "as soon as we can".to_owned(),
        (false, None, Language::Ar) => "في أقرب وقت ممكن".to_owned(),
    }
}

/// The weekly opening hours in words, consecutive days with the same shifts grouped:
/// "Sunday to Thursday 09:00-18:00, Friday 09:00-13:00".
pub fn hours_summary(hours: &BusinessHours, lang: Language) -> String {
    // Weeks are read from Sunday, as the Gulf's working week starts then.
    const WEEK: [Weekday; 7] = [
        Weekday::Sun,
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
    ];
    let shifts = |day: Weekday| {
        hours
            .shifts_on(day)
            .iter()
            .map(|s| format!("{}-{}", s.start.format("%H:%M"), s.end.format("%H:%M")))
            .collect::<Vec<_>>()
            .join(if lang == Language::Ar { " و" } else { " and " })
    };
    let mut groups: Vec<(Weekday, Weekday, String)> = Vec::new();
    for day in WEEK {
        let text = shifts(day);
        if text.is_empty() {
            continue;
        }
        match groups.last_mut() {
            Some((_, last, t)) if *t == text && last.succ() == day => *last = day,
            _ => groups.push((day, day, text)),
        }
    }
    if groups.is_empty() {
        return match lang {
            Language::En => "to be confirmed by our team".to_owned(),
            Language::Ar => "يأكدها لك فريقنا".to_owned(),
        };
    }
    groups
        .iter()
        .map(|(first, last, text)| match (lang, first == last) {
            (Language::En, true) => format!("{} {text}", weekday_name(*first, lang)),
            (Language::En, false) => format!(
                "{} to {} {text}",
                weekday_name(*first, lang),
                weekday_name(*last, lang)
            ),
            (Language::Ar, true) => format!("{} {text}", weekday_name(*first, lang)),
            (Language::Ar, false) => format!(
                "من {} إلى {} {text}",
                weekday_name(*first, lang),
                weekday_name(*last, lang)
            ),
        })
        .collect::<Vec<_>>()
        .join(if lang == Language::Ar { "، " } else { ", " })
}

/// Renders a template in a language.
pub fn render(kind: TemplateKind, lang: Language, ctx: &TemplateContext<'_>) -> String {
    if let Some(o) = ctx.overrides.iter().find(|o| o.kind == kind) {
        let text = match lang {
            Language::En => &o.text_en,
            Language::Ar => &o.text_ar,
        };
        let text = text.replace("{business}", ctx.business);
        // Without a name, the placeholder goes with the space before it ("Hi {name}," -> "Hi,").
        return match ctx.lead_name {
            Some(name) => text.replace("{name}", name),
            None => text.replace(" {name}", "").replace("{name}", ""),
        };
    }
    let name_en = ctx.lead_name.map(|n| format!(" {n}")).unwrap_or_default();
    let name_ar = ctx.lead_name.map(|n| format!(" {n}")).unwrap_or_default();
    let business = ctx.business;
    match (kind, lang) {
        (TemplateKind::Greeting, Language::En) => {
            format!("Hi{name_en}, thanks for contacting {business}!")
        }
        (TemplateKind::Greeting, Language::Ar) => {
            format!("أهلاً{name_ar}، شكراً لتواصلك مع {business}!")
        }
        (TemplateKind::Ask(field), Language::En) => match field {
            QualificationField::Service => "What can we help you with?".to_owned(),
            QualificationField::Budget => "What budget do you have in mind?".to_owned(),
            QualificationField::Timeline => "When are you hoping to go ahead?".to_owned(),
            QualificationField::DecisionMaker => {
                "Will you be making the decision, or is anyone else involved?".to_owned()
            }
            QualificationField::Location => "Which area or city are you interested in?".to_owned(),
        },
        (TemplateKind::Ask(field), Language::Ar) => match field {
            QualificationField::Service => "كيف نقدر نساعدك؟".to_owned(),
            QualificationField::Budget => "كم الميزانية اللي في بالك؟".to_owned(),
            QualificationField::Timeline => "متى تحب تبدأ؟".to_owned(),
            QualificationField::DecisionMaker => {
                "هل القرار لك، أو فيه أحد ثاني يشاركك القرار؟".to_owned()
            }
            QualificationField::Location => "أي منطقة أو مدينة تفضل؟".to_owned(),
        },
        (TemplateKind::Qualified, Language::En) => format!(
            "Thank you{name_en}, that's everything we need. A member of our team will contact you {}.",
            human_eta(ctx, lang)
        ),
        (TemplateKind::Qualified, Language::Ar) => format!(
            "شكراً{name_ar}، وصلتنا كل المعلومات. بيتواصل معك أحد أفراد فريقنا {}.",
            human_eta(ctx, lang)
        ),
        (TemplateKind::HandOff, Language::En) => {
            format!(
                "I'm passing you to a member of our team; they will reply {}.",
                human_eta(ctx, lang)
            )
        }
        (TemplateKind::HandOff, Language::Ar) => {
            format!(
                "بحولك لأحد أفراد فريقنا، وبيرد عليك {}.",
                human_eta(ctx, lang)
            )
        }
        (TemplateKind::Goodbye, Language::En) => {
            format!(
                "Understood{name_en}, thank you for letting us know. {business} is here if you need us later."
            )
        }
        (TemplateKind::Goodbye, Language::Ar) => {
            format!("تمام{name_ar}، شكراً لإبلاغنا. {business} في خدمتك متى ما احتجتنا.")
        }
        (TemplateKind::MissedCall, Language::En) => format!(
            "Sorry we missed your call{name_en}! This is {business}. How can we help you? Reply here and we'll get right back to you."
        ),
        (TemplateKind::MissedCall, Language::Ar) => format!(
            "نعتذر، فاتنا اتصالك{name_ar}! معك {business}. كيف نقدر نساعدك؟ رد على هالرسالة ونخدمك على طول."
        ),
        (TemplateKind::Acknowledge, Language::En) => {
            "Thanks, noted. Anything else you'd like us to know?".to_owned()
        }
        (TemplateKind::Acknowledge, Language::Ar) => "شكراً، تم. فيه شي ثاني تحب تضيفه؟".to_owned(),
        (TemplateKind::AskContact, Language::En) => format!(
            "Thank you{name_en}! So that a member of our team can reach you, what is the best phone number or email for you?"
        ),
        (TemplateKind::AskContact, Language::Ar) => format!(
            "شكراً{name_ar}! عشان يقدر أحد من فريقنا يتواصل معك، وش أفضل رقم جوال أو بريد إلكتروني لك؟"
        ),
        (TemplateKind::Answer, Language::En) => format!(
            "Good question. This is {business}; our opening hours are {}. A member of our team will confirm the details with you.",
            hours_summary(ctx.hours, lang)
        ),
        (TemplateKind::Answer, Language::Ar) => format!(
            "سؤال في محله. معك {business}، وأوقات دوامنا {}. وبيأكد لك أحد أفراد فريقنا التفاصيل.",
            hours_summary(ctx.hours, lang)
        ),
        (TemplateKind::Welcome, Language::En) => "You're welcome, happy to help!".to_owned(),
        (TemplateKind::Welcome, Language::Ar) => "العفو، بالخدمة دايماً!".to_owned(),
    }
}

/// The reply the service sends without a model: greet a new lead, then ask for the first missing
/// field, or promise a person when everything is known.
pub fn offline_reply(
    first_reply: bool,
    missing: &[QualificationField],
    lang: Language,
    ctx: &TemplateContext<'_>,
) -> String {
    let body = match missing.first() {
        Some(field) => render(TemplateKind::Ask(*field), lang, ctx),
        None => render(TemplateKind::Qualified, lang, ctx),
    };
    if first_reply {
        format!("{} {body}", render(TemplateKind::Greeting, lang, ctx))
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hours::{Shift, parse_timezone};
    use crate::language::detect_language;

    const KINDS: [TemplateKind; 14] = [
        TemplateKind::AskContact,
        TemplateKind::Answer,
        TemplateKind::Welcome,
        TemplateKind::Greeting,
        TemplateKind::Ask(QualificationField::Service),
        TemplateKind::Ask(QualificationField::Budget),
        TemplateKind::Ask(QualificationField::Timeline),
        TemplateKind::Ask(QualificationField::DecisionMaker),
        TemplateKind::Ask(QualificationField::Location),
        TemplateKind::Qualified,
        TemplateKind::HandOff,
        TemplateKind::Goodbye,
        TemplateKind::MissedCall,
        TemplateKind::Acknowledge,
    ];

    #[test]
    fn every_template_exists_in_both_languages() {
        let hours =
            BusinessHours::closed(parse_timezone("Asia/Riyadh").unwrap_or(chrono_tz::Tz::UTC));
        let ctx = TemplateContext {
            business: "Test Realty",
            lead_name: None,
            open_now: true,
            next_opening: None,
            hours: &hours,
            overrides: &[],
        };
        for kind in KINDS {
            for lang in [Language::En, Language::Ar] {
                let text = render(kind, lang, &ctx);
                assert!(!text.is_empty());
                let business_free = text.replace("Test Realty", "");
                assert_eq!(
                    detect_language(&business_free),
                    Some(lang),
                    "{kind:?} {lang}: {text}"
                );
            }
        }
    }

    #[test]
    fn hours_are_summarised_by_runs_of_equal_days() {
        let tz = parse_timezone("Asia/Riyadh").unwrap_or(chrono_tz::Tz::UTC);
        let shift = |start: &str, end: &str| Shift {
            start: chrono::NaiveTime::parse_from_str(start, "%H:%M").unwrap_or_default(),
            end: chrono::NaiveTime::parse_from_str(end, "%H:%M").unwrap_or_default(),
        };
        let mut days = std::collections::BTreeMap::new();
        for day in ["sunday", "monday", "tuesday", "wednesday", "thursday"] {
            days.insert(day.to_owned(), vec![shift("09:00", "18:00")]);
        }
        days.insert("friday".to_owned(), vec![shift("09:00", "13:00")]);
        let hours =
            BusinessHours::from_days(tz, &days, []).unwrap_or_else(|_| BusinessHours::closed(tz));
        assert_eq!(
            hours_summary(&hours, Language::En),
            "Sunday to Thursday 09:00-18:00, Friday 09:00-13:00"
        );
        assert_eq!(
            hours_summary(&hours, Language::Ar),
            "من الأحد إلى الخميس 09:00-18:00، الجمعة 09:00-13:00"
        );
        assert_eq!(
            hours_summary(&BusinessHours::closed(tz), Language::En),
            "to be confirmed by our team"
        );
    }

    #[test]
    fn after_hours_promise_names_the_next_opening_in_local_time() {
        let hours =
            BusinessHours::closed(parse_timezone("Asia/Riyadh").unwrap_or(chrono_tz::Tz::UTC));
        let at = DateTime::parse_from_rfc3339("2026-11-29T06:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        let ctx = TemplateContext {
            business: "Test Realty",
            lead_name: Some("Ahmed"),
            open_now: false,
            next_opening: Some(at),
            hours: &hours,
            overrides: &[],
        };
        assert!(render(TemplateKind::HandOff, Language::En, &ctx).contains("Sunday 09:00"));
        assert!(render(TemplateKind::HandOff, Language::Ar, &ctx).contains("الأحد 09:00"));
    }

    #[test]
    fn an_override_replaces_its_template_with_the_name_and_business_filled_in() {
        let hours = BusinessHours::closed(chrono_tz::Tz::UTC);
        let overrides = [TemplateOverride {
            kind: TemplateKind::Greeting,
            text_en: "Hi {name}, welcome to {business}!".into(),
            text_ar: "أهلاً {name} في {business}!".into(),
        }];
        let mut ctx = TemplateContext {
            business: "Test Realty",
            lead_name: Some("Sara"),
            open_now: true,
            next_opening: None,
            hours: &hours,
            overrides: &overrides,
        };
        assert_eq!(
            render(TemplateKind::Greeting, Language::En, &ctx),
            "Hi Sara, welcome to Test Realty!"
        );
        assert_eq!(
            render(TemplateKind::Greeting, Language::Ar, &ctx),
            "أهلاً Sara في Test Realty!"
        );
        ctx.lead_name = None;
        assert_eq!(
            render(TemplateKind::Greeting, Language::En, &ctx),
            "Hi, welcome to Test Realty!"
        );
        // Other templates are untouched.
        assert_eq!(
            render(TemplateKind::Welcome, Language::En, &ctx),
            "You're welcome, happy to help!"
        );
    }
}
