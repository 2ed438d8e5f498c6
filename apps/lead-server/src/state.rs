//! What every handler shares: the use cases' adapters, storage, credentials, limits and settings.

use crate::auth::{AdminAuthority, KeyCache};
use crate::config::Settings;
use crate::ratelimit::RateLimiter;
use crate::storage::Storage;
use lead_domain::usecases::Deps;
use std::sync::Arc;
use tokio::sync::Notify;

/// Everything handlers share.
pub struct AppState {
    /// The adapters behind the ports.
    pub deps: Deps,
    /// Storage ports the use cases do not carry (the webhook log).
    pub storage: Storage,
    /// The platform admin credential.
    pub admin: AdminAuthority,
    /// Recently resolved API keys.
    pub keys: KeyCache,
    /// Per-tenant rate limit; kept for the Redis readiness probe, the request budgets are in `limits`.
    pub limiter: RateLimiter,
    /// The rate budgets by kind of caller.
    pub limits: crate::limits::Limits,
    /// The reverse proxies whose forwarded headers are believed.
    pub proxies: crate::proxies::TrustedProxies,
    /// Caps on open live-chat streams, and their shutdown signal.
    pub streams: Arc<crate::streams::StreamSlots>,
    /// Wakes idle queue workers when an intake queued work.
    pub wake: Arc<Notify>,
    /// Notified by the in-process workers after each batch of jobs, so live-chat requests and
    /// streams waiting for a reply look again without waiting for their next poll.
    pub jobs_done: Arc<Notify>,
    /// The settings in effect.
    pub settings: Arc<Settings>,
    /// Users, sessions and read models of the sales inbox at `/app`.
    pub inbox: crate::app::InboxServices,
}
