//! When a failed request is sent again, and after how long.
//!
//! One policy for every provider (each sets its own defaults): exponential backoff with full
//! jitter, a maximum number of attempts, a total time budget, `Retry-After` honoured in both its
//! forms (capped), and a shared retry quota so a provider outage does not become a retry storm.
//! Only requests that are safe to repeat are repeated; see [`RetryPolicy`].

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};

/// Retry settings. `Default` is [`RetryPolicy::standard`].
///
/// A request is repeated only when repeating it cannot apply a change twice:
///
/// | situation | repeated when |
/// |---|---|
/// | connection refused / not established | always (nothing was sent) |
/// | `429 Too Many Requests` | always (the provider did not process it) |
/// | timeout, reset, `408`, `502`, `503`, `504` | GET, HEAD, OPTIONS, PUT, DELETE, or a write carrying an `Idempotency-Key` |
/// | any other status | never |
///
/// A POST that may have reached the provider is never repeated; its error says that it may
/// have been applied ([`crate::Error::may_have_been_applied`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total, the first one included. `1` disables retries.
    pub max_attempts: u32,
    /// Backoff before the first retry; doubled each time, then jittered.
    pub initial_backoff: Duration,
    /// Upper bound for one backoff.
    pub max_backoff: Duration,
    /// Total time a call may spend, retries and waits included; no retry starts after it.
    pub budget: Duration,
    /// Upper bound for a provider's `Retry-After`.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::standard()
    }
}

impl RetryPolicy {
    /// 3 attempts, 500 ms initial backoff up to 10 s, 60 s budget, `Retry-After` capped at 60 s.
    pub fn standard() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            budget: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(60),
        }
    }

    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::standard()
        }
    }

    /// Sets the number of attempts (the first included).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }
    /// Sets the initial and maximum backoff.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }
    /// Sets the total time budget of a call.
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }
    /// Sets the cap on the provider's `Retry-After`.
    pub fn max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = cap;
        self
    }

    /// Full-jitter backoff before retry number `retry` (1 for the first retry).
    pub(crate) fn backoff_for(&self, retry: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        let cap = exp.min(self.max_backoff);
        if cap.is_zero() {
            return cap;
        }
        rand::rng().random_range(Duration::ZERO..=cap)
    }
}

/// Whether repeating a request can apply it twice.
pub(crate) fn safe_to_repeat(method: &Method, has_idempotency_key: bool) -> bool {
    has_idempotency_key
        || matches!(
            *method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
        )
}

/// Statuses worth another attempt (429 is handled separately: always safe).
pub(crate) fn transient_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 502 | 503 | 504)
}

/// Reads `Retry-After` as seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A shared allowance of retries (the standard-mode token bucket of the AWS SDKs): each retry
/// spends tokens, each first-try success returns one. When a provider is failing for everyone,
/// the allowance runs out and calls fail fast instead of multiplying the load.
#[derive(Debug)]
pub(crate) struct RetryQuota {
    tokens: AtomicU32,
    capacity: u32,
}

pub(crate) const RETRY_COST: u32 = 5;
pub(crate) const TIMEOUT_RETRY_COST: u32 = 10;

impl RetryQuota {
    pub(crate) fn new(capacity: u32) -> Self {
        Self {
            tokens: AtomicU32::new(capacity),
            capacity,
        }
    }

    pub(crate) fn try_spend(&self, cost: u32) -> bool {
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost))
            .is_ok()
    }

    pub(crate) fn refund(&self, amount: u32) {
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                Some(t.saturating_add(amount).min(self.capacity))
            });
    }
}

impl Default for RetryQuota {
    fn default() -> Self {
        Self::new(500)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_both_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        h.insert(RETRY_AFTER, later.parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)));
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn backoff_is_bounded_by_the_exponential_cap() {
        let p = RetryPolicy::standard().backoff(Duration::from_millis(100), Duration::from_secs(1));
        for retry in 1..10 {
            let d = p.backoff_for(retry);
            let cap = Duration::from_millis(100 * 2u64.pow(retry - 1)).min(Duration::from_secs(1));
            assert!(d <= cap, "retry {retry}: {d:?} > {cap:?}");
        }
    }

    #[test]
    fn quota_runs_out_and_refills() {
        let q = RetryQuota::new(10);
        assert!(q.try_spend(5));
        assert!(q.try_spend(5));
        assert!(!q.try_spend(5));
        q.refund(20);
        assert!(q.try_spend(10));
    }

    #[test]
    fn only_safe_methods_repeat_without_a_key() {
        assert!(safe_to_repeat(&Method::GET, false));
        assert!(safe_to_repeat(&Method::PUT, false));
        assert!(!safe_to_repeat(&Method::POST, false));
        assert!(safe_to_repeat(&Method::POST, true));
    }
}
