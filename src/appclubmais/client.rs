//! The AppClubMais client: credentials, token, envelopes and one method per operation.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};

use super::{describe, generated, types};
use crate::common::call;
use crate::common::config::{Builder, ProviderDefaults, TokenCredentials};
use crate::common::error::{Error, ErrorKind, Provider, ProviderError, Result};
use crate::common::lenient::DecimalNumber;
use crate::common::ratelimit::RateLimits;
use crate::common::retry::RetryPolicy;
use crate::common::runtime::{CallOptions, Runtime};
use crate::common::taxid::{TaxId, TaxIdKind};
use crate::common::token::{MemoryStore, Placement, TokenAuth, TokenFetcher, TokenSet};

const P: Provider = Provider::Appclubmais;

/// Production base URL.
pub const BASE_URL: &str = "https://integracao.appclubmais.com.br";

/// A client id as AppClubMais issued it: a number or a text. Sent as given, never as a decimal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientId {
    /// A numeric id.
    Number(i64),
    /// A textual id.
    Text(String),
}

impl From<i64> for ClientId {
    fn from(v: i64) -> Self {
        Self::Number(v)
    }
}

impl From<&str> for ClientId {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

impl From<String> for ClientId {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

/// The client id and secret AppClubMais issued.
#[derive(Clone)]
pub struct Credentials {
    id: ClientId,
    secret: SecretString,
}

impl Credentials {
    /// Client credentials.
    pub fn new(id: impl Into<ClientId>, secret: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: SecretString::from(secret.into()),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl TokenCredentials for Credentials {}

fn defaults() -> ProviderDefaults {
    ProviderDefaults {
        provider: P,
        base_url: BASE_URL,
        // No published quotas.
        rate_limits: RateLimits::unlimited(),
        retry: RetryPolicy::standard(),
        auth_statuses: &[401],
        idempotency_keys: false,
    }
}

/// The client-credentials grant, through the generated token operation.
struct ClientCredentialsGrant {
    raw: generated::Client,
    credentials: Credentials,
}

impl fmt::Debug for ClientCredentialsGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentialsGrant")
            .field("credentials", &self.credentials)
            .finish()
    }
}

impl TokenFetcher for ClientCredentialsGrant {
    fn fetch<'a>(&'a self, _previous: Option<&'a TokenSet>) -> BoxFuture<'a, Result<TokenSet>> {
        Box::pin(async move {
            let client_id = match &self.credentials.id {
                ClientId::Number(n) => types::ClientId::Integer(*n),
                ClientId::Text(t) => types::ClientId::String(t.clone()),
            };
            let body = types::TokenRequest {
                grant_type: types::TokenRequestGrantType::ClientCredentials,
                client_id,
                client_secret: self.credentials.secret.expose_secret().to_owned(),
            };
            let req = self.raw.issue_token().body(body).send();
            let token: types::TokenResponse =
                call::run(&self.raw.inner, "issue_token", CallOptions::default(), req)
                    .await
                    .map_err(call::token_refused)?;
            Ok(TokenSet::issued(
                token.access_token,
                None,
                token.expires_in.and_then(|s| u64::try_from(s).ok()),
            ))
        })
    }
}

/// An AppClubMais client. Cheap to clone; clones share the token, pool and counters.
#[derive(Clone, Debug)]
pub struct Client {
    raw: generated::Client,
    options: CallOptions,
    auth: TokenAuth,
}

impl Builder<Credentials> {
    /// Builds the client. The token is fetched on the first call.
    ///
    /// # Errors
    /// A configuration error when the base URL is not HTTPS (loopback hosts excepted).
    pub fn build(self) -> Result<Client> {
        let mut headers = HeaderMap::new();
        // Without it the API answers errors with HTML redirects.
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let store = self
            .options
            .token_store
            .clone()
            .unwrap_or_else(|| Arc::new(MemoryStore::new()));
        let credentials = self.credentials;
        let parts = self.options.assemble(&defaults(), headers, None)?;
        let (parts, auth) = parts.with_token_auth(
            |plain| {
                let raw = generated::Client::new_with_client(
                    &plain.base_url,
                    plain.http.clone(),
                    Arc::new(plain.runtime.clone()),
                );
                Arc::new(ClientCredentialsGrant { raw, credentials })
            },
            store,
            Placement::Bearer,
            // The token lives about a year: renew a day early.
            Duration::from_secs(24 * 3600),
        );
        Ok(Client {
            raw: generated::Client::new_with_client(
                &parts.base_url,
                parts.http,
                Arc::new(parts.runtime),
            ),
            options: CallOptions::default(),
            auth,
        })
    }
}

/// An envelope `{success, code, data, error}`.
trait Envelope {
    type Data;
    fn parts(
        self,
    ) -> (
        bool,
        Option<i64>,
        Option<Self::Data>,
        Option<types::ErrorDetail>,
    );
}

macro_rules! envelopes {
    ($($env:ident => $data:ty, $wrap:expr;)*) => {
        $(impl Envelope for types::$env {
            type Data = $data;
            fn parts(self) -> (bool, Option<i64>, Option<$data>, Option<types::ErrorDetail>) {
                (self.success, self.code, $wrap(self.data), self.error)
            }
        })*
    };
}

envelopes! {
    ClientEnvelope => types::Client, std::convert::identity;
    PurchaseEnvelope => types::Purchase, std::convert::identity;
    PromotionEnvelope => types::Promotion, std::convert::identity;
    BenefitsEnvelope => types::MemberBenefits, std::convert::identity;
    StatusEnvelope => types::OrderStatus, std::convert::identity;
    MessageEnvelope => String, std::convert::identity;
    AckEnvelope => serde_json::Value, std::convert::identity;
    OrderListEnvelope => Vec<types::Order>, Some;
    CategoryListEnvelope => Vec<types::Category>, Some;
    PromotionListEnvelope => Vec<types::Promotion>, Some;
}

/// `data` of a successful envelope; `success: false` (even with status 200) is an error.
fn unwrap<E: Envelope>(operation: &'static str, envelope: E) -> Result<Option<E::Data>> {
    let (success, code, data, error) = envelope.parts();
    if success {
        return Ok(data);
    }
    let (message, fields) = describe(error, None);
    let status = code.and_then(|c| u16::try_from(c).ok()).unwrap_or(200);
    let kind = ErrorKind::Provider(ProviderError {
        status,
        message,
        fields,
        ..ProviderError::default()
    });
    Err(Error::new(P, operation, kind))
}

fn required<T>(operation: &'static str, data: Option<T>) -> Result<T> {
    data.ok_or_else(|| {
        let message = "the answer says success but carries no data".to_owned();
        Error::new(
            P,
            operation,
            ErrorKind::Decode {
                path: "data".into(),
                message,
            },
        )
    })
}

/// The CPF's digits, or an error that says what is wrong without repeating the id (ids are
/// personal data, and errors end up in logs).
fn cpf(operation: &'static str, field: &str, text: &str) -> Result<String> {
    let message = match TaxId::parse(text) {
        Ok(id) if id.kind() == TaxIdKind::Cpf => return Ok(id.as_str().to_owned()),
        Ok(id) => format!("is a {}; a CPF is expected", id.kind()),
        Err(e) => format!("is not a valid CPF: it {e}"),
    };
    Err(Error::invalid_input(P, operation, field, message))
}

impl Client {
    call::facade_basics!(token_requests);

    /// The generated client (requests through it still get the token, retries and tracing).
    pub fn raw(&self) -> &generated::Client {
        &self.raw
    }

    fn runtime(&self) -> &Runtime {
        &self.raw.inner
    }

    // ----- members and benefits -----

    /// A member by id.
    ///
    /// # Errors
    /// A provider error (404 when unknown) or any other [`ErrorKind`].
    pub async fn client_by_id(&self, id: i64) -> Result<types::Client> {
        let op = "get_client";
        let env = self
            .call(op, self.raw.get_client().id(id.to_string()).send())
            .await?;
        required(op, unwrap(op, env)?)
    }

    /// A member by CPF (formatted or digits; checked before sending).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an invalid CPF, or as [`Client::client_by_id`].
    pub async fn client_by_cpf(&self, cpf_text: &str) -> Result<types::Client> {
        let op = "get_client";
        let digits = cpf(op, "id", cpf_text)?;
        let env = self
            .call(op, self.raw.get_client().id(digits).send())
            .await?;
        required(op, unwrap(op, env)?)
    }

    /// The benefits a member activated, by CPF (checked before sending).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an invalid CPF, a provider error (404 when the member is
    /// unknown), or any other [`ErrorKind`].
    pub async fn benefits(&self, cpf_text: &str) -> Result<types::MemberBenefits> {
        let op = "get_benefits";
        let digits = cpf(op, "cpf", cpf_text)?;
        let env = self
            .call(op, self.raw.get_benefits().cpf(digits).send())
            .await?;
        required(op, unwrap(op, env)?)
    }

    /// Registers a member's purchase of `total`, with the benefits used as
    /// `(id_vantagem, quantity)`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a negative amount; a provider error with
    /// [`crate::Error::field_errors`] for validation errors; any other [`ErrorKind`].
    pub async fn register_purchase(
        &self,
        client_id: i64,
        total: Decimal,
        benefits: &[(i64, Decimal)],
    ) -> Result<types::Purchase> {
        let op = "register_purchase";
        if total.is_sign_negative() {
            return Err(Error::invalid_input(
                P,
                op,
                "valor_total",
                format!("{total} is negative"),
            ));
        }
        let body = types::PurchaseRequest {
            valor_total: DecimalNumber(total),
            vantagens: benefits
                .iter()
                .map(|(id, q)| types::BenefitUse {
                    id_vantagem: *id,
                    quantidade: DecimalNumber(*q),
                })
                .collect(),
        };
        let env = self
            .call(
                op,
                self.raw.register_purchase().id(client_id).body(body).send(),
            )
            .await?;
        required(op, unwrap(op, env)?)
    }

    // ----- orders -----

    /// App orders pending integration into the point of sale.
    ///
    /// # Errors
    /// Any [`ErrorKind`].
    pub async fn pending_orders(&self) -> Result<Vec<types::Order>> {
        let op = "list_orders";
        let env = self.call(op, self.raw.list_orders().send()).await?;
        Ok(unwrap(op, env)?.unwrap_or_default())
    }

    /// Marks an order as integrated so it leaves the pending list.
    ///
    /// # Errors
    /// Any [`ErrorKind`].
    pub async fn acknowledge_order(&self, id: i64) -> Result<()> {
        let op = "acknowledge_order";
        let env = self
            .call(op, self.raw.acknowledge_order().id(id).send())
            .await?;
        unwrap(op, env).map(|_| ())
    }

    /// Sets an order's status; returns the status the provider stored.
    ///
    /// # Errors
    /// Any [`ErrorKind`].
    pub async fn set_order_status(
        &self,
        id: i64,
        status: types::OrderStatusKnown,
    ) -> Result<types::OrderStatus> {
        let op = "update_order_status";
        let env = self
            .call(
                op,
                self.raw.update_order_status().id(id).status(status).send(),
            )
            .await?;
        required(op, unwrap(op, env)?)
    }

    // ----- products and categories -----

    /// Adds a product to the app.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] naming a missing field, or any other [`ErrorKind`].
    pub async fn create_product<B>(&self, product: B) -> Result<()>
    where
        B: TryInto<types::ProductInput>,
        B::Error: fmt::Display,
    {
        let op = "create_product";
        let body = call::typed::<types::ProductInput, _>(P, product, op)?;
        let env = self
            .call(op, self.raw.create_product().body(body).send())
            .await?;
        unwrap(op, env).map(|_| ())
    }

    /// Updates a product in the app.
    ///
    /// # Errors
    /// As [`Client::create_product`].
    pub async fn update_product<B>(&self, product: B) -> Result<()>
    where
        B: TryInto<types::ProductInput>,
        B::Error: fmt::Display,
    {
        let op = "update_product";
        let body = call::typed::<types::ProductInput, _>(P, product, op)?;
        let env = self
            .call(op, self.raw.update_product().body(body).send())
            .await?;
        unwrap(op, env).map(|_| ())
    }

    /// The store's product categories.
    ///
    /// # Errors
    /// Any [`ErrorKind`].
    pub async fn categories(&self) -> Result<Vec<types::Category>> {
        let op = "list_categories";
        let env = self.call(op, self.raw.list_categories().send()).await?;
        Ok(unwrap(op, env)?.unwrap_or_default())
    }

    /// Adds a product category.
    ///
    /// # Errors
    /// Any [`ErrorKind`].
    pub async fn create_category(&self, category: types::CategoryInput) -> Result<()> {
        let op = "create_category";
        let env = self
            .call(op, self.raw.create_category().body(category).send())
            .await?;
        unwrap(op, env).map(|_| ())
    }

    /// Changes a product category.
    ///
    /// # Errors
    /// Any [`ErrorKind`].
    pub async fn update_category(&self, category: types::CategoryInput) -> Result<()> {
        let op = "update_category";
        let env = self
            .call(op, self.raw.update_category().body(category).send())
            .await?;
        unwrap(op, env).map(|_| ())
    }

    // ----- promotions -----

    /// The store's promotions.
    ///
    /// # Errors
    /// Any [`ErrorKind`].
    pub async fn promotions(&self) -> Result<Vec<types::Promotion>> {
        let op = "list_promotions";
        let env = self.call(op, self.raw.list_promotions().send()).await?;
        Ok(unwrap(op, env)?.unwrap_or_default())
    }

    /// Adds a promotion; returns it as stored.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] naming a missing field, or any other [`ErrorKind`].
    pub async fn create_promotion<B>(&self, promotion: B) -> Result<types::Promotion>
    where
        B: TryInto<types::PromotionInput>,
        B::Error: fmt::Display,
    {
        let op = "create_promotion";
        let body = call::typed::<types::PromotionInput, _>(P, promotion, op)?;
        let env = self
            .call(op, self.raw.create_promotion().body(body).send())
            .await?;
        required(op, unwrap(op, env)?)
    }

    /// Changes a promotion (identified by its integration code); returns it as stored.
    ///
    /// # Errors
    /// As [`Client::create_promotion`].
    pub async fn update_promotion<B>(&self, promotion: B) -> Result<types::Promotion>
    where
        B: TryInto<types::PromotionInput>,
        B::Error: fmt::Display,
    {
        let op = "update_promotion";
        let body = call::typed::<types::PromotionInput, _>(P, promotion, op)?;
        let env = self
            .call(op, self.raw.update_promotion().body(body).send())
            .await?;
        required(op, unwrap(op, env)?)
    }

    /// Puts products in a promotion; returns the provider's message.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an empty list, or any other [`ErrorKind`].
    pub async fn add_promotion_products(
        &self,
        promotion_id: i64,
        products: Vec<types::PromotionProduct>,
    ) -> Result<String> {
        let op = "add_promotion_products";
        if products.is_empty() {
            return Err(Error::invalid_input(P, op, "lista_produtos", "no products"));
        }
        let body = types::PromotionProducts {
            lista_produtos: products,
        };
        let env = self
            .call(
                op,
                self.raw
                    .add_promotion_products()
                    .id(promotion_id)
                    .body(body)
                    .send(),
            )
            .await?;
        Ok(unwrap(op, env)?.unwrap_or_default())
    }
}
