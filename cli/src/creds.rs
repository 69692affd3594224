//! Where a command's calls go: the real provider with credentials from the environment, or the
//! provider's embedded sandbox. Which variables a provider needs and how its client is built
//! from them is the library's ([`CommandLine::live`], [`CommandLine::sandbox`]).
//!
//! [`CommandLine::live`]: brcommerce::common::cli_glue::CommandLine::live
//! [`CommandLine::sandbox`]: brcommerce::common::cli_glue::CommandLine::sandbox

use brcommerce::common::cli_glue::{RunningSandbox, Settings};

use crate::Api;
use crate::Flags;
use crate::call::AnyClient;

/// Shown under `brc --help`: every provider's credential variables.
pub fn help() -> String {
    let mut help = String::from("Credentials (environment variables; never printed):\n");
    for api in Api::all() {
        let mut lines = api.glue().credentials_help().lines();
        let first = lines.next().unwrap_or_default();
        help.push_str(&format!("  {:<11}  {first}\n", api.provider().name()));
        for line in lines {
            help.push_str(&format!("{:15}{line}\n", ""));
        }
    }
    help.push_str(
        "  BRC_<PROVIDER>_URL overrides the base URL.
Without a provider's credentials (or with --sandbox) the call goes to its embedded sandbox.

Exit codes: 0 success, 1 the call failed, 2 bad usage or parameters, 3 missing credentials.",
    );
    help
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

/// Where the calls go: a client and, for a sandbox, the sandbox it talks to (held: dropping it
/// stops the server).
pub struct Target {
    pub client: AnyClient,
    sandbox: Option<Box<dyn RunningSandbox>>,
}

impl Target {
    /// The embedded sandbox the calls go to, if any.
    pub fn sandbox(&self) -> Option<&dyn RunningSandbox> {
        self.sandbox.as_deref()
    }
}

/// The client for `api`: live with credentials, else (unless `--live`) the sandbox.
pub async fn connect(api: Api, flags: Flags) -> Result<Target, String> {
    let provider = api.id();
    let missing: Vec<&str> = api
        .glue()
        .required_vars()
        .iter()
        .copied()
        .filter(|v| var(v).is_empty())
        .collect();
    if flags.sandbox || (!missing.is_empty() && !flags.live) {
        if !flags.sandbox {
            eprintln!(
                "brc: no {provider} credentials ({} not set); using the embedded sandbox. \
                 Pass --live to refuse.",
                missing.join(", ")
            );
        }
        return sandbox(api, flags).await.map_err(|e| e.to_string());
    }
    if !missing.is_empty() {
        return Err(format!(
            "missing {provider} credentials: set {} (see brc --help)",
            missing.join(", ")
        ));
    }
    live(api, flags).map_err(|e| e.to_string())
}

/// Drift detection: every answer for `brc drift`, else the library's default.
fn sampling(flags: Flags) -> u32 {
    if flags.drift {
        1
    } else {
        brcommerce::common::drift::DEFAULT_SAMPLING
    }
}

fn url(api: Api) -> Option<String> {
    std::env::var(format!("BRC_{}_URL", api.id().to_uppercase())).ok()
}

fn live(api: Api, flags: Flags) -> brcommerce::Result<Target> {
    let settings = Settings {
        base_url: url(api),
        drift_sampling: sampling(flags),
    };
    Ok(Target {
        client: AnyClient(api.glue().live(&var, &settings)?),
        sandbox: None,
    })
}

/// A sandboxed client (no pacing: the sandboxes do not enforce quotas).
pub async fn sandbox(api: Api, flags: Flags) -> brcommerce::Result<Target> {
    let settings = Settings {
        base_url: None,
        drift_sampling: sampling(flags),
    };
    let running = api.glue().sandbox(&settings).await?;
    Ok(Target {
        client: AnyClient(running.client),
        sandbox: Some(running.sandbox),
    })
}
