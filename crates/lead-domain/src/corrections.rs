//! A person's correction of a qualification field outranks the readers: a later reading of the
//! same field from older messages does not undo it; only the lead stating it again does.
//!
//! A fact set by a person carries no evidence (see [`Fact`]); a reader's fact quotes a message.

use crate::ids::MessageId;
use crate::qualification::{Fact, Qualification};

fn keep_correction<T>(old: Option<&Fact<T>>, new: &mut Option<Fact<T>>, current: MessageId) {
    let corrected = old.is_some_and(|f| f.evidence.is_none());
    let restated = new
        .as_ref()
        .and_then(|f| f.evidence.as_ref())
        .is_some_and(|e| e.message_id == Some(current));
    if corrected && !restated {
        *new = None;
    }
}

impl Qualification {
    /// Merges a reading made while processing message `current`, keeping every field a person
    /// corrected unless the reading found the field stated in `current` itself.
    pub fn merge_keeping_corrections(&mut self, mut newer: Qualification, current: MessageId) {
        keep_correction(self.service.as_ref(), &mut newer.service, current);
        keep_correction(self.budget.as_ref(), &mut newer.budget, current);
        keep_correction(self.urgency.as_ref(), &mut newer.urgency, current);
        keep_correction(self.timeline.as_ref(), &mut newer.timeline, current);
        keep_correction(
            self.decision_maker.as_ref(),
            &mut newer.decision_maker,
            current,
        );
        keep_correction(self.location.as_ref(), &mut newer.location, current);
        self.merge(newer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qualification::Evidence;
    use uuid::Uuid;

    fn read(city: &str, message: MessageId) -> Option<Fact<String>> {
        Some(Fact::read(
            city.to_owned(),
            Evidence {
                message_id: Some(message),
                turn: 0,
                span: None,
                quote: city.to_owned(),
            },
        ))
    }

    #[test]
    fn a_correction_survives_rereading_older_messages() {
        let old = MessageId::from_uuid(Uuid::from_u128(1));
        let new = MessageId::from_uuid(Uuid::from_u128(2));
        let mut q = Qualification {
            location: Some(Fact::stated("Riyadh".to_owned())),
            ..Qualification::default()
        };
        q.merge_keeping_corrections(
            Qualification {
                location: read("Dammam", old),
                ..Qualification::default()
            },
            new,
        );
        assert_eq!(q.location.map(|f| f.value).as_deref(), Some("Riyadh"));
    }

    #[test]
    fn the_lead_restating_the_field_replaces_the_correction() {
        let new = MessageId::from_uuid(Uuid::from_u128(2));
        let mut q = Qualification {
            location: Some(Fact::stated("Riyadh".to_owned())),
            ..Qualification::default()
        };
        q.merge_keeping_corrections(
            Qualification {
                location: read("Jeddah", new),
                ..Qualification::default()
            },
            new,
        );
        assert_eq!(q.location.map(|f| f.value).as_deref(), Some("Jeddah"));
    }

    #[test]
    fn fields_read_from_messages_still_update_as_before() {
        let old = MessageId::from_uuid(Uuid::from_u128(1));
        let new = MessageId::from_uuid(Uuid::from_u128(2));
        let mut q = Qualification {
            location: read("Riyadh", old),
            ..Qualification::default()
        };
        q.merge_keeping_corrections(
            Qualification {
                location: read("Dammam", old),
                ..Qualification::default()
            },
            new,
        );
        assert_eq!(q.location.map(|f| f.value).as_deref(), Some("Dammam"));
    }
}
