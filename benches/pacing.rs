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
//! * one client with `SlotPacer`, a prototype defined here (FIFO slots on a fixed schedule), to
//!   show what would close the gap of the local pacer;
//! * four clients, a local pacer each: what happens without a shared limiter (each paces itself
//!   to the full quota, so together they send 4× the quota);
//! * four clients sharing a Redis pacer: see `redis_row` (filled in when the `redis` feature
//!   lands).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use brcommerce::common::ratelimit::{Pacer, Rate, RateLimits};
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
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = Router::new()
                .route("/item/{referencia}/estoque", get(stock))
                .with_state(books);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(format!("http://{}", listener.local_addr().unwrap()))
                .unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

/// A prototype of what would close the gap of the local pacer (not part of the crate): waiters
/// take the next free slot in FIFO order, and a slot that is served late does not push the
/// following slots back (the local GCRA pacer with burst 1 re-bases on the late time, so every
/// late wake-up is lost for good). Slots are spaced 0.5% wider than the quota so that a request
/// served late and the next one served on time still fit the provider's sliding window.
#[derive(Debug)]
struct SlotPacer {
    interval: Duration,
    next: Mutex<Option<tokio::time::Instant>>,
}

impl SlotPacer {
    fn new(rate: Rate) -> Self {
        Self {
            interval: (rate.per / rate.requests).mul_f64(1.005),
            next: Mutex::new(None),
        }
    }
}

impl Pacer for SlotPacer {
    fn acquire<'a>(
        &'a self,
        _method: &'a reqwest::Method,
    ) -> futures::future::BoxFuture<'a, Result<(), brcommerce::Error>> {
        let slot = {
            let now = tokio::time::Instant::now();
            let mut next = self.next.lock().unwrap();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        Box::pin(async move {
            tokio::time::sleep_until(slot).await;
            Ok(())
        })
    }

    fn pause(&self, wait: Duration) {
        let until = tokio::time::Instant::now() + wait;
        let mut next = self.next.lock().unwrap();
        *next = Some(next.map_or(until, |n| n.max(until)));
    }
}

struct Outcome {
    rate_ratio: f64,
    rejected: u64,
    throttled_seen: u64,
    accepted: usize,
}

/// `instances` clients (each with its own local pacer at the full quota) share `DEMAND`× the
/// quota of offered load for `RUN`, open loop (a call is started every 1/(DEMAND·QUOTA) s
/// whether or not earlier ones finished).
fn run(base: &str, books: &Books, instances: usize, slots: bool) -> Outcome {
    books.reset();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let clients: Vec<Client> = rt.block_on(async {
        (0..instances)
            .map(|_| {
                let b = Client::builder(Credentials::new("3566", "token")).base_url(base);
                let b = if slots {
                    b.pacer(Arc::new(SlotPacer::new(Rate::per_second(QUOTA))))
                } else {
                    b.rate_limits(RateLimits::default().get(Rate::per_second(QUOTA)))
                };
                b.build().unwrap()
            })
            .collect()
    });
    let start = Instant::now();
    rt.block_on(async {
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
    }
}

/// REDIS ROW — four instances sharing one `RedisPacer` (feature `redis`, built separately).
/// To fill it in: build each of the four clients with
/// `.pacer(Arc::new(RedisPacer::new(<redis url>, "bench:pacing", RateLimits::default().get(Rate::per_second(QUOTA)))))`
/// instead of `.rate_limits(...)`, run them as in [`run`], and print the row like the others.
/// Until then the row says why it is empty.
fn redis_row() -> String {
    format!(
        "{:<50} {:>12} {:>7} {:>10}",
        "4 instances via Redis (shared pacer)", "pending", "-", "-"
    )
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
    // Alternate the scenarios so that both see the same machine.
    for round in 0..2 {
        for (name, instances, slots) in [
            ("1 instance, local pacer", 1usize, false),
            ("1 instance, slot pacer (prototype)", 1, true),
            ("4 instances, local pacer each (no sharing)", 4, false),
        ] {
            let o = run(&base, &books, instances, slots);
            let row = format!(
                "{:<50} {:>12.3} {:>7} {:>10}",
                format!("{name} [run {}]", round + 1),
                o.rate_ratio,
                o.rejected,
                o.accepted
            );
            println!("{row}  (429s seen by the clients: {})", o.throttled_seen);
        }
    }
    println!("{}", redis_row());
}
