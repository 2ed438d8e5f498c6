//! The lead lifecycle: a closed set of states, a closed set of events and the one table of allowed transitions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a lead is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LeadState {
    /// Just arrived; nobody has talked to it yet.
    #[default]
    New,
    /// A qualifying conversation is under way.
    Qualifying,
    /// Qualified as worth a salesperson's time.
    Qualified,
    /// A meeting or viewing is booked.
    AppointmentBooked,
    /// A human has taken over.
    HandedOff,
    /// Not ready now; kept warm for later.
    Nurturing,
    /// Not a fit; terminal.
    Disqualified,
}

/// Every state, for tables and property tests.
pub const ALL_STATES: [LeadState; 7] = [
    LeadState::New,
    LeadState::Qualifying,
    LeadState::Qualified,
    LeadState::AppointmentBooked,
    LeadState::HandedOff,
    LeadState::Nurturing,
    LeadState::Disqualified,
];

impl LeadState {
    /// The wire name (`NEW`, `QUALIFYING`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            LeadState::New => "NEW",
            LeadState::Qualifying => "QUALIFYING",
            LeadState::Qualified => "QUALIFIED",
            LeadState::AppointmentBooked => "APPOINTMENT_BOOKED",
            LeadState::HandedOff => "HANDED_OFF",
            LeadState::Nurturing => "NURTURING",
            LeadState::Disqualified => "DISQUALIFIED",
        }
    }

    /// Parses a wire name in any case.
    pub fn parse(s: &str) -> Option<Self> {
        ALL_STATES
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for LeadState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something that happened to a lead and may move it to another state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadEvent {
    /// The first qualifying reply went out.
    StartQualifying,
    /// Enough is known and the score says the lead is worth pursuing.
    Qualify,
    /// The lead is not ready now.
    Nurture,
    /// The lead is not a fit (not interested, budget too low, ...).
    Disqualify,
    /// A nurtured lead wrote again.
    Reengage,
    /// A meeting was booked.
    BookAppointment,
    /// A human takes over.
    HandOff,
    /// The booked meeting was cancelled: the lead is qualified again and may book anew.
    CancelAppointment,
}

/// Every event, for tables and property tests.
pub const ALL_EVENTS: [LeadEvent; 8] = [
    LeadEvent::StartQualifying,
    LeadEvent::Qualify,
    LeadEvent::Nurture,
    LeadEvent::Disqualify,
    LeadEvent::Reengage,
    LeadEvent::BookAppointment,
    LeadEvent::HandOff,
    LeadEvent::CancelAppointment,
];

/// An event that the current state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("cannot apply {event:?} to a lead in state {from}")]
pub struct IllegalTransition {
    /// The state the lead was in.
    pub from: LeadState,
    /// The refused event.
    pub event: LeadEvent,
}

/// A recorded state change: the lead's history is a list of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateChange {
    /// State before.
    pub from: LeadState,
    /// State after.
    pub to: LeadState,
    /// The event that caused it.
    pub event: LeadEvent,
    /// Why, in words a salesperson can read.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// The transition table: the state an event leads to from a state, or `None` when not allowed.
///
/// This is the only place that decides which transitions exist. DISQUALIFIED is terminal and
/// HANDED_OFF accepts no further automatic events: once a human owns a lead, the machine does not
/// move it (see `docs/decisions/0002-lifecycle.md`).
pub const fn next_state(from: LeadState, event: LeadEvent) -> Option<LeadState> {
    use LeadEvent as E;
    use LeadState as S;
    match (from, event) {
        (S::New, E::StartQualifying) => Some(S::Qualifying),
        (S::Qualifying, E::Qualify) => Some(S::Qualified),
        (S::Qualifying, E::Nurture) => Some(S::Nurturing),
        (S::Qualifying, E::Disqualify) => Some(S::Disqualified),
        (S::Qualified, E::BookAppointment) => Some(S::AppointmentBooked),
        (S::AppointmentBooked, E::CancelAppointment) => Some(S::Qualified),
        (
            S::New | S::Qualifying | S::Qualified | S::HandedOff | S::Nurturing | S::Disqualified,
            E::CancelAppointment,
        ) => None,
        (S::Nurturing, E::Reengage) => Some(S::Qualifying),
        (
            S::New | S::Qualifying | S::Qualified | S::AppointmentBooked | S::Nurturing,
            E::HandOff,
        ) => Some(S::HandedOff),
        (S::Disqualified | S::HandedOff, E::HandOff) => None,
        (S::New, E::Qualify | E::Nurture | E::Disqualify | E::Reengage | E::BookAppointment) => {
            None
        }
        (S::Qualifying, E::StartQualifying | E::Reengage | E::BookAppointment) => None,
        (
            S::Qualified,
            E::StartQualifying | E::Qualify | E::Nurture | E::Disqualify | E::Reengage,
        ) => None,
        (
            S::AppointmentBooked,
            E::StartQualifying
            | E::Qualify
            | E::Nurture
            | E::Disqualify
            | E::Reengage
            | E::BookAppointment,
        ) => None,
        (
            S::Nurturing,
            E::StartQualifying | E::Qualify | E::Nurture | E::Disqualify | E::BookAppointment,
        ) => None,
        (
            S::HandedOff | S::Disqualified,
            E::StartQualifying
            | E::Qualify
            | E::Nurture
            | E::Disqualify
            | E::Reengage
            | E::BookAppointment,
        ) => None,
    }
}

/// Applies an event to a state, producing the history entry to record.
///
/// # Errors
/// [`IllegalTransition`] when the table does not allow the event in this state; nothing changes.
pub fn transition(
    from: LeadState,
    event: LeadEvent,
    reason: impl Into<String>,
    at: DateTime<Utc>,
) -> Result<StateChange, IllegalTransition> {
    match next_state(from, event) {
        Some(to) => Ok(StateChange {
            from,
            to,
            event,
            reason: reason.into(),
            at,
        }),
        None => Err(IllegalTransition { from, event }),
    }
}

/// The event that moves a lead from `from` directly to `to`, when one exists.
///
/// The API lets a person set a target state; this finds the event so the same table decides.
pub fn event_for(from: LeadState, to: LeadState) -> Option<LeadEvent> {
    ALL_EVENTS
        .into_iter()
        .find(|e| next_state(from, *e) == Some(to))
}

#[cfg(test)]
mod tests;
