use std::time::{Duration, Instant};

use brcommerce::common::ratelimit::{Rate, RateLimits};
use brcommerce::ecomdc::{Client, Credentials};
use httpmock::Method::{GET, PUT};
use httpmock::MockServer;
use serde_json::json;

fn paced(server: &MockServer, limits: RateLimits) -> Client {
    Client::builder(Credentials::new("1", "t"))
        .base_url(server.base_url())
        .rate_limits(limits)
        .build()
        .unwrap()
}

#[tokio::test]
async fn requests_are_spaced_to_stay_within_the_quota() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(200).json_body(json!({"estoque": 1}));
        })
        .await;
    // 10 per second stands in for 60 per minute.
    let c = paced(&server, RateLimits::default().get(Rate::per_second(10)));
    let started = Instant::now();
    for _ in 0..6 {
        c.stock("A").await.unwrap();
    }
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(490),
        "6 requests at 10/s need 500 ms, took {took:?}"
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[tokio::test]
async fn get_and_put_quotas_are_separate() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(200).json_body(json!({"estoque": 1}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(PUT);
            then.status(201);
        })
        .await;
    let c = paced(
        &server,
        RateLimits::default()
            .get(Rate::per_second(5))
            .put(Rate::per_second(5)),
    );
    let started = Instant::now();
    let gets = async {
        for _ in 0..4 {
            c.stock("A").await.unwrap();
        }
    };
    let puts = async {
        for _ in 0..4 {
            c.set_stock("A", 1).await.unwrap();
        }
    };
    tokio::join!(gets, puts);
    let took = started.elapsed();
    // Each class needs 600 ms for 4 requests at 5/s; together they overlap instead of adding up.
    assert!(took >= Duration::from_millis(590), "{took:?}");
    assert!(
        took < Duration::from_millis(1100),
        "classes were not paced separately: {took:?}"
    );
}

/// The manual's "30 requisições para todas requisições do tipo POST e PUT" read as one
/// budget: a PUT right after a POST waits for the next write slot (one 30/min slot is 2.01 s),
/// GETs have their own; separate budgets are one setting away.
#[tokio::test(start_paused = true)]
async fn default_quotas_count_post_and_put_together() {
    use brcommerce::common::ratelimit::LocalPacer;
    use reqwest::Method;
    use tokio::time::Instant;

    let shared = LocalPacer::new(brcommerce::ecomdc::default_rate_limits());
    let start = Instant::now();
    shared.wait(&Method::POST).await;
    shared.wait(&Method::GET).await;
    assert_eq!(
        start.elapsed(),
        Duration::ZERO,
        "first write and first read go at once"
    );
    shared.wait(&Method::PUT).await;
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(2010),
        "PUT waits for POST's budget"
    );
    shared.wait(&Method::GET).await;
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(2010),
        "GETs are counted apart"
    );

    let separate = LocalPacer::new(
        brcommerce::ecomdc::default_rate_limits()
            .post(Rate::per_minute(30))
            .put(Rate::per_minute(30)),
    );
    let start = Instant::now();
    separate.wait(&Method::POST).await;
    separate.wait(&Method::PUT).await;
    assert_eq!(
        start.elapsed(),
        Duration::ZERO,
        "separate budgets when configured"
    );
}
