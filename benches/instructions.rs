//! Per-call overhead in **instructions** (BENCHMARKS.md §1): the same ecomDC `GET` and `PUT`
//! through `ecomdc::Client` and through hand-written reqwest + serde_json, each counted by
//! callgrind, which machine noise does not move.
//!
//! `cargo bench --bench instructions` runs the orchestrator: it starts the server in a child
//! process (this binary, `serve`; not under valgrind, so its instructions are not counted), then
//! runs this binary under `valgrind --tool=callgrind` once per variant and call count (`run
//! <variant> <calls>`). The per-call figure is the difference between a run of `2n` calls and a
//! run of `n` calls, divided by `n`: start-up, connection set-up and the first call's lazy
//! initialisation cancel out. Needs `valgrind` (Debian package `valgrind`).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use brcommerce::common::ratelimit::RateLimits;
use brcommerce::ecomdc::{Client, Credentials};

mod support;

use support::plain::PlainPage;
use support::{Stock, get_by_hand, put_stock_by_hand};

const VARIANTS: [&str; 11] = [
    "brcommerce GET",
    "reqwest GET",
    "brcommerce PUT",
    "reqwest PUT",
    // Drift detection (BENCHMARKS.md §8): the same GET with sampling off and on every answer;
    // "brcommerce GET" above runs with the default sampling (first answer, then 1 in 1,000).
    "GET drift off",
    "GET drift every",
    // Decoding (BENCHMARKS.md §2): a 1000-product ecomDC page into the generated lenient
    // models and into a plain struct of strings, and the same page through the client
    // (`products_page`), clean and with one record that does not decode, and by hand (reqwest
    // + serde_json into the plain struct).
    "decode lenient",
    "decode plain",
    "page clean",
    "page one bad record",
    "page by hand",
];

/// Calls per run (the second run makes twice as many): a page decode costs ~100× a stock call.
fn calls_of(variant: &str) -> usize {
    if variant.starts_with("decode") || variant.starts_with("page") {
        4
    } else {
        200
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => serve(),
        Some("run") => run(&args[1], args[2].parse().expect("a call count")),
        _ => orchestrate(),
    }
}

/// The child server: prints its base URL, serves until its standard input closes.
fn serve() {
    let (clean, bad) = (
        support::product_page(1000),
        support::product_page_with_bad_record(1000, 500),
    );
    let page = |body: String| {
        axum::routing::get(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        })
    };
    let base = support::serve_in_thread(move || {
        support::app()
            .route("/produtos", page(clean))
            .route("/bad/produtos", page(bad))
    });
    println!("{base}");
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

fn run(variant: &str, calls: usize) {
    let base = std::env::var("BRC_BENCH_URL").expect("BRC_BENCH_URL");
    if variant.starts_with("decode") {
        let page = support::product_page(1000);
        for _ in 0..calls {
            let n = if variant == "decode lenient" {
                let p: brcommerce::ecomdc::types::ProductPage =
                    serde_json::from_str(&page).unwrap();
                p.produtos.len()
            } else {
                let p: PlainPage = serde_json::from_str(&page).unwrap();
                p.produtos.len()
            };
            assert_eq!(n, 1000);
        }
        return;
    }
    let base = match variant {
        "page one bad record" => format!("{base}/bad"),
        _ => base,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = rt.block_on(async {
        let builder = Client::builder(Credentials::new("3566", "token"))
            .base_url(&base)
            .rate_limits(RateLimits::unlimited());
        match variant {
            "GET drift off" => builder.drift_sampling(0),
            "GET drift every" => builder.drift_sampling(1),
            _ => builder,
        }
        .build()
        .unwrap()
    });
    // The same request as the client sends: same headers, same per-request timeout.
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .user_agent(concat!("brcommerce/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..calls {
            match variant {
                "brcommerce GET" | "GET drift off" | "GET drift every" => {
                    assert_eq!(client.stock("A").await.unwrap(), 22)
                }
                "reqwest GET" => {
                    let s: Stock = get_by_hand(&http, format!("{base}/item/A/estoque")).await;
                    assert_eq!(s.estoque, 22)
                }
                "page clean" | "page one bad record" => {
                    let filter = brcommerce::ecomdc::ProductFilter::new();
                    let p = client.products_page(&filter, None).await.unwrap();
                    let bad = usize::from(variant == "page one bad record");
                    assert_eq!((p.items.len(), p.rejected.len()), (1000 - bad, bad));
                }
                "page by hand" => {
                    let p: PlainPage = get_by_hand(&http, format!("{base}/produtos")).await;
                    assert_eq!(p.produtos.len(), 1000);
                }
                "brcommerce PUT" => {
                    client.set_stock("A", 5).await.unwrap();
                }
                "reqwest PUT" => put_stock_by_hand(&http, &base).await,
                other => panic!("unknown variant {other}"),
            }
        }
    });
}

/// Instructions callgrind counted for one run of `variant` with `calls` calls.
fn count(base: &str, variant: &str, calls: usize) -> u64 {
    let out = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null", "--"])
        .arg(std::env::current_exe().unwrap())
        .args(["run", variant, &calls.to_string()])
        .env("BRC_BENCH_URL", base)
        .output()
        .expect("valgrind (Debian package valgrind) must be installed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{variant} failed:\n{stderr}");
    stderr
        .lines()
        .find_map(|l| l.split("Collected :").nth(1))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no 'Collected' line from callgrind:\n{stderr}"))
}

fn orchestrate() {
    // `cargo bench` passes `--bench`; nothing else is accepted.
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut base = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut base)
        .unwrap();
    let base = base.trim().to_string();

    let mut per_call = Vec::new();
    for variant in VARIANTS {
        let n = calls_of(variant);
        let one = count(&base, variant, n);
        let two = count(&base, variant, 2 * n);
        let each = (two - one) as f64 / n as f64;
        println!(
            "{variant:15} {each:>10.0} instructions per call ({n} and {} calls: {one} and {two})",
            2 * n
        );
        per_call.push(each);
    }
    println!(
        "overhead in instructions: GET {:.3}×, PUT {:.3}× (brcommerce / hand-written reqwest)",
        per_call[0] / per_call[1],
        per_call[2] / per_call[3]
    );
    println!(
        "drift detection: default sampling / off {:.4}× ({:+.0} instructions per call); \
         a sampled call costs {:+.0} instructions ({:.3}× an unsampled one)",
        per_call[0] / per_call[4],
        per_call[0] - per_call[4],
        per_call[5] - per_call[4],
        per_call[5] / per_call[4]
    );
    println!(
        "decode: lenient / plain {:.3}×; a page through the client / by hand (reqwest + plain \
         struct) {:.3}×; one bad record / clean page {:.2}×",
        per_call[6] / per_call[7],
        per_call[8] / per_call[10],
        per_call[9] / per_call[8]
    );
    drop(child.stdin.take());
    let _ = child.wait();
}
