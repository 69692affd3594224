//! ecomDC (online store): products with models and options, prices, stock, images and orders.
//!
//! ```no_run
//! # async fn demo() -> brcommerce::Result<()> {
//! use brcommerce::ecomdc::{Client, Credentials};
//! let client = Client::new(Credentials::new("3566", "your-token"))?;
//! let product = client.product("777").await?;
//! client.set_stock("11482378", 12).await?;
//! println!("{} costs {}", product.nome, product.preco);
//! # Ok(()) }
//! ```
//!
//! What this module handles for you: the `x-ID`/`x-Token` headers (never logged), the
//! per-minute quotas (GET 60, POST 30, PUT 30; paced client-side, 429s waited out), numbers
//! that reads send as strings, blanks and zero dates, `itens` vs `opcoes`, the odd lookup URLs
//! (`/produto/null/preco?referencia=`), the order workflow, paging through `totais`, base64
//! JPEG uploads and callback payloads.
//!
//! ## The same code for every provider
//!
//! A page, every record, any operation of the spec and the error kinds read the same for the
//! four providers; only the names of the lists and operations differ:
//!
//! ```no_run
//! # async fn demo() -> brcommerce::Result<()> {
//! use brcommerce::ecomdc::{Client, Credentials, OrderFilter};
//! use brcommerce::ErrorKind;
//! use futures::StreamExt;
//!
//! let client = Client::new(Credentials::new("3566", "your-token"))?;
//! // One page: its items, where the next one starts, and the records it could not read.
//! let page = client.orders_page(&OrderFilter::new(), None).await?;
//! println!("{} read, {} unreadable, next {:?}", page.items.len(), page.rejected.len(), page.next);
//! // Every record, one page in memory at a time; an unreadable record is an `Err` item
//! // (with its JSON path, id and raw JSON) and the stream goes on.
//! let mut all = std::pin::pin!(client.orders(&OrderFilter::new()));
//! while let Some(order) = all.next().await {
//!     match order {
//!         Ok(order) => println!("{:?}", order.codigo),
//!         Err(e) => eprintln!("skipped: {e}"),
//!     }
//! }
//! // Any operation of the spec through the generated client, with this crate's errors.
//! match client.run(client.raw().get_stock().referencia("11482378").send()).await {
//!     Ok(answer) => println!("{answer:?}"),
//!     Err(e) => match e.kind() {
//!         ErrorKind::Provider(p) if p.status == 404 => println!("no such SKU"),
//!         ErrorKind::RateLimited { .. } | ErrorKind::Timeout { .. } => println!("later: {e}"),
//!         _ => return Err(e),
//!     },
//! }
//! # Ok(()) }
//! ```

crate::common::runtime::generated_client!("ecomdc");

pub mod callbacks;
pub(crate) mod client;
// How `brc` reaches this provider (feature `cli`).
#[cfg(feature = "cli")]
pub(crate) mod cli_glue;
pub mod fields;
pub mod images;
mod models;
pub mod orders;
#[cfg(feature = "sandbox")]
pub mod sandbox;

pub use crate::common::call::{Unread, Written};
pub use crate::common::paginate::{Cursor, Page};
pub use client::{
    AbandonedCarts, BASE_URL, Client, Credentials, OrderFilter, ProductFilter, default_rate_limits,
};
pub use generated::{operations, types};
pub use images::{ImageAction, ImageSet, ImageUpload};
pub use orders::PhaseChange;

/// The generated client, its request builders and the types they use (see [`Client::raw`]).
pub mod raw {
    pub use super::generated::*;
}

impl crate::common::call::ErrorBody for types::Error {
    fn into_provider_error(self, status: u16) -> crate::ProviderError {
        let message = [self.erro, self.error, self.mensagem, self.message]
            .into_iter()
            .flatten()
            .find(|m| !m.trim().is_empty())
            .unwrap_or_default();
        crate::ProviderError::new(status, message)
    }
}
