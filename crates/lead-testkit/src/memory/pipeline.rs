//! The `DecisionStore` port in memory: a decision applied under the store's one lock, with the
//! same fencing, version check and effect keys as the database adapter.

use super::{InMemoryStore, State, complete_held, push_job};
use async_trait::async_trait;
use lead_domain::contact::Address;
use lead_domain::jobs::JobPayload;
use lead_domain::lead::{Lead, Message};
use lead_domain::pipeline::{CommitError, Completion, Decision, DecisionStore, ProcessingContext};
use lead_domain::ports::{LeadRepository, OptOutRegistry, StoreError};

/// Checks everything a commit may fail on before anything changes, so a failed commit changes nothing.
fn check(
    s: &State,
    decision: &Decision,
    completion: Option<&Completion>,
) -> Result<(), CommitError> {
    if let Some(c) = completion {
        let holds = s.jobs.iter().any(|(j, _)| {
            j.id == c.lease.id
                && j.status == lead_domain::jobs::JobStatus::Running
                && j.lease_token == c.lease.token
        });
        if !holds {
            return Err(CommitError::LeaseLost(c.lease.id));
        }
    }
    let lead = &decision.lead;
    match s.leads.get(&lead.id) {
        Some(stored) if stored.tenant_id == lead.tenant_id && stored.version == lead.version => {
            Ok(())
        }
        _ => Err(CommitError::LeadChanged(lead.id)),
    }
}

fn apply(s: &mut State, decision: &Decision, completion: Option<Completion>) {
    if let Some(c) = completion {
        complete_held(s, c.lease, c.at, c.note);
    }
    let mut lead = decision.lead.clone();
    lead.version += 1;
    s.leads.insert(lead.id, lead);
    s.history
        .entry(decision.lead.id)
        .or_default()
        .extend_from_slice(&decision.changes);
    let c = &decision.conversation;
    if let Some(stored) = s.conversations.get_mut(&c.id) {
        stored.language = c.language;
        stored.updated_at = c.updated_at;
        // A decision hands a conversation over but never takes it back from a person.
        stored.escalated |= c.escalated;
    }
    for keyed in &decision.escalations {
        if s.effect_keys.insert(format!("escalation:{}", keyed.key)) {
            s.escalations.push(keyed.escalation.clone());
        }
    }
    let mut skipped_reply = None;
    if let Some(reply) = &decision.reply {
        if s.effect_keys.insert(format!("reply:{}", reply.cause)) {
            let m = &reply.message;
            s.messages.push(Message {
                id: m.id,
                tenant_id: m.tenant_id,
                conversation_id: m.conversation_id,
                direction: m.direction,
                sender: m.sender,
                channel: m.channel,
                body: m.body.clone(),
                language: m.language,
                provider_message_id: None,
                delivery: m.delivery,
                delivery_error: None,
                created_at: m.created_at,
            });
        } else {
            skipped_reply = Some(reply.message.id);
        }
    }
    for job in &decision.jobs {
        if let JobPayload::SendOutbound { message_id, .. } = &job.payload
            && Some(*message_id) == skipped_reply
        {
            continue;
        }
        let fresh = job
            .payload
            .effect_key()
            .is_none_or(|key| s.effect_keys.insert(format!("job:{key}")));
        if fresh {
            push_job(s, job);
        }
    }
}

#[async_trait]
impl DecisionStore for InMemoryStore {
    async fn commit_decision(
        &self,
        decision: &Decision,
        completion: Option<Completion>,
    ) -> Result<(), CommitError> {
        let mut s = self.state();
        check(&s, decision, completion.as_ref())?;
        apply(&mut s, decision, completion);
        Ok(())
    }

    async fn processing_context(
        &self,
        lead: &Lead,
        reply_to: Option<Address>,
    ) -> Result<ProcessingContext, StoreError> {
        let opted_out = match reply_to {
            Some(address) => self.is_opted_out(lead.tenant_id, &address).await?,
            None => false,
        };
        let claims = lead.claimed_phone.is_some() || lead.claimed_email.is_some();
        let possible_duplicate_of = if lead.possible_duplicate_of.is_none() && claims {
            self.lead_with_contact(
                lead.tenant_id,
                lead.claimed_phone.clone(),
                lead.claimed_email.clone(),
                lead.id,
            )
            .await?
        } else {
            lead.possible_duplicate_of
        };
        Ok(ProcessingContext {
            opted_out,
            possible_duplicate_of,
        })
    }
}
