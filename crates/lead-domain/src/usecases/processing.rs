//! Processing an inbound message: load, ask the model with no transaction open, decide, commit once.

use super::decide::{Snapshot, TurnReading, UNDERSTOOD, decide, merged};
use super::intake::reply_target;
use super::{Deps, UseCaseError};
use crate::escalation::EscalationReason;
use crate::ids::{ConversationId, LeadId, MessageId, TenantId};
use crate::jobs::JobLease;
use crate::language::detect_language;
use crate::lead::{Channel, Direction, Message, Sender, UsageRecord, YearMonth};
use crate::lifecycle::LeadState;
use crate::pipeline::{CommitError, Completion};
use crate::ports::{
    ContactInfo, ExtractionProfile, HoursState, LanguageModel, LlmError, ModelRequest,
    Notification, Page, Role, StoreError, Turn,
};
use crate::qualification::{MessageIntent, Qualification};
use crate::scoring::Score;
use crate::tenant::Tenant;

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
    /// The knowledge-base passage the reply quoted, if it did.
    pub quoted: Option<crate::knowledge::Answer>,
}

pub(crate) fn turns_of(messages: &[Message]) -> Vec<Turn> {
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
pub(crate) async fn month_spend(
    deps: &Deps,
    tenant: TenantId,
    month: YearMonth,
) -> Result<f64, StoreError> {
    Ok(deps
        .usage
        .month_usage(tenant, month)
        .await?
        .iter()
        .map(|t| t.cost_usd)
        .sum())
}

/// How often a decision is made again when the lead changed between load and commit (a person
/// edited it, another message of the lead was processed) before the job is retried later.
const DECIDE_ATTEMPTS: usize = 4;

/// Loads everything processing decides on: the tenant, lead, conversation with its messages, its
/// escalations, the reply address with its opt-out, the claimed contact's owner.
///
/// # Errors
/// [`UseCaseError::NotFound`] for a missing record; storage errors.
pub async fn load(
    deps: &Deps,
    tenant_id: TenantId,
    lead_id: LeadId,
    conversation_id: ConversationId,
) -> Result<Snapshot, UseCaseError> {
    let tenant = deps
        .tenants
        .get_tenant(tenant_id)
        .await?
        .ok_or(UseCaseError::NotFound("tenant"))?;
    let lead = deps
        .leads
        .get_lead(tenant_id, lead_id)
        .await?
        .ok_or(UseCaseError::NotFound("lead"))?;
    let conversation = deps
        .leads
        .get_conversation(tenant_id, conversation_id)
        .await?
        .ok_or(UseCaseError::NotFound("conversation"))?;
    let messages = all_messages(deps, tenant_id, conversation_id).await?;
    let history = deps
        .escalations
        .conversation_escalations(tenant_id, conversation_id)
        .await?;
    let reply_to = conversation.reply_to.clone().or_else(|| {
        let known = ContactInfo {
            phone: lead.phone.clone(),
            email: lead.email.clone(),
            ..ContactInfo::default()
        };
        reply_target(deps, &tenant, conversation.channel, &known)
    });
    let context = deps
        .decisions
        .processing_context(&lead, reply_to.clone())
        .await?;
    Ok(Snapshot {
        tenant,
        lead,
        conversation,
        messages,
        history,
        reply_to,
        context,
    })
}

/// Qualifies and answers one inbound message: the heart of the product.
///
/// Load everything once ([`load`]); read the turn offline and, for an active conversation while
/// the month's budget lasts, with the model (no transaction is open meanwhile); decide with pure
/// functions ([`decide`]); store the decision in one transaction that also completes the job under
/// its lease. When the lead changed in between, load and decide again with the same reading.
///
/// # Errors
/// Storage failures (retryable), missing records (not retryable), and
/// [`UseCaseError::LeaseLost`] when another worker holds the job now (nothing was stored).
pub async fn process_inbound(
    deps: &Deps,
    lease: Option<JobLease>,
    tenant_id: TenantId,
    lead_id: LeadId,
    conversation_id: ConversationId,
    message_id: MessageId,
) -> Result<ProcessOutcome, UseCaseError> {
    let mut snapshot = load(deps, tenant_id, lead_id, conversation_id).await?;
    let mut turn = read_turn(deps, &snapshot, message_id).await?;
    super::experiments::apply_template_variants(deps, &snapshot, message_id, &mut turn).await;
    for _ in 0..DECIDE_ATTEMPTS {
        let now = deps.clock.now();
        let mut new_id = || deps.ids.new_uuid();
        let can_deliver = |c: Channel| deps.sender.can_deliver(&snapshot.tenant, c);
        let (decision, outcome) =
            decide(&snapshot, message_id, &turn, now, &mut new_id, &can_deliver)
                .ok_or(UseCaseError::NotFound("message"))?;
        let completion = lease.map(|lease| Completion {
            lease,
            at: now,
            note: outcome
                .degraded
                .clone()
                .or(outcome.silent_because.map(str::to_owned)),
        });
        let committed = match &decision {
            Some(decision) => deps.decisions.commit_decision(decision, completion).await,
            None => match completion {
                Some(c) => deps
                    .jobs
                    .complete(c.lease, c.at, c.note)
                    .await
                    .map_err(|e| match e {
                        StoreError::Stale(_) => CommitError::LeaseLost(c.lease.id),
                        e => CommitError::Store(e),
                    }),
                None => Ok(()),
            },
        };
        match committed {
            Ok(()) => {
                // Which passage the reply quoted; the reply is stored and queued already.
                let mut outcome = outcome;
                if let Some(reply) = outcome.reply
                    && let Some(note) = super::knowledge::record_quote(
                        deps,
                        tenant_id,
                        reply,
                        outcome.quoted.as_ref(),
                    )
                    .await
                {
                    outcome.degraded = Some(note);
                }
                // The passages the model's reply cites, when the model's reply was sent.
                let model_replied = turn.model_reply.is_some()
                    && turn.booking_reply.is_none()
                    && outcome.quoted.is_none()
                    && outcome.escalations.is_empty();
                if let Some(reply) = outcome.reply
                    && model_replied
                    && let Some(note) = super::knowledge::record_citations(
                        deps,
                        tenant_id,
                        reply,
                        turn.knowledge.as_ref(),
                        &turn.model_sources,
                    )
                    .await
                {
                    outcome.degraded = Some(note);
                }
                return Ok(outcome);
            }
            Err(CommitError::LeadChanged(_)) => {
                snapshot = load(deps, tenant_id, lead_id, conversation_id).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(CommitError::LeadChanged(lead_id).into())
}

/// Reads a turn: the offline qualifier always, the model for the latest message of an active
/// conversation while the month's budget lasts (the spend is read once, and the 80% alert raised
/// from it plus this turn's cost).
async fn read_turn(
    deps: &Deps,
    snapshot: &Snapshot,
    message_id: MessageId,
) -> Result<TurnReading, UseCaseError> {
    let Snapshot {
        tenant,
        lead,
        conversation,
        messages,
        ..
    } = snapshot;
    let inbound_at = messages
        .iter()
        .position(|m| m.id == message_id)
        .ok_or(UseCaseError::NotFound("message"))?;
    let inbound = &messages[inbound_at];
    let now = deps.clock.now();
    let mut turn = TurnReading::default();
    if !tenant.is_active() {
        return Ok(turn);
    }
    let is_latest = messages
        .iter()
        .rev()
        .find(|m| m.direction == Direction::Inbound)
        .map(|m| m.id)
        == Some(message_id);
    let system_notice = inbound.sender == Sender::System;
    let hours = &tenant.settings.business_hours;
    let today = now.with_timezone(&hours.timezone()).date_naive();
    // The conversation as it stood when this message arrived: newer messages have their own jobs.
    let turns = turns_of(&messages[..=inbound_at]);
    let profile = ExtractionProfile::of(tenant);
    if !system_notice {
        turn.reading = deps.extractor.extract(&profile, &turns, today);
    }
    if conversation.escalated || !is_latest || system_notice {
        return Ok(turn);
    }
    // A message about a meeting is answered from the calendar; the booking saves its own record
    // and the lead's state, so the decision below is taken on the lead as the booking left it.
    if snapshot.reply_to.is_some() && !lead.qualification.not_interested() {
        let language = inbound
            .language
            .or_else(|| crate::language::detect_language(&inbound.body))
            .or(conversation.language)
            .unwrap_or(tenant.settings.default_language);
        turn.booking_reply =
            super::booking::booking_turn(deps, tenant, lead, conversation, &inbound.body, language)
                .await?
                .map(|b| b.body);
    }
    // What the knowledge base says about the message, for the model and the offline answer.
    turn.knowledge = super::knowledge::look_up(deps, tenant, &inbound.body)
        .await
        .unwrap_or_else(|e| {
            turn.degraded = Some(format!("knowledge base unavailable: {e}"));
            None
        });
    let Some(model) = &deps.model else {
        turn.degraded = Some("no language model configured: offline qualifier answered".to_owned());
        return Ok(turn);
    };
    let month = YearMonth::of(now);
    let spent = month_spend(deps, tenant.id, month).await?;
    let budget = tenant.settings.monthly_budget_usd;
    if budget.is_some_and(|b| spent >= b) {
        turn.degraded = Some("monthly model budget spent: offline qualifier answered".to_owned());
        return Ok(turn);
    }
    let language = inbound
        .language
        .or_else(|| detect_language(&inbound.body))
        .or(conversation.language)
        .unwrap_or(tenant.settings.default_language);
    let mut request_tenant = tenant.clone();
    if let Some(voice) = super::experiments::prompt_variant(deps, tenant, lead.id, language).await {
        request_tenant.settings.brand_voice = Some(voice);
    }
    let request = ModelRequest {
        tenant: request_tenant,
        turns: turns.clone(),
        known: lead.qualification.clone(),
        missing: merged(&lead.qualification, &turn.reading).missing_fields(),
        reply_language: language,
        hours: HoursState {
            open_now: hours.is_open(now),
            next_opening: hours.next_opening(now),
        },
        knowledge: super::knowledge::model_passages(turn.knowledge.as_ref()),
        today,
    };
    let (answer, cost) =
        ask_model(deps, model.as_ref(), tenant, conversation.id, &request, now).await;
    match answer {
        Ok(answer) => {
            turn.reading.merge(answer.reading);
            if let Some(intent) = answer.intent {
                turn.reading.intent = Some(intent);
                // A turn the model recognised as a greeting or a question is understood.
                if matches!(intent, MessageIntent::Greeting | MessageIntent::Question) {
                    turn.reading.confidence =
                        Some(turn.reading.confidence.unwrap_or(1.0).max(UNDERSTOOD));
                }
            }
            turn.model_reply = answer.reply;
            turn.model_sources = answer.sources;
        }
        Err(e) => turn.degraded = Some(format!("{e}: offline qualifier answered")),
    }
    check_budget_alert(deps, tenant, month, budget, spent + cost, now).await?;
    Ok(turn)
}

/// What the model made of a turn.
pub(crate) struct ModelAnswer {
    /// Facts read (none for a turn the router answered alone).
    reading: Qualification,
    /// The router's classification of the turn.
    intent: Option<MessageIntent>,
    /// The reply it wrote.
    reply: Option<String>,
    /// Ids of the knowledge-base passages the reply cites.
    sources: Vec<String>,
}

/// Routes and qualifies with the model, recording every call's usage. Returns the model's reading
/// and its reply (a simple turn answered by the router has no reading of its own), and what the
/// calls cost, so the month's spend need not be read again.
pub(crate) async fn ask_model(
    deps: &Deps,
    model: &dyn LanguageModel,
    tenant: &Tenant,
    conversation: ConversationId,
    request: &ModelRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> (Result<ModelAnswer, LlmError>, f64) {
    let mut usage = Vec::new();
    let answer = call_model(model, request, &mut usage).await;
    let cost = usage.iter().map(|u| u.cost_usd).sum();
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
    (answer, cost)
}

/// The router, then (unless the router answered a simple turn) the qualifier; every call's usage
/// is collected, including a call that answered outside the schema, which still cost tokens.
async fn call_model(
    model: &dyn LanguageModel,
    request: &ModelRequest,
    usage: &mut Vec<crate::lead::ModelUsage>,
) -> Result<ModelAnswer, LlmError> {
    let spent = |e: &LlmError| match e {
        LlmError::InvalidOutput { usage, .. } => usage.clone(),
        _ => Vec::new(),
    };
    let route = model
        .route(request)
        .await
        .inspect_err(|e| usage.extend(spent(e)))?;
    usage.extend(route.usage.iter().cloned());
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
                sources: route.sources,
            })
        }
        _ => {
            let turn = model
                .qualify(request)
                .await
                .inspect_err(|e| usage.extend(spent(e)))?;
            usage.extend(turn.usage.iter().cloned());
            Ok(ModelAnswer {
                reading: turn.qualification,
                intent,
                reply: Some(turn.reply),
                sources: turn.sources,
            })
        }
    }
}

/// Raises the 80% budget alert once per month, from the month's spend including this turn.
pub(crate) async fn check_budget_alert(
    deps: &Deps,
    tenant: &Tenant,
    month: YearMonth,
    budget: Option<f64>,
    spent: f64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    let Some(budget) = budget.filter(|b| *b > 0.0) else {
        return Ok(());
    };
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
