//! OAuth tokens: how they are fetched, where they are kept, and how concurrent callers share one
//! refresh.
//!
//! A provider supplies a [`TokenFetcher`] (its grant: password, client credentials, refresh);
//! [`TokenAuth`] does the rest:
//!
//! * **single flight**: however many calls find the token missing or about to expire, one
//!   refresh runs (in its own task, so a cancelled caller cannot abandon it half way) and every
//!   waiter gets its result, success or error; after a failure, calls fail fast for a short
//!   cool-down instead of hammering the token endpoint;
//! * **rotation-safe persistence**: the new token set (with the newest refresh token) is saved in
//!   the [`TokenStore`] *before* the new access token is used; if saving fails the token is not
//!   used and the next call tries to save it again (it is never refreshed away);
//! * **401 renewal**: a refused token is renewed once (if nobody renewed it meanwhile) and the
//!   request is repeated once; a second 401 is returned as an error, never a loop.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use reqwest::Request;
use reqwest::header::AUTHORIZATION;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::common::error::{Error, ErrorKind, Provider};
use crate::common::lock;
use crate::common::runtime::Authenticator;
use crate::common::secret::sensitive_header;

/// Tokens as issued by a provider.
#[derive(Clone)]
pub struct TokenSet {
    /// The access token.
    pub access_token: SecretString,
    /// The refresh token, when the provider issues one (PluggTo rotates it on every refresh).
    pub refresh_token: Option<SecretString>,
    /// When the access token expires, if the provider said.
    pub expires_at: Option<SystemTime>,
}

impl TokenSet {
    /// A token set from a token response (`expires_in` seconds from now).
    pub fn issued(
        access_token: String,
        refresh_token: Option<String>,
        expires_in: Option<u64>,
    ) -> Self {
        Self {
            access_token: SecretString::from(access_token),
            refresh_token: refresh_token
                .filter(|r| !r.is_empty())
                .map(SecretString::from),
            expires_at: expires_in.map(|s| SystemTime::now() + Duration::from_secs(s)),
        }
    }

    /// True when the access token expires within `margin`.
    pub fn expires_within(&self, margin: Duration) -> bool {
        self.expires_at
            .is_some_and(|at| at <= SystemTime::now() + margin)
    }

    fn same_access(&self, other: &str) -> bool {
        self.access_token.expose_secret() == other
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The stored form of a token set (a file, a Redis value).
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredTokens {
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    /// Seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
}

impl StoredTokens {
    pub(crate) fn from_set(t: &TokenSet) -> Self {
        Self {
            access_token: t.access_token.expose_secret().to_owned(),
            refresh_token: t
                .refresh_token
                .as_ref()
                .map(|r| r.expose_secret().to_owned()),
            expires_at: t
                .expires_at
                .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_secs()),
        }
    }
    pub(crate) fn into_set(self) -> TokenSet {
        TokenSet {
            access_token: SecretString::from(self.access_token),
            refresh_token: self.refresh_token.map(SecretString::from),
            expires_at: self.expires_at.map(|s| UNIX_EPOCH + Duration::from_secs(s)),
        }
    }
}

/// Where tokens live between calls and across restarts. It always holds the newest refresh
/// token: with rotating refresh tokens, losing it locks the account out.
///
/// A store shared by several processes (e.g. `RedisTokenStore`, feature `redis`) also
/// implements [`lock_refresh`](TokenStore::lock_refresh) and
/// [`unlock_refresh`](TokenStore::unlock_refresh), so that one process at a time refreshes a
/// credential and the others read the token it stored. Process-local stores keep the defaults
/// (no lock: [`TokenAuth`]'s in-process single flight is enough).
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The stored tokens, if any.
    fn load(&self) -> BoxFuture<'_, Result<Option<TokenSet>, Error>>;
    /// Replaces the stored tokens.
    fn save<'a>(&'a self, tokens: &'a TokenSet) -> BoxFuture<'a, Result<(), Error>>;

    /// Called before a refresh: takes the store's refresh lock, waiting (bounded) while another
    /// process holds it. While waiting, a store should check whether the holder stored a token
    /// that is `usable` and return it as [`RefreshLock::Refreshed`] instead of the lock.
    ///
    /// The default does not lock ([`RefreshLock::None`]).
    fn lock_refresh<'a>(&'a self, usable: &'a UsableToken) -> BoxFuture<'a, LockResult> {
        let _ = usable;
        Box::pin(async { Ok(RefreshLock::None) })
    }

    /// Releases a lock taken by [`lock_refresh`](TokenStore::lock_refresh), after the new
    /// tokens were saved (or the refresh failed). The default does nothing.
    fn unlock_refresh(&self, lock: HeldLock) -> BoxFuture<'_, Result<(), Error>> {
        drop(lock);
        Box::pin(async { Ok(()) })
    }
}

/// The check [`TokenStore::lock_refresh`] applies to tokens stored by another process: true when
/// they can be used instead of refreshing.
pub type UsableToken = dyn Fn(&TokenSet) -> bool + Send + Sync;

/// What [`TokenStore::lock_refresh`] returns.
pub type LockResult = Result<RefreshLock, Error>;

/// The outcome of [`TokenStore::lock_refresh`].
#[derive(Debug)]
pub enum RefreshLock {
    /// The store does not coordinate processes: refresh without a lock.
    None,
    /// This process holds the store's refresh lock; pass it to
    /// [`TokenStore::unlock_refresh`] when done.
    Held(HeldLock),
    /// While waiting for the lock, another process stored these usable tokens.
    Refreshed(TokenSet),
}

/// A refresh lock held by this process. Dropping it without
/// [`TokenStore::unlock_refresh`] stops its keep-alive task, so the lock then expires on its
/// own (as when the process dies).
pub struct HeldLock {
    id: String,
    keep_alive: Option<tokio::task::JoinHandle<()>>,
}

impl HeldLock {
    /// A lock identified by `id` (a random value only its holder knows), kept alive by
    /// `keep_alive` (aborted when the lock is released or dropped).
    pub fn new(id: String, keep_alive: Option<tokio::task::JoinHandle<()>>) -> Self {
        Self { id, keep_alive }
    }
    /// The holder's id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        if let Some(k) = self.keep_alive.take() {
            k.abort();
        }
    }
}

impl fmt::Debug for HeldLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeldLock").finish_non_exhaustive()
    }
}

/// Tokens kept in memory only (the default): lost when the process ends.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tokens: Mutex<Option<TokenSet>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
    /// A store that starts with `tokens` (e.g. a refresh token obtained elsewhere).
    pub fn with(tokens: TokenSet) -> Self {
        Self {
            tokens: Mutex::new(Some(tokens)),
        }
    }
}

impl TokenStore for MemoryStore {
    fn load(&self) -> BoxFuture<'_, Result<Option<TokenSet>, Error>> {
        let t = lock(&self.tokens).clone();
        Box::pin(async move { Ok(t) })
    }
    fn save<'a>(&'a self, tokens: &'a TokenSet) -> BoxFuture<'a, Result<(), Error>> {
        *lock(&self.tokens) = Some(tokens.clone());
        Box::pin(async { Ok(()) })
    }
}

/// Tokens kept in a JSON file, written atomically (a temporary file in the same directory,
/// flushed, then renamed over the old one) and readable by the owner only (mode 0600 on Unix).
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
    provider: Provider,
}

impl FileStore {
    /// A store at `path` (created on first save).
    pub fn new(provider: Provider, path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            provider,
        }
    }
    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, what: &str, e: impl fmt::Display) -> Error {
        Error::new(
            self.provider,
            "token_store",
            ErrorKind::Config {
                message: format!("{what} {}: {e}", self.path.display()),
            },
        )
    }

    fn write_atomically(&self, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let result = (|| {
            let mut file = options.open(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            std::fs::rename(&tmp, &self.path)?;
            // Make the rename itself durable.
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

impl TokenStore for FileStore {
    fn load(&self) -> BoxFuture<'_, Result<Option<TokenSet>, Error>> {
        Box::pin(async move {
            let path = self.path.clone();
            let read = tokio::task::spawn_blocking(move || std::fs::read(path))
                .await
                .map_err(|e| self.error("cannot read", e))?;
            match read {
                Ok(bytes) => serde_json::from_slice::<StoredTokens>(&bytes)
                    .map(|s| Some(s.into_set()))
                    .map_err(|e| self.error("cannot parse", e)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(self.error("cannot read", e)),
            }
        })
    }

    fn save<'a>(&'a self, tokens: &'a TokenSet) -> BoxFuture<'a, Result<(), Error>> {
        let bytes = serde_json::to_vec_pretty(&StoredTokens::from_set(tokens));
        Box::pin(async move {
            let bytes = bytes.map_err(|e| self.error("cannot encode tokens for", e))?;
            let store = self.clone();
            tokio::task::spawn_blocking(move || store.write_atomically(&bytes))
                .await
                .map_err(|e| self.error("cannot write", e))?
                .map_err(|e| self.error("cannot write", e))
        })
    }
}

/// A provider's token grant.
pub trait TokenFetcher: Send + Sync + fmt::Debug + 'static {
    /// Obtains new tokens: with `previous.refresh_token` (refresh grant) when there is one and
    /// the provider supports it, otherwise with the primary grant (password, client
    /// credentials). Implementations may fall back from a refused refresh to the primary grant.
    fn fetch<'a>(
        &'a self,
        previous: Option<&'a TokenSet>,
    ) -> BoxFuture<'a, Result<TokenSet, Error>>;
}

/// How the access token travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// A query parameter with this name (PluggTo: `access_token`).
    Query(&'static str),
}

type Flight = Shared<BoxFuture<'static, Result<TokenSet, Arc<Error>>>>;

struct State {
    current: Option<TokenSet>,
    /// A token obtained but not yet saved (the save failed): save before use.
    unsaved: Option<TokenSet>,
    flight: Option<Flight>,
    failed: Option<(tokio::time::Instant, Arc<Error>)>,
}

struct Inner {
    provider: Provider,
    fetcher: Arc<dyn TokenFetcher>,
    store: Arc<dyn TokenStore>,
    placement: Placement,
    margin: Duration,
    cooldown: Duration,
    state: Mutex<State>,
    fetches: std::sync::atomic::AtomicU64,
}

/// Token-based [`Authenticator`] with single-flight refresh; see the module docs.
#[derive(Clone)]
pub struct TokenAuth {
    inner: Arc<Inner>,
}

impl fmt::Debug for TokenAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenAuth")
            .field("provider", &self.inner.provider)
            .field("placement", &self.inner.placement)
            .field("store", &self.inner.store)
            .field("fetcher", &self.inner.fetcher)
            .finish_non_exhaustive()
    }
}

impl TokenAuth {
    /// Tokens from `fetcher`, kept in `store`, sent as `placement`. Tokens are renewed when they
    /// expire within `margin`.
    pub fn new(
        provider: Provider,
        fetcher: Arc<dyn TokenFetcher>,
        store: Arc<dyn TokenStore>,
        placement: Placement,
        margin: Duration,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                provider,
                fetcher,
                store,
                placement,
                margin,
                cooldown: Duration::from_secs(1),
                state: Mutex::new(State {
                    current: None,
                    unsaved: None,
                    flight: None,
                    failed: None,
                }),
                fetches: std::sync::atomic::AtomicU64::new(0),
            }),
        }
    }

    /// How many times the token endpoint was called (for tests and reports).
    pub fn fetch_count(&self) -> u64 {
        self.inner
            .fetches
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A valid access token, refreshing (once, for all callers) when needed.
    ///
    /// # Errors
    /// [`ErrorKind::Auth`] when no token can be obtained or saved.
    pub async fn access_token(&self) -> Result<SecretString, Error> {
        Ok(self.token_set(None).await?.access_token)
    }

    /// The current token set; `stale` is a token that the provider refused and must not be
    /// returned again.
    async fn token_set(&self, stale: Option<&str>) -> Result<TokenSet, Error> {
        let flight = {
            let mut st = lock(&self.inner.state);
            if let Some(t) = st.current.as_ref().filter(|t| {
                !t.expires_within(self.inner.margin) && stale.is_none_or(|s| !t.same_access(s))
            }) {
                return Ok(t.clone());
            }
            if let Some((at, err)) = &st.failed
                && at.elapsed() < self.inner.cooldown
                && st.flight.is_none()
            {
                return Err(err.duplicate());
            }
            match &st.flight {
                Some(f) => f.clone(),
                None => {
                    let f = self.start_flight(&mut st, stale.map(str::to_owned));
                    st.flight = Some(f.clone());
                    f
                }
            }
        };
        flight.await.map_err(|e| e.duplicate())
    }

    fn start_flight(&self, st: &mut State, stale: Option<String>) -> Flight {
        let inner = self.inner.clone();
        let previous = st.current.clone();
        let unsaved = st.unsaved.take();
        let task = tokio::spawn(async move {
            let result = refresh(&inner, previous, unsaved, stale).await;
            let mut st = lock(&inner.state);
            st.flight = None;
            match &result {
                Ok(t) => {
                    st.current = Some(t.clone());
                    st.failed = None;
                }
                Err(e) => st.failed = Some((tokio::time::Instant::now(), e.clone())),
            }
            result
        });
        let provider = self.inner.provider;
        async move {
            task.await.unwrap_or_else(|e| {
                Err(Arc::new(auth_error(
                    provider,
                    format!("token refresh task failed: {e}"),
                )))
            })
        }
        .boxed()
        .shared()
    }
}

async fn refresh(
    inner: &Inner,
    previous: Option<TokenSet>,
    unsaved: Option<TokenSet>,
    stale: Option<String>,
) -> Result<TokenSet, Arc<Error>> {
    let margin = inner.margin;
    let usable = move |t: &TokenSet| {
        !t.expires_within(margin) && stale.as_deref().is_none_or(|s| !t.same_access(s))
    };
    // A token we could not save last time: save it now, then use it. If saving fails again it
    // is kept for the next attempt (it may hold the only valid refresh token).
    if let Some(t) = unsaved {
        if let Err(e) = save(inner, &t).await {
            lock(&inner.state).unsaved = Some(t);
            return Err(Arc::new(e));
        }
        if usable(&t) {
            return Ok(t);
        }
    }
    // One process at a time refreshes a credential held in a shared store.
    let held = match inner.store.lock_refresh(&usable).await.map_err(Arc::new)? {
        RefreshLock::Refreshed(t) => return Ok(t),
        RefreshLock::Held(h) => Some(h),
        RefreshLock::None => None,
    };
    let result = refresh_locked(inner, previous, &usable).await;
    if let Some(h) = held
        && let Err(e) = inner.store.unlock_refresh(h).await
    {
        // The lock expires on its own; the tokens are already saved.
        tracing::warn!(provider = inner.provider.id(), error = %e, "could not release the token refresh lock");
    }
    result
}

async fn refresh_locked(
    inner: &Inner,
    previous: Option<TokenSet>,
    usable: &(dyn Fn(&TokenSet) -> bool + Send + Sync),
) -> Result<TokenSet, Arc<Error>> {
    // Another process (or an earlier run) may have stored a newer token: prefer it.
    let stored = inner.store.load().await.map_err(Arc::new)?;
    if let Some(t) = stored.as_ref().filter(|t| usable(t)) {
        return Ok(t.clone());
    }
    let base = stored.or(previous);
    inner
        .fetches
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let fresh = inner.fetcher.fetch(base.as_ref()).await.map_err(Arc::new)?;
    // Keep the rotated refresh token when the provider did not send a new one.
    let fresh = TokenSet {
        refresh_token: fresh
            .refresh_token
            .or_else(|| base.and_then(|b| b.refresh_token)),
        ..fresh
    };
    if let Err(e) = save(inner, &fresh).await {
        lock(&inner.state).unsaved = Some(fresh);
        return Err(Arc::new(e));
    }
    Ok(fresh)
}

async fn save(inner: &Inner, t: &TokenSet) -> Result<(), Error> {
    inner.store.save(t).await.map_err(|e| {
        auth_error(
            inner.provider,
            format!("a new token was issued but could not be saved, so it was not used: {e}"),
        )
    })
}

fn auth_error(provider: Provider, message: String) -> Error {
    Error::new(
        provider,
        "token",
        ErrorKind::Auth {
            status: None,
            message,
        },
    )
}

impl TokenAuth {
    fn sent_token(&self, request: &Request) -> Option<String> {
        match self.inner.placement {
            Placement::Bearer => request
                .headers()
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::to_owned),
            Placement::Query(name) => request
                .url()
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned()),
        }
    }

    fn apply(&self, request: &mut Request, token: &SecretString) -> Result<(), Error> {
        match self.inner.placement {
            Placement::Bearer => {
                let value = sensitive_header(&format!("Bearer {}", token.expose_secret()))
                    .map_err(|_| {
                        auth_error(
                            self.inner.provider,
                            "the access token is not a valid header value".into(),
                        )
                    })?;
                request.headers_mut().insert(AUTHORIZATION, value);
            }
            Placement::Query(name) => {
                let url = request.url_mut();
                let kept: Vec<(String, String)> = url
                    .query_pairs()
                    .filter(|(k, _)| k != name)
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                let mut pairs = url.query_pairs_mut();
                pairs.clear();
                for (k, v) in &kept {
                    pairs.append_pair(k, v);
                }
                pairs.append_pair(name, token.expose_secret());
            }
        }
        Ok(())
    }
}

impl Authenticator for TokenAuth {
    fn authorize<'a>(&'a self, request: &'a mut Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let token = self.access_token().await?;
            self.apply(request, &token)
        })
    }

    fn renew<'a>(&'a self, sent: &'a Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let stale = self.sent_token(sent);
            self.token_set(Some(stale.as_deref().unwrap_or("")))
                .await
                .map(|_| ())
        })
    }
}

impl Error {
    /// A copy of this error for another waiter of the same failed refresh (the source becomes
    /// text).
    pub(crate) fn duplicate(&self) -> Error {
        let mut copy = Error::new(
            self.provider(),
            self.operation().to_owned(),
            self.kind().clone(),
        )
        .with_attempts(self.attempts());
        if let Some(src) = std::error::Error::source(self) {
            copy = copy.with_source(SourceText(src.to_string()));
        }
        copy
    }
}

#[derive(Debug)]
struct SourceText(String);
impl fmt::Display for SourceText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for SourceText {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Debug)]
    struct Counting {
        calls: AtomicU32,
        fail: bool,
        delay: Duration,
    }

    impl TokenFetcher for Counting {
        fn fetch<'a>(
            &'a self,
            previous: Option<&'a TokenSet>,
        ) -> BoxFuture<'a, Result<TokenSet, Error>> {
            Box::pin(async move {
                tokio::time::sleep(self.delay).await;
                let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
                if self.fail {
                    return Err(auth_error(Provider::Pluggto, "refresh refused".into()));
                }
                let rt = previous
                    .and_then(|p| p.refresh_token.as_ref())
                    .map(|r| r.expose_secret().to_owned());
                Ok(TokenSet::issued(
                    format!("access-{n}"),
                    Some(format!("refresh-{n}-from-{rt:?}")),
                    Some(3600),
                ))
            })
        }
    }

    fn auth(fetcher: Arc<Counting>, store: Arc<dyn TokenStore>) -> TokenAuth {
        TokenAuth::new(
            Provider::Pluggto,
            fetcher,
            store,
            Placement::Query("access_token"),
            Duration::from_secs(60),
        )
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_refresh() {
        let fetcher = Arc::new(Counting {
            calls: AtomicU32::new(0),
            fail: false,
            delay: Duration::from_millis(20),
        });
        let a = auth(fetcher.clone(), Arc::new(MemoryStore::new()));
        let tokens = futures::future::join_all((0..200).map(|_| a.access_token())).await;
        assert!(
            tokens
                .iter()
                .all(|t| t.as_ref().unwrap().expose_secret() == "access-1")
        );
        assert_eq!(fetcher.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_refresh_reaches_every_waiter_once() {
        let fetcher = Arc::new(Counting {
            calls: AtomicU32::new(0),
            fail: true,
            delay: Duration::from_millis(20),
        });
        let a = auth(fetcher.clone(), Arc::new(MemoryStore::new()));
        let results = futures::future::join_all((0..100).map(|_| a.access_token())).await;
        assert!(
            results
                .iter()
                .all(|r| matches!(r.as_ref().unwrap_err().kind(), ErrorKind::Auth { .. }))
        );
        assert_eq!(fetcher.calls.load(Ordering::SeqCst), 1);
        // Within the cool-down, new callers fail fast without calling the endpoint.
        assert!(a.access_token().await.is_err());
        assert_eq!(fetcher.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_expiring_token_is_refreshed_with_its_refresh_token_and_saved_first() {
        let store = Arc::new(MemoryStore::with(TokenSet {
            access_token: SecretString::from("old".to_owned()),
            refresh_token: Some(SecretString::from("r0".to_owned())),
            expires_at: Some(SystemTime::now() + Duration::from_secs(10)),
        }));
        let fetcher = Arc::new(Counting {
            calls: AtomicU32::new(0),
            fail: false,
            delay: Duration::ZERO,
        });
        let a = auth(fetcher, store.clone());
        assert_eq!(a.access_token().await.unwrap().expose_secret(), "access-1");
        let saved = store.load().await.unwrap().unwrap();
        assert_eq!(
            saved.refresh_token.unwrap().expose_secret(),
            "refresh-1-from-Some(\"r0\")"
        );
    }

    #[tokio::test]
    async fn file_store_is_atomic_and_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        let store = FileStore::new(Provider::Pluggto, &path);
        assert!(store.load().await.unwrap().is_none());
        let t = TokenSet::issued("a".into(), Some("r".into()), Some(60));
        store.save(&t).await.unwrap();
        let back = store.load().await.unwrap().unwrap();
        assert_eq!(back.refresh_token.as_ref().unwrap().expose_secret(), "r");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        // No temporary files are left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(!format!("{back:?}").contains("\"a\""));
    }
}
