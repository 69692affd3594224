//! `--all-pages`: every page of a list, one JSON item per line (NDJSON) on standard output.
//!
//! A list with a facade is walked through it: the library says which operations have one and
//! how their arguments map to its filter ([`Facade::pager`](brcommerce::common::cli_glue::Facade::pager)); the facade's
//! `<x>_page(&filter, cursor)` gives typed [`Page`]s (each provider's paging rule), and
//! [`paginate::stream`] walks them, so `brc` pages exactly as a program using the library does.
//! A record the facade rejected is reported on stderr in one line (its position and id, the
//! JSON path, the reason without the values; never the record) and the walk goes on; the exit
//! code is 1 at the end.
//!
//! **Fallback.** An operation without a facade, or arguments its facade's filter cannot
//! express, runs the generated command page after page through the same
//! [`paginate::stream`], with the provider's paging rule applied to the answer's JSON (the
//! library's `CommandLine::items_of` and `next_page`, the same rules as the facades; see
//! [`next_of`]). Errors are still the library's, but a record that does not decode fails its
//! page there (the generated call decodes the page as a whole).
//!
//! When stderr is a terminal, a progress line shows pages and records so far, the rate and
//! the time spent waiting for the provider's quota; otherwise nothing extra is printed.

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use brcommerce::common::cli_glue::Args;
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
use crate::call::AnyClient;
use crate::creds::Target;
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
/// arguments say (the library's [`Facade::pager`](brcommerce::common::cli_glue::Facade::pager)); `None` otherwise.
async fn facade(
    client: &AnyClient,
    op: &str,
    m: &ArgMatches,
    progress: &Progress,
) -> Option<Result<usize, Failure>> {
    let pager = client.facade().pager(op, &Args::new(m, &GLOBAL_IDS))?;
    let provider = client.facade().provider();
    Some(
        walk(
            provider,
            pager.operation,
            pager.first,
            progress,
            pager.fetch,
        )
        .await,
    )
}

/// The arguments the global flags add to every operation's matches.
const GLOBAL_IDS: [&str; 3] = ["sandbox", "live", "all-pages"];

/// The page `--page` names, to start from.
fn page(m: &ArgMatches) -> Option<Cursor> {
    Args::new(m, &GLOBAL_IDS).page()
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
            let items = api.glue().items_of(&answer);
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
    api.glue()
        .commands()
        .into_iter()
        .map(|(id, _)| id)
        .find(|id| *id == op)
}

/// The next page: after the last id read (an empty page ends the list), or by the provider's
/// rule for numbered pages (the one its facade applies to typed pages).
fn next_of(api: Api, style: Style, page: u64, answer: &Value, items: &[Value]) -> Option<Cursor> {
    match style {
        Style::After => items
            .last()
            .and_then(|i| match &i["id"] {
                Value::String(s) if !s.is_empty() => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .map(Cursor::After),
        Style::Numbered { .. } => api.glue().next_page(page, answer, items),
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
