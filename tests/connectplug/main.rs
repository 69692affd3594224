//! ConnectPlug client against local httpmock servers: every operation of the spec (request
//! shape, company header, idempotency key on writes, decoding of the documented answer), the
//! token, company scoping, paging, error bodies, Money and the multipart uploads.

#[path = "../common/mod.rs"]
mod common;

use brcommerce::connectplug::{Client, Credentials};
use httpmock::Method::POST;
use httpmock::{Mock, MockServer};
use serde_json::{Value, json};

pub const CLIENT_SECRET: &str = "cp-secret-4b3a29";
pub const USER_PASSWORD: &str = "cp-pass-8e7d6c";
pub const TOKEN: &str = "cp-access-5f6e7d";
pub const COMPANY: i64 = 12;

pub fn credentials() -> Credentials {
    Credentials::password("3", CLIENT_SECRET, "integracao@loja.com.br", USER_PASSWORD)
}

pub fn client(server: &MockServer) -> Client {
    Client::builder(credentials())
        .base_url(server.base_url())
        .token_url(server.base_url())
        .company(COMPANY)
        .retry(common::fast_retry())
        .build()
        .unwrap()
}

/// The token endpoint, answering [`TOKEN`] for a year.
pub async fn token_endpoint(server: &MockServer) -> Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth/token");
            then.status(200).json_body(json!({
                "token_type": "Bearer", "expires_in": 31536000,
                "access_token": TOKEN, "refresh_token": "cp-refresh-1"
            }));
        })
        .await
}

/// The first success status of an operation and its example body, if it has one.
pub fn success(op: &str) -> (u16, Option<Value>) {
    let spec = common::spec("connectplug");
    let operation = common::operation(&spec, op);
    let (status, response) = operation["responses"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.starts_with('2'))
        .unwrap();
    let response = common::resolve(&spec, response);
    let example = response
        .get("content")
        .map(|_| common::response_example("connectplug", op, status));
    (status.parse().unwrap(), example)
}

pub fn request_example(op: &str) -> Value {
    common::request_example("connectplug", op)
}

pub fn respond(then: httpmock::Then, status: u16, body: &Option<Value>) {
    match body {
        Some(b) => {
            then.status(status).json_body(b.clone());
        }
        None => {
            then.status(status);
        }
    }
}

/// JSON as a user compares it: numbers by value, `null`, `[]` and `{}` the same as absent,
/// and timestamps by instant.
pub fn normalized(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64().unwrap()),
        Value::String(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => json!(t.timestamp()),
            Err(_) => v.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(normalized).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalized(v)))
                .filter(|(_, v)| {
                    !v.is_null()
                        && v.as_array().is_none_or(|a| !a.is_empty())
                        && v.as_object().is_none_or(|o| !o.is_empty())
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The decoded answer says what the documented example says.
#[track_caller]
pub fn check_decoded(decoded: &Value, example: Option<&Value>) {
    match example {
        Some(e) => assert_eq!(
            normalized(decoded),
            normalized(e),
            "\ndecoded: {decoded}\nexample: {e}"
        ),
        None => assert!(decoded.is_null(), "expected no body, decoded {decoded}"),
    }
}

/// A read: company header and bearer token sent, the documented answer decoded.
macro_rules! read_test {
    ($name:ident, $method:ident, $path:literal, |$c:ident| $call:expr) => {
        #[tokio::test]
        async fn $name() {
            let server = httpmock::MockServer::start_async().await;
            crate::token_endpoint(&server).await;
            let (status, example) = crate::success(stringify!($name));
            let mock = server
                .mock_async(|when, then| {
                    when.method(httpmock::Method::$method)
                        .path($path)
                        .header("cplug-company-id", crate::COMPANY.to_string())
                        .header("authorization", format!("Bearer {}", crate::TOKEN));
                    crate::respond(then, status, &example);
                })
                .await;
            let $c = crate::client(&server);
            let got = $c.run($call).await.unwrap();
            mock.assert_async().await;
            crate::check_decoded(&serde_json::to_value(&got).unwrap(), example.as_ref());
        }
    };
}

/// A write: as a read, plus a UUID `Idempotency-Key` and (with a body) the documented request
/// body sent as it is.
macro_rules! write_test {
    ($name:ident, $method:ident, $path:literal, |$c:ident, $body:ident: $ty:ident| $call:expr) => {
        #[tokio::test]
        async fn $name() {
            let sent = crate::request_example(stringify!($name));
            let $body: brcommerce::connectplug::types::$ty =
                serde_json::from_value(sent.clone()).unwrap();
            let bodies = crate::common::Bodies::default();
            let server = httpmock::MockServer::start_async().await;
            let (mock, example, $c) = crate::write_setup(
                &server,
                stringify!($name),
                httpmock::Method::$method,
                $path,
                Some(&bodies),
            )
            .await;
            let got = $c.run($call).await.unwrap();
            mock.assert_async().await;
            crate::check_decoded(&serde_json::to_value(&got).unwrap(), example.as_ref());
            assert_eq!(
                crate::normalized(&bodies.last_json()),
                crate::normalized(&sent)
            );
        }
    };
    ($name:ident, $method:ident, $path:literal, |$c:ident| $call:expr) => {
        #[tokio::test]
        async fn $name() {
            let server = httpmock::MockServer::start_async().await;
            let (mock, example, $c) = crate::write_setup(
                &server,
                stringify!($name),
                httpmock::Method::$method,
                $path,
                None,
            )
            .await;
            let got = $c.run($call).await.unwrap();
            mock.assert_async().await;
            crate::check_decoded(&serde_json::to_value(&got).unwrap(), example.as_ref());
        }
    };
}

pub const UUID: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$";

/// A server with the token endpoint and a mock of a write that requires the company header,
/// the token and a UUID idempotency key.
pub async fn write_setup<'a>(
    server: &'a MockServer,
    op: &'static str,
    method: httpmock::Method,
    path: &'static str,
    bodies: Option<&common::Bodies>,
) -> (Mock<'a>, Option<Value>, Client) {
    token_endpoint(server).await;
    let (status, example) = success(op);
    let mock = server
        .mock_async(|when, then| {
            let when = when
                .method(method)
                .path(path)
                .header("cplug-company-id", COMPANY.to_string())
                .header("authorization", format!("Bearer {TOKEN}"))
                .header_matches("idempotency-key", UUID);
            if let Some(b) = bodies {
                b.record(when);
            }
            respond(then, status, &example);
        })
        .await;
    let c = client(server);
    (mock, example, c)
}

mod audit;
mod behaviour;
mod every_operation;
