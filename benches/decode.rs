//! Decoding a 1000-product ecomDC page (numbers as strings) into the generated models with the
//! lenient types, against serde_json into a plain struct of the same fields (strings kept as
//! strings, nothing parsed), and the drift check of the same page when it is a sampled answer.

mod support;

use brcommerce::common::drift;
use brcommerce::ecomdc::types;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde::Deserialize;

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainPage {
    produtos: Vec<PlainProduct>,
    totais: PlainTotals,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlainTotals {
    total_produtos: String,
    total_paginas: String,
    pagina_atual: String,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainProduct {
    nome: String,
    codigo: String,
    descricao: String,
    departamento: String,
    fabricante: String,
    preco: String,
    custo: String,
    comprimento: String,
    largura: String,
    altura: String,
    peso: String,
    cubagem: String,
    garantia: String,
    atributos_produto: Option<String>,
    videos: Option<String>,
    localizacao_estoque: Option<String>,
    formato_visualizacao_modelos: String,
    modelos: Vec<PlainModel>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainModel {
    nome: String,
    crossdocking: String,
    imagens: Option<String>,
    imagens_retangulares: Option<String>,
    status: String,
    formato_visualizacao_opcoes: String,
    url_produto: Option<String>,
    atributos_modelo: Option<String>,
    #[serde(default)]
    itens: Vec<PlainOption>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainOption {
    sku: String,
    nome_opcao: Option<String>,
    referencia: String,
    estoque: String,
    ean: String,
}

fn decode(c: &mut Criterion) {
    let page = support::product_page(1000);
    let mut g = c.benchmark_group("decode_1000_products");
    g.throughput(Throughput::Bytes(page.len() as u64));
    g.bench_function("brcommerce lenient models", |b| {
        b.iter(|| {
            let p: types::ProductPage = serde_json::from_str(&page).unwrap();
            assert_eq!(p.produtos.len(), 1000);
        })
    });
    g.bench_function("plain struct (strings)", |b| {
        b.iter(|| {
            let p: PlainPage = serde_json::from_str(&page).unwrap();
            assert_eq!(p.produtos.len(), 1000);
        })
    });
    // What a sampled answer costs on top of its decode: parsing it into a `Value` and walking it
    // along the spec's shapes (what drift detection does with one answer in 1,000).
    g.bench_function("drift check of a sampled answer", |b| {
        b.iter(|| {
            let v: serde_json::Value = serde_json::from_str(&page).unwrap();
            let found = drift::compare(&v, "ProductPage", brcommerce::ecomdc::raw::schemas::find);
            assert!(found.is_empty(), "{:?}", found.first());
        })
    });
    g.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
