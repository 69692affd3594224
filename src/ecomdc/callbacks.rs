//! Callbacks ecomDC POSTs to the URL configured in the store's admin ("Callbacks" tab).
//!
//! One URL receives both kinds; the `evento` field tells them apart. Every value arrives as a
//! string, but ids and numbers are also read from JSON numbers (the manual does not promise
//! strings), and a payload is read with the same repairs as an answer of the API (the order in
//! an order callback is the one `GET /pedido/{id}` returns); an order callback as short as the
//! manual prints it (cut off after `fase_atual`) is read too. ecomDC does not sign callbacks:
//! treat a payload as a hint and read the order or stock back through the API before acting on
//! it ([`Client::fetch_callback`]). Answer 2xx quickly; the provider may stop sending to a URL
//! that fails.

use serde::Deserialize;

use super::client::Client;
use super::generated::schemas;
use super::types;
use crate::common::error::{Error, ErrorKind, Provider, Result};
use crate::common::shapes;

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
        "estoque" => typed(body, "CallbackEstoque").map(Callback::Stock),
        "pedido" => typed(body, "CallbackPedido").map(|p| Callback::Order(Box::new(p))),
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

/// Decodes a payload of the spec's `schema`; one that does not decode is repaired by the
/// spec's shapes first, as answers are (`common::shapes`).
fn typed<T: serde::de::DeserializeOwned>(body: &[u8], schema: &'static str) -> Result<T> {
    if let Ok(t) = serde_json::from_slice(body) {
        return Ok(t);
    }
    let mut value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| decode(String::new(), e.to_string()))?;
    if let Some(kind) = shapes::root_kind(schemas::find, schema) {
        shapes::repair(&mut value, &kind, schemas::find, "", &mut Vec::new());
    }
    serde_path_to_error::deserialize(value)
        .map_err(|e| decode(e.path().to_string(), e.inner().to_string()))
}

fn decode(path: String, message: String) -> Error {
    Error::new(Provider::Ecomdc, OP, ErrorKind::Decode { path, message })
}

/// What a callback names, read back from the API by [`Client::fetch_callback`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Fetched {
    /// `evento=pedido`: the order as `GET /pedido/{id}` returns it now.
    Order(Box<types::Order>),
    /// `evento=estoque`: the option's stock as `GET /item/{referencia}/estoque` returns it now.
    Stock {
        /// The option's reference (`referencia_sku`).
        referencia: String,
        /// Its stock now.
        estoque: i64,
    },
    /// A callback without a resource to read (an unknown `evento`, or a stock callback without
    /// a reference); nothing was fetched. Holds the `evento`.
    Unknown(String),
}

/// The read a callback calls for (also the key under which concurrent reads are shared).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Route {
    Order(String),
    Stock(String),
    Unknown(String),
}

impl Route {
    pub(crate) fn of(callback: &Callback) -> Self {
        match callback {
            Callback::Order(p) => Route::Order(p.pedido.id.to_string()),
            Callback::Stock(s) => match s.referencia_sku.as_deref() {
                Some(r) => Route::Stock(r.to_owned()),
                None => Route::Unknown("estoque".to_owned()),
            },
            Callback::Unknown { evento, .. } => Route::Unknown(evento.clone()),
        }
    }
}

impl Client {
    /// Reads back what a callback names: the order (`GET /pedido/{id}`) or the option's stock
    /// (`GET /item/{referencia}/estoque`). Callbacks are not signed, so act on this rather than
    /// on the payload.
    ///
    /// # Errors
    /// As [`Client::order`] and [`Client::stock`].
    pub async fn fetch_callback(&self, callback: &Callback) -> Result<Fetched> {
        self.fetch_route(Route::of(callback)).await
    }

    pub(crate) async fn fetch_route(&self, route: Route) -> Result<Fetched> {
        Ok(match route {
            Route::Order(id) => Fetched::Order(Box::new(self.order(&id).await?)),
            Route::Stock(referencia) => {
                let estoque = self.stock(&referencia).await?;
                Fetched::Stock {
                    referencia,
                    estoque,
                }
            }
            Route::Unknown(evento) => Fetched::Unknown(evento),
        })
    }
}
