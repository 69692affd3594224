use brcommerce::ErrorKind;
use brcommerce::common::lenient::CalendarDate;
use brcommerce::common::taxid::{TaxId, TaxIdKind};
use brcommerce::ecomdc::{AbandonedCarts, OrderFilter, PhaseChange, types};
use chrono::NaiveDate;
use futures::{StreamExt, TryStreamExt};
use httpmock::Method::{GET, PUT};
use httpmock::MockServer;
use rust_decimal_macros::dec;
use serde_json::json;

use super::common::{Bodies, assert_json_eq, fixture};
use super::{body_example, client, example};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[tokio::test]
async fn list_orders_sends_every_filter() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/pedidos")
                .query_param("dataInicial", "2019-10-01")
                .query_param("dataFinal", "2019-10-07")
                .query_param("dataAlteracao", "2020-06-23")
                .query_param("status", "pago")
                .query_param("carrinhoAbandonado", "L")
                .query_param("codigoPedido", "UM878212");
            then.status(200).json_body(json!({"pedidos": []}));
        })
        .await;
    let filter = OrderFilter::new()
        .created_between(date(2019, 10, 1), date(2019, 10, 7))
        .changed_on(date(2020, 6, 23))
        .status(types::OrderPhase::Pago)
        .abandoned_carts(AbandonedCarts::Only)
        .code("UM878212");
    let list = client(&server).orders_page(&filter, None).await.unwrap();
    m.assert_async().await;
    assert!(list.items.is_empty());
}

#[tokio::test]
async fn the_manual_list_payload_decodes_without_losing_data() {
    // As printed in the manual: numbers as numbers, a bare 44-digit NF key, DD/MM/YYYY dates,
    // CEP / house number / complement as numbers.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/pedidos");
            then.status(200)
                .header("content-type", "application/json")
                .body(fixture("ecomdc/pedidos_manual.json"));
        })
        .await;
    let list = client(&server)
        .orders_page(&OrderFilter::new(), None)
        .await
        .unwrap();
    let o = &list.items[0];
    assert_eq!(o.id.as_str(), "201", "numeric id kept as text");
    assert_eq!(
        o.nf.get(),
        Some("44444444444444444444444444444444444444444444"),
        "all 44 digits"
    );
    assert_eq!(o.nf_emissao.value(), Some(date(2019, 10, 20)));
    assert_eq!(o.frete_valor.value(), Some(dec!(20)));
    assert_eq!(o.frete_prazo.value(), Some(6));
    assert_eq!(o.data_pagamento.get(), None, "zero date is none");
    assert_eq!(
        o.data_pedido.get().unwrap().local.to_string(),
        "2019-10-04 11:15:41"
    );
    assert_eq!(
        o.cliente.as_ref().unwrap().cep.get().map(String::as_str),
        Some("36015001")
    );
    assert_eq!(
        o.cliente.as_ref().unwrap().numero.get().map(String::as_str),
        Some("22640")
    );
    assert_eq!(
        o.cliente
            .as_ref()
            .unwrap()
            .complemento
            .get()
            .map(String::as_str),
        Some("22208")
    );
    assert_eq!(
        o.cliente.as_ref().unwrap().data_nascimento.value(),
        Some(CalendarDate(date(1985, 8, 29)))
    );
    assert_eq!(o.itens[0].valor_final.value(), Some(dec!(120.00)));
    assert_eq!(o.itens[0].quantidade.value(), Some(1));
}

#[tokio::test]
async fn a_single_order_reads_strings_blanks_and_zero_dates() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/pedido/1");
            then.status(200).json_body(example("get_order", "200"));
        })
        .await;
    let o = client(&server).order("1").await.unwrap();
    assert_eq!(o.id.as_str(), "1");
    assert_eq!(o.valor_total.value(), Some(dec!(771.60)));
    assert_eq!(o.parcelas_valor.value(), None, "\"\" is no value");
    assert_eq!(o.nf.get(), None);
    assert_eq!(o.nf_emissao.value(), None, "0000-00-00 is no date");
    assert_eq!(
        o.cliente
            .as_ref()
            .unwrap()
            .codigo_ibge
            .get()
            .map(|c| c.as_str()),
        Some("3543402")
    );
    assert_eq!(
        o.cliente.as_ref().unwrap().cep.get().map(String::as_str),
        Some("36015-001")
    );
}

#[tokio::test]
async fn an_ibge_code_the_provider_could_not_find_is_none() {
    let server = MockServer::start_async().await;
    let mut body = example("get_order", "200");
    body["pedido"]["cliente"]["codigo_ibge"] = json!("N/I");
    server
        .mock_async(|when, then| {
            when.method(GET).path("/pedido/1");
            then.status(200).json_body(body);
        })
        .await;
    let o = client(&server).order("1").await.unwrap();
    assert_eq!(o.cliente.as_ref().unwrap().codigo_ibge.get(), None);
}

#[tokio::test]
async fn an_order_invoiced_by_an_alphanumeric_cnpj_decodes() {
    // Since July 2026 an issuer may have an alphanumeric CNPJ, which the NF-e key carries in
    // positions 7-20: here the Receita Federal's example 12.ABC.345/01DE-35.
    let key = "35260812ABC34501DE35550010000001241000001243";
    let with_wrong_check_digit = "35260812ABC34501DE35550010000001241000001240";
    let server = MockServer::start_async().await;
    let mut page = json!({"pedidos": []});
    for (id, nf) in [("1", key), ("2", with_wrong_check_digit)] {
        let mut order = example("get_order", "200")["pedido"].clone();
        order["id"] = json!(id);
        order["nf"] = json!(nf);
        page["pedidos"].as_array_mut().unwrap().push(order);
    }
    server
        .mock_async(|when, then| {
            when.method(GET).path("/pedidos");
            then.status(200).json_body(page);
        })
        .await;
    let list = client(&server)
        .orders_page(&OrderFilter::new(), None)
        .await
        .unwrap();
    let [first, second] = &list.items[..] else {
        panic!("two orders: {:?}", list.items);
    };
    assert_eq!(first.nf.get(), Some(key));
    assert_eq!(first.nf.check(), Ok(key));
    let issuer = TaxId::parse(first.nf.issuer_cnpj().unwrap()).unwrap();
    assert_eq!(issuer.kind(), TaxIdKind::Cnpj);
    assert_eq!(issuer.formatted(), "12.ABC.345/01DE-35");
    // A wrong check digit costs nothing on reading; `check` tells it.
    assert_eq!(second.nf.get(), Some(with_wrong_check_digit));
    assert!(second.nf.check().is_err());
}

#[tokio::test]
async fn order_by_code_finds_the_order_or_says_not_found() {
    let server = MockServer::start_async().await;
    let list = json!({"pedidos": [example("get_order", "200")["pedido"].clone()]});
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/pedidos")
                .query_param("codigoPedido", "II115715");
            then.status(200).json_body(list);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/pedidos")
                .query_param("codigoPedido", "NOPE");
            then.status(200).json_body(json!({"pedidos": []}));
        })
        .await;
    let c = client(&server);
    assert_eq!(
        c.order_by_code("II115715").await.unwrap().codigo,
        "II115715"
    );
    let err = c.order_by_code("NOPE").await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn a_reversed_date_range_is_refused_before_sending() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let filter = OrderFilter::new().created_between(date(2020, 1, 2), date(2020, 1, 1));
    let err = client(&server)
        .orders_page(&filter, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidInput { field, .. } if field == "dataFinal"),
        "{err}"
    );
    assert_eq!(m.calls_async().await, 0);
}

fn order_in(phase: &str) -> types::Order {
    let mut o = example("get_order", "200")["pedido"].clone();
    o["fase_atual"] = json!(phase);
    o["id"] = json!("33");
    serde_json::from_value(o).unwrap()
}

#[tokio::test]
async fn paying_a_new_order_sends_cleaned_xml() {
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    let m = server
        .mock_async(|when, then| {
            bodies.record(when.method(PUT).path("/pedido/33/pago"));
            then.status(201);
        })
        .await;
    let pay = types::PaidPhase {
        conferencia: Some("14577".into()),
        codigo_pagamento: Some("154377".into()),
        obs: Some("15777".into()),
        xml: Some("<nfe versao=\"4.00\">\r\n<url>http:\\/\\/x</url>\n</nfe>".into()),
    };
    client(&server)
        .advance_order(&order_in("novo"), PhaseChange::Pay(pay))
        .await
        .unwrap();
    m.assert_async().await;
    let sent = bodies.last_json();
    assert_eq!(
        sent["xml"],
        json!("<nfe versao='4.00'><url>http://x</url></nfe>")
    );
    let mut expected = body_example("mark_order_paid");
    expected["xml"] = sent["xml"].clone();
    assert_json_eq(&sent, &expected);
}

#[tokio::test]
async fn each_forward_step_uses_its_endpoint_and_body() {
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    let mut mocks = Vec::new();
    for step in ["separacao", "entrega", "concluido"] {
        mocks.push(
            server
                .mock_async(|when, then| {
                    bodies.record(when.method(PUT).path(format!("/pedido/33/{step}")));
                    then.status(201);
                })
                .await,
        );
    }
    let c = client(&server);
    let invoice: types::PickingData =
        serde_json::from_value(body_example("mark_order_picking")).unwrap();
    c.advance_order(&order_in("pago"), PhaseChange::Pick(invoice))
        .await
        .unwrap();
    assert_json_eq(&bodies.last_json(), &body_example("mark_order_picking"));
    c.advance_order(&order_in("separacao"), PhaseChange::ship("OA895469969BR"))
        .await
        .unwrap();
    assert_json_eq(&bodies.last_json(), &body_example("mark_order_shipped"));
    c.advance_order(&order_in("entrega"), PhaseChange::Complete)
        .await
        .unwrap();
    assert_eq!(bodies.last_json(), json!({}));
    for m in mocks {
        m.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn an_invalid_transition_is_refused_before_any_request() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(201);
        })
        .await;
    let c = client(&server);
    for (phase, change) in [
        ("novo", PhaseChange::ship("X")),
        ("pago", PhaseChange::Complete),
        ("concluido", PhaseChange::Complete),
        ("cancelado", PhaseChange::cancel("again")),
    ] {
        let err = c.advance_order(&order_in(phase), change).await.unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidInput { field, .. } if field == "fase_atual"),
            "{err}"
        );
    }
    assert_eq!(m.calls_async().await, 0);
}

#[tokio::test]
async fn cancelling_is_allowed_from_any_active_phase() {
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    let m = server
        .mock_async(|when, then| {
            bodies.record(when.method(PUT).path("/pedido/33/cancelado"));
            then.status(201);
        })
        .await;
    let c = client(&server);
    for phase in ["novo", "pago", "separacao", "entrega", "concluido"] {
        c.advance_order(
            &order_in(phase),
            PhaseChange::cancel("Sem estoque disponivel para suprir demanda"),
        )
        .await
        .unwrap();
    }
    m.assert_calls_async(5).await;
    assert_json_eq(&bodies.last_json(), &body_example("cancel_order"));
}

#[tokio::test]
async fn advance_by_id_reads_the_phase_first() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path("/pedido/1");
            then.status(200).json_body(example("get_order", "200"));
        })
        .await;
    let put = server
        .mock_async(|when, then| {
            when.method(PUT).path("/pedido/1/entrega");
            then.status(201);
        })
        .await;
    // The example order is "novo": shipping it now is refused after reading it.
    let err = client(&server)
        .advance_order_by_id("1", PhaseChange::ship("BR1"))
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidInput { .. }));
    get.assert_calls_async(1).await;
    put.assert_calls_async(0).await;
}

#[tokio::test]
async fn the_raw_escape_hatch_sends_without_checking() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(PUT).path("/pedido/1/entrega");
            then.status(201);
        })
        .await;
    client(&server)
        .force_order_phase("1", PhaseChange::ship("BR1"))
        .await
        .unwrap();
    m.assert_async().await;
}

#[tokio::test]
async fn an_unknown_phase_is_refused_with_a_hint() {
    let err = {
        let server = MockServer::start_async().await;
        client(&server)
            .advance_order(&order_in("em_analise"), PhaseChange::Complete)
            .await
            .unwrap_err()
    };
    assert!(err.to_string().contains("force_order_phase"), "{err}");
}

#[tokio::test]
async fn invoice_data_can_be_attached_in_any_phase() {
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    let m = server
        .mock_async(|when, then| {
            bodies.record(when.method(PUT).path("/pedido/34422/nfe"));
            then.status(201);
        })
        .await;
    let mut invoice: types::InvoiceData =
        serde_json::from_value(body_example("set_order_invoice")).unwrap();
    invoice.xml = Some("<a b=\"c\">\n</a>".into());
    client(&server)
        .set_order_invoice("34422", invoice)
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(bodies.last_json()["xml"], json!("<a b='c'></a>"));
    assert_eq!(
        bodies.last_json()["nf_chave"],
        json!("55555555555555555555555555555555555555555555")
    );
}

#[tokio::test]
async fn an_invoice_key_that_is_not_44_digits_is_refused() {
    let err = serde_json::from_value::<types::InvoiceData>(
        json!({"nf_chave": "123", "nf_numero": "1", "nf_emissao": "2020-07-14"}),
    );
    assert!(err.is_err());
    let built: Result<types::InvoiceData, _> = types::InvoiceData::builder()
        .nf_chave("444")
        .nf_numero("1")
        .nf_emissao(date(2020, 7, 14))
        .try_into();
    assert!(built.unwrap_err().to_string().contains("nf_chave"));
}

#[tokio::test]
async fn orders_stream_follows_totais_and_stops_without_them() {
    let server = MockServer::start_async().await;
    let order = example("get_order", "200")["pedido"].clone();
    let p1 = json!({"pedidos": [order.clone()], "totais": {"totalProdutos": "2", "totalPaginas": "2", "paginaAtual": "1"}});
    let mut second = order.clone();
    second["id"] = json!("2");
    let p2 = json!({"pedidos": [second]});
    let m1 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/pedidos")
                .query_param_missing("page")
                .query_param("status", "novo");
            then.status(200).json_body(p1);
        })
        .await;
    let m2 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/pedidos")
                .query_param("page", "2")
                .query_param("status", "novo");
            then.status(200).json_body(p2);
        })
        .await;
    let all: Vec<types::Order> = client(&server)
        .orders(&OrderFilter::new().status(types::OrderPhase::Novo))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    m1.assert_calls_async(1).await;
    m2.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_failing_page_is_yielded_as_an_error_and_ends_the_stream() {
    let server = MockServer::start_async().await;
    let mut body = example("list_products", "200");
    body["totais"] = json!({"totalProdutos": "300", "totalPaginas": "3", "paginaAtual": "1"});
    server
        .mock_async(|when, then| {
            when.method(GET).path("/produtos").query_param("page", "1");
            then.status(200).json_body(body);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/produtos").query_param("page", "2");
            then.status(500).json_body(json!({"erro": "falha"}));
        })
        .await;
    let items: Vec<_> =
        futures::StreamExt::collect::<Vec<_>>(client(&server).products(&Default::default())).await;
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    let err = items[1].as_ref().unwrap_err();
    assert_eq!(err.status(), Some(500));
}

#[tokio::test]
async fn buyer_fiscal_in_any_form_never_costs_the_order() {
    // M1151: "O campo buyer_fiscal irá conter um JSON com os dados fiscais" (Mercado Livre orders
    // only, no example): an object, JSON text, or PHP's empties on other orders; anything else is
    // kept as sent.
    let fiscal = json!({"doc_type": "CPF", "doc_number": "07162277812", "name": "JOÃO VITOR"});
    let cases = [
        (json!(null), None),
        (json!(""), None),
        (json!([]), None),
        (json!(fiscal.to_string()), Some(&fiscal)),
        (fiscal.clone(), Some(&fiscal)),
        (json!("N/I"), None),
        (json!(format!("[{fiscal}]")), None),
        (json!(35), None),
    ];
    let server = MockServer::start_async().await;
    let mut page = json!({"pedidos": []});
    for (i, (value, _)) in cases.iter().enumerate() {
        let mut order = example("get_order", "200")["pedido"].clone();
        order["id"] = json!(i.to_string());
        order["buyer_fiscal"] = value.clone();
        page["pedidos"].as_array_mut().unwrap().push(order.clone());
        server
            .mock_async(|when, then| {
                when.method(GET).path(format!("/pedido/{i}"));
                then.status(200).json_body(json!({"pedido": order}));
            })
            .await;
    }
    server
        .mock_async(|when, then| {
            when.method(GET).path("/pedidos");
            then.status(200).json_body(page);
        })
        .await;
    let c = client(&server);
    let list = c.orders_page(&OrderFilter::new(), None).await.unwrap();
    assert!(list.rejected.is_empty(), "{:?}", list.rejected);
    assert_eq!(list.items.len(), cases.len());
    for (i, (value, want)) in cases.iter().enumerate() {
        let single = c.order(&i.to_string()).await.unwrap();
        for (read, how) in [(&single, "single read"), (&list.items[i], "list page")] {
            let got = read.fiscal_data().map(serde_json::Value::Object);
            assert_eq!(got.as_ref(), *want, "{value} ({how})");
            if !value.is_null() {
                assert_eq!(read.buyer_fiscal.as_ref(), Some(value), "kept as sent");
            }
        }
    }
}

/// Order list pages for E21: `page` is not documented on GET PEDIDOS (M755-789), and without a
/// date range the provider answers "os últimos 100 pedidos" (M759).
fn order_page(ids: &[&str], totais: serde_json::Value) -> serde_json::Value {
    let order = example("get_order", "200")["pedido"].clone();
    let pedidos: Vec<_> = ids
        .iter()
        .map(|id| {
            let mut o = order.clone();
            o["id"] = json!(id);
            o
        })
        .collect();
    json!({"pedidos": pedidos, "totais": totais})
}

#[tokio::test]
async fn a_provider_that_ignores_page_ends_the_orders_stream_with_an_error_not_a_loop() {
    // Pages that do not say which page they are, and the provider sends the first one again.
    let server = MockServer::start_async().await;
    let totais = json!({"totalProdutos": "300", "totalPaginas": "3"});
    let first = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/pedidos")
                .query_param_missing("page");
            then.status(200)
                .json_body(order_page(&["1", "2"], totais.clone()));
        })
        .await;
    let again = server
        .mock_async(|when, then| {
            when.method(GET).path("/pedidos").query_param("page", "2");
            then.status(200)
                .json_body(order_page(&["1", "2"], totais.clone()));
        })
        .await;
    let items: Vec<_> = client(&server).orders(&OrderFilter::new()).collect().await;
    let ids: Vec<_> = items
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .map(|o| o.id.to_string())
        .collect();
    assert_eq!(ids, ["1", "2"], "each order once");
    assert_eq!(items.len(), 3, "{items:?}");
    let err = items[2].as_ref().unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Decode { path, .. } if path == "totais.paginaAtual"),
        "{err}"
    );
    assert!(err.to_string().contains("narrow the date range"), "{err}");
    first.assert_calls_async(1).await;
    again.assert_calls_async(1).await;
}

#[tokio::test]
async fn an_order_page_answered_as_another_page_is_an_error_not_the_end() {
    // The provider says which page it sent, and it is not the one asked for: the orders of the
    // pages it will not send are not silently missing.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/pedidos")
                .query_param_missing("page");
            then.status(200).json_body(order_page(
                &["1"],
                json!({"totalProdutos": "2", "totalPaginas": "2", "paginaAtual": "1"}),
            ));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/pedidos").query_param("page", "2");
            then.status(200).json_body(order_page(
                &["1"],
                json!({"totalProdutos": "2", "totalPaginas": "2", "paginaAtual": "1"}),
            ));
        })
        .await;
    let items: Vec<_> = client(&server).orders(&OrderFilter::new()).collect().await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0].as_ref().unwrap().id.to_string(), "1");
    let err = items[1].as_ref().unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Decode { path, .. } if path == "totais.paginaAtual"),
        "{err}"
    );
}

#[tokio::test]
async fn the_first_order_page_is_asked_for_as_the_manual_does() {
    // Without a range the provider answers its 100 most recent orders (M759), and with no
    // `totais` that is all the stream gives; no undocumented `page` goes with the first call.
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/pedidos")
                .query_param_missing("page");
            then.status(200).json_body(example("list_orders", "200"));
        })
        .await;
    let all: Vec<types::Order> = client(&server)
        .orders(&OrderFilter::new())
        .try_collect()
        .await
        .unwrap();
    assert!(!all.is_empty());
    m.assert_calls_async(1).await;
}
