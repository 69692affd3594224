//! The embedded ecomDC sandbox behaves like the store for the main flows: writes can be read
//! back, the order workflow is enforced, and credentials are checked.

use brcommerce::ErrorKind;
use brcommerce::ecomdc::sandbox::EcomdcSandbox;
use brcommerce::ecomdc::{Client, Credentials, PhaseChange, types};
use futures::TryStreamExt;
use rust_decimal_macros::dec;

use super::body_example;

async fn start() -> (brcommerce::ecomdc::sandbox::Running, Client) {
    let sandbox = EcomdcSandbox::start().await.unwrap();
    let client = Client::builder(EcomdcSandbox::credentials())
        .base_url(sandbox.base_url())
        .rate_limits(brcommerce::common::ratelimit::RateLimits::unlimited())
        .build()
        .unwrap();
    (sandbox, client)
}

#[tokio::test]
async fn sandbox_product_written_is_read_back_in_the_read_shape() {
    let (_sandbox, c) = start().await;
    let product: types::ProductCreate =
        serde_json::from_value(body_example("create_product")).unwrap();
    c.create_product(product.clone()).await.unwrap();
    let read = c.product("8899").await.unwrap();
    assert_eq!(read.nome, "Produto de Teste 8899");
    assert_eq!(read.preco.value(), Some(dec!(720.00)));
    assert_eq!(read.peso.value(), Some(dec!(13.400)));
    assert_eq!(read.modelos[0].options()[0].estoque.value(), Some(12));
    // A second create with the same code conflicts, as in the manual.
    let err = c.create_product(product).await.unwrap_err();
    assert_eq!(err.status(), Some(409));
    // Update through the read → write conversion.
    let mut update = read.to_update().unwrap();
    update.preco = Some(brcommerce::common::lenient::DecimalNumber(dec!(699.90)));
    c.update_product("8899", update).await.unwrap();
    assert_eq!(
        c.product("8899").await.unwrap().preco.value(),
        Some(dec!(699.90))
    );
    assert_eq!(
        c.price("8899").await.unwrap().preco.value(),
        Some(dec!(699.90))
    );
}

#[tokio::test]
async fn sandbox_stock_and_prices_round_trip() {
    let (_sandbox, c) = start().await;
    c.set_stock("11482379", 41).await.unwrap();
    assert_eq!(c.stock("11482379").await.unwrap(), 41);
    c.set_price("777", dec!(800), Some(dec!(600)))
        .await
        .unwrap();
    let price = c.price("777").await.unwrap();
    assert_eq!(
        (price.preco.value(), price.custo.value()),
        (Some(dec!(800.00)), Some(dec!(600.00)))
    );
    let extra = c
        .set_extra_price("11482379", dec!(850))
        .await
        .unwrap()
        .stored()
        .unwrap();
    assert_eq!(extra.preco.value(), Some(dec!(850.00)));
    assert!(
        c.set_extra_price("11482379", dec!(1)).await.is_err(),
        "below the product price"
    );
    let all: Vec<types::Product> = c.products(&Default::default()).try_collect().await.unwrap();
    assert_eq!(all.len(), 2);
}

#[tokio::test]
async fn sandbox_orders_follow_the_workflow() {
    let (sandbox, c) = start().await;
    let id = sandbox.place_order("11482378", 2, "Maria").unwrap();
    assert_eq!(
        c.stock("11482378").await.unwrap(),
        8,
        "the purchase took stock"
    );
    let order = c.order(&id).await.unwrap();
    assert_eq!(order.fase_atual, "novo");
    let pay = types::PaidPhase {
        conferencia: None,
        codigo_pagamento: Some("PIX".into()),
        obs: None,
        xml: None,
    };
    c.advance_order(&order, PhaseChange::Pay(pay))
        .await
        .unwrap();
    let invoice: types::PickingData =
        serde_json::from_value(body_example("mark_order_picking")).unwrap();
    c.advance_order_by_id(&id, PhaseChange::Pick(invoice))
        .await
        .unwrap();
    c.advance_order_by_id(&id, PhaseChange::ship("BR123"))
        .await
        .unwrap();
    c.advance_order_by_id(&id, PhaseChange::Complete)
        .await
        .unwrap();
    let done = c.order_by_code(&format!("SB{id}")).await.unwrap();
    assert_eq!(done.fase_atual, "concluido");
    assert_eq!(done.frete_rastreio.get().map(String::as_str), Some("BR123"));
    assert!(done.data_concluido.get().is_some());
    // The sandbox refuses a skipped phase like the store does (via the escape hatch).
    let fresh = sandbox.place_order("11482378", 1, "João").unwrap();
    let err = c
        .force_order_phase(&fresh, PhaseChange::Complete)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
}

#[tokio::test]
async fn sandbox_refuses_wrong_credentials() {
    let (sandbox, _) = start().await;
    let wrong = Client::builder(Credentials::new("sandbox", "wrong"))
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let err = wrong.stock("11482378").await.unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Auth {
                status: Some(401),
                ..
            }
        ),
        "{err:?}"
    );
}
