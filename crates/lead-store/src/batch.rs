//! Group commit of concurrent intakes.
//!
//! Every accepted lead costs one durable commit, and a commit waits for the
//! write-ahead log to reach the disk. Under load, intakes queue here and a
//! few lanes each take whatever is waiting, store it in one transaction and
//! commit once, so one flush covers many leads. A caller is answered only
//! after the transaction holding its intake committed. Nothing waits to fill
//! a batch: an idle lane takes a lone intake at once, so a quiet service
//! answers as fast as without batching, and batches grow only while every
//! lane is busy.

use std::sync::Arc;

use lead_domain::ports::{InboundIntake, IntakeReceipt, StoreError};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::SeaOrmStore;

/// An intake waiting for its batch, and where its outcome goes.
struct Pending {
    intake: InboundIntake,
    /// The trace context of the request that submitted it, for its job: the lane runs in a task
    /// of its own, outside the request's span.
    trace: Option<String>,
    reply: oneshot::Sender<Result<IntakeReceipt, StoreError>>,
}

/// The queue in front of the intake lanes of one store.
#[derive(Debug)]
pub(crate) struct IntakeBatcher {
    queue: mpsc::Sender<Pending>,
}

impl IntakeBatcher {
    /// Starts `lanes` lanes on the current tokio runtime, each storing up to
    /// `max_batch` intakes per transaction through `store` (which must not
    /// itself batch).
    pub(crate) fn start(store: &SeaOrmStore, lanes: usize, max_batch: usize) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..lanes.max(1) {
            tokio::spawn(lane(store.clone(), receiver.clone(), max_batch.max(1)));
        }
        Self { queue }
    }

    /// Queues `intake` and waits until its batch committed or failed.
    ///
    /// `None` when the lanes are gone (their runtime shut down); the caller
    /// then stores the intake on its own.
    pub(crate) async fn submit(
        &self,
        intake: &InboundIntake,
    ) -> Option<Result<IntakeReceipt, StoreError>> {
        let (reply, outcome) = oneshot::channel();
        let pending = Pending {
            intake: intake.clone(),
            trace: crate::trace_context::current(),
            reply,
        };
        self.queue.send(pending).await.ok()?;
        Some(outcome.await.unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "the intake batch was abandoned before it answered; its outcome is unknown"
                    .to_owned(),
            ))
        }))
    }
}

/// Intakes that may wait for a lane; senders beyond it wait for room.
const QUEUE_CAPACITY: usize = 4096;

/// Takes what is waiting (at least one intake, at most `max_batch`), stores
/// it in one transaction and answers every caller; ends when the store and
/// all its clones are gone.
async fn lane(store: SeaOrmStore, queue: Arc<Mutex<mpsc::Receiver<Pending>>>, max_batch: usize) {
    let mut batch = Vec::with_capacity(max_batch);
    loop {
        {
            let mut receiver = queue.lock().await;
            if receiver.recv_many(&mut batch, max_batch).await == 0 {
                return;
            }
        }
        let mut intakes = Vec::with_capacity(batch.len());
        let mut traces = Vec::with_capacity(batch.len());
        let mut replies = Vec::with_capacity(batch.len());
        for pending in batch.drain(..) {
            intakes.push(pending.intake);
            traces.push(pending.trace);
            replies.push(pending.reply);
        }
        let outcomes = store.record_inbound_traced(&intakes, &traces).await;
        tracing::trace!(size = intakes.len(), "intake batch done");
        for (reply, outcome) in replies.into_iter().zip(outcomes) {
            // A caller that stopped waiting (its request was cancelled)
            // leaves its intake stored all the same.
            drop(reply.send(outcome));
        }
    }
}
