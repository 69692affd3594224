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

crate::common::runtime::generated_client!("appclubmais");

mod client;
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
