//! The machinery every generated client runs through.
//!
//! progenitor calls `pre` and `exec` hooks around each request (the crate-private `impl_hooks!`);
//! both use the [`Runtime`] the client carries as its inner value:
//!
//! * `pre` adds static headers, an `Idempotency-Key` on writes (when the provider supports
//!   them), credentials (fetching a token if needed), and waits for the pacer;
//! * `exec` sends the request inside one tracing span, retries what the spec says is safe to
//!   retry (the operation's [`Retry`] class; see [`RetryPolicy`]),
//!   refreshes credentials once after a 401, reads the answer up to the client's size limit,
//!   refuses redirects to another origin, and records what happened in the call's `Report` so
//!   the facade can build a precise [`Error`].
//!
//! Because this lives in the hooks, a request made through `raw()` or the generated CLI gets the
//! same treatment as one made through the facade, with the options of the handle it was made
//! from ([`CallOptions`]).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use futures::future::BoxFuture;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Request, Response};
use tokio::task::futures::TaskLocalFuture;
use tracing::Instrument;

use crate::common::error::{Error, Provider};
use crate::common::lock;
use crate::common::ops::{Lookup, Operation, Retry};
use crate::common::ratelimit::Pacer;
use crate::common::retry::{self, Outcome, RetryPolicy, RetryQuota};

const API_VERSION: HeaderName = HeaderName::from_static("api-version");

/// The `Idempotency-Key` header.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// Adds credentials to requests and renews them when the provider refuses them.
pub trait Authenticator: Send + Sync + fmt::Debug {
    /// Adds credentials to `request`, fetching or refreshing a token first when needed.
    fn authorize<'a>(&'a self, request: &'a mut Request) -> BoxFuture<'a, Result<(), Error>>;
    /// The provider answered 401 to `sent`: make fresh credentials available (once, shared by
    /// concurrent callers). `Ok` means a retry with newly authorized credentials makes sense.
    fn renew<'a>(&'a self, sent: &'a Request) -> BoxFuture<'a, Result<(), Error>>;
}

/// Connect and per-attempt time limits (the per-call limit is [`RetryPolicy::budget`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Establishing a connection.
    pub connect: Duration,
    /// One attempt, from sending the request to reading the whole answer.
    pub attempt: Duration,
}

impl Timeouts {
    /// A connect and a per-attempt limit.
    pub const fn new(connect: Duration, attempt: Duration) -> Self {
        Self { connect, attempt }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            attempt: Duration::from_secs(30),
        }
    }
}

/// Options of a client handle made with `Client::with_options`: every call made through that
/// handle uses them, calls through its `raw()` generated client included.
///
/// An idempotency key belongs to **one** write: the handle sends it with the first write made
/// through it (and with that write's retries, and with the same write sent again), and refuses
/// to send a different write with it. ConnectPlug drops, without an error, a write whose key it
/// has already seen, so reusing a key for a second write would lose that write. Make one handle
/// per keyed write: `erp.with_options(CallOptions::new().idempotency_key(key)).create_product(p)`.
/// Without a key, each write gets a new one (kept across its retries).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct CallOptions {
    /// Replaces the client's per-attempt timeout.
    pub timeout: Option<Duration>,
    /// Replaces the client's retry policy.
    pub retry: Option<RetryPolicy>,
    /// The `Idempotency-Key` of the one write this handle makes (providers that support them);
    /// a new one per write when absent.
    pub idempotency_key: Option<String>,
}

impl CallOptions {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }
    /// Per-attempt timeout for this call.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// Retry policy for this call.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }
    /// Idempotency key of the one write made with these options.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }
}

/// Counters of a client (shared by its clones), for reporting.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    renewals: AtomicU64,
    /// Microseconds spent waiting for the pacer (the provider's quota).
    paced_micros: AtomicU64,
}

/// Requests, retries, throttling and renewals seen by a client and its clones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatsSnapshot {
    /// HTTP requests sent (every attempt).
    pub requests: u64,
    /// Attempts that were retries.
    pub retries: u64,
    /// 429 answers received.
    pub throttled: u64,
    /// Credential renewals after a 401.
    pub renewals: u64,
    /// Time spent waiting for the provider's quota (the client's pacing) before sending.
    pub waited_for_quota: Duration,
}

impl Stats {
    /// Counts time spent waiting for the pacer.
    fn paced(&self, waited: Duration) {
        let micros = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX);
        if micros > 0 {
            self.paced_micros.fetch_add(micros, Ordering::Relaxed);
        }
    }

    /// Current values.
    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            renewals: self.renewals.load(Ordering::Relaxed),
            waited_for_quota: Duration::from_micros(self.paced_micros.load(Ordering::Relaxed)),
        }
    }
}

/// Everything a provider's generated client needs at run time. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) provider: Provider,
    pub(crate) headers: HeaderMap,
    pub(crate) auth: Option<Arc<dyn Authenticator>>,
    pub(crate) pacer: Arc<dyn Pacer>,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeouts: Timeouts,
    /// The per-request timeout the HTTP client applies by itself (the attempt timeout, when
    /// this crate built the client; `None` for a custom client). A request whose timeout is
    /// this one is not given it again (saves an allocation per attempt).
    pub(crate) http_timeout: Option<Duration>,
    pub(crate) quota: Arc<RetryQuota>,
    pub(crate) stats: Arc<Stats>,
    pub(crate) idempotency_keys: bool,
    pub(crate) auth_statuses: &'static [u16],
    /// The provider's operations (generated from its spec).
    pub(crate) operations: Lookup,
    /// The provider's schemas (generated from its spec).
    pub(crate) shapes: crate::common::shapes::Lookup,
    /// Options of this handle (`Client::with_options`).
    pub(crate) options: CallOptions,
    /// The write this handle's idempotency key was used for, when it has one.
    pub(crate) key_guard: Option<Arc<KeyGuard>>,
    /// The largest answer body read, in bytes.
    pub(crate) max_answer_size: u64,
    /// Drift detection, shared by the client's clones.
    pub(crate) drift: Arc<crate::common::drift::Drift>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values may be credentials: print names only.
        let headers: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        f.debug_struct("Runtime")
            .field("provider", &self.provider)
            .field("headers", &headers)
            .field("auth", &self.auth)
            .field("pacer", &self.pacer)
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("options", &self.options)
            .field("max_answer_size", &self.max_answer_size)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// The provider.
    pub fn provider(&self) -> Provider {
        self.provider
    }
    /// Request counters shared by this client and its clones.
    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// A copy whose calls use `options` (a handle made by `Client::with_options`); a key in
    /// `options` gets a guard of its own.
    pub(crate) fn with_options(&self, options: CallOptions) -> Self {
        let key_guard = options
            .idempotency_key
            .clone()
            .map(|key| Arc::new(KeyGuard::new(key)));
        Self {
            options,
            key_guard,
            ..self.clone()
        }
    }

    fn operation(&self, id: &str) -> Option<&'static Operation> {
        (self.operations)(id)
    }
}

/// Remembers the one write a handle's idempotency key was sent with.
#[derive(Debug)]
pub(crate) struct KeyGuard {
    key: String,
    /// Fingerprint (method, URL, body) of the write that used the key.
    used_for: Mutex<Option<u64>>,
}

impl KeyGuard {
    fn new(key: String) -> Self {
        Self {
            key,
            used_for: Mutex::new(None),
        }
    }

    /// The key for `request`, or `None` when the key was used for a different write.
    fn claim(&self, request: &Request) -> Option<&str> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        request.method().hash(&mut h);
        request.url().as_str().hash(&mut h);
        request.body().and_then(|b| b.as_bytes()).hash(&mut h);
        let print = h.finish();
        let mut used = lock(&self.used_for);
        match *used {
            Some(p) if p != print => None,
            _ => {
                *used = Some(print);
                Some(&self.key)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Per-call context

/// What happened during one call, filled by the hooks for the facade.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// What every call records; kept in the scope while the call runs ([`note`]) and put here
    /// when the report is taken ([`CallScope::report_of`]).
    pub usual: Usual,
    /// The provider's last `Retry-After`.
    pub retry_after: Option<Duration>,
    /// The request may have reached the provider and was not repeated.
    pub may_have_been_applied: bool,
    /// Credentials or pacing failed; the generated code only sees a string.
    pub hook_error: Option<Error>,
    /// The idempotency key that was sent.
    pub idempotency_key: Option<String>,
    /// The last answer's body (shortened) when it was an error status: the error keeps it even
    /// when it decodes into the documented error shape and that shape has no room for it.
    pub error_body: Option<String>,
    /// The client refused the answer (the generated code only sees a transport error).
    pub refused: Option<Refusal>,
    /// The retry the exec hook left to the facade, which runs the call again (see
    /// [`CallScope::again_after`]).
    pub again: Option<Again>,
    /// What a generated command's call failed with (`call::capture`).
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    pub captured: Option<crate::common::call::Failure>,
}

/// A retry the exec hook decided and left to the facade.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Again {
    /// The wait before the call runs again.
    wait: Duration,
    /// What it costs the retry quota.
    cost: u32,
    /// Whether the request may have been applied, should the quota refuse.
    maybe_applied: bool,
}

/// Why the client refused an answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Refusal {
    /// The body was larger than the client's limit.
    TooLarge { limit: u64, status: u16 },
    /// A redirect to another origin (or from HTTPS to HTTP) was not followed.
    Redirect { status: u16, host: String },
    /// A custom HTTP client followed a redirect to another origin by itself.
    Followed { host: String },
}

/// What a facade changes for one call.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Overrides {
    /// The call's retry class, when the facade knows better than the spec (e.g. a PluggTo stock
    /// change that sets an absolute value).
    pub retry: Option<Retry>,
    /// The call's per-attempt timeout (e.g. ecomDC product writes that import images).
    pub timeout: Option<Duration>,
}

/// The per-call context the hooks see (a task-local while the call runs): what the facade
/// changes and what happened. A `RefCell`, not a shared lock: the scope belongs to one task, and
/// the report is taken back out of the finished future ([`CallScope::run`]).
///
/// What every call records (the operation, attempts, last status) sits in the scope itself
/// ([`note`]); the rest of the report is boxed when the hooks first write to it
/// ([`with_report`]), which a call that goes well never does. A task-local's value is swapped in
/// and out of its slot on every poll of the call, and the whole report is a few hundred bytes;
/// boxing it when the scope is built would put the allocation into the facade's building of the
/// call, which then copies the whole call future several times (BENCHMARKS.md §1).
pub(crate) struct CallScope {
    overrides: Overrides,
    /// The facade can make the call again (`call::run_again`): a safe call is then sent once
    /// per run, its success answer handed on unread, and the facade runs it again when the
    /// retry rules say so ([`CallScope::again_after`]).
    again: bool,
    /// The call's span, kept for the next run of a call the facade can run again (one span
    /// for the whole call); only when something listens.
    span: std::cell::Cell<Option<Box<tracing::Span>>>,
    usual: std::cell::Cell<Usual>,
    report: std::cell::RefCell<Option<Box<Report>>>,
}

/// The part of a [`Report`] every call fills (see [`CallScope`]).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Usual {
    /// The operation, as the generated code named it to the hooks.
    pub operation: Option<&'static Operation>,
    /// Requests sent.
    pub attempts: u32,
    /// Status of the last answer, as the provider sent it (an undeclared success status is
    /// handed to the generated code as a declared one).
    pub last_status: Option<u16>,
    /// When the first request was sent (a run again by the facade keeps the call's time
    /// budget).
    pub started: Option<tokio::time::Instant>,
}

tokio::task_local! {
    static CALL: CallScope;
}

impl CallScope {
    pub(crate) fn new(overrides: Overrides) -> Self {
        Self::with(overrides, false)
    }

    /// A scope for a call the facade can run again when `again` (`call::run_again`).
    pub(crate) fn with(overrides: Overrides, again: bool) -> Self {
        Self {
            overrides,
            again,
            span: std::cell::Cell::default(),
            usual: std::cell::Cell::default(),
            report: std::cell::RefCell::default(),
        }
    }

    /// Runs `fut` with this scope visible to the hooks; gives back its output and the report.
    pub(crate) async fn run<F: std::future::Future>(self, fut: F) -> (F::Output, Report) {
        let mut scoped = std::pin::pin!(self.enter(fut));
        let output = scoped.as_mut().await;
        (output, Self::report_of(scoped))
    }

    /// `fut` with this scope visible to the hooks while it runs, to await in place (one future
    /// less than [`run`](Self::run) around a large call); [`report_of`](Self::report_of) takes
    /// the report back out.
    pub(crate) fn enter<F: std::future::Future>(self, fut: F) -> TaskLocalFuture<CallScope, F> {
        CALL.scope(self, fut)
    }

    /// The report of a finished [`enter`](Self::enter)ed future.
    pub(crate) fn report_of<F: std::future::Future>(
        scoped: std::pin::Pin<&mut TaskLocalFuture<CallScope, F>>,
    ) -> Report {
        scoped
            .take_value()
            .map(Self::into_report)
            .unwrap_or_default()
    }

    /// What this scope's call recorded.
    pub(crate) fn into_report(self) -> Report {
        let mut report = self.report.into_inner().map(|r| *r).unwrap_or_default();
        report.usual = self.usual.get();
        report
    }

    /// After a failed run of a call the facade can run again: the wait before running it
    /// again, or `None` when the retry rules stop here (the report then says whether the
    /// request may have been applied). Either the exec hook decided the retry (a transport
    /// failure, a status to retry), or the generated code could not read a success answer's
    /// body, which the exec hook handed on unread (`body_cut`: the connection broke or, when
    /// `Some(true)`, timed out in the middle of it): the same rules as for a transport failure
    /// in the hook, counting the attempts made so far.
    pub(crate) fn again_after(&self, rt: &Runtime, body_cut: Option<bool>) -> Option<Duration> {
        let mut slot = self.report.borrow_mut();
        let planned = slot.as_mut().and_then(|r| r.again.take());
        let usual = self.usual.get();
        let write = usual.operation.is_some_and(Operation::is_write);
        let (wait, cost, maybe_applied) = match (planned, body_cut) {
            (Some(again), _) => (again.wait, again.cost, again.maybe_applied),
            (None, Some(timeout)) => {
                let policy = rt.options.retry.as_ref().unwrap_or(&rt.retry);
                let attempt = retry::Attempt {
                    number: usual.attempts,
                    started: usual.started.unwrap_or_else(tokio::time::Instant::now),
                    // Only a safe call is run again.
                    repeatable: true,
                    write,
                    can_renew: false,
                };
                match retry::decide(Outcome::Lost { timeout }, attempt, policy) {
                    retry::Decision::Retry { wait, cost } => (wait, cost, write),
                    retry::Decision::GiveUp {
                        may_have_been_applied,
                    } => {
                        slot.get_or_insert_with(Box::default).may_have_been_applied =
                            may_have_been_applied;
                        return None;
                    }
                    _ => return None,
                }
            }
            (None, None) => return None,
        };
        if rt.quota.try_spend(cost) {
            tracing::debug!(
                attempt = usual.attempts,
                wait_ms = wait.as_millis() as u64,
                "running the call again"
            );
            return Some(wait);
        }
        slot.get_or_insert_with(Box::default).may_have_been_applied = maybe_applied;
        None
    }
}

/// Records what every call records (cheaper than [`with_report`], which boxes the report).
pub(crate) fn note(f: impl FnOnce(&mut Usual)) {
    let _ = CALL.try_with(|scope| {
        let mut usual = scope.usual.get();
        f(&mut usual);
        scope.usual.set(usual);
    });
}

/// Records something unusual in the call's report (boxing it on first use).
pub(crate) fn with_report(f: impl FnOnce(&mut Report)) {
    with_report_slot(|slot| f(slot.get_or_insert_with(Box::default)));
}

/// Like [`with_report`] for a change that matters only when something was reported already.
fn if_reported(f: impl FnOnce(&mut Report)) {
    with_report_slot(|slot| {
        if let Some(report) = slot.as_deref_mut() {
            f(report);
        }
    });
}

/// The call's report slot, when there is a call and the report is not being written already.
fn with_report_slot(f: impl FnOnce(&mut Option<Box<Report>>)) {
    let _ = CALL.try_with(|scope| {
        if let Ok(mut slot) = scope.report.try_borrow_mut() {
            f(&mut slot);
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Hooks

/// Includes a provider's generated client (`$OUT_DIR/<provider>.rs`) as `mod generated` and
/// hooks it to the runtime. Generated code is not held to this crate's lints.
macro_rules! generated_client {
    ($provider:literal) => {
        /// Code generated by progenitor from the provider's spec at build time.
        #[allow(
            clippy::all,
            clippy::pedantic,
            clippy::unwrap_used,
            clippy::expect_used,
            unused,
            missing_docs,
            unreachable_pub
        )]
        mod generated {
            include!(concat!(env!("OUT_DIR"), "/", $provider, ".rs"));
        }
        $crate::common::runtime::impl_hooks!(generated::Client);

        /// Command-line interface generated from the spec: one subcommand per operation
        /// (feature `cli`, for the `brc` package; not needed by library users).
        #[cfg(feature = "cli")]
        #[doc(hidden)]
        #[allow(
            clippy::all,
            clippy::pedantic,
            clippy::unwrap_used,
            clippy::expect_used,
            unused,
            missing_docs,
            unreachable_pub
        )]
        pub mod cli {
            include!(concat!(env!("OUT_DIR"), "/", $provider, "_cli.rs"));
        }
        #[cfg(feature = "cli")]
        $crate::common::cli_glue::generated_cli_glue!();
    };
}
pub(crate) use generated_client;

/// Implements progenitor's `ClientHooks` for a generated client whose inner type is
/// `Arc<Runtime>`, delegating to [`pre`] and [`exec`].
macro_rules! impl_hooks {
    ($client:ty) => {
        impl ::progenitor_client::ClientHooks<::std::sync::Arc<$crate::common::runtime::Runtime>>
            for $client
        {
            async fn pre<E>(
                &self,
                request: &mut ::reqwest::Request,
                info: &::progenitor_client::OperationInfo,
            ) -> ::std::result::Result<(), ::progenitor_client::Error<E>> {
                let runtime = ::progenitor_client::ClientInfo::inner(self);
                $crate::common::runtime::pre(runtime, request, info.operation_id)
                    .await
                    .map_err(::progenitor_client::Error::Custom)
            }

            async fn exec(
                &self,
                request: ::reqwest::Request,
                info: &::progenitor_client::OperationInfo,
            ) -> ::reqwest::Result<::reqwest::Response> {
                let runtime = ::progenitor_client::ClientInfo::inner(self);
                let http = ::progenitor_client::ClientInfo::client(self);
                $crate::common::runtime::exec(runtime, http, request, info.operation_id).await
            }
        }
    };
}
pub(crate) use impl_hooks;

/// Prepares a request: idempotency key, credentials, pacing. (The provider's static headers
/// go in at each attempt, [`exec`].)
pub(crate) async fn pre(
    rt: &Runtime,
    request: &mut Request,
    operation: &'static str,
) -> Result<(), String> {
    let op = rt.operation(operation);
    note(|u| u.operation = op);
    // progenitor adds the spec's version as an `api-version` header; none of the providers asks
    // for it, so it is not sent.
    request.headers_mut().remove(API_VERSION);
    let hook_failed = |e: Error| {
        let e = e.with_operation(operation);
        let msg = e.to_string();
        with_report(|r| r.hook_error = Some(e));
        msg
    };
    if rt.idempotency_keys && is_write(request.method()) {
        let key = match request.headers().get(&IDEMPOTENCY_KEY) {
            Some(v) => v.to_str().unwrap_or_default().to_owned(),
            None => {
                let key = match &rt.key_guard {
                    Some(guard) => guard.claim(request).map(str::to_owned).ok_or_else(|| {
                        hook_failed(Error::invalid_input(
                            rt.provider,
                            operation,
                            "idempotency_key",
                            "this handle's key was already sent with a different write; the \
                             provider would drop this one as a duplicate: give each write its own \
                             key (one `with_options` handle per keyed write)",
                        ))
                    })?,
                    None => uuid::Uuid::new_v4().to_string(),
                };
                let value = HeaderValue::from_str(&key).map_err(|_| {
                    hook_failed(Error::invalid_input(
                        rt.provider,
                        operation,
                        "idempotency_key",
                        "not a valid header value",
                    ))
                })?;
                request.headers_mut().insert(IDEMPOTENCY_KEY, value);
                key
            }
        };
        with_report(|r| r.idempotency_key = Some(key));
    }
    if let Some(auth) = &rt.auth {
        auth.authorize(request).await.map_err(hook_failed)?;
    }
    acquire(rt, request.method()).await.map_err(hook_failed)?;
    Ok(())
}

/// Adds the provider's static headers a request does not set itself (a header the request, its
/// credentials or its idempotency key set wins).
fn add_static_headers(headers: &HeaderMap, request: &mut HeaderMap) {
    for (name, value) in headers {
        if let http::header::Entry::Vacant(slot) = request.entry(name) {
            slot.insert(value.clone());
        }
    }
}

/// Waits for the pacer, counting the time it made the call wait; a pacer that lets the call
/// through at once (the usual case) is not timed.
async fn acquire(rt: &Runtime, method: &Method) -> Result<(), Error> {
    if let Some(now) = rt.pacer.try_acquire(method) {
        return now;
    }
    let mut acquire = rt.pacer.acquire(method);
    if let std::task::Poll::Ready(acquired) = futures::poll!(&mut acquire) {
        return acquired;
    }
    let paced = Instant::now();
    let acquired = acquire.await;
    rt.stats.paced(paced.elapsed());
    acquired
}

/// What a failed renewal or retry wait gives back: the error, and the last answer to report.
type Stopped = (Error, reqwest::Result<Response>);

/// Waits before a retry (the backoff, then the pacer) and gives back the request to send; the
/// last answer is dropped once the wait succeeded.
async fn before_retry(
    rt: &Runtime,
    next: Box<Request>,
    wait: Duration,
    last: reqwest::Result<Response>,
) -> Result<Box<Request>, Stopped> {
    tokio::time::sleep(wait).await;
    match acquire(rt, next.method()).await {
        Ok(()) => Ok(next),
        Err(e) => Err((e, last)),
    }
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Sends a request with retries, 401 renewal and tracing, adding the provider's static headers to
/// each attempt.
///
/// Not an `async fn`: the retry loop is boxed here, before the generated code awaits it, so
/// the generated future holds a pointer instead of reserving room for the loop's state (kilobytes
/// copied whenever that future moves; a raw call awaited on a thread's stack in a debug build
/// also overflows it otherwise).
pub(crate) fn exec<'a>(
    rt: &'a Runtime,
    http: &'a reqwest::Client,
    request: Request,
    operation: &'static str,
) -> BoxFuture<'a, reqwest::Result<Response>> {
    // A call the facade runs again goes on in the span of its first run.
    let kept = CALL.try_with(|scope| scope.span.take()).ok().flatten();
    let span = match kept {
        Some(span) => *span,
        None => tracing::debug_span!(
            "brcommerce.call",
            provider = rt.provider.id(),
            operation,
            method = %request.method(),
            path = request.url().path(),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        ),
    };
    let op = rt.operation(operation);
    // A span nothing listens to is not entered and left on every poll.
    if !span.is_disabled() {
        let _ = CALL.try_with(|scope| {
            if scope.again {
                scope.span.set(Some(Box::new(span.clone())));
            }
        });
        Box::pin(exec_inner(rt, http, request, op, true).instrument(span))
    } else {
        // The box is taken before the future is built, so the future can be built in it rather
        // than on the stack and copied in.
        let inner = Box::write(Box::new_uninit(), exec_inner(rt, http, request, op, false));
        Box::into_pin(inner)
    }
}

async fn exec_inner(
    rt: &Runtime,
    http: &reqwest::Client,
    mut request: Request,
    op: Option<&'static Operation>,
    traced: bool,
) -> reqwest::Result<Response> {
    // What the call's scope says: the facade's overrides, whether it can run the call again,
    // and (when it does) the attempts made and the time spent so far.
    let now = tokio::time::Instant::now();
    let (overrides, again, seeded, started) = CALL
        .try_with(|scope| {
            let mut usual = scope.usual.get();
            let started = *usual.started.get_or_insert(now);
            scope.usual.set(usual);
            (scope.overrides, scope.again, usual.attempts, started)
        })
        .unwrap_or((Overrides::default(), false, 0, now));
    let policy = rt.options.retry.as_ref().unwrap_or(&rt.retry);
    let attempt_timeout = overrides
        .timeout
        .or(rt.options.timeout)
        .unwrap_or(rt.timeouts.attempt);
    let write = is_write(request.method());
    let class = overrides.retry.or(op.map(|o| o.retry)).unwrap_or(if write {
        Retry::WithIdempotencyKey
    } else {
        Retry::Safe
    });
    // The key is looked for only when the class depends on it (a header lookup hashes the name).
    let repeatable = class.allows_repeat(
        class == Retry::WithIdempotencyKey && request.headers().contains_key(&IDEMPOTENCY_KEY),
    );
    // A safe call the facade can make again is sent once here: its success answer is handed
    // on unread (the generated code reads it once, not twice; a body cut short is retried by
    // the facade) and a retry is left to the facade, so no copy of the request is kept for it.
    let unread_ok = again && class == Retry::Safe;
    let mut attempt: u32 = seeded;
    let mut renewed = false;

    let outcome = loop {
        attempt += 1;
        // Keep a copy for a possible retry or renewal; bodies here are always in memory. Boxed,
        // so that it takes a pointer's room in this future while the answer is awaited.
        // (The facade runs a call again itself when it can: no copy is kept for a retry then.)
        let spare =
            if (attempt < policy.max_attempts && !unread_ok) || (!renewed && rt.auth.is_some()) {
                spare_of(&mut request)
            } else {
                None
            };
        // The provider's static headers go in after the copy, so the copy does not carry them
        // (a GET's copy then has no header to copy at all); each attempt gets them here.
        add_static_headers(&rt.headers, request.headers_mut());
        if rt.http_timeout != Some(attempt_timeout) {
            *request.timeout_mut() = Some(attempt_timeout);
        }
        rt.stats.requests.fetch_add(1, Ordering::Relaxed);
        if attempt > 1 {
            rt.stats.retries.fetch_add(1, Ordering::Relaxed);
        }
        // Where the request went, to check the answer came from the same origin: the spare's
        // URL when there is a spare (no copy), else a boxed copy (a pointer's room here).
        let kept;
        let sent: &url::Url = match &spare {
            Some(spare) => spare.url(),
            None => {
                kept = Box::new(request.url().clone());
                &kept
            }
        };
        // The whole answer is read here, inside the retry loop, so a connection that breaks
        // in the middle of the body is retried like any other transport failure.
        // The answer's reading is boxed (its state is ~900 bytes): this future then stays under
        // 1 KiB, the largest block glibc's allocator serves from its per-thread cache; a larger
        // box takes its slow path, ~1k instructions more per call (BENCHMARKS.md §1).
        let result = match http.execute(request).await {
            Ok(response) => {
                // Built in the box (taken first), not on the stack and copied in.
                let reading = Box::write(
                    Box::new_uninit(),
                    read_answer(rt, response, sent, op, unread_ok),
                );
                Box::into_pin(reading).await
            }
            Err(e) => Err(e),
        };
        note(|u| u.attempts += 1);

        let seen = match &result {
            Ok(response) => {
                let status = response.status().as_u16();
                tracing::debug!(attempt, status, "answer");
                let retry_after = if status == 429 {
                    rt.stats.throttled.fetch_add(1, Ordering::Relaxed);
                    let after = retry::retry_after(response.headers(), SystemTime::now());
                    with_report(|r| r.retry_after = after);
                    if let Some(d) = after {
                        rt.pacer.pause(d.min(policy.max_retry_after));
                    }
                    after
                } else {
                    None
                };
                Outcome::Answered {
                    status,
                    retry_after,
                }
            }
            Err(_) if report_refused() => Outcome::Refused {
                answered: with_report_value(|r| {
                    matches!(
                        r.refused,
                        Some(Refusal::TooLarge { .. } | Refusal::Followed { .. })
                    )
                }),
            },
            Err(e) if e.is_connect() => Outcome::NotSent,
            Err(e) => {
                tracing::debug!(attempt, error = %e.without_url_ref(), "transport error");
                Outcome::Lost {
                    timeout: e.is_timeout(),
                }
            }
        };
        let decision = retry::decide(
            seen,
            retry::Attempt {
                number: attempt,
                started,
                repeatable,
                write,
                can_renew: !renewed && rt.auth.is_some(),
            },
            policy,
        );
        let (wait, cost) = match decision {
            retry::Decision::Done => {
                if attempt == 1 && matches!(&result, Ok(r) if r.status().is_success()) {
                    rt.quota.refund(1);
                }
                break result;
            }
            retry::Decision::GiveUp {
                may_have_been_applied,
            } => {
                with_report(|r| r.may_have_been_applied = may_have_been_applied);
                break result;
            }
            retry::Decision::Renew => {
                let (Some(auth), Some(next)) = (&rt.auth, spare) else {
                    break result;
                };
                renewed = true;
                rt.stats.renewals.fetch_add(1, Ordering::Relaxed);
                // Boxed, with the copy and the last answer moved in: a renewal is rare, and
                // none of them then sits in every call's future.
                match Box::pin(renew_and_authorize(auth.as_ref(), next, result)).await {
                    Ok(next) => {
                        // A renewal is not a retry of a failure: it does not count.
                        attempt -= 1;
                        request = *next;
                        continue;
                    }
                    Err((e, result)) => {
                        with_report(|r| r.hook_error = Some(e));
                        break result;
                    }
                }
            }
            retry::Decision::Retry { wait, cost } => (wait, cost),
        };
        if unread_ok {
            // Left to the facade, which makes the call again (pacing and credentials included).
            let maybe_applied = write && matches!(seen, Outcome::Lost { .. });
            with_report(|r| {
                r.again = Some(Again {
                    wait,
                    cost,
                    maybe_applied,
                })
            });
            break result;
        }
        let Some(next) = spare else { break result };
        if !rt.quota.try_spend(cost) {
            let maybe = write && matches!(seen, Outcome::Lost { .. });
            with_report(|r| r.may_have_been_applied = maybe);
            break result;
        }
        tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "retrying");
        // Boxed, with the copy and the last answer moved in: a retry is rare, and neither they
        // nor the timer's state then sit in every call's future.
        match Box::pin(before_retry(rt, next, wait, result)).await {
            Ok(next) => request = *next,
            Err((e, result)) => {
                // The pacer refused (e.g. a shared limiter failing closed): report the last
                // failure rather than send unpaced.
                with_report(|r| r.hook_error = Some(e));
                break result;
            }
        }
    };

    // Nothing listens to a disabled span: the clock is not read for it.
    if traced {
        let span = tracing::Span::current();
        span.record("attempts", attempt);
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        if let Ok(response) = &outcome {
            span.record("status", response.status().as_u16());
        }
    }
    outcome
}

fn report_refused() -> bool {
    with_report_value(|r| r.refused.is_some())
}

fn with_report_value<T: Default>(f: impl FnOnce(&Report) -> T) -> T {
    CALL.try_with(|scope| {
        let report = scope.report.try_borrow().ok();
        report
            .as_deref()
            .and_then(Option::as_deref)
            .map(f)
            .unwrap_or_default()
    })
    .unwrap_or_default()
}

/// Reads the answer: refuses redirects to another origin, reads the body up to the client's
/// limit, and hands an undeclared success status to the generated code as a declared one (any
/// 2xx is a success; the report keeps the real status). A declared success without a body is
/// handed on as it came, and so is one whose announced length is within the limit when
/// `unread_ok` (the facade runs the call again should its body be cut short).
async fn read_answer(
    rt: &Runtime,
    response: Response,
    sent: &url::Url,
    op: Option<&'static Operation>,
    unread_ok: bool,
) -> reqwest::Result<Response> {
    let status = response.status().as_u16();
    note(|u| u.last_status = Some(status));
    if !same_origin(response.url(), sent) {
        // A custom HTTP client followed a redirect by itself: the answer is not the provider's.
        let host = host_of(response.url());
        tracing::warn!(
            host,
            "the HTTP client followed a redirect to another origin"
        );
        return refuse(Refusal::Followed { host });
    }
    if response.status().is_redirection() {
        let host = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| response.url().join(l).ok())
            .map(|u| host_of(&u))
            .unwrap_or_default();
        return refuse(Refusal::Redirect { status, host });
    }
    let status_code = match op {
        Some(op) if response.status().is_success() && !op.success.contains(&status) => {
            // `success` is never empty for an operation the generated code can call.
            op.success
                .first()
                .and_then(|s| reqwest::StatusCode::from_u16(*s).ok())
                .unwrap_or(response.status())
        }
        _ => response.status(),
    };
    if status_code.as_u16() != status {
        tracing::debug!(
            status,
            declared = status_code.as_u16(),
            "success status the spec does not declare"
        );
    }
    // Drift detection: a sampled success answer is compared with the spec once read.
    let sampled = status_code
        .is_success()
        .then(|| rt.drift.sample(op))
        .flatten();
    let failed = response.status().is_client_error() || response.status().is_server_error();
    // What the whole body tells, once read: drift, and the excerpt of an error (an earlier
    // attempt's excerpt is not this answer's).
    let inspect = |body: &[u8]| {
        if let Some(op) = sampled {
            rt.drift.check(op, body);
        }
        if failed {
            with_report(|r| r.error_body = Some(crate::common::error::excerpt(body)));
        } else {
            if_reported(|r| r.error_body = None);
        }
    };
    // A success without a body (`Content-Length: 0`, a `204`, an answer to `HEAD`) has nothing
    // to read, to bound, to cut off or to keep: it goes on as it came, not read and rebuilt.
    // So does a success whose length is announced and within the limit (hyper reads no more
    // than that) when nothing here needs its body (no drift sample), the generated code reads
    // it (the operation's answer has a schema: an unread body would keep the connection out of
    // the pool) and the facade runs the call again if the body is cut short: the generated
    // code reads it once.
    let as_it_came = response_is_empty(&response)
        || (unread_ok
            && sampled.is_none()
            && op.is_some_and(|op| op.response.is_some())
            && response
                .content_length()
                .is_some_and(|n| n <= rt.max_answer_size));
    if status_code.as_u16() == status && status_code.is_success() && as_it_came {
        inspect(&[]);
        return Ok(response);
    }
    buffered(response, status_code, rt.max_answer_size, inspect).await
}

/// Whether the answer's body is known to be empty before it is read (hyper's exact size hint:
/// a `Content-Length: 0`, a status or method that has no body).
fn response_is_empty(response: &Response) -> bool {
    response.content_length() == Some(0)
}

/// Whether two URLs have the same origin (scheme, host and port), as `Url::origin` compares
/// them, without building the origins.
fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// A copy of `request` to send again (a retry, a renewal), or `None` when its body cannot be
/// copied (a stream). A request without a timeout is copied by hand (method, URL, headers,
/// version and an in-memory body: all a generated request holds), which skips the extension
/// map `Request::try_clone` always allocates; its body's bytes are shared, not copied. The copy
/// by hand is built in its box.
fn spare_of(request: &mut Request) -> Option<Box<Request>> {
    if request.timeout().is_some() {
        return request.try_clone().map(Box::new);
    }
    if request.body().is_some_and(|b| b.as_bytes().is_none()) {
        return None;
    }
    let url = request.url().clone();
    let headers = request.headers().clone();
    let mut copy = Box::write(
        Box::new_uninit(),
        Request::new(request.method().clone(), url),
    );
    *copy.headers_mut() = headers;
    *copy.version_mut() = request.version();
    if let Some(body) = request.body_mut().take() {
        let bytes = bytes_of(body);
        *request.body_mut() = Some(reqwest::Body::from(bytes.clone()));
        *copy.body_mut() = Some(reqwest::Body::from(bytes));
    }
    Some(copy)
}

/// The bytes of an in-memory body (`as_bytes()` is `Some`), without copying them: reqwest gives
/// such a body whole, in one frame (frames would be joined). Such a body never waits nor fails:
/// reading stops if one did (the fault tests check that a repeated write sends the whole body
/// again).
fn bytes_of(mut body: reqwest::Body) -> bytes::Bytes {
    use http_body::Body as _;
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut chunks = Chunks::default();
    while let std::task::Poll::Ready(Some(Ok(frame))) =
        std::pin::Pin::new(&mut body).poll_frame(&mut cx)
    {
        if let Ok(data) = frame.into_data() {
            chunks.push(data);
        }
    }
    chunks.join()
}

/// A body's chunks as they come, joined once at the end. A one-chunk body, the usual case, is
/// neither copied nor put in a list (the list allocates only when a second chunk comes).
#[derive(Default)]
struct Chunks {
    first: bytes::Bytes,
    more: Vec<bytes::Bytes>,
    /// Bytes kept so far.
    len: usize,
}

impl Chunks {
    fn push(&mut self, chunk: bytes::Bytes) {
        self.len += chunk.len();
        if self.first.is_empty() {
            // Nothing kept yet (an empty chunk holds nothing to keep).
            self.first = chunk;
        } else {
            self.more.push(chunk);
        }
    }

    fn join(self) -> bytes::Bytes {
        if self.more.is_empty() {
            return self.first;
        }
        let mut all = bytes::BytesMut::with_capacity(self.len);
        all.extend_from_slice(&self.first);
        for chunk in self.more {
            all.extend_from_slice(&chunk);
        }
        all.freeze()
    }
}

/// `scheme://host[:port]` of a URL, without its path or query (which may hold credentials).
fn host_of(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

/// Records why the answer was refused and fails the attempt; the generated code sees a
/// transport error, and the call's error is built from the report.
fn refuse(refusal: Refusal) -> reqwest::Result<Response> {
    with_report(|r| r.refused = Some(refusal));
    let mut response = http::Response::new(Vec::<u8>::new());
    *response.status_mut() = reqwest::StatusCode::INTERNAL_SERVER_ERROR;
    // `error_for_status` on a 500 is the one public way to make a `reqwest::Error`.
    Response::from(response).error_for_status()
}

/// Reads the body (at most `limit` bytes) and rebuilds the response around it with `status`,
/// moving the headers and keeping the URL. A body over the limit is refused as soon as its
/// announced length or the bytes read pass it; dropping the response closes the connection.
/// `inspect` sees the whole body once read (drift detection, the error excerpt).
async fn buffered(
    mut response: Response,
    status: reqwest::StatusCode,
    limit: u64,
    inspect: impl FnOnce(&[u8]),
) -> reqwest::Result<Response> {
    use reqwest::ResponseBuilderExt as _;
    let real = response.status();
    let version = response.version();
    let headers = std::mem::take(response.headers_mut());
    // The answer's extensions (the connection's `HttpInfo`, which `remote_addr` reads) move to
    // the rebuilt response, and the URL goes into that same map (no second map allocated).
    let extensions = std::mem::take(response.extensions_mut());
    let url = response.url().clone();
    if response.content_length().is_some_and(|n| n > limit) {
        return refuse(Refusal::TooLarge {
            limit,
            status: real.as_u16(),
        });
    }
    // The chunks are kept as they come (no copy while reading, so an answer that runs over the
    // limit never holds more than the limit) and joined once at the end.
    let limit_bytes = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut chunks = Chunks::default();
    while let Some(chunk) = response.chunk().await? {
        if chunks.len + chunk.len() > limit_bytes {
            drop(chunks);
            return refuse(Refusal::TooLarge {
                limit,
                status: real.as_u16(),
            });
        }
        chunks.push(chunk);
    }
    let body = chunks.join();
    inspect(&body);
    // The URL goes in through the builder (the one public way to set it); the body is added
    // after, so it is neither cloned nor lost should the builder fail (it cannot: the URL is its
    // only setting), in which case reqwest gives the answer a placeholder URL.
    let mut builder = http::Response::builder();
    if let Some(slot) = builder.extensions_mut() {
        *slot = extensions;
    }
    let mut rebuilt = match builder.url(url).body(()) {
        Ok(with_url) => with_url.map(|()| body),
        Err(_) => http::Response::new(body),
    };
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(Response::from(rebuilt))
}

/// Renews the credentials after a 401 and authorizes the copy to send again with them; the
/// last answer (the 401) is given back if that fails.
async fn renew_and_authorize(
    auth: &dyn Authenticator,
    mut next: Box<Request>,
    last: reqwest::Result<Response>,
) -> Result<Box<Request>, Stopped> {
    let renewed = match auth.renew(&next).await {
        Ok(()) => auth.authorize(&mut next).await,
        Err(e) => Err(e),
    };
    match renewed {
        Ok(()) => Ok(next),
        Err(e) => Err((e, last)),
    }
}

/// `reqwest::Error::without_url` by reference, for logging.
trait WithoutUrlRef {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrlRef for reqwest::Error {
    fn without_url_ref(&self) -> String {
        crate::common::secret::redact_reqwest_error(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(body: reqwest::Body) -> Request {
        let mut request = Request::new(Method::PUT, "http://127.0.0.1:1/stock".parse().unwrap());
        request
            .headers_mut()
            .insert("x-id", HeaderValue::from_static("7"));
        *request.body_mut() = Some(body);
        request
    }

    #[test]
    fn the_spare_of_a_write_carries_the_same_body_and_the_request_keeps_it() {
        let mut request = put(reqwest::Body::from(r#"{"estoque":3}"#));
        let spare = spare_of(&mut request).expect("an in-memory body can be copied");
        for sent in [&request, &*spare] {
            assert_eq!(
                sent.body().and_then(reqwest::Body::as_bytes),
                Some(&br#"{"estoque":3}"#[..])
            );
            assert_eq!(sent.headers()["x-id"], "7");
            assert_eq!(sent.method(), Method::PUT);
            assert_eq!(sent.url().path(), "/stock");
        }
    }

    #[test]
    fn a_streamed_body_has_no_spare_and_stays_in_the_request() {
        let chunks = futures::stream::iter([Ok::<_, std::io::Error>("a"), Ok("b")]);
        let mut request = put(reqwest::Body::wrap_stream(chunks));
        assert!(spare_of(&mut request).is_none());
        assert!(request.body().is_some_and(|b| b.as_bytes().is_none()));
    }

    #[test]
    fn bytes_of_joins_a_body_given_in_frames() {
        let chunks = futures::stream::iter([Ok::<_, std::io::Error>("ab"), Ok("c"), Ok("de")]);
        assert_eq!(bytes_of(reqwest::Body::wrap_stream(chunks)), "abcde");
        assert_eq!(bytes_of(reqwest::Body::from("")), "");
    }
}
