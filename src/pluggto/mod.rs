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
//! `access_token` query parameter, the `{"Order": {...}}` envelopes, cursor paging with `next`
//! = last id, `YYYY-MM-DDtoYYYY-MM-DD` date ranges, a PUT that changed nothing (`not_updated`)
//! as [`Written::Unchanged`], and webhook notifications.
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
        let error = self.error.into_inner();
        let mut message = self.message.filter(|m| !m.is_empty()).or(error.clone());
        let mut fields = Vec::new();
        match self.details {
            Some(types::ErrorDetails::String(text)) if !text.is_empty() => {
                message = Some(match message {
                    Some(m) => format!("{m}: {text}"),
                    None => text,
                });
            }
            Some(types::ErrorDetails::Object(map)) => {
                fields = map
                    .into_iter()
                    .map(|(field, v)| FieldError {
                        field,
                        messages: messages_of(v),
                    })
                    .collect();
                fields.sort_by(|a, b| a.field.cmp(&b.field));
            }
            _ => {}
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
