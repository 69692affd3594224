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
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Notified {
    /// An order notification.
    Order(Box<types::Order>),
    /// A product or SKU notification (both name the product).
    Product(Box<types::Product>),
    /// A notification type this crate does not know; nothing was fetched.
    Unknown(String),
}

impl Client {
    /// Fetches the order or product a notification names.
    ///
    /// # Errors
    /// As [`Client::order`] / [`Client::product`].
    pub async fn fetch_notified(&self, notification: &types::Notification) -> Result<Notified> {
        use types::{NotificationType as T, NotificationTypeKnown as K};
        match &notification.type_ {
            T::Known(K::Orders) => Ok(Notified::Order(Box::new(
                self.order(&notification.id).await?,
            ))),
            T::Known(K::Products | K::Skus) => Ok(Notified::Product(Box::new(
                self.product(&notification.id).await?,
            ))),
            // The docs' template spells types in capitals (`ORDERS`); the example in lower case.
            T::Other(other) => match other.to_string().to_ascii_lowercase().as_str() {
                "orders" | "order" => Ok(Notified::Order(Box::new(
                    self.order(&notification.id).await?,
                ))),
                "products" | "product" | "skus" | "sku" => Ok(Notified::Product(Box::new(
                    self.product(&notification.id).await?,
                ))),
                other => Ok(Notified::Unknown(other.to_owned())),
            },
        }
    }
}
