//! ecomDC client against local httpmock servers: every operation, each provider quirk, every
//! documented error status, pacing, paging, images, order workflow and callbacks.

#[path = "../common/mod.rs"]
mod common;

mod callbacks;
mod errors;
mod images;
mod orders;
mod pacing;
mod prices_stock;
mod products;
#[cfg(feature = "sandbox")]
mod sandbox;

use brcommerce::ecomdc::{Client, Credentials};
use httpmock::MockServer;

pub const ID: &str = "3566";
pub const TOKEN: &str = "tok-3481260001-secret";

/// A client for `server` without pacing and with fast retries.
pub fn client(server: &MockServer) -> Client {
    Client::builder(Credentials::new(ID, TOKEN))
        .base_url(server.base_url())
        .rate_limits(common::unlimited())
        .retry(common::fast_retry())
        .build()
        .unwrap()
}

pub fn example(op: &str, status: &str) -> serde_json::Value {
    common::response_example("ecomdc", op, status)
}

pub fn body_example(op: &str) -> serde_json::Value {
    common::request_example("ecomdc", op)
}
