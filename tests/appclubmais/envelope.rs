use brcommerce::ErrorKind;
use httpmock::Method::{GET, POST, PUT};
use httpmock::MockServer;
use rust_decimal_macros::dec;
use serde_json::json;

use super::{TOKEN, client, token_endpoint};

#[tokio::test]
async fn success_false_with_status_200_is_an_error() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    server
        .mock_async(|when, then| {
            when.method(PUT).path("/api/v1/pedidos/51/integrado");
            then.status(200)
                .json_body(json!({"success": false, "error": "Pedido já integrado", "code": 409}));
        })
        .await;
    let err = client(&server).acknowledge_order(51).await.unwrap_err();
    let p = err.provider_error().expect("provider error");
    assert_eq!(p.message, "Pedido já integrado");
    assert_eq!(p.status, 409);
    assert_eq!(err.operation(), "acknowledge_order");
}

#[tokio::test]
async fn a_validation_map_becomes_field_errors() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/compras/9");
            then.status(406).json_body(json!({
                "success": false,
                "error": {"valor_total": ["Campo valor total não informado"], "vantagens": ["Campo vantagens não informado"]},
                "code": 406
            }));
        })
        .await;
    let err = client(&server)
        .register_purchase(9, dec!(0), &[(1, dec!(1))])
        .await
        .unwrap_err();
    let fields: Vec<(&str, &str)> = err
        .field_errors()
        .iter()
        .map(|f| (f.field.as_str(), f.messages[0].as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("valor_total", "Campo valor total não informado"),
            ("vantagens", "Campo vantagens não informado")
        ]
    );
    assert_eq!(err.status(), Some(406));
    assert!(
        err.to_string()
            .contains("valor_total: Campo valor total não informado"),
        "{err}"
    );
}

#[tokio::test]
async fn a_validation_map_answered_with_200_is_also_field_errors() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/produtos");
            then.status(200)
                .json_body(json!({"success": false, "error": {"descricao": ["obrigatório"]}}));
        })
        .await;
    let product: brcommerce::appclubmais::types::ProductInput =
        serde_json::from_value(super::body_example("create_product")).unwrap();
    let err = client(&server).create_product(product).await.unwrap_err();
    assert_eq!(err.field_errors()[0].field, "descricao");
}

#[tokio::test]
async fn a_business_rule_message_is_kept() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/compras/9");
            then.status(406).json_body(json!({"success": false, "error": "Quantidade excede o permitido vantagem: 6", "code": 406}));
        })
        .await;
    let err = client(&server)
        .register_purchase(9, dec!(10), &[(6, dec!(99))])
        .await
        .unwrap_err();
    assert_eq!(
        err.provider_error().unwrap().message,
        "Quantidade excede o permitido vantagem: 6"
    );
    assert!(err.field_errors().is_empty());
}

#[tokio::test]
async fn an_unknown_member_is_a_404_with_the_message() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/vantagens/52998224725");
            then.status(404).json_body(
                json!({"success": false, "error": "Cliente não encontrado.", "code": 404}),
            );
        })
        .await;
    let err = client(&server).benefits("52998224725").await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(
        err.provider_error().unwrap().message,
        "Cliente não encontrado."
    );
}

#[tokio::test]
async fn an_html_answer_is_a_decode_error_naming_the_operation() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/promocoes");
            then.status(200)
                .header("content-type", "text/html")
                .body("<!DOCTYPE html><html>Redirecting to /login</html>");
        })
        .await;
    let err = client(&server).promotions().await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Decode { .. }), "{err:?}");
    assert_eq!(err.operation(), "list_promotions");
}

#[tokio::test]
async fn success_without_data_is_a_decode_error() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/cliente/11");
            then.status(200).json_body(json!({"success": true}));
        })
        .await;
    let err = client(&server).client_by_id(11).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Decode { path, .. } if path == "data"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_failure_with_null_data_keeps_the_providers_message() {
    // A12: Laravel envelopes carry `"data": null` on failures (the documented failures leave
    // `data` out); with status 200 the message must come through, not a decode error.
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    for path in [
        "/api/v1/pedidos",
        "/api/v1/produtos/categorias",
        "/api/v1/promocoes",
    ] {
        server
            .mock_async(|when, then| {
                when.method(GET).path(path);
                then.status(200).json_body(
                    json!({"success": false, "error": "Empresa sem integração ativa", "data": null}),
                );
            })
            .await;
    }
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/vantagens/43279782805");
            then.status(200).json_body(
                json!({"success": false, "error": "Empresa sem integração ativa", "data": null}),
            );
        })
        .await;
    let c = client(&server);
    let errors = [
        c.orders_page(&Default::default(), None).await.unwrap_err(),
        c.categories().await.unwrap_err(),
        c.promotions().await.unwrap_err(),
        c.benefits("43279782805").await.unwrap_err(),
    ];
    for err in errors {
        let p = err.provider_error().unwrap_or_else(|| panic!("{err:?}"));
        assert_eq!(p.message, "Empresa sem integração ativa", "{err}");
    }
}

#[tokio::test]
async fn nested_lists_sent_as_null_read_as_empty() {
    // A12: the lists inside a record (an order's items, a purchase's movements, a member's
    // benefits) sent as `null` cost nothing.
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    let mut orders = super::example("list_orders", "200");
    orders["data"][0]["itens"] = json!(null);
    let mut benefits = super::example("get_benefits", "200");
    benefits["data"]["vantagens"] = json!(null);
    let mut purchase = super::example("register_purchase", "201");
    purchase["data"]["movimentacoes"] = json!(null);
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/pedidos");
            then.status(200).json_body(orders);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/vantagens/43279782805");
            then.status(200).json_body(benefits);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/compras/9");
            then.status(201).json_body(purchase);
        })
        .await;
    let c = client(&server);
    let page = c.orders_page(&Default::default(), None).await.unwrap();
    assert!(page.rejected.is_empty(), "{:?}", page.rejected);
    assert!(page.items[0].itens.is_empty());
    assert!(
        c.benefits("43279782805")
            .await
            .unwrap()
            .vantagens
            .is_empty()
    );
    let stored = c
        .register_purchase(9, dec!(10), &[(1, dec!(1))])
        .await
        .unwrap()
        .stored()
        .unwrap();
    assert!(stored.movimentacoes.is_empty());
}
