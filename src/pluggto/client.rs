//! The PluggTo client: credentials and grants, envelopes, paging and one method per operation.

use std::fmt;
use std::num::NonZeroU64;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::NaiveDate;
use futures::Stream;
use futures::future::BoxFuture;
use reqwest::header::{ACCEPT, HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use super::generated::{self, operations as ops};
use super::types;
use crate::common::call::{self, Written};
use crate::common::config::{Builder, ProviderDefaults, TokenCredentials, config_error};
use crate::common::error::{Error, ErrorKind, Provider, Result};
use crate::common::ops::{Operation, Retry};
use crate::common::paginate::{self, Cursor, Page};
use crate::common::ratelimit::RateLimits;
use crate::common::retry::RetryPolicy;
use crate::common::runtime::Overrides;
use crate::common::token::{MemoryStore, Placement, TokenAuth, TokenFetcher, TokenSet};

const P: Provider = Provider::Pluggto;

/// Production base URL.
pub const BASE_URL: &str = "https://api.plugg.to";

/// The largest page PluggTo serves.
const MAX_LIMIT: i64 = 100;

/// How the first token is obtained.
#[derive(Clone)]
enum Grant {
    /// The user's API key and API password (not the panel login).
    Password {
        username: String,
        password: SecretString,
    },
    /// The `pluggtocode` your app URL received; valid once, for a few minutes.
    AuthorizationCode(SecretString),
    /// A refresh token obtained elsewhere (e.g. by an earlier authorization-code exchange).
    RefreshToken(SecretString),
}

/// The plugin/app credentials and the grant that identifies the user.
#[derive(Clone)]
pub struct Credentials {
    client_id: String,
    client_secret: SecretString,
    grant: Grant,
    user_id: Option<String>,
    token_in_query: bool,
}

impl Credentials {
    /// Password grant: the plugin's client id and secret, and the user's API key and password.
    pub fn password(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self::with_grant(
            client_id,
            client_secret,
            Grant::Password {
                username: username.into(),
                password: SecretString::from(password.into()),
            },
        )
    }

    /// Authorization-code grant (apps opened inside PluggTo): the `pluggtocode` parameter your
    /// app URL received. The code works once; afterwards the client lives on the refresh tokens
    /// it keeps in its token store.
    pub fn authorization_code(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        code: impl Into<String>,
    ) -> Self {
        Self::with_grant(
            client_id,
            client_secret,
            Grant::AuthorizationCode(SecretString::from(code.into())),
        )
    }

    /// Starts from a refresh token you kept. A token store holding a newer one takes precedence.
    pub fn refresh_token(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        refresh_token: impl Into<String>,
    ) -> Self {
        Self::with_grant(
            client_id,
            client_secret,
            Grant::RefreshToken(SecretString::from(refresh_token.into())),
        )
    }

    fn with_grant(id: impl Into<String>, secret: impl Into<String>, grant: Grant) -> Self {
        Self {
            client_id: id.into(),
            client_secret: SecretString::from(secret.into()),
            grant,
            user_id: None,
            token_in_query: false,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let grant = match &self.grant {
            Grant::Password { username, .. } => format!("password (user {username})"),
            Grant::AuthorizationCode(_) => "authorization_code".to_owned(),
            Grant::RefreshToken(_) => "refresh_token".to_owned(),
        };
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("grant", &grant)
            .field("user_id", &self.user_id)
            .field("token_in_query", &self.token_in_query)
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

/// PluggTo's grants through the generated token operation. The refresh grant is preferred when
/// a refresh token is known; a refused refresh falls back to the password grant (reusable) or to
/// an authorization code that was never used.
struct Grants {
    raw: generated::Client,
    credentials: Credentials,
    code_used: AtomicBool,
}

impl fmt::Debug for Grants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Grants")
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl Grants {
    fn request(&self, grant: types::GrantType) -> types::TokenRequest {
        types::TokenRequest {
            grant_type: grant,
            client_id: self.credentials.client_id.clone(),
            client_secret: self.credentials.client_secret.expose_secret().to_owned(),
            username: None,
            password: None,
            code: None,
            refresh_token: None,
        }
    }

    async fn exchange(&self, body: types::TokenRequest) -> Result<TokenSet> {
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
            token.refresh_token,
            token.expires_in.and_then(|s| u64::try_from(s).ok()),
        ))
    }

    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenSet> {
        let mut body = self.request(types::GrantType::RefreshToken);
        body.refresh_token = Some(refresh_token.expose_secret().to_owned());
        self.exchange(body).await
    }

    /// The primary grant, when it can (still) be used.
    async fn primary(&self) -> Option<Result<TokenSet>> {
        match &self.credentials.grant {
            Grant::Password { username, password } => {
                let mut body = self.request(types::GrantType::Password);
                body.username = Some(username.clone());
                body.password = Some(password.expose_secret().to_owned());
                Some(self.exchange(body).await)
            }
            Grant::AuthorizationCode(code) => {
                if self.code_used.swap(true, Ordering::SeqCst) {
                    return None;
                }
                let mut body = self.request(types::GrantType::AuthorizationCode);
                body.code = Some(code.expose_secret().to_owned());
                Some(self.exchange(body).await)
            }
            Grant::RefreshToken(token) => {
                if self.code_used.swap(true, Ordering::SeqCst) {
                    return None;
                }
                Some(self.refresh(token).await)
            }
        }
    }
}

impl TokenFetcher for Grants {
    fn fetch<'a>(&'a self, previous: Option<&'a TokenSet>) -> BoxFuture<'a, Result<TokenSet>> {
        Box::pin(async move {
            if let Some(refresh_token) = previous.and_then(|p| p.refresh_token.as_ref()) {
                // Whatever the outcome, the initial refresh token/code is superseded.
                self.code_used.store(true, Ordering::SeqCst);
                match self.refresh(refresh_token).await {
                    Ok(t) => return Ok(t),
                    Err(e) if matches!(e.kind(), ErrorKind::Auth { .. }) => {
                        return match self.primary().await {
                            Some(result) => result,
                            None => Err(e),
                        };
                    }
                    Err(e) => return Err(e),
                }
            }
            match self.primary().await {
                Some(result) => result,
                None => Err(Error::new(
                    P,
                    "issue_token",
                    ErrorKind::Auth {
                        status: None,
                        message: "no usable refresh token and the one-time grant was already \
                                  used; authorize the app again"
                            .to_owned(),
                    },
                )),
            }
        })
    }
}

/// A PluggTo client. Cheap to clone; clones share the token, pool and counters.
#[derive(Clone, Debug)]
pub struct Client {
    raw: generated::Client,
    auth: TokenAuth,
}

impl Builder<Credentials> {
    /// Sends `x-user_id` on every call (acting for one user of a plugin with several users).
    /// No PluggTo document mentions this header (see the spec); it is sent only when set.
    #[must_use]
    pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
        self.credentials.user_id = Some(user_id.into());
        self
    }

    /// Sends the access token as the `access_token` query parameter, the form of PluggTo's older
    /// Postman collection, instead of the `Authorization: Bearer` header its current reference
    /// documents (the default). The token then appears in every URL, where proxies and access
    /// logs keep it (this crate still redacts it from its own errors and logs): use it only for an
    /// account that refuses the header.
    #[must_use]
    pub fn access_token_in_query(mut self) -> Self {
        self.credentials.token_in_query = true;
        self
    }

    /// Builds the client. The token is fetched on the first call (or taken from the store).
    ///
    /// # Errors
    /// A configuration error when the base URL is not HTTPS (loopback hosts excepted) or the
    /// user id is not a valid header value.
    pub fn build(self) -> Result<Client> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(user) = &self.credentials.user_id {
            let value = HeaderValue::from_str(user)
                .map_err(|_| config_error(P, "the user id is not a valid header value"))?;
            headers.insert(HeaderName::from_static("x-user_id"), value);
        }
        let store = self
            .options
            .token_store
            .clone()
            .unwrap_or_else(|| Arc::new(MemoryStore::new()));
        let credentials = self.credentials;
        let placement = if credentials.token_in_query {
            Placement::Query("access_token")
        } else {
            Placement::Bearer
        };
        let parts = self.options.assemble(&defaults(), headers, None)?;
        let (parts, auth) = parts.with_token_auth(
            |plain| {
                let raw = generated::Client::new_with_client(
                    &plain.base_url,
                    plain.http.clone(),
                    Arc::new(plain.runtime.clone()),
                );
                Arc::new(Grants {
                    raw,
                    credentials,
                    code_used: AtomicBool::new(false),
                })
            },
            store,
            placement,
            // Access tokens last an hour: renew two minutes early.
            Duration::from_secs(120),
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

/// A range of days for the `created` / `modified` filters, sent as `YYYY-MM-DDtoYYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    from: NaiveDate,
    to: NaiveDate,
}

impl DateRange {
    /// Days `from` to `to`, both included.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when `to` is before `from`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self> {
        if to < from {
            return Err(Error::invalid_input(
                P,
                "date_range",
                "to",
                format!("{to} is before {from}"),
            ));
        }
        Ok(Self { from, to })
    }

    /// First day.
    pub fn from(&self) -> NaiveDate {
        self.from
    }

    /// Last day.
    pub fn to(&self) -> NaiveDate {
        self.to
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}to{}",
            self.from.format("%Y-%m-%d"),
            self.to.format("%Y-%m-%d")
        )
    }
}

/// Filters of [`Client::orders`]. Unset fields are not sent.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct OrderFilter {
    /// Created in this range.
    pub created: Option<DateRange>,
    /// Changed in this range.
    pub modified: Option<DateRange>,
    /// With this status (any text; see [`types::OrderStatusKnown`] for the known ones).
    pub status: Option<String>,
    /// Containing this SKU.
    pub sku: Option<String>,
    /// From this sales channel.
    pub channel: Option<String>,
    /// With this id in the channel.
    pub channel_id: Option<String>,
    /// With this external id.
    pub external: Option<String>,
    /// With this attribute (PluggTo's `attribute` filter).
    pub attribute: Option<String>,
    /// Page size, 1–100 (default 100).
    pub limit: Option<i64>,
}

/// Filters of [`Client::products`]. Unset fields are not sent.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ProductFilter {
    /// Created in this range.
    pub created: Option<DateRange>,
    /// Changed in this range.
    pub modified: Option<DateRange>,
    /// Containing this SKU.
    pub sku: Option<String>,
    /// In this category.
    pub category: Option<String>,
    /// With this attribute (PluggTo's `attribute` filter).
    pub attribute: Option<String>,
    /// With this PluggTo id.
    pub id: Option<String>,
    /// Page size, 1–100 (default 100).
    pub limit: Option<i64>,
}

/// Filters of [`Client::messages`]. Unset fields are not sent.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct MessageFilter {
    /// Created in this range.
    pub created: Option<DateRange>,
    /// Changed in this range.
    pub modified: Option<DateRange>,
    /// From this channel.
    pub channel: Option<String>,
    /// Page size, 1–100 (default 100).
    pub limit: Option<i64>,
}

crate::common::paginate::filter_setters! {
    OrderFilter {
        created: DateRange, modified: DateRange, limit: i64;
        text: status, sku, channel, channel_id, external, attribute;
    }
    ProductFilter {
        created: DateRange, modified: DateRange, limit: i64;
        text: sku, category, attribute, id;
    }
    MessageFilter {
        created: DateRange, modified: DateRange, limit: i64;
        text: channel;
    }
}

/// A stock change for one SKU.
///
/// Only [`StockChange::Set`] is sent again after a lost answer (it sets an absolute value);
/// an increase or decrease that may have been applied is reported as such, never repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockChange {
    /// Add (a return).
    Increase(u32),
    /// Subtract (a sale).
    Decrease(u32),
    /// Overwrite (a stock count).
    Set(u32),
}

fn limit_of(op: &'static Operation, limit: Option<i64>) -> Result<(i64, NonZeroU64)> {
    let l = limit.unwrap_or(MAX_LIMIT);
    match u64::try_from(l).ok().and_then(NonZeroU64::new) {
        Some(n) if l <= MAX_LIMIT => Ok((l, n)),
        _ => Err(Error::invalid_input(
            P,
            op.id,
            "limit",
            format!("{l} is outside 1..={MAX_LIMIT}"),
        )),
    }
}

/// A list answer `{total, showing, limit, result: [{"<Kind>": {...}}]}`: its records (of type
/// `Entry`, each `{"<Kind>": {...}}`) and how to tell the id of one.
trait Listed: serde::de::DeserializeOwned + Send {
    type Entry: serde::de::DeserializeOwned;
    type Item;
    fn into_parts(self) -> (Option<i64>, Vec<Self::Item>);
    fn id(item: &Self::Item) -> Option<String>;
}

macro_rules! listed {
    ($($list:ident => $entry:ident => $item:ident . $field:ident, |$i:ident| $id:expr;)*) => {
        $(impl Listed for types::$list {
            type Entry = types::$entry;
            type Item = types::$item;
            fn into_parts(self) -> (Option<i64>, Vec<types::$item>) {
                (self.total, self.result.into_iter().map(|e| e.$field).collect())
            }
            fn id($i: &types::$item) -> Option<String> {
                $id
            }
        })*
    };
}

listed! {
    OrderList => OrderEnvelope => Order.order, |o| Some(o.id.clone());
    ProductList => ProductEnvelope => Product.product, |p| p.id.clone();
    MessageList => MessageEnvelope => Message.message, |m| Some(m.id.clone());
}

/// A list answer as a [`Page`], unwrapped. The next page starts after the page's last record
/// (a rejected one included); an empty page is the last. PluggTo documents no end-of-list rule
/// and no maximum page size (100 is assumed, see the spec), so a short page is not taken as the
/// last: a provider that serves fewer records than asked would otherwise end the walk early.
fn into_page<L: Listed>(list: L, rejected: Vec<Error>) -> Page<L::Item> {
    let (total, items) = list.into_parts();
    let count = items.len() + rejected.len();
    let last_rejected = rejected
        .iter()
        .filter_map(|e| e.record())
        .find(|r| r.index + 1 == count)
        .and_then(|r| r.id.clone());
    let last = last_rejected.or_else(|| items.last().and_then(L::id));
    let next = if count == 0 {
        None
    } else {
        last.map(Cursor::After)
    };
    Page::new(items, next)
        .with_totals(total.and_then(|t| u64::try_from(t).ok()), None)
        .with_rejected(rejected)
}

/// The id to start after, from a cursor.
fn after(op: &'static Operation, cursor: Option<&Cursor>) -> Result<Option<String>> {
    match cursor {
        None => Ok(None),
        Some(Cursor::After(id)) => Ok(Some(id.clone())),
        Some(other) => Err(Error::invalid_input(
            P,
            op.id,
            "next",
            format!("{other:?} is not an id (PluggTo pages start after the last id read)"),
        )),
    }
}

/// [`Written::Unchanged`] for PluggTo's `not_updated` answer; other errors stay errors.
fn outcome<T>(result: Result<Written<T>>) -> Result<Written<T>> {
    match result {
        Err(e) => match unchanged(&e) {
            Some(message) => Ok(Written::Unchanged {
                message: message.to_owned(),
            }),
            None => Err(e),
        },
        ok => ok,
    }
}

/// The message of PluggTo's `not_updated` answer (what was sent equals what it holds).
pub(crate) fn unchanged(e: &Error) -> Option<&str> {
    e.provider_error()
        .filter(|p| p.code.as_deref() == Some("not_updated"))
        .map(|p| p.message.as_str())
}

fn non_empty(op: &'static Operation, field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid_input(P, op.id, field, "is empty"));
    }
    Ok(())
}

impl Client {
    call::facade_basics!(token_requests);

    // ----- the user -----

    /// The PluggTo user (seller) the access token acts for: what an app opened inside PluggTo
    /// (authorization-code grant) asks after exchanging its `pluggtocode`, to know whose account it
    /// works on. Its `id` is the `user_id` of orders and the `user` of notifications.
    ///
    /// `GET /users` is known only by name (see the spec, `x-confidence: listed-only`): the answer
    /// is assumed to be `{"User": {"id": ..}}`; another shape is a decode error that quotes the
    /// body.
    ///
    /// # Errors
    /// A provider error, or any other [`ErrorKind`].
    pub async fn user(&self) -> Result<types::User> {
        let op = &ops::GET_USER;
        let env = self.call(op, || self.raw.get_user().send()).await?;
        Ok(env.user)
    }

    // ----- orders -----

    /// Creates an order; returns it as stored (with its PluggTo id).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] naming a missing field, a provider error (with
    /// [`crate::Error::field_errors`] for invalid fields), or any other [`ErrorKind`].
    pub async fn create_order<B>(&self, order: B) -> Result<Written<types::Order>>
    where
        B: TryInto<types::OrderInput>,
        B::Error: fmt::Display,
    {
        let op = &ops::CREATE_ORDER;
        let body = call::typed::<types::OrderInput, _>(P, order, op)?;
        let req = self.raw.create_order().body(body);
        let env = self
            .call_write(op, Overrides::default(), req.send())
            .await?;
        Ok(env.map(|e| e.order))
    }

    /// An order by its PluggTo id.
    ///
    /// # Errors
    /// A provider error (404 when unknown) or any other [`ErrorKind`].
    pub async fn order(&self, id: &str) -> Result<types::Order> {
        let op = &ops::GET_ORDER;
        non_empty(op, "id", id)?;
        let env = self.call(op, || self.raw.get_order().id(id).send()).await?;
        Ok(env.order)
    }

    /// Changes an order (status, shipments, ...). A change that PluggTo finds identical to what
    /// it holds is [`Written::Unchanged`].
    ///
    /// A shipment without an `id` creates a new shipment, so such a change is not sent again
    /// after a lost answer (the error says it may have been applied); a change whose shipments
    /// all carry their `id` (or that has none) is.
    ///
    /// # Errors
    /// As [`Client::create_order`].
    pub async fn update_order<B>(&self, id: &str, change: B) -> Result<Written<types::Order>>
    where
        B: TryInto<types::OrderUpdate>,
        B::Error: fmt::Display,
    {
        let op = &ops::UPDATE_ORDER;
        non_empty(op, "id", id)?;
        let body = call::typed::<types::OrderUpdate, _>(P, change, op)?;
        let overrides = Overrides {
            retry: body
                .shipments
                .iter()
                .all(|s| s.id.as_deref().is_some_and(|i| !i.trim().is_empty()))
                .then_some(Retry::Safe),
            ..Overrides::default()
        };
        let req = self.raw.update_order().id(id).body(body);
        outcome(
            self.call_write(op, overrides, req.send())
                .await
                .map(|w| w.map(|env| env.order)),
        )
    }

    /// One page of orders, starting after the order `cursor` names (`None`: the first page).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a limit outside 1–100 or a cursor that is not an id, or
    /// any other [`ErrorKind`]. An order that does not decode is not an error of the page: it
    /// is in [`Page::rejected`] and the other orders are in the page.
    pub async fn orders_page(
        &self,
        filter: &OrderFilter,
        cursor: Option<&Cursor>,
    ) -> Result<Page<types::Order>> {
        let op = &ops::LIST_ORDERS;
        let (_, page_size) = limit_of(op, filter.limit)?;
        let mut req = self.raw.list_orders().limit(page_size);
        if let Some(n) = after(op, cursor)? {
            req = req.next(n);
        }
        if let Some(r) = filter.created {
            req = req.created(r.to_string());
        }
        if let Some(r) = filter.modified {
            req = req.modified(r.to_string());
        }
        if let Some(v) = &filter.status {
            req = req.status(v.clone());
        }
        if let Some(v) = &filter.sku {
            req = req.sku(v.clone());
        }
        if let Some(v) = &filter.channel {
            req = req.channel(v.clone());
        }
        if let Some(v) = &filter.channel_id {
            req = req.channel_id(v.clone());
        }
        if let Some(v) = &filter.external {
            req = req.external(v.clone());
        }
        if let Some(v) = &filter.attribute {
            req = req.attribute(v.clone());
        }
        self.list(op, req.send()).await
    }

    /// Every order matching `filter`, page after page (one page in memory at a time). An
    /// order that does not decode comes out as an `Err` item and the stream goes on; a page
    /// that cannot be read ends it.
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

    /// One page of a list, its records isolated (see [`Client::orders_page`]).
    async fn list<L, F>(&self, op: &'static Operation, call: F) -> Result<Page<L::Item>>
    where
        L: Listed,
        F: std::future::Future<
                Output = std::result::Result<
                    progenitor_client::ResponseValue<L>,
                    progenitor_client::Error<types::Error>,
                >,
            > + Send,
    {
        let (list, rejected) =
            call::run_list::<L, L::Entry, _, _>(self.runtime(), op, call, "/result").await?;
        Ok(into_page(list, rejected))
    }

    // ----- products and SKUs -----

    /// A product by its PluggTo id.
    ///
    /// # Errors
    /// A provider error (404 when unknown) or any other [`ErrorKind`].
    pub async fn product(&self, id: &str) -> Result<types::Product> {
        let op = &ops::GET_PRODUCT;
        non_empty(op, "id", id)?;
        let env = self
            .call(op, || self.raw.get_product().id(id).send())
            .await?;
        Ok(env.product)
    }

    /// A product by its SKU (parent or variation).
    ///
    /// # Errors
    /// As [`Client::product`].
    pub async fn product_by_sku(&self, sku: &str) -> Result<types::Product> {
        let op = &ops::GET_SKU;
        non_empty(op, "sku", sku)?;
        let env = self.call(op, || self.raw.get_sku().sku(sku).send()).await?;
        Ok(env.product)
    }

    /// Creates or replaces the product with this SKU (simple, with variations, or a kit).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] naming a missing field, or any other [`ErrorKind`].
    pub async fn put_product<B>(&self, sku: &str, product: B) -> Result<Written<types::Product>>
    where
        B: TryInto<types::ProductInput>,
        B::Error: fmt::Display,
    {
        let op = &ops::PUT_SKU;
        non_empty(op, "sku", sku)?;
        let body = call::typed::<types::ProductInput, _>(P, product, op)?;
        let req = self.raw.put_sku().sku(sku).body(body);
        outcome(
            self.call_write(op, Overrides::default(), req.send())
                .await
                .map(|w| w.map(|env| env.product)),
        )
    }

    /// Deletes the product with this SKU. Sent again after a lost answer; a `404` to the
    /// repetition means the first attempt deleted it, and is a success.
    ///
    /// # Errors
    /// A provider error (404 when unknown) or any other [`ErrorKind`].
    pub async fn delete_product(&self, sku: &str) -> Result<()> {
        let op = &ops::DELETE_SKU;
        non_empty(op, "sku", sku)?;
        let req = self.raw.delete_sku().sku(sku);
        match self.call_write(op, Overrides::default(), req.send()).await {
            Ok(_) => Ok(()),
            Err(e) if e.status() == Some(404) && e.attempts() > 1 => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Changes the stock of one SKU (see [`StockChange`] for which changes are sent again after
    /// a lost answer).
    ///
    /// # Errors
    /// As [`Client::put_product`].
    pub async fn update_stock(
        &self,
        sku: &str,
        change: StockChange,
    ) -> Result<Written<types::Product>> {
        let op = &ops::UPDATE_SKU_STOCK;
        non_empty(op, "sku", sku)?;
        let (action, quantity, retry) = match change {
            StockChange::Increase(q) => (types::StockAction::Increase, q, Retry::Unsafe),
            StockChange::Decrease(q) => (types::StockAction::Decrease, q, Retry::Unsafe),
            StockChange::Set(q) => (types::StockAction::Update, q, Retry::Safe),
        };
        let body = types::StockUpdate {
            action,
            quantity: u64::from(quantity),
            sku: Some(sku.to_owned()),
        };
        let overrides = Overrides {
            retry: Some(retry),
            ..Overrides::default()
        };
        let req = self.raw.update_sku_stock().sku(sku).body(body);
        outcome(
            self.call_write(op, overrides, req.send())
                .await
                .map(|w| w.map(|env| env.product)),
        )
    }

    /// One page of products, starting after the product `cursor` names.
    ///
    /// # Errors
    /// As [`Client::orders_page`].
    pub async fn products_page(
        &self,
        filter: &ProductFilter,
        cursor: Option<&Cursor>,
    ) -> Result<Page<types::Product>> {
        let op = &ops::LIST_PRODUCTS;
        let (_, page_size) = limit_of(op, filter.limit)?;
        let mut req = self.raw.list_products().limit(page_size);
        if let Some(n) = after(op, cursor)? {
            req = req.next(n);
        }
        if let Some(r) = filter.created {
            req = req.created(r.to_string());
        }
        if let Some(r) = filter.modified {
            req = req.modified(r.to_string());
        }
        if let Some(v) = &filter.sku {
            req = req.sku(v.clone());
        }
        if let Some(v) = &filter.category {
            req = req.category(v.clone());
        }
        if let Some(v) = &filter.attribute {
            req = req.attribute(v.clone());
        }
        if let Some(v) = &filter.id {
            req = req.id(v.clone());
        }
        self.list(op, req.send()).await
    }

    /// Every product matching `filter`, page after page; as [`Client::orders`].
    pub fn products(
        &self,
        filter: &ProductFilter,
    ) -> impl Stream<Item = Result<types::Product>> + Send + 'static + use<> {
        let client = self.clone();
        let filter = filter.clone();
        paginate::stream(P, ops::LIST_PRODUCTS.id, None, move |cursor| {
            let client = client.clone();
            let filter = filter.clone();
            async move { client.products_page(&filter, cursor.as_ref()).await }
        })
    }

    // ----- shipping -----

    /// Freight options for a postal code (CEP, digits) and `(sku, quantity)` items.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a CEP that is not 8 digits or no items, or any other
    /// [`ErrorKind`].
    pub async fn quote_shipping(
        &self,
        postal_code: &str,
        items: &[(&str, u32)],
    ) -> Result<Vec<types::ShippingOption>> {
        let op = &ops::QUOTE_SHIPPING;
        let cep: String = postal_code.chars().filter(char::is_ascii_digit).collect();
        if cep.len() != 8 || postal_code.chars().any(|c| c.is_alphabetic()) {
            return Err(Error::invalid_input(
                P,
                op.id,
                "postalcode",
                format!("{postal_code:?} is not an 8-digit CEP"),
            ));
        }
        if items.is_empty() {
            return Err(Error::invalid_input(P, op.id, "skus", "no items"));
        }
        if let Some((sku, _)) = items.iter().find(|(s, _)| s.contains([',', ':'])) {
            return Err(Error::invalid_input(
                P,
                op.id,
                "skus",
                format!("{sku:?} contains ',' or ':'"),
            ));
        }
        let skus = items
            .iter()
            .map(|(s, q)| format!("{s}:{q}"))
            .collect::<Vec<_>>()
            .join(",");
        let quote = self
            .call(op, || {
                self.raw
                    .quote_shipping()
                    .postalcode(cep.as_str())
                    .country("BRA")
                    .skus(skus.as_str())
                    .send()
            })
            .await?;
        Ok(quote.0)
    }

    // ----- messages -----

    /// Creates a message (question, claim, ...); returns it as stored.
    ///
    /// # Errors
    /// As [`Client::create_order`].
    pub async fn create_message<B>(&self, message: B) -> Result<Written<types::Message>>
    where
        B: TryInto<types::MessageInput>,
        B::Error: fmt::Display,
    {
        let op = &ops::CREATE_MESSAGE;
        let body = call::typed::<types::MessageInput, _>(P, message, op)?;
        let req = self.raw.create_message().body(body);
        let env = self
            .call_write(op, Overrides::default(), req.send())
            .await?;
        Ok(env.map(|e| e.message))
    }

    /// Adds interactions (answers) to existing messages; each carries its message id.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an empty list, or any other [`ErrorKind`].
    pub async fn add_message_interactions(
        &self,
        interactions: Vec<types::MessageInteraction>,
    ) -> Result<Written<types::Message>> {
        let op = &ops::ADD_MESSAGE_INTERACTIONS;
        if interactions.is_empty() {
            return Err(Error::invalid_input(
                P,
                op.id,
                "interections",
                "no interactions",
            ));
        }
        let body = types::MessageInteractionUpdate {
            interections: interactions,
        };
        let req = self.raw.add_message_interactions().body(body);
        let env = self
            .call_write(op, Overrides::default(), req.send())
            .await?;
        Ok(env.map(|e| e.message))
    }

    /// One page of messages, starting after the message `cursor` names.
    ///
    /// # Errors
    /// As [`Client::orders_page`].
    pub async fn messages_page(
        &self,
        filter: &MessageFilter,
        cursor: Option<&Cursor>,
    ) -> Result<Page<types::Message>> {
        let op = &ops::LIST_MESSAGES;
        let (_, page_size) = limit_of(op, filter.limit)?;
        let mut req = self.raw.list_messages().limit(page_size);
        if let Some(n) = after(op, cursor)? {
            req = req.next(n);
        }
        if let Some(r) = filter.created {
            req = req.created(r.to_string());
        }
        if let Some(r) = filter.modified {
            req = req.modified(r.to_string());
        }
        if let Some(v) = &filter.channel {
            req = req.channel(v.clone());
        }
        self.list(op, req.send()).await
    }

    /// Every message matching `filter`, page after page; as [`Client::orders`].
    pub fn messages(
        &self,
        filter: &MessageFilter,
    ) -> impl Stream<Item = Result<types::Message>> + Send + 'static + use<> {
        let client = self.clone();
        let filter = filter.clone();
        paginate::stream(P, ops::LIST_MESSAGES.id, None, move |cursor| {
            let client = client.clone();
            let filter = filter.clone();
            async move { client.messages_page(&filter, cursor.as_ref()).await }
        })
    }
}
