//! The plain struct the decode benchmarks compare the generated lenient models with: the same
//! fields of an ecomDC product page, kept as strings (nothing parsed).
#![allow(dead_code)]

use serde::Deserialize;

#[allow(dead_code)]
#[derive(Deserialize)]
pub struct PlainPage {
    pub produtos: Vec<PlainProduct>,
    pub totais: PlainTotals,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlainTotals {
    pub total_produtos: String,
    pub total_paginas: String,
    pub pagina_atual: String,
}

#[allow(dead_code)]
#[derive(Deserialize)]
pub struct PlainProduct {
    pub nome: String,
    pub codigo: String,
    pub descricao: String,
    pub departamento: String,
    pub fabricante: String,
    pub preco: String,
    pub custo: String,
    pub comprimento: String,
    pub largura: String,
    pub altura: String,
    pub peso: String,
    pub cubagem: String,
    pub garantia: String,
    pub atributos_produto: Option<String>,
    pub videos: Option<String>,
    pub localizacao_estoque: Option<String>,
    pub formato_visualizacao_modelos: String,
    pub modelos: Vec<PlainModel>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
pub struct PlainModel {
    pub nome: String,
    pub crossdocking: String,
    pub imagens: Option<String>,
    pub imagens_retangulares: Option<String>,
    pub status: String,
    pub formato_visualizacao_opcoes: String,
    pub url_produto: Option<String>,
    pub atributos_modelo: Option<String>,
    #[serde(default)]
    pub itens: Vec<PlainOption>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
pub struct PlainOption {
    pub sku: String,
    pub nome_opcao: Option<String>,
    pub referencia: String,
    pub estoque: String,
    pub ean: String,
}
