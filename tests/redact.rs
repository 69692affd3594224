//! Secrets never appear in logs, `Debug` or errors. Every test here captures all tracing output
//! at TRACE level (this crate's spans and events, and reqwest's and hyper's) while calls carrying
//! secrets run, then checks the captured text and every `Debug`/`Display` string it can reach.

mod common;

use std::sync::OnceLock;

use tracing_subscriber::fmt::format::FmtSpan;

#[path = "support/logs.rs"]
mod log_capture;
use log_capture::Captured;

/// Installs (once) a global TRACE subscriber writing into a buffer; returns the buffer.
fn logs() -> Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        // Everything at TRACE except the mock server itself, which plays the provider and
        // logs the headers it receives.
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace,httpmock=off"))
            .with_span_events(FmtSpan::CLOSE)
            .with_writer(captured.clone())
            .with_ansi(false)
            .init();
        captured
    })
    .clone()
}

#[track_caller]
fn assert_clean(secret: &str, texts: &[String]) {
    let all = String::from_utf8_lossy(&logs().0.lock().unwrap()).to_string();
    assert!(!all.is_empty(), "the subscriber captured nothing");
    assert!(!all.contains(secret), "secret found in the logs:\n{all}");
    for t in texts {
        assert!(!t.contains(secret), "secret found in: {t}");
    }
}

#[cfg(feature = "ecomdc")]
mod ecomdc {
    use brcommerce::ecomdc::{Client, Credentials};
    use httpmock::MockServer;
    use serde_json::json;

    use super::{assert_clean, logs};

    const SECRET: &str = "redact-ecomdc-9f8e7d6c";

    #[tokio::test]
    async fn redact_ecomdc_token_in_logs_debug_and_errors() {
        let _ = logs();
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.path("/item/ok/estoque");
                then.status(200).json_body(json!({"estoque": 1}));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.path("/item/denied/estoque");
                then.status(401)
                    .json_body(json!({"erro": "token inválido"}));
            })
            .await;
        let credentials = Credentials::new("3566", SECRET);
        let builder = Client::builder(credentials.clone()).base_url(server.base_url());
        let builder_debug = format!("{builder:?}");
        let client = builder.build().unwrap();
        client.stock("ok").await.unwrap();
        let err = client.stock("denied").await.unwrap_err();
        // A transport error (reqwest errors carry the URL and request details).
        let dead = Client::builder(Credentials::new("3566", SECRET))
            .base_url("http://127.0.0.1:9")
            .retry(brcommerce::common::retry::RetryPolicy::none())
            .build()
            .unwrap();
        let transport = dead.stock("x").await.unwrap_err();
        assert_clean(
            SECRET,
            &[
                format!("{credentials:?}"),
                builder_debug,
                format!("{client:?}"),
                format!("{:?}", client.raw()),
                format!("{err:?}"),
                err.to_string(),
                format!("{transport:?}"),
                transport.to_string(),
                format!("{:#}", transport),
            ],
        );
        // The span carries what a reader needs: provider, operation, method, status.
        let all = String::from_utf8_lossy(&logs().0.lock().unwrap()).to_string();
        assert!(
            all.contains("provider=\"ecomdc\"") || all.contains("provider=ecomdc"),
            "{all}"
        );
        assert!(all.contains("get_stock"), "{all}");
    }
}

#[cfg(feature = "appclubmais")]
mod appclubmais {
    use brcommerce::appclubmais::{Client, Credentials};
    use httpmock::Method::{GET, POST};
    use httpmock::MockServer;
    use serde_json::json;

    use super::{assert_clean, logs};

    const SECRET: &str = "redact-acm-secret-11aa22";
    const TOKEN: &str = "redact-acm-token-33bb44";

    #[tokio::test]
    async fn redact_appclubmais_secret_and_token() {
        let _ = logs();
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path("/oauth/token");
                then.status(200)
                    .json_body(json!({"access_token": TOKEN, "expires_in": 31536000}));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(GET).path("/api/v1/promocoes");
                then.status(200)
                    .json_body(json!({"success": true, "data": []}));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(GET).path("/api/v1/pedidos");
                then.status(401)
                    .json_body(json!({"message": "Unauthenticated."}));
            })
            .await;
        let credentials = Credentials::new(29, SECRET);
        let client = Client::builder(credentials.clone())
            .base_url(server.base_url())
            .build()
            .unwrap();
        client.promotions().await.unwrap();
        let err = client
            .orders_page(&Default::default(), None)
            .await
            .unwrap_err();
        for secret in [SECRET, TOKEN] {
            assert_clean(
                secret,
                &[
                    format!("{credentials:?}"),
                    format!("{client:?}"),
                    format!("{err:?}"),
                    err.to_string(),
                ],
            );
        }
    }
}

#[cfg(feature = "pluggto")]
mod pluggto {
    use brcommerce::pluggto::{Client, Credentials};
    use serde_json::json;

    use super::common::script_server::{ScriptServer, Step};
    use super::{assert_clean, logs};

    const SECRET: &str = "redact-pt-secret-55cc66";
    const PASSWORD: &str = "redact-pt-pass-77dd88";
    const TOKEN: &str = "redact-pt-token-99ee00";
    const REFRESH: &str = "redact-pt-refresh-1f2f3f";

    /// The access token travels in the `Authorization: Bearer` header by default, or in the
    /// URL (`?access_token=`) when asked (audit P10): either way it must not leak through the
    /// URL of a transport error, an undocumented status, a decode error or a log line.
    async fn redact_pluggto_token(in_query: bool) {
        let _ = logs();
        let server = ScriptServer::start(vec![
            Step::json(
                200,
                json!({"access_token": TOKEN, "refresh_token": REFRESH, "expires_in": 3600}),
            ),
            Step::CloseMidBody,
            Step::text(418, "teapot"),
            Step::json(200, json!({"Order": 5})),
        ])
        .await;
        let credentials = Credentials::password("plugin", SECRET, "user", PASSWORD);
        let builder = Client::builder(credentials.clone())
            .base_url(&server.base_url)
            .retry(brcommerce::common::retry::RetryPolicy::none());
        let builder = if in_query {
            builder.access_token_in_query()
        } else {
            builder
        };
        let builder_debug = format!("{builder:?}");
        let client = builder.build().unwrap();
        let mut texts = vec![
            format!("{credentials:?}"),
            builder_debug,
            format!("{client:?}"),
            format!("{:?}", client.raw()),
        ];
        for id in ["o1", "o2", "o3"] {
            let err = client.order(id).await.unwrap_err();
            texts.extend([format!("{err:?}"), err.to_string(), format!("{err:#}")]);
        }
        let seen = server.seen();
        assert_eq!(seen.len(), 4, "token + three calls");
        for call in &seen[1..] {
            let bearer = format!("Bearer {TOKEN}");
            if in_query {
                assert!(
                    call.target.contains(TOKEN),
                    "the token was sent in the query"
                );
                assert_eq!(call.header("authorization"), None);
            } else {
                assert!(
                    !call.target.contains(TOKEN),
                    "the token was sent in the URL"
                );
                assert_eq!(call.header("authorization"), Some(bearer.as_str()));
            }
        }
        for secret in [SECRET, PASSWORD, TOKEN, REFRESH] {
            assert_clean(secret, &texts);
        }
    }

    #[tokio::test]
    async fn redact_pluggto_query_token_in_errors_and_logs() {
        redact_pluggto_token(true).await;
    }

    #[tokio::test]
    async fn redact_pluggto_bearer_token_in_errors_and_logs() {
        redact_pluggto_token(false).await;
    }
}

#[cfg(feature = "connectplug")]
mod connectplug {
    use brcommerce::connectplug::{Client, Credentials};
    use httpmock::Method::{GET, POST};
    use httpmock::MockServer;
    use serde_json::json;

    use super::{assert_clean, logs};

    const SECRET: &str = "redact-cp-secret-2a3b4c";
    const PASSWORD: &str = "redact-cp-pass-5d6e7f";
    const TOKEN: &str = "redact-cp-token-8a9b0c";

    #[tokio::test]
    async fn redact_connectplug_credentials_and_bearer_token() {
        let _ = logs();
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path("/oauth/token");
                then.status(200)
                    .json_body(json!({"access_token": TOKEN, "expires_in": 3600}));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(GET).path("/api/v3/units");
                then.status(500).body("internal error");
            })
            .await;
        let credentials = Credentials::password("3", SECRET, "api@loja.com.br", PASSWORD);
        let client = Client::builder(credentials.clone())
            .base_url(server.base_url())
            .token_url(server.base_url())
            .company(12)
            .retry(brcommerce::common::retry::RetryPolicy::none())
            .build()
            .unwrap();
        let err = client
            .run(client.raw().list_units().send())
            .await
            .unwrap_err();
        for secret in [SECRET, PASSWORD, TOKEN] {
            assert_clean(
                secret,
                &[
                    format!("{credentials:?}"),
                    format!("{client:?}"),
                    format!("{err:?}"),
                    err.to_string(),
                ],
            );
        }
    }
}
