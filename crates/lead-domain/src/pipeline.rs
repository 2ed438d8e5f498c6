//! The processing pipeline's write side: what one decision about an inbound message stores, and
//! the port that applies it in one transaction together with completing the job that made it.
//!
//! Processing loads everything it needs, calls the model with no transaction open, decides with
//! pure functions, and hands the result here. Every effect carries a key derived from what caused
//! it (the inbound message for its reply, escalations and notifications; the outbound message for
//! its send), stored under a unique constraint, so a decision applied twice stores its effects once.

use crate::contact::Address;
use crate::ids::{JobId, LeadId, MessageId};
use crate::jobs::{JobLease, NewJob};
use crate::lead::{Conversation, Escalation, Lead};
use crate::lifecycle::StateChange;
use crate::ports::{NewMessage, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// An escalation with the key that makes it happen once: the inbound message and the reason kind.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyedEscalation {
    /// `"{inbound message id}:{reason kind}"`.
    pub key: String,
    /// The row.
    pub escalation: Escalation,
}

impl KeyedEscalation {
    /// Keys an escalation by the inbound message that raised it.
    pub fn caused_by(cause: MessageId, escalation: Escalation) -> Self {
        Self {
            key: format!("{cause}:{}", escalation.reason.kind()),
            escalation,
        }
    }
}

/// The reply a decision stores, keyed by the inbound message it answers.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyedReply {
    /// The inbound message answered: at most one reply per inbound message is stored.
    pub cause: MessageId,
    /// The message.
    pub message: NewMessage,
}

/// Everything processing one inbound message decided, to be stored at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The lead with its new qualification, score and state; `version` is the version the decision
    /// was made from, and the commit fails with [`CommitError::LeadChanged`] if it moved on.
    pub lead: Lead,
    /// Lifecycle changes to append to the lead's history.
    pub changes: Vec<StateChange>,
    /// The conversation: its language, and `escalated` when this decision hands it over (a
    /// decision never clears the flag, so a person's concurrent take-over stands).
    pub conversation: Conversation,
    /// New escalation rows.
    pub escalations: Vec<KeyedEscalation>,
    /// The reply, if one is sent.
    pub reply: Option<KeyedReply>,
    /// Jobs to queue (the reply's send, notifications), each unique by its effect key.
    pub jobs: Vec<NewJob>,
}

impl Decision {
    /// Whether the decision changes nothing stored (a paused tenant, a stale message).
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
            && self.escalations.is_empty()
            && self.reply.is_none()
            && self.jobs.is_empty()
    }
}

/// The job a commit completes, fenced by its lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The claim's lease: the commit fails with [`CommitError::LeaseLost`] if it is not current.
    pub lease: JobLease,
    /// When.
    pub at: DateTime<Utc>,
    /// Kept in the job's `last_error` so degraded runs stay visible.
    pub note: Option<String>,
}

/// Why a decision was not stored; nothing of it was then.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The lead changed since it was loaded: load again and decide again.
    #[error("lead {0} changed since it was loaded")]
    LeadChanged(LeadId),
    /// The job's lease is no longer this worker's: another worker runs it now.
    #[error("the lease of job {0} was lost")]
    LeaseLost(JobId),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What processing reads besides the lead and conversation, in one call: the decision's inputs
/// that only storage knows.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessingContext {
    /// Whether the reply address is opted out.
    pub opted_out: bool,
    /// The lead, other than this one, whose verified contact is this lead's claimed one.
    pub possible_duplicate_of: Option<LeadId>,
}

/// Applies a processing decision atomically: lead (version-checked) with its history, the
/// conversation, escalations, the reply, jobs, and the job's completion, in one transaction.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DecisionStore: Send + Sync {
    /// Stores the decision and completes the job, or stores nothing. Effects already stored under
    /// the same key (a decision applied before) are skipped, and a send job whose reply was
    /// skipped is skipped with it.
    ///
    /// # Errors
    /// [`CommitError::LeadChanged`], [`CommitError::LeaseLost`], or a storage failure.
    async fn commit_decision(
        &self,
        decision: &Decision,
        completion: Option<Completion>,
    ) -> Result<(), CommitError>;

    /// Whether the reply address is opted out and which lead owns the claimed contact, read
    /// together so processing goes to storage once for them.
    ///
    /// # Errors
    /// On database failure.
    async fn processing_context(
        &self,
        lead: &Lead,
        reply_to: Option<Address>,
    ) -> Result<ProcessingContext, StoreError>;
}
