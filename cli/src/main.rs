//! `brc`: every operation of the four providers from the command line, an embedded sandbox per
//! provider, and a cross-provider demo.
//!
//! ```text
//! brc demo                                   # the four sandboxes, one scripted integration
//! brc listen [--port 8787] [--sandbox]       # receive callbacks, print typed events as NDJSON
//! brc drift <provider> <operation> [...]     # how a read's answer differs from the spec (NDJSON)
//! brc <provider> --help                      # the provider's operations with their summaries
//! brc <provider> <operation> [--param value ...] [--body FILE|-]
//! brc --all-pages connectplug list_products  # every page, one JSON object per line
//! ```
//!
//! Credentials come from environment variables (see [`creds`]); without them, or with
//! `--sandbox`, the call goes to the provider's embedded sandbox on 127.0.0.1 (a notice says
//! so on stderr). `--live` refuses the fallback. Secrets are never printed.
//!
//! Exit codes: 0 success, 1 the call failed, 2 bad usage or parameters, 3 missing credentials.

mod creds;
mod demo;
mod drift;
mod listen;
mod output;
mod pages;

use std::io::Read as _;
use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Command};

pub const PROVIDERS: [&str; 4] = ["ecomdc", "pluggto", "appclubmais", "connectplug"];

const GLOBAL_FLAGS: [&str; 3] = ["--sandbox", "--live", "--all-pages"];

/// The operations of one provider as clap subcommands (generated from its spec).
fn provider_command(provider: &'static str) -> Command {
    macro_rules! ops {
        ($p:ident, $about:literal) => {{
            use brcommerce::$p::cli::{Cli, CliCommand};
            let mut cmd = Command::new(provider)
                .about($about)
                .subcommand_required(true)
                .arg_required_else_help(true);
            for op in CliCommand::iter() {
                let mut sub = Cli::<&output::Printer>::get_command(op).name(op.operation_id());
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
                cmd = cmd.subcommand(sub);
            }
            cmd
        }};
    }
    match provider {
        "ecomdc" => ops!(
            ecomdc,
            "ecomDC online store: products, prices, stock, images, orders"
        ),
        "pluggto" => ops!(
            pluggto,
            "PluggTo marketplace hub: orders, products/SKUs, stock, shipping, messages"
        ),
        "appclubmais" => ops!(
            appclubmais,
            "AppClubMais loyalty club: members, benefits, purchases, orders, products, promotions"
        ),
        _ => ops!(
            connectplug,
            "ConnectPlug v3 ERP/POS: the whole API (company from BRC_CONNECTPLUG_COMPANY)"
        ),
    }
}

fn command() -> Command {
    let mut cmd = Command::new("brc")
        .about("Typed clients for ecomDC, PluggTo, AppClubMais and ConnectPlug v3 from the command line")
        .after_help(creds::HELP)
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
    for p in PROVIDERS {
        cmd = cmd.subcommand(provider_command(p));
    }
    cmd
}

/// `--body -`: read standard input into a temporary file the generated command can open.
fn stdin_body(args: &mut [String]) -> std::io::Result<Option<BodyFile>> {
    let Some(i) = args
        .iter()
        .position(|a| a == "--body" || a == "--json-body")
        .filter(|i| args.get(i + 1).is_some_and(|v| v == "-"))
    else {
        return Ok(None);
    };
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    let path = std::env::temp_dir().join(format!("brc-body-{}.json", std::process::id()));
    std::fs::write(&path, text)?;
    args[i + 1] = path.display().to_string();
    Ok(Some(BodyFile(path)))
}

/// A body read from standard input, removed when the command ends.
struct BodyFile(std::path::PathBuf);

impl Drop for BodyFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The operation's own arguments (after `<provider> <operation>`, without the global flags).
fn op_args(args: &[String], provider: &str) -> Vec<String> {
    let start = args
        .iter()
        .position(|a| a == provider)
        .map_or(args.len(), |i| i + 1);
    args[start..]
        .iter()
        .filter(|a| !GLOBAL_FLAGS.contains(&a.as_str()))
        .cloned()
        .collect()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().collect();
    let _stdin_file = match stdin_body(&mut args) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("brc: cannot read the body from standard input: {e}");
            return ExitCode::from(2);
        }
    };
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
        Some((provider, sub)) => {
            let Some((op, op_matches)) = sub.subcommand() else {
                return ExitCode::from(2);
            };
            let provider = provider_id(provider);
            let flags = Flags::from(&matches);
            let raw_args = op_args(&args, provider);
            run(provider, op, op_matches, &raw_args, flags).await
        }
        None => ExitCode::from(2),
    }
}

/// The provider a subcommand names, as the static id (clap only accepts the four).
pub fn provider_id(name: &str) -> &'static str {
    PROVIDERS
        .into_iter()
        .find(|p| *p == name)
        .unwrap_or("connectplug")
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
    provider: &'static str,
    op: &str,
    matches: &ArgMatches,
    raw_args: &[String],
    flags: Flags,
) -> ExitCode {
    let target = match creds::connect(provider, flags).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("brc: {e}");
            return ExitCode::from(3);
        }
    };
    let result = if flags.all_pages {
        pages::all(&target, provider, op, raw_args).await
    } else {
        target.execute(op, matches, output::Printer::print()).await
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(output::Failure::Usage(m)) => {
            eprintln!("brc: {m}");
            ExitCode::from(2)
        }
        Err(output::Failure::Call(m)) => {
            eprintln!("brc: {provider} {op}: {m}");
            ExitCode::from(1)
        }
    }
}
