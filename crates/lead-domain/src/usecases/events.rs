//! Events from a change to the people and tools told of it: raising an event outside a processing
//! decision, fanning a stored event out, posting a signed webhook with retries, paging a person,
//! and the deliveries' listing and re-send.

use super::processing::all_messages;
use super::{Deps, UseCaseError};
use crate::contact::{Address, Email, PhoneNumber};
use crate::events::{
    AttemptOutcome, DeliveryAttempt, DeliveryFilter, DeliveryStatus, DomainEvent, EventData,
    EventDeps, EventType, PageChannel, SignedWebhook, TeamMessage, WebhookAnswer, WebhookDelivery,
};
use crate::ids::{JobId, TenantId};
use crate::jobs::{Job, JobPayload, RetryDecision};
use crate::notifications::{PageSubject, render_page};
use crate::ports::{HandoffPacket, SendError, StoreError};
use crate::tenant::Tenant;
use chrono::{DateTime, Utc};

/// Raises an event outside a processing decision (a person's change, a send's result), after the
/// change was stored; unique by `cause`. Nothing is queued when nobody listens to `kind`.
///
/// # Errors
/// Storage failures.
pub async fn raise_event(
    deps: &Deps,
    tenant: &Tenant,
    kind: EventType,
    cause: &str,
    data: EventData,
) -> Result<(), StoreError> {
    let Some(events) = &deps.events else {
        return Ok(());
    };
    match event_job(deps, tenant, kind, cause, data) {
        Some(job) => events.store.queue_once(&[job]).await,
        None => Ok(()),
    }
}

/// The job carrying an event, to store in the same commit as the change it describes; `None`
/// when nobody listens to `kind` (or events are off). Unique by `cause`.
pub fn event_job(
    deps: &Deps,
    tenant: &Tenant,
    kind: EventType,
    cause: &str,
    data: EventData,
) -> Option<crate::jobs::NewJob> {
    deps.events.as_ref()?;
    if !tenant.settings.notifications.listens_to(kind) {
        return None;
    }
    let event = DomainEvent::new(deps.ids.new_uuid(), kind, tenant.id, deps.clock.now(), data);
    Some(event.into_job(cause, JobId::from_uuid(deps.ids.new_uuid())))
}

fn events_of(deps: &Deps) -> Result<&EventDeps, UseCaseError> {
    deps.events
        .as_ref()
        .ok_or(UseCaseError::Invalid("event delivery is not configured"))
}

async fn tenant_of(deps: &Deps, id: TenantId) -> Result<Tenant, UseCaseError> {
    deps.tenants
        .get_tenant(id)
        .await?
        .ok_or(UseCaseError::NotFound("tenant"))
}

/// Fans a stored event out: one delivery (with its job) per endpoint subscribed now, one page job
/// per person when the event pages people; all in one transaction, each once per destination.
///
/// # Errors
/// Storage failures (retried).
pub async fn dispatch_event(deps: &Deps, event: &DomainEvent) -> Result<usize, UseCaseError> {
    let events = events_of(deps)?;
    let tenant = tenant_of(deps, event.client_id).await?;
    let settings = &tenant.settings.notifications;
    let now = deps.clock.now();
    let mut deliveries = Vec::new();
    let mut jobs = Vec::new();
    for endpoint in settings
        .webhooks
        .iter()
        .filter(|w| w.subscribes(event.kind))
    {
        let delivery = WebhookDelivery {
            id: format!("whd_{}", deps.ids.new_uuid().simple()),
            tenant_id: tenant.id,
            event_id: event.id.clone(),
            event_type: event.kind,
            endpoint_id: endpoint.id.clone(),
            url: endpoint.url.clone(),
            event: event.clone(),
            status: DeliveryStatus::Pending,
            attempts: Vec::new(),
            next_attempt_at: Some(now),
            created_at: now,
            updated_at: now,
        };
        jobs.push(
            JobPayload::DeliverWebhook {
                delivery_id: delivery.id.clone(),
                round: 0,
            }
            .job(JobId::from_uuid(deps.ids.new_uuid()), tenant.id, now),
        );
        deliveries.push(delivery);
    }
    if settings.pages_for(event.kind) {
        for (channel, to) in settings.contacts() {
            jobs.push(
                JobPayload::PageTeam {
                    event: Box::new(event.clone()),
                    channel,
                    to,
                }
                .job(JobId::from_uuid(deps.ids.new_uuid()), tenant.id, now),
            );
        }
    }
    let count = jobs.len();
    if count > 0 {
        events.store.fan_out(&deliveries, &jobs).await?;
    }
    Ok(count)
}

/// How long to wait before the next attempt of a webhook: doubling from the queue's base wait up
/// to an hour, with up to a fifth either way of jitter so receivers that failed together are not
/// retried together; a longer `Retry-After` wins.
pub fn webhook_backoff(
    base: chrono::Duration,
    attempt: u32,
    jitter_seed: u64,
    retry_after: Option<std::time::Duration>,
) -> chrono::Duration {
    let cap = chrono::Duration::hours(1);
    let exp = attempt.saturating_sub(1).min(20);
    let backoff = base.checked_mul(1 << exp).unwrap_or(cap).min(cap);
    // A factor in [0.8, 1.2) from the seed.
    let permille = 800 + i64::try_from(jitter_seed % 400).unwrap_or(0);
    let jittered = backoff.num_milliseconds().saturating_mul(permille) / 1000;
    let wait = chrono::Duration::milliseconds(jittered.max(1));
    match retry_after.and_then(|r| chrono::Duration::from_std(r).ok()) {
        Some(r) if r > wait => r,
        _ => wait,
    }
}

/// Posts one webhook delivery and records the attempt: 2xx delivered; 410 disables the endpoint;
/// 429, 5xx, a timeout or a refused connection retried with backoff for the job's time budget;
/// other answers fail for good (a person may re-send). Returns a note for the job.
///
/// # Errors
/// A retryable error while the delivery should be tried again; storage failures.
pub async fn deliver_webhook(
    deps: &Deps,
    job: &Job,
    delivery_id: &str,
) -> Result<Option<String>, UseCaseError> {
    let events = events_of(deps)?;
    let tenant = tenant_of(deps, job.tenant_id).await?;
    let delivery = events
        .store
        .get_delivery(tenant.id, delivery_id)
        .await?
        .ok_or(UseCaseError::NotFound("webhook delivery"))?;
    if delivery.status == DeliveryStatus::Delivered {
        return Ok(Some("already delivered".to_owned()));
    }
    let now = deps.clock.now();
    let endpoint = tenant
        .settings
        .notifications
        .webhooks
        .iter()
        .find(|w| w.id == delivery.endpoint_id);
    let Some(endpoint) = endpoint.filter(|w| !w.disabled) else {
        let why = "the endpoint was removed or disabled";
        record(
            events,
            &delivery,
            now,
            None,
            Some(why),
            0,
            DeliveryStatus::Failed,
            None,
        )
        .await?;
        return Ok(Some(why.to_owned()));
    };
    let webhook = SignedWebhook {
        url: endpoint.url.clone(),
        message_id: delivery.event_id.clone(),
        timestamp: now.timestamp(),
        event: delivery.event.clone(),
        secret: endpoint.secret.clone(),
    };
    let answer = events.webhooks.post(&webhook).await;
    let took = u64::try_from((deps.clock.now() - now).num_milliseconds()).unwrap_or(0);
    let (code, retry_after, error) = match &answer {
        WebhookAnswer::Status { code, retry_after } => (Some(*code), *retry_after, None),
        WebhookAnswer::Timeout => (None, None, Some("timed out".to_owned())),
        WebhookAnswer::Unreachable(e) => (None, None, Some(format!("unreachable: {e}"))),
    };
    match code {
        Some(c) if (200..300).contains(&c) => {
            record(
                events,
                &delivery,
                now,
                code,
                None,
                took,
                DeliveryStatus::Delivered,
                None,
            )
            .await?;
            Ok(None)
        }
        Some(410) => {
            let why = "the receiver answered 410 Gone: endpoint disabled";
            record(
                events,
                &delivery,
                now,
                code,
                Some(why),
                took,
                DeliveryStatus::Failed,
                None,
            )
            .await?;
            disable_endpoint(deps, tenant.id, &delivery.endpoint_id, now).await?;
            Ok(Some(why.to_owned()))
        }
        Some(c) if c != 429 && c < 500 => {
            let why = format!("the receiver answered {c}");
            record(
                events,
                &delivery,
                now,
                code,
                Some(&why),
                took,
                DeliveryStatus::Failed,
                None,
            )
            .await?;
            Ok(Some(why))
        }
        _ => {
            let why =
                error.unwrap_or_else(|| format!("the receiver answered {}", code.unwrap_or(0)));
            let seed = deps.ids.new_uuid().as_u128() as u64;
            let wait = webhook_backoff(deps.retry.base, job.attempts, seed, retry_after);
            let next = deps
                .retry
                .decide_for(job, &deps.budgets, true, Some(wait), now);
            match next {
                RetryDecision::RetryAt(at) => {
                    record(
                        events,
                        &delivery,
                        now,
                        code,
                        Some(&why),
                        took,
                        DeliveryStatus::Retrying,
                        Some(at),
                    )
                    .await?;
                    Err(UseCaseError::Send(SendError::Retryable {
                        message: why,
                        retry_after: wait.to_std().ok(),
                    }))
                }
                RetryDecision::GiveUp => {
                    let why = format!("{why}; gave up after {} attempts", job.attempts);
                    record(
                        events,
                        &delivery,
                        now,
                        code,
                        Some(&why),
                        took,
                        DeliveryStatus::Failed,
                        None,
                    )
                    .await?;
                    Ok(Some(why))
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn record(
    events: &EventDeps,
    delivery: &WebhookDelivery,
    at: DateTime<Utc>,
    status_code: Option<u16>,
    error: Option<&str>,
    duration_ms: u64,
    status: DeliveryStatus,
    next_attempt_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    events
        .store
        .record_attempt(
            delivery.tenant_id,
            &delivery.id,
            &AttemptOutcome {
                attempt: DeliveryAttempt {
                    at,
                    status_code,
                    error: error.map(str::to_owned),
                    duration_ms,
                },
                status,
                next_attempt_at,
            },
        )
        .await
}

async fn disable_endpoint(
    deps: &Deps,
    tenant_id: TenantId,
    endpoint_id: &str,
    now: DateTime<Utc>,
) -> Result<(), UseCaseError> {
    // Read again just before writing, so a concurrent settings change is not undone.
    let mut tenant = tenant_of(deps, tenant_id).await?;
    let mut changed = false;
    for w in &mut tenant.settings.notifications.webhooks {
        if w.id == endpoint_id && !w.disabled {
            w.disabled = true;
            changed = true;
        }
    }
    if changed {
        tenant.updated_at = now;
        deps.tenants.update_tenant(&tenant).await?;
    }
    Ok(())
}

/// Pages one person about an event with the handoff packet in the team's language.
///
/// # Errors
/// [`UseCaseError::Send`] (retried when the provider may recover); storage failures.
pub async fn page_team(
    deps: &Deps,
    event: &DomainEvent,
    channel: PageChannel,
    to: &str,
) -> Result<(), UseCaseError> {
    let events = events_of(deps)?;
    let tenant = tenant_of(deps, event.client_id).await?;
    let language = tenant.settings.notifications.language;
    let base = events
        .public_base_url
        .as_deref()
        .unwrap_or("")
        .trim_end_matches('/');
    let why = event.data.reasons.clone();
    let subject = PageSubject {
        kind: event.kind,
        why,
    };
    let rendered = match (event.lead_id(), event.data.conversation_id) {
        (Some(lead_id), conversation_id) => {
            let lead = deps
                .leads
                .get_lead(tenant.id, lead_id)
                .await?
                .ok_or(UseCaseError::NotFound("lead"))?;
            let conversation = match conversation_id {
                Some(id) => deps.leads.get_conversation(tenant.id, id).await?,
                None => None,
            };
            let (conversation, messages) = match conversation {
                Some(c) => {
                    let messages = all_messages(deps, tenant.id, c.id).await?;
                    (c, messages)
                }
                None => {
                    let mut all = deps.leads.lead_conversations(tenant.id, lead.id).await?;
                    let c = all.pop().ok_or(UseCaseError::NotFound("conversation"))?;
                    let messages = all_messages(deps, tenant.id, c.id).await?;
                    (c, messages)
                }
            };
            let packet = HandoffPacket::of(&lead, &conversation, &messages);
            let link = format!("{base}/app/leads/{lead_id}");
            render_page(&subject, &packet, language, &link)
        }
        (None, _) => {
            let facts = match event.kind {
                EventType::BudgetAlert => match (event.data.spent_usd, event.data.budget_usd) {
                    (Some(spent), Some(budget)) => format!(
                        "{spent:.2} / {budget:.2} USD ({})",
                        event.data.month.clone().unwrap_or_default()
                    ),
                    _ => String::new(),
                },
                _ => {
                    let mut parts: Vec<String> = event.data.integration.iter().cloned().collect();
                    parts.extend(event.data.reasons.iter().cloned());
                    parts.join(": ")
                }
            };
            let link = match event.kind {
                EventType::CrmDisconnected => format!("{base}/app/settings"),
                _ => format!("{base}/app/usage"),
            };
            crate::notifications::render_alert(event.kind, &facts, language, &link)
        }
    };
    let address = match channel {
        PageChannel::Email => Email::parse(to).map(Address::Email),
        PageChannel::Sms | PageChannel::Whatsapp => PhoneNumber::parse(to).map(Address::Phone),
    }
    .map_err(|_| UseCaseError::Invalid("a notification contact is not valid"))?;
    let message = TeamMessage {
        channel,
        to: address,
        subject: rendered.subject,
        text: match channel {
            PageChannel::Sms => rendered.sms,
            PageChannel::Email | PageChannel::Whatsapp => rendered.text,
        },
        html: (channel == PageChannel::Email).then_some(rendered.html),
    };
    events.team.send_page(&tenant, &message).await?;
    Ok(())
}

/// The tenant's webhook deliveries, newest first.
///
/// # Errors
/// Storage failures; [`UseCaseError::Invalid`] when event delivery is not configured.
pub async fn list_deliveries(
    deps: &Deps,
    tenant: &Tenant,
    filter: &DeliveryFilter,
) -> Result<Vec<WebhookDelivery>, UseCaseError> {
    Ok(events_of(deps)?
        .store
        .list_deliveries(tenant.id, filter)
        .await?)
}

/// Sends a delivery again now, whatever its state (a person's re-send after fixing a receiver).
///
/// # Errors
/// [`UseCaseError::NotFound`] for another tenant's or an unknown delivery; storage failures.
pub async fn retry_delivery(
    deps: &Deps,
    tenant: &Tenant,
    id: &str,
) -> Result<WebhookDelivery, UseCaseError> {
    let events = events_of(deps)?;
    let delivery = events
        .store
        .get_delivery(tenant.id, id)
        .await?
        .ok_or(UseCaseError::NotFound("webhook delivery"))?;
    let now = deps.clock.now();
    let round = u32::try_from(delivery.attempts.len()).unwrap_or(u32::MAX);
    let job = JobPayload::DeliverWebhook {
        delivery_id: delivery.id.clone(),
        round: round.saturating_add(1),
    }
    .job(JobId::from_uuid(deps.ids.new_uuid()), tenant.id, now);
    events
        .store
        .requeue_delivery(tenant.id, id, &job, now)
        .await?;
    events
        .store
        .get_delivery(tenant.id, id)
        .await?
        .ok_or(UseCaseError::NotFound("webhook delivery"))
}

#[cfg(test)]
mod tests {
    use super::webhook_backoff;
    use chrono::Duration;

    #[test]
    fn backoff_doubles_with_jitter_caps_at_an_hour_and_honours_retry_after() {
        let base = Duration::seconds(2);
        let ms = |attempt, seed| webhook_backoff(base, attempt, seed, None).num_milliseconds();
        assert_eq!(ms(1, 200), 2_000);
        assert_eq!(ms(1, 0), 1_600);
        assert_eq!(ms(1, 399), 2_398);
        assert_eq!(ms(3, 200), 8_000);
        assert_eq!(ms(30, 200), 3_600_000);
        assert_ne!(
            ms(4, 17),
            ms(4, 290),
            "jitter spreads receivers that failed together"
        );
        let asked = webhook_backoff(base, 1, 200, Some(std::time::Duration::from_secs(120)));
        assert_eq!(asked, Duration::seconds(120));
    }
}
