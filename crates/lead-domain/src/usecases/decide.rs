//! Pure choices of processing: the reply's templates, the lifecycle event a score calls for, the exchange count the escalation triggers read.

use super::outbound::{OutboundDraft, outbound_message};
use super::processing::ProcessOutcome;
use crate::contact::Address;
use crate::escalation::{self, EscalationInput, EscalationReason, OnHot};
use crate::ids::{EscalationId, JobId, MessageId};
use crate::jobs::JobPayload;
use crate::jobs::Notice;
use crate::language::Language;
use crate::language::detect_language;
use crate::lead::{Channel, Conversation, Direction, Escalation, Lead, Message, Sender};
use crate::lifecycle::{LeadEvent, LeadState, StateChange};
use crate::pipeline::{Decision, KeyedEscalation, KeyedReply, ProcessingContext};
use crate::qualification::{MessageIntent, Qualification};
use crate::scoring::{Score, join_readable, score};
use crate::templates::{TemplateContext, TemplateKind, offline_reply, render};
use crate::tenant::Tenant;
use chrono::{DateTime, Utc};

/// The confidence a reading has when the model recognised the turn as a greeting or a question.
pub(crate) const UNDERSTOOD: f32 = 0.9;

/// What the reply to one turn depends on besides the lead.
#[derive(Debug, Clone, Copy)]
pub struct ReplyTurn {
    /// Nothing was sent to the lead yet.
    pub first_reply: bool,
    /// The turn is a system notice (a missed call, a web form without a message).
    pub system_notice: bool,
    /// The conversation's channel.
    pub channel: Channel,
    /// The conversation is being handed to a person with this turn.
    pub handing_off: bool,
    /// What the lead's message is about.
    pub intent: Option<MessageIntent>,
}

/// The offline reply to a turn: a pure choice of templates. A call-back is promised only to a
/// lead who gave a way to be reached; otherwise the reply asks for one.
pub fn compose_reply(
    turn: &ReplyTurn,
    lead: &Lead,
    language: crate::language::Language,
    ctx: &TemplateContext<'_>,
) -> String {
    let q = &lead.qualification;
    let missing = q.missing_fields();
    let greeting = || render(TemplateKind::Greeting, language, ctx);
    let next_step = || {
        if lead.score.score == Score::Hot || missing.is_empty() {
            if lead.can_be_contacted() {
                render(TemplateKind::Qualified, language, ctx)
            } else {
                render(TemplateKind::AskContact, language, ctx)
            }
        } else {
            offline_reply(false, &missing, language, ctx)
        }
    };
    let with_greeting = |body: String| {
        if turn.first_reply {
            format!("{} {body}", greeting())
        } else {
            body
        }
    };
    if turn.system_notice {
        return if turn.channel == Channel::MissedCall {
            render(TemplateKind::MissedCall, language, ctx)
        } else {
            with_greeting(next_step())
        };
    }
    if turn.handing_off {
        return render(TemplateKind::HandOff, language, ctx);
    }
    if q.not_interested() || turn.intent == Some(MessageIntent::OptOut) {
        return render(TemplateKind::Goodbye, language, ctx);
    }
    match turn.intent {
        Some(MessageIntent::Question) => with_greeting(format!(
            "{} {}",
            render(TemplateKind::Answer, language, ctx),
            next_step()
        )),
        Some(MessageIntent::Thanks) if !turn.first_reply => format!(
            "{} {}",
            render(TemplateKind::Welcome, language, ctx),
            next_step()
        ),
        Some(MessageIntent::Greeting) if !turn.first_reply => {
            format!("{} {}", greeting(), next_step())
        }
        _ => with_greeting(next_step()),
    }
}

/// The lifecycle event a qualifying lead's score and facts call for, if any.
pub fn lifecycle_event(lead: &Lead) -> Option<LeadEvent> {
    use crate::qualification::Timeline;
    use crate::scoring::ScoreReason;
    let q = &lead.qualification;
    let card = &lead.score;
    if q.not_interested() {
        Some(LeadEvent::Disqualify)
    } else if card.score == Score::Cold
        && q.timeline
            .as_ref()
            .is_some_and(|t| t.value == Timeline::OverSixMonths)
    {
        Some(LeadEvent::Nurture)
    } else if card.score == Score::Cold
        && card.points == 0
        && card
            .reasons
            .iter()
            .any(|r| matches!(r, ScoreReason::BudgetBelowMinimum { .. }))
    {
        Some(LeadEvent::Disqualify)
    } else if card.score == Score::Hot {
        Some(LeadEvent::Qualify)
    } else {
        None
    }
}

/// Lead messages since the conversation was last released (or since it began): the count the
/// too-many-exchanges trigger reads, so a release starts it again.
pub fn exchanges_since_release(messages: &[Message], history: &[Escalation]) -> u32 {
    let released = history.iter().filter_map(|e| e.released_at).max();
    let count = messages
        .iter()
        .filter(|m| m.direction == Direction::Inbound && m.sender == Sender::Lead)
        .filter(|m| released.is_none_or(|at| m.created_at >= at))
        .count();
    u32::try_from(count).unwrap_or(u32::MAX)
}

pub(crate) fn merged(known: &Qualification, newer: &Qualification) -> Qualification {
    let mut q = known.clone();
    q.merge(newer.clone());
    q
}

/// Everything processing reads before deciding, loaded once.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The tenant with its settings.
    pub tenant: Tenant,
    /// The lead as stored (its `version` guards the commit).
    pub lead: Lead,
    /// The conversation.
    pub conversation: Conversation,
    /// Every message of the conversation, oldest first.
    pub messages: Vec<Message>,
    /// The conversation's escalations, oldest first.
    pub history: Vec<Escalation>,
    /// Where the reply goes, if anywhere.
    pub reply_to: Option<Address>,
    /// Opt-out and duplicate lookups.
    pub context: ProcessingContext,
}

/// What a turn was read as: the offline reading merged with the model's, and the model's reply.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TurnReading {
    /// Facts, intent and confidence of the turn.
    pub reading: Qualification,
    /// The model's reply, when the model answered.
    pub model_reply: Option<String>,
    /// Ids of the knowledge-base passages the model's reply cites.
    pub model_sources: Vec<String>,
    /// The booking turn's reply (slots, a confirmation, a change), when the message was about a
    /// meeting; it wins over the model's unless the turn hands the lead to a person.
    pub booking_reply: Option<String>,
    /// What the tenant's knowledge base says about the message, for the offline answer.
    pub knowledge: Option<super::knowledge::Lookup>,
    /// Why the offline path answered instead of the model, if it did.
    pub degraded: Option<String>,
    /// Texts the lead's experiment variants put in place of templates.
    pub overrides: Vec<crate::templates::TemplateOverride>,
}

/// Decides what one inbound message changes: qualification merge, score, lifecycle, escalations,
/// notifications, the reply and its send job. Pure: the same snapshot and reading give the same
/// decision; `new_id` supplies ids for new rows, `can_deliver` says which channels the tenant can
/// send on. `None` when the message is not in the snapshot.
pub fn decide(
    snapshot: &Snapshot,
    message_id: MessageId,
    turn: &TurnReading,
    now: DateTime<Utc>,
    new_id: &mut dyn FnMut() -> uuid::Uuid,
    can_deliver: &dyn Fn(Channel) -> bool,
) -> Option<(Option<Decision>, ProcessOutcome)> {
    let Snapshot {
        tenant,
        messages,
        history,
        ..
    } = snapshot;
    let inbound_at = messages.iter().position(|m| m.id == message_id)?;
    let inbound = &messages[inbound_at];
    let mut lead = snapshot.lead.clone();
    let mut conversation = snapshot.conversation.clone();
    let mut outcome = ProcessOutcome {
        score: lead.score.score,
        state: lead.state,
        escalations: Vec::new(),
        reply: None,
        degraded: turn.degraded.clone(),
        silent_because: None,
        quoted: None,
    };
    if !tenant.is_active() {
        outcome.degraded = None;
        outcome.silent_because = Some("tenant paused");
        return Some((None, outcome));
    }
    // Later messages of the same conversation are handled by their own jobs; answering an old one
    // after a newer message arrived would reply out of order, so only the latest inbound is answered.
    let is_latest = messages
        .iter()
        .rev()
        .find(|m| m.direction == Direction::Inbound)
        .map(|m| m.id)
        == Some(message_id);
    let system_notice = inbound.sender == Sender::System;
    let language = reply_language(snapshot, inbound);
    conversation.language = Some(language);
    let reading = &turn.reading;

    let previous = lead.qualification.clone();
    lead.qualification
        .merge_keeping_corrections(reading.clone(), message_id);
    if lead.score_override.is_none() {
        lead.score = score(&lead.qualification, &tenant.settings.rules);
    }
    let mut changes: Vec<StateChange> = Vec::new();
    let mut apply = |lead: &mut Lead, event: LeadEvent, reason: String| {
        if let Ok(change) = lead.apply(event, reason, now) {
            changes.push(change);
        }
    };
    match lead.state {
        LeadState::New => apply(
            &mut lead,
            LeadEvent::StartQualifying,
            format!("first message on {}", conversation.channel),
        ),
        LeadState::Nurturing => apply(
            &mut lead,
            LeadEvent::Reengage,
            "the lead wrote again".to_owned(),
        ),
        _ => {}
    }

    // Escalation: every trigger that is new since the last release, one row per reason.
    let policy = &tenant.settings.escalation;
    let was_hot = outcome.score == Score::Hot;
    let became_hot = lead.score.score == Score::Hot && !was_hot;
    let mut reasons = if conversation.escalated {
        Vec::new()
    } else {
        escalation::evaluate(
            policy,
            &tenant.settings.rules,
            &EscalationInput {
                qualification: &lead.qualification,
                previous: &previous,
                reading,
                message_id: (!system_notice).then_some(message_id),
                exchanges: exchanges_since_release(&messages[..=inbound_at], history),
                latest_text: if system_notice { "" } else { &inbound.body },
                history,
            },
        )
    };
    let hot_reason = EscalationReason::HotLead {
        points: lead.score.points,
    };
    let hands_off_hot = became_hot && policy.on_hot == OnHot::Handoff && !conversation.escalated;
    if hands_off_hot {
        reasons.push(hot_reason.clone());
    }
    if lead.state == LeadState::Qualifying
        && let Some(event) = lifecycle_event(&lead)
    {
        let reason = lead.score.explain();
        apply(&mut lead, event, reason);
    }
    let mut raised: Vec<EscalationReason> = reasons.clone();
    if became_hot && !hands_off_hot {
        // The team is told; the record stays in the conversation's history without taking it over.
        raised.push(hot_reason);
    }
    let escalations = raised
        .into_iter()
        .map(|reason| {
            KeyedEscalation::caused_by(
                message_id,
                Escalation {
                    id: EscalationId::from_uuid(new_id()),
                    tenant_id: lead.tenant_id,
                    conversation_id: conversation.id,
                    lead_id: lead.id,
                    reason,
                    created_at: now,
                    released_at: None,
                    raised_by: "ai".to_owned(),
                    released_by: None,
                },
            )
        })
        .collect();
    if !reasons.is_empty() {
        apply(&mut lead, LeadEvent::HandOff, join_readable(&reasons));
        conversation.escalated = true;
    }
    // A claimed contact that another lead owns is flagged for a person to merge.
    if lead.possible_duplicate_of.is_none()
        && (lead.claimed_phone.is_some() || lead.claimed_email.is_some())
    {
        lead.possible_duplicate_of = snapshot.context.possible_duplicate_of;
    }
    conversation.updated_at = now;
    outcome.score = lead.score.score;
    outcome.state = lead.state;
    outcome.escalations = reasons.clone();

    // Tell the team, once per inbound message, after the decision is stored.
    let mut jobs = Vec::new();
    let mut notify = |notice: Notice| {
        jobs.push(
            JobPayload::Notify {
                lead_id: lead.id,
                conversation_id: conversation.id,
                cause: message_id,
                notice,
            }
            .job(JobId::from_uuid(new_id()), lead.tenant_id, now),
        );
    };
    let escalated_for: Vec<EscalationReason> = reasons
        .iter()
        .filter(|r| !matches!(r, EscalationReason::HotLead { .. }))
        .cloned()
        .collect();
    if !escalated_for.is_empty() {
        notify(Notice::Escalated {
            reasons: escalated_for.clone(),
        });
    }
    if became_hot {
        notify(Notice::HotLead {
            summary: lead.score.explain(),
        });
    }

    let silent_because = if !is_latest {
        Some("a newer message will be answered instead")
    } else if snapshot.context.opted_out {
        Some("recipient opted out")
    } else if snapshot.reply_to.is_none() {
        Some("no address to reply to")
    } else if conversation.escalated && reasons.is_empty() {
        Some("conversation is with a person")
    } else {
        None
    };
    let mut reply = None;
    match (&snapshot.reply_to, silent_because) {
        (Some(reply_to), None) => {
            let hours = &tenant.settings.business_hours;
            let first_name = lead
                .name
                .as_deref()
                .and_then(|n| n.split_whitespace().next());
            let ctx = TemplateContext {
                business: tenant.business_name(),
                lead_name: first_name,
                open_now: hours.is_open(now),
                next_opening: hours.next_opening(now),
                hours,
                overrides: &turn.overrides,
            };
            let reply_turn = ReplyTurn {
                first_reply: !messages.iter().any(|m| m.direction == Direction::Outbound),
                system_notice,
                channel: conversation.channel,
                handing_off: !reasons.is_empty(),
                intent: reading.intent,
            };
            let answering = reasons.is_empty() && !lead.qualification.not_interested();
            let body = match (&turn.booking_reply, &turn.model_reply) {
                (Some(booking), _) if answering => booking.clone(),
                (_, Some(reply)) if answering => reply.clone(),
                _ => match super::knowledge::reply_with_answer(
                    &reply_turn,
                    &lead,
                    language,
                    &ctx,
                    turn.knowledge.as_ref(),
                ) {
                    Some((body, answer)) => {
                        outcome.quoted = Some(answer);
                        body
                    }
                    None => compose_reply(&reply_turn, &lead, language, &ctx),
                },
            };
            let (message, send) = outbound_message(
                tenant,
                &conversation,
                reply_to,
                OutboundDraft {
                    id: MessageId::from_uuid(new_id()),
                    job_id: JobId::from_uuid(new_id()),
                    sender: Sender::Ai,
                    body,
                    language: Some(language),
                    now,
                },
                can_deliver,
            );
            outcome.reply = Some(message.id);
            jobs.extend(send);
            reply = Some(KeyedReply {
                cause: message_id,
                message,
            });
        }
        _ => outcome.silent_because = silent_because,
    }
    jobs.extend(crate::events::decision_events(
        tenant,
        &snapshot.lead,
        &lead,
        &changes,
        conversation.id,
        inbound,
        &escalated_for
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        became_hot,
        now,
        new_id,
    ));
    // The tenant's CRM hears of a lead entering a synced state and of later changes to it.
    let before = &snapshot.lead;
    let changed = before.state != lead.state
        || before.score.score != lead.score.score
        || before.qualification != lead.qualification;
    let synced = tenant
        .settings
        .crm
        .as_ref()
        .is_some_and(|c| c.syncs(before.state));
    if let Some(job) = super::crm::sync_job(
        tenant,
        &lead,
        changed,
        synced,
        JobId::from_uuid(new_id()),
        now,
    ) {
        jobs.push(job);
    }
    let decision = Decision {
        lead,
        changes,
        conversation,
        escalations,
        reply,
        jobs,
    };
    Some((Some(decision), outcome))
}

/// The language a turn is answered in: the lead's message, else the conversation's, else the
/// tenant's default. A system notice (a missed call) says nothing about the lead's language.
fn reply_language(snapshot: &Snapshot, inbound: &Message) -> Language {
    let lead_language = if inbound.sender == Sender::System {
        None
    } else {
        inbound.language.or_else(|| detect_language(&inbound.body))
    };
    lead_language
        .or(snapshot.conversation.language)
        .unwrap_or(snapshot.tenant.settings.default_language)
}
