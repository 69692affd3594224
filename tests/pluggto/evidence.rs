//! Payloads from PluggTo's current reference (developers.plugg.to) and live-shaped orders, as
//! quoted by the December 2026 audit (`spec-audit-pluggto-connectplug.md`, P1–P14): what the
//! older Postman collection did not show.

use brcommerce::pluggto::types::{self, DateOrDateTime};
use brcommerce::pluggto::{OrderFilter, ProductFilter, Written};
use chrono::{NaiveDate, TimeZone, Utc};
use httpmock::Method::{GET, POST, PUT};
use httpmock::MockServer;
use serde_json::{Value, json};

use super::common::{Bodies, assert_json_eq};
use super::operations::drop_nulls;
use super::{TOKEN, client, token_endpoint};

/// An order as PluggTo echoes it after an invoice and a tracking update: the dates of the
/// official update-invoice and update-order-tracking-status examples
/// (`"nfe_date": "2024-07-15T18:07:07.000Z"`, `"date_shipped": "2024-07-17T18:14:00.000Z"`) and
/// the order dates of a public mock of a live `GET /orders` (`expected_delivery_date:
/// '2025-04-29T03:00:00.000Z'`); the audit's `pt_new.py` builds it the same way.
fn invoiced_order() -> Value {
    json!({
        "id": "606b87e9e7cb7f1d4d5f8d30", "status": "invoiced", "user_id": "8203",
        "created": "2025-04-27T12:30:39.691Z", "modified": "2025-05-08T06:57:07.299Z", "ack": true,
        "expected_delivery_date": "2025-04-29T03:00:00.000Z",
        "expected_send_date": "2025-04-29T12:30:39.000Z",
        "receiver_schedule_date": null,
        "external": "2949334455-A",
        "payments": [{"payment_type": "credit", "payment_method": "x", "payment_installments": "3",
            "payment_total": 100, "payment_quota": 30, "payment_interest": 3,
            "payment_additional_info": null, "external": null, "id": "6042121bb71e3422dafd2404"}],
        "items": [{"commission": {"fixed": 4, "tax": 2, "total_charged": 10, "comment": null},
            "variation": {"attributes": [], "id": null, "name": null, "external": null, "sku": null,
                "ean": null, "photo_url": null},
            "quantity": 2, "sku": "486086", "price": 30, "total": 90, "name": "Camiseta",
            "supplier_id": null, "stock_code": null}],
        "shipments": [{"id": "606b87e9e7cb7f1d4d5f8d33",
            "estimate_delivery_date": "2025-04-29T03:00:00.000Z",
            "date_shipped": "2024-07-17T18:14:00.000Z",
            "date_delivered": "2025-05-08T06:57:07.000Z", "date_cancelled": null,
            "nfe_date": "2024-07-15T18:07:07.000Z",
            "nfe_key": "35250446884672000108550040002284651152736890", "status": null,
            "documents": [{"url": "u", "type": "invoice_pdf", "external": null, "id": "d1"}],
            "issues": [], "shipping_items": []}],
        "commission": {"fixed": null, "tax": null, "total_charged": null, "comment": null},
        "tags": {"has_track": null}
    })
}

async fn serve_order(server: &MockServer, id: &str, order: Value) {
    let path = format!("/orders/{id}");
    server
        .mock_async(|when, then| {
            when.method(GET).path(path);
            then.status(200).json_body(json!({ "Order": order }));
        })
        .await;
}

/// P1: one invoiced or shipped order used to fail `get_order` (and every page holding it); its
/// dates are read with their time and offset.
#[tokio::test]
async fn an_invoiced_order_keeps_the_time_of_its_iso_dates() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    serve_order(&server, "606b87e9e7cb7f1d4d5f8d30", invoiced_order()).await;
    let order = client(&server)
        .order("606b87e9e7cb7f1d4d5f8d30")
        .await
        .unwrap();
    assert_eq!(
        order.expected_delivery_date.to_string(),
        "2025-04-29T03:00:00+00:00"
    );
    assert_eq!(
        order.expected_send_date.to_string(),
        "2025-04-29T12:30:39+00:00"
    );
    assert_eq!(order.receiver_schedule_date.to_string(), "");
    let shipment = &order.shipments[0];
    assert_eq!(shipment.nfe_date.to_string(), "2024-07-15T18:07:07+00:00");
    assert_eq!(
        shipment.date_shipped.to_string(),
        "2024-07-17T18:14:00+00:00"
    );
    assert_eq!(
        shipment.date_delivered.to_string(),
        "2025-05-08T06:57:07+00:00"
    );
    assert_eq!(
        shipment.estimate_delivery_date.to_string(),
        "2025-04-29T03:00:00+00:00"
    );
    assert_eq!(shipment.date_cancelled.to_string(), "");
}

/// P1: the same order in a page is not rejected, next to one with the Postman's bare dates.
#[tokio::test]
async fn a_page_with_an_invoiced_order_rejects_nothing() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let plain = super::example("get_order", "200")["Order"].clone();
    server
        .mock_async(|when, then| {
            when.method(GET).path("/orders");
            then.status(200)
                .json_body(json!({"total": 2, "showing": 2, "limit": 100,
                "result": [{"Order": plain}, {"Order": invoiced_order()}]}));
        })
        .await;
    let page = client(&server)
        .orders_page(&OrderFilter::default(), None)
        .await
        .unwrap();
    assert!(page.rejected.is_empty(), "{:?}", page.rejected);
    assert_eq!(page.items.len(), 2);
    assert_eq!(
        page.items[0].expected_delivery_date.to_string(),
        "2016-11-05 00:00:00"
    );
    assert_eq!(
        page.items[1].shipments[0].nfe_date.to_string(),
        "2024-07-15T18:07:07+00:00"
    );
}

/// P14: `external` as a number (the public mock of a live `GET /orders`) or keyed by the client
/// id that created the order (ThirdLevel's Magento module reads `external[created_by]`).
#[tokio::test]
async fn an_order_external_may_be_a_number_or_an_object() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let postman = super::example("get_order", "200")["Order"].clone();
    let mut numeric = postman.clone();
    numeric["external"] = json!(135324);
    serve_order(&server, "o-number", numeric).await;
    let mut keyed = postman;
    keyed["created_by"] = json!("app-77");
    keyed["external"] = json!({"app-77": "PED-1001"});
    serve_order(&server, "o-object", keyed).await;
    let c = client(&server);
    let a = serde_json::to_value(c.order("o-number").await.unwrap()).unwrap();
    assert_eq!(a["external"], json!(135324));
    let b = serde_json::to_value(c.order("o-object").await.unwrap()).unwrap();
    assert_eq!(b["external"], json!({"app-77": "PED-1001"}));
    assert_eq!(b["created_by"], json!("app-77"));
}

/// P5: fields of the get-one-order page (developers.plugg.to/reference/get-one-order) and of the
/// live-shaped order that the read model used to drop (names from the audit; values ours), on
/// the Postman example order.
#[tokio::test]
async fn the_fields_of_the_current_order_page_are_kept() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let mut order = super::example("get_order", "200")["Order"].clone();
    order["tags"] = json!({"has_track": null});
    order["commission"] =
        json!({"fixed": null, "tax": null, "total_charged": null, "comment": null});
    order["payments"][0]["id"] = json!("6042121bb71e3422dafd2404");
    order["shipments"][0]["documents"][0]["id"] = json!("d1");
    let extra = json!({
        "sub_status": "invoice_sent", "receiver_cpf": "529.982.247-25",
        "receiver_additional_info": "Portaria 24h", "payer_ie": "110.042.490.114",
        "payer_address_reference": "Prox a padaria", "approved_date": "2025-04-27T12:31:02.000Z",
        "created_by": "mercadolivre", "delivery_description": "Entrega padrão",
        "sale_intermediary": "03007331000141", "payment_intermediary": "10573521000191",
        "intermediary_seller_id": "LOJA_EXEMPLO"
    });
    for (k, v) in extra.as_object().unwrap() {
        order[k] = v.clone();
    }
    order["items"][0]["original_sku"] = json!("MLB-486086");
    order["items"][0]["photo_url"] = json!("https://img.example/486086.jpg");
    order["items"][0]["discount"] = json!("5.00");
    order["shipments"][0]["label_info"] =
        json!({"format": "zpl", "url": "https://label.example/1"});
    serve_order(&server, "o1", order).await;
    let read = client(&server).order("o1").await.unwrap();
    let got = serde_json::to_value(&read).unwrap();
    for (k, v) in extra.as_object().unwrap() {
        if k == "approved_date" {
            continue;
        }
        assert_eq!(&got[k], v, "{k}");
    }
    assert_eq!(shown(&read.approved_date), "2025-04-27T12:31:02+00:00");
    assert_eq!(got["tags"], json!({"has_track": null}));
    assert_eq!(got["payments"][0]["id"], json!("6042121bb71e3422dafd2404"));
    assert_eq!(got["items"][0]["original_sku"], json!("MLB-486086"));
    assert_eq!(
        got["items"][0]["photo_url"],
        json!("https://img.example/486086.jpg")
    );
    assert_eq!(got["items"][0]["discount"], json!("5.00"));
    assert_eq!(got["shipments"][0]["documents"][0]["id"], json!("d1"));
    assert_eq!(
        got["shipments"][0]["label_info"],
        json!({"format": "zpl", "url": "https://label.example/1"})
    );
    assert_eq!(got["commission"]["total_charged"], Value::Null);
}

/// P6: the Postman GET example spells `espected_delivery_date` (PM l.706), as does a PluggTo
/// developer's create example (with a date-time).
#[tokio::test]
async fn the_misspelt_espected_delivery_date_is_read_and_sent() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let mut order = super::example("get_order", "200")["Order"].clone();
    order
        .as_object_mut()
        .unwrap()
        .remove("expected_delivery_date");
    order["espected_delivery_date"] = json!("2016-11-05");
    serve_order(&server, "o1", order).await;
    let read = client(&server).order("o1").await.unwrap();
    assert_eq!(shown(&read.espected_delivery_date), "2016-11-05 00:00:00");

    let bodies = Bodies::default();
    server
        .mock_async(|when, then| {
            bodies.record(when.method(POST).path("/orders"));
            then.status(201)
                .json_body(super::example("create_order", "201"));
        })
        .await;
    let input: types::OrderInput = serde_json::from_value(json!({
        "espected_delivery_date": "2017-09-28T00:00:00.000Z",
        "items": [{"sku": "136-ED021", "quantity": 1, "price": 30}]
    }))
    .unwrap();
    client(&server).create_order(input).await.unwrap();
    assert_eq!(
        bodies.last_json()["espected_delivery_date"],
        json!("2017-09-28T00:00:00.000Z")
    );
}

/// P5: the create-order page (developers.plugg.to/reference/create-order) sends the
/// intermediary a marketplace sale's NF-e names, `auto_reserve: true`, `ack: false`.
#[tokio::test]
async fn create_order_sends_the_intermediary_fields_marketplace_nfes_need() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let bodies = Bodies::default();
    server
        .mock_async(|when, then| {
            bodies.record(when.method(POST).path("/orders"));
            then.status(201)
                .json_body(super::example("create_order", "201"));
        })
        .await;
    let sent = json!({
        "channel": "minha_aplicacao", "channel_account": "conta-1", "status": "approved",
        "sale_intermediary": "03007331000141", "payment_intermediary": "10573521000191",
        "intermediary_seller_id": "LOJA_EXEMPLO", "auto_reserve": true, "ack": false,
        "receiver_cpf": "529.982.247-25", "receiver_additional_info": "Portaria 24h",
        "payer_ie": "110.042.490.114", "payer_address_reference": "Prox a padaria",
        "items": [{"sku": "136-ED021", "quantity": 1, "price": 30}]
    });
    let input: types::OrderInput = serde_json::from_value(sent.clone()).unwrap();
    client(&server).create_order(input).await.unwrap();
    let mut got = bodies.last_json();
    drop_nulls(&mut got);
    assert_json_eq(&got, &sent);
}

/// P4: the official update-invoice, update-order-tracking-status and
/// update-invoices-by-documents bodies send date-times;
/// they go out as they are, and a typed date-time goes out in PluggTo's form.
#[tokio::test]
async fn invoice_and_tracking_updates_send_their_date_times() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let bodies = Bodies::default();
    server
        .mock_async(|when, then| {
            bodies.record(when.method(PUT).path("/orders/606b87e9e7cb7f1d4d5f8d30"));
            then.status(200)
                .json_body(json!({"Order": invoiced_order()}));
        })
        .await;
    let invoice = json!({"status": "invoiced", "shipments": [{
        "nfe_key": "414444444444444444444444444444",
        "nfe_link": "https://linkexemplo.com.br/xml/1112.xml", "nfe_number": "12",
        "nfe_serie": "1", "nfe_date": "2024-07-15T18:07:07.000Z", "cfops": "6602"}]});
    let tracking = json!({"status": "shipping_informed", "shipments": [{
        "id": "606b87e9e7cb7f1d4d5f8d33", "shipping_company": "Correios",
        "shipping_method": "PAC", "track_code": "QC123456729BR",
        "track_url": "https://correios.com.br", "date_shipped": "2024-07-17T18:14:00.000Z",
        "status": "shipped", "shipping_items": [{"sku": "1776924", "quantity": 1}]}]});
    // developers.plugg.to/reference/update-invoices-by-documents: the invoice as a document.
    let documents = json!({"status": "invoiced", "shipments": [{
        "documents": [{"url": "https://pluggto-xmlnf.example/129_4644258996.xml",
            "type": "invoice"}],
        "id": "606b87e9e7cb7f1d4d5f8d32", "nfe_date": "2024-07-15T18:07:07.000Z",
        "nfe_key": "31210617888732102479550010005269381003054430",
        "nfe_number": "5269322", "nfe_serie": "1"}]});
    let c = client(&server);
    for body in [&invoice, &tracking, &documents] {
        let change: types::OrderUpdate = serde_json::from_value(body.clone()).unwrap();
        let result = c
            .update_order("606b87e9e7cb7f1d4d5f8d30", change)
            .await
            .unwrap();
        assert!(matches!(result, Written::Stored(_)), "{result:?}");
        let mut got = bodies.last_json();
        drop_nulls(&mut got);
        assert_json_eq(&got, body);
    }

    // Typed: an NF-e emitted at 15:07:07 in São Paulo is sent as PluggTo writes it, in UTC.
    let emitted = chrono::FixedOffset::west_opt(3 * 3600)
        .unwrap()
        .with_ymd_and_hms(2024, 7, 15, 15, 7, 7)
        .unwrap();
    let shipment = types::ShipmentInput {
        nfe_date: Some(DateOrDateTime::try_from(emitted).unwrap()),
        date_shipped: Some(
            DateOrDateTime::try_from(NaiveDate::from_ymd_opt(2024, 7, 17).unwrap()).unwrap(),
        ),
        ..serde_json::from_value(json!({})).unwrap()
    };
    let change = types::OrderUpdate {
        shipments: vec![shipment],
        ..serde_json::from_value(json!({})).unwrap()
    };
    c.update_order("606b87e9e7cb7f1d4d5f8d30", change)
        .await
        .unwrap();
    let sent = &bodies.last_json()["shipments"][0];
    assert_eq!(sent["nfe_date"], json!("2024-07-15T18:07:07.000Z"));
    assert_eq!(sent["date_shipped"], json!("2024-07-17"));
    // Text that is neither form is refused before sending.
    assert!("15/07/2024".parse::<DateOrDateTime>().is_err());
    assert!(DateOrDateTime::try_from(Utc.with_ymd_and_hms(2024, 7, 15, 18, 7, 7).unwrap()).is_ok());
}

/// P11: the official `not_updated` body (developers.plugg.to/reference/update-invoice), with
/// `error: true` and `details` as a text, and the same body with `details` as a list: both are
/// "unchanged", with the details in the message.
#[tokio::test]
async fn the_official_not_updated_body_is_unchanged_whatever_its_details() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let official = json!({"error": true, "type": "not_updated",
        "message": "An error occurred, see details for more information.",
        "details": "Changes not found in the order"});
    let mut listed = official.clone();
    listed["details"] = json!(["Changes not found in the order"]);
    for (id, body) in [("o1", official), ("o2", listed)] {
        let path = format!("/orders/{id}");
        server
            .mock_async(|when, then| {
                when.method(PUT).path(path);
                then.status(400).json_body(body);
            })
            .await;
    }
    let c = client(&server);
    for id in ["o1", "o2"] {
        let change: types::OrderUpdate =
            serde_json::from_value(json!({"status": "invoiced"})).unwrap();
        match c.update_order(id, change).await.unwrap() {
            Written::Unchanged { message } => assert_eq!(
                message,
                "An error occurred, see details for more information.: \
                 Changes not found in the order"
            ),
            other => panic!("{id}: expected Unchanged, got {other:?}"),
        }
    }
}

/// P7: an authorization-code app learns which user it acts for (PM l.227, "the ENDPOINT
/// "users" will allow you to know the user who is acessing your application").
#[tokio::test]
async fn an_app_learns_its_user_from_get_users() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let users = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/users")
                .header("authorization", format!("Bearer {TOKEN}"));
            then.status(200)
                .json_body(super::example("get_user", "200"));
        })
        .await;
    let user = client(&server).user().await.unwrap();
    users.assert_async().await;
    assert_eq!(user.id.value(), Some(129));
    // A user id sent as text reads the same.
    let as_text: types::UserEnvelope =
        serde_json::from_value(json!({"User": {"id": "129"}})).unwrap();
    assert_eq!(as_text.user.id.value(), Some(129));
}

/// P8: the collection's `attribute` filter of orders (PM l.1204) and `attribute` and `id`
/// filters of products (PM l.1885-1886) are sent as query parameters.
#[tokio::test]
async fn the_attribute_and_id_filters_are_sent() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let orders = empty_list(
        &server,
        "/orders",
        &[("attribute", "gift"), ("channel", "mercadolivre")],
    )
    .await;
    let products = empty_list(
        &server,
        "/products",
        &[("attribute", "cor"), ("id", "5877f0c30280833e402e54bf")],
    )
    .await;
    let c = client(&server);
    let filter = OrderFilter::new().attribute("gift").channel("mercadolivre");
    let page = c.orders_page(&filter, None).await.unwrap();
    assert!(page.items.is_empty() && page.next.is_none());
    let filter = ProductFilter::new()
        .attribute("cor")
        .id("5877f0c30280833e402e54bf");
    let page = c.products_page(&filter, None).await.unwrap();
    assert!(page.items.is_empty() && page.next.is_none());
    orders.assert_async().await;
    products.assert_async().await;
}

/// An empty list page at `path`, answered only to a request with all of `params`.
async fn empty_list<'a>(
    server: &'a MockServer,
    path: &str,
    params: &[(&str, &str)],
) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            let mut when = when.method(GET).path(path);
            for (name, value) in params {
                when = when.query_param(*name, *value);
            }
            then.status(200)
                .json_body(json!({"total": 0, "showing": 0, "limit": 100, "result": []}));
        })
        .await
}

/// An optional field as text (empty when absent).
fn shown<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}
