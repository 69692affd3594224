//! `brc drift`: runs one read (against the sandbox or live) and prints how its answer differs
//! from the spec, as NDJSON, the input of `scripts/spec-drift` (README, "Tracking an API
//! change"). The answer itself is not printed, and the findings carry no values (paths, JSON
//! types and value shapes; an unknown enum value only when it reads as a code).
//!
//! ```text
//! brc drift pluggto get_order --id 5877efb70280833e402e54bc > findings.ndjson
//! brc drift --sandbox --drifting pluggto get_order --id 5877efb70280833e402e54bc
//! scripts/spec-drift findings.ndjson
//! ```

use std::io::Write as _;
use std::process::ExitCode;

use brcommerce::common::sandbox::SandboxDrift;
use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::creds::{Target, connect};
use crate::output::{Failure, Printer};
use crate::{Flags, PROVIDERS, provider_command};

/// The `drift` subcommand: `drift [--drifting] <provider> <operation> [--param value ...]`.
pub fn command() -> Command {
    let mut cmd = Command::new("drift")
        .about("Run a read and print how its answer differs from the spec, as NDJSON (for scripts/spec-drift)")
        .long_about(
            "Run a read and print how its answer differs from the spec, as NDJSON: fields the \
             spec lacks, enum values it does not list, values the reads had to repair, records \
             that did not decode. Paths, JSON types and value shapes only, never the values. \
             Feed the output to scripts/spec-drift for a report and a suggested spec patch.",
        )
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("drifting")
                .long("drifting")
                .action(ArgAction::SetTrue)
                .help("With the sandbox: make its answers drift on purpose (fields and enum values the spec does not know)"),
        );
    for p in PROVIDERS {
        cmd = cmd.subcommand(provider_command(p));
    }
    cmd
}

/// Runs `brc drift ...`.
pub async fn run(matches: &ArgMatches, flags: Flags) -> ExitCode {
    let Some((provider, sub)) = matches.subcommand() else {
        return ExitCode::from(2);
    };
    let Some((op, op_matches)) = sub.subcommand() else {
        return ExitCode::from(2);
    };
    let provider = crate::provider_id(provider);
    let flags = Flags {
        drift: true,
        ..flags
    };
    let target = match connect(provider, flags).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("brc: {e}");
            return ExitCode::from(3);
        }
    };
    if matches.get_flag("drifting")
        && let Err(e) = target.make_sandbox_drift()
    {
        eprintln!("brc: {e}");
        return ExitCode::from(2);
    }
    // The answer is captured, not printed: standard output is the findings alone.
    let result = target
        .execute_with(op, op_matches, &Printer::capture())
        .await;
    let mut out = std::io::stdout().lock();
    if let Err(e) = target.write_drift(&mut out).and_then(|()| out.flush()) {
        eprintln!("brc: cannot write the findings: {e}");
        return ExitCode::from(1);
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(m)) => {
            eprintln!("brc: {m}");
            ExitCode::from(2)
        }
        // A read that failed may still have findings (an answer that did not decode).
        Err(Failure::Call(m)) => {
            eprintln!("brc: {provider} {op}: {m}");
            ExitCode::from(1)
        }
    }
}

impl Target {
    /// The client's findings, as NDJSON.
    fn write_drift(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let report = match self {
            Target::Ecomdc(c, _) => c.drift(),
            Target::Pluggto(c, _) => c.drift(),
            Target::Appclubmais(c, _) => c.drift(),
            Target::Connectplug(c, _) => c.drift(),
        };
        report.write_ndjson(out)
    }

    /// Makes the sandbox's answers drift ([`SandboxDrift::everywhere`]); an error when the
    /// target is the live provider.
    fn make_sandbox_drift(&self) -> Result<(), String> {
        let drift = SandboxDrift::everywhere();
        let result = match self {
            Target::Ecomdc(_, Some(s)) => s.drift(drift),
            Target::Pluggto(_, Some(s)) => s.drift(drift),
            Target::Appclubmais(_, Some(s)) => s.drift(drift),
            Target::Connectplug(_, Some(s)) => s.drift(drift),
            _ => return Err("--drifting needs the sandbox (pass --sandbox)".to_owned()),
        };
        result.map_err(|e| e.to_string())
    }
}
