//! Prometheus metrics: one process-wide recorder (the `metrics` facade with the Prometheus
//! exporter), `GET /metrics` in the text format, the HTTP middleware, small recorder functions the
//! routes and workers call, and decorators that measure the ports (model, sender, queue, notifier)
//! without the domain or the adapters knowing.
//!
//! Labels are closed sets (route templates, channels, job kinds, outcomes, model names): a tenant,
//! lead or phone number never becomes a label value.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lead_domain::ids::JobId;
use lead_domain::ids::TenantId;
use lead_domain::jobs::{Job, JobLease, JobStatus, NewJob, RetryDecision};
use lead_domain::lead::{Channel, ModelUsage};
use lead_domain::ports::{
    JobQueue, LanguageModel, LlmError, MessageSender, ModelRequest, ModelTurn, Notification,
    Notifier, NotifyError, OutboundMessage, Page, PageOf, RouteOutcome, SendError, SendReceipt,
    StoreError,
};
use lead_domain::tenant::Tenant;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// The media type of the Prometheus text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Histogram buckets, in seconds, for request, model and speed-to-lead durations.
const SECONDS_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// The process's recorder, installed on first use; `None` when another recorder was installed
/// first (then nothing is exported and `/metrics` says so).
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), SECONDS_BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => {
                    describe();
                    Some(handle)
                }
                Err(error) => {
                    tracing::warn!(%error, "a metrics recorder was already installed: /metrics is empty");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    metrics::describe_counter!(
        "http_requests_total",
        "HTTP requests by method, route template and status"
    );
    metrics::describe_histogram!(
        "http_request_duration_seconds",
        metrics::Unit::Seconds,
        "HTTP request duration by method and route template"
    );
    metrics::describe_counter!("lead_intake_total", "Inbound contacts accepted, by channel");
    metrics::describe_counter!(
        "lead_job_runs_total",
        "Queue job runs by kind and outcome (ok, retry, dead)"
    );
    metrics::describe_counter!(
        "llm_requests_total",
        "Language model calls by provider, model and outcome"
    );
    metrics::describe_histogram!(
        "llm_request_duration_seconds",
        metrics::Unit::Seconds,
        "Language model call duration"
    );
    metrics::describe_counter!(
        "llm_tokens_total",
        "Language model tokens by model and kind (input, output, cache_write, cache_read)"
    );
    metrics::describe_gauge!(
        "llm_cost_usd_total",
        "Language model cost in US dollars by model"
    );
    metrics::describe_counter!(
        "channel_sends_total",
        "Outbound sends by channel and outcome"
    );
    metrics::describe_histogram!(
        "lead_speed_to_lead_seconds",
        metrics::Unit::Seconds,
        "From a lead's first contact to its first reply, stored with its send queued, by channel"
    );
    metrics::describe_gauge!(
        "lead_db_pool_connections",
        "Database pool connections by state (in_use, idle), read at scrape time"
    );
    metrics::describe_gauge!(
        "lead_jobs",
        "Jobs not done by kind and status (queued, running, dead), sampled every few seconds"
    );
    metrics::describe_gauge!(
        "lead_job_oldest_queued_seconds",
        metrics::Unit::Seconds,
        "How long the oldest queued job has been waiting (0 when none is queued)"
    );
    metrics::describe_counter!(
        "lead_escalations_total",
        "Notifications to a team, by kind (hot_lead, escalated, undeliverable, budget_alert)"
    );
}

/// How often the queue's gauges are refreshed.
pub const QUEUE_SAMPLE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Refreshes the queue gauges once: `lead_jobs{kind,status}` for jobs not done and
/// `lead_job_oldest_queued_seconds`, read from the shared queue (so any process reports the whole
/// queue, workers elsewhere included). `seen` remembers the pairs reported before, so a pair that
/// empties drops to 0 instead of keeping its last count.
///
/// # Errors
/// When the queue cannot be read; the gauges keep their last values.
pub async fn sample_queue(
    jobs: &dyn JobQueue,
    now: chrono::DateTime<chrono::Utc>,
    seen: &mut std::collections::BTreeSet<(String, &'static str)>,
) -> Result<(), lead_domain::ports::StoreError> {
    let stats = jobs.queue_stats(now).await?;
    let mut current = std::collections::BTreeSet::new();
    for (kind, status, count) in stats.counts {
        let key = (kind, status.as_str());
        metrics::gauge!("lead_jobs", "kind" => key.0.clone(), "status" => key.1).set(count as f64);
        current.insert(key);
    }
    for (kind, status) in seen.difference(&current) {
        metrics::gauge!("lead_jobs", "kind" => kind.clone(), "status" => *status).set(0.0);
    }
    seen.extend(current);
    let waited = stats
        .oldest_due
        .map(|due| (now - due).num_milliseconds().max(0))
        .unwrap_or(0);
    metrics::gauge!("lead_job_oldest_queued_seconds").set(waited as f64 / 1000.0);
    Ok(())
}

/// Observes `lead_speed_to_lead_seconds{channel}` when a stored decision answers a lead for the
/// first time: its reply moves the lead out of NEW. The time runs from the lead's first contact to
/// the reply's storage with its send queued; channel is where the lead first wrote.
pub fn record_speed_to_lead(decision: &lead_domain::pipeline::Decision) {
    let first_answer = decision
        .changes
        .iter()
        .any(|c| c.from == lead_domain::lifecycle::LeadState::New);
    if let (true, Some(reply)) = (first_answer, &decision.reply) {
        let waited = (reply.message.created_at - decision.lead.created_at)
            .num_milliseconds()
            .max(0);
        metrics::histogram!("lead_speed_to_lead_seconds", "channel" => decision.lead.source.as_str())
            .record(waited as f64 / 1000.0);
    }
}

/// Reads the database pool's usage at scrape time.
type PoolProbe = Arc<dyn Fn() -> lead_store::PoolUsage + Send + Sync>;

fn pool_probe() -> &'static Mutex<Option<PoolProbe>> {
    static PROBE: OnceLock<Mutex<Option<PoolProbe>>> = OnceLock::new();
    PROBE.get_or_init(|| Mutex::new(None))
}

/// Registers the store whose pool `lead_db_pool_connections{state}` reports (the last opened).
pub fn watch_pool(store: Arc<lead_store::SeaOrmStore>) {
    let probe: PoolProbe = Arc::new(move || store.pool_usage());
    if let Ok(mut slot) = pool_probe().lock() {
        *slot = Some(probe);
    }
}

fn sample_pool() {
    let probe = pool_probe().lock().ok().and_then(|slot| slot.clone());
    if let Some(probe) = probe {
        let usage = probe();
        metrics::gauge!("lead_db_pool_connections", "state" => "in_use")
            .set(f64::from(usage.in_use));
        metrics::gauge!("lead_db_pool_connections", "state" => "idle").set(f64::from(usage.idle));
    }
}

/// `GET /metrics`: every series in the Prometheus text format.
pub async fn render() -> HttpResponse {
    match handle() {
        Some(handle) => {
            sample_pool();
            handle.run_upkeep();
            HttpResponse::Ok()
                .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body(handle.render())
        }
        None => HttpResponse::ServiceUnavailable().finish(),
    }
}

/// Mounts `/metrics` (on the main app, or alone on `METRICS_PORT`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(render));
}

/// Counts each request and times it, labelled by the matched route template (`/api/v1/leads/{id}`),
/// never the raw path; unmatched paths share the label `unmatched`.
pub async fn http_metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    Ok(res)
}

/// Records an accepted inbound contact (not a duplicate).
pub fn record_intake(channel: Option<Channel>) {
    let channel = channel.map_or("web_form", Channel::as_str);
    metrics::counter!("lead_intake_total", "channel" => channel).increment(1);
}

/// Records one finished job run: `outcome` is `ok`, `retry` or `dead`.
pub fn record_job_run(kind: &'static str, outcome: &'static str) {
    metrics::counter!("lead_job_runs_total", "kind" => kind, "outcome" => outcome).increment(1);
}

/// Records one language model call with its usage.
pub fn record_model_call(
    provider: &str,
    model: &str,
    outcome: &'static str,
    elapsed: Duration,
    usage: &[ModelUsage],
) {
    metrics::counter!("llm_requests_total", "provider" => provider.to_owned(), "model" => model.to_owned(), "outcome" => outcome)
        .increment(1);
    metrics::histogram!("llm_request_duration_seconds", "provider" => provider.to_owned())
        .record(elapsed.as_secs_f64());
    for u in usage {
        for (kind, tokens) in [
            ("input", u.input_tokens),
            ("output", u.output_tokens),
            ("cache_write", u.cache_write_tokens),
            ("cache_read", u.cache_read_tokens),
        ] {
            if tokens > 0 {
                metrics::counter!("llm_tokens_total", "model" => u.model.clone(), "kind" => kind)
                    .increment(tokens);
            }
        }
        // The facade's counters count integers; the running cost is a float, so it is kept as a
        // gauge that only ever grows (query it with `increase()` like a counter).
        metrics::gauge!("llm_cost_usd_total", "model" => u.model.clone()).increment(u.cost_usd);
    }
}

/// A [`LanguageModel`] that measures each call of the one it wraps.
pub struct MeteredModel {
    inner: Arc<dyn LanguageModel>,
    provider: String,
}

impl MeteredModel {
    /// Wraps `inner`; `provider` labels calls that fail before any usage names it.
    pub fn new(inner: Arc<dyn LanguageModel>, provider: impl Into<String>) -> Self {
        Self {
            inner,
            provider: provider.into(),
        }
    }

    fn record(&self, started: Instant, outcome: &'static str, usage: &[ModelUsage]) {
        let (provider, model) = usage.first().map_or_else(
            || (self.provider.clone(), "unknown".to_owned()),
            |u| (u.provider.clone(), u.model.clone()),
        );
        record_model_call(&provider, &model, outcome, started.elapsed(), usage);
    }
}

fn llm_outcome(err: &LlmError) -> (&'static str, &[ModelUsage]) {
    match err {
        LlmError::Timeout => ("timeout", &[]),
        LlmError::RateLimited(_) => ("rate_limited", &[]),
        LlmError::InvalidOutput { usage, .. } => ("invalid_output", usage),
        LlmError::CircuitOpen => ("circuit_open", &[]),
        _ => ("error", &[]),
    }
}

#[async_trait]
impl LanguageModel for MeteredModel {
    async fn route(&self, request: &ModelRequest) -> Result<RouteOutcome, LlmError> {
        let started = Instant::now();
        let result = self.inner.route(request).await;
        match &result {
            Ok(out) => self.record(started, "ok", &out.usage),
            Err(e) => {
                let (outcome, usage) = llm_outcome(e);
                self.record(started, outcome, usage);
            }
        }
        result
    }

    async fn qualify(&self, request: &ModelRequest) -> Result<ModelTurn, LlmError> {
        let started = Instant::now();
        let result = self.inner.qualify(request).await;
        match &result {
            Ok(out) => self.record(started, "ok", &out.usage),
            Err(e) => {
                let (outcome, usage) = llm_outcome(e);
                self.record(started, outcome, usage);
            }
        }
        result
    }
}

/// A [`MessageSender`] that counts each send of the one it wraps by channel and outcome.
pub struct MeteredSender {
    inner: Arc<dyn MessageSender>,
}

impl MeteredSender {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn MessageSender>) -> Self {
        Self { inner }
    }
}

#[async_trait]
impl MessageSender for MeteredSender {
    async fn send(
        &self,
        tenant: &Tenant,
        message: &OutboundMessage,
    ) -> Result<SendReceipt, SendError> {
        let result = self.inner.send(tenant, message).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(SendError::Permanent { .. }) => "permanent_failure",
            Err(_) => "failure",
        };
        metrics::counter!("channel_sends_total", "channel" => message.channel.as_str(), "outcome" => outcome)
            .increment(1);
        result
    }

    fn can_deliver(&self, tenant: &Tenant, channel: Channel) -> bool {
        self.inner.can_deliver(tenant, channel)
    }
}

/// A [`Notifier`] that counts escalations and alerts by kind.
pub struct MeteredNotifier {
    inner: Arc<dyn Notifier>,
}

impl MeteredNotifier {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Notifier>) -> Self {
        Self { inner }
    }
}

#[async_trait]
impl Notifier for MeteredNotifier {
    async fn notify(
        &self,
        tenant: &Tenant,
        notification: &Notification,
    ) -> Result<(), NotifyError> {
        let kind = match notification {
            Notification::HotLead { .. } => "hot_lead",
            Notification::Escalated { .. } => "escalated",
            Notification::Undeliverable { .. } => "undeliverable",
            Notification::BudgetAlert { .. } => "budget_alert",
            Notification::Booking { .. } => "booking",
        };
        metrics::counter!("lead_escalations_total", "kind" => kind).increment(1);
        self.inner.notify(tenant, notification).await
    }
}

/// A [`JobQueue`] that counts job runs by kind and outcome: it remembers the kind of each job it
/// hands out and records the run when the job is completed or failed.
pub struct MeteredQueue {
    inner: Arc<dyn JobQueue>,
    claimed: Mutex<HashMap<JobId, &'static str>>,
}

impl MeteredQueue {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn JobQueue>) -> Self {
        Self {
            inner,
            claimed: Mutex::new(HashMap::new()),
        }
    }

    fn kind_of(&self, id: JobId) -> &'static str {
        self.claimed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id)
            .unwrap_or("unknown")
    }
}

#[async_trait]
impl JobQueue for MeteredQueue {
    async fn enqueue(&self, job: &NewJob) -> Result<(), StoreError> {
        self.inner.enqueue(job).await
    }

    async fn claim_due(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<Job>, StoreError> {
        let jobs = self.inner.claim_due(worker, now, limit, lease).await?;
        let mut claimed = self.claimed.lock().unwrap_or_else(PoisonError::into_inner);
        for job in &jobs {
            claimed.insert(job.id, job.payload.kind());
        }
        Ok(jobs)
    }

    async fn renew(
        &self,
        lease: JobLease,
        now: DateTime<Utc>,
        extend: Duration,
    ) -> Result<bool, StoreError> {
        self.inner.renew(lease, now, extend).await
    }

    async fn complete(
        &self,
        lease: JobLease,
        now: DateTime<Utc>,
        note: Option<String>,
    ) -> Result<(), StoreError> {
        let result = self.inner.complete(lease, now, note).await;
        record_job_run(self.kind_of(lease.id), "ok");
        result
    }

    async fn fail(
        &self,
        lease: JobLease,
        error: &str,
        decision: RetryDecision,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let outcome = match decision {
            RetryDecision::RetryAt(_) => "retry",
            RetryDecision::GiveUp => "dead",
        };
        let result = self.inner.fail(lease, error, decision, now).await;
        record_job_run(self.kind_of(lease.id), outcome);
        result
    }

    async fn list_jobs(&self, status: JobStatus, page: Page) -> Result<PageOf<Job>, StoreError> {
        self.inner.list_jobs(status, page).await
    }

    async fn queue_stats(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<lead_domain::jobs::QueueStats, StoreError> {
        self.inner.queue_stats(now).await
    }

    async fn retry_dead(&self, id: JobId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.inner.retry_dead(id, now).await
    }

    async fn get_job(&self, tenant: TenantId, id: JobId) -> Result<Option<Job>, StoreError> {
        self.inner.get_job(tenant, id).await
    }
}

/// The decision store, counting the processing jobs its commits complete (they finish inside the
/// decision's transaction, not through the job queue).
pub struct MeteredDecisions {
    inner: Arc<dyn lead_domain::pipeline::DecisionStore>,
}

impl MeteredDecisions {
    /// Wraps a decision store.
    pub fn new(inner: Arc<dyn lead_domain::pipeline::DecisionStore>) -> Self {
        Self { inner }
    }
}

#[async_trait]
impl lead_domain::pipeline::DecisionStore for MeteredDecisions {
    async fn commit_decision(
        &self,
        decision: &lead_domain::pipeline::Decision,
        completion: Option<lead_domain::pipeline::Completion>,
    ) -> Result<(), lead_domain::pipeline::CommitError> {
        let completes = completion.is_some();
        let result = self.inner.commit_decision(decision, completion).await;
        if result.is_ok() {
            if completes {
                record_job_run("process_inbound", "ok");
            }
            record_speed_to_lead(decision);
        }
        result
    }

    async fn processing_context(
        &self,
        lead: &lead_domain::lead::Lead,
        reply_to: Option<lead_domain::contact::Address>,
    ) -> Result<lead_domain::pipeline::ProcessingContext, StoreError> {
        self.inner.processing_context(lead, reply_to).await
    }
}
