//! Queue workers: tokio tasks that claim due jobs and run up to `concurrency` of them at once
//! (model calls overlap; no database connection is held during one), each under its own lease
//! renewed by a heartbeat every third of the lease. A job whose lease is lost is abandoned (its
//! commit is fenced anyway); a job whose task panics is released for a retry. Workers sleep when
//! the queue is empty (or until an intake wakes them) and finish their running jobs on shutdown.

use lead_domain::jobs::{Job, RetryDecision};
use lead_domain::usecases::{self, Deps};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinHandle;
use tracing::Instrument;

/// How long after start the first retention pass runs (the process is up and serving by then).
const RETENTION_FIRST_RUN: Duration = Duration::from_secs(60);

/// How often the tenants' retention periods are applied.
const RETENTION_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// Applies the tenants' retention periods once a day while the workers run; every worker process
/// does it, and a pass that finds nothing to remove costs a few indexed queries.
async fn run_retention(deps: Deps, mut stopped: watch::Receiver<bool>) {
    let mut wait = RETENTION_FIRST_RUN;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stopped.changed() => return,
        }
        wait = RETENTION_EVERY;
        match usecases::retention::apply_retention(&deps).await {
            Ok(report) => {
                for (tenant, purged) in report.purged {
                    if purged.leads + purged.messages > 0 {
                        tracing::info!(client_id = %tenant, leads = purged.leads, messages = purged.messages, "retention applied");
                    }
                }
                for (tenant, error) in report.failed {
                    tracing::warn!(client_id = %tenant, %error, "retention could not be applied; the next pass tries again");
                }
            }
            Err(error) => tracing::warn!(%error, "retention periods could not be read"),
        }
    }
}

/// Keeps the queue's gauges (`lead_jobs`, `lead_jobs_oldest_queued_seconds`) current.
async fn run_queue_sampler(deps: Deps, mut stopped: watch::Receiver<bool>) {
    // Every kind and status starts at 0, so the series exist before the first job.
    let mut seen: std::collections::BTreeSet<(String, &'static str)> =
        lead_domain::jobs::JobPayload::KINDS
            .iter()
            .flat_map(|kind| {
                ["queued", "running", "dead"]
                    .into_iter()
                    .map(|status| ((*kind).to_owned(), status))
            })
            .collect();
    loop {
        if let Err(error) =
            crate::metrics::sample_queue(deps.jobs.as_ref(), deps.clock.now(), &mut seen).await
        {
            tracing::debug!(%error, "the queue gauges could not be sampled");
        }
        tokio::select! {
            _ = tokio::time::sleep(crate::metrics::QUEUE_SAMPLE_EVERY) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// How the workers poll.
#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// Jobs claimed at once.
    pub batch: u32,
    /// How long a claimed job is leased; renewed every third of it while the job runs.
    pub lease: Duration,
    /// Jobs one worker runs at the same time.
    pub concurrency: usize,
    /// Sleep between polls of an empty queue.
    pub poll: Duration,
    /// How long shutdown waits for the current batches.
    pub drain: Duration,
}

/// Running workers and the switch that stops them.
pub struct WorkerPool {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
    workers: usize,
    drain: Duration,
}

impl WorkerPool {
    /// Starts `count` workers; `wake` lets intakes cut the poll sleep short, and `finished` is
    /// notified (all waiters) after every batch that ran jobs, so live-chat requests waiting for a
    /// reply look again at once.
    pub fn spawn(
        deps: Deps,
        count: usize,
        settings: WorkerSettings,
        wake: Arc<Notify>,
        finished: Arc<Notify>,
    ) -> Self {
        let (stop, stopped) = watch::channel(false);
        let suffix: u32 = rand::random();
        let mut handles: Vec<JoinHandle<()>> = (0..count)
            .map(|i| {
                let name = format!("{}-{:08x}-{i}", std::process::id(), suffix);
                tokio::spawn(run_worker(
                    deps.clone(),
                    name,
                    settings,
                    stopped.clone(),
                    wake.clone(),
                    finished.clone(),
                ))
            })
            .collect();
        if count > 0 {
            tracing::info!(workers = count, "queue workers started");
            handles.push(tokio::spawn(run_retention(deps.clone(), stopped.clone())));
        }
        handles.push(tokio::spawn(run_queue_sampler(
            deps.clone(),
            stopped.clone(),
        )));
        Self {
            stop,
            handles,
            workers: count,
            drain: settings.drain,
        }
    }

    /// How many workers run.
    pub fn len(&self) -> usize {
        self.workers
    }

    /// Whether no worker runs (`--workers 0`).
    pub fn is_empty(&self) -> bool {
        self.workers == 0
    }

    /// Stops claiming new jobs and waits, up to the drain timeout, for the current batches.
    pub async fn stop(self) {
        if self.handles.is_empty() {
            return;
        }
        // Receivers may be gone when every worker already ended; nothing to tell then.
        let _ = self.stop.send(true);
        let all = futures::future::join_all(self.handles);
        if tokio::time::timeout(self.drain, all).await.is_err() {
            tracing::warn!(
                drain_seconds = self.drain.as_secs(),
                "queue workers did not finish in time; their leases will expire and the jobs run again"
            );
        } else {
            tracing::info!("queue workers stopped");
        }
    }
}

async fn run_worker(
    deps: Deps,
    name: String,
    settings: WorkerSettings,
    mut stopped: watch::Receiver<bool>,
    wake: Arc<Notify>,
    finished: Arc<Notify>,
) {
    let concurrency = settings.concurrency.max(1);
    let slots = Arc::new(Semaphore::new(concurrency));
    loop {
        if *stopped.borrow() {
            break;
        }
        // Wait for a free slot before claiming, so a claimed job never waits for one.
        let first = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            changed = stopped.changed() => {
                if changed.is_err() { break; }
                continue;
            }
        };
        let free = u32::try_from(slots.available_permits() + 1).unwrap_or(u32::MAX);
        let limit = settings.batch.min(free);
        let claimed = match deps
            .jobs
            .claim_due(&name, deps.clock.now(), limit, settings.lease)
            .await
        {
            Ok(jobs) => jobs,
            Err(error) => {
                tracing::warn!(worker = %name, %error, "queue poll failed");
                Vec::new()
            }
        };
        if claimed.is_empty() {
            drop(first);
            tokio::select! {
                changed = stopped.changed() => {
                    // The pool was dropped without a stop: nobody can stop this worker any more.
                    if changed.is_err() {
                        break;
                    }
                }
                () = wake.notified() => {}
                () = tokio::time::sleep(settings.poll) => {}
            }
            continue;
        }
        tracing::debug!(worker = %name, jobs = claimed.len(), "jobs claimed");
        let mut first = Some(first);
        for job in claimed {
            let slot = match first.take() {
                Some(slot) => slot,
                None => match slots.clone().acquire_owned().await {
                    Ok(slot) => slot,
                    Err(_) => break,
                },
            };
            let deps = deps.clone();
            let finished = finished.clone();
            let worker = name.clone();
            let lease = settings.lease;
            tokio::spawn(async move {
                run_leased(&deps, &worker, job, lease).await;
                finished.notify_waiters();
                drop(slot);
            });
        }
    }
    // Let the running jobs finish; the pool's drain timeout bounds the wait.
    let all = u32::try_from(concurrency).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

/// Runs one job under its lease: a heartbeat renews the lease every third of it, and the job is
/// abandoned as soon as a renewal says the lease was lost. A panic of the job's task is caught and
/// the job released for a retry instead of waiting for its lease to run out.
async fn run_leased(deps: &Deps, worker: &str, job: Job, lease: Duration) {
    let lease_id = job.lease();
    let id = job.id;
    let span = crate::tracing_http::job_span(&job);
    let runner = {
        let deps = deps.clone();
        let span = span.clone();
        tokio::spawn(
            async move { usecases::execute_job(&deps, &job).await.map(|_| ()) }.instrument(span),
        )
    };
    let abort = runner.abort_handle();
    let heartbeat = async {
        let every = (lease / 3).max(Duration::from_millis(50));
        loop {
            tokio::time::sleep(every).await;
            match deps.jobs.renew(lease_id, deps.clock.now(), lease).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(error) => {
                    // The database may be back before the lease ends; keep trying.
                    tracing::warn!(worker, job = %id, %error, "renewing a job lease failed");
                }
            }
        }
    };
    tokio::select! {
        joined = runner => match joined {
            Ok(Ok(())) => {
                span.record("otel.status_code", "OK");
            }
            Ok(Err(error)) => {
                span.record("otel.status_code", "ERROR");
                tracing::warn!(worker, job = %id, %error, "recording a job result failed; it runs again when its lease ends");
            }
            Err(e) if e.is_panic() => {
                span.record("otel.status_code", "ERROR");
                tracing::error!(worker, job = %id, "job panicked; released for a retry");
                let now = deps.clock.now();
                let retry = RetryDecision::RetryAt(now + deps.retry.base);
                if let Err(error) = deps.jobs.fail(lease_id, "the job panicked", retry, now).await {
                    tracing::warn!(worker, job = %id, %error, "releasing a panicked job failed");
                }
            }
            Err(_) => {}
        },
        () = heartbeat => {
            abort.abort();
            tracing::warn!(worker, job = %id, "job lease lost to another worker; its effects are abandoned");
        }
    }
}
