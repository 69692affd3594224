//! One bad record costs one record, on every provider's list facade (issue 16): a 100-record
//! page with one record that no rule can read yields the 99 others and one item error, through
//! the page and the stream; a page whose records each carry one variance class decodes in full.
//! The checks are one generic helper (`support/isolation.rs`) over the shared `Page<T>`.

#[path = "common/mod.rs"]
mod common;
#[path = "support/isolation.rs"]
mod isolation;

use futures::future::LocalBoxFuture;
use httpmock::Method::POST;
use httpmock::MockServer;
use isolation::List;
use serde_json::{Value, json};

/// An id as text, whether sent as a number or a string.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The `key` of a decoded item, as its JSON.
fn key_of<T: serde::Serialize>(item: &T, key: &str) -> String {
    text(&serde_json::to_value(item).unwrap()[key]).unwrap_or_default()
}

/// A value no lenient rule reads as a number, a text or a date.
fn unreadable() -> Value {
    json!({"unreadable": [1, 2]})
}

fn no_setup(_: &MockServer) -> LocalBoxFuture<'_, ()> {
    Box::pin(async {})
}

fn token_setup(body: Value) -> impl Fn(&MockServer) -> LocalBoxFuture<'_, ()> {
    move |server| {
        let body = body.clone();
        Box::pin(async move {
            server
                .mock_async(|when, then| {
                    when.method(POST).path("/oauth/token");
                    then.status(200).json_body(body);
                })
                .await;
        })
    }
}

// ----- ecomDC: orders, paged by `totais` -----

fn ecomdc_client(server: &MockServer) -> brcommerce::ecomdc::Client {
    brcommerce::ecomdc::Client::builder(brcommerce::ecomdc::Credentials::new(
        "3566",
        "tok-3481260001-secret",
    ))
    .base_url(server.base_url())
    .rate_limits(common::unlimited())
    .retry(common::fast_retry())
    .build()
    .unwrap()
}

fn ecomdc_record(i: usize) -> Value {
    let mut r = common::response_example("ecomdc", "list_orders", "200")["pedidos"][0].clone();
    r["id"] = json!(1000 + i);
    r
}

macro_rules! ecomdc_list {
    ($server:expr, $client:expr, $filter:expr) => {
        List {
            server: $server,
            setup: &no_setup,
            path: "/pedidos",
            body: &|records| {
                let n = records.len().to_string();
                json!({"pedidos": records,
                       "totais": {"totalPedidos": n, "totalPaginas": "1", "paginaAtual": "1"}})
            },
            after: None,
            record: &ecomdc_record,
            breaks: &|r| r["valor_total"] = unreadable(),
            items: "/pedidos",
            id_of: &|r| text(&r["id"]),
            key: &|r| text(&r["id"]).unwrap(),
            item_id: |o| key_of(o, "id"),
            page: || $client.orders_page(&$filter, None),
            _item: std::marker::PhantomData,
            stream: || $client.orders(&$filter),
        }
    };
}

#[tokio::test]
async fn ecomdc_one_bad_order_costs_one_order() {
    let server = MockServer::start_async().await;
    let client = ecomdc_client(&server);
    let filter = brcommerce::ecomdc::OrderFilter::new();
    ecomdc_list!(&server, client, filter)
        .one_bad_record_costs_one_record()
        .await;
}

#[tokio::test]
async fn ecomdc_a_page_of_variances_decodes_in_full() {
    let server = MockServer::start_async().await;
    let client = ecomdc_client(&server);
    let filter = brcommerce::ecomdc::OrderFilter::new();
    ecomdc_list!(&server, client, filter)
        .every_variance_decodes(&[
            ("buyer_fiscal null", &|r| r["buyer_fiscal"] = json!(null)),
            ("buyer_fiscal \"\"", &|r| r["buyer_fiscal"] = json!("")),
            ("buyer_fiscal []", &|r| r["buyer_fiscal"] = json!([])),
            ("buyer_fiscal {}", &|r| r["buyer_fiscal"] = json!({})),
            ("nf_emissao date-time", &|r| {
                r["nf_emissao"] = json!("2024-07-15T18:07:07.000Z")
            }),
            ("numero_controle number", &|r| {
                r["numero_controle"] = json!(22454556764u64)
            }),
            ("origem number", &|r| r["origem"] = json!(7)),
            ("data_pagamento zero", &|r| {
                r["data_pagamento"] = json!("0000-00-00 00:00:00")
            }),
            ("nf_emissao zero", &|r| {
                r["nf_emissao"] = json!("0000-00-00")
            }),
            ("cliente.cep number", &|r| {
                r["cliente"]["cep"] = json!(36015001)
            }),
        ])
        .await;
}

// ----- PluggTo: orders, paged by the last id -----

fn pluggto_client(server: &MockServer) -> brcommerce::pluggto::Client {
    brcommerce::pluggto::Client::builder(brcommerce::pluggto::Credentials::password(
        "plugin-1",
        "pt-secret-9c8b7a",
        "api-user",
        "pt-pass-6d5e4f",
    ))
    .base_url(server.base_url())
    .retry(common::fast_retry())
    .build()
    .unwrap()
}

fn pluggto_record(i: usize) -> Value {
    let mut r = common::response_example("pluggto", "list_orders", "200")["result"][0].clone();
    r["Order"]["id"] = json!(format!("66a0f0c1e4b0{i:012}"));
    r
}

macro_rules! pluggto_list {
    ($server:expr, $client:expr, $filter:expr) => {
        List {
            server: $server,
            setup: &token_setup(json!({
                "access_token": "pt-access-1a2b3c", "refresh_token": "pt-refresh",
                "expires_in": 3600, "token_type": "bearer"
            })),
            path: "/orders",
            body: &|records| {
                let n = records.len();
                json!({"total": n, "showing": n, "limit": 100, "result": records})
            },
            after: Some((
                "next",
                json!({"total": 0, "showing": 0, "limit": 100, "result": []}),
            )),
            record: &pluggto_record,
            breaks: &|r| r["Order"]["total"] = unreadable(),
            items: "/result",
            id_of: &|r| text(&r["Order"]["id"]),
            key: &|r| text(&r["Order"]["id"]).unwrap(),
            item_id: |o| key_of(o, "id"),
            page: || $client.orders_page(&$filter, None),
            _item: std::marker::PhantomData,
            stream: || $client.orders(&$filter),
        }
    };
}

#[tokio::test]
async fn pluggto_one_bad_order_costs_one_order() {
    let server = MockServer::start_async().await;
    let client = pluggto_client(&server);
    let filter = brcommerce::pluggto::OrderFilter::new();
    pluggto_list!(&server, client, filter)
        .one_bad_record_costs_one_record()
        .await;
}

#[tokio::test]
async fn pluggto_a_page_of_variances_decodes_in_full() {
    let server = MockServer::start_async().await;
    let client = pluggto_client(&server);
    let shipment = |r: &mut Value, field: &str, v: Value| {
        let mut s = json!({"id": "s1"});
        s[field] = v;
        r["Order"]["shipments"] = json!([s]);
    };
    let filter = brcommerce::pluggto::OrderFilter::new();
    pluggto_list!(&server, client, filter)
        .every_variance_decodes(&[
            ("shipments[0].nfe_date date-time", &|r| {
                shipment(r, "nfe_date", json!("2024-07-15T18:07:07.000Z"))
            }),
            ("shipments[0].date_shipped zero", &|r| {
                shipment(r, "date_shipped", json!("0000-00-00"))
            }),
            ("status unknown", &|r| {
                r["Order"]["status"] = json!("on_hold_2027")
            }),
            ("shipments[0].status unknown", &|r| {
                shipment(r, "status", json!("lost_in_transit"))
            }),
            ("receiver_zipcode number", &|r| {
                r["Order"]["receiver_zipcode"] = json!(36015001)
            }),
            ("external number", &|r| {
                r["Order"]["external"] = json!(123456)
            }),
            ("expected_send_date zero", &|r| {
                r["Order"]["expected_send_date"] = json!("0000-00-00")
            }),
            ("payments {}", &|r| r["Order"]["payments"] = json!({})),
        ])
        .await;
}

// ----- AppClubMais: pending orders, one unpaged list -----

fn appclubmais_client(server: &MockServer) -> brcommerce::appclubmais::Client {
    use brcommerce::appclubmais::{Client, ClientId, Credentials};
    Client::builder(Credentials::new(ClientId::Number(29), "acm-secret-7f6e5d"))
        .base_url(server.base_url())
        .retry(common::fast_retry())
        .build()
        .unwrap()
}

fn appclubmais_record(i: usize) -> Value {
    let mut r = common::response_example("appclubmais", "list_orders", "200")["data"][0].clone();
    r["id_pedido"] = json!(5000 + i);
    r
}

macro_rules! appclubmais_list {
    ($server:expr, $client:expr, $filter:expr) => {
        List {
            server: $server,
            setup: &token_setup(json!({
                "token_type": "Bearer", "expires_in": 31536000, "access_token": "acm-token-1a2b3c"
            })),
            path: "/api/v1/pedidos",
            body: &|records| json!({"success": true, "code": 200, "data": records}),
            after: None,
            record: &appclubmais_record,
            breaks: &|r| r["troco"] = unreadable(),
            items: "/data",
            // AppClubMais keys its orders `id_pedido`: the rejected record's id is read from it.
            id_of: &|r| text(&r["id_pedido"]),
            key: &|r| text(&r["id_pedido"]).unwrap(),
            item_id: |o| key_of(o, "id_pedido"),
            page: || $client.orders_page(&$filter, None),
            _item: std::marker::PhantomData,
            stream: || $client.orders(&$filter),
        }
    };
}

#[tokio::test]
async fn appclubmais_one_bad_order_costs_one_order() {
    let server = MockServer::start_async().await;
    let client = appclubmais_client(&server);
    let filter = brcommerce::appclubmais::OrderFilter::new();
    appclubmais_list!(&server, client, filter)
        .one_bad_record_costs_one_record()
        .await;
}

#[tokio::test]
async fn appclubmais_a_page_of_variances_decodes_in_full() {
    let server = MockServer::start_async().await;
    let client = appclubmais_client(&server);
    let filter = brcommerce::appclubmais::OrderFilter::new();
    appclubmais_list!(&server, client, filter)
        .every_variance_decodes(&[
            ("cliente null", &|r| r["cliente"] = json!(null)),
            ("cliente \"\"", &|r| r["cliente"] = json!("")),
            ("cliente []", &|r| r["cliente"] = json!([])),
            ("cliente {}", &|r| r["cliente"] = json!({})),
            ("dt_agendamento date-time", &|r| {
                r["dt_agendamento"] = json!("2024-07-15T18:07:07.000000Z")
            }),
            ("dt_agendamento epoch", &|r| {
                r["dt_agendamento"] = json!("1969-12-31")
            }),
            ("dt_agendamento zero", &|r| {
                r["dt_agendamento"] = json!("0000-00-00")
            }),
            ("numero number", &|r| r["numero"] = json!(47)),
            ("cep_entrega number", &|r| {
                r["cep_entrega"] = json!(14020275)
            }),
            ("status unknown", &|r| r["status"] = json!("EM_ROTA")),
        ])
        .await;
}

// ----- ConnectPlug: products, paged by `meta` -----

fn connectplug_client(server: &MockServer) -> brcommerce::connectplug::Client {
    use brcommerce::connectplug::{Client, Credentials};
    Client::builder(Credentials::password(
        "3",
        "cp-secret-4b3a29",
        "integracao@loja.com.br",
        "cp-pass-8e7d6c",
    ))
    .base_url(server.base_url())
    .token_url(server.base_url())
    .company(12)
    .retry(common::fast_retry())
    .build()
    .unwrap()
}

fn connectplug_record(i: usize) -> Value {
    let mut r = common::response_example("connectplug", "list_products", "200")["data"]["products"]
        [0]
    .clone();
    r["id"] = json!(100 + i);
    r
}

macro_rules! connectplug_list {
    ($server:expr, $client:expr, $filter:expr) => {
        List {
            server: $server,
            setup: &token_setup(json!({
                "token_type": "Bearer", "expires_in": 31536000,
                "access_token": "cp-access-5f6e7d", "refresh_token": "cp-refresh-1"
            })),
            path: "/api/v3/products",
            body: &|records| {
                let n = records.len();
                json!({"data": {"products": records},
                       "meta": {"current_page": 1, "last_page": 1, "per_page": 100, "total": n}})
            },
            after: None,
            record: &connectplug_record,
            breaks: &|r| r["name"] = unreadable(),
            items: "/data/products",
            id_of: &|r| text(&r["id"]),
            key: &|r| text(&r["id"]).unwrap(),
            item_id: |o| key_of(o, "id"),
            page: || $client.products_page(&$filter, None),
            _item: std::marker::PhantomData,
            stream: || $client.products(&$filter),
        }
    };
}

#[tokio::test]
async fn connectplug_one_bad_product_costs_one_product() {
    let server = MockServer::start_async().await;
    let client = connectplug_client(&server);
    let filter = brcommerce::connectplug::ProductFilter::new();
    connectplug_list!(&server, client, filter)
        .one_bad_record_costs_one_record()
        .await;
}

#[tokio::test]
async fn connectplug_a_page_of_variances_decodes_in_full() {
    let server = MockServer::start_async().await;
    let client = connectplug_client(&server);
    let filter = brcommerce::connectplug::ProductFilter::new();
    connectplug_list!(&server, client, filter)
        .every_variance_decodes(&[
            ("category null", &|r| r["category"] = json!(null)),
            ("category \"\"", &|r| r["category"] = json!("")),
            ("category []", &|r| r["category"] = json!([])),
            ("category {}", &|r| r["category"] = json!({})),
            ("type unknown", &|r| r["type"] = json!("bundle_2027")),
            ("sku number", &|r| r["sku"] = json!(7891473021257u64)),
            ("name number", &|r| r["name"] = json!(350)),
            ("unit_of_measure []", &|r| r["unit_of_measure"] = json!([])),
        ])
        .await;
}
