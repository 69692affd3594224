//! Callbacks ecomDC POSTs to the URL configured in the store's admin ("Callbacks" tab).
//!
//! One URL receives both kinds; the `evento` field tells them apart. Every value arrives as a
//! string. ecomDC does not sign callbacks: treat a payload as a hint and read the order or stock
//! back through the API before acting on it. Answer 2xx quickly; the provider may stop sending
//! to a URL that fails.

use serde::Deserialize;

use super::types;
use crate::common::call::decode_path;
use crate::common::error::{Error, ErrorKind, Provider, Result};

const OP: &str = "callback";

/// A parsed callback.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Callback {
    /// `evento=estoque`: an option's stock changed.
    Stock(types::CallbackEstoque),
    /// `evento=pedido`: an order changed; `pedido` has the fields of `GET /pedido/{id}`.
    Order(Box<types::CallbackPedido>),
    /// An `evento` this version does not know, kept as JSON.
    Unknown {
        /// The `evento` value.
        evento: String,
        /// The whole payload.
        payload: serde_json::Value,
    },
}

#[derive(Deserialize)]
struct Head {
    evento: String,
}

/// Parses a callback body.
///
/// # Errors
/// [`ErrorKind::Decode`] with the JSON path of the first bad value.
pub fn parse(body: &[u8]) -> Result<Callback> {
    let head: Head =
        serde_json::from_slice(body).map_err(|e| decode(String::from("evento"), e.to_string()))?;
    match head.evento.as_str() {
        "estoque" => typed(body).map(Callback::Stock),
        "pedido" => typed(body).map(|p| Callback::Order(Box::new(p))),
        _ => {
            let payload =
                serde_json::from_slice(body).map_err(|e| decode(String::new(), e.to_string()))?;
            Ok(Callback::Unknown {
                evento: head.evento,
                payload,
            })
        }
    }
}

fn typed<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| match decode_path::<T>(body) {
        Some((path, message)) => decode(path, message),
        None => decode(String::new(), e.to_string()),
    })
}

fn decode(path: String, message: String) -> Error {
    Error::new(Provider::Ecomdc, OP, ErrorKind::Decode { path, message })
}
