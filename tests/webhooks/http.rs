use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use brcommerce::ecomdc::callbacks::{Callback, Fetched};
use brcommerce::pluggto::{self, Notified};
use brcommerce::webhooks::{Endpoint, Event, HandlerError, Payload, Receiver, Resource};
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use serde_json::json;
use tokio::sync::Semaphore;

use super::common::{response_example, schema_example};
use super::{TOKEN, eventually, post, recording, serve, started, webhook_examples};

fn pluggto_client(server: &MockServer) -> pluggto::Client {
    pluggto::Client::builder(pluggto::Credentials::password(
        "id", "secret", "user", "pass",
    ))
    .base_url(server.base_url())
    .build()
    .unwrap()
}

async fn pluggto_token(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth/token");
            then.status(200)
                .json_body(json!({"access_token": "a1", "refresh_token": "r1",
                "expires_in": 3600, "token_type": "bearer"}));
        })
        .await
}

#[tokio::test]
async fn every_documented_payload_arrives_typed() {
    let (receiver, _, mut events) = recording(|b| b.concurrency(1).dedup_window(Duration::ZERO));
    let base = serve(&receiver).await;
    let ecomdc = [
        schema_example("ecomdc", "CallbackEstoque"),
        schema_example("ecomdc", "CallbackPedido"),
    ];
    for body in &ecomdc {
        let r = post(&format!("{base}/{TOKEN}/ecomdc"), body.to_string()).await;
        assert_eq!(r.status(), 200);
    }
    let stock = events.recv().await.unwrap();
    match stock.payload() {
        Payload::Ecomdc(Callback::Stock(s)) => {
            assert_eq!(s.referencia_sku.as_deref(), Some("PL_890M"));
            assert_eq!(s.estoque.value(), Some(21));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(stock.envelope().endpoint, Endpoint::EcomdcCallback);
    assert_eq!(stock.raw(), ecomdc[0].to_string().as_bytes());
    match events.recv().await.unwrap().payload() {
        Payload::Ecomdc(Callback::Order(o)) => assert_eq!(o.pedido.codigo, "IA783614"),
        other => panic!("{other:?}"),
    }
    // The spec's examples of the notification (the Postman one, the SKU deletion of the
    // notification page) and the schema's own.
    let notifications = webhook_examples("pluggto", "notification", "Notification");
    assert!(notifications.len() >= 3);
    for body in &notifications {
        let r = post(&format!("{base}/{TOKEN}/pluggto"), body.to_string()).await;
        assert_eq!(r.status(), 200);
        match events.recv().await.unwrap().payload() {
            Payload::Pluggto(n) => assert_eq!(n.id.as_str(), body["id"].as_str().unwrap()),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(receiver.stats().processed, 5);
}

#[tokio::test]
async fn a_wrong_token_gets_404_and_costs_no_fetch() {
    let server = MockServer::start_async().await;
    let token = pluggto_token(&server).await;
    let order = server
        .mock_async(|when, then| {
            when.method(GET).path("/orders/o1");
            then.status(200)
                .json_body(response_example("pluggto", "get_order", "200"));
        })
        .await;
    let handler = |event: Event| async move {
        event.fetch().await?;
        Ok::<(), HandlerError>(())
    };
    let (receiver, base) = started(handler, |b| {
        b.pluggto(pluggto_client(&server))
            .coalesce_window(Duration::ZERO)
    })
    .await;
    let body = json!({"type": "orders", "id": "o1", "action": "updated", "user": 1}).to_string();
    let wrong = "0123456789abcdef0123456789abcdeX";
    for url in [
        format!("{base}/{wrong}/pluggto"),
        format!("{base}/{}/pluggto", &TOKEN[..31]),
        format!("{base}/pluggto"),
        format!("{base}/{TOKEN}x/pluggto"),
    ] {
        let r = post(&url, body.clone()).await;
        assert_eq!(r.status(), 404, "{url}");
        assert!(r.text().await.unwrap().is_empty(), "no hint");
    }
    // A GET with a wrong token does not reveal the route either (405 only with the token).
    let r = reqwest::get(format!("{base}/{wrong}/pluggto"))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = reqwest::get(format!("{base}/{TOKEN}/pluggto"))
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(order.calls_async().await, 0);
    assert_eq!(token.calls_async().await, 0);
    assert_eq!(receiver.stats().unauthorized, 4);
    assert_eq!(receiver.stats().queued, 0);
    // The right token fetches (so the zero above means something).
    let r = post(&format!("{base}/{TOKEN}/pluggto"), body).await;
    assert_eq!(r.status(), 200);
    eventually("the order is fetched", || receiver.stats().processed == 1).await;
    assert_eq!(order.calls_async().await, 1);
}

#[tokio::test]
async fn a_header_secret_and_an_address_allow_list() {
    let (receiver, seen, _rx) = recording(|b| {
        b.header_secret("x-webhook-secret", "s3cr3t-s3cr3t-s3cr3t")
            .allow_from(["127.0.0.0/8".parse().unwrap()])
    });
    let base = serve(&receiver).await;
    let body = json!({"type": "orders", "id": "o1", "action": "updated", "user": 1}).to_string();
    let client = reqwest::Client::new();
    let send = |secret: &'static str| {
        client
            .post(format!("{base}/pluggto"))
            .header("x-webhook-secret", secret)
            .body(body.clone())
            .send()
    };
    assert_eq!(send("s3cr3t-s3cr3t-s3cr3X").await.unwrap().status(), 404);
    assert_eq!(send("s3cr3t-s3cr3t-s3cr3t").await.unwrap().status(), 200);
    eventually("handled", || seen.count() == 1).await;

    let (outside, _, _rx) = recording(|b| b.allow_from(["10.0.0.0/8".parse().unwrap()]));
    let base = serve(&outside).await;
    let r = post(&format!("{base}/{TOKEN}/pluggto"), body).await;
    assert_eq!(r.status(), 404, "127.0.0.1 is not in 10.0.0.0/8");
    assert_eq!(outside.stats().queued, 0);
}

#[tokio::test]
async fn a_short_secret_or_none_is_refused_at_start() {
    let h = |_: Event| async { Ok::<(), HandlerError>(()) };
    let err = Receiver::builder(h).start().unwrap_err();
    assert!(err.to_string().contains("secret"), "{err}");
    let err = Receiver::builder(h)
        .path_token("short")
        .start()
        .unwrap_err();
    assert!(err.to_string().contains("16"), "{err}");
    let err = Receiver::builder(h)
        .path_token("has/a/slash/in/it/0123")
        .start()
        .unwrap_err();
    assert!(err.to_string().contains("A-Z"), "{err}");
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413() {
    let (receiver, seen, _rx) = recording(|b| b);
    let base = serve(&receiver).await;
    let big = format!(
        r#"{{"type":"orders","id":"o1","action":"updated","user":1,"pad":"{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let r = post(&format!("{base}/{TOKEN}/pluggto"), big).await;
    assert_eq!(r.status(), 413);
    let r = post(
        &format!("{base}/{TOKEN}/ecomdc"),
        vec![b'{'; 2 * 1024 * 1024],
    )
    .await;
    assert_eq!(r.status(), 413);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(seen.count(), 0);
    assert_eq!(receiver.stats().queued, 0);
}

#[tokio::test]
async fn malformed_json_gets_400_and_a_redacted_dead_letter() {
    let (receiver, seen, _rx) = recording(|b| b);
    let base = serve(&receiver).await;
    let r = post(
        &format!("{base}/{TOKEN}/pluggto"),
        r#"{"type": "orders", "id": "o1", "url": "https://api.plugg.to/x?access_token=abc123" "#,
    )
    .await;
    assert_eq!(r.status(), 400);
    let dead = receiver.dead_letters().await.unwrap();
    assert_eq!(dead.len(), 1);
    let letter = &dead[0];
    assert_eq!(letter.envelope.endpoint, Endpoint::PluggtoNotification);
    assert!(letter.error.starts_with("not JSON"), "{}", letter.error);
    assert!(letter.body.contains(r#""id": "o1""#), "{}", letter.body);
    assert!(!letter.body.contains("abc123"), "redacted: {}", letter.body);
    assert!(!letter.replayable);
    assert_eq!(seen.count(), 0);
    assert_eq!(receiver.requeue_dead_letters().await.unwrap(), 0);
}

#[tokio::test]
async fn a_payload_that_stops_typing_is_kept_as_a_dead_letter() {
    let (receiver, seen, _rx) = recording(|b| b);
    let base = serve(&receiver).await;
    // JSON, but no `id`: answered 200 (the provider must not stop or retry), kept whole.
    let body = r#"{"type": "orders", "action": "updated", "user": 1}"#;
    let r = post(&format!("{base}/{TOKEN}/pluggto"), body).await;
    assert_eq!(r.status(), 200);
    eventually("dead-lettered", || receiver.stats().dead_letters == 1).await;
    let dead = receiver.dead_letters().await.unwrap();
    assert_eq!(dead[0].body, body);
    assert!(dead[0].replayable);
    assert!(dead[0].error.contains("id"), "{}", dead[0].error);
    assert_eq!(seen.count(), 0);
}

#[tokio::test]
async fn a_handler_failing_twice_then_succeeding_is_processed_once() {
    let calls = Arc::new(AtomicU32::new(0));
    let attempts = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (c, a) = (calls.clone(), attempts.clone());
    let handler = move |event: Event| {
        let (c, a) = (c.clone(), a.clone());
        async move {
            a.lock().unwrap().push(event.attempt());
            if c.fetch_add(1, Ordering::SeqCst) < 2 {
                return Err::<(), HandlerError>("database down".into());
            }
            Ok(())
        }
    };
    let (receiver, base) = started(handler, |b| {
        b.retries(5, Duration::from_millis(10), Duration::from_millis(40))
    })
    .await;
    let body = schema_example("ecomdc", "CallbackEstoque").to_string();
    assert_eq!(
        post(&format!("{base}/{TOKEN}/ecomdc"), body).await.status(),
        200
    );
    eventually("processed", || receiver.stats().processed == 1).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let stats = receiver.stats();
    assert_eq!(
        (stats.processed, stats.failures, stats.dead_letters),
        (1, 2, 0)
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(*attempts.lock().unwrap(), vec![1, 2, 3]);
}

#[tokio::test]
async fn a_handler_that_keeps_failing_ends_in_the_dead_letters_and_can_be_replayed() {
    let fail = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let f = fail.clone();
    let handler = move |_: Event| {
        let f = f.clone();
        async move {
            if f.load(Ordering::SeqCst) {
                return Err::<(), HandlerError>("ERP refused the order".into());
            }
            Ok(())
        }
    };
    let (receiver, base) = started(handler, |b| {
        b.retries(3, Duration::from_millis(5), Duration::from_millis(10))
    })
    .await;
    let body = schema_example("ecomdc", "CallbackPedido").to_string();
    assert_eq!(
        post(&format!("{base}/{TOKEN}/ecomdc"), body.clone())
            .await
            .status(),
        200
    );
    eventually("dead-lettered", || receiver.stats().dead_letters == 1).await;
    let dead = receiver.dead_letters().await.unwrap();
    assert_eq!(dead[0].error, "ERP refused the order");
    assert_eq!(dead[0].envelope.failures, 3);
    assert_eq!(dead[0].body, body, "the raw body is kept");
    assert_eq!(receiver.stats().failures, 3);
    fail.store(false, Ordering::SeqCst);
    assert_eq!(receiver.requeue_dead_letters().await.unwrap(), 1);
    eventually("processed after replay", || receiver.stats().processed == 1).await;
    assert!(receiver.dead_letters().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_full_in_process_queue_answers_503_and_drops_nothing() {
    let gate = Arc::new(Semaphore::new(0));
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (g, s) = (gate.clone(), seen.clone());
    let handler = move |event: Event| {
        let (g, s) = (g.clone(), s.clone());
        async move {
            let _p = g.acquire().await.unwrap();
            s.lock()
                .unwrap()
                .push(event.to_json()["event"]["id"].as_str().unwrap().to_owned());
            Ok::<(), HandlerError>(())
        }
    };
    let (receiver, base) = started(handler, |b| b.memory_queue(5).concurrency(2)).await;
    let body = |i: usize| {
        json!({"type": "orders", "id": format!("o{i}"), "action": "created", "user": 1}).to_string()
    };
    let mut refused = Vec::new();
    for i in 0..8 {
        let status = post(&format!("{base}/{TOKEN}/pluggto"), body(i))
            .await
            .status();
        match status.as_u16() {
            200 => {}
            503 => refused.push(i),
            other => panic!("{other}"),
        }
    }
    // Five places: two handlers running (blocked) and three waiting.
    assert_eq!(refused, vec![5, 6, 7]);
    assert_eq!(receiver.stats().refused_full, 3);
    gate.add_permits(100);
    eventually("the five are handled", || seen.lock().unwrap().len() == 5).await;
    // The provider sends the refused ones again; now there is room.
    for i in refused {
        assert_eq!(
            post(&format!("{base}/{TOKEN}/pluggto"), body(i))
                .await
                .status(),
            200
        );
    }
    eventually("all eight are handled", || seen.lock().unwrap().len() == 8).await;
    let mut ids = seen.lock().unwrap().clone();
    ids.sort();
    assert_eq!(ids, (0..8).map(|i| format!("o{i}")).collect::<Vec<_>>());
}

#[tokio::test]
async fn repeats_within_the_window_are_handled_once() {
    let (receiver, seen, _rx) = recording(|b| b.dedup_window(Duration::from_secs(60)));
    let base = serve(&receiver).await;
    let n = |id: &str, stock: bool| {
        json!({"type": "products", "id": id, "action": "updated", "user": 1,
               "changes": {"status": false, "stock": stock, "price": false}})
    };
    for body in [
        n("p1", true),
        n("p1", true),
        // The same notification with its keys in another order and the action in capitals is
        // still a repeat.
        json!({"changes": {"price": false, "stock": true, "status": false}, "user": 1,
               "action": "UPDATED", "id": "p1", "type": "products"}),
        n("p1", false),
        n("p2", true),
    ] {
        assert_eq!(
            post(&format!("{base}/{TOKEN}/pluggto"), body.to_string())
                .await
                .status(),
            200
        );
    }
    let stock = schema_example("ecomdc", "CallbackEstoque").to_string();
    for _ in 0..3 {
        assert_eq!(
            post(&format!("{base}/{TOKEN}/ecomdc"), stock.clone())
                .await
                .status(),
            200
        );
    }
    let mut changed = schema_example("ecomdc", "CallbackEstoque");
    changed["estoque"] = json!("20");
    assert_eq!(
        post(&format!("{base}/{TOKEN}/ecomdc"), changed.to_string())
            .await
            .status(),
        200
    );
    eventually("handled", || seen.count() == 5).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(seen.count(), 5, "{:#?}", seen.all());
    assert_eq!(receiver.stats().duplicates, 4);
}

#[tokio::test]
async fn notifications_about_one_resource_share_one_fetch() {
    let server = MockServer::start_async().await;
    pluggto_token(&server).await;
    let order = server
        .mock_async(|when, then| {
            when.method(GET).path("/orders/5877efb70280833e402e54bc");
            then.status(200)
                .json_body(response_example("pluggto", "get_order", "200"));
        })
        .await;
    let other = server
        .mock_async(|when, then| {
            when.method(GET).path("/skus/sku-1");
            then.status(200)
                .json_body(response_example("pluggto", "get_sku", "200"));
        })
        .await;
    let fetched = Arc::new(std::sync::Mutex::new(Vec::new()));
    let f = fetched.clone();
    let handler = move |event: Event| {
        let f = f.clone();
        async move {
            let resource = event.fetch().await?;
            f.lock().unwrap().push(resource);
            Ok::<(), HandlerError>(())
        }
    };
    let (receiver, base) = started(handler, |b| {
        b.pluggto(pluggto_client(&server))
            .coalesce_window(Duration::from_secs(2))
    })
    .await;
    // A burst: created, then three different updates, about one order; plus a SKU and a
    // deleted SKU (which costs nothing).
    let id = "5877efb70280833e402e54bc";
    for (action, changes) in [
        ("created", json!({})),
        ("updated", json!({"status": true})),
        ("updated", json!({"price": true})),
        ("updated", json!({"status": true, "stock": true})),
    ] {
        let body =
            json!({"type": "orders", "id": id, "action": action, "user": 1, "changes": changes});
        assert_eq!(
            post(&format!("{base}/{TOKEN}/pluggto"), body.to_string())
                .await
                .status(),
            200
        );
    }
    for body in [
        json!({"type": "skus", "id": "sku-1", "action": "updated", "user": 1}),
        json!({"type": "skus", "id": "sku-2", "action": "deleted", "user": 1}),
    ] {
        assert_eq!(
            post(&format!("{base}/{TOKEN}/pluggto"), body.to_string())
                .await
                .status(),
            200
        );
    }
    eventually("all handled", || receiver.stats().processed == 6).await;
    assert_eq!(order.calls_async().await, 1, "one read for the burst");
    assert_eq!(other.calls_async().await, 1);
    let fetched = fetched.lock().unwrap().clone();
    let orders = fetched
        .iter()
        .filter(|r| matches!(r, Resource::Pluggto(Notified::Order(_))))
        .count();
    assert_eq!(orders, 4);
    assert!(fetched.contains(&Resource::Pluggto(Notified::DeletedSku {
        sku: "sku-2".into()
    })));
    assert_eq!(receiver.stats().fetches, 2);
    assert_eq!(receiver.stats().shared_fetches, 3);
    // A notification arriving after the read started gets a read of its own.
    let body = json!({"type": "orders", "id": id, "action": "updated", "user": 1});
    assert_eq!(
        post(&format!("{base}/{TOKEN}/pluggto"), body.to_string())
            .await
            .status(),
        200
    );
    eventually("handled", || receiver.stats().processed == 7).await;
    assert_eq!(order.calls_async().await, 2);
}

#[tokio::test]
async fn an_ecomdc_callback_reads_the_stock_and_the_order_back() {
    let server = MockServer::start_async().await;
    let stock = server
        .mock_async(|when, then| {
            when.method(GET).path("/item/PL_890M/estoque");
            then.status(200).json_body(json!({"estoque": 19}));
        })
        .await;
    let order = server
        .mock_async(|when, then| {
            when.method(GET).path("/pedido/1");
            then.status(200)
                .json_body(response_example("ecomdc", "get_order", "200"));
        })
        .await;
    let client =
        brcommerce::ecomdc::Client::builder(brcommerce::ecomdc::Credentials::new("1", "t"))
            .base_url(server.base_url())
            .build()
            .unwrap();
    let fetched = Arc::new(std::sync::Mutex::new(Vec::new()));
    let f = fetched.clone();
    let handler = move |event: Event| {
        let f = f.clone();
        async move {
            let resource = event.fetch().await?;
            f.lock().unwrap().push(resource);
            Ok::<(), HandlerError>(())
        }
    };
    let (_receiver, base) = started(handler, |b| {
        b.ecomdc(client).coalesce_window(Duration::ZERO)
    })
    .await;
    for schema in ["CallbackEstoque", "CallbackPedido"] {
        let body = schema_example("ecomdc", schema).to_string();
        assert_eq!(
            post(&format!("{base}/{TOKEN}/ecomdc"), body).await.status(),
            200
        );
        eventually("handled", || {
            fetched.lock().unwrap().len() == if schema == "CallbackEstoque" { 1 } else { 2 }
        })
        .await;
    }
    let fetched = fetched.lock().unwrap().clone();
    assert_eq!(
        fetched[0],
        Resource::Ecomdc(Fetched::Stock {
            referencia: "PL_890M".into(),
            estoque: 19
        })
    );
    assert!(matches!(&fetched[1], Resource::Ecomdc(Fetched::Order(_))));
    stock.assert_async().await;
    order.assert_async().await;
}

#[tokio::test]
async fn without_a_quoter_the_freight_path_is_404() {
    let (receiver, _, _rx) = recording(|b| b);
    let base = serve(&receiver).await;
    let r = post(&format!("{base}/{TOKEN}/pluggto/freight"), "{}").await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn shutdown_waits_for_running_handlers() {
    let done = Arc::new(AtomicU32::new(0));
    let d = done.clone();
    let handler = move |_: Event| {
        let d = d.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            d.fetch_add(1, Ordering::SeqCst);
            Ok::<(), HandlerError>(())
        }
    };
    let (receiver, base) = started(handler, |b| b).await;
    let body = schema_example("ecomdc", "CallbackEstoque").to_string();
    assert_eq!(
        post(&format!("{base}/{TOKEN}/ecomdc"), body).await.status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    receiver.shutdown().await;
    assert_eq!(done.load(Ordering::SeqCst), 1);
}
