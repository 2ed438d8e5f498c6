//! Booking reads in English, Gulf Arabic and mixed digits.

use super::*;

fn today() -> NaiveDate {
    // A Monday.
    NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default()
}

fn read(text: &str) -> BookingReading {
    read_booking(text, today())
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

#[test]
fn asking_to_meet_in_either_language() {
    for text in [
        "I'd like to visit the showroom",
        "can I book a viewing?",
        "Could we schedule a consultation this week",
        "I want a test drive",
        "أبغى موعد",
        "ممكن أزوركم؟",
        "ابي احجز معاينة للشقة",
    ] {
        assert_eq!(read(text).ask, Some(BookingAsk::Meet), "{text}");
    }
    for text in [
        "how much is the 3 bedroom flat?",
        "I don't want an appointment, just the price",
        "مابي موعد، بس السعر",
    ] {
        assert_eq!(read(text).ask, None, "{text}");
    }
}

#[test]
fn cancel_and_reschedule_win_over_meeting_words() {
    for text in [
        "cancel my appointment",
        "Please cancel the booking",
        "ألغِ الموعد",
        "ابي الغي الموعد لو سمحت",
    ] {
        assert_eq!(read(text).ask, Some(BookingAsk::Cancel), "{text}");
    }
    for text in [
        "Can we move it to Thursday?",
        "I need to reschedule",
        "can I change the appointment time",
        "ممكن نغير الموعد ليوم الخميس",
        "ابي اأجل الموعد",
    ] {
        assert_eq!(read(text).ask, Some(BookingAsk::Reschedule), "{text}");
    }
}

#[test]
fn choices_by_ordinal() {
    assert_eq!(read("the second one").ordinal, Some(1));
    assert_eq!(read("First please").ordinal, Some(0));
    assert_eq!(read("2").ordinal, Some(1));
    assert_eq!(read("٣").ordinal, Some(2));
    assert_eq!(read("option 2").ordinal, Some(1));
    assert_eq!(read("the 3rd").ordinal, Some(2));
    assert_eq!(read("الثاني").ordinal, Some(1));
    assert_eq!(read("الموعد الأول").ordinal, Some(0));
    assert_eq!(read("رقم ٢ لو سمحت").ordinal, Some(1));
    assert_eq!(read("the last one").ordinal, Some(LAST));
    // "Another time" is not the second slot; a quantity is not a choice.
    assert_eq!(read("وقت ثاني").ordinal, None);
    assert_eq!(
        read("I need 3 bedrooms in Khobar with a garden").ordinal,
        None
    );
}

#[test]
fn days_and_times() {
    let r = read("Tuesday at 4");
    assert_eq!(r.weekday, Some(Weekday::Tue));
    assert_eq!(r.time, Some(hm(4, 0)));
    assert!(r.time_ambiguous);
    let r = read("بكرة الساعة ٤");
    assert_eq!(r.day, NaiveDate::from_ymd_opt(2026, 12, 8));
    assert_eq!(r.time, Some(hm(4, 0)));
    assert!(r.time_ambiguous);
    let r = read("بكرة الساعة ٤ العصر");
    assert_eq!(r.time, Some(hm(16, 0)));
    assert!(!r.time_ambiguous);
    assert_eq!(read("4:30pm works").time, Some(hm(16, 30)));
    assert_eq!(read("16:00 please").time, Some(hm(16, 0)));
    assert_eq!(read("10am").time, Some(hm(10, 0)));
    assert_eq!(read("يوم الخميس").weekday, Some(Weekday::Thu));
    assert_eq!(read("الخميس الساعة ١٠ الصبح").time, Some(hm(10, 0)));
    assert_eq!(
        read("day after tomorrow").day,
        NaiveDate::from_ymd_opt(2026, 12, 9)
    );
    assert_eq!(read("بعد بكرة").day, NaiveDate::from_ymd_opt(2026, 12, 9));
    // A budget is not a time.
    assert_eq!(read("budget 4 million").time, None);
}

#[test]
fn declining_every_slot() {
    assert!(read("none of those work for me").none_suit);
    assert!(read("ولا واحد يناسبني").none_suit);
    assert!(read("ممكن وقت ثاني؟").none_suit);
    assert!(!read("the second one").none_suit);
}
