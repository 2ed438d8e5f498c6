//! Leads, conversations and messages: the `LeadRepository` port (the intake itself lives in `intake`).

use async_trait::async_trait;
use lead_domain::contact::{Email, PhoneNumber};
use lead_domain::ids::{ConversationId, LeadId, MessageId, TenantId};
use lead_domain::jobs::NewJob;
use lead_domain::language::Language;
use lead_domain::lead::{Channel, Conversation, DeliveryStatus, Lead, Message};
use lead_domain::lifecycle::{LeadState, StateChange};
use lead_domain::ports::{
    InboundIntake, IntakeReceipt, LeadFilter, LeadRepository, NewMessage, Page, PageOf, StoreError,
};
use lead_domain::scoring::Score;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::SeaOrmStore;
use crate::codec::{from_json, name_of, page_bounds, parse_name, to_json, to_u32, ts};
use crate::entity::{conversations, lead_state_history, leads, messages};
use crate::error::{Context, corrupt};
use crate::jobs::insert_job;

/// The queryable copies of a lead's qualification, kept in their own columns.
pub(crate) struct QualificationColumns {
    pub(crate) budget_min: Option<f64>,
    pub(crate) budget_max: Option<f64>,
    pub(crate) currency: Option<String>,
    pub(crate) service: Option<String>,
    pub(crate) language: Option<String>,
}

pub(crate) fn qualification_columns(lead: &Lead) -> QualificationColumns {
    let q = &lead.qualification;
    let budget = q.budget.as_ref().map(|f| &f.value);
    QualificationColumns {
        budget_min: budget.and_then(|b| b.min),
        budget_max: budget.and_then(|b| b.max),
        currency: budget.map(|b| b.currency.as_str().to_owned()),
        service: q.service.as_ref().map(|f| f.value.clone()),
        language: q.language.map(|l| l.code().to_owned()),
    }
}

pub(crate) fn parse_channel(name: &str) -> Result<Channel, StoreError> {
    Channel::parse(name).ok_or_else(|| corrupt("channel", name))
}

fn parse_language(code: Option<String>) -> Result<Option<Language>, StoreError> {
    code.map(|c| Language::from_code(&c).ok_or_else(|| corrupt("language", c)))
        .transpose()
}

pub(crate) fn lead_from_row(row: leads::Model) -> Result<Lead, StoreError> {
    Ok(Lead {
        id: LeadId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        name: row.name,
        phone: row
            .phone
            .map(|p| PhoneNumber::parse(&p).map_err(|e| corrupt("lead phone", e)))
            .transpose()?,
        email: row
            .email
            .map(|e| Email::parse(&e).map_err(|err| corrupt("lead email", err)))
            .transpose()?,
        source: parse_channel(&row.source_channel)?,
        source_detail: row.source_detail,
        state: LeadState::parse(&row.state).ok_or_else(|| corrupt("lead state", &row.state))?,
        qualification: from_json("qualification", row.qualification)?,
        score: from_json("score card", row.score_card)?,
        score_override: row.score_override,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        claimed_phone: row
            .claimed_phone
            .map(|p| PhoneNumber::parse(&p).map_err(|e| corrupt("claimed phone", e)))
            .transpose()?,
        claimed_email: row
            .claimed_email
            .map(|e| Email::parse(&e).map_err(|err| corrupt("claimed email", err)))
            .transpose()?,
        possible_duplicate_of: row.possible_duplicate_of.map(LeadId::from_uuid),
        undeliverable: row.undeliverable,
    })
}

pub(crate) fn conversation_from_row(row: conversations::Model) -> Result<Conversation, StoreError> {
    Ok(Conversation {
        id: ConversationId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        lead_id: LeadId::from_uuid(row.lead_id),
        channel: parse_channel(&row.channel)?,
        status: parse_name("conversation status", &row.status)?,
        escalated: row.escalated,
        exchanges: to_u32("exchanges", i64::from(row.exchanges))?,
        language: parse_language(row.language)?,
        reply_to: row
            .reply_to
            .map(|r| from_json("reply address", r))
            .transpose()?,
        last_inbound_at: row.last_inbound_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn message_from_row(row: messages::Model) -> Result<Message, StoreError> {
    Ok(Message {
        id: MessageId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        conversation_id: ConversationId::from_uuid(row.conversation_id),
        direction: parse_name("message direction", &row.direction)?,
        sender: parse_name("message sender", &row.sender)?,
        channel: parse_channel(&row.channel)?,
        body: row.body,
        language: parse_language(row.language)?,
        provider_message_id: row.provider_message_id,
        delivery: parse_name("delivery status", &row.delivery_status)?,
        delivery_error: row.delivery_error,
        created_at: row.created_at,
    })
}

pub(crate) fn message_row(message: &NewMessage) -> Result<messages::ActiveModel, StoreError> {
    Ok(messages::ActiveModel {
        id: Set(message.id.as_uuid()),
        tenant_id: Set(message.tenant_id.as_uuid()),
        conversation_id: Set(message.conversation_id.as_uuid()),
        direction: Set(name_of(&message.direction)?),
        sender: Set(name_of(&message.sender)?),
        channel: Set(message.channel.as_str().to_owned()),
        body: Set(message.body.clone()),
        language: Set(message.language.map(|l| l.code().to_owned())),
        provider_message_id: Set(None),
        delivery_status: Set(message.delivery.as_str().to_owned()),
        delivery_error: Set(None),
        created_at: Set(ts(message.created_at)),
        ..Default::default()
    })
}

fn history_row(
    lead: &Lead,
    change: &StateChange,
) -> Result<lead_state_history::ActiveModel, StoreError> {
    Ok(lead_state_history::ActiveModel {
        id: Set(crate::codec::row_id()),
        tenant_id: Set(lead.tenant_id.as_uuid()),
        lead_id: Set(lead.id.as_uuid()),
        from_state: Set(change.from.as_str().to_owned()),
        to_state: Set(change.to.as_str().to_owned()),
        event: Set(name_of(&change.event)?),
        reason: Set(change.reason.clone()),
        created_at: Set(ts(change.at)),
    })
}

/// A conversation of a tenant, read inside or outside a transaction.
pub(crate) async fn find_conversation<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    id: ConversationId,
) -> Result<Option<conversations::Model>, StoreError> {
    conversations::Entity::find_by_id(id.as_uuid())
        .filter(conversations::Column::TenantId.eq(tenant.as_uuid()))
        .one(db)
        .await
        .context("loading a conversation")
}

/// Saves a lead if `lead.version` is still the stored one, appending its history, on a transaction
/// the caller commits; returns the lead with its new version.
pub(crate) async fn update_lead_on<C: ConnectionTrait>(
    txn: &C,
    lead: &Lead,
    changes: &[StateChange],
) -> Result<Lead, StoreError> {
    let cols = qualification_columns(lead);
    let qualification = to_json("qualification", &lead.qualification)?;
    let score_card = to_json("score card", &lead.score)?;
    let points = i32::try_from(lead.score.points).unwrap_or(i32::MAX);
    let updated = leads::Entity::update_many()
        .col_expr(leads::Column::Name, Expr::value(lead.name.clone()))
        .col_expr(
            leads::Column::Phone,
            Expr::value(lead.phone.as_ref().map(|p| p.as_str().to_owned())),
        )
        .col_expr(
            leads::Column::Email,
            Expr::value(lead.email.as_ref().map(|e| e.as_str().to_owned())),
        )
        .col_expr(leads::Column::State, Expr::value(lead.state.as_str()))
        .col_expr(leads::Column::Score, Expr::value(lead.score.score.as_str()))
        .col_expr(leads::Column::ScorePoints, Expr::value(points))
        .col_expr(leads::Column::ScoreCard, Expr::value(score_card))
        .col_expr(
            leads::Column::ScoreOverride,
            Expr::value(lead.score_override.clone()),
        )
        .col_expr(leads::Column::BudgetMin, Expr::value(cols.budget_min))
        .col_expr(leads::Column::BudgetMax, Expr::value(cols.budget_max))
        .col_expr(leads::Column::Currency, Expr::value(cols.currency))
        .col_expr(leads::Column::Service, Expr::value(cols.service))
        .col_expr(leads::Column::Language, Expr::value(cols.language))
        .col_expr(leads::Column::Qualification, Expr::value(qualification))
        .col_expr(
            leads::Column::SourceDetail,
            Expr::value(lead.source_detail.clone()),
        )
        .col_expr(
            leads::Column::ClaimedPhone,
            Expr::value(lead.claimed_phone.as_ref().map(|p| p.as_str().to_owned())),
        )
        .col_expr(
            leads::Column::ClaimedEmail,
            Expr::value(lead.claimed_email.as_ref().map(|e| e.as_str().to_owned())),
        )
        .col_expr(
            leads::Column::PossibleDuplicateOf,
            Expr::value(lead.possible_duplicate_of.map(|l| l.as_uuid())),
        )
        .col_expr(
            leads::Column::Undeliverable,
            Expr::value(lead.undeliverable.clone()),
        )
        .col_expr(leads::Column::UpdatedAt, Expr::value(ts(lead.updated_at)))
        .col_expr(
            leads::Column::Version,
            Expr::col(leads::Column::Version).add(1),
        )
        .filter(leads::Column::Id.eq(lead.id.as_uuid()))
        .filter(leads::Column::TenantId.eq(lead.tenant_id.as_uuid()))
        .filter(leads::Column::Version.eq(lead.version))
        .exec(txn)
        .await
        .context("updating a lead")?;
    if updated.rows_affected == 0 {
        return Err(StoreError::Stale(format!(
            "lead {} changed since version {} was read, or does not exist",
            lead.id, lead.version
        )));
    }
    let rows = changes
        .iter()
        .map(|c| history_row(lead, c))
        .collect::<Result<Vec<_>, _>>()?;
    if !rows.is_empty() {
        lead_state_history::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await
            .context("appending lead history")?;
    }
    let row = leads::Entity::find_by_id(lead.id.as_uuid())
        .one(txn)
        .await
        .context("reloading an updated lead")?
        .ok_or_else(|| StoreError::Stale(format!("lead {} vanished during its update", lead.id)))?;
    lead_from_row(row)
}

#[async_trait]
impl LeadRepository for SeaOrmStore {
    async fn record_inbound(&self, intake: &InboundIntake) -> Result<IntakeReceipt, StoreError> {
        if let Some(batcher) = &self.batcher
            && let Some(outcome) = batcher.submit(intake).await
        {
            return outcome;
        }
        self.intake(intake, None).await
    }

    async fn get_lead(&self, tenant: TenantId, id: LeadId) -> Result<Option<Lead>, StoreError> {
        let scope = self
            .tenant_scope(tenant)
            .await
            .context("opening a tenant scope")?;
        let row = leads::Entity::find_by_id(id.as_uuid())
            .filter(leads::Column::TenantId.eq(tenant.as_uuid()))
            .one(&scope)
            .await
            .context("loading a lead")?;
        scope.finish().await.context("ending a tenant scope")?;
        row.map(lead_from_row).transpose()
    }

    async fn update_lead(&self, lead: &Lead, changes: &[StateChange]) -> Result<Lead, StoreError> {
        let txn = self
            .begin_tenant_write(lead.tenant_id)
            .await
            .context("starting a lead update")?;
        let stored = update_lead_on(&txn, lead, changes).await?;
        txn.commit().await.context("committing a lead update")?;
        Ok(stored)
    }

    async fn lead_by_chat_session(
        &self,
        tenant: TenantId,
        session: &str,
    ) -> Result<Option<Lead>, StoreError> {
        let scope = self
            .tenant_scope(tenant)
            .await
            .context("opening a tenant scope")?;
        let row = leads::Entity::find()
            .filter(leads::Column::TenantId.eq(tenant.as_uuid()))
            .filter(leads::Column::ChatSession.eq(session))
            .one(&scope)
            .await
            .context("finding a chat session's lead")?;
        scope.finish().await.context("ending a tenant scope")?;
        row.map(lead_from_row).transpose()
    }

    async fn lead_with_contact(
        &self,
        tenant: TenantId,
        phone: Option<PhoneNumber>,
        email: Option<Email>,
        except: LeadId,
    ) -> Result<Option<LeadId>, StoreError> {
        let phone = phone.map(|p| p.as_str().to_owned());
        let email = email.map(|e| e.as_str().to_owned());
        let mut any = sea_orm::Condition::any();
        if let Some(phone) = &phone {
            any = any.add(leads::Column::Phone.eq(phone.clone()));
        }
        if let Some(email) = &email {
            any = any.add(leads::Column::Email.eq(email.clone()));
        }
        if any.is_empty() {
            return Ok(None);
        }
        let scope = self
            .tenant_scope(tenant)
            .await
            .context("opening a tenant scope")?;
        let found = leads::Entity::find()
            .filter(leads::Column::TenantId.eq(tenant.as_uuid()))
            .filter(leads::Column::Id.ne(except.as_uuid()))
            .filter(any)
            .all(&scope)
            .await
            .context("looking up a claimed contact")?;
        scope.finish().await.context("ending a tenant scope")?;
        // The phone match wins over the email match, as in the intake's lookup.
        let best = found
            .into_iter()
            .min_by_key(|row| u8::from(!(phone.is_some() && row.phone == phone)));
        Ok(best.map(|row| LeadId::from_uuid(row.id)))
    }

    async fn merge_leads(
        &self,
        tenant: TenantId,
        from: LeadId,
        into: LeadId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Lead, StoreError> {
        let t = tenant.as_uuid();
        let txn = self.begin_write().await.context("starting a lead merge")?;
        let load = |id: LeadId| {
            leads::Entity::find_by_id(id.as_uuid())
                .filter(leads::Column::TenantId.eq(t))
                .one(&txn)
        };
        let (Some(source), Some(target)) = (
            load(from).await.context("loading the merged lead")?,
            load(into).await.context("loading the lead merged into")?,
        ) else {
            return Err(StoreError::Stale(format!(
                "lead {from} or {into} does not exist"
            )));
        };
        // One open conversation per lead and channel: the merged lead's is closed where the
        // target already has one open on that channel.
        let open_target: Vec<String> = conversations::Entity::find()
            .filter(conversations::Column::TenantId.eq(t))
            .filter(conversations::Column::LeadId.eq(target.id))
            .filter(conversations::Column::Status.eq("open"))
            .all(&txn)
            .await
            .context("listing the target's open conversations")?
            .into_iter()
            .map(|c| c.channel)
            .collect();
        if !open_target.is_empty() {
            conversations::Entity::update_many()
                .col_expr(conversations::Column::Status, Expr::value("closed"))
                .col_expr(conversations::Column::UpdatedAt, Expr::value(ts(at)))
                .filter(conversations::Column::TenantId.eq(t))
                .filter(conversations::Column::LeadId.eq(source.id))
                .filter(conversations::Column::Status.eq("open"))
                .filter(conversations::Column::Channel.is_in(open_target))
                .exec(&txn)
                .await
                .context("closing conversations a merge would duplicate")?;
        }
        conversations::Entity::update_many()
            .col_expr(conversations::Column::LeadId, Expr::value(target.id))
            .filter(conversations::Column::TenantId.eq(t))
            .filter(conversations::Column::LeadId.eq(source.id))
            .exec(&txn)
            .await
            .context("moving conversations")?;
        crate::entity::escalations::Entity::update_many()
            .col_expr(
                crate::entity::escalations::Column::LeadId,
                Expr::value(target.id),
            )
            .filter(crate::entity::escalations::Column::TenantId.eq(t))
            .filter(crate::entity::escalations::Column::LeadId.eq(source.id))
            .exec(&txn)
            .await
            .context("moving escalations")?;
        lead_state_history::Entity::update_many()
            .col_expr(lead_state_history::Column::LeadId, Expr::value(target.id))
            .filter(lead_state_history::Column::TenantId.eq(t))
            .filter(lead_state_history::Column::LeadId.eq(source.id))
            .exec(&txn)
            .await
            .context("moving lead history")?;
        leads::Entity::update_many()
            .col_expr(leads::Column::PossibleDuplicateOf, Expr::value(target.id))
            .filter(leads::Column::TenantId.eq(t))
            .filter(leads::Column::PossibleDuplicateOf.eq(source.id))
            .exec(&txn)
            .await
            .context("pointing duplicates at the merged lead")?;
        leads::Entity::delete_many()
            .filter(leads::Column::TenantId.eq(t))
            .filter(leads::Column::Id.eq(source.id))
            .exec(&txn)
            .await
            .context("removing the merged lead")?;
        // The target keeps what it had and gains what only the merged lead knew.
        let fill = |mine: Option<String>, theirs: Option<String>| mine.or(theirs);
        let duplicate_of = target
            .possible_duplicate_of
            .filter(|d| *d != source.id && *d != target.id);
        leads::Entity::update_many()
            .col_expr(
                leads::Column::Name,
                Expr::value(fill(target.name.clone(), source.name)),
            )
            .col_expr(
                leads::Column::Phone,
                Expr::value(fill(target.phone.clone(), source.phone)),
            )
            .col_expr(
                leads::Column::Email,
                Expr::value(fill(target.email.clone(), source.email)),
            )
            .col_expr(
                leads::Column::ChatSession,
                Expr::value(fill(target.chat_session.clone(), source.chat_session)),
            )
            .col_expr(
                leads::Column::ClaimedPhone,
                Expr::value(fill(target.claimed_phone.clone(), source.claimed_phone)),
            )
            .col_expr(
                leads::Column::ClaimedEmail,
                Expr::value(fill(target.claimed_email.clone(), source.claimed_email)),
            )
            .col_expr(
                leads::Column::PossibleDuplicateOf,
                Expr::value(duplicate_of),
            )
            .col_expr(leads::Column::UpdatedAt, Expr::value(ts(at)))
            .col_expr(
                leads::Column::Version,
                Expr::col(leads::Column::Version).add(1),
            )
            .filter(leads::Column::TenantId.eq(t))
            .filter(leads::Column::Id.eq(target.id))
            .exec(&txn)
            .await
            .context("completing the merged lead")?;
        let row = leads::Entity::find_by_id(target.id)
            .one(&txn)
            .await
            .context("reloading the merged lead")?
            .ok_or_else(|| StoreError::Stale(format!("lead {into} vanished during a merge")))?;
        txn.commit().await.context("committing a lead merge")?;
        lead_from_row(row)
    }

    async fn list_leads(
        &self,
        tenant: TenantId,
        filter: &LeadFilter,
        page: Page,
    ) -> Result<PageOf<Lead>, StoreError> {
        let mut query = leads::Entity::find().filter(leads::Column::TenantId.eq(tenant.as_uuid()));
        if let Some(state) = filter.state {
            query = query.filter(leads::Column::State.eq(state.as_str()));
        }
        if let Some(score) = filter.score {
            query = query.filter(leads::Column::Score.eq(Score::as_str(score)));
        }
        if let Some(source) = filter.source {
            query = query.filter(leads::Column::SourceChannel.eq(source.as_str()));
        }
        if let Some(from) = filter.created_from {
            query = query.filter(leads::Column::CreatedAt.gte(ts(from)));
        }
        if let Some(to) = filter.created_to {
            query = query.filter(leads::Column::CreatedAt.lt(ts(to)));
        }
        let scope = self
            .tenant_scope(tenant)
            .await
            .context("opening a tenant scope")?;
        let total = query
            .clone()
            .count(&scope)
            .await
            .context("counting leads")?;
        if let Some((at, id)) = filter.after {
            let at = ts(at);
            query = query.filter(
                Condition::any().add(leads::Column::CreatedAt.lt(at)).add(
                    Condition::all()
                        .add(leads::Column::CreatedAt.eq(at))
                        .add(leads::Column::Id.lt(id.as_uuid())),
                ),
            );
        }
        let (limit, offset) = page_bounds(page);
        let rows = query
            .order_by_desc(leads::Column::CreatedAt)
            .order_by_desc(leads::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(&scope)
            .await
            .context("listing leads")?;
        scope.finish().await.context("ending a tenant scope")?;
        let items = rows
            .into_iter()
            .map(lead_from_row)
            .collect::<Result<_, _>>()?;
        Ok(PageOf { items, total })
    }

    async fn lead_history(
        &self,
        tenant: TenantId,
        id: LeadId,
    ) -> Result<Vec<StateChange>, StoreError> {
        let scope = self
            .tenant_scope(tenant)
            .await
            .context("opening a tenant scope")?;
        let rows = lead_state_history::Entity::find()
            .filter(lead_state_history::Column::TenantId.eq(tenant.as_uuid()))
            .filter(lead_state_history::Column::LeadId.eq(id.as_uuid()))
            .order_by_asc(lead_state_history::Column::CreatedAt)
            .order_by_asc(lead_state_history::Column::Id)
            .all(&scope)
            .await
            .context("loading lead history")?;
        scope.finish().await.context("ending a tenant scope")?;
        rows.into_iter()
            .map(|row| {
                Ok(StateChange {
                    from: LeadState::parse(&row.from_state)
                        .ok_or_else(|| corrupt("lead state", &row.from_state))?,
                    to: LeadState::parse(&row.to_state)
                        .ok_or_else(|| corrupt("lead state", &row.to_state))?,
                    event: parse_name("lead event", &row.event)?,
                    reason: row.reason,
                    at: row.created_at,
                })
            })
            .collect()
    }

    async fn get_conversation(
        &self,
        tenant: TenantId,
        id: ConversationId,
    ) -> Result<Option<Conversation>, StoreError> {
        let scope = self
            .tenant_scope(tenant)
            .await
            .context("opening a tenant scope")?;
        let row = find_conversation(&scope, tenant, id).await?;
        scope.finish().await.context("ending a tenant scope")?;
        row.map(conversation_from_row).transpose()
    }

    async fn update_conversation(&self, conversation: &Conversation) -> Result<(), StoreError> {
        let exchanges = i32::try_from(conversation.exchanges).unwrap_or(i32::MAX);
        let reply_to = conversation
            .reply_to
            .as_ref()
            .map(|a| to_json("reply address", a))
            .transpose()?;
        let updated = conversations::Entity::update_many()
            .col_expr(
                conversations::Column::Status,
                Expr::value(name_of(&conversation.status)?),
            )
            .col_expr(
                conversations::Column::Escalated,
                Expr::value(conversation.escalated),
            )
            .col_expr(conversations::Column::Exchanges, Expr::value(exchanges))
            .col_expr(
                conversations::Column::Language,
                Expr::value(conversation.language.map(|l| l.code().to_owned())),
            )
            .col_expr(conversations::Column::ReplyTo, Expr::value(reply_to))
            .col_expr(
                conversations::Column::LastInboundAt,
                Expr::value(conversation.last_inbound_at.map(ts)),
            )
            .col_expr(
                conversations::Column::UpdatedAt,
                Expr::value(ts(conversation.updated_at)),
            )
            .filter(conversations::Column::Id.eq(conversation.id.as_uuid()))
            .filter(conversations::Column::TenantId.eq(conversation.tenant_id.as_uuid()))
            .exec(self.db())
            .await
            .context("updating a conversation")?;
        if updated.rows_affected == 0 {
            return Err(StoreError::Stale(format!(
                "conversation {} does not exist",
                conversation.id
            )));
        }
        Ok(())
    }

    async fn lead_conversations(
        &self,
        tenant: TenantId,
        lead: LeadId,
    ) -> Result<Vec<Conversation>, StoreError> {
        let scope = self
            .tenant_scope(tenant)
            .await
            .context("opening a tenant scope")?;
        let rows = conversations::Entity::find()
            .filter(conversations::Column::TenantId.eq(tenant.as_uuid()))
            .filter(conversations::Column::LeadId.eq(lead.as_uuid()))
            .order_by_desc(conversations::Column::CreatedAt)
            .order_by_desc(conversations::Column::Id)
            .all(&scope)
            .await
            .context("listing a lead's conversations")?;
        scope.finish().await.context("ending a tenant scope")?;
        rows.into_iter().map(conversation_from_row).collect()
    }

    async fn active_conversations(
        &self,
        tenant: TenantId,
        page: Page,
    ) -> Result<PageOf<Conversation>, StoreError> {
        let query = conversations::Entity::find()
            .filter(conversations::Column::TenantId.eq(tenant.as_uuid()))
            .filter(conversations::Column::Status.eq("open"));
        let scope = self
            .tenant_scope(tenant)
            .await
            .context("opening a tenant scope")?;
        let total = query
            .clone()
            .count(&scope)
            .await
            .context("counting active conversations")?;
        let (limit, offset) = page_bounds(page);
        let items = query
            .order_by_desc(conversations::Column::UpdatedAt)
            .order_by_desc(conversations::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(&scope)
            .await
            .context("listing active conversations")?
            .into_iter()
            .map(conversation_from_row)
            .collect::<Result<_, _>>()?;
        scope.finish().await.context("ending a tenant scope")?;
        Ok(PageOf { items, total })
    }

    async fn list_messages(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        page: Page,
    ) -> Result<PageOf<Message>, StoreError> {
        let query = messages::Entity::find()
            .filter(messages::Column::TenantId.eq(tenant.as_uuid()))
            .filter(messages::Column::ConversationId.eq(conversation.as_uuid()));
        let scope = self
            .tenant_scope(tenant)
            .await
            .context("opening a tenant scope")?;
        let total = query
            .clone()
            .count(&scope)
            .await
            .context("counting messages")?;
        let (limit, offset) = page_bounds(page);
        // `seq` is the insertion order, which breaks ties between messages
        // stored at the same instant.
        let items = query
            .order_by_asc(messages::Column::CreatedAt)
            .order_by_asc(messages::Column::Seq)
            .limit(limit)
            .offset(offset)
            .all(&scope)
            .await
            .context("listing messages")?
            .into_iter()
            .map(message_from_row)
            .collect::<Result<_, _>>()?;
        scope.finish().await.context("ending a tenant scope")?;
        Ok(PageOf { items, total })
    }

    async fn get_message(
        &self,
        tenant: TenantId,
        id: MessageId,
    ) -> Result<Option<Message>, StoreError> {
        let scope = self
            .tenant_scope(tenant)
            .await
            .context("opening a tenant scope")?;
        let row = messages::Entity::find()
            .filter(messages::Column::TenantId.eq(tenant.as_uuid()))
            .filter(messages::Column::Id.eq(id.as_uuid()))
            .one(&scope)
            .await
            .context("loading a message")?;
        scope.finish().await.context("ending a tenant scope")?;
        row.map(message_from_row).transpose()
    }

    async fn append_message(
        &self,
        message: &NewMessage,
        job: Option<NewJob>,
    ) -> Result<Message, StoreError> {
        let row = message_row(message)?;
        let txn = self
            .begin_tenant_write(message.tenant_id)
            .await
            .context("starting a message append")?;
        if find_conversation(&txn, message.tenant_id, message.conversation_id)
            .await?
            .is_none()
        {
            return Err(StoreError::Stale(format!(
                "conversation {} does not exist",
                message.conversation_id
            )));
        }
        messages::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .context("inserting a message")?;
        if let Some(job) = job {
            insert_job(&txn, &job).await?;
        }
        let stored = messages::Entity::find()
            .filter(messages::Column::Id.eq(message.id.as_uuid()))
            .one(&txn)
            .await
            .context("reloading a message")?
            .ok_or_else(|| {
                StoreError::Unexpected(format!("message {} vanished after insert", message.id))
            })?;
        txn.commit().await.context("committing a message append")?;
        message_from_row(stored)
    }

    async fn set_delivery(
        &self,
        tenant: TenantId,
        id: MessageId,
        status: DeliveryStatus,
        provider_message_id: Option<String>,
        error: Option<String>,
    ) -> Result<(), StoreError> {
        let mut update = messages::Entity::update_many()
            .col_expr(
                messages::Column::DeliveryStatus,
                Expr::value(status.as_str()),
            )
            .col_expr(messages::Column::DeliveryError, Expr::value(error));
        if let Some(provider_id) = provider_message_id {
            update = update.col_expr(
                messages::Column::ProviderMessageId,
                Expr::value(provider_id),
            );
        }
        let updated = update
            .filter(messages::Column::TenantId.eq(tenant.as_uuid()))
            .filter(messages::Column::Id.eq(id.as_uuid()))
            .exec(self.db())
            .await
            .context("recording a delivery result")?;
        if updated.rows_affected == 0 {
            return Err(StoreError::Stale(format!("message {id} does not exist")));
        }
        Ok(())
    }

    async fn set_delivery_by_provider_id(
        &self,
        tenant: TenantId,
        provider_message_id: &str,
        status: DeliveryStatus,
        error: Option<String>,
    ) -> Result<bool, StoreError> {
        let updated = messages::Entity::update_many()
            .col_expr(
                messages::Column::DeliveryStatus,
                Expr::value(status.as_str()),
            )
            .col_expr(messages::Column::DeliveryError, Expr::value(error))
            .filter(messages::Column::TenantId.eq(tenant.as_uuid()))
            .filter(messages::Column::ProviderMessageId.eq(provider_message_id))
            .exec(self.db())
            .await
            .context("recording a delivery callback")?;
        Ok(updated.rows_affected > 0)
    }
}
