//! Decoding a 1000-product ecomDC page (numbers as strings) into the generated models with the
//! lenient types, against serde_json into a plain struct of the same fields (strings kept as
//! strings, nothing parsed), and the drift check of the same page when it is a sampled answer.
//!
//! Then the same page through the client (`products_page` against a local server), clean and
//! with one product that does not decode: a clean page is decoded once, directly; a page that
//! fails is repaired by the spec's shapes and decoded record by record, the bad record left out
//! (`common::call::run_list`). Both are measured in the same run, side by side.

mod support;

use brcommerce::common::drift;
use brcommerce::ecomdc::types;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use support::plain::PlainPage;

fn decode(c: &mut Criterion) {
    let page = support::product_page(1000);
    let mut g = c.benchmark_group("decode_1000_products");
    g.throughput(Throughput::Bytes(page.len() as u64));
    g.bench_function("brcommerce lenient models", |b| {
        b.iter(|| {
            let p: types::ProductPage = serde_json::from_str(&page).unwrap();
            assert_eq!(p.produtos.len(), 1000);
        })
    });
    g.bench_function("plain struct (strings)", |b| {
        b.iter(|| {
            let p: PlainPage = serde_json::from_str(&page).unwrap();
            assert_eq!(p.produtos.len(), 1000);
        })
    });
    // What a sampled answer costs on top of its decode: parsing it into a `Value` and walking it
    // along the spec's shapes (what drift detection does with one answer in 1,000).
    g.bench_function("drift check of a sampled answer", |b| {
        b.iter(|| {
            let v: serde_json::Value = serde_json::from_str(&page).unwrap();
            let found = drift::compare(&v, "ProductPage", brcommerce::ecomdc::raw::schemas::find);
            assert!(found.is_empty(), "{:?}", found.first());
        })
    });
    g.finish();

    // The same page through the client: clean, and with product 500's price unreadable.
    let clean = page.clone();
    let bad = support::product_page_with_bad_record(1000, 500);
    let serve = |body: String| {
        support::serve_in_thread(move || {
            axum::Router::new().route(
                "/produtos",
                axum::routing::get(move || {
                    let body = body.clone();
                    async move { ([("content-type", "application/json")], body) }
                }),
            )
        })
    };
    let client = |base: String| {
        brcommerce::ecomdc::Client::builder(brcommerce::ecomdc::Credentials::new("1", "t"))
            .base_url(base)
            .rate_limits(brcommerce::common::ratelimit::RateLimits::unlimited())
            .build()
            .unwrap()
    };
    let (clean_client, bad_client) = (client(serve(clean)), client(serve(bad)));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let filter = brcommerce::ecomdc::ProductFilter::new();
    let mut g = c.benchmark_group("products_page_1000_through_the_client");
    g.throughput(Throughput::Bytes(page.len() as u64));
    g.bench_function("clean page", |b| {
        b.to_async(&rt).iter(|| async {
            let p = clean_client.products_page(&filter, None).await.unwrap();
            assert_eq!((p.items.len(), p.rejected.len()), (1000, 0));
        })
    });
    g.bench_function("one bad record", |b| {
        b.to_async(&rt).iter(|| async {
            let p = bad_client.products_page(&filter, None).await.unwrap();
            assert_eq!((p.items.len(), p.rejected.len()), (999, 1));
        })
    });
    g.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
