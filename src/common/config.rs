//! Client configuration shared by every provider.
//!
//! Each provider's `Client::builder(credentials)` returns a [`Builder`] with the settings below;
//! provider-specific settings (a token store, a company id) are added by the provider module.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::common::error::{Error, ErrorKind, Provider};
use crate::common::ratelimit::{LocalPacer, Pacer, RateLimits};
use crate::common::retry::{RetryPolicy, RetryQuota};
use crate::common::runtime::{Authenticator, Runtime, Stats, Timeouts};

/// Settings every client has. Defaults come from the provider.
#[derive(Clone, Default)]
pub struct Options {
    pub(crate) base_url: Option<String>,
    pub(crate) http: Option<reqwest::Client>,
    pub(crate) timeouts: Option<Timeouts>,
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) rate_limits: Option<RateLimits>,
    pub(crate) pacer: Option<Arc<dyn Pacer>>,
    pub(crate) user_agent: Option<String>,
    pub(crate) token_store: Option<Arc<dyn crate::common::token::TokenStore>>,
    pub(crate) max_answer_size: Option<u64>,
    pub(crate) root_certificates: Vec<reqwest::Certificate>,
    pub(crate) drift_sampling: Option<u32>,
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("base_url", &self.base_url)
            .field("custom_http_client", &self.http.is_some())
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("rate_limits", &self.rate_limits)
            .field("pacer", &self.pacer)
            .field("token_store", &self.token_store)
            .field("max_answer_size", &self.max_answer_size)
            .field("root_certificates", &self.root_certificates.len())
            .field("drift_sampling", &self.drift_sampling)
            .finish_non_exhaustive()
    }
}

/// Builds a provider client: credentials plus [`Options`].
pub struct Builder<C> {
    pub(crate) credentials: C,
    pub(crate) options: Options,
}

impl<C: fmt::Debug> fmt::Debug for Builder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("credentials", &self.credentials)
            .field("options", &self.options)
            .finish()
    }
}

impl<C> Builder<C> {
    pub(crate) fn new(credentials: C) -> Self {
        Self {
            credentials,
            options: Options::default(),
        }
    }

    /// Base URL of the API (tests, sandboxes, proxies). Must be HTTPS unless the host is a
    /// loopback address.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.options.base_url = Some(url.into());
        self
    }
    /// Uses this `reqwest` client (its connection pool, proxy and TLS settings) instead of
    /// building one.
    ///
    /// What a client you build yourself does not get from this crate: the connect timeout
    /// ([`Builder::timeouts`]; the per-attempt timeout still applies), the `User-Agent`
    /// ([`Builder::user_agent`]), extra root certificates, and the redirect policy. This crate
    /// follows a redirect only within the provider's origin (same scheme, host and port), so
    /// credentials never travel to another host; build yours with
    /// `reqwest::redirect::Policy::none()` (or a policy as strict). An answer that a custom client
    /// fetched from another origin is refused ([`crate::ErrorKind::Redirect`]), but by then the
    /// credentials were sent there. Retries are this crate's either way; the client this crate
    /// builds speaks HTTP/1.1 and turns reqwest's own retry layer off (it copies every request),
    /// yours keeps whatever you set.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.options.http = Some(client);
        self
    }
    /// Connect and per-attempt timeouts.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.options.timeouts = Some(timeouts);
        self
    }
    /// Per-attempt timeout (keeps the connect timeout).
    pub fn timeout(mut self, attempt: Duration) -> Self {
        let t = self.options.timeouts.unwrap_or_default();
        self.options.timeouts = Some(Timeouts { attempt, ..t });
        self
    }
    /// Retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.options.retry = Some(policy);
        self
    }
    /// Client-side quotas (replaces the provider's defaults).
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.options.rate_limits = Some(limits);
        self
    }
    /// A pacer shared with other clients or processes (replaces the local one).
    pub fn pacer(mut self, pacer: Arc<dyn Pacer>) -> Self {
        self.options.pacer = Some(pacer);
        self
    }
    /// `User-Agent` header (defaults to `brcommerce/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.options.user_agent = Some(user_agent.into());
        self
    }
    /// The largest answer body the client reads, in bytes (default [`MAX_ANSWER_SIZE`], 32 MiB;
    /// the largest real pages are a few MiB). A longer answer fails the call with
    /// [`crate::ErrorKind::TooLarge`] as soon as its announced length or the bytes read pass the
    /// limit, and the connection is dropped, so memory stays bounded whatever the other side
    /// sends.
    pub fn max_answer_size(mut self, bytes: u64) -> Self {
        self.options.max_answer_size = Some(bytes);
        self
    }
    /// How many success answers are compared with the spec to detect drift
    /// ([`crate::common::drift`]): the first of each operation, then one in `one_in` (default
    /// [`DEFAULT_SAMPLING`](crate::common::drift::DEFAULT_SAMPLING), 1,000); `1` compares every
    /// answer, `0` turns drift detection off (repairs and rejected records are then not
    /// recorded either). The findings are in the client's `drift()`.
    pub fn drift_sampling(mut self, one_in: u32) -> Self {
        self.options.drift_sampling = Some(one_in);
        self
    }
    /// Trusts this root certificate as well as the system's (a company proxy, a test server).
    pub fn add_root_certificate(mut self, certificate: reqwest::Certificate) -> Self {
        self.options.root_certificates.push(certificate);
        self
    }
}

/// The default answer size limit: 32 MiB.
pub const MAX_ANSWER_SIZE: u64 = 32 * 1024 * 1024;

/// Credentials of providers that authenticate with OAuth tokens (PluggTo, AppClubMais,
/// ConnectPlug): their builders accept a [`TokenStore`](crate::common::token::TokenStore).
pub trait TokenCredentials {}

impl<C: TokenCredentials> Builder<C> {
    /// Where tokens are kept (default: memory). A [`FileStore`](crate::common::token::FileStore)
    /// survives restarts; a store shared by several processes lets them share one token.
    pub fn token_store(mut self, store: Arc<dyn crate::common::token::TokenStore>) -> Self {
        self.options.token_store = Some(store);
        self
    }
}

/// What a provider module fixes about its clients.
#[derive(Debug, Clone)]
pub(crate) struct ProviderDefaults {
    pub provider: Provider,
    pub base_url: &'static str,
    pub rate_limits: RateLimits,
    pub retry: RetryPolicy,
    /// Statuses that mean "credentials refused" for this provider.
    pub auth_statuses: &'static [u16],
    /// Whether writes carry an `Idempotency-Key`.
    pub idempotency_keys: bool,
    /// The provider's operations (the generated `operations::find`).
    pub operations: crate::common::ops::Lookup,
    /// The provider's schemas (the generated `schemas::find`).
    pub shapes: crate::common::shapes::Lookup,
    /// Every operation of the spec (the generated `operations::ALL`), for drift detection.
    pub all_operations: &'static [crate::common::ops::Operation],
}

/// The parts a provider needs to build its generated client.
pub(crate) struct Assembled {
    pub base_url: String,
    pub http: reqwest::Client,
    pub runtime: Runtime,
}

impl Options {
    /// Validates the options and builds the runtime.
    pub(crate) fn assemble(
        self,
        defaults: &ProviderDefaults,
        headers: HeaderMap,
        auth: Option<Arc<dyn Authenticator>>,
    ) -> Result<Assembled, Error> {
        let base_url = self
            .base_url
            .unwrap_or_else(|| defaults.base_url.to_owned());
        check_base_url(defaults.provider, &base_url)?;
        let timeouts = self.timeouts.unwrap_or_default();
        let http_timeout = self.http.is_none().then_some(timeouts.attempt);
        let http = match self.http {
            Some(http) => http,
            None => build_http(
                &timeouts,
                self.user_agent.as_deref(),
                self.root_certificates,
            )
            .map_err(|e| {
                config_error(
                    defaults.provider,
                    format!("cannot build the HTTP client: {e}"),
                )
            })?,
        };
        let pacer = self.pacer.unwrap_or_else(|| {
            Arc::new(LocalPacer::new(
                self.rate_limits.unwrap_or(defaults.rate_limits),
            ))
        });
        let runtime = Runtime {
            provider: defaults.provider,
            headers,
            auth,
            pacer,
            retry: self.retry.unwrap_or_else(|| defaults.retry.clone()),
            timeouts,
            http_timeout,
            quota: Arc::new(RetryQuota::default()),
            stats: Arc::new(Stats::default()),
            idempotency_keys: defaults.idempotency_keys,
            auth_statuses: defaults.auth_statuses,
            operations: defaults.operations,
            shapes: defaults.shapes,
            options: crate::common::runtime::CallOptions::default(),
            key_guard: None,
            max_answer_size: self.max_answer_size.unwrap_or(MAX_ANSWER_SIZE),
            drift: Arc::new(crate::common::drift::Drift::new(
                defaults.provider,
                defaults.all_operations,
                defaults.shapes,
                self.drift_sampling
                    .unwrap_or(crate::common::drift::DEFAULT_SAMPLING),
            )),
        };
        Ok(Assembled {
            base_url: base_url.trim_end_matches('/').to_owned(),
            http,
            runtime,
        })
    }
}

impl Assembled {
    #[allow(
        dead_code,
        reason = "token-auth machinery: unused in a build without a provider that authenticates with tokens"
    )]
    /// Adds token authentication: `make_fetcher` gets these parts *without* authentication (for
    /// a generated client that calls the token endpoint) and returns the provider's grant.
    pub(crate) fn with_token_auth(
        mut self,
        make_fetcher: impl FnOnce(&Assembled) -> Arc<dyn crate::common::token::TokenFetcher>,
        store: Arc<dyn crate::common::token::TokenStore>,
        placement: crate::common::token::Placement,
        margin: Duration,
    ) -> (Self, crate::common::token::TokenAuth) {
        let fetcher = make_fetcher(&self);
        let auth = crate::common::token::TokenAuth::new(
            self.runtime.provider,
            fetcher,
            store,
            placement,
            margin,
        );
        self.runtime.auth = Some(Arc::new(auth.clone()));
        (self, auth)
    }
}

/// The `reqwest` client this crate builds when none is given: rustls, pooled connections,
/// redirects followed only within the origin, HTTP/1.1.
///
/// Retries are this crate's (`RetryPolicy`), so reqwest's own retry layer is off: it retries
/// only HTTP/2 and HTTP/3 protocol refusals (GOAWAY, REFUSED_STREAM), which an HTTP/1.1 client
/// never gets, yet it copies every request (headers, URL, extensions) in case it might (~600
/// instructions per call, BENCHMARKS.md §1). HTTP/1.1 is what this crate has always spoken (it
/// does not enable reqwest's `http2` feature); `http1_only` keeps it so when another crate of
/// the build enables that feature, so that a refusal reqwest would have retried cannot reach
/// the retry loop as a lost write.
pub(crate) fn build_http(
    timeouts: &Timeouts,
    user_agent: Option<&str>,
    root_certificates: Vec<reqwest::Certificate>,
) -> reqwest::Result<reqwest::Client> {
    let ua = user_agent
        .map(str::to_owned)
        .unwrap_or_else(|| format!("brcommerce/{}", env!("CARGO_PKG_VERSION")));
    let mut builder = reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        // Every request gets this timeout; a call with a longer or shorter one sets its own.
        .timeout(timeouts.attempt)
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(ua)
        .redirect(reqwest::redirect::Policy::custom(same_origin_redirects))
        .http1_only()
        .retry(reqwest::retry::never().max_retries_per_request(0));
    for certificate in root_certificates {
        builder = builder.add_root_certificate(certificate);
    }
    builder.build()
}

/// At most this many redirects within the origin are followed.
const MAX_REDIRECTS: usize = 5;

/// Follows a redirect only to the origin of the first request (same scheme, host and port: so
/// never from HTTPS to HTTP), at most [`MAX_REDIRECTS`] times. reqwest strips the standard
/// `Authorization` and `Cookie` headers on a cross-host redirect, but not the providers' own
/// (`x-Token`, `CPlug-Company-Id`) nor a token in the query string: a stopped redirect becomes
/// [`crate::ErrorKind::Redirect`].
fn same_origin_redirects(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    let same = attempt
        .previous()
        .first()
        .is_some_and(|first| first.origin() == attempt.url().origin());
    if same && attempt.previous().len() <= MAX_REDIRECTS {
        attempt.follow()
    } else {
        attempt.stop()
    }
}

pub(crate) fn config_error(provider: Provider, message: impl Into<String>) -> Error {
    Error::new(
        provider,
        "configure",
        ErrorKind::Config {
            message: message.into(),
        },
    )
}

/// HTTPS is required, except for loopback hosts (local mocks and sandboxes).
pub(crate) fn check_base_url(provider: Provider, base: &str) -> Result<(), Error> {
    let url = url::Url::parse(base)
        .map_err(|e| config_error(provider, format!("base URL {base:?} is not a URL: {e}")))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(config_error(
            provider,
            format!(
                "base URL {base:?} uses plain HTTP; credentials are only sent over HTTPS (plain HTTP is allowed for loopback hosts)"
            ),
        )),
        other => Err(config_error(
            provider,
            format!("base URL {base:?} has unsupported scheme {other:?}"),
        )),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_required_except_loopback() {
        let p = Provider::Ecomdc;
        assert!(check_base_url(p, "https://www.meudatacenter.com/api/v1").is_ok());
        assert!(check_base_url(p, "http://127.0.0.1:8080").is_ok());
        assert!(check_base_url(p, "http://localhost:1").is_ok());
        assert!(check_base_url(p, "http://[::1]:1").is_ok());
        let err = check_base_url(p, "http://www.meudatacenter.com/api/v1").unwrap_err();
        assert!(err.to_string().contains("plain HTTP"), "{err}");
        assert!(check_base_url(p, "ftp://x").is_err());
    }
}
