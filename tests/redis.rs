//! Several client instances sharing state through a real `redis-server` (feature `redis`): one
//! quota for four ecomDC instances, one refresh for four PluggTo instances, a replica killed
//! mid-refresh, Redis going down mid-run with each `Fallback`, round trips and redaction.
//!
//! The harness starts `redis-server` itself on a free 127.0.0.1 port (no persistence) and stops
//! it when the test ends. Install it with `apt-get install -y redis-server`.

mod common;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brcommerce::common::ratelimit::{Rate, RateLimits};
use brcommerce::common::redis::{Fallback, RedisConnection, RedisPacer, RedisTokenStore};
use brcommerce::common::token::{TokenSet, TokenStore};
use brcommerce::{ErrorKind, Provider};
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use secrecy::ExposeSecret;
use serde_json::json;

// ------------------------------------------------------------------------------------------
// Harness

#[path = "support/redis_server.rs"]
mod redis_server;
use redis_server::RedisServer;

/// What the tests read from the server besides the shared harness.
trait RedisServerExt {
    fn connection(&self) -> RedisConnection;
    async fn get(&self, key: &str) -> Option<String>;
    async fn pttl(&self, key: &str) -> i64;
}

impl RedisServerExt for RedisServer {
    fn connection(&self) -> RedisConnection {
        RedisConnection::open(&self.url())
            .unwrap()
            .timeout(Duration::from_millis(500))
    }

    /// A raw value, read directly.
    async fn get(&self, key: &str) -> Option<String> {
        let client = redis::Client::open(self.url()).unwrap();
        let mut c = client.get_multiplexed_async_connection().await.unwrap();
        redis::cmd("GET")
            .arg(key)
            .query_async(&mut c)
            .await
            .unwrap()
    }

    async fn pttl(&self, key: &str) -> i64 {
        let client = redis::Client::open(self.url()).unwrap();
        let mut c = client.get_multiplexed_async_connection().await.unwrap();
        redis::cmd("PTTL")
            .arg(key)
            .query_async(&mut c)
            .await
            .unwrap()
    }
}

fn expired(access: &str, refresh: &str) -> TokenSet {
    TokenSet::issued(access.into(), Some(refresh.into()), Some(0))
}

fn refresh_token_of(json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["refresh_token"].as_str().unwrap().to_owned()
}

// ------------------------------------------------------------------------------------------
// ecomDC: one quota for several instances

/// An ecomDC mock that records when each request arrived.
async fn counting_ecomdc() -> (String, Arc<Mutex<Vec<Instant>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = axum::Router::new().fallback(move || {
        let record = record.clone();
        async move {
            record.lock().unwrap().push(Instant::now());
            axum::Json(json!({"estoque": 1}))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

fn ecomdc(base: &str, pacer: RedisPacer) -> brcommerce::ecomdc::Client {
    brcommerce::ecomdc::Client::builder(brcommerce::ecomdc::Credentials::new("1", "t"))
        .base_url(base)
        .retry(common::fast_retry())
        .pacer(Arc::new(pacer))
        .build()
        .unwrap()
}

/// The largest number of requests that arrived within any `window`.
fn busiest(times: &[Instant], window: Duration) -> usize {
    let mut times = times.to_vec();
    times.sort();
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| **t - times[i] <= window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_pacer_four_ecomdc_instances_stay_within_one_shared_quota() {
    let redis = RedisServer::start();
    let (base, seen) = counting_ecomdc().await;
    // 20 per second stands in for 60 per minute.
    let limits = RateLimits::default().get(Rate::per_second(20));
    let started = Instant::now();
    let instances = (0..4).map(|_| {
        // Each instance has its own connection, as separate processes would.
        let c = ecomdc(
            &base,
            RedisPacer::new(&redis.connection(), Provider::Ecomdc, "3566", limits),
        );
        tokio::spawn(async move {
            for _ in 0..10 {
                c.stock("A").await.unwrap();
            }
        })
    });
    for r in futures::future::join_all(instances).await {
        r.unwrap();
    }
    let took = started.elapsed();
    let times = seen.lock().unwrap().clone();
    assert_eq!(times.len(), 40);
    // 40 requests at 20/s need 39 intervals of 50 ms; four local limiters would take ~450 ms.
    assert!(took >= Duration::from_millis(1900), "took {took:?}");
    assert!(took < Duration::from_secs(6), "took {took:?}");
    // Within any second (less 50 ms for network jitter), at most 20 requests arrived.
    let most = busiest(&times, Duration::from_millis(950));
    assert!(most <= 20, "{most} requests within 950 ms");
    // One script call per request books its slot (plus, per connection, at most one EVAL after
    // a NOSCRIPT): waiting calls do not poll Redis.
    let calls = redis.script_calls();
    assert!(
        (40..=48).contains(&calls),
        "{calls} script calls for 40 requests"
    );
}

#[tokio::test]
async fn redis_down_pacer_fail_closed_refuses_calls_naming_the_provider() {
    let mut redis = RedisServer::start();
    let (base, seen) = counting_ecomdc().await;
    let limits = RateLimits::default().get(Rate::per_second(50));
    let c = ecomdc(
        &base,
        RedisPacer::new(&redis.connection(), Provider::Ecomdc, "3566", limits),
    );
    c.stock("A").await.unwrap();
    redis.kill();
    let err = c.stock("A").await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::SharedState { .. }),
        "{err:?}"
    );
    assert_eq!(err.provider(), Provider::Ecomdc);
    assert!(err.to_string().contains("ecomDC"), "{err}");
    assert!(err.is_transient());
    // Nothing was sent outside the shared quota.
    assert_eq!(seen.lock().unwrap().len(), 1);
    // Redis back: calls go through again.
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(5);
    while c.stock("A").await.is_err() {
        assert!(
            Instant::now() < deadline,
            "no recovery after Redis restarted"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn redis_down_pacer_local_fallback_keeps_pacing_in_process() {
    let mut redis = RedisServer::start();
    let (base, seen) = counting_ecomdc().await;
    let limits = RateLimits::default().get(Rate::per_second(10));
    let c = ecomdc(
        &base,
        RedisPacer::new(&redis.connection(), Provider::Ecomdc, "3566", limits)
            .fallback(Fallback::Local),
    );
    c.stock("A").await.unwrap();
    redis.kill();
    let started = Instant::now();
    for _ in 0..5 {
        c.stock("A").await.unwrap();
    }
    let took = started.elapsed();
    assert_eq!(seen.lock().unwrap().len(), 6);
    // The local limiter keeps 10/s: 5 requests need at least 4 intervals of 100 ms.
    assert!(took >= Duration::from_millis(390), "not paced: {took:?}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

// ------------------------------------------------------------------------------------------
// PluggTo: one refresh for several instances

const CLIENT_SECRET: &str = "pt-secret-9c8b7a";

fn pluggto(server: &MockServer, store: RedisTokenStore) -> brcommerce::pluggto::Client {
    brcommerce::pluggto::Client::builder(brcommerce::pluggto::Credentials::password(
        "plugin-1",
        CLIENT_SECRET,
        "api-user",
        "pt-pass-6d5e4f",
    ))
    .base_url(server.base_url())
    .retry(common::fast_retry())
    .token_store(Arc::new(store))
    .build()
    .unwrap()
}

fn store(redis: &RedisServer) -> RedisTokenStore {
    RedisTokenStore::new(&redis.connection(), Provider::Pluggto, "plugin-1/api-user")
}

async fn order_with<'a>(server: &'a MockServer, access: &str) -> httpmock::Mock<'a> {
    let access = access.to_owned();
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/orders/o1")
                .header("authorization", format!("Bearer {access}"));
            then.status(200)
                .json_body(common::response_example("pluggto", "get_order", "200"));
        })
        .await
}

async fn refresh_mock<'a>(
    server: &'a MockServer,
    from: &str,
    access: &str,
    to: &str,
    delay: Duration,
) -> httpmock::Mock<'a> {
    let (from, access, to) = (from.to_owned(), access.to_owned(), to.to_owned());
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth/token")
                .body_includes(format!("refresh_token={from}"));
            then.status(200).delay(delay).json_body(
                json!({"access_token": access, "refresh_token": to, "expires_in": 3600}),
            );
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_token_store_four_pluggto_instances_make_exactly_one_refresh() {
    let redis = RedisServer::start();
    let server = MockServer::start_async().await;
    let refresh = refresh_mock(&server, "r0", "a1", "r1", Duration::from_millis(300)).await;
    let with_a1 = order_with(&server, "a1").await;
    store(&redis).save(&expired("old", "r0")).await.unwrap();

    let clients: Vec<_> = (0..4).map(|_| pluggto(&server, store(&redis))).collect();
    let calls = clients.iter().flat_map(|c| {
        (0..5).map(move |_| {
            let c = c.clone();
            tokio::spawn(async move { c.order("o1").await })
        })
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    assert_eq!(refresh.calls_async().await, 1);
    assert_eq!(clients.iter().map(|c| c.token_requests()).sum::<u64>(), 1);
    assert_eq!(with_a1.calls_async().await, 20);
    let stored = redis.get(store(&redis).key()).await.unwrap();
    assert_eq!(refresh_token_of(&stored), "r1");
    // The lock was released.
    assert_eq!(redis.get(store(&redis).lock_key()).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_replica_mid_refresh_keeps_the_newest_refresh_token_and_the_lock_expires() {
    let redis = RedisServer::start();
    let server = MockServer::start_async().await;
    // The provider hangs on the first replica's refresh.
    let hanging = refresh_mock(&server, "r0", "a1", "r1", Duration::from_secs(30)).await;
    store(&redis).save(&expired("old", "r0")).await.unwrap();
    let lock_key = store(&redis).lock_key().to_owned();
    let ttl = Duration::from_millis(1000);

    // Replica A: its own runtime, shut down mid-refresh like a killed process.
    let replica = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let a = pluggto(&server, store(&redis).lock_ttl(ttl));
    replica.spawn(async move {
        let _ = a.order("o1").await;
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while redis.get(&lock_key).await.is_none() {
        assert!(Instant::now() < deadline, "replica A never took the lock");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Let A's keep-alive run at least once, then kill it while its refresh hangs.
    tokio::time::sleep(ttl / 2).await;
    replica.shutdown_background();
    let killed = Instant::now();

    // The lock is still held (nobody released it) and the stored refresh token is intact.
    assert!(redis.pttl(&lock_key).await > 0);
    let stored = redis.get(store(&redis).key()).await.unwrap();
    assert_eq!(refresh_token_of(&stored), "r0");

    // The provider answers again; replica B waits for the lock to expire, then refreshes with
    // the newest refresh token.
    hanging.delete_async().await;
    let refresh = refresh_mock(&server, "r0", "a2", "r2", Duration::ZERO).await;
    let with_a2 = order_with(&server, "a2").await;
    let b = pluggto(&server, store(&redis).lock_ttl(ttl));
    b.order("o1").await.unwrap();
    let waited = killed.elapsed();
    assert!(waited >= ttl / 3, "B did not wait for the lock: {waited:?}");
    assert!(waited < ttl * 3, "the lock did not expire: {waited:?}");
    assert_eq!(refresh.calls_async().await, 1);
    assert_eq!(with_a2.calls_async().await, 1);
    let stored = redis.get(store(&redis).key()).await.unwrap();
    assert_eq!(refresh_token_of(&stored), "r2");
    assert_eq!(redis.get(&lock_key).await, None);
}

/// A token usable for one to two seconds (PluggTo renews two minutes before expiry; stored
/// expiry times are whole seconds).
fn nearly_expired(access: &str, refresh: &str) -> TokenSet {
    TokenSet::issued(access.into(), Some(refresh.into()), Some(122))
}

#[tokio::test]
async fn redis_down_token_store_fail_closed_does_not_refresh() {
    let mut redis = RedisServer::start();
    let server = MockServer::start_async().await;
    let refresh = refresh_mock(&server, "r0", "a1", "r1", Duration::ZERO).await;
    let password = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth/token")
                .body_includes("grant_type=password");
            then.status(200)
                .json_body(json!({"access_token": "p", "refresh_token": "rp"}));
        })
        .await;
    let with_a0 = order_with(&server, "a0").await;
    store(&redis)
        .save(&nearly_expired("a0", "r0"))
        .await
        .unwrap();
    let c = pluggto(&server, store(&redis));
    c.order("o1").await.unwrap();
    assert_eq!(with_a0.calls_async().await, 1);
    assert_eq!(refresh.calls_async().await, 0);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    redis.kill();
    // The token needs renewing, but a new refresh token could not be stored: no refresh.
    let err = c.order("o1").await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::SharedState { .. }),
        "{err:?}"
    );
    assert_eq!(err.provider(), Provider::Pluggto);
    assert!(err.to_string().contains("PluggTo"), "{err}");
    assert_eq!(refresh.calls_async().await, 0);
    assert_eq!(password.calls_async().await, 0);
}

#[tokio::test]
async fn redis_down_token_store_local_fallback_refreshes_alone_and_writes_the_token_back() {
    let mut redis = RedisServer::start();
    let server = MockServer::start_async().await;
    let refresh = refresh_mock(&server, "r0", "a1", "r1", Duration::ZERO).await;
    let with_a0 = order_with(&server, "a0").await;
    let with_a1 = order_with(&server, "a1").await;
    store(&redis)
        .save(&nearly_expired("a0", "r0"))
        .await
        .unwrap();
    let c = pluggto(&server, store(&redis).fallback(Fallback::Local));
    c.order("o1").await.unwrap();
    assert_eq!(with_a0.calls_async().await, 1);
    assert_eq!(refresh.calls_async().await, 0);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    redis.kill();
    // Refreshed in process with the last known refresh token.
    c.order("o1").await.unwrap();
    assert_eq!(refresh.calls_async().await, 1);
    assert_eq!(with_a1.calls_async().await, 1);
    // Redis comes back (empty): the rotated refresh token is written back, not lost.
    redis.restart();
    let key = store(&redis).key().to_owned();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(stored) = redis.get(&key).await {
            assert_eq!(refresh_token_of(&stored), "r1");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the refreshed token was not written back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ------------------------------------------------------------------------------------------
// Round trip and redaction

#[tokio::test]
async fn redis_token_store_round_trip_per_provider_and_credential() {
    let redis = RedisServer::start();
    let conn = redis.connection().prefix("test");
    let a = RedisTokenStore::new(&conn, Provider::Pluggto, "cred-a");
    let b = RedisTokenStore::new(&conn, Provider::Pluggto, "cred-b");
    let other = RedisTokenStore::new(&conn, Provider::Appclubmais, "cred-a");
    assert_eq!(a.key(), "test:token:pluggto:cred-a");
    assert!(a.load().await.unwrap().is_none());

    let t = TokenSet::issued("acc-1".into(), Some("ref-1".into()), Some(3600));
    a.save(&t).await.unwrap();
    let back = a.load().await.unwrap().unwrap();
    assert_eq!(back.access_token.expose_secret(), "acc-1");
    assert_eq!(back.refresh_token.unwrap().expose_secret(), "ref-1");
    let secs = |t: &TokenSet| {
        t.expires_at
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    assert_eq!(secs(&a.load().await.unwrap().unwrap()), secs(&t));
    // Other credentials and providers are separate.
    assert!(b.load().await.unwrap().is_none());
    assert!(other.load().await.unwrap().is_none());
    // Without a refresh token or expiry.
    b.save(&TokenSet::issued("acc-b".into(), None, None))
        .await
        .unwrap();
    let back = b.load().await.unwrap().unwrap();
    assert!(back.refresh_token.is_none() && back.expires_at.is_none());
    // Another instance sees the same tokens.
    let again = RedisTokenStore::new(
        &redis.connection().prefix("test"),
        Provider::Pluggto,
        "cred-a",
    );
    assert_eq!(
        again
            .load()
            .await
            .unwrap()
            .unwrap()
            .access_token
            .expose_secret(),
        "acc-1"
    );
}

#[tokio::test]
async fn redis_secrets_are_redacted_in_debug_and_errors() {
    let redis = RedisServer::start();
    // A password in the URL, and a port where nothing listens.
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conn = RedisConnection::open(&format!("redis://:hunter2-pass@127.0.0.1:{dead}"))
        .unwrap()
        .timeout(Duration::from_millis(300));
    let s = RedisTokenStore::new(&conn, Provider::Pluggto, "cred");
    let p = RedisPacer::new(&conn, Provider::Ecomdc, "3566", RateLimits::unlimited());
    let t = TokenSet::issued("acc-secret-1".into(), Some("ref-secret-1".into()), Some(60));
    let err = s.save(&t).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::SharedState { .. }),
        "{err:?}"
    );
    let pacer_err = brcommerce::common::ratelimit::Pacer::acquire(&p, &reqwest::Method::GET)
        .await
        .unwrap_err();
    for text in [
        format!("{s:?}"),
        format!("{p:?}"),
        format!("{conn:?}"),
        format!("{err:?}"),
        err.to_string(),
        format!("{pacer_err:?}"),
        pacer_err.to_string(),
    ] {
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("secret-1"), "{text}");
    }
    // Stored tokens read back from Redis are redacted too.
    let live = store(&redis);
    live.save(&t).await.unwrap();
    let back = format!("{:?}", live.load().await.unwrap().unwrap());
    assert!(!back.contains("secret-1"), "{back}");
    let c = pluggto(&MockServer::start_async().await, store(&redis));
    assert!(!format!("{c:?}").contains("secret-1"));
    assert!(!format!("{c:?}").contains(CLIENT_SECRET));
}
