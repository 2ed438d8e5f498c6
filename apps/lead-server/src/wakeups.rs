//! Wakes the live-chat readers waiting on a conversation when a reply is stored. In process the
//! workers' `jobs_done` signal does it; across processes on PostgreSQL a listener task hears the
//! `lead_messages` notifications of every process and wakes the readers of the conversation
//! named. Readers still look again after a fallback interval: 1 second in process only, 10
//! seconds while the cross-process listener is connected.

use lead_domain::ids::ConversationId;
use lead_store::SeaOrmStore;
use lead_store::notify::Heard;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;
use tokio::sync::Notify;
use uuid::Uuid;

/// How often a waiting reader looks again when only in-process signals reach it.
pub const IN_PROCESS_FALLBACK: Duration = Duration::from_secs(1);

/// How often it looks again while the cross-process listener is connected.
pub const CROSS_PROCESS_FALLBACK: Duration = Duration::from_secs(10);

/// How long the listener waits before connecting again after a failure.
const RETRY: Duration = Duration::from_secs(1);

/// The readers waiting on each conversation, and whether another process's replies reach them.
#[derive(Default)]
pub struct ReplyWakeups {
    watchers: Mutex<HashMap<Uuid, Weak<Notify>>>,
    cross_process: AtomicBool,
}

impl ReplyWakeups {
    /// Wake-ups from this process only (SQLite, or before the listener connects).
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The signal notified when a reply is stored in `conversation`; readers of one
    /// conversation share it. Keep it while waiting.
    pub fn watch(&self, conversation: ConversationId) -> Arc<Notify> {
        let mut watchers = self.watchers.lock().unwrap_or_else(PoisonError::into_inner);
        let key = conversation.as_uuid();
        if let Some(notify) = watchers.get(&key).and_then(Weak::upgrade) {
            return notify;
        }
        // Forget conversations nobody waits on any more before adding one.
        watchers.retain(|_, w| w.strong_count() > 0);
        let notify = Arc::new(Notify::new());
        watchers.insert(key, Arc::downgrade(&notify));
        notify
    }

    /// Wakes the readers of `conversation`, if any.
    pub fn wake(&self, conversation: ConversationId) {
        let notify = self
            .watchers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&conversation.as_uuid())
            .and_then(Weak::upgrade);
        if let Some(notify) = notify {
            notify.notify_waiters();
        }
    }

    /// Wakes every reader (after announcements may have been missed).
    pub fn wake_all(&self) {
        let all: Vec<Arc<Notify>> = self
            .watchers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter_map(Weak::upgrade)
            .collect();
        for notify in all {
            notify.notify_waiters();
        }
    }

    /// Whether replies stored by other processes wake readers now.
    pub fn cross_process(&self) -> bool {
        self.cross_process.load(Ordering::Relaxed)
    }

    /// How long a waiting reader sleeps before looking again without a signal.
    pub fn fallback(&self) -> Duration {
        if self.cross_process() {
            CROSS_PROCESS_FALLBACK
        } else {
            IN_PROCESS_FALLBACK
        }
    }

    /// Starts the cross-process listener on PostgreSQL (nothing on SQLite). It runs until the
    /// wake-ups are dropped, connecting again after failures; while it is down readers fall back
    /// to the short interval.
    pub fn listen(self: &Arc<Self>, store: Arc<SeaOrmStore>) {
        if store.backend() != lead_store::Backend::Postgres {
            return;
        }
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let listener = match store.listen_outbound().await {
                    Ok(Some(listener)) => Some(listener),
                    Ok(None) => return,
                    Err(error) => {
                        tracing::warn!(%error, "cannot listen for replies of other processes");
                        None
                    }
                };
                if let Some(mut listener) = listener {
                    let Some(wakeups) = weak.upgrade() else {
                        return;
                    };
                    wakeups.cross_process.store(true, Ordering::Relaxed);
                    drop(wakeups);
                    loop {
                        let heard = listener.next().await;
                        let Some(wakeups) = weak.upgrade() else {
                            return;
                        };
                        match heard {
                            Ok(Heard::Outbound(conversation)) => wakeups.wake(conversation),
                            Ok(Heard::Reconnected) => wakeups.wake_all(),
                            Err(error) => {
                                tracing::warn!(%error, "lost the listener for replies of other processes");
                                wakeups.cross_process.store(false, Ordering::Relaxed);
                                wakeups.wake_all();
                                break;
                            }
                        }
                    }
                }
                if weak.strong_count() == 0 {
                    return;
                }
                tokio::time::sleep(RETRY).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wakes_only_the_readers_of_the_conversation_named() {
        let wakeups = ReplyWakeups::new();
        let a = ConversationId::from_uuid(Uuid::from_u128(1));
        let b = ConversationId::from_uuid(Uuid::from_u128(2));
        let on_a = wakeups.watch(a);
        let on_b = wakeups.watch(b);
        assert!(
            Arc::ptr_eq(&on_a, &wakeups.watch(a)),
            "readers of one conversation share a signal"
        );
        let woken_a = on_a.notified();
        let woken_b = on_b.notified();
        tokio::pin!(woken_a, woken_b);
        woken_a.as_mut().enable();
        woken_b.as_mut().enable();
        wakeups.wake(a);
        assert!(futures::poll!(woken_a.as_mut()).is_ready());
        assert!(futures::poll!(woken_b.as_mut()).is_pending());
        wakeups.wake_all();
        assert!(futures::poll!(woken_b.as_mut()).is_ready());
    }

    #[test]
    fn forgets_conversations_nobody_watches() {
        let wakeups = ReplyWakeups::new();
        for n in 0..100 {
            drop(wakeups.watch(ConversationId::from_uuid(Uuid::from_u128(n))));
        }
        let _kept = wakeups.watch(ConversationId::from_uuid(Uuid::from_u128(1000)));
        assert_eq!(wakeups.watchers.lock().map(|w| w.len()).unwrap_or(0), 1);
        assert_eq!(wakeups.fallback(), IN_PROCESS_FALLBACK);
    }
}
