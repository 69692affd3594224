//! The contract of every provider's facade, checked at compile time (this file compiles or the
//! contract is broken): a client is shared by tasks (`Send + Sync + 'static`), its calls are
//! `Send` futures, and its streams own what they need (`Send + 'static`, outliving the filter
//! and the borrow of the client they came from), so they move into `tokio::spawn`.

use brcommerce::{appclubmais, connectplug, ecomdc, pluggto};

fn shared<T: Send + Sync + 'static>(_: &T) {}
fn sendable<T: Send>(_: &T) {}

fn ecomdc_streams(client: &ecomdc::Client) -> impl Send + 'static + use<> {
    shared(client);
    sendable(&client.orders_page(&ecomdc::OrderFilter::new(), None));
    sendable(&client.products_page(&ecomdc::ProductFilter::new(), None));
    (
        client.orders(&ecomdc::OrderFilter::new()),
        client.products(&ecomdc::ProductFilter::new()),
    )
}

fn pluggto_streams(client: &pluggto::Client) -> impl Send + 'static + use<> {
    shared(client);
    sendable(&client.orders_page(&pluggto::OrderFilter::new(), None));
    sendable(&client.products_page(&pluggto::ProductFilter::new(), None));
    sendable(&client.messages_page(&pluggto::MessageFilter::new(), None));
    (
        client.orders(&pluggto::OrderFilter::new()),
        client.products(&pluggto::ProductFilter::new()),
        client.messages(&pluggto::MessageFilter::new()),
    )
}

fn appclubmais_streams(client: &appclubmais::Client) -> impl Send + 'static + use<> {
    shared(client);
    sendable(&client.orders_page(&appclubmais::OrderFilter::new(), None));
    client.orders(&appclubmais::OrderFilter::new())
}

fn connectplug_streams(client: &connectplug::Client) -> impl Send + 'static + use<> {
    shared(client);
    sendable(&client.products_page(&connectplug::ProductFilter::new(), None));
    (
        client.products(&connectplug::ProductFilter::new()),
        client.stocks(),
        client.sale_orders(),
        client.customers(),
        client.companies(),
        client.all(|raw, page, size| Box::pin(raw.list_units().page(page).per_page(size).send())),
    )
}

/// A stream of each provider runs on another task, after the client and filter that made it
/// are gone.
#[tokio::test]
async fn every_stream_moves_into_tokio_spawn() {
    let ecomdc = ecomdc::Client::new(ecomdc::Credentials::new("1", "t")).unwrap();
    let pluggto = pluggto::Client::new(pluggto::Credentials::password("c", "s", "u", "p")).unwrap();
    let appclubmais = appclubmais::Client::new(appclubmais::Credentials::new(
        appclubmais::ClientId::Number(1),
        "s",
    ))
    .unwrap();
    let connectplug =
        connectplug::Client::builder(connectplug::Credentials::password("c", "s", "u", "p"))
            .company(1)
            .build()
            .unwrap();
    let streams = (
        ecomdc_streams(&ecomdc),
        pluggto_streams(&pluggto),
        appclubmais_streams(&appclubmais),
        connectplug_streams(&connectplug),
    );
    drop((ecomdc, pluggto, appclubmais, connectplug));
    // Nothing is polled (no request is sent): what is checked is that the streams move.
    tokio::spawn(async move { drop(streams) }).await.unwrap();
}
