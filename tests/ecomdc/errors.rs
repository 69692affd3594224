use std::time::Duration;

use brcommerce::ecomdc::{Client, Credentials, types};
use brcommerce::{ErrorKind, Provider};
use httpmock::Method::{GET, POST, PUT};
use httpmock::MockServer;
use serde_json::json;

use super::common::script_server::{ScriptServer, Step};
use super::common::{fast_retry, unlimited};
use super::{TOKEN, body_example, client, example};

fn script_client(base: &str) -> Client {
    Client::builder(Credentials::new("3566", TOKEN))
        .base_url(base)
        .rate_limits(unlimited())
        .retry(fast_retry())
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_documented_error_status_maps_to_a_typed_error_naming_the_operation() {
    let server = MockServer::start_async().await;
    for status in [400u16, 401, 403, 404, 406, 407, 409, 412, 495, 500, 501] {
        let path = format!("/item/S{status}/estoque");
        server
            .mock_async(|when, then| {
                when.method(GET).path(path.as_str());
                then.status(status)
                    .json_body(json!({"erro": format!("falha {status}")}));
            })
            .await;
        let err = client(&server)
            .stock(&format!("S{status}"))
            .await
            .unwrap_err();
        assert_eq!(err.provider(), Provider::Ecomdc);
        assert_eq!(err.operation(), "get_stock");
        assert_eq!(err.status(), Some(status));
        match (status, err.kind()) {
            (401 | 406 | 407, ErrorKind::Auth { message, .. }) => {
                assert_eq!(message, &format!("falha {status}"))
            }
            (_, ErrorKind::Provider(p)) => assert_eq!(p.message, format!("falha {status}")),
            (_, other) => panic!("{status}: {other:?}"),
        }
        assert!(err.to_string().starts_with("ecomDC get_stock: "), "{err}");
    }
}

#[tokio::test]
async fn an_error_body_that_is_not_json_is_kept_as_text() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/produto/1");
            then.status(404).body("Metodo nao existe");
        })
        .await;
    let err = client(&server).product("1").await.unwrap_err();
    assert_eq!(err.provider_error().unwrap().message, "Metodo nao existe");
}

#[tokio::test]
async fn an_unexpected_value_names_its_json_path() {
    let server = MockServer::start_async().await;
    let mut body = example("list_products", "200");
    body["produtos"][0]["modelos"][0]["itens"][1]["estoque"] = json!("dez");
    server
        .mock_async(|when, then| {
            when.method(GET).path("/produtos");
            then.status(200).json_body(body);
        })
        .await;
    // The product is left out of its page, as an error that names the value's JSON path.
    let page = client(&server)
        .products_page(&Default::default(), None)
        .await
        .unwrap();
    assert!(page.items.is_empty());
    let err = &page.rejected[0];
    match err.kind() {
        ErrorKind::Decode { path, message } => {
            assert_eq!(path, "produtos[0].modelos[0].itens[1].estoque");
            assert!(message.contains("expected an integer"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.operation(), "list_products");
    assert_eq!(err.record().unwrap().id.as_deref(), Some("1144AXXXXAVD4"));
}

#[tokio::test]
async fn a_429_is_waited_out_with_retry_after_and_retried() {
    let server = ScriptServer::start(vec![
        Step::json(429, json!({"erro": "Too Many Requests"})).with_header("Retry-After", "1"),
        Step::json(200, json!({"estoque": 5})),
    ])
    .await;
    let c = script_client(&server.base_url);
    let started = std::time::Instant::now();
    assert_eq!(c.stock("A").await.unwrap(), 5);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(server.count(), 2);
    assert_eq!(c.stats().throttled, 1);
    assert_eq!(c.stats().retries, 1);
}

#[tokio::test]
async fn a_post_answered_429_is_retried_because_the_provider_did_not_process_it() {
    let server = ScriptServer::start(vec![
        Step::json(429, json!({})).with_header("Retry-After", "0"),
        Step::text(201, ""),
    ])
    .await;
    let product: types::ProductCreate =
        serde_json::from_value(body_example("create_product")).unwrap();
    script_client(&server.base_url)
        .create_product(product)
        .await
        .unwrap();
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn persistent_429_becomes_rate_limited_after_the_attempt_limit() {
    let server = ScriptServer::start(vec![
        Step::json(429, json!({})).with_header("Retry-After", "0"),
    ])
    .await;
    let err = script_client(&server.base_url)
        .stock("A")
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::RateLimited { retry_after: Some(d) } if d.is_zero()),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 3);
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn a_503_is_retried_for_a_read_but_not_for_a_create() {
    let server = ScriptServer::start(vec![
        Step::text(503, "busy"),
        Step::json(200, json!({"estoque": 1})),
    ])
    .await;
    assert_eq!(script_client(&server.base_url).stock("A").await.unwrap(), 1);
    assert_eq!(server.count(), 2);

    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST).path("/produto");
            then.status(503).body("busy");
        })
        .await;
    let product: types::ProductCreate =
        serde_json::from_value(body_example("create_product")).unwrap();
    let err = client(&server).create_product(product).await.unwrap_err();
    m.assert_calls_async(1).await;
    assert_eq!(err.status(), Some(503));
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_that_did_not_apply() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let c = script_client(&format!("http://{addr}"));
    let err = c.set_stock("A", 1).await.unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Transport {
                may_have_been_applied: false
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 3, "nothing was sent, so retrying is safe");
}

#[tokio::test]
async fn the_token_never_appears_in_debug_or_errors() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(401)
                .json_body(json!({"erro": "Token inválido"}));
        })
        .await;
    let c = client(&server);
    let err = c.stock("A").await.unwrap_err();
    for text in [format!("{c:?}"), format!("{err:?}"), err.to_string()] {
        assert!(!text.contains(TOKEN), "leaked: {text}");
    }
    assert!(matches!(
        err.kind(),
        ErrorKind::Auth {
            status: Some(401),
            ..
        }
    ));
}

#[tokio::test]
async fn a_raw_answer_keeps_its_connection_info_and_url() {
    // The hooks read the answer whole and hand the generated code a rebuilt response; a raw
    // caller that looks at an unexpected answer still sees where it came from.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/item/T1/estoque");
            then.status(418).body("teapot");
        })
        .await;
    let c = client(&server);
    let err = c
        .raw()
        .get_stock()
        .referencia("T1")
        .send()
        .await
        .unwrap_err();
    let progenitor_client::Error::UnexpectedResponse(answer) = err else {
        panic!("{err:?}");
    };
    assert_eq!(answer.status().as_u16(), 418);
    assert_eq!(answer.remote_addr(), Some(*server.address()));
    assert_eq!(answer.url().path(), "/item/T1/estoque");
    assert_eq!(answer.text().await.unwrap(), "teapot");
}

#[tokio::test]
async fn an_empty_success_answer_reaches_a_raw_caller_as_a_declared_success() {
    // An empty answer is handed on without being read and rebuilt; one whose status the spec
    // does not declare (a 204 to a stock change, which declares 200 and 201) is still handed on
    // as the first declared one, so the raw caller gets a success, not an unexpected answer.
    let server = MockServer::start_async().await;
    for (reference, status, seen) in [("E201", 201, 201), ("E204", 204, 200), ("E200", 200, 200)] {
        server
            .mock_async(|when, then| {
                when.method(PUT).path(format!("/item/{reference}/estoque"));
                then.status(status);
            })
            .await;
        let answer = client(&server)
            .raw()
            .update_stock()
            .referencia(reference)
            .body(types::StockUpdate { estoque: 3 })
            .send()
            .await
            .unwrap_or_else(|e| panic!("{status}: {e:?}"));
        assert_eq!(answer.status().as_u16(), seen, "{status}");
    }
}

#[tokio::test]
async fn every_attempt_carries_the_account_headers_once_and_no_api_version() {
    // The account headers are added to each attempt, the first and the repeated one, after the
    // copy kept for the repeat is taken.
    let server = ScriptServer::start(vec![
        Step::json(503, json!({"erro": "indisponível"})),
        Step::json(200, json!({"estoque": 5})),
    ])
    .await;
    let c = script_client(&server.base_url);
    assert_eq!(c.stock("A").await.unwrap(), 5);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    for request in &seen {
        let ids = request
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("x-id"));
        assert_eq!(ids.count(), 1, "{request:?}");
        assert_eq!(request.header("x-id"), Some("3566"));
        assert_eq!(request.header("x-token"), Some(TOKEN));
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("api-version"), None);
    }
}
