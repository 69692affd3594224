use brcommerce::ErrorKind;
use httpmock::Method::{GET, PUT};
use httpmock::MockServer;
use rust_decimal_macros::dec;
use serde_json::json;

use super::common::{Bodies, assert_json_eq};
use super::{body_example, client, example};

#[tokio::test]
async fn price_reads_string_values_as_decimals() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/produto/77/preco")
                .query_param_missing("referencia");
            then.status(200).json_body(example("get_price", "200"));
        })
        .await;
    let price = client(&server).price("77").await.unwrap();
    m.assert_async().await;
    assert_eq!(price.preco.value(), Some(dec!(720.00)));
    assert_eq!(price.custo.value(), Some(dec!(610.00)));
}

#[tokio::test]
async fn price_by_reference_uses_the_null_code_form() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/produto/null/preco")
                .query_param("referencia", "SKU12000");
            then.status(200).json_body(example("get_price", "200"));
        })
        .await;
    client(&server)
        .price_by_reference("SKU12000")
        .await
        .unwrap();
    m.assert_async().await;
}

#[tokio::test]
async fn set_price_sends_numbers_and_returns_the_stored_values() {
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    server
        .mock_async(|when, then| {
            bodies.record(when.method(PUT).path("/produto/99/preco"));
            then.status(200)
                .json_body(json!({"preco": "1.99", "custo": "0.99"}));
        })
        .await;
    let stored = client(&server)
        .set_price("99", dec!(1.99), Some(dec!(0.99)))
        .await
        .unwrap()
        .stored()
        .unwrap();
    assert_json_eq(&bodies.last_json(), &body_example("update_price"));
    assert_eq!(stored.preco.value(), Some(dec!(1.99)));
}

#[tokio::test]
async fn set_price_by_reference_accepts_201_and_omits_a_missing_cost() {
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    let m = server
        .mock_async(|when, then| {
            bodies.record(
                when.method(PUT)
                    .path("/produto/null/preco")
                    .query_param("referencia", "SKU12000"),
            );
            then.status(201)
                .json_body(json!({"preco": "5.00", "custo": ""}));
        })
        .await;
    let stored = client(&server)
        .set_price_by_reference("SKU12000", dec!(5), None)
        .await
        .unwrap()
        .stored()
        .unwrap();
    m.assert_async().await;
    assert_eq!(bodies.last_json(), json!({"preco": 5.0}));
    assert_eq!(stored.custo.value(), None);
}

#[tokio::test]
async fn negative_prices_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let err = client(&server)
        .set_price("1", dec!(-1), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidInput { field, .. } if field == "preco"),
        "{err}"
    );
    let err = client(&server)
        .set_extra_price("REF", dec!(-0.01))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidInput { field, .. } if field == "preco"),
        "{err}"
    );
    assert_eq!(m.calls_async().await, 0);
}

#[tokio::test]
async fn extra_price_read_and_update() {
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path("/item/SKU12000/precoextra");
            then.status(200).json_body(json!({"preco": "720.00"}));
        })
        .await;
    let put = server
        .mock_async(|when, then| {
            bodies.record(when.method(PUT).path("/item/SKU12000/precoextra"));
            then.status(201)
                .json_body(example("update_extra_price", "201"));
        })
        .await;
    let c = client(&server);
    assert_eq!(
        c.extra_price("SKU12000").await.unwrap().preco.value(),
        Some(dec!(720.00))
    );
    let stored = c
        .set_extra_price("SKU12000", dec!(29.99))
        .await
        .unwrap()
        .stored()
        .unwrap();
    get.assert_async().await;
    put.assert_async().await;
    assert_json_eq(&bodies.last_json(), &body_example("update_extra_price"));
    assert_eq!(stored.preco.value(), Some(dec!(29.99)));
}

#[tokio::test]
async fn stock_is_read_as_an_integer_from_number_or_string() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/item/2348923/estoque");
            then.status(200).json_body(example("get_stock", "200"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/item/A1/estoque");
            then.status(200).json_body(json!({"estoque": "7"}));
        })
        .await;
    let c = client(&server);
    assert_eq!(c.stock("2348923").await.unwrap(), 22);
    assert_eq!(c.stock("A1").await.unwrap(), 7);
}

#[tokio::test]
async fn a_blank_stock_is_a_decode_error_not_zero() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/item/B1/estoque");
            then.status(200).json_body(json!({"estoque": ""}));
        })
        .await;
    let err = client(&server).stock("B1").await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Decode { path, .. } if path == "estoque"),
        "{err}"
    );
}

#[tokio::test]
async fn set_stock_sends_the_manual_body_and_ignores_an_undocumented_answer() {
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    let m = server
        .mock_async(|when, then| {
            bodies.record(when.method(PUT).path("/item/129312/estoque"));
            then.status(201).body("Estoque atualizado");
        })
        .await;
    client(&server).set_stock("129312", 115).await.unwrap();
    m.assert_async().await;
    assert_json_eq(&bodies.last_json(), &body_example("update_stock"));
}

#[tokio::test]
async fn references_with_slashes_are_escaped_in_the_path() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET).path("/item/AB%2F12/estoque");
            then.status(200).json_body(json!({"estoque": 1}));
        })
        .await;
    assert_eq!(client(&server).stock("AB/12").await.unwrap(), 1);
    m.assert_async().await;
}

#[tokio::test]
async fn negative_stock_is_refused_before_sending() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(201);
        })
        .await;
    let err = client(&server).set_stock("X", -3).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidInput { field, .. } if field == "estoque"));
    assert_eq!(err.operation(), "update_stock");
    assert_eq!(m.calls_async().await, 0);
}
