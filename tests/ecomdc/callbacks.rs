use brcommerce::ErrorKind;
use brcommerce::ecomdc::callbacks::{Callback, Fetched, parse};
use httpmock::Method::GET;
use httpmock::MockServer;
use serde_json::json;

use super::common::schema_example;
use super::{client, example};

#[test]
fn stock_callback_with_every_value_as_a_string() {
    let body = serde_json::to_vec(&schema_example("ecomdc", "CallbackEstoque")).unwrap();
    match parse(&body).unwrap() {
        Callback::Stock(s) => {
            assert_eq!(s.referencia_sku.as_deref(), Some("PL_890M"));
            assert_eq!(s.estoque.value(), Some(21));
            assert_eq!(s.id_acesso.as_deref(), Some("0000"));
            assert_eq!(
                s.data.get().unwrap().local.to_string(),
                "2021-09-14 09:47:43"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn order_callback_carries_the_order() {
    let body = serde_json::to_vec(&schema_example("ecomdc", "CallbackPedido")).unwrap();
    match parse(&body).unwrap() {
        Callback::Order(p) => {
            assert_eq!(p.pedido.codigo, "IA783614");
            assert_eq!(p.pedido.fase_atual, "novo");
            assert_eq!(
                p.pedido.cliente.as_ref().unwrap().codigo_ibge.get(),
                None,
                "N/I"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ids_and_numbers_decode_from_numbers_too() {
    // The manual never promises strings, and ID_ACESSO is the numeric store id (`x-ID: 3566`).
    let mut v = schema_example("ecomdc", "CallbackEstoque");
    v["ID_ACESSO"] = json!(3566);
    v["referencia_sku"] = json!(890);
    v["estoque"] = json!(21);
    v["id_estoque"] = json!(132);
    match parse(&serde_json::to_vec(&v).unwrap()).unwrap() {
        Callback::Stock(s) => {
            assert_eq!(s.id_acesso.as_deref(), Some("3566"));
            assert_eq!(s.referencia_sku.as_deref(), Some("890"));
            assert_eq!(s.id_estoque.as_deref(), Some("132"));
            assert_eq!(s.estoque.value(), Some(21));
        }
        other => panic!("{other:?}"),
    }
    let mut v = schema_example("ecomdc", "CallbackPedido");
    v["ID_ACESSO"] = json!(3566);
    v["pedido"]["id"] = json!(1);
    match parse(&serde_json::to_vec(&v).unwrap()).unwrap() {
        Callback::Order(p) => assert_eq!(p.id_acesso.as_deref(), Some("3566")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_unknown_event_is_kept_not_rejected() {
    let body = json!({"evento": "cliente", "ID_ACESSO": "1", "x": 1}).to_string();
    match parse(body.as_bytes()).unwrap() {
        Callback::Unknown { evento, payload } => {
            assert_eq!(evento, "cliente");
            assert_eq!(payload["x"], json!(1));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_bad_callback_names_the_field() {
    let mut v = schema_example("ecomdc", "CallbackEstoque");
    v["estoque"] = json!("vinte");
    let err = parse(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Decode { path, .. } if path == "estoque"),
        "{err}"
    );
    assert_eq!(err.operation(), "callback");
    assert!(parse(b"not json").is_err());
}

#[tokio::test]
async fn an_order_callback_as_short_as_the_manual_prints_it_is_read_and_fetched() {
    // M1073-1086: the manual's order callback stops after `fase_atual` ("...."); the node is said
    // to be the order of GET PEDIDO (M1089), which is what `fetch_callback` reads.
    let body = json!({
        "evento": "pedido",
        "ID_ACESSO": "0000",
        "data": "2021-09-14 10:11:32",
        "url_loja": "https://www.apiplusplus.com.br/",
        "pedido": {
            "id": "1",
            "codigo": "IA783614",
            "numero_controle": "166843517982325",
            "origem": "PLAT",
            "loja": "PLAT",
            "fase_marketplace": "",
            "fase_atual": "novo"
        }
    });
    let callback = parse(body.to_string().as_bytes()).unwrap();
    let Callback::Order(p) = &callback else {
        panic!("{callback:?}");
    };
    assert_eq!(p.pedido.codigo, "IA783614");
    assert_eq!(p.pedido.fase_atual, "novo");
    assert!(p.pedido.cliente.is_none());
    assert!(p.pedido.itens.is_empty());
    assert_eq!(p.pedido.valor_total.value(), None, "not sent: blank");

    let server = MockServer::start_async().await;
    let read = server
        .mock_async(|when, then| {
            when.method(GET).path("/pedido/1");
            then.status(200).json_body(example("get_order", "200"));
        })
        .await;
    match client(&server).fetch_callback(&callback).await.unwrap() {
        Fetched::Order(order) => {
            assert_eq!(order.codigo, "II115715");
            assert!(order.cliente.is_some());
            assert_eq!(order.itens.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    read.assert_async().await;
}

#[test]
fn an_order_callback_is_read_with_the_repairs_of_an_answer() {
    // The callback's order is GET PEDIDO's (M1089): PHP's empty array for a missing customer, a
    // null item list and a code sent as a number read as they do in an answer.
    let mut v = schema_example("ecomdc", "CallbackPedido");
    v["pedido"]["cliente"] = json!([]);
    v["pedido"]["itens"] = json!(null);
    v["pedido"]["codigo"] = json!(783614);
    match parse(&serde_json::to_vec(&v).unwrap()).unwrap() {
        Callback::Order(p) => {
            assert!(p.pedido.cliente.is_none());
            assert!(p.pedido.itens.is_empty());
            assert_eq!(p.pedido.codigo, "783614");
        }
        other => panic!("{other:?}"),
    }
}
