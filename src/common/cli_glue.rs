//! What the `brc` command line (the `brcommerce-cli` package) knows about a provider (feature
//! `cli`; hidden, not for library users, may change in any release).
//!
//! Each provider module describes itself to the command line in its own `cli_glue.rs`: a
//! [`CommandLine`] (its credential variables and how a live client is built from them, its
//! sandbox, its generated subcommands, how a list it has no facade for pages) and a [`Facade`]
//! on its `Client` (running a generated command, and walking the lists it has a typed facade
//! for). [`Provider::command_line`] lists them, so `brc` names no provider: a new provider
//! reaches the command line through its module alone.
//!
//! The generated command-line interface of each provider (`<provider>::cli`) reports to a
//! [`Config`] wrapped around `brc`'s [`Sink`]; `generated_client!` implements the provider's
//! `CliConfig` for it and gives the module a `cli_run` with its subcommands and an executor.

use std::future::Future;
use std::sync::Arc;

use clap::ArgMatches;
use clap::parser::ValueSource;
use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::common::call::Outcome;
use crate::common::config::Builder;
use crate::common::drift::DriftReport;
use crate::common::error::{Error, ErrorKind, Provider, Result};
use crate::common::ops::Operation;
use crate::common::paginate::{Cursor, Page};
use crate::common::runtime::{Runtime, StatsSnapshot};

/// One provider as the command line sees it. Implemented by each provider module (a unit
/// struct in its `cli_glue.rs`), listed by [`Provider::command_line`].
pub trait CommandLine: Sync {
    /// The provider.
    fn provider(&self) -> Provider;

    /// How `brc --help` names it among the others ("ConnectPlug v3"); its name by default.
    fn title(&self) -> &'static str {
        self.provider().name()
    }

    /// What its subcommand does, one line for `brc --help`.
    fn about(&self) -> &'static str;

    /// The environment variables a live client needs (each must be set and not empty).
    fn required_vars(&self) -> &'static [&'static str];

    /// Its credential variables as `brc --help` lists them: one or more lines, the caller
    /// indents them.
    fn credentials_help(&self) -> &'static str;

    /// Its generated subcommands, each with its operation id (from the generated
    /// `<provider>::cli`; `cli_run::commands()`).
    fn commands(&self) -> Vec<(&'static str, clap::Command)>;

    /// A client of the real provider, from the variables `var` reads (empty when unset).
    ///
    /// # Errors
    /// A variable that does not have the form the provider needs, or as `Builder::build`.
    fn live(&self, var: &dyn Fn(&str) -> String, settings: &Settings) -> Result<Arc<dyn Facade>>;

    /// Starts the provider's embedded sandbox and a client of it (no pacing: the sandboxes do
    /// not enforce quotas). By default, a configuration error: the provider has no sandbox.
    #[cfg(feature = "sandbox")]
    fn sandbox(&self, settings: &Settings) -> BoxFuture<'static, Result<Sandboxed>> {
        let _ = settings;
        let kind = ErrorKind::Config {
            message: "this provider has no embedded sandbox; set its credentials".to_owned(),
        };
        let error = Error::new(self.provider(), "sandbox", kind);
        Box::pin(async move { Err(error) })
    }

    /// The records of one answer of a list run without its facade (`--all-pages` through the
    /// generated command): by default the first array among the answer's fields.
    fn items_of(&self, answer: &Value) -> Vec<Value> {
        first_array(answer)
    }

    /// The page after page `page` of a numbered list run without its facade, by the rule its
    /// facades apply to typed pages: by default, an empty page ends the list.
    fn next_page(&self, page: u64, answer: &Value, items: &[Value]) -> Option<Cursor> {
        let _ = answer;
        (!items.is_empty()).then_some(Cursor::Number(page + 1))
    }
}

/// What the command line sets on every client it builds.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The base URL instead of the provider's (`BRC_<PROVIDER>_URL`); live clients only.
    pub base_url: Option<String>,
    /// One answer in how many is checked for drift ([`Builder::drift_sampling`]).
    pub drift_sampling: u32,
}

impl Settings {
    /// `builder` with these settings (the live client's).
    pub fn apply<C>(&self, builder: Builder<C>) -> Builder<C> {
        let builder = builder.drift_sampling(self.drift_sampling);
        match &self.base_url {
            Some(url) => builder.base_url(url.clone()),
            None => builder,
        }
    }
}

/// A provider's client to the command line. Implemented by each provider's `Client` in its
/// `cli_glue.rs`.
pub trait Facade: Send + Sync + std::fmt::Debug {
    /// The runtime its calls go through.
    fn call_runtime(&self) -> &Runtime;

    /// Runs the generated command `op` with `matches`, reporting to `sink`; `None` when the
    /// provider has no operation `op` (`cli_run::execute`).
    fn execute<'a>(
        &'a self,
        op: &str,
        matches: &'a ArgMatches,
        sink: &'a dyn Sink,
    ) -> Option<BoxFuture<'a, Executed>>;

    /// The message of a write that changed nothing, when the provider answers that with an
    /// error status and its facade reads it as [`Written::Unchanged`](crate::Written::Unchanged);
    /// `None` (an error) by default.
    fn unchanged(&self, error: &Error) -> Option<String> {
        let _ = error;
        None
    }

    /// The walk through a facade list for `--all-pages` of `op`, when the provider has one and
    /// its filter can say everything the arguments say; `None` otherwise (the command line then
    /// pages the generated command).
    fn pager(&self, op: &str, args: &Args<'_>) -> Option<Pager> {
        let _ = (op, args);
        None
    }
}

impl dyn Facade + '_ {
    /// The provider.
    pub fn provider(&self) -> Provider {
        self.call_runtime().provider()
    }

    /// Requests, retries and time waited for the quota so far.
    pub fn stats(&self) -> StatsSnapshot {
        self.call_runtime().stats()
    }

    /// What the provider sent that the spec does not describe, so far.
    pub fn drift(&self) -> DriftReport {
        self.call_runtime().drift.report()
    }
}

/// What a generated command came to: its own result (a bad parameter fails before any call)
/// and what its call came to.
pub type Executed = (anyhow::Result<()>, Outcome);

/// Receives the results of a generated command.
pub trait Sink: Sync {
    /// A success answer, or one item of a list, as JSON.
    fn item(&self, value: Value);
    /// A success answer without a documented body, with its status.
    fn no_item(&self, status: u16);
}

/// The generated commands' `CliConfig`: hands results to the [`Sink`] and failed calls to
/// [`capture`](crate::common::call::capture) (implemented in `generated_client!`).
#[derive(Clone, Copy)]
pub struct Config<'a>(pub &'a dyn Sink);

/// A running embedded sandbox (dropping it stops the server).
#[cfg(feature = "sandbox")]
pub trait RunningSandbox: Send {
    /// Makes its answers from now on drift from the spec.
    ///
    /// # Errors
    /// As [`Sandbox::drift`](crate::common::sandbox::Sandbox::drift).
    fn drift(&self, drift: crate::common::sandbox::SandboxDrift) -> Result<()>;
}

#[cfg(feature = "sandbox")]
impl<B: Send + Sync> RunningSandbox for crate::common::sandbox::Running<B> {
    fn drift(&self, drift: crate::common::sandbox::SandboxDrift) -> Result<()> {
        crate::common::sandbox::Running::drift(self, drift)
    }
}

/// A sandbox and a client of it.
#[cfg(feature = "sandbox")]
pub struct Sandboxed {
    /// The client.
    pub client: Arc<dyn Facade>,
    /// The sandbox it talks to.
    pub sandbox: Box<dyn RunningSandbox>,
}

#[cfg(feature = "sandbox")]
impl Sandboxed {
    /// `client` of `sandbox`.
    pub fn new(client: impl Facade + 'static, sandbox: impl RunningSandbox + 'static) -> Self {
        Self {
            client: Arc::new(client),
            sandbox: Box::new(sandbox),
        }
    }
}

/// Starts a sandbox (`start`) and builds its client with `client`, given the sandbox and the
/// settings for its client (its base URL, the drift sampling): for
/// [`CommandLine::sandbox`].
#[cfg(feature = "sandbox")]
pub(crate) fn sandboxed<B, C, S, F>(
    start: S,
    settings: &Settings,
    client: F,
) -> BoxFuture<'static, Result<Sandboxed>>
where
    B: Send + Sync + 'static,
    C: Facade + 'static,
    S: Future<Output = Result<crate::common::sandbox::Running<B>>> + Send + 'static,
    F: FnOnce(&crate::common::sandbox::Running<B>, &Settings) -> Result<C> + Send + 'static,
{
    let drift_sampling = settings.drift_sampling;
    Box::pin(async move {
        let sandbox = start.await?;
        let settings = Settings {
            base_url: Some(sandbox.base_url().to_owned()),
            drift_sampling,
        };
        let client = client(&sandbox, &settings)?;
        Ok(Sandboxed::new(client, sandbox))
    })
}

/// The arguments of one operation as a facade reads them.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    matches: &'a ArgMatches,
    global: &'a [&'a str],
}

impl<'a> Args<'a> {
    /// The operation's `matches`; the ids in `global` (the command line's global flags) are
    /// not the operation's.
    pub fn new(matches: &'a ArgMatches, global: &'a [&'a str]) -> Self {
        Self { matches, global }
    }

    /// The operation's matches.
    pub fn matches(&self) -> &'a ArgMatches {
        self.matches
    }

    /// True when the command line gave no argument of the operation outside `allowed`.
    pub fn only(&self, allowed: &[&str]) -> bool {
        self.matches.ids().all(|id| {
            let id = id.as_str();
            self.global.contains(&id)
                || allowed.contains(&id)
                || self.matches.value_source(id) != Some(ValueSource::CommandLine)
        })
    }

    /// The page `--page` names, to start from.
    pub fn page(&self) -> Option<Cursor> {
        self.matches
            .get_one::<std::num::NonZeroU64>("page")
            .map(|n| Cursor::Number(n.get()))
    }
}

/// One page of a facade list, its records as the JSON the facade's types write.
pub type Fetch =
    Box<dyn FnMut(Option<Cursor>) -> BoxFuture<'static, Result<Page<Box<RawValue>>>> + Send>;

/// A walk through a facade list: the operation, the first page and how to fetch a page.
#[non_exhaustive]
pub struct Pager {
    /// The list's operation id.
    pub operation: &'static str,
    /// Where it starts (`None`: the first page).
    pub first: Option<Cursor>,
    /// Fetches the page at a cursor.
    pub fetch: Fetch,
}

impl Pager {
    /// The pages `fetch` gives for `op`, from `first`; each record written as JSON by its type.
    pub fn new<T, F, Fut>(
        provider: Provider,
        op: &'static Operation,
        first: Option<Cursor>,
        fetch: F,
    ) -> Self
    where
        T: Serialize,
        F: Fn(Option<Cursor>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Page<T>>> + Send + 'static,
    {
        let operation = op.id;
        let fetch: Fetch = Box::new(move |cursor| {
            let page = fetch(cursor);
            Box::pin(async move { page.await.map(|p| as_json(provider, operation, p)) })
        });
        Self {
            operation,
            first,
            fetch,
        }
    }
}

/// A walk through the facade list `$method(&filter, cursor)` of client `$client` for operation
/// `$op`, from cursor `$first`: a [`Pager`].
macro_rules! facade_pager {
    ($client:expr, $op:expr, $filter:expr, $first:expr, $method:ident) => {{
        let client = $client.clone();
        let filter = $filter;
        $crate::common::cli_glue::Pager::new(
            $crate::common::runtime::Runtime::provider(client.runtime()),
            &$op,
            $first,
            move |cursor: Option<$crate::common::paginate::Cursor>| {
                let client = client.clone();
                let filter = filter.clone();
                async move { client.$method(&filter, cursor.as_ref()).await }
            },
        )
    }};
}
pub(crate) use facade_pager;

/// The [`CommandLine::commands`] every provider has: its generated subcommands (in its
/// `impl CommandLine`, beside `cli_run`).
macro_rules! generated_commands {
    () => {
        fn commands(&self) -> Vec<(&'static str, ::clap::Command)> {
            super::cli_run::commands()
        }
    };
}
pub(crate) use generated_commands;

/// The [`Facade::call_runtime`] and [`Facade::execute`] every provider's `Client` has (in its
/// `impl Facade`, beside `cli_run`).
macro_rules! generated_execute {
    () => {
        fn call_runtime(&self) -> &$crate::common::runtime::Runtime {
            self.runtime()
        }

        fn execute<'a>(
            &'a self,
            op: &str,
            matches: &'a ::clap::ArgMatches,
            sink: &'a dyn $crate::common::cli_glue::Sink,
        ) -> Option<::futures::future::BoxFuture<'a, $crate::common::cli_glue::Executed>> {
            super::cli_run::execute(self.raw(), op, matches, sink)
        }
    };
}
pub(crate) use generated_execute;

/// A typed page as JSON. A record its type cannot write (never seen: the generated types write
/// themselves) is a rejected record of the page (its index among the records that decoded).
fn as_json<T: Serialize>(
    provider: Provider,
    op: &'static str,
    page: Page<T>,
) -> Page<Box<RawValue>> {
    let Page {
        items,
        next,
        total,
        pages,
        mut rejected,
    } = page;
    let mut json = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match serde_json::value::to_raw_value(item) {
            Ok(record) => json.push(record),
            Err(e) => {
                let kind = ErrorKind::Decode {
                    path: String::new(),
                    message: format!("cannot write the record as JSON: {e}"),
                };
                rejected.push(Error::new(provider, op, kind).with_record(
                    index,
                    None,
                    String::new(),
                ));
            }
        }
    }
    Page::new(json, next)
        .with_totals(total, pages)
        .with_rejected(rejected)
}

/// The first array among the fields of `v` (an object), or none.
pub fn first_array(v: &Value) -> Vec<Value> {
    v.as_object()
        .and_then(|o| o.values().find_map(Value::as_array))
        .cloned()
        .unwrap_or_default()
}

/// A number, or a text holding one (`"3"`).
pub fn number(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.trim().parse().ok())
}

/// What `generated_client!` adds to a provider module with feature `cli`: `cli_run`, the
/// generated command-line interface (`cli`) for [`CommandLine::commands`] and
/// [`Facade::execute`], and its `CliConfig` for [`Config`].
macro_rules! generated_cli_glue {
    () => {
        /// The generated command-line interface ([`cli`]) for the `brc` package.
        pub(crate) mod cli_run {
            use super::cli::{Cli, CliCommand, CliConfig};
            use $crate::common::cli_glue::{Config, Executed, Sink};

            /// Every generated subcommand, with its operation id.
            pub(crate) fn commands() -> Vec<(&'static str, ::clap::Command)> {
                CliCommand::iter()
                    .map(|op| (op.operation_id(), Cli::<Config<'static>>::get_command(op)))
                    .collect()
            }

            /// Runs the generated command `op` through `raw`'s runtime; `None` for an unknown
            /// operation.
            pub(crate) fn execute<'a>(
                raw: &'a super::generated::Client,
                op: &str,
                matches: &'a ::clap::ArgMatches,
                sink: &'a dyn Sink,
            ) -> Option<::futures::future::BoxFuture<'a, Executed>> {
                let cmd = CliCommand::iter().find(|c| c.operation_id() == op)?;
                let cli = Cli::new(raw.clone(), Config(sink));
                Some(Box::pin(async move {
                    $crate::common::call::run_generated(&raw.inner, cli.execute(cmd, matches)).await
                }))
            }

            impl CliConfig for Config<'_> {
                fn success_item<T>(&self, value: &::progenitor_client::ResponseValue<T>)
                where
                    T: ::schemars::JsonSchema + ::serde::Serialize + ::std::fmt::Debug,
                {
                    self.0
                        .item(::serde_json::to_value(value.as_ref()).unwrap_or_default());
                }
                fn success_no_item(&self, value: &::progenitor_client::ResponseValue<()>) {
                    self.0.no_item(value.status().as_u16());
                }
                fn error<T>(&self, value: &::progenitor_client::Error<T>)
                where
                    T: ::schemars::JsonSchema + ::serde::Serialize + ::std::fmt::Debug,
                {
                    $crate::common::call::capture_with(
                        value,
                        $crate::common::call::provider_error_as::<super::generated::types::Error>,
                    );
                }
                fn list_start<T>(&self)
                where
                    T: ::schemars::JsonSchema + ::serde::Serialize + ::std::fmt::Debug,
                {
                }
                fn list_item<T>(&self, value: &T)
                where
                    T: ::schemars::JsonSchema + ::serde::Serialize + ::std::fmt::Debug,
                {
                    self.0
                        .item(::serde_json::to_value(value).unwrap_or_default());
                }
                fn list_end_success<T>(&self)
                where
                    T: ::schemars::JsonSchema + ::serde::Serialize + ::std::fmt::Debug,
                {
                }
                fn list_end_error<T>(&self, value: &::progenitor_client::Error<T>)
                where
                    T: ::schemars::JsonSchema + ::serde::Serialize + ::std::fmt::Debug,
                {
                    $crate::common::call::capture_with(
                        value,
                        $crate::common::call::provider_error_as::<super::generated::types::Error>,
                    );
                }
            }
        }
    };
}
pub(crate) use generated_cli_glue;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_provider_reaches_the_command_line_and_lists_its_variables() {
        for p in Provider::ALL.iter().filter(|p| p.is_enabled()) {
            let glue = p
                .command_line()
                .unwrap_or_else(|| panic!("{p} has no command line"));
            assert_eq!(glue.provider(), *p);
            let help = glue.credentials_help();
            for var in glue.required_vars() {
                assert!(help.contains(var), "{p}: {var} missing in {help:?}");
            }
            assert!(!glue.commands().is_empty(), "{p}: no commands");
        }
    }

    /// Writes `{"b": .., "a": ..}` in that order, or fails.
    struct Record(Option<u8>);

    impl Serialize for Record {
        fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            use serde::ser::{Error as _, SerializeStruct};
            let n = self.0.ok_or_else(|| S::Error::custom("no value"))?;
            let mut st = s.serialize_struct("Record", 2)?;
            st.serialize_field("b", &n)?;
            st.serialize_field("a", "x")?;
            st.end()
        }
    }

    #[test]
    fn a_typed_page_is_written_as_its_types_write_it_and_a_record_that_cannot_be_is_rejected() {
        let page = Page::new(vec![Record(Some(1)), Record(None), Record(Some(3))], None)
            .with_totals(Some(3), Some(1));
        let json = as_json(Provider::ALL[0], "list", page);
        let items: Vec<&str> = json.items.iter().map(|r| r.get()).collect();
        // The fields in the type's order, as `serde_json::to_writer` of the record writes them.
        assert_eq!(items, [r#"{"b":1,"a":"x"}"#, r#"{"b":3,"a":"x"}"#]);
        assert_eq!((json.total, json.pages), (Some(3), Some(1)));
        assert_eq!(json.rejected.len(), 1);
        let rejected = &json.rejected[0];
        assert_eq!(rejected.record().map(|r| r.index), Some(1));
        assert!(rejected.to_string().contains("no value"), "{rejected}");
    }
}
