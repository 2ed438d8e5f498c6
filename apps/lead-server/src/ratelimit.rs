//! Per-tenant rate limits: a token bucket in memory, or a shared per-minute window in Redis when
//! several instances serve the same tenants.

use crate::error::ApiError;
use deadpool_redis::redis;
use lead_domain::ids::TenantId;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

/// A per-tenant request limit; where its counters live is private.
pub struct RateLimiter(Inner);

/// Where the counters live.
enum Inner {
    Disabled,
    /// A token bucket per tenant in this process: `per_minute` burst, refilled evenly.
    Memory {
        /// Requests per minute.
        per_minute: u32,
        /// Buckets by tenant.
        buckets: Mutex<HashMap<TenantId, Bucket>>,
    },
    /// A fixed one-minute window per tenant in Redis, shared by every instance.
    Redis {
        /// Requests per minute.
        per_minute: u32,
        /// Connections.
        pool: deadpool_redis::Pool,
    },
}

impl RateLimiter {
    /// An in-memory limiter; 0 disables it.
    pub fn memory(per_minute: u32) -> Self {
        if per_minute == 0 {
            return RateLimiter(Inner::Disabled);
        }
        RateLimiter(Inner::Memory {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// A Redis limiter; 0 disables it.
    pub fn redis(per_minute: u32, pool: deadpool_redis::Pool) -> Self {
        if per_minute == 0 {
            return RateLimiter(Inner::Disabled);
        }
        RateLimiter(Inner::Redis { per_minute, pool })
    }

    /// Counts one request of a tenant.
    ///
    /// # Errors
    /// [`ApiError::RateLimited`] with the seconds to wait when the tenant is over its limit.
    /// A Redis failure lets the request through (logged): losing a lead is worse than a burst.
    pub async fn check(&self, tenant: &TenantId) -> Result<(), ApiError> {
        match &self.0 {
            Inner::Disabled => Ok(()),
            Inner::Memory {
                per_minute,
                buckets,
            } => {
                let per_minute = f64::from(*per_minute);
                let rate = per_minute / 60.0;
                let now = Instant::now();
                let mut buckets = buckets.lock().unwrap_or_else(PoisonError::into_inner);
                let bucket = buckets.entry(*tenant).or_insert(Bucket {
                    tokens: per_minute,
                    refilled_at: now,
                });
                let elapsed = now.duration_since(bucket.refilled_at).as_secs_f64();
                bucket.tokens = (bucket.tokens + elapsed * rate).min(per_minute);
                bucket.refilled_at = now;
                if bucket.tokens >= 1.0 {
                    bucket.tokens -= 1.0;
                    Ok(())
                } else {
                    let wait = ((1.0 - bucket.tokens) / rate).ceil().max(1.0);
                    Err(ApiError::RateLimited {
                        retry_after_secs: wait as u64,
                    })
                }
            }
            Inner::Redis { per_minute, pool } => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or_default();
                let window = now / 60;
                let key = format!("lead-server:rl:{tenant}:{window}");
                let count = async {
                    let mut conn = pool.get().await.map_err(|e| e.to_string())?;
                    let (count,): (u64,) = redis::pipe()
                        .atomic()
                        .incr(&key, 1u64)
                        .expire(&key, 120)
                        .ignore()
                        .query_async(&mut conn)
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok::<u64, String>(count)
                }
                .await;
                match count {
                    Ok(count) if count > u64::from(*per_minute) => Err(ApiError::RateLimited {
                        retry_after_secs: 60 - now % 60,
                    }),
                    Ok(_) => Ok(()),
                    Err(error) => {
                        tracing::warn!(%error, "rate limit check failed; letting the request through");
                        Ok(())
                    }
                }
            }
        }
    }

    /// Whether Redis answers, for readiness; `None` when Redis is not used.
    pub async fn redis_ping(&self) -> Option<Result<(), String>> {
        let Inner::Redis { pool, .. } = &self.0 else {
            return None;
        };
        let result = async {
            let mut conn = pool.get().await.map_err(|e| e.to_string())?;
            redis::cmd("PING")
                .query_async::<String>(&mut conn)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        .await;
        Some(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_bucket_allows_the_burst_then_asks_to_wait() {
        let limiter = RateLimiter::memory(3);
        let t = TenantId::from_uuid(uuid::Uuid::from_u128(1));
        let other = TenantId::from_uuid(uuid::Uuid::from_u128(2));
        for _ in 0..3 {
            assert!(limiter.check(&t).await.is_ok());
        }
        match limiter.check(&t).await {
            Err(ApiError::RateLimited { retry_after_secs }) => {
                assert!((1..=20).contains(&retry_after_secs))
            }
            other => panic!("expected a rate limit, got {other:?}"),
        }
        // Tenants do not share buckets.
        assert!(limiter.check(&other).await.is_ok());
    }

    #[tokio::test]
    async fn zero_disables_the_limit() {
        let limiter = RateLimiter::memory(0);
        let t = TenantId::from_uuid(uuid::Uuid::from_u128(1));
        for _ in 0..1000 {
            assert!(limiter.check(&t).await.is_ok());
        }
    }
}
