use super::*;
use crate::contact::{Email, PhoneNumber};
use crate::lead::Channel;
use crate::qualification::{Budget, Currency};
use crate::scoring::Score;

const LINK: &str = "https://leads.example.com/app/leads/0193a0c4-7a51-7c1e-9f00-0123456789ab";

fn packet() -> HandoffPacket {
    HandoffPacket {
        name: Some("Sara Ali".into()),
        phone: PhoneNumber::parse("+966501234567").ok(),
        email: Email::parse("sara@example.com").ok(),
        claimed_phone: None,
        claimed_email: None,
        channel: Channel::Sms,
        language: None,
        service: Some("buy_villa".into()),
        budget: Some(Budget {
            min: None,
            max: Some(2_000_000.0),
            currency: Currency::parse("SAR").expect("currency"),
            confirmed: false,
        }),
        timeline: Some(Timeline::OneToThreeMonths),
        urgency: None,
        decision_maker: Some(true),
        location: Some("Riyadh".into()),
        score: Score::Hot,
        points: 85,
        score_reasons: vec!["budget above the high-value threshold".into()],
        last_messages: (1..=7)
            .map(|i| (Sender::Lead, format!("message {i}")))
            .collect(),
    }
}

fn hot() -> PageSubject {
    PageSubject {
        kind: EventType::LeadHot,
        why: vec!["budget above the high-value threshold".into()],
    }
}

#[test]
fn the_english_packet_has_every_field_the_last_five_messages_and_the_link_last() {
    let page = render_page(&hot(), &packet(), Language::En, LINK);
    for expected in [
        "HOT lead",
        "Who: Sara Ali",
        "Contact: +966501234567 sara@example.com",
        "Wants: buy villa",
        "Budget: 2M SAR",
        "Timeline: 1-3 months",
        "Decision maker: yes",
        "Location: Riyadh",
        "Why: budget above the high-value threshold",
        "Lead: message 7",
        "Lead: message 3",
    ] {
        assert!(
            page.text.contains(expected),
            "{expected:?} in {}",
            page.text
        );
    }
    assert!(!page.text.contains("message 2"), "only the last five");
    assert!(page.text.ends_with(LINK));
    assert!(page.html.contains(&format!("href=\"{LINK}\"")));
    assert!(
        page.html
            .contains("<th align=\"start\">Budget</th><td>2M SAR</td>")
    );
    assert_eq!(page.subject, "HOT lead: Sara Ali");
}

#[test]
fn the_english_sms_fits_one_segment_with_the_link_last() {
    let page = render_page(&hot(), &packet(), Language::En, LINK);
    assert!(page.sms.starts_with("HOT lead: Sara Ali, +966501234567"));
    assert!(page.sms.ends_with(LINK));
    assert!(page.sms.chars().count() <= SMS_SEGMENT_GSM, "{}", page.sms);
    assert_eq!(sms_segment(&page.sms), SMS_SEGMENT_GSM);
}

#[test]
fn the_arabic_packet_is_in_arabic_right_to_left_and_keeps_the_link_last() {
    let page = render_page(&hot(), &packet(), Language::Ar, LINK);
    for expected in [
        "عميل ساخن",
        "العميل: Sara Ali",
        "الميزانية: 2M SAR",
        "التوقيت: 1-3 أشهر",
        "صاحب القرار: نعم",
        "الموقع: Riyadh",
        "آخر الرسائل",
    ] {
        assert!(
            page.text.contains(expected),
            "{expected:?} in {}",
            page.text
        );
    }
    assert!(page.html.contains("dir=\"rtl\""));
    assert!(page.sms.starts_with("عميل ساخن: Sara Ali"));
    assert!(page.sms.ends_with(LINK));
    // Arabic is sent as UCS-2, where the link alone nearly fills a segment: only the headline and
    // the name go with it.
    assert_eq!(sms_segment(&page.sms), SMS_SEGMENT_UCS2);
    assert_eq!(page.sms, format!("عميل ساخن: Sara Ali {LINK}"));
}

#[test]
fn html_escapes_what_the_lead_wrote() {
    let mut p = packet();
    p.last_messages = vec![(Sender::Lead, "<script>alert(1)</script>".into())];
    let page = render_page(&hot(), &p, Language::En, LINK);
    assert!(!page.html.contains("<script>"));
    assert!(page.html.contains("&lt;script&gt;"));
}

#[test]
fn settings_listen_only_where_someone_is_paged_or_subscribed() {
    let mut s = NotificationSettings::default();
    assert!(!s.listens_to(EventType::LeadHot), "nobody to page");
    s.sms = vec!["+966501112233".into()];
    assert!(s.listens_to(EventType::LeadHot));
    assert!(!s.listens_to(EventType::MessageSent));
    s.webhooks.push(WebhookEndpoint {
        id: "we_1".into(),
        url: "https://hooks.example/lead".into(),
        events: vec!["message.sent".into()],
        secret: Secret::new("whsec_x"),
        disabled: false,
    });
    assert!(s.listens_to(EventType::MessageSent));
    s.webhooks[0].disabled = true;
    assert!(
        !s.listens_to(EventType::MessageSent),
        "a disabled endpoint hears nothing"
    );
    assert!(is_event_name("*") && is_event_name("budget.alert") && !is_event_name("lead.hat"));
}
