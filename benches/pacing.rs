//! Pacing under pressure: an ecomDC client with a scaled quota (60 per second standing in for the
//! published 60 GETs per minute) receives 4× more demand than its quota for a few seconds, against
//! a local mock that enforces the quota (a sliding one-period window: a request that would be the
//! 61st within the last second is answered 429 with `Retry-After: 1` and counted).
//!
//! Reports the achieved rate / quota (requests the mock accepted in the steady part of the run)
//! and the number of 429s. A plain `main` printing a table: `cargo bench --bench pacing`.
//!
//! Rows:
//! * one client, local pacer: the figure of the issue (target ≥ 0.97, zero 429);
//! * four clients, a local pacer each: what happens without a shared limiter (each paces itself
//!   to the full quota, so together they send 4× the quota);
//! * four clients sharing one `RedisPacer` (feature `redis`; the bench starts its own
//!   `redis-server` on a free 127.0.0.1 port, as the tests do): the fleet against one quota.
//!
//! `cargo bench --bench pacing --features redis` for all rows (needs `redis-server` on `PATH`);
//! without the feature the Redis row says so.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod support;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use brcommerce::common::ratelimit::{LocalPacer, Pacer, Rate, RateLimits};
use brcommerce::ecomdc::{Client, Credentials};

/// The scaled quota: 60 per second (the real one is 60 per minute).
const QUOTA: u32 = 60;
const PERIOD: Duration = Duration::from_secs(1);
/// Demand relative to the quota.
const DEMAND: u32 = 4;
/// How long demand is applied; the first second is left out of the rate (start-up).
const RUN: Duration = Duration::from_secs(6);
const SKIP: Duration = Duration::from_secs(1);

/// The mock's books: accepted request times (for the rate) and 429s.
#[derive(Default)]
struct Books {
    window: Mutex<VecDeque<Instant>>,
    accepted: Mutex<Vec<Instant>>,
    rejected: AtomicU64,
}

impl Books {
    fn reset(&self) {
        self.window.lock().unwrap().clear();
        self.accepted.lock().unwrap().clear();
        self.rejected.store(0, Ordering::SeqCst);
    }
}

async fn stock(State(books): State<Arc<Books>>) -> Response {
    let now = Instant::now();
    {
        let mut w = books.window.lock().unwrap();
        while w.front().is_some_and(|t| now.duration_since(*t) >= PERIOD) {
            w.pop_front();
        }
        if w.len() >= QUOTA as usize {
            drop(w);
            books.rejected.fetch_add(1, Ordering::SeqCst);
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "1"), ("content-type", "application/json")],
                r#"{"erro":"limite de requisicoes excedido"}"#,
            )
                .into_response();
        }
        w.push_back(now);
    }
    books.accepted.lock().unwrap().push(now);
    ([("content-type", "application/json")], r#"{"estoque":22}"#).into_response()
}

/// Starts the enforcing mock in its own thread and runtime; returns its base URL.
fn start_mock(books: Arc<Books>) -> String {
    support::serve_in_thread(move || {
        Router::new()
            .route("/item/{referencia}/estoque", get(stock))
            .with_state(books)
    })
}

struct Outcome {
    rate_ratio: f64,
    rejected: u64,
    throttled_seen: u64,
    accepted: usize,
    /// Calls started.
    offered: usize,
}

/// `instances` clients, each with the pacer `pacer(i)` gives it, share `DEMAND`× the quota of
/// offered load for `RUN`, open loop (a call is started every 1/(DEMAND·QUOTA) s whether or not
/// earlier ones finished).
fn run(base: &str, books: &Books, instances: usize, pacer: &MakePacer) -> Outcome {
    books.reset();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let clients: Vec<Client> = rt.block_on(async {
        (0..instances)
            .map(|i| {
                Client::builder(Credentials::new("3566", "token"))
                    .base_url(base)
                    .pacer(pacer(i))
                    .build()
                    .unwrap()
            })
            .collect()
    });
    let start = Instant::now();
    let offered = rt.block_on(async {
        let offered = DEMAND * QUOTA;
        let mut tick = tokio::time::interval(PERIOD / offered);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut i = 0usize;
        while start.elapsed() < RUN {
            tick.tick().await;
            let c = clients[i % instances].clone();
            i += 1;
            tokio::spawn(async move {
                let _ = c.stock("A").await;
            });
        }
        i
    });
    let accepted = books.accepted.lock().unwrap().clone();
    let rejected = books.rejected.load(Ordering::SeqCst);
    let throttled_seen = clients.iter().map(|c| c.stats().throttled).sum();
    // Calls still queued in the pacers are abandoned.
    rt.shutdown_background();
    let steady = accepted
        .iter()
        .filter(|t| {
            let d = t.duration_since(start);
            d >= SKIP && d < RUN
        })
        .count();
    let expected = f64::from(QUOTA) * (RUN - SKIP).as_secs_f64() / PERIOD.as_secs_f64();
    Outcome {
        rate_ratio: steady as f64 / expected,
        rejected,
        throttled_seen,
        accepted: accepted.len(),
        offered,
    }
}

/// Gives instance `i` its pacer.
type MakePacer<'a> = dyn Fn(usize) -> Arc<dyn Pacer> + 'a;

fn quota() -> RateLimits {
    RateLimits::default().get(Rate::per_second(QUOTA))
}

fn local(_: usize) -> Arc<dyn Pacer> {
    Arc::new(LocalPacer::new(quota()))
}

fn print_row(name: &str, o: &Outcome) {
    println!(
        "{:<50} {:>12.3} {:>7} {:>10}  (429s seen by the clients: {})",
        name, o.rate_ratio, o.rejected, o.accepted, o.throttled_seen
    );
}

#[path = "../tests/support/redis_server.rs"]
#[cfg(feature = "redis")]
mod redis_server;

/// Four instances, each with its own Redis connection (as separate processes would have) and a
/// `RedisPacer` on the same account key, so one quota is shared.
#[cfg(feature = "redis")]
fn redis_row(base: &str, books: &Books, round: usize) {
    use brcommerce::Provider;
    use brcommerce::common::redis::{RedisConnection, RedisPacer};
    // A fresh, empty server per run.
    let server = redis_server::RedisServer::start();
    let url = server.url();
    let o = run(base, books, 4, &move |_| {
        let conn = RedisConnection::open(&url).expect("redis url");
        Arc::new(RedisPacer::new(&conn, Provider::Ecomdc, "3566", quota()))
    });
    print_row(
        &format!("4 instances via Redis (shared pacer) [run {}]", round + 1),
        &o,
    );
    println!(
        "{:<50} {:>12}  (Redis script calls: {} for {} calls started)",
        "",
        "",
        server.script_calls(),
        o.offered
    );
}

#[cfg(not(feature = "redis"))]
fn redis_row(_: &str, _: &Books, _: usize) {
    println!(
        "{:<50} {:>12}  (build with --features redis and have redis-server on PATH)",
        "4 instances via Redis (shared pacer)", "not run"
    );
}

fn main() {
    let books = Arc::new(Books::default());
    let base = start_mock(books.clone());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "pacing: quota {QUOTA}/{PERIOD:?} (scaled 60/min), demand {DEMAND}x for {RUN:?} (rate over the last {:?}); load before: {}",
        RUN - SKIP,
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "{:<50} {:>12} {:>7} {:>10}",
        "scenario", "rate/quota", "429s", "accepted"
    );
    // Alternate the scenarios so that they see the same machine.
    let rows: [(&str, usize, &MakePacer); 2] = [
        ("1 instance, local pacer", 1, &local),
        ("4 instances, local pacer each (no sharing)", 4, &local),
    ];
    for round in 0..2 {
        for (name, instances, pacer) in rows {
            let o = run(&base, &books, instances, pacer);
            print_row(&format!("{name} [run {}]", round + 1), &o);
        }
        redis_row(&base, &books, round);
    }
}
