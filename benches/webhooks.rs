//! Webhook receiver: PluggTo notifications accepted per second and the latency the queue adds
//! to the 200 answer, with the in-process queue and with Redis Streams.
//!
//! The receiver (no-op handler, de-duplication on) is served on 127.0.0.1 in its own thread and
//! runtime; the load generator runs in the bench's runtime. For each back end: throughput =
//! 20,000 distinct notifications posted by 32 concurrent requests over keep-alive connections,
//! divided by the wall time until the last 200; latency = 2,000 notifications posted one after
//! another on one connection, each timed, against the same posts to a bare axum route that
//! answers 200 without reading the queue (the baseline: HTTP, routing and the client). Rounds of
//! the variants alternate. A plain `main` printing a table: `cargo bench --bench webhooks
//! --features webhooks,redis` (Redis rows need `redis-server` on PATH; the bench starts it).

#[cfg(feature = "redis")]
#[path = "../tests/support/redis_server.rs"]
#[allow(dead_code)]
mod redis_server;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use brcommerce::webhooks::{Builder, Event, HandlerError, Receiver};
use futures::StreamExt;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const THROUGHPUT_POSTS: usize = 20_000;
const CONCURRENCY: usize = 32;
const LATENCY_POSTS: usize = 2_000;
const ROUNDS: usize = 3;

fn notification(round: usize, i: usize) -> String {
    format!(
        r#"{{"type":"orders","id":"r{round}-o{i}","action":"updated","user":129,"changes":{{"status":true,"stock":false,"price":false}}}}"#
    )
}

/// Serves a router on 127.0.0.1 in its own thread and runtime (2 workers, as a service on this
/// machine would have); `make` runs there (the receiver's tasks live on that runtime).
fn serve_in_thread(make: impl FnOnce() -> (Router, Option<Receiver>) + Send + 'static) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let (router, receiver) = make();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(format!("http://{}", listener.local_addr().unwrap()))
                .unwrap();
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
            drop(receiver);
        });
    });
    rx.recv().unwrap()
}

fn receiver(handled: Arc<AtomicU64>, configure: impl FnOnce(Builder) -> Builder) -> Receiver {
    let handler = move |_: Event| {
        let handled = handled.clone();
        async move {
            handled.fetch_add(1, Ordering::Relaxed);
            Ok::<(), HandlerError>(())
        }
    };
    configure(
        Receiver::builder(handler)
            .path_token(TOKEN)
            .memory_queue(100_000)
            .concurrency(16),
    )
    .start()
    .unwrap()
}

struct Target {
    name: &'static str,
    url: String,
    handled: Option<Arc<AtomicU64>>,
    per_second: Vec<f64>,
    latencies: Vec<Duration>,
}

async fn throughput(client: &reqwest::Client, target: &mut Target, round: usize) {
    let started = Instant::now();
    let ok = futures::stream::iter(0..THROUGHPUT_POSTS)
        .map(|i| {
            let request = client.post(&target.url).body(notification(round, i));
            async move {
                request
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .filter(|s| futures::future::ready(*s == 200))
        .count()
        .await;
    let took = started.elapsed();
    assert_eq!(
        ok, THROUGHPUT_POSTS,
        "{}: every post answered 200",
        target.name
    );
    target
        .per_second
        .push(THROUGHPUT_POSTS as f64 / took.as_secs_f64());
}

async fn latency(client: &reqwest::Client, target: &mut Target, round: usize) {
    for i in 0..LATENCY_POSTS {
        let body = notification(round + 1000, i);
        let started = Instant::now();
        let r = client.post(&target.url).body(body).send().await.unwrap();
        target.latencies.push(started.elapsed());
        assert_eq!(r.status(), 200);
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let handled = Arc::new(AtomicU64::new(0));
    let h = handled.clone();
    #[allow(unused_mut)]
    let mut targets = vec![
        Target {
            name: "bare axum 200 (baseline)",
            url: format!(
                "{}/{TOKEN}/pluggto",
                serve_in_thread(|| (
                    Router::new().route(
                        "/{token}/pluggto",
                        post(|_: axum::body::Bytes| async { StatusCode::OK })
                    ),
                    None
                ))
            ),
            handled: None,
            per_second: Vec::new(),
            latencies: Vec::new(),
        },
        Target {
            name: "receiver, in-process queue",
            url: format!(
                "{}/{TOKEN}/pluggto",
                serve_in_thread(move || {
                    let r = receiver(h, |b| b);
                    (r.router(), Some(r))
                })
            ),
            handled: Some(handled),
            per_second: Vec::new(),
            latencies: Vec::new(),
        },
    ];
    #[cfg(feature = "redis")]
    let _redis = {
        let server = redis_server::RedisServer::start();
        let url = server.url();
        let handled = Arc::new(AtomicU64::new(0));
        let h = handled.clone();
        targets.push(Target {
            name: "receiver, Redis Streams queue",
            url: format!(
                "{}/{TOKEN}/pluggto",
                serve_in_thread(move || {
                    let conn = brcommerce::common::redis::RedisConnection::open(&url).unwrap();
                    let queue = brcommerce::webhooks::RedisQueue::new(&conn, "bench");
                    let r = receiver(h, |b| b.redis_queue(queue));
                    (r.router(), Some(r))
                })
            ),
            handled: Some(handled),
            per_second: Vec::new(),
            latencies: Vec::new(),
        });
        server
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for round in 0..ROUNDS {
            for target in &mut targets {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(CONCURRENCY)
                    .build()
                    .unwrap();
                throughput(&client, target, round).await;
                let single = reqwest::Client::new();
                latency(&single, target, round).await;
            }
        }
        // Everything accepted is handled (nothing dropped), counted after the last round.
        for target in &targets {
            if let Some(handled) = &target.handled {
                let expected = (ROUNDS * (THROUGHPUT_POSTS + LATENCY_POSTS)) as u64;
                let deadline = Instant::now() + Duration::from_secs(60);
                while handled.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                println!(
                    "{}: handled {} of {expected} accepted",
                    target.name,
                    handled.load(Ordering::Relaxed)
                );
            }
        }
    });
    println!(
        "\n{:<32} {:>22} {:>10} {:>10}",
        "target", "accepted/s (rounds)", "p50 ms", "p99 ms"
    );
    let mut baseline = None;
    for target in &mut targets {
        target.latencies.sort();
        let (p50, p99) = (
            percentile(&target.latencies, 0.50),
            percentile(&target.latencies, 0.99),
        );
        let rounds: Vec<String> = target
            .per_second
            .iter()
            .map(|r| format!("{r:.0}"))
            .collect();
        println!(
            "{:<32} {:>22} {:>10.3} {:>10.3}",
            target.name,
            rounds.join(" / "),
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
        match baseline {
            None => baseline = Some((p50, p99)),
            Some((b50, b99)) => println!(
                "{:<32} added latency of the 200: p50 {:+.3} ms, p99 {:+.3} ms",
                "",
                (p50.as_secs_f64() - b50.as_secs_f64()) * 1e3,
                (p99.as_secs_f64() - b99.as_secs_f64()) * 1e3
            ),
        }
    }
}
