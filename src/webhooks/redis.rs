//! The Redis Streams queue (features `webhooks` and `redis`).
//!
//! Keys, all under one hash tag so they live in one cluster slot
//! (`<prefix>:webhooks:{<name>}:…`):
//!
//! * `stream`: one entry per event not yet done (`env` = the envelope as JSON, `body` = the raw
//!   body), read by the consumer group `<name>` with one consumer per instance. An entry is
//!   deleted when it is done, so the stream's length is the backlog.
//! * `retry`: a sorted set of events waiting to be tried again, scored by when (each member is
//!   the envelope, a newline, the body). Any instance moves due members back to the stream.
//! * `dead`: the dead letters (a list of JSON [`DeadLetter`]s).
//! * `dedup:<hash>`: one key per recently seen event (the XXH3-128 of its de-duplication key,
//!   so a long id does not make a long Redis key), expiring after the window.
//!
//! Every move is atomic (a Lua script or `MULTI`): storing an event and its de-duplication key,
//! acknowledging and deleting it, or acknowledging it and scheduling its retry or dead letter.
//! An instance that dies leaves its events pending in the group; after
//! [`RedisQueue::claim_idle`] another instance claims them (`XAUTOCLAIM`) and runs them. A
//! live handler resets its event's idle time while it runs, so a slow handler is not mistaken
//! for a dead one. An event delivered more times than the retry limit without an answer (it
//! kills its instance each time) becomes a dead letter.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ::redis::aio::MultiplexedConnection;
use ::redis::streams::{StreamAutoClaimReply, StreamId, StreamPendingCountReply, StreamReadReply};
use ::redis::{AsyncConnectionConfig, RedisError, Script, Value};
use bytes::Bytes;

use super::event::{DeadLetter, Envelope, now_ms};
use super::queue::{Delivery, Pushed, QueueError, Ticket, replay};
use crate::common::lock;
use crate::common::redis::{RedisConnection, redis_error_text};

const PUSH: &str = r"
local cap = tonumber(ARGV[1])
if cap > 0 and redis.call('XLEN', KEYS[1]) + redis.call('ZCARD', KEYS[2]) >= cap then
  return 'full'
end
if ARGV[2] ~= '0' then
  if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[2]) then
    return 'dup'
  end
end
redis.call('XADD', KEYS[1], '*', 'env', ARGV[3], 'body', ARGV[4])
return 'ok'";

const PROMOTE: &str = r"
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(due) do
  local i = string.find(m, '\n', 1, true)
  if i then
    redis.call('XADD', KEYS[1], '*', 'env', string.sub(m, 1, i - 1), 'body', string.sub(m, i + 1))
  else
    redis.call('XADD', KEYS[1], '*', 'env', m, 'body', '')
  end
  redis.call('ZREM', KEYS[2], m)
end
return #due";

const KEEP_ALIVE: &str = r"
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if p[1] and p[1][2] == ARGV[2] then
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
  return 1
end
return 0";

const REQUEUE: &str = r"
local cap = tonumber(ARGV[1])
if cap > 0 and redis.call('XLEN', KEYS[1]) + redis.call('ZCARD', KEYS[2]) >= cap then
  return 'full'
end
if redis.call('LREM', KEYS[3], 1, ARGV[2]) == 1 then
  redis.call('XADD', KEYS[1], '*', 'env', ARGV[3], 'body', ARGV[4])
  return 'ok'
end
return 'gone'";

/// A queue in Redis Streams shared by every receiver instance with the same name; see the
/// [module docs](super#queues). Give it to
/// [`Builder::redis_queue`](super::Builder::redis_queue).
pub struct RedisQueue {
    conn: RedisConnection,
    name: String,
    stream: String,
    retry: String,
    dead: String,
    dedup_prefix: String,
    consumer: String,
    capacity: usize,
    claim_idle: Duration,
    block: Duration,
    pub(crate) dedup_window: Duration,
    push: Script,
    promote: Script,
    keep_alive: Script,
    requeue: Script,
    state: tokio::sync::Mutex<ReadState>,
    last_claim: Mutex<Option<Instant>>,
}

#[derive(Default)]
struct ReadState {
    reader: Option<MultiplexedConnection>,
    group_ready: bool,
    claim_cursor: Option<String>,
}

impl fmt::Debug for RedisQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisQueue")
            .field("stream", &self.stream)
            .field("consumer", &self.consumer)
            .field("capacity", &self.capacity)
            .field("claim_idle", &self.claim_idle)
            .finish_non_exhaustive()
    }
}

fn unavailable(e: &RedisError) -> QueueError {
    QueueError::Unavailable(format!("Redis: {}", redis_error_text(e)))
}

impl RedisQueue {
    /// The queue `name` (also the consumer group's name) on `conn`. Instances that should share
    /// the work use the same name and Redis.
    pub fn new(conn: &RedisConnection, name: &str) -> Self {
        let base = conn.key(&["webhooks", &format!("{{{name}}}")]);
        let id = uuid::Uuid::new_v4().simple().to_string();
        Self {
            conn: conn.clone(),
            name: name.to_owned(),
            stream: format!("{base}:stream"),
            retry: format!("{base}:retry"),
            dead: format!("{base}:dead"),
            dedup_prefix: format!("{base}:dedup:"),
            consumer: format!("{}-{}", std::process::id(), &id[..12]),
            capacity: 1_000_000,
            claim_idle: Duration::from_secs(30),
            block: Duration::from_millis(500),
            dedup_window: Duration::ZERO,
            push: Script::new(PUSH),
            promote: Script::new(PROMOTE),
            keep_alive: Script::new(KEEP_ALIVE),
            requeue: Script::new(REQUEUE),
            state: tokio::sync::Mutex::new(ReadState::default()),
            last_claim: Mutex::new(None),
        }
    }

    /// Most events stored and not done (waiting, running or waiting for a retry) before the
    /// endpoints answer 503 (default 1,000,000; 0 = no limit).
    #[must_use]
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// How long an event may sit with an instance that does not answer before another instance
    /// takes it (default 30 s). A running handler keeps its event for as long as it runs.
    #[must_use]
    pub fn claim_idle(mut self, idle: Duration) -> Self {
        self.claim_idle = idle.max(Duration::from_millis(100));
        self
    }

    /// This instance's consumer name in the group (default: process id and a random suffix).
    #[must_use]
    pub fn consumer(mut self, name: impl Into<String>) -> Self {
        self.consumer = name.into();
        self
    }

    /// The stream's key.
    pub fn stream_key(&self) -> &str {
        &self.stream
    }

    pub(crate) fn keep_alive_every(&self) -> Duration {
        self.claim_idle / 3
    }

    pub(crate) async fn push(
        &self,
        envelope: Envelope,
        raw: Bytes,
        dedup: bool,
    ) -> Result<Pushed, QueueError> {
        let env = serde_json::to_vec(&envelope)
            .map_err(|e| QueueError::Unavailable(format!("envelope: {e}")))?;
        let window = if dedup {
            self.dedup_window.as_millis()
        } else {
            0
        };
        let mut c = self.conn.conn().map_err(|e| unavailable(&e))?;
        let answer: String = self
            .push
            .key(&self.stream)
            .key(&self.retry)
            .key(format!(
                "{}{:032x}",
                self.dedup_prefix,
                xxhash_rust::xxh3::xxh3_128(envelope.key.as_bytes())
            ))
            .arg(self.capacity)
            .arg(window.to_string())
            .arg(env)
            .arg(raw.as_ref())
            .invoke_async(&mut c)
            .await
            .map_err(|e| unavailable(&e))?;
        match answer.as_str() {
            "ok" => Ok(Pushed::Queued),
            "dup" => Ok(Pushed::Duplicate),
            _ => Err(QueueError::Full),
        }
    }

    async fn reader(&self, state: &mut ReadState) -> Result<MultiplexedConnection, QueueError> {
        if let Some(c) = &state.reader {
            return Ok(c.clone());
        }
        let timeout = self.conn.command_timeout();
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(self.block + timeout));
        let c = self
            .conn
            .client()
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| unavailable(&e))?;
        state.reader = Some(c.clone());
        Ok(c)
    }

    async fn ensure_group(&self, state: &mut ReadState) -> Result<(), QueueError> {
        if state.group_ready {
            return Ok(());
        }
        let mut c = self.conn.conn().map_err(|e| unavailable(&e))?;
        let created: Result<(), RedisError> = ::redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&self.stream)
            .arg(&self.name)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut c)
            .await;
        match created {
            Ok(()) => {}
            Err(e) if e.code() == Some("BUSYGROUP") => {}
            Err(e) => return Err(unavailable(&e)),
        }
        state.group_ready = true;
        Ok(())
    }

    pub(crate) async fn next(&self, max: usize) -> Result<Vec<Delivery>, QueueError> {
        let mut state = self.state.lock().await;
        self.ensure_group(&mut state).await?;
        let due = {
            let mut last = lock(&self.last_claim);
            let due = last.is_none_or(|t| t.elapsed() >= self.claim_idle / 2);
            if due {
                *last = Some(Instant::now());
            }
            due
        };
        if due {
            let claimed = self.maintain(&mut state, max).await?;
            if !claimed.is_empty() {
                return Ok(claimed);
            }
        }
        let mut reader = self.reader(&mut state).await?;
        let read: Result<Option<StreamReadReply>, RedisError> = ::redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(&self.name)
            .arg(&self.consumer)
            .arg("COUNT")
            .arg(max.max(1))
            .arg("BLOCK")
            .arg(self.block.as_millis() as u64)
            .arg("STREAMS")
            .arg(&self.stream)
            .arg(">")
            .query_async(&mut reader)
            .await;
        let reply = match read {
            Ok(r) => r,
            Err(e) => {
                state.reader = None;
                if e.code() == Some("NOGROUP") {
                    state.group_ready = false;
                }
                return Err(unavailable(&e));
            }
        };
        let entries = reply
            .map(|r| r.keys.into_iter().flat_map(|k| k.ids).collect())
            .unwrap_or_default();
        Ok(self.deliveries(entries, None).await)
    }

    /// Moves due retries back to the stream and claims events left by dead instances.
    async fn maintain(
        &self,
        state: &mut ReadState,
        max: usize,
    ) -> Result<Vec<Delivery>, QueueError> {
        let mut c = self.conn.conn().map_err(|e| unavailable(&e))?;
        let _: i64 = self
            .promote
            .key(&self.stream)
            .key(&self.retry)
            .arg(now_ms())
            .arg(1000)
            .invoke_async(&mut c)
            .await
            .map_err(|e| unavailable(&e))?;
        let cursor = state.claim_cursor.clone().unwrap_or_else(|| "0-0".into());
        let claimed: StreamAutoClaimReply = ::redis::cmd("XAUTOCLAIM")
            .arg(&self.stream)
            .arg(&self.name)
            .arg(&self.consumer)
            .arg(self.claim_idle.as_millis() as u64)
            .arg(cursor)
            .arg("COUNT")
            .arg(max.max(1))
            .query_async(&mut c)
            .await
            .map_err(|e| unavailable(&e))?;
        state.claim_cursor = Some(claimed.next_stream_id.clone());
        if claimed.claimed.is_empty() {
            return Ok(Vec::new());
        }
        let mut counts = Vec::with_capacity(claimed.claimed.len());
        for entry in &claimed.claimed {
            let pending: StreamPendingCountReply = ::redis::cmd("XPENDING")
                .arg(&self.stream)
                .arg(&self.name)
                .arg(&entry.id)
                .arg(&entry.id)
                .arg(1)
                .query_async(&mut c)
                .await
                .map_err(|e| unavailable(&e))?;
            counts.push(pending.ids.first().map_or(1, |p| p.times_delivered));
        }
        tracing::info!(
            stream = %self.stream,
            count = claimed.claimed.len(),
            "claimed webhook events left by an instance that stopped answering"
        );
        Ok(self.deliveries(claimed.claimed, Some(counts)).await)
    }

    async fn deliveries(
        &self,
        entries: Vec<StreamId>,
        counts: Option<Vec<usize>>,
    ) -> Vec<Delivery> {
        let mut out = Vec::with_capacity(entries.len());
        for (i, mut entry) in entries.into_iter().enumerate() {
            let env = entry.map.remove("env").and_then(bytes_of);
            let body = entry
                .map
                .remove("body")
                .and_then(bytes_of)
                .unwrap_or_default();
            let Some(mut envelope) = env.and_then(|e| serde_json::from_slice::<Envelope>(&e).ok())
            else {
                // Not written by this crate: acknowledged (so it is not re-delivered forever)
                // and left in the stream for inspection.
                tracing::error!(stream = %self.stream, entry = %entry.id, "a webhook stream entry without a readable envelope was skipped; it stays in the stream");
                if let Ok(mut c) = self.conn.conn() {
                    let _: Result<i64, _> = ::redis::cmd("XACK")
                        .arg(&self.stream)
                        .arg(&self.name)
                        .arg(&entry.id)
                        .query_async(&mut c)
                        .await;
                }
                continue;
            };
            if let Some(times) = counts.as_ref().and_then(|c| c.get(i)) {
                // Each earlier delivery ended without an answer.
                let lost = u32::try_from(times.saturating_sub(1)).unwrap_or(u32::MAX);
                envelope.failures = envelope.failures.saturating_add(lost);
                envelope.last_error =
                    Some("the instance handling it stopped before it finished".into());
            }
            out.push(Delivery {
                envelope,
                raw: Bytes::from(body),
                ticket: Ticket::Redis(entry.id),
            });
        }
        out
    }

    fn entry(d: &Delivery) -> &str {
        match &d.ticket {
            Ticket::Redis(id) => id,
            Ticket::Memory(_) => "",
        }
    }

    /// Adds "acknowledge and delete `d`'s entry" to `pipe`.
    fn finish(&self, pipe: &mut ::redis::Pipeline, d: &Delivery) {
        pipe.cmd("XACK")
            .arg(&self.stream)
            .arg(&self.name)
            .arg(Self::entry(d))
            .ignore()
            .cmd("XDEL")
            .arg(&self.stream)
            .arg(Self::entry(d))
            .ignore();
    }

    /// Runs `pipe` as one transaction.
    async fn transaction(&self, pipe: &mut ::redis::Pipeline) -> Result<(), QueueError> {
        let mut c = self.conn.conn().map_err(|e| unavailable(&e))?;
        pipe.atomic()
            .query_async::<()>(&mut c)
            .await
            .map_err(|e| unavailable(&e))
    }

    pub(crate) async fn ack(&self, d: Delivery) -> Result<(), QueueError> {
        let mut pipe = ::redis::pipe();
        self.finish(&mut pipe, &d);
        self.transaction(&mut pipe).await
    }

    pub(crate) async fn retry(&self, d: Delivery, delay: Duration) -> Result<(), QueueError> {
        let mut member = serde_json::to_vec(&d.envelope)
            .map_err(|e| QueueError::Unavailable(format!("envelope: {e}")))?;
        member.push(b'\n');
        member.extend_from_slice(&d.raw);
        let due = now_ms().saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX));
        let mut pipe = ::redis::pipe();
        pipe.cmd("ZADD")
            .arg(&self.retry)
            .arg(due)
            .arg(member)
            .ignore();
        self.finish(&mut pipe, &d);
        self.transaction(&mut pipe).await
    }

    pub(crate) async fn dead(
        &self,
        letter: DeadLetter,
        d: Option<Delivery>,
    ) -> Result<(), QueueError> {
        let json = serde_json::to_vec(&letter)
            .map_err(|e| QueueError::Unavailable(format!("dead letter: {e}")))?;
        let mut pipe = ::redis::pipe();
        pipe.cmd("RPUSH").arg(&self.dead).arg(json).ignore();
        if let Some(d) = &d {
            self.finish(&mut pipe, d);
        }
        self.transaction(&mut pipe).await
    }

    pub(crate) async fn keep_alive(&self, d: &Delivery) {
        let Ok(mut c) = self.conn.conn() else { return };
        let kept: Result<i64, _> = self
            .keep_alive
            .key(&self.stream)
            .arg(&self.name)
            .arg(&self.consumer)
            .arg(Self::entry(d))
            .invoke_async(&mut c)
            .await;
        if matches!(kept, Ok(0)) {
            tracing::warn!(stream = %self.stream, entry = Self::entry(d), "a webhook event was claimed by another instance while its handler still ran here");
        }
    }

    async fn raw_dead_letters(&self) -> Result<Vec<Vec<u8>>, QueueError> {
        let mut c = self.conn.conn().map_err(|e| unavailable(&e))?;
        ::redis::cmd("LRANGE")
            .arg(&self.dead)
            .arg(0)
            .arg(-1)
            .query_async(&mut c)
            .await
            .map_err(|e| unavailable(&e))
    }

    pub(crate) async fn dead_letters(&self) -> Result<Vec<DeadLetter>, QueueError> {
        Ok(self
            .raw_dead_letters()
            .await?
            .iter()
            .filter_map(|raw| serde_json::from_slice(raw).ok())
            .collect())
    }

    pub(crate) async fn requeue_dead_letters(&self) -> Result<usize, QueueError> {
        let mut queued = 0;
        for raw in self.raw_dead_letters().await? {
            let Ok(letter) = serde_json::from_slice::<DeadLetter>(&raw) else {
                continue;
            };
            if !letter.replayable {
                continue;
            }
            let env = serde_json::to_vec(&replay(&letter))
                .map_err(|e| QueueError::Unavailable(format!("envelope: {e}")))?;
            let mut c = self.conn.conn().map_err(|e| unavailable(&e))?;
            let answer: String = self
                .requeue
                .key(&self.stream)
                .key(&self.retry)
                .key(&self.dead)
                .arg(self.capacity)
                .arg(raw.as_slice())
                .arg(env)
                .arg(letter.body.as_bytes())
                .invoke_async(&mut c)
                .await
                .map_err(|e| unavailable(&e))?;
            match answer.as_str() {
                "ok" => queued += 1,
                "full" => break,
                _ => {}
            }
        }
        Ok(queued)
    }
}

fn bytes_of(v: Value) -> Option<Vec<u8>> {
    ::redis::from_redis_value(v).ok()
}
