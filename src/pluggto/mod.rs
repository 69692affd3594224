//! PluggTo (marketplace hub): orders, products and SKUs, stock, shipping quotes, messages and
//! webhook notifications.
//!
//! ```no_run
//! # async fn demo() -> brcommerce::Result<()> {
//! use std::sync::Arc;
//! use brcommerce::common::token::FileStore;
//! use brcommerce::pluggto::{Client, Credentials, StockChange};
//! use brcommerce::Provider;
//! use futures::TryStreamExt;
//!
//! let hub = Client::builder(Credentials::password("client-id", "client-secret", "api-user", "api-pass"))
//!     // Keeps the newest (rotating) refresh token across restarts, 0600, written atomically.
//!     .token_store(Arc::new(FileStore::new(Provider::Pluggto, "/var/lib/myapp/pluggto-token.json")))
//!     .build()?;
//! let orders: Vec<_> = hub.orders(&Default::default()).try_collect().await?;
//! hub.update_stock("pai-var1", StockChange::Decrease(1)).await?;
//! # let _ = orders; Ok(()) }
//! ```
//!
//! What this module handles: the OAuth grants (password, authorization code, refresh) with the
//! refresh token that rotates on every grant (the newest is saved to the [`TokenStore`] before
//! the access token is used; concurrent callers share one refresh; a 401 renews once), the
//! token in the `Authorization: Bearer` header (the `access_token` query parameter on request,
//! [`Builder::access_token_in_query`](crate::common::config::Builder::access_token_in_query)),
//! the `{"Order": {...}}` envelopes, cursor paging with `next` = last id,
//! `YYYY-MM-DDtoYYYY-MM-DD` date ranges, order and shipment dates with their time (read as
//! [`LooseDateTime`](crate::common::lenient::LooseDateTime), sent as
//! [`types::DateOrDateTime`]), a PUT that changed nothing (`not_updated`) as
//! [`Written::Unchanged`], the user a token acts for ([`Client::user`]), and webhook
//! notifications.
//!
//! [`TokenStore`]: crate::common::token::TokenStore
//!
//! ## The same code for every provider
//!
//! A page, every record, any operation of the spec and the error kinds read the same for the
//! four providers; only the names of the lists and operations differ:
//!
//! ```no_run
//! # async fn demo() -> brcommerce::Result<()> {
//! use brcommerce::pluggto::{Client, Credentials, OrderFilter};
//! use brcommerce::ErrorKind;
//! use futures::StreamExt;
//!
//! let client = Client::new(Credentials::password("client-id", "client-secret", "api-user", "api-pass"))?;
//! // One page: its items, where the next one starts, and the records it could not read.
//! let page = client.orders_page(&OrderFilter::new(), None).await?;
//! println!("{} read, {} unreadable, next {:?}", page.items.len(), page.rejected.len(), page.next);
//! // Every record, one page in memory at a time; an unreadable record is an `Err` item
//! // (with its JSON path, id and raw JSON) and the stream goes on.
//! let mut all = std::pin::pin!(client.orders(&OrderFilter::new()));
//! while let Some(order) = all.next().await {
//!     match order {
//!         Ok(order) => println!("{:?}", order.id),
//!         Err(e) => eprintln!("skipped: {e}"),
//!     }
//! }
//! // Any operation of the spec through the generated client, with this crate's errors.
//! match client.run(client.raw().get_sku().sku("pai-var1").send()).await {
//!     Ok(answer) => println!("{answer:?}"),
//!     Err(e) => match e.kind() {
//!         ErrorKind::Provider(p) if p.status == 404 => println!("no such SKU"),
//!         ErrorKind::RateLimited { .. } | ErrorKind::Timeout { .. } => println!("later: {e}"),
//!         _ => return Err(e),
//!     },
//! }
//! # Ok(()) }
//! ```

crate::common::runtime::generated_client!("pluggto");

mod client;
// How `brc` reaches this provider (feature `cli`).
#[cfg(feature = "cli")]
pub(crate) mod cli_glue;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub(crate) mod webhook;

pub use crate::common::call::{Unread, Written};
pub use crate::common::paginate::{Cursor, Page};
pub use client::{
    BASE_URL, Client, Credentials, DateRange, MessageFilter, OrderFilter, ProductFilter,
    StockChange,
};
pub use generated::{operations, types};
pub use webhook::{Notified, RETRY_SCHEDULE, parse_freight_request, parse_notification};

/// The generated client, its request builders and the types they use (see [`Client::raw`]).
pub mod raw {
    pub use super::generated::*;
}

use crate::common::error::{FieldError, ProviderError};

impl crate::common::call::ErrorBody for types::Error {
    fn into_provider_error(self, status: u16) -> ProviderError {
        // `error` is a class name in older answers and `true` in PluggTo's current examples.
        let error = self
            .error
            .into_inner()
            .filter(|e| e != "true" && e != "false");
        let mut message = self.message.filter(|m| !m.is_empty()).or(error.clone());
        let mut fields = Vec::new();
        // `details` is any JSON (audit P11): a text or a list adds to the message, an object
        // names fields; none of them can hide `type` (and so `not_updated`).
        let text = match self.details.map(|d| d.0) {
            Some(serde_json::Value::Object(map)) => {
                fields = map
                    .into_iter()
                    .map(|(field, v)| FieldError {
                        field,
                        messages: messages_of(v),
                    })
                    .collect();
                fields.sort_by(|a, b| a.field.cmp(&b.field));
                None
            }
            Some(serde_json::Value::Null) | None => None,
            Some(other) => Some(messages_of(other).join("; ")),
        };
        if let Some(text) = text.filter(|t| !t.is_empty()) {
            message = Some(match message {
                Some(m) => format!("{m}: {text}"),
                None => text,
            });
        }
        ProviderError {
            status,
            code: self.type_.or(error),
            message: message.unwrap_or_default(),
            fields,
            ..ProviderError::default()
        }
    }
}

/// A date sent as `YYYY-MM-DD` (PluggTo's older examples).
///
/// # Errors
/// A date outside the years 0000–9999, which PluggTo's format cannot carry.
impl TryFrom<chrono::NaiveDate> for types::DateOrDateTime {
    type Error = types::error::ConversionError;
    fn try_from(date: chrono::NaiveDate) -> Result<Self, Self::Error> {
        date.format("%Y-%m-%d").to_string().parse()
    }
}

/// An instant sent in UTC with milliseconds (`2024-07-15T18:07:07.000Z`), as PluggTo writes its
/// own `nfe_date` and `date_shipped`.
///
/// # Errors
/// An instant outside the years 0000–9999.
impl<Tz: chrono::TimeZone> TryFrom<chrono::DateTime<Tz>> for types::DateOrDateTime {
    type Error = types::error::ConversionError;
    fn try_from(at: chrono::DateTime<Tz>) -> Result<Self, Self::Error> {
        at.with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            .parse()
    }
}

/// The messages of one `details` entry: a text, a list of texts, or anything else as JSON.
fn messages_of(v: serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::String(s) => vec![s],
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            })
            .collect(),
        other => vec![other.to_string()],
    }
}

impl crate::common::call::ErrorBody for types::OAuthError {
    fn into_provider_error(self, status: u16) -> ProviderError {
        crate::common::call::oauth_error(status, self.error, self.error_description, self.message)
    }
}
