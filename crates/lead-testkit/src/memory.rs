//! `InMemoryStore`: every storage port in memory, with the same contract as the database adapter.

mod events;
mod pipeline;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lead_domain::contact::{Address, Email, KnownContact, PhoneNumber, best_match};
use lead_domain::ids::{ConversationId, JobId, LeadId, MessageId, TenantId};
use lead_domain::jobs::{Job, JobLease, JobStatus, NewJob, RetryDecision};
use lead_domain::lead::{
    Channel, Conversation, ConversationStatus, DeliveryStatus, Direction, Escalation, Lead,
    Message, ModelUsageTotal, Sender, UsageRecord, YearMonth,
};
use lead_domain::lifecycle::{LeadState, StateChange};
use lead_domain::ports::{
    EscalationRepository, InboundIntake, IntakeReceipt, JobQueue, LeadFilter, LeadRepository,
    NewMessage, OptOutRegistry, Page, PageOf, StoreError, TenantRepository, UsageLedger,
    WebhookLog,
};
use lead_domain::qualification::Qualification;
use lead_domain::scoring::{Score, ScoreCard};
use lead_domain::tenant::{ApiKeyRecord, NumberKind, Tenant};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

mod booking;
mod crm;
mod retention;

#[derive(Default)]
pub(crate) struct State {
    pub(crate) tenants: BTreeMap<TenantId, Tenant>,
    pub(crate) keys: Vec<(TenantId, ApiKeyRecord)>,
    pub(crate) leads: BTreeMap<LeadId, Lead>,
    pub(crate) history: HashMap<LeadId, Vec<StateChange>>,
    pub(crate) chat_sessions: HashMap<(TenantId, String), LeadId>,
    pub(crate) conversations: BTreeMap<ConversationId, Conversation>,
    pub(crate) messages: Vec<Message>,
    pub(crate) escalations: Vec<Escalation>,
    pub(crate) usage: Vec<UsageRecord>,
    pub(crate) alerts: HashSet<(TenantId, YearMonth)>,
    pub(crate) opt_outs: HashSet<(TenantId, String)>,
    pub(crate) jobs: Vec<(Job, String)>,
    pub(crate) receipts: HashMap<(TenantId, String, String), (IntakeReceipt, Option<String>)>,
    pub(crate) webhooks: HashSet<(TenantId, String, String)>,
    /// Effect keys stored so far (escalations, replies, jobs), unique like the database's.
    pub(crate) effect_keys: HashSet<String>,
    pub(crate) bookings: BTreeMap<(TenantId, LeadId), lead_domain::booking::BookingRecord>,
    pub(crate) deliveries: Vec<lead_domain::events::WebhookDelivery>,
    pub(crate) crm_links: BTreeMap<(TenantId, LeadId), lead_domain::crm::CrmLink>,
}

/// Every storage port in memory; one mutex, so every method is atomic like a transaction.
#[derive(Default)]
pub struct InMemoryStore(Mutex<State>);

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn page<T: Clone>(items: Vec<T>, page: Page) -> PageOf<T> {
    let total = items.len() as u64;
    let items = items
        .into_iter()
        .skip(page.offset as usize)
        .take(page.limit.min(200) as usize)
        .collect();
    PageOf { items, total }
}

fn numbers_of(tenant: &Tenant) -> Vec<(PhoneNumber, NumberKind)> {
    tenant
        .settings
        .twilio
        .as_ref()
        .map(|t| {
            t.phone_numbers
                .iter()
                .map(|n| (n.clone(), NumberKind::Sms))
                .chain(
                    t.whatsapp_numbers
                        .iter()
                        .map(|n| (n.clone(), NumberKind::Whatsapp)),
                )
                .collect()
        })
        .unwrap_or_default()
}

#[async_trait]
impl TenantRepository for InMemoryStore {
    async fn insert_tenant(&self, tenant: &Tenant, key: &ApiKeyRecord) -> Result<(), StoreError> {
        let mut s = self.state();
        if s.tenants
            .values()
            .any(|t| t.slug == tenant.slug || t.widget_key == tenant.widget_key)
        {
            return Err(StoreError::Conflict(
                if s.tenants.values().any(|t| t.slug == tenant.slug) {
                    "slug already in use"
                } else {
                    "widget_key already in use"
                }
                .into(),
            ));
        }
        if s.tenants.contains_key(&tenant.id) {
            return Err(StoreError::Conflict("tenant id exists".into()));
        }
        let mine = numbers_of(tenant);
        if s.tenants.values().any(|t| {
            numbers_of(t)
                .iter()
                .any(|n| mine.iter().any(|m| m.0 == n.0))
        }) {
            return Err(StoreError::Conflict(
                "twilio.phone_numbers already in use".into(),
            ));
        }
        s.tenants.insert(tenant.id, tenant.clone());
        s.keys.push((tenant.id, key.clone()));
        Ok(())
    }

    async fn get_tenant(&self, id: TenantId) -> Result<Option<Tenant>, StoreError> {
        Ok(self.state().tenants.get(&id).cloned())
    }

    async fn update_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let mut s = self.state();
        if !s.tenants.contains_key(&tenant.id) {
            return Err(StoreError::Stale(format!(
                "tenant {} does not exist",
                tenant.id
            )));
        }
        if s.tenants
            .values()
            .any(|t| t.id != tenant.id && t.slug == tenant.slug)
        {
            return Err(StoreError::Conflict("slug already in use".into()));
        }
        let mine = numbers_of(tenant);
        if s.tenants.values().any(|t| {
            t.id != tenant.id
                && numbers_of(t)
                    .iter()
                    .any(|n| mine.iter().any(|m| m.0 == n.0))
        }) {
            return Err(StoreError::Conflict(
                "twilio.phone_numbers already in use".into(),
            ));
        }
        s.tenants.insert(tenant.id, tenant.clone());
        Ok(())
    }

    async fn find_tenant_by_api_key(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Tenant>, StoreError> {
        let s = self.state();
        let owner = s
            .keys
            .iter()
            .find(|(_, k)| k.hash == hash && k.expires_at.is_none_or(|e| e > now))
            .map(|(t, _)| *t);
        Ok(owner.and_then(|t| s.tenants.get(&t).cloned()))
    }

    async fn rotate_api_key(
        &self,
        tenant: TenantId,
        key: &ApiKeyRecord,
        expire_others_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut s = self.state();
        if !s.tenants.contains_key(&tenant) {
            return Err(StoreError::Stale(format!("tenant {tenant} does not exist")));
        }
        for (t, k) in &mut s.keys {
            if *t == tenant && k.expires_at.is_none_or(|e| e > expire_others_at) {
                k.expires_at = Some(expire_others_at);
            }
        }
        s.keys.push((tenant, key.clone()));
        Ok(())
    }

    async fn find_tenant_by_number(
        &self,
        number: &PhoneNumber,
        kind: NumberKind,
    ) -> Result<Option<Tenant>, StoreError> {
        Ok(self
            .state()
            .tenants
            .values()
            .find(|t| numbers_of(t).contains(&(number.clone(), kind)))
            .cloned())
    }

    async fn find_tenant_by_widget_key(&self, key: &str) -> Result<Option<Tenant>, StoreError> {
        Ok(self
            .state()
            .tenants
            .values()
            .find(|t| t.widget_key == key)
            .cloned())
    }
}

#[async_trait]
impl LeadRepository for InMemoryStore {
    async fn record_inbound(&self, intake: &InboundIntake) -> Result<IntakeReceipt, StoreError> {
        let mut s = self.state();
        let t = intake.tenant_id;
        if let Some((provider, id)) = &intake.dedup_key
            && let Some((first, digest)) = s.receipts.get(&(t, provider.clone(), id.clone()))
        {
            let request_mismatch = matches!(
                (digest, &intake.request_digest),
                (Some(a), Some(b)) if a != b
            );
            return Ok(IntakeReceipt {
                duplicate: true,
                request_mismatch,
                ..*first
            });
        }
        let c = &intake.contact;
        // The domain ranks the candidates, as the database adapter does.
        let existing = best_match(c, s.leads.values().filter(|l| l.tenant_id == t), |l| {
            KnownContact {
                phone: l.phone.as_ref().map(PhoneNumber::as_str),
                email: l.email.as_ref().map(Email::as_str),
                chat_session: c
                    .chat_session
                    .as_deref()
                    .filter(|cs| s.chat_sessions.get(&(t, (*cs).to_owned())) == Some(&l.id)),
            }
        })
        .map(|l| l.id);
        let now = intake.received_at;
        let (lead_id, lead_created) = match existing {
            Some(id) => {
                if let Some(lead) = s.leads.get_mut(&id) {
                    if lead.name.is_none() {
                        lead.name.clone_from(&c.name);
                    }
                    if lead.email.is_none() {
                        lead.email.clone_from(&c.email);
                    }
                    if lead.phone.is_none() {
                        lead.phone.clone_from(&c.phone);
                    }
                    if c.claimed_phone.is_some() && lead.claimed_phone != c.claimed_phone {
                        lead.claimed_phone.clone_from(&c.claimed_phone);
                        lead.possible_duplicate_of = None;
                    }
                    if c.claimed_email.is_some() && lead.claimed_email != c.claimed_email {
                        lead.claimed_email.clone_from(&c.claimed_email);
                        lead.possible_duplicate_of = None;
                    }
                }
                (id, false)
            }
            None => {
                let id = intake.ids.lead;
                s.leads.insert(
                    id,
                    Lead {
                        id,
                        tenant_id: t,
                        name: c.name.clone(),
                        phone: c.phone.clone(),
                        email: c.email.clone(),
                        source: intake.channel,
                        source_detail: intake.source_detail.clone(),
                        state: LeadState::New,
                        qualification: Qualification::default(),
                        score: ScoreCard {
                            score: Score::Unscored,
                            points: 0,
                            reasons: vec![],
                        },
                        score_override: None,
                        version: 1,
                        created_at: now,
                        updated_at: now,
                        claimed_phone: c.claimed_phone.clone(),
                        claimed_email: c.claimed_email.clone(),
                        possible_duplicate_of: None,
                        undeliverable: None,
                    },
                );
                if let Some(cs) = &c.chat_session {
                    s.chat_sessions.insert((t, cs.clone()), id);
                }
                (id, true)
            }
        };
        let open = s
            .conversations
            .values()
            .find(|cv| {
                cv.tenant_id == t
                    && cv.lead_id == lead_id
                    && cv.channel == intake.channel
                    && cv.status == ConversationStatus::Open
            })
            .map(|cv| cv.id);
        let conversation_id = match open {
            Some(id) => id,
            None => {
                let id = intake.ids.conversation;
                s.conversations.insert(
                    id,
                    Conversation {
                        id,
                        tenant_id: t,
                        lead_id,
                        channel: intake.channel,
                        status: ConversationStatus::Open,
                        escalated: false,
                        exchanges: 0,
                        language: None,
                        reply_to: None,
                        last_inbound_at: None,
                        created_at: now,
                        updated_at: now,
                    },
                );
                id
            }
        };
        if let Some(cv) = s.conversations.get_mut(&conversation_id) {
            if intake.reply_to.is_some() {
                cv.reply_to.clone_from(&intake.reply_to);
            }
            if intake.body.is_some() && intake.sender == Sender::Lead {
                cv.exchanges += 1;
                cv.last_inbound_at = Some(now);
            }
            if intake.language.is_some() {
                cv.language = intake.language;
            }
            cv.updated_at = now;
        }
        let message_id = intake.body.as_ref().map(|body| {
            s.messages.push(Message {
                id: intake.ids.message,
                tenant_id: t,
                conversation_id,
                direction: Direction::Inbound,
                sender: intake.sender,
                channel: intake.channel,
                body: body.clone(),
                language: intake.language,
                provider_message_id: intake.dedup_key.as_ref().map(|(_, id)| id.clone()),
                delivery: DeliveryStatus::NotApplicable,
                delivery_error: None,
                created_at: now,
            });
            intake.ids.message
        });
        let job_id = match (intake.enqueue, message_id) {
            (true, Some(message_id)) => {
                let job = lead_domain::jobs::JobPayload::ProcessInbound {
                    lead_id,
                    conversation_id,
                    message_id,
                }
                .job(intake.ids.job, t, now);
                push_job(&mut s, &job);
                Some(job.id)
            }
            _ => None,
        };
        let receipt = IntakeReceipt {
            lead_id,
            conversation_id,
            message_id,
            job_id,
            lead_created,
            duplicate: false,
            request_mismatch: false,
        };
        if let Some((provider, id)) = &intake.dedup_key {
            s.receipts.insert(
                (t, provider.clone(), id.clone()),
                (receipt, intake.request_digest.clone()),
            );
        }
        Ok(receipt)
    }

    async fn get_lead(&self, tenant: TenantId, id: LeadId) -> Result<Option<Lead>, StoreError> {
        Ok(self
            .state()
            .leads
            .get(&id)
            .filter(|l| l.tenant_id == tenant)
            .cloned())
    }

    async fn lead_by_chat_session(
        &self,
        tenant: TenantId,
        session: &str,
    ) -> Result<Option<Lead>, StoreError> {
        let s = self.state();
        Ok(s.chat_sessions
            .get(&(tenant, session.to_owned()))
            .and_then(|id| s.leads.get(id))
            .cloned())
    }

    async fn lead_with_contact(
        &self,
        tenant: TenantId,
        phone: Option<PhoneNumber>,
        email: Option<Email>,
        except: LeadId,
    ) -> Result<Option<LeadId>, StoreError> {
        let s = self.state();
        let others = || {
            s.leads
                .values()
                .filter(move |l| l.tenant_id == tenant && l.id != except)
        };
        // The phone match wins over the email match, as in the intake's lookup.
        let by_phone = phone
            .as_ref()
            .and_then(|p| others().find(|l| l.phone.as_ref() == Some(p)));
        let by_email = email
            .as_ref()
            .and_then(|e| others().find(|l| l.email.as_ref() == Some(e)));
        Ok(by_phone.or(by_email).map(|l| l.id))
    }

    async fn merge_leads(
        &self,
        tenant: TenantId,
        from: LeadId,
        into: LeadId,
        at: DateTime<Utc>,
    ) -> Result<Lead, StoreError> {
        let mut s = self.state();
        let mine = |l: &&Lead| l.tenant_id == tenant;
        let (Some(source), Some(_)) = (
            s.leads.get(&from).filter(mine).cloned(),
            s.leads.get(&into).filter(mine).cloned(),
        ) else {
            return Err(StoreError::Stale(format!(
                "lead {from} or {into} does not exist"
            )));
        };
        let open_target: Vec<Channel> = s
            .conversations
            .values()
            .filter(|c| c.lead_id == into && c.status == ConversationStatus::Open)
            .map(|c| c.channel)
            .collect();
        for c in s.conversations.values_mut().filter(|c| c.lead_id == from) {
            if c.status == ConversationStatus::Open && open_target.contains(&c.channel) {
                c.status = ConversationStatus::Closed;
                c.updated_at = at;
            }
            c.lead_id = into;
        }
        for e in s.escalations.iter_mut().filter(|e| e.lead_id == from) {
            e.lead_id = into;
        }
        let moved = s.history.remove(&from).unwrap_or_default();
        s.history.entry(into).or_default().extend(moved);
        for l in s.leads.values_mut() {
            if l.possible_duplicate_of == Some(from) {
                l.possible_duplicate_of = Some(into);
            }
        }
        s.leads.remove(&from);
        // A lead has one chat session: the merged lead's moves only to a target without one.
        let target_has_session = s.chat_sessions.values().any(|lead| *lead == into);
        s.chat_sessions
            .retain(|_, lead| *lead != from || !target_has_session);
        for session in s.chat_sessions.values_mut().filter(|lead| **lead == from) {
            *session = into;
        }
        let Some(target) = s.leads.get_mut(&into) else {
            return Err(StoreError::Stale(format!("lead {into} vanished")));
        };
        target.name = target.name.take().or(source.name);
        target.phone = target.phone.take().or(source.phone);
        target.email = target.email.take().or(source.email);
        target.claimed_phone = target.claimed_phone.take().or(source.claimed_phone);
        target.claimed_email = target.claimed_email.take().or(source.claimed_email);
        if target.possible_duplicate_of == Some(into) {
            target.possible_duplicate_of = None;
        }
        target.version += 1;
        target.updated_at = at;
        Ok(target.clone())
    }

    async fn update_lead(&self, lead: &Lead, changes: &[StateChange]) -> Result<Lead, StoreError> {
        let mut s = self.state();
        let stored = s
            .leads
            .get(&lead.id)
            .filter(|l| l.tenant_id == lead.tenant_id);
        match stored {
            Some(current) if current.version == lead.version => {}
            Some(_) => {
                return Err(StoreError::Stale(format!(
                    "lead {} changed since it was read",
                    lead.id
                )));
            }
            None => {
                return Err(StoreError::Stale(format!(
                    "lead {} does not exist",
                    lead.id
                )));
            }
        }
        let mut saved = lead.clone();
        saved.version += 1;
        s.leads.insert(lead.id, saved.clone());
        s.history
            .entry(lead.id)
            .or_default()
            .extend_from_slice(changes);
        Ok(saved)
    }

    async fn list_leads(
        &self,
        tenant: TenantId,
        filter: &LeadFilter,
        p: Page,
    ) -> Result<PageOf<Lead>, StoreError> {
        let s = self.state();
        let mut items: Vec<Lead> = s
            .leads
            .values()
            .filter(|l| l.tenant_id == tenant)
            .filter(|l| filter.state.is_none_or(|st| l.state == st))
            .filter(|l| filter.score.is_none_or(|sc| l.score.score == sc))
            .filter(|l| filter.source.is_none_or(|c| l.source == c))
            .filter(|l| filter.created_from.is_none_or(|f| l.created_at >= f))
            .filter(|l| filter.created_to.is_none_or(|f| l.created_at < f))
            .cloned()
            .collect();
        items.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        let total = items.len() as u64;
        if let Some(after) = filter.after {
            items.retain(|l| (l.created_at, l.id) < after);
        }
        Ok(PageOf {
            total,
            ..page(items, p)
        })
    }

    async fn lead_history(
        &self,
        tenant: TenantId,
        id: LeadId,
    ) -> Result<Vec<StateChange>, StoreError> {
        let s = self.state();
        if s.leads.get(&id).is_none_or(|l| l.tenant_id != tenant) {
            return Ok(vec![]);
        }
        Ok(s.history.get(&id).cloned().unwrap_or_default())
    }

    async fn get_conversation(
        &self,
        tenant: TenantId,
        id: ConversationId,
    ) -> Result<Option<Conversation>, StoreError> {
        Ok(self
            .state()
            .conversations
            .get(&id)
            .filter(|c| c.tenant_id == tenant)
            .cloned())
    }

    async fn update_conversation(&self, conversation: &Conversation) -> Result<(), StoreError> {
        let mut s = self.state();
        match s.conversations.get_mut(&conversation.id) {
            Some(c) if c.tenant_id == conversation.tenant_id => {
                *c = conversation.clone();
                Ok(())
            }
            _ => Err(StoreError::Stale(format!(
                "conversation {} does not exist",
                conversation.id
            ))),
        }
    }

    async fn lead_conversations(
        &self,
        tenant: TenantId,
        lead: LeadId,
    ) -> Result<Vec<Conversation>, StoreError> {
        let mut v: Vec<Conversation> = self
            .state()
            .conversations
            .values()
            .filter(|c| c.tenant_id == tenant && c.lead_id == lead)
            .cloned()
            .collect();
        v.sort_by_key(|c| std::cmp::Reverse(c.created_at));
        Ok(v)
    }

    async fn active_conversations(
        &self,
        tenant: TenantId,
        p: Page,
    ) -> Result<PageOf<Conversation>, StoreError> {
        let mut v: Vec<Conversation> = self
            .state()
            .conversations
            .values()
            .filter(|c| c.tenant_id == tenant && c.status == ConversationStatus::Open)
            .cloned()
            .collect();
        v.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id)));
        Ok(page(v, p))
    }

    async fn list_messages(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        p: Page,
    ) -> Result<PageOf<Message>, StoreError> {
        let v: Vec<Message> = self
            .state()
            .messages
            .iter()
            .filter(|m| m.tenant_id == tenant && m.conversation_id == conversation)
            .cloned()
            .collect();
        Ok(page(v, p))
    }

    async fn get_message(
        &self,
        tenant: TenantId,
        id: MessageId,
    ) -> Result<Option<Message>, StoreError> {
        Ok(self
            .state()
            .messages
            .iter()
            .find(|m| m.id == id && m.tenant_id == tenant)
            .cloned())
    }

    async fn append_message(
        &self,
        message: &NewMessage,
        job: Option<NewJob>,
    ) -> Result<Message, StoreError> {
        let mut s = self.state();
        if s.conversations
            .get(&message.conversation_id)
            .is_none_or(|c| c.tenant_id != message.tenant_id)
        {
            return Err(StoreError::Stale(format!(
                "conversation {} does not exist",
                message.conversation_id
            )));
        }
        let stored = Message {
            id: message.id,
            tenant_id: message.tenant_id,
            conversation_id: message.conversation_id,
            direction: message.direction,
            sender: message.sender,
            channel: message.channel,
            body: message.body.clone(),
            language: message.language,
            provider_message_id: None,
            delivery: message.delivery,
            delivery_error: None,
            created_at: message.created_at,
        };
        s.messages.push(stored.clone());
        if let Some(job) = &job {
            push_job(&mut s, job);
        }
        Ok(stored)
    }

    async fn set_delivery(
        &self,
        tenant: TenantId,
        id: MessageId,
        status: DeliveryStatus,
        provider_message_id: Option<String>,
        error: Option<String>,
    ) -> Result<(), StoreError> {
        let mut s = self.state();
        let m = s
            .messages
            .iter_mut()
            .find(|m| m.id == id && m.tenant_id == tenant)
            .ok_or_else(|| StoreError::Stale(format!("message {id} does not exist")))?;
        m.delivery = status;
        if provider_message_id.is_some() {
            m.provider_message_id = provider_message_id;
        }
        m.delivery_error = error;
        Ok(())
    }

    async fn set_delivery_by_provider_id(
        &self,
        tenant: TenantId,
        provider_message_id: &str,
        status: DeliveryStatus,
        error: Option<String>,
    ) -> Result<bool, StoreError> {
        let mut s = self.state();
        match s.messages.iter_mut().find(|m| {
            m.tenant_id == tenant && m.provider_message_id.as_deref() == Some(provider_message_id)
        }) {
            Some(m) => {
                m.delivery = status;
                m.delivery_error = error;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

pub(crate) fn push_job(s: &mut State, job: &NewJob) {
    if let Some(key) = job.payload.effect_key() {
        s.effect_keys.insert(format!("job:{key}"));
    }
    let now = job.run_at;
    s.jobs.push((
        Job {
            id: job.id,
            tenant_id: job.tenant_id,
            payload: job.payload.clone(),
            status: JobStatus::Queued,
            attempts: 0,
            max_attempts: job.max_attempts,
            run_at: job.run_at,
            locked_until: None,
            lease_token: 0,
            last_error: None,
            created_at: now,
            updated_at: now,
            trace_context: None,
        },
        job.payload.ordering_key(),
    ));
}

#[async_trait]
impl EscalationRepository for InMemoryStore {
    async fn record_escalations(&self, escalations: &[Escalation]) -> Result<(), StoreError> {
        self.state().escalations.extend_from_slice(escalations);
        Ok(())
    }

    async fn conversation_escalations(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Vec<Escalation>, StoreError> {
        Ok(self
            .state()
            .escalations
            .iter()
            .filter(|e| e.tenant_id == tenant && e.conversation_id == conversation)
            .cloned()
            .collect())
    }

    async fn release_escalations(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<u64, StoreError> {
        let mut n = 0;
        for e in self.state().escalations.iter_mut() {
            if e.tenant_id == tenant && e.conversation_id == conversation && e.released_at.is_none()
            {
                e.released_at = Some(at);
                e.released_by = Some(by.to_owned());
                n += 1;
            }
        }
        Ok(n)
    }
}

#[async_trait]
impl UsageLedger for InMemoryStore {
    async fn record_usage(&self, record: &UsageRecord) -> Result<(), StoreError> {
        self.state().usage.push(record.clone());
        Ok(())
    }

    async fn month_usage(
        &self,
        tenant: TenantId,
        month: YearMonth,
    ) -> Result<Vec<ModelUsageTotal>, StoreError> {
        let mut totals: BTreeMap<String, ModelUsageTotal> = BTreeMap::new();
        for r in self
            .state()
            .usage
            .iter()
            .filter(|r| r.tenant_id == tenant && YearMonth::of(r.at) == month)
        {
            let t = totals
                .entry(r.usage.model.clone())
                .or_insert_with(|| ModelUsageTotal {
                    model: r.usage.model.clone(),
                    calls: 0,
                    input_tokens: 0,
                    output_tokens: 0,
                    cache_write_tokens: 0,
                    cache_read_tokens: 0,
                    cost_usd: 0.0,
                });
            t.calls += 1;
            t.input_tokens += r.usage.input_tokens;
            t.output_tokens += r.usage.output_tokens;
            t.cache_write_tokens += r.usage.cache_write_tokens;
            t.cache_read_tokens += r.usage.cache_read_tokens;
            t.cost_usd += r.usage.cost_usd;
        }
        Ok(totals.into_values().collect())
    }

    async fn mark_budget_alert(
        &self,
        tenant: TenantId,
        month: YearMonth,
        _at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(self.state().alerts.insert((tenant, month)))
    }
}

#[async_trait]
impl OptOutRegistry for InMemoryStore {
    async fn opt_out(
        &self,
        tenant: TenantId,
        address: &Address,
        _at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.state().opt_outs.insert((tenant, address.key()));
        Ok(())
    }

    async fn opt_in(&self, tenant: TenantId, address: &Address) -> Result<(), StoreError> {
        self.state().opt_outs.remove(&(tenant, address.key()));
        Ok(())
    }

    async fn is_opted_out(&self, tenant: TenantId, address: &Address) -> Result<bool, StoreError> {
        Ok(self.state().opt_outs.contains(&(tenant, address.key())))
    }
}

/// The job `lease` holds, if it still does.
pub(crate) fn held(s: &mut State, lease: JobLease) -> Option<&mut Job> {
    s.jobs.iter_mut().map(|(j, _)| j).find(|j| {
        j.id == lease.id && j.status == JobStatus::Running && j.lease_token == lease.token
    })
}

/// Completes the job `lease` holds; `false` when it holds none.
pub(crate) fn complete_held(
    s: &mut State,
    lease: JobLease,
    now: DateTime<Utc>,
    note: Option<String>,
) -> bool {
    match held(s, lease) {
        Some(job) => {
            job.status = JobStatus::Done;
            job.locked_until = None;
            if note.is_some() {
                job.last_error = note;
            }
            job.updated_at = now;
            true
        }
        None => false,
    }
}

/// The error of a fenced update that found no job held by the lease.
fn lost(lease: JobLease) -> StoreError {
    StoreError::Stale(format!("job {} is not held by this lease", lease.id))
}

#[async_trait]
impl JobQueue for InMemoryStore {
    async fn enqueue(&self, job: &NewJob) -> Result<(), StoreError> {
        let mut s = self.state();
        if s.jobs.iter().any(|(j, _)| j.id == job.id) {
            return Err(StoreError::Conflict(format!("job {} exists", job.id)));
        }
        push_job(&mut s, job);
        Ok(())
    }

    async fn claim_due(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<Job>, StoreError> {
        let _ = worker;
        let mut s = self.state();
        let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
        // A key is busy while an earlier job of it is running (lease not expired) or still waiting.
        let mut busy: HashSet<String> = HashSet::new();
        let mut claimed = Vec::new();
        let order: Vec<usize> = {
            let mut idx: Vec<usize> = (0..s.jobs.len()).collect();
            idx.sort_by(|a, b| {
                s.jobs[*a]
                    .0
                    .created_at
                    .cmp(&s.jobs[*b].0.created_at)
                    .then(a.cmp(b))
            });
            idx
        };
        for i in order {
            let (job, key) = &s.jobs[i];
            let live = match job.status {
                JobStatus::Running => job.locked_until.is_some_and(|t| t > now),
                JobStatus::Queued => false,
                JobStatus::Done | JobStatus::Dead => continue,
            };
            if live {
                busy.insert(key.clone());
                continue;
            }
            let due = job.run_at <= now;
            if busy.contains(key) {
                continue;
            }
            busy.insert(key.clone());
            if !due || claimed.len() >= limit as usize {
                continue;
            }
            let (job, _) = &mut s.jobs[i];
            job.status = JobStatus::Running;
            job.attempts += 1;
            job.lease_token += 1;
            job.locked_until = Some(now + lease);
            job.updated_at = now;
            claimed.push(job.clone());
        }
        Ok(claimed)
    }

    async fn renew(
        &self,
        lease: JobLease,
        now: DateTime<Utc>,
        extend: Duration,
    ) -> Result<bool, StoreError> {
        let extend = chrono::Duration::from_std(extend)
            .map_err(|e| StoreError::Unexpected(format!("lease out of range: {e}")))?;
        let mut s = self.state();
        Ok(match held(&mut s, lease) {
            Some(job) => {
                job.locked_until = Some(now + extend);
                true
            }
            None => false,
        })
    }

    async fn complete(
        &self,
        lease: JobLease,
        now: DateTime<Utc>,
        note: Option<String>,
    ) -> Result<(), StoreError> {
        let mut s = self.state();
        if complete_held(&mut s, lease, now, note) {
            Ok(())
        } else {
            Err(lost(lease))
        }
    }

    async fn fail(
        &self,
        lease: JobLease,
        error: &str,
        decision: RetryDecision,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut s = self.state();
        let job = held(&mut s, lease).ok_or_else(|| lost(lease))?;
        job.last_error = Some(error.to_owned());
        job.locked_until = None;
        job.updated_at = now;
        match decision {
            RetryDecision::RetryAt(at) if job.attempts < job.max_attempts => {
                job.status = JobStatus::Queued;
                job.run_at = at;
            }
            _ => job.status = JobStatus::Dead,
        }
        Ok(())
    }

    async fn queue_stats(
        &self,
        now: DateTime<Utc>,
    ) -> Result<lead_domain::jobs::QueueStats, StoreError> {
        let s = self.state();
        let mut counts: BTreeMap<(String, &'static str), (JobStatus, u64)> = BTreeMap::new();
        for (job, _) in s.jobs.iter().filter(|(j, _)| j.status != JobStatus::Done) {
            counts
                .entry((job.payload.kind().to_owned(), job.status.as_str()))
                .or_insert((job.status, 0))
                .1 += 1;
        }
        Ok(lead_domain::jobs::QueueStats {
            counts: counts
                .into_iter()
                .map(|((kind, _), (status, n))| (kind, status, n))
                .collect(),
            oldest_due: s
                .jobs
                .iter()
                .filter(|(j, _)| j.status == JobStatus::Queued && j.run_at <= now)
                .map(|(j, _)| j.run_at)
                .min(),
        })
    }

    async fn list_jobs(&self, status: JobStatus, p: Page) -> Result<PageOf<Job>, StoreError> {
        let jobs = self
            .state()
            .jobs
            .iter()
            .filter(|(j, _)| j.status == status)
            .map(|(j, _)| j.clone())
            .collect();
        Ok(page(jobs, p))
    }

    async fn retry_dead(&self, id: JobId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut s = self.state();
        Ok(
            match s
                .jobs
                .iter_mut()
                .find(|(j, _)| j.id == id && j.status == JobStatus::Dead)
            {
                Some((job, _)) => {
                    job.status = JobStatus::Queued;
                    job.attempts = 0;
                    job.run_at = now;
                    job.created_at = now;
                    job.updated_at = now;
                    job.locked_until = None;
                    true
                }
                None => false,
            },
        )
    }

    async fn get_job(&self, tenant: TenantId, id: JobId) -> Result<Option<Job>, StoreError> {
        Ok(self
            .state()
            .jobs
            .iter()
            .find(|(j, _)| j.id == id && j.tenant_id == tenant)
            .map(|(j, _)| j.clone()))
    }
}

#[async_trait]
impl WebhookLog for InMemoryStore {
    async fn first_time(
        &self,
        tenant: TenantId,
        provider: &str,
        id: &str,
        _at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(self
            .state()
            .webhooks
            .insert((tenant, provider.to_owned(), id.to_owned())))
    }
}
