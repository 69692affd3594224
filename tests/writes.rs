//! Writes through the facades: a success status is never an error (audit C1, C9, C17, E6, A4,
//! A14, P15), an idempotency key belongs to one write (C15), ecomDC phase changes after a lost
//! answer (E7), and the write models the audits corrected (E3, E8, A2; P18 is in
//! `tests/pluggto/operations.rs`).

mod common;

use std::sync::Arc;
use std::time::Duration;

use brcommerce::common::token::{MemoryStore, TokenSet};
use brcommerce::{CallOptions, ErrorKind, Written};
use rust_decimal_macros::dec;
use serde_json::json;

use common::script_server::{ScriptServer, Step};
use common::{fast_retry, request_example, response_example, unlimited};

fn store() -> Arc<MemoryStore> {
    Arc::new(MemoryStore::with(TokenSet::issued(
        "token".into(),
        None,
        Some(365 * 24 * 3600),
    )))
}

fn ecomdc(url: &str) -> brcommerce::ecomdc::Client {
    use brcommerce::ecomdc::{Client, Credentials};
    Client::builder(Credentials::new("1", "t"))
        .base_url(url)
        .rate_limits(unlimited())
        .retry(fast_retry())
        .build()
        .unwrap()
}

fn pluggto(url: &str) -> brcommerce::pluggto::Client {
    use brcommerce::pluggto::{Client, Credentials};
    Client::builder(Credentials::password("id", "secret", "user", "pass"))
        .base_url(url)
        .token_store(store())
        .retry(fast_retry())
        .build()
        .unwrap()
}

fn appclubmais(url: &str) -> brcommerce::appclubmais::Client {
    use brcommerce::appclubmais::{Client, Credentials};
    Client::builder(Credentials::new(1, "secret"))
        .base_url(url)
        .token_store(store())
        .retry(fast_retry())
        .build()
        .unwrap()
}

fn connectplug(url: &str) -> brcommerce::connectplug::Client {
    use brcommerce::connectplug::{Client, Credentials};
    Client::builder(Credentials::password("id", "secret", "u@x.br", "pass"))
        .base_url(url)
        .token_url(url)
        .company(1)
        .token_store(store())
        .retry(fast_retry())
        .build()
        .unwrap()
}

// ----- a success status is a success -----

/// P15: PluggTo's stock change answer is not documented; whatever body it has, the change went
/// through, and the caller gets the body.
#[tokio::test]
async fn pluggto_an_odd_answer_to_a_stock_change_is_a_success_with_the_raw_body() {
    use brcommerce::pluggto::StockChange;
    for body in ["true", "", "{\"ok\": 1}"] {
        let server = ScriptServer::start(vec![Step::text(200, body)]).await;
        let written = pluggto(&server.base_url)
            .update_stock("s1", StockChange::Decrease(1))
            .await
            .unwrap();
        match written {
            Written::Unread(u) => {
                assert_eq!(u.status, 200);
                assert_eq!(u.body, body);
            }
            other => panic!("{body:?}: {other:?}"),
        }
        assert_eq!(server.count(), 1);
    }
    // And a delete whose body is not the documented one.
    let server = ScriptServer::start(vec![Step::text(200, "")]).await;
    pluggto(&server.base_url)
        .delete_product("s1")
        .await
        .unwrap();
}

/// C17: a created product answered without the `data` wrapper is read as the product.
#[tokio::test]
async fn connectplug_a_created_record_without_its_wrapper_is_read_as_the_record() {
    let wrapped = response_example("connectplug", "create_product", "201");
    let bare = wrapped["data"].clone();
    let server = ScriptServer::start(vec![Step::json(201, bare.clone())]).await;
    let body: brcommerce::connectplug::types::ProductCreate =
        serde_json::from_value(request_example("connectplug", "create_product")).unwrap();
    let product = connectplug(&server.base_url)
        .create_product(body)
        .await
        .unwrap()
        .stored()
        .expect("read as the product");
    assert_eq!(json!(product.id), bare["id"]);
}

/// C1: the first `items-add` of a batch answers 201, the next ones 200, with the same body.
#[tokio::test]
async fn connectplug_items_add_answered_201_then_200_is_a_success_both_times() {
    let bulk = response_example("connectplug", "add_bulk_items", "200");
    let server =
        ScriptServer::start(vec![Step::json(201, bulk.clone()), Step::json(200, bulk)]).await;
    let c = connectplug(&server.base_url);
    let body: brcommerce::connectplug::types::BulkItemsChange =
        serde_json::from_value(request_example("connectplug", "add_bulk_items")).unwrap();
    for _ in 0..2 {
        let written = c
            .run_write(c.raw().add_bulk_items().body(body.clone()).send())
            .await
            .unwrap();
        assert!(matches!(written, Written::Stored(_)), "{written:?}");
    }
    // The keys differ: two writes, two keys.
    let seen = server.seen();
    assert_ne!(
        seen[0].header("idempotency-key"),
        seen[1].header("idempotency-key")
    );
}

/// C9: an import answered 202 (accepted, not finished) is a success.
#[tokio::test]
async fn connectplug_an_import_answered_202_is_a_success() {
    let server = ScriptServer::start(vec![Step::text(202, "")]).await;
    let c = connectplug(&server.base_url);
    c.run_write(
        c.raw()
            .import_purchase_invoice()
            .purchase_invoice_id(5)
            .send(),
    )
    .await
    .unwrap();
}

/// E6: ecomDC says writes answer 201 but PUT PRECO answers 200; a create answered 200 is a
/// success, and so is any other 2xx.
#[tokio::test]
async fn ecomdc_a_product_created_with_200_or_204_is_a_success() {
    for status in [200, 201, 204] {
        let server = ScriptServer::start(vec![Step::text(status, "")]).await;
        let product: brcommerce::ecomdc::types::ProductCreate =
            serde_json::from_value(request_example("ecomdc", "create_product")).unwrap();
        ecomdc(&server.base_url)
            .create_product(product)
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"));
    }
}

/// A4, A14: AppClubMais writes whose answers are undocumented: an empty body, a 204, a body
/// without `success` are successes; `success: false` is still an error.
#[tokio::test]
async fn appclubmais_undocumented_write_answers_are_successes() {
    for step in [
        Step::text(204, ""),
        Step::text(200, ""),
        Step::json(201, json!({"id": 7})),
        Step::json(200, json!({"data": "ok"})),
    ] {
        let shown = format!("{step:?}");
        let server = ScriptServer::start(vec![step]).await;
        appclubmais(&server.base_url)
            .acknowledge_order(5)
            .await
            .unwrap_or_else(|e| panic!("{shown}: {e}"));
    }
    let server = ScriptServer::start(vec![Step::json(
        200,
        json!({"success": false, "error": "Pedido já integrado"}),
    )])
    .await;
    let err = appclubmais(&server.base_url)
        .acknowledge_order(5)
        .await
        .unwrap_err();
    assert_eq!(err.provider_error().unwrap().message, "Pedido já integrado");
}

// ----- an idempotency key belongs to one write -----

/// C15: ConnectPlug drops a write whose key it has seen, so a handle with a key sends it with
/// one write (its retries, or the same write again) and refuses a different write.
#[tokio::test]
async fn a_handle_key_is_for_one_write() {
    let created = response_example("connectplug", "create_unit", "201");
    let server = ScriptServer::start(vec![Step::json(201, created)]).await;
    let c = connectplug(&server.base_url);
    let unit = |name: &str| {
        let mut u = request_example("connectplug", "create_unit");
        u["name"] = json!(name);
        serde_json::from_value::<brcommerce::connectplug::types::UnitCreate>(u).unwrap()
    };
    let keyed = c.with_options(CallOptions::new().idempotency_key("unit-kg-1"));
    keyed
        .run_write(keyed.raw().create_unit().body(unit("Quilo")).send())
        .await
        .unwrap();
    // The same write again (after a crash, say) carries the same key: the provider dedupes it.
    keyed
        .run_write(keyed.raw().create_unit().body(unit("Quilo")).send())
        .await
        .unwrap();
    // A different write with the same key would be dropped by the provider: refused here.
    let err = keyed
        .run_write(keyed.raw().create_unit().body(unit("Grama")).send())
        .await
        .unwrap_err();
    match err.kind() {
        ErrorKind::InvalidInput { field, message } => {
            assert_eq!(field, "idempotency_key");
            assert!(message.contains("different write"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.operation(), "create_unit");
    // The client it came from gives every write a key of its own.
    c.run_write(c.raw().create_unit().body(unit("Grama")).send())
        .await
        .unwrap();
    let keys: Vec<_> = server
        .seen()
        .iter()
        .map(|s| s.header("idempotency-key").unwrap().to_owned())
        .collect();
    assert_eq!(keys.len(), 3, "the refused write was not sent");
    assert_eq!(keys[0], "unit-kg-1");
    assert_eq!(keys[1], "unit-kg-1");
    assert_ne!(keys[2], "unit-kg-1");
}

// ----- ecomDC phase changes -----

fn order_in(phase: &str) -> serde_json::Value {
    let mut order = response_example("ecomdc", "get_order", "200");
    order["pedido"]["fase_atual"] = json!(phase);
    order["pedido"]["id"] = json!("77");
    order
}

fn pay() -> brcommerce::ecomdc::PhaseChange {
    brcommerce::ecomdc::PhaseChange::Pay(brcommerce::ecomdc::types::PaidPhase {
        conferencia: None,
        codigo_pagamento: Some("PIX".into()),
        obs: None,
        xml: None,
    })
}

/// E7: a phase change whose answer was lost is not sent blindly again (the workflow would
/// refuse it): the order is read back, and an order already in the target phase is a success.
#[tokio::test]
async fn ecomdc_a_lost_phase_change_that_was_applied_is_a_success_sent_once() {
    let server = ScriptServer::start(vec![Step::Reset, Step::json(200, order_in("pago"))]).await;
    ecomdc(&server.base_url)
        .force_order_phase("77", pay())
        .await
        .unwrap();
    let seen = server.seen();
    let methods: Vec<(&str, &str)> = seen
        .iter()
        .map(|s| (s.method.as_str(), s.target.as_str()))
        .collect();
    assert_eq!(methods, [("PUT", "/pedido/77/pago"), ("GET", "/pedido/77")]);
}

/// ... and one that was not applied (the order is still in its phase) is sent once more.
#[tokio::test]
async fn ecomdc_a_lost_phase_change_that_was_not_applied_is_sent_once_more() {
    let server = ScriptServer::start(vec![
        Step::text(502, "bad gateway"),
        Step::json(200, order_in("novo")),
        Step::text(201, ""),
    ])
    .await;
    ecomdc(&server.base_url)
        .force_order_phase("77", pay())
        .await
        .unwrap();
    let methods: Vec<String> = server
        .seen()
        .iter()
        .map(|s| format!("{} {}", s.method, s.target))
        .collect();
    assert_eq!(
        methods,
        [
            "PUT /pedido/77/pago",
            "GET /pedido/77",
            "PUT /pedido/77/pago"
        ]
    );
}

/// When the order cannot be read back, the caller gets the original error, which says the
/// change may have been applied.
#[tokio::test]
async fn ecomdc_a_lost_phase_change_that_cannot_be_checked_says_it_may_have_been_applied() {
    let server = ScriptServer::start(vec![Step::Reset, Step::text(500, "down")]).await;
    let err = ecomdc(&server.base_url)
        .force_order_phase("77", pay())
        .await
        .unwrap_err();
    assert!(err.may_have_been_applied(), "{err}");
    assert_eq!(err.operation(), "mark_order_paid");
    assert_eq!(server.count(), 2, "one PUT, one GET");
}

// ----- write models (audit E3, E8, A2) -----

/// E3: moving to `separacao` takes whatever invoice data is known; a key, when sent, must be a
/// whole NF-e key (refused before sending otherwise).
#[tokio::test]
async fn ecomdc_picking_accepts_partial_invoice_data() {
    use brcommerce::ecomdc::types::{PickingData, builder};
    let server = ScriptServer::start(vec![Step::text(201, "")]).await;
    let c = ecomdc(&server.base_url);
    let partial: PickingData = builder::PickingData::default()
        .nf_numero(Some("1453277".to_owned()))
        .try_into()
        .unwrap();
    c.force_order_phase("77", brcommerce::ecomdc::PhaseChange::Pick(partial))
        .await
        .unwrap();
    let seen = server.seen();
    assert_eq!(seen[0].target, "/pedido/77/separacao");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&seen[0].body).unwrap(),
        json!({"nf_numero": "1453277"})
    );
    // The manual's 15-digit placeholder key is not a key: refused before sending.
    let bad = serde_json::from_value::<PickingData>(json!({"nf_chave": "444444444444444"}));
    assert!(bad.is_err());
    // A key of an issuer with an alphanumeric CNPJ (positions 7-20) is one.
    let alnum = serde_json::from_value::<PickingData>(
        json!({"nf_chave": "35260712ABC34501DE35550010014532771001453277"}),
    );
    assert!(alnum.is_ok(), "{alnum:?}");
}

/// E8: the provider imports each image URL with a 5 s timeout of its own while it answers a
/// product write, so the attempt may take 5 s more per URL; without URLs, the plain timeout.
#[tokio::test]
async fn ecomdc_product_writes_wait_five_seconds_more_per_image_url() {
    use brcommerce::ecomdc::types::ProductCreate;
    let slow = || Step::Stall(Duration::from_millis(1500), Box::new(Step::text(201, "")));
    let product: ProductCreate =
        serde_json::from_value(request_example("ecomdc", "create_product")).unwrap();
    assert!(
        product.modelos.iter().any(|m| m.imagens.is_some()),
        "the example has image URLs"
    );
    let server = ScriptServer::start(vec![slow()]).await;
    let c =
        ecomdc(&server.base_url).with_options(CallOptions::new().timeout(Duration::from_secs(1)));
    c.create_product(product.clone()).await.unwrap();

    let mut bare = product;
    for m in &mut bare.modelos {
        m.imagens = None;
        m.imagens_retangulares = None;
    }
    let server = ScriptServer::start(vec![slow()]).await;
    let c =
        ecomdc(&server.base_url).with_options(CallOptions::new().timeout(Duration::from_secs(1)));
    let err = c.create_product(bare).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Timeout { .. }), "{err}");
    assert!(err.may_have_been_applied());
}

/// A2: the provider requires the list of benefits used in a purchase (its validation refuses an
/// empty one), so a purchase without benefits is refused before anything is sent.
#[tokio::test]
async fn appclubmais_a_purchase_without_benefits_is_refused_before_sending() {
    let server = ScriptServer::start(vec![Step::json(201, json!({"success": true}))]).await;
    let err = appclubmais(&server.base_url)
        .register_purchase(9, dec!(10), &[])
        .await
        .unwrap_err();
    match err.kind() {
        ErrorKind::InvalidInput { field, .. } => assert_eq!(field, "vantagens"),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.count(), 0);
}

/// A lost answer to a PluggTo delete is sent again; a 404 to the repetition means the first
/// attempt deleted it.
#[tokio::test]
async fn pluggto_a_repeated_delete_answered_404_is_a_success() {
    let server = ScriptServer::start(vec![
        Step::Reset,
        Step::json(404, json!({"error": true, "message": "Product not found"})),
    ])
    .await;
    pluggto(&server.base_url)
        .delete_product("s1")
        .await
        .unwrap();
    assert_eq!(server.count(), 2);
    // A 404 at the first attempt is the caller's mistake.
    let server = ScriptServer::start(vec![Step::json(404, json!({"error": true}))]).await;
    let err = pluggto(&server.base_url)
        .delete_product("s1")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
}

/// P2: a stock change that sets the quantity is sent again after a lost answer; an increase or
/// a decrease is sent once (repeating it would change the stock twice).
#[tokio::test]
async fn pluggto_only_a_stock_change_that_sets_the_quantity_is_repeated() {
    use brcommerce::pluggto::StockChange;
    let ok = || Step::json(200, response_example("pluggto", "update_sku_stock", "200"));
    for (change, repeated) in [
        (StockChange::Set(5), true),
        (StockChange::Increase(1), false),
        (StockChange::Decrease(1), false),
    ] {
        let server = ScriptServer::start(vec![Step::Reset, ok()]).await;
        let result = pluggto(&server.base_url).update_stock("s1", change).await;
        if repeated {
            assert!(result.is_ok(), "{change:?}: {result:?}");
            assert_eq!(server.count(), 2, "{change:?}");
        } else {
            let err = result.unwrap_err();
            assert!(err.may_have_been_applied(), "{change:?}: {err}");
            assert_eq!(server.count(), 1, "{change:?} sent once");
        }
    }
}

/// P2: an order change with a shipment without `id` creates a shipment: sent once. With every
/// shipment's `id` (or no shipment) it only updates, and is sent again.
#[tokio::test]
async fn pluggto_an_order_change_is_repeated_only_when_it_creates_no_shipment() {
    use brcommerce::pluggto::types::OrderUpdate;
    let ok = || Step::json(200, response_example("pluggto", "update_order", "200"));
    let cases = [
        (
            json!({"status": "shipping_informed", "shipments": [{"track_code": "BR1"}]}),
            false,
        ),
        (
            json!({"status": "shipping_informed", "shipments": [{"id": "sh1", "track_code": "BR1"}]}),
            true,
        ),
        (json!({"status": "approved"}), true),
    ];
    for (change, repeated) in cases {
        let server = ScriptServer::start(vec![Step::text(502, "bad gateway"), ok()]).await;
        let change: OrderUpdate = serde_json::from_value(change).unwrap();
        let result = pluggto(&server.base_url)
            .update_order("o1", change.clone())
            .await;
        if repeated {
            assert!(result.is_ok(), "{change:?}: {result:?}");
            assert_eq!(server.count(), 2);
        } else {
            let err = result.unwrap_err();
            assert!(err.may_have_been_applied(), "{err}");
            assert_eq!(err.status(), Some(502));
            assert_eq!(server.count(), 1);
        }
    }
}
