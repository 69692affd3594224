//! Running one generated call and turning its outcome into this crate's [`Error`].
//!
//! The hooks record what happened (attempts, last status, whether a write may have been
//! applied, why a token could not be had) in the call's scope; this module reads that record to
//! build an error that names the provider, the operation and, for a payload that does not match
//! the spec, the JSON path of the bad value. The path is found by decoding again with
//! `serde_path_to_error`, only when decoding failed, so the happy path pays nothing.

use std::future::Future;

use progenitor_client::{Error as GenError, ResponseValue};
use serde::de::DeserializeOwned;

use crate::common::error::{Error, ErrorKind, Provider, ProviderError, excerpt};
use crate::common::runtime::{CallOptions, CallScope, Report, Runtime};
use crate::common::secret::TransportError;

/// Turns a provider's typed error body into a [`ProviderError`].
pub trait ErrorBody {
    /// Builds the error for an answer with `status`.
    fn into_provider_error(self, status: u16) -> ProviderError;
}

impl ErrorBody for () {
    fn into_provider_error(self, status: u16) -> ProviderError {
        ProviderError::new(status, "")
    }
}

/// A generated call, boxed as soon as it is handed over so the large generated future is not
/// copied again on its way in.
type Generated<'a, T, E> =
    std::pin::Pin<Box<dyn Future<Output = Result<ResponseValue<T>, GenError<E>>> + Send + 'a>>;

/// Runs a generated call under `options` and maps its error.
pub(crate) fn run<'a, T, E, F>(
    rt: &'a Runtime,
    operation: &'static str,
    options: CallOptions,
    call: F,
) -> impl Future<Output = Result<T, Error>> + Send + 'a
where
    T: DeserializeOwned + Send + 'a,
    E: ErrorBody + Send + 'a,
    F: Future<Output = Result<ResponseValue<T>, GenError<E>>> + Send + 'a,
{
    run_boxed(rt, operation, options, Box::pin(call))
}

async fn run_boxed<T, E>(
    rt: &Runtime,
    operation: &'static str,
    options: CallOptions,
    call: Generated<'_, T, E>,
) -> Result<T, Error>
where
    T: DeserializeOwned,
    E: ErrorBody,
{
    let scope = CallScope::new(options);
    let result = scope.clone().run(call).await;
    let report = scope.take_report();
    match result {
        Ok(value) => Ok(value.into_inner()),
        Err(e) => {
            let attempts = report.attempts;
            Err(map_error::<T, E>(rt, operation, e, report)
                .await
                .with_attempts(attempts))
        }
    }
}

async fn map_error<T: DeserializeOwned, E: ErrorBody>(
    rt: &Runtime,
    operation: &'static str,
    error: GenError<E>,
    mut report: Report,
) -> Error {
    let p = rt.provider;
    match error {
        GenError::Custom(message) => report
            .hook_error
            .take()
            .map(|e| e.with_operation(operation))
            .unwrap_or_else(|| Error::new(p, operation, ErrorKind::Config { message })),
        GenError::InvalidRequest(message) => {
            let field = builder_field(&message).unwrap_or("request").to_owned();
            Error::new(p, operation, ErrorKind::InvalidInput { field, message })
        }
        GenError::CommunicationError(e)
        | GenError::ResponseBodyError(e)
        | GenError::InvalidUpgrade(e) => transport(rt, operation, &e, report.may_have_been_applied),
        GenError::ErrorResponse(value) => {
            let status = value.status().as_u16();
            let body = value.into_inner().into_provider_error(status);
            from_status(rt, operation, status, body, report)
        }
        GenError::InvalidResponsePayload(bytes, err) => match report.last_status {
            Some(status) if status >= 400 => {
                let body = raw_provider_error(status, &bytes);
                from_status(rt, operation, status, body, report)
            }
            _ => decode_error::<T>(rt, operation, &bytes, &err),
        },
        GenError::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let bytes = match response.bytes().await {
                Ok(b) => b,
                Err(e) => return transport(rt, operation, &e, false),
            };
            if status < 400 {
                let message = format!("undocumented status {status}; body: {}", excerpt(&bytes));
                Error::new(
                    p,
                    operation,
                    ErrorKind::Decode {
                        path: String::new(),
                        message,
                    },
                )
            } else {
                from_status(
                    rt,
                    operation,
                    status,
                    raw_provider_error(status, &bytes),
                    report,
                )
            }
        }
    }
}

fn transport(rt: &Runtime, operation: &'static str, e: &reqwest::Error, maybe: bool) -> Error {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout {
            may_have_been_applied: maybe,
        }
    } else {
        ErrorKind::Transport {
            may_have_been_applied: maybe,
        }
    };
    Error::new(rt.provider, operation, kind).with_source(TransportError::new(e))
}

fn from_status(
    rt: &Runtime,
    operation: &'static str,
    status: u16,
    body: ProviderError,
    mut report: Report,
) -> Error {
    let p = rt.provider;
    if rt.auth_statuses.contains(&status) {
        // A renewal that failed after the 401 says more than the 401 itself.
        if let Some(e) = report.hook_error.take() {
            return e.with_operation(operation);
        }
        return Error::new(
            p,
            operation,
            ErrorKind::Auth {
                status: Some(status),
                message: body.message,
            },
        );
    }
    if status == 429 {
        return Error::new(
            p,
            operation,
            ErrorKind::RateLimited {
                retry_after: report.retry_after,
            },
        );
    }
    let body = ProviderError {
        body: body.body.or_else(|| report.error_body.take()),
        ..body
    };
    Error::new(p, operation, ErrorKind::Provider(body))
}

/// An error answer whose body is not the documented error shape: keep its text.
pub(crate) fn raw_provider_error(status: u16, bytes: &[u8]) -> ProviderError {
    let message = serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| message_in(&v))
        .unwrap_or_else(|| excerpt(bytes).trim().to_owned());
    ProviderError {
        status,
        message,
        body: Some(excerpt(bytes)),
        ..ProviderError::default()
    }
}

/// The first message-like string in a JSON error body.
pub(crate) fn message_in(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(map) => [
            "message",
            "error",
            "erro",
            "mensagem",
            "error_description",
            "msg",
        ]
        .iter()
        .find_map(|k| map.get(*k).and_then(message_in)),
        _ => None,
    }
}

fn decode_error<T: DeserializeOwned>(
    rt: &Runtime,
    operation: &'static str,
    bytes: &[u8],
    original: &serde_json::Error,
) -> Error {
    let (path, message) = match decode_path::<T>(bytes) {
        Some((path, message)) => (path, message),
        None => (String::new(), original.to_string()),
    };
    let message = format!("{message}; body: {}", excerpt(bytes));
    Error::new(rt.provider, operation, ErrorKind::Decode { path, message })
}

/// Decodes `bytes` as `T` again to find where it fails.
pub(crate) fn decode_path<T: DeserializeOwned>(bytes: &[u8]) -> Option<(String, String)> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(_) => None,
        Err(e) => Some((e.path().to_string(), e.inner().to_string())),
    }
}

/// The field a generated builder complained about. Builders say `conversion to `T` for <param>
/// failed: ...`, and typify's struct builders `error converting supplied value for <field>: ...`
/// or `no value supplied for <field>`.
pub(crate) fn builder_field(message: &str) -> Option<&str> {
    for marker in ["supplied value for ", "no value supplied for "] {
        if let Some((_, rest)) = message.rsplit_once(marker) {
            return rest.split([':', ' ']).next().filter(|f| !f.is_empty());
        }
    }
    let after = message.split_once(" for ")?.1;
    Some(after.split_once(" failed")?.0)
}

/// A token endpoint's refusal as an authentication failure (the grant was refused, whatever
/// the status).
#[cfg_attr(
    not(any(feature = "pluggto", feature = "appclubmais", feature = "connectplug")),
    allow(dead_code)
)]
pub(crate) fn token_refused(e: Error) -> Error {
    match e.kind() {
        ErrorKind::Provider(p) => {
            let kind = ErrorKind::Auth {
                status: Some(p.status),
                message: p.message.clone(),
            };
            Error::new(e.provider(), e.operation().to_owned(), kind).with_attempts(e.attempts())
        }
        _ => e,
    }
}

/// An OAuth 2 error body (`{error, error_description, message}`) as a [`ProviderError`]: the
/// first non-empty explanation is the message, `error` the code.
#[cfg_attr(
    not(any(feature = "pluggto", feature = "appclubmais", feature = "connectplug")),
    allow(dead_code)
)]
pub(crate) fn oauth_error(
    status: u16,
    error: Option<String>,
    description: Option<String>,
    message: Option<String>,
) -> ProviderError {
    let text = [description, message, error.clone()]
        .into_iter()
        .flatten()
        .find(|m| !m.is_empty())
        .unwrap_or_default();
    ProviderError {
        status,
        message: text,
        code: error,
        ..ProviderError::default()
    }
}

/// A request body from anything convertible into it (a generated builder, the type itself),
/// refusing before anything is sent with the field the conversion named.
pub(crate) fn typed<T, B>(provider: Provider, value: B, operation: &'static str) -> Result<T, Error>
where
    B: TryInto<T>,
    B::Error: std::fmt::Display,
{
    value.try_into().map_err(|e| {
        let message = e.to_string();
        let field = builder_field(&message).unwrap_or("body").to_owned();
        Error::new(
            provider,
            operation,
            ErrorKind::InvalidInput { field, message },
        )
    })
}

/// The methods every provider's `Client` facade has, written once: `builder`, `new`,
/// `with_options`, `stats` and the private `call` that runs a generated call through
/// [`run`]. With `token_requests` as argument it adds that counter too (providers whose token
/// comes from an endpoint; the client has an `auth: TokenAuth` field).
///
/// Invoked inside `impl Client` of a provider module where `Credentials`, `generated` and
/// `types` name the provider's items; the client derives `Clone`, has an `options: CallOptions`
/// field and a `runtime(&self) -> &Runtime` method.
macro_rules! facade_basics {
    (token_requests) => {
        $crate::common::call::facade_basics!();

        /// How many times the token endpoint was called (the token is cached for its lifetime
        /// and refreshed once for all concurrent calls).
        pub fn token_requests(&self) -> u64 {
            self.auth.fetch_count()
        }
    };
    () => {
        /// Starts configuring a client.
        pub fn builder(credentials: Credentials) -> $crate::common::config::Builder<Credentials> {
            $crate::common::config::Builder::new(credentials)
        }

        /// A client with the default settings: production URL, pacing to the provider's
        /// published quotas (if it publishes any), standard retries.
        ///
        /// # Errors
        /// As `Builder::build`.
        pub fn new(credentials: Credentials) -> $crate::common::error::Result<Self> {
            Self::builder(credentials).build()
        }

        /// A handle whose calls use `options` (timeout, retry policy, idempotency key); it
        /// shares everything else with this one.
        pub fn with_options(&self, options: $crate::common::runtime::CallOptions) -> Self {
            Self {
                options,
                ..self.clone()
            }
        }

        /// Requests, retries and throttling seen by this client and its clones.
        pub fn stats(&self) -> $crate::common::runtime::StatsSnapshot {
            self.runtime().stats()
        }

        /// Runs a generated call with this handle's options; errors name `operation`.
        fn call<'a, T, F>(
            &'a self,
            operation: &'static str,
            fut: F,
        ) -> impl std::future::Future<Output = $crate::common::error::Result<T>> + 'a
        where
            T: serde::de::DeserializeOwned + Send + 'a,
            F: std::future::Future<
                    Output = std::result::Result<
                        progenitor_client::ResponseValue<T>,
                        progenitor_client::Error<types::Error>,
                    >,
                > + Send
                + 'a,
        {
            $crate::common::call::run(self.runtime(), operation, self.options.clone(), fut)
        }
    };
}
pub(crate) use facade_basics;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_name_from_builder_message() {
        assert_eq!(
            builder_field("conversion to `String` for codigo failed: x"),
            Some("codigo")
        );
        assert_eq!(builder_field("something else"), None);
        assert_eq!(
            builder_field(
                "conversion to `ProductCreate` for body failed: error converting supplied value for nome: longer than 100 characters"
            ),
            Some("nome")
        );
        assert_eq!(builder_field("no value supplied for preco"), Some("preco"));
    }

    #[test]
    fn message_from_common_error_bodies() {
        let v =
            serde_json::json!({"success": false, "error": "Cliente não encontrado.", "code": 404});
        assert_eq!(message_in(&v).as_deref(), Some("Cliente não encontrado."));
        let v = serde_json::json!({"message": "Unauthenticated."});
        assert_eq!(message_in(&v).as_deref(), Some("Unauthenticated."));
    }
}
