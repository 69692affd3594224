//! The answer size limit holds memory down whatever the other side sends: a server streams
//! 1 GiB (chunked, no length announced) and the client, limited to 8 MiB, fails the call with
//! `ErrorKind::TooLarge` while its heap never grows by more than twice the limit, and drops the
//! connection, so the server stops far short of the gigabyte. An answer that announces a length
//! over the limit is refused before its body is read.
//!
//! This binary counts heap bytes with its own global allocator, so it holds this one test only.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use axum::body::Body;
use axum::routing::get;
use brcommerce::ErrorKind;
use brcommerce::common::ratelimit::RateLimits;
use brcommerce::ecomdc::{Client, Credentials};
use bytes::Bytes;

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const GIB: u64 = 1024 * 1024 * 1024;
const LIMIT: u64 = 8 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
static ZEROS: [u8; CHUNK] = [b'0'; CHUNK];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gigabyte_answer_is_refused_within_twice_the_limit_of_memory() {
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let app = axum::Router::new().route(
        "/item/{referencia}/estoque",
        get(move || {
            let sent = counter.clone();
            async move {
                // A gigabyte in 64 KiB chunks of one static buffer: the server allocates
                // (almost) nothing itself, so the heap measured is the client's.
                let chunks = futures::stream::iter(0..GIB / CHUNK as u64).map(move |_| {
                    sent.fetch_add(CHUNK as u64, Ordering::Relaxed);
                    Ok::<_, std::io::Error>(Bytes::from_static(&ZEROS))
                });
                Body::from_stream(chunks)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = Client::builder(Credentials::new("1", "token"))
        .base_url(&url)
        .rate_limits(RateLimits::unlimited())
        .max_answer_size(LIMIT)
        .build()
        .unwrap();
    // Warm up (connection pool, lazy statics), then measure from here.
    let _ = client.stock("A").await;
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);

    let err = client.stock("A").await.unwrap_err();
    let peak = PEAK.load(Ordering::Relaxed) - before;
    assert!(
        matches!(err.kind(), ErrorKind::TooLarge { limit } if *limit == LIMIT),
        "{err}"
    );
    assert_eq!(err.operation(), "get_stock");
    assert!(
        peak < 2 * LIMIT as usize,
        "peak heap {peak} bytes for a limit of {LIMIT}"
    );
    // The connection was dropped: the server could not push the whole gigabyte.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let streamed = sent.load(Ordering::Relaxed);
    assert!(streamed < GIB / 8, "the server sent {streamed} bytes");
    println!(
        "limit {LIMIT} B: peak heap +{peak} B ({:.2}× the limit), server sent {streamed} B of 1 GiB",
        peak as f64 / LIMIT as f64
    );

    // An answer that announces a length over the limit is refused at its headers: this server
    // announces a gigabyte and never sends a byte of it.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut stream, _)) = silent.accept().await {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {GIB}\r\n\r\n");
            let _ = stream.write_all(head.as_bytes()).await;
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    });
    let client = Client::builder(Credentials::new("1", "token"))
        .base_url(&silent_url)
        .rate_limits(RateLimits::unlimited())
        .max_answer_size(LIMIT)
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = client.price("1").await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::TooLarge { .. }), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "refused at the headers"
    );
}

use futures::StreamExt as _;
