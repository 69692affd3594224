//! A receiver for provider callbacks (feature `webhooks`): ecomDC callbacks, PluggTo
//! notifications and PluggTo's freight quote, as an axum [`Router`] you mount in your own server.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use brcommerce::webhooks::{Event, HandlerError, Payload, Receiver, Resource};
//! use brcommerce::pluggto::{self, Notified};
//!
//! let hub = pluggto::Client::new(pluggto::Credentials::password("id", "secret", "user", "pass"))?;
//! let receiver = Receiver::builder(|event: Event| async move {
//!     // Runs from the queue, at least once per event; an Err is retried with backoff.
//!     if let Payload::Pluggto(_) = event.payload() {
//!         match event.fetch().await? {
//!             Resource::Pluggto(Notified::Order(order)) => println!("order {} is {:?}", order.id, order.status),
//!             Resource::Pluggto(Notified::DeletedSku { sku }) => println!("{sku} was deleted"),
//!             other => println!("{other:?}"),
//!         }
//!     }
//!     Ok::<(), HandlerError>(())
//! })
//! // Register https://your.host/hooks/<token>/pluggto with PluggTo and
//! // https://your.host/hooks/<token>/ecomdc in the ecomDC admin ("Callbacks" tab).
//! .path_token(std::env::var("WEBHOOK_TOKEN")?)
//! .pluggto(hub)
//! .freight(|request: pluggto::types::FreightRequest| async move {
//!     let _ = request.destination_postalcode;
//!     Ok::<_, HandlerError>(pluggto::types::FreightResponse(vec![]))
//! })
//! .start()?;
//!
//! let app = axum::Router::new().nest("/hooks", receiver.router());
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! axum::serve(listener, app).await?;
//! receiver.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Endpoints
//!
//! | path | provider | answer |
//! |---|---|---|
//! | `<token>/ecomdc` | ecomDC callbacks (`evento=estoque`, `evento=pedido`, any other `evento` kept) | 200 once queued |
//! | `<token>/pluggto` | PluggTo notifications | 200 once queued |
//! | `<token>/pluggto/freight` | PluggTo freight quotes (with [`Builder::freight`]) | the quote, at once |
//!
//! Every event is answered **200 only after it is stored** in the queue. Your [`Handler`] runs
//! from the queue, at least once per event, with retries and backoff ([`Builder::retries`]); an
//! event whose handler keeps failing, or whose body no longer types (a provider change), goes
//! to the dead-letter list ([`Receiver::dead_letters`]) with its raw body and last error, and
//! can be replayed ([`Receiver::requeue_dead_letters`]). The queue stores the raw body and a
//! small [`Envelope`]; the body is typed again when it is handed to the handler, so another
//! instance or a restarted one can process it.
//!
//! # Authentication
//!
//! Neither provider signs its callbacks, so each endpoint requires a secret: a path token
//! ([`Builder::path_token`], for providers that only take a URL) or a header
//! ([`Builder::header_secret`], behind a proxy that adds it). It is compared in constant time
//! ([`subtle`]); its length is not hidden, which is why it must be at least 16 characters.
//! A wrong or missing secret, or a source address outside [`Builder::allow_from`], gets an
//! empty 404 (as for a path that does not exist), before the body is read and without any
//! fetch. A body over [`Builder::body_limit`] gets 413; a body that is not JSON gets 400 and a
//! dead letter with a redacted excerpt (never a panic).
//!
//! # Queues
//!
//! * In-process ([`Builder::memory_queue`], the default): bounded. When full, the endpoints
//!   answer 503 (`Retry-After: 60`) so the provider sends the event again; nothing is dropped.
//!   Events not yet handled are lost if the process stops; use Redis when that matters (and
//!   note that ecomDC "may stop sending" to a URL that errors, so size the queue to never be
//!   full).
//! * Redis Streams ([`Builder::redis_queue`], features `webhooks` and `redis`): several
//!   instances share one stream through a consumer group; an instance that dies mid-handler has
//!   its events claimed by another one after [`RedisQueue::claim_idle`]; a restart loses
//!   nothing. Details in [`RedisQueue`].
//!
//! # Duplicates and bursts
//!
//! Events are de-duplicated on receipt by a key: provider, type, resource id, action and
//! change set for PluggTo; for ecomDC, whose callbacks carry the whole state and no event id,
//! the event, the resource and a hash of the body (only an identical callback is a repeat). A
//! repeat within [`Builder::dedup_window`] (default 2 s; shared through Redis with the Redis
//! queue) is answered 200 and not queued again.
//!
//! PluggTo's notifications carry no event id, so a second change of the same kind to the same
//! resource inside the window looks like a repeat. That loses nothing when the handler reads
//! the resource through [`Event::fetch`] and the coalescing window is at least the
//! de-duplication window (the defaults): the read of the first event starts only after
//! [`Builder::coalesce_window`] has passed since it arrived, so it sees the second change too.
//! Events about the same resource that arrive within that window share that one read, so a
//! burst costs one request of the provider's quota. Reads are shared within one instance.
//!
//! # Freight quotes
//!
//! PluggTo documents a 0.2 s limit ("This answer shoud take 0.200 seconds maximum"). The
//! request is typed and handed to your [`FreightQuoter`] at once (it is not queued); an error,
//! or no answer within [`Builder::freight_timeout`] (default 150 ms, leaving time for the
//! network), is answered `400 [{"mensage": ...}]`, the documented error body (the status is
//! assumed; the docs show only the body).
//!
//! # Why these crates
//!
//! axum for the router (the crate's sandboxes already use it; a `Router` is a tower `Service`),
//! `subtle` for the comparison, `ipnet` for the allow-list, `xxhash-rust` (XXH3-128, stable
//! across versions and machines, which Redis-shared keys need) for body hashes, and the
//! `redis` crate's stream commands. The queue logic is this crate's: no queue crate speaks
//! Redis Streams with consumer groups, claims, a retry set and dead letters as one atomic
//! protocol.

mod event;
mod fetch;
mod queue;
#[cfg(feature = "redis")]
mod redis;
mod server;
mod worker;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::http::HeaderName;
use secrecy::SecretString;
use tokio::sync::watch;

#[cfg(feature = "pluggto")]
pub use event::FreightQuoter;
pub use event::{DeadLetter, Endpoint, Envelope, Event, Handler, HandlerError, Payload, Resource};
#[cfg(feature = "redis")]
pub use redis::RedisQueue;

use crate::common::error::{Error, ErrorKind, Provider};
use crate::common::lock;
use event::DynHandler;
use fetch::Fetcher;
use queue::{MemoryQueue, Queue, QueueError};
use server::{Auth, Shared};
use worker::{Core, RetryPolicy};

/// The provider named in errors about the receiver itself.
const P: Provider = if cfg!(feature = "pluggto") {
    Provider::Pluggto
} else {
    Provider::Ecomdc
};

fn config(message: impl Into<String>) -> Error {
    Error::new(
        P,
        "webhooks",
        ErrorKind::Config {
            message: message.into(),
        },
    )
}

fn queue_error(e: QueueError) -> Error {
    match e {
        QueueError::Full => config("the webhook queue is full"),
        QueueError::Unavailable(message) => {
            Error::new(P, "webhooks", ErrorKind::SharedState { message })
        }
    }
}

enum QueueChoice {
    Memory(usize),
    #[cfg(feature = "redis")]
    Redis(Box<RedisQueue>),
}

/// Configures a [`Receiver`]; see the [module docs](self).
#[must_use]
pub struct Builder {
    handler: Box<dyn DynHandler>,
    auth: Option<Auth>,
    auth_error: Option<String>,
    allow: Vec<ipnet::IpNet>,
    body_limit: usize,
    queue: QueueChoice,
    dead_capacity: usize,
    dedup_window: Duration,
    coalesce_window: Duration,
    concurrency: usize,
    retry: RetryPolicy,
    #[cfg(feature = "ecomdc")]
    ecomdc: Option<crate::ecomdc::Client>,
    #[cfg(feature = "pluggto")]
    pluggto: Option<crate::pluggto::Client>,
    #[cfg(feature = "pluggto")]
    quoter: Option<Box<dyn event::DynQuoter>>,
    #[cfg(feature = "pluggto")]
    freight_timeout: Duration,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("body_limit", &self.body_limit)
            .field("dedup_window", &self.dedup_window)
            .field("coalesce_window", &self.coalesce_window)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

fn check_secret(secret: &str) -> Option<String> {
    if secret.len() < 16 {
        return Some("the webhook secret must be at least 16 characters".into());
    }
    None
}

impl Builder {
    /// Requires `token` as the first path segment of every endpoint (`/<token>/pluggto`): at
    /// least 16 characters of `A-Z a-z 0-9 - _ . ~` (e.g. 32 random hex digits).
    pub fn path_token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.auth_error = check_secret(&token).or_else(|| {
            (!token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b)))
            .then(|| "the webhook path token may only use A-Z a-z 0-9 - _ . ~".into())
        });
        self.auth = Some(Auth::Path(SecretString::from(token)));
        self
    }

    /// Requires header `name` to carry `secret` instead of a path token (the endpoints are then
    /// `/pluggto`, `/ecomdc`, ...). At least 16 characters.
    pub fn header_secret(mut self, name: &str, secret: impl Into<String>) -> Self {
        let secret = secret.into();
        self.auth_error = check_secret(&secret);
        match HeaderName::try_from(name) {
            Ok(name) => {
                self.auth = Some(Auth::Header {
                    name,
                    secret: SecretString::from(secret),
                })
            }
            Err(_) => self.auth_error = Some(format!("`{name}` is not a header name")),
        }
        self
    }

    /// Accepts requests only from these networks (checked against the TCP peer; serve the
    /// router with `into_make_service_with_connect_info::<SocketAddr>()`, otherwise every
    /// request is refused). Behind a proxy, filter at the proxy instead.
    pub fn allow_from(mut self, networks: impl IntoIterator<Item = ipnet::IpNet>) -> Self {
        self.allow.extend(networks);
        self
    }

    /// Largest body accepted (default 1 MiB); larger ones get 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The in-process queue holding at most `capacity` events not yet done (default 10,000).
    pub fn memory_queue(mut self, capacity: usize) -> Self {
        self.queue = QueueChoice::Memory(capacity);
        self
    }

    /// Most dead letters the in-process queue keeps (default 10,000; the oldest goes first,
    /// with an error in the log).
    pub fn dead_letter_capacity(mut self, capacity: usize) -> Self {
        self.dead_capacity = capacity;
        self
    }

    /// The Redis Streams queue shared by every instance using the same queue name.
    #[cfg(feature = "redis")]
    pub fn redis_queue(mut self, queue: RedisQueue) -> Self {
        self.queue = QueueChoice::Redis(Box::new(queue));
        self
    }

    /// How long a repeat of an event is recognised (default 2 s; zero turns de-duplication
    /// off). See the [module docs](self#duplicates-and-bursts) before making it longer than the
    /// coalescing window.
    pub fn dedup_window(mut self, window: Duration) -> Self {
        self.dedup_window = window;
        self
    }

    /// How long after an event arrived its read ([`Event::fetch`]) starts, so that events
    /// about the same resource arriving meanwhile share it (default 2 s).
    pub fn coalesce_window(mut self, window: Duration) -> Self {
        self.coalesce_window = window;
        self
    }

    /// How many events are handled at the same time by this instance (default 32). A handler
    /// waiting in [`Event::fetch`] for the coalescing window holds its place meanwhile (waiting
    /// costs a task, not a thread), so this bounds the reads per second to about
    /// `handlers / coalesce_window` (16/s with the defaults, above ecomDC's GET quota of 1/s).
    pub fn concurrency(mut self, handlers: usize) -> Self {
        self.concurrency = handlers.max(1);
        self
    }

    /// How often an event is tried (default 8 attempts) and the delay before the second one
    /// (default 1 s), doubled after each failure up to `max_delay` (default 5 min), each delay
    /// drawn between half and all of it.
    pub fn retries(mut self, attempts: u32, first_delay: Duration, max_delay: Duration) -> Self {
        self.retry = RetryPolicy {
            attempts: attempts.max(1),
            first: first_delay,
            max: max_delay.max(first_delay),
        };
        self
    }

    /// The ecomDC client [`Event::fetch`] reads callbacks' orders and stock with.
    #[cfg(feature = "ecomdc")]
    pub fn ecomdc(mut self, client: crate::ecomdc::Client) -> Self {
        self.ecomdc = Some(client);
        self
    }

    /// The PluggTo client [`Event::fetch`] reads notified orders and products with.
    #[cfg(feature = "pluggto")]
    pub fn pluggto(mut self, client: crate::pluggto::Client) -> Self {
        self.pluggto = Some(client);
        self
    }

    /// Answers PluggTo's freight quotes on `<token>/pluggto/freight` (without it that path is
    /// 404).
    #[cfg(feature = "pluggto")]
    pub fn freight(mut self, quoter: impl FreightQuoter) -> Self {
        self.quoter = Some(Box::new(quoter));
        self
    }

    /// How long a freight quote may take before the error body is sent (default 150 ms;
    /// PluggTo allows 200 ms in all).
    #[cfg(feature = "pluggto")]
    pub fn freight_timeout(mut self, limit: Duration) -> Self {
        self.freight_timeout = limit;
        self
    }

    /// Starts the handler tasks on the current tokio runtime.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] when no secret was set, the secret is too short, or there is no
    /// tokio runtime.
    pub fn start(self) -> Result<Receiver, Error> {
        if let Some(e) = self.auth_error {
            return Err(config(e));
        }
        let auth = self.auth.ok_or_else(|| {
            config("set a webhook secret: Builder::path_token or Builder::header_secret")
        })?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| config("Receiver::start needs a running tokio runtime"))?;
        let queue = match self.queue {
            QueueChoice::Memory(capacity) => Queue::Memory(MemoryQueue::new(
                capacity,
                self.dedup_window,
                self.dead_capacity,
            )),
            #[cfg(feature = "redis")]
            QueueChoice::Redis(mut q) => {
                q.dedup_window = self.dedup_window;
                Queue::Redis(*q)
            }
        };
        #[allow(unused_mut)]
        let mut fetcher = Fetcher::new(self.coalesce_window);
        #[cfg(feature = "ecomdc")]
        {
            fetcher.ecomdc = self.ecomdc;
        }
        #[cfg(feature = "pluggto")]
        {
            fetcher.pluggto = self.pluggto;
        }
        let core = Arc::new(Core {
            queue,
            handler: self.handler,
            fetcher: Arc::new(fetcher),
            retry: self.retry,
            concurrency: self.concurrency,
            counters: Default::default(),
        });
        let shared = Arc::new(Shared {
            core: core.clone(),
            auth,
            allow: self.allow,
            body_limit: self.body_limit,
            #[cfg(feature = "pluggto")]
            quoter: self.quoter,
            #[cfg(feature = "pluggto")]
            freight_timeout: self.freight_timeout,
        });
        let (stop, stopped) = watch::channel(false);
        let worker = runtime.spawn(worker::run(core, stopped));
        Ok(Receiver {
            shared,
            stop,
            worker: std::sync::Mutex::new(Some(worker)),
        })
    }
}

/// A handler that writes each event as one line of JSON ([`Event::to_json`]) to `out`, flushed
/// after each line: what `brc listen` runs, to watch callbacks arrive.
pub fn ndjson<W: std::io::Write + Send + 'static>(out: W) -> impl Handler {
    let out = Arc::new(std::sync::Mutex::new(out));
    move |event: Event| {
        let out = out.clone();
        async move {
            let line = event.to_json().to_string();
            let mut out = lock(&out);
            writeln!(out, "{line}")?;
            out.flush()?;
            Ok::<(), HandlerError>(())
        }
    }
}

/// A running receiver: the router to mount and the handler tasks behind it; see the
/// [module docs](self).
pub struct Receiver {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    worker: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// What a [`Receiver`] did so far (this instance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Events stored in the queue (answered 200).
    pub queued: u64,
    /// Repeats recognised and not queued again (answered 200).
    pub duplicates: u64,
    /// Events refused with 503 because the queue was full.
    pub refused_full: u64,
    /// Events refused with 503 because the queue (Redis) could not be reached.
    pub refused_unavailable: u64,
    /// Bodies refused with 400 because they were not JSON.
    pub malformed: u64,
    /// Requests refused with 404 (wrong secret or address).
    pub unauthorized: u64,
    /// Events whose handler succeeded.
    pub processed: u64,
    /// Handler attempts that failed (each is retried or dead-lettered).
    pub failures: u64,
    /// Dead letters written.
    pub dead_letters: u64,
    /// Reads made by [`Event::fetch`].
    pub fetches: u64,
    /// [`Event::fetch`] calls answered by another event's read.
    pub shared_fetches: u64,
    /// Freight quotes answered with options.
    pub freight_answered: u64,
    /// Freight quotes answered with the error body (error, late, or bad request).
    pub freight_failed: u64,
}

impl Receiver {
    /// A receiver that hands each event to `handler`.
    pub fn builder(handler: impl Handler) -> Builder {
        Builder {
            handler: Box::new(handler),
            auth: None,
            auth_error: None,
            allow: Vec::new(),
            body_limit: 1024 * 1024,
            queue: QueueChoice::Memory(10_000),
            dead_capacity: 10_000,
            dedup_window: Duration::from_secs(2),
            coalesce_window: Duration::from_secs(2),
            concurrency: 32,
            retry: RetryPolicy {
                attempts: 8,
                first: Duration::from_secs(1),
                max: Duration::from_secs(300),
            },
            #[cfg(feature = "ecomdc")]
            ecomdc: None,
            #[cfg(feature = "pluggto")]
            pluggto: None,
            #[cfg(feature = "pluggto")]
            quoter: None,
            #[cfg(feature = "pluggto")]
            freight_timeout: Duration::from_millis(150),
        }
    }

    /// The endpoints, to mount in your server (`Router::nest`, or serve it alone). It is a
    /// tower `Service`; clone it freely.
    pub fn router(&self) -> Router {
        server::router(self.shared.clone())
    }

    /// Serves the endpoints alone on `listener` (with the peer addresses the allow-list needs)
    /// until the listener fails; what `brc listen` runs.
    ///
    /// # Errors
    /// The server's I/O error.
    pub async fn serve(&self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        axum::serve(
            listener,
            self.router()
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    }

    /// What this instance did so far.
    pub fn stats(&self) -> Stats {
        let c = &self.shared.core.counters;
        let f = &self.shared.core.fetcher;
        let n = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        Stats {
            queued: n(&c.queued),
            duplicates: n(&c.duplicates),
            refused_full: n(&c.refused_full),
            refused_unavailable: n(&c.refused_unavailable),
            malformed: n(&c.malformed),
            unauthorized: n(&c.unauthorized),
            processed: n(&c.processed),
            failures: n(&c.failures),
            dead_letters: n(&c.dead_letters),
            fetches: n(&f.reads),
            shared_fetches: n(&f.shared),
            freight_answered: n(&c.freight_answered),
            freight_failed: n(&c.freight_failed),
        }
    }

    /// The dead letters (with the Redis queue, those of every instance).
    ///
    /// # Errors
    /// [`ErrorKind::SharedState`] when Redis cannot be reached.
    pub async fn dead_letters(&self) -> Result<Vec<DeadLetter>, Error> {
        self.shared
            .core
            .queue
            .dead_letters()
            .await
            .map_err(queue_error)
    }

    /// Queues the replayable dead letters again (attempts start over; the others stay) and
    /// returns how many were queued; stops early when the queue is full.
    ///
    /// # Errors
    /// [`ErrorKind::SharedState`] when Redis cannot be reached.
    pub async fn requeue_dead_letters(&self) -> Result<usize, Error> {
        self.shared
            .core
            .queue
            .requeue_dead_letters()
            .await
            .map_err(queue_error)
    }

    /// Stops taking events from the queue and waits for the running handlers to finish. The
    /// router keeps accepting (and queueing) events until you stop serving it.
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        let worker = lock(&self.worker).take();
        if let Some(w) = worker {
            let _ = w.await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
