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

#[cfg(doc)]
use crate::common::ops::Retry;

/// Retry settings. `Default` is [`RetryPolicy::standard`].
///
/// A request is repeated only when repeating it cannot apply a change twice:
///
/// | situation | repeated when |
/// |---|---|
/// | connection refused / not established | always (nothing was sent) |
/// | `429 Too Many Requests` | always (the provider did not process it) |
/// | timeout, reset, `408`, `502`, `503`, `504` | the operation is [`Retry::Safe`] in the spec (reads, and writes that set an absolute value), or [`Retry::WithIdempotencyKey`] and the request carries its key |
/// | any other status | never |
///
/// A write that is not repeated after it may have reached the provider fails with an error that
/// says it may have been applied ([`crate::Error::may_have_been_applied`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
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

/// Statuses that say the attempt failed on the way and another one may pass: `408`, `502`,
/// `503`, `504` (429 is handled on its own: the provider did not process the request). The same
/// list decides retries and [`crate::Error::is_transient`].
pub(crate) fn transient_status(status: u16) -> bool {
    matches!(status, 408 | 502 | 503 | 504)
}

/// Gateway statuses after which a write may have been applied by the provider behind the
/// gateway.
fn gateway_status(status: u16) -> bool {
    matches!(status, 502..=504)
}

/// What one attempt came to, as the retry decision sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The provider answered with this status (and maybe a `Retry-After`).
    Answered {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// Nothing was sent: the connection could not be established.
    NotSent,
    /// The request may have reached the provider and no (whole) answer came back.
    Lost { timeout: bool },
    /// The client refused the answer (too large, a redirect to another origin); `answered`
    /// when the provider did answer the request.
    Refused { answered: bool },
}

/// Where a call stands when an attempt ends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attempt {
    /// This attempt's number, from 1 (credential renewals are not counted).
    pub number: u32,
    /// When the call's first attempt began (the time spent is read only when a retry is
    /// considered).
    pub started: tokio::time::Instant,
    /// Whether the request may be sent again (its operation's [`Retry`] class).
    pub repeatable: bool,
    /// Whether it is a write (anything but GET, HEAD, OPTIONS).
    pub write: bool,
    /// Whether a 401 can still be answered by renewing the credentials (once per call).
    pub can_renew: bool,
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Hand the answer over (success or a final error status).
    Done,
    /// Renew the credentials and send again (a 401; not counted as a retry).
    Renew,
    /// Send again after `wait`, spending `cost` from the shared retry quota.
    Retry { wait: Duration, cost: u32 },
    /// Stop with a failure.
    GiveUp { may_have_been_applied: bool },
}

/// The retry decision, without I/O: the attempt loop in the runtime does the I/O and the
/// bookkeeping. The clock is read here, and only when a retry is considered (the time budget).
pub(crate) fn decide(outcome: Outcome, attempt: Attempt, policy: &RetryPolicy) -> Decision {
    // Whether the request may have been applied if it is not sent again.
    let maybe_applied = attempt.write
        && match outcome {
            Outcome::Lost { .. } => true,
            Outcome::Answered { status, .. } => gateway_status(status),
            Outcome::Refused { answered } => answered,
            Outcome::NotSent => false,
        };
    let (wait, cost) = match outcome {
        Outcome::Answered { status: 401, .. } if attempt.can_renew => return Decision::Renew,
        Outcome::Answered {
            status: 429,
            retry_after,
        } => (
            retry_after
                .map(|d| d.min(policy.max_retry_after))
                .unwrap_or_else(|| policy.backoff_for(attempt.number)),
            RETRY_COST,
        ),
        Outcome::Answered { status, .. } if transient_status(status) && attempt.repeatable => {
            (policy.backoff_for(attempt.number), RETRY_COST)
        }
        Outcome::Answered { status, .. } if transient_status(status) => {
            return Decision::GiveUp {
                may_have_been_applied: maybe_applied,
            };
        }
        Outcome::Answered { .. } => return Decision::Done,
        Outcome::NotSent => (policy.backoff_for(attempt.number), RETRY_COST),
        Outcome::Lost { timeout } if attempt.repeatable => (
            policy.backoff_for(attempt.number),
            if timeout {
                TIMEOUT_RETRY_COST
            } else {
                RETRY_COST
            },
        ),
        Outcome::Lost { .. } | Outcome::Refused { .. } => {
            return Decision::GiveUp {
                may_have_been_applied: maybe_applied,
            };
        }
    };
    if attempt.number >= policy.max_attempts || attempt.started.elapsed() + wait >= policy.budget {
        return Decision::GiveUp {
            may_have_been_applied: maybe_applied,
        };
    }
    Decision::Retry { wait, cost }
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
/// spends tokens, each success at the first attempt returns one (failures return nothing, so
/// the allowance drains while a provider fails for everyone). When a provider is failing for everyone,
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

    fn attempt(number: u32, repeatable: bool, write: bool) -> Attempt {
        Attempt {
            number,
            started: tokio::time::Instant::now(),
            repeatable,
            write,
            can_renew: true,
        }
    }

    fn answered(status: u16) -> Outcome {
        Outcome::Answered {
            status,
            retry_after: None,
        }
    }

    /// What the table below expects (`Retry` stands for any wait within the backoff cap).
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Want {
        Done,
        Renew,
        Retry,
        GiveUp { maybe: bool },
    }

    fn want(d: Decision) -> Want {
        match d {
            Decision::Done => Want::Done,
            Decision::Renew => Want::Renew,
            Decision::Retry { .. } => Want::Retry,
            Decision::GiveUp {
                may_have_been_applied,
            } => Want::GiveUp {
                maybe: may_have_been_applied,
            },
        }
    }

    /// Every outcome of a first attempt against a repeatable write, an unrepeatable write and a
    /// read, written out.
    #[test]
    fn the_decision_table() {
        use Want::*;
        let p = RetryPolicy::standard();
        const MAYBE: Want = GiveUp { maybe: true };
        const NOT: Want = GiveUp { maybe: false };
        let table = [
            // outcome,                                 repeatable write, unrepeatable write, read
            (answered(200), Done, Done, Done),
            (answered(201), Done, Done, Done),
            (answered(400), Done, Done, Done),
            (answered(500), Done, Done, Done),
            (answered(401), Renew, Renew, Renew),
            (answered(408), Retry, NOT, Retry),
            (answered(502), Retry, MAYBE, Retry),
            (answered(503), Retry, MAYBE, Retry),
            (answered(504), Retry, MAYBE, Retry),
            (answered(429), Retry, Retry, Retry),
            (Outcome::NotSent, Retry, Retry, Retry),
            (Outcome::Lost { timeout: false }, Retry, MAYBE, Retry),
            (Outcome::Lost { timeout: true }, Retry, MAYBE, Retry),
            (Outcome::Refused { answered: true }, MAYBE, MAYBE, NOT),
            (Outcome::Refused { answered: false }, NOT, NOT, NOT),
        ];
        for (outcome, repeatable, unrepeatable, read) in table {
            let got = [
                want(decide(outcome, attempt(1, true, true), &p)),
                want(decide(outcome, attempt(1, false, true), &p)),
                want(decide(outcome, attempt(1, true, false), &p)),
            ];
            assert_eq!(got, [repeatable, unrepeatable, read], "{outcome:?}");
        }
    }

    #[test]
    fn nothing_sent_and_429_are_retried_whatever_the_operation() {
        let p = RetryPolicy::standard().max_retry_after(Duration::from_secs(5));
        for a in [attempt(1, false, true), attempt(1, true, false)] {
            assert!(matches!(
                decide(Outcome::NotSent, a, &p),
                Decision::Retry { .. }
            ));
            let throttled = Outcome::Answered {
                status: 429,
                retry_after: Some(Duration::from_secs(600)),
            };
            // Retry-After is capped by the policy.
            assert_eq!(
                decide(throttled, a, &p),
                Decision::Retry {
                    wait: p.max_retry_after,
                    cost: RETRY_COST
                }
            );
        }
    }

    #[test]
    fn a_second_401_is_final_and_limits_end_retries() {
        let p = RetryPolicy::standard().max_attempts(2);
        let mut a = attempt(1, true, false);
        a.can_renew = false;
        assert_eq!(decide(answered(401), a, &p), Decision::Done);
        // Out of attempts: a lost answer of a repeatable write says it may have been applied.
        let last = attempt(2, true, true);
        assert_eq!(
            decide(Outcome::Lost { timeout: false }, last, &p),
            Decision::GiveUp {
                may_have_been_applied: true
            }
        );
        // Out of time (a budget of 1 ms already spent: `now - 60 s` would panic on a machine
        // up for less than a minute).
        let short = p.clone().budget(Duration::from_millis(1));
        let mut late = attempt(1, true, false);
        late.started = tokio::time::Instant::now() - short.budget;
        assert_eq!(
            decide(answered(503), late, &short),
            Decision::GiveUp {
                may_have_been_applied: false
            }
        );
        // A timed-out retry costs more of the shared quota.
        assert!(matches!(
            decide(Outcome::Lost { timeout: true }, attempt(1, true, false), &p),
            Decision::Retry {
                cost: TIMEOUT_RETRY_COST,
                ..
            }
        ));
    }
}
