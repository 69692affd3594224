//! The machinery every generated client runs through.
//!
//! progenitor calls `pre` and `exec` hooks around each request (see [`crate::impl_hooks`]);
//! both use the [`Runtime`] the client carries as its inner value:
//!
//! * `pre` adds static headers, an `Idempotency-Key` on writes (when the provider supports
//!   them), credentials (fetching a token if needed), and waits for the pacer;
//! * `exec` sends the request inside one tracing span, retries what is safe to retry (see
//!   [`RetryPolicy`]), refreshes credentials once after a 401, and records what happened in the
//!   call's `Report` so the facade can build a precise [`Error`].
//!
//! Because this lives in the hooks, a request made through `raw()` or the generated CLI gets the
//! same treatment as one made through the facade.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Request, Response};
use tracing::Instrument;

use crate::common::error::{Error, Provider};
use crate::common::lock;
use crate::common::ratelimit::Pacer;
use crate::common::retry::{self, RetryPolicy, RetryQuota};

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

/// Connect, per-attempt and per-call time limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing a connection.
    pub connect: Duration,
    /// One attempt, from sending the request to reading the whole answer.
    pub attempt: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            attempt: Duration::from_secs(30),
        }
    }
}

/// Options for one call (or for every call of a client handle made with
/// `Client::with_options`).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct CallOptions {
    /// Replaces the client's per-attempt timeout.
    pub timeout: Option<Duration>,
    /// Replaces the client's retry policy.
    pub retry: Option<RetryPolicy>,
    /// The `Idempotency-Key` to send on a write (providers that support them); generated when
    /// absent.
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
    /// Idempotency key for this call's write.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }
}

/// Counters of a client (shared by its clones), for reporting.
#[derive(Debug, Default)]
pub struct Stats {
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    renewals: AtomicU64,
}

/// A snapshot of [`Stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// HTTP requests sent (every attempt).
    pub requests: u64,
    /// Attempts that were retries.
    pub retries: u64,
    /// 429 answers received.
    pub throttled: u64,
    /// Credential renewals after a 401.
    pub renewals: u64,
}

impl Stats {
    /// Current values.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            renewals: self.renewals.load(Ordering::Relaxed),
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
    pub(crate) quota: Arc<RetryQuota>,
    pub(crate) stats: Arc<Stats>,
    pub(crate) idempotency_keys: bool,
    pub(crate) auth_statuses: &'static [u16],
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
}

// ---------------------------------------------------------------------------------------------
// Per-call context

/// What happened during one call, filled by the hooks for the facade.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Requests sent.
    pub attempts: u32,
    /// Status of the last answer.
    pub last_status: Option<u16>,
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
}

#[derive(Clone)]
pub(crate) struct CallScope {
    pub options: CallOptions,
    pub report: Arc<Mutex<Report>>,
}

tokio::task_local! {
    static CALL: CallScope;
}

impl CallScope {
    pub(crate) fn new(options: CallOptions) -> Self {
        Self {
            options,
            report: Arc::default(),
        }
    }

    /// Runs `fut` with this scope visible to the hooks.
    pub(crate) async fn run<F: std::future::Future>(self, fut: F) -> F::Output {
        CALL.scope(self, fut).await
    }

    pub(crate) fn take_report(&self) -> Report {
        std::mem::take(&mut *lock(&self.report))
    }
}

fn with_report(f: impl FnOnce(&mut Report)) {
    let _ = CALL.try_with(|scope| f(&mut lock(&scope.report)));
}

fn call_options() -> CallOptions {
    CALL.try_with(|scope| scope.options.clone())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Hooks

/// Includes a provider's generated client (`$OUT_DIR/<provider>.rs`) as `mod generated` and
/// hooks it to the runtime. Generated code is not held to this crate's lints.
#[macro_export]
#[doc(hidden)]
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
        $crate::impl_hooks!(generated::Client);

        /// Command-line interface generated from the spec: one subcommand per operation
        /// (feature `cli`, for the `brc` package; not needed by library users).
        #[cfg(feature = "cli")]
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
    };
}

/// Implements progenitor's `ClientHooks` for a generated client whose inner type is
/// `Arc<Runtime>`, delegating to [`pre`] and [`exec`].
#[macro_export]
#[doc(hidden)]
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

/// Prepares a request: static headers, idempotency key, credentials, pacing.
#[doc(hidden)]
pub async fn pre(
    rt: &Runtime,
    request: &mut Request,
    operation: &'static str,
) -> Result<(), String> {
    // progenitor adds the spec's version as an `api-version` header; none of the providers asks
    // for it, so it is not sent.
    request.headers_mut().remove(API_VERSION);
    for (name, value) in &rt.headers {
        if !request.headers().contains_key(name) {
            request.headers_mut().insert(name.clone(), value.clone());
        }
    }
    if rt.idempotency_keys
        && matches!(
            *request.method(),
            Method::POST | Method::PUT | Method::PATCH | Method::DELETE
        )
    {
        let key = match request.headers().get(&IDEMPOTENCY_KEY) {
            Some(v) => v.to_str().unwrap_or_default().to_owned(),
            None => {
                let key = call_options()
                    .idempotency_key
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                let value = HeaderValue::from_str(&key).map_err(|_| {
                    let e = Error::invalid_input(
                        rt.provider,
                        operation,
                        "idempotency_key",
                        "not a valid header value",
                    );
                    let msg = e.to_string();
                    with_report(|r| r.hook_error = Some(e));
                    msg
                })?;
                request.headers_mut().insert(IDEMPOTENCY_KEY, value);
                key
            }
        };
        with_report(|r| r.idempotency_key = Some(key));
    }
    let hook_failed = |e: Error| {
        let e = e.with_operation(operation);
        let msg = e.to_string();
        with_report(|r| r.hook_error = Some(e));
        msg
    };
    if let Some(auth) = &rt.auth {
        auth.authorize(request).await.map_err(hook_failed)?;
    }
    rt.pacer
        .acquire(request.method())
        .await
        .map_err(hook_failed)?;
    Ok(())
}

/// Sends a request with retries, 401 renewal and tracing.
#[doc(hidden)]
pub async fn exec(
    rt: &Runtime,
    http: &reqwest::Client,
    request: Request,
    operation: &'static str,
) -> reqwest::Result<Response> {
    let span = tracing::debug_span!(
        "brcommerce.call",
        provider = rt.provider.id(),
        operation,
        method = %request.method(),
        path = request.url().path(),
        status = tracing::field::Empty,
        attempts = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    // Boxed: the retry loop's state is large, and the generated futures embed this one.
    Box::pin(exec_inner(rt, http, request).instrument(span)).await
}

async fn exec_inner(
    rt: &Runtime,
    http: &reqwest::Client,
    mut request: Request,
) -> reqwest::Result<Response> {
    let options = call_options();
    let policy = options.retry.as_ref().unwrap_or(&rt.retry);
    let attempt_timeout = options.timeout.unwrap_or(rt.timeouts.attempt);
    let safe = retry::safe_to_repeat(
        request.method(),
        request.headers().contains_key(&IDEMPOTENCY_KEY),
    );
    let started = tokio::time::Instant::now();
    let span = tracing::Span::current();
    let mut attempt: u32 = 0;
    let mut renewed = false;

    let outcome = loop {
        attempt += 1;
        // Keep a copy for a possible retry; bodies here are always in memory.
        let spare = if attempt < policy.max_attempts || !renewed {
            request.try_clone()
        } else {
            None
        };
        *request.timeout_mut() = Some(attempt_timeout);
        rt.stats.requests.fetch_add(1, Ordering::Relaxed);
        if attempt > 1 {
            rt.stats.retries.fetch_add(1, Ordering::Relaxed);
        }
        // The whole answer is read here, inside the retry loop, so a connection that breaks
        // in the middle of the body is retried like any other transport failure.
        let result = match http.execute(request).await {
            Ok(response) => buffered(response).await,
            Err(e) => Err(e),
        };
        with_report(|r| r.attempts += 1);

        let wait = match &result {
            Ok(response) => {
                let status = response.status();
                with_report(|r| r.last_status = Some(status.as_u16()));
                tracing::debug!(attempt, status = status.as_u16(), "answer");
                if status == reqwest::StatusCode::UNAUTHORIZED && !renewed {
                    if let (Some(auth), Some(mut next)) = (&rt.auth, spare) {
                        renewed = true;
                        rt.stats.renewals.fetch_add(1, Ordering::Relaxed);
                        match renew_and_authorize(auth.as_ref(), &mut next).await {
                            Ok(()) => {
                                // A renewal is not a retry of a failure: it does not count.
                                attempt -= 1;
                                request = next;
                                continue;
                            }
                            Err(e) => {
                                with_report(|r| r.hook_error = Some(e));
                                break result;
                            }
                        }
                    }
                    break result;
                }
                if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                    rt.stats.throttled.fetch_add(1, Ordering::Relaxed);
                    let after = retry::retry_after(response.headers(), SystemTime::now());
                    with_report(|r| r.retry_after = after);
                    let wait = after.map(|d| d.min(policy.max_retry_after));
                    if let Some(d) = wait {
                        rt.pacer.pause(d);
                    }
                    // The provider did not process the request: always safe to repeat.
                    Some(wait.unwrap_or_else(|| policy.backoff_for(attempt)))
                } else if retry::transient_status(status) && safe {
                    Some(policy.backoff_for(attempt))
                } else {
                    if attempt == 1 {
                        rt.quota.refund(1);
                    }
                    break result;
                }
            }
            Err(e) => {
                let not_sent = e.is_connect();
                tracing::debug!(attempt, error = %e.without_url_ref(), "transport error");
                if not_sent || safe {
                    Some(policy.backoff_for(attempt))
                } else {
                    with_report(|r| r.may_have_been_applied = true);
                    break result;
                }
            }
        };

        // Decide whether this failure is retried.
        let Some(wait) = wait else { break result };
        let Some(next) = spare else { break result };
        let cost = match &result {
            Err(e) if e.is_timeout() => retry::TIMEOUT_RETRY_COST,
            _ => retry::RETRY_COST,
        };
        let within_budget = started.elapsed() + wait < policy.budget;
        if attempt >= policy.max_attempts || !within_budget || !rt.quota.try_spend(cost) {
            if matches!(&result, Err(e) if !e.is_connect() && !safe) {
                with_report(|r| r.may_have_been_applied = true);
            }
            break result;
        }
        tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "retrying");
        tokio::time::sleep(wait).await;
        if let Err(e) = rt.pacer.acquire(next.method()).await {
            // The pacer refused (e.g. a shared limiter failing closed): report the last
            // failure rather than send unpaced.
            with_report(|r| r.hook_error = Some(e));
            break result;
        }
        drop(result);
        request = next;
    };

    span.record("attempts", attempt);
    span.record("duration_ms", started.elapsed().as_millis() as u64);
    if let Ok(response) = &outcome {
        span.record("status", response.status().as_u16());
    }
    outcome
}

/// Reads the body and rebuilds the response around it, moving the headers and keeping the URL
/// (no copy of the headers, no placeholder URL to parse).
async fn buffered(mut response: Response) -> reqwest::Result<Response> {
    use reqwest::ResponseBuilderExt as _;
    let status = response.status();
    let version = response.version();
    let headers = std::mem::take(response.headers_mut());
    let url = response.url().clone();
    let body = response.bytes().await?;
    let failed = status.is_client_error() || status.is_server_error();
    with_report(|r| r.error_body = failed.then(|| crate::common::error::excerpt(&body)));
    let mut rebuilt = http::Response::builder()
        .url(url)
        .body(body.clone())
        .unwrap_or_else(|_| http::Response::new(body));
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(Response::from(rebuilt))
}

async fn renew_and_authorize(auth: &dyn Authenticator, next: &mut Request) -> Result<(), Error> {
    auth.renew(next).await?;
    auth.authorize(next).await
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
