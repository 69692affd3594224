use std::sync::Arc;

use brcommerce::appclubmais::{Client, ClientId, Credentials};
use brcommerce::common::token::{FileStore, TokenSet, TokenStore};
use brcommerce::{ErrorKind, Provider};
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use serde_json::json;

use super::common::Bodies;
use super::{SECRET, TOKEN, client, example, token_endpoint};

#[tokio::test]
async fn the_token_request_sends_client_credentials_with_an_integer_id() {
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    let token = server
        .mock_async(|when, then| {
            bodies.record(
                when.method(POST)
                    .path("/oauth/token")
                    .header("content-type", "application/json")
                    .header("accept", "application/json"),
            );
            then.status(200).json_body(
                json!({"token_type": "Bearer", "expires_in": 31536000, "access_token": TOKEN}),
            );
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/promocoes");
            then.status(200)
                .json_body(example("list_promotions", "200"));
        })
        .await;
    client(&server).promotions().await.unwrap();
    token.assert_async().await;
    let sent = bodies.last_json();
    assert_eq!(
        sent,
        json!({"grant_type": "client_credentials", "client_id": 29, "client_secret": SECRET})
    );
    assert!(sent["client_id"].is_i64(), "never a float: {sent}");
}

#[tokio::test]
async fn a_textual_client_id_is_sent_as_text() {
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    server
        .mock_async(|when, then| {
            bodies.record(when.method(POST).path("/oauth/token"));
            then.status(200)
                .json_body(json!({"access_token": TOKEN, "expires_in": 60}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/promocoes");
            then.status(200)
                .json_body(json!({"success": true, "data": []}));
        })
        .await;
    let c = Client::builder(Credentials::new(ClientId::Text("abc-29".into()), SECRET))
        .base_url(server.base_url())
        .build()
        .unwrap();
    c.promotions().await.unwrap();
    assert_eq!(bodies.last_json()["client_id"], json!("abc-29"));
}

#[tokio::test]
async fn the_token_is_cached_and_sent_with_accept_on_every_request() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server, TOKEN).await;
    let resource = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/pedidos")
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("accept", "application/json");
            then.status(200)
                .json_body(json!({"success": true, "data": []}));
        })
        .await;
    let c = client(&server);
    for _ in 0..5 {
        c.orders_page(&Default::default(), None).await.unwrap();
    }
    token.assert_calls_async(1).await;
    resource.assert_calls_async(5).await;
    assert_eq!(c.token_requests(), 1);
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_retries() {
    let server = MockServer::start_async().await;
    let renewed = token_endpoint(&server, "new-token").await;
    let stale = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/promocoes")
                .header("authorization", "Bearer old-token");
            then.status(401)
                .json_body(json!({"message": "Unauthenticated."}));
        })
        .await;
    let fresh = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/promocoes")
                .header("authorization", "Bearer new-token");
            then.status(200)
                .json_body(json!({"success": true, "data": []}));
        })
        .await;
    // A token the provider no longer accepts (revoked), though not expired.
    let old = TokenSet::issued("old-token".into(), None, Some(30 * 24 * 3600));
    let c = Client::builder(Credentials::new(29, SECRET))
        .base_url(server.base_url())
        .token_store(Arc::new(brcommerce::common::token::MemoryStore::with(old)))
        .build()
        .unwrap();
    c.promotions().await.unwrap();
    stale.assert_calls_async(1).await;
    renewed.assert_calls_async(1).await;
    fresh.assert_calls_async(1).await;
    assert_eq!(c.stats().renewals, 1);
}

#[tokio::test]
async fn a_second_401_is_an_auth_error_not_a_loop() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server, TOKEN).await;
    let resource = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/pedidos");
            then.status(401)
                .json_body(json!({"message": "Unauthenticated."}));
        })
        .await;
    let err = client(&server)
        .orders_page(&Default::default(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Auth { status: Some(401), message } if message == "Unauthenticated."),
        "{err:?}"
    );
    assert_eq!(err.provider(), Provider::Appclubmais);
    assert_eq!(err.operation(), "list_orders");
    resource.assert_calls_async(2).await;
    token.assert_calls_async(2).await;
}

#[tokio::test]
async fn refused_client_credentials_are_an_auth_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth/token");
            then.status(401).json_body(json!({"error": "invalid_client", "error_description": "Client authentication failed", "message": "Client authentication failed"}));
        })
        .await;
    let err = client(&server)
        .orders_page(&Default::default(), None)
        .await
        .unwrap_err();
    match err.kind() {
        ErrorKind::Auth { message, .. } => assert!(
            message.contains("Client authentication failed"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(!format!("{err:?}{err}").contains(SECRET));
}

#[tokio::test]
async fn a_file_store_keeps_the_token_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acm-token.json");
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server, TOKEN).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/promocoes");
            then.status(200)
                .json_body(json!({"success": true, "data": []}));
        })
        .await;
    for _ in 0..2 {
        let store = Arc::new(FileStore::new(Provider::Appclubmais, &path));
        let c = Client::builder(Credentials::new(29, SECRET))
            .base_url(server.base_url())
            .token_store(store)
            .build()
            .unwrap();
        c.promotions().await.unwrap();
    }
    token.assert_calls_async(1).await;
    let stored = FileStore::new(Provider::Appclubmais, &path)
        .load()
        .await
        .unwrap()
        .unwrap();
    assert!(
        !stored.expires_within(std::time::Duration::from_secs(300 * 24 * 3600)),
        "about a year"
    );
}

#[tokio::test]
async fn a_token_about_to_expire_is_renewed_before_use() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server, "fresh").await;
    let resource = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/promocoes")
                .header("authorization", "Bearer fresh");
            then.status(200)
                .json_body(json!({"success": true, "data": []}));
        })
        .await;
    let expiring = TokenSet::issued("expiring".into(), None, Some(60));
    let c = Client::builder(Credentials::new(29, SECRET))
        .base_url(server.base_url())
        .token_store(Arc::new(brcommerce::common::token::MemoryStore::with(
            expiring,
        )))
        .build()
        .unwrap();
    c.promotions().await.unwrap();
    token.assert_calls_async(1).await;
    resource.assert_calls_async(1).await;
}

#[tokio::test]
async fn another_grant_type_can_be_sent_as_the_provider_spells_it() {
    // A3: the documentation's list of grant types is empty (D10, its example sends the
    // placeholder "temporibus") and the one grant it names is spelled `CLIENT_CREDENTIALS` (D44).
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    server
        .mock_async(|when, then| {
            bodies.record(when.method(POST).path("/oauth/token"));
            then.status(200).json_body(
                json!({"token_type": "Bearer", "expires_in": 31536000, "access_token": TOKEN}),
            );
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/promocoes")
                .header("authorization", format!("Bearer {TOKEN}"));
            then.status(200)
                .json_body(example("list_promotions", "200"));
        })
        .await;
    for (grant, sent) in [
        ("CLIENT_CREDENTIALS", "CLIENT_CREDENTIALS"),
        ("client_credentials", "client_credentials"),
    ] {
        let c =
            Client::builder(Credentials::new(ClientId::Number(29), SECRET).with_grant_type(grant))
                .base_url(server.base_url())
                .build()
                .unwrap();
        c.promotions().await.unwrap();
        assert_eq!(bodies.last_json()["grant_type"], sent);
    }
    // A token request with a grant the spec does not know reads and writes back as it was.
    let other: brcommerce::appclubmais::types::TokenRequest = serde_json::from_value(
        json!({"grant_type": "personal_access", "client_id": 29, "client_secret": "s"}),
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&other).unwrap()["grant_type"],
        "personal_access"
    );
}
