use brcommerce::ErrorKind;
use brcommerce::appclubmais::types;
use httpmock::Method::{GET, POST, PUT};
use httpmock::MockServer;
use rust_decimal_macros::dec;
use serde_json::json;

use super::common::{Bodies, assert_json_eq};
use super::{TOKEN, body_example, client, example, token_endpoint};

#[tokio::test]
async fn member_by_id_and_by_cpf() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    let by_id = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/cliente/11");
            then.status(200).json_body(example("get_client", "200"));
        })
        .await;
    let by_cpf = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/cliente/52998224725");
            then.status(200).json_body(example("get_client", "200"));
        })
        .await;
    let c = client(&server);
    let m = c.client_by_id(11).await.unwrap();
    assert_eq!(m.id_cliente, 11);
    assert_eq!(
        m.entidade
            .as_ref()
            .unwrap()
            .numero
            .get()
            .map(String::as_str),
        Some("45X")
    );
    c.client_by_cpf("529.982.247-25").await.unwrap();
    by_id.assert_async().await;
    by_cpf.assert_async().await;
}

#[tokio::test]
async fn a_cpf_is_normalized_and_checked_before_sending() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    let ok = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/vantagens/52998224725");
            then.status(200).json_body(example("get_benefits", "200"));
        })
        .await;
    let c = client(&server);
    let b = c.benefits(" 529.982.247-25 ").await.unwrap();
    ok.assert_async().await;
    assert_eq!(b.vantagens[0].qtd_disponivel.value(), Some(dec!(1)));
    assert_eq!(
        b.vantagens[0].cupom.as_ref().unwrap().perc_desconto.value(),
        Some(dec!(10))
    );
    for (input, hint) in [
        ("529.982.247-26", "check digits"),
        ("123", "11"),
        ("11.222.333/0001-81", "CNPJ"),
        ("12.ABC.345/01DE-35", "CNPJ"),
        ("529.982.247-2A", "digits only"),
    ] {
        let err = c.benefits(input).await.unwrap_err();
        match err.kind() {
            ErrorKind::InvalidInput { field, message } => {
                assert_eq!(field, "cpf");
                assert!(message.contains(hint), "{message}");
                // The id is personal data: the error says what is wrong without repeating it.
                assert!(
                    !err.to_string().contains(&input[..input.len().min(7)]),
                    "{err}"
                );
            }
            other => panic!("{input}: {other:?}"),
        }
    }
    let err = c.client_by_cpf("000.000.000-00").await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidInput { .. }));
    ok.assert_calls_async(1).await;
}

#[tokio::test]
async fn register_purchase_sends_numbers() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    let bodies = Bodies::default();
    server
        .mock_async(|when, then| {
            bodies.record(when.method(POST).path("/api/v1/compras/9"));
            then.status(201)
                .json_body(example("register_purchase", "201"));
        })
        .await;
    client(&server)
        .register_purchase(9, dec!(150.00), &[(1, dec!(2))])
        .await
        .unwrap();
    let sent = bodies.last_json();
    assert_json_eq(&sent, &body_example("register_purchase"));
    assert!(
        sent["valor_total"].is_f64(),
        "money as a JSON number: {sent}"
    );
    let err = client(&server)
        .register_purchase(9, dec!(-1), &[])
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidInput { field, .. } if field == "valor_total"));
}

#[tokio::test]
async fn orders_acknowledge_and_status() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    let ack = server
        .mock_async(|when, then| {
            when.method(PUT).path("/api/v1/pedidos/51/integrado");
            then.status(200)
                .json_body(json!({"success": true, "data": "Pedido integrado"}));
        })
        .await;
    let status = server
        .mock_async(|when, then| {
            when.method(PUT).path("/api/v1/pedidos/51/status/ENVIADO");
            then.status(200)
                .json_body(json!({"success": true, "data": "ENVIADO"}));
        })
        .await;
    let c = client(&server);
    c.acknowledge_order(51).await.unwrap();
    let s = c
        .set_order_status(51, types::OrderStatusKnown::Enviado)
        .await
        .unwrap()
        .stored()
        .unwrap();
    assert!(matches!(
        s,
        types::OrderStatus::Known(types::OrderStatusKnown::Enviado)
    ));
    ack.assert_async().await;
    status.assert_async().await;
}

#[tokio::test]
async fn products_are_created_and_updated_with_the_documented_body() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    let bodies = Bodies::default();
    let post = server
        .mock_async(|when, then| {
            bodies.record(when.method(POST).path("/api/v1/produtos"));
            then.status(201)
                .json_body(json!({"success": true, "data": {"id_produto": 99}}));
        })
        .await;
    let put = server
        .mock_async(|when, then| {
            when.method(PUT).path("/api/v1/produtos");
            then.status(200).json_body(json!({"success": true}));
        })
        .await;
    let c = client(&server);
    let product: types::ProductInput =
        serde_json::from_value(body_example("create_product")).unwrap();
    c.create_product(product.clone()).await.unwrap();
    assert_json_eq(&bodies.last_json(), &body_example("create_product"));
    c.update_product(product).await.unwrap();
    post.assert_async().await;
    put.assert_async().await;
    let incomplete = types::ProductInput::builder().codigo(1).descricao("x");
    let err = c.create_product(incomplete).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidInput { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn categories_list_create_update() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    let bodies = Bodies::default();
    let list = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/produtos/categorias");
            then.status(200)
                .json_body(example("list_categories", "200"));
        })
        .await;
    let create = server
        .mock_async(|when, then| {
            bodies.record(when.method(POST).path("/api/v1/produtos/categorias"));
            then.status(201).json_body(json!({"success": true}));
        })
        .await;
    let update = server
        .mock_async(|when, then| {
            when.method(PUT).path("/api/v1/produtos/categorias");
            then.status(200).json_body(json!({"success": true}));
        })
        .await;
    let c = client(&server);
    let cats = c.categories().await.unwrap();
    assert_eq!(cats.items[0].descricao.as_deref(), Some("Bebidas"));
    c.create_category(serde_json::from_value(body_example("create_category")).unwrap())
        .await
        .unwrap();
    assert_eq!(bodies.last_json(), body_example("create_category"));
    c.update_category(serde_json::from_value(body_example("update_category")).unwrap())
        .await
        .unwrap();
    list.assert_async().await;
    create.assert_async().await;
    update.assert_async().await;
}

#[tokio::test]
async fn promotions_and_their_products() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    let bodies = Bodies::default();
    let put = server
        .mock_async(|when, then| {
            when.method(PUT).path("/api/v1/promocoes");
            then.status(200)
                .json_body(example("update_promotion", "200"));
        })
        .await;
    let add = server
        .mock_async(|when, then| {
            bodies.record(when.method(POST).path("/api/v1/promocoes/20"));
            then.status(200)
                .json_body(example("add_promotion_products", "200"));
        })
        .await;
    let c = client(&server);
    let update: types::PromotionInput =
        serde_json::from_value(body_example("update_promotion")).unwrap();
    assert_eq!(
        c.update_promotion(update)
            .await
            .unwrap()
            .stored()
            .unwrap()
            .id_promocao,
        Some(10)
    );
    let items: types::PromotionProducts =
        serde_json::from_value(body_example("add_promotion_products")).unwrap();
    let message = c
        .add_promotion_products(20, items.lista_produtos)
        .await
        .unwrap()
        .stored()
        .unwrap();
    assert_eq!(message, "Produtos inseridos com sucesso");
    assert_eq!(bodies.last_json(), body_example("add_promotion_products"));
    let err = c.add_promotion_products(20, vec![]).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidInput { field, .. } if field == "lista_produtos")
    );
    put.assert_async().await;
    add.assert_calls_async(1).await;
}
