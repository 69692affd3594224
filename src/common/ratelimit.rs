//! Client-side pacing: stay under a provider's published request quotas instead of collecting
//! 429s.
//!
//! Quotas are set per HTTP method class (ecomDC: GET 60/min, POST 30/min, PUT 30/min). Anything
//! implementing [`Pacer`] can replace the in-process [`LocalPacer`], e.g. a limiter shared by
//! several processes (`common::redis::RedisPacer`).
//!
//! # How requests are spaced
//! Both pacers run GCRA (the generic cell rate algorithm) in its booking form: a caller books the
//! next free slot of a fixed schedule (`slot = max(now, tat - tolerance)`, `tat += interval`) and
//! sleeps until it; it does not poll. So callers are served in the order they booked, one wakes
//! per slot, and a caller that wakes late does not push the following slots back. (A polling
//! limiter re-bases its schedule on each late wake-up and loses that lateness for good: 9% of the
//! quota in `benches/pacing.rs`, where slots are 17 ms.)
//!
//! Because a request sent late and the next one sent on time can then be closer than one
//! interval, slots are spaced 0.5% wider than the quota ([`Rate::interval`]): a request may be up
//! to 0.5% of the period late (300 ms for a per-minute quota) before any window of the period
//! could hold one request too many.
//!
//! A caller that gives up while it waits (its future is dropped, e.g. by a timeout) hands its
//! slot back when it was the last one booked; a slot in the middle of the queue stays unused.
//! Clocks are tokio's, so tests can pace on a paused clock.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::Method;
use tokio::time::Instant;

use crate::common::error::Error;
use crate::common::lock;

/// A quota: at most `requests` per `per`, with bursts of `burst` requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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

    /// The spacing between two booked slots: `per / requests`, widened by 0.5% (see the
    /// [module docs](self)); `None` when `requests` is 0 (no limit).
    pub fn interval(&self) -> Option<Duration> {
        let requests = NonZeroU32::new(self.requests)?;
        let even = self.per / requests.get();
        Some(even + even / SPACING_MARGIN)
    }

    /// How far ahead of its even spacing a request may go: `interval × (burst − 1)`.
    pub fn tolerance(&self) -> Duration {
        self.interval()
            .unwrap_or_default()
            .saturating_mul(self.burst.max(1) - 1)
    }
}

/// Slots are spaced wider than the quota by 1/`SPACING_MARGIN` of the interval (0.5%).
const SPACING_MARGIN: u32 = 200;

/// Quotas per method class; `None` means unlimited.
///
/// A quota set for one write method (`post`, `put`, ...) applies to that method alone; writes
/// whose method has no quota of its own share [`RateLimits::writes`], when it is set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
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
    /// One quota shared by every write (POST, PUT, PATCH, DELETE) without a quota of its own.
    pub writes: Option<Rate>,
}

/// The names of the quota classes, in [`RateLimits::class_of`] order.
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) const CLASS_NAMES: [&str; CLASSES] = ["get", "post", "put", "patch", "delete", "writes"];
const CLASSES: usize = 6;
const WRITES: usize = 5;

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
    /// Sets a POST quota of its own.
    pub fn post(mut self, rate: Rate) -> Self {
        self.post = Some(rate);
        self
    }
    /// Sets a PUT quota of its own.
    pub fn put(mut self, rate: Rate) -> Self {
        self.put = Some(rate);
        self
    }
    /// Sets a PATCH quota of its own.
    pub fn patch(mut self, rate: Rate) -> Self {
        self.patch = Some(rate);
        self
    }
    /// Sets a DELETE quota of its own.
    pub fn delete(mut self, rate: Rate) -> Self {
        self.delete = Some(rate);
        self
    }
    /// Sets one quota shared by every write method that has no quota of its own.
    pub fn writes(mut self, rate: Rate) -> Self {
        self.writes = Some(rate);
        self
    }
    /// The same quota for every method, each method counted on its own.
    pub fn all(rate: Rate) -> Self {
        Self {
            get: Some(rate),
            post: Some(rate),
            put: Some(rate),
            patch: Some(rate),
            delete: Some(rate),
            writes: None,
        }
    }
    /// The quota a request of `method` counts against.
    pub fn for_method(&self, method: &Method) -> Option<Rate> {
        self.class_of(method).and_then(|c| self.by_class(c))
    }
    /// The quota class a request of `method` counts against (an index of the classes get, post,
    /// put, patch, delete, writes), `None` for methods that are never paced or when no quota
    /// applies.
    pub(crate) fn class_of(&self, method: &Method) -> Option<usize> {
        let own = match *method {
            Method::GET | Method::HEAD => return Some(0),
            Method::POST => 1,
            Method::PUT => 2,
            Method::PATCH => 3,
            Method::DELETE => 4,
            _ => return None,
        };
        match (self.by_class(own), self.writes) {
            (None, Some(_)) => Some(WRITES),
            _ => Some(own),
        }
    }
    fn by_class(&self, class: usize) -> Option<Rate> {
        [
            self.get,
            self.post,
            self.put,
            self.patch,
            self.delete,
            self.writes,
        ]
        .get(class)
        .copied()
        .flatten()
    }
}

/// Decides when a request may be sent. Implemented by [`LocalPacer`] and by shared limiters.
pub trait Pacer: Send + Sync + fmt::Debug {
    /// Waits until a request of `method` may be sent. An error fails the call (e.g. a shared
    /// limiter that is unreachable and configured to fail closed).
    fn acquire<'a>(&'a self, method: &'a Method) -> BoxFuture<'a, Result<(), Error>>;
    /// The provider answered 429: hold every request for `wait`.
    fn pause(&self, wait: Duration);
    /// Lets a request of `method` through when it may be sent now, booking its slot as
    /// [`acquire`](Self::acquire) would; `None` when it would have to wait or the pacer cannot
    /// tell without waiting (a shared limiter), and then `acquire` is awaited. A pacer that can
    /// answer at once saves the boxed future on every call. The default answers `None`.
    fn try_acquire(&self, method: &Method) -> Option<Result<(), Error>> {
        let _ = method;
        None
    }
}

/// One method class's GCRA schedule in booking form.
#[derive(Debug)]
struct Schedule {
    interval: Duration,
    tolerance: Duration,
    /// The theoretical arrival time of the next request (`None` before the first).
    tat: Mutex<Option<Instant>>,
}

impl Schedule {
    fn new(rate: Rate) -> Option<Self> {
        Some(Self {
            interval: rate.interval()?,
            tolerance: rate.tolerance(),
            tat: Mutex::new(None),
        })
    }

    /// The first free slot at or after `now` given the theoretical arrival time `tat`
    /// (`slot = max(now, tat - tolerance)`), and the arrival time once it is booked.
    fn next_slot(&self, tat: Option<Instant>, now: Instant) -> (Instant, Instant) {
        let t = tat.map_or(now, |t| t.max(now));
        let slot = t.checked_sub(self.tolerance).map_or(now, |s| s.max(now));
        (slot, t + self.interval)
    }

    /// Books the slot at `now` if it is free; books nothing otherwise.
    fn book_now(&self, now: Instant) -> bool {
        let mut tat = lock(&self.tat);
        let (slot, booked) = self.next_slot(*tat, now);
        let free = slot <= now;
        if free {
            *tat = Some(booked);
        }
        free
    }

    /// Books the first free slot at or after `now`.
    fn book(&self, now: Instant) -> Booking<'_> {
        let mut tat = lock(&self.tat);
        let (slot, booked) = self.next_slot(*tat, now);
        *tat = Some(booked);
        Booking {
            schedule: self,
            slot,
            booked,
            used: false,
        }
    }
}

/// A booked slot; dropped unused, it is handed back if no later slot was booked since.
struct Booking<'a> {
    schedule: &'a Schedule,
    slot: Instant,
    booked: Instant,
    used: bool,
}

impl Drop for Booking<'_> {
    fn drop(&mut self) {
        if !self.used {
            let mut tat = lock(&self.schedule.tat);
            if *tat == Some(self.booked) {
                *tat = Some(self.booked - self.schedule.interval);
            }
        }
    }
}

/// The in-process pacer: one booking schedule per method class (see the [module docs](self)),
/// plus a pause after 429s.
pub struct LocalPacer {
    limits: RateLimits,
    schedules: [Option<Schedule>; CLASSES],
    paused_until: Mutex<Option<Instant>>,
}

impl LocalPacer {
    /// A pacer for these quotas.
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            schedules: std::array::from_fn(|class| limits.by_class(class).and_then(Schedule::new)),
            paused_until: Mutex::new(None),
        }
    }

    /// The quotas it enforces.
    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// The end of the current 429 pause, if one is running.
    pub(crate) fn paused_until(&self) -> Option<Instant> {
        lock(&self.paused_until).filter(|t| *t > Instant::now())
    }

    /// The schedule of `method`'s class, `None` when its class has no quota.
    fn schedule(&self, method: &Method) -> Option<&Schedule> {
        self.limits
            .class_of(method)
            .and_then(|c| self.schedules[c].as_ref())
    }

    /// Waits for a slot; infallible.
    pub async fn wait(&self, method: &Method) {
        let schedule = self.schedule(method);
        loop {
            while let Some(until) = self.paused_until() {
                tokio::time::sleep_until(until).await;
            }
            let Some(schedule) = schedule else {
                return;
            };
            let mut booking = schedule.book(Instant::now());
            tokio::time::sleep_until(booking.slot).await;
            // A 429 pause that began while waiting covers this slot: book again after it.
            if self.paused_until().is_none() {
                booking.used = true;
                return;
            }
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

    fn try_acquire(&self, method: &Method) -> Option<Result<(), Error>> {
        if self.paused_until().is_some() {
            return None;
        }
        match self.schedule(method) {
            None => Some(Ok(())),
            Some(schedule) => schedule.book_now(Instant::now()).then_some(Ok(())),
        }
    }

    fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut guard = lock(&self.paused_until);
        if guard.is_none_or(|t| t < until) {
            *guard = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND_AND_MARGIN: Duration = Duration::from_millis(1005);

    #[test]
    fn interval_is_the_even_spacing_plus_half_a_percent() {
        assert_eq!(
            Rate::per_minute(60).interval(),
            Some(Duration::from_millis(1005))
        );
        assert_eq!(
            Rate::per_minute(30).interval(),
            Some(Duration::from_millis(2010))
        );
        assert_eq!(Rate::per_minute(0).interval(), None);
        assert_eq!(Rate::per_minute(60).tolerance(), Duration::ZERO);
        assert_eq!(
            Rate::per_minute(60).with_burst(3).tolerance(),
            Duration::from_millis(2010)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn paces_each_class_separately_on_a_paused_clock() {
        let pacer = LocalPacer::new(
            RateLimits::default()
                .get(Rate::per_minute(60))
                .put(Rate::per_minute(30)),
        );
        let start = Instant::now();
        for _ in 0..5 {
            pacer.wait(&Method::GET).await;
        }
        // 1 immediately, then one per second (and the margin).
        assert_eq!(start.elapsed(), SECOND_AND_MARGIN * 4);
        let start = Instant::now();
        for _ in 0..3 {
            pacer.wait(&Method::PUT).await;
        }
        assert_eq!(start.elapsed(), SECOND_AND_MARGIN * 4);
        // POST is unlimited here.
        let start = Instant::now();
        pacer.wait(&Method::POST).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_at_once_then_spacing_starts() {
        let pacer = LocalPacer::new(RateLimits::all(Rate::per_minute(60).with_burst(3)));
        let start = Instant::now();
        for _ in 0..3 {
            pacer.wait(&Method::GET).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        pacer.wait(&Method::GET).await;
        assert_eq!(start.elapsed(), SECOND_AND_MARGIN);
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_in_booking_order_one_slot_each() {
        let pacer = std::sync::Arc::new(LocalPacer::new(RateLimits::all(Rate::per_second(10))));
        let start = Instant::now();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for i in 0..5 {
            let (pacer, tx) = (pacer.clone(), tx.clone());
            tokio::spawn(async move {
                pacer.wait(&Method::GET).await;
                tx.send((i, start.elapsed())).unwrap();
            });
            // Each task books before the next is spawned.
            tokio::task::yield_now().await;
        }
        drop(tx);
        let mut served = Vec::new();
        while let Some(x) = rx.recv().await {
            served.push(x);
        }
        assert_eq!(
            served.iter().map(|x| x.0).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4]
        );
        // Each at its slot (the timer wheel rounds up to the millisecond).
        let slot = Duration::from_micros(100_500);
        for (i, at) in served {
            let due = slot * i;
            assert!(
                at >= due && at < due + Duration::from_millis(1),
                "{i} at {at:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_wake_up_does_not_push_the_following_slots_back() {
        let pacer = LocalPacer::new(RateLimits::all(Rate::per_second(10)));
        let start = Instant::now();
        pacer.wait(&Method::GET).await;
        // The caller of the second slot comes back 70 ms after it (a busy runtime): the third
        // slot is still where the schedule put it.
        let second = pacer.schedules[0].as_ref().unwrap().book(Instant::now());
        let mut second = second;
        tokio::time::sleep_until(second.slot + Duration::from_millis(70)).await;
        second.used = true;
        drop(second);
        pacer.wait(&Method::GET).await;
        assert_eq!(start.elapsed(), Duration::from_micros(201_000));
    }

    #[tokio::test(start_paused = true)]
    async fn try_acquire_lets_through_only_what_wait_would_not_hold() {
        let pacer = LocalPacer::new(RateLimits::all(Rate::per_minute(60)));
        let start = Instant::now();
        assert!(matches!(pacer.try_acquire(&Method::GET), Some(Ok(()))));
        // The next slot is a second away: nothing is booked for the refusal, so the waiter
        // gets that slot, not the one after it.
        assert!(pacer.try_acquire(&Method::GET).is_none());
        pacer.wait(&Method::GET).await;
        assert_eq!(start.elapsed(), SECOND_AND_MARGIN);
        // A class without a quota is never held, except by a 429 pause.
        let writes_free = LocalPacer::new(RateLimits {
            get: Some(Rate::per_minute(60)),
            ..RateLimits::unlimited()
        });
        assert!(matches!(
            writes_free.try_acquire(&Method::PUT),
            Some(Ok(()))
        ));
        writes_free.pause(Duration::from_secs(1));
        assert!(writes_free.try_acquire(&Method::PUT).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_caller_that_gives_up_hands_its_slot_back() {
        let pacer = LocalPacer::new(RateLimits::all(Rate::per_minute(60)));
        pacer.wait(&Method::GET).await;
        let start = Instant::now();
        // Waits for the slot at ~1 s, gives up after 100 ms.
        let gave_up =
            tokio::time::timeout(Duration::from_millis(100), pacer.wait(&Method::GET)).await;
        assert!(gave_up.is_err());
        // The next caller gets that slot, not the one after it.
        pacer.wait(&Method::GET).await;
        assert_eq!(start.elapsed(), SECOND_AND_MARGIN);
    }

    #[tokio::test(start_paused = true)]
    async fn pause_holds_every_class() {
        let pacer = LocalPacer::new(RateLimits::unlimited());
        pacer.pause(Duration::from_secs(7));
        let start = Instant::now();
        pacer.wait(&Method::POST).await;
        assert_eq!(start.elapsed(), Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_that_begins_while_waiting_moves_the_slot_after_it() {
        let pacer = std::sync::Arc::new(LocalPacer::new(RateLimits::all(Rate::per_minute(60))));
        pacer.wait(&Method::GET).await;
        let start = Instant::now();
        let waiter = {
            let pacer = pacer.clone();
            tokio::spawn(async move { pacer.wait(&Method::GET).await })
        };
        tokio::time::sleep(Duration::from_millis(500)).await;
        // A 429 arrives: hold everything for 5 s.
        pacer.pause(Duration::from_secs(5));
        waiter.await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(5500));
    }
}
