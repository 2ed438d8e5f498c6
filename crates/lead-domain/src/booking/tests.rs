//! Booking rules: slots written in both languages and across DST, the offer's spread inside
//! business hours, and choices resolved by ordinal, weekday and time.

use super::*;
use crate::hours::{Shift, parse_timezone};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn tz(name: &str) -> Tz {
    parse_timezone(name).unwrap_or_else(|e| panic!("{e}"))
}

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

/// Sunday to Thursday 9-18 in Riyadh.
fn riyadh_hours() -> BusinessHours {
    let day = vec![Shift {
        start: t(9, 0),
        end: t(18, 0),
    }];
    let days: BTreeMap<String, Vec<Shift>> =
        ["sunday", "monday", "tuesday", "wednesday", "thursday"]
            .iter()
            .map(|d| ((*d).to_owned(), day.clone()))
            .collect();
    BusinessHours::from_days(tz("Asia/Riyadh"), &days, []).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_slot_reads_naturally_in_english_and_arabic() {
    // 13:00 UTC is 16:00 in Riyadh, a Tuesday.
    let start = utc("2026-12-08T13:00:00Z");
    assert_eq!(
        format_slot(start, tz("Asia/Riyadh"), Language::En),
        "Tuesday 8 Dec at 4:00 pm"
    );
    assert_eq!(
        format_slot(start, tz("Asia/Riyadh"), Language::Ar),
        "الثلاثاء ٨ ديسمبر الساعة ٤ مساءً"
    );
    let morning = utc("2026-12-08T06:30:00Z");
    assert_eq!(
        format_slot(morning, tz("Asia/Riyadh"), Language::Ar),
        "الثلاثاء ٨ ديسمبر الساعة ٩:٣٠ صباحاً"
    );
    assert_eq!(
        format_slot(utc("2026-12-08T09:00:00Z"), tz("Asia/Riyadh"), Language::En),
        "Tuesday 8 Dec at 12:00 pm"
    );
}

#[test]
fn slots_on_either_side_of_a_dst_change_keep_their_local_hour() {
    // London leaves summer time on Sunday 25 October 2026: 10:00 local is 09:00Z before, 10:00Z after.
    let london = tz("Europe/London");
    assert_eq!(
        format_slot(utc("2026-10-23T09:00:00Z"), london, Language::En),
        "Friday 23 Oct at 10:00 am"
    );
    assert_eq!(
        format_slot(utc("2026-10-26T10:00:00Z"), london, Language::En),
        "Monday 26 Oct at 10:00 am"
    );
}

#[test]
fn the_offer_is_inside_hours_spread_over_days_and_never_too_soon() {
    let hours = riyadh_hours();
    // Monday 7 Dec 2026, 08:00 Riyadh.
    let now = utc("2026-12-07T05:00:00Z");
    let slots: Vec<Slot> = [
        "2026-12-07T05:30:00Z", // 08:30: before opening
        "2026-12-07T06:00:00Z", // 09:00 today: under the lead time
        "2026-12-07T10:00:00Z", // 13:00 today
        "2026-12-07T10:30:00Z", // 13:30 today
        "2026-12-07T16:00:00Z", // 19:00: after closing
        "2026-12-08T07:00:00Z", // Tuesday 10:00
        "2026-12-08T07:30:00Z",
        "2026-12-11T07:00:00Z", // Friday: closed
        "2026-12-13T12:00:00Z", // Sunday 15:00
    ]
    .iter()
    .map(|s| Slot { start: utc(s) })
    .collect();
    let offer = pick_offer(&slots, &hours, now, Duration::hours(2), 3);
    assert_eq!(
        offer,
        vec![
            utc("2026-12-07T10:00:00Z"),
            utc("2026-12-08T07:00:00Z"),
            utc("2026-12-13T12:00:00Z")
        ]
    );
}

#[test]
fn with_one_free_day_the_offer_mixes_morning_and_afternoon() {
    let hours = riyadh_hours();
    let now = utc("2026-12-07T05:00:00Z");
    let slots: Vec<Slot> = [
        "2026-12-08T06:00:00Z",
        "2026-12-08T06:30:00Z",
        "2026-12-08T11:00:00Z",
    ]
    .iter()
    .map(|s| Slot { start: utc(s) })
    .collect();
    let offer = pick_offer(&slots, &hours, now, Duration::hours(2), 2);
    assert_eq!(
        offer,
        vec![utc("2026-12-08T06:00:00Z"), utc("2026-12-08T11:00:00Z")]
    );
}

fn offered() -> Vec<DateTime<Utc>> {
    vec![
        utc("2026-12-08T13:00:00Z"), // Tue 16:00
        utc("2026-12-09T07:00:00Z"), // Wed 10:00
        utc("2026-12-10T13:00:00Z"), // Thu 16:00
    ]
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_choice_resolves_by_ordinal_weekday_or_time() {
    let riyadh = tz("Asia/Riyadh");
    let by_ordinal = BookingReading {
        ordinal: Some(1),
        ..BookingReading::default()
    };
    assert_eq!(resolve_choice(&offered(), &by_ordinal, riyadh), Some(1));
    let last = BookingReading {
        ordinal: Some(LAST),
        ..BookingReading::default()
    };
    assert_eq!(resolve_choice(&offered(), &last, riyadh), Some(2));
    let by_day = BookingReading {
        day: Some(date("2026-12-09")),
        ..BookingReading::default()
    };
    assert_eq!(resolve_choice(&offered(), &by_day, riyadh), Some(1));
    // "at 4" fits two slots: no guess.
    let by_time = BookingReading {
        time: Some(t(4, 0)),
        time_ambiguous: true,
        ..BookingReading::default()
    };
    assert_eq!(resolve_choice(&offered(), &by_time, riyadh), None);
    let by_weekday = BookingReading {
        weekday: Some(Weekday::Thu),
        ..BookingReading::default()
    };
    assert_eq!(resolve_choice(&offered(), &by_weekday, riyadh), Some(2));
    let day_and_time = BookingReading {
        day: Some(date("2026-12-10")),
        time: Some(t(4, 0)),
        time_ambiguous: true,
        ..BookingReading::default()
    };
    assert_eq!(resolve_choice(&offered(), &day_and_time, riyadh), Some(2));
    let morning = BookingReading {
        time: Some(t(10, 0)),
        ..BookingReading::default()
    };
    assert_eq!(resolve_choice(&offered(), &morning, riyadh), Some(1));
    let out_of_range = BookingReading {
        ordinal: Some(5),
        ..BookingReading::default()
    };
    assert_eq!(resolve_choice(&offered(), &out_of_range, riyadh), None);
    let other_day = BookingReading {
        day: Some(date("2026-12-13")),
        ..BookingReading::default()
    };
    assert_eq!(resolve_choice(&offered(), &other_day, riyadh), None);
}

#[test]
fn the_offer_text_numbers_the_slots_in_the_leads_language() {
    let riyadh = tz("Asia/Riyadh");
    let en = booking_text(
        BookingText::Offer(&offered()),
        riyadh,
        Language::En,
        "Test Realty",
    );
    assert!(en.contains("1) Tuesday 8 Dec at 4:00 pm"), "{en}");
    assert!(en.contains("3) Thursday 10 Dec at 4:00 pm"), "{en}");
    let ar = booking_text(
        BookingText::Offer(&offered()),
        riyadh,
        Language::Ar,
        "Test Realty",
    );
    assert!(ar.contains("١) الثلاثاء ٨ ديسمبر الساعة ٤ مساءً"), "{ar}");
    assert!(ar.contains("٢) الأربعاء ٩ ديسمبر الساعة ١٠ صباحاً"), "{ar}");
}

#[test]
fn settings_are_checked_field_by_field() {
    let good = BookingSettings {
        provider: BookingProvider::Calcom,
        api_key: Secret::new("cal_live_x"),
        event_type_id: 123,
        webhook_secret: None,
        offer_for: vec![Score::Hot],
        days_ahead: 7,
    };
    assert_eq!(good.validate(), Ok(()));
    let mut bad = good.clone();
    bad.api_key = Secret::new(" ");
    assert_eq!(bad.validate(), Err(BookingSettingsError::EmptyKey));
    let mut bad = good.clone();
    bad.event_type_id = 0;
    assert_eq!(bad.validate(), Err(BookingSettingsError::NoEventType));
    let mut bad = good.clone();
    bad.days_ahead = 0;
    assert!(matches!(
        bad.validate(),
        Err(BookingSettingsError::DaysAhead { .. })
    ));
    let mut bad = good;
    bad.offer_for = vec![Score::Unscored];
    assert_eq!(bad.validate(), Err(BookingSettingsError::OfferFor));
}

#[test]
fn a_cancelled_appointment_returns_the_lead_to_qualified() {
    use crate::lifecycle::{LeadEvent, LeadState, next_state};
    assert_eq!(
        next_state(LeadState::AppointmentBooked, LeadEvent::CancelAppointment),
        Some(LeadState::Qualified)
    );
    assert_eq!(
        next_state(LeadState::Qualifying, LeadEvent::CancelAppointment),
        None
    );
}

#[test]
fn a_weekday_means_its_next_date_today_included() {
    // 7 Dec 2026 is a Monday.
    let monday = date("2026-12-07");
    assert_eq!(next_weekday(monday, Weekday::Mon), monday);
    assert_eq!(next_weekday(monday, Weekday::Thu), date("2026-12-10"));
    assert_eq!(next_weekday(monday, Weekday::Sun), date("2026-12-13"));
}
