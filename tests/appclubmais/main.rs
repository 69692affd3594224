//! AppClubMais client against local httpmock servers: every operation, the token (cached,
//! renewed once after a 401), Accept on every request, envelopes and success:false, decimals and
//! dates, CPF validation, and validation-error maps.

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod envelope;
mod operations;
mod values;

use brcommerce::appclubmais::{Client, ClientId, Credentials};
use httpmock::Method::POST;
use httpmock::{Mock, MockServer};
use serde_json::json;

pub const SECRET: &str = "acm-secret-7f6e5d";
pub const TOKEN: &str = "acm-token-1a2b3c";

pub fn client(server: &MockServer) -> Client {
    Client::builder(Credentials::new(ClientId::Number(29), SECRET))
        .base_url(server.base_url())
        .retry(common::fast_retry())
        .build()
        .unwrap()
}

/// The token endpoint, answering `token`.
pub async fn token_endpoint<'a>(server: &'a MockServer, token: &str) -> Mock<'a> {
    let token = token.to_owned();
    server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth/token");
            then.status(200).json_body(
                json!({"token_type": "Bearer", "expires_in": 31536000, "access_token": token}),
            );
        })
        .await
}

pub fn example(op: &str, status: &str) -> serde_json::Value {
    common::response_example("appclubmais", op, status)
}

pub fn body_example(op: &str) -> serde_json::Value {
    common::request_example("appclubmais", op)
}
