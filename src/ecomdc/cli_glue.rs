//! ecomDC on the `brc` command line (feature `cli`): credentials from the environment, the
//! sandbox, and `--all-pages` through the product and order lists
//! ([`common::cli_glue`](crate::common::cli_glue)).

use std::sync::Arc;

#[cfg(feature = "sandbox")]
use futures::future::BoxFuture;
use serde_json::Value;

use super::{
    AbandonedCarts, Client, Credentials, OrderFilter, ProductFilter, operations as ops, types,
};
use crate::Provider;
use crate::common::cli_glue::{
    Args, CommandLine, Facade, Pager, Settings, facade_pager, generated_commands,
    generated_execute, number,
};
#[cfg(feature = "sandbox")]
use crate::common::cli_glue::{Sandboxed, sandboxed};
use crate::common::error::Result;
use crate::common::paginate::Cursor;

/// ecomDC to the command line.
pub(crate) struct Glue;

impl CommandLine for Glue {
    fn provider(&self) -> Provider {
        Provider::Ecomdc
    }

    fn about(&self) -> &'static str {
        "ecomDC online store: products, prices, stock, images, orders"
    }

    fn required_vars(&self) -> &'static [&'static str] {
        &["BRC_ECOMDC_ID", "BRC_ECOMDC_TOKEN"]
    }

    fn credentials_help(&self) -> &'static str {
        "BRC_ECOMDC_ID, BRC_ECOMDC_TOKEN"
    }

    generated_commands!();

    fn live(&self, var: &dyn Fn(&str) -> String, settings: &Settings) -> Result<Arc<dyn Facade>> {
        let credentials = Credentials::new(var("BRC_ECOMDC_ID"), var("BRC_ECOMDC_TOKEN"));
        Ok(Arc::new(
            settings.apply(Client::builder(credentials)).build()?,
        ))
    }

    #[cfg(feature = "sandbox")]
    fn sandbox(&self, settings: &Settings) -> BoxFuture<'static, Result<Sandboxed>> {
        use super::sandbox::EcomdcSandbox;
        let start = EcomdcSandbox::start();
        sandboxed(start, settings, |_, settings| {
            let builder = Client::builder(EcomdcSandbox::credentials());
            let unlimited = crate::common::ratelimit::RateLimits::unlimited();
            settings.apply(builder).rate_limits(unlimited).build()
        })
    }

    /// `totais.totalPaginas`, while the provider answered the page asked for.
    fn next_page(&self, page: u64, answer: &Value, _items: &[Value]) -> Option<Cursor> {
        let totals = &answer["totais"];
        let last = number(&totals["totalPaginas"])?;
        let answered = number(&totals["paginaAtual"]);
        (page < last && answered.is_none_or(|a| a == page)).then_some(Cursor::Number(page + 1))
    }
}

impl Facade for Client {
    generated_execute!();

    fn pager(&self, op: &str, args: &Args<'_>) -> Option<Pager> {
        let m = args.matches();
        if op == ops::LIST_PRODUCTS.id && args.only(&["page", "precos-atacado"]) {
            let mut filter = ProductFilter::new();
            if m.get_one::<bool>("precos-atacado") == Some(&true) {
                filter = filter.wholesale_prices();
            }
            let first = args.page();
            return Some(facade_pager!(
                self,
                ops::LIST_PRODUCTS,
                filter,
                first,
                products_page
            ));
        }
        let order_args = [
            "page",
            "data-inicial",
            "data-final",
            "data-alteracao",
            "status",
            "carrinho-abandonado",
            "codigo-pedido",
        ];
        if op != ops::LIST_ORDERS.id || !args.only(&order_args) {
            return None;
        }
        let mut filter = OrderFilter::new();
        let day = |id: &str| m.get_one::<chrono::NaiveDate>(id).copied();
        match (day("data-inicial"), day("data-final")) {
            (Some(from), Some(to)) => filter = filter.created_between(from, to),
            (None, None) => {}
            // One end only: the provider judges it (the generated command).
            _ => return None,
        }
        if let Some(d) = day("data-alteracao") {
            filter = filter.changed_on(d);
        }
        if let Some(s) = m.get_one::<types::OrderPhase>("status") {
            filter = filter.status(*s);
        }
        if let Some(carts) = m.get_one::<types::AbandonedCartFilter>("carrinho-abandonado") {
            filter = filter.abandoned_carts(match carts {
                types::AbandonedCartFilter::T => AbandonedCarts::Include,
                types::AbandonedCartFilter::L => AbandonedCarts::Only,
            });
        }
        if let Some(code) = m.get_one::<String>("codigo-pedido") {
            filter = filter.code(code.clone());
        }
        let first = args.page();
        Some(facade_pager!(
            self,
            ops::LIST_ORDERS,
            filter,
            first,
            orders_page
        ))
    }
}
