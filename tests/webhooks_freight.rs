//! PluggTo's freight quote answered within its 0.2 s, timed over real HTTP on 127.0.0.1. A test
//! binary of its own, so that no other test loads the CPU while the answers are timed (cargo
//! runs test binaries one after another).

#[path = "common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use brcommerce::pluggto::{self, types::FreightResponse};
use brcommerce::webhooks::{Endpoint, Event, HandlerError, Receiver};
use common::schema_example;
use serde_json::json;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

async fn serve(receiver: &Receiver) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = receiver
        .router()
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn post(url: &str, body: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

fn freight_receiver(delay: Duration) -> Receiver {
    let h = |_: Event| async { Ok::<(), HandlerError>(()) };
    Receiver::builder(h)
        .path_token(TOKEN)
        .freight(move |request: pluggto::types::FreightRequest| async move {
            tokio::time::sleep(delay).await;
            if request.destination_postalcode.as_deref() == Some("99999999") {
                return Err::<FreightResponse, HandlerError>("CEP não atendido".into());
            }
            Ok(serde_json::from_value(schema_example("pluggto", "FreightResponse")).unwrap())
        })
        .start()
        .unwrap()
}

#[tokio::test]
async fn the_freight_quote_is_answered_within_200_ms() {
    let receiver = freight_receiver(Duration::from_millis(5));
    let base = serve(&receiver).await;
    let url = format!("{base}/{TOKEN}/pluggto/freight");
    let request = schema_example("pluggto", "FreightRequest");
    let client = reqwest::Client::new();
    // Warm the connection, then measure what PluggTo would see.
    client
        .post(&url)
        .body(request.to_string())
        .send()
        .await
        .unwrap();
    let started = Instant::now();
    let r = client
        .post(&url)
        .body(request.to_string())
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(r.status(), 200);
    common::assert_json_eq(
        &r.json::<serde_json::Value>().await.unwrap(),
        &schema_example("pluggto", "FreightResponse"),
    );
    assert!(took < Duration::from_millis(200), "answered in {took:?}");

    let mut refused = request.clone();
    refused["destination_postalcode"] = json!("99999999");
    let r = post(&url, &refused.to_string()).await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap(),
        json!([{"mensage": "CEP não atendido"}])
    );

    let r = post(&url, "{not json").await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        receiver.dead_letters().await.unwrap()[0].envelope.endpoint,
        Endpoint::PluggtoFreight
    );
}

#[tokio::test]
async fn a_late_freight_quote_gets_the_error_answer_in_time() {
    let receiver = freight_receiver(Duration::from_secs(2));
    let base = serve(&receiver).await;
    let url = format!("{base}/{TOKEN}/pluggto/freight");
    let request = schema_example("pluggto", "FreightRequest").to_string();
    let client = reqwest::Client::new();
    client
        .post(&url)
        .body(request.clone())
        .send()
        .await
        .unwrap();
    let started = Instant::now();
    let r = client.post(&url).body(request).send().await.unwrap();
    let took = started.elapsed();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body[0]["mensage"].is_string(), "{body}");
    assert!(took < Duration::from_millis(200), "answered in {took:?}");
    assert_eq!(receiver.stats().freight_failed, 2);
}
