//! Business-hours tests: split and overnight shifts, holidays, DST in both directions, and properties.

use super::*;
use proptest::prelude::*;

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

fn shift(a: (u32, u32), b: (u32, u32)) -> Shift {
    Shift {
        start: t(a.0, a.1),
        end: t(b.0, b.1),
    }
}

fn hours(tz: &str, days: &[(&str, Vec<Shift>)], holidays: &[&str]) -> BusinessHours {
    let tz = parse_timezone(tz).unwrap_or(Tz::UTC);
    let days: BTreeMap<String, Vec<Shift>> = days
        .iter()
        .map(|(d, s)| ((*d).to_owned(), s.clone()))
        .collect();
    let holidays = holidays
        .iter()
        .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    BusinessHours::from_days(tz, &days, holidays).unwrap_or_else(|e| panic!("{e}"))
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// The seed's Test Realty hours: Sunday to Thursday 9-18 in Riyadh (UTC+3), Friday 9-13.
fn riyadh() -> BusinessHours {
    let day = vec![shift((9, 0), (18, 0))];
    hours(
        "Asia/Riyadh",
        &[
            ("monday", day.clone()),
            ("tuesday", day.clone()),
            ("wednesday", day.clone()),
            ("thursday", day),
            ("friday", vec![shift((9, 0), (13, 0))]),
        ],
        &[],
    )
}

#[test]
fn open_and_closed_in_the_tenant_timezone() {
    let h = riyadh();
    // Tuesday 2026-11-24 10:00 Riyadh = 07:00 UTC.
    assert!(h.is_open(utc("2026-11-24T07:00:00Z")));
    assert!(!h.is_open(utc("2026-11-24T05:59:59Z")));
    // 18:00 is closing time: closed.
    assert!(!h.is_open(utc("2026-11-24T15:00:00Z")));
}

#[test]
fn next_opening_after_hours_is_next_morning_or_after_the_weekend() {
    let h = riyadh();
    assert_eq!(
        h.next_opening(utc("2026-11-24T16:00:00Z")),
        Some(utc("2026-11-25T06:00:00Z"))
    );
    // Friday 14:00 Riyadh: closed Saturday and Sunday, opens Monday 09:00.
    assert_eq!(
        h.next_opening(utc("2026-11-27T11:00:00Z")),
        Some(utc("2026-11-30T06:00:00Z"))
    );
    // Open now: the answer is now.
    assert_eq!(
        h.next_opening(utc("2026-11-24T07:00:00Z")),
        Some(utc("2026-11-24T07:00:00Z"))
    );
}

#[test]
fn split_shifts_close_at_lunch() {
    let h = hours(
        "Asia/Dubai",
        &[(
            "monday",
            vec![shift((9, 0), (13, 0)), shift((16, 0), (21, 0))],
        )],
        &[],
    );
    // Monday 2026-11-23, Dubai is UTC+4.
    assert!(h.is_open(utc("2026-11-23T06:00:00Z")));
    assert!(!h.is_open(utc("2026-11-23T10:00:00Z")));
    assert_eq!(
        h.next_opening(utc("2026-11-23T10:00:00Z")),
        Some(utc("2026-11-23T12:00:00Z"))
    );
}

#[test]
fn overnight_shift_runs_past_midnight_and_belongs_to_its_start_day() {
    let h = hours(
        "Asia/Riyadh",
        &[("friday", vec![shift((20, 0), (2, 0))])],
        &[],
    );
    // Friday 2026-11-27 23:00 and Saturday 01:00 Riyadh are open; Saturday 03:00 is not.
    assert!(h.is_open(utc("2026-11-27T20:00:00Z")));
    assert!(h.is_open(utc("2026-11-27T22:00:00Z")));
    assert!(!h.is_open(utc("2026-11-28T00:00:00Z")));
}

#[test]
fn holidays_close_shifts_that_start_that_day() {
    let h = hours(
        "Asia/Riyadh",
        &[
            ("tuesday", vec![shift((9, 0), (18, 0))]),
            ("wednesday", vec![shift((9, 0), (18, 0))]),
        ],
        &["2026-11-24"],
    );
    assert!(!h.is_open(utc("2026-11-24T07:00:00Z")));
    assert_eq!(
        h.next_opening(utc("2026-11-24T07:00:00Z")),
        Some(utc("2026-11-25T06:00:00Z"))
    );
}

#[test]
fn spring_forward_gap_opens_at_the_first_valid_minute() {
    // New York springs forward on 2027-03-14 at 02:00 -> 03:00. A shift from 02:30 opens at 03:00 EDT (07:00 UTC).
    let h = hours(
        "America/New_York",
        &[("sunday", vec![shift((2, 30), (10, 0))])],
        &[],
    );
    assert_eq!(
        h.next_opening(utc("2027-03-14T05:00:00Z")),
        Some(utc("2027-03-14T07:00:00Z"))
    );
}

#[test]
fn fall_back_takes_the_earlier_instant() {
    // London falls back on 2026-10-25 at 02:00 BST -> 01:00 GMT. 01:30 happens twice; the shift opens the first time (00:30 UTC).
    let h = hours(
        "Europe/London",
        &[("sunday", vec![shift((1, 30), (5, 0))])],
        &[],
    );
    assert_eq!(
        h.next_opening(utc("2026-10-25T00:00:00Z")),
        Some(utc("2026-10-25T00:30:00Z"))
    );
    assert!(h.is_open(utc("2026-10-25T01:15:00Z")));
}

#[test]
fn across_dst_the_local_time_stays_the_same() {
    let h = hours(
        "Europe/London",
        &[("monday", vec![shift((9, 0), (17, 0))])],
        &[],
    );
    // Before the change 09:00 BST = 08:00 UTC; after it 09:00 GMT = 09:00 UTC.
    assert_eq!(
        h.next_opening(utc("2026-10-19T00:00:00Z")),
        Some(utc("2026-10-19T08:00:00Z"))
    );
    assert_eq!(
        h.next_opening(utc("2026-10-26T00:00:00Z")),
        Some(utc("2026-10-26T09:00:00Z"))
    );
}

#[test]
fn never_open_gives_none() {
    let h = BusinessHours::closed(Tz::UTC);
    assert_eq!(h.next_opening(utc("2026-11-24T00:00:00Z")), None);
}

#[test]
fn seed_json_form_parses_and_round_trips() {
    let json = r#"{"timezone":"Asia/Riyadh","days":{"monday":{"start":"09:00","end":"18:00"},"friday":[{"start":"09:00","end":"12:00"},{"start":"16:00","end":"24:00"}]},"holidays":["2026-12-02"]}"#;
    let h: BusinessHours = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.shifts_on(Weekday::Fri).len(), 2);
    let back = serde_json::to_string(&h).unwrap_or_default();
    let again: BusinessHours = serde_json::from_str(&back).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h, again);
}

#[test]
fn bad_input_is_a_clear_error() {
    assert!(parse_timezone("Mars/Olympus").is_err());
    let bad: Result<BusinessHours, _> = serde_json::from_str(
        r#"{"timezone":"UTC","days":{"funday":{"start":"09:00","end":"10:00"}}}"#,
    );
    assert!(bad.is_err_and(|e| e.to_string().contains("funday")));
    let bad: Result<BusinessHours, _> = serde_json::from_str(
        r#"{"timezone":"UTC","days":{"monday":{"start":"9am","end":"10:00"}}}"#,
    );
    assert!(bad.is_err());
}

fn arb_hours() -> impl Strategy<Value = BusinessHours> {
    let zones = [
        "Asia/Riyadh",
        "Europe/London",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "UTC",
    ];
    let shift = (
        0u32..24,
        prop_oneof![Just(0u32), Just(30)],
        0u32..24,
        prop_oneof![Just(0u32), Just(15)],
    )
        .prop_filter("non-empty", |(a, b, c, d)| (a, b) != (c, d))
        .prop_map(|(a, b, c, d)| shift((a, b), (c, d)));
    (
        proptest::sample::select(zones.to_vec()),
        proptest::collection::vec(proptest::collection::vec(shift, 0..3), 7),
        proptest::collection::vec(0i64..60, 0..5),
    )
        .prop_map(|(tz, week, holiday_offsets)| {
            let days: Vec<(&str, Vec<Shift>)> = DAY_NAMES.iter().copied().zip(week).collect();
            let base = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap_or_default();
            let holidays: Vec<String> = holiday_offsets
                .iter()
                .map(|o| (base + Duration::days(*o)).to_string())
                .collect();
            let refs: Vec<&str> = holidays.iter().map(String::as_str).collect();
            hours(tz, &days, &refs)
        })
}

proptest! {
    /// next_opening(t) is open, and nothing between t and it is open.
    #[test]
    fn next_opening_is_the_first_open_instant(h in arb_hours(), minutes in 0i64..(60 * 24 * 200)) {
        let at = utc("2026-10-01T00:00:00Z") + Duration::minutes(minutes);
        if let Some(next) = h.next_opening(at) {
            prop_assert!(next >= at);
            prop_assert!(h.is_open(next), "next opening {next} is not open");
            // No interval starting between t and next, and t itself closed when next > t.
            if next > at {
                prop_assert!(!h.is_open(at));
                let first = at.with_timezone(&h.timezone()).date_naive() - Duration::days(1);
                let last = next.with_timezone(&h.timezone()).date_naive() + Duration::days(1);
                let mut d = first;
                while d <= last {
                    for (start, end) in h.intervals_starting_on(d) {
                        prop_assert!(!(start > at && start < next), "opening at {start} is before {next}");
                        prop_assert!(!(start <= at && at < end));
                    }
                    d += Duration::days(1);
                }
            }
        } else {
            prop_assert!(h.days().is_empty() || h.days().values().all(Vec::is_empty));
        }
    }
}
