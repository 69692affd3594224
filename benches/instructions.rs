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
use serde::Deserialize;

mod support;

#[derive(Deserialize)]
struct Stock {
    estoque: i64,
}

const VARIANTS: [&str; 4] = [
    "brcommerce GET",
    "reqwest GET",
    "brcommerce PUT",
    "reqwest PUT",
];

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
    let base = support::start_in_thread();
    println!("{base}");
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

fn run(variant: &str, calls: usize) {
    let base = std::env::var("BRC_BENCH_URL").expect("BRC_BENCH_URL");
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
    rt.block_on(async {
        for _ in 0..calls {
            match variant {
                "brcommerce GET" => assert_eq!(client.stock("A").await.unwrap(), 22),
                "reqwest GET" => {
                    let s: Stock = http
                        .get(format!("{base}/item/A/estoque"))
                        .header("x-ID", "3566")
                        .header("x-Token", "token")
                        .header("content-type", "application/json")
                        .header("accept", "application/json")
                        .send()
                        .await
                        .unwrap()
                        .error_for_status()
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    assert_eq!(s.estoque, 22)
                }
                "brcommerce PUT" => {
                    client.set_stock("A", 5).await.unwrap();
                }
                "reqwest PUT" => {
                    http.put(format!("{base}/item/A/estoque"))
                        .header("x-ID", "3566")
                        .header("x-Token", "token")
                        .json(&serde_json::json!({"estoque": 5}))
                        .send()
                        .await
                        .unwrap()
                        .error_for_status()
                        .unwrap();
                }
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

    let n = 200;
    let mut per_call = Vec::new();
    for variant in VARIANTS {
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
    drop(child.stdin.take());
    let _ = child.wait();
}
