//! Tests of the date buckets against the reference date.

use super::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

#[test]
fn buckets_follow_the_calendar_rules() {
    let today = d(2026, 11, 24);
    for (date, want) in [
        (d(2026, 11, 24), Timeline::Immediate),
        (d(2026, 12, 31), Timeline::Within1Month),
        (d(2027, 1, 1), Timeline::OneToThreeMonths),
        (d(2027, 2, 24), Timeline::OneToThreeMonths),
        (d(2027, 2, 25), Timeline::ThreeToSixMonths),
        (d(2027, 5, 24), Timeline::ThreeToSixMonths),
        (d(2027, 5, 25), Timeline::OverSixMonths),
    ] {
        assert_eq!(bucket(date, today), want, "{date}");
    }
}

#[test]
fn month_arithmetic_handles_month_ends() {
    assert_eq!(end_of_month(d(2027, 2, 10)), d(2027, 2, 28));
    assert_eq!(end_of_month(d(2026, 12, 1)), d(2026, 12, 31));
    assert_eq!(next_month_start(1, d(2026, 11, 24)), d(2027, 1, 1));
    assert_eq!(next_month_start(11, d(2026, 11, 24)), d(2026, 11, 1));
    assert_eq!(add_units(d(2026, 11, 24), Unit::Week, 3.0), d(2026, 12, 15));
    assert_eq!(
        add_units(d(2026, 11, 24), Unit::Month, 1e9),
        add_units(d(2026, 11, 24), Unit::Month, 1000.0)
    );
}
