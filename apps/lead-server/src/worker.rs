//! Queue workers: tokio tasks that claim due jobs through `usecases::worker_tick`, sleep when the
//! queue is empty (or until an intake wakes them), and stop after their current batch on shutdown.

use lead_domain::usecases::{self, Deps};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// How the workers poll.
#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// Jobs claimed at once.
    pub batch: u32,
    /// How long a claimed job is leased.
    pub lease: Duration,
    /// Sleep between polls of an empty queue.
    pub poll: Duration,
    /// How long shutdown waits for the current batches.
    pub drain: Duration,
}

/// Running workers and the switch that stops them.
pub struct WorkerPool {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
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
        let handles = (0..count)
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
        }
        Self {
            stop,
            handles,
            drain: settings.drain,
        }
    }

    /// How many workers run.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Whether no worker runs (`--workers 0`).
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
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
    loop {
        if *stopped.borrow() {
            break;
        }
        let claimed =
            match usecases::worker_tick(&deps, &name, settings.batch, settings.lease).await {
                Ok(n) => n,
                Err(error) => {
                    tracing::warn!(worker = %name, %error, "queue poll failed");
                    0
                }
            };
        if claimed > 0 {
            tracing::debug!(worker = %name, jobs = claimed, "jobs run");
            finished.notify_waiters();
            continue;
        }
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
    }
}
