//! What a person does with a conversation: take it over, give it back, merge two leads.

use super::events::{event_job, raise_event};
use super::outbound::handoff_packet;
use super::{Deps, UseCaseError};
use crate::escalation::EscalationReason;
use crate::events::{EventData, EventType, LeadSnapshot, state_change_data};
use crate::ids::{ConversationId, EscalationId, LeadId};
use crate::lead::{Conversation, Escalation, Lead};
use crate::lifecycle::LeadEvent;
use crate::pipeline::{CommitError, Decision, KeyedEscalation};
use crate::ports::Notification;
use crate::tenant::Tenant;

pub(crate) fn new_escalation(
    deps: &Deps,
    lead: &Lead,
    conversation_id: ConversationId,
    reason: EscalationReason,
    raised_by: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Escalation {
    Escalation {
        id: EscalationId::from_uuid(deps.ids.new_uuid()),
        tenant_id: lead.tenant_id,
        conversation_id,
        lead_id: lead.id,
        reason,
        created_at: now,
        released_at: None,
        raised_by: raised_by.to_owned(),
        released_by: None,
    }
}

/// A person takes over a conversation by hand: escalation recorded with who and why, AI replies
/// stop, lead handed off, the team told.
///
/// # Errors
/// [`UseCaseError::NotFound`] for another tenant's conversation; storage errors.
pub async fn escalate_manually(
    deps: &Deps,
    tenant: &Tenant,
    conversation_id: ConversationId,
    note: String,
    by: &str,
) -> Result<Conversation, UseCaseError> {
    // The escalation, the flag, the hand-off and their events are one commit; a lead changed
    // by the AI meanwhile is loaded again.
    let mut attempts = 0;
    let (lead, conversation, reason) = loop {
        attempts += 1;
        let now = deps.clock.now();
        let mut conversation = deps
            .leads
            .get_conversation(tenant.id, conversation_id)
            .await?
            .ok_or(UseCaseError::NotFound("conversation"))?;
        if conversation.escalated {
            return Ok(conversation);
        }
        let mut lead = deps
            .leads
            .get_lead(tenant.id, conversation.lead_id)
            .await?
            .ok_or(UseCaseError::NotFound("lead"))?;
        let reason = EscalationReason::Manual { note: note.clone() };
        let cause = format!("manual:{conversation_id}:{}", now.timestamp_micros());
        let escalation = KeyedEscalation {
            key: cause.clone(),
            escalation: new_escalation(deps, &lead, conversation_id, reason.clone(), by, now),
        };
        conversation.escalated = true;
        conversation.updated_at = now;
        let change = lead.apply(LeadEvent::HandOff, reason.to_string(), now).ok();
        let base = EventData {
            lead: Some(LeadSnapshot::of(&lead)),
            conversation_id: Some(conversation_id),
            ..EventData::default()
        };
        let mut jobs = Vec::new();
        if let Some(change) = &change {
            jobs.extend(event_job(
                deps,
                tenant,
                EventType::LeadStateChanged,
                &cause,
                state_change_data(&base, change, by),
            ));
        }
        jobs.extend(event_job(
            deps,
            tenant,
            EventType::ConversationEscalated,
            &cause,
            EventData {
                reasons: vec![reason.to_string()],
                by: Some(by.to_owned()),
                ..base
            },
        ));
        let decision = Decision {
            lead,
            changes: change.into_iter().collect(),
            conversation,
            escalations: vec![escalation],
            reply: None,
            jobs,
        };
        match deps.decisions.commit_decision(&decision, None).await {
            Ok(()) => break (decision.lead, decision.conversation, reason),
            Err(CommitError::LeadChanged(_)) if attempts < 5 => {}
            Err(e) => return Err(e.into()),
        }
    };
    let packet = handoff_packet(deps, &lead, &conversation).await?;
    let _ = deps
        .notifier
        .notify(
            tenant,
            &Notification::Escalated {
                lead_id: lead.id,
                conversation_id,
                reasons: vec![reason],
                packet,
            },
        )
        .await;
    Ok(conversation)
}

/// A person gives an escalated conversation back to the AI. Triggers that fired before stay
/// fired (the escalation history says so), the exchange count starts again, and the release is
/// recorded with who did it.
///
/// # Errors
/// [`UseCaseError::NotFound`] for another tenant's conversation; storage errors.
pub async fn release_conversation(
    deps: &Deps,
    tenant: &Tenant,
    conversation_id: ConversationId,
    by: &str,
) -> Result<Conversation, UseCaseError> {
    let mut conversation = deps
        .leads
        .get_conversation(tenant.id, conversation_id)
        .await?
        .ok_or(UseCaseError::NotFound("conversation"))?;
    if conversation.escalated {
        let now = deps.clock.now();
        deps.escalations
            .release_escalations(tenant.id, conversation_id, now, by)
            .await?;
        conversation.escalated = false;
        conversation.updated_at = now;
        deps.leads.update_conversation(&conversation).await?;
        let lead = deps.leads.get_lead(tenant.id, conversation.lead_id).await?;
        raise_event(
            deps,
            tenant,
            EventType::ConversationReleased,
            &format!("{conversation_id}:{}", now.timestamp_micros()),
            EventData {
                lead: lead.as_ref().map(LeadSnapshot::of),
                conversation_id: Some(conversation_id),
                by: Some(by.to_owned()),
                ..EventData::default()
            },
        )
        .await?;
    }
    Ok(conversation)
}

/// Merges lead `from` into lead `into` after a person confirmed they are the same person (a chat
/// visitor's `possible_duplicate_of`): conversations, escalations and history move, `from` is gone.
///
/// # Errors
/// [`UseCaseError::NotFound`] when either lead is not the tenant's; [`UseCaseError::Invalid`]
/// for a lead merged into itself; storage errors.
pub async fn merge_leads(
    deps: &Deps,
    tenant: &Tenant,
    from: LeadId,
    into: LeadId,
) -> Result<Lead, UseCaseError> {
    if from == into {
        return Err(UseCaseError::Invalid("a lead cannot be merged into itself"));
    }
    for id in [from, into] {
        deps.leads
            .get_lead(tenant.id, id)
            .await?
            .ok_or(UseCaseError::NotFound("lead"))?;
    }
    Ok(deps
        .leads
        .merge_leads(tenant.id, from, into, deps.clock.now())
        .await?)
}
