//! The Redis Streams queue with a real `redis-server` (started by the harness on a free
//! 127.0.0.1 port; install it with `apt-get install -y redis-server`).

#[path = "../support/redis_server.rs"]
#[allow(dead_code)]
mod redis_server;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use brcommerce::common::redis::RedisConnection;
use brcommerce::webhooks::{Builder, Event, HandlerError, Payload, Receiver, RedisQueue};
use futures::StreamExt;
use redis_server::RedisServer;
use serde_json::json;

use super::{TOKEN, eventually, post, serve};

/// (instance, notification id, attempt) for every handler call.
type Log = Arc<Mutex<Vec<(usize, String, u32)>>>;

fn id_of(event: &Event) -> String {
    match event.payload() {
        Payload::Pluggto(n) => n.id.to_string(),
        other => panic!("{other:?}"),
    }
}

fn instance(
    redis: &RedisServer,
    queue: &str,
    index: usize,
    log: &Log,
    delay: Duration,
    configure: impl FnOnce(Builder) -> Builder,
) -> Receiver {
    let conn = RedisConnection::open(&redis.url()).unwrap();
    let log = log.clone();
    let handler = move |event: Event| {
        let log = log.clone();
        async move {
            log.lock()
                .unwrap()
                .push((index, id_of(&event), event.attempt()));
            tokio::time::sleep(delay).await;
            Ok::<(), HandlerError>(())
        }
    };
    let builder = Receiver::builder(handler)
        .path_token(TOKEN)
        .redis_queue(RedisQueue::new(&conn, queue).claim_idle(Duration::from_millis(400)))
        .retries(3, Duration::from_millis(10), Duration::from_millis(50));
    configure(builder).start().unwrap()
}

fn notification(id: &str) -> String {
    json!({"type": "orders", "id": id, "action": "updated", "user": 1, "changes": {"status": true}})
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_stream() {
    let redis = RedisServer::start();
    let log = Log::default();
    let a = instance(&redis, "shared", 0, &log, Duration::from_millis(20), |b| {
        b.concurrency(2)
    });
    let b = instance(&redis, "shared", 1, &log, Duration::from_millis(20), |b| {
        b.concurrency(2)
    });
    let urls = [serve(&a).await, serve(&b).await];
    for i in 0..60 {
        // Everything goes to instance A's endpoint: B still gets its share from the stream.
        let r = post(
            &format!("{}/{TOKEN}/pluggto", urls[0]),
            notification(&format!("o{i}")),
        )
        .await;
        assert_eq!(r.status(), 200);
    }
    eventually("all handled", || log.lock().unwrap().len() >= 60).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = log.lock().unwrap().clone();
    let ids: HashSet<_> = log.iter().map(|(_, id, _)| id.clone()).collect();
    assert_eq!((log.len(), ids.len()), (60, 60), "each event once");
    let by_b = log.iter().filter(|(i, _, _)| *i == 1).count();
    assert!(by_b > 0 && by_b < 60, "shared: B handled {by_b} of 60");
    assert_eq!(a.stats().processed + b.stats().processed, 60);
}

#[test]
fn an_instance_killed_mid_handler_has_its_event_handled_by_another() {
    let redis = RedisServer::start();
    let url = redis.url();
    // Instance A runs on its own runtime; its handler starts and never finishes.
    let (started_tx, started_rx) = std::sync::mpsc::channel::<String>();
    let (base_tx, base_rx) = std::sync::mpsc::channel::<String>();
    let (kill_tx, kill_rx) = std::sync::mpsc::channel::<()>();
    let a = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let receiver = rt.block_on(async {
            let conn = RedisConnection::open(&url).unwrap();
            let handler = move |event: Event| {
                let started = started_tx.clone();
                async move {
                    let _ = started.send(id_of(&event));
                    futures::future::pending::<()>().await;
                    Ok::<(), HandlerError>(())
                }
            };
            let receiver = Receiver::builder(handler)
                .path_token(TOKEN)
                .redis_queue(RedisQueue::new(&conn, "crash").claim_idle(Duration::from_millis(400)))
                .start()
                .unwrap();
            base_tx.send(serve(&receiver).await).unwrap();
            receiver
        });
        kill_rx.recv().unwrap();
        // As a crash: every task stops where it is, nothing is acknowledged.
        rt.shutdown_background();
        drop(receiver);
    });
    let base_a = base_rx.recv().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let r = post(
            &format!("{base_a}/{TOKEN}/pluggto"),
            notification("o-crash"),
        )
        .await;
        assert_eq!(r.status(), 200);
    });
    assert_eq!(
        started_rx.recv_timeout(Duration::from_secs(10)).unwrap(),
        "o-crash"
    );
    kill_tx.send(()).unwrap();
    a.join().unwrap();
    rt.block_on(async {
        let log = Log::default();
        let b = instance(&redis, "crash", 1, &log, Duration::ZERO, |b| b);
        eventually("B handles the event A was killed on", || {
            !log.lock().unwrap().is_empty()
        })
        .await;
        let (who, id, attempt) = log.lock().unwrap()[0].clone();
        assert_eq!(
            (who, id.as_str(), attempt),
            (1, "o-crash", 2),
            "re-delivered, second attempt"
        );
        eventually("acknowledged", || b.stats().processed == 1).await;
        b.shutdown().await;
        // Done for good: a new instance finds nothing left.
        let later = Log::default();
        let c = instance(&redis, "crash", 2, &later, Duration::ZERO, |b| b);
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert!(later.lock().unwrap().is_empty());
        c.shutdown().await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_notifications_with_ten_percent_repeats_are_handled_once_each() {
    let redis = RedisServer::start();
    let log = Log::default();
    let window = |b: Builder| b.dedup_window(Duration::from_secs(300)).concurrency(16);
    let a = instance(&redis, "bulk", 0, &log, Duration::ZERO, window);
    let b = instance(&redis, "bulk", 1, &log, Duration::ZERO, window);
    let urls = [serve(&a).await, serve(&b).await];
    // 9,000 distinct notifications and 1,000 repeats of earlier ones, to either instance.
    let mut bodies: Vec<(usize, String)> = (0..9000).map(|i| (i % 2, format!("n{i}"))).collect();
    for k in 0..1000 {
        let at = 100 + k * 8;
        let again = bodies[at - 50 - (k % 40)].1.clone();
        bodies.insert(at, ((k + 1) % 2, again));
    }
    assert_eq!(bodies.len(), 10_000);
    let client = reqwest::Client::new();
    let statuses: Vec<u16> = futures::stream::iter(bodies)
        .map(|(to, id)| {
            let client = client.clone();
            let url = format!("{}/{TOKEN}/pluggto", urls[to]);
            async move {
                client
                    .post(url)
                    .body(notification(&id))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 200));
    eventually("9,000 handled", || log.lock().unwrap().len() >= 9000).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = log.lock().unwrap().clone();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for (_, id, _) in &log {
        *counts.entry(id.clone()).or_default() += 1;
    }
    assert_eq!(counts.len(), 9000);
    assert!(counts.values().all(|c| *c == 1), "each distinct event once");
    assert_eq!(a.stats().duplicates + b.stats().duplicates, 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_loses_nothing() {
    let redis = RedisServer::start();
    let log = Log::default();
    // A claim delay longer than the test: the events must be read, not claimed from a stopped
    // consumer.
    let conn = RedisConnection::open(&redis.url()).unwrap();
    let slow_claims = |b: Builder| {
        b.redis_queue(RedisQueue::new(&conn, "restart").claim_idle(Duration::from_secs(60)))
    };
    let first = instance(&redis, "restart", 0, &log, Duration::ZERO, slow_claims);
    // Stop handling first: the endpoints still accept, into Redis.
    first.shutdown().await;
    let base = serve(&first).await;
    for i in 0..20 {
        let r = post(
            &format!("{base}/{TOKEN}/pluggto"),
            notification(&format!("r{i}")),
        )
        .await;
        assert_eq!(r.status(), 200);
    }
    drop(first);
    assert!(log.lock().unwrap().is_empty());
    let second = instance(&redis, "restart", 1, &log, Duration::ZERO, slow_claims);
    eventually("the restarted instance handles all 20", || {
        log.lock().unwrap().len() == 20
    })
    .await;
    assert_eq!(second.stats().processed, 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_and_dead_letters_go_through_redis() {
    let redis = RedisServer::start();
    let conn = RedisConnection::open(&redis.url()).unwrap();
    let calls = Arc::new(Mutex::new(0u32));
    let c = calls.clone();
    let handler = move |event: Event| {
        let c = c.clone();
        async move {
            *c.lock().unwrap() += 1;
            if id_of(&event) == "fails" || event.attempt() < 3 {
                return Err::<(), HandlerError>(
                    format!("attempt {} failed", event.attempt()).into(),
                );
            }
            Ok(())
        }
    };
    let receiver = Receiver::builder(handler)
        .path_token(TOKEN)
        .redis_queue(RedisQueue::new(&conn, "retry").claim_idle(Duration::from_millis(400)))
        .retries(3, Duration::from_millis(20), Duration::from_millis(40))
        .start()
        .unwrap();
    let base = serve(&receiver).await;
    for id in ["ok-third-time", "fails"] {
        assert_eq!(
            post(&format!("{base}/{TOKEN}/pluggto"), notification(id))
                .await
                .status(),
            200
        );
    }
    eventually("one processed, one dead", || {
        let s = receiver.stats();
        s.processed == 1 && s.dead_letters == 1
    })
    .await;
    assert_eq!(*calls.lock().unwrap(), 6);
    let dead = receiver.dead_letters().await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].error, "attempt 3 failed");
    assert_eq!(dead[0].body, notification("fails"));
    // Malformed bodies land in the same Redis list.
    assert_eq!(
        post(&format!("{base}/{TOKEN}/pluggto"), "{oops")
            .await
            .status(),
        400
    );
    assert_eq!(receiver.dead_letters().await.unwrap().len(), 2);
}
