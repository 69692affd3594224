//! PluggTo client against local httpmock servers: every operation, the grants and the rotating
//! refresh token (persisted across restarts, one refresh for many callers, one renewal after a
//! 401), envelopes, cursor paging, open enums, error shapes and webhooks.

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod evidence;
mod operations;
mod paging;
mod webhooks;

use brcommerce::pluggto::{Client, Credentials};
use httpmock::Method::POST;
use httpmock::{Mock, MockServer};
use serde_json::json;

pub const CLIENT_SECRET: &str = "pt-secret-9c8b7a";
pub const API_PASSWORD: &str = "pt-pass-6d5e4f";
pub const TOKEN: &str = "pt-access-1a2b3c";

pub fn credentials() -> Credentials {
    Credentials::password("plugin-1", CLIENT_SECRET, "api-user", API_PASSWORD)
}

pub fn client(server: &MockServer) -> Client {
    Client::builder(credentials())
        .base_url(server.base_url())
        .retry(common::fast_retry())
        .build()
        .unwrap()
}

/// The token endpoint answering `access` / `refresh` for an hour.
pub async fn token_endpoint<'a>(server: &'a MockServer, access: &str, refresh: &str) -> Mock<'a> {
    let (access, refresh) = (access.to_owned(), refresh.to_owned());
    server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth/token");
            then.status(200).json_body(json!({
                "access_token": access, "refresh_token": refresh,
                "expires_in": 3600, "token_type": "bearer"
            }));
        })
        .await
}

pub fn example(op: &str, status: &str) -> serde_json::Value {
    common::response_example("pluggto", op, status)
}

pub fn body_example(op: &str) -> serde_json::Value {
    common::request_example("pluggto", op)
}

/// Form fields of an `application/x-www-form-urlencoded` body.
pub fn form(body: &str) -> std::collections::BTreeMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}
