//! Durable background work: what a job asks for, its state, and the retry policy.

use crate::escalation::EscalationReason;
use crate::ids::{ConversationId, JobId, LeadId, MessageId, TenantId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// What a job does; stored as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Tell the tenant's team about what processing an inbound message decided; queued in the
    /// decision's own transaction so the team is told once, after the decision is stored.
    Notify {
        /// Lead.
        lead_id: LeadId,
        /// Conversation.
        conversation_id: ConversationId,
        /// The inbound message whose processing raised it: the notification's exactly-once key.
        cause: MessageId,
        /// What to tell.
        notice: Notice,
    },
    /// Fan a domain event out to the tenant's webhooks and people; stored with the change it
    /// describes, so the job queue is the event outbox.
    DispatchEvent {
        /// `"{type}:{key of the change}"`: the event's exactly-once key.
        cause: String,
        /// The event.
        event: Box<crate::events::DomainEvent>,
    },
    /// Post one webhook delivery, retried with backoff until it is answered or a day has passed.
    DeliverWebhook {
        /// The delivery (`whd_...`).
        delivery_id: String,
        /// Which sending of it this is (0, then 1, 2... for each re-send a person asks for).
        #[serde(default)]
        round: u32,
    },
    /// Page one person of the team about an event with the handoff packet.
    PageTeam {
        /// The event.
        event: Box<crate::events::DomainEvent>,
        /// Channel.
        channel: crate::events::PageChannel,
        /// Email address or E.164 number.
        to: String,
    },
    /// Send a lead's contact, deal and note to the tenant's CRM.
    CrmSync {
        /// Lead.
        lead_id: LeadId,
    },
}

/// The queue at a glance: jobs not done by kind and status, and the oldest due job's due time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// `(kind, status, count)` for every pair with jobs, done jobs left out.
    pub counts: Vec<(String, JobStatus, u64)>,
    /// When the queued job that has waited longest became due; `None` when nothing is due.
    pub oldest_due: Option<DateTime<Utc>>,
}

/// What a queued notification tells the team; the handoff packet is built when it is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// The conversation was handed to a person for these reasons.
    Escalated {
        /// Reasons.
        reasons: Vec<EscalationReason>,
    },
    /// The lead turned HOT.
    HotLead {
        /// The score explained.
        summary: String,
    },
}

impl Notice {
    /// The kind name, part of the notification's effect key.
    pub const fn kind(&self) -> &'static str {
        match self {
            Notice::Escalated { .. } => "escalated",
            Notice::HotLead { .. } => "hot_lead",
        }
    }
}

impl JobPayload {
    /// Every kind name, so metrics can report each kind before its first job.
    pub const KINDS: &'static [&'static str] = &[
        "process_inbound",
        "send_outbound",
        "book_meeting",
        "notify",
        "crm_sync",
        "dispatch_event",
        "deliver_webhook",
        "page_team",
    ];

    /// The kind name, stored in its own column for filtering.
    pub const fn kind(&self) -> &'static str {
        match self {
            JobPayload::ProcessInbound { .. } => "process_inbound",
            JobPayload::SendOutbound { .. } => "send_outbound",
            JobPayload::BookMeeting { .. } => "book_meeting",
            JobPayload::Notify { .. } => "notify",
            JobPayload::DispatchEvent { .. } => "dispatch_event",
            JobPayload::DeliverWebhook { .. } => "deliver_webhook",
            JobPayload::PageTeam { .. } => "page_team",
            JobPayload::CrmSync { .. } => "crm_sync",
        }
    }

    /// The key of the effect this job carries out, stored with a unique constraint so a decision
    /// applied twice queues it once: a message's send, an inbound message's notification.
    pub fn effect_key(&self) -> Option<String> {
        match self {
            // A sync is idempotent (stored ids, note fingerprint): a second one changes nothing.
            JobPayload::ProcessInbound { .. }
            | JobPayload::BookMeeting { .. }
            | JobPayload::CrmSync { .. } => None,
            JobPayload::SendOutbound { message_id, .. } => Some(format!("send:{message_id}")),
            JobPayload::Notify { cause, notice, .. } => {
                Some(format!("notify:{cause}:{}", notice.kind()))
            }
            JobPayload::DispatchEvent { cause, .. } => Some(format!("event:{cause}")),
            JobPayload::DeliverWebhook { delivery_id, round } => {
                Some(format!("webhook:{delivery_id}:{round}"))
            }
            JobPayload::PageTeam { event, channel, to } => {
                Some(format!("page:{}:{}:{to}", event.id, channel.as_str()))
            }
        }
    }

    /// Attempts a job of this kind may start before it is dead: a backstop against a job that
    /// kills its worker every time; ordinary failures end at the time budget first.
    pub const fn attempt_limit(&self) -> u32 {
        match self {
            JobPayload::ProcessInbound { .. } => 50,
            JobPayload::SendOutbound { .. } => 100,
            JobPayload::Notify { .. }
            | JobPayload::BookMeeting { .. }
            | JobPayload::CrmSync { .. } => 50,
            JobPayload::DispatchEvent { .. }
            | JobPayload::DeliverWebhook { .. }
            | JobPayload::PageTeam { .. } => 60,
        }
    }

    /// Which retry budget this job spends.
    pub const fn budget_class(&self) -> BudgetClass {
        match self {
            JobPayload::ProcessInbound { .. } => BudgetClass::Processing,
            JobPayload::SendOutbound { .. } => BudgetClass::Sending,
            JobPayload::Notify { .. } | JobPayload::CrmSync { .. } => BudgetClass::Notifying,
            JobPayload::BookMeeting { .. } => BudgetClass::Processing,
            JobPayload::DispatchEvent { .. }
            | JobPayload::DeliverWebhook { .. }
            | JobPayload::PageTeam { .. } => BudgetClass::Notifying,
        }
    }

    /// A job to enqueue now with this kind's attempt limit: the one way use cases create jobs.
    pub fn job(self, id: JobId, tenant_id: TenantId, run_at: DateTime<Utc>) -> NewJob {
        NewJob {
            id,
            tenant_id,
            max_attempts: self.attempt_limit(),
            payload: self,
            run_at,
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
            // Telling the team never holds up the lead's reply, so notifications queue apart.
            JobPayload::Notify {
                conversation_id, ..
            } => format!("notify:{conversation_id}"),
            // Events and their deliveries never wait for one another: each runs on its own.
            JobPayload::DispatchEvent { cause, .. } => format!("event:{cause}"),
            JobPayload::DeliverWebhook { delivery_id, .. } => format!("webhook:{delivery_id}"),
            JobPayload::PageTeam { event, channel, to } => {
                format!("page:{}:{}:{to}", event.id, channel.as_str())
            }
            // One lead's syncs run one at a time, apart from its conversation's work.
            JobPayload::CrmSync { lead_id } => format!("crm:{lead_id}"),
        }
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// The fencing token of the current lease: raised by every claim, so a worker whose lease
    /// ran out and was claimed again can no longer complete, fail or renew the job.
    #[serde(default)]
    pub lease_token: u64,
    /// The last failure, visible through the API.
    pub last_error: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// The W3C `traceparent` of the span that enqueued the job, so its run continues that trace;
    /// `None` when tracing was off or the queue does not keep it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_context: Option<String>,
}

impl Job {
    /// The lease this claim holds, to renew, complete or fail the job with.
    pub const fn lease(&self) -> JobLease {
        JobLease {
            id: self.id,
            token: self.lease_token,
        }
    }
}

/// A claimed job's lease: the job and the fencing token of the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JobLease {
    /// The job.
    pub id: JobId,
    /// The claim's fencing token.
    pub token: u64,
}

/// The retry budget a job spends: how long its work may keep failing before it is dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetClass {
    /// Qualifying and answering an inbound message.
    Processing,
    /// Delivering a message through a provider.
    Sending,
    /// Telling the team.
    Notifying,
}

/// How long each kind of job keeps being retried, measured from its creation: long enough to
/// outlast a database failover or a provider outage, so an accepted lead is not dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryBudgets {
    /// Processing an inbound message (default one hour).
    pub processing: Duration,
    /// Sending a message (default one day).
    pub sending: Duration,
    /// Notifying the team (default one day).
    pub notifying: Duration,
}

impl Default for RetryBudgets {
    fn default() -> Self {
        Self {
            processing: Duration::hours(1),
            sending: Duration::days(1),
            notifying: Duration::days(1),
        }
    }
}

impl RetryBudgets {
    /// The budget of a class.
    pub const fn of(&self, class: BudgetClass) -> Duration {
        match class {
            BudgetClass::Processing => self.processing,
            BudgetClass::Sending => self.sending,
            BudgetClass::Notifying => self.notifying,
        }
    }
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

impl RetryPolicy {
    /// Decides after a failed attempt of `job`: retried with capped backoff while the error is
    /// worth retrying, the next attempt starts within the job's time budget (counted from its
    /// creation) and the attempt backstop is not reached.
    pub fn decide_for(
        &self,
        job: &Job,
        budgets: &RetryBudgets,
        retryable: bool,
        retry_after: Option<Duration>,
        now: DateTime<Utc>,
    ) -> RetryDecision {
        match self.decide(job.attempts, job.max_attempts, retryable, retry_after, now) {
            RetryDecision::RetryAt(at)
                if at <= job.created_at + budgets.of(job.payload.budget_class()) =>
            {
                RetryDecision::RetryAt(at)
            }
            _ => RetryDecision::GiveUp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_listed() {
        let lead = LeadId::from_uuid(uuid::Uuid::from_u128(1));
        let conversation = ConversationId::from_uuid(uuid::Uuid::from_u128(2));
        let message = MessageId::from_uuid(uuid::Uuid::from_u128(3));
        let payloads = [
            JobPayload::ProcessInbound {
                lead_id: lead,
                conversation_id: conversation,
                message_id: message,
            },
            JobPayload::SendOutbound {
                conversation_id: conversation,
                message_id: message,
            },
            JobPayload::BookMeeting {
                lead_id: lead,
                conversation_id: conversation,
            },
            JobPayload::Notify {
                lead_id: lead,
                conversation_id: conversation,
                cause: message,
                notice: Notice::HotLead {
                    summary: String::new(),
                },
            },
            JobPayload::CrmSync { lead_id: lead },
        ];
        for payload in payloads {
            assert!(
                JobPayload::KINDS.contains(&payload.kind()),
                "{}",
                payload.kind()
            );
        }
    }

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

    fn job_created_at(created_at: DateTime<Utc>, attempts: u32) -> Job {
        let payload = JobPayload::SendOutbound {
            conversation_id: ConversationId::from_uuid(uuid::Uuid::from_u128(1)),
            message_id: MessageId::from_uuid(uuid::Uuid::from_u128(2)),
        };
        Job {
            id: JobId::from_uuid(uuid::Uuid::from_u128(3)),
            tenant_id: TenantId::from_uuid(uuid::Uuid::from_u128(4)),
            max_attempts: payload.attempt_limit(),
            payload,
            status: JobStatus::Running,
            attempts,
            run_at: created_at,
            locked_until: None,
            lease_token: 1,
            last_error: None,
            created_at,
            updated_at: created_at,
            trace_context: None,
        }
    }

    #[test]
    fn retries_last_for_the_time_budget_not_a_count() {
        let p = RetryPolicy::default();
        let budgets = RetryBudgets::default();
        let created = DateTime::<Utc>::UNIX_EPOCH;
        // Twenty failed attempts within the day are still retried: a long outage is survived.
        let job = job_created_at(created, 20);
        let now = created + Duration::hours(3);
        assert_eq!(
            p.decide_for(&job, &budgets, true, None, now),
            RetryDecision::RetryAt(now + Duration::minutes(10))
        );
        // A retry that would start after the budget is not scheduled.
        let late = created + Duration::days(1) - Duration::minutes(5);
        assert_eq!(
            p.decide_for(&job, &budgets, true, None, late),
            RetryDecision::GiveUp
        );
        // The attempt backstop still ends a job that keeps dying.
        let worn = job_created_at(created, job.max_attempts);
        assert_eq!(
            p.decide_for(&worn, &budgets, true, None, now),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn budget_never_saves_a_permanent_error() {
        let p = RetryPolicy::default();
        let job = job_created_at(DateTime::<Utc>::UNIX_EPOCH, 1);
        assert_eq!(
            p.decide_for(&job, &RetryBudgets::default(), false, None, job.created_at),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn a_shorter_retry_after_keeps_the_backoff() {
        let p = RetryPolicy::default();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(
            p.decide(3, 5, true, Some(Duration::seconds(1)), now),
            RetryDecision::RetryAt(now + Duration::seconds(8))
        );
    }
}
