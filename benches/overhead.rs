//! Client overhead: a typical GET and PUT through the generated client and its layer (hooks,
//! pacing disabled, retry machinery, error mapping) against hand-written reqwest + serde_json
//! doing the same request to the same local server.

mod support;

use support::{Stock, get_by_hand, put_stock_by_hand};

use brcommerce::common::ratelimit::RateLimits;
use brcommerce::ecomdc::{Client, Credentials};
use criterion::{Criterion, criterion_group, criterion_main};

fn overhead(c: &mut Criterion) {
    let base = support::start_in_thread();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = rt.block_on(async {
        Client::builder(Credentials::new("3566", "token"))
            .base_url(&base)
            .rate_limits(RateLimits::unlimited())
            .build()
            .unwrap()
    });
    // The same request as the client sends: same headers, same per-request timeout.
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .user_agent(concat!("brcommerce/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap();

    let mut g = c.benchmark_group("get_stock");
    g.bench_function("brcommerce", |b| {
        b.to_async(&rt)
            .iter(|| async { assert_eq!(client.stock("A").await.unwrap(), 22) })
    });
    g.bench_function("generated client (hooks, no facade)", |b| {
        b.to_async(&rt)
            .iter(|| async { assert_eq!(support::raw_stock(&client).await, Some(22)) })
    });
    g.bench_function("reqwest by hand", |b| {
        b.to_async(&rt).iter(|| async {
            let s: Stock = get_by_hand(&http, format!("{base}/item/A/estoque")).await;
            assert_eq!(s.estoque, 22)
        })
    });
    g.finish();

    let mut g = c.benchmark_group("put_stock");
    g.bench_function("brcommerce", |b| {
        b.to_async(&rt)
            .iter(|| async { client.set_stock("A", 5).await.unwrap() })
    });
    g.bench_function("reqwest by hand", |b| {
        b.to_async(&rt).iter(|| async {
            put_stock_by_hand(&http, &base).await;
        })
    });
    g.finish();
}

/// The ratio measured in one run: rounds of each variant alternate on the same client and
/// server, and the median of the per-round ratios cancels slow drift of the machine.
fn interleaved_ratios(_: &mut Criterion) {
    let base = support::start_in_thread();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = rt.block_on(async {
        Client::builder(Credentials::new("3566", "token"))
            .base_url(&base)
            .rate_limits(RateLimits::unlimited())
            .build()
            .unwrap()
    });
    // The same request as the client sends: same headers, same per-request timeout.
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .user_agent(concat!("brcommerce/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap();
    let calls = 500;
    let time = |f: &dyn Fn() -> std::time::Duration| f();
    for (name, ours, theirs) in [
        (
            "GET",
            Box::new(|| {
                rt.block_on(async {
                    let t = std::time::Instant::now();
                    for _ in 0..calls {
                        client.stock("A").await.unwrap();
                    }
                    t.elapsed()
                })
            }) as Box<dyn Fn() -> std::time::Duration>,
            Box::new(|| {
                rt.block_on(async {
                    let t = std::time::Instant::now();
                    for _ in 0..calls {
                        let s: Stock = get_by_hand(&http, format!("{base}/item/A/estoque")).await;
                        assert_eq!(s.estoque, 22);
                    }
                    t.elapsed()
                })
            }) as Box<dyn Fn() -> std::time::Duration>,
        ),
        (
            "PUT",
            Box::new(|| {
                rt.block_on(async {
                    let t = std::time::Instant::now();
                    for _ in 0..calls {
                        client.set_stock("A", 5).await.unwrap();
                    }
                    t.elapsed()
                })
            }),
            Box::new(|| {
                rt.block_on(async {
                    let t = std::time::Instant::now();
                    for _ in 0..calls {
                        put_stock_by_hand(&http, &base).await;
                    }
                    t.elapsed()
                })
            }),
        ),
    ] {
        // Warm both up.
        time(&*ours);
        time(&*theirs);
        let mut ratios: Vec<f64> = (0..15)
            .map(|_| time(&*ours).as_secs_f64() / time(&*theirs).as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        println!(
            "overhead {name}: brcommerce / hand-written reqwest = {:.3} (median of {} interleaved rounds of {calls} calls; min {:.3}, max {:.3})",
            ratios[ratios.len() / 2],
            ratios.len(),
            ratios[0],
            ratios[ratios.len() - 1]
        );
    }
}

/// Drift detection's cost per call, measured side by side: three clients on the same server,
/// sampling off (`0`), at its default (the first answer, then 1 in 1,000) and on every answer
/// (`1`, each call a sampled one). Rounds alternate; medians of the per-round ratios to "off".
fn drift_sampling(_: &mut Criterion) {
    let base = support::start_in_thread();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = |sampling: Option<u32>| {
        rt.block_on(async {
            let mut b = Client::builder(Credentials::new("3566", "token"))
                .base_url(&base)
                .rate_limits(RateLimits::unlimited());
            if let Some(n) = sampling {
                b = b.drift_sampling(n);
            }
            b.build().unwrap()
        })
    };
    let clients = [
        ("off", client(Some(0))),
        ("default", client(None)),
        ("every", client(Some(1))),
    ];
    let calls = 500;
    let round = |c: &Client| {
        rt.block_on(async {
            let t = std::time::Instant::now();
            for _ in 0..calls {
                assert_eq!(c.stock("A").await.unwrap(), 22);
            }
            t.elapsed().as_secs_f64()
        })
    };
    for (_, c) in &clients {
        round(c);
    }
    let rounds = 31;
    let mut times: Vec<[f64; 3]> = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let mut t = [0.0; 3];
        for (i, (_, c)) in clients.iter().enumerate() {
            t[i] = round(c);
        }
        times.push(t);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2], v[0], v[v.len() - 1])
    };
    let per_call = |i: usize| median(times.iter().map(|t| t[i] / calls as f64 * 1e6).collect()).0;
    for (i, (name, c)) in clients.iter().enumerate().skip(1) {
        let (m, lo, hi) = median(times.iter().map(|t| t[i] / t[0]).collect());
        let checked = c.drift().checked("get_stock");
        println!(
            "drift sampling {name} / off = {m:.3} (median of {rounds} interleaved rounds of {calls} GETs; min {lo:.3}, max {hi:.3}); {:.1} µs vs {:.1} µs per call; {checked} answers checked",
            per_call(i),
            per_call(0),
        );
    }
}

criterion_group!(benches, overhead, interleaved_ratios, drift_sampling);
criterion_main!(benches);
