//! The queue between the endpoints and the handler: in-process, or Redis Streams.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::event::{DeadLetter, Envelope};
use crate::common::lock;

/// What happened to a pushed event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    Queued,
    Duplicate,
}

/// Why an event could not be stored (the endpoint answers 503 and the provider retries).
#[derive(Debug)]
pub(crate) enum QueueError {
    Full,
    Unavailable(String),
}

/// An event taken from the queue, to be acknowledged, retried or dead-lettered.
pub(crate) struct Delivery {
    pub(crate) envelope: Envelope,
    pub(crate) raw: Bytes,
    // Read by the Redis queue; the in-process one only holds it (its permit) until dropped.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) ticket: Ticket,
}

pub(crate) enum Ticket {
    /// Holds the event's place in the bounded in-process queue until it is done.
    Memory(#[allow(dead_code)] OwnedSemaphorePermit),
    /// The Redis stream entry id.
    #[cfg(feature = "redis")]
    Redis(String),
}

// One value per receiver, behind an `Arc`: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Queue {
    Memory(MemoryQueue),
    #[cfg(feature = "redis")]
    Redis(super::redis::RedisQueue),
}

impl Queue {
    pub(crate) async fn push(&self, envelope: Envelope, raw: Bytes) -> Result<Pushed, QueueError> {
        match self {
            Queue::Memory(q) => q.push(envelope, raw, true),
            #[cfg(feature = "redis")]
            Queue::Redis(q) => q.push(envelope, raw, true).await,
        }
    }
    /// Up to `max` events; waits for the first one (Redis: at most about a second, then may
    /// answer none).
    pub(crate) async fn next(&self, max: usize) -> Result<Vec<Delivery>, QueueError> {
        match self {
            Queue::Memory(q) => Ok(q.next(max).await),
            #[cfg(feature = "redis")]
            Queue::Redis(q) => q.next(max).await,
        }
    }
    pub(crate) async fn ack(&self, d: Delivery) -> Result<(), QueueError> {
        match self {
            Queue::Memory(_) => {
                drop(d);
                Ok(())
            }
            #[cfg(feature = "redis")]
            Queue::Redis(q) => q.ack(d).await,
        }
    }
    pub(crate) async fn retry(&self, d: Delivery, delay: Duration) -> Result<(), QueueError> {
        match self {
            Queue::Memory(q) => {
                q.retry(d, delay);
                Ok(())
            }
            #[cfg(feature = "redis")]
            Queue::Redis(q) => q.retry(d, delay).await,
        }
    }
    /// Stores a dead letter and removes its event from the queue (when it came from it).
    pub(crate) async fn dead(
        &self,
        letter: DeadLetter,
        d: Option<Delivery>,
    ) -> Result<(), QueueError> {
        match self {
            Queue::Memory(q) => {
                q.dead(letter);
                drop(d);
                Ok(())
            }
            #[cfg(feature = "redis")]
            Queue::Redis(q) => q.dead(letter, d).await,
        }
    }
    /// Tells the queue a handler is still working on `d` (Redis: resets the entry's idle time,
    /// so other instances do not claim it).
    pub(crate) async fn keep_alive(&self, d: &Delivery) {
        #[cfg(feature = "redis")]
        if let Queue::Redis(q) = self {
            q.keep_alive(d).await;
        }
        let _ = d;
    }
    pub(crate) async fn dead_letters(&self) -> Result<Vec<DeadLetter>, QueueError> {
        match self {
            Queue::Memory(q) => Ok(lock(&q.dead).iter().cloned().collect()),
            #[cfg(feature = "redis")]
            Queue::Redis(q) => q.dead_letters().await,
        }
    }
    pub(crate) async fn requeue_dead_letters(&self) -> Result<usize, QueueError> {
        match self {
            Queue::Memory(q) => q.requeue(),
            #[cfg(feature = "redis")]
            Queue::Redis(q) => q.requeue_dead_letters().await,
        }
    }
    /// Whether a `next` may be dropped halfway without taking events away (Redis: no, the
    /// server hands them to this consumer even if the answer is never read).
    pub(crate) fn cancel_safe(&self) -> bool {
        matches!(self, Queue::Memory(_))
    }
    /// How often a handler must call [`Queue::keep_alive`] (None: never).
    pub(crate) fn keep_alive_every(&self) -> Option<Duration> {
        match self {
            Queue::Memory(_) => None,
            #[cfg(feature = "redis")]
            Queue::Redis(q) => Some(q.keep_alive_every()),
        }
    }
}

/// Keys seen within a window (`window` zero: nothing is a duplicate).
pub(crate) struct Dedup {
    window: Duration,
    seen: HashMap<String, Instant>,
    order: VecDeque<(Instant, String)>,
}

impl Dedup {
    pub(crate) fn new(window: Duration) -> Self {
        Self {
            window,
            seen: HashMap::new(),
            order: VecDeque::new(),
        }
    }
    fn expire(&mut self, now: Instant) {
        while let Some((at, _)) = self.order.front() {
            if *at + self.window > now {
                break;
            }
            if let Some((at, key)) = self.order.pop_front()
                && self.seen.get(&key) == Some(&at)
            {
                self.seen.remove(&key);
            }
        }
    }
    fn is_duplicate(&mut self, key: &str, now: Instant) -> bool {
        if self.window.is_zero() {
            return false;
        }
        self.expire(now);
        self.seen.contains_key(key)
    }
    fn insert(&mut self, key: String, now: Instant) {
        if self.window.is_zero() {
            return;
        }
        self.seen.insert(key.clone(), now);
        self.order.push_back((now, key));
    }
}

/// The in-process queue: bounded by a semaphore whose permit travels with each event until it
/// is done (acknowledged or dead-lettered), retries included.
pub(crate) struct MemoryQueue {
    permits: Arc<Semaphore>,
    tx: mpsc::UnboundedSender<Delivery>,
    rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Delivery>>,
    dedup: Mutex<Dedup>,
    dead: Mutex<VecDeque<DeadLetter>>,
    dead_capacity: usize,
}

impl MemoryQueue {
    pub(crate) fn new(capacity: usize, dedup_window: Duration, dead_capacity: usize) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self {
            permits: Arc::new(Semaphore::new(capacity.max(1))),
            tx,
            rx: tokio::sync::Mutex::new(rx),
            dedup: Mutex::new(Dedup::new(dedup_window)),
            dead: Mutex::new(VecDeque::new()),
            dead_capacity: dead_capacity.max(1),
        }
    }

    fn push(&self, envelope: Envelope, raw: Bytes, dedup: bool) -> Result<Pushed, QueueError> {
        let now = Instant::now();
        let mut seen = lock(&self.dedup);
        if dedup && seen.is_duplicate(&envelope.key, now) {
            return Ok(Pushed::Duplicate);
        }
        let permit = self
            .permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| QueueError::Full)?;
        if dedup {
            seen.insert(envelope.key.clone(), now);
        }
        drop(seen);
        self.tx
            .send(Delivery {
                envelope,
                raw,
                ticket: Ticket::Memory(permit),
            })
            .map_err(|_| QueueError::Unavailable("the receiver was shut down".into()))?;
        Ok(Pushed::Queued)
    }

    async fn next(&self, max: usize) -> Vec<Delivery> {
        let mut rx = self.rx.lock().await;
        let mut out = Vec::new();
        if let Some(d) = rx.recv().await {
            out.push(d);
        }
        while out.len() < max {
            match rx.try_recv() {
                Ok(d) => out.push(d),
                Err(_) => break,
            }
        }
        out
    }

    fn retry(&self, d: Delivery, delay: Duration) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            // Fails only when the receiver is gone (in-process events end with it).
            let _ = tx.send(d);
        });
    }

    fn dead(&self, letter: DeadLetter) {
        let mut dead = lock(&self.dead);
        if dead.len() >= self.dead_capacity
            && let Some(old) = dead.pop_front()
        {
            tracing::error!(
                id = %old.envelope.id,
                endpoint = old.envelope.endpoint.path(),
                "in-process dead-letter list full: the oldest entry was discarded"
            );
        }
        dead.push_back(letter);
    }

    fn requeue(&self) -> Result<usize, QueueError> {
        let letters: Vec<DeadLetter> = lock(&self.dead).drain(..).collect();
        let mut queued = 0;
        let mut full = false;
        let mut left = VecDeque::new();
        for letter in letters {
            if !letter.replayable || full {
                left.push_back(letter);
                continue;
            }
            match self.push(replay(&letter), Bytes::from(letter.body.clone()), false) {
                Ok(_) => queued += 1,
                Err(_) => {
                    full = true;
                    left.push_back(letter);
                }
            }
        }
        lock(&self.dead).extend(left);
        Ok(queued)
    }
}

/// The envelope a replayed dead letter is queued with: its attempts start again.
pub(crate) fn replay(letter: &DeadLetter) -> Envelope {
    let mut envelope = letter.envelope.clone();
    envelope.failures = 0;
    envelope.last_error = None;
    envelope
}
