//! Webhook notifications and the freight callback, sent by PluggTo to your server.
//!
//! **Notifications.** PluggTo POSTs `{type, id, action, user, changes}` to the URL registered
//! with your app or plugin when a product, SKU or order is created or updated. Answer **200**
//! quickly (before doing the work); any other answer puts the notification in a retry queue that
//! tries again after each interval of [`RETRY_SCHEDULE`] (5 min, 15 min, 1 h, 2 h, 3 h, 12 h,
//! 24 h, 2 days) and then discards it. Notifications are not signed and may repeat: treat one as
//! a hint, fetch the resource it names ([`Client::fetch_notified`]) and make handling
//! idempotent.
//!
//! **Freight callback.** When your plugin quotes freight, PluggTo POSTs a
//! [`types::FreightRequest`]; answer with a [`types::FreightResponse`].

use std::time::Duration;

use super::client::Client;
use super::types;
use crate::common::error::{Error, ErrorKind, Provider, Result};

const P: Provider = Provider::Pluggto;

/// When PluggTo retries a notification that was not answered with 200, counted from the
/// previous attempt; after the last one the notification is discarded.
pub const RETRY_SCHEDULE: [Duration; 8] = [
    Duration::from_secs(5 * 60),
    Duration::from_secs(15 * 60),
    Duration::from_secs(3600),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(3 * 3600),
    Duration::from_secs(12 * 3600),
    Duration::from_secs(24 * 3600),
    Duration::from_secs(48 * 3600),
];

fn decode<T: serde::de::DeserializeOwned>(operation: &'static str, body: &[u8]) -> Result<T> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        Error::new(
            P,
            operation,
            ErrorKind::Decode {
                path,
                message: e.into_inner().to_string(),
            },
        )
    })
}

/// Parses a notification body. Unknown `type` or `action` values are kept, not rejected.
///
/// # Errors
/// [`ErrorKind::Decode`] naming the field when the body is not a notification.
pub fn parse_notification(body: &[u8]) -> Result<types::Notification> {
    decode("notification", body)
}

/// Parses the body of a freight-quote callback.
///
/// # Errors
/// [`ErrorKind::Decode`] naming the field when the body is not a freight request.
pub fn parse_freight_request(body: &[u8]) -> Result<types::FreightRequest> {
    decode("freight_callback", body)
}

/// The resource a notification names, as it is now.
///
/// What [`Client::fetch_notified`] reads for each type PluggTo documents
/// (developers.plugg.to/reference/notification-information; the type is compared without case,
/// as the older docs spell it `ORDERS`):
///
/// | type | action | fetched | variant |
/// |---|---|---|---|
/// | `orders` | any | `GET /orders/{id}` | [`Notified::Order`] |
/// | `products` | any | `GET /products/{id}` | [`Notified::Product`] |
/// | `skus` | `deleted` | nothing: the SKU is gone | [`Notified::DeletedSku`] |
/// | `skus` | other | `GET /skus/{id}` (the id is a SKU) | [`Notified::Product`] |
/// | `messages`, `invoices` | any | nothing | [`Notified::Unknown`] |
///
/// Messages and invoices are left as [`Notified::Unknown`] on purpose: the API has no way to read
/// one message by id (`GET /messages` only lists and filters), and the docs do not say whether an
/// invoice notification's id is an order id or something else. Handle them from the
/// notification itself (or list the order's data) until PluggTo documents it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Notified {
    /// An order notification.
    Order(Box<types::Order>),
    /// A product or SKU notification: the product (a SKU notification reads the product the SKU
    /// belongs to, by SKU).
    Product(Box<types::Product>),
    /// A `skus` notification with action `deleted`: nothing was fetched.
    DeletedSku {
        /// The deleted SKU (the notification's `id`).
        sku: String,
    },
    /// A notification type this crate does not fetch (`messages`, `invoices`, or a type PluggTo
    /// added); nothing was fetched. Holds the type in lower case.
    Unknown(String),
}

/// What [`Client::fetch_notified`] does for a notification: the call it makes, if any.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Route {
    Order(String),
    Product(String),
    Sku(String),
    DeletedSku(String),
    Unknown(String),
}

impl Route {
    pub(crate) fn of(notification: &types::Notification) -> Self {
        let (kind, action) = type_and_action(notification);
        let id = notification.id.to_string();
        match (kind.as_str(), action.as_str()) {
            ("orders" | "order", _) => Route::Order(id),
            ("products" | "product", _) => Route::Product(id),
            ("skus" | "sku", "deleted") => Route::DeletedSku(id),
            ("skus" | "sku", _) => Route::Sku(id),
            _ => Route::Unknown(kind),
        }
    }
}

/// The notification's type and action in lower case (known or not).
pub(crate) fn type_and_action(notification: &types::Notification) -> (String, String) {
    use types::{NotificationAction as A, NotificationType as T};
    let kind = match &notification.type_ {
        T::Known(k) => k.to_string(),
        T::Other(o) => o.to_string(),
    };
    let action = match &notification.action {
        A::Known(k) => k.to_string(),
        A::Other(o) => o.to_string(),
    };
    (kind.to_ascii_lowercase(), action.to_ascii_lowercase())
}

impl Client {
    /// Fetches the resource a notification names (see [`Notified`] for what is read per type).
    ///
    /// # Errors
    /// As [`Client::order`], [`Client::product`] and [`Client::product_by_sku`].
    pub async fn fetch_notified(&self, notification: &types::Notification) -> Result<Notified> {
        self.fetch_route(Route::of(notification)).await
    }

    pub(crate) async fn fetch_route(&self, route: Route) -> Result<Notified> {
        Ok(match route {
            Route::Order(id) => Notified::Order(Box::new(self.order(&id).await?)),
            Route::Product(id) => Notified::Product(Box::new(self.product(&id).await?)),
            Route::Sku(sku) => Notified::Product(Box::new(self.product_by_sku(&sku).await?)),
            Route::DeletedSku(sku) => Notified::DeletedSku { sku },
            Route::Unknown(kind) => Notified::Unknown(kind),
        })
    }
}
