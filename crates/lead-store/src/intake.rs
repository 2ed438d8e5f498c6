//! The atomic intake of an inbound contact: find-or-create the lead, open-or-reuse the
//! conversation, store the message, enqueue its processing and remember the provider's id,
//! all in one transaction.
//!
//! Concurrent intakes of one contact must yield one lead on both backends.
//! Inserts of leads, open conversations and webhook ids use
//! `ON CONFLICT DO NOTHING` and read the row back: on PostgreSQL the insert
//! waits for a concurrent transaction holding the same key and then sees its
//! row; on SQLite the `BEGIN IMMEDIATE` transaction serialises writers. Any
//! remaining race (a unique violation on another key, a serialization
//! failure, a busy database) rolls the whole attempt back and retries it.

use std::time::Duration;

use lead_domain::contact::{KnownContact, best_match};
use lead_domain::ids::{ConversationId, LeadId, MessageId, TenantId};
use lead_domain::jobs::{JobPayload, NewJob};
use lead_domain::lead::{ConversationStatus, DeliveryStatus, Direction, Sender};
use lead_domain::lifecycle::LeadState;
use lead_domain::ports::{ContactInfo, InboundIntake, IntakeReceipt, StoreError};
use lead_domain::qualification::Qualification;
use lead_domain::scoring::{Score, ScoreCard};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DbErr, EntityTrait, ExprTrait, QueryFilter,
};

use crate::codec::{from_json, name_of, to_json, ts};
use crate::entity::{conversations, jobs, leads, messages, processed_webhooks};
use crate::error::{Failure, classify, store_error};
use crate::jobs::job_row_traced;
use crate::{SeaOrmStore, WriteTxn, bulk};

/// How often an intake that lost a race is retried before the error is returned.
const MAX_ATTEMPTS: u32 = 10;

/// Why one attempt failed: a database error (maybe worth retrying) or a final answer.
pub(crate) enum AttemptError {
    Db(DbErr),
    Retry(&'static str),
    Store(StoreError),
}

impl From<DbErr> for AttemptError {
    fn from(err: DbErr) -> Self {
        AttemptError::Db(err)
    }
}

impl From<StoreError> for AttemptError {
    fn from(err: StoreError) -> Self {
        AttemptError::Store(err)
    }
}

/// An ON CONFLICT DO NOTHING clause without a target, valid on both backends.
pub(crate) fn do_nothing() -> OnConflict {
    OnConflict::new().do_nothing().to_owned()
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(2u64 << std::cmp::min(attempt, 6))
}

impl SeaOrmStore {
    /// Stores an inbound contact, retrying the whole transaction when it lost a race.
    pub(crate) async fn intake(
        &self,
        intake: &InboundIntake,
        trace: Option<&str>,
    ) -> Result<IntakeReceipt, StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let reason = match self.intake_once(intake, trace).await {
                Ok(receipt) => return Ok(receipt),
                Err(AttemptError::Store(err)) => return Err(err),
                Err(AttemptError::Retry(reason)) => {
                    StoreError::Unavailable(format!("recording an inbound contact: {reason}"))
                }
                Err(AttemptError::Db(err)) => match classify(&err) {
                    Failure::Unique | Failure::Contention => {
                        store_error("recording an inbound contact", err)
                    }
                    _ => return Err(store_error("recording an inbound contact", err)),
                },
            };
            if attempt >= MAX_ATTEMPTS {
                return Err(reason);
            }
            tracing::debug!(attempt, error = %reason, "intake lost a race, retrying");
            tokio::time::sleep(backoff(attempt)).await;
        }
    }

    /// Stores several inbound contacts in one transaction with one commit (a
    /// bulk import, or the group commit of concurrent intakes), in order, each
    /// seeing the ones before it, as if each had its own transaction; the
    /// outcomes come back in the same order. When any of them fails the
    /// transaction is rolled back and each is stored on its own, so one bad
    /// intake never fails the others.
    pub async fn record_inbound_many(
        &self,
        intakes: &[InboundIntake],
    ) -> Vec<Result<IntakeReceipt, StoreError>> {
        self.record_inbound_traced(intakes, &[]).await
    }

    /// As [`SeaOrmStore::record_inbound_many`], each intake's job carrying the trace context at
    /// the same position in `traces` (captured where its request ran), or the current span's.
    pub(crate) async fn record_inbound_traced(
        &self,
        intakes: &[InboundIntake],
        traces: &[Option<String>],
    ) -> Vec<Result<IntakeReceipt, StoreError>> {
        if let [single] = intakes {
            return vec![self.intake(single, trace_at(traces, 0)).await];
        }
        match self.intake_together(intakes, traces).await {
            Ok(receipts) => receipts.into_iter().map(Ok).collect(),
            Err(err) => {
                let reason = match err {
                    AttemptError::Db(err) => err.to_string(),
                    AttemptError::Retry(reason) => reason.to_owned(),
                    AttemptError::Store(err) => err.to_string(),
                };
                tracing::debug!(size = intakes.len(), error = %reason, "intake batch failed, storing each alone");
                let mut outcomes = Vec::with_capacity(intakes.len());
                for (n, intake) in intakes.iter().enumerate() {
                    outcomes.push(self.intake(intake, trace_at(traces, n)).await);
                }
                outcomes
            }
        }
    }

    async fn intake_together(
        &self,
        intakes: &[InboundIntake],
        traces: &[Option<String>],
    ) -> Result<Vec<IntakeReceipt>, AttemptError> {
        let txn = self.begin_write().await?;
        let outcome = bulk::intake_all_in(&txn, intakes, traces).await;
        finish(txn, outcome).await
    }

    async fn intake_once(
        &self,
        intake: &InboundIntake,
        trace: Option<&str>,
    ) -> Result<IntakeReceipt, AttemptError> {
        let txn = self.begin_write().await?;
        let outcome = intake_in(&txn, intake, trace).await;
        finish(txn, outcome).await
    }
}

/// Commits `txn` after a successful attempt, or rolls it back at once after a
/// failed one: SQLite's write lock is released now rather than when the
/// connection goes back to the pool. A failed rollback only means the
/// connection is dropped, which also rolls back.
async fn finish<T>(txn: WriteTxn, outcome: Result<T, AttemptError>) -> Result<T, AttemptError> {
    match outcome {
        Ok(value) => {
            txn.commit().await?;
            Ok(value)
        }
        Err(err) => {
            if let Err(rollback) = txn.rollback().await {
                tracing::debug!(error = %rollback, "rolling back a failed intake");
            }
            Err(err)
        }
    }
}

/// The trace context at `n`, when one was given.
pub(crate) fn trace_at(traces: &[Option<String>], n: usize) -> Option<&str> {
    traces.get(n).and_then(Option::as_deref)
}

/// One attempt of the intake, inside `txn`; the caller commits or rolls back. Its job carries
/// `trace`, or the current span's trace context.
pub(crate) async fn intake_in(
    txn: &WriteTxn,
    intake: &InboundIntake,
    trace: Option<&str>,
) -> Result<IntakeReceipt, AttemptError> {
    let tenant = intake.tenant_id;

    if let Some((provider, id)) = &intake.dedup_key
        && let Some(seen) =
            processed_webhooks::Entity::find_by_id((tenant.as_uuid(), provider.clone(), id.clone()))
                .one(txn)
                .await?
    {
        let Some(receipt) = seen.receipt else {
            return Err(StoreError::Conflict(format!(
                "{provider} id {id} was already processed without an intake"
            ))
            .into());
        };
        let first: StoredReceipt = from_json("intake receipt", receipt)?;
        let request_mismatch = matches!(
            (&first.request_digest, &intake.request_digest),
            (Some(a), Some(b)) if a != b
        );
        return Ok(IntakeReceipt {
            duplicate: true,
            request_mismatch,
            ..first.receipt
        });
    }

    let (lead_id, lead_created) = find_or_create_lead(txn, intake).await?;
    let (conversation_id, opened) = open_conversation(txn, intake, lead_id, lead_created).await?;
    if !opened {
        touch_conversation(txn, intake, conversation_id).await?;
    }

    let mut message_id = None;
    if let Some(body) = &intake.body {
        let id = intake.ids.message;
        insert_inbound_message(txn, intake, conversation_id, id, body).await?;
        message_id = Some(id);
    }
    let mut job_id = None;
    if let (true, Some(message_id)) = (intake.enqueue, message_id) {
        let job = intake_job(intake, lead_id, conversation_id, message_id);
        // A caller retrying with the same ids enqueues once.
        jobs::Entity::insert(job_row_traced(&job, trace)?)
            .on_conflict(do_nothing())
            .exec_without_returning(txn)
            .await?;
        job_id = Some(job.id);
    }

    let receipt = IntakeReceipt {
        lead_id,
        conversation_id,
        message_id,
        job_id,
        lead_created,
        duplicate: false,
        request_mismatch: false,
    };
    if let Some((provider, id)) = &intake.dedup_key {
        let row = webhook_row(intake, provider, id, &receipt)?;
        let inserted = processed_webhooks::Entity::insert(row)
            .on_conflict(do_nothing())
            .exec_without_returning(txn)
            .await?;
        if inserted == 0 {
            // A concurrent delivery of the same webhook committed first;
            // the retry returns its receipt.
            return Err(AttemptError::Retry(
                "the same webhook is being stored concurrently",
            ));
        }
    }
    Ok(receipt)
}

/// The lead with this contact's phone, email or chat session, looked up in one
/// query and ranked by the domain's [`best_match`].
async fn find_lead(
    txn: &WriteTxn,
    tenant: TenantId,
    contact: &ContactInfo,
) -> Result<Option<leads::Model>, DbErr> {
    let phone = contact.phone.as_ref().map(|p| p.as_str().to_owned());
    let email = contact.email.as_ref().map(|e| e.as_str().to_owned());
    let session = contact.chat_session.clone();
    let mut any = Condition::any();
    if let Some(phone) = &phone {
        any = any.add(leads::Column::Phone.eq(phone.clone()));
    }
    if let Some(email) = &email {
        any = any.add(leads::Column::Email.eq(email.clone()));
    }
    if let Some(session) = &session {
        any = any.add(leads::Column::ChatSession.eq(session.clone()));
    }
    if any.is_empty() {
        return Ok(None);
    }
    let found = leads::Entity::find()
        .filter(leads::Column::TenantId.eq(tenant.as_uuid()))
        .filter(any)
        .all(txn)
        .await?;
    Ok(best_match(contact, found, |row| KnownContact {
        phone: row.phone.as_deref(),
        email: row.email.as_deref(),
        chat_session: row.chat_session.as_deref(),
    }))
}

async fn find_or_create_lead(
    txn: &WriteTxn,
    intake: &InboundIntake,
) -> Result<(LeadId, bool), AttemptError> {
    let tenant = intake.tenant_id;
    if let Some(existing) = find_lead(txn, tenant, &intake.contact).await? {
        complete_contact(txn, intake, &existing).await?;
        return Ok((LeadId::from_uuid(existing.id), false));
    }
    let row = new_lead_row(intake)?;
    let inserted = leads::Entity::insert(row)
        .on_conflict(do_nothing())
        .exec_without_returning(txn)
        .await?;
    if inserted == 1 {
        return Ok((intake.ids.lead, true));
    }
    // Another intake created the lead first; on PostgreSQL the insert waited
    // for it to commit, so it is visible now.
    match find_lead(txn, tenant, &intake.contact).await? {
        Some(existing) => Ok((LeadId::from_uuid(existing.id), false)),
        None => Err(AttemptError::Retry(
            "a lead with this contact is being created concurrently",
        )),
    }
}

/// Fills contact details the lead did not have yet (a name, or an email when it wrote by SMS),
/// unless another lead of the tenant already owns them.
async fn complete_contact(
    txn: &WriteTxn,
    intake: &InboundIntake,
    lead: &leads::Model,
) -> Result<(), AttemptError> {
    let contact = &intake.contact;
    let tenant = intake.tenant_id.as_uuid();
    let mut update = leads::Entity::update_many();
    let mut changed = false;
    if lead.name.is_none()
        && let Some(name) = &contact.name
    {
        update = update.col_expr(leads::Column::Name, Expr::value(name.clone()));
        changed = true;
    }
    let unowned = [
        (
            leads::Column::Phone,
            lead.phone.is_none(),
            contact.phone.as_ref().map(|p| p.as_str().to_owned()),
        ),
        (
            leads::Column::Email,
            lead.email.is_none(),
            contact.email.as_ref().map(|e| e.as_str().to_owned()),
        ),
        (
            leads::Column::ChatSession,
            lead.chat_session.is_none(),
            contact.chat_session.clone(),
        ),
    ];
    // A chat visitor's latest claim replaces an earlier one; claims are not unique, so nothing is checked.
    let claims = [
        (
            leads::Column::ClaimedPhone,
            contact
                .claimed_phone
                .as_ref()
                .map(|p| p.as_str().to_owned()),
            &lead.claimed_phone,
        ),
        (
            leads::Column::ClaimedEmail,
            contact
                .claimed_email
                .as_ref()
                .map(|e| e.as_str().to_owned()),
            &lead.claimed_email,
        ),
    ];
    for (column, claim, stored) in claims {
        if let Some(claim) = claim
            && stored.as_ref() != Some(&claim)
        {
            update = update.col_expr(column, Expr::value(claim));
            // A new claim is checked again for duplicates.
            update = update.col_expr(
                leads::Column::PossibleDuplicateOf,
                Expr::value(Option::<uuid::Uuid>::None),
            );
            changed = true;
        }
    }
    for (column, missing, value) in unowned {
        let (true, Some(value)) = (missing, value) else {
            continue;
        };
        let taken = leads::Entity::find()
            .filter(leads::Column::TenantId.eq(tenant))
            .filter(column.eq(value.clone()))
            .one(txn)
            .await?
            .is_some();
        if !taken {
            update = update.col_expr(column, Expr::value(value));
            changed = true;
        }
    }
    if changed {
        update
            .col_expr(
                leads::Column::Version,
                Expr::col(leads::Column::Version).add(1),
            )
            .col_expr(
                leads::Column::UpdatedAt,
                Expr::value(ts(intake.received_at)),
            )
            .filter(leads::Column::Id.eq(lead.id))
            .filter(leads::Column::TenantId.eq(tenant))
            .exec(txn)
            .await?;
    }
    Ok(())
}

async fn find_open_conversation(
    txn: &WriteTxn,
    intake: &InboundIntake,
    lead: LeadId,
) -> Result<Option<conversations::Model>, DbErr> {
    conversations::Entity::find()
        .filter(conversations::Column::TenantId.eq(intake.tenant_id.as_uuid()))
        .filter(conversations::Column::LeadId.eq(lead.as_uuid()))
        .filter(conversations::Column::Channel.eq(intake.channel.as_str()))
        .filter(conversations::Column::Status.eq("open"))
        .one(txn)
        .await
}

/// The open conversation of the lead on the intake's channel, and whether
/// this intake opened it (already recording its first turn). A lead this
/// intake created has no conversation yet, so none is looked for.
async fn open_conversation(
    txn: &WriteTxn,
    intake: &InboundIntake,
    lead: LeadId,
    lead_created: bool,
) -> Result<(ConversationId, bool), AttemptError> {
    if !lead_created && let Some(open) = find_open_conversation(txn, intake, lead).await? {
        return Ok((ConversationId::from_uuid(open.id), false));
    }
    let row = new_conversation_row(intake, lead)?;
    let inserted = conversations::Entity::insert(row)
        .on_conflict(do_nothing())
        .exec_without_returning(txn)
        .await?;
    if inserted == 1 {
        return Ok((intake.ids.conversation, true));
    }
    match find_open_conversation(txn, intake, lead).await? {
        Some(open) => Ok((ConversationId::from_uuid(open.id), false)),
        None => Err(AttemptError::Retry(
            "a conversation is being opened concurrently",
        )),
    }
}

/// Records the new inbound turn on the conversation. The update also takes
/// the conversation's row lock, so concurrent intakes of one conversation
/// enqueue their jobs in the order they commit.
async fn touch_conversation(
    txn: &WriteTxn,
    intake: &InboundIntake,
    id: ConversationId,
) -> Result<(), AttemptError> {
    let now = ts(intake.received_at);
    let mut update = conversations::Entity::update_many()
        .col_expr(conversations::Column::UpdatedAt, Expr::value(now));
    if intake.body.is_some() && intake.sender == Sender::Lead {
        update = update
            .col_expr(
                conversations::Column::Exchanges,
                Expr::col(conversations::Column::Exchanges).add(1),
            )
            .col_expr(conversations::Column::LastInboundAt, Expr::value(now));
    }
    if let Some(language) = intake.language {
        update = update.col_expr(
            conversations::Column::Language,
            Expr::value(language.code()),
        );
    }
    if let Some(reply_to) = &intake.reply_to {
        update = update.col_expr(
            conversations::Column::ReplyTo,
            Expr::value(to_json("reply address", reply_to)?),
        );
    }
    update
        .filter(conversations::Column::Id.eq(id.as_uuid()))
        .filter(conversations::Column::TenantId.eq(intake.tenant_id.as_uuid()))
        .exec(txn)
        .await?;
    Ok(())
}

async fn insert_inbound_message(
    txn: &WriteTxn,
    intake: &InboundIntake,
    conversation: ConversationId,
    id: MessageId,
    body: &str,
) -> Result<(), AttemptError> {
    let row = inbound_message_row(intake, conversation, id, body)?;
    // A caller retrying with the same ids stores the message once.
    messages::Entity::insert(row)
        .on_conflict(do_nothing())
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// The row of a new lead made from an intake's contact.
pub(crate) fn new_lead_row(intake: &InboundIntake) -> Result<leads::ActiveModel, StoreError> {
    let now = ts(intake.received_at);
    let card = ScoreCard {
        score: Score::Unscored,
        points: 0,
        reasons: Vec::new(),
    };
    let qualification = Qualification::default();
    let contact = &intake.contact;
    Ok(leads::ActiveModel {
        id: Set(intake.ids.lead.as_uuid()),
        tenant_id: Set(intake.tenant_id.as_uuid()),
        phone: Set(contact.phone.as_ref().map(|p| p.as_str().to_owned())),
        email: Set(contact.email.as_ref().map(|e| e.as_str().to_owned())),
        chat_session: Set(contact.chat_session.clone()),
        name: Set(contact.name.clone()),
        language: Set(None),
        state: Set(LeadState::New.as_str().to_owned()),
        score: Set(card.score.as_str().to_owned()),
        score_points: Set(0),
        score_card: Set(to_json("score card", &card)?),
        score_override: Set(None),
        budget_min: Set(None),
        budget_max: Set(None),
        currency: Set(None),
        service: Set(None),
        qualification: Set(to_json("qualification", &qualification)?),
        version: Set(1),
        source_channel: Set(intake.channel.as_str().to_owned()),
        source_detail: Set(intake.source_detail.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        claimed_phone: Set(contact
            .claimed_phone
            .as_ref()
            .map(|p| p.as_str().to_owned())),
        claimed_email: Set(contact
            .claimed_email
            .as_ref()
            .map(|e| e.as_str().to_owned())),
        possible_duplicate_of: Set(None),
        undeliverable: Set(None),
    })
}

/// The row of the conversation an intake opens for `lead`.
pub(crate) fn new_conversation_row(
    intake: &InboundIntake,
    lead: LeadId,
) -> Result<conversations::ActiveModel, StoreError> {
    let now = ts(intake.received_at);
    let lead_turn = intake.body.is_some() && intake.sender == Sender::Lead;
    let reply_to = intake
        .reply_to
        .as_ref()
        .map(|a| to_json("reply address", a))
        .transpose()?;
    Ok(conversations::ActiveModel {
        id: Set(intake.ids.conversation.as_uuid()),
        tenant_id: Set(intake.tenant_id.as_uuid()),
        lead_id: Set(lead.as_uuid()),
        channel: Set(intake.channel.as_str().to_owned()),
        status: Set(name_of(&ConversationStatus::Open)?),
        escalated: Set(false),
        exchanges: Set(i32::from(lead_turn)),
        language: Set(intake.language.map(|l| l.code().to_owned())),
        reply_to: Set(reply_to),
        last_inbound_at: Set(lead_turn.then_some(now)),
        created_at: Set(now),
        updated_at: Set(now),
    })
}

/// The row of an intake's inbound message.
pub(crate) fn inbound_message_row(
    intake: &InboundIntake,
    conversation: ConversationId,
    id: MessageId,
    body: &str,
) -> Result<messages::ActiveModel, StoreError> {
    // Twilio's MessageSid identifies an inbound SMS or WhatsApp message; an
    // API idempotency key is not a provider message id.
    let provider_message_id = intake
        .dedup_key
        .as_ref()
        .filter(|(provider, _)| provider != "idempotency")
        .map(|(_, id)| id.clone());
    Ok(messages::ActiveModel {
        id: Set(id.as_uuid()),
        tenant_id: Set(intake.tenant_id.as_uuid()),
        conversation_id: Set(conversation.as_uuid()),
        direction: Set(name_of(&Direction::Inbound)?),
        sender: Set(name_of(&intake.sender)?),
        channel: Set(intake.channel.as_str().to_owned()),
        body: Set(body.to_owned()),
        language: Set(intake.language.map(|l| l.code().to_owned())),
        provider_message_id: Set(provider_message_id),
        delivery_status: Set(DeliveryStatus::NotApplicable.as_str().to_owned()),
        delivery_error: Set(None),
        created_at: Set(ts(intake.received_at)),
        ..Default::default()
    })
}

/// The job that processes an intake's message.
pub(crate) fn intake_job(
    intake: &InboundIntake,
    lead_id: LeadId,
    conversation_id: ConversationId,
    message_id: MessageId,
) -> NewJob {
    JobPayload::ProcessInbound {
        lead_id,
        conversation_id,
        message_id,
    }
    .job(intake.ids.job, intake.tenant_id, intake.received_at)
}

/// The row remembering a provider's id with the receipt its intake got.
/// An intake's receipt as stored with its delivery id, with the digest of the request.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredReceipt {
    #[serde(flatten)]
    receipt: IntakeReceipt,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    request_digest: Option<String>,
}

pub(crate) fn webhook_row(
    intake: &InboundIntake,
    provider: &str,
    id: &str,
    receipt: &IntakeReceipt,
) -> Result<processed_webhooks::ActiveModel, StoreError> {
    Ok(processed_webhooks::ActiveModel {
        tenant_id: Set(intake.tenant_id.as_uuid()),
        provider: Set(provider.to_owned()),
        provider_id: Set(id.to_owned()),
        receipt: Set(Some(to_json(
            "intake receipt",
            &StoredReceipt {
                receipt: *receipt,
                request_digest: intake.request_digest.clone(),
            },
        )?)),
        created_at: Set(ts(intake.received_at)),
    })
}
