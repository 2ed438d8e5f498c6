//! What a person does to a lead, from the inbox or the API alike: edit contact details, move it
//! through the lifecycle (legal transitions only), override its score with a reason, correct a
//! qualification field, hand it off, take a conversation over, release it, and reply on the lead's
//! channel. Handlers parse, call one of these, and render.

use crate::contact::{Email, PhoneNumber};
use crate::events::{EventData, EventType, LeadSnapshot, state_change_data};
use crate::ids::{ConversationId, LeadId};
use crate::language::detect_language;
use crate::lead::{Conversation, ConversationStatus, Lead, Message, Sender};
use crate::lifecycle::{
    ALL_STATES, IllegalTransition, LeadEvent, LeadState, event_for, next_state,
};
use crate::ports::StoreError;
use crate::qualification::{Budget, Fact, Timeline, Urgency};
use crate::scoring::{Score, score};
use crate::tenant::Tenant;
use crate::usecases::{self, Deps, UseCaseError};

/// Why a person's action on a lead was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum LeadError {
    /// The lead or conversation is not the tenant's (or does not exist).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The lifecycle does not allow the change.
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// The conversation has no address a reply could go to.
    #[error("the conversation has no address to reply to")]
    NoReplyAddress,
    /// The text to send is empty.
    #[error("the reply is empty")]
    EmptyReply,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A shared use case failed.
    #[error(transparent)]
    UseCase(UseCaseError),
}

impl From<UseCaseError> for LeadError {
    fn from(e: UseCaseError) -> Self {
        match e {
            UseCaseError::NotFound(what) => LeadError::NotFound(what),
            UseCaseError::Store(s) => LeadError::Store(s),
            other => LeadError::UseCase(other),
        }
    }
}

/// A person's edit of a lead: each `Some` field replaces the stored one.
#[derive(Debug, Clone, Default)]
pub struct LeadEdit {
    /// Name.
    pub name: Option<String>,
    /// Phone, already normalised.
    pub phone: Option<PhoneNumber>,
    /// Email, already checked.
    pub email: Option<Email>,
    /// Source label.
    pub source_detail: Option<String>,
    /// Target state; refused unless the lifecycle allows it from the current state.
    pub state: Option<LeadState>,
    /// Why the state changes, kept in the history.
    pub reason: String,
}

/// A correction of one qualification field by a person. It is kept over later readings of the
/// same field from earlier messages; only the lead stating it again in a new message replaces it.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldCorrection {
    /// The service key.
    Service(String),
    /// The budget group.
    Budget(Budget),
    /// When the lead wants to act.
    Timeline(Timeline),
    /// How pressing it is.
    Urgency(Urgency),
    /// Whether the lead decides alone.
    DecisionMaker(bool),
    /// Where.
    Location(String),
}

/// Loads a lead of the tenant.
///
/// # Errors
/// [`LeadError::NotFound`]; storage failures.
pub async fn load_lead(deps: &Deps, tenant: &Tenant, id: LeadId) -> Result<Lead, LeadError> {
    deps.leads
        .get_lead(tenant.id, id)
        .await?
        .ok_or(LeadError::NotFound("lead"))
}

async fn load_conversation(
    deps: &Deps,
    tenant: &Tenant,
    id: ConversationId,
) -> Result<Conversation, LeadError> {
    deps.leads
        .get_conversation(tenant.id, id)
        .await?
        .ok_or(LeadError::NotFound("conversation"))
}

/// The event a person most plausibly meant by asking for a state, for the error message.
const fn closest_event(to: LeadState) -> LeadEvent {
    match to {
        LeadState::New | LeadState::Qualifying => LeadEvent::StartQualifying,
        LeadState::Qualified => LeadEvent::Qualify,
        LeadState::AppointmentBooked => LeadEvent::BookAppointment,
        LeadState::HandedOff => LeadEvent::HandOff,
        LeadState::Nurturing => LeadEvent::Nurture,
        LeadState::Disqualified => LeadEvent::Disqualify,
    }
}

/// The states a person may move a lead to from `from`: the only ones the inbox offers.
pub fn legal_targets(from: LeadState) -> Vec<LeadState> {
    ALL_STATES
        .into_iter()
        .filter(|to| *to != from && event_for(from, *to).is_some())
        .collect()
}

/// Edits a lead's contact details and, when asked, moves it through the lifecycle.
///
/// # Errors
/// [`LeadError::NotFound`], [`LeadError::Illegal`] (nothing is saved then), storage failures.
pub async fn edit_lead(
    deps: &Deps,
    tenant: &Tenant,
    id: LeadId,
    edit: LeadEdit,
) -> Result<Lead, LeadError> {
    let mut lead = load_lead(deps, tenant, id).await?;
    let now = deps.clock.now();
    if let Some(phone) = edit.phone {
        lead.phone = Some(phone);
    }
    if let Some(email) = edit.email {
        lead.email = Some(email);
    }
    if let Some(name) = edit.name {
        lead.name = Some(name.trim().to_owned());
    }
    if let Some(detail) = edit.source_detail {
        lead.source_detail = Some(detail);
    }
    let mut changes = Vec::new();
    if let Some(to) = edit.state
        && to != lead.state
    {
        let event = event_for(lead.state, to).ok_or(IllegalTransition {
            from: lead.state,
            event: closest_event(to),
        })?;
        changes.push(lead.apply(event, edit.reason, now)?);
    }
    lead.updated_at = now;
    let lead = deps.leads.update_lead(&lead, &changes).await?;
    for change in &changes {
        usecases::events::raise_event(
            deps,
            tenant,
            EventType::LeadStateChanged,
            &format!("{}:{}", lead.id, lead.version),
            state_change_data(
                &EventData {
                    lead: Some(LeadSnapshot::of(&lead)),
                    ..EventData::default()
                },
                change,
                "person",
            ),
        )
        .await?;
    }
    if !changes.is_empty() {
        usecases::crm::queue_after_change(deps, tenant, &lead).await?;
    }
    Ok(lead)
}

/// Sets a lead's score by hand with a reason; the score is no longer recomputed automatically.
///
/// # Errors
/// [`LeadError::NotFound`]; storage failures.
pub async fn override_score(
    deps: &Deps,
    tenant: &Tenant,
    id: LeadId,
    new_score: Score,
    reason: &str,
) -> Result<Lead, LeadError> {
    let mut lead = load_lead(deps, tenant, id).await?;
    lead.score.score = new_score;
    lead.score_override = Some(reason.trim().to_owned());
    lead.updated_at = deps.clock.now();
    Ok(deps.leads.update_lead(&lead, &[]).await?)
}

/// Corrects one qualification field as a person: stored without evidence (which marks it as a
/// person's), and the score is recomputed unless it was set by hand.
///
/// # Errors
/// [`LeadError::NotFound`]; storage failures.
pub async fn correct_field(
    deps: &Deps,
    tenant: &Tenant,
    id: LeadId,
    correction: FieldCorrection,
) -> Result<Lead, LeadError> {
    let mut lead = load_lead(deps, tenant, id).await?;
    let q = &mut lead.qualification;
    match correction {
        FieldCorrection::Service(v) => q.service = Some(Fact::stated(v)),
        FieldCorrection::Budget(v) => q.budget = Some(Fact::stated(v)),
        FieldCorrection::Timeline(v) => q.timeline = Some(Fact::stated(v)),
        FieldCorrection::Urgency(v) => q.urgency = Some(Fact::stated(v)),
        FieldCorrection::DecisionMaker(v) => q.decision_maker = Some(Fact::stated(v)),
        FieldCorrection::Location(v) => q.location = Some(Fact::stated(v)),
    }
    if lead.score_override.is_none() {
        lead.score = score(&lead.qualification, &tenant.settings.rules);
    }
    lead.updated_at = deps.clock.now();
    Ok(deps.leads.update_lead(&lead, &[]).await?)
}

/// Hands a lead to a person: HANDED_OFF, and every open conversation escalated (AI replies stop,
/// the team is told once per conversation).
///
/// # Errors
/// [`LeadError::Illegal`] when the lead cannot be handed off (disqualified, already handed off);
/// [`LeadError::NotFound`]; storage failures.
pub async fn hand_off(
    deps: &Deps,
    tenant: &Tenant,
    id: LeadId,
    reason: String,
    by: &str,
) -> Result<Lead, LeadError> {
    let mut lead = load_lead(deps, tenant, id).await?;
    if next_state(lead.state, LeadEvent::HandOff).is_none() {
        return Err(IllegalTransition {
            from: lead.state,
            event: LeadEvent::HandOff,
        }
        .into());
    }
    let conversations = deps.leads.lead_conversations(tenant.id, lead.id).await?;
    let open: Vec<_> = conversations
        .iter()
        .filter(|c| c.status == ConversationStatus::Open && !c.escalated)
        .collect();
    if open.is_empty() {
        let change = lead.apply(LeadEvent::HandOff, reason, deps.clock.now())?;
        let lead = deps
            .leads
            .update_lead(&lead, std::slice::from_ref(&change))
            .await?;
        usecases::events::raise_event(
            deps,
            tenant,
            EventType::LeadStateChanged,
            &format!("{}:{}", lead.id, lead.version),
            state_change_data(
                &EventData {
                    lead: Some(LeadSnapshot::of(&lead)),
                    ..EventData::default()
                },
                &change,
                by,
            ),
        )
        .await?;
    } else {
        for c in open {
            usecases::escalate_manually(deps, tenant, c.id, reason.clone(), by).await?;
        }
    }
    let lead = load_lead(deps, tenant, id).await?;
    usecases::crm::queue_after_change(deps, tenant, &lead).await?;
    Ok(lead)
}

/// A person takes a conversation over: escalation recorded with who and why, AI replies stop,
/// the lead is handed off and the team told.
///
/// # Errors
/// [`LeadError::NotFound`]; storage failures.
pub async fn take_over(
    deps: &Deps,
    tenant: &Tenant,
    conversation: ConversationId,
    note: String,
    by: &str,
) -> Result<Conversation, LeadError> {
    Ok(usecases::escalate_manually(deps, tenant, conversation, note, by).await?)
}

/// A person gives a conversation back to the AI.
///
/// # Errors
/// [`LeadError::NotFound`]; storage failures.
pub async fn release(
    deps: &Deps,
    tenant: &Tenant,
    conversation: ConversationId,
    by: &str,
) -> Result<Conversation, LeadError> {
    Ok(usecases::release_conversation(deps, tenant, conversation, by).await?)
}

/// A person's reply on the conversation's channel: stored and queued for delivery through the
/// same outbound path as the AI's replies (opt-outs and channel rules apply at delivery).
///
/// # Errors
/// [`LeadError::NotFound`], [`LeadError::NoReplyAddress`], [`LeadError::EmptyReply`]; storage failures.
pub async fn reply(
    deps: &Deps,
    tenant: &Tenant,
    conversation: ConversationId,
    text: &str,
) -> Result<Message, LeadError> {
    let conversation = load_conversation(deps, tenant, conversation).await?;
    let to = conversation
        .reply_to
        .clone()
        .ok_or(LeadError::NoReplyAddress)?;
    let text = text.trim().to_owned();
    if text.is_empty() {
        return Err(LeadError::EmptyReply);
    }
    let language = detect_language(&text).or(conversation.language);
    Ok(usecases::queue_outbound(
        deps,
        tenant,
        &conversation,
        &to,
        Sender::Human,
        text,
        language,
    )
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_legal_targets_are_offered() {
        let from_new = legal_targets(LeadState::New);
        assert!(from_new.contains(&LeadState::Qualifying));
        assert!(!from_new.contains(&LeadState::New));
        for to in legal_targets(LeadState::Qualified) {
            assert!(event_for(LeadState::Qualified, to).is_some());
        }
        for to in ALL_STATES {
            if !legal_targets(LeadState::Disqualified).contains(&to)
                && to != LeadState::Disqualified
            {
                assert!(event_for(LeadState::Disqualified, to).is_none());
            }
        }
    }
}
