//! Token single flight under load: 1000 concurrent PluggTo calls that all find the access token
//! expired, against a local server whose token endpoint takes `TOKEN_DELAY` to answer.
//!
//! Reports the token requests made (must be 1 per round) and the latency of the calls (p50/p99)
//! against the same 1000 concurrent calls made with a valid token; rounds of the two alternate,
//! each on a fresh client (fresh connection pool), so both pay the same connection set-up. A third
//! variant, valid token but every call held until `TOKEN_DELAY` after the start, separates the
//! cost of releasing 1000 calls at once from the refresh path's own cost.
//! A plain `main` printing a table: `cargo bench --bench single_flight`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod support;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use brcommerce::common::retry::RetryPolicy;
use brcommerce::common::token::{MemoryStore, TokenSet};
use brcommerce::pluggto::{Client, Credentials};

const CALLS: usize = 1000;
const ROUNDS: usize = 5;
/// How long the token endpoint takes (a real one takes 100–500 ms).
const TOKEN_DELAY: Duration = Duration::from_millis(50);

struct Server {
    order: String,
    token_requests: AtomicU64,
    refused: AtomicU64,
}

async fn token(State(s): State<Arc<Server>>) -> Response {
    tokio::time::sleep(TOKEN_DELAY).await;
    s.token_requests.fetch_add(1, Ordering::SeqCst);
    (
        [("content-type", "application/json")],
        r#"{"access_token":"fresh","refresh_token":"r2","expires_in":3600,"token_type":"bearer"}"#,
    )
        .into_response()
}

async fn order(
    State(s): State<Arc<Server>>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    match q.get("access_token").map(String::as_str) {
        Some("fresh" | "valid") => {
            ([("content-type", "application/json")], s.order.clone()).into_response()
        }
        _ => {
            s.refused.fetch_add(1, Ordering::SeqCst);
            (
                StatusCode::UNAUTHORIZED,
                [("content-type", "application/json")],
                r#"{"type":"unauthorized","message":"invalid token"}"#,
            )
                .into_response()
        }
    }
}

fn start_server(state: Arc<Server>) -> String {
    support::serve_in_thread(move || {
        Router::new()
            .route("/oauth/token", post(token))
            .route("/orders/{id}", get(order))
            .with_state(state)
    })
}

/// One round: a fresh client whose store holds `tokens`, `CALLS` concurrent calls; returns the
/// latencies (sorted, from the moment each call was started) and the token requests the client
/// made. With `hold`, every call first waits until `hold` after the start of the round, so all
/// of them hit the pool and the server at once, as they do when a refreshed token releases them.
fn round(
    rt: &tokio::runtime::Runtime,
    base: &str,
    tokens: TokenSet,
    hold: Option<Duration>,
) -> (Vec<Duration>, u64) {
    rt.block_on(async {
        let release = hold.map(|d| tokio::time::Instant::now() + d);
        let c = Client::builder(Credentials::password(
            "plugin-1", "secret", "api-user", "password",
        ))
        .base_url(base)
        .retry(RetryPolicy::none())
        .token_store(Arc::new(MemoryStore::with(tokens)))
        .build()
        .unwrap();
        let calls: Vec<_> = (0..CALLS)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move {
                    let t = Instant::now();
                    if let Some(at) = release {
                        tokio::time::sleep_until(at).await;
                    }
                    c.order("o1").await.unwrap();
                    t.elapsed()
                })
            })
            .collect();
        let mut lat = Vec::with_capacity(CALLS);
        for h in calls {
            lat.push(h.await.unwrap());
        }
        lat.sort();
        (lat, c.token_requests())
    })
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let state = Arc::new(Server {
        order: common::response_example("pluggto", "get_order", "200").to_string(),
        token_requests: AtomicU64::new(0),
        refused: AtomicU64::new(0),
    });
    let base = start_server(state.clone());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "single flight: {CALLS} concurrent PluggTo calls, token endpoint delay {TOKEN_DELAY:?}, {ROUNDS} interleaved rounds; load before: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    // Warm-up (first connections, lazy statics).
    round(
        &rt,
        &base,
        TokenSet::issued("valid".into(), None, Some(3600)),
        None,
    );

    let (mut expired, mut valid, mut held) = (Vec::new(), Vec::new(), Vec::new());
    let mut per_round = Vec::new();
    for _ in 0..ROUNDS {
        let before = state.token_requests.load(Ordering::SeqCst);
        let (lat, made) = round(
            &rt,
            &base,
            TokenSet::issued("expired".into(), Some("r1".into()), Some(0)),
            None,
        );
        let served = state.token_requests.load(Ordering::SeqCst) - before;
        per_round.push((made, served, pct(&lat, 0.5), pct(&lat, 0.99)));
        expired.extend(lat);
        let (lat, made) = round(
            &rt,
            &base,
            TokenSet::issued("valid".into(), Some("r1".into()), Some(3600)),
            None,
        );
        assert_eq!(made, 0);
        valid.extend(lat);
        let (lat, made) = round(
            &rt,
            &base,
            TokenSet::issued("valid".into(), Some("r1".into()), Some(3600)),
            Some(TOKEN_DELAY),
        );
        assert_eq!(made, 0);
        held.extend(lat);
    }
    expired.sort();
    valid.sort();
    held.sort();
    for (i, (made, served, p50, p99)) in per_round.iter().enumerate() {
        println!(
            "  round {}: token requests made {made}, seen by the server {served}; expired p50 {:.1} ms, p99 {:.1} ms",
            i + 1,
            ms(*p50),
            ms(*p99)
        );
    }
    println!(
        "{:<34} {:>10} {:>10} {:>10}",
        "calls (all rounds pooled)", "p50 ms", "p99 ms", "max ms"
    );
    let held_name = format!("valid, all released at +{}ms", TOKEN_DELAY.as_millis());
    for (name, lat) in [
        ("valid token", &valid),
        (held_name.as_str(), &held),
        ("expired token", &expired),
    ] {
        println!(
            "{:<34} {:>10.1} {:>10.1} {:>10.1}",
            name,
            ms(pct(lat, 0.5)),
            ms(pct(lat, 0.99)),
            ms(*lat.last().unwrap())
        );
    }
    let add50 = ms(pct(&expired, 0.5)) - ms(pct(&valid, 0.5));
    let add99 = ms(pct(&expired, 0.99)) - ms(pct(&valid, 0.99));
    println!(
        "added latency: p50 {add50:+.1} ms, p99 {add99:+.1} ms (token endpoint delay {:.0} ms); token requests per round: {}; 401s: {}",
        ms(TOKEN_DELAY),
        per_round
            .iter()
            .map(|r| r.1.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        state.refused.load(Ordering::SeqCst)
    );
    let own50 = ms(pct(&expired, 0.5)) - ms(pct(&held, 0.5));
    let own99 = ms(pct(&expired, 0.99)) - ms(pct(&held, 0.99));
    println!(
        "expired vs valid released together at +{}ms (the refresh's own cost): p50 {own50:+.1} ms, p99 {own99:+.1} ms",
        TOKEN_DELAY.as_millis()
    );
}
