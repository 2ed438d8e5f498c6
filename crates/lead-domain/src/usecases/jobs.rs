//! Running queued jobs: claim, run, complete or fail under the claim's lease.

use super::outbound::deliver_outbound;
use super::processing::{all_messages, process_inbound};
use super::{Deps, UseCaseError};
use crate::ids::{ConversationId, JobId, LeadId, MessageId, TenantId};
use crate::jobs::Notice;
use crate::jobs::{Job, JobPayload, JobStatus, RetryDecision};
use crate::lead::DeliveryStatus;
use crate::ports::{HandoffPacket, Notification, Page, StoreError};

/// What running a job did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobRun {
    /// Kept in the job's `last_error` so degraded runs stay visible.
    pub note: Option<String>,
    /// The job was completed in the transaction of its own effects (processing does so).
    pub completed: bool,
}

/// Runs one claimed job to the end. Processing completes the job in the transaction that stores
/// its decision, under the job's lease; other jobs are completed by the caller.
///
/// # Errors
/// [`UseCaseError`]; [`UseCaseError::is_retryable`] tells the worker whether to retry.
pub async fn run_job(deps: &Deps, job: &Job) -> Result<JobRun, UseCaseError> {
    match &job.payload {
        JobPayload::ProcessInbound {
            lead_id,
            conversation_id,
            message_id,
        } => {
            let outcome = process_inbound(
                deps,
                Some(job.lease()),
                job.tenant_id,
                *lead_id,
                *conversation_id,
                *message_id,
            )
            .await?;
            Ok(JobRun {
                note: outcome
                    .degraded
                    .or(outcome.silent_because.map(str::to_owned)),
                completed: true,
            })
        }
        JobPayload::SendOutbound {
            conversation_id,
            message_id,
        } => Ok(JobRun {
            note: deliver_outbound(deps, job.tenant_id, *conversation_id, *message_id).await?,
            completed: false,
        }),
        JobPayload::Notify {
            lead_id,
            conversation_id,
            cause,
            notice,
        } => {
            deliver_notice(
                deps,
                job.tenant_id,
                *lead_id,
                *conversation_id,
                *cause,
                notice,
            )
            .await?;
            Ok(JobRun::default())
        }
        JobPayload::DispatchEvent { event, .. } => {
            let queued = super::events::dispatch_event(deps, event).await?;
            Ok(JobRun {
                note: (queued == 0).then(|| "nobody listens to this event now".to_owned()),
                completed: false,
            })
        }
        JobPayload::DeliverWebhook { delivery_id, .. } => Ok(JobRun {
            note: super::events::deliver_webhook(deps, job, delivery_id).await?,
            completed: false,
        }),
        JobPayload::PageTeam { event, channel, to } => {
            super::events::page_team(deps, event, *channel, to).await?;
            Ok(JobRun::default())
        }
        JobPayload::BookMeeting {
            lead_id,
            conversation_id,
        } => Ok(JobRun {
            note: super::booking::run_booking_job(deps, job.tenant_id, *lead_id, *conversation_id)
                .await?,
            completed: false,
        }),
        JobPayload::CrmSync { lead_id } => Ok(JobRun {
            note: super::crm::run_crm_sync(deps, job.tenant_id, *lead_id).await?,
            completed: false,
        }),
    }
}

/// Tells the team what processing an inbound message decided, with the handoff packet of the
/// conversation as it stood at that message.
///
/// # Errors
/// [`UseCaseError::NotFound`] when the records are gone; storage and notifier failures (retried).
pub async fn deliver_notice(
    deps: &Deps,
    tenant_id: TenantId,
    lead_id: LeadId,
    conversation_id: ConversationId,
    cause: MessageId,
    notice: &Notice,
) -> Result<(), UseCaseError> {
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
    let upto = messages
        .iter()
        .position(|m| m.id == cause)
        .map_or(messages.len(), |i| i + 1);
    let packet = Box::new(HandoffPacket::of(&lead, &conversation, &messages[..upto]));
    let notification = match notice {
        Notice::Escalated { reasons } => Notification::Escalated {
            lead_id,
            conversation_id,
            reasons: reasons.clone(),
            packet,
        },
        Notice::HotLead { summary } => Notification::HotLead {
            lead_id,
            conversation_id,
            summary: summary.clone(),
            packet,
        },
    };
    deps.notifier.notify(&tenant, &notification).await?;
    Ok(())
}

/// Runs one claimed job and records its end under the job's lease: done, retried within its
/// time budget, or dead. A job whose lease was lost records nothing: the worker holding it now
/// does. Returns the error the job failed with, if it did.
///
/// # Errors
/// Only when recording the result fails; the job then runs again when its lease ends.
pub async fn execute_job(deps: &Deps, job: &Job) -> Result<Option<UseCaseError>, StoreError> {
    let lease = job.lease();
    let err = match run_job(deps, job).await {
        Ok(JobRun {
            completed: true, ..
        }) => return Ok(None),
        Ok(JobRun { note, .. }) => {
            return match deps.jobs.complete(lease, deps.clock.now(), note).await {
                // Another worker holds the job now; what it records stands.
                Ok(()) | Err(StoreError::Stale(_)) => Ok(None),
                Err(e) => Err(e),
            };
        }
        Err(UseCaseError::LeaseLost) => return Ok(Some(UseCaseError::LeaseLost)),
        Err(err) => err,
    };
    let now = deps.clock.now();
    let decision = deps.retry.decide_for(
        job,
        &deps.budgets,
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
        super::booking::booking_gave_up(deps, job.tenant_id, *lead_id, *conversation_id).await?;
    }
    match deps.jobs.fail(lease, &err.to_string(), decision, now).await {
        Ok(()) | Err(StoreError::Stale(_)) => Ok(Some(err)),
        Err(e) => Err(e),
    }
}

/// Claims due jobs and runs them one after another; failures are recorded with a retry decision.
/// Returns how many jobs were claimed, so a worker loop can sleep when there was nothing to do.
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
        execute_job(deps, job).await?;
    }
    Ok(jobs.len())
}

/// Which dead jobs an operator re-drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redrive {
    /// One job by id.
    One(JobId),
    /// Every dead job.
    AllDead,
}

/// Puts dead jobs back in the queue with a fresh attempt count and time budget, after the outage
/// that killed them is over. Returns how many were re-queued.
///
/// # Errors
/// [`UseCaseError::NotFound`] for a single job that does not exist or is not dead; storage errors.
pub async fn redrive_dead(deps: &Deps, which: Redrive) -> Result<u64, UseCaseError> {
    let now = deps.clock.now();
    match which {
        Redrive::One(id) => {
            if deps.jobs.retry_dead(id, now).await? {
                Ok(1)
            } else {
                Err(UseCaseError::NotFound("dead job"))
            }
        }
        Redrive::AllDead => {
            let mut count = 0;
            loop {
                let page = Page {
                    limit: 200,
                    offset: 0,
                };
                let dead = deps.jobs.list_jobs(JobStatus::Dead, page).await?;
                let mut moved = 0;
                for job in &dead.items {
                    if deps.jobs.retry_dead(job.id, now).await? {
                        moved += 1;
                    }
                }
                count += moved;
                // Jobs that died again meanwhile wait for the next re-drive rather than loop here.
                if dead.items.len() < 200 || moved == 0 {
                    return Ok(count);
                }
            }
        }
    }
}
