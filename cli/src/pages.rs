//! `--all-pages`: every page of a list, one JSON item per line (NDJSON) on standard output.
//!
//! A list with a facade (ecomDC products and orders, PluggTo orders, products and messages,
//! AppClubMais orders, ConnectPlug products) is walked through it: the facade's
//! `<x>_page(&filter, cursor)` gives typed [`Page`]s (ecomDC follows `totais`, ConnectPlug
//! `meta`, PluggTo the last id read), and [`paginate::stream`] walks them, so `brc` pages
//! exactly as a program using the library does. A record the facade rejected is reported on
//! stderr in one line (its position and id, the JSON path, the reason without the values;
//! never the record) and the walk goes on; the exit code is 1 at the end.
//!
//! **Fallback.** An operation without a facade, or arguments its facade's filter cannot
//! express (e.g. PluggTo `--ack`), runs the generated command page after page through the
//! same [`paginate::stream`], with the provider's paging rule applied to the answer's JSON
//! (see [`next_of`]: the same rules as the facades). Errors are still the library's, but a
//! record that does not decode fails its page there (the generated call decodes the page as a
//! whole).
//!
//! When stderr is a terminal, a progress line shows pages and records so far, the rate and
//! the time spent waiting for the provider's quota; otherwise nothing extra is printed.

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::num::NonZeroU64;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use brcommerce::common::paginate::{self, Cursor, Page};
use brcommerce::common::secret::without_values;
use brcommerce::{Error, ErrorKind, Provider};
use clap::ArgMatches;
use clap::parser::ValueSource;
use futures::{Stream, StreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::Value;

use crate::Api;
use crate::creds::{AnyClient, Target};
use crate::output::{Failure, line};

/// Page size asked for where the user did not choose one (the providers' maximum).
const PAGE_SIZE: u64 = 100;

pub async fn all(
    target: &Target,
    api: Api,
    op: &str,
    matches: &ArgMatches,
    raw_args: &[String],
) -> Result<(), Failure> {
    let client = target.client.clone();
    let progress = Progress::new(client.clone());
    let rejected = match facade(&client, op, matches, &progress).await {
        Some(walked) => walked?,
        None => generic(client, api, op, matches, raw_args, &progress).await?,
    };
    progress.finish();
    match rejected {
        0 => Ok(()),
        n => Err(Failure::Rejected(n)),
    }
}

/// The walk through the facade, when `op` has one and its filter can say everything the
/// arguments say; `None` otherwise.
async fn facade(
    client: &AnyClient,
    op: &str,
    m: &ArgMatches,
    progress: &Progress,
) -> Option<Result<usize, Failure>> {
    // One facade list: `$method(&filter, cursor)` of client `$c`, from cursor `$first`.
    macro_rules! walk {
        ($provider:expr, $op:expr, $c:expr, $filter:expr, $first:expr, $method:ident) => {{
            let c = $c.clone();
            let filter = $filter;
            Some(
                walk(
                    $provider,
                    $op.id,
                    $first,
                    progress,
                    move |cursor: Option<Cursor>| {
                        let c = c.clone();
                        let filter = filter.clone();
                        async move { c.$method(&filter, cursor.as_ref()).await }
                    },
                )
                .await,
            )
        }};
    }
    match client {
        AnyClient::Ecomdc(c) => {
            use brcommerce::ecomdc::{self, operations as ops, types};
            let p = Provider::Ecomdc;
            if op == ops::LIST_PRODUCTS.id && only(m, &["page", "precos-atacado"]) {
                let mut filter = ecomdc::ProductFilter::new();
                if m.get_one::<bool>("precos-atacado") == Some(&true) {
                    filter = filter.wholesale_prices();
                }
                return walk!(p, ops::LIST_PRODUCTS, c, filter, page(m), products_page);
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
            if op == ops::LIST_ORDERS.id && only(m, &order_args) {
                let mut filter = ecomdc::OrderFilter::new();
                let day = |id: &str| m.get_one::<chrono::NaiveDate>(id).copied();
                match (day("data-inicial"), day("data-final")) {
                    (Some(from), Some(to)) => filter = filter.created_between(from, to),
                    (None, None) => {}
                    // One end only: the provider judges it (fallback).
                    _ => return None,
                }
                if let Some(d) = day("data-alteracao") {
                    filter = filter.changed_on(d);
                }
                if let Some(s) = m.get_one::<types::OrderPhase>("status") {
                    filter = filter.status(*s);
                }
                if let Some(carts) = m.get_one::<types::AbandonedCartFilter>("carrinho-abandonado")
                {
                    filter = filter.abandoned_carts(match carts {
                        types::AbandonedCartFilter::T => ecomdc::AbandonedCarts::Include,
                        types::AbandonedCartFilter::L => ecomdc::AbandonedCarts::Only,
                    });
                }
                if let Some(code) = m.get_one::<String>("codigo-pedido") {
                    filter = filter.code(code.clone());
                }
                return walk!(p, ops::LIST_ORDERS, c, filter, page(m), orders_page);
            }
            None
        }
        AnyClient::Pluggto(c) => {
            use brcommerce::pluggto::{self, operations as ops};
            let p = Provider::Pluggto;
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
            let text = |id: &str| m.get_one::<String>(id).cloned();
            let limit = m
                .get_one::<NonZeroU64>("limit")
                .and_then(|n| i64::try_from(n.get()).ok());
            let after = text("next").map(Cursor::After);
            // `created` / `modified` as `YYYY-MM-DDtoYYYY-MM-DD`; another form goes to the
            // provider as typed (fallback).
            let range = |id: &str| -> Result<Option<pluggto::DateRange>, ()> {
                let Some(raw) = m.get_raw(id).and_then(|mut v| v.next()) else {
                    return Ok(None);
                };
                let raw = raw.to_str().ok_or(())?;
                let (from, to) = raw.split_once("to").ok_or(())?;
                let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(drop);
                pluggto::DateRange::new(day(from)?, day(to)?)
                    .map(Some)
                    .map_err(drop)
            };
            let (Ok(created), Ok(modified)) = (range("created"), range("modified")) else {
                return None;
            };
            let common = ["next", "limit", "created", "modified"];
            let allowed = |more: &[&'static str]| {
                let mut all = common.to_vec();
                all.extend_from_slice(more);
                only(m, &all)
            };
            if op == ops::LIST_ORDERS.id
                && allowed(&[
                    "sku",
                    "status",
                    "channel",
                    "channel-id",
                    "external",
                    "attribute",
                ])
            {
                let mut f = pluggto::OrderFilter::new();
                f.created = created;
                f.modified = modified;
                f.limit = limit;
                f.sku = text("sku");
                f.status = text("status");
                f.channel = text("channel");
                f.channel_id = text("channel-id");
                f.external = text("external");
                f.attribute = text("attribute");
                return walk!(p, ops::LIST_ORDERS, c, f, after, orders_page);
            }
            if op == ops::LIST_PRODUCTS.id && allowed(&["sku", "category", "attribute", "id"]) {
                let mut f = pluggto::ProductFilter::new();
                f.created = created;
                f.modified = modified;
                f.limit = limit;
                f.sku = text("sku");
                f.category = text("category");
                f.attribute = text("attribute");
                f.id = text("id");
                return walk!(p, ops::LIST_PRODUCTS, c, f, after, products_page);
            }
            if op == ops::LIST_MESSAGES.id && allowed(&["channel"]) {
                let mut f = pluggto::MessageFilter::new();
                f.created = created;
                f.modified = modified;
                f.limit = limit;
                f.channel = text("channel");
                return walk!(p, ops::LIST_MESSAGES, c, f, after, messages_page);
            }
            None
        }
        AnyClient::Appclubmais(c) => {
            use brcommerce::appclubmais::{self, operations as ops};
            if op == ops::LIST_ORDERS.id && only(m, &[]) {
                let filter = appclubmais::OrderFilter::new();
                let p = Provider::Appclubmais;
                return walk!(p, ops::LIST_ORDERS, c, filter, None, orders_page);
            }
            None
        }
        AnyClient::Connectplug(c) => {
            use brcommerce::connectplug::{self, operations as ops};
            if op == ops::LIST_PRODUCTS.id && only(m, &["page", "updated-from"]) {
                let mut filter = connectplug::ProductFilter::new();
                if let Some(since) = m.get_one::<String>("updated-from") {
                    filter = filter.updated_from(since.clone());
                }
                let p = Provider::Connectplug;
                return walk!(p, ops::LIST_PRODUCTS, c, filter, page(m), products_page);
            }
            None
        }
    }
}

/// The arguments the global flags add to every operation's matches.
const GLOBAL_IDS: [&str; 3] = ["sandbox", "live", "all-pages"];

/// True when the command line gave no argument outside `allowed`.
fn only(m: &ArgMatches, allowed: &[&str]) -> bool {
    m.ids().all(|id| {
        let id = id.as_str();
        GLOBAL_IDS.contains(&id)
            || allowed.contains(&id)
            || m.value_source(id) != Some(ValueSource::CommandLine)
    })
}

/// The page `--page` names, to start from.
fn page(m: &ArgMatches) -> Option<Cursor> {
    m.get_one::<NonZeroU64>("page")
        .map(|n| Cursor::Number(n.get()))
}

/// Walks the pages `fetch` gives from `first` and prints their records.
async fn walk<T, F, Fut>(
    provider: Provider,
    op: &'static str,
    first: Option<Cursor>,
    progress: &Progress,
    mut fetch: F,
) -> Result<usize, Failure>
where
    T: Serialize + Send + 'static,
    F: FnMut(Option<Cursor>) -> Fut + Send + 'static,
    Fut: Future<Output = brcommerce::Result<Page<T>>> + Send + 'static,
{
    let counter = progress.clone();
    let stream = paginate::stream(provider, op, first, move |cursor| {
        let fut = fetch(cursor);
        let counter = counter.clone();
        async move {
            let page = fut.await;
            if page.is_ok() {
                counter.page();
            }
            page
        }
    });
    print(stream, progress).await
}

/// Prints the good records as NDJSON and each rejected one as a line on stderr; the number of
/// rejected records, or the error that ended the list.
async fn print<T: Serialize>(
    stream: impl Stream<Item = brcommerce::Result<T>>,
    progress: &Progress,
) -> Result<usize, Failure> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut rejected = 0;
    let mut stream = std::pin::pin!(stream);
    while let Some(item) = stream.next().await {
        match item {
            Ok(record) => {
                let written = serde_json::to_writer(&mut out, &record)
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"));
                if let Err(e) = written {
                    return stopped(e, rejected);
                }
                if progress.record().is_multiple_of(PAGE_SIZE) {
                    let _ = out.flush();
                }
            }
            Err(e) if e.record().is_some() => {
                rejected += 1;
                let _ = out.flush();
                progress.note(&rejected_line(&e, progress.pages()));
            }
            Err(e) => {
                let _ = out.flush();
                return Err(Failure::Call(e));
            }
        }
    }
    match out.flush() {
        Ok(()) => Ok(rejected),
        Err(e) => stopped(e, rejected),
    }
}

/// Standard output closed (e.g. `| head`): stop quietly.
fn stopped(e: std::io::Error, rejected: usize) -> Result<usize, Failure> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(rejected)
    } else {
        Err(Failure::Usage(format!(
            "cannot write to standard output: {e}"
        )))
    }
}

/// One short line for a rejected record: where it was and why, never its values.
fn rejected_line(e: &Error, page: u64) -> String {
    let at = match e.record() {
        Some(r) => match &r.id {
            Some(id) => format!("record {} (id {id})", r.index),
            None => format!("record {}", r.index),
        },
        None => "a record".to_owned(),
    };
    let (path, reason) = match e.kind() {
        ErrorKind::Decode { path, message } => (path.as_str(), without_values(message)),
        _ => ("", without_values(&e.to_string())),
    };
    line(&format!(
        "brc: {} {}: rejected {at} of page {page} at `{path}`: {reason}",
        e.provider(),
        e.operation()
    ))
}

// ----- fallback: the generated command, page after page -----

/// How an operation without a facade pages.
#[derive(Clone, Copy)]
enum Style {
    /// `--page N` (ConnectPlug also `--per-page`).
    Numbered { per_page: bool },
    /// `--next <last id>` with `--limit` (PluggTo).
    After,
}

async fn generic(
    client: AnyClient,
    api: Api,
    op: &str,
    m: &ArgMatches,
    raw_args: &[String],
    progress: &Progress,
) -> Result<usize, Failure> {
    let command = crate::provider_command(api);
    let kebab = op.replace('_', "-");
    let Some(sub) = command.find_subcommand(&kebab) else {
        return Err(Failure::Usage(format!("unknown operation {op}")));
    };
    let has = |id: &str| sub.get_arguments().any(|a| a.get_id() == id);
    let style = if has("next") && has("limit") {
        Style::After
    } else if has("page") {
        Style::Numbered {
            per_page: has("per-page"),
        }
    } else {
        return Err(Failure::Usage(format!(
            "{} {kebab} is not a paged list; run it without --all-pages",
            api.id()
        )));
    };
    let first = match style {
        Style::Numbered { .. } => page(m),
        Style::After => m.get_one::<String>("next").cloned().map(Cursor::After),
    };
    // The paging arguments are set per page; the user's other arguments are kept.
    let mut base = without(raw_args, &["--page", "--next"]);
    match style {
        Style::Numbered { per_page: true } if !given(m, "per-page") => {
            base.extend(["--per-page".into(), PAGE_SIZE.to_string()]);
        }
        Style::After if !given(m, "limit") => {
            base.extend(["--limit".into(), PAGE_SIZE.to_string()]);
        }
        _ => {}
    }
    let op_id =
        static_id(api, op).ok_or_else(|| Failure::Usage(format!("unknown operation {op}")))?;
    let provider = api.provider();
    walk(provider, op_id, first, progress, move |cursor| {
        let mut argv = base.clone();
        match (&cursor, style) {
            (None, _) => {}
            (Some(Cursor::Number(n)), Style::Numbered { .. }) => {
                argv.extend(["--page".into(), n.to_string()]);
            }
            (Some(c), _) => argv.extend(["--next".into(), c.to_string()]),
        }
        let client = client.clone();
        async move {
            let usage = |m: String| Error::invalid_input(provider, op_id, "arguments", m);
            let matches = crate::provider_command(api)
                .try_get_matches_from(
                    [api.id().to_owned(), kebab_of(op_id)]
                        .into_iter()
                        .chain(argv),
                )
                .map_err(|e| usage(e.to_string()))?;
            let (_, op_matches) = matches
                .subcommand()
                .ok_or_else(|| usage("no operation".into()))?;
            let answer = client
                .capture(op_id, op_matches)
                .await
                .map_err(|f| match f {
                    Failure::Call(e) => e,
                    other => usage(other.to_string()),
                })?;
            let number = match cursor {
                Some(Cursor::Number(n)) => n,
                _ => 1,
            };
            let items = items_of(api, &answer);
            let next = next_of(api, style, number, &answer, &items);
            Ok(Page::new(items, next))
        }
    })
    .await
}

/// True when the command line gave `id`.
fn given(m: &ArgMatches, id: &str) -> bool {
    m.try_contains_id(id).unwrap_or(false) && m.value_source(id) == Some(ValueSource::CommandLine)
}

/// `args` without the flags in `flags` and their values (`--page 3` and `--page=3`).
fn without(args: &[String], flags: &[&str]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut skip = false;
    for a in args {
        if std::mem::take(&mut skip) {
            continue;
        }
        if flags.contains(&a.as_str()) {
            skip = true;
        } else if !flags.iter().any(|f| a.starts_with(&format!("{f}="))) {
            out.push(a.clone());
        }
    }
    out
}

fn kebab_of(op: &str) -> String {
    op.replace('_', "-")
}

/// The generated operation id, as the generated code holds it.
fn static_id(api: Api, op: &str) -> Option<&'static str> {
    macro_rules! find {
        ($p:ident) => {
            brcommerce::$p::cli::CliCommand::iter()
                .map(|c| c.operation_id())
                .find(|id| *id == op)
        };
    }
    match api {
        Api::Ecomdc => find!(ecomdc),
        Api::Pluggto => find!(pluggto),
        Api::Appclubmais => find!(appclubmais),
        Api::Connectplug => find!(connectplug),
    }
}

/// The records of one answer.
fn items_of(api: Api, answer: &Value) -> Vec<Value> {
    let first_array = |v: &Value| {
        v.as_object()
            .and_then(|o| o.values().find_map(Value::as_array))
            .cloned()
            .unwrap_or_default()
    };
    match api {
        // `{data: {<key>: [...]}, meta}`.
        Api::Connectplug => first_array(&answer["data"]),
        // `{result: [{"Order": {...}}, ...]}`: each record in its one wrapper.
        Api::Pluggto => answer["result"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|item| match item.as_object() {
                Some(o) if o.len() == 1 => o.values().next().cloned().unwrap_or(Value::Null),
                _ => item.clone(),
            })
            .collect(),
        // `{produtos: [...], totais}`; AppClubMais `{data: [...]}`.
        Api::Ecomdc | Api::Appclubmais => first_array(answer),
    }
}

/// The next page, by the provider's rule (the one its facade applies to typed pages).
fn next_of(api: Api, style: Style, page: u64, answer: &Value, items: &[Value]) -> Option<Cursor> {
    let number = |v: &Value| v.as_u64().or_else(|| v.as_str()?.trim().parse().ok());
    match (api, style) {
        // Last id read; an empty page ends the list.
        (_, Style::After) => items
            .last()
            .and_then(|i| match &i["id"] {
                Value::String(s) if !s.is_empty() => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .map(Cursor::After),
        // `totais.totalPaginas`, while the provider answered the page asked for.
        (Api::Ecomdc, Style::Numbered { .. }) => {
            let totals = &answer["totais"];
            let last = number(&totals["totalPaginas"])?;
            let answered = number(&totals["paginaAtual"]);
            (page < last && answered.is_none_or(|a| a == page)).then_some(Cursor::Number(page + 1))
        }
        // `meta.current_page < meta.last_page`.
        (Api::Connectplug, Style::Numbered { .. }) => {
            let meta = &answer["meta"];
            let current = number(&meta["current_page"]).unwrap_or(page);
            let last = number(&meta["last_page"])?;
            (current < last).then_some(Cursor::Number(current + 1))
        }
        // No AppClubMais or PluggTo list is numbered today; should one be, an empty page ends it.
        (Api::Appclubmais | Api::Pluggto, Style::Numbered { .. }) => {
            (!items.is_empty()).then_some(Cursor::Number(page + 1))
        }
    }
}

// ----- progress -----

/// Pages and records so far; a progress line on stderr when it is a terminal.
#[derive(Clone)]
struct Progress(Arc<Counters>);

struct Counters {
    pages: AtomicU64,
    records: AtomicU64,
    started: Instant,
    client: AnyClient,
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(client: AnyClient) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Self(Arc::new(Counters {
            pages: AtomicU64::new(0),
            records: AtomicU64::new(0),
            started: Instant::now(),
            client,
            bar,
        }))
    }

    fn pages(&self) -> u64 {
        self.0.pages.load(Ordering::Relaxed)
    }

    fn page(&self) {
        self.0.pages.fetch_add(1, Ordering::Relaxed);
        self.show();
    }

    /// Counts a printed record; the count so far.
    fn record(&self) -> u64 {
        let n = self.0.records.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(50) {
            self.show();
        }
        n
    }

    /// A line on stderr (above the progress line, if there is one).
    fn note(&self, text: &str) {
        match &self.0.bar {
            Some(bar) => bar.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }

    fn show(&self) {
        let Some(bar) = &self.0.bar else { return };
        let records = self.0.records.load(Ordering::Relaxed);
        let secs = self.0.started.elapsed().as_secs_f64().max(0.001);
        let waited = self.0.client.stats().waited_for_quota;
        bar.set_message(format!(
            "{} pages, {records} records, {:.0} records/s, {:.1} s waiting for the quota",
            self.pages(),
            records as f64 / secs,
            waited.as_secs_f64()
        ));
    }

    fn finish(&self) {
        if let Some(bar) = &self.0.bar {
            self.show();
            bar.finish_and_clear();
        }
    }
}
