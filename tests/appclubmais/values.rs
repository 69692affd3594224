use brcommerce::appclubmais::types;
use chrono::{NaiveDate, Timelike};
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use rust_decimal_macros::dec;
use serde_json::json;

use super::{TOKEN, client, example, token_endpoint};

#[tokio::test]
async fn a_purchase_reads_three_place_decimals_and_the_php_date_object() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/compras/9");
            then.status(201)
                .json_body(example("register_purchase", "201"));
        })
        .await;
    let p = client(&server)
        .register_purchase(9, dec!(150), &[(1, dec!(2))])
        .await
        .unwrap()
        .stored()
        .unwrap();
    assert_eq!(p.valor_total.value(), Some(dec!(150)));
    let issued = p.dt_emissao.get().unwrap();
    assert_eq!(issued.local.to_string(), "2020-04-01 22:49:40.770027");
    assert_eq!(issued.zone.as_deref(), Some("America/Sao_Paulo"));
    let m = &p.movimentacoes[0];
    assert_eq!(
        (
            m.quantidade.value(),
            m.valor_total.value(),
            m.valor_desconto.value()
        ),
        (Some(dec!(2)), Some(dec!(30)), Some(dec!(5)))
    );
    assert_eq!(m.dt_compra.get().unwrap().local.second(), 40);
}

#[tokio::test]
async fn orders_read_every_date_format_flag_and_decimal() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/pedidos");
            then.status(200).json_body(example("list_orders", "200"));
        })
        .await;
    let orders = client(&server)
        .orders_page(&Default::default(), None)
        .await
        .unwrap();
    let o = &orders.items[0];
    // The doc's order carries PHP's "no date" (Unix time 0 in UTC-3): it is no date (A1).
    assert_eq!(o.dt_agendamento.value(), None);
    assert!(o.dt_agendamento.is_none());
    let placed = o.dt_pedido.get().unwrap();
    assert_eq!(
        placed.offset.map(|off| off.local_minus_utc()),
        Some(0),
        "the trailing Z is kept"
    );
    assert_eq!(o.taxa_entrega.value(), Some(dec!(1.23)));
    assert!(matches!(
        o.status,
        types::OrderStatus::Known(types::OrderStatusKnown::Pendente)
    ));
    let item = &o.itens[0];
    assert_eq!(item.quantidade.value(), Some(dec!(3)));
    assert_eq!(item.agrupar.value(), Some(false));
    let product = item.produto.as_ref().unwrap();
    assert_eq!(product.preco_venda.value(), Some(dec!(3.50)));
    assert_eq!(product.porcao.value(), None, "null is none");
    assert_eq!(product.ativo.value(), Some(true));
    let member = o.cliente.as_ref().unwrap().entidade.as_ref().unwrap();
    assert_eq!(member.dt_nascimento.value(), None);
    assert_eq!(
        member.telefone.get().map(String::as_str),
        Some("19955214763")
    );
}

#[tokio::test]
async fn unknown_statuses_and_promotion_types_are_kept() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    let mut orders = example("list_orders", "200");
    orders["data"][0]["status"] = json!("EM_PREPARO");
    let mut promotions = example("list_promotions", "200");
    promotions["data"][0]["tipo"] = json!("LEVE_MAIS");
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/pedidos");
            then.status(200).json_body(orders);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/promocoes");
            then.status(200).json_body(promotions);
        })
        .await;
    let c = client(&server);
    let o = &c
        .orders_page(&Default::default(), None)
        .await
        .unwrap()
        .items[0];
    assert!(
        matches!(&o.status, types::OrderStatus::Other(s) if s.as_str() == "EM_PREPARO"),
        "{:?}",
        o.status
    );
    let p = &c.promotions().await.unwrap().items[0];
    assert!(matches!(&p.tipo, Some(types::PromotionType::Other(t)) if t.as_str() == "LEVE_MAIS"));
}

#[tokio::test]
async fn promotion_codes_sent_as_numbers_or_strings_read_as_text() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/promocoes");
            then.status(200)
                .json_body(example("list_promotions", "200"));
        })
        .await;
    let p = &client(&server).promotions().await.unwrap().items[0];
    assert_eq!(p.codigo_integracao.get().map(String::as_str), Some("235"));
    assert_eq!(
        p.dt_inicio.get().unwrap().local.date(),
        NaiveDate::from_ymd_opt(2021, 7, 24).unwrap()
    );
    assert_eq!(p.ativo.value(), Some(true));
}

#[tokio::test]
async fn the_created_promotion_reads_its_string_flag_and_bare_dates() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, TOKEN).await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/promocoes");
            then.status(200)
                .json_body(example("create_promotion", "200"));
        })
        .await;
    let input: types::PromotionInput =
        serde_json::from_value(super::body_example("create_promotion")).unwrap();
    let p = client(&server)
        .create_promotion(input)
        .await
        .unwrap()
        .stored()
        .unwrap();
    assert_eq!(p.ativo.value(), Some(true), "\"1\"");
    assert_eq!(
        p.dt_fim.get().unwrap().local.date(),
        NaiveDate::from_ymd_opt(2021, 8, 31).unwrap()
    );
    assert_eq!(p.codigo_integracao.get().map(String::as_str), Some("321"));
}
