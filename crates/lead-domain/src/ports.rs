//! Ports: the traits adapters implement (storage, queue, language model, senders, clock), shaped by use case.
//!
//! Every trait is object-safe and `Send + Sync`, so the app chooses adapters at run time
//! (`Arc<dyn LeadRepository>`). Errors are one enum per port family.

use crate::contact::{Address, Email, PhoneNumber};
use crate::escalation::EscalationReason;
use crate::ids::{ConversationId, JobId, LeadId, MessageId, TenantId};
use crate::jobs::{Job, JobLease, JobStatus, NewJob, RetryDecision};
use crate::language::Language;
use crate::lead::{
    Channel, Conversation, DeliveryStatus, Direction, Escalation, Lead, Message, ModelUsage,
    ModelUsageTotal, Sender, UsageRecord, YearMonth,
};
use crate::lifecycle::{LeadState, StateChange};
use crate::qualification::{Qualification, QualificationField};
use crate::scoring::Score;
use crate::tenant::{ApiKeyRecord, NumberKind, ServiceDef, Tenant};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------------------------

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique value is already taken (slug, phone number of another tenant, ...).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The record changed since it was read (optimistic lock), or was not found for update.
    #[error("stale record: {0}")]
    Stale(String),
    /// The database could not be reached or timed out; worth retrying.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else; the message carries the cause chain.
    #[error("storage failure: {0}")]
    Unexpected(String),
}

/// A page request: `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// Rows to return, at most 200.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u64,
}

impl Default for Page {
    fn default() -> Self {
        Self {
            limit: 50,
            offset: 0,
        }
    }
}

/// One page of results with the total count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageOf<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Rows matching in all.
    pub total: u64,
}

/// Filters for listing leads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadFilter {
    /// Only this state.
    pub state: Option<LeadState>,
    /// Only this score.
    pub score: Option<Score>,
    /// Only this first-contact channel.
    pub source: Option<Channel>,
    /// Only leads created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Only leads created before.
    pub created_to: Option<DateTime<Utc>>,
    /// A keyset cursor: only leads after this `(created_at, id)` in the list's order (newest
    /// first), so deep pages cost what the first does; the total ignores it.
    #[serde(default)]
    pub after: Option<(DateTime<Utc>, LeadId)>,
}

/// How to reach a lead, as given by the inbound channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactInfo {
    /// Name given.
    pub name: Option<String>,
    /// Phone, E.164.
    pub phone: Option<PhoneNumber>,
    /// Email.
    pub email: Option<Email>,
    /// Live-chat visitor session.
    pub chat_session: Option<String>,
    /// A phone typed into live chat: stored on the chat's own lead, never used to find a lead.
    #[serde(default)]
    pub claimed_phone: Option<PhoneNumber>,
    /// An email typed into live chat: stored on the chat's own lead, never used to find a lead.
    #[serde(default)]
    pub claimed_email: Option<Email>,
}

/// An inbound contact to store atomically: find-or-create the lead (by tenant + phone, else
/// tenant + email, else tenant + chat session), open-or-reuse the conversation (the lead's open
/// conversation on this channel), insert the message, enqueue its processing job, remember the
/// provider id. A message from the lead increments the conversation's `exchanges` and sets its
/// `last_inbound_at`; a new lead starts in NEW with an UNSCORED score card; the conversation's
/// `reply_to` is set from `reply_to` when given. A missing name or email on an existing lead is filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundIntake {
    /// Owner.
    pub tenant_id: TenantId,
    /// Channel.
    pub channel: Channel,
    /// Who.
    pub contact: ContactInfo,
    /// Free-form source label ("website").
    pub source_detail: Option<String>,
    /// The text; `None` creates or finds the lead only (API lead creation).
    pub body: Option<String>,
    /// Language of the text.
    pub language: Option<Language>,
    /// Who wrote it (the lead, or the system for a missed call notice).
    pub sender: Sender,
    /// `(provider, id)` of the webhook (`("twilio", MessageSid)`, `("idempotency", key)`): a second
    /// intake with the same pair stores nothing and returns the first receipt.
    pub dedup_key: Option<(String, String)>,
    /// A digest of the request that carried `dedup_key` (an API idempotency key), so a key reused
    /// for a different request is told apart from a retry.
    #[serde(default)]
    pub request_digest: Option<String>,
    /// Where replies go.
    pub reply_to: Option<Address>,
    /// Ids chosen by the caller for rows this intake may create.
    pub ids: IntakeIds,
    /// Whether to enqueue a processing job (false for paused tenants).
    pub enqueue: bool,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
}

/// Ids for the rows an intake may create, chosen by the caller so tests are deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeIds {
    /// For a new lead.
    pub lead: LeadId,
    /// For a new conversation.
    pub conversation: ConversationId,
    /// For the message.
    pub message: MessageId,
    /// For the job.
    pub job: JobId,
}

/// What an intake stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeReceipt {
    /// The lead (new or existing).
    pub lead_id: LeadId,
    /// The conversation (new or reused).
    pub conversation_id: ConversationId,
    /// The stored message, when there was a body.
    pub message_id: Option<MessageId>,
    /// The processing job, when one was enqueued.
    pub job_id: Option<JobId>,
    /// Whether the lead was created by this intake.
    pub lead_created: bool,
    /// Whether this was a replay of an intake already stored (nothing new was written).
    pub duplicate: bool,
    /// On a replay: the first request's digest differs from this one's (a reused idempotency
    /// key); nothing was written.
    #[serde(default)]
    pub request_mismatch: bool,
}

/// An outbound message to store, with the job that will send it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewMessage {
    /// Id.
    pub id: MessageId,
    /// Owner.
    pub tenant_id: TenantId,
    /// Conversation.
    pub conversation_id: ConversationId,
    /// Direction.
    pub direction: Direction,
    /// Who wrote it.
    pub sender: Sender,
    /// Channel it travels on.
    pub channel: Channel,
    /// Text.
    pub body: String,
    /// Language.
    pub language: Option<Language>,
    /// Initial delivery state.
    pub delivery: DeliveryStatus,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Stores tenants and their API keys and numbers.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TenantRepository: Send + Sync {
    /// Stores a new tenant with its first API key.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the slug or widget key is taken.
    async fn insert_tenant(&self, tenant: &Tenant, key: &ApiKeyRecord) -> Result<(), StoreError>;

    /// The tenant with this id.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or `Unexpected` on database failure.
    async fn get_tenant(&self, id: TenantId) -> Result<Option<Tenant>, StoreError>;

    /// Replaces a tenant's name, status and settings, and its registered numbers from its Twilio settings.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when a number belongs to another tenant; `Stale` when the tenant does not exist.
    async fn update_tenant(&self, tenant: &Tenant) -> Result<(), StoreError>;

    /// The tenant owning an API key hash that is valid at `now` (not expired).
    ///
    /// # Errors
    /// On database failure.
    async fn find_tenant_by_api_key(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Tenant>, StoreError>;

    /// Adds a new key; when `expire_others_at` is set, every other key of the tenant stops working then.
    ///
    /// # Errors
    /// [`StoreError::Stale`] when the tenant does not exist.
    async fn rotate_api_key(
        &self,
        tenant: TenantId,
        key: &ApiKeyRecord,
        expire_others_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The tenant that registered a phone number for a kind of traffic.
    ///
    /// # Errors
    /// On database failure.
    async fn find_tenant_by_number(
        &self,
        number: &PhoneNumber,
        kind: NumberKind,
    ) -> Result<Option<Tenant>, StoreError>;

    /// The tenant with a live-chat widget key.
    ///
    /// # Errors
    /// On database failure.
    async fn find_tenant_by_widget_key(&self, key: &str) -> Result<Option<Tenant>, StoreError>;
}

/// Stores leads, conversations and messages. Every method is scoped by tenant: given another
/// tenant's id it finds nothing.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LeadRepository: Send + Sync {
    /// Stores an inbound contact in one transaction (see [`InboundIntake`]). Concurrent intakes of
    /// the same phone or email for a tenant yield one lead.
    ///
    /// # Errors
    /// On database failure nothing is stored.
    async fn record_inbound(&self, intake: &InboundIntake) -> Result<IntakeReceipt, StoreError>;

    /// A lead.
    ///
    /// # Errors
    /// On database failure.
    async fn get_lead(&self, tenant: TenantId, id: LeadId) -> Result<Option<Lead>, StoreError>;

    /// Saves a lead's fields and appends the state changes to its history, if `lead.version` is
    /// still the stored version; returns the lead with its new version.
    ///
    /// # Errors
    /// [`StoreError::Stale`] when another writer updated it first.
    async fn update_lead(&self, lead: &Lead, changes: &[StateChange]) -> Result<Lead, StoreError>;

    /// The lead a live-chat visitor session belongs to, if it wrote before.
    ///
    /// # Errors
    /// On database failure.
    async fn lead_by_chat_session(
        &self,
        tenant: TenantId,
        session: &str,
    ) -> Result<Option<Lead>, StoreError>;

    /// The lead, other than `except`, whose verified phone or email is one of these: where a chat
    /// visitor's claimed contact may really belong.
    ///
    /// # Errors
    /// On database failure.
    async fn lead_with_contact(
        &self,
        tenant: TenantId,
        phone: Option<PhoneNumber>,
        email: Option<Email>,
        except: LeadId,
    ) -> Result<Option<LeadId>, StoreError>;

    /// Moves everything of lead `from` (conversations with their messages, escalations, history)
    /// to lead `into` in one transaction, fills `into`'s missing contact details from `from`, and
    /// deletes `from`; an open conversation of `from` on a channel where `into` has one open too is
    /// closed. Returns the merged lead.
    ///
    /// # Errors
    /// [`StoreError::Stale`] when either lead does not exist (the caller checks both first);
    /// on database failure nothing changes.
    async fn merge_leads(
        &self,
        tenant: TenantId,
        from: LeadId,
        into: LeadId,
        at: DateTime<Utc>,
    ) -> Result<Lead, StoreError>;

    /// Leads of a tenant, newest first.
    ///
    /// # Errors
    /// On database failure.
    async fn list_leads(
        &self,
        tenant: TenantId,
        filter: &LeadFilter,
        page: Page,
    ) -> Result<PageOf<Lead>, StoreError>;

    /// The lifecycle history of a lead, oldest first.
    ///
    /// # Errors
    /// On database failure.
    async fn lead_history(
        &self,
        tenant: TenantId,
        id: LeadId,
    ) -> Result<Vec<StateChange>, StoreError>;

    /// A conversation.
    ///
    /// # Errors
    /// On database failure.
    async fn get_conversation(
        &self,
        tenant: TenantId,
        id: ConversationId,
    ) -> Result<Option<Conversation>, StoreError>;

    /// Saves a conversation's status, escalation flag, language and counters.
    ///
    /// # Errors
    /// [`StoreError::Stale`] when it does not exist.
    async fn update_conversation(&self, conversation: &Conversation) -> Result<(), StoreError>;

    /// Conversations of a lead, newest first.
    ///
    /// # Errors
    /// On database failure.
    async fn lead_conversations(
        &self,
        tenant: TenantId,
        lead: LeadId,
    ) -> Result<Vec<Conversation>, StoreError>;

    /// Open, non-escalated-or-escalated conversations of a tenant, most recently active first.
    ///
    /// # Errors
    /// On database failure.
    async fn active_conversations(
        &self,
        tenant: TenantId,
        page: Page,
    ) -> Result<PageOf<Conversation>, StoreError>;

    /// Messages of a conversation, oldest first.
    ///
    /// # Errors
    /// On database failure.
    async fn list_messages(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        page: Page,
    ) -> Result<PageOf<Message>, StoreError>;

    /// One message.
    ///
    /// # Errors
    /// On database failure.
    async fn get_message(
        &self,
        tenant: TenantId,
        id: MessageId,
    ) -> Result<Option<Message>, StoreError>;

    /// Stores a message and, in the same transaction, the job that will deliver it.
    ///
    /// # Errors
    /// On database failure nothing is stored.
    async fn append_message(
        &self,
        message: &NewMessage,
        job: Option<NewJob>,
    ) -> Result<Message, StoreError>;

    /// Records a delivery result for a message: status, the provider's id and the error, if any.
    ///
    /// # Errors
    /// [`StoreError::Stale`] when the message does not exist for this tenant.
    async fn set_delivery(
        &self,
        tenant: TenantId,
        id: MessageId,
        status: DeliveryStatus,
        provider_message_id: Option<String>,
        error: Option<String>,
    ) -> Result<(), StoreError>;

    /// Records a delivery status callback by the provider's message id; returns whether a message matched.
    ///
    /// # Errors
    /// On database failure.
    async fn set_delivery_by_provider_id(
        &self,
        tenant: TenantId,
        provider_message_id: &str,
        status: DeliveryStatus,
        error: Option<String>,
    ) -> Result<bool, StoreError>;
}

/// Stores escalations.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EscalationRepository: Send + Sync {
    /// Records one row per reason for a conversation.
    ///
    /// # Errors
    /// On database failure nothing is stored.
    async fn record_escalations(&self, escalations: &[Escalation]) -> Result<(), StoreError>;

    /// Escalations of a conversation, oldest first.
    ///
    /// # Errors
    /// On database failure.
    async fn conversation_escalations(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Vec<Escalation>, StoreError>;

    /// Marks every open escalation of a conversation released, by whom.
    ///
    /// # Errors
    /// On database failure.
    async fn release_escalations(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<u64, StoreError>;
}

/// Records model usage and budget alerts.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UsageLedger: Send + Sync {
    /// Records one model call.
    ///
    /// # Errors
    /// On database failure.
    async fn record_usage(&self, record: &UsageRecord) -> Result<(), StoreError>;

    /// Month-to-date totals per model.
    ///
    /// # Errors
    /// On database failure.
    async fn month_usage(
        &self,
        tenant: TenantId,
        month: YearMonth,
    ) -> Result<Vec<ModelUsageTotal>, StoreError>;

    /// Marks the budget alert of a month raised; returns `true` only the first time.
    ///
    /// # Errors
    /// On database failure.
    async fn mark_budget_alert(
        &self,
        tenant: TenantId,
        month: YearMonth,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

/// Remembers who asked not to be messaged.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OptOutRegistry: Send + Sync {
    /// Opts an address out for a tenant (idempotent).
    ///
    /// # Errors
    /// On database failure.
    async fn opt_out(
        &self,
        tenant: TenantId,
        address: &Address,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Opts an address back in (idempotent).
    ///
    /// # Errors
    /// On database failure.
    async fn opt_in(&self, tenant: TenantId, address: &Address) -> Result<(), StoreError>;

    /// Whether an address is opted out for a tenant.
    ///
    /// # Errors
    /// On database failure.
    async fn is_opted_out(&self, tenant: TenantId, address: &Address) -> Result<bool, StoreError>;
}

/// A durable queue of jobs on the service's database.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Adds a job.
    ///
    /// # Errors
    /// On database failure.
    async fn enqueue(&self, job: &NewJob) -> Result<(), StoreError>;

    /// Claims up to `limit` due jobs for `lease`: each job is given to one claimer at a time, jobs
    /// with the same ordering key run one at a time and in order, and a job whose lease ran out
    /// (a crashed worker) can be claimed again.
    ///
    /// # Errors
    /// On database failure nothing is claimed.
    async fn claim_due(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<Job>, StoreError>;

    /// Extends a running job's lease to `now + lease` (a worker's heartbeat); returns `false`
    /// when the lease is no longer this claim's (it ran out and the job was claimed again, or the
    /// job ended), so the worker abandons the job's effects.
    ///
    /// # Errors
    /// On database failure.
    async fn renew(
        &self,
        lease: JobLease,
        now: DateTime<Utc>,
        extend: Duration,
    ) -> Result<bool, StoreError>;

    /// Marks a claimed job done; `note` (for example "model failed, offline reply sent") is kept
    /// in the job's `last_error` so degraded runs stay visible.
    ///
    /// # Errors
    /// [`StoreError::Stale`] when `lease` is not the job's current lease (fencing); on database
    /// failure.
    async fn complete(
        &self,
        lease: JobLease,
        now: DateTime<Utc>,
        note: Option<String>,
    ) -> Result<(), StoreError>;

    /// Records a failed attempt with its error; requeues at the given time or marks the job dead.
    ///
    /// # Errors
    /// [`StoreError::Stale`] when `lease` is not the job's current lease (fencing); on database
    /// failure.
    async fn fail(
        &self,
        lease: JobLease,
        error: &str,
        decision: RetryDecision,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Jobs not done, counted by kind and status, with when the longest-waiting due job became
    /// due: the queue's health for metrics and alerts.
    ///
    /// # Errors
    /// On database failure.
    async fn queue_stats(&self, now: DateTime<Utc>) -> Result<crate::jobs::QueueStats, StoreError>;

    /// Jobs of every tenant in a state, oldest first: the operator's view of the dead letters.
    ///
    /// # Errors
    /// On database failure.
    async fn list_jobs(&self, status: JobStatus, page: Page) -> Result<PageOf<Job>, StoreError>;

    /// Puts a dead job back in the queue, due at `now`, with a fresh attempt count and time
    /// budget; returns `false` when the job does not exist or is not dead.
    ///
    /// # Errors
    /// On database failure.
    async fn retry_dead(&self, id: JobId, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// A job of a tenant, for status queries.
    ///
    /// # Errors
    /// On database failure.
    async fn get_job(&self, tenant: TenantId, id: JobId) -> Result<Option<Job>, StoreError>;
}

/// Remembers processed provider webhooks that create no intake (status callbacks, completed calls).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookLog: Send + Sync {
    /// Records `(provider, id)`; returns `false` when it was already recorded.
    ///
    /// # Errors
    /// On database failure.
    async fn first_time(
        &self,
        tenant: TenantId,
        provider: &str,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

// ---------------------------------------------------------------------------------------------
// Language model and offline extraction
// ---------------------------------------------------------------------------------------------

/// Who said a turn of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The lead.
    Lead,
    /// The business (AI or human).
    Agent,
}

/// One turn of a conversation as extractors and models see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    /// Who.
    pub role: Role,
    /// What.
    pub text: String,
    /// The stored message, when any.
    pub message_id: Option<MessageId>,
}

/// What an extractor needs to know about a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtractionProfile {
    /// Industry key.
    pub industry: String,
    /// Currency of amounts with none stated.
    pub currency: crate::qualification::Currency,
    /// Service catalogue.
    pub services: BTreeMap<String, ServiceDef>,
    /// Extra place names mapped to canonical cities.
    pub extra_locations: BTreeMap<String, String>,
}

impl ExtractionProfile {
    /// The profile of a tenant.
    pub fn of(tenant: &Tenant) -> Self {
        Self {
            industry: tenant.settings.industry.clone(),
            currency: tenant.settings.rules.currency,
            services: tenant.settings.services.clone(),
            extra_locations: tenant.settings.extra_locations.clone(),
        }
    }
}

/// Reads qualification data from a conversation without a model: pure and deterministic.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait OfflineExtractor: Send + Sync {
    /// Reads every field from the whole conversation; relative dates are bucketed against `today`
    /// (the tenant's local date), never the system clock. Never panics.
    fn extract(
        &self,
        profile: &ExtractionProfile,
        turns: &[Turn],
        today: NaiveDate,
    ) -> Qualification;
}

/// What a lead's latest turn is about, as the fast model classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Hello and nothing else.
    Greeting,
    /// A question about the business.
    Question,
    /// Facts about what they want.
    QualificationInfo,
    /// Asks for a person.
    WantsHuman,
    /// Asks to stop.
    OptOut,
    /// Spam or abuse.
    Spam,
}

/// Whether the business is open, for the model's prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursState {
    /// Open now.
    pub open_now: bool,
    /// Next opening when closed.
    pub next_opening: Option<DateTime<Utc>>,
}

/// Everything a model call needs, owned so the port stays simple to fake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRequest {
    /// The tenant (brand voice, catalogue, model override).
    pub tenant: Tenant,
    /// The conversation so far, the new lead turn last.
    pub turns: Vec<Turn>,
    /// What is known before this turn.
    pub known: Qualification,
    /// What is still unknown and should be asked next.
    pub missing: Vec<QualificationField>,
    /// Language to answer in.
    pub reply_language: Language,
    /// Business-hours state.
    pub hours: HoursState,
    /// Knowledge-base snippets relevant to the turn.
    pub knowledge: Vec<String>,
    /// The tenant's local date, for relative dates.
    pub today: NaiveDate,
}

/// The fast model's reading of a turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteOutcome {
    /// The intent.
    pub intent: Intent,
    /// A reply for simple turns (greetings, questions) the main model need not see.
    pub reply: Option<String>,
    /// Ids of the knowledge-base passages the reply states facts from.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Calls made.
    pub usage: Vec<ModelUsage>,
}

/// The main model's qualification of a turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelTurn {
    /// What the model read; the domain merges and decides.
    pub qualification: Qualification,
    /// The reply text.
    pub reply: String,
    /// Ids of the knowledge-base passages the reply states facts from.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Calls made.
    pub usage: Vec<ModelUsage>,
}

/// Why a model call failed; every variant means "use the offline path for this turn".
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// No answer in time.
    #[error("model timed out")]
    Timeout,
    /// The provider is down, overloaded or unreachable (after retries).
    #[error("model unavailable: {0}")]
    Unavailable(String),
    /// The provider rate-limited us (after retries) or a spend cap was hit.
    #[error("model rate limited: {0}")]
    RateLimited(String),
    /// The answer did not match the schema: treated as a failure, never as data. The call still
    /// cost tokens, which are recorded.
    #[error("invalid model output: {reason}")]
    InvalidOutput {
        /// What was wrong.
        reason: String,
        /// The tokens the failed call consumed.
        usage: Vec<ModelUsage>,
    },
    /// The request was refused (bad key, bad request).
    #[error("model request rejected: {0}")]
    Rejected(String),
    /// The circuit breaker is open after repeated failures.
    #[error("model circuit open")]
    CircuitOpen,
    /// No model is configured.
    #[error("no language model configured")]
    NotConfigured,
}

/// A language model: a fast router and a main qualifier. It returns signals only; the domain decides.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LanguageModel: Send + Sync {
    /// Classifies the latest lead turn and may answer a simple one.
    ///
    /// # Errors
    /// [`LlmError`] when the model cannot answer.
    async fn route(&self, request: &ModelRequest) -> Result<RouteOutcome, LlmError>;

    /// Extracts qualification data from the conversation and writes the reply.
    ///
    /// # Errors
    /// [`LlmError`] when the model cannot answer or answers outside the schema.
    async fn qualify(&self, request: &ModelRequest) -> Result<ModelTurn, LlmError>;
}

// ---------------------------------------------------------------------------------------------
// Channels and notifications
// ---------------------------------------------------------------------------------------------

/// A message to deliver on a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboundMessage {
    /// The stored message.
    pub message_id: MessageId,
    /// Conversation.
    pub conversation_id: ConversationId,
    /// Channel to send on (SMS, WhatsApp, email; live chat needs no sender).
    pub channel: Channel,
    /// Recipient.
    pub to: Address,
    /// Text.
    pub body: String,
    /// Language of the text (email subject and template choice).
    pub language: Language,
    /// When the lead last wrote, for WhatsApp's 24-hour window.
    pub last_inbound_at: Option<DateTime<Utc>>,
    /// The lead's name, for template variables.
    pub lead_name: Option<String>,
}

/// What the provider said when it accepted a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendReceipt {
    /// The provider's message id (Twilio `SM...`).
    pub provider_message_id: Option<String>,
    /// Whether a template was sent instead of free text (WhatsApp outside the window).
    pub used_template: bool,
}

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    /// Will never succeed (invalid number, unsubscribed recipient, 4xx): do not retry.
    #[error("permanent send failure{}: {message}", code.as_ref().map(|c| format!(" (code {c})")).unwrap_or_default())]
    Permanent {
        /// Provider error code.
        code: Option<String>,
        /// Provider message.
        message: String,
    },
    /// May succeed later (429, 5xx, network); retry with backoff.
    #[error("temporary send failure: {message}")]
    Retryable {
        /// What happened.
        message: String,
        /// How long the provider asked us to wait.
        retry_after: Option<Duration>,
    },
    /// Not sent on purpose: the recipient opted out.
    #[error("recipient opted out")]
    OptedOut,
    /// Not sent on purpose: outside WhatsApp's window with no approved template.
    #[error("outside the whatsapp session window and no template is configured")]
    OutsideWindow,
    /// The tenant has not configured this channel.
    #[error("channel not configured: {0}")]
    NotConfigured(String),
}

/// Delivers messages on a channel for a tenant.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MessageSender: Send + Sync {
    /// Sends one message with the tenant's credentials.
    ///
    /// Implementations are the authoritative opt-out check: they refuse an address that opted
    /// out with [`SendError::OptedOut`], whoever calls them. The deliver use case checks the
    /// registry first only as a second guard, so a suppressed message never reaches a provider.
    ///
    /// # Errors
    /// [`SendError`], classified for retry.
    async fn send(
        &self,
        tenant: &Tenant,
        message: &OutboundMessage,
    ) -> Result<SendReceipt, SendError>;

    /// Whether this sender can deliver on `channel` for the tenant at all (an account and a sending
    /// number or server are configured), so replies go where they can arrive.
    fn can_deliver(&self, tenant: &Tenant, channel: Channel) -> bool {
        let _ = (tenant, channel);
        true
    }
}

/// Something a tenant's team must know at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notification {
    /// A lead became HOT.
    HotLead {
        /// Lead.
        lead_id: LeadId,
        /// Conversation.
        conversation_id: ConversationId,
        /// Readable reasons.
        summary: String,
        /// Everything a salesperson needs to pick the lead up.
        packet: Box<HandoffPacket>,
    },
    /// A conversation was escalated to a person.
    Escalated {
        /// Lead.
        lead_id: LeadId,
        /// Conversation.
        conversation_id: ConversationId,
        /// Reasons.
        reasons: Vec<EscalationReason>,
        /// Everything a salesperson needs to pick the lead up.
        packet: Box<HandoffPacket>,
    },
    /// No configured channel can deliver replies to a lead: a person must reach them another way.
    Undeliverable {
        /// Lead.
        lead_id: LeadId,
        /// Conversation.
        conversation_id: ConversationId,
        /// Why.
        detail: String,
        /// Everything a salesperson needs to pick the lead up.
        packet: Box<HandoffPacket>,
    },
    /// A meeting was booked, moved or cancelled, or a booking needs a person (`what` says which:
    /// `appointment.booked`, `appointment.rescheduled`, `appointment.cancelled`, `booking_failed`, ...).
    Booking {
        /// Lead.
        lead_id: LeadId,
        /// Conversation.
        conversation_id: ConversationId,
        /// What happened.
        what: String,
        /// The meeting's start, when there is one.
        start: Option<chrono::DateTime<chrono::Utc>>,
        /// Everything a salesperson needs to pick the lead up.
        packet: Box<HandoffPacket>,
    },
    /// Model spending crossed 80% of the monthly budget.
    BudgetAlert {
        /// Month.
        month: YearMonth,
        /// Spent so far, US dollars.
        spent_usd: f64,
        /// The budget.
        budget_usd: f64,
    },
}

/// What a person needs to take a lead over without reading the whole conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoffPacket {
    /// The lead's name, if given.
    pub name: Option<String>,
    /// Verified phone (carrier or form).
    pub phone: Option<PhoneNumber>,
    /// Verified email.
    pub email: Option<Email>,
    /// A phone the lead typed into chat, unverified.
    pub claimed_phone: Option<PhoneNumber>,
    /// An email the lead typed into chat, unverified.
    pub claimed_email: Option<Email>,
    /// The channel of the conversation.
    pub channel: Channel,
    /// The lead's language.
    pub language: Option<Language>,
    /// What the lead wants (service key).
    pub service: Option<String>,
    /// Budget as stated: `min`, `max`, currency.
    pub budget: Option<crate::qualification::Budget>,
    /// When the lead wants to act.
    pub timeline: Option<crate::qualification::Timeline>,
    /// How pressing it is.
    pub urgency: Option<crate::qualification::Urgency>,
    /// Whether the lead decides alone.
    pub decision_maker: Option<bool>,
    /// Where.
    pub location: Option<String>,
    /// Score and points.
    pub score: Score,
    /// Points behind the score.
    pub points: u32,
    /// Why the score is what it is, readable.
    pub score_reasons: Vec<String>,
    /// The latest messages, oldest first, as `(who, text)`.
    pub last_messages: Vec<(Sender, String)>,
}

impl HandoffPacket {
    /// How many of the latest messages a packet carries.
    pub const LAST_MESSAGES: usize = 6;

    /// Builds the packet of a lead from its conversation's messages.
    pub fn of(lead: &Lead, conversation: &Conversation, messages: &[Message]) -> Self {
        let q = &lead.qualification;
        let start = messages.len().saturating_sub(Self::LAST_MESSAGES);
        Self {
            name: lead.name.clone(),
            phone: lead.phone.clone(),
            email: lead.email.clone(),
            claimed_phone: lead.claimed_phone.clone(),
            claimed_email: lead.claimed_email.clone(),
            channel: conversation.channel,
            language: conversation.language.or(q.language),
            service: q.service.as_ref().map(|f| f.value.clone()),
            budget: q.budget.as_ref().map(|f| f.value),
            timeline: q.timeline.as_ref().map(|f| f.value),
            urgency: q.urgency.as_ref().map(|f| f.value),
            decision_maker: q.decision_maker.as_ref().map(|f| f.value),
            location: q.location.as_ref().map(|f| f.value.clone()),
            score: lead.score.score,
            points: lead.score.points,
            score_reasons: lead.score.reasons.iter().map(ToString::to_string).collect(),
            last_messages: messages[start..]
                .iter()
                .map(|m| (m.sender, m.body.clone()))
                .collect(),
        }
    }
}

/// Why a notification failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("notification failed: {0}")]
pub struct NotifyError(pub String);

/// Tells a tenant's team about hot leads, escalations and budget alerts.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends one notification.
    ///
    /// # Errors
    /// [`NotifyError`] when it could not be delivered; callers log it and carry on.
    async fn notify(&self, tenant: &Tenant, notification: &Notification)
    -> Result<(), NotifyError>;
}

// ---------------------------------------------------------------------------------------------
// Time and ids
// ---------------------------------------------------------------------------------------------

/// The current time: the only way domain code learns it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// New unique ids.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A new UUID (time-ordered in production).
    fn new_uuid(&self) -> uuid::Uuid;
}
