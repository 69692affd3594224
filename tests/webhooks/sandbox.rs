//! The whole loop offline: the embedded sandboxes send their callbacks to the receiver, whose
//! handler reads the resources back from the same sandboxes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use brcommerce::ecomdc::callbacks::{Callback, Fetched};
use brcommerce::ecomdc::sandbox::EcomdcSandbox;
use brcommerce::pluggto::Notified;
use brcommerce::pluggto::sandbox::PluggtoSandbox;
use brcommerce::webhooks::{Event, Handler, HandlerError, Payload, Resource};
use serde_json::json;

use super::{TOKEN, eventually, started};

type Got = Arc<Mutex<Vec<(Payload, Resource)>>>;

fn handler(got: &Got) -> impl Handler {
    let got = got.clone();
    move |event: Event| {
        let got = got.clone();
        async move {
            let resource = event.fetch().await?;
            got.lock()
                .unwrap()
                .push((event.payload().clone(), resource));
            Ok::<(), HandlerError>(())
        }
    }
}

#[tokio::test]
async fn ecomdc_stock_and_order_changes_reach_the_handler() {
    let sandbox = EcomdcSandbox::start().await.unwrap();
    let client = brcommerce::ecomdc::Client::builder(EcomdcSandbox::credentials())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let got = Got::default();
    let (_receiver, base) = started(handler(&got), |b| {
        b.ecomdc(client.clone()).coalesce_window(Duration::ZERO)
    })
    .await;
    sandbox
        .send_callbacks_to(&format!("{base}/{TOKEN}/ecomdc"))
        .unwrap();

    client.set_stock("11482378", 7).await.unwrap();
    eventually("the stock callback", || got.lock().unwrap().len() == 1).await;
    {
        let got = got.lock().unwrap();
        assert!(
            matches!(&got[0].0, Payload::Ecomdc(Callback::Stock(s)) if s.estoque.value() == Some(7))
        );
        assert_eq!(
            got[0].1,
            Resource::Ecomdc(Fetched::Stock {
                referencia: "11482378".into(),
                estoque: 7
            })
        );
    }
    let order = sandbox.place_order("11482378", 2, "Maria").unwrap();
    eventually("stock and order callbacks", || {
        got.lock().unwrap().len() == 3
    })
    .await;
    let pay = brcommerce::ecomdc::types::PaidPhase {
        conferencia: None,
        codigo_pagamento: Some("PIX".into()),
        obs: None,
        xml: None,
    };
    client
        .advance_order_by_id(&order, brcommerce::ecomdc::PhaseChange::Pay(pay))
        .await
        .unwrap();
    eventually("the phase change", || got.lock().unwrap().len() == 4).await;
    let got = got.lock().unwrap();
    assert!(matches!(
        &got[1].1,
        Resource::Ecomdc(Fetched::Stock { estoque: 5, .. })
    ));
    match (&got[3].0, &got[3].1) {
        (Payload::Ecomdc(Callback::Order(o)), Resource::Ecomdc(Fetched::Order(now))) => {
            assert_eq!(o.pedido.id.as_str(), order);
            assert_eq!(now.fase_atual, "pago");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn pluggto_order_changes_reach_the_handler() {
    let sandbox = PluggtoSandbox::start().await.unwrap();
    let hub = brcommerce::pluggto::Client::builder(PluggtoSandbox::credentials())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let got = Got::default();
    let (_receiver, base) = started(handler(&got), |b| {
        b.pluggto(hub.clone()).coalesce_window(Duration::ZERO)
    })
    .await;
    sandbox
        .send_callbacks_to(&format!("{base}/{TOKEN}/pluggto"))
        .unwrap();

    let input: brcommerce::pluggto::types::OrderInput =
        serde_json::from_value(super::common::request_example("pluggto", "create_order")).unwrap();
    let order = hub.create_order(input).await.unwrap().stored().unwrap();
    eventually("created", || got.lock().unwrap().len() == 1).await;
    let change: brcommerce::pluggto::types::OrderUpdate =
        serde_json::from_value(json!({"status": "approved"})).unwrap();
    hub.update_order(&order.id, change).await.unwrap();
    eventually("updated", || got.lock().unwrap().len() == 2).await;
    let product: brcommerce::pluggto::types::ProductInput =
        serde_json::from_value(json!({"sku": "caneca-01", "name": "Caneca"})).unwrap();
    hub.put_product("caneca-01", product).await.unwrap();
    eventually("product created", || got.lock().unwrap().len() == 3).await;
    hub.delete_product("caneca-01").await.unwrap();
    eventually("deleted", || got.lock().unwrap().len() == 4).await;
    let got = got.lock().unwrap();
    assert!(matches!(&got[2].1, Resource::Pluggto(Notified::Product(p)) if p.sku == "caneca-01"));
    match (&got[1].0, &got[1].1) {
        (Payload::Pluggto(n), Resource::Pluggto(Notified::Order(now))) => {
            assert_eq!(n.id.as_str(), order.id);
            assert_eq!(n.changes.as_ref().and_then(|c| c.status), Some(true));
            assert_eq!(
                serde_json::to_value(&now.status).unwrap(),
                json!("approved")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        got[3].1,
        Resource::Pluggto(Notified::DeletedSku {
            sku: "caneca-01".into()
        })
    );
}
