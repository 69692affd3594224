use std::sync::{Arc, Mutex};
use std::time::Duration;

use brcommerce::common::token::{FileStore, MemoryStore, TokenSet, TokenStore};
use brcommerce::pluggto::{Client, Credentials};
use brcommerce::{Error, ErrorKind, Provider};
use futures::future::BoxFuture;
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use serde_json::json;

use super::common::Bodies;
use super::{
    API_PASSWORD, CLIENT_SECRET, TOKEN, client, credentials, example, form, token_endpoint,
};

fn expired(access: &str, refresh: &str) -> TokenSet {
    TokenSet::issued(access.into(), Some(refresh.into()), Some(0))
}

fn valid(access: &str, refresh: &str) -> TokenSet {
    TokenSet::issued(access.into(), Some(refresh.into()), Some(3600))
}

fn client_with_store(
    server: &MockServer,
    creds: Credentials,
    store: Arc<dyn TokenStore>,
) -> Client {
    Client::builder(creds)
        .base_url(server.base_url())
        .retry(super::common::fast_retry())
        .token_store(store)
        .build()
        .unwrap()
}

/// GET /orders/{id} answering the example order when called with `access` in the header
/// PluggTo documents (and not in the URL).
async fn order_with_token<'a>(server: &'a MockServer, access: &str) -> httpmock::Mock<'a> {
    let access = access.to_owned();
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/orders/o1")
                .header("authorization", format!("Bearer {access}"))
                .query_param_missing("access_token");
            then.status(200).json_body(example("get_order", "200"));
        })
        .await
}

/// Audit P10: PluggTo's current reference (developers.plugg.to/reference/getting-started-with-
/// your-api) sends the token "in the call header ... Authorization: Bearer {ACCESS_TOKEN}".
#[tokio::test]
async fn the_password_grant_is_form_encoded_and_the_token_travels_in_the_bearer_header() {
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    let token = server
        .mock_async(|when, then| {
            bodies.record(
                when.method(POST)
                    .path("/oauth/token")
                    .header("content-type", "application/x-www-form-urlencoded"),
            );
            then.status(200).json_body(
                json!({"access_token": TOKEN, "refresh_token": "r1", "expires_in": 3600}),
            );
        })
        .await;
    let order = order_with_token(&server, TOKEN).await;
    client(&server).order("o1").await.unwrap();
    token.assert_async().await;
    order.assert_async().await;
    let sent = form(&bodies.texts()[0]);
    assert_eq!(sent["grant_type"], "password");
    assert_eq!(sent["client_id"], "plugin-1");
    assert_eq!(sent["client_secret"], CLIENT_SECRET);
    assert_eq!(sent["username"], "api-user");
    assert_eq!(sent["password"], API_PASSWORD);
    assert!(!sent.contains_key("refresh_token"));
}

/// The older Postman collection's form (`?access_token=`, PM l.168) stays available.
#[tokio::test]
async fn the_query_parameter_form_is_an_option() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let in_query = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/orders/o1")
                .query_param("access_token", TOKEN)
                .header_missing("authorization");
            then.status(200).json_body(example("get_order", "200"));
        })
        .await;
    let c = Client::builder(credentials())
        .base_url(server.base_url())
        .access_token_in_query()
        .build()
        .unwrap();
    c.order("o1").await.unwrap();
    in_query.assert_async().await;
}

#[tokio::test]
async fn the_token_is_reused_while_valid() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server, TOKEN, "r1").await;
    let order = order_with_token(&server, TOKEN).await;
    let c = client(&server);
    for _ in 0..3 {
        c.order("o1").await.unwrap();
    }
    assert_eq!(token.calls_async().await, 1);
    assert_eq!(order.calls_async().await, 3);
    assert_eq!(c.token_requests(), 1);
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_with_the_newest_refresh_token() {
    let server = MockServer::start_async().await;
    // The password grant issues a token that is already inside the renewal margin.
    let first = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth/token")
                .body_includes("grant_type=password");
            then.status(200)
                .json_body(json!({"access_token": "a1", "refresh_token": "r1", "expires_in": 60}));
        })
        .await;
    let refresh = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth/token")
                .body_includes("grant_type=refresh_token")
                .body_includes("refresh_token=r1");
            then.status(200).json_body(
                json!({"access_token": "a2", "refresh_token": "r2", "expires_in": 3600}),
            );
        })
        .await;
    let with_a1 = order_with_token(&server, "a1").await;
    let with_a2 = order_with_token(&server, "a2").await;
    let store = Arc::new(MemoryStore::new());
    let c = client_with_store(&server, credentials(), store.clone());
    c.order("o1").await.unwrap(); // a1 (fresh enough to use once)
    c.order("o1").await.unwrap(); // a1 expires within the margin: refreshed with r1
    assert_eq!(first.calls_async().await, 1);
    assert_eq!(refresh.calls_async().await, 1);
    assert!(with_a1.calls_async().await <= 1);
    assert!(with_a2.calls_async().await >= 1);
    let stored = store.load().await.unwrap().unwrap();
    use secrecy::ExposeSecret;
    assert_eq!(stored.refresh_token.unwrap().expose_secret(), "r2");
}

#[tokio::test]
async fn the_rotated_refresh_token_survives_a_restart_in_the_file_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pluggto.json");
    let server = MockServer::start_async().await;
    let r1 = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth/token")
                .body_includes("refresh_token=r1");
            then.status(200)
                .json_body(json!({"access_token": "a2", "refresh_token": "r2", "expires_in": 1}));
        })
        .await;
    let r2 = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth/token")
                .body_includes("refresh_token=r2");
            then.status(200).json_body(
                json!({"access_token": "a3", "refresh_token": "r3", "expires_in": 3600}),
            );
        })
        .await;
    let stale = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth/token")
                .body_includes("refresh_token=r0");
            then.status(400)
                .json_body(json!({"error": "invalid_grant"}));
        })
        .await;
    order_with_token(&server, "a2").await;
    order_with_token(&server, "a3").await;

    // First run: starts from a refresh token it was given (r1) and rotates it to r2.
    {
        let store = Arc::new(FileStore::new(Provider::Pluggto, &path));
        let creds = Credentials::refresh_token("plugin-1", CLIENT_SECRET, "r1");
        let c = client_with_store(&server, creds, store);
        c.order("o1").await.unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("r2") && !text.contains("\"r1\""), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // Restart with an outdated refresh token in the configuration: the stored r2 wins.
    let store = Arc::new(FileStore::new(Provider::Pluggto, &path));
    let creds = Credentials::refresh_token("plugin-1", CLIENT_SECRET, "r0");
    let c = client_with_store(&server, creds, store);
    c.order("o1").await.unwrap();
    assert_eq!(r1.calls_async().await, 1);
    assert_eq!(r2.calls_async().await, 1);
    assert_eq!(
        stale.calls_async().await,
        0,
        "the outdated refresh token must not be used"
    );
    assert!(std::fs::read_to_string(&path).unwrap().contains("r3"));
}

#[tokio::test]
async fn a_hundred_concurrent_calls_with_an_expired_token_make_one_token_request() {
    let server = MockServer::start_async().await;
    let refresh = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth/token")
                .body_includes("refresh_token=r0");
            then.status(200).delay(Duration::from_millis(50)).json_body(
                json!({"access_token": "fresh", "refresh_token": "r1", "expires_in": 3600}),
            );
        })
        .await;
    let with_fresh = order_with_token(&server, "fresh").await;
    let store = Arc::new(MemoryStore::with(expired("old", "r0")));
    let c = client_with_store(&server, credentials(), store);
    let calls = (0..100).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { c.order("o1").await })
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    assert_eq!(refresh.calls_async().await, 1);
    assert_eq!(c.token_requests(), 1);
    assert_eq!(with_fresh.calls_async().await, 100);
}

#[tokio::test]
async fn a_401_refreshes_once_and_retries_once() {
    let server = MockServer::start_async().await;
    let refresh = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth/token")
                .body_includes("refresh_token=r0");
            then.status(200).json_body(
                json!({"access_token": "new", "refresh_token": "r1", "expires_in": 3600}),
            );
        })
        .await;
    let revoked = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/orders/o1")
                .header("authorization", "Bearer old");
            then.status(401)
                .json_body(json!({"error": "Unauthorized", "type": "invalid_token",
                "message": "The access token provided has expired"}));
        })
        .await;
    let with_new = order_with_token(&server, "new").await;
    let store = Arc::new(MemoryStore::with(valid("old", "r0")));
    let c = client_with_store(&server, credentials(), store);
    let order = c.order("o1").await.unwrap();
    assert_eq!(order.id, "5877efb70280833e402e54bc");
    assert_eq!(revoked.calls_async().await, 1);
    assert_eq!(refresh.calls_async().await, 1);
    assert_eq!(with_new.calls_async().await, 1);
}

#[tokio::test]
async fn a_401_that_persists_is_an_auth_error_not_a_loop() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server, TOKEN, "r1").await;
    let denied = server
        .mock_async(|when, then| {
            when.method(GET).path("/orders/o1");
            then.status(401)
                .json_body(json!({"error": "Unauthorized", "message": "no access"}));
        })
        .await;
    let err = client(&server).order("o1").await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.provider(), Provider::Pluggto);
    assert_eq!(err.operation(), "get_order");
    assert_eq!(
        denied.calls_async().await,
        2,
        "one call and one retry after renewing"
    );
    assert_eq!(token.calls_async().await, 2, "first token and one renewal");
}

#[tokio::test]
async fn a_refused_refresh_falls_back_to_the_password_grant() {
    let server = MockServer::start_async().await;
    let refused = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth/token")
                .body_includes("grant_type=refresh_token");
            then.status(400).json_body(
                json!({"error": "invalid_grant", "error_description": "Invalid refresh token"}),
            );
        })
        .await;
    let password = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth/token")
                .body_includes("grant_type=password");
            then.status(200).json_body(
                json!({"access_token": TOKEN, "refresh_token": "r9", "expires_in": 3600}),
            );
        })
        .await;
    order_with_token(&server, TOKEN).await;
    let store = Arc::new(MemoryStore::with(expired("old", "dead")));
    client_with_store(&server, credentials(), store)
        .order("o1")
        .await
        .unwrap();
    assert_eq!(refused.calls_async().await, 1);
    assert_eq!(password.calls_async().await, 1);
}

#[tokio::test]
async fn the_authorization_code_is_exchanged_once_then_refresh_tokens_take_over() {
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    let code = server
        .mock_async(|when, then| {
            bodies.record(
                when.method(POST)
                    .path("/oauth/token")
                    .body_includes("grant_type=authorization_code"),
            );
            then.status(200)
                .json_body(json!({"access_token": "a1", "refresh_token": "r1", "expires_in": 60}));
        })
        .await;
    let refresh = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth/token")
                .body_includes("refresh_token=r1");
            then.status(200).json_body(
                json!({"access_token": "a2", "refresh_token": "r2", "expires_in": 3600}),
            );
        })
        .await;
    order_with_token(&server, "a1").await;
    order_with_token(&server, "a2").await;
    let c = Client::builder(Credentials::authorization_code(
        "app-7",
        CLIENT_SECRET,
        "pluggtocode-xyz",
    ))
    .base_url(server.base_url())
    .build()
    .unwrap();
    c.order("o1").await.unwrap();
    c.order("o1").await.unwrap();
    assert_eq!(code.calls_async().await, 1);
    assert_eq!(refresh.calls_async().await, 1);
    let sent = form(&bodies.texts()[0]);
    assert_eq!(sent["code"], "pluggtocode-xyz");
    assert_eq!(sent["client_id"], "app-7");
}

#[tokio::test]
async fn a_refused_refresh_after_the_code_was_used_asks_to_authorize_again() {
    let server = MockServer::start_async().await;
    let code = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth/token")
                .body_includes("grant_type=authorization_code");
            then.status(400)
                .json_body(json!({"error": "invalid_grant"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth/token")
                .body_includes("grant_type=refresh_token");
            then.status(400).json_body(
                json!({"error": "invalid_grant", "error_description": "Refresh token revoked"}),
            );
        })
        .await;
    let store = Arc::new(MemoryStore::with(expired("old", "r5")));
    let c = client_with_store(
        &server,
        Credentials::authorization_code("app-7", CLIENT_SECRET, "used-code"),
        store,
    );
    let err = c.order("o1").await.unwrap_err();
    match err.kind() {
        ErrorKind::Auth { message, .. } => {
            assert!(message.contains("Refresh token revoked"), "{message}")
        }
        other => panic!("expected an auth error, got {other:?}"),
    }
    assert_eq!(
        code.calls_async().await,
        0,
        "the stale one-time code is not replayed"
    );
}

#[tokio::test]
async fn a_token_endpoint_refusal_is_an_auth_error_with_the_provider_message() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth/token");
            then.status(401)
                .json_body(json!({"error": "invalid_client", "error_description": "Client authentication failed"}));
        })
        .await;
    let resource = order_with_token(&server, TOKEN).await;
    let err = client(&server).order("o1").await.unwrap_err();
    match err.kind() {
        ErrorKind::Auth { status, message } => {
            assert_eq!(*status, Some(401));
            assert_eq!(message, "Client authentication failed");
        }
        other => panic!("expected an auth error, got {other:?}"),
    }
    assert_eq!(resource.calls_async().await, 0);
}

/// A store whose saves fail.
#[derive(Debug, Default)]
struct FailingStore(Mutex<u32>);

impl TokenStore for FailingStore {
    fn load(&self) -> BoxFuture<'_, Result<Option<TokenSet>, Error>> {
        Box::pin(async { Ok(None) })
    }
    fn save<'a>(&'a self, _tokens: &'a TokenSet) -> BoxFuture<'a, Result<(), Error>> {
        *self.0.lock().unwrap() += 1;
        Box::pin(async {
            Err(Error::new(
                Provider::Pluggto,
                "token_store",
                ErrorKind::Config {
                    message: "disk full".into(),
                },
            ))
        })
    }
}

#[tokio::test]
async fn a_token_that_cannot_be_saved_is_not_used() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let resource = order_with_token(&server, TOKEN).await;
    let store = Arc::new(FailingStore::default());
    let c = client_with_store(&server, credentials(), store.clone());
    let err = c.order("o1").await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Auth { .. }), "{err}");
    assert!(err.to_string().contains("could not be saved"), "{err}");
    assert_eq!(
        resource.calls_async().await,
        0,
        "the new access token was used before it was saved"
    );
    assert!(*store.0.lock().unwrap() >= 1);
}

#[tokio::test]
async fn x_user_id_is_sent_when_configured() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let with_user = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/orders/o1")
                .header("x-user_id", "1120");
            then.status(200).json_body(example("get_order", "200"));
        })
        .await;
    let c = Client::builder(credentials())
        .base_url(server.base_url())
        .user_id("1120")
        .build()
        .unwrap();
    c.order("o1").await.unwrap();
    with_user.assert_async().await;
    // Without it, the header is absent.
    let plain = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/orders/o2")
                .header_missing("x-user_id");
            then.status(200).json_body(example("get_order", "200"));
        })
        .await;
    client(&server).order("o2").await.unwrap();
    plain.assert_async().await;
}

#[tokio::test]
async fn secrets_never_show_in_debug_or_errors() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "refresh-secret-r1").await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/orders/o1");
            then.status(500).body("upstream failure");
        })
        .await;
    let c = client(&server);
    let err = c.order("o1").await.unwrap_err();
    for text in [
        format!("{c:?}"),
        format!("{err}"),
        format!("{err:?}"),
        format!("{:?}", credentials()),
    ] {
        for secret in [CLIENT_SECRET, API_PASSWORD, TOKEN, "refresh-secret-r1"] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
    }
}
