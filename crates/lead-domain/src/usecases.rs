//! The use cases: accept an inbound contact durably, then (in a queued job) qualify, score,
//! escalate and answer it; deliver outbound messages. Written only against ports.

pub mod conversations;
pub mod decide;
pub mod events;
pub mod intake;
pub mod jobs;
pub mod outbound;
pub mod processing;

pub use conversations::{escalate_manually, merge_leads, release_conversation};
pub use decide::{ReplyTurn, compose_reply, exchanges_since_release, lifecycle_event};
pub use intake::{InboundRequest, accept_inbound, reply_address};
pub use jobs::{JobRun, Redrive, execute_job, redrive_dead, run_job, worker_tick};
pub use outbound::{deliver_outbound, outbound_channel, queue_outbound};
pub use processing::{ProcessOutcome, all_messages, process_inbound};

use crate::jobs::{RetryBudgets, RetryPolicy};
use crate::pipeline::{CommitError, DecisionStore};
use crate::ports::{
    Clock, EscalationRepository, IdGenerator, JobQueue, LanguageModel, LeadRepository,
    MessageSender, Notifier, NotifyError, OfflineExtractor, OptOutRegistry, SendError, StoreError,
    TenantRepository, UsageLedger,
};
use std::sync::Arc;

pub mod booking;
pub mod crm;
pub mod experiments;
pub mod knowledge;
pub mod leads;
pub mod retention;
pub mod users;

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
    /// How long each kind of job keeps being retried before it is dead.
    pub budgets: RetryBudgets,
    /// Applies processing decisions in one transaction with the job's completion.
    pub decisions: Arc<dyn DecisionStore>,
    /// The tenant's knowledge base; `None` answers questions with the honest template.
    pub knowledge: Option<crate::knowledge::KnowledgeBase>,
    /// The calendar and booking records; `None` turns booking in the conversation off.
    pub booking: Option<booking::BookingDeps>,
    /// A/B tests of greetings, questions and prompts; `None` runs without experiments.
    pub experiments: Option<Arc<dyn crate::experiments::ExperimentStore>>,
    /// Event fan-out, webhooks and pages to the team; `None` raises no events.
    pub events: Option<crate::events::EventDeps>,
    /// Erasure and retention.
    pub retention: Arc<dyn crate::retention::DataRetention>,
    /// The CRM and each lead's CRM ids; `None` turns CRM sync off.
    pub crm: Option<crm::CrmDeps>,
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
    /// The job's lease was lost to another worker: its effects are abandoned, nothing recorded.
    #[error("the job's lease was lost to another worker")]
    LeaseLost,
    /// Telling the team failed.
    #[error(transparent)]
    Notify(#[from] NotifyError),
    /// An idempotency key already used for a different request; nothing was stored.
    #[error("the idempotency key was already used for a different request")]
    IdempotencyKeyReused,
    /// The CRM failed.
    #[error(transparent)]
    Crm(#[from] crate::crm::CrmError),
}

impl From<CommitError> for UseCaseError {
    fn from(e: CommitError) -> Self {
        match e {
            CommitError::LeaseLost(_) => UseCaseError::LeaseLost,
            CommitError::LeadChanged(id) => {
                UseCaseError::Store(StoreError::Stale(format!("lead {id} kept changing")))
            }
            CommitError::Store(e) => UseCaseError::Store(e),
        }
    }
}

impl UseCaseError {
    /// Whether retrying the job may help.
    pub fn is_retryable(&self) -> bool {
        match self {
            UseCaseError::Store(
                StoreError::Unavailable(_) | StoreError::Stale(_) | StoreError::Unexpected(_),
            ) => true,
            UseCaseError::Store(StoreError::Conflict(_)) => false,
            UseCaseError::NotFound(_)
            | UseCaseError::Invalid(_)
            | UseCaseError::IdempotencyKeyReused => false,
            UseCaseError::Send(SendError::Retryable { .. }) => true,
            UseCaseError::Send(_) => false,
            UseCaseError::Calendar(e) => e.is_retryable(),
            UseCaseError::LeaseLost => false,
            UseCaseError::Notify(_) => true,
            UseCaseError::Crm(e) => e.is_retryable(),
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
            })
            | UseCaseError::Crm(crate::crm::CrmError::RateLimited {
                retry_after: Some(d),
            }) => chrono::Duration::from_std(*d).ok(),
            _ => None,
        }
    }
}
