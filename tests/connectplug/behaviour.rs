use std::sync::Arc;

use brcommerce::common::token::{MemoryStore, TokenSet};
use brcommerce::connectplug::{Client, Upload, types};
use brcommerce::{CallOptions, ErrorKind, Provider};
use futures::TryStreamExt;
use httpmock::Method::{GET, POST, PUT};
use httpmock::MockServer;
use rust_decimal_macros::dec;
use serde_json::json;

use super::common::Bodies;
use super::common::script_server::{ScriptServer, Step};
use super::{
    CLIENT_SECRET, COMPANY, TOKEN, USER_PASSWORD, UUID, client, credentials, token_endpoint,
};

fn client_with(api: &str, token: &str) -> Client {
    Client::builder(credentials())
        .base_url(api)
        .token_url(token)
        .company(COMPANY)
        .retry(super::common::fast_retry())
        .build()
        .unwrap()
}

fn units_page(ids: &[i64], page: i64, last: i64) -> serde_json::Value {
    let units: Vec<_> = ids
        .iter()
        .map(|id| json!({"id": id, "name": format!("Unidade {id}"), "abbreviation": "un", "precision": 0}))
        .collect();
    json!({"data": {"units": units}, "meta": {"current_page": page, "last_page": last, "per_page": 2, "total": 5}})
}

#[tokio::test]
async fn the_password_grant_goes_to_the_token_host_as_json() {
    let tokens = MockServer::start_async().await;
    let api = MockServer::start_async().await;
    let bodies = Bodies::default();
    let grant = tokens
        .mock_async(|when, then| {
            bodies.record(
                when.method(POST)
                    .path("/oauth/token")
                    .header("content-type", "application/json")
                    .header_missing("idempotency-key")
                    .header_missing("cplug-company-id"),
            );
            then.status(200).json_body(
                json!({"token_type": "Bearer", "expires_in": 3600, "access_token": TOKEN}),
            );
        })
        .await;
    let units = api
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/units")
                .header("authorization", format!("Bearer {TOKEN}"));
            then.status(200).json_body(units_page(&[1], 1, 1));
        })
        .await;
    let c = client_with(&api.base_url(), &tokens.base_url());
    c.run(c.raw().list_units().send()).await.unwrap();
    grant.assert_async().await;
    units.assert_async().await;
    let sent = bodies.last_json();
    assert_eq!(sent["grant_type"], "password");
    assert_eq!(sent["client_id"], "3");
    assert_eq!(sent["client_secret"], CLIENT_SECRET);
    assert_eq!(sent["username"], "integracao@loja.com.br");
    assert_eq!(sent["password"], USER_PASSWORD);
}

#[tokio::test]
async fn an_expired_token_is_renewed_with_the_refresh_grant_then_the_password_grant() {
    let server = MockServer::start_async().await;
    let refresh = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth/token")
                .json_body_includes(r#"{"grant_type": "refresh_token", "refresh_token": "old-refresh"}"#);
            then.status(401)
                .json_body(json!({"error": "invalid_grant", "error_description": "The refresh token is invalid."}));
        })
        .await;
    let password = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth/token")
                .json_body_includes(r#"{"grant_type": "password"}"#);
            then.status(200).json_body(
                json!({"expires_in": 3600, "access_token": TOKEN, "refresh_token": "r2"}),
            );
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v3/units");
            then.status(200).json_body(units_page(&[1], 1, 1));
        })
        .await;
    let store = Arc::new(MemoryStore::with(TokenSet::issued(
        "expired".into(),
        Some("old-refresh".into()),
        Some(0),
    )));
    let c = Client::builder(credentials())
        .base_url(server.base_url())
        .token_url(server.base_url())
        .company(COMPANY)
        .token_store(store)
        .build()
        .unwrap();
    c.run(c.raw().list_units().send()).await.unwrap();
    assert_eq!(refresh.calls_async().await, 1);
    assert_eq!(password.calls_async().await, 1);
}

#[tokio::test]
async fn concurrent_calls_share_one_token_request_and_a_401_renews_once() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server).await;
    let units = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v3/units");
            then.status(200).json_body(units_page(&[1], 1, 1));
        })
        .await;
    let c = client(&server);
    let calls = (0..50).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { c.run(c.raw().list_units().send()).await })
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    assert_eq!(token.calls_async().await, 1);
    assert_eq!(units.calls_async().await, 50);

    // A token the API stops accepting: one renewal, one retry, then the error.
    let denied = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v3/stocks");
            then.status(401);
        })
        .await;
    let err = c.run(c.raw().list_stocks().send()).await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    assert_eq!(denied.calls_async().await, 2);
    assert_eq!(token.calls_async().await, 2);
}

#[tokio::test]
async fn for_company_switches_the_header_and_shares_token_and_pool() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server).await;
    let for_12 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/units")
                .header("cplug-company-id", "12");
            then.status(200).json_body(units_page(&[1], 1, 1));
        })
        .await;
    let for_13 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/units")
                .header("cplug-company-id", "13");
            then.status(200).json_body(units_page(&[2], 1, 1));
        })
        .await;
    let c = client(&server);
    let other = c.for_company(13);
    assert_eq!((c.company(), other.company()), (Some(12), Some(13)));
    let a = c.page(c.raw().list_units().send()).await.unwrap();
    let b = other.page(other.raw().list_units().send()).await.unwrap();
    assert_eq!(a.items[0].id, 1);
    assert_eq!(b.items[0].id, 2);
    for_12.assert_async().await;
    for_13.assert_async().await;
    assert_eq!(token.calls_async().await, 1, "one token for both companies");
    assert_eq!(
        c.stats().requests,
        other.stats().requests,
        "shared counters"
    );
}

#[tokio::test]
async fn a_retried_write_keeps_its_idempotency_key() {
    let tokens = MockServer::start_async().await;
    token_endpoint(&tokens).await;
    let created = json!({"data": {"id": 99, "name": "Camiseta", "sku": "CAM-01"}});
    let api = ScriptServer::start(vec![
        Step::text(503, "busy"),
        Step::Reset,
        Step::json(201, created),
    ])
    .await;
    let c = client_with(&api.base_url, &tokens.base_url());
    let body: types::ProductCreate =
        serde_json::from_value(super::request_example("create_product")).unwrap();
    let product = c.create_product(body).await.unwrap().stored().unwrap();
    assert_eq!(product.id, 99);
    let seen = api.seen();
    assert_eq!(seen.len(), 3);
    let keys: Vec<&str> = seen
        .iter()
        .map(|s| s.header("idempotency-key").unwrap())
        .collect();
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
    assert!(regex_like_uuid(keys[0]), "{}", keys[0]);
    // A second create is a different operation: a new key.
    let api2 = ScriptServer::start(vec![Step::json(201, json!({"data": {"id": 100}}))]).await;
    let c2 = client_with(&api2.base_url, &tokens.base_url());
    let body: types::ProductCreate =
        serde_json::from_value(super::request_example("create_product")).unwrap();
    c2.create_product(body).await.unwrap();
    assert_ne!(api2.seen()[0].header("idempotency-key").unwrap(), keys[0]);
}

fn regex_like_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok_and(|u| u.get_version_num() == 4)
}

#[tokio::test]
async fn the_caller_may_supply_the_idempotency_key_and_reads_carry_none() {
    let server = MockServer::start_async().await;
    token_endpoint(&server).await;
    let write = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/api/v3/categories/5")
                .header("idempotency-key", "order-4711-category");
            then.status(200)
                .json_body(json!({"id": 5, "name": "Bebidas"}));
        })
        .await;
    let read = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v3/categories/5")
                .header_missing("idempotency-key");
            then.status(200)
                .json_body(json!({"id": 5, "name": "Bebidas"}));
        })
        .await;
    let c = client(&server).with_options(CallOptions::new().idempotency_key("order-4711-category"));
    let body: types::CategoryUpdate =
        serde_json::from_value(super::request_example("update_category")).unwrap();
    c.run(c.raw().update_category().category_id(5).body(body).send())
        .await
        .unwrap();
    c.run(c.raw().get_category().category_id(5).send())
        .await
        .unwrap();
    write.assert_async().await;
    read.assert_async().await;
}

#[tokio::test]
async fn lists_stream_every_page_with_the_wrapper_unwrapped() {
    let server = MockServer::start_async().await;
    token_endpoint(&server).await;
    for (page, ids) in [(1, vec![1, 2]), (2, vec![3, 4]), (3, vec![5])] {
        let body = units_page(&ids, page, 3);
        server
            .mock_async(|when, then| {
                when.method(GET)
                    .path("/api/v3/units")
                    .query_param("page", page.to_string())
                    .query_param("per_page", "100");
                then.status(200).json_body(body);
            })
            .await;
    }
    let c = client(&server);
    let ids: Vec<i64> = c
        .all(|raw, page, size| Box::pin(raw.list_units().page(page).per_page(size).send()))
        .map_ok(|u| u.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    let page = c.page(c.raw().list_units().send()).await;
    assert!(page.is_err(), "no mock answers a request without page");
}

#[tokio::test]
async fn a_page_reports_its_paging_and_the_next_page() {
    let server = MockServer::start_async().await;
    token_endpoint(&server).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v3/units");
            then.status(200).json_body(units_page(&[3, 4], 2, 3));
        })
        .await;
    let c = client(&server);
    let page = c.page(c.raw().list_units().send()).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!((page.pages, page.total), (Some(3), Some(5)));
    assert_eq!(page.next, Some(brcommerce::connectplug::Cursor::Number(3)));
}

#[tokio::test]
async fn a_400_carries_the_code_and_message() {
    let server = MockServer::start_async().await;
    token_endpoint(&server).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v3/stocks");
            then.status(400)
                .json_body(json!({"code": "missing_headers", "message": "CPlug-Company-Id is required", "meta": []}));
        })
        .await;
    let c = client(&server);
    let err = c.run(c.raw().list_stocks().send()).await.unwrap_err();
    let p = err.provider_error().unwrap();
    assert_eq!(
        (p.status, p.code.as_deref()),
        (400, Some("missing_headers"))
    );
    assert_eq!(p.message, "CPlug-Company-Id is required");
    assert_eq!(err.provider(), Provider::Connectplug);
    assert_eq!(err.operation(), "list_stocks");
}

#[tokio::test]
async fn a_422_lists_field_validations() {
    let server = MockServer::start_async().await;
    token_endpoint(&server).await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v3/products");
            then.status(422).json_body(json!({
                "code": "uneditable_entity", "message": "The given data was invalid.",
                "meta": [
                    {"field": "name", "validations": [{"type": "Required", "value": []}]},
                    {"field": "sku", "validations": [{"type": "Max", "value": [60]}, {"type": "Unique", "value": []}]}
                ]
            }));
        })
        .await;
    let body: types::ProductCreate =
        serde_json::from_value(super::request_example("create_product")).unwrap();
    let err = client(&server).create_product(body).await.unwrap_err();
    assert_eq!(err.status(), Some(422));
    let fields = err.field_errors();
    assert_eq!(fields.len(), 2);
    assert_eq!(
        (fields[0].field.as_str(), fields[0].messages.clone()),
        ("name", vec!["Required".to_owned()])
    );
    assert_eq!(fields[1].messages, vec!["Max(60)", "Unique"]);
}

#[tokio::test]
async fn a_404_without_a_body_is_a_provider_error_not_a_decode_error() {
    let server = MockServer::start_async().await;
    token_endpoint(&server).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v3/products/404");
            then.status(404);
        })
        .await;
    let err = client(&server).product(404).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
    assert!(matches!(err.kind(), ErrorKind::Provider(_)), "{err:?}");
}

#[tokio::test]
async fn money_is_an_exact_decimal_with_its_currency() {
    let server = MockServer::start_async().await;
    token_endpoint(&server).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v3/products/7");
            then.status(200)
                .json_body(json!({"data": {"id": 7, "name": "Café", "sku": "CAF",
                "unitary_value": {"amount": 19.9, "currency": "BRL"}}}));
        })
        .await;
    let p = client(&server).product(7).await.unwrap();
    let price = p.unitary_value.unwrap();
    assert_eq!(price.amount(), dec!(19.90));
    assert_eq!(price.currency, "BRL");
    // Sent as a JSON number in major units, never as text or cents.
    let sent = serde_json::to_value(brcommerce::common::money::Money::brl(dec!(0.10))).unwrap();
    assert_eq!(sent, json!({"amount": 0.1, "currency": "BRL"}));
}

#[tokio::test]
async fn a_create_without_required_fields_is_refused_naming_the_field() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server).await;
    let builder = types::ProductCreate::builder().name("Sem SKU");
    let err = client(&server).create_product(builder).await.unwrap_err();
    match err.kind() {
        ErrorKind::InvalidInput { field, .. } => assert!(
            ["sku", "category_id", "unit_id"].contains(&field.as_str()),
            "{field}"
        ),
        other => panic!("expected invalid input, got {other:?}"),
    }
    assert_eq!(token.calls_async().await, 0);
}

#[tokio::test]
async fn an_invoice_xml_is_uploaded_as_multipart_with_the_same_headers() {
    let server = MockServer::start_async().await;
    token_endpoint(&server).await;
    let bodies = Bodies::default();
    let answer = super::success("upload_purchase_invoice").1.unwrap();
    let upload = server
        .mock_async(|when, then| {
            bodies.record(
                when.method(POST)
                    .path("/api/v3/purchase-invoices")
                    .header("cplug-company-id", "12")
                    .header("authorization", format!("Bearer {TOKEN}"))
                    .header_matches("idempotency-key", UUID)
                    .header_matches("content-type", "^multipart/form-data; boundary=.+$"),
            );
            then.status(200).json_body(answer.clone());
        })
        .await;
    let xml = b"<?xml version=\"1.0\"?><nfeProc><NFe/></nfeProc>".to_vec();
    let file = Upload::new("nota \"1\".xml", "application/xml", xml);
    let invoice = client(&server)
        .upload_purchase_invoice(&file)
        .await
        .unwrap();
    upload.assert_async().await;
    super::check_decoded(
        &json!({"data": serde_json::to_value(&invoice).unwrap()}),
        Some(&answer),
    );
    let body = bodies.texts().pop().unwrap();
    assert!(
        body.contains("Content-Disposition: form-data; name=\"file\"; filename=\"nota 1.xml\""),
        "{body}"
    );
    assert!(
        body.contains("Content-Type: application/xml\r\n\r\n<?xml"),
        "{body}"
    );
    assert!(body.trim_end().ends_with("--"), "{body}");
}

#[tokio::test]
async fn uploads_are_checked_before_sending_and_retried_whole() {
    let tokens = MockServer::start_async().await;
    let token = token_endpoint(&tokens).await;
    let c = client_with("http://127.0.0.1:9", &tokens.base_url());
    let big = Upload::new(
        "big.xml",
        "application/xml",
        vec![b'a'; 5 * 1024 * 1024 + 1],
    );
    let err = c.upload_purchase_invoice(&big).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidInput { field, .. } if field == "file"));
    let empty = Upload::new("e.xml", "application/xml", Vec::new());
    assert!(c.upload_purchase_invoice(&empty).await.is_err());
    assert_eq!(token.calls_async().await, 0);

    let api = ScriptServer::start(vec![Step::text(502, "bad gateway"), Step::text(200, "")]).await;
    let c = client_with(&api.base_url, &tokens.base_url());
    let sheet = Upload::new(
        "contagem.csv",
        "text/csv",
        b"sku;quantidade\nA1;10\n".to_vec(),
    );
    c.upload_inventory_spreadsheet(3, 8, &sheet).await.unwrap();
    let seen = api.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].target, "/api/v3/stocks/3/inventories/8/upload");
    assert_eq!(seen[0].body, seen[1].body, "the whole file is sent again");
    assert_eq!(
        seen[0].header("idempotency-key"),
        seen[1].header("idempotency-key")
    );

    // An undocumented JSON body on success is not read and not an error either.
    let api = ScriptServer::start(vec![Step::json(200, json!({"data": {"saved": 1}}))]).await;
    let c = client_with(&api.base_url, &tokens.base_url());
    c.upload_inventory_spreadsheet(3, 8, &sheet).await.unwrap();

    // Rows that do not validate: 400 with the per-row report, kept in the error.
    let report =
        json!({"data": {"upload_items": [{"row_number": 2, "item": {"id": 123, "name": "A1"}}]}});
    let api = ScriptServer::start(vec![Step::json(400, report.clone())]).await;
    let c = client_with(&api.base_url, &tokens.base_url());
    let err = c
        .upload_inventory_spreadsheet(3, 8, &sheet)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.operation(), "upload_stock_inventory_spreadsheet");
    let body = err
        .provider_error()
        .and_then(|p| p.body.as_deref())
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(body, report);
}

#[tokio::test]
async fn a_plain_http_token_host_is_refused_and_secrets_stay_hidden() {
    let err = Client::builder(credentials())
        .token_url("http://erp.connectplug.com.br")
        .build()
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err}");

    let server = MockServer::start_async().await;
    token_endpoint(&server).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v3/units");
            then.status(500).body("boom");
        })
        .await;
    let c = client(&server);
    let err = c.run(c.raw().list_units().send()).await.unwrap_err();
    for text in [
        format!("{c:?}"),
        format!("{err}"),
        format!("{err:?}"),
        format!("{:?}", credentials()),
    ] {
        for secret in [CLIENT_SECRET, USER_PASSWORD, TOKEN] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
    }
}
