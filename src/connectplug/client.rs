//! The ConnectPlug client: password grant on the token host, company scoping, idempotent
//! writes, paging, and typed helpers for the common flows.

use std::fmt;
use std::future::Future;
use std::num::NonZeroU64;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use futures::future::BoxFuture;
use progenitor_client::ResponseValue;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use super::generated::{self, operations as ops};
use super::lists::Listing;
use super::types;
use crate::common::call::{self, Written};
use crate::common::config::{Builder, ProviderDefaults, TokenCredentials, check_base_url};
use crate::common::error::{ErrorKind, Provider, Result};
use crate::common::paginate::{self, Cursor, Page};
use crate::common::ratelimit::RateLimits;
use crate::common::retry::RetryPolicy;
use crate::common::runtime::Overrides;
use crate::common::token::{MemoryStore, Placement, TokenAuth, TokenFetcher, TokenSet};

const P: Provider = Provider::Connectplug;

/// Resource API base URL (every `/api/v3` path).
pub const BASE_URL: &str = "https://api.connectplug.com.br";

/// The OAuth host (`POST /oauth/token`).
pub const TOKEN_URL: &str = "https://erp.connectplug.com.br";

const COMPANY: HeaderName = HeaderName::from_static("cplug-company-id");

/// Page size used by the streams.
const STREAM_PAGE: u64 = 100;

/// The integrator's client credentials and the store user that acts.
#[derive(Clone)]
pub struct Credentials {
    client_id: String,
    client_secret: SecretString,
    username: String,
    password: SecretString,
    token_url: Option<String>,
    company: Option<i64>,
}

impl Credentials {
    /// Password grant: the integrator's client id and secret (issued by ConnectPlug) and the
    /// e-mail and password of the store user created for the API.
    pub fn password(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
            username: username.into(),
            password: SecretString::from(password.into()),
            token_url: None,
            company: None,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("token_url", &self.token_url)
            .field("company", &self.company)
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
        // Every write carries a key, kept across retries: a retried create never creates twice.
        idempotency_keys: true,
        operations: ops::find,
        shapes: generated::schemas::find,
        all_operations: generated::operations::ALL,
    }
}

/// The password grant (and the refresh grant when a refresh token was issued).
struct PasswordGrant {
    raw: generated::Client,
    credentials: Credentials,
}

impl fmt::Debug for PasswordGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordGrant")
            .field("credentials", &self.credentials)
            .finish()
    }
}

impl PasswordGrant {
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

    fn request(&self, grant: types::GrantType) -> types::TokenRequest {
        types::TokenRequest {
            grant_type: grant,
            client_id: self.credentials.client_id.clone(),
            client_secret: self.credentials.client_secret.expose_secret().to_owned(),
            username: None,
            password: None,
            refresh_token: None,
            scope: Some(String::new()),
        }
    }
}

impl TokenFetcher for PasswordGrant {
    fn fetch<'a>(&'a self, previous: Option<&'a TokenSet>) -> BoxFuture<'a, Result<TokenSet>> {
        Box::pin(async move {
            if let Some(refresh) = previous.and_then(|p| p.refresh_token.as_ref()) {
                let mut body = self.request(types::GrantType::RefreshToken);
                body.refresh_token = Some(refresh.expose_secret().to_owned());
                match self.exchange(body).await {
                    Ok(t) => return Ok(t),
                    // A refused refresh: the password grant still works.
                    Err(e) if matches!(e.kind(), ErrorKind::Auth { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            let mut body = self.request(types::GrantType::Password);
            body.username = Some(self.credentials.username.clone());
            body.password = Some(self.credentials.password.expose_secret().to_owned());
            self.exchange(body).await
        })
    }
}

/// A ConnectPlug client acting for one company. Cheap to clone; clones (and
/// [`Client::for_company`] handles) share the token, pool and counters.
#[derive(Clone, Debug)]
pub struct Client {
    pub(super) raw: generated::Client,
    auth: TokenAuth,
    company: Option<i64>,
}

impl Builder<Credentials> {
    /// The company (store) every call acts on (`CPlug-Company-Id`); ids come from
    /// `list_companies`. Without it only calls that need no company work.
    #[must_use]
    pub fn company(mut self, company_id: i64) -> Self {
        self.credentials.company = Some(company_id);
        self
    }

    /// The OAuth host (default [`TOKEN_URL`]).
    #[must_use]
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.credentials.token_url = Some(url.into());
        self
    }

    /// Builds the client. The token is fetched on the first call.
    ///
    /// # Errors
    /// A configuration error when a URL is not HTTPS (loopback hosts excepted).
    pub fn build(self) -> Result<Client> {
        let token_url = self
            .credentials
            .token_url
            .clone()
            .unwrap_or_else(|| TOKEN_URL.to_owned());
        check_base_url(P, &token_url)?;
        let token_url = token_url.trim_end_matches('/').to_owned();
        let company = self.credentials.company;
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let store = self
            .options
            .token_store
            .clone()
            .unwrap_or_else(|| Arc::new(MemoryStore::new()));
        let credentials = self.credentials;
        let parts = self.options.assemble(&defaults(), headers, None)?;
        let (mut parts, auth) = parts.with_token_auth(
            |plain| {
                let mut runtime = plain.runtime.clone();
                // The token request is not a business write.
                runtime.idempotency_keys = false;
                let raw = generated::Client::new_with_client(
                    &token_url,
                    plain.http.clone(),
                    Arc::new(runtime),
                );
                Arc::new(PasswordGrant { raw, credentials })
            },
            store,
            Placement::Bearer,
            // The lifetime is not documented: renew five minutes before the announced expiry.
            Duration::from_secs(300),
        );
        if let Some(id) = company {
            parts.runtime.headers.insert(COMPANY, HeaderValue::from(id));
        }
        Ok(Client {
            raw: generated::Client::new_with_client(
                &parts.base_url,
                parts.http,
                Arc::new(parts.runtime),
            ),
            auth,
            company,
        })
    }
}

impl Client {
    call::facade_basics!(token_requests);

    /// A handle acting for another company (`CPlug-Company-Id`): same connection pool, token,
    /// retry budget, counters and options; nothing is reconnected.
    pub fn for_company(&self, company_id: i64) -> Self {
        self.acting_for(Some(company_id))
    }

    /// A handle sending `CPlug-Company-Id: company` (none for `None`), sharing everything else.
    fn acting_for(&self, company: Option<i64>) -> Self {
        let mut runtime = (*self.raw.inner).clone();
        match company {
            Some(id) => runtime.headers.insert(COMPANY, HeaderValue::from(id)),
            None => runtime.headers.remove(COMPANY),
        };
        Self {
            raw: generated::Client::new_with_client(
                &self.raw.baseurl,
                self.raw.client.clone(),
                Arc::new(runtime),
            ),
            company,
            ..self.clone()
        }
    }

    /// The company this handle acts for.
    pub fn company(&self) -> Option<i64> {
        self.company
    }

    /// One page of any list: `call` is the generated list call for that page. A record that
    /// does not decode is not an error of the page: it is in [`Page::rejected`] and the other
    /// records are in the page.
    ///
    /// # Errors
    /// As [`Client::run`].
    pub async fn page<L, F>(&self, call: F) -> Result<Page<L::Item>>
    where
        L: Listing + DeserializeOwned + Send,
        F: Future<
                Output = std::result::Result<
                    ResponseValue<L>,
                    progenitor_client::Error<types::Error>,
                >,
            > + Send,
    {
        let op = call::operation_of::<F>(self.runtime()).unwrap_or(&ops::LIST_PRODUCTS);
        let (list, rejected) =
            call::run_list::<L, L::Item, _, _>(self.runtime(), op, call, L::ITEMS).await?;
        Ok(list.into_page(rejected))
    }

    /// Every item of any list, page after page (one page in memory at a time). `call` makes
    /// the generated list call for a page number and page size on the client it is given:
    /// `erp.all(|raw, page, size| Box::pin(raw.list_units().page(page).per_page(size).send()))`.
    /// The stream owns what it needs (`'static`). A record that does not decode comes out as an
    /// `Err` item and the stream goes on; a page that cannot be read ends it.
    pub fn all<L, F>(
        &self,
        call: F,
    ) -> impl Stream<Item = Result<L::Item>> + Send + 'static + use<L, F>
    where
        L: Listing + DeserializeOwned + Send + 'static,
        L::Item: Send + 'static,
        F: for<'a> Fn(&'a generated::Client, NonZeroU64, NonZeroU64) -> ListCall<'a, L>
            + Send
            + Sync
            + 'static,
    {
        let size = NonZeroU64::new(STREAM_PAGE).unwrap_or(NonZeroU64::MIN);
        let client = self.clone();
        let call = Arc::new(call);
        paginate::stream(P, "list", None, move |cursor| {
            let client = client.clone();
            let call = call.clone();
            async move {
                let page = match cursor {
                    None => NonZeroU64::MIN,
                    Some(Cursor::Number(n)) => NonZeroU64::new(n).unwrap_or(NonZeroU64::MIN),
                    Some(other) => {
                        return Err(crate::Error::invalid_input(
                            P,
                            "list",
                            "page",
                            format!("{other:?} is not a page number"),
                        ));
                    }
                };
                client.page(call(&client.raw, page, size)).await
            }
        })
    }

    // ----- typed helpers for the common flows -----

    /// One page of products (`cursor`: the page; `None` for the first), 100 per page.
    ///
    /// # Errors
    /// As [`Client::page`].
    pub async fn products_page(
        &self,
        filter: &ProductFilter,
        cursor: Option<&Cursor>,
    ) -> Result<Page<types::Product>> {
        let page = page_number(cursor)?;
        let size = NonZeroU64::new(STREAM_PAGE).unwrap_or(NonZeroU64::MIN);
        let mut req = self.raw.list_products().page(page).per_page(size);
        if let Some(since) = &filter.updated_from {
            req = req.updated_from(since.clone());
        }
        self.page(req.send()).await
    }

    /// Every product matching `filter` (all pages); as [`Client::all`] for records that do
    /// not decode.
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

    /// A product by id.
    ///
    /// # Errors
    /// A provider error (404 when unknown) or any other [`ErrorKind`].
    pub async fn product(&self, id: i64) -> Result<types::Product> {
        let req = || self.raw.get_product().product_id(id);
        Ok(self.call(&ops::GET_PRODUCT, || req().send()).await?.data)
    }

    /// Creates a product; returns it as stored. Retried safely: the same idempotency key is
    /// sent on every attempt. ConnectPlug wraps some created records in `data` and not others
    /// (see the spec); both shapes are read.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] naming a missing field; a 422 with
    /// [`crate::Error::field_errors`]; any other [`ErrorKind`].
    pub async fn create_product<B>(&self, product: B) -> Result<Written<types::Product>>
    where
        B: TryInto<types::ProductCreate>,
        B::Error: fmt::Display,
    {
        let op = &ops::CREATE_PRODUCT;
        let body = call::typed::<types::ProductCreate, _>(P, product, op)?;
        let req = self.raw.create_product().body(body);
        let answer = self
            .call_write(op, Overrides::default(), req.send())
            .await?;
        Ok(unwrapped_too(answer.map(|r| r.data)))
    }

    /// A product's stock balance in every stock.
    ///
    /// # Errors
    /// As [`Client::product`].
    pub async fn product_balance(&self, id: i64) -> Result<types::ProductBalance> {
        let req = || self.raw.get_product_balance().product_id(id);
        Ok(self
            .call(&ops::GET_PRODUCT_BALANCE, || req().send())
            .await?
            .data)
    }

    /// Every stock (warehouse) of the company.
    pub fn stocks(&self) -> impl Stream<Item = Result<types::Stock>> + Send + 'static + use<> {
        self.all(|raw, page, size| Box::pin(raw.list_stocks().page(page).per_page(size).send()))
    }

    /// Every sale order.
    pub fn sale_orders(
        &self,
    ) -> impl Stream<Item = Result<types::SaleOrder>> + Send + 'static + use<> {
        self.all(|raw, page, size| {
            Box::pin(raw.list_sale_orders().page(page).per_page(size).send())
        })
    }

    /// Creates a sale order; returns it as stored.
    ///
    /// # Errors
    /// As [`Client::create_product`].
    pub async fn create_sale_order<B>(&self, order: B) -> Result<Written<types::SaleOrder>>
    where
        B: TryInto<types::SaleOrderCreate>,
        B::Error: fmt::Display,
    {
        let op = &ops::CREATE_SALE_ORDER;
        let body = call::typed::<types::SaleOrderCreate, _>(P, order, op)?;
        let req = self.raw.create_sale_order().body(body);
        let answer = self
            .call_write(op, Overrides::default(), req.send())
            .await?;
        Ok(unwrapped_too(answer.map(|r| r.data)))
    }

    /// Every customer.
    pub fn customers(
        &self,
    ) -> impl Stream<Item = Result<types::Customer>> + Send + 'static + use<> {
        self.all(|raw, page, size| Box::pin(raw.list_customers().page(page).per_page(size).send()))
    }

    /// The details of a company (trade and legal names, code, kind of business, CNAE,
    /// documents, address), from `GET /api/v3/companies/{companyId}`. Sent without
    /// `CPlug-Company-Id`, whichever company this handle acts for: the provider's page lists no
    /// header for it, so it also works on a client built without a company.
    ///
    /// # Errors
    /// A provider error (404 when unknown) or any other [`ErrorKind`].
    pub async fn company_details(&self, company_id: i64) -> Result<types::Company> {
        let plain = self.acting_for(None);
        let req = || plain.raw.get_company().company_id(company_id);
        plain.call(&ops::GET_COMPANY, || req().send()).await
    }

    /// The companies (stores) the API user can act for, every page (audit C13: the list's
    /// paging is not documented, so `meta` is followed when it is there).
    pub fn companies(
        &self,
    ) -> impl Stream<Item = Result<types::CompanySummary>> + Send + 'static + use<> {
        let client = self.clone();
        paginate::stream(P, ops::LIST_COMPANIES.id, None, move |cursor| {
            let client = client.clone();
            async move {
                let mut req = client.raw.list_companies();
                if let Some(Cursor::Number(n)) = cursor {
                    req = req.page(NonZeroU64::new(n).unwrap_or(NonZeroU64::MIN));
                }
                client.page(req.send()).await
            }
        })
    }
}

/// A generated list call for [`Client::all`]: the boxed future of `send()`.
pub type ListCall<'a, L> = futures::future::BoxFuture<
    'a,
    std::result::Result<ResponseValue<L>, progenitor_client::Error<types::Error>>,
>;

/// Filters of [`Client::products`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProductFilter {
    /// Products changed since this instant (`YYYY-MM-DDThh:mm:ss+hh:mm`), for incremental
    /// sync.
    pub updated_from: Option<String>,
}

crate::common::paginate::filter_setters! {
    ProductFilter {
        ;
        text: updated_from;
    }
}

/// The page a cursor names (1 without one).
fn page_number(cursor: Option<&Cursor>) -> Result<NonZeroU64> {
    match cursor {
        None => Ok(NonZeroU64::MIN),
        Some(Cursor::Number(n)) => NonZeroU64::new(*n).ok_or_else(|| {
            crate::Error::invalid_input(P, ops::LIST_PRODUCTS.id, "page", "0 is not a page")
        }),
        Some(other) => Err(crate::Error::invalid_input(
            P,
            ops::LIST_PRODUCTS.id,
            "page",
            format!("{other:?} is not a page number"),
        )),
    }
}

/// A created record the provider sent without the `data` wrapper the spec documents: read it as
/// the record itself when it is one.
fn unwrapped_too<T: DeserializeOwned>(answer: Written<T>) -> Written<T> {
    match answer {
        Written::Unread(u) => match serde_json::from_str::<T>(&u.body) {
            Ok(record) => Written::Stored(record),
            Err(_) => Written::Unread(u),
        },
        other => other,
    }
}
