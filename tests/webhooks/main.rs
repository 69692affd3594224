//! The webhook receiver over real HTTP: a `reqwest` client posting to the router served on
//! 127.0.0.1 (feature `webhooks`), with the in-process queue here and Redis Streams in
//! `redis.rs` (a real `redis-server` started by the harness).

#[path = "../common/mod.rs"]
mod common;

mod http;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use brcommerce::webhooks::{Builder, Event, Handler, HandlerError, Receiver};
use tokio::sync::mpsc;

pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// Serves `receiver`'s router on a free 127.0.0.1 port; returns `http://127.0.0.1:<port>`.
pub async fn serve(receiver: &Receiver) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = receiver
        .router()
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A receiver for `handler` with the test token, configured by `configure`, started and served.
pub async fn started(
    handler: impl Handler,
    configure: impl FnOnce(Builder) -> Builder,
) -> (Receiver, String) {
    let receiver = configure(Receiver::builder(handler).path_token(TOKEN))
        .start()
        .unwrap();
    let base = serve(&receiver).await;
    (receiver, base)
}

/// What a test handler saw: each event as JSON, in order.
#[derive(Clone, Default)]
pub struct Seen(pub Arc<Mutex<Vec<serde_json::Value>>>);

impl Seen {
    pub fn all(&self) -> Vec<serde_json::Value> {
        self.0.lock().unwrap().clone()
    }
    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// A receiver whose handler records every event and sends it on the returned channel.
pub fn recording(
    configure: impl FnOnce(Builder) -> Builder,
) -> (Receiver, Seen, mpsc::UnboundedReceiver<Event>) {
    let seen = Seen::default();
    let (tx, rx) = mpsc::unbounded_channel();
    let record = seen.clone();
    let handler = move |event: Event| {
        let record = record.clone();
        let tx = tx.clone();
        async move {
            record.0.lock().unwrap().push(event.to_json());
            let _ = tx.send(event);
            Ok::<(), HandlerError>(())
        }
    };
    let builder = Receiver::builder(handler).path_token(TOKEN).retries(
        3,
        Duration::from_millis(10),
        Duration::from_millis(50),
    );
    (configure(builder).start().unwrap(), seen, rx)
}

/// POSTs JSON with one client for the whole test binary (building a client costs more than a
/// request).
pub async fn post(url: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT
        .get_or_init(reqwest::Client::new)
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Waits until `f` holds (at most 10 s).
pub async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The examples of a webhook's request body in a spec (`x-webhooks`), or the schema's example.
pub fn webhook_examples(provider: &str, hook: &str, schema: &str) -> Vec<serde_json::Value> {
    let spec = common::spec(provider);
    let media = &spec["x-webhooks"][hook]["post"]["requestBody"]["content"]["application/json"];
    let mut out: Vec<serde_json::Value> = media["examples"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, e)| e["value"].clone())
        .collect();
    out.push(common::schema_example(provider, schema));
    out
}

#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "sandbox")]
mod sandbox;
