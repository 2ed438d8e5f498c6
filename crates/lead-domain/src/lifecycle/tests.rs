//! Table tests of every transition and property tests over event sequences.

use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Every allowed transition of the product spec, and nothing else.
const ALLOWED: &[(LeadState, LeadEvent, LeadState)] = {
    use LeadEvent as E;
    use LeadState as S;
    &[
        (S::New, E::StartQualifying, S::Qualifying),
        (S::Qualifying, E::Qualify, S::Qualified),
        (S::Qualifying, E::Nurture, S::Nurturing),
        (S::Qualifying, E::Disqualify, S::Disqualified),
        (S::Qualified, E::BookAppointment, S::AppointmentBooked),
        (S::AppointmentBooked, E::CancelAppointment, S::Qualified),
        (S::Nurturing, E::Reengage, S::Qualifying),
        (S::New, E::HandOff, S::HandedOff),
        (S::Qualifying, E::HandOff, S::HandedOff),
        (S::Qualified, E::HandOff, S::HandedOff),
        (S::AppointmentBooked, E::HandOff, S::HandedOff),
        (S::Nurturing, E::HandOff, S::HandedOff),
    ]
};

#[test]
fn the_table_is_exactly_the_spec() {
    for from in ALL_STATES {
        for event in ALL_EVENTS {
            let want = ALLOWED
                .iter()
                .find(|(f, e, _)| *f == from && *e == event)
                .map(|(_, _, to)| *to);
            let got = transition(from, event, "test", at());
            match want {
                Some(to) => {
                    let change = got.unwrap_or_else(|e| panic!("{from} {event:?} refused: {e}"));
                    assert_eq!((change.from, change.to, change.event), (from, to, event));
                }
                None => assert_eq!(got, Err(IllegalTransition { from, event })),
            }
        }
    }
}

#[test]
fn history_entry_keeps_reason_and_time() {
    let change = transition(LeadState::Qualifying, LeadEvent::Qualify, "score HOT", at());
    assert_eq!(
        change.map(|c| (c.reason, c.at)),
        Ok(("score HOT".to_owned(), at()))
    );
}

#[test]
fn any_state_but_disqualified_can_be_handed_off() {
    for from in ALL_STATES {
        let ok = transition(from, LeadEvent::HandOff, "asked for a human", at()).is_ok();
        let expected = !matches!(from, LeadState::Disqualified | LeadState::HandedOff);
        assert_eq!(ok, expected, "{from}");
    }
}

#[test]
fn event_for_finds_the_direct_event() {
    assert_eq!(
        event_for(LeadState::Nurturing, LeadState::Qualifying),
        Some(LeadEvent::Reengage)
    );
    assert_eq!(event_for(LeadState::New, LeadState::Qualified), None);
}

#[test]
fn wire_names_round_trip() {
    for s in ALL_STATES {
        assert_eq!(LeadState::parse(s.as_str()), Some(s));
        let json = serde_json::to_string(&s).unwrap_or_default();
        assert_eq!(json, format!("\"{}\"", s.as_str()));
    }
}

fn reachable() -> Vec<LeadState> {
    let mut seen = vec![LeadState::New];
    let mut i = 0;
    while i < seen.len() {
        for e in ALL_EVENTS {
            if let Some(to) = next_state(seen[i], e)
                && !seen.contains(&to)
            {
                seen.push(to);
            }
        }
        i += 1;
    }
    seen
}

fn arb_event() -> impl Strategy<Value = LeadEvent> {
    proptest::sample::select(ALL_EVENTS.to_vec())
}

proptest! {
    /// Any sequence of events from NEW: no panic, every reached state is reachable by the table,
    /// DISQUALIFIED is never left, and the history has one entry per successful transition.
    #[test]
    fn event_sequences_respect_the_table(events in proptest::collection::vec(arb_event(), 0..64)) {
        let reachable = reachable();
        let mut state = LeadState::New;
        let mut history = Vec::new();
        let mut successes = 0;
        for event in events {
            let before = state;
            match transition(state, event, "prop", at()) {
                Ok(change) => {
                    prop_assert_eq!(change.from, before);
                    prop_assert_eq!(Some(change.to), next_state(before, event));
                    prop_assert!(before != LeadState::Disqualified, "left DISQUALIFIED by {:?}", event);
                    state = change.to;
                    history.push(change);
                    successes += 1;
                }
                Err(e) => {
                    prop_assert_eq!(e, IllegalTransition { from: before, event });
                    prop_assert!(next_state(before, event).is_none());
                }
            }
            prop_assert!(reachable.contains(&state));
        }
        prop_assert_eq!(history.len(), successes);
        for pair in history.windows(2) {
            prop_assert_eq!(pair[0].to, pair[1].from);
        }
    }
}
