//! State shared by several instances of a service through Redis (feature `redis`): one token per
//! credential, refreshed by one instance at a time, and one request quota per provider account.
//!
//! * [`RedisTokenStore`] is a [`TokenStore`]: the tokens of one credential live in one Redis
//!   key. Before refreshing, an instance takes the credential's refresh lock (`SET NX PX`, a
//!   random holder id, kept alive while the holder runs and released with a compare-and-delete
//!   script). The other instances wait (bounded by [`RedisTokenStore::lock_wait`]) and use the
//!   token the holder stored instead of refreshing. The lock expires
//!   ([`RedisTokenStore::lock_ttl`]) when its holder dies, so a killed instance blocks the others
//!   for at most that long; the stored refresh token stays the newest one the fleet knows,
//!   because new tokens are saved before they are used.
//! * [`RedisPacer`] is a [`Pacer`]: the same booking GCRA as the [`LocalPacer`] (see
//!   [`ratelimit`](crate::common::ratelimit)), in a Lua script (atomic, on Redis's clock), one key
//!   per provider account and method class, with the same [`RateLimits`]. Each request costs one
//!   script call: it books the fleet's next free slot and the instance sleeps until it (no
//!   polling, so a queue of waiting calls does not turn into a stream of Redis calls). A 429
//!   pauses every instance. A call that gives up while it waits leaves its slot unused.
//!
//! # When Redis is unreachable
//!
//! Both take a [`Fallback`]:
//!
//! * [`Fallback::FailClosed`] (the default): calls fail with [`ErrorKind::SharedState`] naming
//!   the provider, and nothing is sent to the provider: no request outside the shared quota, no
//!   refresh whose new token could not be stored. A token obtained just before Redis went away
//!   is kept in memory and saved when Redis is back (it is not used until then).
//! * [`Fallback::Local`]: the instance carries on alone, with a `tracing` warning: the pacer
//!   falls back to a [`LocalPacer`] with the same quotas (so the fleet may exceed the account's
//!   quota by the number of instances), and the token store to the instance's own single-flight
//!   refresh with the tokens kept in memory; a token refreshed meanwhile is written back to Redis
//!   as soon as it answers again, so it is not lost. Redis is tried again after a second.
//!
//! Secrets (tokens, the password in the Redis URL) never appear in `Debug` output, logs or
//! errors.
//!
//! ```no_run
//! use std::sync::Arc;
//! use brcommerce::Provider;
//! use brcommerce::common::redis::{Fallback, RedisConnection, RedisPacer, RedisTokenStore};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let redis = RedisConnection::open("redis://127.0.0.1:6379")?;
//! let store = RedisTokenStore::new(&redis, Provider::Pluggto, "plugin-1/user-42");
//! let pluggto = brcommerce::pluggto::Client::builder(
//!     brcommerce::pluggto::Credentials::password("plugin-1", "secret", "user", "pass"),
//! )
//! .token_store(Arc::new(store))
//! .build()?;
//! let pacer = RedisPacer::new(&redis, Provider::Ecomdc, "3566", brcommerce::ecomdc::default_rate_limits())
//!     .fallback(Fallback::Local);
//! let ecomdc = brcommerce::ecomdc::Client::builder(brcommerce::ecomdc::Credentials::new("3566", "token"))
//!     .pacer(Arc::new(pacer))
//!     .build()?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Client, RedisError, RedisResult, Script};
use futures::future::BoxFuture;
use reqwest::Method;

use crate::common::error::{Error, ErrorKind, Provider};
use crate::common::lock;
use crate::common::ratelimit::{CLASS_NAMES, LocalPacer, Pacer, RateLimits};
use crate::common::token::{
    HeldLock, LockResult, RefreshLock, StoredTokens, TokenSet, TokenStore, UsableToken,
};

/// What a [`RedisTokenStore`] or [`RedisPacer`] does when Redis cannot be reached; see the
/// [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fallback {
    /// Fail the call with [`ErrorKind::SharedState`]; nothing is sent to the provider.
    #[default]
    FailClosed,
    /// Carry on with in-process state (a [`LocalPacer`], in-process single flight) and log a
    /// warning.
    Local,
}

/// How long Redis is skipped after it failed, with [`Fallback::Local`].
const RETRY_REDIS_AFTER: Duration = Duration::from_secs(1);

/// A lazily opened, automatically reconnecting connection to Redis, shared by the stores and
/// pacers built from it (cheap to clone). Nothing is connected until first use.
#[derive(Clone)]
pub struct RedisConnection {
    client: Client,
    manager: Arc<Mutex<Option<ConnectionManager>>>,
    prefix: Arc<str>,
    timeout: Duration,
}

impl fmt::Debug for RedisConnection {
    // The URL may carry a password: only the key prefix is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConnection")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisConnection {
    /// A connection to `url` (`redis://[:password@]host:port[/db]`). Only parses the URL.
    ///
    /// # Errors
    /// When the URL is not a Redis URL.
    pub fn open(url: &str) -> RedisResult<Self> {
        Ok(Self::from_client(Client::open(url)?))
    }

    /// A connection through an existing `redis::Client`.
    pub fn from_client(client: Client) -> Self {
        Self {
            client,
            manager: Arc::new(Mutex::new(None)),
            prefix: Arc::from("brcommerce"),
            timeout: Duration::from_secs(2),
        }
    }

    /// Prefix of every key (default `brcommerce`), e.g. to separate environments sharing a Redis.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Arc::from(prefix.into());
        self
    }

    /// Connect and response timeout of each Redis command (default 2 s): how long a call waits
    /// before treating Redis as unreachable.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub(crate) fn key(&self, parts: &[&str]) -> String {
        let mut key = self.prefix.to_string();
        for p in parts {
            key.push(':');
            key.push_str(p);
        }
        key
    }

    /// The connection manager, created on first use (it needs a running tokio runtime).
    /// The underlying client (for a connection of its own, e.g. for blocking reads).
    #[cfg(feature = "webhooks")]
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The command timeout.
    #[cfg(feature = "webhooks")]
    pub(crate) fn command_timeout(&self) -> Duration {
        self.timeout
    }

    pub(crate) fn conn(&self) -> RedisResult<ConnectionManager> {
        let mut guard = lock(&self.manager);
        if let Some(m) = guard.as_ref() {
            return Ok(m.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(20))
            .set_max_delay(Duration::from_millis(200));
        let m = ConnectionManager::new_lazy_with_config(self.client.clone(), config)?;
        *guard = Some(m.clone());
        Ok(m)
    }
}

fn shared_state_error(
    provider: Provider,
    operation: &'static str,
    what: &str,
    e: &RedisError,
) -> Error {
    Error::new(
        provider,
        operation,
        ErrorKind::SharedState {
            message: format!("Redis {what} failed: {}", redis_error_text(e)),
        },
    )
}

/// A Redis error as text without anything the server echoed back (it could carry a value).
pub(crate) fn redis_error_text(e: &RedisError) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connection_refusal() {
        "connection refused".to_owned()
    } else if e.is_io_error() || e.is_connection_dropped() {
        "connection lost".to_owned()
    } else {
        format!("{:?} error", e.kind())
    }
}

/// Skips Redis for a moment after a failure (with [`Fallback::Local`]) and logs once per outage.
#[derive(Default)]
struct Outage {
    since: Mutex<Option<tokio::time::Instant>>,
}

impl Outage {
    /// True while Redis should not be tried.
    fn skipping(&self) -> bool {
        let guard = lock(&self.since);
        guard.is_some_and(|t| t.elapsed() < RETRY_REDIS_AFTER)
    }
    fn failed(&self, provider: Provider, what: &str, key: &str, e: &RedisError) {
        let mut guard = lock(&self.since);
        if guard.is_none() {
            tracing::warn!(
                provider = provider.id(),
                key,
                error = %redis_error_text(e),
                "Redis unreachable ({what}): falling back to in-process state"
            );
        }
        *guard = Some(tokio::time::Instant::now());
    }
    fn recovered(&self, provider: Provider, key: &str) {
        let mut guard = lock(&self.since);
        if guard.take().is_some() {
            tracing::info!(provider = provider.id(), key, "Redis reachable again");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Token store

/// Extends the lock while its holder still has it (1 extended, 0 lost).
const EXTEND_LOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0";

/// Deletes the lock if this holder still has it.
const RELEASE_LOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// A [`TokenStore`] in Redis shared by every instance using the same credential; see the
/// [module docs](self).
///
/// Keys: `<prefix>:token:<provider>:<credential>` (the tokens, JSON, no expiry) and
/// `<prefix>:token-lock:<provider>:<credential>` (the refresh lock).
pub struct RedisTokenStore {
    inner: Arc<StoreInner>,
}

struct StoreInner {
    conn: RedisConnection,
    provider: Provider,
    key: String,
    lock_key: String,
    lock_ttl: Duration,
    lock_wait: Duration,
    poll: Duration,
    fallback: Fallback,
    outage: Outage,
    /// With [`Fallback::Local`]: the last tokens seen or saved, and whether Redis lacks them.
    local: Mutex<Local>,
    extend: Script,
    release: Script,
}

#[derive(Default)]
struct Local {
    tokens: Option<TokenSet>,
    write_back: Option<tokio::task::JoinHandle<()>>,
}

impl fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("RedisTokenStore")
            .field("provider", &i.provider)
            .field("key", &i.key)
            .field("lock_ttl", &i.lock_ttl)
            .field("lock_wait", &i.lock_wait)
            .field("fallback", &i.fallback)
            .field("connection", &i.conn)
            .finish_non_exhaustive()
    }
}

impl RedisTokenStore {
    /// The store of `provider`'s credential `credential` (any stable id you choose, e.g. the
    /// client id and user; not a secret).
    pub fn new(conn: &RedisConnection, provider: Provider, credential: &str) -> Self {
        Self {
            inner: Arc::new(StoreInner {
                conn: conn.clone(),
                provider,
                key: conn.key(&["token", provider.id(), credential]),
                lock_key: conn.key(&["token-lock", provider.id(), credential]),
                lock_ttl: Duration::from_secs(10),
                lock_wait: Duration::from_secs(15),
                poll: Duration::from_millis(25),
                fallback: Fallback::FailClosed,
                outage: Outage::default(),
                local: Mutex::new(Local::default()),
                extend: Script::new(EXTEND_LOCK),
                release: Script::new(RELEASE_LOCK),
            }),
        }
    }

    fn with(mut self, f: impl FnOnce(&mut StoreInner)) -> Self {
        if Arc::get_mut(&mut self.inner).is_none() {
            // Configured after use (a background task holds the old state): start afresh.
            let i = &self.inner;
            self.inner = Arc::new(StoreInner {
                conn: i.conn.clone(),
                provider: i.provider,
                key: i.key.clone(),
                lock_key: i.lock_key.clone(),
                lock_ttl: i.lock_ttl,
                lock_wait: i.lock_wait,
                poll: i.poll,
                fallback: i.fallback,
                outage: Outage::default(),
                local: Mutex::new(Local {
                    tokens: i.local_tokens(),
                    write_back: None,
                }),
                extend: i.extend.clone(),
                release: i.release.clone(),
            });
        }
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            f(inner);
        }
        self
    }

    /// What happens when Redis is unreachable (default [`Fallback::FailClosed`]).
    #[must_use]
    pub fn fallback(self, fallback: Fallback) -> Self {
        self.with(|i| i.fallback = fallback)
    }

    /// How long the refresh lock outlives a holder that died (default 10 s). A live holder
    /// keeps extending it.
    #[must_use]
    pub fn lock_ttl(self, ttl: Duration) -> Self {
        self.with(|i| i.lock_ttl = ttl.max(Duration::from_millis(30)))
    }

    /// How long an instance waits for another one's refresh before failing the call with
    /// [`ErrorKind::SharedState`] (default 15 s; keep it above [`lock_ttl`](Self::lock_ttl)).
    #[must_use]
    pub fn lock_wait(self, wait: Duration) -> Self {
        self.with(|i| i.lock_wait = wait)
    }

    /// The Redis key holding the tokens.
    pub fn key(&self) -> &str {
        &self.inner.key
    }

    /// The Redis key of the refresh lock.
    pub fn lock_key(&self) -> &str {
        &self.inner.lock_key
    }
}

impl StoreInner {
    fn error(&self, what: &str, e: &RedisError) -> Error {
        shared_state_error(self.provider, "token_store", what, e)
    }

    fn local_tokens(&self) -> Option<TokenSet> {
        lock(&self.local).tokens.clone()
    }

    async fn get(&self) -> RedisResult<Option<TokenSet>> {
        let mut c = self.conn.conn()?;
        let raw: Option<String> = ::redis::cmd("GET")
            .arg(&self.key)
            .query_async(&mut c)
            .await?;
        Ok(raw.and_then(|s| match serde_json::from_str::<StoredTokens>(&s) {
            Ok(t) => Some(t.into_set()),
            Err(_) => {
                tracing::warn!(provider = self.provider.id(), key = %self.key, "ignoring unreadable tokens in Redis");
                None
            }
        }))
    }

    async fn set(&self, tokens: &TokenSet) -> RedisResult<()> {
        let json = serde_json::to_string(&StoredTokens::from_set(tokens)).map_err(|_| {
            RedisError::from((::redis::ErrorKind::Client, "cannot encode the tokens"))
        })?;
        let mut c = self.conn.conn()?;
        ::redis::cmd("SET")
            .arg(&self.key)
            .arg(json)
            .query_async::<()>(&mut c)
            .await
    }

    /// Writes tokens saved while Redis was down, retrying every second until it answers.
    fn start_write_back(self: &Arc<Self>, tokens: TokenSet) {
        let me = self.clone();
        let mut local = lock(&self.local);
        if let Some(old) = local.write_back.take() {
            old.abort();
        }
        local.tokens = Some(tokens.clone());
        local.write_back = Some(tokio::spawn(async move {
            loop {
                tokio::time::sleep(RETRY_REDIS_AFTER).await;
                if me.set(&tokens).await.is_ok() {
                    me.outage.recovered(me.provider, &me.key);
                    tracing::info!(provider = me.provider.id(), key = %me.key, "tokens refreshed while Redis was down were written back");
                    lock(&me.local).write_back = None;
                    return;
                }
            }
        }));
    }

    async fn try_lock(&self, id: &str) -> RedisResult<bool> {
        let mut c = self.conn.conn()?;
        let ok: Option<String> = ::redis::cmd("SET")
            .arg(&self.lock_key)
            .arg(id)
            .arg("NX")
            .arg("PX")
            .arg(self.lock_ttl.as_millis() as u64)
            .query_async(&mut c)
            .await?;
        Ok(ok.is_some())
    }

    fn keep_alive(self: &Arc<Self>, id: String) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let every = me.lock_ttl / 3;
            loop {
                tokio::time::sleep(every).await;
                let Ok(mut c) = me.conn.conn() else { continue };
                let extended: RedisResult<i64> = me
                    .extend
                    .key(&me.lock_key)
                    .arg(&id)
                    .arg(me.lock_ttl.as_millis() as u64)
                    .invoke_async(&mut c)
                    .await;
                if matches!(extended, Ok(0)) {
                    tracing::warn!(provider = me.provider.id(), key = %me.lock_key, "the token refresh lock expired while held");
                    return;
                }
            }
        })
    }
}

impl TokenStore for RedisTokenStore {
    fn load(&self) -> BoxFuture<'_, Result<Option<TokenSet>, Error>> {
        Box::pin(async move {
            let i = &self.inner;
            let pending_write_back = lock(&i.local).write_back.is_some();
            if i.fallback == Fallback::Local && (pending_write_back || i.outage.skipping()) {
                return Ok(i.local_tokens());
            }
            match i.get().await {
                Ok(t) => {
                    i.outage.recovered(i.provider, &i.key);
                    if i.fallback == Fallback::Local {
                        lock(&i.local).tokens = t.clone();
                    }
                    Ok(t)
                }
                Err(e) => match i.fallback {
                    Fallback::FailClosed => Err(i.error("read", &e)),
                    Fallback::Local => {
                        i.outage.failed(i.provider, "read tokens", &i.key, &e);
                        Ok(i.local_tokens())
                    }
                },
            }
        })
    }

    fn save<'a>(&'a self, tokens: &'a TokenSet) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let i = &self.inner;
            let result = if i.fallback == Fallback::Local && i.outage.skipping() {
                Err(RedisError::from((
                    ::redis::ErrorKind::Io,
                    "skipped while Redis is unreachable",
                )))
            } else {
                i.set(tokens).await
            };
            match result {
                Ok(()) => {
                    let mut local = lock(&i.local);
                    if let Some(w) = local.write_back.take() {
                        w.abort();
                    }
                    if i.fallback == Fallback::Local {
                        local.tokens = Some(tokens.clone());
                    }
                    Ok(())
                }
                Err(e) => match i.fallback {
                    Fallback::FailClosed => Err(i.error("write", &e)),
                    Fallback::Local => {
                        i.outage.failed(i.provider, "save tokens", &i.key, &e);
                        i.start_write_back(tokens.clone());
                        Ok(())
                    }
                },
            }
        })
    }

    fn lock_refresh<'a>(&'a self, usable: &'a UsableToken) -> BoxFuture<'a, LockResult> {
        Box::pin(async move {
            let i = &self.inner;
            if i.fallback == Fallback::Local && i.outage.skipping() {
                return Ok(RefreshLock::None);
            }
            let id = uuid::Uuid::new_v4().to_string();
            let started = tokio::time::Instant::now();
            loop {
                let attempt = match i.try_lock(&id).await {
                    Ok(true) => {
                        let keep_alive = i.keep_alive(id.clone());
                        return Ok(RefreshLock::Held(HeldLock::new(id, Some(keep_alive))));
                    }
                    Ok(false) => i.get().await,
                    Err(e) => Err(e),
                };
                match attempt {
                    Ok(Some(t)) if usable(&t) => return Ok(RefreshLock::Refreshed(t)),
                    Ok(_) => {}
                    Err(e) => {
                        return match i.fallback {
                            Fallback::FailClosed => Err(i.error("refresh lock", &e)),
                            Fallback::Local => {
                                i.outage.failed(i.provider, "refresh lock", &i.key, &e);
                                Ok(RefreshLock::None)
                            }
                        };
                    }
                }
                if started.elapsed() >= i.lock_wait {
                    return Err(Error::new(
                        i.provider,
                        "token_store",
                        ErrorKind::SharedState {
                            message: format!(
                                "another instance has been refreshing the token in {} for more than {:?}",
                                i.key, i.lock_wait
                            ),
                        },
                    ));
                }
                tokio::time::sleep(i.poll).await;
            }
        })
    }

    fn unlock_refresh(&self, lock: HeldLock) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let i = &self.inner;
            let released: RedisResult<i64> = async {
                let mut c = i.conn.conn()?;
                i.release
                    .key(&i.lock_key)
                    .arg(lock.id())
                    .invoke_async(&mut c)
                    .await
            }
            .await;
            drop(lock);
            released
                .map(|_| ())
                .map_err(|e| i.error("refresh unlock", &e))
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Pacer

/// GCRA, booking form: KEYS[1] the class's theoretical arrival time (µs, Redis clock), KEYS[2]
/// the pause deadline; ARGV[1] emission interval (µs, 0 = unlimited), ARGV[2] tolerance (µs).
/// Books the first free slot at or after now (and after a pause) and returns the µs until it
/// (0 = go now).
const BOOK: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local start = now
local paused = tonumber(redis.call('GET', KEYS[2]))
if paused and paused > start then
  start = paused
end
local interval = tonumber(ARGV[1])
if interval <= 0 then
  return start - now
end
local tat = tonumber(redis.call('GET', KEYS[1])) or start
if tat < start then
  tat = start
end
local slot = tat - tonumber(ARGV[2])
if slot < start then
  slot = start
end
local booked = tat + interval
redis.call('SET', KEYS[1], string.format('%d', booked), 'PX', math.ceil((booked - now) / 1000) + 1000)
return slot - now";

/// Sets the pause deadline if it is later than the current one. ARGV[1] pause (µs).
const PAUSE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local untl = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]))
if (not cur) or cur < untl then
  redis.call('SET', KEYS[1], string.format('%d', untl), 'PX', math.ceil(tonumber(ARGV[1]) / 1000) + 1)
end
return 0";

/// A [`Pacer`] whose quota is shared by every instance pacing the same provider account; see the
/// [module docs](self).
///
/// Keys: `<prefix>:pace:<provider>:<account>:<class>` (GCRA state per method class) and
/// `<prefix>:pause:<provider>:<account>` (set after a 429).
pub struct RedisPacer {
    conn: RedisConnection,
    provider: Provider,
    limits: RateLimits,
    keys: [String; CLASS_NAMES.len()],
    pause_key: String,
    fallback: Fallback,
    local: LocalPacer,
    outage: Arc<Outage>,
    book: Script,
    pause: Arc<Script>,
}

impl fmt::Debug for RedisPacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisPacer")
            .field("provider", &self.provider)
            .field("limits", &self.limits)
            .field("pause_key", &self.pause_key)
            .field("fallback", &self.fallback)
            .field("connection", &self.conn)
            .finish_non_exhaustive()
    }
}

impl RedisPacer {
    /// A pacer for `provider`'s account `account` (e.g. the ecomDC store id) with these quotas;
    /// every instance must use the same quotas for the same account.
    pub fn new(
        conn: &RedisConnection,
        provider: Provider,
        account: &str,
        limits: RateLimits,
    ) -> Self {
        Self {
            conn: conn.clone(),
            provider,
            limits,
            keys: CLASS_NAMES.map(|c| conn.key(&["pace", provider.id(), account, c])),
            pause_key: conn.key(&["pause", provider.id(), account]),
            fallback: Fallback::FailClosed,
            local: LocalPacer::new(limits),
            outage: Arc::default(),
            book: Script::new(BOOK),
            pause: Arc::new(Script::new(PAUSE)),
        }
    }

    /// What happens when Redis is unreachable (default [`Fallback::FailClosed`]).
    #[must_use]
    pub fn fallback(mut self, fallback: Fallback) -> Self {
        self.fallback = fallback;
        self
    }

    /// The quotas it enforces.
    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Books a slot: how long until it (zero: go now).
    async fn book(&self, method: &Method) -> RedisResult<Duration> {
        let class = self.limits.class_of(method).unwrap_or(0);
        let rate = self.limits.for_method(method);
        let interval = rate.and_then(|r| r.interval()).unwrap_or_default();
        let tolerance = rate.map(|r| r.tolerance()).unwrap_or_default();
        let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let mut c = self.conn.conn()?;
        let wait: i64 = self
            .book
            .key(&self.keys[class])
            .key(&self.pause_key)
            .arg(micros(interval))
            .arg(micros(tolerance))
            .invoke_async(&mut c)
            .await?;
        Ok(Duration::from_micros(wait.max(0).unsigned_abs()))
    }
}

impl Pacer for RedisPacer {
    fn acquire<'a>(&'a self, method: &'a Method) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            loop {
                if self.fallback == Fallback::Local && self.outage.skipping() {
                    self.local.wait(method).await;
                    return Ok(());
                }
                match self.book(method).await {
                    Ok(wait) => {
                        self.outage.recovered(self.provider, &self.pause_key);
                        tokio::time::sleep(wait).await;
                        // This instance got a 429 while waiting: the pause covers the slot, so
                        // book again (after the pause, which Redis holds for every instance).
                        match self.local.paused_until() {
                            Some(until) => tokio::time::sleep_until(until).await,
                            None => return Ok(()),
                        }
                    }
                    Err(e) => match self.fallback {
                        Fallback::FailClosed => {
                            return Err(shared_state_error(
                                self.provider,
                                "pacer",
                                "rate limiter",
                                &e,
                            ));
                        }
                        Fallback::Local => {
                            self.outage
                                .failed(self.provider, "rate limiter", &self.pause_key, &e);
                            self.local.wait(method).await;
                            return Ok(());
                        }
                    },
                }
            }
        })
    }

    fn pause(&self, wait: Duration) {
        // Locally at once (this instance's fallback), and for every instance through Redis.
        self.local.pause(wait);
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let Ok(mut c) = self.conn.conn() else { return };
        let script = self.pause.clone();
        let key = self.pause_key.clone();
        let provider = self.provider;
        handle.spawn(async move {
            let set: RedisResult<i64> = script
                .key(&key)
                .arg(wait.as_micros() as u64)
                .invoke_async(&mut c)
                .await;
            if let Err(e) = set {
                tracing::warn!(provider = provider.id(), error = %redis_error_text(&e), "could not share a 429 pause through Redis");
            }
        });
    }
}
