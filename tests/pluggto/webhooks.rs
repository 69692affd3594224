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
    assert_eq!(n.id.as_str(), "5b9169c309eacd415056aa3a");
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
        br#"{"type": "labels", "id": "x1", "action": "archived", "user": "1120"}"#,
    )
    .unwrap();
    assert!(matches!(&n.type_, NotificationType::Other(t) if t.to_string() == "labels"));
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

#[test]
fn every_documented_type_and_action_is_known() {
    use brcommerce::pluggto::types::NotificationActionKnown as A;
    use brcommerce::pluggto::types::NotificationTypeKnown as K;
    // developers.plugg.to/reference/notification-information: products created/updated, skus
    // deleted, orders created/updated, messages created/updated, invoices created.
    for (kind, action, k, a) in [
        ("products", "created", K::Products, A::Created),
        ("products", "updated", K::Products, A::Updated),
        ("skus", "deleted", K::Skus, A::Deleted),
        ("orders", "created", K::Orders, A::Created),
        ("orders", "updated", K::Orders, A::Updated),
        ("messages", "created", K::Messages, A::Created),
        ("messages", "updated", K::Messages, A::Updated),
        ("invoices", "created", K::Invoices, A::Created),
    ] {
        let body = format!(r#"{{"type":"{kind}","id":"x","action":"{action}","user":1}}"#);
        let n = parse_notification(body.as_bytes()).unwrap();
        assert_eq!(n.type_, NotificationType::Known(k), "{kind}");
        assert_eq!(n.action, NotificationAction::Known(a), "{action}");
    }
}

#[test]
fn ids_and_users_decode_from_numbers_or_strings() {
    let n = parse_notification(br#"{"type":"orders","id":4711,"action":"created","user":"129"}"#)
        .unwrap();
    assert_eq!(n.id.as_str(), "4711");
    assert_eq!(n.user.into_inner(), Some(129));
    let n = parse_notification(br#"{"type":"orders","id":"4711","action":"created","user":129}"#)
        .unwrap();
    assert_eq!(n.id.as_str(), "4711");
    assert_eq!(n.user.into_inner(), Some(129));
}

#[tokio::test]
async fn a_sku_notification_fetches_by_sku_and_a_deleted_sku_fetches_nothing() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server, TOKEN, "r1").await;
    let by_sku = server
        .mock_async(|when, then| {
            when.method(GET).path("/skus/parent-6385");
            then.status(200).json_body(example("get_sku", "200"));
        })
        .await;
    let by_id = server
        .mock_async(|when, then| {
            when.method(GET).path_includes("/products/");
            then.status(404)
                .json_body(serde_json::json!({"message": "wrong route"}));
        })
        .await;
    let c = client(&server);
    let n = parse_notification(
        br#"{"type": "skus", "id": "parent-6385", "action": "updated", "user": 1}"#,
    )
    .unwrap();
    assert!(matches!(
        c.fetch_notified(&n).await.unwrap(),
        Notified::Product(_)
    ));
    by_sku.assert_async().await;
    // The notification page's own example: the SKU is gone, there is nothing to read.
    let n =
        parse_notification(br#"{"type":"skus","id":"parent-6385","action":"deleted","user":129}"#)
            .unwrap();
    assert_eq!(
        c.fetch_notified(&n).await.unwrap(),
        Notified::DeletedSku {
            sku: "parent-6385".into()
        }
    );
    assert_eq!(
        by_sku.calls_async().await,
        1,
        "a deleted SKU is not fetched"
    );
    assert_eq!(by_id.calls_async().await, 0);
    assert_eq!(token.calls_async().await, 1);
}

#[tokio::test]
async fn products_fetch_by_id_and_messages_and_invoices_fetch_nothing() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let product = server
        .mock_async(|when, then| {
            when.method(GET).path("/products/p9");
            then.status(200).json_body(example("get_product", "200"));
        })
        .await;
    let c = client(&server);
    let n =
        parse_notification(br#"{"type": "PRODUCTS", "id": "p9", "action": "created", "user": 1}"#)
            .unwrap();
    assert!(matches!(
        c.fetch_notified(&n).await.unwrap(),
        Notified::Product(_)
    ));
    product.assert_async().await;
    for kind in ["messages", "invoices", "labels"] {
        let body = format!(r#"{{"type": "{kind}", "id": "i1", "action": "created", "user": 1}}"#);
        let n = parse_notification(body.as_bytes()).unwrap();
        assert_eq!(
            c.fetch_notified(&n).await.unwrap(),
            Notified::Unknown(kind.into())
        );
    }
    assert_eq!(
        product.calls_async().await,
        1,
        "messages and invoices are not fetched"
    );
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
