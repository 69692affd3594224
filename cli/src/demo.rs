//! `brc demo`: a scripted integration across the four embedded sandboxes.
//!
//! ConnectPlug (the ERP) is the source of products and stock; they are published to ecomDC
//! (the online store) and PluggTo (the marketplace hub); an order placed in ecomDC is taken
//! through its phases; the purchase is recorded in AppClubMais (the loyalty club). Every step
//! reads its result back and the demo fails (exit 1) if any read-back disagrees.

use std::process::ExitCode;
use std::time::Instant;

use brcommerce::appclubmais::sandbox::AppclubmaisSandbox;
use brcommerce::common::ratelimit::RateLimits;
use brcommerce::connectplug::sandbox::{COMPANY, ConnectplugSandbox};
use brcommerce::ecomdc::sandbox::EcomdcSandbox;
use brcommerce::ecomdc::{PhaseChange, types as ecom_types};
use brcommerce::pluggto::sandbox::PluggtoSandbox;
use brcommerce::pluggto::types as hub_types;
use brcommerce::{appclubmais, connectplug, ecomdc, pluggto};
use futures::TryStreamExt;
use rust_decimal::Decimal;
use serde_json::{Value, json};

const ECOMDC_SPEC: &str = include_str!("../../specs/ecomdc.yaml");
/// A valid CPF (check digits) for the demo member.
const MEMBER_CPF: &str = "529.982.247-25";

type Step<T> = Result<T, String>;

fn check(ok: bool, what: impl FnOnce() -> String) -> Step<()> {
    if ok { Ok(()) } else { Err(what()) }
}

fn err(e: brcommerce::Error) -> String {
    e.to_string()
}

struct Product {
    id: i64,
    name: String,
    sku: String,
    price: Decimal,
    stock: i64,
}

fn progress(n: usize, text: &str) {
    eprint!("[{n}/5] {text} ... ");
}

pub async fn run() -> ExitCode {
    let started = Instant::now();
    match flow().await {
        Ok(summary) => {
            eprintln!();
            println!("{summary}");
            println!("time: {:.2} s", started.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("FAILED\nbrc demo: {e}");
            ExitCode::from(1)
        }
    }
}

async fn flow() -> Step<String> {
    let cp_box = ConnectplugSandbox::start().await.map_err(err)?;
    let ecom_box = EcomdcSandbox::start().await.map_err(err)?;
    let hub_box = PluggtoSandbox::start().await.map_err(err)?;
    let club_box = AppclubmaisSandbox::start().await.map_err(err)?;
    let erp = connectplug::Client::builder(ConnectplugSandbox::credentials())
        .base_url(cp_box.base_url())
        .token_url(cp_box.base_url())
        .company(COMPANY)
        .build()
        .map_err(err)?;
    let store = ecomdc::Client::builder(EcomdcSandbox::credentials())
        .base_url(ecom_box.base_url())
        .rate_limits(RateLimits::unlimited())
        .build()
        .map_err(err)?;
    let hub = pluggto::Client::builder(PluggtoSandbox::credentials())
        .base_url(hub_box.base_url())
        .build()
        .map_err(err)?;
    let club = appclubmais::Client::builder(AppclubmaisSandbox::credentials())
        .base_url(club_box.base_url())
        .build()
        .map_err(err)?;

    // 1. ConnectPlug: products and their stock.
    progress(1, "ConnectPlug: read products and stock");
    let listed: Vec<connectplug::types::Product> = erp
        .products(&Default::default())
        .try_collect()
        .await
        .map_err(err)?;
    let mut products = Vec::new();
    for p in &listed {
        let balance = erp.product_balance(p.id).await.map_err(err)?;
        let stock = balance
            .balance
            .map(|b| b.round() as i64)
            .unwrap_or_default();
        products.push(Product {
            id: p.id,
            name: p.name.clone().unwrap_or_default(),
            sku: p.sku.clone().unwrap_or_default(),
            price: p
                .unitary_value
                .as_ref()
                .map(|m| m.amount())
                .unwrap_or_default(),
            stock,
        });
    }
    check(
        products.len() == cp_box.product_count() && !products.is_empty(),
        || {
            format!(
                "read {} of {} products",
                products.len(),
                cp_box.product_count()
            )
        },
    )?;
    eprintln!("{} products", products.len());

    // 2. Publish to ecomDC and PluggTo, reading each back.
    progress(2, "publish to ecomDC and PluggTo");
    let spec: Value = yaml_serde::from_str(ECOMDC_SPEC).map_err(|e| e.to_string())?;
    let template = spec["paths"]["/produto"]["post"]["requestBody"]["content"]["application/json"]
        ["example"]
        .clone();
    for p in &products {
        let mut body = template.clone();
        body["codigo"] = json!(p.id.to_string());
        body["nome"] = json!(p.name);
        body["preco"] = json!(p.price);
        body["custo"] = json!(p.price);
        body["modelos"] = json!([{"nome": "Único", "status": 1, "itens": [
            {"nome_opcao": "U", "referencia": p.sku, "estoque": p.stock}]}]);
        let create: ecom_types::ProductCreate =
            serde_json::from_value(body).map_err(|e| format!("ecomDC body: {e}"))?;
        store.create_product(create).await.map_err(err)?;
        let stock = store.stock(&p.sku).await.map_err(err)?;
        check(stock == p.stock, || {
            format!("ecomDC stock of {} is {stock}, expected {}", p.sku, p.stock)
        })?;

        let input: hub_types::ProductInput = serde_json::from_value(json!({
            "sku": p.sku, "name": p.name, "quantity": p.stock, "price": p.price,
        }))
        .map_err(|e| format!("PluggTo body: {e}"))?;
        hub.put_product(&p.sku, input).await.map_err(err)?;
        let read = hub.product_by_sku(&p.sku).await.map_err(err)?;
        let qty = read.quantity.value().unwrap_or_default();
        check(qty == p.stock, || {
            format!(
                "PluggTo quantity of {} is {qty}, expected {}",
                p.sku, p.stock
            )
        })?;
    }
    eprintln!("{} products in both channels", products.len());

    // 3. An ecomDC order through its phases.
    progress(3, "ecomDC: an order from new to completed");
    let first = &products[0];
    let order_id = ecom_box
        .place_order(&first.sku, 1, "Maria Silva")
        .ok_or("the sandbox could not place an order")?;
    let pay = ecom_types::PaidPhase {
        conferencia: None,
        codigo_pagamento: Some("PIX".into()),
        obs: None,
        xml: None,
    };
    let invoice: ecom_types::PickingData = serde_json::from_value(
        spec["paths"]["/pedido/{id}/separacao"]["put"]["requestBody"]["content"]["application/json"]
            ["example"]
            .clone(),
    )
    .map_err(|e| format!("invoice body: {e}"))?;
    let mut phases = 0;
    for change in [
        PhaseChange::Pay(pay),
        PhaseChange::Pick(invoice),
        PhaseChange::ship("BR123456789"),
        PhaseChange::Complete,
    ] {
        let target = change.target();
        store
            .advance_order_by_id(&order_id, change)
            .await
            .map_err(err)?;
        let now = store.order(&order_id).await.map_err(err)?;
        check(now.fase_atual == target.to_string(), || {
            format!(
                "order {order_id} is in {}, expected {target}",
                now.fase_atual
            )
        })?;
        phases += 1;
    }
    let left = store.stock(&first.sku).await.map_err(err)?;
    check(left == first.stock - 1, || {
        format!("stock after the sale is {left}")
    })?;
    eprintln!("order {order_id}: {phases} phase changes");

    // 4. AppClubMais: the member's purchase.
    progress(4, "AppClubMais: record the purchase");
    let member = club.benefits(MEMBER_CPF).await.map_err(err)?;
    let member_id = member.id_cliente.ok_or("the member has no id")?;
    let benefit = member
        .vantagens
        .iter()
        .find_map(|v| v.id_vantagem)
        .ok_or("the member has no benefit to use")?;
    let purchase = club
        .register_purchase(
            member_id,
            first.price,
            &[(benefit, rust_decimal::Decimal::ONE)],
        )
        .await
        .map_err(err)?;
    let recorded = club_box.purchases();
    let total = purchase.as_stored().and_then(|p| p.valor_total.value());
    check(total == Some(first.price) && recorded.len() == 1, || {
        format!("purchase recorded as {total:?}")
    })?;
    eprintln!("{} for member {member_id}", first.price);

    // 5. Summary.
    progress(5, "summary");
    let calls = [
        ("ConnectPlug", cp_box.requests(), erp.stats().retries),
        ("ecomDC", ecom_box.requests(), store.stats().retries),
        ("PluggTo", hub_box.requests(), hub.stats().retries),
        ("AppClubMais", club_box.requests(), club.stats().retries),
    ];
    let mut table = String::from("provider      calls  retries\n");
    for (name, n, r) in calls {
        table.push_str(&format!("{name:<12} {n:>6} {r:>8}\n"));
    }
    let total: u64 = calls.iter().map(|c| c.1).sum();
    let retries: u64 = calls.iter().map(|c| c.2).sum();
    table.push_str(&format!("{:<12} {total:>6} {retries:>8}\n", "total"));
    Ok(format!(
        "items synced: {} (to ecomDC and PluggTo)\norders moved: 1 ({phases} phases)\npurchases recorded: 1\n{table}",
        products.len()
    ))
}
