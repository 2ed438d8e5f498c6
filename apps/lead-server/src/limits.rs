//! Rate limits by kind of caller, each with its own budget so one kind can never use up another's.
//!
//! | budget | keyed by | default per minute |
//! | --- | --- | --- |
//! | signed provider webhooks (Twilio, Cal.com) | tenant | `RATE_LIMIT_WEBHOOK_PER_MINUTE`, 0 = none |
//! | tenant API | API key | `RATE_LIMIT_PER_MINUTE` |
//! | live-chat widget | visitor session, address, widget key | `RATE_LIMIT_WIDGET_*_PER_MINUTE` |
//! | sign-in | account, address | `RATE_LIMIT_SIGN_IN_*_PER_MINUTE` |
//! | failed credentials (admin token, API keys) | address | `RATE_LIMIT_AUTH_FAILURES_PER_MINUTE` |
//!
//! Each budget is a GCRA limiter from `governor` in this process (burst = the per-minute figure,
//! refilled evenly). With `REDIS_URL`, the budgets several instances must share (webhooks, API
//! keys, widget keys, sign-in accounts) are also counted in a one-minute window in Redis; a Redis
//! failure lets the request through, logged, because losing a lead is worse than a burst.

use crate::error::ApiError;
use deadpool_redis::redis;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use lead_domain::ids::TenantId;
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Past this many keys in one budget, keys whose bucket is full again are dropped.
const PRUNE_ABOVE: usize = 50_000;

/// How often (in checks) a budget looks at its size.
const PRUNE_EVERY: u64 = 4096;

/// The per-minute figures of every budget; 0 switches a budget off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSettings {
    /// Signed provider webhooks, per tenant.
    pub webhook_per_minute: u32,
    /// The tenant API (and the web form), per API key.
    pub api_key_per_minute: u32,
    /// Live-chat posts per visitor session.
    pub widget_session_per_minute: u32,
    /// Live-chat requests per client address.
    pub widget_address_per_minute: u32,
    /// Live-chat posts per widget key (the whole widget of one tenant).
    pub widget_key_per_minute: u32,
    /// Sign-in attempts per account.
    pub sign_in_account_per_minute: u32,
    /// Sign-in attempts per client address.
    pub sign_in_address_per_minute: u32,
    /// Failed admin tokens and unknown API keys per client address.
    pub auth_failures_per_minute: u32,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            webhook_per_minute: 0,
            api_key_per_minute: 1200,
            widget_session_per_minute: 20,
            widget_address_per_minute: 120,
            widget_key_per_minute: 600,
            sign_in_account_per_minute: 5,
            sign_in_address_per_minute: 20,
            auth_failures_per_minute: 10,
        }
    }
}

/// One budget: a keyed in-process limiter and, when shared, a Redis window.
struct Budget {
    name: &'static str,
    per_minute: u32,
    local: Option<DefaultKeyedRateLimiter<String>>,
    shared: bool,
    checks: AtomicU64,
}

impl Budget {
    fn new(name: &'static str, per_minute: u32, shared: bool) -> Self {
        let local = NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        Self {
            name,
            per_minute,
            local,
            shared,
            checks: AtomicU64::new(0),
        }
    }

    /// The local decision: `Err(seconds)` when the key is over its budget.
    fn check_local(&self, clock: &DefaultClock, key: &str) -> Result<(), u64> {
        let Some(limiter) = &self.local else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1
            && limiter.len() > PRUNE_ABOVE
        {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter.check_key(&key.to_owned()).map_err(|not_until| {
            not_until
                .wait_time_from(clock.now())
                .as_secs_f64()
                .ceil()
                .max(1.0) as u64
        })
    }
}

/// Every budget of the service, shared by all HTTP workers.
pub struct Limits {
    webhook: Budget,
    api_key: Budget,
    widget_session: Budget,
    widget_address: Budget,
    widget_key: Budget,
    sign_in_account: Budget,
    sign_in_address: Budget,
    auth_failures: Budget,
    /// Addresses refused until the instant, after too many failed credentials.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    redis: Option<deadpool_redis::Pool>,
    clock: DefaultClock,
}

impl Limits {
    /// Budgets counted in this process only.
    pub fn memory(settings: LimitSettings) -> Self {
        Self::build(settings, None)
    }

    /// Budgets counted here and, for the shared ones, in Redis.
    pub fn with_redis(settings: LimitSettings, pool: deadpool_redis::Pool) -> Self {
        Self::build(settings, Some(pool))
    }

    fn build(s: LimitSettings, redis: Option<deadpool_redis::Pool>) -> Self {
        Self {
            webhook: Budget::new("webhook", s.webhook_per_minute, true),
            api_key: Budget::new("api_key", s.api_key_per_minute, true),
            widget_session: Budget::new("widget_session", s.widget_session_per_minute, false),
            widget_address: Budget::new("widget_address", s.widget_address_per_minute, false),
            widget_key: Budget::new("widget_key", s.widget_key_per_minute, true),
            sign_in_account: Budget::new("sign_in_account", s.sign_in_account_per_minute, true),
            sign_in_address: Budget::new("sign_in_address", s.sign_in_address_per_minute, false),
            auth_failures: Budget::new("auth_failures", s.auth_failures_per_minute, false),
            blocked: Mutex::new(HashMap::new()),
            redis,
            clock: DefaultClock::default(),
        }
    }

    async fn take(&self, budget: &Budget, key: &str) -> Result<(), ApiError> {
        budget
            .check_local(&self.clock, key)
            .map_err(|retry_after_secs| {
                tracing::debug!(budget = budget.name, "rate limited");
                ApiError::RateLimited { retry_after_secs }
            })?;
        if budget.shared
            && budget.per_minute > 0
            && let Some(pool) = &self.redis
        {
            shared_window(pool, budget.name, key, budget.per_minute).await?;
        }
        Ok(())
    }

    /// Counts a signed provider webhook (Twilio, Cal.com) of `tenant`, on a budget nothing else draws on.
    ///
    /// # Errors
    /// [`ApiError::RateLimited`] when the tenant's webhook budget is spent.
    pub async fn webhook(&self, tenant: TenantId) -> Result<(), ApiError> {
        self.take(&self.webhook, &tenant.to_string()).await
    }

    /// Counts a request made with the API key whose SHA-256 is `key_hash`.
    ///
    /// # Errors
    /// [`ApiError::RateLimited`] when that key's budget is spent.
    pub async fn api_key(&self, key_hash: &str) -> Result<(), ApiError> {
        self.take(&self.api_key, key_hash).await
    }

    /// Counts a live-chat post: per visitor session, per address, then per widget key, so one
    /// visitor or one address runs out long before the tenant's widget does, and the widget's
    /// budget is its own, never the API's or the webhooks'.
    ///
    /// # Errors
    /// [`ApiError::RateLimited`] when any of the three is spent.
    pub async fn widget_post(
        &self,
        widget_key: &str,
        session: &str,
        address: IpAddr,
    ) -> Result<(), ApiError> {
        self.take(&self.widget_session, &format!("{widget_key}/{session}"))
            .await?;
        self.widget_address(address).await?;
        self.take(&self.widget_key, widget_key).await
    }

    /// Counts a widget read (history, stream opening) from `address`.
    ///
    /// # Errors
    /// [`ApiError::RateLimited`] when the address's widget budget is spent.
    pub async fn widget_address(&self, address: IpAddr) -> Result<(), ApiError> {
        self.take(&self.widget_address, &address.to_string()).await
    }

    /// Counts a sign-in attempt for `account` (an email or user name, compared case-insensitively)
    /// from `address`; call it before checking the password, on every attempt.
    ///
    /// # Errors
    /// [`ApiError::RateLimited`] when the account or the address has tried too often.
    pub async fn sign_in(&self, account: &str, address: IpAddr) -> Result<(), ApiError> {
        self.take(&self.sign_in_address, &address.to_string())
            .await?;
        self.take(&self.sign_in_account, &account.trim().to_lowercase())
            .await
    }

    /// Refuses an address that recently presented too many wrong credentials, before any
    /// verification runs.
    ///
    /// # Errors
    /// [`ApiError::RateLimited`] with the seconds left.
    pub fn credentials_allowed(&self, address: IpAddr) -> Result<(), ApiError> {
        let blocked = self.blocked.lock().unwrap_or_else(PoisonError::into_inner);
        match blocked.get(&address) {
            Some(until) if *until > Instant::now() => Err(ApiError::RateLimited {
                retry_after_secs: until
                    .saturating_duration_since(Instant::now())
                    .as_secs()
                    .max(1),
            }),
            _ => Ok(()),
        }
    }

    /// Records a wrong credential from `address` (logged without the credential); past the
    /// budget the address is refused for the time the budget needs to refill one attempt.
    pub fn credential_failed(&self, address: IpAddr, what: &'static str) {
        tracing::warn!(%address, credential = what, "credential rejected");
        if let Err(wait) = self
            .auth_failures
            .check_local(&self.clock, &address.to_string())
        {
            let mut blocked = self.blocked.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            if blocked.len() > PRUNE_ABOVE {
                blocked.retain(|_, until| *until > now);
            }
            blocked.insert(address, now + Duration::from_secs(wait));
            tracing::warn!(%address, credential = what, retry_after_secs = wait, "credential failures throttled");
        }
    }
}

/// Counts one request in a fixed one-minute window in Redis.
async fn shared_window(
    pool: &deadpool_redis::Pool,
    budget: &str,
    key: &str,
    per_minute: u32,
) -> Result<(), ApiError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let window = now / 60;
    let redis_key = format!("lead-server:rl:{budget}:{key}:{window}");
    let count = async {
        let mut conn = pool.get().await.map_err(|e| e.to_string())?;
        let (count,): (u64,) = redis::pipe()
            .atomic()
            .incr(&redis_key, 1u64)
            .expire(&redis_key, 120)
            .ignore()
            .query_async(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<u64, String>(count)
    }
    .await;
    match count {
        Ok(count) if count > u64::from(per_minute) => Err(ApiError::RateLimited {
            retry_after_secs: 60 - now % 60,
        }),
        Ok(_) => Ok(()),
        Err(error) => {
            tracing::warn!(%error, budget, "shared rate limit check failed; letting the request through");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(adjust: impl FnOnce(&mut LimitSettings)) -> Limits {
        let mut s = LimitSettings::default();
        adjust(&mut s);
        Limits::memory(s)
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    #[tokio::test]
    async fn api_keys_have_a_budget_each() {
        let l = limits(|s| s.api_key_per_minute = 3);
        for _ in 0..3 {
            assert!(l.api_key("a").await.is_ok());
        }
        assert!(matches!(
            l.api_key("a").await,
            Err(ApiError::RateLimited { retry_after_secs }) if (1..=20).contains(&retry_after_secs)
        ));
        assert!(l.api_key("b").await.is_ok(), "another key is not affected");
    }

    #[tokio::test]
    async fn a_widget_flood_leaves_webhooks_and_the_api_alone() {
        let l = limits(|s| {
            s.widget_key_per_minute = 5;
            s.webhook_per_minute = 2;
            s.api_key_per_minute = 2;
        });
        let tenant = TenantId::from_uuid(uuid::Uuid::from_u128(7));
        let mut refused = 0;
        for n in 0..50u8 {
            if l.widget_post("wk_1", &format!("s{n}"), ip(n))
                .await
                .is_err()
            {
                refused += 1;
            }
        }
        assert_eq!(refused, 45, "the widget key's own budget ran out");
        assert!(l.webhook(tenant).await.is_ok());
        assert!(l.api_key("k").await.is_ok());
    }

    #[tokio::test]
    async fn one_session_or_address_runs_out_before_the_widget() {
        let l = limits(|s| {
            s.widget_session_per_minute = 2;
            s.widget_address_per_minute = 4;
        });
        assert!(l.widget_post("wk", "s1", ip(1)).await.is_ok());
        assert!(l.widget_post("wk", "s1", ip(1)).await.is_ok());
        assert!(
            l.widget_post("wk", "s1", ip(1)).await.is_err(),
            "session spent"
        );
        assert!(l.widget_post("wk", "s2", ip(1)).await.is_ok());
        assert!(l.widget_post("wk", "s3", ip(1)).await.is_ok());
        assert!(
            l.widget_post("wk", "s4", ip(1)).await.is_err(),
            "address spent"
        );
        assert!(
            l.widget_post("wk", "s5", ip(2)).await.is_ok(),
            "others still chat"
        );
    }

    #[tokio::test]
    async fn sign_in_is_limited_per_account_and_per_address() {
        let l = limits(|s| {
            s.sign_in_account_per_minute = 2;
            s.sign_in_address_per_minute = 3;
        });
        assert!(l.sign_in("Sara@Example.com", ip(1)).await.is_ok());
        assert!(l.sign_in("sara@example.com", ip(2)).await.is_ok());
        assert!(
            l.sign_in("SARA@example.com ", ip(3)).await.is_err(),
            "the account is spent whatever the address or case"
        );
        assert!(l.sign_in("omar@example.com", ip(1)).await.is_ok());
        assert!(l.sign_in("nour@example.com", ip(1)).await.is_ok());
        assert!(
            l.sign_in("lina@example.com", ip(1)).await.is_err(),
            "address spent"
        );
    }

    #[test]
    fn failed_credentials_block_the_address_only() {
        let l = limits(|s| s.auth_failures_per_minute = 3);
        for _ in 0..3 {
            assert!(l.credentials_allowed(ip(9)).is_ok());
            l.credential_failed(ip(9), "admin token");
        }
        assert!(
            l.credentials_allowed(ip(9)).is_ok(),
            "three failures are allowed"
        );
        l.credential_failed(ip(9), "admin token");
        assert!(matches!(
            l.credentials_allowed(ip(9)),
            Err(ApiError::RateLimited { .. })
        ));
        assert!(l.credentials_allowed(ip(10)).is_ok());
    }

    #[tokio::test]
    async fn zero_switches_a_budget_off() {
        let l = limits(|s| s.webhook_per_minute = 0);
        let tenant = TenantId::from_uuid(uuid::Uuid::from_u128(1));
        for _ in 0..10_000 {
            assert!(l.webhook(tenant).await.is_ok());
        }
    }
}
