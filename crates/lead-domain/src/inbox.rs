//! What the sales inbox reads beyond the lead repository: the leads waiting for a person (open
//! escalations and hot leads, oldest waiting first), the day's counts, and the searchable list.

use crate::ids::{ConversationId, TenantId};
use crate::lead::{Channel, Lead};
use crate::lifecycle::LeadState;
use crate::ports::{LeadFilter, Page, PageOf, StoreError};
use crate::scoring::Score;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Filters of the inbox's lead list: the API's filters plus a conversation channel and a text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadSearch {
    /// State, score, first-contact channel and creation dates.
    pub filter: LeadFilter,
    /// Only leads with a conversation on this channel.
    pub channel: Option<Channel>,
    /// Part of the name, phone or email (case-insensitive).
    pub text: Option<String>,
}

/// A lead waiting for a person, with the conversation it waits in.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitingLead {
    /// The lead.
    pub lead: Lead,
    /// The open conversation that waits.
    pub conversation_id: ConversationId,
    /// Whether the conversation is escalated to a person (AI replies stopped).
    pub escalated: bool,
    /// Since when: the lead's last message in it, else the conversation's last change.
    pub waiting_since: DateTime<Utc>,
}

/// How many leads are in each state and score.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadCounts {
    /// Per state, every state listed.
    pub by_state: Vec<(LeadState, u64)>,
    /// Per score, every score listed.
    pub by_score: Vec<(Score, u64)>,
}

/// Read models of the sales inbox, scoped by tenant like every storage port.
#[async_trait]
pub trait InboxReader: Send + Sync {
    /// Leads with an escalated open conversation, then hot leads with an open conversation
    /// (not booked or disqualified), each group oldest waiting first; at most `limit`.
    ///
    /// # Errors
    /// On database failure.
    async fn waiting_leads(
        &self,
        tenant: TenantId,
        limit: u32,
    ) -> Result<Vec<WaitingLead>, StoreError>;

    /// Leads a person should look at although nothing escalated: replies cannot reach them, they
    /// may duplicate another lead, or they are qualified and warm; most recently changed first.
    ///
    /// # Errors
    /// On database failure.
    async fn attention_leads(&self, tenant: TenantId, limit: u32) -> Result<Vec<Lead>, StoreError>;

    /// Counts of the leads created at or after `since`, by state and by score.
    ///
    /// # Errors
    /// On database failure.
    async fn lead_counts(
        &self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<LeadCounts, StoreError>;

    /// Leads matching a search, newest first.
    ///
    /// # Errors
    /// On database failure.
    async fn search_leads(
        &self,
        tenant: TenantId,
        search: &LeadSearch,
        page: Page,
    ) -> Result<PageOf<Lead>, StoreError>;

    /// When anything of the tenant's leads or conversations last changed: live updates compare it.
    ///
    /// # Errors
    /// On database failure.
    async fn latest_activity(&self, tenant: TenantId) -> Result<Option<DateTime<Utc>>, StoreError>;
}
