//! Single flight for every token provider: 1000 concurrent calls that find the token expired
//! cause exactly one token request, and a failed refresh reaches every waiter without each of
//! them asking again.

mod common;

#[cfg(feature = "appclubmais")]
mod appclubmais {
    use std::sync::Arc;

    use brcommerce::ErrorKind;
    use brcommerce::appclubmais::{Client, Credentials};
    use brcommerce::common::token::{MemoryStore, TokenSet};
    use httpmock::Method::{GET, POST};
    use httpmock::MockServer;
    use serde_json::json;

    fn expired_client(server: &MockServer) -> Client {
        let expired = TokenSet::issued("expired".into(), None, Some(0));
        Client::builder(Credentials::new(29, "secret"))
            .base_url(server.base_url())
            .token_store(Arc::new(MemoryStore::with(expired)))
            .build()
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn single_flight_appclubmais_1000_calls_one_token_request() {
        let server = MockServer::start_async().await;
        let token = server
            .mock_async(|when, then| {
                when.method(POST).path("/oauth/token");
                then.status(200)
                    .delay(std::time::Duration::from_millis(100))
                    .json_body(json!({"access_token": "fresh", "expires_in": 31536000}));
            })
            .await;
        let resource = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path("/api/v1/promocoes")
                    .header("authorization", "Bearer fresh");
                then.status(200)
                    .json_body(json!({"success": true, "data": []}));
            })
            .await;
        let c = expired_client(&server);
        let calls = (0..1000).map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.promotions().await })
        });
        let results = futures::future::join_all(calls).await;
        assert!(results.iter().all(|r| r.as_ref().unwrap().is_ok()));
        token.assert_calls_async(1).await;
        resource.assert_calls_async(1000).await;
        assert_eq!(c.token_requests(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn single_flight_appclubmais_a_failed_refresh_reaches_every_waiter() {
        let server = MockServer::start_async().await;
        let token = server
            .mock_async(|when, then| {
                when.method(POST).path("/oauth/token");
                then.status(401)
                    .delay(std::time::Duration::from_millis(100))
                    .json_body(json!({"error": "invalid_client", "message": "Client authentication failed"}));
            })
            .await;
        let resource = server
            .mock_async(|when, then| {
                when.method(GET).path("/api/v1/promocoes");
                then.status(200)
                    .json_body(json!({"success": true, "data": []}));
            })
            .await;
        let c = expired_client(&server);
        let calls = (0..1000).map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.promotions().await })
        });
        let results = futures::future::join_all(calls).await;
        for r in &results {
            let err = r.as_ref().unwrap().as_ref().unwrap_err();
            assert!(matches!(err.kind(), ErrorKind::Auth { .. }), "{err:?}");
        }
        token.assert_calls_async(1).await;
        resource.assert_calls_async(0).await;
    }
}

#[cfg(feature = "pluggto")]
mod pluggto {
    use std::sync::Arc;

    use brcommerce::ErrorKind;
    use brcommerce::common::token::{MemoryStore, TokenSet};
    use brcommerce::pluggto::{Client, Credentials};
    use httpmock::Method::{GET, POST};
    use httpmock::MockServer;
    use serde_json::json;

    fn expired_client(server: &MockServer) -> Client {
        let expired = TokenSet::issued("expired".into(), Some("r0".into()), Some(0));
        Client::builder(Credentials::password("c", "secret", "u", "p"))
            .base_url(server.base_url())
            .token_store(Arc::new(MemoryStore::with(expired)))
            .build()
            .unwrap()
    }

    fn order() -> serde_json::Value {
        super::common::response_example("pluggto", "get_order", "200")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn single_flight_pluggto_1000_calls_one_refresh() {
        let server = MockServer::start_async().await;
        let token = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path("/oauth/token")
                    .body_includes("refresh_token=r0");
                then.status(200)
                    .delay(std::time::Duration::from_millis(100))
                    .json_body(
                        json!({"access_token": "fresh", "refresh_token": "r1", "expires_in": 3600}),
                    );
            })
            .await;
        let resource = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path("/orders/o1")
                    .header("authorization", "Bearer fresh");
                then.status(200).json_body(order());
            })
            .await;
        let c = expired_client(&server);
        let calls = (0..1000).map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.order("o1").await })
        });
        let results = futures::future::join_all(calls).await;
        assert!(results.iter().all(|r| r.as_ref().unwrap().is_ok()));
        token.assert_calls_async(1).await;
        resource.assert_calls_async(1000).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn single_flight_pluggto_a_failed_refresh_reaches_every_waiter() {
        let server = MockServer::start_async().await;
        // The refresh token is refused and so is the password fallback.
        let token = server
            .mock_async(|when, then| {
                when.method(POST).path("/oauth/token");
                then.status(401)
                    .delay(std::time::Duration::from_millis(100))
                    .json_body(json!({"error": "invalid_client"}));
            })
            .await;
        let c = expired_client(&server);
        let calls = (0..1000).map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.order("o1").await })
        });
        for r in futures::future::join_all(calls).await {
            let err = r.unwrap().unwrap_err();
            assert!(matches!(err.kind(), ErrorKind::Auth { .. }), "{err:?}");
        }
        // One refresh attempt and its one password fallback, for all 1000 callers.
        token.assert_calls_async(2).await;
    }
}

#[cfg(feature = "connectplug")]
mod connectplug {
    use std::sync::Arc;

    use brcommerce::common::token::{MemoryStore, TokenSet};
    use brcommerce::connectplug::{Client, Credentials};
    use httpmock::Method::{GET, POST};
    use httpmock::MockServer;
    use serde_json::json;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn single_flight_connectplug_1000_calls_one_token_request() {
        let server = MockServer::start_async().await;
        let token = server
            .mock_async(|when, then| {
                when.method(POST).path("/oauth/token");
                then.status(200)
                    .delay(std::time::Duration::from_millis(100))
                    .json_body(json!({"access_token": "fresh", "expires_in": 3600}));
            })
            .await;
        let resource = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path("/api/v3/units")
                    .header("authorization", "Bearer fresh");
                then.status(200).json_body(json!({"data": {"units": []}}));
            })
            .await;
        let expired = TokenSet::issued("expired".into(), None, Some(0));
        let c = Client::builder(Credentials::password("c", "s", "u", "p"))
            .base_url(server.base_url())
            .token_url(server.base_url())
            .company(12)
            .token_store(Arc::new(MemoryStore::with(expired)))
            .build()
            .unwrap();
        let calls = (0..1000).map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.run(c.raw().list_units().send()).await })
        });
        let results = futures::future::join_all(calls).await;
        assert!(results.iter().all(|r| r.as_ref().unwrap().is_ok()));
        token.assert_calls_async(1).await;
        resource.assert_calls_async(1000).await;
        assert_eq!(c.token_requests(), 1);
    }
}
