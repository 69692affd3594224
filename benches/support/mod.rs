//! A fast local HTTP server (axum, keep-alive) for benchmarks: every client under test talks to
//! the same server, so differences are the clients' own.
#![allow(dead_code)]

pub mod plain;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;

/// Starts the server on 127.0.0.1 in its own thread and runtime (so it does not share the
/// measured client's worker) and returns its base URL.
pub fn start_in_thread() -> String {
    serve_in_thread(app)
}

/// Serves the router `make` builds on 127.0.0.1 in its own thread and current-thread runtime
/// (so the server does not share the measured client's worker); returns its base URL.
pub fn serve_in_thread(make: impl FnOnce() -> Router + Send + 'static) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(format!("http://{}", listener.local_addr().unwrap()))
                .unwrap();
            axum::serve(listener, make()).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

/// The stock answer, decoded by hand.
#[derive(serde::Deserialize)]
pub struct Stock {
    pub estoque: i64,
}

/// The stock GET through the generated client and its hooks, without the facade (`raw()`).
pub async fn raw_stock(client: &brcommerce::ecomdc::Client) -> Option<i64> {
    let stock = client
        .raw()
        .get_stock()
        .referencia("A")
        .send()
        .await
        .unwrap();
    stock.into_inner().estoque.value()
}

/// A GET by hand with reqwest + serde_json: the headers the client sends, the body decoded.
pub async fn get_by_hand<T: serde::de::DeserializeOwned>(http: &reqwest::Client, url: String) -> T {
    http.get(url)
        .header("x-ID", "3566")
        .header("x-Token", "token")
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The stock PUT by hand with reqwest + serde_json, as the client sends it.
pub async fn put_stock_by_hand(http: &reqwest::Client, base: &str) {
    http.put(format!("{base}/item/A/estoque"))
        .header("x-ID", "3566")
        .header("x-Token", "token")
        .json(&serde_json::json!({"estoque": 5}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
}

/// The ecomDC stock endpoint: GET answers a fixed stock, PUT accepts anything.
pub fn app() -> Router {
    Router::new().route(
        "/item/{referencia}/estoque",
        get(|| async { ([("content-type", "application/json")], r#"{"estoque":22}"#) }).put(
            |body: String| async move {
                let _ = body;
                StatusCode::CREATED
            },
        ),
    )
}

/// An ecomDC product page as GET returns it (numbers as strings), with `n` products of 1 model
/// and 3 options each.
pub fn product_page(n: usize) -> String {
    let mut produtos = Vec::with_capacity(n);
    for i in 0..n {
        produtos.push(serde_json::json!({
            "nome": format!("Produto {i}"), "codigo": format!("P{i:05}"),
            "descricao": "Bicicleta aro 29 com 21 marchas e freio a disco", "departamento": "Esportes>Bicicletas",
            "fabricante": "Caloi", "preco": format!("{}.90", 100 + i % 900), "custo": "610.00",
            "comprimento": "1.62", "largura": "0.20", "altura": "1.20", "peso": "13.400", "cubagem": "0.00",
            "garantia": "90 dias", "atributos_produto": "Marchas:21; Aro:29", "videos": "",
            "localizacao_estoque": "Corredor 2", "formato_visualizacao_modelos": "1",
            "modelos": [{
                "nome": "Azul", "crossdocking": "5", "imagens": "https://x/1.jpg,https://x/2.jpg",
                "imagens_retangulares": "", "status": "1", "formato_visualizacao_opcoes": "2",
                "url_produto": format!("https://loja/produto/{i}"), "atributos_modelo": "Cor:Azul",
                "itens": [
                    {"sku": format!("{i}1"), "nome_opcao": "P", "referencia": format!("R{i}P"), "estoque": "10", "ean": "7891473021257"},
                    {"sku": format!("{i}2"), "nome_opcao": "M", "referencia": format!("R{i}M"), "estoque": "0", "ean": ""},
                    {"sku": format!("{i}3"), "nome_opcao": "G", "referencia": format!("R{i}G"), "estoque": "3", "ean": "7891473021264"}
                ]
            }]
        }));
    }
    serde_json::json!({"produtos": produtos, "totais": {"totalProdutos": n.to_string(), "totalPaginas": "1", "paginaAtual": "1"}}).to_string()
}

/// The same page with product `at`'s price unreadable (an object where a number is expected):
/// one record the client must reject while keeping the others.
pub fn product_page_with_bad_record(n: usize, at: usize) -> String {
    let mut page: serde_json::Value = serde_json::from_str(&product_page(n)).unwrap();
    page["produtos"][at]["preco"] = serde_json::json!({"unreadable": [1, 2]});
    page.to_string()
}
