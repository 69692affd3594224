//! Memory while paging: the peak heap of streaming 100,000 PluggTo orders with
//! `Client::orders()` (1000 pages of 100, generated on the fly by a local server) against the peak
//! of fetching and holding one page with `orders_page()` (target ≤ 2×).
//!
//! Heap bytes are counted by a global allocator in this binary (live bytes and their peak since
//! a reset). The server runs in a child process (this same binary, started with
//! `BRC_PAGINATION_SERVER=1`), so its allocations are not counted. A plain `main` printing a
//! table: `cargo bench --bench pagination`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use brcommerce::common::token::{MemoryStore, TokenSet};
use brcommerce::pluggto::{Client, Credentials, Cursor, OrderFilter};
use futures::TryStreamExt;

const TOTAL: usize = 100_000;
const PAGE: usize = 100;

// ----- counting allocator -----

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's pointer, layout and size.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Starts counting the peak from the live bytes now; returns them.
fn reset_peak() -> usize {
    let live = LIVE.load(Ordering::SeqCst);
    PEAK.store(live, Ordering::SeqCst);
    live
}

fn peak_since(base: usize) -> usize {
    PEAK.load(Ordering::SeqCst).saturating_sub(base)
}

// ----- the server (child process) -----

/// Serves `GET /orders?limit=..&next=o<N>` with orders o<N+1>.. up to `TOTAL`, each a copy of
/// the spec's example order.
fn serve() {
    use axum::Router;
    use axum::extract::Query;
    use axum::routing::get;

    let mut order = common::response_example("pluggto", "get_order", "200")["Order"].clone();
    order["id"] = serde_json::json!("@ID@");
    let text = order.to_string();
    let (head, tail) = text.split_once("@ID@").unwrap();
    let (head, tail): (Arc<str>, Arc<str>) = (head.into(), tail.into());

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let app = Router::new().route(
            "/orders",
            get(
                move |Query(q): Query<std::collections::HashMap<String, String>>| {
                    let (head, tail) = (head.clone(), tail.clone());
                    async move {
                        let limit: usize =
                            q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(PAGE);
                        let after: usize = q
                            .get("next")
                            .and_then(|n| n.trim_start_matches('o').parse().ok())
                            .unwrap_or(0);
                        let ids = (after + 1)..=(after + limit).min(TOTAL);
                        let mut body =
                            String::with_capacity(limit * (head.len() + tail.len() + 20));
                        body.push_str(&format!(
                            r#"{{"total":{TOTAL},"showing":{},"limit":{limit},"result":["#,
                            ids.clone().count()
                        ));
                        for (k, id) in ids.enumerate() {
                            if k > 0 {
                                body.push(',');
                            }
                            body.push_str(r#"{"Order":"#);
                            body.push_str(&head);
                            body.push_str(&format!("o{id}"));
                            body.push_str(&tail);
                            body.push('}');
                        }
                        body.push_str("]}");
                        ([("content-type", "application/json")], body)
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("http://{}", listener.local_addr().unwrap());
        // Leave when the parent closes our stdin (it ended or died).
        std::thread::spawn(|| {
            let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
            std::process::exit(0);
        });
        axum::serve(listener, app).await.unwrap();
    });
}

// ----- the measurement -----

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    if std::env::var_os("BRC_PAGINATION_SERVER").is_some() {
        serve();
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("BRC_PAGINATION_SERVER", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim().to_owned();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client::builder(Credentials::password("plugin-1", "secret", "user", "pass"))
        .base_url(&base)
        .token_store(Arc::new(MemoryStore::with(TokenSet::issued(
            "valid".into(),
            None,
            Some(3600),
        ))))
        .build()
        .unwrap();
    let filter = OrderFilter::new();

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "pagination: PluggTo orders, {TOTAL} items in pages of {PAGE}; load before: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    rt.block_on(async {
        // Warm-up: connection, lazy statics, allocator pools.
        let page = client.orders_page(&filter, None).await.unwrap();
        assert_eq!(page.items.len(), PAGE);
        drop(page);
        let mut stream_peak = Vec::new();
        let mut page_peak = Vec::new();
        let mut page_held = 0;
        // Alternate so both see the same state of the process.
        for _ in 0..3 {
            let base = reset_peak();
            let page = client.orders_page(&filter, Some(&Cursor::After("o500".into()))).await.unwrap();
            page_held = LIVE.load(Ordering::SeqCst).saturating_sub(base);
            assert_eq!(page.items.len(), PAGE);
            drop(page);
            page_peak.push(peak_since(base));

            let base = reset_peak();
            let mut n = 0usize;
            let mut last = String::new();
            client
                .orders(&filter)
                .try_for_each(|o| {
                    n += 1;
                    last = o.id;
                    futures::future::ready(Ok(()))
                })
                .await
                .unwrap();
            assert_eq!(n, TOTAL);
            assert_eq!(last, format!("o{TOTAL}"));
            stream_peak.push(peak_since(base));
        }
        let page_max = *page_peak.iter().max().unwrap();
        let stream_max = *stream_peak.iter().max().unwrap();
        println!("{:<48} {:>12}", "heap above the starting point", "peak MiB");
        println!(
            "{:<48} {:>12.2}  (held after decoding: {:.2} MiB)",
            "one page (orders_page, 100 orders)",
            mib(page_max),
            mib(page_held)
        );
        println!(
            "{:<48} {:>12.2}",
            format!("stream of {TOTAL} (orders(), {} requests)", TOTAL / PAGE + 1),
            mib(stream_max)
        );
        println!(
            "peak streaming / peak one page = {:.2} (max of 3 interleaved runs; runs: page {:?} B, stream {:?} B)",
            stream_max as f64 / page_max as f64,
            page_peak,
            stream_peak
        );
    });
    drop(child.stdin.take());
    let _ = child.kill();
    let _ = child.wait();
}
