//! A circuit breaker per provider, so a vendor that keeps failing is left alone for a while instead of hammered.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Where the breaker reads the time; tests pass a clock they move by hand.
pub type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// The breaker's state as seen from outside, for health reports and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Requests flow; the count of consecutive failures so far.
    Closed {
        /// Consecutive failed attempts since the last success.
        failures: u32,
    },
    /// Requests are refused until the cool-down has passed.
    Open,
    /// The cool-down passed and one probe request is in flight.
    HalfOpen,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Closed { failures: u32 },
    Open { since: Instant },
    HalfOpen { since: Instant },
}

/// Opens after `threshold` consecutive failures and lets one probe through after `cooldown`.
pub struct CircuitBreaker {
    threshold: u32,
    cooldown: Duration,
    clock: Clock,
    state: Mutex<State>,
}

impl std::fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("threshold", &self.threshold)
            .field("cooldown", &self.cooldown)
            .field("state", &self.state())
            .finish()
    }
}

impl CircuitBreaker {
    /// A breaker on the system clock.
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Self::with_clock(threshold, cooldown, Arc::new(Instant::now))
    }

    /// A breaker reading time from `clock`, so tests control the cool-down.
    pub fn with_clock(threshold: u32, cooldown: Duration, clock: Clock) -> Self {
        CircuitBreaker {
            threshold: threshold.max(1),
            cooldown,
            clock,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a plain value that is always consistent, so a panic elsewhere while
        // holding the lock cannot leave it half-written; recovering the guard is safe.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        match *self.lock() {
            State::Closed { failures } => BreakerState::Closed { failures },
            State::Open { .. } => BreakerState::Open,
            State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    /// Asks to send a request: true when it may go, false when the breaker refuses it.
    ///
    /// After the cool-down one probe is let through; further requests wait for its outcome.
    /// A probe that never reports back (its caller was cancelled) is replaced after another cool-down.
    pub fn try_acquire(&self) -> bool {
        let now = (self.clock)();
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => true,
            State::Open { since } | State::HalfOpen { since } => {
                if now.saturating_duration_since(since) >= self.cooldown {
                    *state = State::HalfOpen { since: now };
                    true
                } else {
                    false
                }
            }
        }
    }

    /// Reports that the provider answered (even with a request error: it is up).
    pub fn record_success(&self) {
        *self.lock() = State::Closed { failures: 0 };
    }

    /// Reports a failed attempt (connection error, timeout, 429, 5xx).
    pub fn record_failure(&self) {
        let now = (self.clock)();
        let mut state = self.lock();
        *state = match *state {
            State::Closed { failures } if failures + 1 < self.threshold => State::Closed {
                failures: failures + 1,
            },
            State::Closed { .. } | State::HalfOpen { .. } => State::Open { since: now },
            State::Open { since } => State::Open { since },
        };
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    struct ManualClock {
        start: Instant,
        offset: Arc<Mutex<Duration>>,
    }

    impl ManualClock {
        fn new() -> Self {
            ManualClock {
                start: Instant::now(),
                offset: Arc::new(Mutex::new(Duration::ZERO)),
            }
        }
        fn clock(&self) -> Clock {
            let (start, offset) = (self.start, self.offset.clone());
            Arc::new(move || start + *offset.lock().unwrap())
        }
        fn advance(&self, by: Duration) {
            *self.offset.lock().unwrap() += by;
        }
    }

    #[test]
    fn opens_after_threshold_consecutive_failures() {
        let clock = ManualClock::new();
        let breaker = CircuitBreaker::with_clock(3, Duration::from_secs(10), clock.clock());
        breaker.record_failure();
        breaker.record_failure();
        assert_eq!(breaker.state(), BreakerState::Closed { failures: 2 });
        assert!(breaker.try_acquire());
        breaker.record_failure();
        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(!breaker.try_acquire());
    }

    #[test]
    fn a_success_resets_the_count() {
        let breaker = CircuitBreaker::new(2, Duration::from_secs(10));
        breaker.record_failure();
        breaker.record_success();
        breaker.record_failure();
        assert_eq!(breaker.state(), BreakerState::Closed { failures: 1 });
    }

    #[test]
    fn half_open_probe_closes_on_success_and_reopens_on_failure() {
        let clock = ManualClock::new();
        let breaker = CircuitBreaker::with_clock(1, Duration::from_secs(10), clock.clock());
        breaker.record_failure();
        clock.advance(Duration::from_secs(9));
        assert!(!breaker.try_acquire());
        clock.advance(Duration::from_secs(1));
        assert!(breaker.try_acquire(), "the probe goes after the cool-down");
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        assert!(!breaker.try_acquire(), "only one probe at a time");
        breaker.record_failure();
        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(!breaker.try_acquire());
        clock.advance(Duration::from_secs(10));
        assert!(breaker.try_acquire());
        breaker.record_success();
        assert_eq!(breaker.state(), BreakerState::Closed { failures: 0 });
        assert!(breaker.try_acquire());
    }

    #[test]
    fn a_lost_probe_is_replaced_after_another_cool_down() {
        let clock = ManualClock::new();
        let breaker = CircuitBreaker::with_clock(1, Duration::from_secs(5), clock.clock());
        breaker.record_failure();
        clock.advance(Duration::from_secs(5));
        assert!(breaker.try_acquire());
        clock.advance(Duration::from_secs(4));
        assert!(!breaker.try_acquire());
        clock.advance(Duration::from_secs(1));
        assert!(breaker.try_acquire());
    }
}
