//! `brc drift`: runs one read (against the sandbox or live) and prints how its answer differs
//! from the spec, as NDJSON, the input of `scripts/spec-drift` (README, "Tracking an API
//! change"). The answer itself is not printed, and the findings carry no values (paths, JSON
//! types and value shapes; an unknown enum value only when it reads as a code).
//!
//! ```text
//! brc drift pluggto get-order --id 5877efb70280833e402e54bc > findings.ndjson
//! brc drift --sandbox --drifting pluggto get-order --id 5877efb70280833e402e54bc
//! scripts/spec-drift findings.ndjson
//! ```

use std::io::Write as _;
use std::process::ExitCode;

use brcommerce::common::sandbox::SandboxDrift;
use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::call::AnyClient;
use crate::creds::{Target, connect};
use crate::output;
use crate::{Api, Flags, operation_id, provider_command};

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
    for api in Api::all() {
        cmd = cmd.subcommand(provider_command(api));
    }
    cmd
}

/// Runs `brc drift ...`.
pub async fn run(matches: &ArgMatches, flags: Flags) -> ExitCode {
    let Some((name, sub)) = matches.subcommand() else {
        return ExitCode::from(2);
    };
    // clap accepted only the subcommands built from `Api::all()`.
    let (Some(api), Some((op, op_matches))) = (Api::from_id(name), sub.subcommand()) else {
        return ExitCode::from(2);
    };
    let op = operation_id(op);
    let flags = Flags {
        drift: true,
        ..flags
    };
    let target = match connect(api, flags).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}", output::line(&format!("brc: {e}")));
            return ExitCode::from(3);
        }
    };
    if matches.get_flag("drifting")
        && let Err(e) = make_sandbox_drift(&target)
    {
        eprintln!("brc: {e}");
        return ExitCode::from(2);
    }
    // The answer is captured, not printed: standard output is the findings alone.
    let result = target.client.capture(&op, op_matches).await;
    let mut out = std::io::stdout().lock();
    if let Err(e) = write_drift(&target.client, &mut out).and_then(|()| out.flush()) {
        eprintln!("brc: cannot write the findings: {e}");
        return ExitCode::from(1);
    }
    match result {
        Ok(_) => ExitCode::SUCCESS,
        // A read that failed may still have findings (an answer that did not decode).
        Err(f) => {
            eprintln!("{}", output::line(&format!("brc: {f}")));
            ExitCode::from(f.exit_code())
        }
    }
}

/// The client's findings, as NDJSON.
fn write_drift(client: &AnyClient, out: &mut impl std::io::Write) -> std::io::Result<()> {
    client.drift().write_ndjson(out)
}

/// Makes the sandbox's answers drift ([`SandboxDrift::everywhere`]); an error when the target
/// is the live provider.
fn make_sandbox_drift(target: &Target) -> Result<(), String> {
    let Some(sandbox) = target.sandbox() else {
        return Err("--drifting needs the sandbox (pass --sandbox)".to_owned());
    };
    sandbox
        .drift(SandboxDrift::everywhere())
        .map_err(|e| e.to_string())
}
