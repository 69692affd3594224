//! The ecomDC client: credentials, configuration and one method per operation.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use futures::Stream;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};

use super::generated::{self, operations as ops};
use super::orders::PhaseChange;
use super::types;
use crate::common::call::{self, Written};
use crate::common::config::{Builder, ProviderDefaults, config_error};
use crate::common::error::{Error, ErrorKind, Provider, Result};
use crate::common::lenient::DecimalNumber;
use crate::common::ops::Operation;
use crate::common::paginate::{self, Cursor, Page};
use crate::common::ratelimit::{Rate, RateLimits};
use crate::common::retry::RetryPolicy;
use crate::common::runtime::Overrides;
use crate::common::secret::sensitive_header;

const P: Provider = Provider::Ecomdc;

/// The integration id and token from the store's control panel.
#[derive(Clone)]
pub struct Credentials {
    id: String,
    token: SecretString,
}

impl Credentials {
    /// Credentials from the store's "API" integration (`x-ID` and `x-Token`).
    pub fn new(id: impl Into<String>, token: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            token: SecretString::from(token.into()),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("id", &self.id)
            .field("token", &"[redacted]")
            .finish()
    }
}

/// Production base URL.
pub const BASE_URL: &str = "https://www.meudatacenter.com/api/v1";

/// The published quotas: GET 60 per minute, and 30 per minute for writes, POST and PUT
/// counted together.
///
/// The manual says "um limite de 30 requisições para todas requisições do tipo "POST" e
/// "PUT"" (M77), which reads as one budget for both, and then lists POST 30/min and PUT 30/min
/// separately (M79-81). The stricter reading is the default; for separate budgets use
/// `default_rate_limits().post(Rate::per_minute(30)).put(Rate::per_minute(30))`.
pub fn default_rate_limits() -> RateLimits {
    RateLimits::default()
        .get(Rate::per_minute(60))
        .writes(Rate::per_minute(30))
}

/// The manual: "o sistema trabalhará com um timeout de 5 segundos por URL" (M83) for the
/// images of a product write.
const PER_IMAGE_URL: Duration = Duration::from_secs(5);

fn defaults() -> ProviderDefaults {
    ProviderDefaults {
        provider: P,
        base_url: BASE_URL,
        rate_limits: default_rate_limits(),
        retry: RetryPolicy::standard(),
        // 406: token unknown, disabled or changed; 407: the access does not come from the API.
        auth_statuses: &[401, 406, 407],
        idempotency_keys: false,
        operations: ops::find,
        shapes: generated::schemas::find,
        all_operations: generated::operations::ALL,
    }
}

/// An ecomDC client. Cheap to clone; clones share the connection pool, pacing and counters.
#[derive(Clone, Debug)]
pub struct Client {
    raw: generated::Client,
}

impl Builder<Credentials> {
    /// Builds the client.
    ///
    /// # Errors
    /// A configuration error when the base URL is not HTTPS (loopback hosts excepted), not a
    /// URL, or the credentials cannot be sent as headers.
    pub fn build(self) -> Result<Client> {
        let Credentials { id, token } = self.credentials;
        let mut headers = HeaderMap::new();
        let header = |v: &str| {
            sensitive_header(v).map_err(|_| {
                config_error(
                    P,
                    "the id or token contains characters not allowed in a header",
                )
            })
        };
        headers.insert(HeaderName::from_static("x-id"), header(&id)?);
        headers.insert(
            HeaderName::from_static("x-token"),
            header(token.expose_secret())?,
        );
        // The manual asks for it on every request, GETs included.
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let parts = self.options.assemble(&defaults(), headers, None)?;
        Ok(Client {
            raw: generated::Client::new_with_client(
                &parts.base_url,
                parts.http,
                Arc::new(parts.runtime),
            ),
        })
    }
}

impl Client {
    call::facade_basics!();

    // ----- products -----

    /// One product by its code.
    ///
    /// # Errors
    /// A provider error (404 when the code does not exist) or any error of [`ErrorKind`].
    pub async fn product(&self, codigo: &str) -> Result<types::Product> {
        self.product_with(codigo, false).await
    }

    /// One product by its code, with its wholesale campaigns (`precos_atacado`).
    ///
    /// # Errors
    /// As [`Client::product`].
    pub async fn product_with_wholesale_prices(&self, codigo: &str) -> Result<types::Product> {
        self.product_with(codigo, true).await
    }

    async fn product_with(&self, codigo: &str, wholesale: bool) -> Result<types::Product> {
        let req = || {
            let req = self.raw.get_product().codigo(codigo);
            if wholesale {
                req.precos_atacado(true)
            } else {
                req
            }
        };
        Ok(self.call(&ops::GET_PRODUCT, || req().send()).await?.produto)
    }

    /// The product that has an option with this reference (SKU).
    ///
    /// # Errors
    /// As [`Client::product`].
    pub async fn product_by_reference(&self, referencia: &str) -> Result<types::Product> {
        let req = || self.raw.get_product_by_reference().referencia(referencia);
        Ok(self
            .call(&ops::GET_PRODUCT_BY_REFERENCE, || req().send())
            .await?
            .produto)
    }

    /// Creates a product. Accepts a [`types::ProductCreate`] or its builder; a value breaking
    /// the documented limits (e.g. `nome` over 100 characters) is refused before sending.
    ///
    /// Each attempt may take the client's timeout plus 5 s per image URL (the provider imports
    /// the images while it answers). A create is not repeated after its answer was lost.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] naming the field, 409 when the code or a SKU exists, or any
    /// other [`ErrorKind`].
    pub async fn create_product<B>(&self, product: B) -> Result<()>
    where
        B: TryInto<types::ProductCreate>,
        B::Error: fmt::Display,
    {
        let body = call::typed::<types::ProductCreate, _>(P, product, &ops::CREATE_PRODUCT)?;
        let images = body.modelos.iter().map(model_images).sum();
        let overrides = self.image_timeout(images);
        self.call_write(
            &ops::CREATE_PRODUCT,
            overrides,
            self.raw.create_product().body(body).send(),
        )
        .await
        .map(drop)
    }

    /// Updates a product (fields may be sent individually; see the spec for the rules).
    /// [`types::Product::to_update`] turns a product you read into this form.
    ///
    /// Each attempt may take the client's timeout plus 5 s per image URL sent.
    ///
    /// # Errors
    /// As [`Client::create_product`]; 412 when a field has the wrong type.
    pub async fn update_product<B>(&self, codigo: &str, update: B) -> Result<()>
    where
        B: TryInto<types::ProductUpdate>,
        B::Error: fmt::Display,
    {
        let body = call::typed::<types::ProductUpdate, _>(P, update, &ops::UPDATE_PRODUCT)?;
        let images = body.modelos.iter().map(model_images).sum();
        let overrides = self.image_timeout(images);
        self.call_write(
            &ops::UPDATE_PRODUCT,
            overrides,
            self.raw.update_product().codigo(codigo).body(body).send(),
        )
        .await
        .map(drop)
    }

    /// The per-attempt timeout of a product write carrying `images` image URLs: the client's
    /// timeout plus 5 s per URL.
    fn image_timeout(&self, images: u32) -> Overrides {
        let base = self
            .runtime()
            .options
            .timeout
            .unwrap_or(self.runtime().timeouts.attempt);
        Overrides {
            timeout: (images > 0).then(|| base + PER_IMAGE_URL * images),
            ..Overrides::default()
        }
    }

    /// Sends model images; see [`super::images::ImageUpload`].
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for non-JPEG input, or any other [`ErrorKind`].
    pub async fn upload_images(&self, upload: super::images::ImageUpload) -> Result<()> {
        let body = upload.into_body()?;
        self.call_write(
            &ops::UPLOAD_IMAGES,
            Overrides::default(),
            self.raw.upload_images().body(body).send(),
        )
        .await
        .map(drop)
    }

    // ----- prices -----

    /// Price and cost of a product.
    ///
    /// # Errors
    /// Any [`ErrorKind`].
    pub async fn price(&self, codigo: &str) -> Result<types::Price> {
        self.call(&ops::GET_PRICE, || {
            self.raw.get_price().codigo(codigo).send()
        })
        .await
    }

    /// Price and cost of the product that has an option with this reference.
    ///
    /// # Errors
    /// Any [`ErrorKind`].
    pub async fn price_by_reference(&self, referencia: &str) -> Result<types::Price> {
        // The provider's form: the literal `null` as the code, the reference as a query parameter.
        let req = || self.raw.get_price().codigo("null").referencia(referencia);
        self.call(&ops::GET_PRICE, || req().send()).await
    }

    /// Sets price (and optionally cost) of a product; returns the stored values.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a negative value, or any other [`ErrorKind`].
    pub async fn set_price(
        &self,
        codigo: &str,
        preco: Decimal,
        custo: Option<Decimal>,
    ) -> Result<Written<types::Price>> {
        let body = price_body(preco, custo)?;
        let req = self.raw.update_price().codigo(codigo).body(body);
        self.call_write(&ops::UPDATE_PRICE, Overrides::default(), req.send())
            .await
    }

    /// Sets price (and optionally cost) of the product that has an option with this reference.
    ///
    /// # Errors
    /// As [`Client::set_price`].
    pub async fn set_price_by_reference(
        &self,
        referencia: &str,
        preco: Decimal,
        custo: Option<Decimal>,
    ) -> Result<Written<types::Price>> {
        let body = price_body(preco, custo)?;
        let req = self
            .raw
            .update_price()
            .codigo("null")
            .referencia(referencia)
            .body(body);
        self.call_write(&ops::UPDATE_PRICE, Overrides::default(), req.send())
            .await
    }

    /// The "extra values" price of one option.
    ///
    /// # Errors
    /// Any [`ErrorKind`].
    pub async fn extra_price(&self, referencia: &str) -> Result<types::ExtraPrice> {
        let req = || self.raw.get_extra_price().referencia(referencia);
        self.call(&ops::GET_EXTRA_PRICE, || req().send()).await
    }

    /// Sets the final price of one option with "extra values" (not the increment).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a negative price, or any other [`ErrorKind`].
    pub async fn set_extra_price(
        &self,
        referencia: &str,
        preco: Decimal,
    ) -> Result<Written<types::ExtraPrice>> {
        non_negative(&ops::UPDATE_EXTRA_PRICE, "preco", preco)?;
        let body = types::ExtraPriceUpdate {
            preco: DecimalNumber(preco),
        };
        let req = self
            .raw
            .update_extra_price()
            .referencia(referencia)
            .body(body);
        self.call_write(&ops::UPDATE_EXTRA_PRICE, Overrides::default(), req.send())
            .await
    }

    // ----- stock -----

    /// Stock of one option.
    ///
    /// # Errors
    /// [`ErrorKind::Decode`] when the provider sends no value, or any other [`ErrorKind`].
    pub async fn stock(&self, referencia: &str) -> Result<i64> {
        let req = || self.raw.get_stock().referencia(referencia);
        let stock = self.call(&ops::GET_STOCK, || req().send()).await?;
        stock.estoque.value().ok_or_else(|| {
            let message = "the provider sent no stock value".to_owned();
            Error::new(
                P,
                ops::GET_STOCK.id,
                ErrorKind::Decode {
                    path: "estoque".into(),
                    message,
                },
            )
        })
    }

    /// Sets the stock of one option (an absolute value: repeated safely after a lost answer).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a negative quantity, or any other [`ErrorKind`].
    pub async fn set_stock(&self, referencia: &str, quantity: i64) -> Result<()> {
        if quantity < 0 {
            return Err(Error::invalid_input(
                P,
                ops::UPDATE_STOCK.id,
                "estoque",
                format!("{quantity} is negative"),
            ));
        }
        let req = || {
            self.raw
                .update_stock()
                .referencia(referencia)
                .body(types::StockUpdate { estoque: quantity })
        };
        self.call(&ops::UPDATE_STOCK, || req().send()).await
    }

    // ----- orders -----

    /// One order by its internal id.
    ///
    /// # Errors
    /// Any [`ErrorKind`].
    pub async fn order(&self, id: &str) -> Result<types::Order> {
        let req = || self.raw.get_order().id(id);
        Ok(self.call(&ops::GET_ORDER, || req().send()).await?.pedido)
    }

    /// One order by the code the customer sees (e.g. `UM878212`) or its control number.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when no order has that code, or any other [`ErrorKind`].
    pub async fn order_by_code(&self, code: &str) -> Result<types::Order> {
        let list = self
            .orders_page(&OrderFilter::new().code(code), None)
            .await?;
        list.items
            .into_iter()
            .find(|o| o.codigo == code || o.numero_controle.get().is_some_and(|n| n == code))
            .ok_or_else(|| {
                Error::new(
                    P,
                    ops::LIST_ORDERS.id,
                    ErrorKind::NotFound {
                        what: format!("order with code {code:?}"),
                    },
                )
            })
    }

    /// Moves `order` to the next phase. The change is checked against the order's current phase
    /// (novo → pago → separacao → entrega → concluido, cancelado from any phase) before anything
    /// is sent. Lost answers are handled as [`Client::force_order_phase`] says.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a transition the workflow does not allow, or any other
    /// [`ErrorKind`].
    pub async fn advance_order(&self, order: &types::Order, change: PhaseChange) -> Result<()> {
        change.check_from(&order.fase_atual)?;
        self.force_order_phase(order.id.as_str(), change).await
    }

    /// Reads the order's current phase, then moves it as [`Client::advance_order`] does.
    ///
    /// # Errors
    /// As [`Client::advance_order`].
    pub async fn advance_order_by_id(&self, id: &str, change: PhaseChange) -> Result<()> {
        let order = self.order(id).await?;
        self.advance_order(&order, change).await
    }

    /// Sends a phase change without checking the workflow (for users who know better).
    ///
    /// Phases move one way only, so a phase change is never sent again blindly. When its answer
    /// is lost (a timeout, a reset, a gateway error), the order is read back: already in the
    /// target phase means the change was applied (success); otherwise it was not, and it is sent
    /// once more.
    ///
    /// # Errors
    /// Any [`ErrorKind`]; the provider refuses changes its workflow does not allow. When the
    /// order cannot be read back after a lost answer, the original error (which says the change
    /// may have been applied).
    pub async fn force_order_phase(&self, id: &str, change: PhaseChange) -> Result<()> {
        let target = change.target();
        let change = change.sanitized();
        let first = self.send_phase(id, &change).await;
        match first {
            Err(e) if e.may_have_been_applied() => {
                let Ok(order) = self.order(id).await else {
                    return Err(e);
                };
                match order.fase_atual.trim().parse::<types::OrderPhase>() {
                    Ok(now) if now == target => {
                        tracing::info!(
                            operation = change.operation().id,
                            "the phase change's answer was lost; the order is in the target phase"
                        );
                        Ok(())
                    }
                    _ => self.send_phase(id, &change).await,
                }
            }
            other => other,
        }
    }

    async fn send_phase(&self, id: &str, change: &PhaseChange) -> Result<()> {
        let op = change.operation();
        let none = Overrides::default();
        let sent = match change.clone() {
            PhaseChange::Pay(body) => {
                let req = self.raw.mark_order_paid().id(id).body(body);
                self.call_write(op, none, req.send()).await
            }
            PhaseChange::Pick(body) => {
                let req = self.raw.mark_order_picking().id(id).body(body);
                self.call_write(op, none, req.send()).await
            }
            PhaseChange::Ship(body) => {
                let req = self.raw.mark_order_shipped().id(id).body(body);
                self.call_write(op, none, req.send()).await
            }
            PhaseChange::Complete => {
                let req = self
                    .raw
                    .mark_order_completed()
                    .id(id)
                    .body(types::CompletedPhase(serde_json::Map::new()));
                self.call_write(op, none, req.send()).await
            }
            PhaseChange::Cancel(body) => {
                let req = self.raw.cancel_order().id(id).body(body);
                self.call_write(op, none, req.send()).await
            }
        };
        sent.map(drop)
    }

    /// Attaches invoice (NF-e) data to an order in any phase (internal id or control code).
    /// The XML is cleaned as the manual requires.
    ///
    /// # Errors
    /// Any [`ErrorKind`].
    pub async fn set_order_invoice(
        &self,
        id_or_code: &str,
        invoice: types::InvoiceData,
    ) -> Result<()> {
        let body = super::orders::sanitize_invoice(invoice);
        let req = self.raw.set_order_invoice().id(id_or_code).body(body);
        self.call_write(&ops::SET_ORDER_INVOICE, Overrides::default(), req.send())
            .await
            .map(drop)
    }
}

/// The number of image URLs a model carries (comma-separated lists).
fn model_images(model: &types::ModelInput) -> u32 {
    let urls = |list: Option<&str>| {
        list.map_or(0, |l| l.split(',').filter(|u| !u.trim().is_empty()).count())
    };
    let n = urls(model.imagens.as_deref().map(String::as_str))
        + urls(model.imagens_retangulares.as_deref().map(String::as_str));
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn non_negative(
    op: &'static crate::common::ops::Operation,
    field: &str,
    value: Decimal,
) -> Result<()> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(Error::invalid_input(
            P,
            op.id,
            field,
            format!("{value} is negative"),
        ));
    }
    Ok(())
}

fn price_body(preco: Decimal, custo: Option<Decimal>) -> Result<types::PriceUpdate> {
    non_negative(&ops::UPDATE_PRICE, "preco", preco)?;
    if let Some(c) = custo {
        non_negative(&ops::UPDATE_PRICE, "custo", c)?;
    }
    Ok(types::PriceUpdate {
        preco: DecimalNumber(preco),
        custo: custo.map(DecimalNumber),
    })
}

/// Filters of the product list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProductFilter {
    /// Include each product's wholesale campaigns (`precos_atacado`).
    pub wholesale_prices: bool,
}

impl ProductFilter {
    /// Every product.
    pub fn new() -> Self {
        Self::default()
    }
    /// Include each product's wholesale campaigns.
    #[must_use]
    pub fn wholesale_prices(mut self) -> Self {
        self.wholesale_prices = true;
        self
    }
}

/// Filters of the order list. Without a date range the provider returns the 100 most recent
/// orders.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct OrderFilter {
    /// Orders placed between these days (inclusive).
    pub created: Option<(NaiveDate, NaiveDate)>,
    /// Orders whose last change happened on this day.
    pub changed_on: Option<NaiveDate>,
    /// Orders in this phase.
    pub status: Option<types::OrderPhase>,
    /// Abandoned carts too, or only them.
    pub abandoned_carts: Option<AbandonedCarts>,
    /// Orders with this external code or control number.
    pub code: Option<String>,
}

impl OrderFilter {
    /// No filter: the 100 most recent orders.
    pub fn new() -> Self {
        Self::default()
    }
    /// Orders placed between `from` and `to` (inclusive).
    #[must_use]
    pub fn created_between(mut self, from: NaiveDate, to: NaiveDate) -> Self {
        self.created = Some((from, to));
        self
    }
    /// Orders whose last change happened on `day`.
    #[must_use]
    pub fn changed_on(mut self, day: NaiveDate) -> Self {
        self.changed_on = Some(day);
        self
    }
    /// Orders in this phase.
    #[must_use]
    pub fn status(mut self, phase: types::OrderPhase) -> Self {
        self.status = Some(phase);
        self
    }
    /// Includes abandoned carts, or lists only them.
    #[must_use]
    pub fn abandoned_carts(mut self, carts: AbandonedCarts) -> Self {
        self.abandoned_carts = Some(carts);
        self
    }
    /// Orders with this external code or control number.
    #[must_use]
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }
}

/// Whether abandoned carts are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbandonedCarts {
    /// Orders and abandoned carts (`T`).
    Include,
    /// Only abandoned carts (`L`).
    Only,
}

impl Client {
    /// One page of products, 100 per page (`cursor`: the page; `None` for the first).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a cursor that is not a page number, or any other
    /// [`ErrorKind`]. A product that does not decode is not an error of the page: it is in
    /// [`Page::rejected`] and the other products are in the page.
    pub async fn products_page(
        &self,
        filter: &ProductFilter,
        cursor: Option<&Cursor>,
    ) -> Result<Page<types::Product>> {
        let page = page_number(&ops::LIST_PRODUCTS, cursor)?;
        let mut req = self.raw.list_products().page(nonzero(page));
        if filter.wholesale_prices {
            req = req.precos_atacado(true);
        }
        let (list, rejected) = call::run_list::<types::ProductPage, types::Product, _, _>(
            self.runtime(),
            &ops::LIST_PRODUCTS,
            req.send(),
            "/produtos",
        )
        .await?;
        Ok(into_page(list.produtos, page, Some(&list.totais), rejected))
    }

    /// Every product matching `filter`, page after page (one page in memory at a time,
    /// following `totais`). A product that does not decode comes out as an `Err` item and the
    /// stream goes on; a page that cannot be read ends it.
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

    /// One page of orders (`cursor`: the page; `None` for the first). Without a date range (or
    /// another filter) the provider answers only its 100 most recent orders. Paging orders is
    /// not documented (see the spec): the first page is asked for without `page`, as the manual
    /// shows, and a next page is offered only while `totais` says there are more.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when the date range ends before it starts;
    /// [`ErrorKind::Decode`] (path `totais.paginaAtual`) when the provider answers another page
    /// than the one asked for, which means it does not page this list (narrow the date range
    /// instead); or any other [`ErrorKind`]. As for products, an order that does not decode is
    /// in [`Page::rejected`].
    pub async fn orders_page(
        &self,
        filter: &OrderFilter,
        cursor: Option<&Cursor>,
    ) -> Result<Page<types::Order>> {
        let page = page_number(&ops::LIST_ORDERS, cursor)?;
        let mut req = self.raw.list_orders();
        if let Some((from, to)) = filter.created {
            if to < from {
                return Err(Error::invalid_input(
                    P,
                    ops::LIST_ORDERS.id,
                    "dataFinal",
                    format!("{to} is before dataInicial {from}"),
                ));
            }
            req = req.data_inicial(from).data_final(to);
        }
        if let Some(day) = filter.changed_on {
            req = req.data_alteracao(day);
        }
        if let Some(status) = filter.status {
            req = req.status(status);
        }
        if let Some(carts) = filter.abandoned_carts {
            req = req.carrinho_abandonado(match carts {
                AbandonedCarts::Include => types::AbandonedCartFilter::T,
                AbandonedCarts::Only => types::AbandonedCartFilter::L,
            });
        }
        if let Some(code) = &filter.code {
            req = req.codigo_pedido(code.clone());
        }
        // `page` is not documented here: the first page is asked for as the manual does.
        if page > 1 {
            req = req.page(nonzero(page));
        }
        let (list, rejected) = call::run_list::<types::OrderList, types::Order, _, _>(
            self.runtime(),
            &ops::LIST_ORDERS,
            req.send(),
            "/pedidos",
        )
        .await?;
        let answered = list.totais.as_ref().and_then(|t| t.pagina_atual.value());
        if page > 1 && answered.is_some_and(|a| a != i64::from(page)) {
            return Err(not_paged(format!(
                "page {page} was asked for and the provider answered page {}",
                answered.unwrap_or_default()
            )));
        }
        Ok(into_page(
            list.pedidos,
            page,
            list.totais.as_ref(),
            rejected,
        ))
    }

    /// Every order matching `filter`, following `totais` when the provider sends it; as
    /// [`Client::products`] for records that do not decode. Without a date range this is the
    /// provider's 100 most recent orders. Paging orders is not documented: when the provider
    /// answers a later page with another page (`paginaAtual`) or with the very orders of the
    /// page before, the stream ends with an [`ErrorKind::Decode`] item instead of repeating
    /// them or stopping silently.
    pub fn orders(
        &self,
        filter: &OrderFilter,
    ) -> impl Stream<Item = Result<types::Order>> + Send + 'static + use<> {
        let client = self.clone();
        let filter = filter.clone();
        // The ids of the page before, to notice a provider that ignores `page`.
        let previous = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        paginate::stream(P, ops::LIST_ORDERS.id, None, move |cursor| {
            let client = client.clone();
            let filter = filter.clone();
            let previous = Arc::clone(&previous);
            async move {
                let page = client.orders_page(&filter, cursor.as_ref()).await?;
                let ids: Vec<String> = page.items.iter().map(|o| o.id.to_string()).collect();
                let mut before = previous
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if cursor.is_some() && !ids.is_empty() && *before == ids {
                    return Err(not_paged(
                        "the provider answered the next page with the orders of the page before"
                            .to_owned(),
                    ));
                }
                *before = ids;
                Ok(page)
            }
        })
    }
}

/// The provider did not page the order list as asked (`page` is not documented there).
fn not_paged(what: String) -> Error {
    Error::new(
        P,
        ops::LIST_ORDERS.id,
        ErrorKind::Decode {
            path: "totais.paginaAtual".into(),
            message: format!(
                "{what}: it does not seem to page orders; narrow the date range to get the rest"
            ),
        },
    )
}

/// The page a cursor names (1 without one).
fn page_number(op: &'static Operation, cursor: Option<&Cursor>) -> Result<u32> {
    match cursor {
        None => Ok(1),
        Some(Cursor::Number(n)) => u32::try_from(*n)
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| Error::invalid_input(P, op.id, "page", format!("{n} is not a page"))),
        Some(other) => Err(Error::invalid_input(
            P,
            op.id,
            "page",
            format!("{other:?} is not a page number (ecomDC pages are numbered)"),
        )),
    }
}

/// Pages are numbered from 1.
fn nonzero(page: u32) -> std::num::NonZeroU64 {
    std::num::NonZeroU64::MIN.saturating_add(u64::from(page.max(1)) - 1)
}

/// A page of a list paged by `totais`: the next page while `totalPaginas` says there is one and
/// the provider answered the page asked for (`paginaAtual`; the order list does not document
/// paging, and a provider that ignores `page` would send the same page again and again).
fn into_page<T>(
    items: Vec<T>,
    page: u32,
    totals: Option<&types::Totals>,
    rejected: Vec<Error>,
) -> Page<T> {
    let last = totals.and_then(|t| t.total_paginas.value());
    let answered = totals.and_then(|t| t.pagina_atual.value());
    let next = match (last, answered) {
        (Some(last), answered)
            if i64::from(page) < last && answered.is_none_or(|a| a == i64::from(page)) =>
        {
            Some(Cursor::Number(u64::from(page) + 1))
        }
        _ => None,
    };
    let count = |v: Option<i64>| v.and_then(|n| u64::try_from(n).ok());
    Page::new(items, next)
        .with_totals(
            count(totals.and_then(|t| t.total_produtos.value())),
            count(last),
        )
        .with_rejected(rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_the_token() {
        let c = Credentials::new("3566", "3481260001-secret");
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("3566"));
    }

    #[test]
    fn plain_http_to_a_remote_host_is_refused() {
        let err = Client::builder(Credentials::new("1", "t"))
            .base_url("http://www.meudatacenter.com/api/v1")
            .build()
            .unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err}");
    }
}
