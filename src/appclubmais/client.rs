//! The AppClubMais client: credentials, token, envelopes and one method per operation.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use futures::future::BoxFuture;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};

use super::generated::{self, operations as ops};
use super::{describe, types};
use crate::common::call::{self, Unread, Written};
use crate::common::config::{Builder, ProviderDefaults, TokenCredentials};
use crate::common::error::{Error, ErrorKind, Provider, ProviderError, Result};
use crate::common::lenient::DecimalNumber;
use crate::common::ops::Operation;
use crate::common::paginate::{self, Cursor, Page};
use crate::common::ratelimit::RateLimits;
use crate::common::retry::RetryPolicy;
use crate::common::runtime::Overrides;
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
    grant_type: Option<String>,
}

impl Credentials {
    /// Client credentials (`grant_type` `client_credentials`).
    pub fn new(id: impl Into<ClientId>, secret: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: SecretString::from(secret.into()),
            grant_type: None,
        }
    }

    /// Sends this `grant_type` with the client id and secret instead of `client_credentials`.
    /// The provider's documentation names its grant types without listing them (see the
    /// spec's `GrantType`); use this only for a grant AppClubMais gave you that takes nothing
    /// but the client id and secret (for example its own spelling, `CLIENT_CREDENTIALS`).
    #[must_use]
    pub fn with_grant_type(mut self, grant_type: impl Into<String>) -> Self {
        self.grant_type = Some(grant_type.into());
        self
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .field("grant_type", &self.grant_type)
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
        operations: ops::find,
        shapes: generated::schemas::find,
        all_operations: generated::operations::ALL,
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
            let grant_type = match &self.credentials.grant_type {
                None => types::GrantType::Known(types::GrantTypeKnown::ClientCredentials),
                Some(text) => serde_json::from_value(serde_json::Value::from(text.as_str()))
                    .map_err(|e| {
                        Error::invalid_input(P, ops::ISSUE_TOKEN.id, "grant_type", e.to_string())
                    })?,
            };
            let body = types::TokenRequest {
                grant_type,
                client_id,
                client_secret: self.credentials.secret.expose_secret().to_owned(),
            };
            let req = self.raw.issue_token().body(body).send();
            let token: types::TokenResponse = call::run(
                &self.raw.inner,
                Some(&ops::ISSUE_TOKEN),
                Overrides::default(),
                req,
            )
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
            auth,
        })
    }
}

/// An envelope `{success, code, data, error}`.
trait Envelope: serde::Serialize {
    type Data;
    /// The records of a list envelope (`()` for the others).
    type Item: serde::de::DeserializeOwned;
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
    ($($env:ident => $data:ty, $item:ty, $wrap:expr, $success:expr;)*) => {
        $(impl Envelope for types::$env {
            type Data = $data;
            type Item = $item;
            fn parts(self) -> (bool, Option<i64>, Option<$data>, Option<types::ErrorDetail>) {
                ($success(self.success), self.code, $wrap(self.data), self.error)
            }
        })*
    };
}

/// `success` as sent (required).
fn sent(success: bool) -> bool {
    success
}

/// `success` of an answer the docs never show: absent means success (see `AckEnvelope`).
fn absent_is_success(success: Option<bool>) -> bool {
    success.unwrap_or(true)
}

envelopes! {
    ClientEnvelope => types::Client, (), std::convert::identity, sent;
    PurchaseEnvelope => types::Purchase, (), std::convert::identity, sent;
    PromotionEnvelope => types::Promotion, (), std::convert::identity, sent;
    BenefitsEnvelope => types::MemberBenefits, (), std::convert::identity, sent;
    StatusEnvelope => types::OrderStatus, (), std::convert::identity, sent;
    MessageEnvelope => String, (), std::convert::identity, sent;
    AckEnvelope => serde_json::Value, (), std::convert::identity, absent_is_success;
    OrderListEnvelope => Vec<types::Order>, types::Order, Some, sent;
    CategoryListEnvelope => Vec<types::Category>, types::Category, Some, sent;
    PromotionListEnvelope => Vec<types::Promotion>, types::Promotion, Some, sent;
}

/// Filters of [`Client::orders`]: none yet (the provider documents none; the type leaves room).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrderFilter {}

impl OrderFilter {
    /// No filter.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Lists of AppClubMais are not paged: there is no cursor to give.
fn no_cursor(op: &'static Operation, cursor: Option<&Cursor>) -> Result<()> {
    match cursor {
        None => Ok(()),
        Some(c) => Err(Error::invalid_input(
            P,
            op.id,
            "cursor",
            format!("{c:?}: this list is not paged"),
        )),
    }
}

/// `data` of a successful envelope; `success: false` (even with status 200) is an error.
fn unwrap<E: Envelope>(op: &'static Operation, envelope: E) -> Result<Option<E::Data>> {
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
    Err(Error::new(P, op.id, kind))
}

/// The `data` of a read's envelope, which must be there.
fn required<T>(op: &'static Operation, data: Option<T>) -> Result<T> {
    data.ok_or_else(|| {
        let message = "the answer says success but carries no data".to_owned();
        Error::new(
            P,
            op.id,
            ErrorKind::Decode {
                path: "data".into(),
                message,
            },
        )
    })
}

/// The `data` of a write's envelope: `success: false` is an error; a success without `data`
/// (or whose answer did not decode) is the success it is, given back raw.
fn written<E: Envelope>(op: &'static Operation, answer: Written<E>) -> Result<Written<E::Data>> {
    match answer {
        Written::Stored(envelope) => {
            let raw = serde_json::to_string(&envelope).unwrap_or_default();
            Ok(match unwrap(op, envelope)? {
                Some(data) => Written::Stored(data),
                None => Written::Unread(Unread {
                    status: 200,
                    body: raw,
                    problem: "the answer says success but carries no `data`".to_owned(),
                }),
            })
        }
        Written::Unchanged { message } => Ok(Written::Unchanged { message }),
        Written::Unread(u) => Ok(Written::Unread(u)),
    }
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

    // ----- members and benefits -----

    /// A member by id.
    ///
    /// # Errors
    /// A provider error (404 when unknown) or any other [`ErrorKind`].
    pub async fn client_by_id(&self, id: i64) -> Result<types::Client> {
        let op = &ops::GET_CLIENT;
        let req = || self.raw.get_client().id(id.to_string());
        let env = self.call(op, || req().send()).await?;
        required(op, unwrap(op, env)?)
    }

    /// A member by CPF (formatted or digits; checked before sending).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an invalid CPF, or as [`Client::client_by_id`].
    pub async fn client_by_cpf(&self, cpf_text: &str) -> Result<types::Client> {
        let op = &ops::GET_CLIENT;
        let digits = cpf(op.id, "id", cpf_text)?;
        let env = self
            .call(op, || self.raw.get_client().id(digits.as_str()).send())
            .await?;
        required(op, unwrap(op, env)?)
    }

    /// The benefits a member activated, by CPF (checked before sending).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an invalid CPF, a provider error (404 when the member is
    /// unknown), or any other [`ErrorKind`].
    pub async fn benefits(&self, cpf_text: &str) -> Result<types::MemberBenefits> {
        let op = &ops::GET_BENEFITS;
        let digits = cpf(op.id, "cpf", cpf_text)?;
        let env = self
            .call(op, || self.raw.get_benefits().cpf(digits.as_str()).send())
            .await?;
        required(op, unwrap(op, env)?)
    }

    /// Registers a member's purchase of `total`, with the benefits used as
    /// `(id_vantagem, quantity)`: at least one (the provider requires the list; see the spec).
    /// A purchase is never sent twice: when its answer is lost, the error says it may have been
    /// registered.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a negative amount or no benefits; a provider error with
    /// [`crate::Error::field_errors`] for validation errors; any other [`ErrorKind`].
    pub async fn register_purchase(
        &self,
        client_id: i64,
        total: Decimal,
        benefits: &[(i64, Decimal)],
    ) -> Result<Written<types::Purchase>> {
        let op = &ops::REGISTER_PURCHASE;
        if total.is_sign_negative() {
            return Err(Error::invalid_input(
                P,
                op.id,
                "valor_total",
                format!("{total} is negative"),
            ));
        }
        if benefits.is_empty() {
            return Err(Error::invalid_input(
                P,
                op.id,
                "vantagens",
                "no benefits: the provider requires the list of benefits used (its validation \
                 refuses an empty one)",
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
        let req = self.raw.register_purchase().id(client_id).body(body);
        written(
            op,
            self.call_write(op, Overrides::default(), req.send())
                .await?,
        )
    }

    // ----- orders -----

    /// The app orders pending integration into the point of sale, as one page (the list is
    /// not paged). An order that does not decode is not an error of the page: it is in
    /// [`Page::rejected`] and the other orders are in the page.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a cursor (there is no second page), or any other
    /// [`ErrorKind`].
    pub async fn orders_page(
        &self,
        _filter: &OrderFilter,
        cursor: Option<&Cursor>,
    ) -> Result<Page<types::Order>> {
        let op = &ops::LIST_ORDERS;
        no_cursor(op, cursor)?;
        self.list(op, self.raw.list_orders().send()).await
    }

    /// The app orders pending integration, as a stream; as [`Client::orders_page`].
    pub fn orders(
        &self,
        filter: &OrderFilter,
    ) -> impl Stream<Item = Result<types::Order>> + Send + 'static + use<> {
        let client = self.clone();
        let filter = filter.clone();
        paginate::stream(P, ops::LIST_ORDERS.id, None, move |cursor| {
            let client = client.clone();
            let filter = filter.clone();
            async move { client.orders_page(&filter, cursor.as_ref()).await }
        })
    }

    /// One unpaged list, its records isolated.
    async fn list<L, F>(&self, op: &'static Operation, call: F) -> Result<Page<L::Item>>
    where
        L: Envelope<Data = Vec<<L as Envelope>::Item>> + serde::de::DeserializeOwned + Send,
        F: std::future::Future<
                Output = std::result::Result<
                    progenitor_client::ResponseValue<L>,
                    progenitor_client::Error<types::Error>,
                >,
            > + Send,
    {
        let (envelope, rejected) =
            call::run_list::<L, L::Item, _, _>(self.runtime(), op, call, "/data").await?;
        let items = unwrap(op, envelope)?.unwrap_or_default();
        Ok(Page::new(items, None).with_rejected(rejected))
    }

    /// Marks an order as integrated so it leaves the pending list.
    ///
    /// # Errors
    /// Any [`ErrorKind`].
    pub async fn acknowledge_order(&self, id: i64) -> Result<()> {
        let op = &ops::ACKNOWLEDGE_ORDER;
        let req = self.raw.acknowledge_order().id(id);
        written(
            op,
            self.call_write(op, Overrides::default(), req.send())
                .await?,
        )
        .map(drop)
    }

    /// Sets an order's status; returns the status the provider stored.
    ///
    /// # Errors
    /// Any [`ErrorKind`].
    pub async fn set_order_status(
        &self,
        id: i64,
        status: types::OrderStatusKnown,
    ) -> Result<Written<types::OrderStatus>> {
        let op = &ops::UPDATE_ORDER_STATUS;
        let req = self.raw.update_order_status().id(id).status(status);
        written(
            op,
            self.call_write(op, Overrides::default(), req.send())
                .await?,
        )
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
        let op = &ops::CREATE_PRODUCT;
        let body = call::typed::<types::ProductInput, _>(P, product, op)?;
        let req = self.raw.create_product().body(body);
        written(
            op,
            self.call_write(op, Overrides::default(), req.send())
                .await?,
        )
        .map(drop)
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
        let op = &ops::UPDATE_PRODUCT;
        let body = call::typed::<types::ProductInput, _>(P, product, op)?;
        let req = self.raw.update_product().body(body);
        written(
            op,
            self.call_write(op, Overrides::default(), req.send())
                .await?,
        )
        .map(drop)
    }

    /// The store's product categories (one page: the list is not paged; as
    /// [`Client::orders_page`] for records that do not decode).
    ///
    /// # Errors
    /// Any [`ErrorKind`].
    pub async fn categories(&self) -> Result<Page<types::Category>> {
        let op = &ops::LIST_CATEGORIES;
        self.list(op, self.raw.list_categories().send()).await
    }

    /// Adds a product category.
    ///
    /// # Errors
    /// Any [`ErrorKind`].
    pub async fn create_category(&self, category: types::CategoryInput) -> Result<()> {
        let op = &ops::CREATE_CATEGORY;
        let req = self.raw.create_category().body(category);
        written(
            op,
            self.call_write(op, Overrides::default(), req.send())
                .await?,
        )
        .map(drop)
    }

    /// Changes a product category.
    ///
    /// # Errors
    /// Any [`ErrorKind`].
    pub async fn update_category(&self, category: types::CategoryInput) -> Result<()> {
        let op = &ops::UPDATE_CATEGORY;
        let req = self.raw.update_category().body(category);
        written(
            op,
            self.call_write(op, Overrides::default(), req.send())
                .await?,
        )
        .map(drop)
    }

    // ----- promotions -----

    /// The store's promotions (one page; as [`Client::orders_page`] for records that do not
    /// decode).
    ///
    /// # Errors
    /// Any [`ErrorKind`].
    pub async fn promotions(&self) -> Result<Page<types::Promotion>> {
        let op = &ops::LIST_PROMOTIONS;
        self.list(op, self.raw.list_promotions().send()).await
    }

    /// Adds a promotion; returns it as stored.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] naming a missing field, or any other [`ErrorKind`].
    pub async fn create_promotion<B>(&self, promotion: B) -> Result<Written<types::Promotion>>
    where
        B: TryInto<types::PromotionInput>,
        B::Error: fmt::Display,
    {
        let op = &ops::CREATE_PROMOTION;
        let body = call::typed::<types::PromotionInput, _>(P, promotion, op)?;
        let req = self.raw.create_promotion().body(body);
        written(
            op,
            self.call_write(op, Overrides::default(), req.send())
                .await?,
        )
    }

    /// Changes a promotion (identified by its integration code); returns it as stored.
    ///
    /// # Errors
    /// As [`Client::create_promotion`].
    pub async fn update_promotion<B>(&self, promotion: B) -> Result<Written<types::Promotion>>
    where
        B: TryInto<types::PromotionInput>,
        B::Error: fmt::Display,
    {
        let op = &ops::UPDATE_PROMOTION;
        let body = call::typed::<types::PromotionInput, _>(P, promotion, op)?;
        let req = self.raw.update_promotion().body(body);
        written(
            op,
            self.call_write(op, Overrides::default(), req.send())
                .await?,
        )
    }

    /// Puts products in a promotion; returns the provider's message.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an empty list, or any other [`ErrorKind`].
    pub async fn add_promotion_products(
        &self,
        promotion_id: i64,
        products: Vec<types::PromotionProduct>,
    ) -> Result<Written<String>> {
        let op = &ops::ADD_PROMOTION_PRODUCTS;
        if products.is_empty() {
            return Err(Error::invalid_input(
                P,
                op.id,
                "lista_produtos",
                "no products",
            ));
        }
        let body = types::PromotionProducts {
            lista_produtos: products,
        };
        let req = self
            .raw
            .add_promotion_products()
            .id(promotion_id)
            .body(body);
        written(
            op,
            self.call_write(op, Overrides::default(), req.send())
                .await?,
        )
    }
}
