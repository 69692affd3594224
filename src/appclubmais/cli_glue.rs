//! AppClubMais on the `brc` command line (feature `cli`): credentials from the environment,
//! the sandbox, and `--all-pages` through the order list
//! ([`common::cli_glue`](crate::common::cli_glue)).

use std::sync::Arc;

use clap::ArgMatches;
use futures::future::BoxFuture;

use super::{Client, ClientId, Credentials, OrderFilter, operations as ops};
use crate::Provider;
use crate::common::cli_glue::{
    Args, CommandLine, Executed, Facade, Pager, Settings, Sink, facade_pager,
};
use crate::common::error::Result;
use crate::common::runtime::Runtime;

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

    fn commands(&self) -> Vec<(&'static str, clap::Command)> {
        super::cli_run::commands()
    }

    fn live(&self, var: &dyn Fn(&str) -> String, settings: &Settings) -> Result<Arc<dyn Facade>> {
        // The id as AppClubMais issued it: a number, or a text.
        let id = var("BRC_APPCLUBMAIS_CLIENT_ID");
        let id = match id.parse::<i64>() {
            Ok(n) => ClientId::Number(n),
            Err(_) => ClientId::Text(id),
        };
        let credentials = Credentials::new(id, var("BRC_APPCLUBMAIS_CLIENT_SECRET"));
        Ok(Arc::new(settings.apply(Client::builder(credentials)).build()?))
    }

    #[cfg(feature = "sandbox")]
    fn sandbox(
        &self,
        settings: &Settings,
    ) -> BoxFuture<'static, Result<crate::common::cli_glue::Sandboxed>> {
        use super::sandbox::AppclubmaisSandbox;
        let sampling = settings.drift_sampling;
        Box::pin(async move {
            let sandbox = AppclubmaisSandbox::start().await?;
            let client = Client::builder(AppclubmaisSandbox::credentials())
                .base_url(sandbox.base_url())
                .drift_sampling(sampling)
                .build()?;
            Ok(crate::common::cli_glue::Sandboxed::new(client, sandbox))
        })
    }
}

impl Facade for Client {
    fn call_runtime(&self) -> &Runtime {
        self.runtime()
    }

    fn execute<'a>(
        &'a self,
        op: &str,
        matches: &'a ArgMatches,
        sink: &'a dyn Sink,
    ) -> Option<BoxFuture<'a, Executed>> {
        super::cli_run::execute(self.raw(), op, matches, sink)
    }

    fn pager(&self, op: &str, args: &Args<'_>) -> Option<Pager> {
        (op == ops::LIST_ORDERS.id && args.only(&[])).then(|| {
            facade_pager!(self, ops::LIST_ORDERS, OrderFilter::new(), None, orders_page)
        })
    }
}
