use std::time::Duration;

use brcommerce::ErrorKind;
use brcommerce::pluggto::types::{NotificationAction, NotificationType, NotificationTypeKnown};
use brcommerce::pluggto::{Notified, RETRY_SCHEDULE, parse_freight_request, parse_notification};
use httpmock::Method::GET;
use httpmock::MockServer;

use super::{TOKEN, client, example, token_endpoint};

#[test]
fn the_documented_notification_parses() {
    let body = br#"{ "user" : 129, "id" : "5b9169c309eacd415056aa3a", "changes" : { "status" : false, "stock" : true, "price" : false }, "type" : "products", "action" : "updated" }"#;
    let n = parse_notification(body).unwrap();
    assert_eq!(n.id, "5b9169c309eacd415056aa3a");
    assert_eq!(
        n.type_,
        NotificationType::Known(NotificationTypeKnown::Products)
    );
    assert_eq!(n.user.into_inner(), Some(129));
    let changes = n.changes.unwrap();
    assert_eq!(changes.stock, Some(true));
    assert_eq!(changes.price, Some(false));
    assert!(matches!(n.action, NotificationAction::Known(_)));
}

#[test]
fn unknown_types_and_actions_are_kept() {
    let n = parse_notification(
        br#"{"type": "invoices", "id": "x1", "action": "archived", "user": "1120"}"#,
    )
    .unwrap();
    assert!(matches!(&n.type_, NotificationType::Other(t) if t.to_string() == "invoices"));
    assert!(matches!(&n.action, NotificationAction::Other(a) if a.to_string() == "archived"));
    assert_eq!(n.user.into_inner(), Some(1120));
}

#[test]
fn a_malformed_notification_names_the_field() {
    let err =
        parse_notification(br#"{"type": "orders", "action": "created", "user": 1}"#).unwrap_err();
    match err.kind() {
        ErrorKind::Decode { message, .. } => assert!(message.contains("id"), "{message}"),
        other => panic!("expected a decode error, got {other:?}"),
    }
    let err = parse_notification(br#"{"type": 5, "id": "a", "action": "created", "user": 1}"#)
        .unwrap_err();
    match err.kind() {
        ErrorKind::Decode { path, .. } => assert_eq!(path, "type"),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_order_notification_fetches_the_order() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let order = server
        .mock_async(|when, then| {
            when.method(GET).path("/orders/5877efb70280833e402e54bc");
            then.status(200).json_body(example("get_order", "200"));
        })
        .await;
    // The docs' template spells the type in capitals.
    let n = parse_notification(
        br#"{"type": "ORDERS", "id": "5877efb70280833e402e54bc", "action": "created", "user": 1120}"#,
    )
    .unwrap();
    match client(&server).fetch_notified(&n).await.unwrap() {
        Notified::Order(o) => assert_eq!(o.id, "5877efb70280833e402e54bc"),
        other => panic!("expected an order, got {other:?}"),
    }
    order.assert_async().await;
}

#[tokio::test]
async fn a_sku_notification_fetches_the_product_and_unknown_types_fetch_nothing() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server, TOKEN, "r1").await;
    let product = server
        .mock_async(|when, then| {
            when.method(GET).path("/products/p9");
            then.status(200).json_body(example("get_product", "200"));
        })
        .await;
    let c = client(&server);
    let n = parse_notification(br#"{"type": "skus", "id": "p9", "action": "updated", "user": 1}"#)
        .unwrap();
    assert!(matches!(
        c.fetch_notified(&n).await.unwrap(),
        Notified::Product(_)
    ));
    product.assert_async().await;
    let n =
        parse_notification(br#"{"type": "invoices", "id": "i1", "action": "created", "user": 1}"#)
            .unwrap();
    assert_eq!(
        c.fetch_notified(&n).await.unwrap(),
        Notified::Unknown("invoices".into())
    );
    assert_eq!(token.calls_async().await, 1);
}

#[test]
fn the_freight_callback_request_parses_and_the_answer_serializes() {
    let request = super::common::schema_example("pluggto", "FreightRequest");
    let parsed = parse_freight_request(request.to_string().as_bytes()).unwrap();
    assert_eq!(parsed.user_id.into_inner(), Some(1793));
    assert_eq!(parsed.destination_postalcode.as_deref(), Some("05004010"));
    let product = &parsed.products[0];
    assert_eq!(product.sku.as_deref(), Some("parent-000000000001000906"));
    // Numbers arrive as numbers or numeric strings ("1"); both read as values.
    assert_eq!(product.quantity.into_inner(), Some(1));
    assert_eq!(
        product.height.into_inner(),
        Some(rust_decimal::Decimal::from(10))
    );
    assert_eq!(
        product.unit_price.into_inner(),
        Some(rust_decimal::Decimal::ZERO)
    );
    let answer = super::common::schema_example("pluggto", "FreightResponse");
    let typed: brcommerce::pluggto::types::FreightResponse =
        serde_json::from_value(answer.clone()).unwrap();
    super::common::assert_json_eq(&serde_json::to_value(&typed).unwrap(), &answer);
}

#[test]
fn the_retry_schedule_is_the_documented_one() {
    let total: Duration = RETRY_SCHEDULE.iter().sum();
    assert_eq!(RETRY_SCHEDULE[0], Duration::from_secs(300));
    assert_eq!(RETRY_SCHEDULE[7], Duration::from_secs(2 * 24 * 3600));
    // 5 min + 15 min + 1 h + 2 h + 3 h + 12 h + 24 h + 48 h
    assert_eq!(total, Duration::from_secs(20 * 60 + 90 * 3600));
}
