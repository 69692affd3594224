use brcommerce::ErrorKind;
use brcommerce::pluggto::types::{self, OrderStatus, OrderStatusKnown};
use brcommerce::pluggto::{StockChange, Written};
use httpmock::Method::{DELETE, GET, POST, PUT};
use httpmock::MockServer;
use rust_decimal_macros::dec;
use serde_json::json;

use super::common::{Bodies, assert_json_eq};
use super::{TOKEN, body_example, client, example, token_endpoint};

#[tokio::test]
async fn create_order_sends_the_order_and_returns_it_unwrapped() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let bodies = Bodies::default();
    let created = server
        .mock_async(|when, then| {
            bodies.record(
                when.method(POST)
                    .path("/orders")
                    .header("authorization", format!("Bearer {TOKEN}"))
                    .header("content-type", "application/json"),
            );
            then.status(201).json_body(example("create_order", "201"));
        })
        .await;
    let input: types::OrderInput = serde_json::from_value(body_example("create_order")).unwrap();
    let order = client(&server)
        .create_order(input)
        .await
        .unwrap()
        .stored()
        .unwrap();
    created.assert_async().await;
    assert_json_eq(&bodies.last_json(), &body_example("create_order"));
    let expected = &example("create_order", "201")["Order"];
    assert_eq!(order.id, expected["id"].as_str().unwrap());
    assert_eq!(
        order.total_paid.get().map(|d| d.to_string()),
        Some(expected["total_paid"].to_string())
    );
}

#[tokio::test]
async fn get_order_unwraps_the_envelope_and_reads_money_as_decimals() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let mut body = example("get_order", "200");
    body["Order"]["total"] = json!("129.90");
    body["Order"]["shipping"] = json!(10.5);
    server
        .mock_async(|when, then| {
            when.method(GET).path("/orders/5877efb70280833e402e54bc");
            then.status(200).json_body(body);
        })
        .await;
    let order = client(&server)
        .order("5877efb70280833e402e54bc")
        .await
        .unwrap();
    assert_eq!(order.id, "5877efb70280833e402e54bc");
    assert_eq!(order.total.into_inner(), Some(dec!(129.90)));
    assert_eq!(order.shipping.into_inner(), Some(dec!(10.5)));
}

#[tokio::test]
async fn an_unknown_order_status_is_kept_not_rejected() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let mut body = example("get_order", "200");
    body["Order"]["status"] = json!("awaiting_pickup_point");
    server
        .mock_async(|when, then| {
            when.method(GET).path("/orders/o1");
            then.status(200).json_body(body);
        })
        .await;
    let c = client(&server);
    let order = c.order("o1").await.unwrap();
    match &order.status {
        OrderStatus::Other(s) => assert_eq!(s.to_string(), "awaiting_pickup_point"),
        known => panic!("expected an unknown status, got {known:?}"),
    }
    // And a known one is typed.
    let known: OrderStatus = serde_json::from_value(json!("approved")).unwrap();
    assert_eq!(known, OrderStatus::Known(OrderStatusKnown::Approved));
}

#[tokio::test]
async fn an_empty_id_is_refused_before_sending() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server, TOKEN, "r1").await;
    let err = client(&server).order(" ").await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidInput { field, .. } if field == "id"),
        "{err}"
    );
    assert_eq!(token.calls_async().await, 0);
}

#[tokio::test]
async fn update_order_returns_the_changed_order() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let bodies = Bodies::default();
    server
        .mock_async(|when, then| {
            bodies.record(when.method(PUT).path("/orders/o1"));
            then.status(200).json_body(example("update_order", "200"));
        })
        .await;
    let change: types::OrderUpdate = serde_json::from_value(body_example("update_order")).unwrap();
    let result = client(&server).update_order("o1", change).await.unwrap();
    assert!(matches!(result, Written::Stored(_)));
    assert_json_eq(&bodies.last_json(), &body_example("update_order"));
}

#[tokio::test]
async fn a_put_that_changes_nothing_is_reported_as_unchanged() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    server
        .mock_async(|when, then| {
            when.method(PUT).path("/orders/o1");
            then.status(400).json_body(json!({"error": "Bad Request", "type": "not_updated",
                "message": "Nothing to update", "details": "The sent data is equal to the stored data"}));
        })
        .await;
    let change: types::OrderUpdate = serde_json::from_value(json!({"status": "approved"})).unwrap();
    let result = client(&server).update_order("o1", change).await.unwrap();
    match result {
        Written::Unchanged { message } => {
            assert!(message.contains("Nothing to update"), "{message}")
        }
        other => panic!("expected Unchanged, got {other:?}"),
    }
}

#[tokio::test]
async fn other_400s_stay_errors_with_string_details_in_the_message() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    server
        .mock_async(|when, then| {
            when.method(PUT).path("/orders/o1");
            then.status(400)
                .json_body(json!({"error": "Bad Request", "type": "invalid_status",
                "message": "Status cannot go back", "details": "approved -> pending"}));
        })
        .await;
    let change: types::OrderUpdate = serde_json::from_value(json!({"status": "pending"})).unwrap();
    let err = client(&server)
        .update_order("o1", change)
        .await
        .unwrap_err();
    let p = err.provider_error().expect("a provider error");
    assert_eq!(p.status, 400);
    assert_eq!(p.code.as_deref(), Some("invalid_status"));
    assert_eq!(p.message, "Status cannot go back: approved -> pending");
    assert_eq!(err.operation(), "update_order");
}

#[tokio::test]
async fn object_details_become_field_errors() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    server
        .mock_async(|when, then| {
            when.method(PUT).path("/skus/p1");
            then.status(422).json_body(json!({"error": "Bad Request", "type": "validation",
                "message": "Invalid fields", "details": {"price": "must be a number", "name": ["required", "too short"]}}));
        })
        .await;
    let product: types::ProductInput =
        serde_json::from_value(json!({"sku": "p1", "name": "Produto"})).unwrap();
    let err = client(&server)
        .put_product("p1", product)
        .await
        .unwrap_err();
    let fields = err.field_errors();
    assert_eq!(fields.len(), 2);
    assert_eq!(fields[0].field, "name");
    assert_eq!(fields[0].messages, vec!["required", "too short"]);
    assert_eq!(fields[1].field, "price");
    assert_eq!(fields[1].messages, vec!["must be a number"]);
}

#[tokio::test]
async fn products_are_read_by_id_and_by_sku() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let by_id = server
        .mock_async(|when, then| {
            when.method(GET).path("/products/5b9169c309eacd415056aa3a");
            then.status(200).json_body(example("get_product", "200"));
        })
        .await;
    let by_sku = server
        .mock_async(|when, then| {
            when.method(GET).path("/skus/pai-var1");
            then.status(200).json_body(example("get_sku", "200"));
        })
        .await;
    let c = client(&server);
    let p = c.product("5b9169c309eacd415056aa3a").await.unwrap();
    let s = c.product_by_sku("pai-var1").await.unwrap();
    by_id.assert_async().await;
    by_sku.assert_async().await;
    assert_eq!(
        p.sku,
        example("get_product", "200")["Product"]["sku"]
            .as_str()
            .unwrap()
    );
    assert_eq!(
        s.sku,
        example("get_sku", "200")["Product"]["sku"]
            .as_str()
            .unwrap()
    );
}

#[tokio::test]
async fn put_sku_sends_products_with_variations_and_kits() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let bodies = Bodies::default();
    server
        .mock_async(|when, then| {
            bodies.record(when.method(PUT).path_includes("/skus/"));
            then.status(200).json_body(example("put_sku", "200"));
        })
        .await;
    let spec = super::common::spec("pluggto");
    let examples = &super::common::operation(&spec, "put_sku")["requestBody"]["content"]["application/json"]
        ["examples"];
    let c = client(&server);
    for name in ["with_variations", "kit"] {
        let value = examples[name]["value"].clone();
        let sku = value["sku"].as_str().unwrap().to_owned();
        let input: types::ProductInput = serde_json::from_value(value.clone()).unwrap();
        let result = c.put_product(&sku, input).await.unwrap();
        assert!(matches!(result, Written::Stored(_)));
        // The provider's kit example writes quantities as text ("1"); the client sends numbers.
        let mut expected = value.clone();
        // A `null` in the example (`package_skus: null`) is left out rather than sent as null.
        drop_nulls(&mut expected);
        if let Some(parts) = expected
            .get_mut("package_skus")
            .and_then(|v| v.as_array_mut())
        {
            for p in parts {
                let q: i64 = p["quantity"]
                    .as_str()
                    .map_or_else(|| p["quantity"].as_i64().unwrap(), |s| s.parse().unwrap());
                p["quantity"] = json!(q);
            }
        }
        assert_json_eq(&bodies.last_json(), &expected);
    }
    assert_eq!(bodies.count(), 2);
}

#[tokio::test]
async fn a_product_without_required_fields_is_refused_naming_the_field() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server, TOKEN, "r1").await;
    let builder = types::ProductInput::builder().name(Some("Camiseta".to_owned()));
    let err = client(&server)
        .put_product("p1", builder)
        .await
        .unwrap_err();
    match err.kind() {
        ErrorKind::InvalidInput { field, .. } => assert_eq!(field, "sku"),
        other => panic!("expected invalid input, got {other:?}"),
    }
    assert_eq!(token.calls_async().await, 0);
}

/// Audit P18: PluggTo updates take "just the fields you want to update", so a price change is
/// `sku` and `price`, nothing more.
#[tokio::test]
async fn a_partial_product_upsert_sends_only_sku_and_what_changes() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let bodies = Bodies::default();
    server
        .mock_async(|when, then| {
            bodies.record(when.method(PUT).path("/skus/p1"));
            then.status(200).json_body(example("put_sku", "200"));
        })
        .await;
    let change = types::ProductInput::builder().sku("p1").price(Some(
        brcommerce::common::lenient::DecimalNumber(dec!(19.90)),
    ));
    client(&server).put_product("p1", change).await.unwrap();
    assert_eq!(bodies.last_json(), json!({"sku": "p1", "price": 19.9}));
}

#[tokio::test]
async fn delete_sku_deletes() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let deleted = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/skus/pai-var1")
                .header("authorization", format!("Bearer {TOKEN}"));
            then.status(200).json_body(example("delete_sku", "200"));
        })
        .await;
    client(&server).delete_product("pai-var1").await.unwrap();
    deleted.assert_async().await;
}

#[tokio::test]
async fn stock_changes_send_the_right_action() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let bodies = Bodies::default();
    server
        .mock_async(|when, then| {
            bodies.record(when.method(PUT).path("/skus/pai-var1/stock"));
            then.status(200)
                .json_body(example("update_sku_stock", "200"));
        })
        .await;
    let c = client(&server);
    for (change, action, qty) in [
        (StockChange::Increase(2), "increase", 2),
        (StockChange::Decrease(1), "decrease", 1),
        (StockChange::Set(40), "update", 40),
    ] {
        let r = c.update_stock("pai-var1", change).await.unwrap();
        assert!(!r.is_unchanged());
        assert_eq!(
            bodies.last_json(),
            json!({"action": action, "quantity": qty, "sku": "pai-var1"})
        );
    }
}

#[tokio::test]
async fn shipping_quotes_send_cep_and_sku_quantities_and_read_lenient_prices() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let quote = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/shipping")
                .query_param("postalcode", "06543210")
                .query_param("country", "BRA")
                .query_param("skus", "a1:2,b2:1");
            then.status(200).json_body(example("quote_shipping", "200"));
        })
        .await;
    let options = client(&server)
        .quote_shipping("06543-210", &[("a1", 2), ("b2", 1)])
        .await
        .unwrap();
    quote.assert_async().await;
    assert_eq!(options.len(), 2);
    assert_eq!(options[0].price.into_inner(), Some(dec!(21.90)));
    assert_eq!(options[1].price.into_inner(), Some(dec!(38.5)));
}

#[tokio::test]
async fn a_bad_cep_or_no_items_is_refused_before_sending() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server, TOKEN, "r1").await;
    let c = client(&server);
    let err = c.quote_shipping("1234", &[("a", 1)]).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidInput { field, .. } if field == "postalcode"));
    let err = c.quote_shipping("06543210", &[]).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidInput { field, .. } if field == "skus"));
    let err = c
        .quote_shipping("06543210", &[("a,b", 1)])
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidInput { field, .. } if field == "skus"));
    assert_eq!(token.calls_async().await, 0);
}

#[tokio::test]
async fn messages_are_created_and_answered() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let bodies = Bodies::default();
    server
        .mock_async(|when, then| {
            bodies.record(when.method(POST).path("/messages"));
            then.status(201).json_body(example("create_message", "201"));
        })
        .await;
    let answered = server
        .mock_async(|when, then| {
            when.method(PUT).path("/messages");
            then.status(200)
                .json_body(example("add_message_interactions", "200"));
        })
        .await;
    let c = client(&server);
    let input: types::MessageInput =
        serde_json::from_value(body_example("create_message")).unwrap();
    let m = c.create_message(input).await.unwrap().stored().unwrap();
    assert_eq!(
        m.id,
        example("create_message", "201")["Message"]["id"]
            .as_str()
            .unwrap()
    );
    assert_json_eq(&bodies.last_json(), &body_example("create_message"));
    let update: types::MessageInteractionUpdate =
        serde_json::from_value(body_example("add_message_interactions")).unwrap();
    c.add_message_interactions(update.interections)
        .await
        .unwrap();
    answered.assert_async().await;
    let err = c.add_message_interactions(vec![]).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidInput { .. }));
}

pub(super) fn drop_nulls(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}
