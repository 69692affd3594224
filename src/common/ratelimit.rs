//! Client-side pacing: stay under a provider's published request quotas instead of collecting
//! 429s.
//!
//! Quotas are set per HTTP method class (ecomDC: GET 60/min, POST 30/min, PUT 30/min). The local
//! pacer uses `governor` (GCRA) on tokio's clock, so tests can run it on a paused clock. Anything
//! implementing [`Pacer`] can replace it, e.g. a limiter shared by several processes.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use futures::future::BoxFuture;
use governor::clock::Clock;
use governor::{Quota, RateLimiter};
use reqwest::Method;

use crate::common::error::Error;

/// A quota: at most `requests` per `per`, with bursts of `burst` requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed per period.
    pub requests: u32,
    /// The period.
    pub per: Duration,
    /// Requests that may go back to back before spacing starts. The default of 1 spaces every
    /// request evenly, which never exceeds the quota in any window of the period.
    pub burst: u32,
}

impl Rate {
    /// `requests` per minute, evenly spaced.
    pub const fn per_minute(requests: u32) -> Self {
        Self {
            requests,
            per: Duration::from_secs(60),
            burst: 1,
        }
    }
    /// `requests` per second, evenly spaced.
    pub const fn per_second(requests: u32) -> Self {
        Self {
            requests,
            per: Duration::from_secs(1),
            burst: 1,
        }
    }
    /// `requests` per `per`, evenly spaced.
    pub const fn new(requests: u32, per: Duration) -> Self {
        Self {
            requests,
            per,
            burst: 1,
        }
    }
    /// Allows `burst` requests back to back.
    pub const fn with_burst(mut self, burst: u32) -> Self {
        self.burst = burst;
        self
    }

    fn quota(&self) -> Option<Quota> {
        let requests = NonZeroU32::new(self.requests)?;
        let interval = self.per.checked_div(requests.get())?;
        let quota = Quota::with_period(interval)?;
        Some(quota.allow_burst(NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN)))
    }
}

/// Quotas per method class; `None` means unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimits {
    /// GET (and HEAD).
    pub get: Option<Rate>,
    /// POST.
    pub post: Option<Rate>,
    /// PUT.
    pub put: Option<Rate>,
    /// PATCH.
    pub patch: Option<Rate>,
    /// DELETE.
    pub delete: Option<Rate>,
}

impl RateLimits {
    /// No client-side limits.
    pub fn unlimited() -> Self {
        Self::default()
    }
    /// Sets the GET quota.
    pub fn get(mut self, rate: Rate) -> Self {
        self.get = Some(rate);
        self
    }
    /// Sets the POST quota.
    pub fn post(mut self, rate: Rate) -> Self {
        self.post = Some(rate);
        self
    }
    /// Sets the PUT quota.
    pub fn put(mut self, rate: Rate) -> Self {
        self.put = Some(rate);
        self
    }
    /// Sets the PATCH quota.
    pub fn patch(mut self, rate: Rate) -> Self {
        self.patch = Some(rate);
        self
    }
    /// Sets the DELETE quota.
    pub fn delete(mut self, rate: Rate) -> Self {
        self.delete = Some(rate);
        self
    }
    /// The same quota for every method.
    pub fn all(rate: Rate) -> Self {
        Self {
            get: Some(rate),
            post: Some(rate),
            put: Some(rate),
            patch: Some(rate),
            delete: Some(rate),
        }
    }
    /// The quota of a method's class.
    pub fn for_method(&self, method: &Method) -> Option<Rate> {
        method_class(method)
            .map(|c| self.by_class(c))
            .unwrap_or(None)
    }
    fn by_class(&self, class: usize) -> Option<Rate> {
        [self.get, self.post, self.put, self.patch, self.delete][class]
    }
}

fn method_class(method: &Method) -> Option<usize> {
    match *method {
        Method::GET | Method::HEAD => Some(0),
        Method::POST => Some(1),
        Method::PUT => Some(2),
        Method::PATCH => Some(3),
        Method::DELETE => Some(4),
        _ => None,
    }
}

/// Decides when a request may be sent. Implemented by [`LocalPacer`] and by shared limiters.
pub trait Pacer: Send + Sync + fmt::Debug {
    /// Waits until a request of `method` may be sent. An error fails the call (e.g. a shared
    /// limiter that is unreachable and configured to fail closed).
    fn acquire<'a>(&'a self, method: &'a Method) -> BoxFuture<'a, Result<(), Error>>;
    /// The provider answered 429: hold every request for `wait`.
    fn pause(&self, wait: Duration);
}

type Limiter = RateLimiter<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    TokioClock,
    governor::middleware::NoOpMiddleware<Duration>,
>;

/// A clock for `governor` that reads tokio's time (so a paused test clock paces too).
#[derive(Debug, Clone)]
pub struct TokioClock {
    base: tokio::time::Instant,
}

impl Default for TokioClock {
    fn default() -> Self {
        Self {
            base: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    type Instant = Duration;
    fn now(&self) -> Duration {
        tokio::time::Instant::now().saturating_duration_since(self.base)
    }
}

/// The in-process pacer: one GCRA limiter per method class, plus a pause after 429s.
pub struct LocalPacer {
    limits: RateLimits,
    limiters: [Option<Limiter>; 5],
    clock: TokioClock,
    paused_until: Mutex<Option<tokio::time::Instant>>,
}

impl LocalPacer {
    /// A pacer for these quotas.
    pub fn new(limits: RateLimits) -> Self {
        let clock = TokioClock::default();
        let limiters = std::array::from_fn(|class| {
            limits
                .by_class(class)
                .and_then(|r| r.quota())
                .map(|q| RateLimiter::direct_with_clock(q, clock.clone()))
        });
        Self {
            limits,
            limiters,
            clock,
            paused_until: Mutex::new(None),
        }
    }

    /// The quotas it enforces.
    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    fn paused_until(&self) -> Option<tokio::time::Instant> {
        let guard = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        guard.filter(|t| *t > tokio::time::Instant::now())
    }

    /// Waits for a slot; infallible.
    pub async fn wait(&self, method: &Method) {
        while let Some(until) = self.paused_until() {
            tokio::time::sleep_until(until).await;
        }
        let Some(limiter) = method_class(method).and_then(|c| self.limiters[c].as_ref()) else {
            return;
        };
        while let Err(not_until) = limiter.check() {
            tokio::time::sleep(not_until.wait_time_from(self.clock.now())).await;
        }
    }
}

impl fmt::Debug for LocalPacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalPacer")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Pacer for LocalPacer {
    fn acquire<'a>(&'a self, method: &'a Method) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            self.wait(method).await;
            Ok(())
        })
    }

    fn pause(&self, wait: Duration) {
        let until = tokio::time::Instant::now() + wait;
        let mut guard = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none_or(|t| t < until) {
            *guard = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn paces_each_class_separately_on_a_paused_clock() {
        let pacer = LocalPacer::new(
            RateLimits::default()
                .get(Rate::per_minute(60))
                .put(Rate::per_minute(30)),
        );
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            pacer.wait(&Method::GET).await;
        }
        // 1 immediately, then one per second.
        assert_eq!(start.elapsed(), Duration::from_secs(4));
        let start = tokio::time::Instant::now();
        for _ in 0..3 {
            pacer.wait(&Method::PUT).await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(4));
        // POST is unlimited here.
        let start = tokio::time::Instant::now();
        pacer.wait(&Method::POST).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn pause_holds_every_class() {
        let pacer = LocalPacer::new(RateLimits::unlimited());
        pacer.pause(Duration::from_secs(7));
        let start = tokio::time::Instant::now();
        pacer.wait(&Method::POST).await;
        assert_eq!(start.elapsed(), Duration::from_secs(7));
    }
}
