use brcommerce::ErrorKind;
use brcommerce::pluggto::{Cursor, DateRange, MessageFilter, OrderFilter, ProductFilter};
use chrono::NaiveDate;
use futures::{StreamExt, TryStreamExt};
use httpmock::Method::GET;
use httpmock::MockServer;
use serde_json::{Value, json};

use super::{TOKEN, client, example, token_endpoint};

/// An order list page holding orders with these ids.
fn order_page(ids: &[&str], total: usize, limit: usize) -> Value {
    let template = example("get_order", "200")["Order"].clone();
    let result: Vec<Value> = ids
        .iter()
        .map(|id| {
            let mut o = template.clone();
            o["id"] = json!(id);
            json!({"Order": o})
        })
        .collect();
    json!({"total": total, "showing": ids.len(), "limit": limit, "result": result})
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[tokio::test]
async fn the_order_stream_walks_three_pages_with_the_last_id_as_cursor() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let first = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/orders")
                .query_param("limit", "2")
                .query_param_missing("next");
            then.status(200).json_body(order_page(&["o1", "o2"], 5, 2));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            when.method(GET).path("/orders").query_param("next", "o2");
            then.status(200).json_body(order_page(&["o3", "o4"], 5, 2));
        })
        .await;
    let third = server
        .mock_async(|when, then| {
            when.method(GET).path("/orders").query_param("next", "o4");
            then.status(200).json_body(order_page(&["o5"], 5, 2));
        })
        .await;
    // A short page is not taken as the last (PluggTo documents no end-of-list rule, audit
    // P13): the walk ends at an empty page.
    let end = server
        .mock_async(|when, then| {
            when.method(GET).path("/orders").query_param("next", "o5");
            then.status(200).json_body(order_page(&[], 5, 2));
        })
        .await;
    let filter = OrderFilter::new().limit(2);
    let c = client(&server);
    let ids: Vec<String> = c
        .orders(&filter)
        .map_ok(|o| o.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["o1", "o2", "o3", "o4", "o5"]);
    first.assert_async().await;
    second.assert_async().await;
    third.assert_async().await;
    end.assert_async().await;
}

#[tokio::test]
async fn a_page_reports_its_total_and_the_next_cursor() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/orders").query_param("next", "o2");
            then.status(200).json_body(order_page(&["o3", "o4"], 7, 2));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/orders").query_param("next", "o6");
            then.status(200).json_body(order_page(&["o7"], 7, 2));
        })
        .await;
    let filter = OrderFilter::new().limit(2);
    let c = client(&server);
    let after = |id: &str| Cursor::After(id.to_owned());
    let page = c.orders_page(&filter, Some(&after("o2"))).await.unwrap();
    assert_eq!(page.total, Some(7));
    assert_eq!(page.next, Some(after("o4")));
    let short = c.orders_page(&filter, Some(&after("o6"))).await.unwrap();
    assert_eq!(short.items.len(), 1);
    assert_eq!(
        short.next,
        Some(after("o7")),
        "a short page is not the last one"
    );
}

#[tokio::test]
async fn date_ranges_are_sent_the_way_pluggto_expects() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let filtered = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/orders")
                .query_param("created", "2024-01-01to2024-01-31")
                .query_param("modified", "2024-02-01to2024-02-01")
                .query_param("status", "approved")
                .query_param("limit", "100");
            then.status(200).json_body(order_page(&[], 0, 100));
        })
        .await;
    let filter = OrderFilter::new()
        .created(DateRange::new(day(2024, 1, 1), day(2024, 1, 31)).unwrap())
        .modified(DateRange::new(day(2024, 2, 1), day(2024, 2, 1)).unwrap())
        .status("approved");
    let all: Vec<_> = client(&server).orders(&filter).try_collect().await.unwrap();
    assert!(all.is_empty());
    filtered.assert_async().await;
}

#[test]
fn a_reversed_date_range_is_refused() {
    let err = DateRange::new(day(2024, 2, 1), day(2024, 1, 1)).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidInput { field, .. } if field == "to"));
    assert_eq!(
        DateRange::new(day(2017, 1, 1), day(2017, 2, 1))
            .unwrap()
            .to_string(),
        "2017-01-01to2017-02-01"
    );
}

#[tokio::test]
async fn a_limit_outside_1_to_100_is_refused_before_sending() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server, TOKEN, "r1").await;
    let c = client(&server);
    for limit in [0, 101] {
        let filter = ProductFilter::new().limit(limit);
        let err = c.products_page(&filter, None).await.unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::InvalidInput { field, .. } if field == "limit"));
    }
    assert_eq!(token.calls_async().await, 0);
}

#[tokio::test]
async fn products_and_messages_page_the_same_way() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    let products = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/products")
                .query_param("sku", "pai-var1")
                .query_param_missing("next");
            then.status(200).json_body(example("list_products", "200"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/products")
                .query_param_exists("next");
            then.status(200)
                .json_body(json!({"total": 1, "result": []}));
        })
        .await;
    let messages = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/messages")
                .query_param("channel", "mercadolivre")
                .query_param_missing("next");
            then.status(200).json_body(example("list_messages", "200"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/messages")
                .query_param_exists("next");
            then.status(200)
                .json_body(json!({"total": 1, "result": []}));
        })
        .await;
    let c = client(&server);
    let filter = ProductFilter::new().sku("pai-var1");
    let ps: Vec<_> = c.products(&filter).try_collect().await.unwrap();
    let expected = example("list_products", "200")["result"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(ps.len(), expected);
    products.assert_async().await;
    let filter = MessageFilter::new().channel("mercadolivre");
    let ms: Vec<_> = c.messages(&filter).try_collect().await.unwrap();
    assert_eq!(
        ms.len(),
        example("list_messages", "200")["result"]
            .as_array()
            .unwrap()
            .len()
    );
    messages.assert_async().await;
}

#[tokio::test]
async fn an_error_mid_stream_is_yielded_once_and_ends_the_stream() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN, "r1").await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/orders").query_param_missing("next");
            then.status(200).json_body(order_page(&["o1", "o2"], 4, 2));
        })
        .await;
    let broken = server
        .mock_async(|when, then| {
            when.method(GET).path("/orders").query_param("next", "o2");
            then.status(404)
                .json_body(json!({"error": "Not Found", "message": "cursor expired"}));
        })
        .await;
    let filter = OrderFilter::new().limit(2);
    let c = client(&server);
    let items: Vec<_> = c.orders(&filter).collect().await;
    assert_eq!(items.len(), 3);
    assert!(items[0].is_ok() && items[1].is_ok());
    assert_eq!(items[2].as_ref().unwrap_err().status(), Some(404));
    assert_eq!(broken.calls_async().await, 1);
}
