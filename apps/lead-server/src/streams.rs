//! Caps on open live-chat event streams (per visitor session, per client address, per widget
//! key) and the signal that ends them all at shutdown, so open streams never hold the process.

use crate::error::ApiError;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;

/// Seconds a refused stream is told to wait before trying again.
const RETRY_AFTER_SECS: u64 = 5;

/// The caps and the count of open streams under each key.
pub struct StreamSlots {
    per_session: u32,
    per_address: u32,
    per_widget_key: u32,
    open: Mutex<HashMap<String, u32>>,
    closing: watch::Sender<bool>,
}

/// One open stream's place under the caps; dropping it (the stream ended or the client left)
/// frees the place.
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    keys: [String; 3],
}

impl StreamSlots {
    /// Caps as configured (`LIVE_CHAT_STREAMS_PER_*`).
    pub fn new(per_session: u32, per_address: u32, per_widget_key: u32) -> Arc<Self> {
        Arc::new(Self {
            per_session,
            per_address,
            per_widget_key,
            open: Mutex::new(HashMap::new()),
            closing: watch::channel(false).0,
        })
    }

    /// Takes a place for a new stream, or refuses it when any of its three caps is reached.
    ///
    /// # Errors
    /// [`ApiError::RateLimited`] naming a short wait.
    pub fn acquire(
        self: &Arc<Self>,
        widget_key: &str,
        session: &str,
        address: IpAddr,
    ) -> Result<StreamSlot, ApiError> {
        let keys = [
            format!("s:{widget_key}/{session}"),
            format!("a:{address}"),
            format!("k:{widget_key}"),
        ];
        let caps = [self.per_session, self.per_address, self.per_widget_key];
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if keys
            .iter()
            .zip(caps)
            .any(|(key, cap)| open.get(key).copied().unwrap_or(0) >= cap)
        {
            tracing::warn!(%address, "live chat stream refused: too many open streams");
            return Err(ApiError::RateLimited {
                retry_after_secs: RETRY_AFTER_SECS,
            });
        }
        for key in &keys {
            *open.entry(key.clone()).or_insert(0) += 1;
        }
        Ok(StreamSlot {
            slots: self.clone(),
            keys,
        })
    }

    /// Open streams under a key kind and value, for tests and diagnostics.
    pub fn open_for_address(&self, address: IpAddr) -> u32 {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&format!("a:{address}"))
            .copied()
            .unwrap_or(0)
    }

    /// A receiver that turns `true` when the service begins to stop.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Tells every open stream to end now.
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self
            .slots
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for key in &self.keys {
            if let Some(n) = open.get_mut(key) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    open.remove(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cap_holds_and_places_come_back() {
        let slots = StreamSlots::new(2, 3, 4);
        let a = IpAddr::from([192, 0, 2, 1]);
        let b = IpAddr::from([192, 0, 2, 2]);
        let s1 = slots.acquire("wk", "s1", a).expect("first");
        let _s2 = slots.acquire("wk", "s1", a).expect("second");
        assert!(slots.acquire("wk", "s1", a).is_err(), "session cap");
        let _s3 = slots.acquire("wk", "s2", a).expect("third for the address");
        assert!(slots.acquire("wk", "s3", a).is_err(), "address cap");
        let _s4 = slots.acquire("wk", "s3", b).expect("fourth for the key");
        assert!(slots.acquire("wk", "s4", b).is_err(), "widget key cap");
        assert!(slots.acquire("wk2", "s4", b).is_ok(), "another widget");
        drop(s1);
        assert_eq!(slots.open_for_address(a), 2);
        assert!(
            slots.acquire("wk", "s9", b).is_ok(),
            "a freed place is reused"
        );
    }
}
