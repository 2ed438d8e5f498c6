//! The use cases: accept an inbound contact durably, then (in a queued job) qualify, score,
//! escalate and answer it; deliver outbound messages. Written only against ports.

use crate::contact::Address;
use crate::escalation::{self, EscalationInput, EscalationReason, OnHot};
use crate::ids::{ConversationId, EscalationId, JobId, LeadId, MessageId, TenantId};
use crate::jobs::{Job, JobPayload, NewJob, RetryDecision, RetryPolicy};
use crate::language::detect_language;
use crate::lead::{
    Channel, Conversation, DeliveryStatus, Direction, Escalation, Lead, Message, Sender,
    UsageRecord, YearMonth,
};
use crate::lifecycle::{LeadEvent, LeadState, StateChange};
use crate::ports::{
    Clock, ContactInfo, EscalationRepository, ExtractionProfile, HandoffPacket, HoursState,
    IdGenerator, InboundIntake, IntakeIds, IntakeReceipt, JobQueue, LanguageModel, LeadRepository,
    LlmError, MessageSender, ModelRequest, NewMessage, Notification, Notifier, OfflineExtractor,
    OptOutRegistry, OutboundMessage, Page, Role, SendError, StoreError, TenantRepository, Turn,
    UsageLedger,
};
use crate::qualification::{MessageIntent, Qualification};
use crate::scoring::{Score, join_readable, score};
use crate::templates::{TemplateContext, TemplateKind, offline_reply, render};
use crate::tenant::{PhoneReplyChannel, Tenant};
use std::sync::Arc;

pub mod booking;
pub mod knowledge;

/// The adapters a use case runs on, chosen by the app at start.
#[derive(Clone)]
pub struct Deps {
    /// Tenants and keys.
    pub tenants: Arc<dyn TenantRepository>,
    /// Leads, conversations, messages.
    pub leads: Arc<dyn LeadRepository>,
    /// Escalation records.
    pub escalations: Arc<dyn EscalationRepository>,
    /// Model usage.
    pub usage: Arc<dyn UsageLedger>,
    /// Opt-outs.
    pub opt_outs: Arc<dyn OptOutRegistry>,
    /// The job queue.
    pub jobs: Arc<dyn JobQueue>,
    /// The language model; `None` runs the offline qualifier only.
    pub model: Option<Arc<dyn LanguageModel>>,
    /// The offline qualifier: fallback and cross-check.
    pub extractor: Arc<dyn OfflineExtractor>,
    /// Delivers SMS, WhatsApp and email.
    pub sender: Arc<dyn MessageSender>,
    /// Tells the tenant's team.
    pub notifier: Arc<dyn Notifier>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Ids.
    pub ids: Arc<dyn IdGenerator>,
    /// Backoff for failed jobs.
    pub retry: RetryPolicy,
    /// Attempts per job before it is dead.
    pub max_attempts: u32,
    /// The tenant's knowledge base; `None` answers questions with the honest template.
    pub knowledge: Option<crate::knowledge::KnowledgeBase>,
    /// The calendar and booking records; `None` turns booking in the conversation off.
    pub booking: Option<booking::BookingDeps>,
}

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum UseCaseError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A record the job refers to does not exist (deleted, or another tenant's).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request had nothing to store.
    #[error("invalid inbound contact: {0}")]
    Invalid(&'static str),
    /// Sending failed.
    #[error(transparent)]
    Send(#[from] SendError),
    /// The calendar failed.
    #[error(transparent)]
    Calendar(#[from] crate::booking::CalendarError),
}

impl UseCaseError {
    /// Whether retrying the job may help.
    pub fn is_retryable(&self) -> bool {
        match self {
            UseCaseError::Store(
                StoreError::Unavailable(_) | StoreError::Stale(_) | StoreError::Unexpected(_),
            ) => true,
            UseCaseError::Store(StoreError::Conflict(_)) => false,
            UseCaseError::NotFound(_) | UseCaseError::Invalid(_) => false,
            UseCaseError::Send(SendError::Retryable { .. }) => true,
            UseCaseError::Send(_) => false,
            UseCaseError::Calendar(e) => e.is_retryable(),
        }
    }

    /// How long the remote side asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<chrono::Duration> {
        match self {
            UseCaseError::Send(SendError::Retryable {
                retry_after: Some(d),
                ..
            })
            | UseCaseError::Calendar(crate::booking::CalendarError::RateLimited {
                retry_after: Some(d),
            }) => chrono::Duration::from_std(*d).ok(),
            _ => None,
        }
    }
}

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
    /// Who wrote it; defaults to the lead.
    pub sender: Option<Sender>,
}

/// The phone channel for leads that did not write by SMS or WhatsApp: the tenant's preferred one
/// when it can deliver, else the other one, else none.
fn phone_channel(tenant: &Tenant, can_deliver: &dyn Fn(Channel) -> bool) -> Option<Channel> {
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
    let now = deps.clock.now();
    let can_deliver = |c: Channel| deps.sender.can_deliver(tenant, c);
    let channel = outbound_channel(tenant, conversation.channel, to, &can_deliver);
    let id = MessageId::from_uuid(deps.ids.new_uuid());
    let live = channel == Channel::LiveChat;
    let message = NewMessage {
        id,
        tenant_id: tenant.id,
        conversation_id: conversation.id,
        direction: Direction::Outbound,
        sender,
        channel,
        body,
        language,
        delivery: if live {
            DeliveryStatus::NotApplicable
        } else {
            DeliveryStatus::Pending
        },
        created_at: now,
    };
    let job = (!live).then(|| NewJob {
        id: JobId::from_uuid(deps.ids.new_uuid()),
        tenant_id: tenant.id,
        payload: JobPayload::SendOutbound {
            conversation_id: conversation.id,
            message_id: id,
        },
        run_at: now,
        max_attempts: deps.max_attempts,
    });
    deps.leads.append_message(&message, job).await
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
fn reply_target(
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
        reply_to,
        ids: IntakeIds {
            lead: LeadId::from_uuid(deps.ids.new_uuid()),
            conversation: ConversationId::from_uuid(deps.ids.new_uuid()),
            message: MessageId::from_uuid(deps.ids.new_uuid()),
            job: JobId::from_uuid(deps.ids.new_uuid()),
        },
        received_at: deps.clock.now(),
    };
    Ok(deps.leads.record_inbound(&intake).await?)
}

/// What processing an inbound message did, for the job record and logs.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessOutcome {
    /// The lead's score afterwards.
    pub score: Score,
    /// The lead's state afterwards.
    pub state: LeadState,
    /// Escalation reasons raised by this message.
    pub escalations: Vec<EscalationReason>,
    /// The reply stored, if any.
    pub reply: Option<MessageId>,
    /// Why the offline path answered instead of the model, if it did.
    pub degraded: Option<String>,
    /// Why no reply was sent, if none was.
    pub silent_because: Option<&'static str>,
}

/// Runs one claimed job to the end.
///
/// # Errors
/// [`UseCaseError`]; [`UseCaseError::is_retryable`] tells the worker whether to retry.
pub async fn run_job(deps: &Deps, job: &Job) -> Result<Option<String>, UseCaseError> {
    match &job.payload {
        JobPayload::ProcessInbound {
            lead_id,
            conversation_id,
            message_id,
        } => {
            let outcome =
                process_inbound(deps, job.tenant_id, *lead_id, *conversation_id, *message_id)
                    .await?;
            Ok(outcome
                .degraded
                .or(outcome.silent_because.map(str::to_owned)))
        }
        JobPayload::SendOutbound {
            conversation_id,
            message_id,
        } => deliver_outbound(deps, job.tenant_id, *conversation_id, *message_id).await,
        JobPayload::BookMeeting {
            lead_id,
            conversation_id,
        } => booking::run_booking_job(deps, job.tenant_id, *lead_id, *conversation_id).await,
    }
}

/// Claims due jobs and runs them; failures are recorded with a retry decision. Returns how many
/// jobs were claimed, so a worker loop can sleep when there was nothing to do.
///
/// # Errors
/// Only when claiming or recording a result fails; a job's own failure is recorded, not returned.
pub async fn worker_tick(
    deps: &Deps,
    worker: &str,
    limit: u32,
    lease: std::time::Duration,
) -> Result<usize, StoreError> {
    let jobs = deps
        .jobs
        .claim_due(worker, deps.clock.now(), limit, lease)
        .await?;
    for job in &jobs {
        match run_job(deps, job).await {
            Ok(note) => deps.jobs.complete(job.id, deps.clock.now(), note).await?,
            Err(err) => {
                let now = deps.clock.now();
                let decision = deps.retry.decide(
                    job.attempts,
                    job.max_attempts,
                    err.is_retryable(),
                    err.retry_after(),
                    now,
                );
                if decision == RetryDecision::GiveUp
                    && let JobPayload::SendOutbound { message_id, .. } = &job.payload
                {
                    // The reply stays stored with the reason, so nothing is lost and a person can follow up.
                    deps.leads
                        .set_delivery(
                            job.tenant_id,
                            *message_id,
                            DeliveryStatus::Failed,
                            None,
                            Some(err.to_string()),
                        )
                        .await?;
                }
                if decision == RetryDecision::GiveUp
                    && let JobPayload::BookMeeting {
                        lead_id,
                        conversation_id,
                    } = &job.payload
                {
                    booking::booking_gave_up(deps, job.tenant_id, *lead_id, *conversation_id)
                        .await?;
                }
                deps.jobs
                    .fail(job.id, &err.to_string(), decision, now)
                    .await?;
            }
        }
    }
    Ok(jobs.len())
}

fn turns_of(messages: &[Message]) -> Vec<Turn> {
    messages
        .iter()
        // System notices (a missed call) are not words of either side.
        .filter(|m| m.sender != Sender::System)
        .map(|m| Turn {
            role: match m.direction {
                Direction::Inbound => Role::Lead,
                Direction::Outbound => Role::Agent,
            },
            text: m.body.clone(),
            message_id: Some(m.id),
        })
        .collect()
}

/// Loads every message of a conversation, oldest first, page by page.
///
/// # Errors
/// Storage errors.
pub async fn all_messages(
    deps: &Deps,
    tenant: TenantId,
    conversation: ConversationId,
) -> Result<Vec<Message>, StoreError> {
    let mut out = Vec::new();
    loop {
        let page = Page {
            limit: 200,
            offset: out.len() as u64,
        };
        let batch = deps.leads.list_messages(tenant, conversation, page).await?;
        let done = batch.items.len() < 200;
        out.extend(batch.items);
        if done || out.len() as u64 >= batch.total {
            return Ok(out);
        }
    }
}

/// Month-to-date spend of a tenant in US dollars.
async fn month_spend(deps: &Deps, tenant: TenantId, month: YearMonth) -> Result<f64, StoreError> {
    Ok(deps
        .usage
        .month_usage(tenant, month)
        .await?
        .iter()
        .map(|t| t.cost_usd)
        .sum())
}

/// Qualifies and answers one inbound message: the heart of the product.
///
/// Steps: tenant active; conversation not escalated; opt-out; language; model (router, then
/// qualifier) unless the budget is spent or the model fails, with the offline qualifier as
/// cross-check and fallback; merge; score; escalation; lifecycle; reply in the lead's language with
/// business hours respected; outbound message and its send job stored together.
///
/// # Errors
/// Storage failures (retryable) and missing records (not retryable).
pub async fn process_inbound(
    deps: &Deps,
    tenant_id: TenantId,
    lead_id: LeadId,
    conversation_id: ConversationId,
    message_id: MessageId,
) -> Result<ProcessOutcome, UseCaseError> {
    let tenant = deps
        .tenants
        .get_tenant(tenant_id)
        .await?
        .ok_or(UseCaseError::NotFound("tenant"))?;
    let mut lead = deps
        .leads
        .get_lead(tenant_id, lead_id)
        .await?
        .ok_or(UseCaseError::NotFound("lead"))?;
    let mut conversation = deps
        .leads
        .get_conversation(tenant_id, conversation_id)
        .await?
        .ok_or(UseCaseError::NotFound("conversation"))?;
    let messages = all_messages(deps, tenant_id, conversation_id).await?;
    let inbound_at = messages
        .iter()
        .position(|m| m.id == message_id)
        .ok_or(UseCaseError::NotFound("message"))?;
    let inbound = &messages[inbound_at];
    let now = deps.clock.now();
    let mut outcome = ProcessOutcome {
        score: lead.score.score,
        state: lead.state,
        escalations: Vec::new(),
        reply: None,
        degraded: None,
        silent_because: None,
    };
    if !tenant.is_active() {
        outcome.silent_because = Some("tenant paused");
        return Ok(outcome);
    }
    // Later messages of the same conversation are handled by their own jobs; answering an old one
    // after a newer message arrived would reply out of order, so only the latest inbound is answered.
    let latest_inbound = messages
        .iter()
        .rev()
        .find(|m| m.direction == Direction::Inbound)
        .map(|m| m.id);
    let is_latest = latest_inbound == Some(message_id);

    let system_notice = inbound.sender == Sender::System;
    let lead_language = if system_notice {
        None
    } else {
        inbound.language.or_else(|| detect_language(&inbound.body))
    };
    let language = lead_language
        .or(conversation.language)
        .unwrap_or(tenant.settings.default_language);
    conversation.language = Some(language);
    let reply_to = conversation.reply_to.clone().or_else(|| {
        let known = ContactInfo {
            phone: lead.phone.clone(),
            email: lead.email.clone(),
            ..ContactInfo::default()
        };
        reply_target(deps, &tenant, conversation.channel, &known)
    });
    let opted_out = match &reply_to {
        Some(addr) => deps.opt_outs.is_opted_out(tenant_id, addr).await?,
        None => false,
    };
    let history = deps
        .escalations
        .conversation_escalations(tenant_id, conversation_id)
        .await?;

    let hours = &tenant.settings.business_hours;
    let today = now.with_timezone(&hours.timezone()).date_naive();
    let hours_state = HoursState {
        open_now: hours.is_open(now),
        next_opening: hours.next_opening(now),
    };
    // The conversation as it stood when this message arrived: newer messages have their own jobs.
    let turns = turns_of(&messages[..=inbound_at]);
    let profile = ExtractionProfile::of(&tenant);
    let mut reading = if system_notice {
        Qualification::default()
    } else {
        deps.extractor.extract(&profile, &turns, today)
    };

    // What the knowledge base says about this message, for the model and the offline reply.
    let found = if is_latest && !system_notice && !conversation.escalated {
        knowledge::look_up(deps, tenant_id, &inbound.body)
            .await
            .unwrap_or_else(|e| {
                outcome.degraded = Some(format!("knowledge base unavailable: {e}"));
                None
            })
    } else {
        None
    };

    // The model runs only for an active conversation, while the budget lasts.
    let mut model_reply = None;
    if !conversation.escalated && is_latest && !system_notice {
        match &deps.model {
            None => {
                outcome.degraded =
                    Some("no language model configured: offline qualifier answered".to_owned())
            }
            Some(model) => {
                let month = YearMonth::of(now);
                let spent = month_spend(deps, tenant_id, month).await?;
                let budget = tenant.settings.monthly_budget_usd;
                if budget.is_some_and(|b| spent >= b) {
                    outcome.degraded =
                        Some("monthly model budget spent: offline qualifier answered".to_owned());
                } else {
                    let request = ModelRequest {
                        tenant: tenant.clone(),
                        turns: turns.clone(),
                        known: lead.qualification.clone(),
                        missing: merged(&lead.qualification, &reading).missing_fields(),
                        reply_language: language,
                        hours: hours_state,
                        knowledge: knowledge::model_passages(found.as_ref()),
                        today,
                    };
                    match ask_model(
                        deps,
                        model.as_ref(),
                        &tenant,
                        conversation_id,
                        &request,
                        now,
                    )
                    .await
                    {
                        Ok(answer) => {
                            reading.merge(answer.reading);
                            if let Some(intent) = answer.intent {
                                reading.intent = Some(intent);
                                // A turn the model recognised as a greeting or a question is understood.
                                if matches!(
                                    intent,
                                    MessageIntent::Greeting | MessageIntent::Question
                                ) {
                                    reading.confidence =
                                        Some(reading.confidence.unwrap_or(1.0).max(UNDERSTOOD));
                                }
                            }
                            model_reply = answer.reply;
                        }
                        Err(e) => {
                            outcome.degraded = Some(format!("{e}: offline qualifier answered"))
                        }
                    }
                    check_budget_alert(deps, &tenant, month, budget, now).await?;
                }
            }
        }
    }

    let previous = lead.qualification.clone();
    lead.qualification.merge(reading.clone());
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
                reading: &reading,
                message_id: (!system_notice).then_some(message_id),
                exchanges: exchanges_since_release(&messages[..=inbound_at], &history),
                latest_text: if system_notice { "" } else { &inbound.body },
                history: &history,
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

    let mut rows: Vec<Escalation> = reasons
        .iter()
        .map(|r| new_escalation(deps, &lead, conversation_id, r.clone(), "ai", now))
        .collect();
    if became_hot && !hands_off_hot {
        // The team is told; the record stays in the conversation's history without taking it over.
        rows.push(new_escalation(
            deps,
            &lead,
            conversation_id,
            hot_reason,
            "ai",
            now,
        ));
    }
    if !reasons.is_empty() {
        apply(&mut lead, LeadEvent::HandOff, join_readable(&reasons));
        conversation.escalated = true;
    }
    // A claimed contact that another lead owns is flagged for a person to merge.
    if lead.possible_duplicate_of.is_none()
        && (lead.claimed_phone.is_some() || lead.claimed_email.is_some())
    {
        lead.possible_duplicate_of = deps
            .leads
            .lead_with_contact(
                tenant_id,
                lead.claimed_phone.clone(),
                lead.claimed_email.clone(),
                lead.id,
            )
            .await?;
    }
    deps.escalations.record_escalations(&rows).await?;
    conversation.updated_at = now;
    let lead = deps.leads.update_lead(&lead, &changes).await?;
    deps.leads.update_conversation(&conversation).await?;
    outcome.score = lead.score.score;
    outcome.state = lead.state;
    outcome.escalations = reasons.clone();

    // Tell the team; a failed notification never fails the job.
    let packet = || {
        Box::new(HandoffPacket::of(
            &lead,
            &conversation,
            &messages[..=inbound_at],
        ))
    };
    let escalated_for: Vec<EscalationReason> = reasons
        .iter()
        .filter(|r| !matches!(r, EscalationReason::HotLead { .. }))
        .cloned()
        .collect();
    if !escalated_for.is_empty() {
        let _ = deps
            .notifier
            .notify(
                &tenant,
                &Notification::Escalated {
                    lead_id,
                    conversation_id,
                    reasons: escalated_for,
                    packet: packet(),
                },
            )
            .await;
    }
    if became_hot {
        let summary = lead.score.explain();
        let _ = deps
            .notifier
            .notify(
                &tenant,
                &Notification::HotLead {
                    lead_id,
                    conversation_id,
                    summary,
                    packet: packet(),
                },
            )
            .await;
    }

    // The reply.
    if !is_latest {
        outcome.silent_because = Some("a newer message will be answered instead");
        return Ok(outcome);
    }
    if opted_out {
        outcome.silent_because = Some("recipient opted out");
        return Ok(outcome);
    }
    let Some(reply_to) = reply_to else {
        outcome.silent_because = Some("no address to reply to");
        return Ok(outcome);
    };
    if conversation.escalated && reasons.is_empty() {
        outcome.silent_because = Some("conversation is with a person");
        return Ok(outcome);
    }
    let first_name = lead
        .name
        .as_deref()
        .and_then(|n| n.split_whitespace().next());
    let ctx = TemplateContext {
        business: tenant.business_name(),
        lead_name: first_name,
        open_now: hours_state.open_now,
        next_opening: hours_state.next_opening,
        hours,
    };
    let first_reply = !messages.iter().any(|m| m.direction == Direction::Outbound);
    let turn = ReplyTurn {
        first_reply,
        system_notice,
        channel: conversation.channel,
        handing_off: !reasons.is_empty(),
        intent: reading.intent,
    };
    // A message about a meeting (or a score the tenant offers meetings at) is answered with slots,
    // a confirmation or a change to the booking.
    let booking_reply = if reasons.is_empty() && !lead.qualification.not_interested() {
        booking::booking_turn(
            deps,
            &tenant,
            &lead,
            &conversation,
            if system_notice { "" } else { &inbound.body },
            language,
        )
        .await?
    } else {
        None
    };
    let (body, quoted) = match (booking_reply, model_reply) {
        (Some(booked), _) => {
            outcome.state = booked.lead.state;
            (booked.body, None)
        }
        (None, Some(reply)) if reasons.is_empty() && !lead.qualification.not_interested() => {
            (reply, None)
        }
        _ => match knowledge::reply_with_answer(&turn, &lead, language, &ctx, found.as_ref()) {
            Some((body, answer)) => (body, Some(answer)),
            None => (compose_reply(&turn, &lead, language, &ctx), None),
        },
    };
    let reply = queue_outbound(
        deps,
        &tenant,
        &conversation,
        &reply_to,
        Sender::Ai,
        body,
        Some(language),
    )
    .await?;
    outcome.reply = Some(reply.id);
    if let Some(note) = knowledge::record_quote(deps, tenant_id, reply.id, quoted.as_ref()).await {
        outcome.degraded = Some(note);
    }
    Ok(outcome)
}

/// The confidence a reading has when the model recognised the turn as a greeting or a question.
const UNDERSTOOD: f32 = 0.9;

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

fn new_escalation(
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

fn merged(known: &Qualification, newer: &Qualification) -> Qualification {
    let mut q = known.clone();
    q.merge(newer.clone());
    q
}

/// What the model made of a turn.
struct ModelAnswer {
    /// Facts read (none for a turn the router answered alone).
    reading: Qualification,
    /// The router's classification of the turn.
    intent: Option<MessageIntent>,
    /// The reply it wrote.
    reply: Option<String>,
}

/// Routes and qualifies with the model, recording every call's usage. Returns the model's reading
/// and its reply; a simple turn answered by the router has no reading of its own.
async fn ask_model(
    deps: &Deps,
    model: &dyn LanguageModel,
    tenant: &Tenant,
    conversation: ConversationId,
    request: &ModelRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ModelAnswer, LlmError> {
    let record = |usage: Vec<crate::lead::ModelUsage>| async move {
        for u in usage {
            let rec = UsageRecord {
                tenant_id: tenant.id,
                conversation_id: Some(conversation),
                usage: u,
                at: now,
            };
            // A usage row that cannot be written must not cost the lead its reply; the cost is
            // still bounded by the budget check of the next turn.
            let _ = deps.usage.record_usage(&rec).await;
        }
    };
    // A call that answered outside the schema still cost tokens: record them before falling back.
    let spent = |e: &LlmError| match e {
        LlmError::InvalidOutput { usage, .. } => usage.clone(),
        _ => Vec::new(),
    };
    let route = match model.route(request).await {
        Ok(route) => route,
        Err(e) => {
            record(spent(&e)).await;
            return Err(e);
        }
    };
    record(route.usage.clone()).await;
    use crate::ports::Intent;
    let intent = match route.intent {
        Intent::Greeting => Some(MessageIntent::Greeting),
        Intent::Question => Some(MessageIntent::Question),
        Intent::QualificationInfo => Some(MessageIntent::Information),
        Intent::WantsHuman => Some(MessageIntent::WantsHuman),
        Intent::OptOut => Some(MessageIntent::OptOut),
        Intent::Spam => None,
    };
    match route.intent {
        Intent::Greeting | Intent::Question | Intent::Spam if route.reply.is_some() => {
            Ok(ModelAnswer {
                reading: Qualification::default(),
                intent,
                reply: route.reply,
            })
        }
        _ => {
            let turn = match model.qualify(request).await {
                Ok(turn) => turn,
                Err(e) => {
                    record(spent(&e)).await;
                    return Err(e);
                }
            };
            record(turn.usage.clone()).await;
            Ok(ModelAnswer {
                reading: turn.qualification,
                intent,
                reply: Some(turn.reply),
            })
        }
    }
}

/// Raises the 80% budget alert once per month.
async fn check_budget_alert(
    deps: &Deps,
    tenant: &Tenant,
    month: YearMonth,
    budget: Option<f64>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    let Some(budget) = budget.filter(|b| *b > 0.0) else {
        return Ok(());
    };
    let spent = month_spend(deps, tenant.id, month).await?;
    if spent >= 0.8 * budget && deps.usage.mark_budget_alert(tenant.id, month, now).await? {
        let _ = deps
            .notifier
            .notify(
                tenant,
                &Notification::BudgetAlert {
                    month,
                    spent_usd: spent,
                    budget_usd: budget,
                },
            )
            .await;
    }
    Ok(())
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
async fn mark_undeliverable(
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
async fn handoff_packet(
    deps: &Deps,
    lead: &Lead,
    conversation: &Conversation,
) -> Result<Box<HandoffPacket>, StoreError> {
    let messages = all_messages(deps, lead.tenant_id, conversation.id).await?;
    Ok(Box::new(HandoffPacket::of(lead, conversation, &messages)))
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
    let reason = EscalationReason::Manual { note };
    deps.escalations
        .record_escalations(&[new_escalation(
            deps,
            &lead,
            conversation_id,
            reason.clone(),
            by,
            now,
        )])
        .await?;
    conversation.escalated = true;
    conversation.updated_at = now;
    deps.leads.update_conversation(&conversation).await?;
    if let Ok(change) = lead.apply(LeadEvent::HandOff, reason.to_string(), now) {
        lead = deps.leads.update_lead(&lead, &[change]).await?;
    }
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
