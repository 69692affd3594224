//! `brc`: every operation of the library's providers from the command line, an embedded sandbox
//! per provider, and a cross-provider demo. The providers and what is particular to each come from
//! the library (`brcommerce::common::cli_glue`); nothing here names one but the demo and `listen`.
//!
//! ```text
//! brc demo                                   # the four sandboxes, one scripted integration
//! brc listen [--port 8787] [--sandbox]       # receive callbacks, print typed events as NDJSON
//! brc drift <provider> <operation> [...]     # how a read's answer differs from the spec (NDJSON)
//! brc <provider> --help                      # the provider's operations with their summaries
//! brc <provider> <operation> [--param value ...] [--body FILE|-]
//! brc --all-pages ecomdc list-products       # every page, one JSON object per line
//! ```
//!
//! Operations are named in kebab case (`list-products`); the spec's snake-case operation ids
//! (`list_products`) are accepted as hidden aliases.
//!
//! Credentials come from environment variables (see [`creds`]); without them, or with
//! `--sandbox`, the call goes to the provider's embedded sandbox on 127.0.0.1 (a notice says
//! so on stderr). `--live` refuses the fallback. Secrets are never printed.
//!
//! Exit codes: 0 success, 1 the call failed (or `--all-pages` rejected records), 2 bad usage or
//! parameters, 3 missing credentials.

mod call;
mod creds;
mod demo;
mod drift;
mod listen;
mod output;
mod pages;

use std::process::ExitCode;

use brcommerce::Provider;
use brcommerce::common::cli_glue::CommandLine;
use clap::{Arg, ArgAction, ArgMatches, Command};

/// A provider `brc` knows, parsed once from the subcommand's name: every provider of the
/// library that describes itself to the command line ([`Provider::command_line`]), in the
/// library's order. `brc` names none of them.
#[derive(Clone, Copy)]
pub struct Api(&'static dyn CommandLine);

impl Api {
    /// Every provider, in the library's order.
    pub fn all() -> impl Iterator<Item = Api> {
        Provider::ALL
            .iter()
            .filter_map(|p| p.command_line())
            .map(Api)
    }

    /// The library's provider.
    pub fn provider(self) -> Provider {
        self.0.provider()
    }

    /// The subcommand's name (the provider's id).
    pub fn id(self) -> &'static str {
        self.provider().id()
    }

    pub fn from_id(id: &str) -> Option<Api> {
        Provider::from_id(id)?.command_line().map(Api)
    }

    /// What the library tells the command line about the provider.
    pub fn glue(self) -> &'static dyn CommandLine {
        self.0
    }
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Api({})", self.id())
    }
}

/// "a, b and c".
fn listing(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

const GLOBAL_FLAGS: [&str; 3] = ["--sandbox", "--live", "--all-pages"];

/// The operation id (`list_products`) of a subcommand name (`list-products`).
pub fn operation_id(name: &str) -> String {
    name.replace('-', "_")
}

/// One generated operation as a clap subcommand: kebab-case name, the spec's id as a hidden
/// alias, the summary in listings, `--body` for `--json-body`.
fn operation_command(mut sub: Command, id: &'static str) -> Command {
    let name = id.replace('_', "-");
    sub = sub.name(name.clone());
    if name != id {
        sub = sub.alias(id);
    }
    // The listing shows the summary; `--help` on the operation shows everything.
    if let Some(full) = sub.get_about().map(|a| a.to_string()) {
        let summary = full.split("\n\n").next().unwrap_or_default().to_owned();
        sub = sub.about(summary).long_about(full);
    }
    if sub.get_arguments().any(|a| a.get_id() == "json-body") {
        sub = sub.mut_arg("json-body", |a| {
            a.visible_alias("body")
                .help("JSON request body: a file, or - for standard input")
        });
    }
    if sub
        .get_arguments()
        .any(|a| a.get_id() == "json-body-template")
    {
        sub = sub.mut_arg("json-body-template", |a| a.hide(true));
    }
    sub
}

/// The operations of one provider as clap subcommands (generated from its spec).
pub fn provider_command(api: Api) -> Command {
    let mut cmd = Command::new(api.id())
        .about(api.glue().about())
        .subcommand_required(true)
        .arg_required_else_help(true);
    for (id, sub) in api.glue().commands() {
        cmd = cmd.subcommand(operation_command(sub, id));
    }
    cmd
}

fn command() -> Command {
    let titles: Vec<&str> = Api::all().map(|a| a.glue().title()).collect();
    let mut cmd = Command::new("brc")
        .about(format!(
            "Typed clients for {} from the command line",
            listing(&titles)
        ))
        .after_help(creds::help())
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("sandbox")
                .long("sandbox")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Call the provider's embedded sandbox on 127.0.0.1 (the default without credentials)"),
        )
        .arg(
            Arg::new("live")
                .long("live")
                .global(true)
                .action(ArgAction::SetTrue)
                .conflicts_with("sandbox")
                .help("Call the real provider; fail instead of falling back to the sandbox"),
        )
        .arg(
            Arg::new("all-pages")
                .long("all-pages")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Follow the list's pages from the first; print one JSON item per line (NDJSON)"),
        )
        .subcommand(Command::new("demo").about(
            "Run a scripted integration across the four embedded sandboxes and print a summary",
        ))
        .subcommand(listen::command())
        .subcommand(drift::command());
    for api in Api::all() {
        cmd = cmd.subcommand(provider_command(api));
    }
    cmd
}

/// `--body -`: the generated command reads its body from a path, so standard input is handed
/// to it as the process's own descriptor (`/dev/stdin`); nothing is written to disk. Errors
/// about it say "stdin" (see [`output::stdin_named`]).
fn stdin_body(args: &mut [String]) -> Result<(), String> {
    let Some(i) = args
        .iter()
        .position(|a| a == "--body" || a == "--json-body")
        .filter(|i| args.get(i + 1).is_some_and(|v| v == "-"))
    else {
        return Ok(());
    };
    if cfg!(unix) {
        args[i + 1] = output::STDIN_PATH.to_owned();
        Ok(())
    } else {
        Err("--body - (standard input) needs a Unix system here; pass a file".to_owned())
    }
}

/// The operation's own arguments (after `<provider> <operation>`, without the global flags).
pub fn op_args(args: &[String], api: Api, op: &str) -> Vec<String> {
    let kebab = op.replace('_', "-");
    let start = args
        .iter()
        .position(|a| a == api.id())
        .and_then(|p| {
            args.iter()
                .skip(p + 1)
                .position(|a| *a == kebab || a == op)
                .map(|i| p + i + 2)
        })
        .unwrap_or(args.len());
    args[start..]
        .iter()
        .filter(|a| !GLOBAL_FLAGS.contains(&a.as_str()))
        .cloned()
        .collect()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().collect();
    if let Err(m) = stdin_body(&mut args) {
        eprintln!("brc: {m}");
        return ExitCode::from(2);
    }
    let matches = match command().try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match matches.subcommand() {
        Some(("demo", _)) => demo::run().await,
        Some(("listen", sub)) => listen::run(sub, matches.get_flag("sandbox")).await,
        Some(("drift", sub)) => drift::run(sub, Flags::from(&matches)).await,
        Some((name, sub)) => {
            // clap accepted only the subcommands built from `Api::all()`.
            let (Some(api), Some((op, op_matches))) = (Api::from_id(name), sub.subcommand()) else {
                return ExitCode::from(2);
            };
            let flags = Flags::from(&matches);
            let op = operation_id(op);
            let raw_args = op_args(&args, api, &op);
            run(api, &op, op_matches, &raw_args, flags).await
        }
        None => ExitCode::from(2),
    }
}

/// The global flags.
#[derive(Clone, Copy, Debug)]
pub struct Flags {
    pub sandbox: bool,
    pub live: bool,
    pub all_pages: bool,
    /// Drift detection on every answer (`brc drift`).
    pub drift: bool,
}

impl From<&ArgMatches> for Flags {
    fn from(m: &ArgMatches) -> Self {
        Self {
            sandbox: m.get_flag("sandbox"),
            live: m.get_flag("live"),
            all_pages: m.get_flag("all-pages"),
            drift: false,
        }
    }
}

async fn run(
    api: Api,
    op: &str,
    matches: &ArgMatches,
    raw_args: &[String],
    flags: Flags,
) -> ExitCode {
    let target = match creds::connect(api, flags).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}", output::line(&format!("brc: {e}")));
            return ExitCode::from(3);
        }
    };
    let result = if flags.all_pages {
        pages::all(&target, api, op, matches, raw_args).await
    } else {
        target.client.execute(op, matches).await
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("{}", output::line(&format!("brc: {f}")));
            ExitCode::from(f.exit_code())
        }
    }
}
