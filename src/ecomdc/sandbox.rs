//! An in-process ecomDC for tests and demos (feature `sandbox`).
//!
//! ```no_run
//! # async fn demo() -> brcommerce::Result<()> {
//! use brcommerce::ecomdc::{Client, Credentials, sandbox::EcomdcSandbox};
//! let sandbox = EcomdcSandbox::start().await?;
//! let client = Client::builder(EcomdcSandbox::credentials()).base_url(sandbox.base_url()).build()?;
//! client.set_stock("11482378", 3).await?;
//! assert_eq!(client.stock("11482378").await?, 3);
//! # Ok(()) }
//! ```
//!
//! It answers every operation of `specs/ecomdc.yaml` and keeps state like the real store:
//! products (numbers read back as strings, options under `itens`), stock per option, prices,
//! images, and orders whose phases follow the provider's workflow (a skipped phase is refused
//! with 400). Requests without the sandbox's `x-ID`/`x-Token` get 401. It does not enforce the
//! per-minute quotas.
//!
//! With [`Running::send_callbacks_to`] it also POSTs ecomDC's callbacks to a URL, as the store
//! does to the URL of its "Callbacks" tab: `evento=estoque` when an option's stock changes (a
//! stock update or a placed order) and `evento=pedido` with the whole order when an order is
//! placed or changes phase or invoice.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{Map, Value, json};

use super::client::Credentials;
use crate::common::error::{Provider, Result};
use crate::common::sandbox::{
    Backend, Callbacks, Example, SandboxRequest, SandboxResponse, SpecTables,
};

const SPEC: &str = include_str!("../../specs/ecomdc.yaml");
const ID: &str = "sandbox";
const TOKEN: &str = "sandbox-token";

/// The sandbox's state and behaviour.
pub struct EcomdcSandbox {
    state: Mutex<State>,
    callbacks: Callbacks,
}

#[derive(Default)]
struct State {
    products: BTreeMap<String, Value>,
    orders: BTreeMap<String, Value>,
    extra_prices: BTreeMap<String, String>,
    next_order: u64,
}

/// A running ecomDC sandbox and a handle on its state.
pub type Running = crate::common::sandbox::Running<EcomdcSandbox>;

impl Running {
    /// Simulates a customer placing an order for `quantity` of the option `referencia`; returns
    /// the new order's id. The order starts in phase `novo` and the option's stock goes down.
    pub fn place_order(&self, referencia: &str, quantity: i64, customer: &str) -> Option<String> {
        self.backend.place_order(referencia, quantity, customer)
    }

    /// POSTs ecomDC's callbacks (stock and order changes) to `url` from now on, e.g. a
    /// [`webhooks`](crate::webhooks) receiver's `.../<token>/ecomdc`.
    ///
    /// # Errors
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when `url` is not a URL or there is no
    /// tokio runtime.
    pub fn send_callbacks_to(&self, url: &str) -> Result<()> {
        self.backend.callbacks.register(Provider::Ecomdc, url)
    }
}

impl EcomdcSandbox {
    /// Starts a sandbox on 127.0.0.1, seeded with the manual's examples.
    ///
    /// # Errors
    /// When no local port can be bound.
    pub async fn start() -> Result<Running> {
        Running::start(Self::seeded()).await
    }

    /// The credentials the sandbox accepts.
    pub fn credentials() -> Credentials {
        Credentials::new(ID, TOKEN)
    }

    fn seeded() -> Self {
        let mut state = State {
            next_order: 1000,
            ..State::default()
        };
        if let Ok(doc) = yaml_serde::from_str::<Value>(SPEC) {
            let product = &doc["components"]["responses"]["OneProduct"]["content"]["application/json"]
                ["example"]["produto"];
            let listed = &doc["paths"]["/produtos"]["get"]["responses"]["200"]["content"]["application/json"]
                ["example"]["produtos"];
            for p in std::iter::once(product).chain(listed.as_array().into_iter().flatten()) {
                if let Some(code) = p["codigo"].as_str() {
                    state.products.insert(code.to_owned(), p.clone());
                }
            }
            let order = &doc["paths"]["/pedido/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
                ["example"]["pedido"];
            if let Some(id) = order["id"].as_str() {
                state.orders.insert(id.to_owned(), order.clone());
            }
        }
        Self {
            state: Mutex::new(state),
            callbacks: Callbacks::default(),
        }
    }

    fn stock_callback(&self, option: &Value, referencia: &str, estoque: i64) {
        self.callbacks
            .fire(json!({"evento": "estoque", "ID_ACESSO": ID, "data": now(),
            "url_loja": "https://sandbox.invalid/", "movimento": "API", "tipo": "Produto",
            "origem": "API", "ean": option["ean"].as_str().unwrap_or_default(),
            "id_estoque": option["id"].as_str().unwrap_or_default(), "referencia_sku": referencia,
            "estoque": estoque.to_string()}));
    }

    fn order_callback(&self, order: &Value) {
        self.callbacks
            .fire(json!({"evento": "pedido", "ID_ACESSO": ID, "data": now(),
            "url_loja": "https://sandbox.invalid/", "pedido": order}));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        crate::common::lock(&self.state)
    }

    fn place_order(&self, referencia: &str, quantity: i64, customer: &str) -> Option<String> {
        let mut st = self.lock();
        let (product, model, option) = find_option(&st.products, referencia)?;
        let option_index = option;
        let price = st.products[&product]["preco"].clone();
        let price = number_text(&price, 2);
        let stock = st.products[&product]["modelos"][model]["itens"][option]["estoque"].clone();
        let left = as_i64(&stock).unwrap_or(0) - quantity;
        st.products.get_mut(&product)?["modelos"][model]["itens"][option]["estoque"] =
            json!(left.to_string());
        st.next_order += 1;
        let id = st.next_order.to_string();
        let total = format!(
            "{:.2}",
            price.parse::<f64>().unwrap_or(0.0) * quantity as f64
        );
        let p = &st.products[&product];
        let customer = json!({"nome": customer, "tipo_conta": "pf", "doc": "52998224725", "ie": "",
            "email": "cliente@example.com", "celular": "", "telefone": "", "data_nascimento": "0000-00-00",
            "cep": "36015001", "codigo_ibge": "3136702", "endereco": "Rua A", "numero": "1", "complemento": "",
            "bairro": "Centro", "cidade": "Juiz de Fora", "estado": "MG", "pais": "BR", "referencia": "", "tipo": "",
            "recebedor": customer});
        let option = &p["modelos"][model]["itens"][option];
        let item = json!({"produto": p["nome"], "quantidade": quantity.to_string(), "modelo": p["modelos"][model]["nome"],
            "nome_opcao": option["nome_opcao"], "sku": option["sku"], "referencia": referencia, "variavel": "",
            "valor": price, "valor_final": price, "desconto": "0.00", "estoque_atual": left.to_string(), "ean": option["ean"]});
        let mut order = json!({"id": id, "codigo": format!("SB{id}"), "numero_controle": format!("9{id}"),
            "origem": "PLAT", "loja": "PLAT", "fase_marketplace": "", "fase_atual": "novo", "data_pedido": now(),
            "frete_tipo": "PAC", "frete_valor": "0.00", "frete_rastreio": "", "frete_prazo": "5",
            "forma_pagamento": "PIX", "parcelas": "1", "parcelas_valor": total, "bandeira_cartao": "",
            "observacao_cliente": "", "nf": "", "nf_emissao": "0000-00-00", "cliente": customer, "itens": [item]});
        for field in [
            "data_pagamento",
            "data_separacao",
            "data_enviado",
            "data_concluido",
            "data_cancelado",
        ] {
            order[field] = json!(ZERO);
        }
        for field in ["valor_desconto", "valor_desconto_cupom", "juros"] {
            order[field] = json!("0.00");
        }
        order["valor_total"] = json!(total);
        order["valor_total_credito"] = json!(total);
        let option = st.products[&product]["modelos"][model]["itens"][option_index].clone();
        self.stock_callback(&option, referencia, left);
        self.order_callback(&order);
        st.orders.insert(id.clone(), order);
        Some(id)
    }
}

const ZERO: &str = "0000-00-00 00:00:00";

fn now() -> String {
    chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

fn error(status: u16, message: &str) -> Option<SandboxResponse> {
    Some(SandboxResponse::json(status, json!({ "erro": message })))
}

fn as_i64(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// A number as the provider's reads show it: a string with `decimals` places.
fn number_text(v: &Value, decimals: usize) -> String {
    let n = v.as_f64().or_else(|| {
        v.as_str()
            .and_then(|s| s.trim().replace(',', ".").parse().ok())
    });
    match n {
        Some(n) => format!("{n:.decimals$}"),
        None => String::new(),
    }
}

/// (product code, model index, option index) of the option with this reference.
fn find_option(
    products: &BTreeMap<String, Value>,
    referencia: &str,
) -> Option<(String, usize, usize)> {
    for (code, p) in products {
        for (mi, m) in p["modelos"].as_array().into_iter().flatten().enumerate() {
            let options = m
                .get("itens")
                .or_else(|| m.get("opcoes"))
                .and_then(Value::as_array);
            for (oi, o) in options.into_iter().flatten().enumerate() {
                if o["referencia"].as_str() == Some(referencia) {
                    return Some((code.clone(), mi, oi));
                }
            }
        }
    }
    None
}

/// Converts a written product (numbers as numbers) to the read form (numbers as strings).
fn read_form(input: &Map<String, Value>, existing: Option<&Value>) -> Value {
    let mut p = existing.cloned().unwrap_or_else(|| json!({"modelos": []}));
    for (k, v) in input {
        match k.as_str() {
            "preco" | "custo" | "comprimento" | "largura" | "altura" | "cubagem" => {
                p[k] = json!(number_text(v, 2))
            }
            "peso" => p[k] = json!(number_text(v, 3)),
            "status" => p[k] = v.clone(),
            "modelos" => {
                for m in v.as_array().into_iter().flatten() {
                    merge_model(&mut p, m);
                }
            }
            _ => p[k] = v.clone(),
        }
    }
    for k in ["custo", "comprimento", "largura", "altura", "cubagem"] {
        if p.get(k).is_none() {
            p[k] = json!("0.00");
        }
    }
    for k in ["garantia", "formato_visualizacao_modelos"] {
        if p.get(k).is_none() {
            p[k] = json!("");
        }
    }
    p
}

fn merge_model(product: &mut Value, input: &Value) {
    let name = input["nome"].as_str().unwrap_or_default().to_owned();
    let models = product["modelos"].as_array_mut();
    let Some(models) = models else { return };
    let index = models.iter().position(|m| m["nome"].as_str().unwrap_or_default() == name).unwrap_or_else(|| {
        models.push(json!({"nome": name, "crossdocking": "0", "status": "1", "formato_visualizacao_opcoes": "2", "itens": []}));
        models.len() - 1
    });
    let model = &mut models[index];
    for (k, v) in input.as_object().into_iter().flatten() {
        match k.as_str() {
            "itens" => {
                for item in v.as_array().into_iter().flatten() {
                    let reference = item["referencia"].as_str().unwrap_or_default().to_owned();
                    let options = model["itens"].as_array_mut();
                    let Some(options) = options else { continue };
                    let at = options
                        .iter()
                        .position(|o| o["referencia"].as_str() == Some(reference.as_str()));
                    let mut option = at
                        .map(|i| options[i].clone())
                        .unwrap_or_else(|| json!({"sku": format!("SKU-{reference}")}));
                    for (ik, iv) in item.as_object().into_iter().flatten() {
                        option[ik] = iv.clone();
                    }
                    if option.get("ean").is_none() {
                        option["ean"] = json!("");
                    }
                    match at {
                        Some(i) => options[i] = option,
                        None => options.push(option),
                    }
                }
            }
            "crossdocking" | "status" => model[k] = json!(as_i64(v).unwrap_or(0).to_string()),
            _ => model[k] = v.clone(),
        }
    }
}

impl Backend for EcomdcSandbox {
    fn provider(&self) -> Provider {
        Provider::Ecomdc
    }

    fn spec(&self) -> &'static str {
        SPEC
    }

    fn tables(&self) -> Option<SpecTables> {
        Some(SpecTables::new(
            super::generated::operations::find,
            super::generated::schemas::find,
        ))
    }

    fn handle(&self, req: &SandboxRequest, example: &Example) -> Option<SandboxResponse> {
        if req.header("x-id") != Some(ID) || req.header("x-token") != Some(TOKEN) {
            return error(401, "Problemas na autenticação. Verifique sua api key");
        }
        let op = req.operation?;
        let mut st = self.lock();
        let body = req.json();
        match op {
            "list_products" => {
                let page: usize = req
                    .query("page")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(1)
                    .max(1);
                let all: Vec<&Value> = st.products.values().collect();
                let pages = all.len().div_ceil(100).max(1);
                let items: Vec<Value> = all
                    .iter()
                    .skip((page - 1) * 100)
                    .take(100)
                    .map(|v| (*v).clone())
                    .collect();
                Some(SandboxResponse::json(
                    200,
                    json!({
                        "produtos": items,
                        "totais": {"totalProdutos": all.len().to_string(), "totalPaginas": pages.to_string(), "paginaAtual": page.to_string()}
                    }),
                ))
            }
            "get_product" => match st.products.get(req.param("codigo")) {
                Some(p) => Some(SandboxResponse::json(200, json!({ "produto": p }))),
                None => error(404, "Produto não encontrado"),
            },
            "get_product_by_reference" => {
                let found = find_option(&st.products, req.query("referencia").unwrap_or_default());
                match found {
                    Some((code, _, _)) => Some(SandboxResponse::json(
                        200,
                        json!({ "produto": st.products[&code] }),
                    )),
                    None => error(404, "Referência não encontrada"),
                }
            }
            "create_product" => {
                let Some(fields) = body.as_object() else {
                    return error(400, "JSON inválido");
                };
                let Some(code) = fields
                    .get("codigo")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                else {
                    return error(400, "codigo obrigatório");
                };
                if st.products.contains_key(&code) {
                    return error(409, "Erro de conflito: código já existe");
                }
                st.products.insert(code, read_form(fields, None));
                Some(SandboxResponse::json(
                    201,
                    json!({"mensagem": "Produto cadastrado"}),
                ))
            }
            "update_product" => {
                let Some(fields) = body.as_object() else {
                    return error(400, "JSON inválido");
                };
                if fields.contains_key("codigo") {
                    return error(400, "codigo não pode ser informado no PUT");
                }
                let code = req.param("codigo").to_owned();
                let Some(existing) = st.products.get(&code).cloned() else {
                    return error(404, "Produto não encontrado");
                };
                let updated = read_form(fields, Some(&existing));
                st.products.insert(code, updated);
                Some(SandboxResponse::json(
                    201,
                    json!({"mensagem": "Produto atualizado"}),
                ))
            }
            "upload_images" => {
                let code = body["codigo"].as_str().unwrap_or_default().to_owned();
                let model_name = body["nome_modelo"].as_str().unwrap_or_default().to_owned();
                let mode = body["modo"].as_str().unwrap_or("inclusao").to_owned();
                let count = body["imagens"].as_array().map(Vec::len).unwrap_or(0);
                let Some(product) = st.products.get_mut(&code) else {
                    return error(404, "Produto não encontrado");
                };
                let Some(model) = product["modelos"].as_array_mut().and_then(|ms| {
                    ms.iter_mut().find(|m| {
                        model_name.is_empty() || m["nome"].as_str() == Some(model_name.as_str())
                    })
                }) else {
                    return error(404, "Modelo não encontrado");
                };
                let field = if mode.ends_with("_retangular") {
                    "imagens_retangulares"
                } else {
                    "imagens"
                };
                let mut urls: Vec<String> = if mode.starts_with("inclusao") {
                    model[field]
                        .as_str()
                        .unwrap_or_default()
                        .split(',')
                        .filter(|u| !u.is_empty())
                        .map(str::to_owned)
                        .collect()
                } else {
                    Vec::new()
                };
                if !mode.starts_with("exclusao") {
                    for n in 0..count {
                        urls.push(format!(
                            "https://sandbox.invalid/img/{code}/{}.jpg",
                            urls.len() + n + 1
                        ));
                    }
                }
                model[field] = json!(urls.join(","));
                Some(SandboxResponse::empty(201))
            }
            "get_price" | "update_price" => {
                let code = if req.param("codigo") == "null" {
                    find_option(&st.products, req.query("referencia").unwrap_or_default())
                        .map(|(c, _, _)| c)
                } else {
                    Some(req.param("codigo").to_owned()).filter(|c| st.products.contains_key(c))
                };
                let Some(code) = code else {
                    return error(404, "Produto não encontrado");
                };
                let product = st.products.get_mut(&code)?;
                if op == "update_price" {
                    if body["preco"].is_string() {
                        return error(412, "Erro de tipagem: preco deve ser float");
                    }
                    product["preco"] = json!(number_text(&body["preco"], 2));
                    if !body["custo"].is_null() {
                        product["custo"] = json!(number_text(&body["custo"], 2));
                    }
                }
                let answer = json!({"preco": number_text(&product["preco"], 2), "custo": number_text(&product["custo"], 2)});
                // The manual documents 200 for both the read and the update.
                Some(SandboxResponse::json(200, answer))
            }
            "get_extra_price" | "update_extra_price" => {
                let reference = req.param("referencia").to_owned();
                let Some((code, _, _)) = find_option(&st.products, &reference) else {
                    return error(404, "Referência não encontrada");
                };
                if op == "update_extra_price" {
                    let price = number_text(&body["preco"], 2);
                    let base = number_text(&st.products[&code]["preco"], 2);
                    if price.parse::<f64>().unwrap_or(0.0) < base.parse::<f64>().unwrap_or(0.0) {
                        return error(
                            400,
                            "O preço não pode ser menor que o preço do produto principal",
                        );
                    }
                    st.extra_prices.insert(reference.clone(), price);
                }
                let price = st
                    .extra_prices
                    .get(&reference)
                    .cloned()
                    .unwrap_or_else(|| number_text(&st.products[&code]["preco"], 2));
                Some(SandboxResponse::json(
                    if op == "update_extra_price" { 201 } else { 200 },
                    json!({ "preco": price }),
                ))
            }
            "get_stock" | "update_stock" => {
                let Some((code, m, o)) = find_option(&st.products, req.param("referencia")) else {
                    return error(404, "Referência não encontrada");
                };
                let option = &mut st.products.get_mut(&code)?["modelos"][m]["itens"][o];
                if op == "update_stock" {
                    let Some(n) = body["estoque"].as_i64() else {
                        return error(412, "Erro de tipagem: estoque deve ser inteiro");
                    };
                    option["estoque"] = json!(n);
                    let option = option.clone();
                    self.stock_callback(&option, req.param("referencia"), n);
                    return Some(SandboxResponse::empty(201));
                }
                Some(SandboxResponse::json(
                    200,
                    json!({ "estoque": as_i64(&option["estoque"]).unwrap_or(0) }),
                ))
            }
            "list_orders" => {
                let status = req.query("status");
                let code = req.query("codigoPedido");
                let orders: Vec<Value> = st
                    .orders
                    .values()
                    .rev()
                    .filter(|o| status.is_none_or(|s| o["fase_atual"].as_str() == Some(s)))
                    .filter(|o| {
                        code.is_none_or(|c| {
                            o["codigo"].as_str() == Some(c)
                                || o["numero_controle"].as_str() == Some(c)
                        })
                    })
                    .cloned()
                    .collect();
                Some(SandboxResponse::json(200, json!({ "pedidos": orders })))
            }
            "get_order" => match st.orders.get(req.param("id")) {
                Some(o) => Some(SandboxResponse::json(200, json!({ "pedido": o }))),
                None => error(404, "Pedido não encontrado"),
            },
            "mark_order_paid"
            | "mark_order_picking"
            | "mark_order_shipped"
            | "mark_order_completed"
            | "cancel_order" => {
                let Some(order) = st.orders.get_mut(req.param("id")) else {
                    return error(404, "Pedido não encontrado");
                };
                let from = order["fase_atual"].as_str().unwrap_or_default().to_owned();
                let (to, date_field) = match op {
                    "mark_order_paid" => ("pago", "data_pagamento"),
                    "mark_order_picking" => ("separacao", "data_separacao"),
                    "mark_order_shipped" => ("entrega", "data_enviado"),
                    "mark_order_completed" => ("concluido", "data_concluido"),
                    _ => ("cancelado", "data_cancelado"),
                };
                let allowed = matches!(
                    (from.as_str(), to),
                    ("novo", "pago")
                        | ("pago", "separacao")
                        | ("separacao", "entrega")
                        | ("entrega", "concluido")
                ) || (to == "cancelado" && from != "cancelado");
                if !allowed {
                    return error(
                        400,
                        &format!("Fase atual {from} não permite passar para {to}"),
                    );
                }
                order["fase_atual"] = json!(to);
                order[date_field] = json!(now());
                if op == "mark_order_shipped" {
                    order["frete_rastreio"] = body["codigo_rastreamento"].clone();
                }
                if op == "mark_order_picking" {
                    order["nf"] = body["nf_chave"].clone();
                    order["nf_emissao"] = body["nf_emissao"].clone();
                }
                let order = order.clone();
                self.order_callback(&order);
                Some(SandboxResponse::empty(201))
            }
            "set_order_invoice" => {
                let key = req.param("id").to_owned();
                let id = st
                    .orders
                    .iter()
                    .find(|(id, o)| {
                        **id == key || o["numero_controle"].as_str() == Some(key.as_str())
                    })
                    .map(|(id, _)| id.clone());
                let Some(order) = id.and_then(|id| st.orders.get_mut(&id)) else {
                    return error(404, "Pedido não encontrado");
                };
                order["nf"] = body["nf_chave"].clone();
                order["nf_emissao"] = body["nf_emissao"].clone();
                let order = order.clone();
                self.order_callback(&order);
                Some(SandboxResponse::empty(201))
            }
            _ => Some(SandboxResponse {
                status: example.status,
                body: example.body.clone(),
            }),
        }
    }
}
