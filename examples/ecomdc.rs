//! A tour of the ecomDC client against a local mock server this example starts itself (no
//! account, no network): list products, read a product's price and stock by reference, update
//! stock, stream every order and move a new order to "pago".
//!
//! Run: `cargo run --example ecomdc`

use brcommerce::ecomdc::{Client, Credentials, OrderFilter, PhaseChange, ProductFilter, types};
use futures::TryStreamExt;
use httpmock::Method::{GET, PUT};
use httpmock::MockServer;
use serde_json::{Value, json};

/// The response example of an operation in `specs/ecomdc.yaml`.
fn example(spec: &Value, path: &str, method: &str) -> Value {
    let responses = &spec["paths"][path][method]["responses"];
    let ok = responses
        .get("200")
        .or_else(|| responses.get("201"))
        .expect("a success response");
    let ok = match ok.get("$ref").and_then(Value::as_str) {
        Some(r) => &spec["components"]["responses"][r.rsplit('/').next().unwrap_or_default()],
        None => ok,
    };
    ok["content"]["application/json"]["example"].clone()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let spec: Value = yaml_serde::from_str(include_str!("../specs/ecomdc.yaml"))?;
    let server = MockServer::start_async().await;
    server
        .mock_async(|w, t| {
            w.method(GET).path("/produtos");
            t.status(200).json_body(example(&spec, "/produtos", "get"));
        })
        .await;
    server
        .mock_async(|w, t| {
            w.method(GET).path("/produto");
            t.status(200).json_body(example(&spec, "/produto", "get"));
        })
        .await;
    server
        .mock_async(|w, t| {
            w.method(GET).path("/produto/null/preco");
            t.status(200)
                .json_body(example(&spec, "/produto/{codigo}/preco", "get"));
        })
        .await;
    server
        .mock_async(|w, t| {
            w.method(GET).path_includes("/estoque");
            t.status(200).json_body(json!({"estoque": 10}));
        })
        .await;
    server
        .mock_async(|w, t| {
            w.method(PUT).path_includes("/estoque");
            t.status(201);
        })
        .await;
    server
        .mock_async(|w, t| {
            w.method(GET).path("/pedidos");
            t.status(200).json_body(example(&spec, "/pedidos", "get"));
        })
        .await;
    let paid = server
        .mock_async(|w, t| {
            w.method(PUT).path("/pedido/201/pago");
            t.status(201);
        })
        .await;

    let client = Client::builder(Credentials::new("3566", "example-token"))
        .base_url(server.base_url())
        .build()?;
    println!("ecomDC mock at {}", server.base_url());

    let page = client.products_page(&ProductFilter::new(), None).await?;
    println!(
        "first page of {}: {} product(s), {} left out (did not decode)",
        page.pages.unwrap_or(1),
        page.items.len(),
        page.rejected.len()
    );
    for p in &page {
        println!(
            "  {} {:?} R$ {} ({} model(s))",
            p.codigo,
            p.nome,
            p.preco,
            p.modelos.len()
        );
    }

    let reference = "11482378";
    let product = client.product_by_reference(reference).await?;
    let price = client.price_by_reference(reference).await?;
    let stock = client.stock(reference).await?;
    println!(
        "{reference}: product {} price {} cost {} stock {stock}",
        product.codigo, price.preco, price.custo
    );
    client.set_stock(reference, stock - 1).await?;
    println!("{reference}: stock set to {}", stock - 1);

    let orders: Vec<types::Order> = client.orders(&OrderFilter::new()).try_collect().await?;
    for order in &orders {
        println!(
            "order {} ({}) phase {} total R$ {}",
            order.id, order.codigo, order.fase_atual, order.valor_total
        );
        if order.fase_atual == "novo" {
            let pay = types::PaidPhase {
                conferencia: None,
                codigo_pagamento: Some("PIX-1".into()),
                obs: None,
                xml: None,
            };
            client.advance_order(order, PhaseChange::Pay(pay)).await?;
            println!("order {} moved to pago", order.id);
        }
    }
    paid.assert_async().await;
    let stats = client.stats();
    println!("{} requests, {} retries", stats.requests, stats.retries);
    Ok(())
}
