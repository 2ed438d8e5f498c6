//! Read models of the sales inbox: the `InboxReader` port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lead_domain::ids::{ConversationId, TenantId};
use lead_domain::inbox::{InboxReader, LeadCounts, LeadSearch, WaitingLead};
use lead_domain::lead::{ConversationStatus, Lead};
use lead_domain::lifecycle::{ALL_STATES, LeadState};
use lead_domain::ports::{Page, PageOf, StoreError};
use lead_domain::scoring::Score;
use sea_orm::sea_query::{Expr, Func, LikeExpr, Query};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::HashMap;
use uuid::Uuid;

use crate::SeaOrmStore;
use crate::codec::{name_of, page_bounds, ts};
use crate::entity::{conversations, leads};
use crate::error::Context;
use crate::leads::lead_from_row;

const ALL_SCORES: [Score; 4] = [Score::Hot, Score::Warm, Score::Cold, Score::Unscored];

/// `%text%` for LIKE, with the pattern characters of the text escaped.
fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A LIKE with the backslash as its escape character, which neither backend assumes by itself.
fn like(pattern: &str) -> LikeExpr {
    LikeExpr::new(pattern).escape('\\')
}

impl SeaOrmStore {
    async fn leads_by_ids(
        &self,
        tenant: TenantId,
        ids: Vec<Uuid>,
    ) -> Result<HashMap<Uuid, Lead>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        leads::Entity::find()
            .filter(leads::Column::TenantId.eq(tenant.as_uuid()))
            .filter(leads::Column::Id.is_in(ids))
            .all(self.db())
            .await
            .context("reading waiting leads")?
            .into_iter()
            .map(|row| lead_from_row(row).map(|l| (l.id.as_uuid(), l)))
            .collect()
    }
}

#[async_trait]
impl InboxReader for SeaOrmStore {
    async fn waiting_leads(
        &self,
        tenant: TenantId,
        limit: u32,
    ) -> Result<Vec<WaitingLead>, StoreError> {
        let open = name_of(&ConversationStatus::Open)?;
        let hot_leads = Query::select()
            .column(leads::Column::Id)
            .from(leads::Entity)
            .and_where(leads::Column::TenantId.eq(tenant.as_uuid()))
            .and_where(leads::Column::Score.eq(Score::Hot.as_str()))
            .and_where(leads::Column::State.is_not_in([
                LeadState::AppointmentBooked.as_str(),
                LeadState::Disqualified.as_str(),
            ]))
            .to_owned();
        let rows = conversations::Entity::find()
            .filter(conversations::Column::TenantId.eq(tenant.as_uuid()))
            .filter(conversations::Column::Status.eq(open))
            .filter(
                Condition::any()
                    .add(conversations::Column::Escalated.eq(true))
                    .add(conversations::Column::LeadId.in_subquery(hot_leads)),
            )
            .order_by_desc(conversations::Column::Escalated)
            .order_by_asc(
                Expr::col(conversations::Column::LastInboundAt)
                    .if_null(Expr::col(conversations::Column::UpdatedAt)),
            )
            .limit(u64::from(limit.clamp(1, 500)))
            .all(self.db())
            .await
            .context("listing waiting conversations")?;
        let ids = rows.iter().map(|c| c.lead_id).collect::<Vec<_>>();
        let mut leads = self.leads_by_ids(tenant, ids).await?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(rows.len());
        for c in rows {
            if !seen.insert(c.lead_id) {
                continue;
            }
            if let Some(lead) = leads.remove(&c.lead_id) {
                out.push(WaitingLead {
                    lead,
                    conversation_id: ConversationId::from_uuid(c.id),
                    escalated: c.escalated,
                    waiting_since: c.last_inbound_at.unwrap_or(c.updated_at),
                });
            }
        }
        Ok(out)
    }

    async fn attention_leads(&self, tenant: TenantId, limit: u32) -> Result<Vec<Lead>, StoreError> {
        leads::Entity::find()
            .filter(leads::Column::TenantId.eq(tenant.as_uuid()))
            .filter(
                Condition::any()
                    .add(leads::Column::Undeliverable.is_not_null())
                    .add(leads::Column::PossibleDuplicateOf.is_not_null())
                    .add(
                        Condition::all()
                            .add(leads::Column::State.eq(LeadState::Qualified.as_str()))
                            .add(leads::Column::Score.eq(Score::Warm.as_str())),
                    ),
            )
            .filter(leads::Column::State.ne(LeadState::Disqualified.as_str()))
            .order_by_desc(leads::Column::UpdatedAt)
            .limit(u64::from(limit.clamp(1, 500)))
            .all(self.db())
            .await
            .context("listing leads needing attention")?
            .into_iter()
            .map(lead_from_row)
            .collect()
    }

    async fn lead_counts(
        &self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<LeadCounts, StoreError> {
        let base = leads::Entity::find()
            .filter(leads::Column::TenantId.eq(tenant.as_uuid()))
            .filter(leads::Column::CreatedAt.gte(ts(since)));
        let states: Vec<(String, i64)> = base
            .clone()
            .select_only()
            .column(leads::Column::State)
            .column_as(leads::Column::Id.count(), "n")
            .group_by(leads::Column::State)
            .into_tuple()
            .all(self.db())
            .await
            .context("counting leads by state")?;
        let scores: Vec<(String, i64)> = base
            .select_only()
            .column(leads::Column::Score)
            .column_as(leads::Column::Id.count(), "n")
            .group_by(leads::Column::Score)
            .into_tuple()
            .all(self.db())
            .await
            .context("counting leads by score")?;
        let count = |rows: &[(String, i64)], name: &str| {
            rows.iter()
                .find(|(n, _)| n == name)
                .map_or(0, |(_, c)| u64::try_from(*c).unwrap_or(0))
        };
        Ok(LeadCounts {
            by_state: ALL_STATES
                .iter()
                .map(|s| (*s, count(&states, s.as_str())))
                .collect(),
            by_score: ALL_SCORES
                .iter()
                .map(|s| (*s, count(&scores, s.as_str())))
                .collect(),
        })
    }

    async fn search_leads(
        &self,
        tenant: TenantId,
        search: &LeadSearch,
        page: Page,
    ) -> Result<PageOf<Lead>, StoreError> {
        let f = &search.filter;
        let mut query = leads::Entity::find().filter(leads::Column::TenantId.eq(tenant.as_uuid()));
        if let Some(state) = f.state {
            query = query.filter(leads::Column::State.eq(state.as_str()));
        }
        if let Some(score) = f.score {
            query = query.filter(leads::Column::Score.eq(score.as_str()));
        }
        if let Some(source) = f.source {
            query = query.filter(leads::Column::SourceChannel.eq(source.as_str()));
        }
        if let Some(from) = f.created_from {
            query = query.filter(leads::Column::CreatedAt.gte(ts(from)));
        }
        if let Some(to) = f.created_to {
            query = query.filter(leads::Column::CreatedAt.lt(ts(to)));
        }
        if let Some(channel) = search.channel {
            let with_channel = Query::select()
                .column(conversations::Column::LeadId)
                .from(conversations::Entity)
                .and_where(conversations::Column::TenantId.eq(tenant.as_uuid()))
                .and_where(conversations::Column::Channel.eq(channel.as_str()))
                .to_owned();
            query = query.filter(leads::Column::Id.in_subquery(with_channel));
        }
        if let Some(text) = search
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let pattern = like_pattern(&text.to_lowercase());
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            let mut any = Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(leads::Column::Name))).like(like(&pattern)))
                .add(Expr::expr(Func::lower(Expr::col(leads::Column::Email))).like(like(&pattern)));
            if digits.len() >= 3 {
                any = any.add(Expr::col(leads::Column::Phone).like(like(&like_pattern(&digits))));
            }
            query = query.filter(any);
        }
        let total = query
            .clone()
            .count(self.db())
            .await
            .context("counting matching leads")?;
        let (limit, offset) = page_bounds(page);
        let items = query
            .order_by_desc(leads::Column::CreatedAt)
            .order_by_desc(leads::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(self.db())
            .await
            .context("searching leads")?
            .into_iter()
            .map(lead_from_row)
            .collect::<Result<_, _>>()?;
        Ok(PageOf { items, total })
    }

    async fn latest_activity(&self, tenant: TenantId) -> Result<Option<DateTime<Utc>>, StoreError> {
        let lead: Option<Option<DateTime<Utc>>> = leads::Entity::find()
            .filter(leads::Column::TenantId.eq(tenant.as_uuid()))
            .select_only()
            .column_as(leads::Column::UpdatedAt.max(), "m")
            .into_tuple()
            .one(self.db())
            .await
            .context("reading the latest lead change")?;
        let conversation: Option<Option<DateTime<Utc>>> = conversations::Entity::find()
            .filter(conversations::Column::TenantId.eq(tenant.as_uuid()))
            .select_only()
            .column_as(conversations::Column::UpdatedAt.max(), "m")
            .into_tuple()
            .one(self.db())
            .await
            .context("reading the latest conversation change")?;
        Ok(Ord::max(lead.flatten(), conversation.flatten()))
    }
}
