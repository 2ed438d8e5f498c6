//! The failure policy in one place: timeouts, which answers are retried, how long to wait, when the breaker trips.

use std::time::Duration;

use reqwest::header::HeaderMap;

/// Timeouts, retry and circuit-breaker settings shared by every vendor client.
#[derive(Debug, Clone, PartialEq)]
pub struct FailurePolicy {
    /// How long establishing a connection may take.
    pub connect_timeout: Duration,
    /// How long a whole request (connect, send, wait, read) may take.
    pub total_timeout: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first backoff delay; each retry doubles it.
    pub backoff_base: Duration,
    /// The longest backoff delay.
    pub backoff_max: Duration,
    /// The longest `retry-after` we wait for in-process; a longer wait is handed back to the job queue.
    pub max_retry_after: Duration,
    /// Consecutive failed attempts that open the circuit breaker.
    pub breaker_threshold: u32,
    /// How long the breaker stays open before one probe request is let through.
    pub breaker_cooldown: Duration,
}

impl Default for FailurePolicy {
    fn default() -> Self {
        FailurePolicy {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(60),
            max_retries: 2,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(30),
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Retry after exactly this wait, because the vendor said so.
    After(Duration),
    /// Retry after a jittered exponential backoff.
    Backoff,
    /// Do not retry: the same request would fail the same way.
    GiveUp,
}

/// Reads `retry-after-ms` (milliseconds) or else `retry-after` (seconds, possibly fractional).
///
/// The HTTP-date form of `retry-after` is not used by the vendors we speak to and counts as absent.
pub fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let number = |name: &str| -> Option<f64> {
        let value = headers
            .get(name)?
            .to_str()
            .ok()?
            .trim()
            .parse::<f64>()
            .ok()?;
        (value.is_finite() && value >= 0.0).then_some(value)
    };
    if let Some(ms) = number("retry-after-ms") {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    number("retry-after").map(Duration::from_secs_f64)
}

impl FailurePolicy {
    /// Classifies an error status: 408, 409, 429 with `retry-after`, 5xx and 529 are retried; other 4xx are not.
    ///
    /// A 429 without `retry-after` is how a spend cap answers, so waiting would not help. A
    /// `retry-after` longer than [`FailurePolicy::max_retry_after`] is not waited for in-process.
    pub fn classify_status(&self, status: u16, retry_after: Option<Duration>) -> RetryDecision {
        let transient = matches!(status, 408 | 409 | 500..=599);
        let decision = match (status, retry_after) {
            (429, None) => RetryDecision::GiveUp,
            (429, Some(wait)) => RetryDecision::After(wait),
            (_, Some(wait)) if transient => RetryDecision::After(wait),
            (_, None) if transient => RetryDecision::Backoff,
            _ => RetryDecision::GiveUp,
        };
        match decision {
            RetryDecision::After(wait) if wait > self.max_retry_after => RetryDecision::GiveUp,
            other => other,
        }
    }

    /// The backoff before retry number `retry` (0 for the first retry), with `jitter` in `[0, 1)`.
    ///
    /// The delay doubles per retry up to the maximum, and the jitter takes away up to half of it
    /// so that many workers failing together do not retry in lockstep.
    pub fn backoff_delay(&self, retry: u32, jitter: f64) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(16));
        let full = self
            .backoff_base
            .saturating_mul(factor)
            .min(self.backoff_max);
        full.mul_f64(1.0 - 0.5 * jitter.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn check(status: u16, retry_after: Option<u64>, expected: RetryDecision) {
        let policy = FailurePolicy::default();
        let got = policy.classify_status(status, retry_after.map(Duration::from_secs));
        assert_eq!(got, expected, "status {status} retry-after {retry_after:?}");
    }

    #[test]
    fn transient_statuses_are_retried_with_backoff() {
        for status in [408, 409, 500, 502, 503, 504, 529] {
            check(status, None, RetryDecision::Backoff);
        }
    }

    #[test]
    fn retry_after_is_honoured_on_429_and_transient_statuses() {
        check(429, Some(2), RetryDecision::After(Duration::from_secs(2)));
        check(503, Some(1), RetryDecision::After(Duration::from_secs(1)));
        check(529, Some(3), RetryDecision::After(Duration::from_secs(3)));
    }

    #[test]
    fn spend_cap_and_client_errors_give_up() {
        check(429, None, RetryDecision::GiveUp);
        for status in [400, 401, 403, 404, 413, 422] {
            check(status, None, RetryDecision::GiveUp);
            check(status, Some(1), RetryDecision::GiveUp);
        }
    }

    #[test]
    fn a_wait_longer_than_the_limit_is_left_to_the_job_queue() {
        check(429, Some(3600), RetryDecision::GiveUp);
    }

    #[test]
    fn retry_after_ms_wins_over_seconds() {
        let both = headers(&[("retry-after-ms", "250"), ("retry-after", "7")]);
        assert_eq!(parse_retry_after(&both), Some(Duration::from_millis(250)));
        assert_eq!(
            parse_retry_after(&headers(&[("retry-after", "1.5")])),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after(&headers(&[(
                "retry-after",
                "Wed, 21 Oct 2015 07:28:00 GMT"
            )])),
            None
        );
        assert_eq!(parse_retry_after(&headers(&[("retry-after", "-3")])), None);
        assert_eq!(parse_retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn backoff_doubles_is_capped_and_jitter_takes_at_most_half() {
        let policy = FailurePolicy {
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_millis(350),
            ..FailurePolicy::default()
        };
        assert_eq!(policy.backoff_delay(0, 0.0), Duration::from_millis(100));
        assert_eq!(policy.backoff_delay(1, 0.0), Duration::from_millis(200));
        assert_eq!(policy.backoff_delay(2, 0.0), Duration::from_millis(350));
        assert_eq!(policy.backoff_delay(40, 0.0), Duration::from_millis(350));
        assert_eq!(policy.backoff_delay(1, 0.999_999).as_millis(), 100);
        assert_eq!(policy.backoff_delay(1, 0.5), Duration::from_millis(150));
    }
}
