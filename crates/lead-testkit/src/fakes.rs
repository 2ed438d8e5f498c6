//! Fakes of the non-storage ports: clock, ids, sender, notifier, model and extractor.

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use lead_domain::lead::Channel;
use lead_domain::ports::{
    Clock, ExtractionProfile, IdGenerator, LanguageModel, LlmError, MessageSender, ModelRequest,
    ModelTurn, Notification, Notifier, NotifyError, OfflineExtractor, OutboundMessage,
    RouteOutcome, SendError, SendReceipt, Turn,
};
use lead_domain::qualification::Qualification;
use lead_domain::tenant::Tenant;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panicking test thread poisons the lock; the data is still fine for the next assertion.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A clock that says what the test tells it.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    /// A clock stopped at `at`.
    pub fn at(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// A clock stopped at an RFC 3339 time; the epoch if it does not parse.
    pub fn at_str(rfc3339: &str) -> Self {
        Self::at(
            DateTime::parse_from_rfc3339(rfc3339)
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_default(),
        )
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        *lock(&self.0) += by;
    }

    /// Sets the clock.
    pub fn set(&self, at: DateTime<Utc>) {
        *lock(&self.0) = at;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.0)
    }
}

/// Ids 00000000-0000-0000-0000-000000000001, ...2, ...: deterministic and readable in failures.
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl IdGenerator for SequentialIds {
    fn new_uuid(&self) -> uuid::Uuid {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        uuid::Uuid::from_u128(u128::from(n))
    }
}

/// A sender that records every message and fails as scripted.
#[derive(Debug, Default)]
pub struct RecordingSender {
    sent: Mutex<Vec<OutboundMessage>>,
    failures: Mutex<VecDeque<SendError>>,
    channels: Mutex<Option<Vec<Channel>>>,
}

impl RecordingSender {
    /// Messages sent so far.
    pub fn sent(&self) -> Vec<OutboundMessage> {
        lock(&self.sent).clone()
    }

    /// Configures which channels can deliver (all by default), as a deployment without Twilio or SMTP would.
    pub fn deliver_only(&self, channels: impl IntoIterator<Item = Channel>) {
        *lock(&self.channels) = Some(channels.into_iter().collect());
    }

    /// Makes the next sends fail with these errors, in order.
    pub fn fail_next(&self, errors: impl IntoIterator<Item = SendError>) {
        lock(&self.failures).extend(errors);
    }
}

#[async_trait]
impl MessageSender for RecordingSender {
    async fn send(
        &self,
        tenant: &Tenant,
        message: &OutboundMessage,
    ) -> Result<SendReceipt, SendError> {
        if let Some(err) = lock(&self.failures).pop_front() {
            return Err(err);
        }
        if !self.can_deliver(tenant, message.channel) {
            return Err(SendError::NotConfigured(format!(
                "no sender for the {} channel",
                message.channel
            )));
        }
        let mut sent = lock(&self.sent);
        sent.push(message.clone());
        Ok(SendReceipt {
            provider_message_id: Some(format!("SM{:032}", sent.len())),
            used_template: false,
        })
    }

    fn can_deliver(&self, _tenant: &Tenant, channel: Channel) -> bool {
        lock(&self.channels)
            .as_ref()
            .is_none_or(|only| channel == Channel::LiveChat || only.contains(&channel))
    }
}

/// A notifier that records notifications.
#[derive(Debug, Default)]
pub struct RecordingNotifier(Mutex<Vec<Notification>>);

impl RecordingNotifier {
    /// Notifications so far.
    pub fn sent(&self) -> Vec<Notification> {
        lock(&self.0).clone()
    }
}

#[async_trait]
impl Notifier for RecordingNotifier {
    async fn notify(
        &self,
        _tenant: &Tenant,
        notification: &Notification,
    ) -> Result<(), NotifyError> {
        lock(&self.0).push(notification.clone());
        Ok(())
    }
}

/// A model that answers from a script: one route outcome and one qualify result per call, in order.
#[derive(Debug, Default)]
pub struct ScriptedModel {
    routes: Mutex<VecDeque<Result<RouteOutcome, LlmError>>>,
    turns: Mutex<VecDeque<Result<ModelTurn, LlmError>>>,
    requests: Mutex<Vec<ModelRequest>>,
}

impl ScriptedModel {
    /// Queues a router answer.
    pub fn push_route(&self, outcome: Result<RouteOutcome, LlmError>) {
        lock(&self.routes).push_back(outcome);
    }

    /// Queues a qualifier answer.
    pub fn push_turn(&self, turn: Result<ModelTurn, LlmError>) {
        lock(&self.turns).push_back(turn);
    }

    /// Requests received (route and qualify both record).
    pub fn requests(&self) -> Vec<ModelRequest> {
        lock(&self.requests).clone()
    }
}

#[async_trait]
impl LanguageModel for ScriptedModel {
    async fn route(&self, request: &ModelRequest) -> Result<RouteOutcome, LlmError> {
        lock(&self.requests).push(request.clone());
        lock(&self.routes)
            .pop_front()
            .unwrap_or(Err(LlmError::Unavailable("script exhausted".into())))
    }

    async fn qualify(&self, request: &ModelRequest) -> Result<ModelTurn, LlmError> {
        lock(&self.requests).push(request.clone());
        lock(&self.turns)
            .pop_front()
            .unwrap_or(Err(LlmError::Unavailable("script exhausted".into())))
    }
}

/// An extractor that returns a preset reading and records what it was given.
#[derive(Debug, Default)]
pub struct ScriptedExtractor {
    reading: Mutex<Qualification>,
    calls: Mutex<Vec<(Vec<Turn>, NaiveDate)>>,
}

impl ScriptedExtractor {
    /// An extractor that always reads `q`.
    pub fn reading(q: Qualification) -> Self {
        Self {
            reading: Mutex::new(q),
            calls: Mutex::default(),
        }
    }

    /// Changes the reading.
    pub fn set(&self, q: Qualification) {
        *lock(&self.reading) = q;
    }

    /// Calls so far: the turns and the date each got.
    pub fn calls(&self) -> Vec<(Vec<Turn>, NaiveDate)> {
        lock(&self.calls).clone()
    }
}

impl OfflineExtractor for ScriptedExtractor {
    fn extract(
        &self,
        _profile: &ExtractionProfile,
        turns: &[Turn],
        today: NaiveDate,
    ) -> Qualification {
        lock(&self.calls).push((turns.to_vec(), today));
        lock(&self.reading).clone()
    }
}

/// A team messenger that records pages, failing the first `fail_first` sends (retryable).
#[derive(Debug, Default)]
pub struct RecordingTeam {
    pages: Mutex<Vec<lead_domain::events::TeamMessage>>,
    fail_first: Mutex<u32>,
}

impl RecordingTeam {
    /// Pages so far.
    pub fn pages(&self) -> Vec<lead_domain::events::TeamMessage> {
        lock(&self.pages).clone()
    }

    /// Makes the next `n` sends fail with a retryable error, like a provider outage.
    pub fn fail_next(&self, n: u32) {
        *lock(&self.fail_first) = n;
    }
}

#[async_trait]
impl lead_domain::events::TeamMessenger for RecordingTeam {
    async fn send_page(
        &self,
        _tenant: &Tenant,
        message: &lead_domain::events::TeamMessage,
    ) -> Result<(), SendError> {
        {
            let mut fail = lock(&self.fail_first);
            if *fail > 0 {
                *fail -= 1;
                return Err(SendError::Retryable {
                    message: "provider down".to_owned(),
                    retry_after: None,
                });
            }
        }
        lock(&self.pages).push(message.clone());
        Ok(())
    }
}

/// A webhook receiver that answers from a script (then 200 when it runs out) and records requests.
#[derive(Debug, Default)]
pub struct ScriptedWebhooks {
    answers: Mutex<VecDeque<lead_domain::events::WebhookAnswer>>,
    posted: Mutex<Vec<lead_domain::events::SignedWebhook>>,
}

impl ScriptedWebhooks {
    /// Queues an answer.
    pub fn push(&self, answer: lead_domain::events::WebhookAnswer) {
        lock(&self.answers).push_back(answer);
    }

    /// Requests so far.
    pub fn posted(&self) -> Vec<lead_domain::events::SignedWebhook> {
        lock(&self.posted).clone()
    }
}

#[async_trait]
impl lead_domain::events::WebhookSender for ScriptedWebhooks {
    async fn post(
        &self,
        webhook: &lead_domain::events::SignedWebhook,
    ) -> lead_domain::events::WebhookAnswer {
        lock(&self.posted).push(webhook.clone());
        lock(&self.answers)
            .pop_front()
            .unwrap_or(lead_domain::events::WebhookAnswer::Status {
                code: 200,
                retry_after: None,
            })
    }
}
