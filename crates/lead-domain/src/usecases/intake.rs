//! Accepting an inbound contact durably, and where a conversation's replies go.

use super::outbound::phone_channel;
use super::{Deps, UseCaseError};
use crate::contact::Address;
use crate::ids::{ConversationId, JobId, LeadId, MessageId};
use crate::language::detect_language;
use crate::lead::{Channel, Sender};
use crate::ports::{ContactInfo, InboundIntake, IntakeIds, IntakeReceipt};
use crate::tenant::Tenant;

/// An inbound contact as a webhook or the API hands it over, already authenticated and parsed.
#[derive(Debug, Clone, Default)]
pub struct InboundRequest {
    /// Channel; defaults to web form.
    pub channel: Option<Channel>,
    /// Who.
    pub contact: ContactInfo,
    /// Text, if any.
    pub body: Option<String>,
    /// Free-form source label.
    pub source_detail: Option<String>,
    /// Provider id or idempotency key.
    pub dedup_key: Option<(String, String)>,
    /// A digest of the request an idempotency key came with: the same key with another request
    /// is refused instead of answered with the first receipt.
    pub request_digest: Option<String>,
    /// Who wrote it; defaults to the lead.
    pub sender: Option<Sender>,
}

/// Where replies on a channel go: the channel the lead wrote on when it can answer, else a phone
/// channel that can deliver (the tenant's preferred one first), else email; `None` when nothing
/// configured can reach the lead.
pub fn reply_address(
    tenant: &Tenant,
    channel: Channel,
    contact: &ContactInfo,
    can_deliver: &dyn Fn(Channel) -> bool,
) -> Option<(Channel, Address)> {
    let by_email = || {
        contact
            .email
            .clone()
            .filter(|_| can_deliver(Channel::Email))
            .map(|e| (Channel::Email, Address::Email(e)))
    };
    let by_phone = || {
        let phone = contact.phone.clone()?;
        phone_channel(tenant, can_deliver).map(|c| (c, Address::Phone(phone)))
    };
    match channel {
        Channel::Sms | Channel::Whatsapp => contact
            .phone
            .clone()
            .map(|p| (channel, Address::Phone(p)))
            .or_else(by_email),
        Channel::LiveChat => contact
            .chat_session
            .clone()
            .map(|s| (Channel::LiveChat, Address::ChatSession(s)))
            .or_else(by_email),
        Channel::WebForm | Channel::MissedCall | Channel::Email => by_phone().or_else(by_email),
    }
}

/// Where a conversation's replies go: an address a configured channel can deliver to first; else
/// the lead's own address all the same, so a person's reply has somewhere to go and the send marks
/// the lead undeliverable instead of dropping the reply.
pub(crate) fn reply_target(
    deps: &Deps,
    tenant: &Tenant,
    channel: Channel,
    contact: &ContactInfo,
) -> Option<Address> {
    let can_deliver = |c: Channel| deps.sender.can_deliver(tenant, c);
    reply_address(tenant, channel, contact, &can_deliver)
        .or_else(|| reply_address(tenant, channel, contact, &|_| true))
        .map(|(_, a)| a)
}

/// Stores an inbound contact durably and, for an active tenant, enqueues its processing.
/// Nothing is acknowledged before this returns `Ok`.
///
/// # Errors
/// [`UseCaseError::Invalid`] when there is no way to identify the lead; storage errors otherwise,
/// in which case nothing was stored.
pub async fn accept_inbound(
    deps: &Deps,
    tenant: &Tenant,
    req: InboundRequest,
) -> Result<IntakeReceipt, UseCaseError> {
    let channel = req.channel.unwrap_or(Channel::WebForm);
    let mut req = req;
    if channel == Channel::LiveChat {
        // Anyone can type any number into a chat: it is the chat's own claim, never a lookup key.
        let c = &mut req.contact;
        c.claimed_phone = c.phone.take().or(c.claimed_phone.take());
        c.claimed_email = c.email.take().or(c.claimed_email.take());
    }
    let c = &req.contact;
    if c.phone.is_none() && c.email.is_none() && c.chat_session.is_none() {
        return Err(UseCaseError::Invalid(
            "a phone number, an email or a chat session is required",
        ));
    }
    let body = req
        .body
        .map(|b| b.trim().to_owned())
        .filter(|b| !b.is_empty());
    // A system notice (a missed call) says nothing about the lead's language.
    let sender = req.sender.unwrap_or(Sender::Lead);
    let language = if sender == Sender::Lead {
        body.as_deref().and_then(detect_language)
    } else {
        None
    };
    let reply_to = reply_target(deps, tenant, channel, c);
    let intake = InboundIntake {
        tenant_id: tenant.id,
        channel,
        contact: req.contact.clone(),
        source_detail: req.source_detail,
        enqueue: tenant.is_active() && body.is_some(),
        body,
        language,
        sender,
        dedup_key: req.dedup_key,
        request_digest: req.request_digest,
        reply_to,
        ids: IntakeIds {
            lead: LeadId::from_uuid(deps.ids.new_uuid()),
            conversation: ConversationId::from_uuid(deps.ids.new_uuid()),
            message: MessageId::from_uuid(deps.ids.new_uuid()),
            job: JobId::from_uuid(deps.ids.new_uuid()),
        },
        received_at: deps.clock.now(),
    };
    let receipt = deps.leads.record_inbound(&intake).await?;
    if receipt.request_mismatch {
        return Err(UseCaseError::IdempotencyKeyReused);
    }
    Ok(receipt)
}
