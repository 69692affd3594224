//! ConnectPlug v3 (ERP/POS): the whole API — catalogue, prices, stock, purchases, sales and sale
//! orders, customers, finance, company settings — scoped to one company per client.
//!
//! ```no_run
//! # async fn demo() -> brcommerce::Result<()> {
//! use brcommerce::connectplug::{Client, Credentials};
//! use futures::TryStreamExt;
//!
//! let erp = Client::builder(Credentials::password("3", "client-secret", "api@loja.com.br", "pass"))
//!     .company(12)
//!     .build()?;
//! // Typed helpers for the common flows ...
//! let products: Vec<_> = erp.products(&Default::default()).try_collect().await?;
//! // ... and every operation of the spec through the generated client, with the same token,
//! // company header, idempotency keys, retries and errors:
//! let units = erp.run(erp.raw().list_units().per_page(100).send()).await?;
//! // Another company of the same network, sharing the connection pool and the token:
//! let other = erp.for_company(13);
//! # let _ = (products, units, other); Ok(()) }
//! ```
//!
//! What this module handles: the OAuth password grant on the token host (renewed before expiry
//! with the refresh token when one was issued, one refresh for all concurrent callers, one
//! renewal after a 401), `CPlug-Company-Id` on every call, an `Idempotency-Key` on every write
//! that stays the same when the write is retried, page/per_page paging with the `data.<items>`
//! wrappers unwrapped, `Money` as a decimal amount and currency, 422 validations as field
//! errors, and the multipart uploads progenitor cannot generate.
//!
//! ## The same code for every provider
//!
//! A page, every record, any operation of the spec and the error kinds read the same for the
//! four providers; only the names of the lists and operations differ:
//!
//! ```no_run
//! # async fn demo() -> brcommerce::Result<()> {
//! use brcommerce::connectplug::{Client, Credentials, ProductFilter};
//! use brcommerce::ErrorKind;
//! use futures::StreamExt;
//!
//! let client = Client::new(Credentials::password("3", "client-secret", "api@loja.com.br", "pass"))?;
//! // One page: its items, where the next one starts, and the records it could not read.
//! let page = client.products_page(&ProductFilter::new(), None).await?;
//! println!("{} read, {} unreadable, next {:?}", page.items.len(), page.rejected.len(), page.next);
//! // Every record, one page in memory at a time; an unreadable record is an `Err` item
//! // (with its JSON path, id and raw JSON) and the stream goes on.
//! let mut all = std::pin::pin!(client.products(&ProductFilter::new()));
//! while let Some(product) = all.next().await {
//!     match product {
//!         Ok(product) => println!("{:?}", product.name),
//!         Err(e) => eprintln!("skipped: {e}"),
//!     }
//! }
//! // Any operation of the spec through the generated client, with this crate's errors.
//! match client.run(client.raw().list_units().per_page(100).send()).await {
//!     Ok(answer) => println!("{answer:?}"),
//!     Err(e) => match e.kind() {
//!         ErrorKind::Provider(p) if p.status == 404 => println!("no units"),
//!         ErrorKind::RateLimited { .. } | ErrorKind::Timeout { .. } => println!("later: {e}"),
//!         _ => return Err(e),
//!     },
//! }
//! # Ok(()) }
//! ```

crate::common::runtime::generated_client!("connectplug");

mod client;
// How `brc` reaches this provider (feature `cli`).
#[cfg(feature = "cli")]
pub(crate) mod cli_glue;
mod lists;
#[cfg(feature = "sandbox")]
pub mod sandbox;
mod upload;

pub use crate::common::call::{Unread, Written};
pub use crate::common::paginate::{Cursor, Page};
pub use client::{BASE_URL, Client, Credentials, ListCall, ProductFilter, TOKEN_URL};
pub use generated::{operations, types};
pub use lists::Listing;
pub use upload::Upload;

/// The generated client, its request builders and the types they use (see [`Client::raw`]).
pub mod raw {
    pub use super::generated::*;
}

use crate::common::error::{FieldError, ProviderError};

/// One failed validation as text: the provider's message when it sends one (the live API does,
/// in Portuguese: "O campo items deve ter no maximo 500 itens."), else the rule: `Required`, or
/// `Max(255)` when the rule has parameters.
fn rule(v: &types::Validation) -> String {
    if let Some(message) = v.message.as_deref().filter(|m| !m.trim().is_empty()) {
        return message.to_owned();
    }
    let name = v.type_.clone().unwrap_or_else(|| "invalid".to_owned());
    if v.value.is_empty() {
        return name;
    }
    let params: Vec<String> = v
        .value
        .iter()
        .map(|p| match p {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    format!("{name}({})", params.join(", "))
}

impl crate::common::call::ErrorBody for types::Error {
    fn into_provider_error(self, status: u16) -> ProviderError {
        let fields = self
            .meta
            .iter()
            .filter_map(|m| {
                Some(FieldError {
                    field: m.field.clone()?,
                    messages: m.validations.iter().map(rule).collect(),
                })
            })
            .collect();
        ProviderError {
            status,
            message: self.message.or(self.code.clone()).unwrap_or_default(),
            code: self.code,
            fields,
            ..ProviderError::default()
        }
    }
}

impl types::ProductionOrderStatus {
    /// True for a cancelled order, in either of the provider's spellings (`cancelled` in the
    /// update page's enum, `canceled` in the cancel page).
    pub fn is_cancelled(&self) -> bool {
        matches!(
            self,
            Self::Known(
                types::ProductionOrderStatusKnown::Cancelled
                    | types::ProductionOrderStatusKnown::Canceled
            )
        )
    }
}

impl crate::common::call::ErrorBody for types::OAuthError {
    fn into_provider_error(self, status: u16) -> ProviderError {
        crate::common::call::oauth_error(status, self.error, self.error_description, self.message)
    }
}
