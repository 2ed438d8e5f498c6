//! Outbound messages: storing them with their send job, and delivering them once.

use super::conversations::new_escalation;
use super::events::raise_event;
use super::processing::all_messages;
use super::{Deps, UseCaseError};
use crate::contact::Address;
use crate::escalation::EscalationReason;
use crate::events::{EventData, EventType, LeadSnapshot};
use crate::ids::{ConversationId, JobId, MessageId, TenantId};
use crate::jobs::{JobPayload, NewJob};
use crate::lead::{Channel, Conversation, DeliveryStatus, Direction, Lead, Message, Sender};
use crate::lifecycle::LeadEvent;
use crate::ports::{
    HandoffPacket, NewMessage, Notification, OutboundMessage, SendError, StoreError,
};
use crate::tenant::{PhoneReplyChannel, Tenant};

/// The phone channel for leads that did not write by SMS or WhatsApp: the tenant's preferred one
/// when it can deliver, else the other one, else none.
pub(crate) fn phone_channel(
    tenant: &Tenant,
    can_deliver: &dyn Fn(Channel) -> bool,
) -> Option<Channel> {
    let (preferred, other) = match tenant.settings.phone_reply_channel {
        PhoneReplyChannel::Sms => (Channel::Sms, Channel::Whatsapp),
        PhoneReplyChannel::Whatsapp => (Channel::Whatsapp, Channel::Sms),
    };
    [preferred, other].into_iter().find(|c| can_deliver(*c))
}

/// The channel an outbound message to an address travels on: the conversation's own phone
/// channel, else the phone channel that can deliver (the tenant's preferred one first), email for
/// an email, live chat for a session.
pub fn outbound_channel(
    tenant: &Tenant,
    conversation_channel: Channel,
    to: &Address,
    can_deliver: &dyn Fn(Channel) -> bool,
) -> Channel {
    match (to, conversation_channel) {
        (Address::ChatSession(_), _) => Channel::LiveChat,
        (Address::Email(_), _) => Channel::Email,
        (Address::Phone(_), Channel::Sms | Channel::Whatsapp) => conversation_channel,
        // With no phone channel configured the tenant's preference stands; the send reports it.
        (Address::Phone(_), _) => phone_channel(tenant, can_deliver)
            .or_else(|| phone_channel(tenant, &|_| true))
            .unwrap_or(Channel::Sms),
    }
}

/// An outbound message before its channel is chosen: what the caller decides.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundDraft {
    /// The message's id.
    pub id: MessageId,
    /// The id of its send job, if it gets one.
    pub job_id: JobId,
    /// Who wrote it.
    pub sender: Sender,
    /// Text.
    pub body: String,
    /// Language.
    pub language: Option<crate::language::Language>,
    /// When.
    pub now: chrono::DateTime<chrono::Utc>,
}

/// The stored form of an outbound message and, unless it is shown in live chat, the job that
/// delivers it: a pure choice of channel and delivery state.
pub fn outbound_message(
    tenant: &Tenant,
    conversation: &Conversation,
    to: &Address,
    draft: OutboundDraft,
    can_deliver: &dyn Fn(Channel) -> bool,
) -> (NewMessage, Option<NewJob>) {
    let channel = outbound_channel(tenant, conversation.channel, to, can_deliver);
    let live = channel == Channel::LiveChat;
    let message = NewMessage {
        id: draft.id,
        tenant_id: tenant.id,
        conversation_id: conversation.id,
        direction: Direction::Outbound,
        sender: draft.sender,
        channel,
        body: draft.body,
        language: draft.language,
        delivery: if live {
            DeliveryStatus::NotApplicable
        } else {
            DeliveryStatus::Pending
        },
        created_at: draft.now,
    };
    let job = (!live).then(|| {
        JobPayload::SendOutbound {
            conversation_id: conversation.id,
            message_id: draft.id,
        }
        .job(draft.job_id, tenant.id, draft.now)
    });
    (message, job)
}

/// Stores an outbound message of a conversation and, unless it is shown in live chat, the job that
/// delivers it, in one transaction. Used for AI replies and for a person's messages alike.
///
/// # Errors
/// Storage errors; nothing is stored then.
pub async fn queue_outbound(
    deps: &Deps,
    tenant: &Tenant,
    conversation: &Conversation,
    to: &Address,
    sender: Sender,
    body: String,
    language: Option<crate::language::Language>,
) -> Result<Message, StoreError> {
    let can_deliver = |c: Channel| deps.sender.can_deliver(tenant, c);
    let draft = OutboundDraft {
        id: MessageId::from_uuid(deps.ids.new_uuid()),
        job_id: JobId::from_uuid(deps.ids.new_uuid()),
        sender,
        body,
        language,
        now: deps.clock.now(),
    };
    let (message, job) = outbound_message(tenant, conversation, to, draft, &can_deliver);
    deps.leads.append_message(&message, job).await
}

/// Delivers a stored outbound message, once: a message no longer pending is not sent again; an
/// opted-out recipient or a paused tenant suppresses it.
///
/// # Errors
/// [`UseCaseError::Send`] with the sender's classification; storage errors.
pub async fn deliver_outbound(
    deps: &Deps,
    tenant_id: TenantId,
    conversation_id: ConversationId,
    message_id: MessageId,
) -> Result<Option<String>, UseCaseError> {
    let tenant = deps
        .tenants
        .get_tenant(tenant_id)
        .await?
        .ok_or(UseCaseError::NotFound("tenant"))?;
    let message = deps
        .leads
        .get_message(tenant_id, message_id)
        .await?
        .ok_or(UseCaseError::NotFound("message"))?;
    if message.delivery != DeliveryStatus::Pending {
        return Ok(Some(format!(
            "message already {}",
            message.delivery.as_str()
        )));
    }
    let conversation = deps
        .leads
        .get_conversation(tenant_id, conversation_id)
        .await?
        .ok_or(UseCaseError::NotFound("conversation"))?;
    let lead = deps
        .leads
        .get_lead(tenant_id, conversation.lead_id)
        .await?
        .ok_or(UseCaseError::NotFound("lead"))?;
    let suppress = |why: &str| {
        let why = why.to_owned();
        async move {
            deps.leads
                .set_delivery(
                    tenant_id,
                    message_id,
                    DeliveryStatus::Suppressed,
                    None,
                    Some(why.clone()),
                )
                .await?;
            Ok::<_, UseCaseError>(Some(why))
        }
    };
    if !tenant.is_active() {
        return suppress("tenant paused").await;
    }
    let to = match message.channel {
        Channel::Email => lead.email.clone().map(Address::Email),
        Channel::Sms | Channel::Whatsapp => lead.phone.clone().map(Address::Phone),
        _ => conversation.reply_to.clone(),
    };
    let Some(to) = to else {
        return suppress("no address for the channel").await;
    };
    if deps.opt_outs.is_opted_out(tenant_id, &to).await? {
        return suppress("recipient opted out").await;
    }
    let outbound = OutboundMessage {
        message_id,
        conversation_id,
        channel: message.channel,
        to,
        body: message.body.clone(),
        language: message.language.unwrap_or(tenant.settings.default_language),
        last_inbound_at: conversation.last_inbound_at,
        lead_name: lead.name.clone(),
    };
    match deps.sender.send(&tenant, &outbound).await {
        Ok(receipt) => {
            deps.leads
                .set_delivery(
                    tenant_id,
                    message_id,
                    DeliveryStatus::Sent,
                    receipt.provider_message_id,
                    None,
                )
                .await?;
            message_event(deps, &tenant, &lead, &message, EventType::MessageSent, None).await?;
            if lead.undeliverable.is_some() {
                let mut lead = lead;
                lead.undeliverable = None;
                lead.updated_at = deps.clock.now();
                deps.leads.update_lead(&lead, &[]).await?;
            }
            Ok(receipt
                .used_template
                .then(|| "sent as an approved template".to_owned()))
        }
        Err(e @ (SendError::OptedOut | SendError::OutsideWindow)) => suppress(&e.to_string()).await,
        Err(e @ (SendError::NotConfigured(_) | SendError::Permanent { .. })) => {
            deps.leads
                .set_delivery(
                    tenant_id,
                    message_id,
                    DeliveryStatus::Failed,
                    None,
                    Some(e.to_string()),
                )
                .await?;
            message_event(
                deps,
                &tenant,
                &lead,
                &message,
                EventType::MessageFailed,
                Some(e.to_string()),
            )
            .await?;
            // A rejected address will never work: a person takes the conversation over. With no
            // channel configured at all the conversation goes on, and a person reaches the lead
            // another way.
            let hand_over = matches!(e, SendError::Permanent { .. });
            mark_undeliverable(deps, &tenant, lead, conversation, e.to_string(), hand_over).await?;
            if hand_over {
                Err(e.into())
            } else {
                Ok(Some(e.to_string()))
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Records that replies cannot reach a lead: visible on the lead and the team told; with
/// `hand_over`, an `undeliverable` escalation also gives the conversation to a person. The team is
/// told once per reason, not at every reply that fails the same way.
pub(crate) async fn mark_undeliverable(
    deps: &Deps,
    tenant: &Tenant,
    mut lead: Lead,
    mut conversation: Conversation,
    detail: String,
    hand_over: bool,
) -> Result<(), UseCaseError> {
    let now = deps.clock.now();
    let reason = EscalationReason::Undeliverable { detail };
    let why = reason.to_string();
    if !hand_over && lead.undeliverable.as_deref() == Some(why.as_str()) {
        return Ok(());
    }
    let mut changes = Vec::new();
    if hand_over {
        deps.escalations
            .record_escalations(&[new_escalation(
                deps,
                &lead,
                conversation.id,
                reason.clone(),
                "system",
                now,
            )])
            .await?;
        if let Ok(change) = lead.apply(LeadEvent::HandOff, why.clone(), now) {
            changes.push(change);
        }
        conversation.escalated = true;
        conversation.updated_at = now;
        deps.leads.update_conversation(&conversation).await?;
    }
    lead.undeliverable = Some(why.clone());
    lead.updated_at = now;
    let lead = deps.leads.update_lead(&lead, &changes).await?;
    let base = EventData {
        lead: Some(LeadSnapshot::of(&lead)),
        conversation_id: Some(conversation.id),
        reasons: vec![why.clone()],
        by: Some("system".to_owned()),
        ..EventData::default()
    };
    let cause = format!("{}:{}", lead.id, lead.version);
    raise_event(
        deps,
        tenant,
        EventType::LeadUndeliverable,
        &cause,
        base.clone(),
    )
    .await?;
    if hand_over {
        raise_event(
            deps,
            tenant,
            EventType::ConversationEscalated,
            &format!("undeliverable:{cause}"),
            base,
        )
        .await?;
    }
    let packet = handoff_packet(deps, &lead, &conversation).await?;
    let notification = if hand_over {
        Notification::Escalated {
            lead_id: lead.id,
            conversation_id: conversation.id,
            reasons: vec![reason],
            packet,
        }
    } else {
        Notification::Undeliverable {
            lead_id: lead.id,
            conversation_id: conversation.id,
            detail: why,
            packet,
        }
    };
    let _ = deps.notifier.notify(tenant, &notification).await;
    Ok(())
}

/// The handoff packet of a lead from its conversation as stored now.
pub(crate) async fn handoff_packet(
    deps: &Deps,
    lead: &Lead,
    conversation: &Conversation,
) -> Result<Box<HandoffPacket>, StoreError> {
    let messages = all_messages(deps, lead.tenant_id, conversation.id).await?;
    Ok(Box::new(HandoffPacket::of(lead, conversation, &messages)))
}

/// Raises `message.sent` or `message.failed` for an outbound message after its delivery state was stored.
async fn message_event(
    deps: &Deps,
    tenant: &Tenant,
    lead: &Lead,
    message: &crate::lead::Message,
    kind: EventType,
    error: Option<String>,
) -> Result<(), StoreError> {
    raise_event(
        deps,
        tenant,
        kind,
        &message.id.to_string(),
        EventData {
            lead: Some(LeadSnapshot::of(lead)),
            conversation_id: Some(message.conversation_id),
            message_id: Some(message.id),
            channel: Some(message.channel),
            body: Some(message.body.clone()),
            reasons: error.into_iter().collect(),
            ..EventData::default()
        },
    )
    .await
}
