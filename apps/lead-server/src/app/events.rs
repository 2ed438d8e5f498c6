//! Live updates of the inbox: one server-sent event stream per signed-in page, at most
//! [`STREAMS_PER_USER`] per user, sending `changed` when the tenant's leads or conversations
//! change (compared across instances through the database), so the page refreshes its content.

use crate::app::auth::{PageError, Viewer};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use lead_domain::ids::TenantId;
use lead_domain::users::UserId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Streams one user may hold open at once (a few tabs); more are refused with 429.
pub const STREAMS_PER_USER: usize = 4;
/// How often a stream looks for changes.
const POLL: Duration = Duration::from_secs(2);
/// A comment is sent at least this often so proxies keep the connection.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Streams end after this long; the browser reconnects.
const LIFETIME: Duration = Duration::from_secs(30 * 60);

/// Open streams per user.
#[derive(Clone, Default)]
pub struct StreamSlots(Arc<Mutex<HashMap<UserId, usize>>>);

/// One held slot, given back when the stream ends however it ends.
struct Slot {
    slots: StreamSlots,
    user: UserId,
}

impl StreamSlots {
    fn take(&self, user: UserId) -> Option<Slot> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let n = map.entry(user).or_insert(0);
        if *n >= STREAMS_PER_USER {
            return None;
        }
        *n += 1;
        Some(Slot {
            slots: self.clone(),
            user,
        })
    }

    /// Streams a user holds now.
    pub fn held(&self, user: UserId) -> usize {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&user)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.slots.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.user);
            }
        }
    }
}

struct Feed {
    state: web::Data<AppState>,
    tenant: TenantId,
    seen: Option<DateTime<Utc>>,
    started: Instant,
    last_sent: Instant,
    opened: bool,
    _slot: Slot,
}

impl Feed {
    async fn next_chunk(&mut self) -> Option<String> {
        if !self.opened {
            self.opened = true;
            return Some("retry: 3000\n: connected\n\n".to_owned());
        }
        loop {
            if self.started.elapsed() >= LIFETIME {
                return None;
            }
            tokio::select! {
                () = tokio::time::sleep(POLL) => {}
                () = self.state.jobs_done.notified() => {}
            }
            let latest = self
                .state
                .inbox
                .reader
                .latest_activity(self.tenant)
                .await
                .ok()?;
            if latest > self.seen {
                self.seen = latest;
                self.last_sent = Instant::now();
                return Some("event: changed\ndata: {}\n\n".to_owned());
            }
            if self.last_sent.elapsed() >= KEEP_ALIVE {
                self.last_sent = Instant::now();
                return Some(": keep-alive\n\n".to_owned());
            }
        }
    }
}

/// `GET /app/events`: `event: changed` when something new arrived for the viewer's tenant.
pub async fn stream(viewer: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let Some(slot) = state.inbox.streams.take(viewer.user.id) else {
        return Ok(HttpResponse::TooManyRequests()
            .insert_header((header::RETRY_AFTER, "30"))
            .content_type("text/plain; charset=utf-8")
            .body("too many live streams for this user"));
    };
    let seen = state.inbox.reader.latest_activity(viewer.tenant.id).await?;
    let feed = Feed {
        state: state.clone(),
        tenant: viewer.tenant.id,
        seen,
        started: Instant::now(),
        last_sent: Instant::now(),
        opened: false,
        _slot: slot,
    };
    let body = futures::stream::unfold(feed, |mut feed| async move {
        let chunk = feed.next_chunk().await?;
        Some((Ok::<_, actix_web::Error>(web::Bytes::from(chunk)), feed))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn streams_are_capped_per_user_and_given_back() {
        let slots = StreamSlots::default();
        let user = UserId::from_uuid(Uuid::from_u128(7));
        let held: Vec<_> = (0..STREAMS_PER_USER)
            .filter_map(|_| slots.take(user))
            .collect();
        assert_eq!(held.len(), STREAMS_PER_USER);
        assert!(slots.take(user).is_none());
        assert!(slots.take(UserId::from_uuid(Uuid::from_u128(8))).is_some());
        drop(held);
        assert_eq!(slots.held(user), 0);
    }
}
