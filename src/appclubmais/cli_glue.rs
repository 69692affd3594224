//! AppClubMais on the `brc` command line (feature `cli`): credentials from the environment,
//! the sandbox, and `--all-pages` through the order list
//! ([`common::cli_glue`](crate::common::cli_glue)).

use std::sync::Arc;

#[cfg(feature = "sandbox")]
use futures::future::BoxFuture;

use super::{Client, ClientId, Credentials, OrderFilter, operations as ops};
use crate::Provider;
use crate::common::cli_glue::{
    Args, CommandLine, Facade, Pager, Settings, facade_pager, generated_commands, generated_execute,
};
#[cfg(feature = "sandbox")]
use crate::common::cli_glue::{Sandboxed, sandboxed};
use crate::common::error::Result;

/// AppClubMais to the command line.
pub(crate) struct Glue;

impl CommandLine for Glue {
    fn provider(&self) -> Provider {
        Provider::Appclubmais
    }

    fn about(&self) -> &'static str {
        "AppClubMais loyalty club: members, benefits, purchases, orders, products, promotions"
    }

    fn required_vars(&self) -> &'static [&'static str] {
        &["BRC_APPCLUBMAIS_CLIENT_ID", "BRC_APPCLUBMAIS_CLIENT_SECRET"]
    }

    fn credentials_help(&self) -> &'static str {
        "BRC_APPCLUBMAIS_CLIENT_ID, BRC_APPCLUBMAIS_CLIENT_SECRET"
    }

    generated_commands!();

    fn live(&self, var: &dyn Fn(&str) -> String, settings: &Settings) -> Result<Arc<dyn Facade>> {
        // The id as AppClubMais issued it: a number, or a text.
        let id = var("BRC_APPCLUBMAIS_CLIENT_ID");
        let id = match id.parse::<i64>() {
            Ok(n) => ClientId::Number(n),
            Err(_) => ClientId::Text(id),
        };
        let credentials = Credentials::new(id, var("BRC_APPCLUBMAIS_CLIENT_SECRET"));
        Ok(Arc::new(
            settings.apply(Client::builder(credentials)).build()?,
        ))
    }

    #[cfg(feature = "sandbox")]
    fn sandbox(&self, settings: &Settings) -> BoxFuture<'static, Result<Sandboxed>> {
        use super::sandbox::AppclubmaisSandbox;
        let start = AppclubmaisSandbox::start();
        sandboxed(start, settings, |_, settings| {
            settings
                .apply(Client::builder(AppclubmaisSandbox::credentials()))
                .build()
        })
    }
}

impl Facade for Client {
    generated_execute!();

    fn pager(&self, op: &str, args: &Args<'_>) -> Option<Pager> {
        (op == ops::LIST_ORDERS.id && args.only(&[])).then(|| {
            facade_pager!(
                self,
                ops::LIST_ORDERS,
                OrderFilter::new(),
                None,
                orders_page
            )
        })
    }
}
