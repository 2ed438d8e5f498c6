//! The 24-hour window rule at and around its edges, and template variables.

use super::*;

fn at(hours: i64, minutes: i64) -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
        + TimeDelta::hours(1_000_000)
        + TimeDelta::hours(hours)
        + TimeDelta::minutes(minutes)
}

fn template() -> WhatsAppTemplate {
    WhatsAppTemplate {
        content_sid: "HX0123456789abcdef0123456789abcdef".to_owned(),
        variables: BTreeMap::from([
            ("1".to_owned(), "{name}".to_owned()),
            ("2".to_owned(), "{business} team".to_owned()),
        ]),
    }
}

#[test]
fn window_edges() {
    let last = at(0, 0);
    let cases = [
        (at(0, 0), true),
        (at(0, 1), true),
        (at(23, 59), true),
        (at(24, 0), false),
        (at(24, 1), false),
        (at(72, 0), false),
        // The lead's message stamped a minute ahead of our clock.
        (at(0, -1), true),
    ];
    for (now, inside) in cases {
        assert_eq!(within_window(Some(last), now), inside, "{now}");
    }
    assert!(!within_window(None, at(0, 0)));
}

#[test]
fn outside_the_window_sends_the_template_or_nothing() {
    let last = Some(at(0, 0));
    assert_eq!(
        decide(last, at(1, 0), Some(&template())),
        WindowDecision::FreeForm
    );
    assert_eq!(decide(last, at(1, 0), None), WindowDecision::FreeForm);
    assert_eq!(
        decide(last, at(25, 0), Some(&template())),
        WindowDecision::Template(template())
    );
    assert_eq!(decide(last, at(25, 0), None), WindowDecision::Skip);
    assert_eq!(decide(None, at(0, 0), None), WindowDecision::Skip);
}

#[test]
fn variables_get_the_name_and_business() {
    let filled = fill_variables(&template(), Some(" Sara "), "Acme", Language::En);
    assert_eq!(filled.get("1").map(String::as_str), Some("Sara"));
    assert_eq!(filled.get("2").map(String::as_str), Some("Acme team"));
    let anonymous = fill_variables(&template(), None, "أكمي", Language::Ar);
    assert_eq!(
        anonymous.get("1").map(String::as_str),
        Some("عميلنا العزيز")
    );
    assert_eq!(anonymous.get("2").map(String::as_str), Some("أكمي team"));
    let blank = fill_variables(&template(), Some("  "), "Acme", Language::En);
    assert_eq!(blank.get("1").map(String::as_str), Some("there"));
}
