//! Fault injection: a scripted server on 127.0.0.1 resets connections, closes in the middle of
//! a body, stalls, answers 5xx, 429 (with `Retry-After` in seconds or as an HTTP date) and
//! garbage. For each provider: idempotent calls succeed after transient faults, writes are sent
//! exactly as often as the retry rules allow (counted on the server), attempt limits and time
//! budgets hold, and errors name the operation.

mod common;

#[cfg(feature = "ecomdc")]
#[path = "support/logs.rs"]
mod log_capture;

#[cfg(feature = "ecomdc")]
mod ecomdc {
    use std::time::{Duration, Instant, SystemTime};

    use brcommerce::common::retry::RetryPolicy;
    use brcommerce::ecomdc::{Client, Credentials, types};
    use brcommerce::{CallOptions, ErrorKind};
    use serde_json::json;

    use super::common::script_server::{ScriptServer, Step};
    use super::common::{fast_retry, request_example, unlimited};

    fn client(server: &ScriptServer) -> Client {
        Client::builder(Credentials::new("1", "secret-token"))
            .base_url(&server.base_url)
            .rate_limits(unlimited())
            .retry(fast_retry())
            .build()
            .unwrap()
    }

    fn product() -> types::ProductCreate {
        serde_json::from_value(request_example("ecomdc", "create_product")).unwrap()
    }

    fn stock(n: i64) -> Step {
        Step::json(200, json!({"estoque": n}))
    }

    #[tokio::test]
    async fn fault_ecomdc_read_survives_a_reset_connection() {
        let server = ScriptServer::start(vec![Step::Reset, stock(4)]).await;
        assert_eq!(client(&server).stock("A").await.unwrap(), 4);
        assert_eq!(server.count(), 2);
    }

    #[tokio::test]
    async fn fault_ecomdc_read_survives_a_body_cut_short() {
        let server = ScriptServer::start(vec![Step::CloseMidBody, stock(5)]).await;
        let c = client(&server);
        assert_eq!(c.stock("A").await.unwrap(), 5);
        assert_eq!(server.count(), 2);
        let stats = c.stats();
        assert_eq!((stats.requests, stats.retries), (2, 1), "{stats:?}");
    }

    #[tokio::test]
    async fn fault_ecomdc_a_raw_read_survives_a_body_cut_short() {
        // A raw call is given as a future (it cannot be made again): its answer is read whole
        // inside the retry loop, and a cut is retried there.
        let server = ScriptServer::start(vec![Step::CloseMidBody, stock(7)]).await;
        let c = client(&server);
        let got = c
            .run(c.raw().get_stock().referencia("A").send())
            .await
            .unwrap();
        assert_eq!(got.estoque.value(), Some(7));
        assert_eq!(server.count(), 2);
    }

    #[tokio::test]
    async fn fault_ecomdc_body_cuts_count_toward_the_attempt_limit() {
        // Every answer breaks off: the call is run again, its attempts counted with the ones
        // before, up to the limit (not the limit once per run).
        let server = ScriptServer::start(vec![Step::CloseMidBody]).await;
        let c =
            client(&server).with_options(CallOptions::new().retry(fast_retry().max_attempts(3)));
        let err = c.stock("A").await.unwrap_err();
        assert_eq!(server.count(), 3);
        assert_eq!(err.attempts(), 3, "{err:?}");
        assert_eq!(err.operation(), "get_stock");
        assert!(matches!(err.kind(), ErrorKind::Transport { .. }), "{err:?}");
        assert!(!err.may_have_been_applied(), "a read: {err:?}");
    }

    #[tokio::test]
    async fn fault_ecomdc_a_body_cut_then_a_gateway_error_then_an_answer() {
        // The run again by the facade goes through the hook's own retries too.
        let server = ScriptServer::start(vec![
            Step::CloseMidBody,
            Step::text(502, "bad gateway"),
            stock(8),
        ])
        .await;
        let c = client(&server);
        assert_eq!(c.stock("A").await.unwrap(), 8);
        assert_eq!(server.count(), 3);
        assert_eq!(c.stats().retries, 2);
    }

    #[tokio::test]
    async fn fault_ecomdc_a_stock_put_is_sent_again_after_a_body_cut() {
        // Setting an absolute stock is safe to repeat: the same body goes again. (The answer's
        // body, which the spec does not describe, is still read whole, so that the connection
        // goes back to the pool.)
        let server = ScriptServer::start(vec![Step::CloseMidBody, stock(5)]).await;
        client(&server).set_stock("A", 5).await.unwrap();
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].body, seen[1].body);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&seen[1].body).unwrap(),
            json!({"estoque": 5})
        );
    }

    /// Splits `text` into pieces of `n` bytes (ASCII only).
    fn pieces(text: &str, n: usize) -> Vec<String> {
        text.as_bytes()
            .chunks(n)
            .map(|c| String::from_utf8(c.to_vec()).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn fault_ecomdc_an_answer_read_in_pieces_is_read_whole() {
        // A 200 in three-byte chunks: every piece counts, in order.
        let body = json!({"estoque": 1234567}).to_string();
        let server = ScriptServer::start(vec![Step::Chunked {
            status: 200,
            parts: pieces(&body, 3),
        }])
        .await;
        assert_eq!(client(&server).stock("A").await.unwrap(), 1234567);

        // An error answer in pieces: its excerpt holds the whole body.
        let body = r#"{"message":"item not found in this store"}"#;
        let server = ScriptServer::start(vec![Step::Chunked {
            status: 404,
            parts: pieces(body, 4),
        }])
        .await;
        let err = client(&server).stock("A").await.unwrap_err();
        let provider = err.provider_error().expect("a provider error");
        assert_eq!(provider.status, 404);
        assert_eq!(provider.body.as_deref(), Some(body), "{err}");
    }

    #[tokio::test]
    async fn fault_ecomdc_the_call_span_records_attempts_and_status() {
        use tracing_subscriber::fmt::format::FmtSpan;
        // A subscriber for this test's thread only (the runtime here is single-threaded).
        let captured = super::log_capture::Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("brcommerce=debug"))
            .with_span_events(FmtSpan::CLOSE)
            .with_writer(captured.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);

        let server = ScriptServer::start(vec![Step::text(502, "bad gateway"), stock(3)]).await;
        assert_eq!(client(&server).stock("A").await.unwrap(), 3);
        let text = captured.text();
        let close = text
            .lines()
            .find(|l| l.contains("brcommerce.call") && l.contains("close"))
            .unwrap_or_else(|| panic!("no closed call span in:\n{text}"));
        assert!(close.contains("operation=\"get_stock\""), "{close}");
        assert!(close.contains("attempts=2"), "{close}");
        assert!(close.contains("status=200"), "{close}");
        assert!(close.contains("duration_ms="), "{close}");
    }

    #[tokio::test]
    async fn fault_ecomdc_read_survives_gateway_errors() {
        let server = ScriptServer::start(vec![
            Step::text(502, "bad gateway"),
            Step::text(504, "timeout"),
            stock(6),
        ])
        .await;
        let c =
            client(&server).with_options(CallOptions::new().retry(fast_retry().max_attempts(3)));
        assert_eq!(c.stock("A").await.unwrap(), 6);
        assert_eq!(server.count(), 3);
    }

    /// Lets the first request through and refuses every later one, as a shared limiter that
    /// became unreachable and fails closed would.
    #[derive(Debug, Default)]
    struct FirstOnly(std::sync::atomic::AtomicU32);

    impl brcommerce::common::ratelimit::Pacer for FirstOnly {
        fn acquire<'a>(
            &'a self,
            _method: &'a reqwest::Method,
        ) -> futures::future::BoxFuture<'a, Result<(), brcommerce::Error>> {
            let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async move {
                if n == 0 {
                    return Ok(());
                }
                Err(brcommerce::Error::new(
                    brcommerce::Provider::Ecomdc,
                    "pacer",
                    ErrorKind::SharedState {
                        message: "limiter unreachable".into(),
                    },
                ))
            })
        }
        fn pause(&self, _wait: Duration) {}
    }

    #[tokio::test]
    async fn fault_ecomdc_a_retry_the_pacer_refuses_is_not_sent_and_reports_the_last_answer() {
        let server = ScriptServer::start(vec![Step::text(503, "busy"), stock(8)]).await;
        let c = Client::builder(Credentials::new("1", "secret-token"))
            .base_url(&server.base_url)
            .pacer(std::sync::Arc::new(FirstOnly::default()))
            .retry(fast_retry())
            .build()
            .unwrap();
        let err = c.stock("A").await.unwrap_err();
        // Not sent unpaced: the server saw the first request only.
        assert_eq!(server.count(), 1);
        assert_eq!(err.operation(), "get_stock");
        assert_eq!(err.status(), Some(503), "{err:?}");
        assert_eq!(err.attempts(), 1, "{err:?}");
    }

    #[tokio::test]
    async fn fault_ecomdc_retry_after_as_an_http_date_is_honoured() {
        let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
        let server = ScriptServer::start(vec![
            Step::text(429, "slow down").with_header("Retry-After", &at),
            stock(7),
        ])
        .await;
        let started = Instant::now();
        assert_eq!(client(&server).stock("A").await.unwrap(), 7);
        // HTTP dates have one-second resolution: the wait is between 1 and 2 seconds.
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(server.count(), 2);
    }

    #[tokio::test]
    async fn fault_ecomdc_a_put_is_repeated_after_a_reset() {
        let server = ScriptServer::start(vec![Step::Reset, Step::text(201, "")]).await;
        client(&server).set_stock("A", 3).await.unwrap();
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].body, seen[1].body, "the same update is sent again");
    }

    #[tokio::test]
    async fn fault_ecomdc_a_post_is_never_repeated_after_it_may_have_arrived() {
        for fault in [Step::Reset, Step::CloseMidBody, Step::text(503, "busy")] {
            let server = ScriptServer::start(vec![fault.clone(), Step::text(201, "")]).await;
            let err = client(&server).create_product(product()).await.unwrap_err();
            assert_eq!(server.count(), 1, "{fault:?}: sent once");
            assert_eq!(err.operation(), "create_product");
            if !matches!(fault, Step::Reply { .. }) {
                assert!(err.may_have_been_applied(), "{fault:?}: {err}");
                assert!(err.to_string().contains("may have been applied"), "{err}");
            }
        }
    }

    #[tokio::test]
    async fn fault_ecomdc_a_stalled_read_times_out_and_is_retried() {
        let server = ScriptServer::start(vec![
            Step::Stall(Duration::from_secs(3), Box::new(stock(1))),
            stock(2),
        ])
        .await;
        let c =
            client(&server).with_options(CallOptions::new().timeout(Duration::from_millis(300)));
        let started = Instant::now();
        assert_eq!(c.stock("A").await.unwrap(), 2);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(server.count(), 2);
    }

    /// The attempt timeout set on the builder (no per-call options) bounds every attempt, on
    /// the HTTP client the crate builds (which applies it itself) and on a custom one (which
    /// gets it on each request).
    #[tokio::test]
    async fn fault_ecomdc_the_builder_attempt_timeout_bounds_each_attempt() {
        use brcommerce::common::runtime::Timeouts;
        for custom in [false, true] {
            let server = ScriptServer::start(vec![
                Step::Stall(Duration::from_secs(3), Box::new(stock(1))),
                stock(2),
            ])
            .await;
            let mut builder = Client::builder(Credentials::new("1", "secret-token"))
                .base_url(&server.base_url)
                .rate_limits(unlimited())
                .retry(fast_retry())
                .timeouts(Timeouts::new(
                    Duration::from_secs(2),
                    Duration::from_millis(300),
                ));
            if custom {
                builder = builder.http_client(reqwest::Client::new());
            }
            let c = builder.build().unwrap();
            let started = Instant::now();
            assert_eq!(c.stock("A").await.unwrap(), 2, "custom client: {custom}");
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "custom client: {custom}: {:?}",
                started.elapsed()
            );
            assert_eq!(server.count(), 2, "custom client: {custom}");
        }
    }

    #[tokio::test]
    async fn fault_ecomdc_a_stalled_post_times_out_once_and_says_it_may_have_applied() {
        let server = ScriptServer::start(vec![Step::Stall(
            Duration::from_secs(3),
            Box::new(Step::text(201, "")),
        )])
        .await;
        let c =
            client(&server).with_options(CallOptions::new().timeout(Duration::from_millis(300)));
        // Without image URLs the attempt gets the plain timeout (images add 5 s each).
        let mut product = product();
        for m in &mut product.modelos {
            m.imagens = None;
            m.imagens_retangulares = None;
        }
        let err = c.create_product(product).await.unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::Timeout {
                    may_have_been_applied: true
                }
            ),
            "{err:?}"
        );
        assert_eq!(server.count(), 1);
    }

    #[tokio::test]
    async fn fault_ecomdc_the_attempt_limit_holds() {
        let server = ScriptServer::start(vec![Step::text(503, "down")]).await;
        let c =
            client(&server).with_options(CallOptions::new().retry(fast_retry().max_attempts(4)));
        let err = c.stock("A").await.unwrap_err();
        assert_eq!(server.count(), 4);
        assert_eq!(err.attempts(), 4);
        assert_eq!(err.status(), Some(503));
        assert_eq!(err.operation(), "get_stock");
    }

    #[tokio::test]
    async fn fault_ecomdc_the_time_budget_holds() {
        // The provider asks for 30 s; a 1 s budget gives up instead of waiting.
        let server =
            ScriptServer::start(vec![Step::text(429, "").with_header("Retry-After", "30")]).await;
        let policy = RetryPolicy::standard().budget(Duration::from_secs(1));
        let c = client(&server).with_options(CallOptions::new().retry(policy));
        let started = Instant::now();
        let err = c.stock("A").await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        assert!(
            matches!(err.kind(), ErrorKind::RateLimited { retry_after: Some(d) } if d.as_secs() == 30)
        );
        assert_eq!(server.count(), 1);
    }

    #[tokio::test]
    async fn fault_ecomdc_garbage_is_a_decode_error_naming_the_operation() {
        let server = ScriptServer::start(vec![Step::Reply {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: "<html>gateway</html>".into(),
        }])
        .await;
        let err = client(&server).stock("A").await.unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Decode { .. }), "{err:?}");
        assert_eq!(err.operation(), "get_stock");
        assert_eq!(server.count(), 1, "a malformed answer is not retried");
    }

    #[tokio::test]
    async fn fault_ecomdc_a_503_storm_does_not_become_a_retry_storm() {
        let server = ScriptServer::start(vec![Step::text(503, "down")]).await;
        let c = client(&server);
        let calls = 150;
        for _ in 0..calls {
            assert!(c.stock("A").await.is_err());
        }
        // Without the shared allowance this would be 150 × 3 = 450 requests; the allowance
        // (500 tokens, 5 per retry) permits 100 retries in total.
        assert_eq!(server.count(), calls + 100);
    }
}

#[cfg(feature = "appclubmais")]
mod appclubmais {
    use std::sync::Arc;

    use brcommerce::appclubmais::{Client, Credentials};
    use brcommerce::common::token::{MemoryStore, TokenSet};
    use rust_decimal_macros::dec;
    use serde_json::json;

    use super::common::fast_retry;
    use super::common::script_server::{ScriptServer, Step};

    /// A client with a valid token already stored, so every request the server sees is the call.
    fn client(server: &ScriptServer) -> Client {
        let token = TokenSet::issued("t".into(), None, Some(30 * 24 * 3600));
        Client::builder(Credentials::new(1, "s"))
            .base_url(&server.base_url)
            .retry(fast_retry())
            .token_store(Arc::new(MemoryStore::with(token)))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn fault_appclubmais_reads_survive_resets_and_5xx() {
        let ok = Step::json(200, json!({"success": true, "data": []}));
        let server = ScriptServer::start(vec![Step::Reset, Step::text(503, "busy"), ok]).await;
        assert!(client(&server).promotions().await.unwrap().items.is_empty());
        assert_eq!(server.count(), 3);
    }

    #[tokio::test]
    async fn fault_appclubmais_a_purchase_is_never_sent_twice() {
        let server = ScriptServer::start(vec![
            Step::CloseMidBody,
            Step::json(201, json!({"success": true})),
        ])
        .await;
        let err = client(&server)
            .register_purchase(9, dec!(10), &[(1, dec!(1))])
            .await
            .unwrap_err();
        assert_eq!(server.count(), 1);
        assert!(err.may_have_been_applied(), "{err}");
        assert_eq!(err.operation(), "register_purchase");
    }

    #[tokio::test]
    async fn fault_appclubmais_put_status_is_repeated_after_a_reset() {
        let server = ScriptServer::start(vec![
            Step::Reset,
            Step::json(200, json!({"success": true, "data": "ENTREGUE"})),
        ])
        .await;
        let status = client(&server)
            .set_order_status(
                51,
                brcommerce::appclubmais::types::OrderStatusKnown::Entregue,
            )
            .await
            .unwrap()
            .stored()
            .unwrap();
        assert!(matches!(
            status,
            brcommerce::appclubmais::types::OrderStatus::Known(
                brcommerce::appclubmais::types::OrderStatusKnown::Entregue
            )
        ));
        assert_eq!(server.count(), 2);
    }
}

#[cfg(feature = "pluggto")]
mod pluggto {
    use std::sync::Arc;

    use brcommerce::common::token::{MemoryStore, TokenSet};
    use brcommerce::pluggto::{Client, Credentials, types};
    use serde_json::json;

    use super::common::fast_retry;
    use super::common::script_server::{ScriptServer, Step};

    fn client(server: &ScriptServer) -> Client {
        let token = TokenSet::issued("t".into(), Some("r".into()), Some(3600));
        Client::builder(Credentials::password("c", "s", "u", "p"))
            .base_url(&server.base_url)
            .retry(fast_retry())
            .token_store(Arc::new(MemoryStore::with(token)))
            .build()
            .unwrap()
    }

    fn order() -> serde_json::Value {
        super::common::response_example("pluggto", "get_order", "200")
    }

    #[tokio::test]
    async fn fault_pluggto_reads_survive_a_body_cut_short_and_429_with_retry_after() {
        let server = ScriptServer::start(vec![
            Step::CloseMidBody,
            Step::text(429, "slow down").with_header("retry-after", "0"),
            Step::json(200, order()),
        ])
        .await;
        let o = client(&server).order("o1").await.unwrap();
        assert_eq!(o.id, "5877efb70280833e402e54bc");
        assert_eq!(server.count(), 3);
    }

    #[tokio::test]
    async fn fault_pluggto_an_order_post_is_never_repeated() {
        let server = ScriptServer::start(vec![Step::CloseMidBody, Step::json(201, order())]).await;
        let input: types::OrderInput =
            serde_json::from_value(super::common::request_example("pluggto", "create_order"))
                .unwrap();
        let err = client(&server).create_order(input).await.unwrap_err();
        assert_eq!(server.count(), 1);
        assert!(err.may_have_been_applied(), "{err}");
        assert_eq!(err.operation(), "create_order");
    }

    #[tokio::test]
    async fn fault_pluggto_a_stock_put_is_repeated_after_a_gateway_error() {
        let product = super::common::response_example("pluggto", "update_sku_stock", "200");
        let server = ScriptServer::start(vec![
            Step::text(502, "bad gateway"),
            Step::json(200, product),
        ])
        .await;
        client(&server)
            .update_stock("pai", brcommerce::pluggto::StockChange::Set(3))
            .await
            .unwrap();
        assert_eq!(server.count(), 2);
        let seen = server.seen();
        assert_eq!(seen[0].body, seen[1].body, "the same change, sent again");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&seen[1].body).unwrap(),
            json!({"action": "update", "quantity": 3, "sku": "pai"})
        );
    }
}

#[cfg(feature = "connectplug")]
mod connectplug {
    use std::sync::Arc;

    use brcommerce::common::token::{MemoryStore, TokenSet};
    use brcommerce::connectplug::{Client, Credentials, types};

    use super::common::fast_retry;
    use super::common::script_server::{ScriptServer, Step};

    fn client(server: &ScriptServer) -> Client {
        let token = TokenSet::issued("t".into(), None, Some(3600));
        Client::builder(Credentials::password("c", "s", "u", "p"))
            .base_url(&server.base_url)
            .token_url(&server.base_url)
            .company(12)
            .retry(fast_retry())
            .token_store(Arc::new(MemoryStore::with(token)))
            .build()
            .unwrap()
    }

    fn create_body() -> types::CategoryCreate {
        serde_json::from_value(super::common::request_example(
            "connectplug",
            "create_category",
        ))
        .unwrap()
    }

    #[tokio::test]
    async fn fault_connectplug_a_keyed_post_is_retried_with_the_same_key() {
        let created = super::common::response_example("connectplug", "create_category", "201");
        let server = ScriptServer::start(vec![
            Step::CloseMidBody,
            Step::text(504, "timeout"),
            Step::json(201, created),
        ])
        .await;
        let c = client(&server);
        c.run(c.raw().create_category().body(create_body()).send())
            .await
            .unwrap();
        let seen = server.seen();
        assert_eq!(
            seen.len(),
            3,
            "retried because the write carries an idempotency key"
        );
        let key = seen[0].header("idempotency-key").unwrap();
        assert!(
            seen.iter()
                .all(|s| s.header("idempotency-key") == Some(key))
        );
    }

    #[tokio::test]
    async fn fault_connectplug_the_attempt_limit_holds_for_writes() {
        let server = ScriptServer::start(vec![Step::text(503, "busy")]).await;
        let c = client(&server);
        let err = c
            .run(c.raw().create_category().body(create_body()).send())
            .await
            .unwrap_err();
        assert_eq!(server.count(), 3, "three attempts, then the error");
        assert_eq!(err.status(), Some(503));
        assert_eq!(err.attempts(), 3);
    }

    #[tokio::test]
    async fn fault_connectplug_garbage_is_a_decode_error_naming_the_operation() {
        let server = ScriptServer::start(vec![Step::Reply {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: r#"{"data": {"units": [{"id": "not-a-number"}]}}"#.into(),
        }])
        .await;
        let c = client(&server);
        let err = c.run(c.raw().list_units().send()).await.unwrap_err();
        match err.kind() {
            brcommerce::ErrorKind::Decode { path, .. } => {
                assert_eq!(path, "data.units[0].id");
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
        assert_eq!(err.operation(), "list_units");
    }
}
