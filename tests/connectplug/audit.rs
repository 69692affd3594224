//! What the December 2026 audit of the ConnectPlug spec found wrong or missing
//! (`../shared/reference/audit-2026-12/spec-audit-pluggto-connectplug.md`, items C*), each
//! checked with a payload built from the evidence the audit cites.

use brcommerce::ErrorKind;
use brcommerce::connectplug::{Client, Written, types};
use futures::TryStreamExt;
use httpmock::Method::{GET, POST, PUT};
use httpmock::MockServer;
use rust_decimal_macros::dec;
use serde_json::json;

use super::{client, credentials, token_endpoint};

/// `server` answers `GET path` with 200 and `body`.
async fn answers(server: &MockServer, path: &str, body: serde_json::Value) {
    server
        .mock_async(|when, then| {
            when.method(GET).path(path);
            then.status(200).json_body(body);
        })
        .await;
}

/// C2: `PUT /api/v3/peripherals/{peripheralId}` answers 200 with the peripheral itself
/// (cplug.redocly.app/openapi/peripherals/put-peripherals.md, "Response 200 fields: id, name,
/// ..."), and `settings` is of any type there (PHP sends `[]` when it is empty).
#[tokio::test]
async fn a_peripheral_update_reads_the_unwrapped_peripheral() {
    let server = MockServer::start_async().await;
    token_endpoint(&server).await;
    let update = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/api/v3/peripherals/4")
                .json_body_includes(r#"{"name": "Cozinha", "model": "ELGIN i9"}"#);
            then.status(200).json_body(json!({
                "id": 4, "name": "Cozinha", "manufacturer": "ELGIN", "model": "ELGIN i9",
                "type": "printer", "settings": [],
                "server": {"ip": "192.168.0.20", "port": 9100}
            }));
        })
        .await;
    let c = client(&server);
    let body = types::PeripheralWrite::builder()
        .name("Cozinha")
        .model("ELGIN i9")
        .manufacturer(Some("ELGIN".to_owned()))
        .type_(Some(types::PeripheralTypeKnown::Printer));
    let got = c
        .run(
            c.raw()
                .update_peripheral()
                .peripheral_id(4)
                .body(body)
                .send(),
        )
        .await
        .unwrap();
    update.assert_async().await;
    assert_eq!(got.id, Some(4));
    assert_eq!(got.model.as_deref(), Some("ELGIN i9"));
    assert_eq!(got.settings.as_deref(), Some(&json!([])), "sent as []");
    let server_of = got.server.unwrap();
    assert_eq!(server_of.port.as_deref(), Some("9100"));
}

/// C2: the update page marks `model` required; a body without it is refused before sending.
#[tokio::test]
async fn a_peripheral_without_model_is_refused_before_sending() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server).await;
    let c = client(&server);
    let body = types::PeripheralWrite::builder().name("Cozinha");
    let err = c
        .run(
            c.raw()
                .update_peripheral()
                .peripheral_id(4)
                .body(body)
                .send(),
        )
        .await
        .unwrap_err();
    match err.kind() {
        ErrorKind::InvalidInput { field, .. } => assert!(field.contains("model"), "{field}"),
        other => panic!("expected invalid input, got {other:?}"),
    }
    assert_eq!(token.calls_async().await, 0, "nothing was sent");
}

/// C3: `GET /api/v3/companies/{companyId}` (cplug.redocly.app/openapi/companies/
/// get-companies-id.md) lists no header parameter and answers the company unwrapped.
#[tokio::test]
async fn company_details_are_read_unwrapped_without_the_company_header() {
    let server = MockServer::start_async().await;
    token_endpoint(&server).await;
    let details = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/companies/13")
                .header_missing("cplug-company-id")
                .header("authorization", format!("Bearer {}", super::TOKEN));
            then.status(200).json_body(json!({
                "id": 13, "name": "Loja Centro", "code": "100", "image_url": null,
                "type_of_business": {"id": 2, "type": "restaurant", "description": "Restaurante",
                    "created_at": "2020-01-01T09:00:00-03:00", "updated_at": "2020-01-01T09:00:00-03:00"},
                "company_name": "Loja Centro Comércio de Alimentos LTDA",
                "founding_date": "2015-03-10",
                "cnae": {"id": 7, "code": 5611201, "name": "Restaurantes e similares"},
                "documents": [{"type": "cnpj", "identify": "11222333000181"},
                              {"type": "ie", "identify": "0620012345"}],
                "address": {"street": "Rua Halfeld", "number": "100"}
            }));
        })
        .await;
    // Acting for company 12, asking about company 13: no company header goes out.
    let company = client(&server).company_details(13).await.unwrap();
    // A client built without a company works too.
    let plain = Client::builder(credentials())
        .base_url(server.base_url())
        .token_url(server.base_url())
        .build()
        .unwrap();
    let again = plain.company_details(13).await.unwrap();
    assert_eq!(details.calls_async().await, 2);
    assert_eq!(company, again);
    assert_eq!(company.id, 13);
    assert_eq!(company.code.as_deref(), Some("100"));
    assert_eq!(
        company.company_name.as_deref(),
        Some("Loja Centro Comércio de Alimentos LTDA")
    );
    assert_eq!(company.founding_date.as_deref(), Some("2015-03-10"));
    assert_eq!(company.cnae.unwrap().code, Some(5611201));
    assert_eq!(company.documents.len(), 2);
    assert_eq!(company.documents[0].identify, "11222333000181");
    assert_eq!(
        company.type_of_business.unwrap().description.as_deref(),
        Some("Restaurante")
    );
    assert_eq!(company.address.unwrap()["street"], "Rua Halfeld");
}

/// C4: the cancel page says the status becomes `canceled`; the update page's enum says
/// `cancelled`. Both are known values and both read as cancelled.
#[tokio::test]
async fn a_cancelled_production_order_is_known_in_either_spelling() {
    let server = MockServer::start_async().await;
    token_endpoint(&server).await;
    answers(
        &server,
        "/api/v3/production-orders",
        json!({
            "data": {"production_orders": [
                {"id": 8, "amount": 1, "status": "canceled", "production_order_items": null},
                {"id": 9, "amount": 2, "status": "cancelled", "production_order_items": null},
                {"id": 10, "amount": 1, "status": "in_progress", "production_order_items": null}
            ]},
            "meta": {"current_page": 1, "last_page": 1, "per_page": 20, "total": 3}
        }),
    )
    .await;
    let c = client(&server);
    let page = c
        .page(c.raw().list_production_orders().send())
        .await
        .unwrap();
    let statuses: Vec<_> = page
        .items
        .iter()
        .map(|o| o.status.clone().unwrap())
        .collect();
    assert_eq!(
        statuses[0],
        types::ProductionOrderStatus::Known(types::ProductionOrderStatusKnown::Canceled)
    );
    assert_eq!(
        statuses[1],
        types::ProductionOrderStatus::Known(types::ProductionOrderStatusKnown::Cancelled)
    );
    let cancelled: Vec<bool> = statuses.iter().map(|s| s.is_cancelled()).collect();
    assert_eq!(cancelled, [true, true, false]);
}

/// C7: the live 422 of `POST /bulks/items-add` (quoted from a public client of the API)
/// carries a Portuguese message per validation; the caller sees that message.
#[tokio::test]
async fn a_live_422_reports_the_providers_message_per_field() {
    let server = MockServer::start_async().await;
    token_endpoint(&server).await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v3/bulks/items-add");
            then.status(422).json_body(json!({
                "code": "unprocessable_entity", "message": "Invalid Validation",
                "meta": [{"field": "items", "validations": [{"type": "Max", "value": ["500"],
                    "message": "O campo items deve ter no maximo 500 itens."}]}]
            }));
        })
        .await;
    let c = client(&server);
    let body: types::BulkItemsChange =
        serde_json::from_value(super::request_example("add_bulk_items")).unwrap();
    let err = c
        .run_write(c.raw().add_bulk_items().body(body).send())
        .await
        .unwrap_err();
    let p = err.provider_error().unwrap();
    assert_eq!(
        (p.status, p.code.as_deref(), p.message.as_str()),
        (422, Some("unprocessable_entity"), "Invalid Validation")
    );
    let fields = err.field_errors();
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].field, "items");
    assert_eq!(
        fields[0].messages,
        ["O campo items deve ter no maximo 500 itens."]
    );
}

/// C8: PHP encodes an empty array as `[]`, also where an object is meant; fields the provider
/// types as "any" or does not describe read what was sent, and a required one (`data`) no
/// longer fails the answer.
#[tokio::test]
async fn php_empty_arrays_in_free_form_fields_read_as_sent() {
    let server = MockServer::start_async().await;
    token_endpoint(&server).await;
    answers(&server, "/api/v3/tax-settings/ipi", json!({"data": []})).await;
    answers(
        &server,
        "/api/v3/purchase-invoices/3/info",
        json!({"data": []}),
    )
    .await;
    answers(
        &server,
        "/api/v3/bulks",
        json!({"data": {"bulks": [
            {"id": 16, "kind": "product", "status": "pending", "total_items": 0, "data": []}
        ]}}),
    )
    .await;
    answers(
        &server,
        "/api/v3/peripherals",
        json!({"data": {"peripherals": [
            {"id": 1, "name": "Impressora 1", "type": "printer", "settings": []}
        ]}}),
    )
    .await;
    let c = client(&server);
    let ipi = c.run(c.raw().get_ipi_tax_settings().send()).await.unwrap();
    assert_eq!(*ipi.data, json!([]));
    let info = c
        .run(
            c.raw()
                .get_purchase_invoice_info()
                .purchase_invoice_id(3)
                .send(),
        )
        .await
        .unwrap();
    assert_eq!(*info.data, json!([]));
    let bulks = c.page(c.raw().list_bulks().send()).await.unwrap();
    assert!(bulks.rejected.is_empty(), "{:?}", bulks.rejected);
    assert_eq!(bulks.items[0].data, Some(json!([])));
    let peripherals = c.page(c.raw().list_peripherals().send()).await.unwrap();
    assert!(
        peripherals.rejected.is_empty(),
        "{:?}",
        peripherals.rejected
    );
    assert_eq!(peripherals.items[0].settings.as_deref(), Some(&json!([])));
}

/// C13: the paging of `GET /companies` is not documented and an integrator may have many
/// stores: `companies()` follows `meta` while it says there is a next page.
#[tokio::test]
async fn companies_follow_every_page_of_meta() {
    let server = MockServer::start_async().await;
    token_endpoint(&server).await;
    let company = |id: i64| json!({"id": id, "name": format!("Loja {id}")});
    let first = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/companies")
                .query_param_missing("page");
            then.status(200).json_body(json!({
                "data": {"companies": [company(1), company(2)]},
                "meta": {"current_page": 1, "last_page": 2, "per_page": 2, "total": 3}
            }));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/companies")
                .query_param("page", "2");
            then.status(200).json_body(json!({
                "data": {"companies": [company(3)]},
                "meta": {"current_page": 2, "last_page": 2, "per_page": 2, "total": 3}
            }));
        })
        .await;
    let ids: Vec<i64> = client(&server)
        .companies()
        .map_ok(|c| c.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, [1, 2, 3]);
    first.assert_async().await;
    second.assert_async().await;

    // Without `meta`, the first page is the whole list.
    let server = MockServer::start_async().await;
    token_endpoint(&server).await;
    let only = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v3/companies");
            then.status(200)
                .json_body(json!({"data": {"companies": [company(5)]}}));
        })
        .await;
    let ids: Vec<i64> = client(&server)
        .companies()
        .map_ok(|c| c.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, [5]);
    assert_eq!(only.calls_async().await, 1);
}

/// C16: `data.value` of the statistics aggregate is a total or average sale amount: an exact
/// decimal, not a float (a figure sent as a numeric string reads too).
#[tokio::test]
async fn the_aggregate_figure_is_an_exact_decimal() {
    let server = MockServer::start_async().await;
    token_endpoint(&server).await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/statistics/aggregate")
                .query_param("metric", "total_amount");
            then.status(200).json_body(json!({"data": {
                "value": 1234567.89, "count": 3,
                "additional_data": {"previous_value": "999.90"}
            }}));
        })
        .await;
    let c = client(&server);
    let ask = c
        .raw()
        .get_statistics_aggregate()
        .data_source("sale")
        .metric("total_amount")
        .begin_date("2025-01-01")
        .until_date("2025-01-31");
    let total = c.run(ask.send()).await.unwrap().data;
    assert_eq!(*total.value, dec!(1234567.89));
    assert_eq!(
        total.additional_data.and_then(|a| a.previous_value),
        Some(dec!(999.90).into())
    );
}

/// C17: the create's answer was never seen, and the API's creates answer 200 or 201, wrapped in
/// `data` or not (catalogue §6.1 and quirk 1): `create_product` reads the product in each case.
#[tokio::test]
async fn a_created_product_is_read_wrapped_or_not_with_200_or_201() {
    let product = json!({"id": 99, "name": "Nome do produto", "sku": "COD-CP-01"});
    for (status, answer) in [
        (201, json!({"data": product})),
        (200, json!({"data": product})),
        (201, product.clone()),
        (200, product.clone()),
    ] {
        let server = MockServer::start_async().await;
        token_endpoint(&server).await;
        server
            .mock_async(|when, then| {
                when.method(POST).path("/api/v3/products");
                then.status(status).json_body(answer.clone());
            })
            .await;
        let body: types::ProductCreate =
            serde_json::from_value(super::request_example("create_product")).unwrap();
        let created = client(&server).create_product(body).await.unwrap();
        match created {
            Written::Stored(p) => assert_eq!((p.id, p.sku.as_deref()), (99, Some("COD-CP-01"))),
            other => panic!("{status} {answer}: {other:?}"),
        }
    }
}
