//! The processing pipeline's commit: the `DecisionStore` port.
//!
//! One write transaction stores a whole decision and completes the job that made it. The job's
//! completion comes first and is fenced by its lease token, so a worker whose lease ran out stores
//! nothing (and, on PostgreSQL, the row lock it takes orders competing workers of the same job).
//! The lead is saved only at the version the decision was made from. Escalations, the reply and
//! jobs are inserted with `ON CONFLICT DO NOTHING` on their effect keys, so a decision applied
//! again stores nothing twice; a send job whose reply was already stored is skipped with it.

use async_trait::async_trait;
use lead_domain::contact::Address;
use lead_domain::jobs::JobPayload;
use lead_domain::lead::Lead;
use lead_domain::pipeline::{CommitError, Completion, Decision, DecisionStore, ProcessingContext};
use lead_domain::ports::{LeadRepository, OptOutRegistry, StoreError};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::codec::ts;
use crate::entity::{conversations, escalations, messages};
use crate::error::Context;
use crate::escalations::escalation_row;
use crate::jobs::{complete_on, insert_job_once};
use crate::leads::{message_row, update_lead_on};
use crate::{SeaOrmStore, WriteTxn};

impl SeaOrmStore {
    /// The writes of a decision on an open transaction; the caller commits or rolls back.
    async fn apply_decision(
        &self,
        txn: &WriteTxn,
        decision: &Decision,
        completion: Option<Completion>,
    ) -> Result<(), CommitError> {
        if let Some(c) = completion
            && !complete_on(txn, c.lease, c.at, c.note).await?
        {
            return Err(CommitError::LeaseLost(c.lease.id));
        }
        match update_lead_on(txn, &decision.lead, &decision.changes).await {
            Ok(_) => {}
            Err(StoreError::Stale(_)) => return Err(CommitError::LeadChanged(decision.lead.id)),
            Err(e) => return Err(e.into()),
        }
        let c = &decision.conversation;
        let mut update = conversations::Entity::update_many()
            .col_expr(
                conversations::Column::Language,
                Expr::value(c.language.map(|l| l.code().to_owned())),
            )
            .col_expr(
                conversations::Column::UpdatedAt,
                Expr::value(ts(c.updated_at)),
            );
        // A decision hands a conversation over but never takes it back from a person.
        if c.escalated {
            update = update.col_expr(conversations::Column::Escalated, Expr::value(true));
        }
        update
            .filter(conversations::Column::Id.eq(c.id.as_uuid()))
            .filter(conversations::Column::TenantId.eq(c.tenant_id.as_uuid()))
            .exec(txn)
            .await
            .context("updating a processed conversation")?;
        for keyed in &decision.escalations {
            let mut row = escalation_row(&keyed.escalation)?;
            row.cause_key = Set(Some(keyed.key.clone()));
            escalations::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(escalations::Column::CauseKey)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(txn)
                .await
                .context("recording an escalation once")?;
        }
        let mut skipped_reply = None;
        if let Some(reply) = &decision.reply {
            let mut row = message_row(&reply.message)?;
            row.reply_cause = Set(Some(reply.cause.as_uuid()));
            let stored = messages::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(messages::Column::ReplyCause)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(txn)
                .await
                .context("storing a reply once")?;
            if stored == 0 {
                skipped_reply = Some(reply.message.id);
            }
        }
        for job in &decision.jobs {
            if let (Some(skipped), JobPayload::SendOutbound { message_id, .. }) =
                (skipped_reply, &job.payload)
                && *message_id == skipped
            {
                continue;
            }
            insert_job_once(txn, job).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl DecisionStore for SeaOrmStore {
    async fn commit_decision(
        &self,
        decision: &Decision,
        completion: Option<Completion>,
    ) -> Result<(), CommitError> {
        let txn = self
            .begin_write()
            .await
            .context("starting a decision commit")?;
        match self.apply_decision(&txn, decision, completion).await {
            Ok(()) => {
                txn.commit().await.context("committing a decision")?;
                Ok(())
            }
            Err(e) => {
                // The transaction is abandoned either way; a failed rollback changes nothing stored.
                let _ = txn.rollback().await;
                Err(e)
            }
        }
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
