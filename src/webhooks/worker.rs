//! Runs the handler from the queue: at least once per event, retries with backoff, dead letters.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::event::{DeadLetter, DynHandler, Event, Payload, now_ms};
use super::fetch::Fetcher;
use super::queue::{Delivery, Queue};

/// When a failed event is tried again: `first` after the first failure, doubling up to `max`
/// (each delay drawn between half and all of it), `attempts` tries in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    pub(crate) attempts: u32,
    pub(crate) first: Duration,
    pub(crate) max: Duration,
}

impl RetryPolicy {
    fn delay(&self, failures: u32) -> Duration {
        let exp = failures.saturating_sub(1).min(30);
        let full = self.first.saturating_mul(1 << exp).min(self.max);
        let half = full / 2;
        half + full.mul_f64(rand::random_range(0.0..=0.5))
    }
}

/// Counters, read by [`Receiver::stats`](super::Receiver::stats).
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) queued: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) refused_full: AtomicU64,
    pub(crate) refused_unavailable: AtomicU64,
    pub(crate) malformed: AtomicU64,
    pub(crate) unauthorized: AtomicU64,
    pub(crate) processed: AtomicU64,
    pub(crate) failures: AtomicU64,
    pub(crate) dead_letters: AtomicU64,
    pub(crate) freight_answered: AtomicU64,
    pub(crate) freight_failed: AtomicU64,
}

pub(crate) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

pub(crate) struct Core {
    pub(crate) queue: Queue,
    pub(crate) handler: Box<dyn DynHandler>,
    pub(crate) fetcher: Arc<Fetcher>,
    pub(crate) retry: RetryPolicy,
    pub(crate) concurrency: usize,
    pub(crate) counters: Counters,
}

/// Takes events from the queue until `stop` turns true, then waits for the running handlers.
pub(crate) async fn run(core: Arc<Core>, mut stop: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(core.concurrency.max(1)));
    let mut running = JoinSet::new();
    loop {
        while running.try_join_next().is_some() {}
        if *stop.borrow() {
            break;
        }
        let first = tokio::select! {
            p = slots.clone().acquire_owned() => p,
            _ = stop.wait_for(|s| *s) => break,
        };
        let Ok(first) = first else { break };
        let mut permits = vec![first];
        while permits.len() < 256 {
            match slots.clone().try_acquire_owned() {
                Ok(p) => permits.push(p),
                Err(_) => break,
            }
        }
        let batch = if core.queue.cancel_safe() {
            tokio::select! {
                b = core.queue.next(permits.len()) => b,
                _ = stop.wait_for(|s| *s) => break,
            }
        } else {
            // A Redis read is not abandoned halfway: events it took would wait for another
            // instance to claim them. It returns within its block time; they are handled.
            core.queue.next(permits.len()).await
        };
        match batch {
            Ok(deliveries) => {
                for d in deliveries {
                    let Some(permit) = permits.pop() else { break };
                    let core = core.clone();
                    running.spawn(async move {
                        process(&core, d).await;
                        drop(permit);
                    });
                }
            }
            Err(e) => {
                tracing::warn!(error = ?e, "webhook queue unavailable; trying again in 1 s");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.wait_for(|s| *s) => break,
                }
            }
        }
    }
    while running.join_next().await.is_some() {}
}

async fn process(core: &Core, d: Delivery) {
    let payload = match Payload::parse(d.envelope.endpoint, &d.raw) {
        Ok(p) => p,
        Err(e) => {
            // A payload that does not type will not type on a retry: kept for a new version.
            let error = format!("the body no longer matches the documented payload: {e}");
            return dead_letter(core, d, error).await;
        }
    };
    if d.envelope.failures >= core.retry.attempts {
        let error = d
            .envelope
            .last_error
            .clone()
            .unwrap_or_else(|| "too many attempts".into());
        return dead_letter(core, d, error).await;
    }
    let event = Event {
        payload,
        envelope: d.envelope.clone(),
        raw: d.raw.clone(),
        fetcher: core.fetcher.clone(),
    };
    let mut handled = AssertUnwindSafe(core.handler.call(event)).catch_unwind();
    let result = match core.queue.keep_alive_every() {
        None => handled.await,
        Some(every) => {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tokio::select! {
                    r = &mut handled => break r,
                    _ = tick.tick() => core.queue.keep_alive(&d).await,
                }
            }
        }
    };
    let error = match result {
        Ok(Ok(())) => {
            bump(&core.counters.processed);
            if let Err(e) = core.queue.ack(d).await {
                // The event stays pending and will be delivered again (at least once).
                tracing::warn!(error = ?e, "could not acknowledge a handled webhook event");
            }
            return;
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => "the handler panicked".to_owned(),
    };
    bump(&core.counters.failures);
    let mut d = d;
    d.envelope.failures += 1;
    d.envelope.last_error = Some(error.clone());
    tracing::warn!(
        id = %d.envelope.id,
        endpoint = d.envelope.endpoint.path(),
        attempt = d.envelope.failures,
        error = %error,
        "webhook handler failed"
    );
    if d.envelope.failures >= core.retry.attempts {
        return dead_letter(core, d, error).await;
    }
    let delay = core.retry.delay(d.envelope.failures);
    if let Err(e) = core.queue.retry(d, delay).await {
        tracing::warn!(error = ?e, "could not schedule a webhook retry; the event stays pending");
    }
}

async fn dead_letter(core: &Core, d: Delivery, error: String) {
    bump(&core.counters.dead_letters);
    tracing::error!(
        id = %d.envelope.id,
        endpoint = d.envelope.endpoint.path(),
        error = %error,
        "webhook event moved to the dead-letter list"
    );
    let letter = DeadLetter {
        envelope: d.envelope.clone(),
        body: String::from_utf8_lossy(&d.raw).into_owned(),
        replayable: true,
        error,
        failed_at_ms: now_ms(),
    };
    if let Err(e) = core.queue.dead(letter, Some(d)).await {
        tracing::warn!(error = ?e, "could not store a dead letter; the event stays pending");
    }
}
