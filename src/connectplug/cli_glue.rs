//! ConnectPlug on the `brc` command line (feature `cli`): credentials and company from the
//! environment, the sandbox, and `--all-pages` through the product list
//! ([`common::cli_glue`](crate::common::cli_glue)).

use std::sync::Arc;

#[cfg(feature = "sandbox")]
use futures::future::BoxFuture;
use serde_json::Value;

use super::{Client, Credentials, ProductFilter, operations as ops};
use crate::common::cli_glue::{
    Args, CommandLine, Facade, Pager, Settings, facade_pager, first_array, generated_commands,
    generated_execute, number,
};
#[cfg(feature = "sandbox")]
use crate::common::cli_glue::{Sandboxed, sandboxed};
use crate::common::error::Result;
use crate::common::paginate::Cursor;
use crate::{Error, Provider};

/// ConnectPlug to the command line.
pub(crate) struct Glue;

impl CommandLine for Glue {
    fn provider(&self) -> Provider {
        Provider::Connectplug
    }

    fn title(&self) -> &'static str {
        "ConnectPlug v3"
    }

    fn about(&self) -> &'static str {
        "ConnectPlug v3 ERP/POS: the whole API (company from BRC_CONNECTPLUG_COMPANY)"
    }

    fn required_vars(&self) -> &'static [&'static str] {
        &[
            "BRC_CONNECTPLUG_CLIENT_ID",
            "BRC_CONNECTPLUG_CLIENT_SECRET",
            "BRC_CONNECTPLUG_USERNAME",
            "BRC_CONNECTPLUG_PASSWORD",
            "BRC_CONNECTPLUG_COMPANY",
        ]
    }

    fn credentials_help(&self) -> &'static str {
        "BRC_CONNECTPLUG_CLIENT_ID, BRC_CONNECTPLUG_CLIENT_SECRET, BRC_CONNECTPLUG_USERNAME,\n\
         BRC_CONNECTPLUG_PASSWORD, BRC_CONNECTPLUG_COMPANY"
    }

    generated_commands!();

    fn live(&self, var: &dyn Fn(&str) -> String, settings: &Settings) -> Result<Arc<dyn Facade>> {
        let company = var("BRC_CONNECTPLUG_COMPANY").parse::<i64>().map_err(|_| {
            Error::invalid_input(
                Provider::Connectplug,
                "configure",
                "BRC_CONNECTPLUG_COMPANY",
                "is not a company id (a number)",
            )
        })?;
        let credentials = Credentials::password(
            var("BRC_CONNECTPLUG_CLIENT_ID"),
            var("BRC_CONNECTPLUG_CLIENT_SECRET"),
            var("BRC_CONNECTPLUG_USERNAME"),
            var("BRC_CONNECTPLUG_PASSWORD"),
        );
        let builder = Client::builder(credentials).company(company);
        Ok(Arc::new(settings.apply(builder).build()?))
    }

    #[cfg(feature = "sandbox")]
    fn sandbox(&self, settings: &Settings) -> BoxFuture<'static, Result<Sandboxed>> {
        use super::sandbox::{COMPANY, ConnectplugSandbox};
        let start = ConnectplugSandbox::start();
        sandboxed(start, settings, |sandbox, settings| {
            settings
                .apply(Client::builder(ConnectplugSandbox::credentials()))
                .token_url(sandbox.base_url())
                .company(COMPANY)
                .build()
        })
    }

    /// `{data: {<key>: [...]}, meta}`.
    fn items_of(&self, answer: &Value) -> Vec<Value> {
        first_array(&answer["data"])
    }

    /// `meta.current_page < meta.last_page`.
    fn next_page(&self, page: u64, answer: &Value, _items: &[Value]) -> Option<Cursor> {
        let meta = &answer["meta"];
        let current = number(&meta["current_page"]).unwrap_or(page);
        let last = number(&meta["last_page"])?;
        (current < last).then_some(Cursor::Number(current + 1))
    }
}

impl Facade for Client {
    generated_execute!();

    fn pager(&self, op: &str, args: &Args<'_>) -> Option<Pager> {
        if op != ops::LIST_PRODUCTS.id || !args.only(&["page", "updated-from"]) {
            return None;
        }
        let mut filter = ProductFilter::new();
        if let Some(since) = args.matches().get_one::<String>("updated-from") {
            filter = filter.updated_from(since.clone());
        }
        let first = args.page();
        Some(facade_pager!(
            self,
            ops::LIST_PRODUCTS,
            filter,
            first,
            products_page
        ))
    }
}
