//! PluggTo on the `brc` command line (feature `cli`): credentials from the environment (and
//! the file that keeps the rotating refresh token), the sandbox, and `--all-pages` through the
//! order, product and message lists ([`common::cli_glue`](crate::common::cli_glue)).

use std::num::NonZeroU64;
use std::sync::Arc;

#[cfg(feature = "sandbox")]
use futures::future::BoxFuture;
use serde_json::Value;

use super::{
    Client, Credentials, DateRange, MessageFilter, OrderFilter, ProductFilter, operations as ops,
};
use crate::common::cli_glue::{
    Args, CommandLine, Facade, Pager, Settings, facade_pager, generated_commands, generated_execute,
};
#[cfg(feature = "sandbox")]
use crate::common::cli_glue::{Sandboxed, sandboxed};
use crate::common::error::Result;
use crate::common::paginate::Cursor;
use crate::{Error, Provider};

/// PluggTo to the command line.
pub(crate) struct Glue;

impl CommandLine for Glue {
    fn provider(&self) -> Provider {
        Provider::Pluggto
    }

    fn about(&self) -> &'static str {
        "PluggTo marketplace hub: orders, products/SKUs, stock, shipping, messages"
    }

    fn required_vars(&self) -> &'static [&'static str] {
        &[
            "BRC_PLUGGTO_CLIENT_ID",
            "BRC_PLUGGTO_CLIENT_SECRET",
            "BRC_PLUGGTO_USERNAME",
            "BRC_PLUGGTO_PASSWORD",
        ]
    }

    fn credentials_help(&self) -> &'static str {
        "BRC_PLUGGTO_CLIENT_ID, BRC_PLUGGTO_CLIENT_SECRET, BRC_PLUGGTO_USERNAME,\n\
         BRC_PLUGGTO_PASSWORD (optional BRC_PLUGGTO_TOKEN_FILE keeps the rotating refresh token)"
    }

    generated_commands!();

    fn live(&self, var: &dyn Fn(&str) -> String, settings: &Settings) -> Result<Arc<dyn Facade>> {
        let credentials = Credentials::password(
            var("BRC_PLUGGTO_CLIENT_ID"),
            var("BRC_PLUGGTO_CLIENT_SECRET"),
            var("BRC_PLUGGTO_USERNAME"),
            var("BRC_PLUGGTO_PASSWORD"),
        );
        let mut builder = settings.apply(Client::builder(credentials));
        let file = var("BRC_PLUGGTO_TOKEN_FILE");
        if !file.is_empty() {
            builder = builder.token_store(Arc::new(crate::common::token::FileStore::new(
                Provider::Pluggto,
                file,
            )));
        }
        Ok(Arc::new(builder.build()?))
    }

    #[cfg(feature = "sandbox")]
    fn sandbox(&self, settings: &Settings) -> BoxFuture<'static, Result<Sandboxed>> {
        use super::sandbox::PluggtoSandbox;
        let start = PluggtoSandbox::start();
        sandboxed(start, settings, |_, settings| {
            settings
                .apply(Client::builder(PluggtoSandbox::credentials()))
                .build()
        })
    }

    /// `{result: [{"Order": {...}}, ...]}`: each record in its one wrapper.
    fn items_of(&self, answer: &Value) -> Vec<Value> {
        answer["result"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|item| match item.as_object() {
                Some(o) if o.len() == 1 => o.values().next().cloned().unwrap_or(Value::Null),
                _ => item.clone(),
            })
            .collect()
    }
}

impl Facade for Client {
    generated_execute!();

    /// `not_updated`, as the facade's writes read it.
    fn unchanged(&self, error: &Error) -> Option<String> {
        super::client::unchanged(error).map(str::to_owned)
    }

    fn pager(&self, op: &str, args: &Args<'_>) -> Option<Pager> {
        // The arguments read below exist on these three lists only.
        if ![
            ops::LIST_ORDERS.id,
            ops::LIST_PRODUCTS.id,
            ops::LIST_MESSAGES.id,
        ]
        .contains(&op)
        {
            return None;
        }
        let m = args.matches();
        let text = |id: &str| m.get_one::<String>(id).cloned();
        let limit = m
            .get_one::<NonZeroU64>("limit")
            .and_then(|n| i64::try_from(n.get()).ok());
        let after = text("next").map(Cursor::After);
        // `created` / `modified` as `YYYY-MM-DDtoYYYY-MM-DD`; another form goes to the
        // provider as typed (the generated command).
        let range = |id: &str| -> std::result::Result<Option<DateRange>, ()> {
            let Some(raw) = m.get_raw(id).and_then(|mut v| v.next()) else {
                return Ok(None);
            };
            let raw = raw.to_str().ok_or(())?;
            let (from, to) = raw.split_once("to").ok_or(())?;
            let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(drop);
            DateRange::new(day(from)?, day(to)?).map(Some).map_err(drop)
        };
        let (Ok(created), Ok(modified)) = (range("created"), range("modified")) else {
            return None;
        };
        let common = ["next", "limit", "created", "modified"];
        let allowed = |more: &[&'static str]| {
            let mut all = common.to_vec();
            all.extend_from_slice(more);
            args.only(&all)
        };
        let order_args = [
            "sku",
            "status",
            "channel",
            "channel-id",
            "external",
            "attribute",
        ];
        if op == ops::LIST_ORDERS.id && allowed(&order_args) {
            let mut f = OrderFilter::new();
            f.created = created;
            f.modified = modified;
            f.limit = limit;
            f.sku = text("sku");
            f.status = text("status");
            f.channel = text("channel");
            f.channel_id = text("channel-id");
            f.external = text("external");
            f.attribute = text("attribute");
            return Some(facade_pager!(self, ops::LIST_ORDERS, f, after, orders_page));
        }
        if op == ops::LIST_PRODUCTS.id && allowed(&["sku", "category", "attribute", "id"]) {
            let mut f = ProductFilter::new();
            f.created = created;
            f.modified = modified;
            f.limit = limit;
            f.sku = text("sku");
            f.category = text("category");
            f.attribute = text("attribute");
            f.id = text("id");
            return Some(facade_pager!(
                self,
                ops::LIST_PRODUCTS,
                f,
                after,
                products_page
            ));
        }
        if op == ops::LIST_MESSAGES.id && allowed(&["channel"]) {
            let mut f = MessageFilter::new();
            f.created = created;
            f.modified = modified;
            f.limit = limit;
            f.channel = text("channel");
            return Some(facade_pager!(
                self,
                ops::LIST_MESSAGES,
                f,
                after,
                messages_page
            ));
        }
        None
    }
}
