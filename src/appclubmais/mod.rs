//! AppClubMais (loyalty club): members, their benefits, purchases, app orders, products,
//! categories and promotions.
//!
//! ```no_run
//! # async fn demo() -> brcommerce::Result<()> {
//! use brcommerce::appclubmais::{Client, ClientId, Credentials};
//! use rust_decimal::Decimal;
//! let club = Client::new(Credentials::new(ClientId::Number(29), "secret"))?;
//! let member = club.benefits("529.982.247-25").await?;        // CPF checked before sending
//! let id = member.id_cliente.unwrap_or_default();
//! // A purchase of R$ 150,00 using one unit of benefit 7 (sent once, never repeated).
//! club.register_purchase(id, Decimal::new(15000, 2), &[(7, Decimal::ONE)]).await?;
//! # Ok(()) }
//! ```
//!
//! What this module handles: the client-credentials token (cached for its year-long life,
//! renewed once after a 401), `Accept: application/json` on every request (without it the API
//! answers HTML redirects), the `{success, data, code}` envelope (a `success: false` answered
//! with 200 is an error), validation errors as a field → messages list, decimals sent as
//! `"2.000"`, dates in four formats including PHP's date object, and CPF/CNPJ validation.
//!
//! ## The same code for every provider
//!
//! A page, every record, any operation of the spec and the error kinds read the same for the
//! four providers; only the names of the lists and operations differ:
//!
//! ```no_run
//! # async fn demo() -> brcommerce::Result<()> {
//! use brcommerce::appclubmais::{Client, ClientId, Credentials, OrderFilter};
//! use brcommerce::ErrorKind;
//! use futures::StreamExt;
//!
//! let client = Client::new(Credentials::new(ClientId::Number(29), "secret"))?;
//! // One page: its items, where the next one starts, and the records it could not read.
//! let page = client.orders_page(&OrderFilter::new(), None).await?;
//! println!("{} read, {} unreadable, next {:?}", page.items.len(), page.rejected.len(), page.next);
//! // Every record, one page in memory at a time; an unreadable record is an `Err` item
//! // (with its JSON path, id and raw JSON) and the stream goes on.
//! let mut all = std::pin::pin!(client.orders(&OrderFilter::new()));
//! while let Some(order) = all.next().await {
//!     match order {
//!         Ok(order) => println!("{:?}", order.id_pedido),
//!         Err(e) => eprintln!("skipped: {e}"),
//!     }
//! }
//! // Any operation of the spec through the generated client, with this crate's errors.
//! match client.run(client.raw().list_categories().send()).await {
//!     Ok(answer) => println!("{answer:?}"),
//!     Err(e) => match e.kind() {
//!         ErrorKind::Provider(p) if p.status == 404 => println!("no categories"),
//!         ErrorKind::RateLimited { .. } | ErrorKind::Timeout { .. } => println!("later: {e}"),
//!         _ => return Err(e),
//!     },
//! }
//! # Ok(()) }
//! ```

crate::common::runtime::generated_client!("appclubmais");

mod client;
// How `brc` reaches this provider (feature `cli`).
#[cfg(feature = "cli")]
pub(crate) mod cli_glue;
#[cfg(feature = "sandbox")]
pub mod sandbox;

pub use crate::common::call::{Unread, Written};
pub use crate::common::paginate::{Cursor, Page};
pub use client::{BASE_URL, Client, ClientId, Credentials, OrderFilter};
pub use generated::{operations, types};

/// The generated client, its request builders and the types they use (see [`Client::raw`]).
pub mod raw {
    pub use super::generated::*;
}

use crate::common::error::{FieldError, ProviderError};

/// A message, or the field → messages map of a validation error.
pub(crate) fn describe(
    detail: Option<types::ErrorDetail>,
    fallback: Option<String>,
) -> (String, Vec<FieldError>) {
    match detail {
        Some(types::ErrorDetail::String(s)) => (s, Vec::new()),
        Some(types::ErrorDetail::FieldMessages(map)) => {
            let mut fields: Vec<FieldError> = map
                .0
                .into_iter()
                .map(|(field, messages)| FieldError { field, messages })
                .collect();
            fields.sort_by(|a, b| a.field.cmp(&b.field));
            ("validation failed".to_owned(), fields)
        }
        None => (fallback.unwrap_or_default(), Vec::new()),
    }
}

impl crate::common::call::ErrorBody for types::Error {
    fn into_provider_error(self, status: u16) -> ProviderError {
        let (message, fields) = describe(self.error, self.message);
        ProviderError {
            status,
            message,
            fields,
            ..ProviderError::default()
        }
    }
}

impl crate::common::call::ErrorBody for types::OAuthError {
    fn into_provider_error(self, status: u16) -> ProviderError {
        crate::common::call::oauth_error(status, self.error, self.error_description, self.message)
    }
}
