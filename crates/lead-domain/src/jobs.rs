//! Durable background work: what a job asks for, its state, and the retry policy.

use crate::ids::{ConversationId, JobId, LeadId, MessageId, TenantId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// What a job does; stored as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JobPayload {
    /// Qualify and answer an inbound message.
    ProcessInbound {
        /// Lead.
        lead_id: LeadId,
        /// Conversation.
        conversation_id: ConversationId,
        /// The inbound message.
        message_id: MessageId,
    },
    /// Deliver a stored outbound message through its channel.
    SendOutbound {
        /// Conversation.
        conversation_id: ConversationId,
        /// The outbound message.
        message_id: MessageId,
    },
    /// Book the slot a lead chose once the calendar answers again.
    BookMeeting {
        /// Lead.
        lead_id: LeadId,
        /// The conversation the confirmation goes to.
        conversation_id: ConversationId,
    },
}

impl JobPayload {
    /// The kind name, stored in its own column for filtering.
    pub const fn kind(&self) -> &'static str {
        match self {
            JobPayload::ProcessInbound { .. } => "process_inbound",
            JobPayload::SendOutbound { .. } => "send_outbound",
            JobPayload::BookMeeting { .. } => "book_meeting",
        }
    }

    /// Jobs with the same key run one at a time, in order: all work of one conversation.
    pub fn ordering_key(&self) -> String {
        match self {
            JobPayload::ProcessInbound {
                conversation_id, ..
            }
            | JobPayload::SendOutbound {
                conversation_id, ..
            }
            | JobPayload::BookMeeting {
                conversation_id, ..
            } => conversation_id.to_string(),
        }
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewJob {
    /// Id chosen by the caller, so the intake can return it.
    pub id: JobId,
    /// Owner.
    pub tenant_id: TenantId,
    /// What to do.
    pub payload: JobPayload,
    /// Earliest run time.
    pub run_at: DateTime<Utc>,
    /// Attempts before the job is dead.
    pub max_attempts: u32,
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for `run_at`.
    Queued,
    /// Claimed by a worker until its lease ends.
    Running,
    /// Finished.
    Done,
    /// Gave up after its last attempt or a permanent error.
    Dead,
}

impl JobStatus {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Dead => "dead",
        }
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Id.
    pub id: JobId,
    /// Owner.
    pub tenant_id: TenantId,
    /// What to do.
    pub payload: JobPayload,
    /// State.
    pub status: JobStatus,
    /// Attempts started so far (the current one included while running).
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// Earliest next run.
    pub run_at: DateTime<Utc>,
    /// End of the current worker's lease.
    pub locked_until: Option<DateTime<Utc>>,
    /// The last failure, visible through the API.
    pub last_error: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// What to do with a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// Give up: the job is dead.
    GiveUp,
}

/// Exponential backoff with a cap: attempt n waits `base * 2^(n-1)`, at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait after the first failure.
    pub base: Duration,
    /// Longest wait.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::seconds(2),
            max: Duration::minutes(10),
        }
    }
}

impl RetryPolicy {
    /// Decides after a failed attempt: retry with backoff while attempts remain and the error is
    /// worth retrying; `retry_after` (from a provider) is honoured when longer than the backoff.
    pub fn decide(
        &self,
        attempts: u32,
        max_attempts: u32,
        retryable: bool,
        retry_after: Option<Duration>,
        now: DateTime<Utc>,
    ) -> RetryDecision {
        if !retryable || attempts >= max_attempts {
            return RetryDecision::GiveUp;
        }
        let exp = attempts.saturating_sub(1).min(20);
        let backoff = self
            .base
            .checked_mul(1 << exp)
            .unwrap_or(self.max)
            .min(self.max);
        let wait = retry_after.map_or(backoff, |r| r.max(backoff));
        RetryDecision::RetryAt(now + wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let wait = |n| match p.decide(n, 20, true, None, now) {
            RetryDecision::RetryAt(t) => (t - now).num_seconds(),
            RetryDecision::GiveUp => -1,
        };
        assert_eq!(
            [wait(1), wait(2), wait(3), wait(9), wait(10)],
            [2, 4, 8, 512, 600]
        );
        assert_eq!(wait(20), -1);
    }

    #[test]
    fn permanent_errors_give_up_and_retry_after_is_honoured() {
        let p = RetryPolicy::default();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(p.decide(1, 5, false, None, now), RetryDecision::GiveUp);
        assert_eq!(
            p.decide(1, 5, true, Some(Duration::seconds(30)), now),
            RetryDecision::RetryAt(now + Duration::seconds(30))
        );
    }
}
